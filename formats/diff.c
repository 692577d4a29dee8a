#include "formats/diff.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/escape.h"
#include "formats/report.h"
#include "formats/stacks.h"

/* A table of strings to per-side numbers, so functions (or stacks) of two
 * profiles meet by the text they show. */
struct entry {
	char *key;
	char *where;
	uint64_t self[2], total[2];
};

struct table {
	struct entry *e;
	size_t n, cap;
	struct itab idx; /* key -> entry */
};

static bool entry_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct table *t = ctx;
	return strcmp(t->e[i].key, key) == 0;
}

static struct entry *table_get(struct table *t, const char *key)
{
	uint64_t h = hash_bytes(key, strlen(key), 1);
	uint32_t i = itab_find(&t->idx, h, entry_eq, t, key);
	if (i != ITAB_NONE)
		return &t->e[i];
	xgrow((void **)&t->e, &t->cap, t->n + 1, sizeof(*t->e));
	struct entry *e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(key);
	itab_insert(&t->idx, h, (uint32_t)t->n++);
	return e;
}

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].key);
		free(t->e[i].where);
	}
	free(t->e);
	itab_release(&t->idx);
}

static void add_functions(struct table *t, const struct profile *src, const struct write_opts *o, int side,
			  uint64_t *sum)
{
	struct fold s;
	stacks_init(&s, src, o);
	fold_functions(&s);
	const uint64_t *self = s.fself, *total = s.ftotal;
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t f = 0; f < s.p->nframes; f++) {
		if (s.p->frames[f].kind == FRAME_THREAD || s.p->frames[f].kind == FRAME_PROCESS || (!self[f] && !total[f]))
			continue;
		strbuf_reset(&sb);
		stacks_label(&s, (uint32_t)f, true, &sb);
		struct entry *e = table_get(t, sb.buf);
		e->self[side] += self[f];
		e->total[side] += total[f];
		if (!e->where) {
			strbuf_reset(&sb);
			stacks_where(&s, (uint32_t)f, &sb);
			e->where = xstrdup(sb.buf);
		}
	}
	*sum = s.total[PROFILE_ROOT];
	strbuf_release(&sb);
	fold_release(&s);
}

static double share(uint64_t n, uint64_t sum)
{
	return sum ? 100.0 * (double)n / (double)sum : 0;
}

static const struct table *sort_table;
static const uint64_t *sort_sums;
static bool sort_self;

static double change(const struct entry *e, bool self)
{
	const uint64_t *v = self ? e->self : e->total;
	return share(v[1], sort_sums[1]) - share(v[0], sort_sums[0]);
}

/* Largest change first (either way), then by name for a stable order. */
static int by_change(const void *a, const void *b)
{
	const struct entry *x = &sort_table->e[*(const uint32_t *)a], *y = &sort_table->e[*(const uint32_t *)b];
	double dx = fabs(change(x, sort_self)), dy = fabs(change(y, sort_self));
	if (dx != dy)
		return dx < dy ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void print_table(FILE *out, struct table *t, const uint64_t sums[2], bool self, int top)
{
	uint32_t *order = xmalloc((t->n + 1) * sizeof(*order));
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++) {
		const uint64_t *v = self ? t->e[i].self : t->e[i].total;
		if (v[0] || v[1])
			order[n++] = (uint32_t)i;
	}
	sort_table = t;
	sort_sums = sums;
	sort_self = self;
	qsort(order, n, sizeof(*order), by_change);
	/* The rows first: names as wide as the widest, long ones shortened, as
	 * in report's tables, so every where starts in one column. */
	size_t rows = 0, width = REPORT_NAME_MIN;
	char **names = xcalloc(n + 1, sizeof(*names));
	struct strbuf key, where;
	strbuf_init(&key);
	strbuf_init(&where);
	for (; rows < n && rows < (size_t)top; rows++) {
		const struct entry *e = &t->e[order[rows]];
		if (fabs(change(e, self)) < 0.005)
			break;
		strbuf_reset(&key);
		strbuf_reset(&where);
		escape_text(&key, e->key);
		report_shorten(key.buf, REPORT_NAME_MAX, &where);
		names[rows] = xstrdup(where.buf);
		if (report_columns(names[rows]) > width)
			width = report_columns(names[rows]);
	}
	int nw = 10;
	for (uint64_t x = sums[0] > sums[1] ? sums[0] : sums[1]; x >= 10000000000ull && nw < 20; x /= 10)
		nw++;
	fprintf(out, "\nfunctions whose %s share changed most\n%8s %8s %8s %*s %*s  %-*s %s\n",
		self ? "self" : "total", "before%", "after%", "change", nw, "before", nw, "after", (int)width, "function",
		"where");
	for (size_t i = 0; i < rows; i++) {
		const struct entry *e = &t->e[order[i]];
		const uint64_t *v = self ? e->self : e->total;
		strbuf_reset(&where);
		escape_text(&where, e->where);
		fprintf(out, "%7.2f%% %7.2f%% %+8.2f %*llu %*llu  %s", share(v[0], sums[0]), share(v[1], sums[1]),
			change(e, self), nw, (unsigned long long)v[0], nw, (unsigned long long)v[1], names[i]);
		for (size_t w = report_columns(names[i]); w < width; w++)
			fputc(' ', out);
		fprintf(out, " %s\n", where.buf);
		free(names[i]);
	}
	free(names);
	strbuf_release(&key);
	strbuf_release(&where);
	free(order);
}

