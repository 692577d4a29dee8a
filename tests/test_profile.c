/* Unit tests for profiler/profile.c and profiler/util.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/model/profile.h"
#include "profiler/base/util.h"

static uint32_t stack_of(struct profile *p, const char *const *names, size_t n)
{
	uint32_t frames[16];
	for (size_t i = 0; i < n; i++)
		frames[i] = profile_frame_named(p, names[i], FRAME_USER);
	return profile_node_path(p, frames, n);
}

static void test_intern_dedups(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t a = profile_frame_named(p, "main", FRAME_USER);
	uint32_t b = profile_frame_named(p, "main", FRAME_USER);
	uint32_t k = profile_frame_named(p, "main", FRAME_KERNEL);
	assert_int_equal(a, b);
	assert_int_not_equal(a, k);
	assert_int_equal(p->nframes, 2);
	struct profile_frame f = { .name = "work", .file = "w.c", .line = 10, .module = -1 };
	uint32_t w1 = profile_frame_intern(p, &f);
	f.line = 11;
	uint32_t w2 = profile_frame_intern(p, &f);
	assert_int_not_equal(w1, w2);
	assert_string_equal(p->frames[w1].file, "w.c");
	profile_free(p);
}

static void test_paths_and_counts(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t1 = profile_thread_intern(p, 10, 10, "main");
	uint32_t t2 = profile_thread_intern(p, 10, 11, "worker");
	assert_int_equal(profile_thread_intern(p, 10, 11, "renamed"), t2);
	assert_string_equal(p->threads[t2].name, "renamed");
	const char *s1[] = { "main", "a", "b" };
	const char *s2[] = { "main", "a", "c" };
	uint32_t n1 = stack_of(p, s1, 3), n2 = stack_of(p, s2, 3);
	assert_int_equal(stack_of(p, s1, 3), n1);
	assert_int_equal(p->nnodes, 5); /* root, main, a, b, c */
	profile_add(p, t1, n1, 5);
	profile_add(p, t1, n1, 2);
	profile_add(p, t2, n2, 3);
	assert_int_equal(p->ncounts, 2);
	assert_int_equal(p->total, 10);
	assert_int_equal(p->threads[t1].samples, 7);
	uint32_t out[8];
	assert_int_equal(profile_node_frames(p, n2, out, 8), 3);
	assert_string_equal(p->frames[out[0]].name, "main");
	assert_string_equal(p->frames[out[2]].name, "c");
	assert_int_equal(profile_node_depth(p, PROFILE_ROOT), 0);
	profile_free(p);
}

static void test_fold_merges_addresses_and_roots_threads(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t = profile_thread_intern(p, 1, 2, "w");
	struct profile_frame f = { .name = "hot", .module = -1, .address = 0x10, .line = 3 };
	uint32_t a = profile_frame_intern(p, &f);
	f.address = 0x20;
	f.line = 4;
	uint32_t b = profile_frame_intern(p, &f);
	profile_add(p, t, profile_node_path(p, &a, 1), 1);
	profile_add(p, t, profile_node_path(p, &b, 1), 2);
	struct profile *q = profile_fold(p, 0);
	assert_int_equal(q->ncounts, 1);
	assert_int_equal(q->counts[0].count, 3);
	profile_free(q);
	q = profile_fold(p, PROFILE_FOLD_LINES);
	assert_int_equal(q->ncounts, 2);
	profile_free(q);
	q = profile_fold(p, PROFILE_FOLD_THREADS);
	uint32_t out[4];
	assert_int_equal(profile_node_frames(q, q->counts[0].node, out, 4), 2);
	assert_string_equal(q->frames[out[0]].name, "w (2)");
	assert_int_equal(q->frames[out[0]].kind, FRAME_THREAD);
	profile_free(q);
	profile_free(p);
}

static void test_merge_subtracts_and_clamps(void **state)
{
	(void)state;
	struct profile *a = profile_new(), *b = profile_new();
	const char *s[] = { "main", "x" };
	uint32_t ta = profile_thread_intern(a, 1, 1, "m"), tb = profile_thread_intern(b, 1, 1, "m");
	profile_add(a, ta, stack_of(a, s, 2), 10);
	profile_add(b, tb, stack_of(b, s, 2), 4);
	struct profile *c = profile_copy(a);
	profile_merge(c, b, -1);
	assert_int_equal(c->total, 6);
	profile_merge(c, a, -1);
	assert_int_equal(c->total, 0);
	profile_free(a);
	profile_free(b);
	profile_free(c);
}

