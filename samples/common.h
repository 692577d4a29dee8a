/* Helpers shared by the sample targets (see samples/README.md): run time from
 * argv, a stop flag raised by a timer, thread naming and the spin unit.
 * Header-only and static: every sample is one translation unit. Usage errors
 * exit 2, system failures exit 1; nothing is printed on stdout. */
#ifndef SAMPLES_COMMON_H
#define SAMPLES_COMMON_H

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* noclone too: GCC would otherwise make hot_a.constprop.0 and friends. */
#define NOINLINE __attribute__((noinline, noclone))
#define UNUSED __attribute__((unused))

/* Iterations of one spin unit: a chain of dependent multiply-adds, so its
 * speed depends on the multiplier's latency, not on code alignment; about
 * 0.1-0.2 ms on current x86-64. */
#define SPIN_ITERS 100000u

/* A macro, not a function: the function that expands it is the sampled leaf
 * (no shared callee, no inline frame). ACC is a uint64_t lvalue; the empty asm
 * keeps every step from being folded away. */
#define SPIN_UNITS(acc, units)                                                  \
	do {                                                                    \
		uint64_t spin_end_ = (uint64_t)(units) * SPIN_ITERS;            \
		for (uint64_t spin_i_ = 0; spin_i_ < spin_end_; spin_i_++) {    \
			(acc) = (acc) * 6364136223846793005ULL + 1442695040888963407ULL; \
			__asm__ volatile("" : "+r"(acc));                       \
		}                                                               \
	} while (0)

/* Results land here so no work is dead. */
static volatile uint64_t sample_sink UNUSED;
/* Raised by SIGALRM when the run time is over; every loop polls it. */
static volatile sig_atomic_t sample_stop UNUSED;

static UNUSED void sample_on_alarm(int sig)
{
	(void)sig;
	sample_stop = 1;
}

static UNUSED void sample_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	exit(2);
}

/* A shell starts background jobs with SIGINT ignored, and the ignore would
 * survive exec: restore the default so SIGINT ends every sample. */
static UNUSED void sample_default_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/* Run time from argv[1]: seconds (fractions allowed), `0` or `inf` = until
 * killed (returns 0), absent = DEF. */
static UNUSED double sample_seconds(int argc, char **argv, double def, const char *usage)
{
	char *end;
	double s;

	sample_default_signals(); /* every sample calls this first */
	if (argc < 2)
		return def;
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		sample_usage(usage);
	if (strcmp(argv[1], "inf") == 0)
		return 0;
	errno = 0;
	s = strtod(argv[1], &end);
	if (errno || end == argv[1] || *end || !(s >= 0) || isinf(s))
		sample_usage(usage);
	return s;
}

/* Integer argument argv[IDX] in [MIN, MAX], or DEF when absent. */
static UNUSED long sample_arg_long(int argc, char **argv, int idx, long def, long min, long max,
				   const char *usage)
{
	char *end;
	long v;

	if (argc <= idx)
		return def;
	errno = 0;
	v = strtol(argv[idx], &end, 10);
	if (errno || end == argv[idx] || *end || v < min || v > max)
		sample_usage(usage);
	return v;
}

/* Starts the timer that raises sample_stop after SECONDS (0: never). No
 * SA_RESTART: a main thread blocked in a system call must wake up. */
static UNUSED void sample_arm(double seconds)
{
	struct sigaction sa;
	struct itimerval it;

	if (seconds <= 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sample_on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0) {
		perror("sample: sigaction");
		exit(1);
	}
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	if (setitimer(ITIMER_REAL, &it, NULL) < 0) {
		perror("sample: setitimer");
		exit(1);
	}
}

/* Timers survive execve(): a sample that execs must disarm first. */
static UNUSED void sample_disarm(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Threads name themselves (prctl on self): naming from the creator races
 * with threads that are already gone. */
static UNUSED void sample_name_self(const char *name)
{
	pthread_setname_np(pthread_self(), name);
}

/* Creates a thread with SIGALRM blocked, so the timer always interrupts the
 * main thread and never a blocking call of a worker. */
static UNUSED void sample_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t block, old;
	int err;

	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		fprintf(stderr, "sample: pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

/* Sleeps MS milliseconds in 10 ms steps; returns early once stopped. */
static UNUSED void sample_sleep_ms(long ms)
{
	while (ms > 0 && !sample_stop) {
		long step = ms < 10 ? ms : 10;
		struct timespec ts = { 0, step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* Directory of the running executable (for sibling samples and plugins). */
static UNUSED void sample_exe_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n < 0) {
		perror("sample: readlink /proc/self/exe");
		exit(1);
	}
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
}

#endif
