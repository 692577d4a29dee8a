/* The live view's model: rows, filter, sort, call tree and threads, all
 * read from the model's one fold (profiler/model/fold.h). */
#include "ui/view_impl.h"

#include <stdlib.h>
#include <string.h>

void vm_trie_init(struct vtrie *t, uint64_t root_path)
{
	memset(t, 0, sizeof(*t));
	xgrow((void **)&t->n, &t->cap, 1, sizeof(*t->n));
	t->n[0] = (struct vnode){ .parent = 0, .func = NO_NODE, .child = NO_NODE, .sibling = NO_NODE,
				  .path = root_path };
	t->nn = 1;
}

void vm_trie_release(struct vtrie *t)
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

uint32_t vm_trie_child(struct vtrie *t, uint32_t parent, uint32_t func, uint64_t func_hash)
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

static uint64_t key_hash(const char *s)
{
	return hash_bytes(s, strlen(s), 0x70726f776cULL);
}

void vm_analysis_release(struct analysis *a)
{
	for (size_t i = 0; i < a->nfuncs; i++) {
		free(a->funcs[i].loc);
		free(a->funcs[i].label);
		free(a->funcs[i].proc);
	}
	free(a->funcs);
	itab_release(&a->ids);
	vm_trie_release(&a->trie);
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
uint32_t vm_func_find(const struct analysis *a, uint64_t id)
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
	const struct profile_frame *hot = fold_hot_frame(fo, frame);
	const char *file = hot ? hot->file : fold_file(fo, frame);
	uint32_t line = hot ? hot->line : fold_line(fo, frame);
	if (file && line)
		return xasprintf("%s:%u", base_name(file), line);
	if (file)
		return xstrdup(base_name(file));
	if (f->kind == FRAME_KERNEL)
		return xstrdup("[kernel]");
	return xstrdup(base_name(module_of(fo->p, f)));
}

bool vm_thread_shown(const struct view_model *m, const struct profile *p, uint32_t thread)
{
	if (m->thread_tid == FOLD_PROCESS)
		return thread < p->nthreads && p->threads[thread].pid == m->thread_pid;
	if (m->thread_tid == FOLD_PIDS) {
		for (size_t i = 0; thread < p->nthreads && i < m->nsel_pids; i++)
			if (m->sel_pids[i] == p->threads[thread].pid)
				return true;
		return false;
	}
	if (m->thread_tid < 0)
		return true;
	if (thread >= p->nthreads)
		return false;
	return p->threads[thread].tid == m->thread_tid && p->threads[thread].pid == m->thread_pid;
}

/* The name of process pid in the displayed profile (m->procs), or "?". */
static const char *proc_name(const struct view_model *m, int32_t pid)
{
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i].tid == pid)
			return m->procs[i].name;
	return "?";
}

/* The index in m->cmds of the command process pid runs. */
static int32_t cmd_of(const struct view_model *m, int32_t pid)
{
	const char *name = proc_name(m, pid);
	for (size_t i = 0; i < m->ncmds; i++)
		if (!strcmp(m->cmds[i].name, name))
			return (int32_t)i;
	return -1;
}

struct fp_key {
	uint32_t frame;
	int32_t pid;
};
struct fp_entry {
	struct fp_key k;
	uint64_t own;
};
static bool fp_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct fp_entry *e = &((const struct fp_entry *)ctx)[idx];
	const struct fp_key *k = key;
	return e->k.frame == k->frame && e->k.pid == k->pid;
}

/* The process column: for each row, the process holding most of its own
 * samples. Only when the display holds several processes (the whole
 * machine, children, several -p). */
