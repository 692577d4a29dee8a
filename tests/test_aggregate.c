/* Unit tests for profiler/aggregate.c: the trie of (module, address) stacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/capture/aggregate.h"

static struct module mod_a = { .path = "/bin/a", .id = 0 };
static struct module mod_b = { .path = "/lib/b.so", .id = 1 };

/* A stack leaf first, from addresses in mod_a. */
static size_t stack(struct agg_frame *f, const uint64_t *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f[i] = (struct agg_frame){ &mod_a, addrs[i], AGG_USER };
	return n;
}

static uint64_t count_of(const struct aggregate *a, uint32_t thread, uint32_t node)
{
	for (size_t i = 0; i < a->ncounts; i++)
		if (a->counts[i].thread == thread && a->counts[i].node == node)
			return a->counts[i].count;
	return 0;
}

static void test_same_stack_is_one_path(void **state)
{
	(void)state;
	struct aggregate *a = aggregate_new();
	uint32_t t = aggregate_thread(a, 10, 11);
	assert_int_equal(aggregate_thread(a, 10, 11), t);
	struct agg_frame f[8];
	uint64_t s1[] = { 0x30, 0x20, 0x10 }; /* leaf 0x30, root 0x10 */
	uint32_t leaf = 0;
	for (int i = 0; i < 1000; i++)
		leaf = aggregate_add(a, t, f, stack(f, s1, 3), 1);
	/* Memory grows with unique stacks, not samples. */
	assert_int_equal(a->nnodes, 4);
	assert_int_equal(a->ncounts, 1);
	assert_int_equal(count_of(a, t, leaf), 1000);
	assert_int_equal(a->total, 1000);
	assert_int_equal(a->threads[t].samples, 1000);
	/* The path from the leaf back to the root, root last. */
	assert_int_equal(a->nodes[leaf].frame.addr, 0x30);
	uint32_t p = a->nodes[leaf].parent;
	assert_int_equal(a->nodes[p].frame.addr, 0x20);
	p = a->nodes[p].parent;
	assert_int_equal(a->nodes[p].frame.addr, 0x10);
	assert_int_equal(a->nodes[p].parent, AGG_ROOT);
	aggregate_free(a);
}

static void test_shared_prefixes_and_threads(void **state)
{
	(void)state;
	struct aggregate *a = aggregate_new();
	uint32_t t1 = aggregate_thread(a, 10, 11), t2 = aggregate_thread(a, 10, 12);
	assert_int_not_equal(t1, t2);
	struct agg_frame f[8];
	uint64_t s1[] = { 0x30, 0x20, 0x10 }, s2[] = { 0x40, 0x20, 0x10 };
	uint32_t l1 = aggregate_add(a, t1, f, stack(f, s1, 3), 2);
	uint32_t l2 = aggregate_add(a, t1, f, stack(f, s2, 3), 3);
	uint32_t l3 = aggregate_add(a, t2, f, stack(f, s1, 3), 5);
	assert_int_equal(l1, l3);          /* same stack, same node across threads */
	assert_int_not_equal(l1, l2);
	assert_int_equal(a->nnodes, 5);    /* root, 0x10, 0x20, 0x30, 0x40 */
	assert_int_equal(count_of(a, t1, l1), 2);
	assert_int_equal(count_of(a, t1, l2), 3);
	assert_int_equal(count_of(a, t2, l1), 5);
	assert_int_equal(a->threads[t1].samples, 5);
	assert_int_equal(a->threads[t2].samples, 5);
	assert_int_equal(a->total, 10);
	aggregate_free(a);
}

static void test_module_and_kind_tell_frames_apart(void **state)
{
	(void)state;
	struct aggregate *a = aggregate_new();
	uint32_t t = aggregate_thread(a, 1, 1);
	struct agg_frame f1 = { &mod_a, 0x100, AGG_USER }, f2 = { &mod_b, 0x100, AGG_USER },
			 f3 = { &mod_a, 0x100, AGG_KERNEL }, f4 = { NULL, 0x100, AGG_USER };
	uint32_t n1 = aggregate_add(a, t, &f1, 1, 1), n2 = aggregate_add(a, t, &f2, 1, 1);
	uint32_t n3 = aggregate_add(a, t, &f3, 1, 1), n4 = aggregate_add(a, t, &f4, 1, 1);
	assert_int_not_equal(n1, n2);
	assert_int_not_equal(n1, n3);
	assert_int_not_equal(n1, n4);
	assert_int_not_equal(n2, n4);
	assert_int_equal(a->nnodes, 5);
	aggregate_free(a);
}

static void test_reset_keeps_nodes(void **state)
{
	(void)state;
	struct aggregate *a = aggregate_new();
	uint32_t t = aggregate_thread(a, 1, 2);
	struct agg_frame f[4];
	uint64_t s1[] = { 0x30, 0x20 };
	uint32_t leaf = aggregate_add(a, t, f, stack(f, s1, 2), 7);
	aggregate_reset_counts(a);
	assert_int_equal(a->total, 0);
	assert_int_equal(count_of(a, t, leaf), 0);
	assert_int_equal(a->threads[t].samples, 0);
	assert_int_equal(aggregate_add(a, t, f, stack(f, s1, 2), 1), leaf);
	assert_int_equal(count_of(a, t, leaf), 1);
	assert_int_equal(a->nnodes, 3);
	aggregate_free(a);
}