/* A trimmed profile (top's history) reads the same, and adding to it
 * finds what it holds instead of adding it twice. */
static void test_trim_keeps_it_whole(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t1 = profile_thread_intern(p, 10, 10, "main");
	profile_thread_intern(p, 10, 11, "worker");
	struct profile_module m = { .path = "/bin/x", .build_id = "ab" };
	int32_t mod = profile_module_intern(p, &m);
	const char *s1[] = { "main", "a", "b" };
	const char *s2[] = { "main", "a", "c" };
	uint32_t n1 = stack_of(p, s1, 3), n2 = stack_of(p, s2, 3);
	profile_add(p, t1, n1, 5);
	profile_add(p, t1, n2, 3);
	size_t nframes = p->nframes, nnodes = p->nnodes;
	profile_trim(p);
	assert_int_equal(p->cap_nodes, nnodes);
	assert_int_equal(p->cap_frames, nframes);
	uint32_t out[8];
	assert_int_equal(profile_node_frames(p, n2, out, 8), 3);
	assert_string_equal(p->frames[out[2]].name, "c");
	/* Everything interned again is found, not added. */
	assert_int_equal(stack_of(p, s1, 3), n1);
	assert_int_equal(p->nframes, nframes);
	assert_int_equal(p->nnodes, nnodes);
	assert_int_equal(profile_thread_intern(p, 10, 11, NULL), 1);
	assert_int_equal(p->nthreads, 2);
	assert_int_equal(profile_module_intern(p, &m), mod);
	profile_add(p, t1, n1, 2);
	assert_int_equal(p->ncounts, 2);
	assert_int_equal(p->total, 10);
	/* A trimmed profile subtracted from its copy leaves nothing. */
	struct profile *q = profile_copy(p);
	profile_trim(p);
	profile_merge(q, p, -1);
	assert_int_equal(q->total, 0);
	/* And new entries still go in. */
	const char *s3[] = { "main", "d" };
	uint32_t n3 = stack_of(p, s3, 2);
	assert_int_equal(p->nnodes, nnodes + 1);
	assert_int_equal(stack_of(p, s3, 2), n3);
	profile_free(q);
	profile_free(p);
}

static void test_strbuf(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb);
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d;", i);
	assert_int_equal(sb.len, strlen(sb.buf));
	assert_memory_equal(sb.buf, "0;1;2;", 6);
	char *s = strbuf_detach(&sb);
	assert_true(strstr(s, "999;") != NULL);
	free(s);
	char *x = xasprintf("%s-%d", "a", 7);
	assert_string_equal(x, "a-7");
	free(x);
}

static void test_ptrmap(void **state)
{
	(void)state;
	struct ptrmap m = { 0 };
	static char keys[2000];
	assert_null(ptrmap_get(&m, &keys[0]));
	for (int i = 0; i < 2000; i++)
		ptrmap_put(&m, &keys[i], &keys[(i + 1) % 2000]);
	assert_int_equal(m.n, 2000);
	for (int i = 0; i < 2000; i++)
		assert_ptr_equal(ptrmap_get(&m, &keys[i]), &keys[(i + 1) % 2000]);
	ptrmap_put(&m, &keys[5], NULL);
	assert_null(ptrmap_get(&m, &keys[5]));
	assert_int_equal(m.n, 2000);
	ptrmap_release(&m);
	assert_null(ptrmap_get(&m, &keys[1]));
}

/* report --by-command: stacks become their command: a process root
 * ("cc1 (7)" or "cc1"), a root read back from a folded file ("as (9)"), else
 * the thread's name. */
