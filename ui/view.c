#include "ui/view.h"

#include "profiler/base/itab.h"
#include "profiler/model/fold.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Snapshots are shared between roles (the latest one, the reset baseline, the
 * history that windows of time subtract), so they are reference counted.
 */
struct snap {
	struct profile *p;
	uint64_t t;
	int refs;
};

static struct snap *snap_new(struct profile *p, uint64_t t)
{
	struct snap *s = xcalloc(1, sizeof(*s));
	s->p = p;
	s->t = t;
	s->refs = 1;
	return s;
}

static struct snap *snap_ref(struct snap *s)
{
	if (s)
		s->refs++;
	return s;
}

static void snap_unref(struct snap *s)
{
	if (s && --s->refs == 0) {
		profile_free(s->p);
		free(s);
	}
}

/* A trie over function ids: the call tree at the granularity on display. */
struct vnode {
	uint32_t parent, func, child, sibling;
	uint32_t depth;
	uint8_t first; /* no ancestor is the same function (for totals of recursion) */
	uint64_t own, total;
	uint64_t path; /* hash of the function keys from the root: identity across refreshes */
};

struct vtrie {
	struct vnode *n;
	size_t nn, cap;
	struct itab idx; /* (parent, func) -> node */
};

#define NO_NODE UINT32_MAX

static void vtrie_init(struct vtrie *t, uint64_t root_path)
{
	memset(t, 0, sizeof(*t));
	xgrow((void **)&t->n, &t->cap, 1, sizeof(*t->n));
	t->n[0] = (struct vnode){ .parent = 0, .func = NO_NODE, .child = NO_NODE, .sibling = NO_NODE,
				  .path = root_path };
	t->nn = 1;
}

static void vtrie_release(struct vtrie *t)
{
	free(t->n);
	itab_release(&t->idx);
	memset(t, 0, sizeof(*t));
}

struct vtrie_key {
	uint32_t parent, func;
};

static bool vtrie_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct vtrie *t = ctx;
	const struct vtrie_key *k = key;
	return t->n[idx].parent == k->parent && t->n[idx].func == k->func;
}

/* Appends a node below parent (the caller knows it is new, or does not index it). */
static uint32_t vtrie_append(struct vtrie *t, uint32_t parent, uint32_t func, uint64_t func_hash)
{
	xgrow((void **)&t->n, &t->cap, t->nn + 1, sizeof(*t->n));
	uint32_t i = (uint32_t)t->nn++;
	struct vnode *pn = &t->n[parent];
	t->n[i] = (struct vnode){
		.parent = parent,
		.func = func,
		.child = NO_NODE,
		.sibling = pn->child,
		.depth = pn->depth + 1,
		.path = hash_mix(pn->path, func_hash),
	};
	pn->child = i;
	return i;
}

static uint32_t vtrie_child(struct vtrie *t, uint32_t parent, uint32_t func, uint64_t func_hash)
{
	struct vtrie_key k = { parent, func };
	uint64_t h = hash_mix(hash_mix(17, parent), func);
	uint32_t i = itab_find(&t->idx, h, vtrie_eq, t, &k);
	if (i != ITAB_NONE)
		return i;
	i = vtrie_append(t, parent, func, func_hash);
	itab_insert(&t->idx, h, i);
	return i;
}

/* One row of the flat table: a frame of the model's fold (a function, or a
 * line at line granularity; profiler/model/fold.h). */
struct vfunc {
	uint64_t hash;    /* identity across refreshes (of kind, name, module, inlined; file and line) */
	const char *name; /* points into the fold */
	char *loc;  /* "file:line", a module, or "": made when first shown (loc_of) */
	char *label; /* "name [inlined]" for an inlined frame (a row apart, as in report), else NULL */
	uint64_t own, total;
	bool inlined;
};

static const char *row_label(const struct vfunc *f)
{
	return f->label ? f->label : f->name;
}

struct analysis {
	struct fold fold;  /* of the displayed profile, for the thread shown */
	bool folded;
	struct vfunc *funcs; /* per frame of fold.p */
	size_t nfuncs;
	struct itab ids;   /* hash -> funcs index */
	struct vtrie trie; /* fold.p's nodes, same indices, with child lists */
	uint64_t total;
};

struct thread_ref {
	int32_t pid, tid;
	char *name;
	uint64_t samples;
};

/* Actions of the key table. */
enum vact {
	A_NONE = 0,
	A_UP, A_DOWN, A_PGUP, A_PGDN, A_HOME, A_END,
	A_ENTER, A_BACK, A_EXPAND, A_COLLAPSE, A_EXPAND_ALL,
	A_TREE, A_CALLERS, A_FLAME,
	A_FILTER, A_THREAD_NEXT, A_THREAD_PREV, A_THREAD_LIST,
	A_LINES, A_SORT_NEXT, A_SORT_PREV, A_SORT_INVERT,
	A_FREEZE, A_RESET, A_WINDOW, A_SAVE, A_HELP, A_QUIT, A_REDRAW,
};

/* Modes where an action is offered (bit per enum view_mode). */
#define M_TABLE (1u << VIEW_TABLE)
#define M_TREE (1u << VIEW_TREE)
#define M_FLAME (1u << VIEW_FLAME)
#define M_THREADS (1u << VIEW_THREADS)
#define M_HELP (1u << VIEW_HELP)
#define M_ALL (M_TABLE | M_TREE | M_FLAME | M_THREADS | M_HELP)
#define M_DATA (M_TABLE | M_TREE | M_FLAME)

struct keydef {
	enum vact act;
	int keys[4];
	const char *names; /* as shown in help */
	const char *bar;   /* label in the key bar, or NULL when not shown there */
	unsigned modes;    /* where it shows in the key bar */
	const char *help;
};

/* The one key table: the help screen and the key bar are made from it, in this
 * order (the bar drops from the end what does not fit, Quit excepted). */
static const struct keydef keytab[] = {
	{ A_HELP, { '?', VIEW_KEY_F1 }, "?, F1", "Help", M_ALL, "this help (any key returns)" },
	{ A_UP, { VIEW_KEY_UP, 'k' }, "Up, k", NULL, 0, "select the row above" },
	{ A_DOWN, { VIEW_KEY_DOWN, 'j' }, "Down, j", NULL, 0, "select the row below" },
	{ A_PGUP, { VIEW_KEY_PGUP }, "PgUp", NULL, 0, "scroll a page up" },
	{ A_PGDN, { VIEW_KEY_PGDN, ' ' }, "PgDn, Space", NULL, 0, "scroll a page down" },
	{ A_HOME, { VIEW_KEY_HOME, 'g' }, "Home, g", NULL, 0, "first row" },
	{ A_END, { VIEW_KEY_END, 'G' }, "End, G", NULL, 0, "last row" },
	{ A_ENTER, { VIEW_KEY_ENTER, '\r' }, "Enter", "Tree", M_TABLE,
	  "table: tree of the selected function; tree: expand/collapse; threads: pick" },
	{ A_BACK, { VIEW_KEY_ESC, VIEW_KEY_BACKSPACE, 8 }, "Esc, Backspace", "Back",
	  M_TREE | M_FLAME | M_THREADS, "back to the table (in the table: clear the filter)" },
	{ A_EXPAND, { VIEW_KEY_RIGHT, 'l', '+' }, "Right, l, +", "Expand", M_TREE, "tree: expand the row" },
	{ A_COLLAPSE, { VIEW_KEY_LEFT, 'h', '-' }, "Left, h, -", "Collapse", M_TREE,
	  "tree: collapse the row (or go to its parent)" },
	{ A_EXPAND_ALL, { '*', 'e' }, "*, e", NULL, 0, "tree: expand everything below the row" },
	{ A_TREE, { 't' }, "t", NULL, 0, "tree of the selected function" },
	{ A_CALLERS, { 'c' }, "c", "Callers", M_TREE, "tree: switch between callees and callers" },
	{ A_FLAME, { 'f' }, "f", "Flame", M_TABLE | M_TREE | M_FLAME,
	  "flame view of the selected function (f again: of everything)" },
	{ A_FILTER, { '/' }, "/", "Filter", M_TABLE, "filter functions by name (substring or regex)" },
	{ A_THREAD_NEXT, { 'T', VIEW_KEY_TAB }, "T, Tab", "Thread", M_DATA,
	  "next thread (all threads, then each one)" },
	{ A_THREAD_PREV, { VIEW_KEY_BTAB }, "Shift-Tab", NULL, 0, "previous thread" },
	{ A_THREAD_LIST, { 'H' }, "H", NULL, 0, "pick a thread from a list" },
	{ A_SAVE, { 's', 'S' }, "s", "Save", M_DATA, "save what is on display (format of -o, SVG by default)" },
	{ A_FREEZE, { 'z', 'Z' }, "z", "Freeze", M_DATA, "freeze the display (capture goes on)" },
	{ A_RESET, { 'r', 'R' }, "r", "Reset", M_DATA, "reset the counts (start from zero now)" },
	{ A_WINDOW, { 'w', 'W' }, "w", "Window", M_DATA,
	  "window: whole run, last 5, 10, 30, 60 seconds" },
	{ A_LINES, { 'L' }, "L", "Lines", M_DATA, "function or line granularity" },
	{ A_SORT_NEXT, { '>', '.' }, ">", "Sort", M_TABLE, "sort by the next column" },
	{ A_SORT_PREV, { '<', ',' }, "<", NULL, 0, "sort by the previous column" },
	{ A_SORT_INVERT, { 'I' }, "I", NULL, 0, "invert the sort order" },
	{ A_REDRAW, { VIEW_KEY_CTRL_L }, "Ctrl-L", NULL, 0, "redraw the whole screen" },
	{ A_QUIT, { 'q', 'Q', VIEW_KEY_CTRL_C }, "q, Ctrl-C", "Quit", M_ALL, "quit (writing -o if given)" },
};

