/* Unit tests for symbolize/jitdump.c on dump files built here: a valid file
 * in both byte orders (loads, a move, debug lines, unwinding info), every
 * truncation, oversized and zero sizes, bad fields, unknown records,
 * overlapping loads; the unwinding info handed to libunwind as the capture
 * unwinder will (its FDE found and one frame stepped); the marker mapping in
 * a maps text; and the symbolizer naming JIT code from a dump this process
 * maps the way a runtime does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/jitdump.h"
#include "symbolize/symbolizer.h"

extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
					      unw_proc_info_t *pi, int need_unwind_info, void *arg);

/* ---- a writer for crafted files ---- */

struct w {
	unsigned char *b;
	size_t n, cap;
	bool swap;
	size_t rec; /* start of the open record */
};

static void put(struct w *w, const void *p, size_t n)
{
	if (w->n + n > w->cap) {
		w->cap = (w->n + n) * 2 + 256;
		w->b = realloc(w->b, w->cap);
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void u32(struct w *w, uint32_t v)
{
	if (w->swap)
		v = __builtin_bswap32(v);
	put(w, &v, 4);
}

static void u64(struct w *w, uint64_t v)
{
	if (w->swap)
		v = __builtin_bswap64(v);
	put(w, &v, 8);
}

static void str(struct w *w, const char *s)
{
	put(w, s, strlen(s) + 1);
}

static void header(struct w *w, uint32_t pid)
{
	u32(w, 0x4A695444);
	u32(w, 1);
	u32(w, 40);
	u32(w, 62);
	u32(w, 0);
	u32(w, pid);
	u64(w, 1000);
	u64(w, 0);
}

static void begin(struct w *w, uint32_t id, uint64_t ts)
{
	w->rec = w->n;
	u32(w, id);
	u32(w, 0); /* total_size, set by end() */
	u64(w, ts);
}

static void end(struct w *w)
{
	uint32_t sz = (uint32_t)(w->n - w->rec);
	if (w->swap)
		sz = __builtin_bswap32(sz);
	memcpy(w->b + w->rec + 4, &sz, 4);
}

static void load(struct w *w, uint64_t ts, uint64_t addr, uint64_t size, uint64_t index,
		 const char *name)
{
	begin(w, 0, ts);
	u32(w, 42);
	u32(w, 43);
	u64(w, addr);
	u64(w, addr);
	u64(w, size);
	u64(w, index);
	str(w, name);
	for (uint64_t i = 0; i < size; i++)
		put(w, "\x90", 1);
	end(w);
}

static void move(struct w *w, uint64_t from, uint64_t to, uint64_t size, uint64_t index)
{
	begin(w, 1, 5);
	u32(w, 42);
	u32(w, 43);
	u64(w, to);
	u64(w, from);
	u64(w, to);
	u64(w, size);
	u64(w, index);
	end(w);
}

/* CPython 3.13's -X perf_jit unwinding record for its 11-byte trampoline,
 * as written on this machine: a CIE (zR, pcrel sdata4 FDEs, CFA rsp+8, ra
 * at cfa-8), an FDE over 11 bytes (push: cfa rsp+16 from +4 to +10), then
 * the eh_frame_hdr (one entry, datarel sdata4). */
static const unsigned char cpython_unwind[68] = {
	0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x7a, 0x52, 0x00, 0x01, 0x78, 0x10, 0x01,
	0x1b, 0x0c, 0x07, 0x08, 0x90, 0x01, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00,
	0xd0, 0xff, 0xff, 0xff, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x44, 0x0e, 0x10, 0x46, 0x0e, 0x08, 0x00,
	0x01, 0x1b, 0x03, 0x3b, 0xcc, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff,
	0xe8, 0xff, 0xff, 0xff,
};

static void unwind_rec(struct w *w, const unsigned char *data, uint64_t n, uint64_t hdr)
{
	begin(w, 4, 3);
	u64(w, n);
	u64(w, hdr);
	u64(w, 80);
	put(w, data, n);
	end(w);
}

struct dbg { uint64_t addr; uint32_t line; const char *file; };

static void debug(struct w *w, uint64_t code, const struct dbg *d, size_t n)
{
	begin(w, 2, 4);
	u64(w, code);
	u64(w, n);
	for (size_t i = 0; i < n; i++) {
		u64(w, d[i].addr);
		u32(w, d[i].line);
		u32(w, 0);
		str(w, d[i].file);
	}
	end(w);
}

#define A 0x7f0000001000ull
#define B 0x7f0000002000ull
#define C 0x7f0000003000ull

/* Loads: A (11 bytes, with the CPython unwinding info), B (0x40, with
 * lines, given out of order and with the "same file" marker), then B moved
 * to C. */
static void valid_file(struct w *w, bool swap)
{
	memset(w, 0, sizeof(*w));
	w->swap = swap;
	header(w, 4242);
	unwind_rec(w, cpython_unwind, sizeof(cpython_unwind), 20);
	load(w, 10, A, 11, 1, "py::leaf:/app/x.py");
	/* out of address order; "\xff" is the file of the entry before */
	const struct dbg d[] = { { B, 10, "/app/y.py" }, { B + 0x20, 12, "\xff" },
				 { B + 0x10, 11, "\xff" } };
	debug(w, B, d, 3);
	load(w, 20, B, 0x40, 2, "JS:*middle /app/y.js:1:1");
	move(w, B, C, 0x40, 2);
}

static void check_valid(struct jitdump *jd)
{
	const struct jitdump_stats *st = jitdump_stats(jd);
	assert_int_equal(jitdump_count(jd), 2);
	assert_int_equal(st->loads, 2);
	assert_int_equal(st->moves, 1);
	assert_int_equal(st->debug_infos, 1);
	assert_int_equal(st->unwind_infos, 1);
	assert_int_equal(st->bad, 0);
	assert_int_equal(st->orphans, 0);
	assert_false(st->truncated);
	assert_int_equal(jitdump_header(jd)->pid, 4242);
	assert_int_equal(jitdump_header(jd)->elf_mach, 62);

	const struct jitdump_code *c = jitdump_lookup(jd, A + 10);
	assert_non_null(c);
	assert_string_equal(c->name, "py::leaf:/app/x.py");
	assert_int_equal(c->addr, A);
	assert_int_equal(c->size, 11);
	assert_int_equal(c->index, 1);
	assert_int_equal(c->load_time, 10);
	assert_int_equal(c->unwind_size, 68);
	assert_int_equal(c->eh_frame_hdr_size, 20);
	assert_null(jitdump_lookup(jd, A + 11));
	assert_null(jitdump_lookup(jd, A - 1));

	/* B moved to C: nothing at B any more; lines moved with it */
	assert_null(jitdump_lookup(jd, B + 1));
	c = jitdump_lookup(jd, C + 0x18);
	assert_non_null(c);
	assert_string_equal(c->name, "JS:*middle /app/y.js:1:1");
	assert_int_equal(c->addr, C);
	assert_int_equal(c->nlines, 3);
	const struct jitdump_line *l = jitdump_line(c, C + 0x18);
	assert_non_null(l);
	assert_int_equal(l->line, 11);
	assert_string_equal(l->file, "/app/y.py");
	l = jitdump_line(c, C + 0x3f);
	assert_int_equal(l->line, 12);
	assert_string_equal(l->file, "/app/y.py");
	assert_int_equal(jitdump_line(c, C)->line, 10);
	assert_null(jitdump_line(c, C + 0x40));
}

static void test_valid_both_orders(void **state)
{
	(void)state;
	for (int swap = 0; swap < 2; swap++) {
		struct w w;
		valid_file(&w, swap);
		struct jitdump *jd;
		assert_int_equal(jitdump_parse(w.b, w.n, &jd), 0);
		assert_int_equal(jitdump_header(jd)->swapped, swap);
		check_valid(jd);
		jitdump_free(jd);
		free(w.b);
	}
}

/* The unwinder reads the dump while the runtime writes it: fed in pieces
 * cut anywhere (mid-header, mid-record), updates end with what one read of
 * the whole file gives, and never show a record before it is complete. */
static void test_update_as_written(void **state)
{
	(void)state;
	struct w w;
	valid_file(&w, false);
	char path[64];
	snprintf(path, sizeof(path), "/tmp/prowl-test-jitdump-%d", (int)getpid());
	for (size_t step = 1; step < 64; step += 7) {
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		struct jitdump *jd = jitdump_new();
		size_t prev = 0;
		for (size_t at = 0; at < w.n;) {
			size_t k = w.n - at < step ? w.n - at : step;
			assert_int_equal(pwrite(fd, w.b + at, k, (off_t)at), (ssize_t)k);
			at += k;
			assert_int_equal(jitdump_update(jd, fd), 0);
			assert_true(jitdump_count(jd) >= prev);
			prev = jitdump_count(jd);
			assert_false(jitdump_stats(jd)->truncated);
			/* header, unwinding record, then the first load */
			size_t first = 40 + (16 + 24 + sizeof(cpython_unwind)) +
				       (56 + strlen("py::leaf:/app/x.py") + 1 + 11);
			assert_int_equal(jitdump_count(jd) > 0, at >= first);
		}
		check_valid(jd);
		assert_int_equal(jitdump_update(jd, fd), 0); /* nothing new */
		assert_int_equal(jitdump_count(jd), 2);
		jitdump_free(jd);
		close(fd);
	}
	/* not a jitdump: refused once, then left alone */
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_int_equal(write(fd, "JITDnotjitdumpnotjitdumpnotjitdumpnotjitdump", 44), 44);
	struct jitdump *jd = jitdump_new();
	assert_int_equal(jitdump_update(jd, fd), -EINVAL);
	assert_int_equal(jitdump_update(jd, fd), 0);
	assert_int_equal(jitdump_count(jd), 0);
	jitdump_free(jd);
	close(fd);
	unlink(path);
	free(w.b);
}

static void test_not_a_dump(void **state)
{
	(void)state;
	struct w w;
	valid_file(&w, false);
	struct jitdump *jd = (void *)1;
	w.b[0] ^= 1;
	assert_int_equal(jitdump_parse(w.b, w.n, &jd), -EINVAL);
	assert_null(jd);
	w.b[0] ^= 1;
	w.b[4] = 2; /* version 2 */
	assert_int_equal(jitdump_parse(w.b, w.n, &jd), -ENOTSUP);
	w.b[4] = 1;
	w.b[8] = 39; /* header shorter than the fields it must hold */
	assert_int_equal(jitdump_parse(w.b, w.n, &jd), -EINVAL);
	w.b[8] = 40;
	assert_int_equal(jitdump_parse(w.b, 39, &jd), -EINVAL);
	free(w.b);
}

/* Cut anywhere: never more than the whole file gives, codes only ever
 * added as the cut moves on, and a cut inside a record is reported. */
static void test_every_truncation(void **state)
{
	(void)state;
	struct w w;
	valid_file(&w, false);
	size_t prev = 0;
	for (size_t cut = 40; cut <= w.n; cut++) {
		unsigned char *copy = malloc(cut);
		memcpy(copy, w.b, cut);
		struct jitdump *jd;
		assert_int_equal(jitdump_parse(copy, cut, &jd), 0);
		size_t n = jitdump_count(jd);
		assert_true(n >= prev && n <= 2);
		prev = n;
		const struct jitdump_stats *st = jitdump_stats(jd);
		if (cut < w.n)
			assert_true(st->truncated || st->records < 5);
		for (size_t i = 0; i < n; i++) {
			const struct jitdump_code *c = jitdump_code_at(jd, i);
			assert_true(c->name[0] == 'p' || c->name[0] == 'J');
		}
		jitdump_free(jd);
		free(copy);
	}
	assert_int_equal(prev, 2);
	free(w.b);
}

static void test_sizes(void **state)
{
	(void)state;
	struct jitdump *jd;
	/* total_size past the end of the file: the read ends there */
	struct w w = { 0 };
	header(&w, 1);
	load(&w, 1, A, 16, 1, "first");
	size_t second = w.n;
	load(&w, 2, B, 16, 2, "second");
	uint32_t big = (uint32_t)(w.n - second + 1);
	memcpy(w.b + second + 4, &big, 4);
	assert_int_equal(jitdump_parse(w.b, w.n, &jd), 0);
	assert_int_equal(jitdump_count(jd), 1);
	assert_true(jitdump_stats(jd)->truncated);
	assert_string_equal(jitdump_lookup(jd, A)->name, "first");
	jitdump_free(jd);
	/* 0xffffffff: no wrap-around */
	big = 0xffffffffu;
	memcpy(w.b + second + 4, &big, 4);
	assert_int_equal(jitdump_parse(w.b, w.n, &jd), 0);
	assert_int_equal(jitdump_count(jd), 1);
	assert_true(jitdump_stats(jd)->truncated);
	jitdump_free(jd);
	/* zero, and smaller than a record prefix: the read ends */
	for (uint32_t z = 0; z < 16; z += 15) {
		memcpy(w.b + second + 4, &z, 4);
		assert_int_equal(jitdump_parse(w.b, w.n, &jd), 0);
		assert_int_equal(jitdump_count(jd), 1);
		assert_true(jitdump_stats(jd)->truncated);
		jitdump_free(jd);
	}
	free(w.b);
}

/* A record whose fields do not fit is skipped and counted; the next one
 * is still read. So is a record of a type nobody knows. */
static void test_bad_records_skipped(void **state)
{
	(void)state;
	struct w w = { 0 };
	header(&w, 1);
	/* code_size larger than the record */
	begin(&w, 0, 1);
	u32(&w, 1); u32(&w, 1); u64(&w, A); u64(&w, A); u64(&w, 1000); u64(&w, 1);
	str(&w, "liar");
	end(&w);
	/* name without its NUL inside the record */
	begin(&w, 0, 1);
	u32(&w, 1); u32(&w, 1); u64(&w, A); u64(&w, A); u64(&w, 0); u64(&w, 1);
	put(&w, "unterminated", 12);
	end(&w);
	/* code range that wraps */
	load(&w, 1, UINT64_MAX - 4, 16, 9, "wraps");
	/* debug info claiming more entries than its bytes could hold */
	begin(&w, 2, 1);
	u64(&w, B); u64(&w, 1ull << 40);
	u64(&w, B); u32(&w, 1); u32(&w, 0); str(&w, "f");
	end(&w);
	/* unwinding info: header part larger than the whole, and data past the record */
	begin(&w, 4, 1);
	u64(&w, 4); u64(&w, 8); u64(&w, 0); put(&w, "abcd", 4);
	end(&w);
	begin(&w, 4, 1);
	u64(&w, 4096); u64(&w, 0); u64(&w, 0); put(&w, "abcd", 4);
	end(&w);
	/* a move too short, and a move of code never loaded */
	begin(&w, 1, 1);
	u64(&w, 0);
	end(&w);
	move(&w, C, A, 16, 77);
	/* unknown type */
	begin(&w, 99, 1);
	put(&w, "whatever", 8);
	end(&w);
	/* lines outside their code (as node 20 writes for some code): dropped */
	const struct dbg wild[] = { { B, 1, "y.js" }, { B + 0x1000, 25296640, "\x8c\xaf" } };
	debug(&w, B, wild, 2);
	load(&w, 2, B, 16, 2, "survivor");
	struct jitdump *jd;
	assert_int_equal(jitdump_parse(w.b, w.n, &jd), 0);
	const struct jitdump_stats *st = jitdump_stats(jd);
	assert_int_equal(jitdump_count(jd), 1);
	assert_string_equal(jitdump_lookup(jd, B + 3)->name, "survivor");
	assert_int_equal(st->bad, 8);
	assert_int_equal(st->unknown, 1);
	assert_int_equal(st->orphans, 1);
	assert_false(st->truncated);
	assert_null(jitdump_lookup(jd, B)->lines);
	assert_null(jitdump_lookup(jd, B)->unwind);
	jitdump_free(jd);
	free(w.b);
}

/* A move whose code (or the 64 bytes past it where V8's lines may sit)
 * would wrap around the address space is refused: the code stays put and
 * its lines stay sorted (found by fuzz_jitdump). */
static void test_move_no_wrap(void **state)
{
	(void)state;
	struct w w = { 0 };
	header(&w, 1);
	const struct dbg d[] = { { B, 1, "a.js" }, { B + 0x10 + 64, 2, "a.js" } };
	debug(&w, B, d, 2);
	load(&w, 1, B, 0x10, 7, "f");
	move(&w, B, UINT64_MAX - 0x40, 0x10, 7);
	struct jitdump *jd;
	assert_int_equal(jitdump_parse(w.b, w.n, &jd), 0);
	assert_int_equal(jitdump_stats(jd)->moves, 0);
	assert_int_equal(jitdump_stats(jd)->bad, 1);
	const struct jitdump_code *c = jitdump_lookup(jd, B);
	assert_non_null(c);
	assert_int_equal(c->nlines, 2);
	assert_true(c->lines[0].addr < c->lines[1].addr);
	jitdump_free(jd);
	free(w.b);
}

/* Freed code memory is reused: where loads overlap the later one names
 * the address; the earlier keeps what nobody overwrote. A CLOSE record
 * ends the file. */
static void test_overlap_latest_wins(void **state)
{
	(void)state;
	struct w w = { 0 };
	header(&w, 1);
	load(&w, 1, A, 0x100, 1, "old_big");
	load(&w, 2, A + 0x40, 0x20, 2, "new_inside");
	load(&w, 3, A + 0xf0, 0x20, 3, "new_straddles");
	load(&w, 4, A, 0x10, 4, "newest_at_start");
	begin(&w, 3, 5);
	end(&w);
	load(&w, 6, C, 0x10, 5, "after_close");
	struct jitdump *jd;
	assert_int_equal(jitdump_parse(w.b, w.n, &jd), 0);
	assert_true(jitdump_stats(jd)->closed);
	assert_int_equal(jitdump_count(jd), 4);
	assert_string_equal(jitdump_lookup(jd, A)->name, "newest_at_start");
	assert_string_equal(jitdump_lookup(jd, A + 0x10)->name, "old_big");
	assert_string_equal(jitdump_lookup(jd, A + 0x40)->name, "new_inside");
	assert_string_equal(jitdump_lookup(jd, A + 0x5f)->name, "new_inside");
	assert_string_equal(jitdump_lookup(jd, A + 0x60)->name, "old_big");
	assert_string_equal(jitdump_lookup(jd, A + 0xf0)->name, "new_straddles");
	assert_string_equal(jitdump_lookup(jd, A + 0x10f)->name, "new_straddles");
	assert_null(jitdump_lookup(jd, A + 0x110));
	assert_null(jitdump_lookup(jd, C));
	jitdump_free(jd);
	free(w.b);
}

/* ---- unwinding: libunwind over the dump's eh_frame_hdr, as unwind.c will ---- */

struct uw {
	struct jitdump_unwind u;
	uint64_t rip, rsp, rbp;
	uint64_t stack[4]; /* at rsp */
};

static int uw_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			     int need_unwind_info, void *arg)
{
	struct uw *c = arg;
	if (ip < c->u.code_addr || ip - c->u.code_addr >= c->u.code_size)
		return -UNW_ENOINFO;
	unw_dyn_info_t di;
	memset(&di, 0, sizeof(di));
	di.start_ip = c->u.code_addr;
	di.end_ip = c->u.code_addr + c->u.code_size;
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.u.rti.segbase = c->u.eh_frame_hdr_addr;
	di.u.rti.table_data = c->u.table_addr;
	di.u.rti.table_len = c->u.fde_count * 8 / sizeof(unw_word_t);
	return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
}

static void uw_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)as; (void)pi; (void)arg;
}

