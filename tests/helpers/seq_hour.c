/* seq_hour: what an hour of samples costs in the time-order store
 * (profiler/model/seq.h), for `make bench`. Synthetic: THREADS threads
 * sampled at FREQ Hz for SECONDS, each sample's stack drawn from NODES
 * distinct leaves with a skewed (Zipf-like) choice and runs of the same
 * stack, ticks with a little jitter and now and then time off the CPU.
 * Prints samples, bytes, bytes a sample, and the same for a store where
 * every sample is a new random stack (the worst case).
 * Usage: seq_hour [SECONDS [THREADS [FREQ [NODES]]]] (default 3600 4 999 5000). */
#include <stdio.h>
#include <stdlib.h>

#include "profiler/model/seq.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void run(const char *what, double secs, unsigned threads, unsigned freq, unsigned nodes, int worst)
{
	struct seq *q = seq_new();
	uint64_t period = 1000000000ull / freq, n = (uint64_t)(secs * freq);
	uint64_t *t = calloc(threads, sizeof(*t));
	uint32_t *last = calloc(threads, sizeof(*last));
	for (uint64_t i = 0; i < n; i++) {
		for (unsigned th = 0; th < threads; th++) {
			t[th] += period + next() % (period / 20);
			if (next() % 100 == 0)
				t[th] += (next() % 50) * period; /* off the CPU for a while */
			uint32_t node;
			if (worst)
				node = (uint32_t)(next() % 1000000);
			else if (next() % 4 == 0)
				node = last[th]; /* the same stack again */
			else {
				/* Zipf-ish: small ids (hot stacks) far more often. */
				double u = (double)(next() % 1000000) / 1e6;
				node = (uint32_t)(nodes * u * u * u);
			}
			last[th] = node;
			seq_add(q, th, node, t[th], 1);
		}
	}
	size_t bytes = seq_memory(q);
	printf("%-28s %12llu samples %12zu bytes %6.2f bytes a sample\n", what, (unsigned long long)q->records, bytes,
	       (double)bytes / (double)q->records);
	seq_free(q);
	free(t);
	free(last);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3600;
	unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
	unsigned freq = argc > 3 ? (unsigned)atoi(argv[3]) : 999;
	unsigned nodes = argc > 4 ? (unsigned)atoi(argv[4]) : 5000;
	if (secs <= 0 || !threads || !freq || !nodes) {
		fprintf(stderr, "usage: seq_hour [SECONDS [THREADS [FREQ [NODES]]]]\n");
		return 2;
	}
	run("typical (skewed stacks)", secs, threads, freq, nodes, 0);
	run("worst (random of 1M stacks)", secs, threads, freq, nodes, 1);
	return 0;
}
