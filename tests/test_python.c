/* Unit tests for the CPython frame reader (profiler/capture/python.c,
 * pyoffsets.c, pyline.c): the three line-table decoders against each
 * interpreter's own co_lines()/dis.findlinestarts() (fixtures made offline by
 * tests/data/python/make_fixtures.py), hand-made tables, string decoding, the
 * 3.13 debug-offsets reader, and the frame walker over a fake memory image laid
 * out with each version's offsets. No real process. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/base/util.h"
#include "profiler/capture/pyline.h"
#include "profiler/capture/pyoffsets.h"
#include "profiler/capture/python.h"

/* ---- line tables against the interpreters' fixtures ---- */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (s[0] && s[1] && n < cap) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void check_fixture(int minor, size_t *codes, size_t *offsets)
{
	char path[64];
	snprintf(path, sizeof(path), "tests/data/python/lines-3.%d.txt", minor);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run the tests from the repository root)", path);
	enum pyline_format fmt = pyline_format_of(3, minor);
	assert_int_not_equal(fmt, 0);
	static char line[1 << 17];
	static uint8_t tab[1 << 16];
	size_t tlen = 0;
	int first = 0;
	char name[256] = "";
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "code ", 5) == 0) {
			char hex[sizeof(line)];
			hex[0] = 0;
			int n = sscanf(line, "code %255s %d %s", name, &first, hex);
			assert_true(n >= 2);
			tlen = n == 3 ? unhex(hex, tab, sizeof(tab)) : 0;
			(*codes)++;
		} else if (line[0] == 'r') {
			int start, end, want;
			assert_int_equal(sscanf(line, "r %d %d %d", &start, &end, &want), 3);
			for (int a = start; a < end; a += 2) {
				int got = pyline_addr2line(fmt, tab, tlen, first, a);
				if (got != want)
					fail_msg("3.%d %s offset %d: line %d, python says %d", minor, name, a, got, want);
				(*offsets)++;
			}
		}
	}
	fclose(f);
}

static void test_lines_match_interpreters(void **state)
{
	(void)state;
	for (int minor = 6; minor <= 13; minor++) {
		size_t codes = 0, offsets = 0;
		check_fixture(minor, &codes, &offsets);
		/* SOURCE alone has 12 code objects; textwrap adds more. */
		assert_true(codes >= 20);
		assert_true(offsets >= 500);
	}
}

static void test_lnotab_by_hand(void **state)
{
	(void)state;
	/* line 10 at 0; +6 bytes -> line 12; +4 bytes -> line 11 (signed, 3.6+);
	 * a 300-line jump split in 127+127+46. */
	const uint8_t t[] = { 6, 2, 4, 0xff, 2, 127, 0, 127, 0, 46 };
	assert_int_equal(pyline_addr2line(PYLINE_LNOTAB, t, sizeof(t), 10, 0), 10);
	assert_int_equal(pyline_addr2line(PYLINE_LNOTAB, t, sizeof(t), 10, 5), 10);
	assert_int_equal(pyline_addr2line(PYLINE_LNOTAB, t, sizeof(t), 10, 6), 12);
	assert_int_equal(pyline_addr2line(PYLINE_LNOTAB, t, sizeof(t), 10, 10), 11);
	assert_int_equal(pyline_addr2line(PYLINE_LNOTAB, t, sizeof(t), 10, 12), 311);
	assert_int_equal(pyline_addr2line(PYLINE_LNOTAB, t, sizeof(t), 10, -1), 10);
	/* An odd trailing byte is ignored, not read past. */
	assert_int_equal(pyline_addr2line(PYLINE_LNOTAB, t, 3, 10, 100), 12);
}

static void test_linetable310_by_hand(void **state)
{
	(void)state;
	/* [0,4) line 5 -> 6; [4,8) no line; [8,10) 6 - 2 = 4 */
	const uint8_t t[] = { 4, 1, 4, 0x80, 2, 0xfe };
	assert_int_equal(pyline_addr2line(PYLINE_LINETABLE, t, sizeof(t), 5, 2), 6);
	assert_int_equal(pyline_addr2line(PYLINE_LINETABLE, t, sizeof(t), 5, 4), -1);
	assert_int_equal(pyline_addr2line(PYLINE_LINETABLE, t, sizeof(t), 5, 8), 4);
	assert_int_equal(pyline_addr2line(PYLINE_LINETABLE, t, sizeof(t), 5, 10), -1);
}

static void test_locations_by_hand(void **state)
{
	(void)state;
	const uint8_t t[] = {
		0x80 | 13 << 3 | 0, 2,          /* 1 unit, no columns, +1 -> 21 */
		0x80 | 14 << 3 | 1, 5, 0, 1, 2, /* 2 units, long form, -2 -> 19 */
		0x80 | 15 << 3 | 0,             /* 1 unit, no location */
		0x80 | 11 << 3 | 2, 4, 8,       /* 3 units, one line +1 -> 20 */
		0x80 | 3 << 3 | 0, 0x10,        /* 1 unit, short form, same line */
		0x80 | 13 << 3 | 0, 0x40 | 0, 2 /* varint 0 + 2<<6 = 128 -> +64 -> 84 */
	};
	int first = 20;
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t), first, 0), 21);
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t), first, 2), 19);
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t), first, 4), 19);
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t), first, 6), -1);
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t), first, 8), 20);
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t), first, 12), 20);
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t), first, 14), 20);
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t), first, 16), 84);
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t), first, 18), -1);
	/* Cut inside a varint, or a table not starting on an entry: no line. */
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t, sizeof(t) - 1, first, 16), -1);
	assert_int_equal(pyline_addr2line(PYLINE_LOCATIONS, t + 1, sizeof(t) - 1, first, 0), -1);
	assert_int_equal(pyline_format_of(3, 5), 0);
	assert_int_equal(pyline_format_of(3, 14), PYLINE_LOCATIONS);
}

/* ---- strings ---- */

static void test_ucs_to_utf8(void **state)
{
	(void)state;
	const uint8_t latin[] = { 'c', 0xe9 };
	char *s = python_ucs_to_utf8(latin, 2, 1);
	assert_string_equal(s, "c\xc3\xa9");
	free(s);
	const uint16_t ucs2[] = { 0x3bb, 'x', 0xd800 };
	s = python_ucs_to_utf8(ucs2, 3, 2);
	assert_string_equal(s, "\xce\xbbx\xef\xbf\xbd"); /* λ x U+FFFD */
	free(s);
	const uint32_t ucs4[] = { 0x1d518, 0x110000 };
	s = python_ucs_to_utf8(ucs4, 2, 4);
	assert_string_equal(s, "\xf0\x9d\x94\x98\xef\xbf\xbd");
	free(s);
	assert_null(python_ucs_to_utf8(latin, 2, 3));
	assert_int_equal(errno, EINVAL);
}

/* ---- 3.13 debug offsets ---- */

static void put64(uint8_t *b, size_t at, uint64_t v)
{
	memcpy(b + at, &v, 8);
}