static int uw_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dilap, void *arg)
{
	(void)as; (void)dilap; (void)arg;
	return -UNW_ENOINFO;
}

static int uw_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	struct uw *c = arg;
	(void)as;
	if (write)
		return -UNW_EINVAL;
	if (jitdump_unwind_read(&c->u, addr, val, sizeof(*val)))
		return 0;
	if (addr >= c->rsp && addr - c->rsp + 8 <= sizeof(c->stack)) {
		memcpy(val, (const char *)c->stack + (addr - c->rsp), 8);
		return 0;
	}
	return -UNW_EINVAL;
}

static int uw_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	struct uw *c = arg;
	(void)as;
	if (write)
		return -UNW_EINVAL;
	switch (reg) {
	case UNW_X86_64_RIP: *val = c->rip; return 0;
	case UNW_X86_64_RSP: *val = c->rsp; return 0;
	case UNW_X86_64_RBP: *val = c->rbp; return 0;
	default: *val = 0; return 0;
	}
}

static int uw_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
	(void)as; (void)reg; (void)val; (void)write; (void)arg;
	return -UNW_EBADREG;
}

static int uw_resume(unw_addr_space_t as, unw_cursor_t *cur, void *arg)
{
	(void)as; (void)cur; (void)arg;
	return -UNW_EINVAL;
}

