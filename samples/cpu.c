/* cpu: one CPU-bound thread whose time splits 60/30/10 across hot_a, hot_b and
 * hot_c under main -> run_workload. The shares are exact by construction: each
 * round runs the same spin unit 6, 3 and 1 times in each function's own body.
 * Usage: cpu [SECONDS] (default 5; 0 or inf: until killed). */
#include "common.h"

/* Each function spins in its own body, so the sampled leaf is the function
 * itself; the unit counts differ, so no two bodies can be folded together. */
NOINLINE static uint64_t hot_a(uint64_t acc)
{
	SPIN_UNITS(acc, 6);
	return acc;
}

NOINLINE static uint64_t hot_b(uint64_t acc)
{
	SPIN_UNITS(acc, 3);
	return acc;
}

NOINLINE static uint64_t hot_c(uint64_t acc)
{
	SPIN_UNITS(acc, 1);
	return acc;
}

NOINLINE static uint64_t run_workload(void)
{
	uint64_t acc = 1;

	while (!sample_stop) {
		acc = hot_a(acc);
		acc ^= 1;
		acc = hot_b(acc);
		acc ^= 2;
		acc = hot_c(acc);
		acc ^= 4;
	}
	sample_sink = acc;
	return acc;
}

int main(int argc, char **argv)
{
	uint64_t r;

	sample_arm(sample_seconds(argc, argv, 5, "cpu [SECONDS]"));
	r = run_workload();
	return r == 42 ? 3 : 0; /* uses the result: main keeps a frame below run_workload */
}
