/* threads: named threads doing different work, two of them started late.
 * "early-a" (work_early_a) and "early-b" (work_early_b) start at once;
 * "late-c" (work_late_c) and "late-d" (work_late_d) after DELAY ms; main
 * (comm "threads") sleeps, then joins. Usage: threads [SECONDS [DELAY_MS]]
 * (defaults 5 s, 1000 ms). */
#include "common.h"

#define USAGE "threads [SECONDS [DELAY_MS]]"

/* Different unit counts per call keep the four bodies distinct. */
NOINLINE static uint64_t work_early_a(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 1);
	return acc;
}

NOINLINE static uint64_t work_early_b(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 2);
	return acc + 1;
}

NOINLINE static uint64_t work_late_c(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 3);
	return acc + 2;
}

NOINLINE static uint64_t work_late_d(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 4);
	return acc + 3;
}

static void *early_a(void *arg)
{
	sample_name_self("early-a");
	sample_sink = work_early_a((uintptr_t)arg);
	return NULL;
}

static void *early_b(void *arg)
{
	sample_name_self("early-b");
	sample_sink = work_early_b((uintptr_t)arg);
	return NULL;
}

static void *late_c(void *arg)
{
	sample_name_self("late-c");
	sample_sink = work_late_c((uintptr_t)arg);
	return NULL;
}

static void *late_d(void *arg)
{
	sample_name_self("late-d");
	sample_sink = work_late_d((uintptr_t)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	long delay = sample_arg_long(argc, argv, 2, 1000, 0, 86400000L, USAGE);
	pthread_t t[4];
	int n = 0;

	sample_arm(seconds);
	sample_thread(&t[n++], early_a, (void *)1);
	sample_thread(&t[n++], early_b, (void *)2);
	sample_sleep_ms(delay);
	if (!sample_stop) {
		sample_thread(&t[n++], late_c, (void *)3);
		sample_thread(&t[n++], late_d, (void *)4);
	}
	while (n > 0)
		pthread_join(t[--n], NULL);
	return 0;
}
