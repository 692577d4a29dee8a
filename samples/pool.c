/* pool: a mostly idle thread pool, as a service's: N threads "pool-<i>",
 * each pool_thread -> pool_wait blocked in read() on its own pipe, woken in
 * turn by main every 10 ms to run pool_work (one spin unit, about
 * 0.1-0.2 ms) before waiting again. With N = 64 each thread wakes every
 * 640 ms and the pool uses about 1-2% of a core. main sleeps between
 * wake-ups. Usage: pool [SECONDS [N]] (defaults 5 s, 64 threads). */
#include "common.h"

#define USAGE "pool [SECONDS [N]]"

static int (*pipes)[2];

NOINLINE static uint64_t pool_work(uint64_t acc)
{
	SPIN_UNITS(acc, 1);
	return acc;
}

NOINLINE static ssize_t pool_wait(int fd)
{
	char b;

	return read(fd, &b, 1);
}

static void *pool_thread(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	uint64_t acc = i;
	char name[16];

	snprintf(name, sizeof(name), "pool-%u", i);
	sample_name_self(name);
	while (pool_wait(pipes[i][0]) == 1)
		acc = pool_work(acc);
	sample_sink = acc;
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	long n = sample_arg_long(argc, argv, 2, 64, 1, 4096, USAGE);
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	pipes = calloc((size_t)n, sizeof(*pipes));
	if (!t || !pipes) {
		perror("pool: calloc");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if (pipe(pipes[i]) != 0) {
			perror("pool: pipe");
			return 1;
		}
		sample_thread(&t[i], pool_thread, (void *)(uintptr_t)i);
	}
	sample_arm(seconds);
	for (long k = 0; !sample_stop; k++) {
		struct timespec ts = { 0, 10000000 };

		if (write(pipes[k % n][1], "x", 1) != 1) {
			perror("pool: write");
			return 1;
		}
		nanosleep(&ts, NULL);
	}
	for (long i = 0; i < n; i++)
		close(pipes[i][1]);
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
