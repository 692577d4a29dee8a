/* sleepy: mostly sleeps or blocks, for wall-clock profiling.
 * - main (comm "sleepy"): loops main -> do_compute (spins 1 ms) ->
 *   main -> do_sleep (nanosleep 19 ms): about 5% of one core;
 * - "reader": reader_thread -> do_read, blocked in read() on a pipe that
 *   never gets data;
 * - "locker": locker_thread -> do_lock, blocked in pthread_mutex_lock() on a
 *   mutex main holds for ever.
 * Usage: sleepy [SECONDS] (default 5; 0 or inf: until killed). */
#include "common.h"

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

/* Spins for MS of wall time, checking the clock between spin units. */
NOINLINE static uint64_t do_compute(uint64_t acc, long ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		SPIN_UNITS(acc, 1);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) <
		 ms * 1000000L);
	return acc;
}

NOINLINE static int do_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	int r;

	/* A signal (the run-time timer) cuts the sleep short: the caller
	 * checks the stop flag. */
	r = nanosleep(&ts, &ts);
	return r;
}

NOINLINE static ssize_t do_read(int fd)
{
	char buf[64];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	return n;
}

NOINLINE static int do_lock(void)
{
	int err = pthread_mutex_lock(&held);

	if (!err)
		pthread_mutex_unlock(&held);
	return err;
}

static void *reader_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;

	sample_name_self("reader");
	for (;;)
		if (do_read(fd) <= 0)
			break;
	return NULL;
}

static void *locker_thread(void *arg)
{
	sample_name_self("locker");
	sample_sink = (uint64_t)do_lock();
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t reader, locker;
	uint64_t acc = 1;
	int fds[2];

	sample_arm(sample_seconds(argc, argv, 5, "sleepy [SECONDS]"));
	if (pipe(fds) < 0) {
		perror("sleepy: pipe");
		return 1;
	}
	pthread_mutex_lock(&held);
	sample_thread(&reader, reader_thread, (void *)(intptr_t)fds[0]);
	sample_thread(&locker, locker_thread, NULL);
	while (!sample_stop) {
		acc = do_compute(acc, 1);
		if (sample_stop)
			break;
		do_sleep(19);
	}
	sample_sink = acc;
	/* The blocked threads are left as they are: returning ends them. */
	return 0;
}