static const unsigned window_steps[] = { 0, 5, 10, 30, 60 };
#define HISTORY_MAX 12

static const char *const sort_names[SORT_NCOLS] = { "%Own", "%Total", "Own", "Total", "Function",
						    "Location" };

/* Snapshots and windows of time (view.c): what is on display. */
struct view_data {
	struct snap *latest;   /* newest snapshot of the whole run */
	struct snap *baseline; /* reset: counts before it are not shown */
	struct snap *history[HISTORY_MAX]; /* for windows of time, oldest first */
	size_t nhistory;
	struct profile *disp;  /* what is on display, at full detail (owned, or latest's) */
	bool disp_owned;
	struct snap *disp_snap; /* keeps a borrowed display alive while frozen */
	uint64_t disp_time;    /* the window the display covers, ns (0: whole run) */
	bool frozen;
	unsigned window;       /* seconds, 0 = whole run */
};

/* Rows, filter, sort and the tree on the model's fold (view_model.c). */
struct view_model {
	struct analysis an;
	bool lines;
	int thread_tid;        /* -1 = all threads */
	int thread_pid;
	char *thread_name;
	struct thread_ref *threads; /* of the displayed profile, by tid */
	size_t nthreads;
	enum view_sort sort;
	bool ascending;
	struct strbuf filter;
	regex_t re;
	bool re_ok;
	uint32_t *rows;        /* table rows: indices into an.funcs, filtered and sorted */
	size_t nrows;
	uint64_t sel_id;       /* the selected function (its hash), 0 = none */
	size_t sel;
	uint64_t tree_id;      /* function whose tree or flame is shown, 0 = everything */
	bool callers;
	struct vtrie tree;     /* callees or callers of tree_id (node 1 is the function) */
	uint32_t *trows;
	size_t ntrows;
	uint64_t *expanded;    /* paths of the expanded tree rows */
	size_t nexpanded, cap_expanded;
	uint64_t tsel_path;
	size_t tsel;
};

/* What the keys move and the screen shows (view_keys.c, view_render.c). */
struct view_ui {
	enum view_mode mode, back_mode;
	bool editing;          /* the filter prompt has the keys */
	size_t top, ttop;      /* first table / tree row on screen */
	int flame_top;
	size_t psel, ptop, htop; /* thread picker and help */
	struct view_status st;
	char *st_command, *st_backend, *st_event, *st_note;
	double rate, prev_elapsed;
	uint64_t prev_samples;
	bool have_prev;
	int page; /* rows of the last rendered body, for PgUp/PgDn */
	struct view_screen screen;
};

struct view {
	struct view_opts opts;
	struct view_data d;
	struct view_model m;
	struct view_ui u;
};

/* ---------- small helpers ---------- */

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

static uint64_t key_hash(const char *s)
{
	return hash_bytes(s, strlen(s), 0x70726f776cULL);
}

/* Time of count samples as text: "850ms", "12.3s", "4m05s"; samples when unknown. */
static void fmt_time(char *buf, size_t n, uint64_t count, uint64_t period_ns)
{
	if (!period_ns) {
		snprintf(buf, n, "%llu", (unsigned long long)count);
		return;
	}
	double s = (double)count * (double)period_ns / 1e9;
	if (s < 1.0)
		snprintf(buf, n, "%.0fms", s * 1000.0);
	else if (s < 100.0)
		snprintf(buf, n, "%.2fs", s);
	else if (s < 6000.0)
		snprintf(buf, n, "%um%02us", (unsigned)(s / 60), (unsigned)s % 60);
	else
		snprintf(buf, n, "%.0fm", s / 60);
}

static double pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

static uint64_t period_of(const struct profile *p)
{
	if (!p)
		return 0;
	if (p->meta.period_ns)
		return p->meta.period_ns;
	return p->meta.freq ? 1000000000ull / p->meta.freq : 0;
}

/* ---------- analysis: from the displayed profile to functions and a trie ---------- */

static void analysis_release(struct analysis *a)
{
	for (size_t i = 0; i < a->nfuncs; i++) {
		free(a->funcs[i].loc);
		free(a->funcs[i].label);
	}
	free(a->funcs);
	itab_release(&a->ids);
	vtrie_release(&a->trie);
	if (a->folded)
		fold_release(&a->fold);
	memset(a, 0, sizeof(*a));
}

static bool id_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct analysis *a = ctx;
	return a->funcs[idx].hash == *(const uint64_t *)key;
}

/*
 * Rows are told apart across refreshes by a 64-bit hash of what identifies
 * them (no key strings: a refresh hashes every frame of a profile of ~10,000
 * functions). A collision among 10^4 functions has a chance of about 10^-11.
 */
static uint32_t func_find(const struct analysis *a, uint64_t id)
{
	if (!id)
		return NO_NODE;
	return itab_find(&a->ids, id, id_eq, a, &id);
}

static const char *module_of(const struct profile *p, const struct profile_frame *f)
{
	if (f->module >= 0 && (size_t)f->module < p->nmodules && p->modules[f->module].path)
		return p->modules[f->module].path;
	return "";
}

static uint64_t frame_id(const struct profile *p, const struct profile_frame *f, bool lines)
{
	uint64_t h = key_hash(f->name ? f->name : "");
	h = hash_mix(h, f->kind);
	h = hash_mix(h, key_hash(module_of(p, f)));
	if (f->inlined)
		h = hash_mix(h, 0x696e6c);
	if (lines) {
		h = hash_mix(h, f->file ? key_hash(f->file) : 1);
		h = hash_mix(h, f->line);
	}
	return h ? h : 1;
}

static char *frame_loc(const struct fold *fo, uint32_t frame)
{
	const struct profile_frame *f = &fo->p->frames[frame];
	const char *file = fold_file(fo, frame);
	uint32_t line = fold_line(fo, frame);
	if (file && line)
		return xasprintf("%s:%u", base_name(file), line);
	if (file)
		return xstrdup(base_name(file));
	if (f->kind == FRAME_KERNEL)
		return xstrdup("[kernel]");
	return xstrdup(base_name(module_of(fo->p, f)));
}

static bool thread_shown(const struct view_model *m, const struct profile *p, uint32_t thread)
{
	if (m->thread_tid < 0)
		return true;
	if (thread >= p->nthreads)
		return false;
	return p->threads[thread].tid == m->thread_tid && p->threads[thread].pid == m->thread_pid;
}

/* Rows and the call trie from the model's fold: the numbers `prowl report`
 * prints for the same profile, restricted to the thread shown. */
static void analysis_build(struct view_model *m, const struct profile *src)
{
	struct analysis *a = &m->an;
	analysis_release(a);
	vtrie_init(&a->trie, 0);
	if (!src)
		return;
	struct fold_opts fo = {
		.flags = m->lines ? PROFILE_FOLD_LINES : 0,
		.tid = m->thread_tid < 0 ? FOLD_ALL_THREADS : m->thread_tid,
		.pid = m->thread_pid,
	};
	fold_init(&a->fold, src, &fo);
	a->folded = true;
	fold_functions(&a->fold);
	const struct profile *p = a->fold.p;
	a->total = a->fold.sum;
	a->nfuncs = p->nframes;
	a->funcs = xcalloc(p->nframes + 1, sizeof(*a->funcs));
	for (size_t i = 0; i < p->nframes; i++) {
		const struct profile_frame *f = &p->frames[i];
		struct vfunc *vf = &a->funcs[i];
		vf->hash = frame_id(p, f, m->lines);
		vf->name = f->name;
		vf->inlined = f->inlined != 0;
		if (vf->inlined)
			vf->label = xasprintf("%s [inlined]", f->name);
		vf->own = a->fold.fself[i];
		vf->total = a->fold.ftotal[i];
		if (func_find(a, vf->hash) == NO_NODE)
			itab_insert(&a->ids, vf->hash, (uint32_t)i);
	}
	/* The trie mirrors the fold's nodes (parents come before children). */
	for (size_t i = 1; i < p->nnodes; i++) {
		uint32_t f = p->nodes[i].frame;
		uint32_t n = vtrie_append(&a->trie, p->nodes[i].parent, f, a->funcs[f].hash);
		a->trie.n[n].own = a->fold.self[i];
		a->trie.n[n].total = a->fold.total[i];
	}
	a->trie.n[0].own = a->fold.self[0];
	a->trie.n[0].total = a->fold.total[0];
	struct vnode *n = a->trie.n;
	for (size_t i = 1; i < a->trie.nn; i++) {
		uint32_t f = n[i].func, up = n[i].parent;
		while (up != 0 && n[up].func != f)
			up = n[up].parent;
		n[i].first = up == 0;
	}
}

/* The location column of a function, made on first use: most rows are never shown. */
static const char *loc_of(struct view_model *m, uint32_t fi)
{
	struct vfunc *f = &m->an.funcs[fi];
	if (!f->loc)
		f->loc = m->an.folded ? frame_loc(&m->an.fold, fi) : xstrdup("");
	return f->loc;
}

/* ---------- table rows: filter, sort, selection ---------- */

