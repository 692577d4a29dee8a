#include "profiler/capture/aggregate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/itab.h"
#include "profiler/base/util.h"

/* The shared itab (profiler/base/itab.h) over indices into the arrays. */
struct agg_index {
	struct itab nodes, threads, counts;
};

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

struct node_key {
	uint32_t parent;
	const struct agg_frame *f;
};

static bool node_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct aggregate *a = ctx;
	const struct node_key *k = key;
	const struct agg_node *nd = &a->nodes[i];
	return nd->parent == k->parent && nd->frame.mod == k->f->mod && nd->frame.addr == k->f->addr &&
	       nd->frame.kind == k->f->kind;
}

static bool thread_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct aggregate *a = ctx;
	const struct agg_thread *k = key;
	return a->threads[i].pid == k->pid && a->threads[i].tid == k->tid;
}

static bool count_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct aggregate *a = ctx;
	const struct agg_count *k = key;
	return a->counts[i].thread == k->thread && a->counts[i].node == k->node;
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
	itab_release(&a->index->nodes);
	itab_release(&a->index->threads);
	itab_release(&a->index->counts);
	free(a->index);
	free(a->nodes);
	free(a->threads);
	free(a->counts);
	free(a);
}

uint32_t aggregate_thread(struct aggregate *a, pid_t pid, pid_t tid)
{
	uint64_t h = thread_hash(pid, tid);
	struct agg_thread key = { pid, tid, 0 };
	uint32_t i = itab_find(&a->index->threads, h, thread_eq, a, &key);
	if (i != ITAB_NONE)
		return i;
	xgrow((void **)&a->threads, &a->cap_threads, a->nthreads + 1, sizeof(*a->threads));
	i = (uint32_t)a->nthreads++;
	a->threads[i] = key;
	itab_insert(&a->index->threads, h, i);
	return i;
}

void aggregate_set_limit(struct aggregate *a, size_t max_nodes, const struct agg_frame *marker)
{
	a->max_nodes = max_nodes;
	if (marker)
		a->limit_marker = *marker;
}

/* The child of parent for frame f; ITAB_NONE when it does not exist and
 * may not be made (create false). */
static uint32_t node_child(struct aggregate *a, uint32_t parent, const struct agg_frame *f, bool create)
{
	uint64_t h = node_hash(parent, f);
	struct node_key key = { parent, f };
	uint32_t i = itab_find(&a->index->nodes, h, node_eq, a, &key);
	if (i != ITAB_NONE || !create)
		return i;
	xgrow((void **)&a->nodes, &a->cap_nodes, a->nnodes + 1, sizeof(*a->nodes));
	i = (uint32_t)a->nnodes++;
	a->nodes[i].parent = parent;
	a->nodes[i].frame = *f;
	itab_insert(&a->index->nodes, h, i);
	return i;
}

uint32_t aggregate_add(struct aggregate *a, uint32_t thread, const struct agg_frame *frames, size_t n,
		       uint64_t weight)
{
	uint32_t node = AGG_ROOT;
	for (size_t i = n; i-- > 0;) {
		bool room = !a->max_nodes || a->nnodes < a->max_nodes;
		uint32_t c = node_child(a, node, &frames[i], room);
		if (c == ITAB_NONE) {
			/* At the cap: the sample keeps the part of its stack already
			 * known, and says it was cut. The markers pass the cap, but
			 * there is at most one under each node. */
			node = node_child(a, node, &a->limit_marker, true);
			a->folded += weight;
			break;
		}
		node = c;
	}
	uint64_t h = count_hash(thread, node);
	struct agg_count key = { thread, node, weight };
	uint32_t i = itab_find(&a->index->counts, h, count_eq, a, &key);
	if (i != ITAB_NONE) {
		a->counts[i].count += weight;
	} else {
		xgrow((void **)&a->counts, &a->cap_counts, a->ncounts + 1, sizeof(*a->counts));
		a->counts[a->ncounts] = key;
		itab_insert(&a->index->counts, h, (uint32_t)a->ncounts++);
	}
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
	       (a->index->nodes.cap + a->index->threads.cap + a->index->counts.cap) *
		       (sizeof(uint32_t) + sizeof(uint64_t));
}
