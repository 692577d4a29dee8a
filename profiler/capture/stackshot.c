#include "profiler/capture/stackshot.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/errstr.h"
#include "profiler/base/procstat.h"
#include "profiler/base/util.h"
#include "profiler/capture/offcpu.h"
#include "profiler/capture/ptrace.h"
#include "profiler/capture/unwind.h"

struct shot_ctx {
	struct stackshot *ss;
	struct unwinder *unwinder;
	struct ptrace_mem *mem;
	uint64_t *buf;
	size_t max;
	struct pysample_proc *python;
	char main_comm[16]; /* the process's name: a thread named so gets its Python name */
};

static struct stackshot_thread *thread_get(struct stackshot *ss, pid_t tid, bool add)
{
	for (size_t i = 0; i < ss->nthreads; i++)
		if (ss->threads[i].tid == tid)
			return &ss->threads[i];
	if (!add)
		return NULL;
	xgrow((void **)&ss->threads, &ss->cap, ss->nthreads + 1, sizeof(*ss->threads));
	struct stackshot_thread *t = &ss->threads[ss->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->err = -ETIMEDOUT; /* until it stops for us */
	t->call = -1;
	return t;
}

/* A thread's state before prowl touched it. Read before the seize: seizing
 * a stopped process turns its threads' 'T' (stopped) into 't' (traced). */
struct prestate {
	pid_t tid;
	struct procstat st;
};

static int cmp_prestate(const void *a, const void *b)
{
	pid_t x = ((const struct prestate *)a)->tid, y = ((const struct prestate *)b)->tid;
	return (x > y) - (x < y);
}

/* Every thread's state now, sorted by tid; the count (0 when unreadable). */
static size_t read_prestates(pid_t pid, struct prestate **out)
{
	pid_t *tids = NULL;
	int n = procstat_tasks(pid, &tids);
	*out = NULL;
	if (n <= 0)
		return 0;
	struct prestate *v = xcalloc((size_t)n, sizeof(*v));
	size_t k = 0;
	for (int i = 0; i < n; i++)
		if (procstat_read(pid, tids[i], &v[k].st) == 0)
			v[k++].tid = tids[i];
	free(tids);
	*out = v;
	return k;
}

static const struct procstat *find_prestate(const struct prestate *v, size_t n, pid_t tid)
{
	struct prestate key = { .tid = tid };
	const struct prestate *p = n ? bsearch(&key, v, n, sizeof(*v), cmp_prestate) : NULL;
	return p ? &p->st : NULL;
}

bool stackshot_blocked_in_syscall(long long orig_rax, long long rax)
{
	/* The stop interrupted a system call that was waiting: it returns one of
	 * the kernel's restart codes (ERESTARTSYS 512, ERESTARTNOINTR 513,
	 * ERESTARTNOHAND 514, ERESTART_RESTARTBLOCK 516), and is restarted when
	 * the thread is let go. */
	return orig_rax >= 0 && (rax == -512 || rax == -513 || rax == -514 || rax == -516);
}

char stackshot_state_at_stop(char before, bool blocked_in_syscall)
{
	/* Read just before, the letter can catch a waiting thread in the instant
	 * it was woken (a timed futex wait, a lock handed over): what the stack
	 * shows is the wait. */
	if (blocked_in_syscall && before == 'R')
		return 'S';
	return before;
}

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return ptrace_mem_read(ctx, addr, buf, len);
}

static void on_stop(struct ptrace_proc *pp, struct ptrace_thread *t, void *arg)
{
	struct shot_ctx *c = arg;
	(void)pp;
	/* Let it go for good as soon as it is read: one stop per thread. */
	t->detach_after = true;
	struct stackshot_thread *st = thread_get(c->ss, t->tid, false);
	if (!st)
		return; /* left out by --thread, or born during the dump */
	struct user_regs_struct r;
	int e = ptrace_thread_regs(t->tid, &r);
	if (e) {
		st->err = e;
		return;
	}
	st->state = stackshot_state_at_stop(st->state,
					    stackshot_blocked_in_syscall((long long)r.orig_rax, (long long)r.rax));
	struct unwind_regs ur;
	ptrace_regs_convert(&r, &ur);
	ptrace_mem_reset(c->mem);
	struct unwind_mem um = { mem_read, c->mem };
	unsigned flags = 0;
	int n = unwind_dwarf(c->unwinder, c->ss->proc->maps, &ur, &um, c->buf, c->max, &flags);
	if (n < 0) {
		st->err = n;
		return;
	}
	st->err = 0;
	st->flags = flags;
	st->npcs = (size_t)n;
	st->pcs = xmalloc(((size_t)n + 1) * sizeof(*st->pcs));
	memcpy(st->pcs, c->buf, (size_t)n * sizeof(*st->pcs));
	/* Still stopped: the Python half is of the same instant. */
	if (c->python && c->python->state == PYSAMPLE_READY &&
	    pysample_read(c->python, t->tid, st->pcs, st->npcs, &st->py) == 0 && c->main_comm[0]) {
		const char *name = pysample_thread_name(c->python, t->tid, st->name, c->main_comm);
		if (name)
			snprintf(st->name, sizeof(st->name), "%s", name);
	}
}

static int fail(struct stackshot *ss, int r)
{
	stackshot_free(ss);
	errno = -r;
	return r;
}