static int uw_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			    unw_word_t *off, void *arg)
{
	(void)as; (void)addr; (void)buf; (void)len; (void)off; (void)arg;
	return -UNW_ENOINFO;
}

static void test_unwind_info_fde(void **state)
{
	(void)state;
	struct w w;
	valid_file(&w, false);
	struct jitdump *jd;
	assert_int_equal(jitdump_parse(w.b, w.n, &jd), 0);
	struct uw c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(jitdump_unwind_info(jd, A + 5, &c.u), 0);
	assert_int_equal(c.u.code_addr, A);
	assert_int_equal(c.u.code_size, 11);
	assert_int_equal(c.u.eh_frame_addr, A + 16); /* ALIGN_8(11) */
	assert_int_equal(c.u.eh_frame_size, 48);
	assert_int_equal(c.u.eh_frame_hdr_addr, A + 16 + 48);
	assert_int_equal(c.u.eh_frame_hdr_size, 20);
	assert_int_equal(c.u.table_addr, A + 16 + 48 + 12);
	assert_int_equal(c.u.fde_count, 1);
	/* code without unwinding info, and no code */
	struct jitdump_unwind none;
	assert_int_equal(jitdump_unwind_info(jd, C, &none), -ENOENT);
	assert_int_equal(jitdump_unwind_info(jd, A + 11, &none), -ENOENT);
	unsigned char b8[8];
	assert_true(jitdump_unwind_read(&c.u, c.u.eh_frame_hdr_addr + 12, b8, 8));
	assert_memory_equal(b8, cpython_unwind + 60, 8);
	/* the last word runs past the header's end: zeros there */
	assert_true(jitdump_unwind_read(&c.u, c.u.eh_frame_hdr_addr + 16, b8, 8));
	assert_memory_equal(b8, cpython_unwind + 64, 4);
	assert_memory_equal(b8 + 4, "\0\0\0\0", 4);
	assert_false(jitdump_unwind_read(&c.u, c.u.eh_frame_hdr_addr + 20, b8, 8));
	assert_false(jitdump_unwind_read(&c.u, A, b8, 8));

	unw_accessors_t acc = {
		.find_proc_info = uw_find_proc_info,
		.put_unwind_info = uw_put_unwind_info,
		.get_dyn_info_list_addr = uw_get_dyn_info_list_addr,
		.access_mem = uw_access_mem,
		.access_reg = uw_access_reg,
		.access_fpreg = uw_access_fpreg,
		.resume = uw_resume,
		.get_proc_name = uw_get_proc_name,
	};
	unw_addr_space_t as = unw_create_addr_space(&acc, 0);
	assert_non_null(as);
	/* libunwind finds the FDE through the dump's table: it covers the 11 bytes */
	unw_proc_info_t pi;
	memset(&pi, 0, sizeof(pi));
	assert_int_equal(uw_find_proc_info(as, A + 5, &pi, 0, &c), 0);
	assert_int_equal(pi.start_ip, A);
	assert_int_equal(pi.end_ip, A + 11);
	/* One step out of the trampoline after its push (pc +5: cfa = rsp+16,
	 * return address at cfa-8), with no frame pointer to help. */
	c.rip = A + 5;
	c.rsp = 0x7ffc00001000;
	c.rbp = 0;
	c.stack[0] = 0x1111; /* the pushed rbp */
	c.stack[1] = 0x555500001234;
	unw_cursor_t cur;
	assert_int_equal(unw_init_remote(&cur, as, &c), 0);
	assert_true(unw_step(&cur) > 0);
	unw_word_t ip, sp;
	unw_get_reg(&cur, UNW_REG_IP, &ip);
	unw_get_reg(&cur, UNW_REG_SP, &sp);
	assert_int_equal(ip, 0x555500001234);
	assert_int_equal(sp, c.rsp + 16);
	unw_destroy_addr_space(as);

	/* a header that is not version 1 with a searchable table is refused */
	unsigned char bad[68];
	memcpy(bad, cpython_unwind, sizeof(bad));
	bad[48 + 3] = 0x1b;
	struct w w2 = { 0 };
	header(&w2, 1);
	unwind_rec(&w2, bad, sizeof(bad), 20);
	load(&w2, 1, A, 11, 1, "t");
	jitdump_free(jd);
	assert_int_equal(jitdump_parse(w2.b, w2.n, &jd), 0);
	assert_int_equal(jitdump_unwind_info(jd, A, &none), -EINVAL);
	jitdump_free(jd);
	free(w2.b);
	free(w.b);
}

