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
	return profile_module_intern(p, &pm);
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

/* The profile's node of each (thread, node) of the capture's time order:
 * nmap, and with several processes the process root in front, looked up
 * once per distinct pair. */
struct seq_nodes {
	struct profile *p;
	const uint32_t *nmap, *proot;
	struct itab tab;
	struct seq_pair {
		uint32_t thread, node, out;
	} *v;
	size_t n, cap;
	uint32_t *stack;
	size_t scap;
};

static bool pair_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct seq_nodes *m = ctx;
	const struct seq_pair *k = key;
	return m->v[i].thread == k->thread && m->v[i].node == k->node;
}

static uint32_t rooted(struct profile *p, uint32_t root, uint32_t node, uint32_t **stack, size_t *cap)
{
	size_t d = profile_node_depth(p, node);
	xgrow((void **)stack, cap, d + 2, sizeof(**stack));
	(*stack)[0] = root;
	profile_node_frames(p, node, *stack + 1, d);
	return profile_node_path(p, *stack, d + 1);
}

static uint32_t seq_node_of(void *ctx, uint32_t thread, uint32_t node)
{
	struct seq_nodes *m = ctx;
	if (!m->proot)
		return m->nmap[node];
	uint64_t h = hash_mix(hash_mix(0x5e, thread), node);
	struct seq_pair key = { thread, node, 0 };
	uint32_t i = itab_find(&m->tab, h, pair_eq, m, &key);
	if (i != ITAB_NONE)
		return m->v[i].out;
	key.out = rooted(m->p, m->proot[thread], m->nmap[node], &m->stack, &m->scap);
	xgrow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v));
	m->v[m->n] = key;
	itab_insert(&m->tab, h, (uint32_t)m->n++);
	return key.out;
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

void snapshot_fill(struct profile *p, const struct aggregate *a, struct resolver *r, struct target *t)
{
	snapshot_fill_seq(p, a, NULL, r, t);
}

void snapshot_fill_seq(struct profile *p, const struct aggregate *a, const struct seq *sq, struct resolver *r,
		       struct target *t)
{
	uint32_t *tmap = xmalloc((a->nthreads + 1) * sizeof(*tmap));
	for (size_t i = 0; i < a->nthreads; i++) {
		const struct agg_thread *th = &a->threads[i];
		struct target_proc *tp = target_proc(t, th->pid, false);
		struct target_thread *tt = tp ? target_thread(tp, th->tid, false) : NULL;
		tmap[i] = profile_thread_intern(p, th->pid, th->tid, tt ? tt->name : "");
	}
	/* Module indices per snapshot, by dense module id (the kernel and
	 * modules of another set go through the profile's own interning). */
	size_t nmods = module_set_count(t->modules);
	int32_t *midx = xmalloc((nmods + 1) * sizeof(*midx));
	for (size_t i = 0; i < nmods + 1; i++)
		midx[i] = INT32_MIN;
	uint32_t *nmap = xmalloc(a->nnodes * sizeof(*nmap));
	nmap[0] = PROFILE_ROOT;
	for (size_t i = 1; i < a->nnodes; i++) {
		const struct agg_node *nd = &a->nodes[i];
		struct module *m = nd->frame.mod;
		const struct resolved *res = resolve_frame(r, m, nd->frame.addr, nd->frame.kind);
		int32_t mi = -1;
		if (m) {
			size_t slot = m->kind == MODULE_KERNEL || m->id >= nmods ? nmods : m->id;
			if (slot == nmods)
				mi = module_of(p, r, t, m);
			else if (midx[slot] == INT32_MIN)
				mi = midx[slot] = module_of(p, r, t, m);
			else
				mi = midx[slot];
		}
		uint32_t node = nmap[nd->parent];
		for (uint32_t k = res->nframes; k-- > 0;) {
			struct profile_frame f = res->frames[k];
			f.module = mi;
			node = profile_node_child(p, node, profile_frame_intern(p, &f));
		}
		nmap[i] = node;
	}
	/* Several processes (children followed, several -p): each stack is
	 * rooted at its process's command name, so a build shows cc1 beside
	 * make at a glance. The root is a FRAME_THREAD pseudo frame: writers
	 * and reports treat it as the thread root, and --threads puts the
	 * thread's own root ("name (tid)") in its place. */
	uint32_t *proot = NULL, *stack = NULL;
	size_t cap = 0;
	if (t->whole_machine) {
		proot = snapshot_machine_roots(p, a, t);
	} else if (t->nprocs > 1) {
		proot = xmalloc((a->nthreads + 1) * sizeof(*proot));
		for (size_t i = 0; i < a->nthreads; i++)
			proot[i] = profile_frame_named(p, snapshot_process_name(t, a->threads[i].pid), FRAME_THREAD);
	}
	for (size_t i = 0; i < a->ncounts; i++) {
		const struct agg_count *c = &a->counts[i];
		if (!c->count)
			continue;
		uint32_t node = nmap[c->node];
		if (proot && c->thread < a->nthreads)
			node = rooted(p, proot[c->thread], node, &stack, &cap);
		profile_add(p, tmap[c->thread], node, c->count);
	}
	if (sq) {
		seq_free(p->seq);
		struct seq_nodes m = { .p = p, .nmap = nmap, .proot = proot };
		p->seq = seq_map(sq, tmap, seq_node_of, &m);
		itab_release(&m.tab);
		free(m.v);
		free(m.stack);
	}
	free(stack);
	free(proot);
	free(nmap);
	free(midx);
	free(tmap);
}
