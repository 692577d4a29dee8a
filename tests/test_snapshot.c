/* Unit tests for profiler/capture/snapshot.c: process roots. Built from an
 * aggregate and a target filled by hand (no process; frames without a
 * module are named by address). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiler/capture/aggregate.h"
#include "profiler/capture/resolve.h"
#include "profiler/capture/snapshot.h"
#include "profiler/capture/target.h"
#include "profiler/model/profile.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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

/* A profile's samples as sorted lines "pid/tid root;...;leaf count": what
 * a user reads, whatever the order frames and nodes were numbered in. */
static char *lines_of(const struct profile *p)
{
	char **v = calloc(p->ncounts + 1, sizeof(*v));
	size_t n = 0, len = 1;
	for (size_t i = 0; i < p->ncounts; i++) {
		const struct profile_count *c = &p->counts[i];
		if (!c->count)
			continue;
		char buf[1024];
		int k = snprintf(buf, sizeof(buf), "%d/%d ", p->threads[c->thread].pid, p->threads[c->thread].tid);
		uint32_t out[16];
		size_t d = profile_node_frames(p, c->node, out, 16);
		for (size_t j = 0; j < d && j < 16; j++) {
			const struct profile_frame *f = &p->frames[out[j]];
			k += snprintf(buf + k, sizeof(buf) - (size_t)k, "%s%s@%s+%llx", j ? ";" : "", f->name,
				      f->module >= 0 ? p->modules[f->module].path : "-", (unsigned long long)f->address);
		}
		snprintf(buf + k, sizeof(buf) - (size_t)k, " %llu", (unsigned long long)c->count);
		v[n] = strdup(buf);
		len += strlen(buf) + 1;
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	char *s = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		strcat(s, v[i]);
		strcat(s, "\n");
		free(v[i]);
	}
	free(v);
	return s;
}

/* The address a frame of this executable at addr has in the capture (its
 * module's vaddr, as maps_resolve gives it for any sample). */
static uint64_t self_vaddr(uint64_t addr)
{
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, getpid());
	assert_int_equal(maps_load(m), 0);
	struct module *mod;
	uint64_t v = 0;
	assert_int_equal(maps_resolve(m, addr, &mod, &v), 0);
	maps_free(m);
	module_set_free(ms);
	return v;
}

static bool cancel_always(void *arg)
{
	(void)arg;
	return true;
}

/* top's refreshes: an image kept between snapshots names only the new
 * stacks, and each profile it hands out reads as a snapshot made from
 * scratch would: after new stacks, a new process, a process renamed (an
 * exec), counts reset, stacks in a module, and a refresh cut short. */
static void test_image_matches_one_shot(void **state)
{
	(void)state;
	char self[4096];
	ssize_t sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(sn > 0);
	self[sn] = 0;
	struct target *t = target_new();
	t->whole_machine = true;
	struct aggregate *a = aggregate_new();
	struct resolver *r = resolve_new();
	struct snapshot_image *im = snapshot_image_new();
	struct module *mod = module_set_get(t->modules, self, 1, 1, MODULE_FILE, NULL);
	add_thread(t, 10, 10, "make");
	add_thread(t, 20, 20, "cc1");
	uint64_t lineage = 0;
	for (int round = 0; round < 4; round++) {
		switch (round) {
		case 0:
			add_stack(a, 10, 10, 0x2000, 3);
			add_stack(a, 20, 20, 0x2000, 7);
			break;
		case 1: /* a deeper stack under a known one, a new thread */
			add_thread(t, 20, 21, "helper");
			add_stack(a, 20, 21, 0x3000, 2);
			add_stack(a, 20, 20, 0x2000, 1);
			break;
		case 2: { /* a new process; make execs into sh; stacks in a module */
			add_thread(t, 30, 30, "as");
			target_thread_set_name(target_thread(target_proc(t, 10, false), 10, false), "sh");
			add_stack(a, 30, 30, 0x5000, 4);
			/* in a function with a symbol: a fallback name differs */
			uint64_t named = self_vaddr((uint64_t)(uintptr_t)&cmp_str) + 1;
			struct agg_frame f[3] = { { mod, named, AGG_USER }, { mod, 0x1000, AGG_USER }, { NULL, 0x1000, AGG_USER } };
			aggregate_add(a, aggregate_thread(a, 10, 10), f, 3, 6);
			break;
		}
		case 3: /* top's reset: counts go, nodes stay */
			aggregate_reset_counts(a);
			add_stack(a, 30, 30, 0x6000, 1);
			break;
		}
		if (round == 2) {
			/* A refresh cut short by a stop signal: the module is not
			 * opened, its frames get fallback names; they must not stay. */
			resolve_begin(r, cancel_always, NULL);
			struct profile *cut = snapshot_image_take(im, a, r, t);
			assert_true(resolve_end(r) > 0);
			lineage = cut->lineage.id;
			profile_free(cut);
			snapshot_image_rewind(im);
		}
		struct profile *fresh = profile_new();
		snapshot_fill(fresh, a, r, t);
		struct profile *got = snapshot_image_take(im, a, r, t);
		if (!lineage)
			lineage = got->lineage.id;
		assert_int_equal(got->lineage.id, lineage); /* one lineage, rewind or not */
		assert_true(lineage != 0);
		char *want_s = lines_of(fresh), *got_s = lines_of(got);
		assert_string_equal(got_s, want_s);
		assert_int_equal(got->total, fresh->total);
		assert_true(strlen(want_s) > 0);
		if (round == 2) {
			assert_non_null(strstr(got_s, " sh (10)@-+0;"));
			assert_non_null(strstr(got_s, ";cmp_str@")); /* named, not a fallback */
		}
		free(want_s);
		free(got_s);
		profile_free(got);
		profile_free(fresh);
	}
	snapshot_image_free(im);
	resolve_free(r);
	aggregate_free(a);
	target_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_process_has_no_root),
		cmocka_unit_test(test_several_processes_are_roots),
		cmocka_unit_test(test_whole_machine_roots),
		cmocka_unit_test(test_modules_share_by_build_id),
		cmocka_unit_test(test_image_matches_one_shot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
