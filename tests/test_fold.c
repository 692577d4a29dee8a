/* Unit tests for profiler/model/fold.c: the one fold. A row of `prowl report`,
 * a row of the live view (`prowl top`) and a writer's per-function totals
 * for the same profile must be the same row with the same numbers, at
 * function and at line granularity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/collapsed.h"
#include "formats/format.h"
#include "formats/report.h"
#include "profiler/base/util.h"
#include "profiler/model/fold.h"
#include "profiler/model/profile.h"
#include "ui/view.h"

/* Adds count samples of "a@file:line;b@file:line!;..." (root first) on tid;
 * a trailing '!' marks a frame inlined into its caller. Every frame gets an
 * address of its own so that folding has something to merge. */
static void add(struct profile *p, int tid, const char *stack, uint64_t count)
{
	uint32_t frames[64];
	size_t n = 0;
	char *copy = xstrdup(stack);
	for (char *save = NULL, *tok = strtok_r(copy, ";", &save); tok && n < 64;
	     tok = strtok_r(NULL, ";", &save)) {
		struct profile_frame f = { .module = -1, .kind = FRAME_USER };
		size_t len = strlen(tok);
		if (len && tok[len - 1] == '!') {
			tok[len - 1] = '\0';
			f.inlined = 1;
		}
		char *at = strchr(tok, '@');
		if (at) {
			*at = '\0';
			char *colon = strchr(at + 1, ':');
			if (colon) {
				*colon = '\0';
				f.line = (uint32_t)atoi(colon + 1);
			}
			f.file = at + 1;
		}
		f.name = tok;
		f.address = 0x1000 + 16 * (uint64_t)tid + n + count;
		frames[n++] = profile_frame_intern(p, &f);
	}
	uint32_t t = profile_thread_intern(p, 100, tid, tid == 100 ? "main" : "worker");
	profile_add(p, t, profile_node_path(p, frames, n), count);
	free(copy);
}

/* Recursion (rec calls itself, on two lines), an inlined copy of inl beside
 * its out-of-line copy, two threads, lines. No period: the view shows counts. */
static struct profile *sample_profile(void)
{
	struct profile *p = profile_new();
	add(p, 100, "main@m.c:5;rec@r.c:10;rec@r.c:11;rec@r.c:10;leaf@l.c:3", 40);
	add(p, 100, "main@m.c:5;work@w.c:20;inl@i.h:7!", 25);
	add(p, 100, "main@m.c:6;inl@i.h:7", 10);
	add(p, 101, "start@s.c:1;work@w.c:21;rec@r.c:10;rec@r.c:10", 15);
	add(p, 101, "start@s.c:1;work@w.c:22", 5);
	return p;
}

/* A row: "name" or "name:line", inlined or not, and its numbers. */
struct row {
	char key[128];
	uint64_t self, total;
};

struct rows {
	struct row r[64];
	size_t n;
};

static struct row *row_get(struct rows *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->r[i].key, key))
			return &t->r[i];
	assert_true(t->n < 64);
	struct row *r = &t->r[t->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->key, sizeof(r->key), "%s", key);
	return r;
}

static const struct row *row_find(const struct rows *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->r[i].key, key))
			return &t->r[i];
	return NULL;
}

static char *write_to_string(int (*fn)(const struct profile *, FILE *, const struct write_opts *),
			     const struct profile *p, const struct write_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(fn(p, f, o), 0);
	fclose(f);
	return buf;
}

/* The report's "by total" table: "self% self total% total  name [inlined]  where". */
static void report_rows(const struct profile *p, bool lines, struct rows *out)
{
	struct write_opts o = { .lines = lines, .top = 1000 };
	char *text = write_to_string(report_write, p, &o);
	char *t = strstr(text, "top functions by total");
	assert_non_null(t);
	t = strchr(t, '\n') + 1;  /* the title */
	t = strchr(t, '\n') + 1;  /* the column titles */
	for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long self, total;
		double ps, pt;
		int pos = 0;
		assert_int_equal(sscanf(l, "%lf%% %llu %lf%% %llu  %n", &ps, &self, &pt, &total, &pos), 4);
		char *name = l + pos, *end = strstr(name, "  ");
		if (end)
			*end = '\0';
		struct row *r = row_get(out, name);
		r->self = self;
		r->total = total;
	}
	free(text);
}

/* The view's table: "%Own %Total Own Total Function Location"; with lines the
 * line comes from the location column ("r.c:10"). */