/* A _Py_DebugOffsets block as 3.13.0 writes it, from the 3.13 table. */
static void make_debug_block(uint8_t *b, uint64_t version, uint64_t free_threaded)
{
	const struct py_offsets *o = pyoffsets_table(3, 13);
	memset(b, 0, PY_DEBUG_OFFSETS_SIZE);
	memcpy(b, PY_DEBUG_OFFSETS_COOKIE, 8);
	put64(b, 8, version);
	put64(b, 16, free_threaded);
	put64(b, 40, (uint64_t)o->rt_interp_head);
	put64(b, 64, (uint64_t)o->is_next);
	put64(b, 72, (uint64_t)o->is_tstate_head);
	put64(b, 88, (uint64_t)o->is_modules);
	put64(b, 112, (uint64_t)o->is_gil_ptr);
	put64(b, 120, 5000); /* interp->_gil */
	put64(b, 136, 5000 + (uint64_t)o->gil_locked);
	put64(b, 144, 5000 + (uint64_t)o->gil_holder);
	put64(b, 168, (uint64_t)o->ts_next);
	put64(b, 184, (uint64_t)o->ts_frame);
	put64(b, 192, (uint64_t)o->ts_thread_id);
	put64(b, 200, (uint64_t)o->ts_native_thread_id);
	put64(b, 232, (uint64_t)o->fr_previous);
	put64(b, 240, (uint64_t)o->fr_code);
	put64(b, 248, (uint64_t)o->fr_lasti);
	put64(b, 264, (uint64_t)o->fr_owner);
	put64(b, 280, (uint64_t)o->co_filename);
	put64(b, 288, (uint64_t)o->co_name);
	put64(b, 296, (uint64_t)o->co_qualname);
	put64(b, 304, (uint64_t)o->co_linetable);
	put64(b, 312, (uint64_t)o->co_firstlineno);
	put64(b, 344, (uint64_t)o->co_code_adaptive);
	put64(b, 360, (uint64_t)o->ob_type);
	put64(b, 520, (uint64_t)o->bytes_size);
	put64(b, 528, (uint64_t)o->bytes_sval);
	put64(b, 544, (uint64_t)o->uni_state);
	put64(b, 552, (uint64_t)o->uni_length);
	put64(b, 560, (uint64_t)o->uni_ascii_size);
}

static void test_debug_offsets(void **state)
{
	(void)state;
	uint8_t b[PY_DEBUG_OFFSETS_SIZE];
	struct py_offsets o;
	uint32_t hex;
	char err[160];
	make_debug_block(b, 0x030d00f0, 0);
	assert_int_equal(pyoffsets_from_debug(b, sizeof(b), &o, &hex, err, sizeof(err)), 0);
	assert_int_equal(hex, 0x030d00f0);
	assert_memory_equal(&o, pyoffsets_table(3, 13), sizeof(o));

	/* A patch release that moved a field is followed, not the table. */
	put64(b, 184, 80);
	assert_int_equal(pyoffsets_from_debug(b, sizeof(b), &o, &hex, err, sizeof(err)), 0);
	assert_int_equal(o.ts_frame, 80);

	make_debug_block(b, 0x030e00a1, 0);
	assert_int_equal(pyoffsets_from_debug(b, sizeof(b), &o, &hex, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "3.14"));
	make_debug_block(b, 0x030d00f0, 1);
	assert_int_equal(pyoffsets_from_debug(b, sizeof(b), &o, &hex, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "free-threaded"));
	make_debug_block(b, 0x030d00f0, 0);
	b[0] = 'y';
	assert_int_equal(pyoffsets_from_debug(b, sizeof(b), &o, &hex, err, sizeof(err)), -EPROTO);
	make_debug_block(b, 0x030d00f0, 0);
	put64(b, 248, 1ull << 40); /* corrupt: a read far off the frame */
	assert_int_equal(pyoffsets_from_debug(b, sizeof(b), &o, &hex, err, sizeof(err)), -EPROTO);
	make_debug_block(b, 0x030d00f0, 0);
	assert_int_equal(pyoffsets_from_debug(b, 100, &o, &hex, err, sizeof(err)), -EPROTO);
}

static void test_tables_present(void **state)
{
	(void)state;
	for (int m = 6; m <= 13; m++) {
		const struct py_offsets *o = pyoffsets_table(3, m);
		assert_non_null(o);
		assert_int_equal(o->minor, m);
		/* What every walk needs must be there. */
		assert_true(o->is_tstate_head >= 0 && o->ts_next >= 0 && o->ts_frame >= 0);
		assert_true(o->fr_previous >= 0 && o->fr_code >= 0 && o->fr_lasti >= 0);
		assert_true(o->co_name >= 0 && o->co_filename >= 0 && o->co_linetable >= 0);
		assert_int_equal(o->co_qualname >= 0, m >= 11);
		assert_int_equal(o->fr_owner >= 0, m >= 11);
	}
	assert_null(pyoffsets_table(3, 14));
	assert_int_equal(errno, ENOENT);
	assert_null(pyoffsets_table(2, 7));
}

/* ---- the walker over a fake image ---- */

#define IMG_BASE 0x100000ull
#define FAKE_STR_TYPE 0x7000ull /* what ob_type says of a str, an int (compared, never read) */
#define FAKE_INT_TYPE 0x7100ull
#define IMG_SIZE (1u << 20)

struct img {
	uint8_t *mem;
	uint64_t top;        /* next free address */
	uint64_t hole_start; /* reads touching [hole_start, hole_end) fail */
	uint64_t hole_end;
	unsigned reads;
	const struct py_offsets *o;
};

static int img_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct img *m = ctx;
	m->reads++;
	if (addr < IMG_BASE || len > IMG_SIZE || addr - IMG_BASE > IMG_SIZE - len)
		return -EFAULT;
	if (addr < m->hole_end && addr + len > m->hole_start)
		return -EFAULT;
	memcpy(buf, m->mem + (addr - IMG_BASE), len);
	return 0;
}

static uint64_t img_alloc(struct img *m, size_t n)
{
	uint64_t a = m->top;
	m->top += (n + 15) & ~(size_t)15;
	assert_true(m->top - IMG_BASE <= IMG_SIZE);
	return a;
}

static void img_put(struct img *m, uint64_t addr, int32_t off, const void *v, size_t n)
{
	assert_true(off >= 0);
	memcpy(m->mem + (addr - IMG_BASE) + off, v, n);
}

static void img_ptr(struct img *m, uint64_t addr, int32_t off, uint64_t v)
{
	img_put(m, addr, off, &v, 8);
}

static void img_init(struct img *m, int minor)
{
	memset(m, 0, sizeof(*m));
	m->mem = calloc(1, IMG_SIZE);
	m->top = IMG_BASE + 0x1000; /* the runtime lives at IMG_BASE */
	m->o = pyoffsets_table(3, minor);
}

/* A compact str of n characters of the given kind (ascii when kind 1 and all < 128). */
static uint64_t mk_str(struct img *m, const void *chars, size_t n, int kind)
{
	const struct py_offsets *o = m->o;
	bool ascii = kind == 1;
	for (size_t i = 0; ascii && i < n; i++)
		ascii = ((const uint8_t *)chars)[i] < 128;
	size_t hdr = (size_t)(ascii ? o->uni_ascii_size : o->uni_compact_size);
	uint64_t a = img_alloc(m, hdr + n * (size_t)kind + 4);
	int64_t len = (int64_t)n;
	uint32_t st = (uint32_t)kind << 2 | 1u << 5 | (ascii ? 1u << 6 : 0) | 1u << 7;
	img_put(m, a, o->uni_length, &len, 8);
	img_put(m, a, o->uni_state, &st, 4);
	img_ptr(m, a, o->ob_type, FAKE_STR_TYPE);
	img_put(m, a, (int32_t)hdr, chars, n * (size_t)kind);
	return a;
}