static void test_find_mapping(void **state)
{
	(void)state;
	const char *maps =
		"55d000000000-55d000001000 r-xp 00000000 fe:00 11 /usr/bin/python3.13\n"
		"7f0000000000-7f0000001000 r--p 00000000 fe:00 12 /tmp/jit-77.dump\n"
		"7f0000001000-7f0000002000 r-xp 00000000 fe:00 13 /tmp/jit-78.dump\n"
		"7f0000002000-7f0000003000 r-xp 00000000 fe:00 14 /tmp/not-jit-77.dump\n"
		"7f0000003000-7f0000004000 r-xp 00000000 00:00 0 \n"
		"7f0000004000-7f0000005000 r-xp 00000000 fe:00 15 /work/app/jit-77.dump\n";
	char *path;
	uint64_t s, e, ino;
	assert_int_equal(jitdump_find_mapping(maps, 77, &path, &s, &e, &ino), 0);
	assert_string_equal(path, "/work/app/jit-77.dump");
	assert_int_equal(s, 0x7f0000004000);
	assert_int_equal(e, 0x7f0000005000);
	assert_int_equal(ino, 15);
	free(path);
	assert_int_equal(jitdump_find_mapping(maps, 78, &path, &s, &e, &ino), 0);
	assert_string_equal(path, "/tmp/jit-78.dump");
	free(path);
	assert_int_equal(jitdump_find_mapping(maps, 7, &path, &s, &e, &ino), -ENOENT);
	assert_null(path);
}

