/*
 * view_impl: the private side of the live view (ui/view.h is the public one),
 * shared by its four files:
 *   view.c         lifecycle, snapshots, windows of time, reset, freeze, saving
 *   view_model.c   rows, filter, sort, call tree, threads: on the model's fold
 *                  (profiler/model/fold.h), so a row of `prowl top` is a row of
 *                  `prowl report`
 *   view_keys.c    the one key table and one handler per mode
 *   view_render.c  the screen as a grid of cells (help and key bar from the key table)
 * Prefixes of the functions shared between them: vm_ (model), vd_ (data),
 * vk_ (keys), vr_ (render). The view owns everything reachable from struct
 * view; nothing here fails except out of memory (fatal).
 */
#ifndef PROWL_VIEW_IMPL_H
#define PROWL_VIEW_IMPL_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/base/itab.h"
#include "profiler/model/fold.h"
#include "ui/view.h"

/*
 * Snapshots are shared between roles (the latest one, the reset baseline, the
 * history that windows of time subtract), so they are reference counted.
 */
struct snap {
	struct profile *p;
	uint64_t t;
	int refs;
};

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

/* One row of the flat table: a frame of the model's fold (a function, or a
 * line at line granularity; profiler/model/fold.h). */
struct vfunc {
	uint64_t hash;    /* identity across refreshes (of kind, name, module, inlined; file and line) */
	const char *name; /* points into the fold */
	char *loc;  /* "file:line", a module, or "": made when first shown (vm_loc_of) */
	char *label; /* "name [inlined]" for an inlined frame (a row apart, as in report), else NULL */
	uint64_t own, total;
	bool inlined;
	uint8_t kind;  /* enum frame_kind: process and thread roots are no rows */
	char *proc;    /* the process column (several processes), or NULL: made when
			* first shown (vm_proc_of) from the three below */
	bool has_proc;
	int32_t proc_pid;     /* the process with most own samples (a command index when grouped) */
	uint32_t proc_others; /* how many other processes run it */
};

static inline const char *row_label(const struct vfunc *f)
{
	return f->label ? f->label : f->name;
}

struct analysis {
	struct fold fold;  /* of the displayed profile, for the thread shown */
	bool folded;
	struct vfunc *funcs; /* per frame of fold.p */
	size_t nfuncs;
	struct itab ids;   /* hash -> funcs index */
	struct vtrie trie; /* fold.p's nodes, same indices, with child lists: read it
			    * through vm_analysis_trie(), which makes it on first use */
	bool trie_built;
	uint64_t total;
};

struct thread_ref {
	int32_t pid, tid;
	char *name;
	uint64_t samples;
	bool pid_named; /* a process: named by its "name (pid)" root */
	uint32_t members; /* a command (grouped): how many processes run it */
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
	A_PROC_LIST, A_BY_COMMAND,
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

/* Snapshots kept for windows of time: always (so `w` shows the last N
 * seconds at once), spaced by about a sixth of their age (a window covers at
 * most a sixth more than asked, plus a refresh), back to the longest window
 * the keys offer: some 25 at a 1 s delay, 45 at 0.1 s; a cap below that. */
#define HISTORY_MAX 48
#define HISTORY_BUDGET ((size_t)128 << 20) /* bytes of snapshots kept for windows, about */
#define HISTORY_SPAN_S 60 /* the longest window of the w key (view_keys.c) */

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
	struct profile_fold_cache *fcache; /* the fold's, kept between refreshes */
	bool lines;
	int thread_tid;        /* -1 = all threads */
	int thread_pid;
	char *thread_name;
	struct thread_ref *threads; /* of the displayed profile, by tid */
	size_t nthreads;
	/* Processes of the displayed profile, most samples first (tid = pid,
	 * name = the process's name); thread_tid FOLD_PROCESS shows one. */
	struct thread_ref *procs;
	size_t nprocs;
	/* C: processes grouped by command (name), in the P list and the
	 * process column; thread_tid FOLD_PIDS shows one command's sel_pids. */
	bool by_command;
	struct thread_ref *cmds; /* most samples first */
	size_t ncmds;
	int32_t *sel_pids;
	size_t nsel_pids;
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
	bool pick_procs;       /* the picker lists processes (P), not threads (H) */
	int procw;             /* width of the table's process column, 0 for none (view_render.c) */
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

/* view_model.c: vm_reanalyze() rebuilds rows and tree from a displayed
 * profile; the rest keep rows, selection and tree in step with the keys. */
void vm_trie_init(struct vtrie *t, uint64_t root_path);
void vm_trie_release(struct vtrie *t);
uint32_t vm_trie_child(struct vtrie *t, uint32_t parent, uint32_t func, uint64_t func_hash);
void vm_analysis_release(struct analysis *a);
uint32_t vm_func_find(const struct analysis *a, uint64_t id);
bool vm_thread_shown(const struct view_model *m, const struct profile *p, uint32_t thread);
const char *vm_loc_of(struct view_model *m, uint32_t fi);
void vm_filter_compile(struct view_model *m);
void vm_rows_build(struct view_model *m);
void vm_select_row(struct view_model *m, size_t i);
bool vm_expanded_has(const struct view_model *m, uint64_t path);
void vm_expanded_set(struct view_model *m, uint64_t path, bool on);
void vm_tree_add_callees(struct view_model *m, uint32_t src, uint32_t dst);
void vm_tree_build(struct view_model *m);
size_t vm_tree_children(const struct vtrie *t, uint32_t node, uint32_t **out, size_t *cap);
void vm_trows_build(struct view_model *m);
void vm_tree_open(struct view_model *m, uint64_t id);
void vm_tree_expand_all(struct view_model *m, uint32_t node);
void vm_threads_refresh(struct view_model *m, const struct profile *p);
void vm_reanalyze(struct view_model *m, const struct profile *disp);
/* A function's process column, or NULL (made on first use). */
const char *vm_proc_of(struct view_model *m, uint32_t fi);
/* The fold's call trie (made on first use after each analysis). */
const struct vtrie *vm_analysis_trie(struct view_model *m);
void vm_thread_select(struct view_model *m, const struct profile *disp, long idx);
/* idx -1: all processes, else an index into m->procs. */
void vm_proc_select(struct view_model *m, const struct profile *disp, long idx);
long vm_proc_index(const struct view_model *m);
void vm_procs_release(struct view_model *m);
long vm_thread_index(const struct view_model *m);
uint64_t vm_table_selected_id(const struct view_model *m);
uint64_t vm_tree_selected_id(const struct view_model *m);

/* view.c */
struct snap *vd_snap_ref(struct snap *s);
void vd_snap_unref(struct snap *s);
void vd_recompute(struct view *v);
void vd_set_window(struct view *v, unsigned secs);

/* view_keys.c: the key table, in the order help and the key bar show it */
extern const struct keydef vk_keytab[];
extern const size_t vk_nkeys;

/* view_render.c */
void vr_screen_release(struct view_screen *s);

#endif
