/*
 * test_ptrace: the ptrace mechanics on real forked children: seize every
 * thread, follow clones, stop and read registers, keep the user's group-stop,
 * re-inject signals exactly once, survive exec, detach clean; the memory
 * reader; /proc thread state.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/system/ptrace_probe.h"

#include "profiler/base/procstat.h"
#include "profiler/capture/ptrace.h"
#include "profiler/base/util.h"

static unsigned char pattern[3 * 4096 + 123];

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *spin_thread(void *arg)
{
	volatile unsigned long x = 0;
	(void)arg;
	for (;;)
		x++;
	return NULL;
}

static void *sleep_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A child with n extra threads (alternately spinning and sleeping). */
static pid_t spawn_threads(int n)
{
	pid_t c = fork();
	if (c == 0) {
		alarm(60); /* never outlive the test */
		for (int i = 0; i < n; i++) {
			pthread_t th;
			pthread_create(&th, NULL, i % 2 ? sleep_thread : spin_thread, NULL);
		}
		for (;;)
			pause();
	}
	return c;
}

static int count_tasks(pid_t pid)
{
	pid_t *tids;
	int n = procstat_tasks(pid, &tids);
	free(tids);
	return n;
}

static void wait_tasks(pid_t pid, int n)
{
	for (int i = 0; i < 500 && count_tasks(pid) < n; i++)
		msleep(10);
}

static int status_field(pid_t pid, pid_t tid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int v = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl)) {
			char *s = line + kl;
			while (*s == ' ' || *s == '\t')
				s++;
			v = (*s >= '0' && *s <= '9') ? atoi(s) : *s;
			break;
		}
	fclose(f);
	return v;
}

/* True when no thread of pid is traced. */
static bool untraced(pid_t pid)
{
	pid_t *tids;
	int n = procstat_tasks(pid, &tids);
	bool ok = n > 0;
	for (int i = 0; i < n; i++)
		/* -1: the thread ended between the listing and this read. */
		if (status_field(pid, tids[i], "TracerPid:") > 0)
			ok = false;
	free(tids);
	return ok;
}

static void kill_child(pid_t c)
{
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
}

struct tick_count {
	int stopped;
	int regs_ok;
};

static void on_stop(struct ptrace_proc *p, struct ptrace_thread *t, void *arg)
{
	struct tick_count *tc = arg;
	struct user_regs_struct regs;
	(void)p;
	tc->stopped++;
	if (ptrace_thread_regs(t->tid, &regs) == 0 && regs.rip != 0 && regs.rsp != 0)
		tc->regs_ok++;
}

/* Interrupts every running thread and collects the stops. */
static struct tick_count tick(struct ptrace_proc *p)
{
	struct tick_count tc = { 0, 0 };
	ptrace_proc_poll(p);
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].state == PT_RUNNING)
			ptrace_thread_interrupt(p, &p->threads[i]);
	ptrace_proc_collect(p, 1000000000ull, on_stop, &tc);
	return tc;
}

static void test_attach_stop_detach(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	pid_t c = spawn_threads(7);
	wait_tasks(c, 8);
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach(&p, c), 0);
	assert_int_equal((int)p.nthreads, 8);
	for (int k = 0; k < 20; k++) {
		struct tick_count tc = tick(&p);
		assert_int_equal(tc.stopped, 8);
		assert_int_equal(tc.regs_ok, 8);
	}
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
	assert_true(untraced(c));
	/* Still alive and running (not stopped). */
	assert_int_equal(kill(c, 0), 0);
	char st = procstat_state(c, c);
	assert_true(st != 'T' && st != 't');
	kill_child(c);
}

static void *late_thread(void *arg)
{
	(void)arg;
	msleep(50);
	return NULL;
}

/* A child that keeps creating short threads: every one must be followed. */
static void test_follows_clones(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	pid_t c = fork();
	if (c == 0) {
		alarm(60);
		for (;;) {
			pthread_t th[4];
			for (int i = 0; i < 4; i++)
				pthread_create(&th[i], NULL, late_thread, NULL);
			for (int i = 0; i < 4; i++)
				pthread_join(th[i], NULL);
		}
	}
	msleep(20);
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach(&p, c), 0);
	int max_threads = 0;
	uint64_t t0 = now_ns();
	while (now_ns() - t0 < 600000000ull) {
		struct tick_count tc = tick(&p);
		assert_int_equal(tc.regs_ok, tc.stopped);
		if ((int)p.nthreads > max_threads)
			max_threads = (int)p.nthreads;
		/* Every thread we hold is a real thread of the child. */
		for (size_t i = 0; i < p.nthreads; i++) {
			char s = procstat_state(c, p.threads[i].tid);
			assert_true(s != 0 || p.threads[i].state == PT_RUNNING);
		}
		msleep(5);
	}
	assert_true(max_threads >= 3);
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
	assert_true(untraced(c));
	kill_child(c);
}

