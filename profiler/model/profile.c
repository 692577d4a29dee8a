#include "profiler/model/profile.h"
#include "profiler/model/seq.h"

#include <stdlib.h>
#include <string.h>

#include "profiler/base/arena.h"
#include "profiler/base/util.h"

/* Interning tables: the shared itab over indices into the profile's arrays,
 * one per array, each built on its first use (a copy that only gets counts
 * added never hashes its frames and nodes). */
enum index_table { IX_FRAMES, IX_MODULES, IX_THREADS, IX_NODES, IX_COUNTS, IX_N };
struct profile_index {
	struct itab t[IX_N];
	bool built[IX_N];
};

#define EMPTY ITAB_NONE

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Strings of frames and modules kept together, for profiles that share
 * them (profile_pool_strings): freed with the last profile holding them. */
struct profile_pool {
	unsigned refs;
	struct arena a;
};

static void pool_unref(struct profile_pool *pl)
{
	if (!pl || --pl->refs)
		return;
	arena_release(&pl->a);
	free(pl);
}

/* A frame's or module's string, in p's pool when it has one. */
static char *str_dup(struct profile *p, const char *s)
{
	if (!s)
		return NULL;
	return p->pool ? arena_strndup(&p->pool->a, s, strlen(s)) : xstrdup(s);
}

/* Frees the frames' and modules' strings (nothing when the pool has them). */
static void free_strings(struct profile *p)
{
	if (p->pool) {
		pool_unref(p->pool);
		p->pool = NULL;
		return;
	}
	for (size_t i = 0; i < p->nframes; i++) {
		free(p->frames[i].name);
		free(p->frames[i].system_name);
		free(p->frames[i].file);
	}
	for (size_t i = 0; i < p->nmodules; i++) {
		free(p->modules[i].path);
		free(p->modules[i].build_id);
	}
}

void profile_pool_strings(struct profile *p)
{
	if (p->pool || p->nframes || p->nmodules)
		return;
	p->pool = xcalloc(1, sizeof(*p->pool));
	p->pool->refs = 1;
}

static void index_free(struct profile *p);

struct profile *profile_new(void)
{
	struct profile *p = xcalloc(1, sizeof(*p));
	xgrow((void **)&p->nodes, &p->cap_nodes, 1, sizeof(*p->nodes));
	p->nodes[0].parent = PROFILE_ROOT;
	p->nodes[0].frame = PROFILE_NONE;
	p->nnodes = 1;
	return p;
}

static void meta_release(struct profile_meta *m)
{
	free(m->command);
	free(m->backend);
	free(m->mode);
	free(m->event);
	free(m->unit);
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	free_strings(p);
	for (size_t i = 0; i < p->nthreads; i++)
		free(p->threads[i].name);
	free(p->frames);
	free(p->modules);
	free(p->threads);
	free(p->nodes);
	free(p->counts);
	seq_free(p->seq);
	meta_release(&p->meta);
	index_free(p);
	free(p);
}

void profile_set_str(char **field, const char *value)
{
	free(*field);
	*field = dup_or_null(value);
}

static uint64_t frame_hash(const struct profile_frame *f)
{
	uint64_t h = hash_str(f->name, 1);
	h = hash_str(f->system_name, h);
	h = hash_str(f->file, h);
	h = hash_mix(h, f->line);
	h = hash_mix(h, f->column);
	h = hash_mix(h, (uint64_t)(int64_t)f->module);
	h = hash_mix(h, f->address);
	h = hash_mix(h, (uint64_t)f->kind << 8 | f->inlined);
	return h;
}

static bool frame_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct profile *p = ctx;
	const struct profile_frame *a = &p->frames[idx], *b = key;
	return a->line == b->line && a->column == b->column && a->module == b->module &&
	       a->address == b->address && a->kind == b->kind && a->inlined == b->inlined &&
	       str_eq(a->name, b->name) && str_eq(a->system_name, b->system_name) &&
	       str_eq(a->file, b->file);
}

static uint64_t module_hash(const struct profile_module *m)
{
	return hash_str(m->build_id, hash_str(m->path, 7));
}

static uint64_t thread_hash(int32_t pid, int32_t tid)
{
	return hash_mix(hash_mix(3, (uint32_t)pid), (uint32_t)tid);
}

