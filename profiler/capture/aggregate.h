/*
 * aggregate: the capture's store of stacks. A trie of (module, address)
 * frames, counts per (thread, leaf node): memory grows with unique stacks,
 * not with samples, and no symbol is looked up here. The session turns it
 * into a struct profile. Cannot fail except out of memory (fatal).
 *
 * Memory is bounded by a cap on trie nodes (aggregate_set_limit): a stack that
 * would need a node past it is folded into its deepest known prefix, under a
 * marker frame the caller chooses (the session's "[stack limit]"), and its
 * weight is counted in folded, so a flood of distinct stacks (random JIT
 * addresses, a long `top`) cannot grow without end and the user sees where.
 */
#ifndef PROWL_AGGREGATE_H
#define PROWL_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profiler/capture/maps.h"

#define AGG_ROOT 0u

enum agg_kind {
	AGG_USER = 0,
	AGG_KERNEL = 1,
	AGG_STATE = 2, /* wall-mode pseudo leaf: addr is an enum sample_state */
	AGG_PYTHON = 3, /* a CPython frame: addr is the resolver's id (resolve_python_id) */
};

/* One frame: mod NULL means no module (addr is then absolute). addr is the
 * module-relative ELF vaddr to look up (already minus one for return addresses). */
struct agg_frame {
	struct module *mod;
	uint64_t addr;
	uint8_t kind; /* enum agg_kind */
};

struct agg_node {
	uint32_t parent;
	struct agg_frame frame;
};

struct agg_thread {
	pid_t pid, tid;
	uint64_t samples;
};

struct agg_count {
	uint32_t thread, node;
	uint64_t count;
};

struct aggregate {
	struct agg_node *nodes; /* nodes[0] is the root; parents come before children */
	size_t nnodes, cap_nodes;
	struct agg_thread *threads;
	size_t nthreads, cap_threads;
	struct agg_count *counts;
	size_t ncounts, cap_counts;
	uint64_t total;
	size_t max_nodes;        /* 0: no cap; marker nodes may pass it (one per node at most) */
	struct agg_frame limit_marker;
	uint64_t folded;         /* weight of the samples folded at the cap */
	struct agg_index *index; /* private */
};

struct aggregate *aggregate_new(void);
void aggregate_free(struct aggregate *a);
/* Caps the trie at max_nodes nodes (0: no cap); marker is the frame put under
 * the deepest known prefix of a stack folded at the cap. */
void aggregate_set_limit(struct aggregate *a, size_t max_nodes, const struct agg_frame *marker);
/* Index of thread (pid, tid), added if new. */
uint32_t aggregate_thread(struct aggregate *a, pid_t pid, pid_t tid);
/* Adds weight samples of a stack given leaf first; returns its leaf node (the
 * marker under its deepest known prefix when the stack was folded at the cap). */
uint32_t aggregate_add(struct aggregate *a, uint32_t thread, const struct agg_frame *frames, size_t n,
		       uint64_t weight);
/* Zeroes every count (nodes and threads stay: they are reused). */
void aggregate_reset_counts(struct aggregate *a);
/* Bytes held (for tests and stats). */
size_t aggregate_memory(const struct aggregate *a);

#endif