static uint64_t mk_ascii(struct img *m, const char *s)
{
	return mk_str(m, s, strlen(s), 1);
}

static uint64_t mk_bytes(struct img *m, const uint8_t *b, size_t n)
{
	uint64_t a = img_alloc(m, (size_t)m->o->bytes_sval + n + 1);
	int64_t len = (int64_t)n;
	img_put(m, a, m->o->bytes_size, &len, 8);
	img_put(m, a, m->o->bytes_sval, b, n);
	return a;
}

/* A code object whose line table maps every instruction from byte offset
 * 2*k onward (k = at) to firstlineno + delta; earlier ones to firstlineno. */
static uint64_t mk_code(struct img *m, int minor, uint64_t name, uint64_t qualname, uint64_t file, int first,
			int at, int delta)
{
	const struct py_offsets *o = m->o;
	uint8_t tab[8];
	size_t tn;
	if (minor <= 9) { /* lnotab: (2*at bytes, +delta) */
		tab[0] = (uint8_t)(2 * at), tab[1] = (uint8_t)delta, tn = 2;
	} else if (minor == 10) { /* [0,2at) first, then [2at, 2at+64) first+delta */
		tab[0] = (uint8_t)(2 * at), tab[1] = 0, tab[2] = 64, tab[3] = (uint8_t)delta, tn = 4;
	} else { /* at units on firstlineno, then 8 units at +delta */
		tab[0] = (uint8_t)(0x80 | 13 << 3 | (at - 1)), tab[1] = 0;
		tab[2] = (uint8_t)(0x80 | 13 << 3 | 7), tab[3] = (uint8_t)(delta * 2), tn = 4;
	}
	uint64_t lt = mk_bytes(m, tab, tn);
	size_t size = (size_t)(o->co_code_adaptive > 0 ? o->co_code_adaptive + 64 : 200);
	uint64_t c = img_alloc(m, size);
	int32_t fl = first;
	img_ptr(m, c, o->co_name, name);
	img_ptr(m, c, o->co_filename, file);
	if (o->co_qualname >= 0)
		img_ptr(m, c, o->co_qualname, qualname);
	img_ptr(m, c, o->co_linetable, lt);
	img_put(m, c, o->co_firstlineno, &fl, 4);
	if (o->co_firsttraceable >= 0) {
		int32_t ft = 1;
		img_put(m, c, o->co_firsttraceable, &ft, 4);
	}
	return c;
}

/* A frame running instruction `unit` (code units) of code, previous prev. */
static uint64_t mk_frame(struct img *m, int minor, uint64_t code, int unit, uint64_t prev, int owner, bool entry)
{
	const struct py_offsets *o = m->o;
	uint64_t f = img_alloc(m, 160);
	img_ptr(m, f, o->fr_code, code);
	img_ptr(m, f, o->fr_previous, prev);
	if (minor <= 10) {
		int32_t lasti = minor == 10 ? unit : 2 * unit;
		img_put(m, f, o->fr_lasti, &lasti, 4);
	} else {
		img_ptr(m, f, o->fr_lasti, code + (uint64_t)o->co_code_adaptive + 2 * (uint64_t)unit);
		char ow = (char)owner;
		img_put(m, f, o->fr_owner, &ow, 1);
		if (o->fr_is_entry >= 0) {
			char e = entry;
			img_put(m, f, o->fr_is_entry, &e, 1);
		}
	}
	return f;
}

/* A thread state whose current frame is frame; returns it. */
static uint64_t mk_tstate(struct img *m, int minor, uint64_t frame, uint32_t tid, uint64_t next)
{
	const struct py_offsets *o = m->o;
	uint64_t ts = img_alloc(m, 512);
	if (o->cf_current_frame >= 0) {
		uint64_t cf = img_alloc(m, 64);
		img_ptr(m, cf, o->cf_current_frame, frame);
		img_ptr(m, ts, o->ts_frame, cf);
	} else {
		img_ptr(m, ts, o->ts_frame, frame);
	}
	img_ptr(m, ts, o->ts_next, next);
	uint64_t pth = img_alloc(m, PY_GLIBC_PTHREAD_TID + 8);
	img_ptr(m, ts, o->ts_thread_id, pth);
	if (o->ts_native_thread_id >= 0)
		img_ptr(m, ts, o->ts_native_thread_id, tid);
	else
		img_put(m, pth, PY_GLIBC_PTHREAD_TID, &tid, 4);
	(void)minor;
	return ts;
}

struct world {
	struct img m;
	struct python_target t;
	uint64_t interp, ts_main, ts_worker, f_inner;
};

/* Two threads: main runs outer() -> inner() (inner entered from C), the
 * worker runs work() (with a non-ASCII name); the worker holds the GIL. */
static void build_world(struct world *w, int minor)
{
	struct img *m = &w->m;
	img_init(m, minor);
	const struct py_offsets *o = m->o;
	uint64_t file = mk_ascii(m, "/srv/app.py");
	const uint16_t wname[] = { 'w', 0x3bb, 'r', 'k' }; /* wλrk */
	uint64_t c_outer = mk_code(m, minor, mk_ascii(m, "outer"), mk_ascii(m, "Job.outer"), file, 10, 3, 2);
	uint64_t c_inner = mk_code(m, minor, mk_ascii(m, "inner"), mk_ascii(m, "inner"), file, 20, 2, 5);
	uint64_t wn = mk_str(m, wname, 4, 2);
	uint64_t c_work = mk_code(m, minor, wn, wn, mk_str(m, "/srv/caf\xe9.py", 12, 1), 30, 2, 1);
	uint64_t f_outer = mk_frame(m, minor, c_outer, 4, 0, PY_FRAME_OWNED_BY_THREAD, true);
	uint64_t below_inner = f_outer;
	if (minor >= 12) /* the evaluator's shim between a C call and inner() */
		below_inner = mk_frame(m, minor, c_outer, 0, f_outer, PY_FRAME_OWNED_BY_CSTACK, false);
	w->f_inner = mk_frame(m, minor, c_inner, 3, below_inner, PY_FRAME_OWNED_BY_THREAD, true);
	uint64_t f_work = mk_frame(m, minor, c_work, 5, 0, PY_FRAME_OWNED_BY_GENERATOR, false);
	w->ts_worker = mk_tstate(m, minor, f_work, 4242, 0);
	w->ts_main = mk_tstate(m, minor, w->f_inner, 4241, w->ts_worker);
	w->interp = img_alloc(m, 8192);
	img_ptr(m, w->interp, o->is_tstate_head, w->ts_main);
	img_ptr(m, w->interp, o->is_next, 0);
	uint64_t runtime = IMG_BASE, interp_head = 0, tcur = 0;
	if (minor == 6) {
		interp_head = img_alloc(m, 8);
		tcur = img_alloc(m, 8);
		img_ptr(m, interp_head, 0, w->interp);
		img_ptr(m, tcur, 0, w->ts_worker);
	} else {
		img_ptr(m, runtime, o->rt_interp_head, w->interp);
	}
	if (o->rt_gil_tstate >= 0)
		img_ptr(m, runtime, o->rt_gil_tstate, w->ts_worker);
	if (o->is_gil_ptr >= 0) {
		uint64_t gil = img_alloc(m, 64);
		int32_t locked = 1;
		img_ptr(m, w->interp, o->is_gil_ptr, gil);
		img_put(m, gil, o->gil_locked, &locked, 4);
		img_ptr(m, gil, o->gil_holder, w->ts_worker);
	}
	if (minor == 13) { /* the debug offsets sit at the start of _PyRuntime */
		uint8_t b[PY_DEBUG_OFFSETS_SIZE];
		make_debug_block(b, 0x030d02f0, 0);
		/* rt_interp_head (632) lies past the block: no overlap. */
		img_put(m, runtime, 0, b, sizeof(b));
	}
	struct strbuf err;
	strbuf_init(&err);
	int rc = python_target_init(&w->t, 3, minor, minor == 6 ? 0 : runtime, interp_head, tcur, img_read, m, &err);
	if (rc < 0)
		fail_msg("python_target_init 3.%d: %s", minor, err.buf);
	strbuf_release(&err);
}

