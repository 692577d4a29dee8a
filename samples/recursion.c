/* recursion: main -> recurse(N) -> recurse(N-1) -> ... -> recurse(1) ->
 * bottom, which spins; N recurse frames in all. Each frame keeps a small
 * volatile array and works after the call, so no frame can be folded away.
 * Usage: recursion [SECONDS [DEPTH]] (defaults 5 s, 500 frames). */
#include "common.h"

#define USAGE "recursion [SECONDS [DEPTH]]"

NOINLINE static uint64_t bottom(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 1);
	return acc;
}

NOINLINE static uint64_t recurse(long n)
{
	volatile unsigned char pad[32];
	uint64_t r;

	pad[0] = (unsigned char)n;
	if (n > 1)
		r = recurse(n - 1);
	else
		r = bottom((uint64_t)n);
	pad[1] = (unsigned char)r;
	return r + pad[0] + pad[1];
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	long depth = sample_arg_long(argc, argv, 2, 500, 1, 100000, USAGE);

	sample_arm(seconds);
	sample_sink = recurse(depth);
	return 0;
}