static uint64_t node_hash(uint32_t parent, uint32_t frame)
{
	return hash_mix(hash_mix(11, parent), frame);
}

static uint64_t count_hash(uint32_t thread, uint32_t node)
{
	return hash_mix(hash_mix(13, thread), node);
}

/* An interning table: a new profile has none until something is interned,
 * and profile_trim drops them; then it is built again from its array, whose
 * entries are distinct by construction. */
static struct itab *index_of(struct profile *p, enum index_table which)
{
	if (!p->index)
		p->index = xcalloc(1, sizeof(*p->index));
	struct profile_index *x = p->index;
	struct itab *t = &x->t[which];
	if (x->built[which])
		return t;
	x->built[which] = true;
	switch (which) {
	case IX_FRAMES:
		for (size_t i = 0; i < p->nframes; i++)
			itab_insert(t, frame_hash(&p->frames[i]), (uint32_t)i);
		break;
	case IX_MODULES:
		for (size_t i = 0; i < p->nmodules; i++)
			itab_insert(t, module_hash(&p->modules[i]), (uint32_t)i);
		break;
	case IX_THREADS:
		for (size_t i = 0; i < p->nthreads; i++)
			itab_insert(t, thread_hash(p->threads[i].pid, p->threads[i].tid), (uint32_t)i);
		break;
	case IX_NODES:
		for (size_t i = 1; i < p->nnodes; i++) /* the root is no one's child */
			itab_insert(t, node_hash(p->nodes[i].parent, p->nodes[i].frame), (uint32_t)i);
		break;
	case IX_COUNTS:
		for (size_t i = 0; i < p->ncounts; i++)
			itab_insert(t, count_hash(p->counts[i].thread, p->counts[i].node), (uint32_t)i);
		break;
	case IX_N:
		break;
	}
	return t;
}

static void index_free(struct profile *p)
{
	if (!p->index)
		return;
	for (int i = 0; i < IX_N; i++)
		itab_release(&p->index->t[i]);
	free(p->index);
	p->index = NULL;
}

void profile_trim(struct profile *p)
{
	index_free(p);
	xfit((void **)&p->frames, &p->cap_frames, p->nframes, sizeof(*p->frames));
	xfit((void **)&p->modules, &p->cap_modules, p->nmodules, sizeof(*p->modules));
	xfit((void **)&p->threads, &p->cap_threads, p->nthreads, sizeof(*p->threads));
	xfit((void **)&p->nodes, &p->cap_nodes, p->nnodes, sizeof(*p->nodes));
	xfit((void **)&p->counts, &p->cap_counts, p->ncounts, sizeof(*p->counts));
}

uint32_t profile_frame_intern(struct profile *p, const struct profile_frame *f)
{
	struct profile_frame key = *f;
	if (!key.name)
		key.name = "[unknown]";
	uint64_t h = frame_hash(&key);
	uint32_t i = itab_find(index_of(p, IX_FRAMES), h, frame_eq, p, &key);
	if (i != EMPTY)
		return i;
	xgrow((void **)&p->frames, &p->cap_frames, p->nframes + 1, sizeof(*p->frames));
	struct profile_frame *n = &p->frames[p->nframes];
	*n = key;
	n->name = str_dup(p, key.name);
	n->system_name = str_dup(p, key.system_name);
	n->file = str_dup(p, key.file);
	i = (uint32_t)p->nframes++;
	itab_insert(index_of(p, IX_FRAMES), h, i);
	return i;
}

uint32_t profile_frame_named(struct profile *p, const char *name, enum frame_kind kind)
{
	struct profile_frame f = { .name = (char *)name, .module = -1, .kind = (uint8_t)kind };
	return profile_frame_intern(p, &f);
}

static bool module_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct profile *p = ctx;
	const struct profile_module *a = &p->modules[idx], *b = key;
	return str_eq(a->path, b->path) && str_eq(a->build_id, b->build_id);
}

int32_t profile_module_intern(struct profile *p, const struct profile_module *m)
{
	uint64_t h = module_hash(m);
	uint32_t i = itab_find(index_of(p, IX_MODULES), h, module_eq, p, m);
	if (i != EMPTY)
		return (int32_t)i;
	xgrow((void **)&p->modules, &p->cap_modules, p->nmodules + 1, sizeof(*p->modules));
	struct profile_module *n = &p->modules[p->nmodules];
	*n = *m;
	n->path = str_dup(p, m->path ? m->path : "[unknown]");
	n->build_id = str_dup(p, m->build_id);
	i = (uint32_t)p->nmodules++;
	itab_insert(index_of(p, IX_MODULES), h, i);
	return (int32_t)i;
}

