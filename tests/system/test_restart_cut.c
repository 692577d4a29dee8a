/*
 * test_restart_cut: an interrupt-stop of a thread waiting in epoll_wait or
 * semtimedop makes the call return EINTR (the kernel cannot restart it with
 * its timeout). ptrace_thread_restart_cut() at the stop sets the call to run
 * again: a child blocked in each call, stopped while it waits and let go,
 * sees no EINTR and its call returns as asked (the timeout, not earlier).
 * Without the restart the same stop gives EINTR (the test would see it).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/system/ptrace_probe.h"

#include "profiler/capture/ptrace.h"
#include "profiler/base/util.h"

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The child: one call of kind ("epoll" or "sem") with a 400 ms timeout;
 * writes to fd "E" for EINTR, "T" for a timeout after >= 399 ms, "X" else. */
static void child(const char *kind, int fd)
{
	struct timespec t0, t1;
	int r, e;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!strcmp(kind, "epoll")) {
		int ep = epoll_create1(0);
		struct epoll_event ev;
		r = epoll_wait(ep, &ev, 1, 400);
		e = errno;
	} else {
		int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		struct sembuf op = { 0, -1, 0 };
		struct timespec to = { 0, 400000000 };
		r = semtimedop(id, &op, 1, &to);
		e = errno;
		semctl(id, 0, IPC_RMID);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	char c = r < 0 && e == EINTR ? 'E' : ((r == 0 && !strcmp(kind, "epoll")) || (r < 0 && e == EAGAIN)) && ms >= 399 ? 'T' : 'X';
	if (write(fd, &c, 1) != 1)
		_exit(2);
	_exit(0);
}

static bool restart;

static void on_stop(struct ptrace_proc *p, struct ptrace_thread *t, void *arg)
{
	int *res = arg;
	if (restart)
		*res = ptrace_thread_restart_cut(p, t->tid, NULL);
}

/* Stops the child once while it waits; returns what it reported. */
static char stop_once(const char *kind, bool with_restart, int *res)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		close(fds[0]);
		child(kind, fds[1]);
	}
	close(fds[1]);
	/* Until it waits in its call (epoll_wait 232, semtimedop 220). */
	long want = !strcmp(kind, "epoll") ? 232 : 220;
	char path[64], buf[128];
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)c);
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(path, "re");
		long nr = -2;
		if (f) {
			if (fgets(buf, sizeof(buf), f))
				nr = strtol(buf, NULL, 10);
			fclose(f);
		}
		if (nr == want)
			break;
		msleep(5);
	}
	struct ptrace_proc pp;
	assert_int_equal(ptrace_proc_attach(&pp, c), 0);
	msleep(50);
	restart = with_restart;
	*res = -1;
	assert_int_equal(ptrace_thread_interrupt(&pp, &pp.threads[0]), 0);
	assert_int_equal(ptrace_proc_collect(&pp, 1000000000ull, on_stop, res), 1);
	/* Let it run on before we detach: detaching stops it again, and that
	 * stop undoes an EINTR still on its way out too. */
	msleep(50);
	ptrace_proc_detach(&pp);
	ptrace_proc_release(&pp);
	char got = '?';
	assert_int_equal(read(fds[0], &got, 1), 1);
	close(fds[0]);
	int status;
	/* A child that exited before the detach was reaped by it (its tracer). */
	pid_t w = waitpid(c, &status, 0);
	if (w != c)
		assert_int_equal(errno, ECHILD);
	else
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return got;
}

static void test_restart(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	static const char *kinds[] = { "epoll", "sem" };
	for (size_t k = 0; k < 2; k++) {
		int res;
		/* The stop alone: EINTR (what the restart is for). */
		char without = stop_once(kinds[k], false, &res);
		/* With the restart at the stop: the call waits its whole timeout. */
		char with = stop_once(kinds[k], true, &res);
		print_message("%s: stopped while waiting: '%c' without the restart, '%c' with it (restart %d)\n",
			      kinds[k], without, with, res);
		assert_int_equal(without, 'E');
		assert_int_equal(with, 'T');
		assert_int_equal(res, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