static volatile unsigned *clones_made;

static void *short_thread(void *arg)
{
	(void)arg;
	return NULL;
}

static void *vfork_thread(void *arg)
{
	(void)arg;
	/* The parent sits in uninterruptible sleep until its child exits: an
	 * interrupt does not stop it before then. */
	if (vfork() == 0) {
		struct timespec ts = { 0, 400000000L };
		nanosleep(&ts, NULL);
		_exit(0);
	}
	return NULL;
}

/* While collect waits for a thread that cannot stop yet, another thread it
 * did not interrupt keeps creating threads: each clone event stops it, and it
 * must be let go at once, not held until collect's deadline. */
static void test_clone_served_while_collecting(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	clones_made = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(clones_made != MAP_FAILED);
	*clones_made = 0;
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t c = fork();
	if (c == 0) {
		alarm(60);
		close(go[1]);
		char b;
		if (read(go[0], &b, 1) != 1)
			_exit(2);
		pthread_t v;
		pthread_create(&v, NULL, vfork_thread, NULL);
		for (;;) {
			pthread_t th;
			if (pthread_create(&th, NULL, short_thread, NULL) == 0) {
				pthread_join(th, NULL);
				__atomic_add_fetch(clones_made, 1, __ATOMIC_RELAXED);
			}
		}
	}
	close(go[0]);
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach(&p, c), 0);
	assert_int_equal(write(go[1], "x", 1), 1);
	/* Wait for the vfork parent: the one thread of the child in state D. */
	pid_t vt = 0;
	for (int k = 0; k < 2000 && !vt; k++) {
		ptrace_proc_poll(&p);
		for (size_t i = 0; i < p.nthreads; i++)
			if (p.threads[i].tid != c && procstat_state(c, p.threads[i].tid) == 'D')
				vt = p.threads[i].tid;
		msleep(1);
	}
	assert_true(vt != 0);
	struct ptrace_thread *t = ptrace_proc_find(&p, vt);
	assert_non_null(t);
	assert_int_equal(ptrace_thread_interrupt(&p, t), 0);
	unsigned before = __atomic_load_n(clones_made, __ATOMIC_RELAXED);
	struct tick_count tc = { 0, 0 };
	ptrace_proc_collect(&p, 250000000ull, on_stop, &tc);
	unsigned during = __atomic_load_n(clones_made, __ATOMIC_RELAXED) - before;
	/* Held at its first clone, the creator would have made at most one. */
	if (during < 3)
		print_message("threads made while collect waited 250 ms: %u\n", during);
	assert_true(during >= 3);
	/* A vfork parent is detached only once its child is gone. */
	msleep(450);
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
	assert_true(untraced(c));
	kill_child(c);
	close(go[1]);
	munmap((void *)clones_made, 4096);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

