#include "profiler/model/fold.h"

#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"

/*
 * Folding drops file and line unless FOLD_LINES; tooltips and the tables
 * still want to say where a function lives, so each folded frame gets the
 * file of its source frames and the smallest line seen (closest to the
 * function's start). fmap says which folded frame each source frame became.
 */
static void attach_sources(struct fold *s, const struct profile *src, const uint32_t *fmap)
{
	struct profile *q = s->p;
	size_t n = q->nframes;
	s->file = xcalloc(n + 1, sizeof(*s->file));
	s->line = xcalloc(n + 1, sizeof(*s->line));
	s->nfile = n;
	for (size_t i = 0; i < src->nframes; i++) {
		const struct profile_frame *f = &src->frames[i];
		uint32_t k = fmap[i];
		if (k >= n)
			continue; /* dropped by the fold */
		if (!s->file[k] && f->file)
			s->file[k] = q->frames[k].file ? q->frames[k].file : f->file;
		if (f->line && (!s->line[k] || f->line < s->line[k]))
			s->line[k] = f->line;
	}
	for (size_t k = 0; k < n; k++) {
		if (q->frames[k].file)
			s->file[k] = q->frames[k].file;
		if (q->frames[k].line)
			s->line[k] = q->frames[k].line;
	}
}

/*
 * The live view names a function by where its samples are: the source line
 * of its most sampled frame (counted as self, in the threads counted), the
 * smallest line among equals.
 */
static void find_hot_lines(struct fold *s, const struct profile *src, const uint32_t *fmap)
{
	size_t n = s->p->nframes;
	s->src = src;
	uint64_t *own = xcalloc(src->nframes + 1, sizeof(*own));
	for (size_t i = 0; i < src->ncounts; i++) {
		const struct profile_count *c = &src->counts[i];
		if (c->node == PROFILE_ROOT || c->node >= src->nnodes || !fold_counts_thread(s, c->thread))
			continue;
		uint32_t f = src->nodes[c->node].frame;
		if (f < src->nframes)
			own[f] += c->count;
	}
	uint32_t *best = xmalloc((n + 1) * sizeof(*best));
	uint64_t *best_own = xcalloc(n + 1, sizeof(*best_own));
	memset(best, 0xff, (n + 1) * sizeof(*best));
	for (size_t i = 0; i < src->nframes; i++) {
		uint32_t k = fmap ? fmap[i] : (uint32_t)i;
		if (k >= n)
			continue;
		const struct profile_frame *fr = &src->frames[i];
		bool better = best[k] == PROFILE_NONE || own[i] > best_own[k];
		if (!better && own[i] == best_own[k] && fr->line) {
			uint32_t cur = src->frames[best[k]].line;
			better = !cur || fr->line < cur;
		}
		if (better) {
			best[k] = (uint32_t)i;
			best_own[k] = own[i];
		}
	}
	s->hot = best;
	free(best_own);
	free(own);
}

/* Profiles read from folded text or perf script are function-level already:
 * folding them would copy a million nodes to get the same tree back. */
static bool fold_is_identity(const struct profile *src, unsigned flags)
{
	if (flags & PROFILE_FOLD_THREADS)
		return false;
	for (size_t i = 0; i < src->nframes; i++) {
		const struct profile_frame *f = &src->frames[i];
		if (f->address || f->system_name || f->column)
			return false;
		if ((flags & PROFILE_FOLD_NO_INLINE) && f->inlined)
			return false;
		if (!(flags & PROFILE_FOLD_LINES) && (f->file || f->line))
			return false;
	}
	return true;
}

void fold_init(struct fold *s, const struct profile *src, const struct fold_opts *o)
{
	static const struct fold_opts none = { .tid = FOLD_ALL_THREADS };
	if (!o)
		o = &none;
	memset(s, 0, sizeof(*s));
	s->lines = (o->flags & PROFILE_FOLD_LINES) != 0;
	s->tid = o->tid;
	s->pid = o->pid;
	s->pids = o->pids;
	s->npids = o->npids;
	if (!o->private && fold_is_identity(src, o->flags)) {
		s->p = (struct profile *)src; /* only read: see fold.h */
		s->borrowed = true;
		s->nfile = src->nframes;
		s->file = xcalloc(s->nfile + 1, sizeof(*s->file));
		s->line = xcalloc(s->nfile + 1, sizeof(*s->line));
		for (size_t k = 0; k < s->nfile; k++) {
			s->file[k] = src->frames[k].file;
			s->line[k] = src->frames[k].line;
		}
		if (o->hot_lines)
			find_hot_lines(s, src, NULL);
	} else {
		uint32_t *fmap = xmalloc((src->nframes + 1) * sizeof(*fmap));
		s->p = profile_fold_cached(o->cache, src, o->flags, fmap);
		attach_sources(s, src, fmap);
		if (o->hot_lines)
			find_hot_lines(s, src, fmap);
		free(fmap);
	}
	/* attach_sources borrowed from src, which may go away before the fold. */
	for (size_t k = 0; k < s->nfile; k++)
		if (s->file[k])
			s->file[k] = xstrdup(s->file[k]);
	fold_recount(s);
}

