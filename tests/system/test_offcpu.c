/*
 * test_offcpu: the blocked-thread reader (profiler/capture/offcpu.c) on
 * threads of this test process: one blocked in read() on a pipe, one
 * spinning. The blocked one is read without being stopped ([I/O wait], its
 * pc and sp as the kernel gives them), served from the unchanged-thread
 * cache while it does not run and read again once it ran; its weights add
 * up to the time it spent blocked; the spinning one is never taken for
 * blocked; a thread that is gone says so.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiler/base/util.h"
#include "profiler/capture/offcpu.h"

static int fds[2];
static volatile pid_t reader_tid, spinner_tid;
static volatile int stop;

static void *reader(void *arg)
{
	char b;
	reader_tid = (pid_t)syscall(SYS_gettid);
	while (read(fds[0], &b, 1) == 1 && b != 'q')
		;
	return arg;
}

static void *spinner(void *arg)
{
	spinner_tid = (pid_t)syscall(SYS_gettid);
	while (!stop)
		__asm__ volatile("" ::: "memory");
	return arg;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Waits until the thread sits in call nr (x86_64), up to 2 s. */
static int wait_in(pid_t tid, long nr)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)getpid(), (int)tid);
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(path, "re");
		if (f) {
			bool ok = fgets(buf, sizeof(buf), f) != NULL;
			fclose(f);
			struct offcpu_call c;
			if (ok && offcpu_parse_syscall(buf, strlen(buf), &c) == 0 && c.where == OFFCPU_IN_CALL && c.nr == nr)
				return 0;
		}
		msleep(10);
	}
	return -1;
}

static void test_blocked_and_cache(void **state)
{
	(void)state;
	const uint64_t period = 1000000; /* 1 ms */
	assert_int_equal(pipe(fds), 0);
	pthread_t r;
	assert_int_equal(pthread_create(&r, NULL, reader, NULL), 0);
	while (!reader_tid)
		msleep(1);
	assert_int_equal(wait_in(reader_tid, 0), 0);
	struct offcpu *o = offcpu_new(NULL, 64, period);
	struct offcpu_look lk;
	struct offcpu_stats st;
	pid_t pid = getpid();

	/* First look: the baseline, with its stack already. */
	offcpu_round_begin(o);
	assert_int_equal(offcpu_look(o, pid, reader_tid, NULL, &lk), 0);
	offcpu_round_end(o);
	assert_true(lk.blocked);
	assert_int_equal(lk.state, SAMPLE_STATE_IO);
	assert_true(lk.nips >= 1 && lk.ips[0] != 0);
	assert_int_equal(lk.weight, 0);
	uint64_t t0 = now_ns(), pc = lk.ips[0], sum = 0;

	/* The one-shot read agrees: blocked in read at that pc. */
	struct offcpu_call c;
	assert_int_equal(offcpu_read_call(pid, reader_tid, &c), 0);
	assert_int_equal(c.where, OFFCPU_IN_CALL);
	assert_int_equal(c.nr, 0);
	assert_true(c.pc == pc);
	assert_int_equal(offcpu_read_call(pid, 0x7ffffff0, &c), -ESRCH);

	/* Looks while it stays blocked: the cache, and weights that add up to
	 * the time since the baseline (to a period). */
	for (int i = 0; i < 20; i++) {
		msleep(5);
		offcpu_round_begin(o);
		assert_int_equal(offcpu_look(o, pid, reader_tid, NULL, &lk), 0);
		offcpu_round_end(o);
		assert_true(lk.blocked && lk.cached);
		assert_true(lk.ips[0] == pc);
		sum += lk.weight;
	}
	uint64_t el = (now_ns() - t0) / period;
	print_message("blocked %llu ms: weights %llu periods of 1 ms\n", (unsigned long long)el, (unsigned long long)sum);
	assert_true(sum <= el + 1 && sum + 2 >= el);
	offcpu_stats(o, &st);
	assert_int_equal(st.hits, 20);
	uint64_t reads = st.reads;
	assert_true(reads >= 1);

	/* It runs (a byte wakes it) and blocks again: read afresh. */
	assert_int_equal(write(fds[1], "x", 1), 1);
	msleep(20);
	assert_int_equal(wait_in(reader_tid, 0), 0);
	offcpu_round_begin(o);
	assert_int_equal(offcpu_look(o, pid, reader_tid, NULL, &lk), 0);
	offcpu_round_end(o);
	assert_true(lk.blocked && !lk.cached);
	offcpu_stats(o, &st);
	assert_true(st.reads > reads);

	/* A running thread is never taken for a blocked one. */
	pthread_t sp;
	assert_int_equal(pthread_create(&sp, NULL, spinner, NULL), 0);
	while (!spinner_tid)
		msleep(1);
	int blocked = 0;
	for (int i = 0; i < 20; i++) {
		offcpu_round_begin(o);
		assert_int_equal(offcpu_look(o, pid, spinner_tid, NULL, &lk), 0);
		offcpu_round_end(o);
		blocked += lk.blocked;
		msleep(2);
	}
	assert_int_equal(blocked, 0);
	stop = 1;
	pthread_join(sp, NULL);

	/* Gone: -ESRCH. */
	assert_int_equal(write(fds[1], "q", 1), 1);
	pthread_join(r, NULL);
	pid_t gone = reader_tid;
	for (int i = 0; i < 100 && access("/proc/self/task", F_OK) == 0; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/task/%d", (int)gone);
		if (access(path, F_OK) != 0)
			break;
		msleep(10);
	}
	assert_int_equal(offcpu_look(o, pid, gone, NULL, &lk), -ESRCH);
	assert_int_equal(errno, ESRCH);
	offcpu_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_and_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