struct thread_key {
	int32_t pid, tid;
};

static bool thread_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct profile *p = ctx;
	const struct thread_key *k = key;
	return p->threads[idx].pid == k->pid && p->threads[idx].tid == k->tid;
}

uint32_t profile_thread_intern(struct profile *p, int32_t pid, int32_t tid, const char *name)
{
	struct thread_key k = { pid, tid };
	uint64_t h = thread_hash(pid, tid);
	uint32_t i = itab_find(index_of(p, IX_THREADS), h, thread_eq, p, &k);
	if (i != EMPTY) {
		if (name && strcmp(name, p->threads[i].name) != 0)
			profile_set_str(&p->threads[i].name, name);
		return i;
	}
	xgrow((void **)&p->threads, &p->cap_threads, p->nthreads + 1, sizeof(*p->threads));
	struct profile_thread *t = &p->threads[p->nthreads];
	t->pid = pid;
	t->tid = tid;
	t->name = xstrdup(name ? name : "");
	t->samples = 0;
	i = (uint32_t)p->nthreads++;
	itab_insert(index_of(p, IX_THREADS), h, i);
	return i;
}

static bool node_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct profile *p = ctx;
	const struct profile_node *k = key;
	return p->nodes[idx].parent == k->parent && p->nodes[idx].frame == k->frame;
}

uint32_t profile_node_child(struct profile *p, uint32_t parent, uint32_t frame)
{
	struct profile_node k = { parent, frame };
	uint64_t h = node_hash(parent, frame);
	uint32_t i = itab_find(index_of(p, IX_NODES), h, node_eq, p, &k);
	if (i != EMPTY)
		return i;
	xgrow((void **)&p->nodes, &p->cap_nodes, p->nnodes + 1, sizeof(*p->nodes));
	p->nodes[p->nnodes] = k;
	i = (uint32_t)p->nnodes++;
	itab_insert(index_of(p, IX_NODES), h, i);
	return i;
}

uint32_t profile_node_path(struct profile *p, const uint32_t *frames, size_t n)
{
	uint32_t node = PROFILE_ROOT;
	for (size_t i = 0; i < n; i++)
		node = profile_node_child(p, node, frames[i]);
	return node;
}

struct count_key {
	uint32_t thread, node;
};

static bool count_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct profile *p = ctx;
	const struct count_key *k = key;
	return p->counts[idx].thread == k->thread && p->counts[idx].node == k->node;
}

void profile_add(struct profile *p, uint32_t thread, uint32_t node, uint64_t count)
{
	struct count_key k = { thread, node };
	uint64_t h = count_hash(thread, node);
	uint32_t i = itab_find(index_of(p, IX_COUNTS), h, count_eq, p, &k);
	if (i == EMPTY) {
		xgrow((void **)&p->counts, &p->cap_counts, p->ncounts + 1, sizeof(*p->counts));
		p->counts[p->ncounts] = (struct profile_count){ thread, node, 0 };
		i = (uint32_t)p->ncounts++;
		itab_insert(index_of(p, IX_COUNTS), h, i);
	}
	/* Counts from files can be anything: the total saturates instead of
	 * wrapping, and since every count and every thread's sum is part of the
	 * total, none of them can wrap either and no share exceeds 100%. */
	if (count > UINT64_MAX - p->total)
		count = UINT64_MAX - p->total;
	p->counts[i].count += count;
	if (thread < p->nthreads)
		p->threads[thread].samples += count;
	p->total += count;
}

size_t profile_node_depth(const struct profile *p, uint32_t node)
{
	size_t d = 0;
	while (node != PROFILE_ROOT && node < p->nnodes) {
		d++;
		node = p->nodes[node].parent;
	}
	return d;
}

size_t profile_node_frames(const struct profile *p, uint32_t node, uint32_t *out, size_t max)
{
	size_t d = profile_node_depth(p, node);
	size_t i = d;
	while (node != PROFILE_ROOT && node < p->nnodes) {
		i--;
		if (i < max)
			out[i] = p->nodes[node].frame;
		node = p->nodes[node].parent;
	}
	return d;
}