static char *attach_message(pid_t pid, int r)
{
	char hint[256];
	if (r == -ESRCH)
		return xasprintf("cannot dump %d: no such process (check the pid with ps)", (int)pid);
	if (r == -EOPNOTSUPP)
		return xasprintf("cannot dump %d: it is a kernel thread, with no user stack (give a user process)",
				 (int)pid);
	if ((r == -EPERM || r == -EACCES) && target_denied_hint(pid, hint, sizeof(hint)))
		return xasprintf("cannot dump %d: permission denied (%s)", (int)pid, hint);
	if (r == -EPERM || r == -EACCES)
		return xasprintf("cannot dump %d: permission denied (run as the process owner or root, and check "
				 "kernel.yama.ptrace_scope; a debugger may already be attached)",
				 (int)pid);
	return xasprintf("cannot dump %d: %s", (int)pid, errstr(-r));
}

int stackshot_take(const struct capture_opts *o, struct stackshot **out, char **errmsg)
{
	*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (o->npids != 1 || o->argv) {
		if (errmsg)
			*errmsg = xstrdup("a dump takes one running process: give -p PID once");
		errno = EINVAL;
		return -EINVAL;
	}
	pid_t pid = o->pids[0];
	regex_t re;
	if (o->thread_regex && regcomp(&re, o->thread_regex, REG_EXTENDED | REG_NOSUB)) {
		if (errmsg)
			*errmsg = xasprintf("invalid thread regex '%s'", o->thread_regex);
		errno = EINVAL;
		return -EINVAL;
	}
	struct stackshot *ss = xcalloc(1, sizeof(*ss));
	ss->pid = pid;
	ss->target = target_new();
	int r = target_attach(ss->target, pid);
	if (r < 0) {
		if (errmsg)
			*errmsg = attach_message(pid, r);
		if (o->thread_regex)
			regfree(&re);
		return fail(ss, r);
	}
	ss->proc = target_proc(ss->target, pid, false);
	/* Found before anything is stopped: the ELF work is not held time. */
	if (!o->no_python) {
		ss->python = pysample_new(pid);
		pysample_detect(ss->python, ss->proc->maps);
	}
	struct prestate *pre;
	size_t npre = read_prestates(pid, &pre);
	struct ptrace_proc pp;
	r = ptrace_proc_attach(&pp, pid);
	if (r < 0) {
		if (errmsg)
			*errmsg = attach_message(pid, r);
		ptrace_proc_release(&pp);
		free(pre);
		if (o->thread_regex)
			regfree(&re);
		return fail(ss, r);
	}
	/* The state each thread was in before we touched it (a thread born
	 * since is read now); only the threads the filter keeps are stopped. */
	for (size_t i = 0; i < pp.nthreads; i++) {
		struct procstat st;
		const struct procstat *ps = find_prestate(pre, npre, pp.threads[i].tid);
		bool have = ps ? (st = *ps, true) : procstat_read(pid, pp.threads[i].tid, &st) == 0;
		if (o->thread_regex && (!have || regexec(&re, st.comm, 0, NULL, 0) != 0))
			continue;
		struct stackshot_thread *t = thread_get(ss, pp.threads[i].tid, true);
		if (have) {
			t->state = st.state;
			snprintf(t->name, sizeof(t->name), "%s", st.comm);
		}
		/* What it waits in, read before our stop cuts the call short. */
		struct offcpu_call oc;
		if (have && (st.state == 'S' || st.state == 'D') &&
		    offcpu_read_call(pid, pp.threads[i].tid, &oc) == 0 && oc.where == OFFCPU_IN_CALL) {
			t->call = oc.nr;
			memcpy(t->call_args, oc.args, sizeof(t->call_args));
		}
		ptrace_thread_interrupt(&pp, &pp.threads[i]);
	}
	free(pre);
	if (o->thread_regex)
		regfree(&re);
	unsigned depth = o->max_depth ? o->max_depth : CAPTURE_DEFAULT_DEPTH;
	struct shot_ctx c = { ss, unwinder_new(ss->target->modules, depth), xmalloc(sizeof(struct ptrace_mem)),
			      xmalloc(depth * sizeof(uint64_t)), depth, ss->python };
	ptrace_mem_init(c.mem, pid);
	if (procstat_comm(pid, pid, c.main_comm, sizeof(c.main_comm)) != 0)
		c.main_comm[0] = 0;
	ptrace_proc_collect(&pp, STACKSHOT_WAIT_NS, on_stop, &c);
	ptrace_proc_detach(&pp);
	ptrace_proc_release(&pp);
	unwinder_free(c.unwinder);
	free(c.mem);
	free(c.buf);
	/* Threads that exited during the dump have nothing to show. */
	size_t k = 0;
	for (size_t i = 0; i < ss->nthreads; i++) {
		if (ss->threads[i].err && !procstat_state(pid, ss->threads[i].tid)) {
			free(ss->threads[i].pcs);
			pysample_release(&ss->threads[i].py);
			continue;
		}
		ss->threads[k++] = ss->threads[i];
	}
	ss->nthreads = k;
	*out = ss;
	return 0;
}

void stackshot_free(struct stackshot *ss)
{
	if (!ss)
		return;
	for (size_t i = 0; i < ss->nthreads; i++) {
		free(ss->threads[i].pcs);
		pysample_release(&ss->threads[i].py);
	}
	free(ss->threads);
	pysample_free(ss->python);
	target_free(ss->target);
	free(ss);
}
