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

/* How long the run has been captured: the header's elapsed time, else the
 * span of the snapshots seen (the first came one refresh after the start). */
static uint64_t run_time(const struct view *v)
{
	if (v->u.st.elapsed > 0)
		return (uint64_t)(v->u.st.elapsed * 1e9);
	if (!v->d.nhistory)
		return 0;
	return v->d.latest->t - v->d.history[0]->t + (uint64_t)(v->opts.delay * 1e9);
}

/* Rebuilds the display profile: latest minus the newest of reset baseline and window start. */
void vd_recompute(struct view *v)
{
	disp_drop(v);
	v->d.disp_time = 0;
	if (!v->d.latest)
		goto done;
	struct snap *base = v->d.baseline;
	bool young = false; /* the whole run is shorter than the window */
	if (v->d.window) {
		uint64_t span = (uint64_t)v->d.window * 1000000000ull;
		struct snap *w = NULL;
		for (size_t i = 0; i < v->d.nhistory; i++)
			if (v->d.history[i]->t + span <= v->d.latest->t)
				w = v->d.history[i];
		/* The oldest snapshot is always kept: none old enough means the
		 * run is younger than the window, and the window is all of it. */
		young = !w;
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
		struct profile *d = profile_copy(v->d.latest->p);
		bool done = profile_subtract_lineage(d, base->p);
		if (!done && !base->p->thin) {
			profile_merge(d, base->p, -1);
			done = true;
		}
		if (done) {
			v->d.disp = d;
			v->d.disp_owned = true;
		} else {
			/* A thin snapshot that is not of the latest's lineage
			 * cannot be subtracted (the session keeps one lineage, so
			 * this is a safeguard): the whole run. */
			profile_free(d);
			v->d.disp = v->d.latest->p;
			v->d.disp_snap = vd_snap_ref(v->d.latest);
			base = NULL;
		}
	}
	if (base)
		v->d.disp_time = v->d.latest->t - base->t;
	else if (young)
		v->d.disp_time = run_time(v);
done:
	vm_threads_refresh(&v->m, v->d.disp);
	vm_reanalyze(&v->m, v->d.disp);
}

static void history_drop(struct view *v, size_t i)
{
	vd_snap_unref(v->d.history[i]);
	memmove(v->d.history + i, v->d.history + i + 1, (v->d.nhistory - i - 1) * sizeof(*v->d.history));
	v->d.nhistory--;
}

/* How many snapshots like p the history may hold: HISTORY_MAX, fewer when
 * they are big (a profile of a million call paths is tens of megabytes),
 * so that the history stays within HISTORY_BUDGET; at least 4 (a coarse
 * window beats none). The size is estimated from the tables' lengths, as
 * trimmed (profile_trim): a frame is 56 bytes and its strings, a node 8, a
 * count 16. */
static size_t history_cap(const struct profile *p)
{
	size_t bytes = p->nframes * 128 + p->nnodes * 8 + p->ncounts * 16 + p->nthreads * 64 + 4096;
	if (p->lineage.id) /* kept thin (view_update) */
		bytes = p->ncounts * 16 + p->nthreads * 64 + 4096;
	size_t n = HISTORY_BUDGET / bytes;
	return n < 4 ? 4 : n > HISTORY_MAX - 1 ? HISTORY_MAX - 1 : n;
}

/* Keeps snapshots whatever the window, so that a window asked later shows
 * its last N seconds at once. Log spacing: a snapshot goes when its two
 * neighbours are within a sixth of its age of each other, so a window of N
 * seconds starts at most N/6 (plus a refresh) before it should (5 s back
 * within a second, 60 s back within 10 s); the oldest always stays (it tells
 * a run younger than the window), and nothing older than the newest
 * snapshot past the longest window. */
static void history_push(struct view *v, struct snap *s)
{
	uint64_t span = (uint64_t)HISTORY_SPAN_S * 1000000000ull;
	unsigned w = v->d.window > v->opts.window ? v->d.window : v->opts.window;
	if (w > HISTORY_SPAN_S)
		span = (uint64_t)w * 1000000000ull;
	v->d.history[v->d.nhistory++] = vd_snap_ref(s);
	size_t old = 0;
	while (old + 1 < v->d.nhistory && v->d.history[old + 1]->t + span <= s->t)
		old++;
	while (old-- > 0)
		history_drop(v, 0);
	for (size_t i = 1; i + 1 < v->d.nhistory;) {
		uint64_t age = s->t - v->d.history[i]->t;
		if ((v->d.history[i + 1]->t - v->d.history[i - 1]->t) * 6 <= age)
			history_drop(v, i);
		else
			i++;
	}
	/* A very short --delay, or big snapshots: past the cap, drop where the
	 * spacing suffers least. */
	size_t cap = history_cap(s->p);
	while (v->d.nhistory > cap) {
		size_t best = 1;
		double best_r = 0;
		for (size_t i = 1; i + 1 < v->d.nhistory; i++) {
			double r = (double)(v->d.history[i + 1]->t - v->d.history[i - 1]->t) /
				   (double)(s->t - v->d.history[i]->t + 1);
			if (i == 1 || r < best_r) {
				best = i;
				best_r = r;
			}
		}
		history_drop(v, best);
	}
}

void view_update(struct view *v, struct profile *snap, uint64_t now_ns)
{
	/* Snapshots are only read from here on (windows subtract them from a
	 * copy), and the history keeps a dozen: without their interning
	 * tables they take about half the memory. */
	profile_trim(snap);
	struct snap *s = snap_new(snap, now_ns);
	vd_snap_unref(v->d.latest);
	v->d.latest = s;
	history_push(v, s);
	if (!v->d.frozen)
		vd_recompute(v);
	/* Snapshots of one lineage (top's) share their frames and nodes with
	 * the latest: the older ones keep only their counts, which is all a
	 * window or a reset subtracts. Not the one on display. */
	for (size_t i = 0; i < v->d.nhistory; i++) {
		struct snap *h = v->d.history[i];
		if (h != s && h != v->d.disp_snap && h->p->lineage.id && h->p->lineage.id == s->p->lineage.id)
			profile_thin(h->p);
	}
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
	v->m.fcache = profile_fold_cache_new();
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
	profile_fold_cache_free(v->m.fcache);
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

/* A command line as the header shows it: /proc/PID/cmdline joins arguments
 * with NULs and a process that rewrote its title pads it with NULs (or
 * blanks) to the old length; read as spaces, those showed as a run of
 * blanks. Runs of blanks become one space, none at either end. */
static char *command_words(const char *c)
{
	if (!c)
		return NULL;
	struct strbuf sb;
	strbuf_init(&sb);
	for (const char *p = c; *p; p++) {
		bool blank = *p == ' ' || *p == '\t';
		if (blank && (!sb.len || sb.buf[sb.len - 1] == ' '))
			continue;
		strbuf_addc(&sb, blank ? ' ' : *p);
	}
	if (sb.len && sb.buf[sb.len - 1] == ' ')
		sb.buf[--sb.len] = 0;
	return strbuf_detach(&sb);
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
	char *cmd = command_words(st->command);
	profile_set_str(&v->u.st_command, cmd);
	free(cmd);
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

const char *view_row_process(struct view *v, size_t i)
{
	return i < v->m.nrows ? vm_proc_of(&v->m, v->m.rows[i]) : NULL;
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
