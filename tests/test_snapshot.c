/* Unit tests for profiler/capture/snapshot.c: process roots. Built from an
 * aggregate and a target filled by hand (no process; frames without a
 * module are named by address). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiler/capture/aggregate.h"
#include "profiler/capture/resolve.h"
#include "profiler/capture/snapshot.h"
#include "profiler/capture/target.h"
#include "profiler/model/profile.h"

static void add_thread(struct target *t, pid_t pid, pid_t tid, const char *name)
{
	struct target_proc *p = target_proc(t, pid, true);
	target_thread_set_name(target_thread(p, tid, true), name);
}

static void add_stack(struct aggregate *a, pid_t pid, pid_t tid, uint64_t leaf, uint64_t count)
{
	struct agg_frame f[2] = { { NULL, leaf, AGG_USER }, { NULL, 0x1000, AGG_USER } };
	aggregate_add(a, aggregate_thread(a, pid, tid), f, 2, count);
}

/* The name of the outermost frame of count i. */
static const char *root_of(const struct profile *p, size_t i)
{
	uint32_t out[8];
	size_t n = profile_node_frames(p, p->counts[i].node, out, 8);
	assert_true(n > 0);
	return p->frames[out[0]].name;
}

static void test_one_process_has_no_root(void **state)
{
	(void)state;
	struct target *t = target_new();
	struct aggregate *a = aggregate_new();
	struct resolver *r = resolve_new();
	add_thread(t, 10, 10, "cc1");
	add_thread(t, 10, 11, "worker");
	add_stack(a, 10, 10, 0x2000, 3);
	add_stack(a, 10, 11, 0x3000, 2);
	struct profile *p = profile_new();
	snapshot_fill(p, a, r, t);
	for (size_t i = 0; i < p->nframes; i++)
		assert_int_not_equal(p->frames[i].kind, FRAME_THREAD);
	profile_free(p);
	resolve_free(r);
	aggregate_free(a);
	target_free(t);
}

static void test_several_processes_are_roots(void **state)
{
	(void)state;
	struct target *t = target_new();
	struct aggregate *a = aggregate_new();
	struct resolver *r = resolve_new();
	add_thread(t, 10, 10, "make");
	add_thread(t, 20, 20, "cc1");
	add_thread(t, 20, 21, "cc1-helper"); /* a thread's own name: the root is its process's */
	add_thread(t, 30, 31, "as");          /* the leader's record missing: a thread's name */
	add_stack(a, 10, 10, 0x2000, 1);
	add_stack(a, 20, 20, 0x2000, 90);
	add_stack(a, 20, 21, 0x3000, 5);
	add_stack(a, 30, 31, 0x2000, 4);
	struct profile *p = profile_new();
	snapshot_fill(p, a, r, t);
	uint64_t by_root[3] = { 0, 0, 0 };
	for (size_t i = 0; i < p->ncounts; i++) {
		const char *root = root_of(p, i);
		uint32_t out[8];
		profile_node_frames(p, p->counts[i].node, out, 8);
		assert_int_equal(p->frames[out[0]].kind, FRAME_THREAD);
		if (!strcmp(root, "make"))
			by_root[0] += p->counts[i].count;
		else if (!strcmp(root, "cc1"))
			by_root[1] += p->counts[i].count;
		else if (!strcmp(root, "as"))
			by_root[2] += p->counts[i].count;
		else
			fail_msg("unexpected root '%s'", root);
	}
	assert_int_equal(by_root[0], 1);
	assert_int_equal(by_root[1], 95);
	assert_int_equal(by_root[2], 4);

	/* --threads: the thread's root replaces the process's. */
	struct profile *q = profile_fold(p, PROFILE_FOLD_THREADS);
	for (size_t i = 0; i < q->ncounts; i++) {
		uint32_t out[8];
		size_t n = profile_node_frames(q, q->counts[i].node, out, 8);
		assert_true(n >= 2);
		assert_non_null(strchr(q->frames[out[0]].name, '('));
		assert_int_not_equal(q->frames[out[1]].kind, FRAME_THREAD);
	}
	profile_free(q);
	profile_free(p);
	resolve_free(r);
	aggregate_free(a);
	target_free(t);
}

/* The whole machine: every stack starts at "name (pid)" (FRAME_PROCESS),
 * which --threads keeps, putting the thread's root below it. */
static void test_whole_machine_roots(void **state)
{
	(void)state;
	struct target *t = target_new();
	t->whole_machine = true;
	struct aggregate *a = aggregate_new();
	struct resolver *r = resolve_new();
	add_thread(t, 10, 10, "make");
	add_thread(t, 20, 20, "cc1");
	add_thread(t, 20, 21, "helper");
	add_stack(a, 20, 20, 0x2000, 90);
	add_stack(a, 20, 21, 0x3000, 5);
	struct profile *p = profile_new();
	snapshot_fill(p, a, r, t);
	uint64_t cc1 = 0;
	for (size_t i = 0; i < p->ncounts; i++) {
		uint32_t out[8];
		profile_node_frames(p, p->counts[i].node, out, 8);
		assert_int_equal(p->frames[out[0]].kind, FRAME_PROCESS);
		assert_string_equal(p->frames[out[0]].name, "cc1 (20)");
		cc1 += p->counts[i].count;
	}
	assert_int_equal(cc1, 95);
	/* A task sampled past its exit (pid -1 from the kernel) has one root. */
	struct aggregate *a2 = aggregate_new();
	add_stack(a2, -1, -1, 0x4000, 3);
	struct profile *p2 = profile_new();
	snapshot_fill(p2, a2, r, t);
	assert_int_equal(p2->ncounts, 1);
	assert_string_equal(root_of(p2, 0), "[exiting tasks]");
	profile_free(p2);
	aggregate_free(a2);
	struct profile *q = profile_fold(p, PROFILE_FOLD_THREADS);
	int seen = 0;
	for (size_t i = 0; i < q->ncounts; i++) {
		uint32_t out[8];
		size_t n = profile_node_frames(q, q->counts[i].node, out, 8);
		assert_true(n >= 3);
		assert_string_equal(q->frames[out[0]].name, "cc1 (20)");
		assert_int_equal(q->frames[out[1]].kind, FRAME_THREAD);
		seen |= !strcmp(q->frames[out[1]].name, "cc1 (20)") ? 1 : !strcmp(q->frames[out[1]].name, "helper (21)") ? 2 : 4;
	}
	assert_int_equal(seen, 3);
	profile_free(q);
	profile_free(p);
	resolve_free(r);
	aggregate_free(a);
	target_free(t);
}

/* Two files with one build-id (here one file under two names) cost one
 * symbol table: the resolver hands out the same symbolizer module. */
static void test_modules_share_by_build_id(void **state)
{
	(void)state;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = 0;
	struct module_set *ms = module_set_new();
	struct module *a = module_set_get(ms, self, 1, 1, MODULE_FILE, NULL);
	struct module *b = module_set_get(ms, "/proc/self/exe", 2, 2, MODULE_FILE, NULL);
	assert_ptr_not_equal(a, b);
	struct resolver *r = resolve_new();
	struct sym_module *sa = resolve_module(r, a), *sb = resolve_module(r, b);
	assert_non_null(sa);
	assert_true(a->build_id_len > 0); /* loaded to learn it */
	assert_ptr_equal(sa, sb);
	resolve_free(r);
	module_set_free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_process_has_no_root),
		cmocka_unit_test(test_several_processes_are_roots),
		cmocka_unit_test(test_whole_machine_roots),
		cmocka_unit_test(test_modules_share_by_build_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
