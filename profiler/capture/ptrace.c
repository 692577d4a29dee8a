/*
 * ptrace: see ptrace.h. The rule everything here follows: a thread we hold in
 * a ptrace-stop is always resumed the way it would have gone on without us
 * (its signal re-injected, its group-stop kept with LISTEN), and a wait status
 * is never dropped, because a dropped stop leaves a thread stopped for good.
 */
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "profiler/capture/ptrace.h"

#include "profiler/base/procstat.h"
#include "profiler/base/util.h"

#define PTRACE_OPTS (PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)
#define PTRACE_OPTS_FORKS (PTRACE_OPTS | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK)

struct ptrace_thread *ptrace_proc_find(struct ptrace_proc *p, pid_t tid)
{
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

static struct ptrace_thread *thread_add(struct ptrace_proc *p, pid_t tid, enum ptrace_tstate st)
{
	struct ptrace_thread *t = ptrace_proc_find(p, tid);
	if (t)
		return t;
	xgrow((void **)&p->threads, &p->cap, p->nthreads + 1, sizeof(*p->threads));
	t = &p->threads[p->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->state = st;
	return t;
}

/* Removing shifts the table: callers iterating by index must not advance. */
static void thread_remove(struct ptrace_proc *p, pid_t tid)
{
	for (size_t i = 0; i < p->nthreads; i++) {
		if (p->threads[i].tid == tid) {
			memmove(&p->threads[i], &p->threads[i + 1],
				(p->nthreads - i - 1) * sizeof(*p->threads));
			p->nthreads--;
			return;
		}
	}
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Our tracer status of tid from /proc: is it already traced by us? */
static bool traced_by_us(pid_t pid, pid_t tid)
{
	char v[32];
	return procstat_status(pid, tid, "TracerPid:", v, sizeof(v)) == 0 && atoi(v) == (int)getpid();
}

/* One pass over /proc/PID/task: seizes what is new. Returns the number of new
 * threads, or a negative errno when seizing failed for a reason other than the
 * thread having gone. */
static int seize_new(struct ptrace_proc *p)
{
	pid_t *tids;
	int n = procstat_tasks(p->pid, &tids);
	if (n < 0)
		return n;
	int added = 0, err = 0;
	for (int i = 0; i < n; i++) {
		pid_t tid = tids[i];
		if (ptrace_proc_find(p, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, (void *)p->opts) == 0) {
			thread_add(p, tid, PT_RUNNING);
			added++;
			continue;
		}
		int e = errno;
		if (e == ESRCH)
			continue; /* exited between the scan and the seize */
		if (e == EPERM && traced_by_us(p->pid, tid)) {
			/* Auto-attached clone of a thread we seized: its first stop is pending. */
			thread_add(p, tid, PT_NEW);
			added++;
			continue;
		}
		err = -e;
		break;
	}
	free(tids);
	return err ? err : added;
}

int ptrace_proc_attach(struct ptrace_proc *p, pid_t pid)
{
	return ptrace_proc_attach_flags(p, pid, 0);
}

void ptrace_proc_adopt(struct ptrace_proc *p, pid_t child, const struct ptrace_proc *parent)
{
	memset(p, 0, sizeof(*p));
	p->pid = child;
	p->exit_status = -1;
	p->opts = parent->opts; /* the kernel gave the child its parent's options */
	thread_add(p, child, PT_NEW);
}

static int ptrace_proc_attach_flags_do(struct ptrace_proc *p, pid_t pid, unsigned flags)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->exit_status = -1;
	p->opts = flags & PTRACE_PROC_FOLLOW_FORKS ? PTRACE_OPTS_FORKS : PTRACE_OPTS;
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return -ESRCH;
	/* Seize the leader first so every clone after this moment is followed. */
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)p->opts) != 0) {
		int e = errno;
		return e == ESRCH ? -ESRCH : -e;
	}
	thread_add(p, pid, PT_RUNNING);
	/* Threads may be cloned by threads not yet seized: rescan until stable. */
	for (int round = 0; round < 1000; round++) {
		int n = seize_new(p);
		if (n < 0) {
			ptrace_proc_detach(p);
			ptrace_proc_release(p);
			p->pid = pid;
			return n;
		}
		if (n == 0)
			return 0;
	}
	return 0;
}