static void world_free(struct world *w)
{
	free(w->m.mem);
}

static void check_world(int minor)
{
	struct world w;
	build_world(&w, minor);
	struct py_stacks s;
	assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, NULL, &s), 0);
	assert_false(s.truncated);
	assert_int_equal(s.nthreads, 2);
	struct py_thread *a = &s.threads[0], *b = &s.threads[1];
	assert_int_equal(a->tid, 4241);
	assert_int_equal(b->tid, 4242);
	assert_int_equal(a->tid_from_pthread, minor <= 10);
	if (a->truncated)
		fail_msg("3.%d main truncated after %zu frames", minor, a->nframes);
	assert_int_equal(a->nframes, 2);
	assert_string_equal(a->frames[0].name, "inner");
	assert_string_equal(a->frames[0].file, "/srv/app.py");
	assert_int_equal(a->frames[0].line, 25);
	assert_string_equal(a->frames[1].name, minor >= 11 ? "Job.outer" : "outer");
	assert_string_equal(a->frames[1].co_name, "outer");
	assert_int_equal(a->frames[1].line, 12);
	/* inner was entered from C in every version; outer only by its own
	 * entry flag (3.11), or always (<= 3.10: one C call per frame). */
	assert_true(a->frames[0].is_entry);
	assert_int_equal(b->nframes, 1);
	assert_string_equal(b->frames[0].name, "w\xce\xbbrk");
	assert_string_equal(b->frames[0].file, "/srv/caf\xc3\xa9.py");
	assert_int_equal(b->frames[0].line, 31);
	assert_true(s.gil_known);
	assert_false(a->holds_gil);
	assert_true(b->holds_gil);
	python_stacks_release(&s);
	world_free(&w);
}

static void test_walk_36(void **state) { (void)state; check_world(6); }
static void test_walk_37(void **state) { (void)state; check_world(7); }
static void test_walk_38(void **state) { (void)state; check_world(8); }
static void test_walk_39(void **state) { (void)state; check_world(9); }
static void test_walk_310(void **state) { (void)state; check_world(10); }
static void test_walk_311(void **state) { (void)state; check_world(11); }
static void test_walk_312(void **state) { (void)state; check_world(12); }
static void test_walk_313(void **state) { (void)state; check_world(13); }

/* One thread by its OS tid (what a sampler holding that thread stopped
 * reads): the same frames as the whole walk gives it; an unknown tid is
 * -ESRCH. */
static void test_read_thread(void **state)
{
	(void)state;
	for (int minor = 6; minor <= 13; minor++) {
		struct world w;
		build_world(&w, minor);
		struct py_thread th;
		assert_int_equal(python_read_thread(&w.t, img_read, &w.m, NULL, 4242, &th), 0);
		assert_int_equal(th.tid, 4242);
		assert_int_equal(th.nframes, 1);
		assert_string_equal(th.frames[0].name, "w\xce\xbbrk");
		assert_true(th.holds_gil);
		python_thread_release(&th);
		assert_int_equal(python_read_thread(&w.t, img_read, &w.m, NULL, 4241, &th), 0);
		assert_int_equal(th.nframes, 2);
		assert_string_equal(th.frames[1].co_name, "outer");
		python_thread_release(&th);
		assert_int_equal(python_read_thread(&w.t, img_read, &w.m, NULL, 999, &th), -ESRCH);
		assert_int_equal(th.nframes, 0);
		world_free(&w);
	}
}

/* Where the GIL's struct is, per version: 3.7-3.11 inside _PyRuntime, 3.12+
 * behind the interpreter's ceval.gil pointer, 3.6 its static variables. */
static void test_gil_range(void **state)
{
	(void)state;
	for (int minor = 6; minor <= 13; minor++) {
		struct world w;
		build_world(&w, minor);
		const struct py_offsets *o = w.m.o;
		uint64_t a, b;
		if (minor == 6) {
			assert_int_equal(python_gil_range(&w.t, img_read, &w.m, &a, &b), -ENOENT);
			w.t.gil36[0] = IMG_BASE + 0x800;
			w.t.gil36[1] = IMG_BASE + 0x8f0;
			assert_int_equal(python_gil_range(&w.t, img_read, &w.m, &a, &b), 0);
			assert_true(a == IMG_BASE + 0x800 && b == IMG_BASE + 0x8f0);
		} else if (minor <= 11) {
			assert_int_equal(python_gil_range(&w.t, img_read, &w.m, &a, &b), 0);
			assert_true(a == IMG_BASE + (uint64_t)o->rt_gil && b == a + 208);
		} else {
			uint64_t gil;
			memcpy(&gil, w.m.mem + (w.interp - IMG_BASE) + o->is_gil_ptr, 8);
			assert_int_equal(python_gil_range(&w.t, img_read, &w.m, &a, &b), 0);
			assert_true(a == gil && b == gil + 208);
			/* not set yet, or a pointer that wraps: not known */
			img_ptr(&w.m, w.interp, o->is_gil_ptr, 0);
			assert_int_equal(python_gil_range(&w.t, img_read, &w.m, &a, &b), -ENOENT);
			img_ptr(&w.m, w.interp, o->is_gil_ptr, UINT64_MAX - 16);
			assert_int_equal(python_gil_range(&w.t, img_read, &w.m, &a, &b), -EFAULT);
		}
		world_free(&w);
	}
}

/* The evaluation function's ranges, [start, end), the .cold part too. */
static void test_is_eval_pc(void **state)
{
	(void)state;
	struct python_target t;
	memset(&t, 0, sizeof(t));
	assert_false(python_is_eval_pc(&t, 0));
	assert_false(python_is_eval_pc(&t, 0x1000));
	t.eval[0][0] = 0x1000;
	t.eval[0][1] = 0x1800;
	t.eval[1][0] = 0x400;
	t.eval[1][1] = 0x410;
	assert_true(python_is_eval_pc(&t, 0x1000));
	assert_true(python_is_eval_pc(&t, 0x17ff));
	assert_false(python_is_eval_pc(&t, 0x1800));
	assert_true(python_is_eval_pc(&t, 0x40f));
	assert_false(python_is_eval_pc(&t, 0x410));
	assert_false(python_is_eval_pc(&t, 0xfff));
}

