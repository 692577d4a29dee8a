/*
 * seq: the time order of samples, kept compactly for the outputs that show
 * it (speedscope's time-order view, perf script text). Aggregated counts say
 * how much; this says when. One stream per thread index, each a chain of
 * byte chunks of varint-coded records: the stack node as a difference from
 * the thread's previous node, the time as a difference from its previous
 * time in microseconds, and a weight only when it is not 1. A steady thread
 * sampled at 999 Hz costs 3 to 5 bytes a sample; nothing is kept per sample
 * beyond that, so memory grows with samples only where an output asks for it.
 *
 * Node and thread numbers are the caller's (the capture's trie, or a
 * profile's nodes and threads); seq_map() renumbers them. Times are kept to
 * the microsecond (what perf script prints). The store owns its chunks.
 * Nothing fails except out of memory (fatal).
 */
#ifndef PROWL_SEQ_H
#define PROWL_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seq_rec {
	uint32_t node;
	uint64_t time_ns; /* a multiple of 1000: kept to the microsecond */
	uint64_t weight;  /* samples this stands for (1 but for weighted ptrace samples) */
};

struct seq_chunk;
struct seq_stream {
	struct seq_chunk *head, *tail;
	uint32_t last_node;
	uint64_t last_us;
	uint64_t records;
};

struct seq {
	struct seq_stream *streams; /* by thread index */
	size_t nstreams, cap;
	uint64_t records;
	size_t bytes; /* chunk memory held, headers included */
};

struct seq *seq_new(void);
void seq_free(struct seq *q);
/* Appends a sample of thread at time_ns (any clock; one clock per store). */
void seq_add(struct seq *q, uint32_t thread, uint32_t node, uint64_t time_ns, uint64_t weight);
/* Bytes held: the chunks and the stream table. */
size_t seq_memory(const struct seq *q);

/* Reads one thread's records in the order they were added (the capture adds
 * a thread's samples in time order: perf_sampler merges its rings by time). */
struct seq_iter {
	const struct seq_chunk *c;
	size_t off;
	uint32_t node;
	uint64_t us;
};
void seq_iter_init(struct seq_iter *it, const struct seq *q, uint32_t thread);
bool seq_iter_next(struct seq_iter *it, struct seq_rec *r);

/* A copy with thread t renamed tmap[t] and each record's node given by
 * node_of(ctx, t, node) (the new thread numbers must be distinct). Used to
 * carry a capture's order over to the profile made from it. */
struct seq *seq_map(const struct seq *q, const uint32_t *tmap,
		    uint32_t (*node_of)(void *ctx, uint32_t thread, uint32_t node), void *ctx);

#endif