static void meta_copy(struct profile_meta *dst, const struct profile_meta *src)
{
	meta_release(dst);
	*dst = *src;
	dst->command = dup_or_null(src->command);
	dst->backend = dup_or_null(src->backend);
	dst->mode = dup_or_null(src->mode);
	dst->event = dup_or_null(src->event);
	dst->unit = dup_or_null(src->unit);
}

/* Copies modules and threads (same indices) and metadata from src into an empty dst. */
static void copy_frame_of_reference(struct profile *dst, const struct profile *src)
{
	for (size_t i = 0; i < src->nmodules; i++)
		profile_module_intern(dst, &src->modules[i]);
	for (size_t i = 0; i < src->nthreads; i++)
		profile_thread_intern(dst, src->threads[i].pid, src->threads[i].tid, src->threads[i].name);
	meta_copy(&dst->meta, &src->meta);
}

/* Maps every node of src to a node of dst, frames through fmap (PROFILE_NONE drops
 * the frame). Parents always come before children in nodes[], so one pass works. */
static uint32_t *map_nodes(struct profile *dst, const struct profile *src, const uint32_t *fmap)
{
	uint32_t *nmap = xmalloc(src->nnodes * sizeof(*nmap));
	nmap[0] = PROFILE_ROOT;
	for (size_t i = 1; i < src->nnodes; i++) {
		uint32_t parent = nmap[src->nodes[i].parent];
		uint32_t f = fmap[src->nodes[i].frame];
		nmap[i] = f == PROFILE_NONE ? parent : profile_node_child(dst, parent, f);
	}
	return nmap;
}

struct profile *profile_fold(const struct profile *p, unsigned flags)
{
	return profile_fold_map(p, flags, NULL);
}

/* The frame of q each frame of p folds into (PROFILE_NONE: dropped); q gets
 * the ones it lacks. */
static void fold_frames_from(struct profile *q, const struct profile *p, unsigned flags, size_t from, uint32_t *fmap)
{
	for (size_t i = from; i < p->nframes; i++) {
		const struct profile_frame *f = &p->frames[i];
		if ((flags & PROFILE_FOLD_NO_INLINE) && f->inlined) {
			fmap[i] = PROFILE_NONE;
			continue;
		}
		/* A process root gives way to the thread's own ("name (tid)"). */
		if ((flags & PROFILE_FOLD_THREADS) && f->kind == FRAME_THREAD) {
			fmap[i] = PROFILE_NONE;
			continue;
		}
		struct profile_frame g = {
			.name = f->name,
			.module = f->module,
			.kind = f->kind,
			.inlined = f->inlined,
		};
		if (flags & PROFILE_FOLD_LINES) {
			g.file = f->file;
			g.line = f->line;
		} else if (f->kind == FRAME_PYTHON) {
			/* A Python function is its name in its file: every module's
			 * body is "<module>", and many files have a "main". */
			g.file = f->file;
		}
		fmap[i] = profile_frame_intern(q, &g);
	}
}

static uint32_t *fold_frames(struct profile *q, const struct profile *p, unsigned flags)
{
	uint32_t *fmap = xmalloc((p->nframes + 1) * sizeof(*fmap));
	fold_frames_from(q, p, flags, 0, fmap);
	return fmap;
}

struct profile *profile_fold_map(const struct profile *p, unsigned flags, uint32_t *fmap_out)
{
	struct profile *q = profile_new();
	copy_frame_of_reference(q, p);
	uint32_t *fmap = fold_frames(q, p, flags);
	uint32_t *nmap = map_nodes(q, p, fmap);
	uint32_t *thread_root = NULL;
	if (flags & PROFILE_FOLD_THREADS) {
		thread_root = xmalloc((p->nthreads + 1) * sizeof(*thread_root));
		for (size_t t = 0; t < p->nthreads; t++) {
			char *label = xasprintf("%s (%d)", p->threads[t].name, p->threads[t].tid);
			thread_root[t] = profile_frame_named(q, label, FRAME_THREAD);
			free(label);
		}
	}
	uint32_t *stack = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < p->ncounts; i++) {
		const struct profile_count *c = &p->counts[i];
		uint32_t node = nmap[c->node];
		if (thread_root && c->thread < p->nthreads) {
			size_t d = profile_node_depth(q, node);
			xgrow((void **)&stack, &cap, d + 1, sizeof(*stack));
			profile_node_frames(q, node, stack + 1, d);
			/* Under a process root (the whole machine) the thread goes below it. */
			size_t at = d && q->frames[stack[1]].kind == FRAME_PROCESS ? 1 : 0;
			if (at)
				stack[0] = stack[1];
			stack[at] = thread_root[c->thread];
			node = profile_node_path(q, stack, d + 1);
		}
		profile_add(q, c->thread, node, c->count);
	}
	free(stack);
	free(thread_root);
	free(nmap);
	if (fmap_out)
		memcpy(fmap_out, fmap, p->nframes * sizeof(*fmap));
	free(fmap);
	return q;
}

