/*
 * fuzz_perfscript: the `perf script` text reader (formats/perfscript.c) on any
 * bytes, with the reading options taken from the first byte.
 */
#include <stdint.h>
#include <stdlib.h>

#include "formats/perfscript.h"
#include "profiler/model/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct read_opts o = { 0 };
	if (len) {
		o.pid = data[0] & 1;
		o.tid = data[0] & 2;
		o.kernel = data[0] & 4;
		o.jit = data[0] & 8;
		o.addrs = data[0] & 16;
		data++;
		len--;
	}
	(void)perfscript_probe((const char *)data, len);
	struct profile *p = perfscript_read((const char *)data, len, &o);
	if (p) {
		/* Every count must hang off a node that exists. */
		for (size_t i = 0; i < p->ncounts; i++)
			if (p->counts[i].node >= p->nnodes || p->counts[i].thread >= p->nthreads)
				abort();
		profile_free(p);
	}
	return 0;
}
