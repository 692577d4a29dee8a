/* The live view's keys: the one key table (help and the key bar are drawn
 * from it) and one handler per mode. */
#include "ui/view_impl.h"

#include <stdlib.h>
#include <string.h>

/* The one key table: the help screen and the key bar are made from it, in this
 * order (the bar drops from the end what does not fit, Quit excepted). */
const struct keydef vk_keytab[] = {
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
	{ A_PROC_LIST, { 'P' }, "P", "Procs", M_DATA, "pick a process from a list (all, or one: its threads together)" },
	{ A_BY_COMMAND, { 'C' }, "C", NULL, 0,
	  "group processes by command: the process column and the P list name commands (cc1, not each cc1)" },
	{ A_REDRAW, { VIEW_KEY_CTRL_L }, "Ctrl-L", NULL, 0, "redraw the whole screen" },
	{ A_QUIT, { 'q', 'Q', VIEW_KEY_CTRL_C }, "q, Ctrl-C", "Quit", M_ALL, "quit (writing -o if given)" },
};
const size_t vk_nkeys = ARRAY_SIZE(vk_keytab);

static const unsigned window_steps[] = { 0, 5, 10, 30, 60 };

static enum vact key_action(int key)
{
	for (size_t i = 0; i < ARRAY_SIZE(vk_keytab); i++)
		for (size_t k = 0; k < ARRAY_SIZE(vk_keytab[i].keys) && vk_keytab[i].keys[k]; k++)
			if (vk_keytab[i].keys[k] == key)
				return vk_keytab[i].act;
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
		vm_select_row(&v->m, move(v->m.sel, v->m.nrows, key == VIEW_KEY_UP ? -1 : 1));
		return VIEW_ACT_REDRAW;
	} else {
		return VIEW_ACT_NONE;
	}
	vm_filter_compile(&v->m);
	vm_rows_build(&v->m);
	return VIEW_ACT_REDRAW;
}

/* The tree (or flame) of a function, scrolled to its top. */
static void open_tree(struct view *v, uint64_t id)
{
	vm_tree_open(&v->m, id);
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
		uint64_t id = mode == VIEW_TREE || mode == VIEW_FLAME ? v->m.tree_id : vm_table_selected_id(&v->m);
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
		uint64_t id = mode == VIEW_TREE ? vm_tree_selected_id(&v->m) : vm_table_selected_id(&v->m);
		if (mode == VIEW_FLAME && v->m.tree_id)
			id = 0;
		v->m.callers = false;
		if (id) {
			open_tree(v, id);
		} else {
			v->m.tree_id = 0;
			vm_tree_build(&v->m);
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
		long i = vm_thread_index(&v->m), n = (long)v->m.nthreads;
		/* -1 (all) -> 0 -> ... -> n-1 -> -1 */
		i = a == A_THREAD_NEXT ? (i + 2) % (n + 1) - 1 : (i + n + 1) % (n + 1) - 1;
		vm_thread_select(&v->m, v->d.disp, i);
		return VIEW_ACT_REDRAW;
	}
	case A_BY_COMMAND:
		v->m.by_command = !v->m.by_command;
		if (v->m.thread_tid == FOLD_PIDS || v->m.thread_tid == FOLD_PROCESS)
			vm_proc_select(&v->m, v->d.disp, -1); /* a pick of the other kind */
		else
			vm_reanalyze(&v->m, v->d.disp);
		if (v->u.mode == VIEW_THREADS && v->u.pick_procs)
			v->u.psel = (size_t)(vm_proc_index(&v->m) + 1);
		return VIEW_ACT_REDRAW;
	case A_PROC_LIST:
		v->u.mode = VIEW_THREADS;
		v->u.pick_procs = true;
		v->u.psel = (size_t)(vm_proc_index(&v->m) + 1);
		v->u.ptop = 0;
		return VIEW_ACT_REDRAW;
	case A_THREAD_LIST:
		v->u.mode = VIEW_THREADS;
		v->u.pick_procs = false;
		v->u.psel = (size_t)(vm_thread_index(&v->m) + 1);
		v->u.ptop = 0;
		return VIEW_ACT_REDRAW;
	case A_LINES: {
		/* Keep the selection on the same function across granularities. */
		const char *name = view_selected(v);
		char *keep = name ? xstrdup(name) : NULL;
		v->m.lines = !v->m.lines;
		v->m.sel_id = 0;
		v->m.tree_id = 0;
		vm_reanalyze(&v->m, v->d.disp);
		if (keep) {
			for (size_t i = 0; i < v->m.nrows; i++)
				if (!strcmp(v->m.an.funcs[v->m.rows[i]].name, keep)) {
					vm_select_row(&v->m, i);
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
		vm_rows_build(&v->m);
		return VIEW_ACT_REDRAW;
	case A_SORT_INVERT:
		v->m.ascending = !v->m.ascending;
		vm_rows_build(&v->m);
		return VIEW_ACT_REDRAW;
	case A_FREEZE:
		v->d.frozen = !v->d.frozen;
		if (!v->d.frozen)
			vd_recompute(v);
		return VIEW_ACT_REDRAW;
	case A_RESET:
		vd_snap_unref(v->d.baseline);
		v->d.baseline = vd_snap_ref(v->d.latest);
		vd_recompute(v);
		return VIEW_ACT_REDRAW;
	case A_WINDOW: {
		size_t i = 0;
		while (i < ARRAY_SIZE(window_steps) && window_steps[i] != v->d.window)
			i++;
		vd_set_window(v, window_steps[(i + 1) % ARRAY_SIZE(window_steps)]);
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
		vm_select_row(m, move(m->sel, m->nrows, nav_delta(v, a, m->sel, m->nrows)));
		return VIEW_ACT_REDRAW;
	}
	switch (a) {
	case A_ENTER:
		if (!vm_table_selected_id(m))
			return VIEW_ACT_NONE;
		m->callers = false;
		open_tree(v, vm_table_selected_id(m));
		v->u.mode = VIEW_TREE;
		return VIEW_ACT_REDRAW;
	case A_BACK: /* in the table, Esc clears the filter */
		if (!m->filter.len)
			return VIEW_ACT_NONE;
		strbuf_reset(&m->filter);
		vm_filter_compile(m);
		vm_rows_build(m);
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
		vm_expanded_set(m, n->path, !vm_expanded_has(m, n->path));
		break;
	case A_EXPAND:
		vm_expanded_set(m, n->path, true);
		break;
	case A_EXPAND_ALL:
		vm_tree_expand_all(m, node);
		break;
	default: /* A_COLLAPSE */
		if (vm_expanded_has(m, n->path) && n->child != NO_NODE)
			vm_expanded_set(m, n->path, false);
		else if (n->parent > 0)
			m->tsel_path = m->tree.n[n->parent].path;
		break;
	}
	vm_trows_build(m);
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
	size_t n = (v->u.pick_procs ? v->m.by_command ? v->m.ncmds : v->m.nprocs : v->m.nthreads) + 1;
	if (is_nav(a)) {
		v->u.psel = move(v->u.psel, n, nav_delta(v, a, v->u.psel, n));
		return VIEW_ACT_REDRAW;
	}
	if (a == A_ENTER) {
		if (v->u.pick_procs)
			vm_proc_select(&v->m, v->d.disp, (long)v->u.psel - 1);
		else
			vm_thread_select(&v->m, v->d.disp, (long)v->u.psel - 1);
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
		v->u.htop = move(v->u.htop, ARRAY_SIZE(vk_keytab), nav_delta(v, a, v->u.htop, ARRAY_SIZE(vk_keytab)));
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