bool fold_counts_thread(const struct fold *s, uint32_t t)
{
	if (s->tid == FOLD_ALL_THREADS)
		return true;
	if (s->tid == FOLD_PROCESS)
		return t < s->p->nthreads && s->p->threads[t].pid == s->pid;
	if (s->tid == FOLD_PIDS) {
		for (size_t i = 0; t < s->p->nthreads && i < s->npids; i++)
			if (s->pids[i] == s->p->threads[t].pid)
				return true;
		return false;
	}
	return t < s->p->nthreads && s->p->threads[t].tid == s->tid && s->p->threads[t].pid == s->pid;
}

void fold_recount(struct fold *s)
{
	struct profile *p = s->p;
	free(s->self);
	free(s->total);
	free(s->fself);
	free(s->ftotal);
	s->fself = s->ftotal = NULL;
	s->self = xcalloc(p->nnodes + 1, sizeof(*s->self));
	s->total = xcalloc(p->nnodes + 1, sizeof(*s->total));
	for (size_t i = 0; i < p->ncounts; i++)
		if (p->counts[i].node < p->nnodes && fold_counts_thread(s, p->counts[i].thread))
			s->self[p->counts[i].node] += p->counts[i].count;
	/* Children are always created after their parent, so one backward pass sums. */
	for (size_t n = p->nnodes; n-- > 0;) {
		s->total[n] += s->self[n];
		if (n != PROFILE_ROOT)
			s->total[p->nodes[n].parent] += s->total[n];
	}
	s->sum = s->total[PROFILE_ROOT];
}

void fold_functions(struct fold *s)
{
	if (s->fself)
		return;
	const struct profile *p = s->p;
	uint64_t *self = xcalloc(p->nframes + 1, sizeof(*self));
	uint64_t *total = xcalloc(p->nframes + 1, sizeof(*total));
	/* stamp[f] = the last leaf that counted f, so recursion counts once. */
	uint32_t *stamp = xmalloc((p->nframes + 1) * sizeof(*stamp));
	memset(stamp, 0xff, (p->nframes + 1) * sizeof(*stamp));
	for (size_t n = 1; n < p->nnodes; n++) {
		uint64_t c = s->self[n];
		if (!c)
			continue;
		self[p->nodes[n].frame] += c;
		for (uint32_t m = (uint32_t)n; m != PROFILE_ROOT; m = p->nodes[m].parent) {
			uint32_t f = p->nodes[m].frame;
			if (stamp[f] == n)
				continue;
			stamp[f] = (uint32_t)n;
			total[f] += c;
		}
	}
	free(stamp);
	s->fself = self;
	s->ftotal = total;
}

void fold_release(struct fold *s)
{
	if (s->file)
		for (size_t k = 0; k < s->nfile; k++)
			free(s->file[k]);
	free(s->file);
	free(s->line);
	free(s->hot);
	free(s->self);
	free(s->total);
	free(s->fself);
	free(s->ftotal);
	if (!s->borrowed)
		profile_free(s->p);
	memset(s, 0, sizeof(*s));
}

const char *fold_file(const struct fold *s, uint32_t frame)
{
	const struct profile_frame *f = &s->p->frames[frame];
	return f->file ? f->file : frame < s->nfile ? s->file[frame] : NULL;
}

uint32_t fold_line(const struct fold *s, uint32_t frame)
{
	const struct profile_frame *f = &s->p->frames[frame];
	return f->line ? f->line : frame < s->nfile ? s->line[frame] : 0;
}

void profile_children(const struct profile *p, uint32_t **child, uint32_t **next)
{
	uint32_t *c = xmalloc((p->nnodes + 1) * sizeof(*c));
	uint32_t *nx = xmalloc((p->nnodes + 1) * sizeof(*nx));
	memset(c, 0xff, (p->nnodes + 1) * sizeof(*c));
	memset(nx, 0xff, (p->nnodes + 1) * sizeof(*nx));
	/* Walk backwards so each list ends up in creation order. */
	for (size_t n = p->nnodes; n-- > 1;) {
		uint32_t par = p->nodes[n].parent;
		nx[n] = c[par];
		c[par] = (uint32_t)n;
	}
	*child = c;
	*next = nx;
}

const struct profile_frame *fold_hot_frame(const struct fold *s, uint32_t frame)
{
	if (!s->hot || frame >= s->nfile || s->hot[frame] == PROFILE_NONE)
		return NULL;
	return &s->src->frames[s->hot[frame]];
}