/* The code cache gives the same frames with fewer reads, and follows a code
 * object whose name object changed. */
static void test_walk_cache(void **state)
{
	(void)state;
	for (int minor = 6; minor <= 13; minor++) {
		struct world w;
		build_world(&w, minor);
		struct py_code_cache *c = python_cache_new();
		struct py_stacks a, b;
		w.m.reads = 0;
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, c, &a), 0);
		unsigned first = w.m.reads;
		w.m.reads = 0;
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, c, &b), 0);
		unsigned second = w.m.reads;
		/* three frames, each saving its name, file and line table (two
		 * reads each: header, then payload) */
		if (first < second + 3 * 6)
			fail_msg("3.%d: %u reads with the cache, %u without", minor, second, first);
		uint64_t hits, misses;
		python_cache_stats(c, &hits, &misses);
		assert_int_equal(misses, 3);
		assert_int_equal(hits, 3);
		assert_int_equal(a.nthreads, b.nthreads);
		for (size_t i = 0; i < a.nthreads; i++) {
			assert_int_equal(a.threads[i].nframes, b.threads[i].nframes);
			for (size_t j = 0; j < a.threads[i].nframes; j++) {
				assert_string_equal(a.threads[i].frames[j].name, b.threads[i].frames[j].name);
				assert_string_equal(a.threads[i].frames[j].file, b.threads[i].frames[j].file);
				assert_int_equal(a.threads[i].frames[j].line, b.threads[i].frames[j].line);
			}
		}
		python_stacks_release(&b);
		/* A new name object in inner's code: read again. */
		uint64_t code;
		memcpy(&code, w.m.mem + (w.f_inner - IMG_BASE) + w.m.o->fr_code, 8);
		uint64_t nn = mk_ascii(&w.m, "renamed");
		img_ptr(&w.m, code, w.m.o->co_name, nn);
		if (w.m.o->co_qualname >= 0)
			img_ptr(&w.m, code, w.m.o->co_qualname, nn);
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, c, &b), 0);
		assert_string_equal(b.threads[0].frames[0].name, "renamed");
		assert_string_equal(b.threads[0].frames[1].name, a.threads[0].frames[1].name);
		python_stacks_release(&a);
		python_stacks_release(&b);
		python_cache_free(c);
		world_free(&w);
	}
}

/* A 3.11+ frame that has not reached its first traceable instruction is
 * skipped like CPython does, unless it is alone in its native evaluation
 * frame (then it keeps the merge's count right, at its def line). */
static void test_walk_incomplete(void **state)
{
	(void)state;
	for (int minor = 11; minor <= 13; minor++) {
		struct world w;
		build_world(&w, minor);
		const struct py_offsets *o = w.m.o;
		uint64_t code, below;
		memcpy(&code, w.m.mem + (w.f_inner - IMG_BASE) + o->fr_code, 8);
		memcpy(&below, w.m.mem + (w.f_inner - IMG_BASE) + o->fr_previous, 8);
		img_ptr(&w.m, w.f_inner, o->fr_lasti, code + (uint64_t)o->co_code_adaptive);
		struct py_stacks s;
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, NULL, &s), 0);
		assert_int_equal(s.threads[0].nframes, 2);
		assert_string_equal(s.threads[0].frames[0].name, "inner");
		assert_int_equal(s.threads[0].frames[0].line, 20);
		assert_true(s.threads[0].frames[0].is_entry);
		python_stacks_release(&s);
		/* called from Python instead: skipped */
		if (minor == 11) {
			char no = 0;
			img_put(&w.m, w.f_inner, o->fr_is_entry, &no, 1);
		} else {
			uint64_t outer;
			memcpy(&outer, w.m.mem + (below - IMG_BASE) + o->fr_previous, 8);
			img_ptr(&w.m, w.f_inner, o->fr_previous, outer);
		}
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, NULL, &s), 0);
		assert_int_equal(s.threads[0].nframes, 1);
		assert_string_equal(s.threads[0].frames[0].co_name, "outer");
		python_stacks_release(&s);
		world_free(&w);
	}
}

/* 3.12+: a thread caught while its evaluator enters or leaves a call made
 * from C has a shim on top of its chain: an empty innermost activation. */
static void test_walk_shim_on_top(void **state)
{
	(void)state;
	for (int minor = 11; minor <= 13; minor++) {
		struct world w;
		build_world(&w, minor);
		const struct py_offsets *o = w.m.o;
		uint64_t code;
		memcpy(&code, w.m.mem + (w.f_inner - IMG_BASE) + o->fr_code, 8);
		uint64_t shim = mk_frame(&w.m, minor, code, 0, w.f_inner, PY_FRAME_OWNED_BY_CSTACK, false);
		uint64_t cf = w.ts_main;
		if (o->cf_current_frame >= 0)
			memcpy(&cf, w.m.mem + (w.ts_main - IMG_BASE) + o->ts_frame, 8);
		img_ptr(&w.m, cf, o->cf_current_frame >= 0 ? o->cf_current_frame : o->ts_frame, shim);
		struct py_thread th;
		assert_int_equal(python_read_thread(&w.t, img_read, &w.m, NULL, 4241, &th), 0);
		if (minor >= 12) {
			assert_true(th.shim_on_top);
			assert_int_equal(th.nframes, 2);
			assert_string_equal(th.frames[0].name, "inner");
			/* the shim, inner, outer: three evaluation frames' worth */
			assert_int_equal(python_activations(&th), 3);
		} else {
			/* 3.11 has no shims: the frame is read as it is */
			assert_false(th.shim_on_top);
		}
		python_thread_release(&th);
		world_free(&w);
	}
}

/* A frame chain that loops ends at the bound, marked truncated. */
static void test_walk_cycle_bounded(void **state)
{
	(void)state;
	for (int minor = 9; minor <= 12; minor += 3) {
		struct world w;
		build_world(&w, minor);
		/* inner's previous -> inner */
		img_ptr(&w.m, w.f_inner, w.m.o->fr_previous, w.f_inner);
		struct py_stacks s;
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, NULL, &s), 0);
		assert_true(s.threads[0].truncated);
		assert_int_equal(s.threads[0].nframes, PY_MAX_FRAMES);
		assert_false(s.threads[1].truncated);
		python_stacks_release(&s);
		/* a thread list that loops onto itself ends at its bound too */
		img_ptr(&w.m, w.ts_worker, w.m.o->ts_next, w.ts_main);
		img_ptr(&w.m, w.f_inner, w.m.o->fr_previous, 0);
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, NULL, &s), 0);
		assert_true(s.truncated);
		assert_int_equal(s.nthreads, PY_MAX_THREADS);
		python_stacks_release(&s);
		/* both at once: the whole walk stops at its frame budget */
		img_ptr(&w.m, w.f_inner, w.m.o->fr_previous, w.f_inner);
		w.m.reads = 0;
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, NULL, &s), 0);
		size_t total = 0;
		for (size_t i = 0; i < s.nthreads; i++)
			total += s.threads[i].nframes;
		assert_true(total <= PY_MAX_TOTAL_FRAMES);
		assert_true(s.threads[s.nthreads - 1].truncated);
		/* bounded reads too: a few per frame and per thread */
		assert_true(w.m.reads < 16 * PY_MAX_TOTAL_FRAMES + 16 * PY_MAX_THREADS);
		python_stacks_release(&s);
		world_free(&w);
	}
}

