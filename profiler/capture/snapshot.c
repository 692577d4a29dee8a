#include "profiler/capture/snapshot.h"

#include <stdio.h>
#include <stdlib.h>

#include "profiler/base/itab.h"
#include "profiler/base/util.h"
#include "profiler/model/seq.h"
#include "symbolize/symbolizer.h"

static int32_t module_of(struct profile *p, struct resolver *r, struct target *t, struct module *m)
{
	struct profile_module pm = { .path = m->path, .kernel = m->kind == MODULE_KERNEL };
	char hex[41];
	if (m->build_id_len) {
		for (size_t i = 0; i < m->build_id_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
		pm.build_id = hex;
	}
	struct sym_module *sm = resolve_module(r, m);
	if (sm) {
		unsigned caps = sym_module_caps(sm);
		pm.has_functions = caps & 1;
		pm.has_filenames = (caps >> 1) & 1;
		pm.has_line_numbers = (caps >> 2) & 1;
		pm.has_inline_frames = (caps >> 3) & 1;
	}
	/* The first executable mapping of the main process, for pprof. */
	for (size_t i = 0; i < t->nprocs && !pm.start; i++) {
		const struct maps *mp = t->procs[i]->maps;
		for (size_t j = 0; j < mp->n; j++)
			if (mp->v[j].module == m && (mp->v[j].prot & MAPS_PROT_EXEC)) {
				pm.start = mp->v[j].start;
				pm.limit = mp->v[j].end;
				pm.offset = mp->v[j].pgoff;
				break;
			}
	}
	int32_t mi = profile_module_intern(p, &pm);
	/* Interned earlier without its symbols (a run cut short): its
	 * capabilities now. Only the image's own entry changes. */
	struct profile_module *dst = &p->modules[mi];
	dst->has_functions = pm.has_functions;
	dst->has_filenames = pm.has_filenames;
	dst->has_line_numbers = pm.has_line_numbers;
	dst->has_inline_frames = pm.has_inline_frames;
	return mi;
}

const char *snapshot_process_name(struct target *t, pid_t pid)
{
	struct target_proc *tp = target_proc(t, pid, false);
	struct target_thread *leader = tp ? target_thread(tp, pid, false) : NULL;
	/* The OS name: a Python main thread's shown name is "MainThread". */
	if (leader && leader->comm[0])
		return leader->comm;
	if (leader && leader->name[0])
		return leader->name;
	/* The leader's record is missing (attached late, or gone): any thread's. */
	for (size_t i = 0; tp && i < tp->nthreads; i++)
		if (tp->threads[i].name[0])
			return tp->threads[i].name;
	return "[unknown]";
}

/* What a capture's aggregate became in a profile: the aggregate only grows
 * (nodes keep their numbers; reset_counts only zeroes counts), so an image
 * kept between snapshots names only the nodes added since the last one. */
struct snapshot_image {
	struct profile *p; /* frames, modules, threads and nodes; no counts */
	uint64_t lineage;  /* the copies' stamp: they grow as p does */
	bool owned;        /* p is the image's (else the caller's, snapshot_fill) */
	uint32_t *nmap;    /* aggregate node -> node of p */
	size_t nmapped, cap_nmap;
	size_t last_from;  /* nmapped before the last take (snapshot_image_rewind) */
	int32_t *midx;     /* dense module id -> module of p, INT32_MIN: not yet */
	size_t cap_midx;
	/* A node put under a root frame (a process's): root, node -> out. */
	struct itab rtab;
	struct root_pair {
		uint32_t root, node, out;
	} *rv;
	size_t nr, cap_rv;
	uint32_t *stack;
	size_t cap_stack;
};

static bool root_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct snapshot_image *im = ctx;
	const struct root_pair *k = key;
	return im->rv[i].root == k->root && im->rv[i].node == k->node;
}

/* node of the image's profile, put under the frame root (each pair is
 * walked once, then looked up). */
static uint32_t image_rooted(struct snapshot_image *im, uint32_t root, uint32_t node)
{
	uint64_t h = hash_mix(hash_mix(0x5e, root), node);
	struct root_pair key = { root, node, 0 };
	uint32_t i = itab_find(&im->rtab, h, root_eq, im, &key);
	if (i != ITAB_NONE)
		return im->rv[i].out;
	struct profile *p = im->p;
	size_t d = profile_node_depth(p, node);
	xgrow((void **)&im->stack, &im->cap_stack, d + 2, sizeof(*im->stack));
	im->stack[0] = root;
	profile_node_frames(p, node, im->stack + 1, d);
	key.out = profile_node_path(p, im->stack, d + 1);
	xgrow((void **)&im->rv, &im->cap_rv, im->nr + 1, sizeof(*im->rv));
	im->rv[im->nr] = key;
	itab_insert(&im->rtab, h, (uint32_t)im->nr++);
	return key.out;
}