static void analysis_processes(struct view_model *m, struct analysis *a)
{
	const struct profile *p = a->fold.p;
	if (m->nprocs < 2 || m->thread_tid != FOLD_ALL_THREADS)
		return;
	struct fp_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct itab idx = ITAB_INIT;
	for (size_t i = 0; i < p->ncounts; i++) {
		const struct profile_count *c = &p->counts[i];
		if (!c->count || c->node == PROFILE_ROOT || c->thread >= p->nthreads)
			continue;
		struct fp_key k = { p->nodes[c->node].frame, p->threads[c->thread].pid };
		if (m->by_command)
			k.pid = cmd_of(m, k.pid);
		uint64_t h = hash_mix(hash_mix(0x70c, k.frame), (uint64_t)(uint32_t)k.pid);
		uint32_t e = itab_find(&idx, h, fp_eq, v, &k);
		if (e == ITAB_NONE) {
			xgrow((void **)&v, &cap, n + 1, sizeof(*v));
			v[n] = (struct fp_entry){ k, 0 };
			itab_insert(&idx, h, e = (uint32_t)n++);
		}
		v[e].own += c->count;
	}
	uint64_t *best = xcalloc(p->nframes + 1, sizeof(*best));
	int32_t *bpid = xcalloc(p->nframes + 1, sizeof(*bpid));
	uint32_t *others = xcalloc(p->nframes + 1, sizeof(*others));
	for (size_t i = 0; i < n; i++) {
		uint32_t f = v[i].k.frame;
		if (best[f])
			others[f]++;
		if (v[i].own > best[f] || (v[i].own == best[f] && v[i].k.pid < bpid[f])) {
			best[f] = v[i].own;
			bpid[f] = v[i].k.pid;
		}
	}
	for (size_t f = 0; f < p->nframes && f < a->nfuncs; f++) {
		if (!best[f])
			continue;
		a->funcs[f].has_proc = true;
		a->funcs[f].proc_pid = bpid[f];
		a->funcs[f].proc_others = others[f];
	}
	free(best);
	free(bpid);
	free(others);
	free(v);
	itab_release(&idx);
}

/* Marks each node whose function no ancestor runs (recursion is counted
 * once): one walk down the child lists, counting the functions on the path
 * (walking up from every node costs its depth; a whole machine's trie has
 * hundreds of thousands of nodes). */
static void trie_mark_first(struct vtrie *t, size_t nfuncs)
{
	struct vnode *n = t->n;
	uint32_t *on = xcalloc(nfuncs + 1, sizeof(*on));
	uint32_t i = n[0].child;
	while (i != NO_NODE) {
		uint32_t f = n[i].func < nfuncs ? n[i].func : (uint32_t)nfuncs;
		n[i].first = on[f] == 0;
		on[f]++;
		if (n[i].child != NO_NODE) {
			i = n[i].child;
			continue;
		}
		/* Leave i, and its parents while they have no next sibling. */
		for (;;) {
			on[n[i].func < nfuncs ? n[i].func : nfuncs]--;
			if (n[i].sibling != NO_NODE) {
				i = n[i].sibling;
				break;
			}
			i = n[i].parent;
			if (i == 0) {
				i = NO_NODE;
				break;
			}
		}
	}
	free(on);
}

/* Rows and the call trie from the model's fold: the numbers `prowl report`
 * prints for the same profile, restricted to the thread shown. */
static void analysis_build(struct view_model *m, const struct profile *src)
{
	struct analysis *a = &m->an;
	vm_analysis_release(a);
	vm_trie_init(&a->trie, 0);
	if (!src)
		return;
	struct fold_opts fo = {
		.flags = m->lines ? PROFILE_FOLD_LINES : 0,
		.tid = m->thread_tid == FOLD_PROCESS || m->thread_tid == FOLD_PIDS || m->thread_tid >= 0 ? m->thread_tid
											 : FOLD_ALL_THREADS,
		.pid = m->thread_pid,
		.pids = m->sel_pids,
		.npids = m->nsel_pids,
		.hot_lines = true,
		.cache = m->fcache,
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
		vf->kind = f->kind;
		if (vm_func_find(a, vf->hash) == NO_NODE)
			itab_insert(&a->ids, vf->hash, (uint32_t)i);
	}
	analysis_processes(m, a);
}

/* The call trie of the fold, made when a tree or the flame graph first
 * asks after a refresh: the table (top's default) never reads it, and a
 * whole machine's has hundreds of thousands of nodes. */
const struct vtrie *vm_analysis_trie(struct view_model *m)
{
	struct analysis *a = &m->an;
	if (a->trie_built)
		return &a->trie;
	a->trie_built = true;
	if (!a->folded)
		return &a->trie;
	const struct profile *p = a->fold.p;
	/* The trie mirrors the fold's nodes (parents come before children). */
	xgrow((void **)&a->trie.n, &a->trie.cap, p->nnodes, sizeof(*a->trie.n));
	for (size_t i = 1; i < p->nnodes; i++) {
		uint32_t f = p->nodes[i].frame;
		uint32_t n = vtrie_append(&a->trie, p->nodes[i].parent, f, a->funcs[f].hash);
		a->trie.n[n].own = a->fold.self[i];
		a->trie.n[n].total = a->fold.total[i];
	}
	a->trie.n[0].own = a->fold.self[0];
	a->trie.n[0].total = a->fold.total[0];
	trie_mark_first(&a->trie, p->nframes);
	return &a->trie;
}

