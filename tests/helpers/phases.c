/* phases: one thread that runs three CPU-bound phases one after the other,
 * phase_one, phase_two, phase_three, each for SECONDS/3 of CPU (default 0.6 s
 * in all), then exits: a timeline of it shows them in that order. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spins in its own body (the sampled leaf is the phase itself; noipa keeps
 * -O2 from folding the three identical bodies into one) until the
 * thread has used secs of CPU, however loaded the machine. */
#define PHASE(name)                                                           \
	__attribute__((noinline, noipa)) static void name(double secs)        \
	{                                                                     \
		double end = cpu_now() + secs;                                \
		unsigned long acc = 1;                                        \
		while (cpu_now() < end)                                       \
			for (int i = 0; i < 20000; i++)                       \
				acc = acc * 6364136223846793005ul + 1442695040888963407ul; \
		sink = acc;                                                   \
	}

PHASE(phase_one)
PHASE(phase_two)
PHASE(phase_three)

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0.6;
	if (secs <= 0 || secs > 600) {
		fprintf(stderr, "usage: phases [SECONDS]\n");
		return 2;
	}
	phase_one(secs / 3);
	phase_two(secs / 3);
	phase_three(secs / 3);
	return (int)(sink & 0);
}