/* Signals sent while traced and ticked are delivered exactly once each. */
static void test_signals_reinjected(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	int to_child[2], from_child[2];
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid_t c = fork();
	if (c == 0) {
		alarm(60);
		close(to_child[1]);
		close(from_child[0]);
		signal(SIGUSR1, on_usr1);
		pthread_t th;
		pthread_create(&th, NULL, spin_thread, NULL);
		char b;
		/* On each byte, report how many SIGUSR1 arrived so far. */
		while (read(to_child[0], &b, 1) == 1) {
			int n = got_usr1;
			if (write(from_child[1], &n, sizeof(n)) != sizeof(n))
				_exit(2);
		}
		_exit(0);
	}
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach(&p, c), 0);
	wait_tasks(c, 2);
	for (int i = 0; i < 10; i++)
		tick(&p);
	int sent = 0;
	for (int i = 0; i < 20; i++) {
		kill(c, SIGUSR1);
		sent++;
		/* Ticks while the signal is in flight, then wait for the handler. */
		tick(&p);
		int n = 0;
		for (int k = 0; k < 200; k++) {
			tick(&p);
			char b = 'x';
			assert_int_equal(write(to_child[1], &b, 1), 1);
			/* The child's read may be interrupted by our stops: keep ticking. */
			for (;;) {
				ptrace_proc_poll(&p);
				fd_set fs;
				FD_ZERO(&fs);
				FD_SET(from_child[0], &fs);
				struct timeval tv = { 0, 1000 };
				if (select(from_child[0] + 1, &fs, NULL, NULL, &tv) > 0)
					break;
			}
			assert_int_equal(read(from_child[0], &n, sizeof(n)), (int)sizeof(n));
			if (n == sent)
				break;
		}
		assert_int_equal(n, sent);
	}
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
	assert_true(untraced(c));
	/* None extra after detach either. */
	char b = 'x';
	int n = 0;
	assert_int_equal(write(to_child[1], &b, 1), 1);
	assert_int_equal(read(from_child[0], &n, sizeof(n)), (int)sizeof(n));
	assert_int_equal(n, sent);
	close(to_child[1]);
	int status;
	assert_int_equal(waitpid(c, &status, 0), c);
	if (!WIFEXITED(status))
		print_message("status %#x\n", status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static bool all_state(pid_t pid, char want)
{
	pid_t *tids;
	int n = procstat_tasks(pid, &tids);
	bool ok = n > 0;
	for (int i = 0; i < n; i++) {
		char s = procstat_state(pid, tids[i]);
		if (s != want)
			ok = false;
	}
	free(tids);
	return ok;
}

/* A SIGSTOP sent by the user while we trace stays in force while we tick, and
 * after we detach; SIGCONT then resumes the child. */
static void test_group_stop_kept(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	pid_t c = spawn_threads(3);
	wait_tasks(c, 4);
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach(&p, c), 0);
	tick(&p);
	kill(c, SIGSTOP);
	/* Every thread reaches its group-stop and is left there (LISTEN). */
	int listening = 0;
	for (int i = 0; i < 200 && listening < 4; i++) {
		ptrace_proc_poll(&p);
		listening = 0;
		for (size_t k = 0; k < p.nthreads; k++)
			listening += p.threads[k].state == PT_LISTENING;
		msleep(5);
	}
	assert_int_equal(listening, 4);
	for (int i = 0; i < 5; i++)
		tick(&p);
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
	assert_true(untraced(c));
	msleep(50);
	assert_true(all_state(c, 'T'));
	kill(c, SIGCONT);
	bool running = false;
	for (int i = 0; i < 100 && !running; i++) {
		msleep(10);
		char s = procstat_state(c, c);
		running = s != 'T' && s != 't';
	}
	assert_true(running);
	kill_child(c);
}

/* A child stopped before we attach stays stopped after we detach. */
static void test_stopped_before_attach(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	pid_t c = spawn_threads(2);
	wait_tasks(c, 3);
	kill(c, SIGSTOP);
	for (int i = 0; i < 100 && !all_state(c, 'T'); i++)
		msleep(5);
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach(&p, c), 0);
	for (int i = 0; i < 5; i++) {
		tick(&p);
		msleep(5);
	}
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
	assert_true(untraced(c));
	msleep(50);
	assert_true(all_state(c, 'T'));
	kill(c, SIGCONT);
	kill_child(c);
}

/* SIGCONT while we trace a stopped child lets it run again. */
static void test_sigcont_while_traced(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	pid_t c = spawn_threads(1);
	wait_tasks(c, 2);
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach(&p, c), 0);
	kill(c, SIGSTOP);
	for (int i = 0; i < 50; i++) {
		ptrace_proc_poll(&p);
		msleep(2);
	}
	kill(c, SIGCONT);
	for (int i = 0; i < 50; i++) {
		ptrace_proc_poll(&p);
		msleep(2);
	}
	int running = 0;
	for (size_t k = 0; k < p.nthreads; k++)
		running += p.threads[k].state == PT_RUNNING;
	assert_int_equal(running, 2);
	/* The spinning thread really runs: it is seen in state R. */
	bool seen_r = false;
	for (int i = 0; i < 100 && !seen_r; i++) {
		ptrace_proc_poll(&p);
		pid_t *tids;
		int n = procstat_tasks(c, &tids);
		for (int k = 0; k < n; k++)
			seen_r |= procstat_state(c, tids[k]) == 'R';
		free(tids);
		msleep(2);
	}
	assert_true(seen_r);
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
	assert_true(untraced(c));
	kill_child(c);
}