/* Records what a wait status says about t. Afterwards t is PT_STOPPED (it waits
 * for us) or removed (it exited). Returns true when t still exists. */
static bool handle_status(struct ptrace_proc *p, pid_t tid, int status)
{
	struct ptrace_thread *t = ptrace_proc_find(p, tid);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (tid == p->pid) {
			/* The leader is reported last, once the whole group is gone. */
			p->exited = true;
			p->exit_status = status;
		}
		thread_remove(p, tid);
		if (p->nthreads == 0)
			p->exited = true;
		return false;
	}
	if (!WIFSTOPPED(status))
		return t != NULL;
	if (!t) /* a clone whose parent's event we have not seen yet */
		t = thread_add(p, tid, PT_NEW);
	int sig = WSTOPSIG(status);
	int event = status >> 16;
	t->state = PT_STOPPED;
	t->stop_ns = now_ns();
	t->group_stop = false;
	t->resume_sig = 0;
	switch (event) {
	case 0:
		/* Signal-delivery-stop: the signal goes on when we resume. */
		t->resume_sig = sig;
		break;
	case PTRACE_EVENT_STOP:
		/* Group-stop when the signal is a stop signal; otherwise our interrupt,
		 * a new clone's first stop, or the end of a group-stop (SIGCONT). */
		t->group_stop = is_stop_signal(sig);
		break;
	case PTRACE_EVENT_CLONE: {
		p->clones++;
		unsigned long msg = 0;
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 && msg) {
			thread_add(p, (pid_t)msg, PT_NEW);
			t = ptrace_proc_find(p, tid); /* the table may have moved */
		}
		break;
	}
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK: {
		unsigned long msg = 0;
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 && msg) {
			xgrow((void **)&p->forked, &p->capforked, p->nforked + 1, sizeof(*p->forked));
			xgrow((void **)&p->forked_by, &p->capforked_by, p->nforked + 1, sizeof(*p->forked_by));
			p->forked[p->nforked] = (pid_t)msg;
			p->forked_by[p->nforked++] = tid;
		}
		break;
	}
	case PTRACE_EVENT_EXEC: {
		/* Every other thread is gone; the execing thread now has the leader's id. */
		unsigned long former = 0;
		ptrace(PTRACE_GETEVENTMSG, tid, 0, &former);
		for (size_t i = 0; i < p->nthreads;) {
			if (p->threads[i].tid != tid)
				thread_remove(p, p->threads[i].tid);
			else
				i++;
		}
		p->exec_seen = true;
		break;
	}
	default:
		break;
	}
	return true;
}

static int ptrace_thread_resume_do(struct ptrace_proc *p, struct ptrace_thread *t)
{
	(void)p;
	if (t->state != PT_STOPPED)
		return 0;
	long r;
	if (t->group_stop) {
		r = ptrace(PTRACE_LISTEN, t->tid, 0, 0);
		t->state = PT_LISTENING;
	} else {
		if (t->resume_sig)
			p->signals_reinjected++;
		r = ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)t->resume_sig);
		t->state = PT_RUNNING;
	}
	t->resume_sig = 0;
	/* ESRCH: killed while stopped; its exit will be reported to a wait. */
	return r == 0 || errno == ESRCH ? 0 : -errno;
}

/* waitpid on one thread; returns 1 with a status, 0 when nothing is waiting,
 * -ECHILD when the thread is gone without a status for us. */
static int wait_one(pid_t tid, int *status, bool block)
{
	for (;;) {
		pid_t r = waitpid(tid, status, __WALL | (block ? 0 : WNOHANG));
		if (r == tid)
			return 1;
		if (r == 0)
			return 0;
		if (errno == EINTR)
			continue;
		return -errno;
	}
}

int ptrace_proc_poll(struct ptrace_proc *p)
{
	return ptrace_proc_poll_cb(p, NULL, NULL);
}

