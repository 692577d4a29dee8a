/*
 * fuzz_pprof: the pprof reader (formats/pprof.c) on any bytes, gzipped or
 * raw protobuf (raw is where mutations reach the decoder). What it reads must
 * hold together (every count on a node and thread that exist, no stack past
 * READ_MAX_FRAMES, the total the sum of the counts) and survive a round trip
 * through the writer: the same total and threads read back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/format.h"
#include "formats/pprof.h"
#include "profiler/model/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void check(const struct profile *p)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < p->ncounts; i++) {
		const struct profile_count *c = &p->counts[i];
		if (c->node >= p->nnodes || c->thread >= p->nthreads)
			abort();
		if (profile_node_depth(p, c->node) > READ_MAX_FRAMES)
			abort();
		if (sum > UINT64_MAX - c->count)
			abort(); /* the total would have wrapped */
		sum += c->count;
	}
	if (sum != p->total)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct profile *p = pprof_read((const char *)data, len);
	if (!p)
		return 0;
	check(p);
	char *buf = NULL;
	size_t blen = 0;
	FILE *m = open_memstream(&buf, &blen);
	if (m) {
		struct write_opts w = { 0 };
		int rc = pprof_write(p, m, &w);
		fclose(m);
		if (rc == 0) {
			struct profile *q = pprof_read(buf, blen);
			if (!q)
				abort();
			check(q);
			if (q->total != p->total || (p->total && q->nthreads != p->nthreads))
				abort();
			profile_free(q);
		}
		free(buf);
	}
	profile_free(p);
	return 0;
}