static void test_by_command(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t1 = profile_thread_intern(p, 7, 7, "cc1"), t2 = profile_thread_intern(p, 8, 8, "cc1");
	uint32_t t3 = profile_thread_intern(p, 9, 9, "as"), t4 = profile_thread_intern(p, 10, 10, "sh");
	uint32_t a[3] = { profile_frame_named(p, "cc1 (7)", FRAME_PROCESS), profile_frame_named(p, "main", FRAME_USER),
			  profile_frame_named(p, "parse", FRAME_USER) };
	uint32_t b[2] = { profile_frame_named(p, "cc1", FRAME_THREAD), profile_frame_named(p, "parse", FRAME_USER) };
	uint32_t c[2] = { profile_frame_named(p, "as (9)", FRAME_USER), profile_frame_named(p, "emit", FRAME_USER) };
	uint32_t d[1] = { profile_frame_named(p, "main (x)", FRAME_USER) };
	profile_add(p, t1, profile_node_path(p, a, 3), 5);
	profile_add(p, t2, profile_node_path(p, b, 2), 3);
	profile_add(p, t3, profile_node_path(p, c, 2), 2);
	profile_add(p, t4, profile_node_path(p, d, 1), 1);
	struct profile *q = profile_by_command(p);
	assert_int_equal(q->total, 11);
	uint64_t cc1 = 0, as = 0, sh = 0;
	for (size_t i = 0; i < q->ncounts; i++) {
		uint32_t out[4];
		assert_int_equal(profile_node_frames(q, q->counts[i].node, out, 4), 1);
		const char *n = q->frames[out[0]].name;
		if (!strcmp(n, "cc1"))
			cc1 += q->counts[i].count;
		else if (!strcmp(n, "as"))
			as += q->counts[i].count;
		else if (!strcmp(n, "sh"))
			sh += q->counts[i].count;
		else
			fail_msg("unexpected command '%s'", n);
	}
	assert_int_equal(cc1, 8);
	assert_int_equal(as, 2);
	assert_int_equal(sh, 1);
	profile_free(q);
	profile_free(p);
}

/* A sample at addresses: "fn@addr" frames of one file, so a fold merges them. */
static void add_at(struct profile *p, uint32_t thread, const char *const *names, const uint64_t *addrs, size_t n,
		   uint64_t count)
{
	uint32_t frames[16];
	for (size_t i = 0; i < n; i++) {
		struct profile_frame f = { .name = (char *)names[i], .file = "x.c", .line = (uint32_t)addrs[i] % 7 + 1,
					   .module = 0, .address = addrs[i] };
		frames[i] = profile_frame_intern(p, &f);
	}
	profile_add(p, thread, profile_node_path(p, frames, n), count);
}

/* Equal entry for entry: same frames, nodes, counts, threads and modules in
 * the same order. */
static void assert_same_profile(const struct profile *a, const struct profile *b)
{
	assert_int_equal(a->nframes, b->nframes);
	for (size_t i = 0; i < a->nframes; i++) {
		assert_string_equal(a->frames[i].name, b->frames[i].name);
		assert_int_equal(a->frames[i].line, b->frames[i].line);
		assert_int_equal(a->frames[i].module, b->frames[i].module);
	}
	assert_int_equal(a->nnodes, b->nnodes);
	assert_memory_equal(a->nodes, b->nodes, a->nnodes * sizeof(*a->nodes));
	assert_int_equal(a->ncounts, b->ncounts);
	if (a->ncounts)
		assert_memory_equal(a->counts, b->counts, a->ncounts * sizeof(*a->counts));
	assert_int_equal(a->total, b->total);
	assert_int_equal(a->nthreads, b->nthreads);
	for (size_t i = 0; i < a->nthreads; i++) {
		assert_string_equal(a->threads[i].name, b->threads[i].name);
		assert_int_equal(a->threads[i].samples, b->threads[i].samples);
	}
	assert_int_equal(a->nmodules, b->nmodules);
}

/* The live view's fold, kept between refreshes: each profile of a lineage
 * (a growing image's copies, as top's snapshots) folds to what a fold from
 * scratch gives, and so do profiles it must not trust. */
