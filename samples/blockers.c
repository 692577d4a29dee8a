/* blockers: one thread blocked in each kind of wait a wall-clock profile
 * must read without disturbing it, each checking every result it gets:
 * - "reader": reader_thread -> do_pipe_read, read() of one byte on a pipe;
 * - "epoller": epoller_thread -> do_epoll_wait, epoll_wait() (200 ms
 *   timeout) on an eventfd;
 * - "locker": locker_thread -> do_mutex_lock, pthread_mutex_lock() on a
 *   mutex "holder" (holder_thread -> do_hold) keeps for 15 ms at a time;
 * - "sleeper": sleeper_thread -> do_nanosleep, nanosleep(30 ms);
 * - "semwaiter": semwaiter_thread -> do_semtimedop, semtimedop() (200 ms
 *   timeout) on a System V semaphore;
 * - "sigwaiter": sigwaiter_thread -> do_sigwaitinfo, sigwaitinfo() of
 *   a real-time signal carrying a sequence number.
 * main feeds them every 20 ms (a byte, an eventfd count, a semaphore
 * post, a queued signal). Each thread counts the calls it made, the EINTR it
 * got and the results that were wrong (a byte or signal out of sequence, a
 * timeout that came early, a sleep cut short, a broken mutex invariant); at
 * the end one line per thread goes to stderr:
 *   blockers: reader calls 250 eintr 0 wrong 0
 * (the one sample that writes when all is well: what it reports is its
 * output). Usage: blockers [SECONDS] (default 5). */
#include "common.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#define USAGE "blockers [SECONDS]"
/* A real-time signal: they queue, so a late waiter loses none (two
 * SIGUSR1 pending at once are one). */
#define SIG_SEQ SIGRTMIN

struct counts {
	const char *name;
	uint64_t calls, eintr, wrong;
};

enum { C_READER, C_EPOLLER, C_LOCKER, C_SLEEPER, C_SEMWAITER, C_SIGWAITER, C_N };
static struct counts counts[C_N] = {
	{ "reader", 0, 0, 0 }, { "epoller", 0, 0, 0 }, { "locker", 0, 0, 0 },
	{ "sleeper", 0, 0, 0 }, { "semwaiter", 0, 0, 0 }, { "sigwaiter", 0, 0, 0 },
};

static volatile int done;
static int pipe_fds[2], efd, epfd, semid;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t guarded_a, guarded_b; /* equal whenever the mutex is free */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void tally(struct counts *c, int r, int err, int ok)
{
	c->calls++;
	if (r < 0 && err == EINTR)
		c->eintr++;
	else if (!ok)
		c->wrong++;
}

NOINLINE static int do_pipe_read(unsigned char *b)
{
	ssize_t n = read(pipe_fds[0], b, 1);

	return n == 1 ? 1 : n < 0 ? -1 : 0;
}

static void *reader_thread(void *arg)
{
	unsigned char want = 0, b;

	sample_name_self("reader");
	while (!done) {
		int r = do_pipe_read(&b);
		int e = errno;

		if (r == 0)
			break; /* main closed the pipe */
		tally(&counts[C_READER], r, e, r == 1 && b == want);
		if (r == 1)
			want = (unsigned char)(b + 1);
	}
	return arg;
}

NOINLINE static int do_epoll_wait(struct epoll_event *ev)
{
	return epoll_wait(epfd, ev, 1, 200);
}

static void *epoller_thread(void *arg)
{
	sample_name_self("epoller");
	while (!done) {
		struct epoll_event ev;
		uint64_t t0 = mono_ns();
		int r = do_epoll_wait(&ev);
		int e = errno, ok = 0;

		if (r == 1) {
			uint64_t v = 0;

			ok = ev.data.u32 == 7 && (ev.events & EPOLLIN) && read(efd, &v, 8) == 8 && v >= 1;
		} else if (r == 0) {
			ok = mono_ns() - t0 >= 199000000ull; /* a timeout never comes early */
		}
		tally(&counts[C_EPOLLER], r, e, ok);
	}
	return arg;
}

NOINLINE static int do_mutex_lock(void)
{
	return pthread_mutex_lock(&mutex);
}

static void *locker_thread(void *arg)
{
	struct timespec gap = { 0, 1000000 };

	sample_name_self("locker");
	while (!done) {
		int r = do_mutex_lock();

		if (r == 0) {
			tally(&counts[C_LOCKER], 0, 0, guarded_a == guarded_b);
			guarded_a++;
			guarded_b++;
			pthread_mutex_unlock(&mutex);
		} else {
			tally(&counts[C_LOCKER], -1, r, 0);
		}
		nanosleep(&gap, NULL);
	}
	return arg;
}

NOINLINE static void do_hold(void)
{
	struct timespec hold = { 0, 15000000 };

	pthread_mutex_lock(&mutex);
	guarded_a++; /* broken while held */
	nanosleep(&hold, NULL);
	guarded_b++;
	pthread_mutex_unlock(&mutex);
}