int ptrace_proc_poll_cb(struct ptrace_proc *p,
			void (*cb)(struct ptrace_proc *p, struct ptrace_thread *t, void *arg), void *arg)
{
	int handled = 0;
	for (size_t i = 0; i < p->nthreads;) {
		struct ptrace_thread *t = &p->threads[i];
		pid_t tid = t->tid;
		if (t->state == PT_STOPPED) {
			ptrace_thread_resume(p, t);
			i++;
			continue;
		}
		int status;
		int r = wait_one(tid, &status, false);
		if (r == 0) {
			i++;
			continue;
		}
		handled++;
		if (r < 0) {
			/* Reaped elsewhere or gone with its whole group. */
			thread_remove(p, tid);
			if (tid == p->pid || p->nthreads == 0)
				p->exited = true;
			continue;
		}
		size_t before = p->nthreads;
		bool late = t->state == PT_INTERRUPTED;
		if (handle_status(p, tid, status)) {
			struct ptrace_thread *u = ptrace_proc_find(p, tid);
			if (u && u->state == PT_STOPPED && late && cb) {
				/* The stop of an interrupt that missed collect's deadline. */
				p->stops++;
				cb(p, u, arg);
				p->held_ns += now_ns() - u->stop_ns;
			}
			if (u)
				ptrace_thread_resume(p, u);
		}
		/* Tables changed (exec, exit): start over, the wait statuses are still queued. */
		if (p->nthreads < before)
			i = 0;
		else
			i++;
	}
	if (p->nthreads == 0)
		p->exited = true;
	return handled;
}

static int ptrace_thread_serve_do(struct ptrace_proc *p, pid_t tid)
{
	struct ptrace_thread *t = ptrace_proc_find(p, tid);
	if (!t || (t->state != PT_RUNNING && t->state != PT_NEW))
		return 0;
	int status;
	int r = wait_one(tid, &status, false);
	if (r <= 0) {
		if (r < 0) {
			thread_remove(p, tid);
			if (tid == p->pid || p->nthreads == 0)
				p->exited = true;
		}
		return r < 0 ? 1 : 0;
	}
	if (handle_status(p, tid, status)) {
		struct ptrace_thread *u = ptrace_proc_find(p, tid);
		if (u)
			ptrace_thread_resume(p, u);
	}
	return 1;
}

/* Serves every thread of p left running that waits in a stop of its own, in
 * one syscall when none does: the kernel names a child with a status (WNOWAIT
 * leaves it there). Stops of interrupted threads are collect's; a child of
 * another process (or prowl's) ends the look, and a later pass sees it. */
static void serve_pending(struct ptrace_proc *p)
{
	for (size_t n = 0; n <= p->nthreads; n++) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) != 0 || !si.si_pid)
			return;
		struct ptrace_thread *t = ptrace_proc_find(p, si.si_pid);
		if (!t || (t->state != PT_RUNNING && t->state != PT_NEW))
			return;
		if (ptrace_thread_serve_do(p, si.si_pid) <= 0)
			return;
	}
}

int ptrace_thread_serve(struct ptrace_proc *p, pid_t tid)
{
	int r = ptrace_thread_serve_do(p, tid);
	if (r < 0)
		errno = -r;
	return r;
}

static int ptrace_thread_interrupt_do(struct ptrace_proc *p, struct ptrace_thread *t)
{
	(void)p;
	if (t->state != PT_RUNNING)
		return -EINVAL;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) != 0)
		return -errno;
	t->state = PT_INTERRUPTED;
	t->sampled = false;
	return 0;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { 0, ns };
	nanosleep(&ts, NULL);
}

