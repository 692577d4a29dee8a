/* seq: the time order of samples. What goes in comes out per thread in the
 * same order (nodes, times to the microsecond, weights), through chunk
 * boundaries and the extremes of each field; the store is a few bytes a
 * sample; seq_map renumbers threads and nodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/model/seq.h"

struct want {
	uint32_t thread, node;
	uint64_t time_ns, weight;
};

static void check_thread(const struct seq *q, uint32_t t, const struct want *w, size_t n)
{
	struct seq_iter it;
	struct seq_rec r;
	seq_iter_init(&it, q, t);
	for (size_t i = 0; i < n; i++) {
		if (w[i].thread != t)
			continue;
		assert_true(seq_iter_next(&it, &r));
		assert_int_equal(r.node, w[i].node);
		assert_int_equal(r.time_ns, w[i].time_ns / 1000 * 1000);
		assert_int_equal(r.weight, w[i].weight);
	}
	assert_false(seq_iter_next(&it, &r));
}

static void test_seq_roundtrip(void **state)
{
	(void)state;
	/* Interleaved threads, a stack that repeats, one going back to node 0,
	 * a far node, a weight, a time that goes backwards (a thread's samples
	 * may arrive from two CPUs' rings out of order) and the extremes. */
	const struct want w[] = {
		{ 0, 5, 1000000000123ull, 1 },   { 1, 7, 1000000000500ull, 1 },
		{ 0, 5, 1000001001000ull, 1 },   { 0, 6, 1000002002000ull, 3 },
		{ 2, 0, 5, 1 },                  { 0, 0, 1000002001000ull, 1 },
		{ 1, UINT32_MAX, 1000003000000ull, UINT64_MAX },
		{ 1, 1, 1000003000000ull, 1 },
		{ 0, 1000000, UINT64_MAX / 1000 * 1000, 1 },
		{ 0, 2, 0, 2 },
	};
	struct seq *q = seq_new();
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		seq_add(q, w[i].thread, w[i].node, w[i].time_ns, w[i].weight);
	assert_int_equal(q->records, sizeof(w) / sizeof(w[0]));
	for (uint32_t t = 0; t < 4; t++) /* 3: never added, reads as empty */
		check_thread(q, t, w, sizeof(w) / sizeof(w[0]));
	seq_free(q);
	seq_free(NULL);
}

/* Many records: they cross chunk after chunk, and a steady thread (the
 * same few stacks, a tick of about a millisecond) stays within 5 bytes a
 * sample, chunk headers and slack included. */
static void test_seq_many_compact(void **state)
{
	(void)state;
	struct seq *q = seq_new();
	const size_t n = 200000;
	uint64_t t = 7000000000ull;
	for (size_t i = 0; i < n; i++) {
		t += 1001001 + (i % 7) * 1000;
		seq_add(q, (uint32_t)(i % 2), (uint32_t)(100 + (i / 50) % 40), t, 1);
	}
	size_t bytes = seq_memory(q);
	assert_true(bytes <= 5 * n);
	assert_true(bytes >= 2 * n); /* a node and a time each take a byte at least */
	struct seq_iter it;
	struct seq_rec r;
	uint64_t last = 0;
	size_t got = 0;
	seq_iter_init(&it, q, 1);
	while (seq_iter_next(&it, &r)) {
		size_t i = 2 * got + 1;
		assert_int_equal(r.node, 100 + (i / 50) % 40);
		assert_true(r.time_ns > last);
		last = r.time_ns;
		got++;
	}
	assert_int_equal(got, n / 2);
	seq_free(q);
}

static uint32_t plus_thread(void *ctx, uint32_t thread, uint32_t node)
{
	(void)ctx;
	return node * 10 + thread;
}

static void test_seq_map(void **state)
{
	(void)state;
	struct seq *q = seq_new();
	seq_add(q, 0, 1, 1000, 1);
	seq_add(q, 1, 2, 2000, 4);
	seq_add(q, 0, 3, 3000, 1);
	const uint32_t tmap[] = { 5, 2 };
	struct seq *m = seq_map(q, tmap, plus_thread, NULL);
	const struct want w[] = {
		{ 5, 10, 1000, 1 }, { 2, 21, 2000, 4 }, { 5, 30, 3000, 1 },
	};
	for (uint32_t t = 0; t < 6; t++)
		check_thread(m, t, w, 3);
	assert_int_equal(m->records, 3);
	seq_free(m);
	seq_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_roundtrip),
		cmocka_unit_test(test_seq_many_compact),
		cmocka_unit_test(test_seq_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
