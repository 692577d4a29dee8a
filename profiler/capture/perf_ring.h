/*
 * perf_ring: reading a perf_event mmap'd ring buffer. The kernel writes at
 * data_head, we read from data_tail; head is loaded with acquire ordering and
 * the tail stored with release ordering, records that straddle the end of the
 * buffer are copied whole into the caller's scratch buffer. Works on a real
 * mapping or, for tests, on caller memory. Returns 0 or a negative errno.
 *
 * A ring can also hold records in memory (perf_ring_hold): while the reader
 * is busy elsewhere (top naming a refresh's new stacks), what the kernel
 * wrote is moved out before the ring fills, and the next batch reads those
 * records first, then the ring's: nothing lost, the order kept. The held
 * records are the ring's own (a mapping of their own, freed when all are
 * read or by perf_ring_unmap).
 */
#ifndef PROWL_PERF_RING_H
#define PROWL_PERF_RING_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

struct perf_ring {
	int fd;
	void *base;        /* the mapping (NULL for a memory ring) */
	size_t map_len;
	struct perf_event_mmap_page *meta;
	unsigned char *data;
	uint64_t size;     /* power of two */
	uint64_t head;     /* snapshot taken by perf_ring_begin() */
	uint64_t pos;      /* next record to read in the ring */
	/* Records moved out by perf_ring_hold, oldest first, read before the
	 * ring's. pos and held_pos together are the read position: a reader may
	 * save both and put them back to leave records unread. */
	unsigned char *held;
	size_t held_len, held_cap, held_pos;
};

/* Maps 1 + data_pages (a power of two) pages of fd. */
int perf_ring_map(struct perf_ring *r, int fd, size_t data_pages);
/* Unmaps (a memory ring: forgets it) and frees the held records. */
void perf_ring_unmap(struct perf_ring *r);
/* A ring over caller memory (tests): meta's data_head/data_tail are used. */
void perf_ring_init_mem(struct perf_ring *r, struct perf_event_mmap_page *meta, unsigned char *data,
			uint64_t size);

/* Snapshots data_head; returns the number of bytes ready (held ones too). */
uint64_t perf_ring_begin(struct perf_ring *r);
/* The next record up to the snapshot, or NULL when none is left. A record
 * that wraps around is copied into scratch (at least 64 KiB, as a record's
 * size is a u16); a malformed size ends the batch (the rest is skipped). */
const struct perf_event_header *perf_ring_next(struct perf_ring *r, void *scratch);
/* Gives the bytes read back to the kernel (stores data_tail) and drops the
 * held records read. A record returned by perf_ring_next is valid until
 * then. */
void perf_ring_end(struct perf_ring *r);
/* Shortens a record, in place, as it is held (its header's size too), and
 * returns its new size: a multiple of 8, at most the old one. */
typedef uint16_t (*perf_ring_trim_fn)(struct perf_event_header *rec, void *ctx);

/* Outside a batch (not between begin and end): when more than a quarter of
 * the ring is unread, moves all of it (whole records, in order, each passed
 * to trim when not NULL) into memory and gives the room back to the kernel,
 * so the next hold may come as late as a whole ring's time. Returns the ring
 * bytes moved. Out of memory is fatal, as xmalloc's is everywhere in prowl. */
uint64_t perf_ring_hold(struct perf_ring *r, void *scratch, perf_ring_trim_fn trim, void *ctx);

#define PERF_RING_SCRATCH 65536

#endif