/* p's frames into q, which has none (their strings shared when q holds p's pool). */
static void copy_frames(struct profile *q, const struct profile *p)
{
	q->nframes = q->cap_frames = p->nframes;
	q->frames = xmalloc((p->nframes + 1) * sizeof(*q->frames));
	if (p->nframes)
		memcpy(q->frames, p->frames, p->nframes * sizeof(*q->frames));
	if (q->pool && q->pool == p->pool)
		return;
	for (size_t i = 0; i < p->nframes; i++) {
		q->frames[i].name = str_dup(q, p->frames[i].name ? p->frames[i].name : "[unknown]");
		q->frames[i].system_name = str_dup(q, p->frames[i].system_name);
		q->frames[i].file = str_dup(q, p->frames[i].file);
	}
}

static void copy_nodes(struct profile *q, const struct profile *p)
{
	free(q->nodes);
	q->nnodes = q->cap_nodes = p->nnodes;
	q->nodes = xmalloc(p->nnodes * sizeof(*q->nodes));
	memcpy(q->nodes, p->nodes, p->nnodes * sizeof(*q->nodes));
}

uint64_t profile_lineage_new(void)
{
	static uint64_t last;
	return ++last;
}

void profile_stamp(struct profile *p, uint64_t id)
{
	p->lineage.id = id;
	p->lineage.nframes = p->nframes;
	p->lineage.nnodes = p->nnodes;
	p->lineage.nthreads = p->nthreads;
}

struct profile_fold_cache {
	uint64_t id; /* the lineage folded, 0: none yet */
	unsigned flags;
	struct profile *q; /* the fold's frames and nodes so far (modules, threads, counts: none) */
	uint32_t *fmap, *nmap; /* per frame and node of the lineage folded so far */
	size_t nf, nn, cap_f, cap_n;
};

struct profile_fold_cache *profile_fold_cache_new(void)
{
	return xcalloc(1, sizeof(struct profile_fold_cache));
}

void profile_fold_cache_free(struct profile_fold_cache *c)
{
	if (!c)
		return;
	profile_free(c->q);
	free(c->fmap);
	free(c->nmap);
	free(c);
}

struct profile *profile_fold_cached(struct profile_fold_cache *c, const struct profile *p, unsigned flags,
				    uint32_t *fmap_out)
{
	/* Something added past the stamp (a window's subtraction can intern)
	 * may differ from what the lineage added there: fold it all. */
	if (!c || !p->lineage.id || (flags & PROFILE_FOLD_THREADS) || p->nframes != p->lineage.nframes ||
	    p->nnodes != p->lineage.nnodes)
		return profile_fold_map(p, flags, fmap_out);
	if (c->id != p->lineage.id || c->flags != flags || p->nframes < c->nf || p->nnodes < c->nn || !c->q) {
		profile_free(c->q);
		c->q = profile_new();
		c->id = p->lineage.id;
		c->flags = flags;
		c->nf = 0;
		c->nn = 1;
		xgrow((void **)&c->nmap, &c->cap_n, 1, sizeof(*c->nmap));
		c->nmap[0] = PROFILE_ROOT;
	}
	/* Only what the lineage added since the last fold; module indices
	 * are p's (a fold keeps them), so they need no map. */
	xgrow((void **)&c->fmap, &c->cap_f, p->nframes + 1, sizeof(*c->fmap));
	fold_frames_from(c->q, p, flags, c->nf, c->fmap);
	c->nf = p->nframes;
	xgrow((void **)&c->nmap, &c->cap_n, p->nnodes, sizeof(*c->nmap));
	for (size_t i = c->nn; i < p->nnodes; i++) {
		uint32_t parent = c->nmap[p->nodes[i].parent];
		uint32_t f = c->fmap[p->nodes[i].frame];
		c->nmap[i] = f == PROFILE_NONE ? parent : profile_node_child(c->q, parent, f);
	}
	c->nn = p->nnodes;
	/* The same profile profile_fold_map makes: p's modules and threads,
	 * the fold's frames and nodes in the order they came, p's counts. */
	struct profile *q = profile_new();
	copy_frame_of_reference(q, p);
	copy_frames(q, c->q);
	copy_nodes(q, c->q);
	for (size_t i = 0; i < p->ncounts; i++)
		profile_add(q, p->counts[i].thread, c->nmap[p->counts[i].node], p->counts[i].count);
	if (fmap_out)
		memcpy(fmap_out, c->fmap, p->nframes * sizeof(*c->fmap));
	return q;
}

