/* busy2: two CPU-bound threads, "busy-1" spinning in spin_left under
 * left_thread and "busy-2" spinning in spin_right under right_thread; main
 * only joins. Usage: busy2 [SECONDS] (default 5; 0 or inf: until killed). */
#include "common.h"

NOINLINE static uint64_t spin_left(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 1);
	return acc;
}

NOINLINE static uint64_t spin_right(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 2);
	return acc + 1;
}

static void *left_thread(void *arg)
{
	sample_name_self("busy-1");
	sample_sink = spin_left((uintptr_t)arg);
	return NULL;
}

static void *right_thread(void *arg)
{
	sample_name_self("busy-2");
	sample_sink = spin_right((uintptr_t)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t left, right;

	sample_arm(sample_seconds(argc, argv, 5, "busy2 [SECONDS]"));
	sample_thread(&left, left_thread, (void *)1);
	sample_thread(&right, right_thread, (void *)3);
	pthread_join(left, NULL);
	pthread_join(right, NULL);
	return 0;
}