/* exec in a multi-threaded child: one thread left, exec reported, detach clean,
 * the new program runs to its end with its own exit status. */
static void test_exec(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t c = fork();
	if (c == 0) {
		alarm(60);
		pthread_t th;
		pthread_create(&th, NULL, sleep_thread, NULL);
		char b;
		if (read(go[0], &b, 1) != 1)
			_exit(3);
		execl("/bin/sh", "sh", "-c", "sleep 0.3; exit 7", (char *)NULL);
		_exit(4);
	}
	close(go[0]);
	wait_tasks(c, 2);
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach(&p, c), 0);
	assert_int_equal((int)p.nthreads, 2);
	assert_int_equal(write(go[1], "x", 1), 1);
	for (int i = 0; i < 100 && !p.exec_seen; i++) {
		tick(&p);
		msleep(2);
	}
	assert_true(p.exec_seen);
	assert_int_equal((int)p.nthreads, 1);
	assert_int_equal(p.threads[0].tid, c);
	struct tick_count tc = tick(&p);
	assert_int_equal(tc.regs_ok, 1);
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
	int status;
	assert_int_equal(waitpid(c, &status, 0), c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
}

/* The child exits while traced: the exit is seen and its status kept. */
static void test_target_exit(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	pid_t c = fork();
	if (c == 0) {
		pthread_t th;
		pthread_create(&th, NULL, spin_thread, NULL);
		msleep(100);
		_exit(5);
	}
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach(&p, c), 0);
	for (int i = 0; i < 500 && !p.exited; i++) {
		tick(&p);
		msleep(2);
	}
	assert_true(p.exited);
	assert_true(WIFEXITED(p.exit_status));
	assert_int_equal(WEXITSTATUS(p.exit_status), 5);
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
}

/* With FOLLOW_FORKS a forked child is traced from its first instruction,
 * and after adopt + detach both processes run on untraced. */