uint32_t *profile_fold_nodes(struct profile *q, const struct profile *p, unsigned flags)
{
	uint32_t *fmap = fold_frames(q, p, flags);
	uint32_t *nmap = map_nodes(q, p, fmap);
	free(fmap);
	return nmap;
}

/* "name (1234)" -> length of "name", else 0. */
static size_t pid_suffix_at(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || s[n - 1] != ')')
		return 0;
	size_t i = n - 1;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i == n - 1 || i < 3 || s[i - 1] != '(' || s[i - 2] != ' ')
		return 0;
	return i - 2;
}

struct profile *profile_by_command(const struct profile *p)
{
	struct profile *q = profile_new();
	meta_copy(&q->meta, &p->meta);
	for (size_t i = 0; i < p->ncounts; i++) {
		const struct profile_count *c = &p->counts[i];
		uint32_t n = c->node, root = PROFILE_NONE;
		while (n != PROFILE_ROOT) {
			root = n;
			n = p->nodes[n].parent;
		}
		const struct profile_thread *t = c->thread < p->nthreads ? &p->threads[c->thread] : NULL;
		const struct profile_frame *f = root != PROFILE_NONE ? &p->frames[p->nodes[root].frame] : NULL;
		char *name = NULL;
		size_t cut = f && f->name ? pid_suffix_at(f->name) : 0;
		if (f && f->name && (f->kind == FRAME_PROCESS || f->kind == FRAME_THREAD || cut))
			name = cut ? xstrndup(f->name, cut) : xstrdup(f->name);
		else
			name = xstrdup(t && t->name && *t->name ? t->name : "[unknown]");
		uint32_t fr = profile_frame_named(q, name, FRAME_USER);
		free(name);
		uint32_t qt = t ? profile_thread_intern(q, t->pid, t->tid, t->name) : profile_thread_intern(q, 0, 0, "");
		profile_add(q, qt, profile_node_child(q, PROFILE_ROOT, fr), c->count);
	}
	return q;
}

/* Entry for entry: the profile's arrays are distinct by construction, so
 * interning them again (as a merge into an empty profile would) gives the
 * same indices at the cost of hashing every frame and node; top copies a
 * whole machine's profile at each refresh. The copy has no tables yet. */
struct profile *profile_copy(const struct profile *p)
{
	struct profile *q = xcalloc(1, sizeof(*q));
	if (p->pool) { /* the strings are shared, never changed: nothing to copy */
		q->pool = p->pool;
		q->pool->refs++;
	}
	copy_frames(q, p);
	q->nmodules = q->cap_modules = p->nmodules;
	q->modules = xmalloc((p->nmodules + 1) * sizeof(*q->modules));
	for (size_t i = 0; i < p->nmodules; i++) {
		q->modules[i] = p->modules[i];
		if (q->pool)
			continue;
		q->modules[i].path = xstrdup(p->modules[i].path ? p->modules[i].path : "[unknown]");
		q->modules[i].build_id = dup_or_null(p->modules[i].build_id);
	}
	q->nthreads = q->cap_threads = p->nthreads;
	q->threads = xmalloc((p->nthreads + 1) * sizeof(*q->threads));
	for (size_t i = 0; i < p->nthreads; i++) {
		q->threads[i] = p->threads[i];
		q->threads[i].name = xstrdup(p->threads[i].name ? p->threads[i].name : "");
	}
	copy_nodes(q, p);
	q->ncounts = q->cap_counts = p->ncounts;
	q->counts = xmalloc((p->ncounts + 1) * sizeof(*q->counts));
	if (p->ncounts)
		memcpy(q->counts, p->counts, p->ncounts * sizeof(*q->counts));
	q->total = p->total;
	q->lineage = p->lineage;
	q->thin = p->thin; /* a copy of a thin one is as thin */
	meta_copy(&q->meta, &p->meta);
	return q;
}