int diff_write_text(const struct profile *before, const struct profile *after, FILE *out,
		    const struct write_opts *o)
{
	struct table t = { 0 };
	uint64_t sums[2];
	add_functions(&t, before, o, 0, &sums[0]);
	add_functions(&t, after, o, 1, &sums[1]);
	struct strbuf a, b;
	strbuf_init(&a);
	strbuf_init(&b);
	report_summary(before, &a);
	report_summary(after, &b);
	fprintf(out, "prowl diff: shares of all samples, before -> after (changes in percentage points)\n"
		     "before: %s\nafter:  %s\n", a.buf, b.buf);
	strbuf_release(&a);
	strbuf_release(&b);
	int top = o && o->top > 0 ? o->top : 20;
	print_table(out, &t, sums, true, top);
	print_table(out, &t, sums, false, top);
	table_release(&t);
	return ferror(out) ? -EIO : 0;
}

static void add_stacks(struct table *t, const struct profile *src, const struct write_opts *o, int side)
{
	struct fold s;
	stacks_init(&s, src, o);
	const struct profile *p = s.p;
	struct strbuf sb, label;
	strbuf_init(&sb);
	strbuf_init(&label);
	uint32_t *stack = NULL;
	size_t cap = 0;
	for (size_t n = 1; n < p->nnodes; n++) {
		if (!s.self[n])
			continue;
		size_t d = profile_node_depth(p, (uint32_t)n);
		xgrow((void **)&stack, &cap, d + 1, sizeof(*stack));
		profile_node_frames(p, (uint32_t)n, stack, d);
		strbuf_reset(&sb);
		for (size_t i = 0; i < d; i++) {
			if (i)
				strbuf_addc(&sb, ';');
			strbuf_reset(&label);
			stacks_label(&s, stack[i], true, &label);
			escape_folded(&sb, label.buf);
		}
		table_get(t, sb.buf)->self[side] += s.self[n];
	}
	free(stack);
	strbuf_release(&sb);
	strbuf_release(&label);
	fold_release(&s);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(sort_table->e[*(const uint32_t *)a].key, sort_table->e[*(const uint32_t *)b].key);
}

int diff_write_folded(const struct profile *before, const struct profile *after, FILE *out,
		      const struct write_opts *o)
{
	struct table t = { 0 };
	add_stacks(&t, before, o, 0);
	add_stacks(&t, after, o, 1);
	uint32_t *order = xmalloc((t.n + 1) * sizeof(*order));
	for (size_t i = 0; i < t.n; i++)
		order[i] = (uint32_t)i;
	sort_table = &t;
	qsort(order, t.n, sizeof(*order), by_key);
	for (size_t i = 0; i < t.n; i++) {
		const struct entry *e = &t.e[order[i]];
		fprintf(out, "%s %llu %llu\n", e->key, (unsigned long long)e->self[0], (unsigned long long)e->self[1]);
	}
	free(order);
	table_release(&t);
	return ferror(out) ? -EIO : 0;
}