/* Names the aggregate's nodes added since the last call. */
static void image_extend(struct snapshot_image *im, const struct aggregate *a, struct resolver *r, struct target *t)
{
	struct profile *p = im->p;
	/* Module indices by dense module id (the kernel and modules of
	 * another set go through the profile's own interning). */
	size_t nmods = module_set_count(t->modules);
	if (im->cap_midx < nmods + 1) {
		size_t old = im->cap_midx;
		xgrow((void **)&im->midx, &im->cap_midx, nmods + 1, sizeof(*im->midx));
		for (size_t i = old; i < im->cap_midx; i++)
			im->midx[i] = INT32_MIN;
	}
	xgrow((void **)&im->nmap, &im->cap_nmap, a->nnodes, sizeof(*im->nmap));
	if (!im->nmapped && a->nnodes) {
		im->nmap[0] = PROFILE_ROOT;
		im->nmapped = 1;
	}
	for (size_t i = im->nmapped; i < a->nnodes; i++) {
		const struct agg_node *nd = &a->nodes[i];
		struct module *m = nd->frame.mod;
		const struct resolved *res = resolve_frame(r, m, nd->frame.addr, nd->frame.kind);
		int32_t mi = -1;
		if (m) {
			if (m->kind == MODULE_KERNEL || m->id >= nmods)
				mi = module_of(p, r, t, m);
			else if (im->midx[m->id] == INT32_MIN)
				mi = im->midx[m->id] = module_of(p, r, t, m);
			else
				mi = im->midx[m->id];
		}
		uint32_t node = im->nmap[nd->parent];
		for (uint32_t k = res->nframes; k-- > 0;) {
			struct profile_frame f = res->frames[k];
			f.module = mi;
			node = profile_node_child(p, node, profile_frame_intern(p, &f));
		}
		im->nmap[i] = node;
	}
	im->nmapped = a->nnodes;
}

struct snapshot_image *snapshot_image_new(void)
{
	struct snapshot_image *im = xcalloc(1, sizeof(*im));
	im->p = profile_new();
	profile_pool_strings(im->p); /* each snapshot is a copy: its names are shared */
	im->owned = true;
	im->lineage = profile_lineage_new();
	return im;
}

static void image_release(struct snapshot_image *im)
{
	if (im->owned)
		profile_free(im->p);
	free(im->nmap);
	free(im->midx);
	itab_release(&im->rtab);
	free(im->rv);
	free(im->stack);
}

void snapshot_image_free(struct snapshot_image *im)
{
	if (!im)
		return;
	image_release(im);
	free(im);
}

/* The capture's time order: each (thread, node) is the node its count went
 * to, under the thread's root when there is one. */
struct seq_nodes {
	struct snapshot_image *im;
	const uint32_t *proot;
};

static uint32_t seq_node_of(void *ctx, uint32_t thread, uint32_t node)
{
	struct seq_nodes *m = ctx;
	uint32_t n = m->im->nmap[node];
	return m->proot ? image_rooted(m->im, m->proot[thread], n) : n;
}

/* The whole machine: every stack starts at "name (pid)", a FRAME_PROCESS
 * root that --threads keeps (the thread goes below it), so a flame graph
 * shows which process first and two runs of one program stay apart. */
static uint32_t *snapshot_machine_roots(struct profile *p, const struct aggregate *a, struct target *t)
{
	uint32_t *proot = xmalloc((a->nthreads + 1) * sizeof(*proot));
	for (size_t i = 0; i < a->nthreads; i++) {
		/* pid -1: the kernel could not name the task, which was past its
		 * exit (its pid released) when sampled: busy time of no process. */
		char *label = a->threads[i].pid < 0 ? xstrdup("[exiting tasks]")
						    : xasprintf("%s (%d)", snapshot_process_name(t, a->threads[i].pid),
								(int)a->threads[i].pid);
		proot[i] = profile_frame_named(p, label, FRAME_PROCESS);
		free(label);
	}
	return proot;
}

