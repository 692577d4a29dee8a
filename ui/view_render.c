/* The live view's rendering: a grid of cells with a style each, for the
 * terminal (tui.c) or as plain text (--batch). */
#include "ui/view_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/textsafe.h"

static const char *const sort_names[SORT_NCOLS] = { "%Own", "%Total", "Own", "Total", "Function",
						    "Location" };

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

void vr_screen_release(struct view_screen *s)
{
	for (int i = 0; i < s->height; i++) {
		free(s->lines[i].text);
		free(s->lines[i].style);
	}
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

static void screen_resize(struct view_screen *s, int w, int h)
{
	if (s->width != w || s->height != h) {
		vr_screen_release(s);
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

/* Names are the target's bytes and a cell holds one byte: text is shown as
 * textsafe makes it (controls and invalid bytes as \xNN, any other
 * non-ASCII character as '?'). Returns text itself when it needs no change,
 * else the shown form in *tmp (which the caller then releases). */
static const char *shown(const char *text, struct strbuf *tmp, bool *used)
{
	size_t n = strlen(text);
	*used = !textsafe_plain(text, n, TEXTSAFE_ASCII, NULL);
	if (!*used)
		return text;
	strbuf_init(tmp);
	textsafe_add(tmp, text, n, TEXTSAFE_ASCII, NULL);
	return tmp->buf;
}

/* Cells text takes once shown. */
static int shown_len(const char *text)
{
	struct strbuf tmp;
	bool used;
	int n = (int)strlen(shown(text, &tmp, &used));
	if (used)
		strbuf_release(&tmp);
	return n;
}

/* Writes text at (row, col), clipped to max cells (and the line); returns the cells written. */
static int put(struct view_screen *s, int row, int col, const char *text, int max, int style)
{
	if (row < 0 || row >= s->height || col >= s->width)
		return 0;
	struct strbuf tmp;
	bool used;
	text = shown(text, &tmp, &used);
	int n = 0;
	for (const char *c = text; *c && n < max && col + n < s->width; c++, n++) {
		if (col + n < 0)
			continue;
		s->lines[row].text[col + n] = *c;
		s->lines[row].style[col + n] = (uint8_t)style;
	}
	if (used)
		strbuf_release(&tmp);
	return n;
}

/* Writes text cut to width cells, marking a cut with '+'; left-aligned, or right-aligned. */
static void put_cell(struct view_screen *s, int row, int col, const char *text, int width, bool right,
		     int style)
{
	if (width <= 0)
		return;
	struct strbuf tmp;
	bool used;
	text = shown(text, &tmp, &used);
	int len = (int)strlen(text);
	if (len > width) {
		put(s, row, col, text, width - 1, style);
		put(s, row, col + width - 1, "+", 1, style);
	} else {
		put(s, row, right ? col + width - len : col, text, len, style);
	}
	if (used)
		strbuf_release(&tmp);
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

/* The top processes of what is on display, after the counts of line 1. */
static int header_procs(struct view *v, struct view_screen *s, int col)
{
	uint64_t all = 0;
	for (size_t i = 0; i < v->m.nprocs; i++)
		all += v->m.procs[i].samples;
	int start = col;
	col += putf(s, 1, col, VS_HEADER, "  top:");
	for (size_t i = 0; i < v->m.nprocs && i < 3; i++)
		col += putf(s, 1, col, VS_HEADER, " %s (%d) %.0f%%", v->m.procs[i].name, v->m.procs[i].pid,
			    pct(v->m.procs[i].samples, all));
	return col - start;
}

static void render_header(struct view *v, struct view_screen *s)
{
	const struct view_status *st = &v->u.st;
	int col;
	if (st->system_wide && st->idle_share < 0)
		col = putf(s, 0, 0, VS_HEADER, "prowl top  cgroup  %u CPUs: %.1f busy", st->ncpus, st->busy_cpus);
	else if (st->system_wide)
		col = putf(s, 0, 0, VS_HEADER, "prowl top  all processes  %u CPUs: %.1f busy, idle %.1f%%", st->ncpus,
			   st->busy_cpus, st->idle_share * 100.0);
	else if (!st->pid && st->command)
		col = putf(s, 0, 0, VS_HEADER, "prowl top  %.160s%s", st->command, strlen(st->command) > 160 ? "..." : "");
	else
		col = putf(s, 0, 0, VS_HEADER, "prowl top  pid %d", st->pid);
	if (st->command && !st->system_wide && st->pid)
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
	if (st->system_wide || v->m.nprocs > 1)
		col += header_procs(v, s, col);
	if (st->exited)
		col += putf(s, 1, col, VS_WARN, "  target exited: final profile");
	else if (st->stopped)
		col += putf(s, 1, col, VS_WARN, "  target stopped (by a signal): it runs no code, not idle");
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
	if (v->m.thread_tid == FOLD_PIDS)
		col += putf(s, row, col, VS_STATUS, "[command %s (%zu process%s)]", v->m.thread_name ? v->m.thread_name : "",
			    v->m.nsel_pids, v->m.nsel_pids == 1 ? "" : "es");
	else if (v->m.thread_tid == FOLD_PROCESS)
		col += putf(s, row, col, VS_STATUS, "[process %s (%d)]", v->m.thread_name ? v->m.thread_name : "",
			    v->m.thread_pid);
	else if (v->m.thread_tid >= 0)
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
		uint32_t f = vm_func_find(&v->m.an, v->m.tree_id);
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

static void set_procw(struct view *v, size_t top, size_t n)
{
	v->u.procw = 0;
	for (size_t i = top; i < top + n && i < v->m.nrows; i++) {
		const char *pr = vm_proc_of(&v->m, v->m.rows[i]);
		int w = pr ? (int)strlen(pr) + 1 : 0;
		if (w > v->u.procw)
			v->u.procw = w;
	}
	if (v->u.procw && v->u.procw < 8)
		v->u.procw = 8;
	if (v->u.procw > 24)
		v->u.procw = 24;
}

/* Width of the function and location columns of the table for a screen width. */
static void table_widths(struct view *v, int width, int *namew, int *locw)
{
	int rest = width - 34 - v->u.procw; /* "%Own %Total Own Total " = 6+1+7+1+8+1+8+2 */
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
	if (v->u.procw)
		put(s, row, 35 + namew, "Process", v->u.procw - 1, VS_COLUMNS);
	put(s, row, 35 + namew + v->u.procw, "Location", s->width, VS_COLUMNS);
	/* The sort column stands out (reverse video without colours). */
	int x = v->m.sort < SORT_FUNCTION ? colx[v->m.sort] : v->m.sort == SORT_FUNCTION ? 34 : 35 + namew;
	int w = v->m.sort < SORT_FUNCTION ? (v->m.sort == SORT_OWN_PCT ? 6 : v->m.sort == SORT_TOTAL_PCT ? 7 : 8)
		: 8;
	line_style(s, row, x, w, VS_SELECTED);
}

static void table_row(struct view *v, struct view_screen *s, int row, uint32_t fi, int namew,
		      bool selected)
{
	const char *loc = vm_loc_of(&v->m, fi);
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
	if (v->u.procw) {
		const char *pr = vm_proc_of(&v->m, fi);
		put_cell(s, row, 35 + namew, pr ? pr : "", v->u.procw - 1, false, VS_NORMAL);
	}
	put_cell(s, row, 35 + namew + v->u.procw, loc, s->width - 35 - namew - v->u.procw, false, VS_DIM);
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
	int body = nrows - 1;
	v->u.page = body;
	scroll_to(v->m.sel, &v->u.top, body);
	if (v->u.top + (size_t)body > v->m.nrows)
		v->u.top = v->m.nrows > (size_t)body ? v->m.nrows - (size_t)body : 0;
	set_procw(v, v->u.top, (size_t)body);
	table_widths(v, s->width, &namew, &locw);
	/* Sized by what is on screen: locations next to short names, long names
	 * (C++) taking what the locations leave. */
	int need = 0, needloc = 0;
	for (int i = 0; i < body && v->u.top + (size_t)i < v->m.nrows; i++) {
		uint32_t fi = v->m.rows[v->u.top + (size_t)i];
		int len = shown_len(row_label(&v->m.an.funcs[fi])), ll = shown_len(vm_loc_of(&v->m, fi));
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
		const char *mark = leaf ? "   " : vm_expanded_has(&v->m, n->path) ? "[-]" : "[+]";
		int x = 25 + indent;
		x += put(s, row, x, mark, 3, VS_DIM);
		x += 1;
		int namew = s->width - x - locw - 1;
		put_cell(s, row, x, f->name, namew, false, VS_NORMAL);
		put_cell(s, row, s->width - locw, vm_loc_of(&v->m, n->func), locw, false, VS_DIM);
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
	size_t cap = 0, nk = vm_tree_children(&v->m.tree, node, &kids, &cap);
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
	const struct vtrie *t = v->m.tree_id ? &v->m.tree : vm_analysis_trie(&v->m);
	uint32_t root = v->m.tree_id ? 1 : 0;
	if (t->nn <= root || !t->n[root].total) {
		put(s, row0 + 1, 2, "nothing to draw: no samples (Esc: back)", s->width, VS_DIM);
		return;
	}
	if (!v->m.tree_id) {
		/* The whole profile: draw from the real trie through a temporary tree copy. */
		vm_trie_release(&v->m.tree);
		vm_trie_init(&v->m.tree, 0);
		uint32_t top = vm_trie_child(&v->m.tree, 0, NO_NODE - 1, 0);
		vm_tree_add_callees(&v->m, 0, top);
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

/* The process picker (P): like the thread picker, most samples first. */
static void render_procs(struct view *v, struct view_screen *s, int row0, int nrows)
{
	line_style(s, row0, 0, s->width, VS_COLUMNS);
	bool cmd = v->m.by_command;
	put(s, row0, 0, cmd ? "    Procs  Samples  %All  Command   (Enter: show this command; C: each process; Esc: back)"
			    : "      PID  Samples  %All  Process   (Enter: show this process; C: by command; Esc: back)",
	    s->width, VS_COLUMNS);
	int body = nrows - 1;
	v->u.page = body;
	const struct thread_ref *list = cmd ? v->m.cmds : v->m.procs;
	size_t n = (cmd ? v->m.ncmds : v->m.nprocs) + 1;
	scroll_to(v->u.psel, &v->u.ptop, body);
	uint64_t all = 0;
	for (size_t i = 0; i + 1 < n; i++)
		all += list[i].samples;
	for (int i = 0; i < body && v->u.ptop + (size_t)i < n; i++) {
		size_t r = v->u.ptop + (size_t)i;
		int row = row0 + 1 + i;
		if (r == 0) {
			putf(s, row, 0, VS_NORMAL, "%9s  %7llu  %4.0f  all processes", "-", (unsigned long long)all,
			     all ? 100.0 : 0.0);
		} else {
			const struct thread_ref *t = &list[r - 1];
			putf(s, row, 0, VS_NORMAL, "%9d  %7llu  %4.1f  %s", cmd ? (int)t->members : t->pid,
			     (unsigned long long)t->samples, pct(t->samples, all), t->name);
		}
		if ((long)r - 1 == vm_proc_index(&v->m))
			put(s, row, 0, "*", 1, VS_HOT);
		if (r == v->u.psel)
			line_style(s, row, 0, s->width, VS_SELECTED);
	}
}

static void render_threads(struct view *v, struct view_screen *s, int row0, int nrows)
{
	if (v->u.pick_procs) {
		render_procs(v, s, row0, nrows);
		return;
	}
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
		if ((long)r - 1 == vm_thread_index(&v->m))
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
	size_t n = vk_nkeys;
	if (v->u.htop + (size_t)body > n)
		v->u.htop = n > (size_t)body ? n - (size_t)body : 0;
	for (int i = 0; i < body && v->u.htop + (size_t)i < n; i++) {
		const struct keydef *k = &vk_keytab[v->u.htop + (size_t)i];
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
	for (size_t i = 0; i < vk_nkeys; i++)
		if (vk_keytab[i].act == A_QUIT)
			quit_w = 2 + (int)strlen(vk_keytab[i].bar) + 2;
	int col = 0;
	for (size_t i = 0; i < vk_nkeys && col < s->width; i++) {
		const struct keydef *k = &vk_keytab[i];
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
			if ((int)strlen(vm_loc_of(&v->m, v->m.rows[i])) > locw)
				locw = (int)strlen(vm_loc_of(&v->m, v->m.rows[i]));
		}
		(void)locw;
		width = 1024; /* lines are stripped of trailing blanks below */
	}
	struct view_screen s = { 0 };
	screen_resize(&s, width, (int)n + 4);
	render_header(v, &s);
	render_status(v, &s, 2);
	int namew, locw;
	set_procw(v, 0, n);
	table_widths(v, width, &namew, &locw);
	if (v->m.nrows) {
		int need = 0;
		for (size_t i = 0; i < n; i++)
			if (shown_len(row_label(&v->m.an.funcs[v->m.rows[i]])) > need)
				need = shown_len(row_label(&v->m.an.funcs[v->m.rows[i]]));
		if (need + 2 < namew)
			namew = need + 2 > 10 ? need + 2 : 10;
	}
	table_titles(v, &s, 3, namew);
	for (size_t i = 0; i < n; i++)
		table_row(v, &s, 4 + (int)i, v->m.rows[i], namew, false);
	for (int i = 0; i < s.height; i++)
		rstrip_line(out, s.lines[i].text);
	vr_screen_release(&s);
}
