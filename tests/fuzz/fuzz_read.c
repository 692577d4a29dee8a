/*
 * fuzz_read: profile_read_mem(), the entry point of `prowl report`, `convert`
 * and `diff`, on any bytes: format detection, then whichever reader claims
 * them (collapsed, perf script, speedscope, pprof as they exist). The first
 * byte may force a format instead of detection. What is read is also
 * rendered as a text report, which walks every node and frame.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/format.h"
#include "profiler/model/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const enum format forced[] = { FORMAT_NONE, FORMAT_COLLAPSED, FORMAT_PERF_SCRIPT,
					      FORMAT_SPEEDSCOPE, FORMAT_PPROF };
	struct read_opts o = { 0 };
	if (len) {
		o.format = forced[data[0] % (sizeof(forced) / sizeof(forced[0]))];
		data++;
		len--;
	}
	(void)format_detect((const char *)data, len);
	struct profile *p = profile_read_mem((const char *)data, len, &o);
	if (!p)
		return 0;
	FILE *f = fopen("/dev/null", "w");
	if (f) {
		struct write_opts w = { 0 };
		profile_write_stream(p, FORMAT_REPORT, f, &w);
		fclose(f);
	}
	profile_free(p);
	return 0;
}
