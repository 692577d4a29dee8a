/*
 * fuzz_collapsed: the folded-stacks reader (formats/collapsed.c) on any bytes.
 * What it reads is written back as folded stacks and read again: the second
 * reading must give the same total (a reader that accepts a line must keep
 * its count). Counts on the root itself (a line with no frame, " 5") are
 * left out of the comparison: the writer has no frame to write them under;
 * so are profiles with a frame named only by blanks (written as blanks, read
 * back as no frame: the format cannot carry it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/collapsed.h"
#include "profiler/model/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static uint64_t stacked_total(const struct profile *p)
{
	uint64_t t = 0;
	for (size_t i = 0; i < p->ncounts; i++)
		if (p->counts[i].node != PROFILE_ROOT)
			t += p->counts[i].count;
	return t;
}

static int has_blank_frame(const struct profile *p)
{
	for (size_t i = 0; i < p->nframes; i++) {
		const char *n = p->frames[i].name;
		if (n && !n[strspn(n, " \t\r\n")])
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	(void)collapsed_probe((const char *)data, len);
	struct profile *p = collapsed_read((const char *)data, len);
	if (!p)
		return 0;
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	if (f) {
		struct write_opts w = { 0 };
		int r = collapsed_write(p, f, &w);
		fclose(f);
		if (r == 0 && blen && !has_blank_frame(p)) {
			struct profile *q = collapsed_read(buf, blen);
			if (!q && stacked_total(p)) {
				fprintf(stderr, "fuzz_collapsed: its own output does not read back\n");
				abort();
			}
			if (q && stacked_total(q) != stacked_total(p)) {
				fprintf(stderr, "fuzz_collapsed: total %llu read back as %llu\n",
					(unsigned long long)stacked_total(p), (unsigned long long)stacked_total(q));
				abort();
			}
			profile_free(q);
		}
		free(buf);
	}
	profile_free(p);
	return 0;
}