static void test_fold_cached_matches_fold(void **state)
{
	(void)state;
	static const char *const s1[] = { "main", "f", "g" }, *const s2[] = { "main", "f", "h" };
	static const uint64_t a1[] = { 0x10, 0x20, 0x30 }, a2[] = { 0x10, 0x24, 0x40 }, a3[] = { 0x11, 0x21, 0x31 };
	struct profile *img = profile_new();
	struct profile_module m = { .path = "/bin/x" };
	profile_module_intern(img, &m);
	uint32_t t = profile_thread_intern(img, 5, 5, "x");
	uint64_t id = profile_lineage_new();
	/* one cache per flags: a cache follows one fold (the view's), and
	 * other flags start it again */
	struct profile_fold_cache *cs[2] = { profile_fold_cache_new(), profile_fold_cache_new() }, *c = cs[0];
	for (int round = 0; round < 3; round++) {
		if (round == 0)
			add_at(img, t, s1, a1, 3, 0);
		if (round == 1) {
			add_at(img, t, s2, a2, 3, 0); /* f at another address: one row */
			profile_thread_intern(img, 5, 6, "y");
		}
		if (round == 2)
			add_at(img, 1, s1, a3, 3, 0);
		struct profile *snap = profile_copy(img);
		profile_stamp(snap, id);
		profile_add(snap, t, snap->nnodes - 1, 3 + (uint64_t)round);
		profile_add(snap, t, 3, 2);
		for (unsigned flags = 0; flags <= PROFILE_FOLD_LINES; flags += PROFILE_FOLD_LINES) {
			uint32_t fm1[32], fm2[32];
			struct profile *want = profile_fold_map(snap, flags, fm1);
			struct profile *got = profile_fold_cached(cs[flags ? 1 : 0], snap, flags, fm2);
			assert_same_profile(got, want);
			assert_memory_equal(fm1, fm2, snap->nframes * sizeof(*fm1));
			profile_free(want);
			profile_free(got);
		}
		profile_free(snap);
	}
	/* Added past its stamp (a window's subtraction may intern): not trusted. */
	struct profile *snap = profile_copy(img);
	profile_stamp(snap, id);
	static const char *const s3[] = { "main", "k" };
	static const uint64_t a4[] = { 0x10, 0x50 };
	add_at(snap, t, s3, a4, 2, 4);
	struct profile *want = profile_fold_map(snap, 0, NULL), *got = profile_fold_cached(c, snap, 0, NULL);
	assert_same_profile(got, want);
	profile_free(want);
	profile_free(got);
	/* Another lineage with a shorter past: folded from scratch. */
	struct profile *other = profile_new();
	profile_module_intern(other, &m);
	add_at(other, profile_thread_intern(other, 9, 9, "z"), s3, a4, 2, 1);
	profile_stamp(other, profile_lineage_new());
	want = profile_fold_map(other, 0, NULL);
	got = profile_fold_cached(c, other, 0, NULL);
	assert_same_profile(got, want);
	assert_int_equal(got->total, 1);
	profile_free(want);
	profile_free(got);
	profile_free(other);
	profile_free(snap);
	profile_fold_cache_free(cs[0]);
	profile_fold_cache_free(cs[1]);
	profile_free(img);
}

/* A pool of names shared by copies: a copy outlives its original, and
 * names added later to either stay valid until the last one goes (ASan
 * checks the rest). */
static void test_pooled_copies_share_names(void **state)
{
	(void)state;
	struct profile *img = profile_new();
	profile_pool_strings(img);
	struct profile_module m = { .path = "/bin/x", .build_id = "ab" };
	profile_module_intern(img, &m);
	static const char *const s1[] = { "main", "f" };
	static const uint64_t a1[] = { 0x10, 0x20 };
	add_at(img, profile_thread_intern(img, 1, 1, "x"), s1, a1, 2, 1);
	struct profile *c1 = profile_copy(img);
	assert_ptr_equal(c1->frames[0].name, img->frames[0].name); /* shared, not copied */
	static const char *const s2[] = { "main", "g" };
	add_at(img, 0, s2, a1, 2, 1);
	struct profile *c2 = profile_copy(img);
	profile_free(img);
	add_at(c1, 0, s2, a1, 2, 1); /* a copy may intern too */
	assert_string_equal(c2->frames[c2->nframes - 1].name, "g");
	assert_string_equal(c2->modules[0].path, "/bin/x");
	profile_stamp(c2, profile_lineage_new());
	profile_thin(c2);
	assert_string_equal(c1->frames[c1->nframes - 1].name, "g");
	struct profile *folded = profile_fold(c1, 0);
	assert_int_equal(folded->total, 2);
	profile_free(folded);
	profile_free(c2);
	profile_free(c1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_command),
		cmocka_unit_test(test_intern_dedups),
		cmocka_unit_test(test_trim_keeps_it_whole),
		cmocka_unit_test(test_paths_and_counts),
		cmocka_unit_test(test_fold_merges_addresses_and_roots_threads),
		cmocka_unit_test(test_merge_subtracts_and_clamps),
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_ptrmap),
		cmocka_unit_test(test_fold_cached_matches_fold),
		cmocka_unit_test(test_pooled_copies_share_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
