#include "profiler/capture/perf_sample.h"

#include <string.h>

/* Fields before the registers: ip, pid/tid, time. */
#define FIXED_WORDS 3

uint16_t perf_sample_trim_stack(struct perf_event_header *h, uint64_t sample_type, unsigned nregs)
{
	const uint64_t want = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_REGS_USER |
			      PERF_SAMPLE_STACK_USER;
	if (h->type != PERF_RECORD_SAMPLE || (sample_type & ~(uint64_t)PERF_SAMPLE_CALLCHAIN) != want)
		return h->size;
	unsigned char *p = (unsigned char *)(h + 1), *end = (unsigned char *)h + h->size;
	uint64_t v;
	if (end < p || (size_t)(end - p) < FIXED_WORDS * 8)
		return h->size;
	p += FIXED_WORDS * 8;
	if (sample_type & PERF_SAMPLE_CALLCHAIN) {
		if (end - p < 8)
			return h->size;
		memcpy(&v, p, 8);
		p += 8;
		if (v > (uint64_t)(end - p) / 8)
			return h->size;
		p += v * 8;
	}
	if (end - p < 8)
		return h->size;
	memcpy(&v, p, 8); /* the registers' abi: none for a kernel thread */
	p += 8;
	if (v) {
		if ((size_t)(end - p) < (size_t)nregs * 8)
			return h->size;
		p += (size_t)nregs * 8;
	}
	if (end - p < 8)
		return h->size;
	unsigned char *size_at = p;
	uint64_t size;
	memcpy(&size, p, 8);
	p += 8;
	/* The copy, then dyn_size, end the record exactly. */
	if (!size || (size & 7) || size > (uint64_t)(end - p) || (uint64_t)(end - p) - size != 8)
		return h->size;
	uint64_t dyn;
	memcpy(&dyn, p + size, 8);
	uint64_t keep = (dyn & ~7ull) + 8;
	if (dyn >= size || keep >= size)
		return h->size;
	memcpy(size_at, &keep, 8);
	memcpy(p + keep, &dyn, 8);
	h->size = (uint16_t)(h->size - (size - keep));
	return h->size;
}