int ptrace_proc_collect(struct ptrace_proc *p, uint64_t deadline_ns,
			void (*cb)(struct ptrace_proc *p, struct ptrace_thread *t, void *arg), void *arg)
{
	uint64_t start = now_ns();
	int done = 0;
	unsigned spins = 0;
	for (;;) {
		size_t waiting = 0;
		for (size_t i = 0; i < p->nthreads;) {
			struct ptrace_thread *t = &p->threads[i];
			/* New clones are let go as soon as they show up, never sampled
			 * before the next tick. */
			if (t->state != PT_INTERRUPTED && t->state != PT_NEW) {
				i++;
				continue;
			}
			bool fresh = t->state == PT_NEW;
			pid_t tid = t->tid;
			int status;
			int r = wait_one(tid, &status, false);
			if (r == 0) {
				if (!fresh)
					waiting++;
				i++;
				continue;
			}
			size_t before = p->nthreads;
			if (r < 0) {
				thread_remove(p, tid);
				if (tid == p->pid || p->nthreads == 0)
					p->exited = true;
			} else if (handle_status(p, tid, status)) {
				struct ptrace_thread *u = ptrace_proc_find(p, tid);
				if (u && u->state == PT_STOPPED && fresh) {
					ptrace_thread_resume(p, u);
				} else if (u && u->state == PT_STOPPED) {
					p->stops++;
					p->stop_wait_ns += u->stop_ns - start;
					if (cb)
						cb(p, u, arg);
					done++;
					/* cb never changes the table, so u is still valid. The
					 * clock is read before the resume: the woken thread may
					 * take our CPU, and then it is not held any more. */
					p->held_ns += now_ns() - u->stop_ns;
					if (u->detach_after) {
						/* One stop per thread for a one-shot look (prowl dump);
						 * the kernel keeps a group-stop in force. */
						if (ptrace(PTRACE_DETACH, tid, 0, (void *)(long)u->resume_sig) == 0 &&
						    u->resume_sig)
							p->signals_reinjected++;
						thread_remove(p, tid);
					} else {
						ptrace_thread_resume(p, u);
					}
				}
			}
			if (p->nthreads < before)
				i = 0;
			else
				i++;
		}
		if (!waiting)
			break;
		/* A thread we did not interrupt may stop meanwhile (a clone, a
		 * signal): it must not wait for our deadline. */
		serve_pending(p);
		uint64_t el = now_ns() - start;
		if (el >= deadline_ns) {
			p->late += waiting;
			break;
		}
		/* Stops take tens of microseconds when idle: yield first (a thread
		 * that stopped while we slept would be held for our oversleep), then sleep. */
		if (spins++ < 100)
			sched_yield();
		else
			sleep_ns(20000);
	}
	return done;
}

static int ptrace_thread_regs_do(pid_t tid, struct user_regs_struct *regs)
{
	struct iovec iov = { regs, sizeof(*regs) };
	if (ptrace(PTRACE_GETREGSET, tid, (void *)(long)NT_PRSTATUS, &iov) != 0)
		return -errno;
	return 0;
}

/* Whether every thread not stopped yet is in uninterruptible sleep: a vfork
 * parent whose child runs on, which stops only when the child execs or
 * exits. Waiting for it held `-d 2` 2 s past its end; the kernel detaches
 * it when we exit, and until then it stays in the stop it comes to. */
static bool all_blocked(struct ptrace_proc *p)
{
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].state != PT_STOPPED && procstat_state(p->pid, p->threads[i].tid) != 'D')
			return false;
	return true;
}

/* Whether a signal the thread does not block is pending for it (its own
 * or the process's): then an EINTR it got is the program's, not ours. */
static bool signal_pending_for(pid_t pid, pid_t tid)
{
	char pnd[32], shd[32], blk[32];
	if (procstat_status(pid, tid, "SigPnd:", pnd, sizeof(pnd)) || procstat_status(pid, tid, "ShdPnd:", shd, sizeof(shd)) ||
	    procstat_status(pid, tid, "SigBlk:", blk, sizeof(blk)))
		return true; /* unknown: leave the call as it is */
	unsigned long long p = strtoull(pnd, NULL, 16), h = strtoull(shd, NULL, 16), k = strtoull(blk, NULL, 16);
	return ((p | h) & ~k) != 0;
}

/* A thread that entered a waiting call just before our interrupt reached it
 * (we saw it running) stops at that call's exit, and the calls that cannot
 * be restarted with their timeout (epoll_wait, semtimedop, sigtimedwait)
 * return EINTR there, which the program would see. With no signal pending
 * for the thread, that EINTR is our stop's alone: the call is made to run
 * again as the kernel restarts the others (rax back to the call number, the
 * pc back over the 2-byte syscall instruction). The program sees a wait a
 * little longer than asked, never a result it did not ask for. */
static int restart_cut_do(struct ptrace_proc *p, pid_t tid, const struct user_regs_struct *rp)
{
	struct user_regs_struct got;
	if (!rp) {
		struct iovec io = { &got, sizeof(got) };
		if (ptrace(PTRACE_GETREGSET, tid, (void *)(long)NT_PRSTATUS, &io) != 0)
			return -errno;
		rp = &got;
	}
	const struct user_regs_struct *regs = rp;
	if ((long long)regs->orig_rax < 0 || (long long)regs->rax != -EINTR)
		return 0;
	unsigned char insn[2];
	struct iovec local = { insn, 2 }, remote = { (void *)(uintptr_t)(regs->rip - 2), 2 };
	if (process_vm_readv(p->pid, &local, 1, &remote, 1, 0) != 2 || insn[0] != 0x0f || insn[1] != 0x05)
		return 0;
	if (signal_pending_for(p->pid, tid))
		return 0;
	struct user_regs_struct r = *regs;
	r.rax = r.orig_rax;
	r.rip -= 2;
	struct iovec iov = { &r, sizeof(r) };
	if (ptrace(PTRACE_SETREGSET, tid, (void *)(long)NT_PRSTATUS, &iov) != 0)
		return -errno;
	p->restarted++;
	return 1;
}