/* Memory that vanished under us (a freed frame): the innermost frames read
 * before it stay, the thread is marked truncated, the other threads are whole. */
static void test_walk_unreadable(void **state)
{
	(void)state;
	for (int minor = 6; minor <= 13; minor++) {
		struct world w;
		build_world(&w, minor);
		uint64_t outer;
		memcpy(&outer, w.m.mem + (w.f_inner - IMG_BASE) + w.m.o->fr_previous, 8);
		w.m.hole_start = outer;
		w.m.hole_end = outer + 160;
		struct py_stacks s;
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, NULL, &s), 0);
		assert_int_equal(s.nthreads, 2);
		assert_true(s.threads[0].truncated);
		assert_int_equal(s.threads[0].nframes, 1);
		assert_string_equal(s.threads[0].frames[0].name, "inner");
		assert_false(s.threads[1].truncated);
		python_stacks_release(&s);
		/* no interpreter at all */
		w.m.hole_start = IMG_BASE;
		w.m.hole_end = IMG_BASE + IMG_SIZE;
		assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, NULL, &s), -EFAULT);
		assert_int_equal(s.nthreads, 0);
		world_free(&w);
	}
}

/* Strings that are not compact, of an impossible kind, or huge: "?" or a
 * bounded prefix, never an overread. */
static void test_walk_bad_strings(void **state)
{
	(void)state;
	struct world w;
	build_world(&w, 11);
	const struct py_offsets *o = w.m.o;
	uint64_t code;
	memcpy(&code, w.m.mem + (w.f_inner - IMG_BASE) + o->fr_code, 8);
	uint64_t qn;
	memcpy(&qn, w.m.mem + (code - IMG_BASE) + o->co_qualname, 8);
	uint32_t st = 3u << 2 | 1u << 5; /* kind 3 */
	img_put(&w.m, qn, o->uni_state, &st, 4);
	uint64_t fn;
	memcpy(&fn, w.m.mem + (code - IMG_BASE) + o->co_filename, 8);
	int64_t huge = (int64_t)1 << 40;
	img_put(&w.m, fn, o->uni_length, &huge, 8);
	struct py_stacks s;
	assert_int_equal(python_read_stacks(&w.t, img_read, &w.m, NULL, &s), 0);
	/* qualname unreadable: co_name stands in */
	assert_string_equal(s.threads[0].frames[0].name, "inner");
	/* the file's length is capped at PY_MAX_NAME characters (what follows
	 * the real name in the image is read as latin-1, NULs as U+FFFD: up to
	 * 3 bytes each) */
	assert_true(strlen(s.threads[0].frames[0].file) >= PY_MAX_NAME);
	assert_true(strlen(s.threads[0].frames[0].file) <= 3 * PY_MAX_NAME);
	assert_int_equal(strncmp(s.threads[0].frames[0].file, "/srv/app.py", 11), 0);
	python_stacks_release(&s);
	world_free(&w);
}

/* An unknown version or a 3.13 block that is not 3.13 is refused. */
static void test_target_refuses(void **state)
{
	(void)state;
	struct python_target t;
	struct strbuf err;
	strbuf_init(&err);
	struct img m;
	img_init(&m, 13);
	assert_int_equal(python_target_init(&t, 3, 14, IMG_BASE, 0, 0, img_read, &m, &err), -ENOTSUP);
	assert_non_null(strstr(err.buf, "3.14 is not supported"));
	strbuf_reset(&err);
	uint8_t b[PY_DEBUG_OFFSETS_SIZE];
	make_debug_block(b, 0x030d00f0, 1);
	memcpy(m.mem, b, sizeof(b));
	assert_int_equal(python_target_init(&t, 3, 13, IMG_BASE, 0, 0, img_read, &m, &err), -ENOTSUP);
	assert_non_null(strstr(err.buf, "free-threaded"));
	strbuf_reset(&err);
	assert_int_equal(python_target_init(&t, 3, 6, 0, 0, 0, img_read, &m, &err), -ENOTSUP);
	strbuf_release(&err);
	free(m.mem);
}

/* ---- merging with native stacks ---- */

/* ---- thread names: threading._active through sys.modules ---- */

/* A dict keys object of n entries (keys[i] -> vals[i], vals NULL for a
 * split table whose values live apart); kind 0 general, 1 unicode, 2 split
 * (3.11+; older versions have one layout). */
static uint64_t mk_keys(struct img *m, int minor, int kind, size_t n, const uint64_t *keys, const uint64_t *vals)
{
	size_t size = 16; /* 1-byte indices: the reader never uses them */
	assert_true(n <= 10);
	if (minor <= 10) {
		uint64_t k = img_alloc(m, 40 + size + n * 24);
		int64_t hdr[5] = { 1, (int64_t)size, 0, (int64_t)(size * 2 / 3 - n), (int64_t)n };
		img_put(m, k, 0, hdr, sizeof(hdr));
		for (size_t i = 0; i < n; i++) {
			uint64_t e[3] = { 0x1234 + i, keys[i], vals ? vals[i] : 0 };
			img_put(m, k, (int32_t)(40 + size + i * 24), e, sizeof(e));
		}
		return k;
	}
	size_t esize = kind == 0 ? 24 : 16;
	uint64_t k = img_alloc(m, 32 + size + n * esize);
	uint8_t b[32] = { 1 };
	int64_t nent = (int64_t)n;
	b[8] = 4; /* log2 size */
	b[9] = 4; /* log2 index bytes */
	b[10] = (uint8_t)kind;
	memcpy(b + 24, &nent, 8);
	img_put(m, k, 0, b, sizeof(b));
	for (size_t i = 0; i < n; i++) {
		uint64_t e[3] = { 0x1234 + i, keys[i], vals ? vals[i] : 0 };
		img_put(m, k, (int32_t)(32 + size + i * esize), kind == 0 ? e : e + 1, esize);
	}
	return k;
}

/* A values array (3.13: after its 4-byte header and padding). */
static uint64_t mk_values(struct img *m, int minor, size_t n, const uint64_t *vals)
{
	size_t pre = minor >= 13 ? 8 : 0;
	uint64_t a = img_alloc(m, pre + n * 8);
	if (pre) {
		uint8_t hdr[4] = { (uint8_t)n, (uint8_t)n, 1, 1 };
		img_put(m, a, 0, hdr, 4);
	}
	img_put(m, a, (int32_t)pre, vals, n * 8);
	return a;
}

static uint64_t mk_dict(struct img *m, uint64_t keys, uint64_t values)
{
	uint64_t d = img_alloc(m, 48);
	img_ptr(m, d, 32, keys);
	img_ptr(m, d, 40, values);
	return d;
}