static void view_rows(const struct profile *p, bool lines, struct rows *out)
{
	struct view_opts vo = { .delay = 1.0, .lines = lines };
	struct view *v = view_new(&vo);
	view_update(v, profile_copy(p), 1000000000ull);
	struct strbuf sb;
	strbuf_init(&sb);
	view_render_text(v, &sb, 0, 1000);
	if (getenv("FOLD_DEBUG"))
		fputs(sb.buf, stderr);
	char *t = strstr(sb.buf, "%Total");
	assert_non_null(t);
	t = strchr(t, '\n') + 1;
	size_t rows = 0;
	for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long own, total;
		double po, pt;
		assert_true(strlen(l) > 34);
		if (sscanf(l, "%lf %lf %llu %llu", &po, &pt, &own, &total) != 4)
			fail_msg("view row \"%s\"", l);
		char *name = l + 34, *end = strstr(name, "  ");
		const char *loc = ""; /* none: the line was cut after the name */
		if (end) {
			*end = '\0';
			loc = end + 2;
			while (*loc == ' ')
				loc++;
		}
		char key[128];
		char *inl = strstr(name, " [inlined]");
		if (inl)
			*inl = '\0';
		const char *colon = strrchr(loc, ':');
		if (lines && colon)
			snprintf(key, sizeof(key), "%s:%s%s", name, colon + 1, inl ? " [inlined]" : "");
		else
			snprintf(key, sizeof(key), "%s%s", name, inl ? " [inlined]" : "");
		struct row *r = row_get(out, key);
		r->self = own;
		r->total = total;
		rows++;
	}
	assert_int_equal(rows, view_nrows(v));
	strbuf_release(&sb);
	view_free(v);
}

/* Per-function totals computed here from the folded-stacks writer's text,
 * independently of the fold: self from the leaf, total once per stack. */
static void collapsed_rows(const struct profile *p, bool lines, struct rows *out)
{
	struct write_opts o = { .lines = lines };
	char *text = write_to_string(collapsed_write, p, &o);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(l, ' ');
		assert_non_null(sp);
		*sp = '\0';
		uint64_t count = strtoull(sp + 1, NULL, 10);
		char *seen[64];
		size_t nseen = 0;
		char *last = NULL;
		for (char *s2 = NULL, *fr = strtok_r(l, ";", &s2); fr; fr = strtok_r(NULL, ";", &s2)) {
			char key[128];
			size_t len = strlen(fr);
			if (len > 4 && !strcmp(fr + len - 4, "_[i]")) {
				fr[len - 4] = '\0';
				snprintf(key, sizeof(key), "%s [inlined]", fr);
			} else {
				snprintf(key, sizeof(key), "%s", fr);
			}
			struct row *r = row_get(out, key);
			bool dup = false;
			for (size_t i = 0; i < nseen; i++)
				dup |= !strcmp(seen[i], r->key);
			if (!dup) {
				r->total += count;
				assert_true(nseen < 64);
				seen[nseen++] = r->key;
			}
			last = r->key;
		}
		assert_non_null(last);
		row_get(out, last)->self += count;
	}
	free(text);
}

static void assert_same_rows(const struct rows *a, const struct rows *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct row *o = row_find(b, a->r[i].key);
		if (!o)
			fail_msg("row %s missing", a->r[i].key);
		if (o->self != a->r[i].self || o->total != a->r[i].total)
			fail_msg("row %s: self %llu/%llu total %llu/%llu", a->r[i].key,
				 (unsigned long long)a->r[i].self, (unsigned long long)o->self,
				 (unsigned long long)a->r[i].total, (unsigned long long)o->total);
	}
}

static void expect(const struct rows *t, const char *key, uint64_t self, uint64_t total)
{
	const struct row *r = row_find(t, key);
	if (!r)
		fail_msg("row %s missing", key);
	assert_int_equal(r->self, self);
	assert_int_equal(r->total, total);
}

static void test_report_view_writer_agree_by_function(void **state)
{
	(void)state;
	struct profile *p = sample_profile();
	struct rows rep = { 0 }, view = { 0 }, col = { 0 };
	report_rows(p, false, &rep);
	view_rows(p, false, &view);
	collapsed_rows(p, false, &col);
	/* recursion counts once in total; the inlined copy of inl is a row apart */
	expect(&rep, "rec", 15, 55);
	expect(&rep, "leaf", 40, 40);
	expect(&rep, "inl [inlined]", 25, 25);
	expect(&rep, "inl", 10, 10);
	expect(&rep, "work", 5, 45);
	expect(&rep, "main", 0, 75);
	assert_int_equal(rep.n, 7);
	assert_same_rows(&rep, &view);
	assert_same_rows(&rep, &col);
	profile_free(p);
}