void ptrace_proc_detach(struct ptrace_proc *p)
{
	if (!p->threads)
		return;
	/* A thread can only be detached from a ptrace-stop: bring each one into
	 * one, then detach with whatever signal it holds. Clones made meanwhile
	 * join the table and are detached the same way. */
	uint64_t start = now_ns();
	unsigned spins = 0;
	for (;;) {
		for (size_t i = 0; i < p->nthreads;) {
			struct ptrace_thread *t = &p->threads[i];
			pid_t tid = t->tid;
			if (t->state == PT_STOPPED) {
				if (!t->group_stop)
					restart_cut_do(p, tid, NULL);
				/* The kernel puts a thread of a stopped group back into its group-stop. */
				if (ptrace(PTRACE_DETACH, tid, 0, (void *)(long)t->resume_sig) == 0 && t->resume_sig)
					p->signals_reinjected++;
				thread_remove(p, tid);
				continue;
			}
			if (t->state == PT_RUNNING || t->state == PT_LISTENING) {
				if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0) {
					/* Exiting: its exit status is on its way, and until we
					 * reap it, it stays a zombie traced by us. A zombie
					 * leader of live threads is only reported once they are
					 * gone: the kernel hands it back when we exit. */
					if (tid == p->pid && p->nthreads > 1) {
						thread_remove(p, tid);
						continue;
					}
				}
				t->state = PT_INTERRUPTED;
			}
			int status;
			int r = wait_one(tid, &status, false);
			if (r == 0) {
				i++;
				continue;
			}
			size_t before = p->nthreads;
			if (r < 0)
				thread_remove(p, tid);
			else
				handle_status(p, tid, status);
			if (p->nthreads < before)
				i = 0;
			/* A stopped thread is detached on the next visit of this slot. */
		}
		if (p->nthreads == 0)
			break;
		uint64_t el = now_ns() - start;
		if (el > 2000000000ull || (el > 20000000ull && all_blocked(p)))
			break; /* stuck in D state: the kernel detaches when we exit */
		if (spins++ < 20)
			sched_yield();
		else
			sleep_ns(50000);
	}
	/* Leftovers (stuck threads) are forgotten; the kernel detaches them on our exit. */
	p->nthreads = 0;
	/* Children forked but not adopted yet are ours too: they have not run
	 * since their fork, so they have no children of their own to follow. */
	for (size_t i = 0; i < p->nforked; i++) {
		struct ptrace_proc c;
		ptrace_proc_adopt(&c, p->forked[i], p);
		ptrace_proc_detach(&c);
		ptrace_proc_release(&c);
	}
	p->nforked = 0;
}

void ptrace_proc_release(struct ptrace_proc *p)
{
	free(p->threads);
	free(p->forked);
	free(p->forked_by);
	p->threads = NULL;
	p->forked = p->forked_by = NULL;
	p->nthreads = p->cap = 0;
	p->nforked = p->capforked = p->capforked_by = 0;
}

/* The memory reader. */

void ptrace_mem_init(struct ptrace_mem *m, pid_t pid)
{
	memset(m, 0, sizeof(*m));
	m->pid = pid;
}

void ptrace_mem_reset(struct ptrace_mem *m)
{
	memset(m->valid, 0, sizeof(m->valid));
	m->used = m->next = 0;
}

static int mem_slot(struct ptrace_mem *m)
{
	int s = (int)m->next;
	m->next = (m->next + 1) % PTRACE_MEM_PAGES;
	return s;
}

/* Returns the cache slot holding the page at pa, reading it (and the page
 * after it, since stacks are walked upwards) on a miss; -EFAULT if unreadable. */