/* The process column of a function (NULL: none), made on first use as the
 * location is: a whole machine has thousands of functions, a screen shows 40. */
const char *vm_proc_of(struct view_model *m, uint32_t fi)
{
	struct vfunc *f = &m->an.funcs[fi];
	if (f->proc || !f->has_proc)
		return f->proc;
	int32_t pid = f->proc_pid;
	if (m->by_command) {
		const char *cmd = (size_t)pid < m->ncmds ? m->cmds[pid].name : "?";
		f->proc = f->proc_others ? xasprintf("%s +%u", cmd, f->proc_others) : xstrdup(cmd);
	} else if (f->proc_others) {
		f->proc = xasprintf("%s (%d) +%u", proc_name(m, pid), (int)pid, f->proc_others);
	} else {
		f->proc = xasprintf("%s (%d)", proc_name(m, pid), (int)pid);
	}
	return f->proc;
}

/* The location column of a function, made on first use: most rows are never shown. */
const char *vm_loc_of(struct view_model *m, uint32_t fi)
{
	struct vfunc *f = &m->an.funcs[fi];
	if (!f->loc)
		f->loc = m->an.folded ? frame_loc(&m->an.fold, fi) : xstrdup("");
	return f->loc;
}

void vm_filter_compile(struct view_model *m)
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

void vm_rows_build(struct view_model *m)
{
	free(m->rows);
	m->rows = xmalloc((m->an.nfuncs + 1) * sizeof(*m->rows));
	m->nrows = 0;
	for (size_t i = 0; i < m->an.nfuncs; i++) {
		const struct vfunc *f = &m->an.funcs[i];
		if (f->total && f->kind != FRAME_THREAD && f->kind != FRAME_PROCESS && filter_match(m, f->name))
			m->rows[m->nrows++] = (uint32_t)i;
	}
	if (m->sort == SORT_LOCATION)
		for (size_t i = 0; i < m->nrows; i++)
			vm_loc_of(m, m->rows[i]);
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

void vm_select_row(struct view_model *m, size_t i)
{
	if (!m->nrows)
		return;
	if (i >= m->nrows)
		i = m->nrows - 1;
	m->sel = i;
	m->sel_id = m->an.funcs[m->rows[i]].hash;
}

bool vm_expanded_has(const struct view_model *m, uint64_t path)
{
	for (size_t i = 0; i < m->nexpanded; i++)
		if (m->expanded[i] == path)
			return true;
	return false;
}

void vm_expanded_set(struct view_model *m, uint64_t path, bool on)
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
void vm_tree_add_callees(struct view_model *m, uint32_t src, uint32_t dst)
{
	const struct vtrie *t = vm_analysis_trie(m);
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
			uint32_t dc = vm_trie_child(&m->tree, d, f, m->an.funcs[f].hash);
			xgrow((void **)&stack, &cap, n + 2, sizeof(*stack));
			stack[n++] = c;
			stack[n++] = dc;
		}
	}
	free(stack);
}

void vm_tree_build(struct view_model *m)
{
	vm_trie_release(&m->tree);
	vm_trie_init(&m->tree, 0);
	uint32_t f = vm_func_find(&m->an, m->tree_id);
	if (f == NO_NODE)
		return;
	uint32_t top = vm_trie_child(&m->tree, 0, f, m->an.funcs[f].hash);
	const struct vtrie *t = vm_analysis_trie(m);
	for (size_t i = 1; i < t->nn; i++) {
		if (t->n[i].func != f || !t->n[i].first || !t->n[i].total)
			continue;
		if (!m->callers) {
			vm_tree_add_callees(m, (uint32_t)i, top);
			continue;
		}
		uint64_t w = t->n[i].total;
		m->tree.n[top].total += w;
		uint32_t d = top;
		for (uint32_t up = t->n[i].parent; up != 0; up = t->n[up].parent) {
			uint32_t g = t->n[up].func;
			d = vm_trie_child(&m->tree, d, g, m->an.funcs[g].hash);
			m->tree.n[d].total += w;
		}
		m->tree.n[d].own += w; /* callers: "own" is where the chain starts */
	}
}