/* This process plays the runtime: writes its jit-PID.dump and maps it
 * executable; the symbolizer names the code from it, file:line included,
 * and ignores it when it belongs to another user. */
static void test_symbolizer_names_from_dump(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof(path), "/tmp/jit-%d.dump", (int)getpid());
	struct w w;
	valid_file(&w, false);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, w.b, w.n), (ssize_t)w.n);
	void *mark = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	if (mark == MAP_FAILED) {
		unlink(path);
		free(w.b);
		skip(); /* /tmp mounted noexec */
	}
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_JIT, .pid = getpid() };
	struct sym_module *m = symbolizer_module(s, &src);
	struct sym_frame f[4];
	assert_int_equal(sym_lookup(m, A + 3, f, 4), 1);
	assert_string_equal(f[0].function, "py::leaf:/app/x.py");
	assert_null(f[0].file);
	assert_int_equal(sym_lookup(m, C + 0x11, f, 4), 1);
	assert_string_equal(f[0].function, "JS:*middle /app/y.js:1:1");
	assert_string_equal(f[0].file, "/app/y.py");
	assert_int_equal(f[0].line, 11);
	assert_int_equal(sym_lookup(m, B + 0x11, f, 4), 0);
	assert_int_equal(sym_module_caps(m), 1 | 2 | 4); /* symbols, files, lines */
	symbolizer_free(s);
	/* watched first, then read after the mapping is gone (the process
	 * "exited"): still named from the descriptor kept */
	s = symbolizer_new(NULL);
	assert_int_equal(symbolizer_watch_process(s, getpid()), 0);
	munmap(mark, 4096);
	m = symbolizer_module(s, &src);
	assert_int_equal(sym_lookup(m, A + 3, f, 4), 1);
	assert_string_equal(f[0].function, "py::leaf:/app/x.py");
	symbolizer_free(s);
	/* someone else's dump says nothing about this process */
	if (geteuid() == 0 && chown(path, 65534, 65534) == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		mark = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		close(fd);
		assert_true(mark != MAP_FAILED);
		s = symbolizer_new(NULL);
		m = symbolizer_module(s, &src);
		assert_int_equal(sym_lookup(m, A + 3, f, 4), 0);
		symbolizer_free(s);
		munmap(mark, 4096);
	}
	unlink(path);
	free(w.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_both_orders),
		cmocka_unit_test(test_update_as_written),
		cmocka_unit_test(test_not_a_dump),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bad_records_skipped),
		cmocka_unit_test(test_move_no_wrap),
		cmocka_unit_test(test_overlap_latest_wins),
		cmocka_unit_test(test_unwind_info_fde),
		cmocka_unit_test(test_find_mapping),
		cmocka_unit_test(test_symbolizer_names_from_dump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
