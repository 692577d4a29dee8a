/*
 * fuzz_maps: /proc/PID/maps parsing (symbolize/maps.c) on any text, then
 * MMAP2-style additions taken from the tail of the input, then lookups. The
 * table must stay sorted and disjoint whatever came in. Module files are
 * never opened here (a fuzzed path could name a FIFO): only the table is
 * exercised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/capture/maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static uint64_t take64(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	size_t n = (size_t)(end - *p) < 8 ? (size_t)(end - *p) : 8;
	memcpy(&v, *p, n);
	*p += n;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	/* Text up to the first NUL is the maps file; the rest drives maps_add. */
	const uint8_t *nul = memchr(data, 0, len);
	size_t tlen = nul ? (size_t)(nul - data) : len;
	char *text = malloc(tlen + 1);
	memcpy(text, data, tlen);
	text[tlen] = 0;
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, 0);
	maps_parse(m, text);
	const uint8_t *p = nul ? nul + 1 : data + len, *end = data + len;
	static const char *paths[] = { "", "//anon", "[vdso]", "[heap]", "/nonexistent/lib.so",
				       "/nonexistent/a (deleted)", "/memfd:x" };
	for (int i = 0; i < 16 && end - p >= 17; i++) {
		uint64_t start = take64(&p, end), l = take64(&p, end);
		uint8_t sel = *p++;
		maps_add(m, start, l & 0xffffffffffull, start >> 3, sel & 7, paths[(sel >> 3) % 7], 1,
			 sel);
	}
	for (size_t i = 1; i < m->n; i++)
		if (m->v[i - 1].end > m->v[i].start || m->v[i].start >= m->v[i].end)
			abort();
	for (size_t i = 0; i < m->n; i++) {
		const struct map_entry *e = maps_find(m, m->v[i].start);
		if (e != &m->v[i])
			abort();
		(void)maps_find(m, m->v[i].end - 1);
		(void)maps_find(m, m->v[i].end);
	}
	maps_free(m);
	module_set_free(ms);
	free(text);
	return 0;
}
