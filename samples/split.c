/* split: one thread, "splitter", whose wall time is split in known parts,
 * cycle after cycle of 400 ms: splitter_thread -> do_sleep_part (nanosleep,
 * 200 ms: 50%), do_spin_part (spins until 120 ms of wall time have passed:
 * 30%), do_read_part (read() of a timerfd that fires 80 ms later: 20%).
 * main waits in pthread_join. Usage: split [SECONDS] (default 5). */
#include "common.h"

#include <sys/timerfd.h>

#define USAGE "split [SECONDS]"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

NOINLINE static void do_sleep_part(void)
{
	struct timespec ts = { 0, 200000000 };

	nanosleep(&ts, NULL);
}

NOINLINE static uint64_t do_spin_part(uint64_t acc)
{
	uint64_t end = mono_ns() + 120000000ull;

	while (mono_ns() < end)
		SPIN_UNITS(acc, 1);
	return acc;
}

NOINLINE static void do_read_part(int tfd)
{
	struct itimerspec it = { { 0, 0 }, { 0, 80000000 } };
	uint64_t n;

	if (timerfd_settime(tfd, 0, &it, NULL) == 0)
		sample_sink += (uint64_t)read(tfd, &n, sizeof(n));
}

static void *splitter_thread(void *arg)
{
	uint64_t acc = 1;
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	sample_name_self("splitter");
	if (tfd < 0) {
		perror("split: timerfd_create");
		exit(1);
	}
	while (!sample_stop) {
		do_sleep_part();
		acc = do_spin_part(acc);
		do_read_part(tfd);
	}
	sample_sink = acc;
	close(tfd);
	return arg;
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	pthread_t t;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, NULL, splitter_thread, NULL) != 0) {
		perror("split: pthread_create");
		return 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sample_arm(seconds);
	while (!sample_stop)
		pause();
	pthread_join(t, NULL);
	return 0;
}
