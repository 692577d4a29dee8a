/*
 * fuzz_jitdump: jitdump_parse (symbolize/jitdump.c) on any bytes, then the
 * promises a reader makes: every code range lies where lookups find it or a
 * later load, lines sit inside their code, unwinding info stays inside the
 * bytes it was given, and reads of it never leave them. The same bytes
 * written to a file in two pieces and read by jitdump_update as they come
 * give the same code loads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbolize/jitdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct jitdump *jd;
	if (jitdump_parse(data, len, &jd) < 0)
		return 0;
	const struct jitdump_stats *st = jitdump_stats(jd);
	size_t n = jitdump_count(jd);
	if (n > len / 16 || st->records > len / 16)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct jitdump_code *c = jitdump_code_at(jd, i);
		if (!c->size || c->addr + c->size < c->addr || !c->name || strlen(c->name) >= len)
			abort();
		/* each byte of a range is named by it or by a code loaded or
		 * moved later that overlaps it */
		const struct jitdump_code *f = jitdump_lookup(jd, c->addr);
		const struct jitdump_code *g = jitdump_lookup(jd, c->addr + c->size - 1);
		if (!f || !g)
			abort();
		if (f->addr > c->addr || c->addr - f->addr >= f->size)
			abort();
		for (size_t j = 0; j < c->nlines; j++) {
			if (j && c->lines[j - 1].addr > c->lines[j].addr)
				abort();
			const struct jitdump_line *l = jitdump_line(c, c->lines[j].addr);
			if (l && l->addr > c->lines[j].addr)
				abort();
		}
		if (c->unwind && (c->unwind_size > len || c->eh_frame_hdr_size > c->unwind_size))
			abort();
		struct jitdump_unwind u;
		if (jitdump_unwind_info(jd, c->addr, &u) == 0) {
			if (u.eh_frame_size + u.eh_frame_hdr_size > len ||
			    u.table_addr + u.fde_count * 8 > u.eh_frame_hdr_addr + u.eh_frame_hdr_size)
				abort();
			unsigned char b[8];
			for (uint64_t a = u.eh_frame_addr & ~7ull;
			     a < u.eh_frame_hdr_addr + u.eh_frame_hdr_size + 8; a += 8)
				(void)jitdump_unwind_read(&u, a, b, sizeof(b));
		}
	}
	static int fd = -2;
	if (fd == -2)
		fd = memfd_create("fuzz_jitdump", MFD_CLOEXEC);
	if (fd >= 0 && len && ftruncate(fd, 0) == 0) {
		size_t cut = data[len - 1] % len;
		struct jitdump *inc = jitdump_new();
		if (pwrite(fd, data, cut, 0) == (ssize_t)cut)
			(void)jitdump_update(inc, fd);
		if (pwrite(fd, data + cut, len - cut, (off_t)cut) == (ssize_t)(len - cut))
			(void)jitdump_update(inc, fd);
		if (jitdump_count(inc) != n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (strcmp(jitdump_code_at(inc, i)->name, jitdump_code_at(jd, i)->name) ||
			    jitdump_code_at(inc, i)->addr != jitdump_code_at(jd, i)->addr)
				abort();
		jitdump_free(inc);
	}
	jitdump_free(jd);
	return 0;
}