static void test_report_view_writer_agree_by_line(void **state)
{
	(void)state;
	struct profile *p = sample_profile();
	struct rows rep = { 0 }, view = { 0 }, col = { 0 };
	report_rows(p, true, &rep);
	view_rows(p, true, &view);
	collapsed_rows(p, true, &col);
	expect(&rep, "rec:10", 15, 55);
	expect(&rep, "rec:11", 0, 40);
	expect(&rep, "main:5", 0, 65);
	expect(&rep, "main:6", 0, 10);
	expect(&rep, "work:22", 5, 5);
	expect(&rep, "inl:7 [inlined]", 25, 25);
	assert_same_rows(&rep, &view);
	assert_same_rows(&rep, &col);
	profile_free(p);
}

/* Folded text is function-level already: the fold borrows it instead of
 * copying, and the rows must still agree. */
static void test_agree_on_folded_text(void **state)
{
	(void)state;
	static const char text[] = "main;rec;rec;rec;leaf 40\n"
				   "main;work;inl_[i] 25\n"
				   "main;inl 10\n"
				   "start;work;rec;rec 15\n";
	struct profile *p = collapsed_read(text, sizeof(text) - 1);
	assert_non_null(p);
	struct fold f;
	fold_init(&f, p, NULL);
	assert_true(f.borrowed);
	fold_release(&f);
	struct rows rep = { 0 }, view = { 0 }, col = { 0 };
	report_rows(p, false, &rep);
	view_rows(p, false, &view);
	collapsed_rows(p, false, &col);
	expect(&rep, "rec", 15, 55);
	expect(&rep, "inl [inlined]", 25, 25);
	expect(&rep, "inl", 10, 10);
	assert_same_rows(&rep, &view);
	assert_same_rows(&rep, &col);
	profile_free(p);
}

/* One thread: the fold counts only its samples, and the view's thread
 * choice shows exactly those. */
/* Python functions are rows by name and file: the bodies of two modules
 * are both "<module>", and stay two rows; native frames still merge by name. */
static void test_python_rows_by_file(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	char fa[] = "/srv/a.py", fb[] = "/srv/b.py";
	char *files[2] = { fa, fb };
	for (int k = 0; k < 2; k++) {
		struct profile_frame mod = { .name = "<module>", .file = files[k], .line = (uint32_t)(3 + k),
					     .module = -1, .kind = FRAME_PYTHON };
		struct profile_frame c = { .name = "fake_leaf", .module = -1, .kind = FRAME_USER,
					   .address = 0x1000 + (uint64_t)k };
		uint32_t fr[2] = { profile_frame_intern(p, &mod), profile_frame_intern(p, &c) };
		uint32_t t = profile_thread_intern(p, 100, 100, "main");
		profile_add(p, t, profile_node_path(p, fr, 2), (uint64_t)(10 + k));
	}
	struct profile *q = profile_fold(p, 0);
	size_t mods = 0, leaves = 0;
	for (size_t i = 0; i < q->nframes; i++) {
		if (!strcmp(q->frames[i].name, "<module>")) {
			mods++;
			assert_non_null(q->frames[i].file);
		}
		if (!strcmp(q->frames[i].name, "fake_leaf"))
			leaves++;
	}
	assert_int_equal(mods, 2);
	assert_int_equal(leaves, 1);
	profile_free(q);
	profile_free(p);
}

static void test_fold_one_thread(void **state)
{
	(void)state;
	struct profile *p = sample_profile();
	struct fold f;
	struct fold_opts o = { .tid = 101, .pid = 100 };
	fold_init(&f, p, &o);
	fold_functions(&f);
	assert_int_equal(f.sum, 20);
	bool saw_rec = false;
	for (size_t i = 0; i < f.p->nframes; i++) {
		if (strcmp(f.p->frames[i].name, "rec"))
			continue;
		saw_rec = true;
		assert_int_equal(f.fself[i], 15);
		assert_int_equal(f.ftotal[i], 15);
	}
	assert_true(saw_rec);
	fold_release(&f);

	struct view *v = view_new(NULL);
	view_update(v, profile_copy(p), 1);
	view_key(v, 'T'); /* the first thread by tid: 100 */
	view_key(v, 'T'); /* 101 */
	struct strbuf sb;
	strbuf_init(&sb);
	view_render_text(v, &sb, 0, 100);
	assert_non_null(strstr(sb.buf, "worker (101)"));
	assert_null(strstr(sb.buf, "leaf"));
	assert_non_null(strstr(sb.buf, "rec"));
	strbuf_release(&sb);
	view_free(v);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_view_writer_agree_by_function),
		cmocka_unit_test(test_report_view_writer_agree_by_line),
		cmocka_unit_test(test_agree_on_folded_text),
		cmocka_unit_test(test_fold_one_thread),
		cmocka_unit_test(test_python_rows_by_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
