#include "profiler/model/seq.h"

#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"

/* A record never spans chunks: a chunk takes one only with this much room
 * (three varints: node 5 bytes, time and weight 10 each). */
#define REC_MAX 25u
/* Chunks double from small (a thread sampled a few times costs little) up
 * to a size where the header is noise and no large block is ever copied. */
#define CHUNK_MIN 64u
#define CHUNK_MAX (64u * 1024u)

struct seq_chunk {
	struct seq_chunk *next;
	uint32_t len, cap;
	uint8_t data[];
};

struct seq *seq_new(void)
{
	return xcalloc(1, sizeof(struct seq));
}

void seq_free(struct seq *q)
{
	if (!q)
		return;
	for (size_t t = 0; t < q->nstreams; t++) {
		struct seq_chunk *c = q->streams[t].head;
		while (c) {
			struct seq_chunk *n = c->next;
			free(c);
			c = n;
		}
	}
	free(q->streams);
	free(q);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void seq_add(struct seq *q, uint32_t thread, uint32_t node, uint64_t time_ns, uint64_t weight)
{
	if (thread >= q->nstreams) {
		size_t old = q->cap;
		xgrow((void **)&q->streams, &q->cap, (size_t)thread + 1, sizeof(*q->streams));
		memset(q->streams + old, 0, (q->cap - old) * sizeof(*q->streams));
		q->nstreams = (size_t)thread + 1;
	}
	struct seq_stream *s = &q->streams[thread];
	struct seq_chunk *c = s->tail;
	if (!c || c->cap - c->len < REC_MAX) {
		uint32_t cap = c ? c->cap * 2 : CHUNK_MIN;
		if (cap > CHUNK_MAX)
			cap = CHUNK_MAX;
		struct seq_chunk *n = xmalloc(sizeof(*n) + cap);
		n->next = NULL;
		n->len = 0;
		n->cap = cap;
		if (c)
			c->next = n;
		else
			s->head = n;
		s->tail = c = n;
		q->bytes += sizeof(*n) + cap;
	}
	uint64_t us = time_ns / 1000;
	/* Differences from the thread's previous sample: the same stack again is
	 * a zero, and samples a tick apart are a small number. */
	uint64_t head = zigzag((int64_t)node - (int64_t)s->last_node) << 1 | (weight != 1);
	uint8_t *p = c->data + c->len;
	size_t n = put_varint(p, head);
	n += put_varint(p + n, zigzag((int64_t)(us - s->last_us)));
	if (weight != 1)
		n += put_varint(p + n, weight);
	c->len += (uint32_t)n;
	s->last_node = node;
	s->last_us = us;
	s->records++;
	q->records++;
}

size_t seq_memory(const struct seq *q)
{
	return q ? sizeof(*q) + q->cap * sizeof(*q->streams) + q->bytes : 0;
}

void seq_iter_init(struct seq_iter *it, const struct seq *q, uint32_t thread)
{
	memset(it, 0, sizeof(*it));
	if (q && thread < q->nstreams)
		it->c = q->streams[thread].head;
}

static uint64_t get_varint(const uint8_t *p, size_t *off)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b = p[(*off)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

bool seq_iter_next(struct seq_iter *it, struct seq_rec *r)
{
	while (it->c && it->off >= it->c->len) {
		it->c = it->c->next;
		it->off = 0;
	}
	if (!it->c)
		return false;
	const uint8_t *p = it->c->data;
	uint64_t head = get_varint(p, &it->off);
	it->node = (uint32_t)((int64_t)it->node + unzigzag(head >> 1));
	it->us += (uint64_t)unzigzag(get_varint(p, &it->off));
	r->node = it->node;
	r->time_ns = it->us * 1000;
	r->weight = head & 1 ? get_varint(p, &it->off) : 1;
	return true;
}

struct seq *seq_map(const struct seq *q, const uint32_t *tmap,
		    uint32_t (*node_of)(void *ctx, uint32_t thread, uint32_t node), void *ctx)
{
	struct seq *out = seq_new();
	for (size_t t = 0; q && t < q->nstreams; t++) {
		struct seq_iter it;
		struct seq_rec r;
		seq_iter_init(&it, q, (uint32_t)t);
		while (seq_iter_next(&it, &r))
			seq_add(out, tmap[t], node_of(ctx, (uint32_t)t, r.node), r.time_ns, r.weight);
	}
	return out;
}