/* Children of a tree node, hottest first. */
size_t vm_tree_children(const struct vtrie *t, uint32_t node, uint32_t **out, size_t *cap)
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
	if (!vm_expanded_has(m, m->tree.n[node].path))
		return;
	uint32_t *kids = NULL;
	size_t kcap = 0, nk = vm_tree_children(&m->tree, node, &kids, &kcap);
	for (size_t i = 0; i < nk; i++)
		trows_add(m, kids[i], cap);
	free(kids);
}

void vm_trows_build(struct view_model *m)
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
void vm_tree_open(struct view_model *m, uint64_t id)
{
	m->tree_id = id;
	m->nexpanded = 0;
	m->tsel = 0;
	vm_tree_build(m);
	if (m->tree.nn > 1) {
		uint32_t node = 1;
		uint32_t *kids = NULL;
		size_t cap = 0;
		m->tsel_path = m->tree.n[1].path;
		for (int depth = 0; depth < 12; depth++) {
			vm_expanded_set(m, m->tree.n[node].path, true);
			size_t nk = vm_tree_children(&m->tree, node, &kids, &cap);
			if (!nk || m->tree.n[kids[0]].total * 2 < m->tree.n[node].total)
				break;
			node = kids[0];
		}
		free(kids);
	}
	vm_trows_build(m);
}

void vm_tree_expand_all(struct view_model *m, uint32_t node)
{
	vm_expanded_set(m, m->tree.n[node].path, true);
	for (uint32_t c = m->tree.n[node].child; c != NO_NODE; c = m->tree.n[c].sibling)
		if (m->tree.n[c].total)
			vm_tree_expand_all(m, c);
}

void vm_procs_release(struct view_model *m)
{
	for (size_t i = 0; i < m->nprocs; i++)
		free(m->procs[i].name);
	free(m->procs);
	m->procs = NULL;
	m->nprocs = 0;
	for (size_t i = 0; i < m->ncmds; i++)
		free(m->cmds[i].name);
	free(m->cmds);
	m->cmds = NULL;
	m->ncmds = 0;
}

static int proc_cmp(const void *pa, const void *pb);

/* C: the processes merged by command name, most samples first. */
static void cmds_refresh(struct view_model *m)
{
	m->cmds = xcalloc(m->nprocs + 1, sizeof(*m->cmds));
	for (size_t i = 0; i < m->nprocs; i++) {
		struct thread_ref *c = NULL;
		for (size_t j = 0; j < m->ncmds && !c; j++)
			if (!strcmp(m->cmds[j].name, m->procs[i].name))
				c = &m->cmds[j];
		if (!c) {
			c = &m->cmds[m->ncmds++];
			c->name = xstrdup(m->procs[i].name);
			c->pid = c->tid = m->procs[i].pid;
		}
		c->samples += m->procs[i].samples;
		c->members++;
	}
	qsort(m->cmds, m->ncmds, sizeof(*m->cmds), proc_cmp);
}

/* The processes of command i (a selection that follows new processes of
 * that name at each refresh). */
static void cmd_pids(struct view_model *m, const char *name)
{
	free(m->sel_pids);
	m->sel_pids = xmalloc((m->nprocs + 1) * sizeof(*m->sel_pids));
	m->nsel_pids = 0;
	for (size_t i = 0; i < m->nprocs; i++)
		if (!strcmp(m->procs[i].name, name))
			m->sel_pids[m->nsel_pids++] = m->procs[i].pid;
}

