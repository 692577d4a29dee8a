/*
 * perf_sample: byte-level edits of a perf_event SAMPLE record, apart from its
 * decoder (perf_sampler.c) and its ring (perf_ring.c). Pure functions on the
 * caller's bytes: nothing allocated, nothing kept.
 */
#ifndef PROWL_PERF_SAMPLE_H
#define PROWL_PERF_SAMPLE_H

#include <linux/perf_event.h>
#include <stdint.h>

/* A SAMPLE of an event whose sample_type is IP | TID | TIME, maybe
 * CALLCHAIN, then REGS_USER (nregs registers when its abi is not 0) and
 * STACK_USER, the last field: the user stack copy cut, in place, to the
 * bytes the kernel filled (its dyn_size, rounded up past it to 8, so the
 * decoder still tells a copy that was not full from one that was). The
 * header's size follows. Returns the record's size, unchanged for any other
 * record, layout, or size that does not add up. */
uint16_t perf_sample_trim_stack(struct perf_event_header *h, uint64_t sample_type, unsigned nregs);

#endif
