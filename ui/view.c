/* The live view: lifecycle, snapshots, windows of time, reset, freeze and
 * saving what is on display (see view_impl.h for the other parts). */
#include "ui/view_impl.h"

#include <stdlib.h>
#include <string.h>

static struct snap *snap_new(struct profile *p, uint64_t t)
{
	struct snap *s = xcalloc(1, sizeof(*s));
	s->p = p;
	s->t = t;
	s->refs = 1;
	return s;
}

struct snap *vd_snap_ref(struct snap *s)
{
	if (s)
		s->refs++;
	return s;
}

void vd_snap_unref(struct snap *s)
{
	if (s && --s->refs == 0) {
		profile_free(s->p);
		free(s);
	}
}

static void disp_drop(struct view *v)
{
	if (v->d.disp_owned)
		profile_free(v->d.disp);
	vd_snap_unref(v->d.disp_snap);
	v->d.disp_snap = NULL;
	v->d.disp = NULL;
	v->d.disp_owned = false;
}

/* Rebuilds the display profile: latest minus the newest of reset baseline and window start. */
void vd_recompute(struct view *v)
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
			v->d.disp_snap = vd_snap_ref(v->d.latest);
		}
	} else {
		v->d.disp = profile_copy(v->d.latest->p);
		v->d.disp_owned = true;
		profile_merge(v->d.disp, base->p, -1);
	}
	if (base)
		v->d.disp_time = v->d.latest->t - base->t;
done:
	vm_threads_refresh(&v->m, v->d.disp);
	vm_reanalyze(&v->m, v->d.disp);
}

static void history_push(struct view *v, struct snap *s)
{
	if (!v->d.window) {
		for (size_t i = 0; i < v->d.nhistory; i++)
			vd_snap_unref(v->d.history[i]);
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
		vd_snap_unref(v->d.history[0]);
		memmove(v->d.history, v->d.history + 1, --v->d.nhistory * sizeof(*v->d.history));
	}
	v->d.history[v->d.nhistory++] = vd_snap_ref(s);
}

void view_update(struct view *v, struct profile *snap, uint64_t now_ns)
{
	struct snap *s = snap_new(snap, now_ns);
	vd_snap_unref(v->d.latest);
	v->d.latest = s;
	history_push(v, s);
	if (!v->d.frozen)
		vd_recompute(v);
}

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
	vm_trie_init(&v->m.tree, 0);
	vm_trie_init(&v->m.an.trie, 0);
	return v;
}

void view_free(struct view *v)
{
	if (!v)
		return;
	disp_drop(v);
	vd_snap_unref(v->d.latest);
	vd_snap_unref(v->d.baseline);
	for (size_t i = 0; i < v->d.nhistory; i++)
		vd_snap_unref(v->d.history[i]);
	vm_analysis_release(&v->m.an);
	vm_trie_release(&v->m.tree);
	for (size_t i = 0; i < v->m.nthreads; i++)
		free(v->m.threads[i].name);
	free(v->m.threads);
	vm_procs_release(&v->m);
	free(v->m.sel_pids);
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
	vr_screen_release(&v->u.screen);
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
	profile_set_str(&v->u.st_command, st->command);
	profile_set_str(&v->u.st_backend, st->backend);
	profile_set_str(&v->u.st_event, st->event);
	profile_set_str(&v->u.st_note, st->note);
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
		return vk_nkeys;
	default:
		return v->m.nrows;
	}
}

const char *view_row_process(const struct view *v, size_t i)
{
	return i < v->m.nrows ? v->m.an.funcs[v->m.rows[i]].proc : NULL;
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

void vd_set_window(struct view *v, unsigned secs)
{
	v->d.window = secs;
	if (!secs) {
		for (size_t i = 0; i < v->d.nhistory; i++)
			vd_snap_unref(v->d.history[i]);
		v->d.nhistory = 0;
	} else if (v->d.latest && !v->d.nhistory) {
		/* The window starts filling now: we keep no history while none is asked. */
		v->d.history[v->d.nhistory++] = vd_snap_ref(v->d.latest);
	}
	if (!v->d.frozen)
		vd_recompute(v);
}

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
		    !vm_thread_shown(&v->m, p, c->thread))
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