/* Each thread's root frame in the image's profile (NULL: stacks are not
 * rooted). Several processes (children followed, several -p): each stack is
 * rooted at its process's command name, so a build shows cc1 beside make at
 * a glance. That root is a FRAME_THREAD pseudo frame: writers and reports
 * treat it as the thread root, and --threads puts the thread's own root
 * ("name (tid)") in its place. */
static uint32_t *image_roots(struct profile *p, const struct aggregate *a, struct target *t)
{
	if (t->whole_machine)
		return snapshot_machine_roots(p, a, t);
	if (t->nprocs <= 1)
		return NULL;
	uint32_t *proot = xmalloc((a->nthreads + 1) * sizeof(*proot));
	for (size_t i = 0; i < a->nthreads; i++)
		proot[i] = profile_frame_named(p, snapshot_process_name(t, a->threads[i].pid), FRAME_THREAD);
	return proot;
}

static uint32_t *image_threads(struct profile *p, const struct aggregate *a, struct target *t)
{
	uint32_t *tmap = xmalloc((a->nthreads + 1) * sizeof(*tmap));
	for (size_t i = 0; i < a->nthreads; i++) {
		const struct agg_thread *th = &a->threads[i];
		struct target_proc *tp = target_proc(t, th->pid, false);
		struct target_thread *tt = tp ? target_thread(tp, th->tid, false) : NULL;
		tmap[i] = profile_thread_intern(p, th->pid, th->tid, tt ? tt->name : "");
	}
	return tmap;
}

/* The node of each count of a (UINT32_MAX: none), made in the image. */
static uint32_t *image_count_nodes(struct snapshot_image *im, const struct aggregate *a, const uint32_t *proot)
{
	uint32_t *cn = xmalloc((a->ncounts + 1) * sizeof(*cn));
	for (size_t i = 0; i < a->ncounts; i++) {
		const struct agg_count *c = &a->counts[i];
		cn[i] = UINT32_MAX;
		if (!c->count)
			continue;
		cn[i] = im->nmap[c->node];
		if (proot && c->thread < a->nthreads)
			cn[i] = image_rooted(im, proot[c->thread], cn[i]);
	}
	return cn;
}

static void add_counts(struct profile *p, const struct aggregate *a, const uint32_t *tmap, const uint32_t *cn)
{
	for (size_t i = 0; i < a->ncounts; i++)
		if (cn[i] != UINT32_MAX)
			profile_add(p, tmap[a->counts[i].thread], cn[i], a->counts[i].count);
}

void snapshot_fill(struct profile *p, const struct aggregate *a, struct resolver *r, struct target *t)
{
	snapshot_fill_seq(p, a, NULL, r, t);
}

void snapshot_fill_seq(struct profile *p, const struct aggregate *a, const struct seq *sq, struct resolver *r,
		       struct target *t)
{
	/* One snapshot: an image of the caller's profile, dropped after. */
	struct snapshot_image im = { .p = p };
	uint32_t *tmap = image_threads(p, a, t);
	image_extend(&im, a, r, t);
	uint32_t *proot = image_roots(p, a, t);
	uint32_t *cn = image_count_nodes(&im, a, proot);
	add_counts(p, a, tmap, cn);
	if (sq) {
		seq_free(p->seq);
		struct seq_nodes m = { .im = &im, .proot = proot };
		p->seq = seq_map(sq, tmap, seq_node_of, &m);
	}
	free(cn);
	free(proot);
	free(tmap);
	image_release(&im);
}

void snapshot_image_rewind(struct snapshot_image *im)
{
	/* Nodes are appended, never changed: those of the stacks named again
	 * are new, the fallback ones stay behind with no count. */
	if (im->last_from && im->last_from < im->nmapped)
		im->nmapped = im->last_from;
	/* A module first met in that run was interned without its symbols'
	 * capabilities: look it up again. */
	for (size_t i = 0; i < im->cap_midx; i++)
		im->midx[i] = INT32_MIN;
}

struct profile *snapshot_image_take(struct snapshot_image *im, const struct aggregate *a, struct resolver *r,
				    struct target *t)
{
	im->last_from = im->nmapped ? im->nmapped : 1;
	uint32_t *tmap = image_threads(im->p, a, t);
	image_extend(im, a, r, t);
	uint32_t *proot = image_roots(im->p, a, t);
	uint32_t *cn = image_count_nodes(im, a, proot);
	struct profile *q = profile_copy(im->p);
	profile_stamp(q, im->lineage); /* the image only ever adds */
	add_counts(q, a, tmap, cn);
	free(cn);
	free(proot);
	free(tmap);
	return q;
}