static int mem_page(struct ptrace_mem *m, uint64_t pa)
{
	for (int i = 0; i < PTRACE_MEM_PAGES; i++)
		if (m->valid[i] && m->addr[i] == pa) {
			m->hits++;
			return i;
		}
	int s0 = mem_slot(m);
	int s1 = mem_slot(m);
	struct iovec local[2] = { { m->page[s0], PTRACE_MEM_PAGE }, { m->page[s1], PTRACE_MEM_PAGE } };
	/* Two remote elements: a partial transfer stops at an element boundary. */
	struct iovec remote[2] = { { (void *)(uintptr_t)pa, PTRACE_MEM_PAGE },
				   { (void *)(uintptr_t)(pa + PTRACE_MEM_PAGE), PTRACE_MEM_PAGE } };
	m->valid[s0] = m->valid[s1] = false;
	m->reads++;
	ssize_t n = process_vm_readv(m->pid, local, 2, remote, 2, 0);
	if (n < (ssize_t)PTRACE_MEM_PAGE)
		return n < 0 && errno != EFAULT ? -errno : -EFAULT;
	m->addr[s0] = pa;
	m->valid[s0] = true;
	if (n >= (ssize_t)(2 * PTRACE_MEM_PAGE)) {
		m->addr[s1] = pa + PTRACE_MEM_PAGE;
		m->valid[s1] = true;
	}
	return s0;
}

static int ptrace_mem_read_do(struct ptrace_mem *m, uint64_t addr, void *buf, size_t n)
{
	unsigned char *out = buf;
	while (n) {
		uint64_t pa = addr & ~(uint64_t)(PTRACE_MEM_PAGE - 1);
		size_t off = (size_t)(addr - pa);
		size_t take = PTRACE_MEM_PAGE - off;
		if (take > n)
			take = n;
		int s = mem_page(m, pa);
		if (s < 0)
			return s;
		memcpy(out, m->page[s] + off, take);
		out += take;
		addr += take;
		n -= take;
	}
	return 0;
}

void ptrace_regs_convert(const struct user_regs_struct *r, struct unwind_regs *u)
{
	u->r[UNWIND_REG_RAX] = r->rax;
	u->r[UNWIND_REG_RDX] = r->rdx;
	u->r[UNWIND_REG_RCX] = r->rcx;
	u->r[UNWIND_REG_RBX] = r->rbx;
	u->r[UNWIND_REG_RSI] = r->rsi;
	u->r[UNWIND_REG_RDI] = r->rdi;
	u->r[UNWIND_REG_RBP] = r->rbp;
	u->r[UNWIND_REG_RSP] = r->rsp;
	u->r[UNWIND_REG_R8] = r->r8;
	u->r[UNWIND_REG_R9] = r->r9;
	u->r[UNWIND_REG_R10] = r->r10;
	u->r[UNWIND_REG_R11] = r->r11;
	u->r[UNWIND_REG_R12] = r->r12;
	u->r[UNWIND_REG_R13] = r->r13;
	u->r[UNWIND_REG_R14] = r->r14;
	u->r[UNWIND_REG_R15] = r->r15;
	u->r[UNWIND_REG_RIP] = r->rip;
}

/* The public entry points: the negative errno returned is also in errno. */
static int ptrace_errno(int r)
{
	if (r < 0)
		errno = -r;
	return r;
}

int ptrace_proc_attach_flags(struct ptrace_proc *p, pid_t pid, unsigned flags)
{
	return ptrace_errno(ptrace_proc_attach_flags_do(p, pid, flags));
}

int ptrace_thread_interrupt(struct ptrace_proc *p, struct ptrace_thread *t)
{
	return ptrace_errno(ptrace_thread_interrupt_do(p, t));
}

int ptrace_thread_resume(struct ptrace_proc *p, struct ptrace_thread *t)
{
	return ptrace_errno(ptrace_thread_resume_do(p, t));
}

int ptrace_thread_regs(pid_t tid, struct user_regs_struct *regs)
{
	return ptrace_errno(ptrace_thread_regs_do(tid, regs));
}

int ptrace_mem_read(struct ptrace_mem *m, uint64_t addr, void *buf, size_t n)
{
	return ptrace_errno(ptrace_mem_read_do(m, addr, buf, n));
}

int ptrace_thread_restart_cut(struct ptrace_proc *p, pid_t tid, const struct user_regs_struct *regs)
{
	return ptrace_errno(restart_cut_do(p, tid, regs));
}
