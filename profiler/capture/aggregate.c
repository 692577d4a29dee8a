#include "profiler/capture/aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"

/* Open addressing over indices (+1; 0 is empty) into the arrays. */
struct itable {
	uint32_t *slot;
	size_t cap; /* power of two or 0 */
	size_t n;
};

struct agg_index {
	struct itable nodes, threads, counts;
};

static void itable_release(struct itable *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static uint64_t node_hash(uint32_t parent, const struct agg_frame *f)
{
	uint64_t h = hash_mix(0x51, parent);
	h = hash_mix(h, f->mod ? (uint64_t)f->mod->id + 1 : 0);
	h = hash_mix(h, f->addr);
	return hash_mix(h, f->kind);
}

static uint64_t thread_hash(pid_t pid, pid_t tid)
{
	return hash_mix(hash_mix(0x77, (uint32_t)pid), (uint32_t)tid);
}

static uint64_t count_hash(uint32_t thread, uint32_t node)
{
	return hash_mix(hash_mix(0x99, thread), node);
}

static uint64_t rehash_of(const struct aggregate *a, const struct itable *t, uint32_t i)
{
	if (t == &a->index->nodes)
		return node_hash(a->nodes[i].parent, &a->nodes[i].frame);
	if (t == &a->index->threads)
		return thread_hash(a->threads[i].pid, a->threads[i].tid);
	return count_hash(a->counts[i].thread, a->counts[i].node);
}

static void itable_insert(const struct aggregate *a, struct itable *t, uint64_t h, uint32_t idx)
{
	if ((t->n + 1) * 4 > t->cap * 3) {
		struct itable old = *t;
		t->cap = old.cap ? old.cap * 2 : 256;
		t->slot = xcalloc(t->cap, sizeof(*t->slot));
		t->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slot[i]) {
				uint32_t v = old.slot[i] - 1;
				size_t m = t->cap - 1, j = rehash_of(a, t, v) & m;
				while (t->slot[j])
					j = (j + 1) & m;
				t->slot[j] = v + 1;
				t->n++;
			}
		free(old.slot);
	}
	size_t m = t->cap - 1, j = h & m;
	while (t->slot[j])
		j = (j + 1) & m;
	t->slot[j] = idx + 1;
	t->n++;
}

struct aggregate *aggregate_new(void)
{
	struct aggregate *a = xcalloc(1, sizeof(*a));
	a->index = xcalloc(1, sizeof(*a->index));
	xgrow((void **)&a->nodes, &a->cap_nodes, 1, sizeof(*a->nodes));
	memset(&a->nodes[0], 0, sizeof(a->nodes[0]));
	a->nnodes = 1;
	return a;
}

void aggregate_free(struct aggregate *a)
{
	if (!a)
		return;
	itable_release(&a->index->nodes);
	itable_release(&a->index->threads);
	itable_release(&a->index->counts);
	free(a->index);
	free(a->nodes);
	free(a->threads);
	free(a->counts);
	free(a);
}

uint32_t aggregate_thread(struct aggregate *a, pid_t pid, pid_t tid)
{
	struct itable *t = &a->index->threads;
	uint64_t h = thread_hash(pid, tid);
	if (t->cap) {
		size_t m = t->cap - 1, j = h & m;
		while (t->slot[j]) {
			uint32_t i = t->slot[j] - 1;
			if (a->threads[i].pid == pid && a->threads[i].tid == tid)
				return i;
			j = (j + 1) & m;
		}
	}
	xgrow((void **)&a->threads, &a->cap_threads, a->nthreads + 1, sizeof(*a->threads));
	uint32_t i = (uint32_t)a->nthreads++;
	a->threads[i] = (struct agg_thread){ pid, tid, 0 };
	itable_insert(a, t, h, i);
	return i;
}

static uint32_t node_child(struct aggregate *a, uint32_t parent, const struct agg_frame *f)
{
	struct itable *t = &a->index->nodes;
	uint64_t h = node_hash(parent, f);
	if (t->cap) {
		size_t m = t->cap - 1, j = h & m;
		while (t->slot[j]) {
			uint32_t i = t->slot[j] - 1;
			const struct agg_node *nd = &a->nodes[i];
			if (nd->parent == parent && nd->frame.mod == f->mod && nd->frame.addr == f->addr &&
			    nd->frame.kind == f->kind)
				return i;
			j = (j + 1) & m;
		}
	}
	xgrow((void **)&a->nodes, &a->cap_nodes, a->nnodes + 1, sizeof(*a->nodes));
	uint32_t i = (uint32_t)a->nnodes++;
	a->nodes[i].parent = parent;
	a->nodes[i].frame = *f;
	itable_insert(a, t, h, i);
	return i;
}

uint32_t aggregate_add(struct aggregate *a, uint32_t thread, const struct agg_frame *frames, size_t n,
		       uint64_t weight)
{
	uint32_t node = AGG_ROOT;
	for (size_t i = n; i-- > 0;)
		node = node_child(a, node, &frames[i]);
	struct itable *t = &a->index->counts;
	uint64_t h = count_hash(thread, node);
	if (t->cap) {
		size_t m = t->cap - 1, j = h & m;
		while (t->slot[j]) {
			uint32_t i = t->slot[j] - 1;
			if (a->counts[i].thread == thread && a->counts[i].node == node) {
				a->counts[i].count += weight;
				goto counted;
			}
			j = (j + 1) & m;
		}
	}
	xgrow((void **)&a->counts, &a->cap_counts, a->ncounts + 1, sizeof(*a->counts));
	a->counts[a->ncounts] = (struct agg_count){ thread, node, weight };
	itable_insert(a, t, h, (uint32_t)a->ncounts);
	a->ncounts++;
counted:
	if (thread < a->nthreads)
		a->threads[thread].samples += weight;
	a->total += weight;
	return node;
}

void aggregate_reset_counts(struct aggregate *a)
{
	for (size_t i = 0; i < a->ncounts; i++)
		a->counts[i].count = 0;
	for (size_t i = 0; i < a->nthreads; i++)
		a->threads[i].samples = 0;
	a->total = 0;
}

size_t aggregate_memory(const struct aggregate *a)
{
	return sizeof(*a) + a->cap_nodes * sizeof(*a->nodes) + a->cap_threads * sizeof(*a->threads) +
	       a->cap_counts * sizeof(*a->counts) +
	       (a->index->nodes.cap + a->index->threads.cap + a->index->counts.cap) * sizeof(uint32_t);
}