static void test_many_unique_stacks(void **state)
{
	(void)state;
	struct aggregate *a = aggregate_new();
	uint32_t t = aggregate_thread(a, 1, 1);
	struct agg_frame f[3];
	/* 20000 distinct leaves under one caller: the tables must grow right. */
	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t s[] = { 0x100000 + i, 0x20, 0x10 };
		aggregate_add(a, t, f, stack(f, s, 3), 1);
	}
	for (uint64_t i = 0; i < 20000; i += 997) {
		uint64_t s[] = { 0x100000 + i, 0x20, 0x10 };
		uint32_t leaf = aggregate_add(a, t, f, stack(f, s, 3), 1);
		assert_int_equal(count_of(a, t, leaf), 2);
	}
	assert_int_equal(a->nnodes, 3 + 20000);
	assert_true(aggregate_memory(a) < 20000 * 200);
	aggregate_free(a);
}

/* Past the cap a new stack is kept as its deepest known prefix under the
 * marker, counted as folded, and the trie stops growing. */
static void test_cap_folds_into_known_prefix(void **state)
{
	(void)state;
	struct aggregate *a = aggregate_new();
	struct agg_frame marker = { NULL, 77, AGG_STATE };
	aggregate_set_limit(a, 5, &marker); /* root + 4 nodes */
	uint32_t t = aggregate_thread(a, 1, 1);
	struct agg_frame f[4];
	uint64_t s1[] = { 0x30, 0x20, 0x10 };
	uint32_t l1 = aggregate_add(a, t, f, stack(f, s1, 3), 2); /* nodes 1..3 */
	uint64_t s2[] = { 0x40, 0x20, 0x10 };
	uint32_t l2 = aggregate_add(a, t, f, stack(f, s2, 3), 1); /* node 4: the cap */
	assert_int_equal(a->nnodes, 5);
	assert_int_equal(a->folded, 0);
	/* A new leaf under 0x20: 0x10;0x20;[marker]. */
	uint64_t s3[] = { 0x50, 0x20, 0x10 };
	uint32_t l3 = aggregate_add(a, t, f, stack(f, s3, 3), 3);
	assert_int_equal(a->nodes[l3].frame.kind, AGG_STATE);
	assert_int_equal(a->nodes[l3].frame.addr, 77);
	uint32_t p = a->nodes[l3].parent;
	assert_int_equal(a->nodes[p].frame.addr, 0x20);
	assert_int_equal(a->nodes[a->nodes[p].parent].frame.addr, 0x10);
	assert_int_equal(a->folded, 3);
	/* A second new leaf there shares the marker node: nothing grows. */
	uint64_t s4[] = { 0x60, 0x20, 0x10 };
	assert_int_equal(aggregate_add(a, t, f, stack(f, s4, 3), 1), l3);
	assert_int_equal(a->nnodes, 6);
	assert_int_equal(count_of(a, t, l3), 4);
	/* A new root: the marker alone under the root. */
	uint64_t s5[] = { 0x70, 0x99 };
	uint32_t l5 = aggregate_add(a, t, f, stack(f, s5, 2), 1);
	assert_int_equal(a->nodes[l5].parent, AGG_ROOT);
	assert_int_equal(a->nodes[l5].frame.addr, 77);
	/* Known stacks still count where they belong. */
	assert_int_equal(aggregate_add(a, t, f, stack(f, s1, 3), 1), l1);
	assert_int_equal(aggregate_add(a, t, f, stack(f, s2, 3), 1), l2);
	assert_int_equal(count_of(a, t, l1), 3);
	assert_int_equal(a->folded, 5);
	assert_int_equal(a->total, 10); /* nothing lost: folded samples are still samples */
	assert_int_equal(a->nnodes, 7);
	aggregate_free(a);
}

/* A flood of distinct stacks: memory stops at the cap, whatever the count. */
static void test_cap_bounds_memory(void **state)
{
	(void)state;
	struct aggregate *a = aggregate_new();
	struct agg_frame marker = { NULL, 77, AGG_STATE };
	aggregate_set_limit(a, 1000, &marker);
	uint32_t t = aggregate_thread(a, 1, 1);
	struct agg_frame f[3];
	size_t at_cap = 0;
	for (uint64_t i = 0; i < 50000; i++) {
		uint64_t s[] = { 0x100000 + i, 0x200000 + i % 7, 0x10 };
		aggregate_add(a, t, f, stack(f, s, 3), 1);
		if (i == 5000)
			at_cap = aggregate_memory(a);
	}
	/* root, 0x10, its 7 children, 991 leaves, then one marker per known
	 * node that was asked for a new child: 0x10's 7 children. */
	assert_int_equal(a->nnodes, 1000 + 7);
	assert_int_equal(a->folded, 50000 - 991);
	assert_int_equal(a->total, 50000);
	assert_int_equal(aggregate_memory(a), at_cap);
	aggregate_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_stack_is_one_path),
		cmocka_unit_test(test_shared_prefixes_and_threads),
		cmocka_unit_test(test_module_and_kind_tell_frames_apart),
		cmocka_unit_test(test_reset_keeps_nodes),
		cmocka_unit_test(test_many_unique_stacks),
		cmocka_unit_test(test_cap_folds_into_known_prefix),
		cmocka_unit_test(test_cap_bounds_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
