/* Unit tests for profiler/capture/perf_sample.c: a held sample's user stack
 * copy cut to the bytes the kernel filled, and every record it must leave
 * alone. Records are laid out the way the kernel writes them for prowl's
 * sample_type (ip, pid/tid, time, maybe a callchain, registers, stack). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/capture/perf_sample.h"

#define NREGS 3
#define DWARF_TYPE (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)

struct rec {
	union {
		struct perf_event_header h;
		unsigned char b[1024];
	};
	size_t len;
};

static void put(struct rec *r, uint64_t v)
{
	memcpy(r->b + r->len, &v, 8);
	r->len += 8;
}

/* A sample: callchain of nchain (when >= 0), abi, stack copy of size bytes
 * (byte i is i) and dyn. Returns where the stack's size field is. */
static size_t build(struct rec *r, int nchain, uint64_t abi, uint64_t size, uint64_t dyn)
{
	memset(r, 0, sizeof(*r));
	r->len = sizeof(struct perf_event_header);
	put(r, 0x401000); /* ip */
	put(r, 42ull << 32 | 42); /* pid, tid */
	put(r, 123456789); /* time */
	if (nchain >= 0) {
		put(r, (uint64_t)nchain);
		for (int i = 0; i < nchain; i++)
			put(r, 0x401000 + (uint64_t)i);
	}
	put(r, abi);
	if (abi)
		for (int i = 0; i < NREGS; i++)
			put(r, 0x7ffd0000 + (uint64_t)i);
	size_t size_at = r->len;
	put(r, size);
	if (size) {
		for (uint64_t i = 0; i < size; i++)
			r->b[r->len + i] = (unsigned char)i;
		r->len += size;
		put(r, dyn);
	}
	r->h.type = PERF_RECORD_SAMPLE;
	r->h.size = (uint16_t)r->len;
	return size_at;
}

static uint64_t get(const struct rec *r, size_t at)
{
	uint64_t v;
	memcpy(&v, r->b + at, 8);
	return v;
}

static void check_trimmed(struct rec *r, size_t size_at, uint64_t size, uint64_t dyn, uint64_t keep)
{
	uint16_t before = r->h.size;
	assert_int_equal(perf_sample_trim_stack(&r->h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN, NREGS), before - (size - keep));
	assert_int_equal(r->h.size, before - (size - keep));
	assert_int_equal(get(r, size_at), keep);
	for (uint64_t i = 0; i < dyn; i++)
		assert_int_equal(r->b[size_at + 8 + i], (unsigned char)i); /* the filled bytes stay */
	assert_int_equal(get(r, size_at + 8 + keep), dyn);
	assert_int_equal(size_at + 8 + keep + 8, r->h.size); /* dyn_size ends the record */
}

static void test_stack_cut_to_what_was_filled(void **state)
{
	(void)state;
	struct rec r;
	size_t at = build(&r, 2, 2, 512, 100);
	/* 100 bytes filled: 104 kept, more than dyn, so the copy does not read as full. */
	check_trimmed(&r, at, 512, 100, 104);
	at = build(&r, 0, 2, 512, 96);
	check_trimmed(&r, at, 512, 96, 104);
	at = build(&r, 5, 2, 512, 0);
	check_trimmed(&r, at, 512, 0, 8);
	/* Without a callchain in the sample_type. */
	build(&r, -1, 2, 512, 40);
	uint16_t before = r.h.size;
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE, NREGS), before - (512 - 48));
}

static void test_left_alone(void **state)
{
	(void)state;
	struct rec r;
	/* A full copy, and one filled to within 8 bytes of its end. */
	build(&r, 2, 2, 512, 512);
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN, NREGS), r.len);
	build(&r, 2, 2, 512, 505);
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN, NREGS), r.len);
	/* No stack copied (a kernel thread: no registers either). */
	build(&r, 2, 0, 0, 0);
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN, NREGS), r.len);
	/* Another layout: more fields, or no stack at all. */
	build(&r, 2, 2, 512, 100);
	unsigned char copy[1024];
	memcpy(copy, r.b, r.len);
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_CPU, NREGS), r.len);
	assert_int_equal(perf_sample_trim_stack(&r.h, PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN, NREGS), r.len);
	/* A record that is not a sample. */
	r.h.type = PERF_RECORD_MMAP2;
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN, NREGS), r.len);
	assert_memory_equal(r.b + sizeof(r.h), copy + sizeof(r.h), r.len - sizeof(r.h));
	/* Sizes that do not add up: a callchain longer than the record, a
	 * stack size past its end, a record with bytes after dyn_size. */
	build(&r, 2, 2, 512, 100);
	uint64_t huge = 1u << 20;
	memcpy(r.b + sizeof(r.h) + 24, &huge, 8);
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN, NREGS), r.len);
	size_t at = build(&r, 2, 2, 512, 100);
	uint64_t past = 520;
	memcpy(r.b + at, &past, 8);
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN, NREGS), r.len);
	build(&r, 2, 2, 512, 100);
	put(&r, 7);
	r.h.size = (uint16_t)r.len;
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN, NREGS), r.len);
	/* Shorter than its fixed fields. */
	r.h.size = 16;
	assert_int_equal(perf_sample_trim_stack(&r.h, DWARF_TYPE | PERF_SAMPLE_CALLCHAIN, NREGS), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_cut_to_what_was_filled),
		cmocka_unit_test(test_left_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