static int proc_cmp(const void *pa, const void *pb)
{
	const struct thread_ref *a = pa, *b = pb;
	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

/* Processes of p by samples: the header's top processes and the P list.
 * A process's name is its main thread's (any thread's if that one is
 * missing). */
static void procs_refresh(struct view_model *m, const struct profile *p)
{
	vm_procs_release(m);
	if (!p)
		return;
	m->procs = xcalloc(p->nthreads + 1, sizeof(*m->procs));
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct profile_thread *t = &p->threads[i];
		struct thread_ref *r = NULL;
		for (size_t j = 0; j < m->nprocs && !r; j++)
			if (m->procs[j].tid == t->pid)
				r = &m->procs[j];
		if (!r) {
			r = &m->procs[m->nprocs++];
			r->tid = r->pid = t->pid;
			r->name = xstrdup(t->name);
		} else if (t->tid == t->pid) {
			free(r->name);
			r->name = xstrdup(t->name);
		}
		r->samples += t->samples;
	}
	/* Stacks of several processes start at the process's name ("name
	 * (pid)" on the whole machine): its own name, where its main thread
	 * has no samples to be named by. */
	size_t *of = xmalloc((p->nthreads + 1) * sizeof(*of));
	for (size_t t = 0; t < p->nthreads; t++)
		for (size_t j = 0; j < m->nprocs; j++)
			if (m->procs[j].pid == p->threads[t].pid)
				of[t] = j;
	for (size_t i = 0; i < p->ncounts; i++) {
		const struct profile_count *c = &p->counts[i];
		if (c->thread >= p->nthreads || m->procs[of[c->thread]].pid_named)
			continue;
		uint32_t n = c->node, root = PROFILE_NONE;
		while (n != PROFILE_ROOT) {
			root = n;
			n = p->nodes[n].parent;
		}
		if (root == PROFILE_NONE)
			continue;
		const struct profile_frame *f = &p->frames[p->nodes[root].frame];
		if ((f->kind != FRAME_PROCESS && f->kind != FRAME_THREAD) || !f->name)
			continue;
		struct thread_ref *r = &m->procs[of[c->thread]];
		/* "name (pid)" on the whole machine; several processes: "name". */
		const char *sp = f->kind == FRAME_PROCESS ? strrchr(f->name, ' ') : NULL;
		free(r->name);
		r->name = sp ? xstrndup(f->name, (size_t)(sp - f->name)) : xstrdup(f->name);
		r->pid_named = true;
	}
	free(of);
	qsort(m->procs, m->nprocs, sizeof(*m->procs), proc_cmp);
	cmds_refresh(m);
	if (m->thread_tid == FOLD_PIDS && m->thread_name)
		cmd_pids(m, m->thread_name);
}

void vm_proc_select(struct view_model *m, const struct profile *disp, long idx)
{
	if (m->by_command && idx >= 0 && (size_t)idx < m->ncmds) {
		m->thread_tid = FOLD_PIDS;
		m->thread_pid = 0;
		profile_set_str(&m->thread_name, m->cmds[idx].name);
		cmd_pids(m, m->cmds[idx].name);
	} else if (idx < 0 || (size_t)idx >= (m->by_command ? m->ncmds : m->nprocs)) {
		m->thread_tid = FOLD_ALL_THREADS;
		m->thread_pid = 0;
		profile_set_str(&m->thread_name, NULL);
	} else {
		m->thread_tid = FOLD_PROCESS;
		m->thread_pid = m->procs[idx].pid;
		profile_set_str(&m->thread_name, m->procs[idx].name);
	}
	vm_reanalyze(m, disp);
}

long vm_proc_index(const struct view_model *m)
{
	if (m->thread_tid == FOLD_PIDS && m->by_command && m->thread_name) {
		for (size_t i = 0; i < m->ncmds; i++)
			if (!strcmp(m->cmds[i].name, m->thread_name))
				return (long)i;
		return -1;
	}
	if (m->thread_tid != FOLD_PROCESS || m->by_command)
		return -1;
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i].pid == m->thread_pid)
			return (long)i;
	return -1;
}

void vm_threads_refresh(struct view_model *m, const struct profile *p)
{
	procs_refresh(m, p);
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
void vm_reanalyze(struct view_model *m, const struct profile *disp)
{
	analysis_build(m, disp);
	vm_rows_build(m);
	if (m->tree_id) {
		vm_tree_build(m);
		vm_trows_build(m);
	}
}

void vm_thread_select(struct view_model *m, const struct profile *disp, long idx)
{
	/* idx -1 = all threads, else an index into m->threads */
	if (idx < 0 || (size_t)idx >= m->nthreads) {
		m->thread_tid = -1;
		m->thread_pid = 0;
		profile_set_str(&m->thread_name, NULL);
	} else {
		m->thread_tid = m->threads[idx].tid;
		m->thread_pid = m->threads[idx].pid;
		profile_set_str(&m->thread_name, m->threads[idx].name);
	}
	vm_reanalyze(m, disp);
}

long vm_thread_index(const struct view_model *m)
{
	for (size_t i = 0; i < m->nthreads; i++)
		if (m->threads[i].tid == m->thread_tid && m->threads[i].pid == m->thread_pid)
			return (long)i;
	return -1;
}

uint64_t vm_table_selected_id(const struct view_model *m)
{
	return m->sel < m->nrows ? m->an.funcs[m->rows[m->sel]].hash : 0;
}

uint64_t vm_tree_selected_id(const struct view_model *m)
{
	return m->tsel < m->ntrows ? m->an.funcs[m->tree.n[m->trows[m->tsel]].func].hash : 0;
}
