/* threads64: N threads "worker-0" .. "worker-<N-1>", each looping
 * worker_thread -> worker_spin (4 spin units, about 0.5 ms) then
 * worker_thread -> worker_sleep (25 ms): many threads, about 1-1.5 cores
 * busy at N = 64. main joins. Usage: threads64 [SECONDS [N]] (defaults 5 s,
 * 64 threads). */
#include "common.h"

#define USAGE "threads64 [SECONDS [N]]"

NOINLINE static uint64_t worker_spin(uint64_t acc)
{
	SPIN_UNITS(acc, 4);
	return acc;
}

NOINLINE static void worker_sleep(void)
{
	struct timespec ts = { 0, 25 * 1000000L };

	nanosleep(&ts, NULL);
}

static void *worker_thread(void *arg)
{
	uint64_t acc = (uintptr_t)arg;
	char name[16];

	snprintf(name, sizeof(name), "worker-%u", (unsigned)(uintptr_t)arg);
	sample_name_self(name);
	while (!sample_stop) {
		acc = worker_spin(acc);
		worker_sleep();
	}
	sample_sink = acc;
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	long n = sample_arg_long(argc, argv, 2, 64, 1, 4096, USAGE);
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	if (!t) {
		perror("threads64: calloc");
		return 1;
	}
	sample_arm(seconds);
	for (long i = 0; i < n; i++)
		sample_thread(&t[i], worker_thread, (void *)(uintptr_t)i);
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
	return 0;
}
