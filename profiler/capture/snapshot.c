#include "profiler/capture/snapshot.h"

#include <stdio.h>
#include <stdlib.h>

#include "profiler/base/util.h"
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

void snapshot_fill(struct profile *p, const struct aggregate *a, struct resolver *r, struct target *t)
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
	for (size_t i = 0; i < a->ncounts; i++) {
		const struct agg_count *c = &a->counts[i];
		if (c->count)
			profile_add(p, tmap[c->thread], nmap[c->node], c->count);
	}
	free(nmap);
	free(midx);
	free(tmap);
}