static void *holder_thread(void *arg)
{
	struct timespec gap = { 0, 200000 };

	sample_name_self("holder");
	while (!done) {
		do_hold();
		nanosleep(&gap, NULL);
	}
	return arg;
}

NOINLINE static int do_nanosleep(void)
{
	struct timespec ts = { 0, 30000000 };

	return nanosleep(&ts, NULL);
}

static void *sleeper_thread(void *arg)
{
	sample_name_self("sleeper");
	while (!done) {
		uint64_t t0 = mono_ns();
		int r = do_nanosleep();
		int e = errno;

		tally(&counts[C_SLEEPER], r, e, r == 0 && mono_ns() - t0 >= 30000000ull);
	}
	return arg;
}

NOINLINE static int do_semtimedop(void)
{
	struct sembuf op = { 0, -1, 0 };
	struct timespec ts = { 0, 200000000 };

	return semtimedop(semid, &op, 1, &ts);
}

static void *semwaiter_thread(void *arg)
{
	sample_name_self("semwaiter");
	while (!done) {
		uint64_t t0 = mono_ns();
		int r = do_semtimedop();
		int e = errno;

		tally(&counts[C_SEMWAITER], r, e,
		      r == 0 || (e == EAGAIN && mono_ns() - t0 >= 199000000ull));
	}
	return arg;
}

NOINLINE static int do_sigwaitinfo(const sigset_t *set, siginfo_t *si)
{
	return sigwaitinfo(set, si);
}

static void *sigwaiter_thread(void *arg)
{
	sigset_t set;
	int want = 0;

	sample_name_self("sigwaiter");
	sigemptyset(&set);
	sigaddset(&set, SIG_SEQ);
	while (!done) {
		siginfo_t si;
		int r = do_sigwaitinfo(&set, &si);
		int e = errno;

		if (r == SIG_SEQ && si.si_value.sival_int < 0)
			break; /* main's last one */
		int ok = r == SIG_SEQ && si.si_code == SI_QUEUE && si.si_value.sival_int == want;

		if (!ok && !(r < 0 && e == EINTR) && !counts[C_SIGWAITER].wrong)
			fprintf(stderr, "blockers: sigwaiter: first wrong: returned %d (%s), code %d, value %d, expected %d\n",
				r, r < 0 ? strerror(e) : "-", r > 0 ? si.si_code : 0, r > 0 ? si.si_value.sival_int : 0, want);
		tally(&counts[C_SIGWAITER], r, e, ok);
		if (r == SIG_SEQ)
			want = si.si_value.sival_int + 1;
	}
	return arg;
}

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	void *(*fns[])(void *) = { reader_thread, epoller_thread, locker_thread, holder_thread,
				   sleeper_thread, semwaiter_thread, sigwaiter_thread };
	enum { NT = sizeof(fns) / sizeof(fns[0]) };
	pthread_t th[NT];
	sigset_t all, old;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 };
	unsigned char seq = 0;
	int sig_seq = 0;

	must(pipe(pipe_fds) == 0, "blockers: pipe");
	must((efd = eventfd(0, EFD_NONBLOCK)) >= 0, "blockers: eventfd");
	must((epfd = epoll_create1(0)) >= 0, "blockers: epoll_create1");
	must(epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) == 0, "blockers: epoll_ctl");
	must((semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) >= 0, "blockers: semget");
	/* Workers get every signal blocked (the run-time alarm lands on main;
	 * SIG_SEQ waits for sigwaitinfo), so an EINTR is nobody's but a
	 * profiler's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < NT; i++)
		must(pthread_create(&th[i], NULL, fns[i], NULL) == 0, "blockers: pthread_create");
	sigaddset(&old, SIG_SEQ);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sample_arm(seconds);
	while (!sample_stop) {
		struct timespec tick = { 0, 20000000 };
		uint64_t one = 1;
		struct sembuf post = { 0, 1, 0 };
		union sigval v = { .sival_int = sig_seq++ };

		must(write(pipe_fds[1], &seq, 1) == 1, "blockers: write");
		seq++;
		must(write(efd, &one, 8) == 8, "blockers: eventfd write");
		must(semop(semid, &post, 1) == 0, "blockers: semop");
		must(pthread_sigqueue(th[6], SIG_SEQ, v) == 0, "blockers: pthread_sigqueue");
		nanosleep(&tick, NULL); /* the alarm may cut it short: main is not counted */
	}
	done = 1;
	close(pipe_fds[1]);
	union sigval last = { .sival_int = -1 };
	pthread_sigqueue(th[6], SIG_SEQ, last);
	for (int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	semctl(semid, 0, IPC_RMID);
	for (int i = 0; i < C_N; i++)
		fprintf(stderr, "blockers: %s calls %llu eintr %llu wrong %llu\n", counts[i].name,
			(unsigned long long)counts[i].calls, (unsigned long long)counts[i].eintr,
			(unsigned long long)counts[i].wrong);
	return 0;
}
