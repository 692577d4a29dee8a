/* Unit tests for profiler/session.c driven by a fake backend: samples with
 * known addresses go through the aggregator and the symbolizer into a
 * struct profile (names, threads, thread filter, wall states, unknowns,
 * lost counts, snapshots with reset). The "target" is a forked child of this
 * test: same binary, same addresses. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiler/capture/sampler.h"
#include "profiler/capture/session.h"

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t fake_leaf(uint64_t x)
{
	for (int i = 0; i < 100; i++)
		sink = x = x * 31 + (uint64_t)i;
	return x;
}

__attribute__((noinline)) static uint64_t fake_caller(uint64_t x)
{
	for (int i = 0; i < 100; i++)
		sink = x = fake_leaf(x) + (uint64_t)i;
	return x;
}

static pid_t child;

/* What the fake backend emits on its first poll. */
static void emit_all(struct sampler *s)
{
	struct sampler_event ev;
	uint64_t ips[3] = {
		(uint64_t)(uintptr_t)&fake_leaf + 8,   /* sampled pc */
		(uint64_t)(uintptr_t)&fake_caller + 9, /* return address (looked up at -1) */
	};
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_COMM;
	ev.pid = child;
	ev.tid = child;
	ev.comm.name = "worker-1";
	s->env.emit(s->env.ctx, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_FORK; /* a second thread, renamed after */
	ev.pid = child;
	ev.tid = child + 100000;
	ev.fork.ppid = child;
	ev.fork.ptid = child;
	s->env.emit(s->env.ctx, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_COMM;
	ev.pid = child;
	ev.tid = child + 100000;
	ev.comm.name = "other";
	s->env.emit(s->env.ctx, &ev);

	for (int i = 0; i < 7; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = SAMPLER_SAMPLE;
		ev.pid = ev.sample.pid = child;
		ev.tid = ev.sample.tid = child;
		ev.sample.user = ips;
		ev.sample.nuser = 2;
		ev.sample.weight = 1;
		s->env.emit(s->env.ctx, &ev);
	}
	/* Wall mode: off the CPU in fake_caller. */
	uint64_t wips[1] = { (uint64_t)(uintptr_t)&fake_caller + 9 };
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_SAMPLE;
	ev.pid = ev.sample.pid = child;
	ev.tid = ev.sample.tid = child;
	ev.sample.user = wips;
	ev.sample.nuser = 1;
	ev.sample.weight = 2;
	ev.sample.state = SAMPLE_STATE_SLEEPING;
	s->env.emit(s->env.ctx, &ev);
	/* Nothing mapped there. */
	uint64_t bad[1] = { 0x10 };
	ev.sample.user = bad;
	ev.sample.weight = 1;
	ev.sample.state = SAMPLE_STATE_NONE;
	ev.sample.flags = SAMPLE_PARTIAL;
	s->env.emit(s->env.ctx, &ev);
	/* The thread "other" does not match --thread ^worker: dropped. */
	ev.tid = ev.sample.tid = child + 100000;
	ev.sample.user = ips;
	ev.sample.nuser = 2;
	ev.sample.flags = 0;
	s->env.emit(s->env.ctx, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_LOST;
	ev.lost.count = 3;
	s->env.emit(s->env.ctx, &ev);
}

static int polls;

static int fake_open(struct sampler *s)
{
	(void)s;
	polls = 0;
	return 0;
}

static int fake_start(struct sampler *s)
{
	(void)s;
	return 0;
}

static size_t fake_fds(struct sampler *s, int *fds, size_t max)
{
	(void)s;
	(void)fds;
	(void)max;
	return 0;
}

static int fake_poll(struct sampler *s)
{
	if (polls++ == 0)
		emit_all(s);
	return 0;
}

static int fake_stop(struct sampler *s)
{
	(void)s;
	return 0;
}

static void fake_close(struct sampler *s)
{
	(void)s;
}

/* The fake backends differ only in what their first poll emits. */
#define FAKE_OPS(poll_fn)                                                                               \
	{                                                                                               \
		.name = "fake", .open = fake_open, .start = fake_start, .fds = fake_fds, .poll = poll_fn, \
		.stop = fake_stop, .close = fake_close,                                                 \
	}
static const struct sampler_ops fake_ops = FAKE_OPS(fake_poll);

/* A CPython thread's sample: Python frames merged into the native stack
 * (pysample.h), innermost first: fake_leaf, handler, <module>, fake_caller. */
static int py_poll(struct sampler *s)
{
	if (polls++ != 0)
		return 0;
	uint64_t ips[2] = { (uint64_t)(uintptr_t)&fake_leaf + 8, (uint64_t)(uintptr_t)&fake_caller + 9 };
	struct py_frame pf[2] = {
		{ .name = "Handler.get", .co_name = "get", .file = "/srv/app.py", .line = 3, .is_entry = true },
		{ .name = "<module>", .co_name = "<module>", .file = "/srv/app.py", .line = 10, .is_entry = true },
	};
	struct py_merged mg[4] = { { false, 0 }, { true, 0 }, { true, 1 }, { false, 1 } };
	struct py_sample py = { .thread = { .tid = (uint32_t)child, .frames = pf, .nframes = 2 },
				.merged = mg, .nmerged = 4 };
	struct sampler_event ev;
	for (int i = 0; i < 3; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = SAMPLER_SAMPLE;
		ev.pid = ev.sample.pid = child;
		ev.tid = ev.sample.tid = child;
		ev.sample.user = ips;
		ev.sample.nuser = 2;
		ev.sample.weight = 1;
		ev.sample.python = &py;
		s->env.emit(s->env.ctx, &ev);
	}
	return 0;
}

static const struct sampler_ops py_ops = FAKE_OPS(py_poll);

/* Samples taken in the kernel without --kernel (SAMPLE_IN_KERNEL, no
 * kernel frames), and the backend's word that the kernel hid itself. */
static int kernel_poll(struct sampler *s)
{
	if (polls++ != 0)
		return 0;
	uint64_t ips[2] = { (uint64_t)(uintptr_t)&fake_leaf + 8, (uint64_t)(uintptr_t)&fake_caller + 9 };
	struct sampler_event ev;
	for (int i = 0; i < 5; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = SAMPLER_SAMPLE;
		ev.pid = ev.sample.pid = child;
		ev.tid = ev.sample.tid = child;
		ev.sample.user = ips;
		ev.sample.nuser = 2;
		ev.sample.weight = 1;
		ev.sample.flags = i < 3 ? SAMPLE_IN_KERNEL : 0;
		s->env.emit(s->env.ctx, &ev);
	}
	s->kernel_hidden = true;
	s->kernel_unseen_ns = 250000000;
	s->kernel_unseen_cpu_ns = 1000000000;
	return 0;
}

static const struct sampler_ops kernel_ops = FAKE_OPS(kernel_poll);

/* A backend whose rings can fill while nobody polls: counts the holds. */
static int holds;
static void counting_hold(struct sampler *s)
{
	(void)s;
	holds++;
}

static const struct sampler_ops hold_ops = {
	.name = "fake", .open = fake_open, .start = fake_start, .fds = fake_fds, .poll = fake_poll,
	.hold = counting_hold, .stop = fake_stop, .close = fake_close,
};

static int start_child(void **state)
{
	(void)state;
	child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	return child > 0 ? 0 : -1;
}

static int stop_child(void **state)
{
	(void)state;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return 0;
}

static uint64_t count_path(const struct profile *p, const char *const *names, size_t n, const char **thread)
{
	uint64_t total = 0;
	uint32_t frames[64];
	for (size_t i = 0; i < p->ncounts; i++) {
		size_t d = profile_node_frames(p, p->counts[i].node, frames, 64);
		if (d != n)
			continue;
		bool same = true;
		for (size_t k = 0; k < n && same; k++)
			same = !strcmp(p->frames[frames[k]].name, names[k]);
		if (same) {
			total += p->counts[i].count;
			if (thread)
				*thread = p->threads[p->counts[i].thread].name;
		}
	}
	return total;
}

/* The caller's extra fd (top's terminal): readable is told apart from hung
 * up, which reads ready for ever and gives nothing. */
/* Options for one target, the fake child (pids must outlive the session). */
static void fake_opts(struct capture_opts *co, pid_t pids[1])
{
	capture_opts_init(co);
	pids[0] = child;
	co->pids = pids;
	co->npids = 1;
}

/* A session over a fake backend, not started; fails the test when refused. */
static struct session *fake_session(struct capture_opts *co, const struct sampler_ops *ops)
{
	char *msg = NULL;
	struct session *s = session_new_with(co, ops, &msg);
	if (!s)
		fail_msg("session_new_with: %s", msg ? msg : "?");
	free(msg);
	return s;
}

static void test_extra_fd_hangup(void **state)
{
	(void)state;
	struct capture_opts co;
	pid_t pids[1];
	fake_opts(&co, pids);
	struct session *s = fake_session(&co, &fake_ops);
	assert_int_equal(session_start(s, NULL), 0);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	int ev = session_poll(s, 0, fds[0]);
	assert_true(ev >= 0);
	assert_false(ev & (SESSION_EXTRA_FD | SESSION_EXTRA_HUP));
	assert_int_equal(write(fds[1], "k", 1), 1);
	ev = session_poll(s, 0, fds[0]);
	assert_true(ev >= 0 && (ev & SESSION_EXTRA_FD));
	assert_false(ev & SESSION_EXTRA_HUP);
	char c;
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[1]);
	ev = session_poll(s, 0, fds[0]);
	assert_true(ev >= 0 && (ev & SESSION_EXTRA_FD) && (ev & SESSION_EXTRA_HUP));
	close(fds[0]);
	session_free(s);
}

static void test_samples_become_a_named_profile(void **state)
{
	(void)state;
	struct capture_opts co;
	pid_t pids[1];
	fake_opts(&co, pids);
	co.thread_regex = "^worker";
	struct session *s = fake_session(&co, &fake_ops);
	assert_int_equal(session_start(s, NULL), 0);
	int ev = session_poll(s, 0, -1);
	assert_true(ev >= 0);
	struct profile *p = session_profile(s, SESSION_PROFILE_RESET);
	assert_non_null(p);

	/* 7 on-CPU + 2 sleeping + 1 unknown; "other" filtered out. */
	assert_int_equal(p->total, 10);
	assert_int_equal(p->meta.lost, 3);
	assert_int_equal(p->meta.partial, 1);
	assert_string_equal(p->meta.backend, "fake");
	assert_int_equal(p->meta.pid, child);
	const char *thread = NULL;
	const char *cpu_path[] = { "fake_caller", "fake_leaf" };
	assert_int_equal(count_path(p, cpu_path, 2, &thread), 7);
	assert_string_equal(thread, "worker-1");
	const char *wall_path[] = { "fake_caller", "[sleeping]" };
	assert_int_equal(count_path(p, wall_path, 2, NULL), 2);
	const char *unknown[] = { "[unknown]" };
	assert_int_equal(count_path(p, unknown, 1, NULL), 1);
	for (size_t i = 0; i < p->nthreads; i++)
		assert_string_not_equal(p->threads[i].name, "other");
	/* Frames carry their module (this test binary) and kinds. */
	for (size_t i = 0; i < p->nframes; i++) {
		const struct profile_frame *f = &p->frames[i];
		if (!strcmp(f->name, "fake_leaf")) {
			assert_true(f->module >= 0);
			assert_non_null(strstr(p->modules[f->module].path, "test_session"));
			assert_int_equal(f->kind, FRAME_USER);
		}
		if (!strcmp(f->name, "[sleeping]"))
			assert_int_equal(f->kind, FRAME_STATE);
	}
	struct session_stats st;
	session_stats(s, &st);
	assert_int_equal(st.samples, 10);
	assert_int_equal(st.lost, 3);
	assert_string_equal(st.backend, "fake");
	profile_free(p);

	/* After a reset, the next snapshot counts afresh. */
	p = session_profile(s, 0);
	assert_int_equal(p->total, 0);
	profile_free(p);
	assert_int_equal(session_stop(s), 0);
	assert_int_equal(session_exit_code(s), -1); /* nothing launched */
	session_free(s);
}

/* A stop signal while symbolizing (nobody polls the signalfd then): the
 * snapshot loads no module, leaves addresses as module+offset and counts
 * them; the signal is taken so that it does not also stop the write that
 * follows, and the next poll reports it. A later snapshot resolves fully. */
static void test_stop_signal_while_symbolizing(void **state)
{
	(void)state;
	struct capture_opts co;
	pid_t pids[1];
	fake_opts(&co, pids);
	co.thread_regex = "^worker";
	struct session *s = fake_session(&co, &fake_ops);
	assert_int_equal(session_start(s, NULL), 0);
	assert_true(session_poll(s, 0, -1) >= 0);
	assert_int_equal(session_stop_pending(s), 0);
	assert_int_equal(kill(getpid(), SIGTERM), 0); /* blocked by the session: stays pending */
	assert_int_equal(session_stop_pending(s), SIGTERM);
	struct profile *p = session_profile(s, 0);
	const char *cpu_path[] = { "fake_caller", "fake_leaf" };
	assert_int_equal(count_path(p, cpu_path, 2, NULL), 0);
	bool offsets = false;
	for (size_t i = 0; i < p->nframes; i++)
		offsets |= !strncmp(p->frames[i].name, "test_session+0x", 15);
	assert_true(offsets);
	assert_int_equal(p->total, 10); /* every sample kept */
	profile_free(p);
	struct session_stats st;
	session_stats(s, &st);
	assert_true(st.unsymbolized >= 2);
	assert_int_equal(session_stop_pending(s), 0);
	int ev = session_poll(s, 0, -1);
	assert_true(ev >= 0 && (ev & SESSION_INTERRUPTED));
	p = session_profile(s, 0);
	assert_int_equal(count_path(p, cpu_path, 2, NULL), 7);
	profile_free(p);
	session_stats(s, &st);
	assert_int_equal(st.unsymbolized, 0);
	session_free(s);
}

/* Naming a snapshot's new stacks (nobody polls then) keeps the backend's
 * rings from overflowing: the first address to name asks for a hold, and
 * the last profile, named after the capture stopped, asks for none. */
static void test_rings_held_while_naming(void **state)
{
	(void)state;
	struct capture_opts co;
	pid_t pids[1];
	fake_opts(&co, pids);
	struct session *s = fake_session(&co, &hold_ops);
	holds = 0;
	assert_int_equal(session_start(s, NULL), 0);
	assert_true(session_poll(s, 0, -1) >= 0);
	assert_int_equal(holds, 0); /* not while polling */
	struct profile *p = session_profile(s, 0);
	const char *cpu_path[] = { "fake_caller", "fake_leaf" };
	assert_int_equal(count_path(p, cpu_path, 2, NULL), 8); /* no thread filter: "other" too */
	profile_free(p);
	assert_true(holds >= 1);
	int before = holds;
	assert_int_equal(session_stop(s), 0);
	p = session_profile(s, SESSION_PROFILE_LAST);
	assert_int_equal(count_path(p, cpu_path, 2, NULL), 8);
	profile_free(p);
	assert_int_equal(holds, before);
	session_free(s);
}

/* Python frames of a sample become FRAME_PYTHON frames (name, file, line)
 * in their place between the native ones. */
static void test_python_frames_merged(void **state)
{
	(void)state;
	struct capture_opts co;
	pid_t pids[1];
	fake_opts(&co, pids);
	struct session *s = fake_session(&co, &py_ops);
	assert_int_equal(session_start(s, NULL), 0);
	assert_true(session_poll(s, 0, -1) >= 0);
	struct profile *p = session_profile(s, 0);
	const char *path[] = { "fake_caller", "<module>", "Handler.get", "fake_leaf" };
	assert_int_equal(count_path(p, path, 4, NULL), 3);
	bool seen = false;
	for (size_t i = 0; i < p->nframes; i++) {
		const struct profile_frame *f = &p->frames[i];
		if (!strcmp(f->name, "Handler.get")) {
			seen = true;
			assert_int_equal(f->kind, FRAME_PYTHON);
			assert_string_equal(f->file, "/srv/app.py");
			assert_int_equal(f->line, 3);
			assert_int_equal(f->module, -1);
		}
		if (!strcmp(f->name, "fake_leaf"))
			assert_int_equal(f->kind, FRAME_USER);
	}
	assert_true(seen);
	profile_free(p);
	session_stop(s);
	/* record's last profile: the same stacks, and its names outlive the
	 * resolver it releases (ASan would see a name read after that); no
	 * profile can follow it. */
	p = session_profile(s, SESSION_PROFILE_LAST);
	assert_non_null(p);
	assert_int_equal(count_path(p, path, 4, NULL), 3);
	for (size_t i = 0; i < p->nframes; i++)
		if (!strcmp(p->frames[i].name, "Handler.get"))
			assert_string_equal(p->frames[i].file, "/srv/app.py");
	errno = 0;
	assert_null(session_profile(s, 0));
	assert_int_equal(errno, EINVAL);
	profile_free(p);
	session_free(s);
}

/* A sample in the kernel whose frames were not asked for ends in one
 * [kernel] leaf (a kernel frame) under its user stack; the others are
 * unchanged; hidden kernel time reaches the stats. */
static void test_kernel_leaf(void **state)
{
	(void)state;
	struct capture_opts co;
	pid_t pids[1];
	fake_opts(&co, pids);
	struct session *s = fake_session(&co, &kernel_ops);
	assert_int_equal(session_start(s, NULL), 0);
	assert_true(session_poll(s, 0, -1) >= 0);
	struct profile *p = session_profile(s, 0);
	const char *in_kernel[] = { "fake_caller", "fake_leaf", "[kernel]" };
	const char *in_user[] = { "fake_caller", "fake_leaf" };
	assert_int_equal(count_path(p, in_kernel, 3, NULL), 3);
	assert_int_equal(count_path(p, in_user, 2, NULL), 2);
	for (size_t i = 0; i < p->nframes; i++)
		if (!strcmp(p->frames[i].name, "[kernel]")) {
			assert_int_equal(p->frames[i].kind, FRAME_KERNEL);
			assert_int_equal(p->frames[i].module, -1);
		}
	profile_free(p);
	session_stop(s);
	struct session_stats st;
	session_stats(s, &st);
	assert_true(st.kernel_hidden);
	assert_int_equal(st.kernel_unseen_ns, 250000000);
	assert_int_equal(st.kernel_unseen_cpu_ns, 1000000000);
	session_free(s);
}

static void test_errors_are_one_line(void **state)
{
	(void)state;
	struct capture_opts co;
	capture_opts_init(&co);
	pid_t pids[1] = { 0x7ffffff0 };
	co.pids = pids;
	co.npids = 1;
	char *msg = NULL;
	assert_null(session_new_with(&co, &fake_ops, &msg));
	assert_non_null(msg);
	assert_non_null(strstr(msg, "no such process"));
	assert_null(strchr(msg, '\n'));
	free(msg);
	msg = NULL;
	char *argv[] = { "/nonexistent/prowl-test", NULL };
	co.pids = NULL;
	co.npids = 0;
	co.argv = argv;
	assert_null(session_new_with(&co, &fake_ops, &msg));
	assert_non_null(strstr(msg, "command not found"));
	free(msg);
}

/* A command the kernel refuses (bad ELF) fails at session_start, when the held
 * child is let go: -ENOEXEC returned and in errno (the command line's 126),
 * with a one-line message. */
static void test_bad_elf_fails_start_with_errno(void **state)
{
	(void)state;
	char path[] = "/tmp/prowl-test-badelf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const unsigned char junk[64] = { 0x7f, 'E', 'L', 'F', 9, 9, 9 };
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(chmod(path, 0755), 0);
	struct capture_opts co;
	capture_opts_init(&co);
	char *argv[] = { path, NULL };
	co.argv = argv;
	char *msg = NULL;
	struct session *s = session_new_with(&co, &fake_ops, &msg);
	if (!s)
		fail_msg("session_new_with: %s", msg ? msg : "?");
	errno = 0;
	assert_int_equal(session_start(s, &msg), -ENOEXEC);
	assert_int_equal(errno, ENOEXEC);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "cannot execute"));
	assert_null(strchr(msg, '\n'));
	free(msg);
	session_free(s);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_become_a_named_profile),
		cmocka_unit_test(test_extra_fd_hangup),
		cmocka_unit_test(test_stop_signal_while_symbolizing),
		cmocka_unit_test(test_python_frames_merged),
		cmocka_unit_test(test_rings_held_while_naming),
		cmocka_unit_test(test_errors_are_one_line),
		cmocka_unit_test(test_bad_elf_fails_start_with_errno),
		cmocka_unit_test(test_kernel_leaf),
	};
	return cmocka_run_group_tests(tests, start_child, stop_child);
}
