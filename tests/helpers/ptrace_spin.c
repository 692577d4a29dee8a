/*
 * ptrace_spin: N threads that never sleep, each spinning in spin_leaf (called
 * from spin_thread), for the ptrace benchmark: every thread is running at
 * every tick. Usage: ptrace_spin N SECONDS (exit 0 at the end).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;
static volatile uint64_t sink;

__attribute__((noinline, noclone)) static uint64_t spin_leaf(uint64_t acc)
{
	for (unsigned i = 0; i < 100000; i++) {
		acc = acc * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(acc));
	}
	return acc;
}

static void *spin_thread(void *arg)
{
	uint64_t acc = (uintptr_t)arg;
	while (!stop)
		acc = spin_leaf(acc);
	sink = acc;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ptrace_spin N SECONDS\n");
		return 2;
	}
	int n = atoi(argv[1]);
	double secs = atof(argv[2]);
	if (n < 1 || n > 4096 || secs <= 0) {
		fprintf(stderr, "ptrace_spin: bad arguments\n");
		return 2;
	}
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, spin_thread, (void *)(uintptr_t)(i + 1));
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };
	while (nanosleep(&ts, &ts) != 0)
		;
	stop = 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
	return 0;
}