/* src's counts added into dst (sign < 0: subtracted, clamped at zero, the
 * totals kept in step), threads and nodes through tmap and nmap (NULL: the
 * same index in dst). */
static void merge_counts(struct profile *dst, const struct profile *src, const uint32_t *tmap, const uint32_t *nmap,
			 int sign)
{
	for (size_t i = 0; i < src->ncounts; i++) {
		const struct profile_count *c = &src->counts[i];
		uint32_t t = tmap && c->thread < src->nthreads ? tmap[c->thread] : c->thread;
		uint32_t node = nmap ? nmap[c->node] : c->node;
		if (sign >= 0) {
			profile_add(dst, t, node, c->count);
			continue;
		}
		profile_add(dst, t, node, 0);
		struct count_key k = { t, node };
		uint64_t h = count_hash(t, node);
		uint32_t j = itab_find(index_of(dst, IX_COUNTS), h, count_eq, dst, &k);
		uint64_t sub = c->count < dst->counts[j].count ? c->count : dst->counts[j].count;
		dst->counts[j].count -= sub;
		dst->total -= sub;
		if (t < dst->nthreads)
			dst->threads[t].samples -= sub < dst->threads[t].samples ? sub : dst->threads[t].samples;
	}
}

void profile_merge(struct profile *dst, const struct profile *src, int sign)
{
	/* A thin profile has no nodes to map (profile_subtract_lineage is its
	 * one reader), and a thin one takes nothing. */
	if (src->thin || dst->thin)
		return;
	int32_t *mmap = xmalloc((src->nmodules + 1) * sizeof(*mmap));
	for (size_t i = 0; i < src->nmodules; i++)
		mmap[i] = profile_module_intern(dst, &src->modules[i]);
	uint32_t *fmap = xmalloc((src->nframes + 1) * sizeof(*fmap));
	for (size_t i = 0; i < src->nframes; i++) {
		struct profile_frame f = src->frames[i];
		if (f.module >= 0 && (size_t)f.module < src->nmodules)
			f.module = mmap[f.module];
		fmap[i] = profile_frame_intern(dst, &f);
	}
	uint32_t *tmap = xmalloc((src->nthreads + 1) * sizeof(*tmap));
	for (size_t i = 0; i < src->nthreads; i++)
		tmap[i] = profile_thread_intern(dst, src->threads[i].pid, src->threads[i].tid,
						src->threads[i].name);
	uint32_t *nmap = map_nodes(dst, src, fmap);
	merge_counts(dst, src, tmap, nmap, sign);
	free(nmap);
	free(tmap);
	free(fmap);
	free(mmap);
}

void profile_thin(struct profile *p)
{
	if (!p->lineage.id || p->thin)
		return;
	free_strings(p);
	free(p->frames);
	free(p->modules);
	free(p->nodes);
	p->frames = NULL;
	p->modules = NULL;
	p->nodes = NULL;
	p->nframes = p->nmodules = p->nnodes = 0;
	p->cap_frames = p->cap_modules = p->cap_nodes = 0;
	index_free(p);
	seq_free(p->seq);
	p->seq = NULL;
	p->thin = true;
}

bool profile_subtract_lineage(struct profile *dst, const struct profile *src)
{
	if (dst->thin || !src->lineage.id || src->lineage.id != dst->lineage.id || src->lineage.nnodes > dst->lineage.nnodes ||
	    src->lineage.nthreads > dst->lineage.nthreads)
		return false;
	for (size_t i = 0; i < src->ncounts; i++)
		if (src->counts[i].thread >= src->lineage.nthreads || src->counts[i].node >= src->lineage.nnodes)
			return false; /* added past its stamp: indices of its own */
	merge_counts(dst, src, NULL, NULL, -1);
	return true;
}