static uint64_t mk_long(struct img *m, int minor, uint64_t v)
{
	uint64_t a = img_alloc(m, 40);
	uint32_t d[3] = { (uint32_t)(v & 0x3fffffff), (uint32_t)(v >> 30 & 0x3fffffff), (uint32_t)(v >> 60) };
	uint64_t n = d[2] ? 3 : d[1] ? 2 : d[0] ? 1 : 0;
	uint64_t size = minor >= 12 ? (n << 3 | (v ? 0 : 1)) : n;
	img_ptr(m, a, 16, size);
	img_put(m, a, 24, d, sizeof(d));
	img_ptr(m, a, m->o->ob_type, FAKE_INT_TYPE);
	return a;
}

/* A threading.Thread instance holding _name, _ident and (3.8+) _native_id
 * the way 3.MINOR keeps an instance's attributes: a dict at tp_dictoffset
 * (up to 3.10), split values before the object (3.11, 3.12: tagged) or
 * inline after it (3.13); materialized: a dict at the managed pointer. */
static uint64_t mk_thread(struct img *m, int minor, const char *name, uint64_t ident, uint32_t tid, bool materialized)
{
	uint64_t keys[3] = { mk_ascii(m, "_name"), mk_ascii(m, "_ident"), mk_ascii(m, "_native_id") };
	uint64_t vals[3] = { mk_str(m, name, strlen(name), 1), mk_long(m, minor, ident), mk_long(m, minor, tid) };
	size_t n = minor >= 8 ? 3 : 2;
	uint64_t type = img_alloc(m, 1024);
	uint64_t obj = img_alloc(m, 128) + 32; /* room for the pre-header and inline values */
	img_ptr(m, obj, 8, type);
	if (minor <= 10) {
		int64_t off = 16;
		img_ptr(m, type, 168, 1ul << 9);
		img_put(m, type, 288, &off, 8);
		img_ptr(m, obj, 16, mk_dict(m, mk_keys(m, minor, 1, n, keys, vals), 0));
		return obj;
	}
	img_ptr(m, type, 168, 1ul << 9 | 1ul << 4 | (minor >= 13 ? 1ul << 2 : 0));
	int64_t basic = 16;
	img_put(m, type, 32, &basic, 8);
	uint64_t shared = mk_keys(m, minor, 2, n, keys, NULL);
	img_ptr(m, type, m->o->ht_cached_keys, shared);
	if (materialized) {
		img_ptr(m, obj - 24, 0, mk_dict(m, shared, mk_values(m, minor, n, vals)));
	} else if (minor == 11) {
		img_ptr(m, obj - 32, 0, mk_values(m, minor, n, vals));
	} else if (minor == 12) {
		img_ptr(m, obj - 24, 0, mk_values(m, minor, n, vals) - 1);
	} else {
		/* inline: the values follow the object's basic size */
		uint64_t inl = obj + 16;
		uint8_t hdr[4] = { (uint8_t)n, (uint8_t)n, 1, 1 };
		img_put(m, inl, 0, hdr, 4);
		img_put(m, inl, 8, vals, n * 8);
	}
	return obj;
}

/* The world's interpreter gets sys.modules with threading, whose _active
 * holds MainThread (tid 4241) and "wrk-λ" (4242, its dict materialized).
 * Returns the address of the second name. */
static uint64_t add_threading(struct world *w, int minor)
{
	struct img *m = &w->m;
	uint64_t pth[2];
	uint32_t tids[2] = { 4241, 4242 };
	for (int i = 0; i < 2; i++) { /* glibc's struct pthread: the ident */
		pth[i] = img_alloc(m, PY_GLIBC_PTHREAD_TID + 8);
		img_put(m, pth[i], PY_GLIBC_PTHREAD_TID, &tids[i], 4);
	}
	uint64_t th[2] = { mk_thread(m, minor, "MainThread", pth[0], 4241, false),
			   mk_thread(m, minor, "wrk-\xce\xbb", pth[1], 4242, true) };
	/* The name as UTF-8 bytes is not a latin-1 str: make it one. */
	const uint16_t wl[] = { 'w', 'r', 'k', '-', 0x3bb };
	uint64_t name2 = mk_str(m, wl, 5, 2);
	uint64_t k[2] = { mk_long(m, minor, pth[0]), mk_long(m, minor, pth[1]) };
	uint64_t active = mk_dict(m, mk_keys(m, minor, 0, 2, k, th), 0);
	uint64_t mk[3] = { mk_ascii(m, "_shutdown"), mk_ascii(m, "_active"), mk_ascii(m, "_limbo") };
	uint64_t mv[3] = { 1 + IMG_BASE, active, 2 + IMG_BASE };
	uint64_t module = img_alloc(m, 32);
	img_ptr(m, module, 16, mk_dict(m, mk_keys(m, minor, 1, 3, mk, mv), 0));
	uint64_t sk[3] = { mk_ascii(m, "sys"), mk_ascii(m, "threadingx"), mk_ascii(m, "threading") };
	uint64_t sv[3] = { IMG_BASE + 64, IMG_BASE + 128, module };
	img_ptr(m, w->interp, m->o->is_modules, mk_dict(m, mk_keys(m, minor, 1, 3, sk, sv), 0));
	/* Point the second thread's _name at the UCS-2 string. */
	uint64_t obj = th[1], dict, keys, values;
	assert_int_equal(img_read(m, obj + (minor <= 10 ? 16 : (uint64_t)-24), &dict, 8), 0);
	assert_int_equal(img_read(m, dict + 32, &keys, 8), 0);
	assert_int_equal(img_read(m, dict + 40, &values, 8), 0);
	if (values)
		img_ptr(m, values + (minor >= 13 ? 8 : 0), 0, name2);
	else
		img_ptr(m, keys, (int32_t)(40 + 16 + 16), name2); /* entry 0's value (hash, key, value) */
	return name2;
}