static void filter_compile(struct view_model *m)
{
	if (m->re_ok)
		regfree(&m->re);
	m->re_ok = false;
	if (m->filter.len)
		m->re_ok = regcomp(&m->re, m->filter.buf, REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0;
}

static bool filter_match(const struct view_model *m, const char *name)
{
	if (!m->filter.len)
		return true;
	if (m->re_ok)
		return regexec(&m->re, name, 0, NULL, 0) == 0;
	return strcasestr(name, m->filter.buf) != NULL; /* not a valid regex: a substring */
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int row_cmp(const void *pa, const void *pb, void *arg)
{
	const struct view_model *m = arg;
	const struct vfunc *a = &m->an.funcs[*(const uint32_t *)pa], *b = &m->an.funcs[*(const uint32_t *)pb];
	int r = 0;
	switch (m->sort) {
	case SORT_OWN_PCT:
	case SORT_OWN_TIME:
		r = -cmp_u64(a->own, b->own);
		if (!r)
			r = -cmp_u64(a->total, b->total);
		break;
	case SORT_TOTAL_PCT:
	case SORT_TOTAL_TIME:
		r = -cmp_u64(a->total, b->total);
		if (!r)
			r = -cmp_u64(a->own, b->own);
		break;
	case SORT_FUNCTION: /* "descending" is Z to A, so that ascending reads A to Z */
		r = -strcmp(a->name, b->name);
		break;
	case SORT_LOCATION:
		r = -strcmp(a->loc ? a->loc : "", b->loc ? b->loc : "");
		break;
	default:
		break;
	}
	if (m->ascending)
		r = -r;
	if (!r)
		r = cmp_u64(a->hash, b->hash);
	return r;
}

static void rows_build(struct view_model *m)
{
	free(m->rows);
	m->rows = xmalloc((m->an.nfuncs + 1) * sizeof(*m->rows));
	m->nrows = 0;
	for (size_t i = 0; i < m->an.nfuncs; i++) {
		const struct vfunc *f = &m->an.funcs[i];
		if (f->total && filter_match(m, f->name))
			m->rows[m->nrows++] = (uint32_t)i;
	}
	if (m->sort == SORT_LOCATION)
		for (size_t i = 0; i < m->nrows; i++)
			loc_of(m, m->rows[i]);
	qsort_r(m->rows, m->nrows, sizeof(*m->rows), row_cmp, m);
	/* The selection follows its function across refreshes and re-sorts. */
	size_t sel = m->sel;
	if (m->sel_id) {
		for (size_t i = 0; i < m->nrows; i++)
			if (m->an.funcs[m->rows[i]].hash == m->sel_id) {
				sel = i;
				break;
			}
	}
	if (sel >= m->nrows)
		sel = m->nrows ? m->nrows - 1 : 0;
	m->sel = sel;
	if (m->nrows)
		m->sel_id = m->an.funcs[m->rows[sel]].hash;
}

static void select_row(struct view_model *m, size_t i)
{
	if (!m->nrows)
		return;
	if (i >= m->nrows)
		i = m->nrows - 1;
	m->sel = i;
	m->sel_id = m->an.funcs[m->rows[i]].hash;
}

/* ---------- tree of one function ---------- */

static bool expanded_has(const struct view_model *m, uint64_t path)
{
	for (size_t i = 0; i < m->nexpanded; i++)
		if (m->expanded[i] == path)
			return true;
	return false;
}

static void expanded_set(struct view_model *m, uint64_t path, bool on)
{
	for (size_t i = 0; i < m->nexpanded; i++)
		if (m->expanded[i] == path) {
			if (!on)
				m->expanded[i] = m->expanded[--m->nexpanded];
			return;
		}
	if (on) {
		xgrow((void **)&m->expanded, &m->cap_expanded, m->nexpanded + 1, sizeof(*m->expanded));
		m->expanded[m->nexpanded++] = path;
	}
}

/* Copies the subtree of trie node src below tree node dst (callees). */
static void tree_add_callees(struct view_model *m, uint32_t src, uint32_t dst)
{
	const struct vtrie *t = &m->an.trie;
	uint32_t *stack = NULL;
	size_t cap = 0, n = 0;
	xgrow((void **)&stack, &cap, 2, sizeof(*stack));
	stack[n++] = src;
	stack[n++] = dst;
	while (n) {
		uint32_t d = stack[--n], s = stack[--n];
		m->tree.n[d].own += t->n[s].own;
		m->tree.n[d].total += t->n[s].total;
		for (uint32_t c = t->n[s].child; c != NO_NODE; c = t->n[c].sibling) {
			if (!t->n[c].total)
				continue;
			uint32_t f = t->n[c].func;
			uint32_t dc = vtrie_child(&m->tree, d, f, m->an.funcs[f].hash);
			xgrow((void **)&stack, &cap, n + 2, sizeof(*stack));
			stack[n++] = c;
			stack[n++] = dc;
		}
	}
	free(stack);
}

static void tree_build(struct view_model *m)
{
	vtrie_release(&m->tree);
	vtrie_init(&m->tree, 0);
	uint32_t f = func_find(&m->an, m->tree_id);
	if (f == NO_NODE)
		return;
	uint32_t top = vtrie_child(&m->tree, 0, f, m->an.funcs[f].hash);
	const struct vtrie *t = &m->an.trie;
	for (size_t i = 1; i < t->nn; i++) {
		if (t->n[i].func != f || !t->n[i].first || !t->n[i].total)
			continue;
		if (!m->callers) {
			tree_add_callees(m, (uint32_t)i, top);
			continue;
		}
		uint64_t w = t->n[i].total;
		m->tree.n[top].total += w;
		uint32_t d = top;
		for (uint32_t up = t->n[i].parent; up != 0; up = t->n[up].parent) {
			uint32_t g = t->n[up].func;
			d = vtrie_child(&m->tree, d, g, m->an.funcs[g].hash);
			m->tree.n[d].total += w;
		}
		m->tree.n[d].own += w; /* callers: "own" is where the chain starts */
	}
}

/* Children of a tree node, hottest first. */
static size_t tree_children(const struct vtrie *t, uint32_t node, uint32_t **out, size_t *cap)
{
	size_t n = 0;
	for (uint32_t c = t->n[node].child; c != NO_NODE; c = t->n[c].sibling) {
		if (!t->n[c].total)
			continue;
		xgrow((void **)out, cap, n + 1, sizeof(**out));
		(*out)[n++] = c;
	}
	for (size_t i = 1; i < n; i++) { /* insertion sort: child lists are short */
		uint32_t x = (*out)[i];
		size_t j = i;
		while (j > 0 && t->n[(*out)[j - 1]].total < t->n[x].total) {
			(*out)[j] = (*out)[j - 1];
			j--;
		}
		(*out)[j] = x;
	}
	return n;
}

static void trows_add(struct view_model *m, uint32_t node, size_t *cap)
{
	xgrow((void **)&m->trows, cap, m->ntrows + 1, sizeof(*m->trows));
	m->trows[m->ntrows++] = node;
	if (!expanded_has(m, m->tree.n[node].path))
		return;
	uint32_t *kids = NULL;
	size_t kcap = 0, nk = tree_children(&m->tree, node, &kids, &kcap);
	for (size_t i = 0; i < nk; i++)
		trows_add(m, kids[i], cap);
	free(kids);
}

static void trows_build(struct view_model *m)
{
	free(m->trows);
	m->trows = NULL;
	m->ntrows = 0;
	size_t cap = 0;
	if (m->tree.nn > 1)
		trows_add(m, 1, &cap);
	size_t sel = m->tsel;
	for (size_t i = 0; i < m->ntrows; i++)
		if (m->tree.n[m->trows[i]].path == m->tsel_path) {
			sel = i;
			break;
		}
	if (sel >= m->ntrows)
		sel = m->ntrows ? m->ntrows - 1 : 0;
	m->tsel = sel;
	if (m->ntrows)
		m->tsel_path = m->tree.n[m->trows[sel]].path;
}

/* Opens the tree: the function and its hottest path down to where it splits. */
static void tree_open(struct view_model *m, uint64_t id)
{
	m->tree_id = id;
	m->nexpanded = 0;
	m->tsel = 0;
	tree_build(m);
	if (m->tree.nn > 1) {
		uint32_t node = 1;
		uint32_t *kids = NULL;
		size_t cap = 0;
		m->tsel_path = m->tree.n[1].path;
		for (int depth = 0; depth < 12; depth++) {
			expanded_set(m, m->tree.n[node].path, true);
			size_t nk = tree_children(&m->tree, node, &kids, &cap);
			if (!nk || m->tree.n[kids[0]].total * 2 < m->tree.n[node].total)
				break;
			node = kids[0];
		}
		free(kids);
	}
	trows_build(m);
}

static void tree_expand_all(struct view_model *m, uint32_t node)
{
	expanded_set(m, m->tree.n[node].path, true);
	for (uint32_t c = m->tree.n[node].child; c != NO_NODE; c = m->tree.n[c].sibling)
		if (m->tree.n[c].total)
			tree_expand_all(m, c);
}

/* ---------- data flow: snapshots, windows, reset, freeze ---------- */

static void disp_drop(struct view *v)
{
	if (v->d.disp_owned)
		profile_free(v->d.disp);
	snap_unref(v->d.disp_snap);
	v->d.disp_snap = NULL;
	v->d.disp = NULL;
	v->d.disp_owned = false;
}

static void threads_refresh(struct view_model *m, const struct profile *p)
{
	for (size_t i = 0; i < m->nthreads; i++)
		free(m->threads[i].name);
	free(m->threads);
	m->threads = NULL;
	m->nthreads = 0;
	if (!p)
		return;
	m->threads = xcalloc(p->nthreads + 1, sizeof(*m->threads));
	for (size_t i = 0; i < p->nthreads; i++) {
		struct thread_ref *t = &m->threads[m->nthreads++];
		t->pid = p->threads[i].pid;
		t->tid = p->threads[i].tid;
		t->name = xstrdup(p->threads[i].name);
		t->samples = p->threads[i].samples;
	}
	for (size_t i = 1; i < m->nthreads; i++) { /* by tid: a stable order to cycle through */
		struct thread_ref x = m->threads[i];
		size_t j = i;
		while (j > 0 && m->threads[j - 1].tid > x.tid) {
			m->threads[j] = m->threads[j - 1];
			j--;
		}
		m->threads[j] = x;
	}
}

/* Everything below the display profile: functions, rows, tree. */
static void reanalyze(struct view_model *m, const struct profile *disp)
{
	analysis_build(m, disp);
	rows_build(m);
	if (m->tree_id) {
		tree_build(m);
		trows_build(m);
	}
}

/* Rebuilds the display profile: latest minus the newest of reset baseline and window start. */
static void recompute(struct view *v)
{
	disp_drop(v);
	v->d.disp_time = 0;
	if (!v->d.latest)
		goto done;
	struct snap *base = v->d.baseline;
	if (v->d.window) {
		uint64_t span = (uint64_t)v->d.window * 1000000000ull;
		struct snap *w = NULL;
		for (size_t i = 0; i < v->d.nhistory; i++) {
			if (v->d.history[i]->t + span <= v->d.latest->t || !w)
				w = v->d.history[i];
		}
		if (w && (!base || w->t > base->t))
			base = w;
	}
	if (!base || base == v->d.latest) {
		if (base == v->d.latest) {
			v->d.disp = profile_new();
			v->d.disp_owned = true;
			profile_set_str(&v->d.disp->meta.command, v->d.latest->p->meta.command);
			v->d.disp->meta.period_ns = v->d.latest->p->meta.period_ns;
			v->d.disp->meta.freq = v->d.latest->p->meta.freq;
		} else {
			v->d.disp = v->d.latest->p;
			v->d.disp_snap = snap_ref(v->d.latest);
		}
	} else {
		v->d.disp = profile_copy(v->d.latest->p);
		v->d.disp_owned = true;
		profile_merge(v->d.disp, base->p, -1);
	}
	if (base)
		v->d.disp_time = v->d.latest->t - base->t;
done:
	threads_refresh(&v->m, v->d.disp);
	reanalyze(&v->m, v->d.disp);
}

static void history_push(struct view *v, struct snap *s)
{
	if (!v->d.window) {
		for (size_t i = 0; i < v->d.nhistory; i++)
			snap_unref(v->d.history[i]);
		v->d.nhistory = 0;
		return;
	}
	/* Keep snapshots spaced so that a dozen cover the window, and drop what is too old. */
	uint64_t span = (uint64_t)v->d.window * 1000000000ull;
	uint64_t step = span / (HISTORY_MAX - 2);
	if (v->d.nhistory && s->t < v->d.history[v->d.nhistory - 1]->t + step)
		return;
	while (v->d.nhistory >= HISTORY_MAX ||
	       (v->d.nhistory >= 2 && v->d.history[1]->t + span <= s->t)) {
		snap_unref(v->d.history[0]);
		memmove(v->d.history, v->d.history + 1, --v->d.nhistory * sizeof(*v->d.history));
	}
	v->d.history[v->d.nhistory++] = snap_ref(s);
}

void view_update(struct view *v, struct profile *snap, uint64_t now_ns)
{
	struct snap *s = snap_new(snap, now_ns);
	snap_unref(v->d.latest);
	v->d.latest = s;
	history_push(v, s);
	if (!v->d.frozen)
		recompute(v);
}

/* ---------- lifecycle ---------- */

struct view *view_new(const struct view_opts *o)
{
	struct view *v = xcalloc(1, sizeof(*v));
	if (o)
		v->opts = *o;
	if (v->opts.delay <= 0)
		v->opts.delay = 1.0;
	v->m.lines = v->opts.lines;
	v->d.window = v->opts.window;
	v->m.thread_tid = -1;
	v->m.sort = SORT_OWN_PCT;
	v->u.page = 10;
	strbuf_init(&v->m.filter);
	vtrie_init(&v->m.tree, 0);
	vtrie_init(&v->m.an.trie, 0);
	return v;
}

static void screen_release(struct view_screen *s)
{
	for (int i = 0; i < s->height; i++) {
		free(s->lines[i].text);
		free(s->lines[i].style);
	}
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

void view_free(struct view *v)
{
	if (!v)
		return;
	disp_drop(v);
	snap_unref(v->d.latest);
	snap_unref(v->d.baseline);
	for (size_t i = 0; i < v->d.nhistory; i++)
		snap_unref(v->d.history[i]);
	analysis_release(&v->m.an);
	vtrie_release(&v->m.tree);
	for (size_t i = 0; i < v->m.nthreads; i++)
		free(v->m.threads[i].name);
	free(v->m.threads);
	free(v->m.thread_name);
	strbuf_release(&v->m.filter);
	if (v->m.re_ok)
		regfree(&v->m.re);
	free(v->m.rows);
	free(v->m.trows);
	free(v->m.expanded);
	free(v->u.st_command);
	free(v->u.st_backend);
	free(v->u.st_event);
	free(v->u.st_note);
	screen_release(&v->u.screen);
	free(v);
}

void view_set_status(struct view *v, const struct view_status *st)
{
	if (v->u.have_prev && st->elapsed > v->u.prev_elapsed + 0.05 && st->samples >= v->u.prev_samples)
		v->u.rate = (double)(st->samples - v->u.prev_samples) / (st->elapsed - v->u.prev_elapsed);
	else if (!v->u.have_prev && st->elapsed > 0.05)
		v->u.rate = (double)st->samples / st->elapsed;
	if (!v->u.have_prev || st->elapsed > v->u.prev_elapsed + 0.05) {
		v->u.prev_elapsed = st->elapsed;
		v->u.prev_samples = st->samples;
		v->u.have_prev = true;
	}
	v->u.st = *st;
	set_str(&v->u.st_command, st->command);
	set_str(&v->u.st_backend, st->backend);
	set_str(&v->u.st_event, st->event);
	set_str(&v->u.st_note, st->note);
	v->u.st.command = v->u.st_command;
	v->u.st.backend = v->u.st_backend;
	v->u.st.event = v->u.st_event;
	v->u.st.note = v->u.st_note;
}

enum view_mode view_mode(const struct view *v)
{
	return v->u.mode;
}

bool view_frozen(const struct view *v)
{
	return v->d.frozen;
}

size_t view_nrows(const struct view *v)
{
	switch (v->u.mode) {
	case VIEW_TREE:
		return v->m.ntrows;
	case VIEW_THREADS:
		return v->m.nthreads + 1;
	case VIEW_HELP:
		return ARRAY_SIZE(keytab);
	default:
		return v->m.nrows;
	}
}

const char *view_selected(const struct view *v)
{
	if (v->u.mode == VIEW_TREE) {
		if (v->m.tsel < v->m.ntrows)
			return v->m.an.funcs[v->m.tree.n[v->m.trows[v->m.tsel]].func].name;
		return NULL;
	}
	if (v->m.sel < v->m.nrows)
		return v->m.an.funcs[v->m.rows[v->m.sel]].name;
	return NULL;
}

/* ---------- keys ---------- */

static enum vact key_action(int key)
{
	for (size_t i = 0; i < ARRAY_SIZE(keytab); i++)
		for (size_t k = 0; k < ARRAY_SIZE(keytab[i].keys) && keytab[i].keys[k]; k++)
			if (keytab[i].keys[k] == key)
				return keytab[i].act;
	return A_NONE;
}

/* Moves a cursor within n rows by delta (clamped). */
static size_t move(size_t cur, size_t n, long delta)
{
	if (!n)
		return 0;
	long x = (long)cur + delta;
	if (x < 0)
		x = 0;
	if (x >= (long)n)
		x = (long)n - 1;
	return (size_t)x;
}

static long nav_delta(const struct view *v, enum vact a, size_t cur, size_t n)
{
	switch (a) {
	case A_UP:
		return -1;
	case A_DOWN:
		return 1;
	case A_PGUP:
		return -(long)(v->u.page > 1 ? v->u.page - 1 : 1);
	case A_PGDN:
		return v->u.page > 1 ? v->u.page - 1 : 1;
	case A_HOME:
		return -(long)cur;
	case A_END:
		return (long)n - (long)cur;
	default:
		return 0;
	}
}

static void thread_select(struct view_model *m, const struct profile *disp, long idx)
{
	/* idx -1 = all threads, else an index into m->threads */
	if (idx < 0 || (size_t)idx >= m->nthreads) {
		m->thread_tid = -1;
		m->thread_pid = 0;
		set_str(&m->thread_name, NULL);
	} else {
		m->thread_tid = m->threads[idx].tid;
		m->thread_pid = m->threads[idx].pid;
		set_str(&m->thread_name, m->threads[idx].name);
	}
	reanalyze(m, disp);
}

static long thread_index(const struct view_model *m)
{
	for (size_t i = 0; i < m->nthreads; i++)
		if (m->threads[i].tid == m->thread_tid && m->threads[i].pid == m->thread_pid)
			return (long)i;
	return -1;
}

static void set_window(struct view *v, unsigned secs)
{
	v->d.window = secs;
	if (!secs) {
		for (size_t i = 0; i < v->d.nhistory; i++)
			snap_unref(v->d.history[i]);
		v->d.nhistory = 0;
	} else if (v->d.latest && !v->d.nhistory) {
		/* The window starts filling now: we keep no history while none is asked. */
		v->d.history[v->d.nhistory++] = snap_ref(v->d.latest);
	}
	if (!v->d.frozen)
		recompute(v);
}

static enum view_action filter_key(struct view *v, int key)
{
	if (key == VIEW_KEY_ENTER || key == '\r') {
		v->u.editing = false;
		return VIEW_ACT_REDRAW;
	}
	if (key == VIEW_KEY_ESC) {
		v->u.editing = false;
		strbuf_reset(&v->m.filter);
	} else if (key == VIEW_KEY_BACKSPACE || key == 8) {
		if (v->m.filter.len)
			v->m.filter.buf[--v->m.filter.len] = '\0';
	} else if (key == VIEW_KEY_CTRL_C) {
		return VIEW_ACT_QUIT;
	} else if (key >= 32 && key < 127) {
		strbuf_addc(&v->m.filter, (char)key);
	} else if (key == VIEW_KEY_UP || key == VIEW_KEY_DOWN) {
		select_row(&v->m, move(v->m.sel, v->m.nrows, key == VIEW_KEY_UP ? -1 : 1));
		return VIEW_ACT_REDRAW;
	} else {
		return VIEW_ACT_NONE;
	}
	filter_compile(&v->m);
	rows_build(&v->m);
	return VIEW_ACT_REDRAW;
}

static uint64_t table_selected_id(const struct view_model *m)
{
	return m->sel < m->nrows ? m->an.funcs[m->rows[m->sel]].hash : 0;
}

static uint64_t tree_selected_id(const struct view_model *m)
{
	return m->tsel < m->ntrows ? m->an.funcs[m->tree.n[m->trows[m->tsel]].func].hash : 0;
}

/* The tree (or flame) of a function, scrolled to its top. */
static void open_tree(struct view *v, uint64_t id)
{
	tree_open(&v->m, id);
	v->u.ttop = 0;
	v->u.flame_top = 0;
}

static bool is_nav(enum vact a)
{
	return a == A_UP || a == A_DOWN || a == A_PGUP || a == A_PGDN || a == A_HOME || a == A_END;
}

/* Actions that mean the same in the table, the tree, the flame view and the
 * thread picker; each mode's handler passes what it does not handle here. */
static enum view_action common_key(struct view *v, enum vact a)
{
	enum view_mode mode = v->u.mode;
	switch (a) {
	case A_QUIT:
		return VIEW_ACT_QUIT;
	case A_REDRAW:
		return VIEW_ACT_REDRAW;
	case A_SAVE:
		return VIEW_ACT_SAVE;
	case A_HELP:
		v->u.back_mode = mode;
		v->u.mode = VIEW_HELP;
		v->u.htop = 0;
		return VIEW_ACT_REDRAW;
	case A_BACK:
		v->u.mode = VIEW_TABLE;
		return VIEW_ACT_REDRAW;
	case A_TREE:
	case A_CALLERS: {
		uint64_t id = mode == VIEW_TREE || mode == VIEW_FLAME ? v->m.tree_id : table_selected_id(&v->m);
		if (!id)
			return VIEW_ACT_NONE;
		if (a == A_CALLERS)
			v->m.callers = mode == VIEW_TREE ? !v->m.callers : true;
		else
			v->m.callers = false;
		open_tree(v, id);
		v->u.mode = VIEW_TREE;
		return VIEW_ACT_REDRAW;
	}
	case A_FLAME: {
		/* In the flame view, f switches between the selection and everything. */
		uint64_t id = mode == VIEW_TREE ? tree_selected_id(&v->m) : table_selected_id(&v->m);
		if (mode == VIEW_FLAME && v->m.tree_id)
			id = 0;
		v->m.callers = false;
		if (id) {
			open_tree(v, id);
		} else {
			v->m.tree_id = 0;
			tree_build(&v->m);
		}
		v->u.flame_top = 0;
		v->u.mode = VIEW_FLAME;
		return VIEW_ACT_REDRAW;
	}
	case A_FILTER:
		v->u.mode = VIEW_TABLE;
		v->u.editing = true;
		return VIEW_ACT_REDRAW;
	case A_THREAD_NEXT:
	case A_THREAD_PREV: {
		long i = thread_index(&v->m), n = (long)v->m.nthreads;
		/* -1 (all) -> 0 -> ... -> n-1 -> -1 */
		i = a == A_THREAD_NEXT ? (i + 2) % (n + 1) - 1 : (i + n + 1) % (n + 1) - 1;
		thread_select(&v->m, v->d.disp, i);
		return VIEW_ACT_REDRAW;
	}
	case A_THREAD_LIST:
		v->u.mode = VIEW_THREADS;
		v->u.psel = (size_t)(thread_index(&v->m) + 1);
		v->u.ptop = 0;
		return VIEW_ACT_REDRAW;
	case A_LINES: {
		/* Keep the selection on the same function across granularities. */
		const char *name = view_selected(v);
		char *keep = name ? xstrdup(name) : NULL;
		v->m.lines = !v->m.lines;
		v->m.sel_id = 0;
		v->m.tree_id = 0;
		reanalyze(&v->m, v->d.disp);
		if (keep) {
			for (size_t i = 0; i < v->m.nrows; i++)
				if (!strcmp(v->m.an.funcs[v->m.rows[i]].name, keep)) {
					select_row(&v->m, i);
					break;
				}
		}
		free(keep);
		if (mode != VIEW_TABLE && mode != VIEW_THREADS)
			v->u.mode = VIEW_TABLE;
		return VIEW_ACT_REDRAW;
	}
	case A_SORT_NEXT:
	case A_SORT_PREV:
		v->m.sort = (enum view_sort)((v->m.sort + (a == A_SORT_NEXT ? 1 : SORT_NCOLS - 1)) % SORT_NCOLS);
		v->m.ascending = v->m.sort == SORT_FUNCTION || v->m.sort == SORT_LOCATION;
		rows_build(&v->m);
		return VIEW_ACT_REDRAW;
	case A_SORT_INVERT:
		v->m.ascending = !v->m.ascending;
		rows_build(&v->m);
		return VIEW_ACT_REDRAW;
	case A_FREEZE:
		v->d.frozen = !v->d.frozen;
		if (!v->d.frozen)
			recompute(v);
		return VIEW_ACT_REDRAW;
	case A_RESET:
		snap_unref(v->d.baseline);
		v->d.baseline = snap_ref(v->d.latest);
		recompute(v);
		return VIEW_ACT_REDRAW;
	case A_WINDOW: {
		size_t i = 0;
		while (i < ARRAY_SIZE(window_steps) && window_steps[i] != v->d.window)
			i++;
		set_window(v, window_steps[(i + 1) % ARRAY_SIZE(window_steps)]);
		return VIEW_ACT_REDRAW;
	}
	default:
		return VIEW_ACT_NONE;
	}
}

static enum view_action table_keys(struct view *v, enum vact a)
{
	struct view_model *m = &v->m;
	if (is_nav(a)) {
		select_row(m, move(m->sel, m->nrows, nav_delta(v, a, m->sel, m->nrows)));
		return VIEW_ACT_REDRAW;
	}
	switch (a) {
	case A_ENTER:
		if (!table_selected_id(m))
			return VIEW_ACT_NONE;
		m->callers = false;
		open_tree(v, table_selected_id(m));
		v->u.mode = VIEW_TREE;
		return VIEW_ACT_REDRAW;
	case A_BACK: /* in the table, Esc clears the filter */
		if (!m->filter.len)
			return VIEW_ACT_NONE;
		strbuf_reset(&m->filter);
		filter_compile(m);
		rows_build(m);
		return VIEW_ACT_REDRAW;
	default:
		return common_key(v, a);
	}
}

static enum view_action tree_keys(struct view *v, enum vact a)
{
	struct view_model *m = &v->m;
	if (is_nav(a)) {
		m->tsel = move(m->tsel, m->ntrows, nav_delta(v, a, m->tsel, m->ntrows));
		if (m->ntrows)
			m->tsel_path = m->tree.n[m->trows[m->tsel]].path;
		return VIEW_ACT_REDRAW;
	}
	if (a != A_ENTER && a != A_EXPAND && a != A_COLLAPSE && a != A_EXPAND_ALL)
		return common_key(v, a);
	if (!m->ntrows)
		return VIEW_ACT_NONE;
	uint32_t node = m->trows[m->tsel];
	struct vnode *n = &m->tree.n[node];
	switch (a) {
	case A_ENTER:
		expanded_set(m, n->path, !expanded_has(m, n->path));
		break;
	case A_EXPAND:
		expanded_set(m, n->path, true);
		break;
	case A_EXPAND_ALL:
		tree_expand_all(m, node);
		break;
	default: /* A_COLLAPSE */
		if (expanded_has(m, n->path) && n->child != NO_NODE)
			expanded_set(m, n->path, false);
		else if (n->parent > 0)
			m->tsel_path = m->tree.n[n->parent].path;
		break;
	}
	trows_build(m);
	return VIEW_ACT_REDRAW;
}

static enum view_action flame_keys(struct view *v, enum vact a)
{
	if (is_nav(a)) {
		int d = (int)nav_delta(v, a, (size_t)v->u.flame_top, 64);
		v->u.flame_top = v->u.flame_top + d < 0 ? 0 : v->u.flame_top + d;
		return VIEW_ACT_REDRAW;
	}
	return common_key(v, a);
}

static enum view_action threads_keys(struct view *v, enum vact a)
{
	size_t n = v->m.nthreads + 1;
	if (is_nav(a)) {
		v->u.psel = move(v->u.psel, n, nav_delta(v, a, v->u.psel, n));
		return VIEW_ACT_REDRAW;
	}
	if (a == A_ENTER) {
		thread_select(&v->m, v->d.disp, (long)v->u.psel - 1);
		v->u.mode = VIEW_TABLE;
		return VIEW_ACT_REDRAW;
	}
	return common_key(v, a);
}

/* Help: keys scroll it, q quits, any other key returns. */
static enum view_action help_keys(struct view *v, enum vact a)
{
	if (a == A_QUIT)
		return VIEW_ACT_QUIT;
	if (is_nav(a)) {
		v->u.htop = move(v->u.htop, ARRAY_SIZE(keytab), nav_delta(v, a, v->u.htop, ARRAY_SIZE(keytab)));
		return VIEW_ACT_REDRAW;
	}
	v->u.mode = v->u.back_mode;
	return VIEW_ACT_REDRAW;
}

static enum view_action (*const mode_keys[])(struct view *, enum vact) = {
	[VIEW_TABLE] = table_keys,
	[VIEW_TREE] = tree_keys,
	[VIEW_FLAME] = flame_keys,
	[VIEW_THREADS] = threads_keys,
	[VIEW_HELP] = help_keys,
};

enum view_action view_key(struct view *v, int key)
{
	if (v->u.editing)
		return filter_key(v, key);
	if (key == VIEW_KEY_RESIZE)
		return VIEW_ACT_REDRAW;
	enum vact a = key_action(key);
	if (a == A_NONE)
		return v->u.mode == VIEW_HELP ? help_keys(v, a) : VIEW_ACT_NONE;
	return mode_keys[v->u.mode](v, a);
}

/* ---------- rendering ---------- */

static void screen_resize(struct view_screen *s, int w, int h)
{
	if (s->width != w || s->height != h) {
		screen_release(s);
		s->width = w;
		s->height = h;
		s->lines = xcalloc((size_t)h + 1, sizeof(*s->lines));
		for (int i = 0; i < h; i++) {
			s->lines[i].text = xmalloc((size_t)w + 1);
			s->lines[i].style = xmalloc((size_t)w + 1);
		}
	}
	for (int i = 0; i < h; i++) {
		memset(s->lines[i].text, ' ', (size_t)w);
		s->lines[i].text[w] = '\0';
		memset(s->lines[i].style, VS_NORMAL, (size_t)w);
	}
	s->cursor_row = s->cursor_col = -1;
}

static void line_style(struct view_screen *s, int row, int col, int n, int style)
{
	if (row < 0 || row >= s->height)
		return;
	for (int i = col; i < col + n && i < s->width; i++)
		if (i >= 0)
			s->lines[row].style[i] = (uint8_t)style;
}

/* Writes text at (row, col), clipped to max cells (and the line); returns the cells written. */
static int put(struct view_screen *s, int row, int col, const char *text, int max, int style)
{
	if (row < 0 || row >= s->height || col >= s->width)
		return 0;
	int n = 0;
	for (const unsigned char *c = (const unsigned char *)text; *c && n < max && col + n < s->width;
	     c++, n++) {
		if (col + n < 0)
			continue;
		s->lines[row].text[col + n] = (*c >= 32 && *c < 127) ? (char)*c : '?';
		s->lines[row].style[col + n] = (uint8_t)style;
	}
	return n;
}

/* Writes text cut to width cells, marking a cut with '+'; left-aligned, or right-aligned. */
static void put_cell(struct view_screen *s, int row, int col, const char *text, int width, bool right,
		     int style)
{
	int len = (int)strlen(text);
	if (width <= 0)
		return;
	if (len > width) {
		put(s, row, col, text, width - 1, style);
		put(s, row, col + width - 1, "+", 1, style);
		return;
	}
	put(s, row, right ? col + width - len : col, text, len, style);
}

static int putf(struct view_screen *s, int row, int col, int style, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int putf(struct view_screen *s, int row, int col, int style, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(s, row, col, buf, s->width, style);
}

static void render_header(struct view *v, struct view_screen *s)
{
	const struct view_status *st = &v->u.st;
	int col = putf(s, 0, 0, VS_HEADER, "prowl top  pid %d", st->pid);
	if (st->command)
		col += putf(s, 0, col, VS_HEADER, " (%.60s%s)", st->command, strlen(st->command) > 60 ? "..." : "");
	col += putf(s, 0, col, VS_HEADER, "  %s", st->backend ? st->backend : "?");
	if (st->event)
		col += putf(s, 0, col, VS_HEADER, " %s", st->event);
	if (st->freq)
		col += putf(s, 0, col, VS_HEADER, " %u Hz", st->freq);
	unsigned el = (unsigned)st->elapsed;
	putf(s, 0, col, VS_HEADER, "  elapsed %u:%02u:%02u", el / 3600, el / 60 % 60, el % 60);
	line_style(s, 0, 0, s->width, VS_HEADER);

	uint64_t all = st->samples + st->lost;
	col = putf(s, 1, 0, VS_HEADER, "samples %llu (%.0f/s)  lost %.1f%%  threads %u  prowl cpu %.1f%%",
		   (unsigned long long)st->samples, v->u.rate, pct(st->lost, all), st->threads,
		   st->self_cpu * 100.0);
	line_style(s, 1, 0, s->width, VS_HEADER);
	if (st->exited)
		col += putf(s, 1, col, VS_WARN, "  target exited: final profile");
	if (st->lagging)
		col += putf(s, 1, col, VS_WARN, "  capture lags: samples are being lost");
	if (st->slow_ms)
		col += putf(s, 1, col, VS_WARN, "  refresh takes %ums (try a longer --delay)", st->slow_ms);
	if (st->note)
		putf(s, 1, col, VS_WARN, "  %s", st->note);
}

static void render_status(struct view *v, struct view_screen *s, int row)
{
	line_style(s, row, 0, s->width, VS_STATUS);
	if (v->u.editing) {
		int col = put(s, row, 0, "Filter: ", s->width, VS_MATCH);
		col += put(s, row, col, v->m.filter.buf, s->width, VS_MATCH);
		s->cursor_row = row;
		s->cursor_col = col < s->width ? col : s->width - 1;
		putf(s, row, col + 2, VS_STATUS, "(%zu match%s; Enter keeps, Esc clears)", v->m.nrows,
		     v->m.nrows == 1 ? "" : "es");
		return;
	}
	int col = 0;
	if (v->m.thread_tid >= 0)
		col += putf(s, row, col, VS_STATUS, "[thread %s (%d)]", v->m.thread_name ? v->m.thread_name : "",
			    v->m.thread_tid);
	else
		col += putf(s, row, col, VS_STATUS, "[all threads]");
	col += putf(s, row, col, VS_STATUS, " [%s]", v->m.lines ? "lines" : "functions");
	if (v->d.window) {
		double have = (double)v->d.disp_time / 1e9;
		if (have + 0.5 < v->d.window)
			col += putf(s, row, col, VS_STATUS, " [last %us, %.0fs so far]", v->d.window, have);
		else
			col += putf(s, row, col, VS_STATUS, " [last %us]", v->d.window);
	} else {
		col += putf(s, row, col, VS_STATUS, " [whole run%s]", v->d.baseline ? " since reset" : "");
	}
	if (v->u.mode == VIEW_TREE || v->u.mode == VIEW_FLAME) {
		uint32_t f = func_find(&v->m.an, v->m.tree_id);
		const char *what = v->u.mode == VIEW_FLAME ? "flame of" : v->m.callers ? "callers of" : "callees of";
		if (f != NO_NODE)
			col += putf(s, row, col, VS_STATUS, " %s %.60s%s", what, v->m.an.funcs[f].name,
				    strlen(v->m.an.funcs[f].name) > 60 ? "..." : "");
		else if (v->u.mode == VIEW_FLAME)
			col += putf(s, row, col, VS_STATUS, " flame of all");
	} else {
		col += putf(s, row, col, VS_STATUS, " sort %s %s", sort_names[v->m.sort],
			    v->m.ascending ? "asc" : "desc");
	}
	if (v->m.filter.len)
		col += putf(s, row, col, VS_STATUS, " filter \"%s\"", v->m.filter.buf);
	col += putf(s, row, col, VS_STATUS, "  %zu %s", v->m.nrows, v->m.lines ? "lines" : "functions");
	if (v->d.frozen)
		putf(s, row, col, VS_WARN, "  FROZEN");
}

/* Width of the function and location columns of the table for a screen width. */
static void table_widths(int width, int *namew, int *locw)
{
	int rest = width - 34; /* "%Own %Total Own Total " = 6+1+7+1+8+1+8+2 */
	if (rest < 10)
		rest = 10;
	*locw = rest / 3 > 32 ? 32 : rest / 3;
	*namew = rest - *locw - 1;
}

static void table_titles(struct view *v, struct view_screen *s, int row, int namew)
{
	static const int colx[SORT_NCOLS] = { 0, 7, 15, 24 };
	line_style(s, row, 0, s->width, VS_COLUMNS);
	put_cell(s, row, 0, "%Own", 6, true, VS_COLUMNS);
	put_cell(s, row, 7, "%Total", 7, true, VS_COLUMNS);
	put_cell(s, row, 15, "Own", 8, true, VS_COLUMNS);
	put_cell(s, row, 24, "Total", 8, true, VS_COLUMNS);
	put(s, row, 34, "Function", namew, VS_COLUMNS);
	put(s, row, 35 + namew, "Location", s->width, VS_COLUMNS);
	/* The sort column stands out (reverse video without colours). */
	int x = v->m.sort < SORT_FUNCTION ? colx[v->m.sort] : v->m.sort == SORT_FUNCTION ? 34 : 35 + namew;
	int w = v->m.sort < SORT_FUNCTION ? (v->m.sort == SORT_OWN_PCT ? 6 : v->m.sort == SORT_TOTAL_PCT ? 7 : 8)
		: 8;
	line_style(s, row, x, w, VS_SELECTED);
}

static void table_row(struct view *v, struct view_screen *s, int row, uint32_t fi, int namew,
		      bool selected)
{
	const char *loc = loc_of(&v->m, fi);
	const struct vfunc *f = &v->m.an.funcs[fi];
	uint64_t period = period_of(v->d.disp);
	double po = pct(f->own, v->m.an.total), pt = pct(f->total, v->m.an.total);
	char buf[64];
	int pst = po >= 10.0 ? VS_HOT : VS_NORMAL;
	snprintf(buf, sizeof(buf), "%.1f", po);
	put_cell(s, row, 0, buf, 6, true, pst);
	snprintf(buf, sizeof(buf), "%.1f", pt);
	put_cell(s, row, 7, buf, 7, true, VS_NORMAL);
	fmt_time(buf, sizeof(buf), f->own, period);
	put_cell(s, row, 15, buf, 8, true, VS_NORMAL);
	fmt_time(buf, sizeof(buf), f->total, period);
	put_cell(s, row, 24, buf, 8, true, VS_NORMAL);
	put_cell(s, row, 34, row_label(f), namew, false, VS_NORMAL);
	put_cell(s, row, 35 + namew, loc, s->width - 35 - namew, false, VS_DIM);
	if (selected)
		line_style(s, row, 0, s->width, VS_SELECTED);
}

static void scroll_to(size_t sel, size_t *top, int page)
{
	size_t h = page > 0 ? (size_t)page : 1;
	if (sel < *top)
		*top = sel;
	if (sel >= *top + h)
		*top = sel - h + 1;
}

static void render_table(struct view *v, struct view_screen *s, int row0, int nrows)
{
	int namew, locw;
	table_widths(s->width, &namew, &locw);
	int body = nrows - 1;
	v->u.page = body;
	scroll_to(v->m.sel, &v->u.top, body);
	if (v->u.top + (size_t)body > v->m.nrows)
		v->u.top = v->m.nrows > (size_t)body ? v->m.nrows - (size_t)body : 0;
	/* Sized by what is on screen: locations next to short names, long names
	 * (C++) taking what the locations leave. */
	int need = 0, needloc = 0;
	for (int i = 0; i < body && v->u.top + (size_t)i < v->m.nrows; i++) {
		uint32_t fi = v->m.rows[v->u.top + (size_t)i];
		int len = (int)strlen(row_label(&v->m.an.funcs[fi])), ll = (int)strlen(loc_of(&v->m, fi));
		need = len > need ? len : need;
		needloc = ll > needloc ? ll : needloc;
	}
	if (needloc < locw) {
		int spare = locw - (needloc > 8 ? needloc : 8);
		namew += spare;
	}
	if (need + 2 < namew)
		namew = need + 2 > 24 ? need + 2 : 24;
	table_titles(v, s, row0, namew);
	for (int i = 0; i < body && v->u.top + (size_t)i < v->m.nrows; i++) {
		size_t r = v->u.top + (size_t)i;
		table_row(v, s, row0 + 1 + i, v->m.rows[r], namew, r == v->m.sel);
	}
	if (!v->m.nrows)
		put(s, row0 + 2, 2,
		    v->m.an.total ? "no function matches the filter (Esc clears it)"
				: v->d.frozen ? "no samples (frozen)" : "no samples yet",
		    s->width, VS_DIM);
}

static void render_tree(struct view *v, struct view_screen *s, int row0, int nrows)
{
	line_style(s, row0, 0, s->width, VS_COLUMNS);
	put_cell(s, row0, 0, "%Total", 7, true, VS_COLUMNS);
	put_cell(s, row0, 8, v->m.callers ? "%Entry" : "%Own", 6, true, VS_COLUMNS);
	put_cell(s, row0, 15, "Total", 8, true, VS_COLUMNS);
	put(s, row0, 25, v->m.callers ? "Function <- its callers" : "Function -> its callees", s->width,
	    VS_COLUMNS);
	int body = nrows - 1;
	v->u.page = body;
	scroll_to(v->m.tsel, &v->u.ttop, body);
	uint64_t period = period_of(v->d.disp);
	int locw = s->width / 4 > 30 ? 30 : s->width / 4;
	for (int i = 0; i < body && v->u.ttop + (size_t)i < v->m.ntrows; i++) {
		size_t r = v->u.ttop + (size_t)i;
		int row = row0 + 1 + i;
		const struct vnode *n = &v->m.tree.n[v->m.trows[r]];
		const struct vfunc *f = &v->m.an.funcs[n->func];
		char buf[64];
		snprintf(buf, sizeof(buf), "%.1f", pct(n->total, v->m.an.total));
		put_cell(s, row, 0, buf, 7, true, pct(n->total, v->m.an.total) >= 10.0 ? VS_HOT : VS_NORMAL);
		snprintf(buf, sizeof(buf), "%.1f", pct(n->own, v->m.an.total));
		put_cell(s, row, 8, buf, 6, true, VS_NORMAL);
		fmt_time(buf, sizeof(buf), n->total, period);
		put_cell(s, row, 15, buf, 8, true, VS_NORMAL);
		int indent = 2 * (int)(n->depth - 1);
		if (indent > s->width / 3)
			indent = s->width / 3;
		bool leaf = true;
		for (uint32_t c = n->child; c != NO_NODE; c = v->m.tree.n[c].sibling)
			if (v->m.tree.n[c].total)
				leaf = false;
		const char *mark = leaf ? "   " : expanded_has(&v->m, n->path) ? "[-]" : "[+]";
		int x = 25 + indent;
		x += put(s, row, x, mark, 3, VS_DIM);
		x += 1;
		int namew = s->width - x - locw - 1;
		put_cell(s, row, x, f->name, namew, false, VS_NORMAL);
		put_cell(s, row, s->width - locw, loc_of(&v->m, n->func), locw, false, VS_DIM);
		if (r == v->m.tsel)
			line_style(s, row, 0, s->width, VS_SELECTED);
	}
	if (!v->m.ntrows)
		put(s, row0 + 2, 2, "the function has no samples now (Esc: back)", s->width, VS_DIM);
}

/* Draws node's children under it, row by row, each box as wide as its share. */
static void flame_children(struct view *v, struct view_screen *s, uint32_t node, int depth, double x0,
			   double scale, int row0, int nrows)
{
	uint32_t *kids = NULL;
	size_t cap = 0, nk = tree_children(&v->m.tree, node, &kids, &cap);
	double x = x0;
	int row = row0 + depth - v->u.flame_top;
	for (size_t i = 0; i < nk; i++) {
		const struct vnode *c = &v->m.tree.n[kids[i]];
		double w = (double)c->total * scale;
		int a = (int)(x + 0.5), b = (int)(x + w + 0.5);
		if (b - a >= 1) {
			if (row >= row0 && row < row0 + nrows) {
				const char *name = v->m.an.funcs[c->func].name;
				int style = VS_FLAME0 + (int)(v->m.an.funcs[c->func].hash % VS_NFLAME);
				line_style(s, row, a, b - a, style);
				put_cell(s, row, a, name, b - a > 1 ? b - a - 1 : 1, false, style);
				if (b - a > 1)
					put(s, row, b - 1, "|", 1, style);
			}
			if (row + 1 < row0 + nrows)
				flame_children(v, s, kids[i], depth + 1, x, scale, row0, nrows);
		}
		x += w;
	}
	free(kids);
}

static void render_flame(struct view *v, struct view_screen *s, int row0, int nrows)
{
	const struct vtrie *t = v->m.tree_id ? &v->m.tree : &v->m.an.trie;
	uint32_t root = v->m.tree_id ? 1 : 0;
	if (t->nn <= root || !t->n[root].total) {
		put(s, row0 + 1, 2, "nothing to draw: no samples (Esc: back)", s->width, VS_DIM);
		return;
	}
	if (!v->m.tree_id) {
		/* The whole profile: draw from the real trie through a temporary tree copy. */
		vtrie_release(&v->m.tree);
		vtrie_init(&v->m.tree, 0);
		uint32_t top = vtrie_child(&v->m.tree, 0, NO_NODE - 1, 0);
		tree_add_callees(&v->m, 0, top);
		root = 1;
	}
	double scale = (double)s->width / (double)v->m.tree.n[root].total;
	if (v->u.flame_top == 0) {
		int style = VS_FLAME0;
		const char *name = v->m.tree_id ? v->m.an.funcs[v->m.tree.n[root].func].name : "all";
		char buf[256];
		snprintf(buf, sizeof(buf), "%s (%.1f%%)", name, pct(v->m.tree.n[root].total, v->m.an.total));
		line_style(s, row0, 0, s->width, style);
		put_cell(s, row0, 0, buf, s->width, false, style);
	}
	flame_children(v, s, root, 1, 0.0, scale, row0, nrows);
}

static void render_threads(struct view *v, struct view_screen *s, int row0, int nrows)
{
	line_style(s, row0, 0, s->width, VS_COLUMNS);
	put(s, row0, 0, "      TID  Samples  %All  Name   (Enter: show this thread; Esc: back)", s->width,
	    VS_COLUMNS);
	int body = nrows - 1;
	v->u.page = body;
	size_t n = v->m.nthreads + 1;
	scroll_to(v->u.psel, &v->u.ptop, body);
	uint64_t all = 0;
	for (size_t i = 0; i < v->m.nthreads; i++)
		all += v->m.threads[i].samples;
	for (int i = 0; i < body && v->u.ptop + (size_t)i < n; i++) {
		size_t r = v->u.ptop + (size_t)i;
		int row = row0 + 1 + i;
		if (r == 0) {
			putf(s, row, 0, VS_NORMAL, "%9s  %7llu  %4.0f  all threads", "-", (unsigned long long)all,
			     all ? 100.0 : 0.0);
		} else {
			const struct thread_ref *t = &v->m.threads[r - 1];
			putf(s, row, 0, VS_NORMAL, "%9d  %7llu  %4.1f  %s", t->tid, (unsigned long long)t->samples,
			     pct(t->samples, all), t->name);
		}
		if ((long)r - 1 == thread_index(&v->m))
			put(s, row, 0, "*", 1, VS_HOT);
		if (r == v->u.psel)
			line_style(s, row, 0, s->width, VS_SELECTED);
	}
}

static void render_help(struct view *v, struct view_screen *s, int row0, int nrows)
{
	line_style(s, row0, 0, s->width, VS_COLUMNS);
	putf(s, row0, 0, VS_COLUMNS, "prowl top keys (refresh every %.3gs; any other key returns)",
	     v->opts.delay);
	int body = nrows - 1;
	v->u.page = body;
	size_t n = ARRAY_SIZE(keytab);
	if (v->u.htop + (size_t)body > n)
		v->u.htop = n > (size_t)body ? n - (size_t)body : 0;
	for (int i = 0; i < body && v->u.htop + (size_t)i < n; i++) {
		const struct keydef *k = &keytab[v->u.htop + (size_t)i];
		put(s, row0 + 1 + i, 2, k->names, 16, VS_KEY);
		put(s, row0 + 1 + i, 19, k->help, s->width, VS_NORMAL);
	}
}

static void render_keybar(struct view *v, struct view_screen *s, int row)
{
	line_style(s, row, 0, s->width, VS_KEYTEXT);
	unsigned m = 1u << v->u.mode;
	/* Quit always shows: room for it is kept while the others are laid out. */
	int quit_w = 0;
	for (size_t i = 0; i < ARRAY_SIZE(keytab); i++)
		if (keytab[i].act == A_QUIT)
			quit_w = 2 + (int)strlen(keytab[i].bar) + 2;
	int col = 0;
	for (size_t i = 0; i < ARRAY_SIZE(keytab) && col < s->width; i++) {
		const struct keydef *k = &keytab[i];
		if (!k->bar || !(k->modes & m))
			continue;
		char key[16];
		const char *sep = strchr(k->names, ',');
		size_t kl = sep ? (size_t)(sep - k->names) : strlen(k->names);
		snprintf(key, sizeof(key), "%.*s", (int)kl, k->names);
		int need = (int)strlen(key) + 1 + (int)strlen(k->bar) + 2;
		if (col + need + (k->act == A_QUIT ? 0 : quit_w) > s->width)
			continue;
		col += put(s, row, col, key, s->width, VS_KEY);
		col += 1;
		col += put(s, row, col, k->bar, s->width, VS_KEYTEXT);
		col += 2;
	}
}

const struct view_screen *view_render(struct view *v, int width, int height)
{
	struct view_screen *s = &v->u.screen;
	if (width < 20)
		width = 20;
	if (height < 6)
		height = 6;
	screen_resize(s, width, height);
	render_header(v, s);
	render_status(v, s, 2);
	int row0 = 3, nrows = height - 4;
	switch (v->u.mode) {
	case VIEW_TABLE:
		render_table(v, s, row0, nrows);
		break;
	case VIEW_TREE:
		render_tree(v, s, row0, nrows);
		break;
	case VIEW_FLAME:
		render_flame(v, s, row0, nrows);
		break;
	case VIEW_THREADS:
		render_threads(v, s, row0, nrows);
		break;
	case VIEW_HELP:
		render_help(v, s, row0, nrows);
		break;
	}
	render_keybar(v, s, height - 1);
	return s;
}

static void rstrip_line(struct strbuf *out, const char *text)
{
	size_t n = strlen(text);
	while (n && text[n - 1] == ' ')
		n--;
	strbuf_add(out, text, n);
	strbuf_addc(out, '\n');
}

void view_render_text(struct view *v, struct strbuf *out, int width, int rows)
{
	size_t n = rows > 0 && (size_t)rows < v->m.nrows ? (size_t)rows : v->m.nrows;
	if (width <= 0) {
		/* Wide enough that nothing is cut. */
		int namew = 8, locw = 8;
		for (size_t i = 0; i < n; i++) {
			const struct vfunc *f = &v->m.an.funcs[v->m.rows[i]];
			if ((int)strlen(row_label(f)) > namew)
				namew = (int)strlen(row_label(f));
			if ((int)strlen(loc_of(&v->m, v->m.rows[i])) > locw)
				locw = (int)strlen(loc_of(&v->m, v->m.rows[i]));
		}
		(void)locw;
		width = 1024; /* lines are stripped of trailing blanks below */
	}
	struct view_screen s = { 0 };
	screen_resize(&s, width, (int)n + 4);
	render_header(v, &s);
	render_status(v, &s, 2);
	int namew, locw;
	table_widths(width, &namew, &locw);
	if (v->m.nrows) {
		int need = 0;
		for (size_t i = 0; i < n; i++)
			if ((int)strlen(row_label(&v->m.an.funcs[v->m.rows[i]])) > need)
				need = (int)strlen(row_label(&v->m.an.funcs[v->m.rows[i]]));
		if (need + 2 < namew)
			namew = need + 2 > 10 ? need + 2 : 10;
	}
	table_titles(v, &s, 3, namew);
	for (size_t i = 0; i < n; i++)
		table_row(v, &s, 4 + (int)i, v->m.rows[i], namew, false);
	for (int i = 0; i < s.height; i++)
		rstrip_line(out, s.lines[i].text);
	screen_release(&s);
}

/* ---------- saving ---------- */

struct profile *view_profile(struct view *v)
{
	struct profile *q = profile_new();
	const struct profile *p = v->d.disp;
	if (!p)
		return q;
	profile_set_str(&q->meta.command, p->meta.command);
	profile_set_str(&q->meta.backend, p->meta.backend);
	profile_set_str(&q->meta.mode, p->meta.mode);
	profile_set_str(&q->meta.event, p->meta.event);
	q->meta.pid = p->meta.pid;
	q->meta.start_ns = p->meta.start_ns;
	q->meta.duration_ns = v->d.disp_time ? v->d.disp_time : p->meta.duration_ns;
	q->meta.period_ns = p->meta.period_ns;
	q->meta.freq = p->meta.freq;
	q->meta.lost = p->meta.lost;
	int32_t *mmap = xmalloc((p->nmodules + 1) * sizeof(*mmap));
	for (size_t i = 0; i < p->nmodules; i++)
		mmap[i] = profile_module_intern(q, &p->modules[i]);
	uint32_t *fmap = xmalloc((p->nframes + 1) * sizeof(*fmap));
	memset(fmap, 0xff, (p->nframes + 1) * sizeof(*fmap));
	uint32_t *stack = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < p->ncounts; i++) {
		const struct profile_count *c = &p->counts[i];
		if (!c->count || c->node >= p->nnodes || c->thread >= p->nthreads ||
		    !thread_shown(&v->m, p, c->thread))
			continue;
		size_t d = profile_node_depth(p, c->node);
		xgrow((void **)&stack, &cap, d + 1, sizeof(*stack));
		profile_node_frames(p, c->node, stack, d);
		for (size_t k = 0; k < d; k++) {
			uint32_t f = stack[k];
			if (fmap[f] == PROFILE_NONE) {
				struct profile_frame fr = p->frames[f];
				if (fr.module >= 0 && (size_t)fr.module < p->nmodules)
					fr.module = mmap[fr.module];
				else
					fr.module = -1;
				fmap[f] = profile_frame_intern(q, &fr);
			}
			stack[k] = fmap[f];
		}
		const struct profile_thread *t = &p->threads[c->thread];
		uint32_t qt = profile_thread_intern(q, t->pid, t->tid, t->name);
		profile_add(q, qt, profile_node_path(q, stack, d), c->count);
	}
	free(stack);
	free(fmap);
	free(mmap);
	return q;
}