static void test_follow_forks(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t c = fork();
	if (c == 0) {
		alarm(60);
		char b;
		if (read(go[0], &b, 1) != 1)
			_exit(3);
		pid_t g = fork();
		if (g == 0) {
			alarm(60);
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	close(go[0]);
	struct ptrace_proc p;
	assert_int_equal(ptrace_proc_attach_flags(&p, c, PTRACE_PROC_FOLLOW_FORKS), 0);
	assert_int_equal(write(go[1], "x", 1), 1);
	for (int i = 0; i < 200 && !p.nforked; i++) {
		ptrace_proc_poll(&p);
		msleep(2);
	}
	assert_int_equal((int)p.nforked, 1);
	pid_t g = p.forked[0];
	assert_int_equal(p.forked_by[0], c);
	assert_int_equal(status_field(g, g, "TracerPid:"), (int)getpid());
	struct ptrace_proc gp;
	ptrace_proc_adopt(&gp, g, &p);
	p.nforked = 0;
	for (int i = 0; i < 5; i++) {
		ptrace_proc_poll(&gp);
		struct tick_count tc = tick(&gp);
		assert_int_equal(tc.stopped, tc.regs_ok);
		msleep(2);
	}
	ptrace_proc_detach(&gp);
	ptrace_proc_release(&gp);
	ptrace_proc_detach(&p);
	ptrace_proc_release(&p);
	assert_true(untraced(c));
	assert_true(untraced(g));
	char st = procstat_state(g, g);
	assert_true(st == 'S' || st == 'R');
	kill(g, SIGKILL);
	kill_child(c);
}

static void test_attach_errors(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	struct ptrace_proc p;
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	waitpid(c, NULL, 0);
	assert_int_equal(ptrace_proc_attach(&p, c), -ESRCH);
	ptrace_proc_release(&p);
	/* Ourselves: a process cannot trace its own thread group. */
	assert_int_equal(ptrace_proc_attach(&p, getpid()), -EPERM);
	ptrace_proc_release(&p);
}

static void test_mem_read(void **state)
{
	(void)state;
	REQUIRE_PTRACE();
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i * 7 + 3);
	pid_t c = spawn_threads(0); /* the child shares our layout after fork */
	struct ptrace_mem *m = xmalloc(sizeof(*m));
	ptrace_mem_init(m, c);
	unsigned char buf[sizeof(pattern)];
	assert_int_equal(ptrace_mem_read(m, (uintptr_t)pattern, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pattern, sizeof(pattern));
	/* Words straddling a page boundary, then from the cache. */
	uint64_t reads = m->reads;
	uintptr_t edge = ((uintptr_t)pattern + 4096) & ~(uintptr_t)4095;
	uint64_t w;
	assert_int_equal(ptrace_mem_read(m, edge - 4, &w, 8), 0);
	assert_memory_equal(&w, (void *)(edge - 4), 8);
	assert_int_equal(m->reads, reads);
	assert_true(m->hits > 0);
	/* An unmapped address fails cleanly. */
	assert_int_equal(ptrace_mem_read(m, 8, &w, 8), -EFAULT);
	ptrace_mem_reset(m);
	assert_int_equal(ptrace_mem_read(m, (uintptr_t)pattern + 100, &w, 8), 0);
	assert_memory_equal(&w, pattern + 100, 8);
	free(m);
	kill_child(c);
}

static void test_procstat(void **state)
{
	(void)state;
	struct procstat st;
	assert_int_equal(procstat_read(getpid(), getpid(), &st), 0);
	assert_int_equal(st.state, 'R');
	char comm[64] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	assert_string_equal(st.comm, comm);
	pid_t c = fork();
	if (c == 0) {
		alarm(10);
		pause();
		_exit(0);
	}
	char s = 0;
	for (int i = 0; i < 100 && s != 'S'; i++) {
		msleep(2);
		s = procstat_state(c, c);
	}
	assert_int_equal(s, 'S');
	kill_child(c);
	assert_int_equal(procstat_read(c, c, &st), -ENOENT);
	assert_string_equal(procstat_state_label('S'), "[sleeping]");
	assert_string_equal(procstat_state_label('D'), "[I/O wait]");
	assert_string_equal(procstat_state_label('R'), "[running]");
	assert_non_null(procstat_state_label('?'));
}

/* The CPU-arrival count tells the cpu-mode sampler whether a thread in state R
 * was on a CPU or waiting for one: it must grow each time a sleeper is given a
 * CPU again, and not while the thread cannot run. */
static void test_procstat_runs(void **state)
{
	(void)state;
	uint64_t self = 0;
	assert_int_equal(procstat_runs(getpid(), getpid(), &self), 0);
	pid_t c = fork();
	if (c == 0) {
		alarm(10);
		for (;;) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	msleep(20);
	uint64_t r0 = 0, r1 = 0, r2 = 0;
	assert_int_equal(procstat_runs(c, c, &r0), 0);
	msleep(100);
	assert_int_equal(procstat_runs(c, c, &r1), 0);
	if (r0 == 0 && r1 == 0) {
		kill_child(c);
		skip(); /* a kernel without CONFIG_SCHED_INFO counts nothing */
	}
	/* About 100 wake-ups from its 1 ms sleeps; a loaded machine delays some. */
	print_message("runs: %llu wake-ups in 100 ms of 1 ms sleeps\n", (unsigned long long)(r1 - r0));
	assert_true(r1 >= r0 + 10);
	/* Stopped: not given a CPU, so the count stands still. */
	kill(c, SIGSTOP);
	char st = 0;
	for (int i = 0; i < 500 && st != 'T'; i++) {
		msleep(2);
		st = procstat_state(c, c);
	}
	assert_int_equal(st, 'T');
	assert_int_equal(procstat_runs(c, c, &r1), 0);
	msleep(50);
	assert_int_equal(procstat_runs(c, c, &r2), 0);
	assert_true(r2 == r1);
	kill_child(c);
	assert_int_equal(procstat_runs(c, c, &r2), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_stop_detach),
		cmocka_unit_test(test_follows_clones),
		cmocka_unit_test(test_clone_served_while_collecting),
		cmocka_unit_test(test_signals_reinjected),
		cmocka_unit_test(test_group_stop_kept),
		cmocka_unit_test(test_stopped_before_attach),
		cmocka_unit_test(test_sigcont_while_traced),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_target_exit),
		cmocka_unit_test(test_follow_forks),
		cmocka_unit_test(test_attach_errors),
		cmocka_unit_test(test_mem_read),
		cmocka_unit_test(test_procstat),
		cmocka_unit_test(test_procstat_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