static void check_names(int minor)
{
	struct world w;
	build_world(&w, minor);
	uint64_t name2 = add_threading(&w, minor);
	struct py_names n;
	assert_int_equal(python_read_names(&w.t, img_read, &w.m, NULL, &n), 0);
	if (n.n != 2)
		fail_msg("3.%d: %zu names", minor, n.n);
	assert_int_equal(n.v[0].tid, 4241);
	assert_string_equal(n.v[0].name, "MainThread");
	assert_int_equal(n.v[1].tid, 4242);
	assert_string_equal(n.v[1].name, "wrk-\xce\xbb");
	python_names_release(&n);

	/* Read again from the places found: the same names in fewer reads;
	 * a hint that points at the wrong entries still finds them. */
	struct py_names_hint hint = { 0, 0, 0, 0 };
	w.m.reads = 0;
	assert_int_equal(python_read_names(&w.t, img_read, &w.m, &hint, &n), 0);
	unsigned cold = w.m.reads;
	assert_int_equal(hint.modules_ix, 3);
	assert_int_equal(hint.active_ix, 2);
	python_names_release(&n);
	w.m.reads = 0;
	assert_int_equal(python_read_names(&w.t, img_read, &w.m, &hint, &n), 0);
	assert_true(w.m.reads < cold);
	assert_int_equal(n.n, 2);
	python_names_release(&n);
	hint.modules_ix = 1;
	hint.active_ix = 9;
	assert_int_equal(python_read_names(&w.t, img_read, &w.m, &hint, &n), 0);
	assert_int_equal(n.n, 2);
	assert_string_equal(n.v[0].name, "MainThread");
	assert_int_equal(hint.modules_ix, 3);
	python_names_release(&n);

	/* A _name that is not a str (its type another's): that thread is
	 * left out, the other kept. */
	img_ptr(&w.m, name2, w.m.o->ob_type, FAKE_INT_TYPE);
	assert_int_equal(python_read_names(&w.t, img_read, &w.m, NULL, &n), 0);
	assert_int_equal(n.n, 1);
	assert_string_equal(n.v[0].name, "MainThread");
	python_names_release(&n);
	img_ptr(&w.m, name2, w.m.o->ob_type, FAKE_STR_TYPE);

	/* A corrupt _active (entry count past its table) is refused, and an
	 * unreadable sys.modules gives an error: never a wild read. */
	uint64_t dict, keys;
	assert_int_equal(img_read(&w.m, w.interp + (uint64_t)w.m.o->is_modules, &dict, 8), 0);
	assert_int_equal(img_read(&w.m, dict + 32, &keys, 8), 0);
	int64_t huge = 1 << 30;
	int64_t saved;
	int32_t at = minor <= 10 ? 32 : 24;
	assert_int_equal(img_read(&w.m, keys + (uint64_t)at, &saved, 8), 0);
	img_put(&w.m, keys, at, &huge, 8);
	assert_true(python_read_names(&w.t, img_read, &w.m, NULL, &n) < 0);
	assert_int_equal(n.n, 0);
	img_put(&w.m, keys, at, &saved, 8);
	assert_int_equal(python_read_names(&w.t, img_read, &w.m, NULL, &n), 0);
	python_names_release(&n);
	w.m.hole_start = dict;
	w.m.hole_end = dict + 48;
	assert_int_equal(python_read_names(&w.t, img_read, &w.m, NULL, &n), -EFAULT);
	world_free(&w);
}

static void test_names(void **state)
{
	(void)state;
	for (int minor = 6; minor <= 13; minor++)
		check_names(minor);
}

static struct py_frame mkpf(const char *name, bool entry)
{
	struct py_frame f = { 0 };
	f.name = (char *)name;
	f.is_entry = entry;
	return f;
}

/* "n3" for native frame 3, "p1" for Python frame 1, space-separated. */
static char *merged_str(const struct py_merged *m, size_t k)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < k; i++)
		strbuf_addf(&sb, "%s%c%u", i ? " " : "", m[i].python ? 'p' : 'n', m[i].index);
	return strbuf_detach(&sb);
}

static void test_merge(void **state)
{
	(void)state;
	assert_true(python_is_eval_frame("_PyEval_EvalFrameDefault"));
	assert_true(python_is_eval_frame("_PyEval_EvalFrameDefault.cold"));
	assert_false(python_is_eval_frame("_PyEval_EvalFrame"));
	assert_false(python_is_eval_frame("_PyEval_EvalFrameDefaultX"));
	assert_false(python_is_eval_frame(NULL));

	struct py_frame f3[] = { mkpf("f", false), mkpf("g", true), mkpf("h", true) };
	struct py_thread th = { .frames = f3, .nframes = 3 };
	struct py_merged out[16];
	bool partial;
	/* malloc, eval, PyObject_Call, eval, main */
	const bool nat[] = { false, true, false, true, false };
	size_t k = python_merge(nat, 5, &th, out, 16, &partial);
	char *s = merged_str(out, k);
	assert_string_equal(s, "n0 p0 p1 n2 p2 n4");
	assert_false(partial);
	free(s);

	/* One evaluation frame for two activations: both go there. */
	const bool one[] = { true, false };
	k = python_merge(one, 2, &th, out, 16, &partial);
	s = merged_str(out, k);
	assert_string_equal(s, "p0 p1 p2 n1");
	assert_true(partial);
	free(s);

	/* Three evaluation frames for two activations: the innermost stays native. */
	const bool three[] = { true, false, true, true, false };
	k = python_merge(three, 5, &th, out, 16, &partial);
	s = merged_str(out, k);
	assert_string_equal(s, "n0 n1 p0 p1 p2 n4");
	assert_true(partial);
	free(s);

	/* No evaluation frame reached: Python frames go outermost. */
	const bool none[] = { false, false };
	k = python_merge(none, 2, &th, out, 16, &partial);
	s = merged_str(out, k);
	assert_string_equal(s, "n0 n1 p0 p1 p2");
	assert_true(partial);
	free(s);

	/* A truncated walk is partial even when the counts agree; a last
	 * activation without its entry flag (cut short) still counts. */
	struct py_frame f2[] = { mkpf("a", true), mkpf("b", false) };
	struct py_thread tt = { .frames = f2, .nframes = 2, .truncated = true };
	const bool two[] = { true, true };
	k = python_merge(two, 2, &tt, out, 16, &partial);
	s = merged_str(out, k);
	assert_string_equal(s, "p0 p1");
	assert_true(partial);
	free(s);

	/* The output is bounded. */
	k = python_merge(nat, 5, &th, out, 3, &partial);
	assert_int_equal(k, 3);
	assert_true(partial);

	/* A shim on top: the innermost evaluation frame has an empty
	 * activation and stays native; the others are replaced as usual. */
	struct py_thread ts = { .frames = f3, .nframes = 3, .shim_on_top = true };
	assert_int_equal(python_activations(&th), 2);
	assert_int_equal(python_activations(&ts), 3);
	/* _PyEvalFrameClearAndPop, eval, PyObject_Call, eval, PyObject_Call, eval, main */
	const bool edge[] = { false, true, false, true, false, true, false };
	k = python_merge(edge, 7, &ts, out, 16, &partial);
	s = merged_str(out, k);
	assert_string_equal(s, "n0 n1 n2 p0 p1 n4 p2 n6");
	assert_false(partial);
	free(s);
	/* ... and with one evaluation frame fewer, the counts differ: partial,
	 * the outermost activations matched first. */
	k = python_merge(nat, 5, &ts, out, 16, &partial);
	s = merged_str(out, k);
	assert_string_equal(s, "n0 p0 p1 n2 p2 n4");
	assert_true(partial);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_match_interpreters),
		cmocka_unit_test(test_lnotab_by_hand),
		cmocka_unit_test(test_linetable310_by_hand),
		cmocka_unit_test(test_locations_by_hand),
		cmocka_unit_test(test_ucs_to_utf8),
		cmocka_unit_test(test_debug_offsets),
		cmocka_unit_test(test_tables_present),
		cmocka_unit_test(test_walk_36),
		cmocka_unit_test(test_walk_37),
		cmocka_unit_test(test_walk_38),
		cmocka_unit_test(test_walk_39),
		cmocka_unit_test(test_walk_310),
		cmocka_unit_test(test_walk_311),
		cmocka_unit_test(test_walk_312),
		cmocka_unit_test(test_walk_313),
		cmocka_unit_test(test_walk_cache),
		cmocka_unit_test(test_read_thread),
		cmocka_unit_test(test_is_eval_pc),
		cmocka_unit_test(test_gil_range),
		cmocka_unit_test(test_walk_incomplete),
		cmocka_unit_test(test_walk_shim_on_top),
		cmocka_unit_test(test_walk_cycle_bounded),
		cmocka_unit_test(test_walk_unreadable),
		cmocka_unit_test(test_walk_bad_strings),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_target_refuses),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
