/* deep: a stack far deeper than a 16 KiB user-stack copy. main ->
 * deep_recurse(N) ... deep_recurse(1) -> deep_bottom, each deep_recurse frame
 * holding a 1 KiB volatile array (about 200 KiB of stack at the default
 * depth). Usage: deep [SECONDS [DEPTH]] (defaults 5 s, 200 frames). */
#include "common.h"

#define USAGE "deep [SECONDS [DEPTH]]"

NOINLINE static uint64_t deep_bottom(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 1);
	return acc;
}

NOINLINE static uint64_t deep_recurse(long n)
{
	volatile unsigned char pad[1024];
	uint64_t r;

	pad[0] = (unsigned char)n;
	pad[sizeof(pad) - 1] = (unsigned char)(n >> 8);
	if (n > 1)
		r = deep_recurse(n - 1);
	else
		r = deep_bottom((uint64_t)n);
	pad[1] = (unsigned char)r;
	return r + pad[0] + pad[1] + pad[sizeof(pad) - 1];
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	long depth = sample_arg_long(argc, argv, 2, 200, 1, 5000, USAGE);

	sample_arm(seconds);
	sample_sink = deep_recurse(depth);
	return 0;
}
