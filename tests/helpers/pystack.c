/*
 * pystack: prints the Python stacks of a running CPython process the way
 * prowl reads them (profiler/capture/python.c), for the integration tests.
 * Usage: pystack PID
 *        pystack --live N PID
 * Stops every thread (PTRACE_SEIZE + PTRACE_INTERRUPT), walks, detaches.
 * --live walks N times while the target runs (no stop, one code cache) and
 * prints "live: W walks, F frames, T truncated threads, E failed walks": the
 * target changes under the walker, which must come back every time.
 * stdout: one line per frame, innermost first, threads in list order:
 *   TID<TAB>co_name<TAB>qualname<TAB>file<TAB>line<TAB>entry|-
 * stderr: "python 3.X.Y MODULE", "walk: ... reads, N us", "names: N threads, R reads, U us (first read: ...)" (then
 * "name: TID NAME" each; threading's names) and "gil: TID|none|unknown". Exit 0, 1 on a
 * walk error, 2 when no supported CPython was found (the reason on stderr).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "profiler/base/util.h"
#include "profiler/capture/python.h"

static pid_t tids[4096];
static unsigned long nreads;

static int counting_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	nreads++;
	return python_read_pid(ctx, addr, buf, len);
}
static int ntids;

static void stop_all(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) && ntids < 4096) {
		pid_t t = (pid_t)atoi(e->d_name);
		if (t <= 0 || ptrace(PTRACE_SEIZE, t, 0, 0) < 0)
			continue;
		tids[ntids++] = t;
		ptrace(PTRACE_INTERRUPT, t, 0, 0);
		int st;
		waitpid(t, &st, __WALL);
	}
	closedir(d);
}

static int live(const struct python_target *t, pid_t pid, long n)
{
	struct py_code_cache *cache = python_cache_new();
	unsigned long frames = 0, truncated = 0, failed = 0, with_frames = 0;
	for (long i = 0; i < n; i++) {
		struct py_stacks s;
		if (python_read_stacks(t, python_read_pid, &pid, cache, &s) < 0) {
			failed++;
			continue;
		}
		size_t nf = 0;
		for (size_t j = 0; j < s.nthreads; j++) {
			nf += s.threads[j].nframes;
			truncated += s.threads[j].truncated;
		}
		frames += nf;
		with_frames += nf > 0;
		python_stacks_release(&s);
	}
	python_cache_free(cache);
	printf("live: %ld walks, %lu with frames, %lu frames, %lu truncated threads, %lu failed walks\n", n,
	       with_frames, frames, truncated, failed);
	return 0;
}

int main(int argc, char **argv)
{
	long nlive = 0;
	if (argc == 4 && strcmp(argv[1], "--live") == 0) {
		nlive = atol(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: pystack [--live N] PID\n");
		return 2;
	}
	pid_t pid = (pid_t)atoi(argv[1]);
	struct python_target t;
	struct strbuf err;
	strbuf_init(&err);
	int rc = python_detect(pid, python_read_pid, &pid, &t, &err);
	if (rc < 0) {
		fprintf(stderr, "pystack: %s\n", err.len ? err.buf : "no python found");
		strbuf_release(&err);
		return 2;
	}
	strbuf_release(&err);
	fprintf(stderr, "python %d.%d.%d %s\n", t.major, t.minor, t.micro, t.module);
	fprintf(stderr, "eval: %#llx-%#llx cold: %#llx-%#llx\n", (unsigned long long)t.eval[0][0],
		(unsigned long long)t.eval[0][1], (unsigned long long)t.eval[1][0], (unsigned long long)t.eval[1][1]);
	if (nlive > 0)
		return live(&t, pid, nlive);
	stop_all(pid);
	/* Walked twice, the second time with what the first put in the code
	 * cache; what is printed is the second walk, its cost beside the first's. */
	struct py_stacks s;
	struct py_code_cache *cache = python_cache_new();
	uint64_t t0 = now_ns();
	rc = python_read_stacks(&t, counting_read, &pid, cache, &s);
	uint64_t t1 = now_ns();
	unsigned long reads1 = nreads;
	if (rc == 0) {
		python_stacks_release(&s);
		nreads = 0;
		t0 = now_ns();
		rc = python_read_stacks(&t, counting_read, &pid, cache, &s);
		t1 = now_ns();
	}
	python_cache_free(cache);
	/* The threads' names (threading), read in the same stop: their cost. */
	struct py_names names;
	struct py_names_hint hint = { 0, 0, 0, 0 };
	unsigned long wreads = nreads;
	nreads = 0;
	uint64_t n0 = now_ns();
	int nrc = python_read_names(&t, counting_read, &pid, &hint, &names);
	uint64_t n1 = now_ns();
	unsigned long name_reads1 = nreads;
	uint64_t first_us = (n1 - n0) / 1000;
	if (nrc == 0) { /* again, from where the first found threading and _active */
		python_names_release(&names);
		nreads = 0;
		n0 = now_ns();
		nrc = python_read_names(&t, counting_read, &pid, &hint, &names);
		n1 = now_ns();
	}
	unsigned long name_reads = nreads;
	nreads = wreads;
	for (int i = 0; i < ntids; i++)
		ptrace(PTRACE_DETACH, tids[i], 0, 0);
	if (nrc == 0) {
		fprintf(stderr, "names: %zu threads, %lu reads, %llu us (first read: %lu reads, %llu us)\n", names.n,
			name_reads, (unsigned long long)((n1 - n0) / 1000), name_reads1, (unsigned long long)first_us);
		for (size_t i = 0; i < names.n; i++)
			fprintf(stderr, "name: %u %s\n", names.v[i].tid, names.v[i].name);
		python_names_release(&names);
	} else {
		fprintf(stderr, "names: none (%s)\n", strerror(-nrc));
	}
	if (rc < 0) {
		fprintf(stderr, "pystack: cannot read the interpreter list\n");
		return 1;
	}
	size_t nf = 0;
	for (size_t i = 0; i < s.nthreads; i++)
		nf += s.threads[i].nframes;
	fprintf(stderr, "walk: %zu threads, %zu frames, %lu reads (first walk: %lu), %llu us\n", s.nthreads, nf, nreads,
		reads1, (unsigned long long)((t1 - t0) / 1000));
	uint32_t gil = 0;
	for (size_t i = 0; i < s.nthreads; i++) {
		const struct py_thread *th = &s.threads[i];
		if (th->holds_gil)
			gil = th->tid;
		for (size_t j = 0; j < th->nframes; j++) {
			const struct py_frame *f = &th->frames[j];
			printf("%u\t%s\t%s\t%s\t%d\t%s\n", th->tid, f->co_name, f->name, f->file, f->line,
			       f->is_entry ? "entry" : "-");
		}
		if (th->truncated)
			fprintf(stderr, "thread %u: truncated\n", th->tid);
	}
	if (!s.gil_known)
		fprintf(stderr, "gil: unknown\n");
	else if (gil)
		fprintf(stderr, "gil: %u\n", gil);
	else
		fprintf(stderr, "gil: none\n");
	python_stacks_release(&s);
	strbuf_release(&err);
	return 0;
}
