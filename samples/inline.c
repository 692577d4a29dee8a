/* inline: a hot path made of inlined functions. main -> outer_noinline, into
 * which inlined_mid is inlined, into which inlined_leaf is inlined; the leaf's
 * loop is where the time goes, so a symbolizer must expand the inline chain
 * (leaf, mid, outer) with file:line. Line numbers are documented in
 * samples/README.md: keep them in step when editing this file.
 * Usage: inline [SECONDS] (default 5; 0 or inf: until killed). */
#include "common.h"

static inline __attribute__((always_inline)) uint64_t inlined_leaf(uint64_t acc)
{
	for (uint64_t i = 0; i < SPIN_ITERS; i++) {
		acc = acc * 6364136223846793005ULL + 1442695040888963407ULL; /* hot line */
		__asm__ volatile("" : "+r"(acc));
	}
	return acc;
}

static inline __attribute__((always_inline)) uint64_t inlined_mid(uint64_t acc)
{
	acc = inlined_leaf(acc);
	acc ^= acc >> 17; /* work after the inlined call */
	return acc;
}

NOINLINE static uint64_t outer_noinline(uint64_t acc)
{
	while (!sample_stop)
		acc = inlined_mid(acc);
	return acc;
}

int main(int argc, char **argv)
{
	sample_arm(sample_seconds(argc, argv, 5, "inline [SECONDS]"));
	sample_sink = outer_noinline(1);
	return 0;
}
