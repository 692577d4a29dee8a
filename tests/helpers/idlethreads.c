/* idlethreads N SECONDS: N threads that sleep (waking every 200 ms), and the
 * main thread spinning in spin_main for SECONDS: a process with many threads
 * of which almost none run, for the ptrace backend's cost with many threads.
 * Exits 0. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 200000000 };
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static uint64_t spin_main(double until)
{
	volatile uint64_t acc = 0;
	while (now_s() < until)
		for (int i = 0; i < 100000; i++)
			acc += (uint64_t)i;
	return acc;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 10;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &a, idle, NULL) != 0) {
			fprintf(stderr, "idlethreads: cannot start thread %ld\n", i);
			return 1;
		}
	}
	spin_main(now_s() + secs);
	return 0;
}
