/*
 * ptrace_sampler: the ptrace backend. At each tick it reads every traced
 * thread's state from /proc, interrupts the ones to sample (cpu mode: those
 * running; wall mode: all but the user-stopped), and as each one stops reads
 * its registers, unwinds it over live memory (process_vm_readv through a page
 * cache) and lets it go at once, so a thread is held only for its own unwind.
 * The time the target spends with a thread held is measured; when it would
 * pass PAUSE_BUDGET of the run the rate is lowered (a NOTE event the command
 * line prints at once, since a silent slowdown of the target is the thing a
 * user must know about). The run's cost figures go to sampler.stats, shown
 * with the closing summary.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "profiler/base/procstat.h"
#include "profiler/capture/offcpu.h"
#include "profiler/capture/ptrace.h"
#include "profiler/capture/sampler.h"
#include "profiler/base/util.h"

/* Fraction of the time the target may have a thread held by us. */
#define PAUSE_BUDGET 0.05
/* Stop waiting for a thread's interrupt-stop after this; its stop is handled
 * (resumed, not sampled) by a later poll. In cpu mode a thread on a CPU stops
 * within microseconds (the interrupt kicks it); one that takes longer was
 * waiting for a CPU, so it is not running now and is rightly not sampled; and
 * waiting for it would hold the tick up for whole time slices. In wall mode
 * every thread counts, so only one stuck in the kernel (D) is given up on. */
#define CPU_STOP_DEADLINE_NS 2000000ull
/* Wall mode samples a late thread when its stop comes (poll): its stack does
 * not move while it waits for a CPU, and the tick need not wait for it. */
#define WALL_STOP_DEADLINE_NS 5000000ull
/* Cost is judged over windows of this length (and at least this many ticks). */
#define COST_WINDOW_NS 250000000ull
#define COST_WINDOW_TICKS 8
/* Wall mode: prowl's own CPU for its looks, as a fraction of one CPU. */
#define WALL_CPU_BUDGET 0.10
/* Unknown code addresses reread /proc/PID/maps at most this often. */
#define MAPS_RELOAD_NS 10000000ull
/* Without MMAP records a library swapped at the same address (dlclose, then
 * dlopen of another) is only seen by looking: /proc/PID/maps is compared this
 * often, outside of any stop. */
#define MAPS_CHECK_NS 50000000ull
/* ptrace_thread.runs when the kernel gave no count. */
#define RUNS_UNKNOWN UINT64_MAX

struct pt_proc {
	struct ptrace_proc pp;
	struct target_proc *tp;
	struct ptrace_mem *mem;
	pid_t *known;          /* threads already announced (FORK), sorted */
	size_t nknown, capknown;
	bool attached;
	bool gone;             /* exit announced */
	uint64_t maps_miss_ns;  /* when a reread last left a code address unknown */
	uint64_t maps_checked_ns; /* when it was last compared */
	char *maps_files;      /* its file-backed lines at that time */
	struct pysample_proc *py; /* its CPython, looked for outside the stops (NULL: --no-python) */
};

struct pt_backend {
	struct pt_proc **procs;
	size_t nprocs, cap;
	uint64_t base_tick_ns; /* from --freq */
	uint64_t tick_ns;      /* current period (a multiple of base_tick_ns) */
	uint64_t next_due_ns;  /* ticks before this only handle events */
	uint64_t rng;          /* xorshift state for the jitter */
	uint64_t last_tick_ns; /* when the previous sampling tick ran */
	uint64_t tick_busy_ns; /* time spent inside sampling ticks (stats) */
	uint64_t *ips;
	size_t max_ips;
	bool wall;
	bool started, detached;
	uint64_t warned_ns;    /* the period we last told the user about */
	/* Cost figures of processes already gone and freed (see procs_reap). */
	uint64_t gone_stops, gone_held_ns, gone_wait_ns, gone_late, gone_clones;
	/* Cost control. */
	uint64_t win_start_ns, win_paused_ns, win_max_ns;
	unsigned win_ticks;
	uint64_t run_start_ns, run_paused_ns, ticks, samples;
	/* The tick in progress. */
	struct sampler *s;
	struct pt_proc *cur;
	uint64_t weight;       /* wall mode's default weight (each sample then weighs its own interval) */
	/* cpu mode: the thread our tick's wake-up took the CPU from is one of
	 * the threads found waiting on our CPU, preempted in user code; one of
	 * them, drawn at random as their stops come, is sampled at the end of
	 * the process's tick (the one held here). */
	unsigned ncand;
	struct sampler_event cand;
	uint64_t *cand_ips;
	uint64_t not_running, displaced; /* cpu-mode stops left out / taken as displaced (stats) */
	struct py_sample py, cand_py; /* the Python half of the sample in hand / of the held candidate */
	uint64_t gone_py_merged, gone_py_mismatched, gone_py_unread; /* of processes freed (procs_reap) */
	uint64_t gone_py_edges;
	uint64_t gil_dropped;  /* --gil: samples of CPython threads not holding the GIL, dropped */
	uint64_t blocked;      /* wall-mode looks at blocked threads, taken without a stop */
	struct offcpu *off;    /* wall mode: the blocked-thread reader */
	uint64_t cpu_tick_ns;  /* wall mode: the shortest period prowl's CPU budget allows */
	uint64_t cpu_win_start_ns, cpu_win_ns;
	unsigned cpu_win_ticks;
	uint64_t restarted;    /* calls our stop cut short with EINTR, set to run again (ptrace_thread_restart_cut) */
	uint64_t slow_warned_ns; /* the tick interval we last said the rate fell to */
	bool churn_said;         /* the thread-creation cost line was given */
};

static uint64_t tick_for_freq(unsigned freq)
{
	return 1000000000ull / (freq ? freq : CAPTURE_DEFAULT_FREQ);
}

static void emit(struct sampler *s, const struct sampler_event *ev)
{
	if (s->env.emit)
		s->env.emit(s->env.ctx, ev);
}

/* One line the user should see now (SAMPLER_NOTE). */
static void note_line(struct sampler *s, uint64_t now, const char *line)
{
	struct sampler_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_NOTE;
	ev.time_ns = now;
	ev.note = line;
	emit(s, &ev);
}

static void emit_simple(struct sampler *s, enum sampler_event_kind kind, pid_t pid, pid_t tid)
{
	struct sampler_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.pid = pid;
	ev.tid = tid;
	ev.time_ns = now_ns();
	if (kind == SAMPLER_FORK) {
		ev.fork.ppid = pid;
		ev.fork.ptid = pid;
	}
	emit(s, &ev);
}

static void emit_comm(struct sampler *s, pid_t pid, pid_t tid, const char *name, bool exec)
{
	struct sampler_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_COMM;
	ev.pid = pid;
	ev.tid = tid;
	ev.time_ns = now_ns();
	ev.comm.name = name;
	ev.comm.exec = exec;
	emit(s, &ev);
}

static bool known_has(const struct pt_proc *pr, pid_t tid)
{
	size_t lo = 0, hi = pr->nknown;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pr->known[mid] == tid)
			return true;
		if (pr->known[mid] < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

static int py_mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return ptrace_mem_read(ctx, addr, buf, len);
}

static struct pt_proc *proc_add(struct pt_backend *b, struct target_proc *tp)
{
	struct pt_proc *pr = xcalloc(1, sizeof(*pr));
	pr->tp = tp;
	pr->mem = xmalloc(sizeof(*pr->mem));
	ptrace_mem_init(pr->mem, tp->pid);
	if (!b->s->env.opts || !b->s->env.opts->no_python) {
		pr->py = pysample_new(tp->pid);
		pysample_set_reader(pr->py, py_mem_read, pr->mem);
	}
	xgrow((void **)&b->procs, &b->cap, b->nprocs + 1, sizeof(*b->procs));
	b->procs[b->nprocs++] = pr;
	return pr;
}

static void proc_free(struct pt_proc *pr)
{
	ptrace_proc_release(&pr->pp);
	free(pr->mem);
	free(pr->known);
	free(pr->maps_files);
	pysample_free(pr->py);
	free(pr);
}

/* Frees the records of processes whose exit was announced: with --children
 * a build forks thousands, and each record holds a 64 KB page cache. Their
 * cost figures are kept in the totals. Called where no loop over b->procs
 * is under way. */
static void procs_reap(struct pt_backend *b)
{
	size_t k = 0;
	for (size_t i = 0; i < b->nprocs; i++) {
		struct pt_proc *pr = b->procs[i];
		if (!pr->gone || pr->pp.nthreads || pr->pp.nforked) {
			b->procs[k++] = pr;
			continue;
		}
		b->gone_stops += pr->pp.stops;
		b->gone_held_ns += pr->pp.held_ns;
		b->gone_wait_ns += pr->pp.stop_wait_ns;
		b->gone_late += pr->pp.late;
		b->gone_clones += pr->pp.clones;
		if (pr->py) {
			b->gone_py_merged += pr->py->merged;
			b->gone_py_mismatched += pr->py->mismatched;
			b->gone_py_unread += pr->py->unread;
			b->gone_py_edges += pr->py->edges;
		}
		if (b->cur == pr)
			b->cur = NULL;
		proc_free(pr);
	}
	b->nprocs = k;
}

/* Rereads /proc/PID/maps when its file mappings differ from the last look
 * (anonymous memory, the heap and stacks change all the time and do not
 * matter: stacks are read live). */
static void maps_refresh(struct pt_proc *pr, bool force)
{
	uint64_t now = now_ns();
	if (!pr->tp->maps || (!force && now - pr->maps_checked_ns < MAPS_CHECK_NS))
		return;
	pr->maps_checked_ns = now;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pr->pp.pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	struct strbuf all, files;
	strbuf_init(&all);
	strbuf_init(&files);
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		strbuf_adds(&all, line);
		const char *p = strchr(line, '/');
		const char *perms = strchr(line, ' ');
		/* Files, and anonymous code: JIT code appears after we looked,
		 * and return addresses into it are refused until it is known. */
		if ((p && p[-1] == ' ') || (perms && strlen(perms) > 4 && perms[3] == 'x'))
			strbuf_adds(&files, line);
	}
	fclose(f);
	if (!pr->maps_files || strcmp(pr->maps_files, files.buf ? files.buf : "") != 0) {
		if (all.buf && maps_parse(pr->tp->maps, all.buf) == 0) {
			free(pr->maps_files);
			pr->maps_files = files.buf ? strbuf_detach(&files) : xstrdup("");
		}
	}
	strbuf_release(&all);
	strbuf_release(&files);
}

/* --children: processes the target forked are traced already (the kernel
 * attached them); give each a record and tell the session. */
static void adopt_children(struct sampler *s, struct pt_proc *parent)
{
	struct pt_backend *b = s->priv;
	struct ptrace_proc *pp = &parent->pp;
	for (size_t i = 0; i < pp->nforked; i++) {
		pid_t child = pp->forked[i];
		struct target_proc *tp = target_proc(s->env.target, child, true);
		if (maps_load(tp->maps) != 0) {
			/* Gone already, or unreadable: start from the parent's mappings. */
			if (parent->tp->maps)
				maps_copy(tp->maps, parent->tp->maps);
		}
		struct pt_proc *pr = proc_add(b, tp);
		ptrace_proc_adopt(&pr->pp, child, pp);
		pr->attached = true;
		xgrow((void **)&pr->known, &pr->capknown, 1, sizeof(*pr->known));
		pr->known[pr->nknown++] = child;
		struct procstat st;
		bool named = procstat_read(child, child, &st) == 0;
		struct sampler_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.kind = SAMPLER_FORK;
		ev.pid = ev.tid = child;
		ev.time_ns = now_ns();
		ev.fork.ppid = pp->pid;
		ev.fork.ptid = pp->forked_by[i];
		emit(s, &ev); /* the session names it after its parent... */
		if (named)
			emit_comm(s, child, child, st.comm, false); /* ...unless we know better */
		/* proc_add may have moved b->procs, never *parent. */
	}
	pp->nforked = 0;
}

/* Tells the session about threads that appeared or went since last time,
 * and about an exec (new address space, new name). */
static void sync_threads(struct sampler *s, struct pt_proc *pr)
{
	struct ptrace_proc *pp = &pr->pp;
	pid_t pid = pp->pid;
	if (pp->exec_seen) {
		pp->exec_seen = false;
		if (pr->tp->maps) {
			if (s->env.unwinder)
				unwinder_forget(s->env.unwinder, pr->tp->maps);
			maps_refresh(pr, true);
		}
		ptrace_mem_reset(pr->mem);
		if (pr->py) {
			/* Another program: its interpreter, if any, is found afresh. */
			pysample_free(pr->py);
			pr->py = pysample_new(pid);
			pysample_set_reader(pr->py, py_mem_read, pr->mem);
		}
		struct procstat st;
		if (procstat_read(pid, pid, &st) == 0)
			emit_comm(s, pid, pid, st.comm, true);
	}
	/* Gone: known but no longer traced. */
	for (size_t i = 0; i < pr->nknown; i++) {
		pid_t tid = pr->known[i];
		if (!ptrace_proc_find(pp, tid) && tid != pid)
			emit_simple(s, SAMPLER_EXIT, pid, tid);
	}
	/* New: traced but not known. */
	size_t n = 0;
	for (size_t i = 0; i < pp->nthreads; i++) {
		pid_t tid = pp->threads[i].tid;
		if (!known_has(pr, tid) && tid != pid) {
			struct procstat st;
			emit_simple(s, SAMPLER_FORK, pid, tid);
			if (procstat_read(pid, tid, &st) == 0)
				emit_comm(s, pid, tid, st.comm, false);
		}
		n++;
	}
	xgrow((void **)&pr->known, &pr->capknown, n, sizeof(*pr->known));
	pr->nknown = 0;
	for (size_t i = 0; i < pp->nthreads; i++)
		pr->known[pr->nknown++] = pp->threads[i].tid;
	qsort(pr->known, pr->nknown, sizeof(*pr->known), cmp_pid);

	adopt_children(s, pr);
	if (pp->exited && !pr->gone) {
		pr->gone = true;
		/* Our wait collected the status (the launched command is our
		 * child, and a tracer's wait sees its tracees): it goes with the event. */
		struct sampler_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.kind = SAMPLER_EXIT;
		ev.pid = ev.tid = pid;
		ev.time_ns = now_ns();
		ev.exit.reaped = pp->exit_status != -1;
		ev.exit.status = pp->exit_status;
		emit(s, &ev);
	}
}

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return ptrace_mem_read(ctx, addr, buf, len);
}

static enum sample_state state_of(char c)
{
	switch (c) {
	case 'R':
		return SAMPLE_STATE_RUNNING;
	case 'S':
		return SAMPLE_STATE_SLEEPING;
	case 'D':
		return SAMPLE_STATE_IO;
	case 'T':
	case 't':
		return SAMPLE_STATE_STOPPED;
	default:
		return SAMPLE_STATE_OTHER;
	}
}

static int unwind_one(struct sampler *s, struct pt_proc *pr, const struct unwind_regs *ur,
		      const struct unwind_mem *um, uint64_t *ips, size_t max, unsigned *uflags)
{
	const struct capture_opts *o = s->env.opts;
	bool fp = o && o->unwind == CAPTURE_UNWIND_FP;
	if (!fp && s->env.unwinder && pr->tp->maps)
		return unwind_dwarf(s->env.unwinder, pr->tp->maps, ur, um, ips, max, uflags);
	return unwind_fp(pr->tp->maps, ur, um, ips, max, uflags);
}

static bool all_mapped(const struct maps *m, const uint64_t *ips, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct map_entry *e = maps_find(m, ips[i] - (i ? 1 : 0));
		if (!e || !e->module)
			return false;
	}
	return true;
}

/* True when the stop came at the end of a completed system call that waits
 * (sleep, futex, poll...), i.e. the thread was not running user code. */
static bool woke_from_wait(const struct user_regs_struct *r)
{
	long nr = (long)r->orig_rax, ret = (long)r->rax;
	if (nr < 0)
		return false; /* stopped out of user code (an interrupt), not a syscall */
	if (ret <= -512 && ret >= -516)
		return false; /* interrupted in the middle (-ERESTART*): it was in the kernel */
	switch (nr) {
	case 7:   /* poll */
	case 23:  /* select */
	case 34:  /* pause */
	case 35:  /* nanosleep */
	case 61:  /* wait4 */
	case 128: /* rt_sigtimedwait */
	case 130: /* rt_sigsuspend */
	case 202: /* futex */
	case 219: /* restart_syscall: a sleep we interrupted, resumed */
	case 230: /* clock_nanosleep */
	case 232: /* epoll_wait */
	case 247: /* waitid */
	case 270: /* pselect6 */
	case 271: /* ppoll */
	case 281: /* epoll_pwait */
	case 441: /* epoll_pwait2 */
		return true;
	default:
		return false;
	}
}

/* xorshift64: the tick jitter and the pick among displaced candidates. */
static uint64_t next_rand(struct pt_backend *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return b->rng;
}

/* The thread's CPU time so far in ns: schedstat's exact count, else stat's
 * clock ticks. */
static int thread_cpu_ns(pid_t pid, pid_t tid, uint64_t *ns)
{
	uint64_t runs;
	if (procstat_sched(pid, tid, ns, &runs) == 0 && (*ns || runs))
		return 0;
	struct procstat st;
	if (procstat_read(pid, tid, &st) != 0)
		return -ENOENT;
	static long hz;
	if (!hz)
		hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	*ns = st.cpu_ticks * (1000000000ull / (uint64_t)hz);
	return 0;
}

/* Where the CPU time of a thread is counted from: its time at attach. */
static void cpu_baseline(struct ptrace_proc *pp, struct ptrace_thread *t)
{
	t->cpu_known = thread_cpu_ns(pp->pid, t->tid, &t->cpu_ns) == 0;
	t->cpu_carry_ns = 0;
}

/* cpu mode: the weight of a sample is the CPU time the thread used since
 * its previous one, in periods of the asked rate, the remainder carried to
 * the next. A tick does not stand for its interval: on a loaded machine a
 * thread found running had not run all of it (1.8x too much at 999 Hz, 4x at
 * 25 Hz were seen), and a lowered rate changes nothing. Summed, the weights
 * are the thread's CPU time to within a period. 0: not a whole period yet. */
static uint64_t cpu_weight(struct pt_backend *b, struct ptrace_proc *pp, struct ptrace_thread *t)
{
	uint64_t now;
	if (thread_cpu_ns(pp->pid, t->tid, &now) != 0)
		return 1; /* gone while stopped: count the look itself */
	uint64_t base = t->cpu_known ? t->cpu_ns : 0;
	uint64_t used = (now > base ? now - base : 0) + t->cpu_carry_ns;
	t->cpu_ns = now;
	t->cpu_known = true;
	t->cpu_carry_ns = used % b->base_tick_ns;
	return used / b->base_tick_ns;
}

/* A CPython thread inside a futex call on the GIL (call nr, first argument
 * uaddr; stopped, or blocked and read without a stop) gets the state
 * [GIL wait] (wall mode); with --gil a sample of a CPython thread that does
 * not hold the GIL is dropped (true: the caller emits nothing; its interval,
 * up to at, is not carried to its next sample). */
static bool py_gil_filter(struct pt_backend *b, struct pt_proc *pr, struct ptrace_thread *t, long nr,
			  uint64_t uaddr, uint64_t at, bool py, struct sampler_event *ev)
{
	if (!pr->py || pr->py->state != PYSAMPLE_READY)
		return false;
	/* Running too: on a loaded machine a waiter woken by its timed wait is
	 * runnable in the kernel, still inside the futex call, for a while. Not
	 * the holder: it too sleeps on the GIL's mutex at times, while it hands
	 * the GIL over (3.12+ keeps it locked until then). A blocked thread read
	 * without a stop is in [lock wait] (offcpu.h) until found to be on the GIL. */
	if ((ev->sample.state == SAMPLE_STATE_SLEEPING || ev->sample.state == SAMPLE_STATE_RUNNING ||
	     ev->sample.state == SAMPLE_STATE_LOCK) &&
	    !(py && b->py.thread.holds_gil) && pysample_gil_wait(pr->py, nr, uaddr))
		ev->sample.state = SAMPLE_STATE_GIL;
	const struct capture_opts *o = b->s->env.opts;
	if (!o || !o->gil || (py && b->py.thread.holds_gil))
		return false;
	b->gil_dropped++;
	t->last_sample_ns = at;
	t->sampled = true;
	return true;
}

/* A thread whose OS name is its process's (CPython names none of its
 * threads) gets its threading name, read in this stop, ahead of its sample. */
static void python_name(struct sampler *s, struct pt_proc *pr, struct ptrace_thread *t)
{
	/* The main thread may never run (so never be looked at here): the
	 * session's record of it has its OS name. */
	const struct target_thread *main = pr->tp ? target_thread(pr->tp, pr->pp.pid, false) : NULL;
	if (!main || !main->comm[0] || !t->comm[0])
		return;
	const char *name = pysample_thread_name(pr->py, t->tid, t->comm, main->comm);
	if (!name)
		return;
	struct sampler_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_COMM;
	ev.pid = pr->pp.pid;
	ev.tid = t->tid;
	ev.time_ns = now_ns();
	ev.comm.name = name;
	ev.comm.python = true;
	emit(s, &ev);
}

/* Unwinds a thread from regs and emits its sample (or keeps it as the tick's
 * displaced candidate). The thread is held stopped, or blocked in the kernel
 * where its user stack cannot change (sample_blocked). */
static void sample_regs(struct pt_backend *b, struct pt_proc *pr, struct ptrace_proc *pp, struct ptrace_thread *t,
			const struct user_regs_struct *rp, uint64_t weight, bool displaced)
{
	struct sampler *s = b->s;
	struct user_regs_struct regs = *rp;
	struct unwind_regs ur;
	ptrace_regs_convert(&regs, &ur);
	ptrace_mem_reset(pr->mem);
	struct unwind_mem um = { mem_read, pr->mem };
	unsigned uflags = 0;
	int n = unwind_one(s, pr, &ur, &um, b->ips, b->max_ips, &uflags);
	/* No MMAP records under ptrace: code outside every known mapping means
	 * something was mapped since we read /proc/PID/maps (ld.so after an
	 * exec, dlopen). Reread it and unwind again. Only a reread that found
	 * nothing new (code in anonymous memory) holds the next one off for
	 * MAPS_RELOAD_NS: the libraries ld.so maps just after an exec must be
	 * seen at once, not up to MAPS_RELOAD_NS after the exec's own reread. */
	/* A return address refused as not code may be in code mapped since
	 * (JIT code): the same reread. */
	if (n > 0 && pr->tp->maps && (!all_mapped(pr->tp->maps, b->ips, (size_t)n) || (uflags & UNWIND_REFUSED))) {
		uint64_t now = now_ns();
		if (now - pr->maps_miss_ns >= MAPS_RELOAD_NS) {
			uint64_t gen = pr->tp->maps->generation;
			maps_refresh(pr, true);
			if (pr->tp->maps->generation != gen) {
				ptrace_mem_reset(pr->mem);
				n = unwind_one(s, pr, &ur, &um, b->ips, b->max_ips, &uflags);
			}
			if (n > 0 && (!all_mapped(pr->tp->maps, b->ips, (size_t)n) || (uflags & UNWIND_REFUSED)))
				pr->maps_miss_ns = now;
		}
	}
	if (n <= 0)
		return;
	struct sampler_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_SAMPLE;
	ev.pid = ev.sample.pid = pp->pid;
	ev.tid = ev.sample.tid = t->tid;
	ev.time_ns = ev.sample.time_ns = t->stop_ns;
	ev.sample.user = b->ips;
	ev.sample.nuser = (size_t)n;
	if (uflags & UNWIND_PARTIAL)
		ev.sample.flags |= SAMPLE_PARTIAL;
	if (uflags & (UNWIND_TRUNCATED | UNWIND_DEPTH))
		ev.sample.flags |= SAMPLE_TRUNCATED;
	ev.sample.flags |= uflags & UNWIND_NOTES;
	ev.sample.state = b->wall ? state_of(t->sched) : SAMPLE_STATE_NONE;
	ev.sample.weight = weight;
	if (b->wall) {
		/* Each thread's sample stands for the time since its previous one
		 * (late stops make threads' intervals differ), capped at a second. */
		uint64_t now = t->stop_ns;
		uint64_t since = t->last_sample_ns ? now - t->last_sample_ns : b->tick_ns;
		uint64_t w = (since + b->base_tick_ns / 2) / b->base_tick_ns;
		uint64_t cap = 1000000000ull / b->base_tick_ns;
		ev.sample.weight = w < 1 ? 1 : w > cap ? cap : w;
	}
	/* Still stopped (or blocked in D): its Python frames are of the same instant. */
	bool py = pr->py && pysample_read(pr->py, t->tid, b->ips, (size_t)n, &b->py) == 0;
	if (py) {
		python_name(s, pr, t);
		ev.sample.python = &b->py;
		if (b->py.partial)
			ev.sample.flags |= SAMPLE_PARTIAL;
	}
	if (py_gil_filter(b, pr, t, (long)rp->orig_rax, rp->rdi, t->stop_ns, py, &ev))
		return;
	t->last_sample_ns = t->stop_ns;
	t->sampled = true;
	if (displaced) {
		memcpy(b->cand_ips, b->ips, (size_t)n * sizeof(*b->ips));
		ev.sample.user = b->cand_ips;
		if (ev.sample.python) {
			pysample_move(&b->cand_py, &b->py);
			ev.sample.python = &b->cand_py;
		}
		b->cand = ev;
		return;
	}
	b->samples++;
	emit(s, &ev);
}


/* Called by ptrace_proc_collect for each thread as it stops. */

static void on_stop(struct ptrace_proc *pp, struct ptrace_thread *t, void *arg)
{
	struct pt_backend *b = arg;
	struct pt_proc *pr = b->cur;
	struct user_regs_struct regs;
	bool displaced = false;
	if (ptrace_thread_regs(t->tid, &regs) != 0)
		return;
	/* Our stop cut a fork or clone short: the kernel aborts one that a
	 * signal or an interrupt meets and restarts it (ERESTARTNOINTR). A
	 * thread that forks again and again, stopped at every tick, could then
	 * never finish one (churn made 20 threads in 2 s under ASan): leave it
	 * alone for a few ticks. */
	long cnr = (long)regs.orig_rax;
	if ((cnr == 56 || cnr == 57 || cnr == 58 || cnr == 435) && (long long)regs.rax == -513)
		t->hold_off = 4;
	/* A user-stopped thread is not time the program spent anywhere. */
	if (t->group_stop)
		return;
	if (ptrace_thread_restart_cut(pp, t->tid, &regs) == 1)
		b->restarted++;
	if (!b->wall) {
		/* cpu mode. A new thread stopped at the return of clone has run
		 * none of its code: its time on a CPU so far is the kernel making
		 * it and leaving its first stop, which we held. */
		long nr = (long)regs.orig_rax;
		if ((nr == 56 || nr == 435) && regs.rax == 0) {
			b->not_running++;
			return;
		}
		/* State R also means waiting for a CPU (just woken, just created,
		 * preempted), and perf would not sample such a thread. One that
		 * was on a CPU stops without being given one again; one that had
		 * to wait for a CPU first counts one more arrival. */
		uint64_t runs;
		if (t->runs != RUNS_UNKNOWN && procstat_runs(pp->pid, t->tid, &runs) == 0) {
			/* Except the one thread our own wake-up may have taken the CPU
			 * from: perf would have seen it running. It waited on our CPU
			 * and was stopped out of user code (preempted there, not woken
			 * from a sleep or just created). */
			if (runs != t->runs) {
				if (!t->on_our_cpu || (long)regs.orig_rax >= 0) {
					b->not_running++;
					return;
				}
				/* CFS shares a CPU evenly between its runnable threads, so
				 * each candidate is as likely as any other to be the one
				 * that was running: keep the k-th with probability 1/k. */
				b->ncand++;
				if (b->ncand > 1) {
					b->not_running++;
					if (next_rand(b) % b->ncand != 0)
						return;
				}
				displaced = true;
			}
		} else if (woke_from_wait(&regs)) {
			/* Without that count: a stop at the exit of a waiting system
			 * call was most likely waiting for a CPU after its wake-up. */
			b->not_running++;
			return;
		}
	}
	uint64_t weight = b->weight;
	/* A displaced candidate is weighed when it is chosen (sample_proc): a
	 * candidate left out keeps its time for its next sample. */
	if (!b->wall && !displaced) {
		weight = cpu_weight(b, pp, t);
		if (!weight)
			return; /* its time goes with its next sample */
	}
	sample_regs(b, pr, pp, t, &regs, weight, displaced);
}

/* Wall mode: a thread blocked in the kernel is read without a stop
 * (offcpu.h: /proc/PID/task/TID/syscall gives its registers where it entered
 * the kernel, process_vm_readv its stack, kept while it does not run). A stop
 * would make epoll_wait, semtimedop or sigtimedwait return EINTR, and a thread
 * in uninterruptible sleep (a vfork parent, disk I/O) would not stop until it
 * woke. Returns false when the thread is not blocked (it runs: stop it). */
static bool sample_blocked(struct pt_backend *b, struct pt_proc *pr, struct ptrace_thread *t)
{
	struct sampler *s = b->s;
	struct offcpu_look lk;
	if (offcpu_look(b->off, pr->pp.pid, t->tid, pr->tp->maps, &lk) != 0 || !lk.blocked)
		return false;
	b->blocked++;
	if (!lk.nips)
		return true;
	uint64_t now = now_ns();
	if (pr->tp->maps && !all_mapped(pr->tp->maps, lk.ips, lk.nips) && now - pr->maps_miss_ns >= MAPS_RELOAD_NS) {
		/* Code outside the known mappings: something was mapped since we
		 * read them (ld.so after an exec, dlopen). A reread that changed
		 * them makes the reader unwind again (its stacks are kept per
		 * generation of the mappings). */
		uint64_t gen = pr->tp->maps->generation;
		maps_refresh(pr, true);
		if (pr->tp->maps->generation != gen &&
		    (offcpu_look(b->off, pr->pp.pid, t->tid, pr->tp->maps, &lk) != 0 || !lk.blocked))
			return false;
		if (!all_mapped(pr->tp->maps, lk.ips, lk.nips))
			pr->maps_miss_ns = now;
		if (!lk.nips)
			return true;
	}
	struct sampler_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SAMPLER_SAMPLE;
	ev.pid = ev.sample.pid = pr->pp.pid;
	ev.tid = ev.sample.tid = t->tid;
	ev.time_ns = ev.sample.time_ns = now;
	ev.sample.user = lk.ips;
	ev.sample.nuser = lk.nips;
	ev.sample.flags = lk.flags;
	ev.sample.state = lk.state;
	ev.sample.syscall = lk.syscall;
	/* As a stopped thread's sample: the time since its previous one. */
	uint64_t since = t->last_sample_ns ? now - t->last_sample_ns : b->tick_ns;
	uint64_t w = (since + b->base_tick_ns / 2) / b->base_tick_ns, cap = 1000000000ull / b->base_tick_ns;
	ev.sample.weight = w < 1 ? 1 : w > cap ? cap : w;
	/* Blocked: its Python frames stay as they are while we read them. */
	bool py = pr->py && pysample_read(pr->py, t->tid, lk.ips, lk.nips, &b->py) == 0;
	if (py) {
		ev.sample.python = &b->py;
		if (b->py.partial)
			ev.sample.flags |= SAMPLE_PARTIAL;
	}
	bool in_call = lk.call && lk.call->where == OFFCPU_IN_CALL;
	if (py_gil_filter(b, pr, t, in_call ? lk.call->nr : -1, in_call ? lk.call->args[0] : 0, now, py, &ev))
		return true;
	t->last_sample_ns = now;
	t->sampled = true;
	b->samples++;
	emit(s, &ev);
	return true;
}

static bool thread_wanted(struct sampler *s, struct pt_proc *pr, struct ptrace_thread *t, const char *comm)
{
	if (strncmp(t->comm, comm, sizeof(t->comm) - 1) != 0) {
		/* First look, or renamed since (no COMM records under ptrace):
		 * the event names it before we ask about it. */
		size_t n = strnlen(comm, sizeof(t->comm) - 1); /* comm is at most 15 bytes */
		memcpy(t->comm, comm, n);
		t->comm[n] = 0;
		emit_comm(s, pr->pp.pid, t->tid, comm, false);
	}
	if (!s->env.thread_wanted || s->env.thread_wanted(s->env.ctx, pr->pp.pid, t->tid))
		return true;
	/* --thread may name a Python thread, whose name is read in its
	 * stops, which the filter would never let come: read it now
	 * (outside a stop, fresh pages), then ask again. */
	if (!pr->py || pr->py->state != PYSAMPLE_READY)
		return false;
	ptrace_mem_reset(pr->mem);
	python_name(s, pr, t);
	return s->env.thread_wanted(s->env.ctx, pr->pp.pid, t->tid);
}

/* Samples one process; returns the ns during which one of its threads was held. */
static uint64_t sample_proc(struct pt_backend *b, struct pt_proc *pr)
{
	struct sampler *s = b->s;
	struct ptrace_proc *pp = &pr->pp;
	size_t asked = 0;
	maps_refresh(pr, false);
	if (pr->py && pysample_detect(pr->py, pr->tp->maps) && pr->py->state == PYSAMPLE_UNSUPPORTED) {
		note_line(s, now_ns(), pr->py->message);
	}
	for (size_t i = 0; i < pp->nthreads; i++) {
		struct ptrace_thread *t = &pp->threads[i];
		/* Wall mode counts a thread whose stop is still pending from an
		 * earlier tick too: it is blocked in the kernel. */
		bool pending = b->wall && t->state == PT_INTERRUPTED;
		if (t->state != PT_RUNNING && !pending)
			continue; /* user-stopped (listening), new, or a stop still pending */
		if (t->hold_off && !pending) {
			t->hold_off--;
			continue; /* a fork we cut short gets to finish (on_stop) */
		}
		struct procstat st;
		if (procstat_read(pp->pid, t->tid, &st) != 0)
			continue;
		if (st.state == 'Z' || st.state == 'X')
			continue;
		if (st.state == 't' && t->state == PT_RUNNING) {
			/* In a stop of its own that we have not served yet (a clone
			 * event, a signal): it waits for us, not for its program.
			 * Let it go first; sampled there it would be time we took. */
			pid_t tid = t->tid;
			size_t before = pp->nthreads;
			if (ptrace_thread_serve(pp, tid) <= 0)
				continue;
			if (pp->nthreads < before)
				break; /* an exit or an exec: the next tick looks again */
			t = &pp->threads[i]; /* a clone may have moved the table */
			if (t->state != PT_RUNNING || procstat_read(pp->pid, tid, &st) != 0)
				continue;
		}
		if (!b->wall && st.state != 'R')
			continue;
		if (!thread_wanted(s, pr, t, st.comm))
			continue;
		if (b->wall) {
			t->sched = st.state;
			/* Not running: read as it is, no stop. A running one is
			 * stopped at once: a thread that lives microseconds (churn)
			 * is gone after a few more /proc reads. */
			if (st.state != 'R' && sample_blocked(b, pr, t))
				continue;
			if (pending)
				continue; /* a stop still pending: it comes */
		}
		/* The session may add a target thread then, never a ptrace thread: t is valid. */
		t->sched = st.state;
		t->runs = RUNS_UNKNOWN;
		if (!b->wall && procstat_runs(pp->pid, t->tid, &t->runs) != 0)
			t->runs = RUNS_UNKNOWN;
		t->on_our_cpu = st.processor == sched_getcpu();
		if (ptrace_thread_interrupt(pp, t) == 0)
			asked++;
	}
	if (!asked)
		return 0;
	b->cur = pr;
	b->ncand = 0;
	b->cand.kind = 0; /* none held */
	uint64_t held0 = pp->held_ns;
	ptrace_proc_collect(pp, b->wall ? WALL_STOP_DEADLINE_NS : CPU_STOP_DEADLINE_NS, on_stop, b);
	if (b->cand.kind == SAMPLER_SAMPLE) {
		struct ptrace_thread *t = ptrace_proc_find(pp, b->cand.tid);
		b->cand.sample.weight = t ? cpu_weight(b, pp, t) : 1;
		if (b->cand.sample.weight) {
			b->samples++;
			b->displaced++;
			emit(s, &b->cand);
		}
	}
	/* Time the target's threads sat stopped (not the wait for a thread that
	 * was not on a CPU anyway); summed, as if the target stood still while
	 * any thread was held. */
	return pp->held_ns - held0;
}

static void cost_control(struct pt_backend *b, uint64_t paused, uint64_t now)
{
	/* The first tick loads unwind tables and fills caches: not the steady cost. */
	if (b->ticks <= 1) {
		b->win_start_ns = now;
		return;
	}
	b->win_paused_ns += paused;
	b->run_paused_ns += paused;
	if (paused > b->win_max_ns)
		b->win_max_ns = paused;
	b->win_ticks++;
	uint64_t el = now - b->win_start_ns;
	if (b->win_ticks < COST_WINDOW_TICKS)
		return;
	/* The worst tick of a window is left out: one scheduling hiccup of ours
	 * (both cores busy) is not the steady cost of sampling. */
	uint64_t held = b->win_paused_ns - b->win_max_ns;
	double frac = (double)held / (double)el;
	/* A window is a quarter of a second, unless the cost is already far over
	 * the budget: a deep stack held the target 68% of its first window,
	 * 4% of a 4 s run spent before the first decision. */
	if (el < COST_WINDOW_NS && frac < 4 * PAUSE_BUDGET)
		return;
	/* The period that keeps the measured cost per tick at 80% of the budget,
	 * as a whole multiple of the asked period (so each sample's weight is whole). */
	double per_tick = (double)held / (b->win_ticks - 1);
	uint64_t want = (uint64_t)(per_tick / (PAUSE_BUDGET * 0.8));
	uint64_t k = (want + b->base_tick_ns - 1) / b->base_tick_ns;
	if (k < 1)
		k = 1;
	uint64_t old = b->tick_ns;
	if (frac > PAUSE_BUDGET && k * b->base_tick_ns > old) {
		b->tick_ns = k * b->base_tick_ns;
		/* One line the first time; again only when the rate halves once more. */
		if (!b->warned_ns || b->tick_ns >= 2 * b->warned_ns) {
			char line[256];
			snprintf(line, sizeof(line),
				 "ptrace stops held the target %.1f%% of the time at %.0f Hz; lowering the rate to %.0f Hz to stay under %.0f%% (perf_event costs far less where it is allowed)",
				 100 * frac, 1e9 / (double)old, 1e9 / (double)b->tick_ns, 100 * PAUSE_BUDGET);
			note_line(b->s, now, line);
			b->warned_ns = b->tick_ns;
		}
	} else if (frac < PAUSE_BUDGET / 2 && k * b->base_tick_ns < old) {
		/* Cheaper now (threads ended, caches warm): back towards the asked rate. */
		uint64_t half = old / b->base_tick_ns / 2;
		b->tick_ns = (k > half ? k : half ? half : 1) * b->base_tick_ns;
		if (b->tick_ns < b->cpu_tick_ns)
			b->tick_ns = b->cpu_tick_ns; /* what prowl's own CPU allows (wall_cpu_control) */
	}
	b->win_start_ns = now;
	b->win_paused_ns = 0;
	b->win_max_ns = 0;
	b->win_ticks = 0;
}

/* A look at every thread (a /proc read each, an interrupt of each running
 * one) can take longer than the period: 2000 threads at 999 Hz. Then the rate
 * falls whatever cost_control decides, and the user must hear it: one line
 * when the rate reached falls under half the one asked, again when it halves. */
static void slow_ticks(struct pt_backend *b, uint64_t now)
{
	uint64_t el = now - b->run_start_ns;
	if (el < COST_WINDOW_NS || b->ticks < 2)
		return;
	uint64_t gap = el / b->ticks; /* the mean interval reached */
	if (gap < 2 * b->tick_ns || (b->slow_warned_ns && gap < 2 * b->slow_warned_ns))
		return;
	size_t threads = 0;
	for (size_t i = 0; i < b->nprocs; i++)
		threads += b->procs[i]->pp.nthreads;
	char line[256];
	snprintf(line, sizeof(line),
		 "ptrace sampling fell to %.*f Hz (asked %.0f Hz): one look at %zu thread%s takes %.1f ms (a /proc read each, a stop of each running one); perf_event costs far less where it is allowed",
		 gap > 1000000000ull ? 2 : 0, 1e9 / (double)gap, 1e9 / (double)b->base_tick_ns, threads, threads == 1 ? "" : "s",
		 (double)b->tick_busy_ns / 1e6 / (double)b->ticks);
	note_line(b->s, now, line);
	b->slow_warned_ns = gap;
}

static uint64_t clones_total(const struct pt_backend *b)
{
	uint64_t n = b->gone_clones;
	for (size_t i = 0; i < b->nprocs; i++)
		n += b->procs[i]->pp.clones;
	return n;
}

/* Tracing follows every new thread (PTRACE_O_TRACECLONE): the creator stops
 * at its clone and the new thread at its start, each until we resume it. A
 * thread a request costs the target that much per request (measured: a
 * Python loop of start-and-join ran at half its rate, prowl at 10 Hz), which
 * no pause budget covers. Said once, when a second of the run averaged
 * CHURN_NOTE_RATE new threads or more. */
#define CHURN_NOTE_RATE 100
static void churn_note(struct pt_backend *b, uint64_t now)
{
	uint64_t el = now - b->run_start_ns;
	if (b->churn_said || el < 1000000000ull)
		return;
	uint64_t n = clones_total(b);
	double rate = (double)n * 1e9 / (double)el;
	if (rate < CHURN_NOTE_RATE)
		return;
	b->churn_said = true;
	char line[320];
	snprintf(line, sizeof(line),
		 "the target starts %.0f threads a second: under ptrace each new thread stops the one creating it "
		 "until prowl resumes both, which slows thread creation (--backend perf stops nothing, with native "
		 "stacks only)", rate);
	note_line(b->s, now, line);
}

static uint64_t thread_cpu_now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wall mode stops only running threads, so the pause budget seldom binds;
 * what costs is prowl's own looks (a few /proc reads per thread per tick):
 * they are kept under WALL_CPU_BUDGET of one CPU by a longer period, which
 * changes no total (each sample weighs the time since the thread's last). */
static void wall_cpu_control(struct pt_backend *b, uint64_t cpu, uint64_t now)
{
	if (b->ticks <= 1) {
		b->cpu_win_start_ns = now;
		return;
	}
	b->cpu_win_ns += cpu;
	b->cpu_win_ticks++;
	uint64_t el = now - b->cpu_win_start_ns;
	if (el < COST_WINDOW_NS || b->cpu_win_ticks < COST_WINDOW_TICKS)
		return;
	double frac = (double)b->cpu_win_ns / (double)el;
	double per_tick = (double)b->cpu_win_ns / b->cpu_win_ticks;
	uint64_t k = (uint64_t)(per_tick / (WALL_CPU_BUDGET * 0.8)) / b->base_tick_ns + 1;
	if (frac > WALL_CPU_BUDGET && k * b->base_tick_ns > b->tick_ns) {
		b->cpu_tick_ns = b->tick_ns = k * b->base_tick_ns;
	} else if (frac < WALL_CPU_BUDGET / 2 && b->cpu_tick_ns > b->base_tick_ns) {
		b->cpu_tick_ns /= 2;
		if (b->cpu_tick_ns < b->base_tick_ns)
			b->cpu_tick_ns = b->base_tick_ns;
		/* cost_control brings the period back down from there. */
	}
	b->cpu_win_start_ns = now;
	b->cpu_win_ns = 0;
	b->cpu_win_ticks = 0;
}

static int attach_proc(struct sampler *s, struct target_proc *tp)
{
	struct pt_backend *b = s->priv;
	const struct capture_opts *o = s->env.opts;
	struct ptrace_proc pp;
	int r = ptrace_proc_attach_flags(&pp, tp->pid, o && o->children ? PTRACE_PROC_FOLLOW_FORKS : 0);
	if (r < 0) {
		ptrace_proc_release(&pp);
		char hint[200];
		if ((r == -EPERM || r == -EACCES) && target_denied_hint(tp->pid, hint, sizeof(hint)))
			snprintf(s->err, sizeof(s->err), "cannot trace %d: permission denied (%s)", (int)tp->pid, hint);
		else if (r == -EPERM || r == -EACCES)
			snprintf(s->err, sizeof(s->err),
				 "cannot trace %d: permission denied (run as the process owner or root, and check kernel.yama.ptrace_scope)",
				 (int)tp->pid);
		else if (r == -ESRCH)
			snprintf(s->err, sizeof(s->err), "cannot trace %d: no such process", (int)tp->pid);
		else
			snprintf(s->err, sizeof(s->err), "cannot trace %d: %s", (int)tp->pid, strerror(-r));
		return r;
	}
	struct pt_proc *pr = proc_add(b, tp);
	pr->pp = pp;
	pr->attached = true;
	/* Announce what is there now as "known" without FORK events: the session
	 * scanned these threads itself. */
	for (size_t i = 0; i < pr->pp.nthreads; i++) {
		xgrow((void **)&pr->known, &pr->capknown, pr->nknown + 1, sizeof(*pr->known));
		pr->known[pr->nknown++] = pr->pp.threads[i].tid;
		cpu_baseline(&pr->pp, &pr->pp.threads[i]);
	}
	qsort(pr->known, pr->nknown, sizeof(*pr->known), cmp_pid);
	return 0;
}

static void detach_all(struct pt_backend *b)
{
	for (size_t i = 0; i < b->nprocs; i++) {
		struct pt_proc *pr = b->procs[i];
		if (pr->attached) {
			ptrace_proc_detach(&pr->pp);
			pr->attached = false;
		}
	}
	b->detached = true;
}

static int ptrace_open(struct sampler *s)
{
	struct pt_backend *b = xcalloc(1, sizeof(*b));
	s->priv = b;
	b->s = s;
	const struct capture_opts *o = s->env.opts;
	b->base_tick_ns = b->tick_ns = tick_for_freq(o ? o->freq : 0);
	b->wall = o && o->mode == CAPTURE_MODE_WALL;
	b->max_ips = o && o->max_depth ? o->max_depth : CAPTURE_DEFAULT_DEPTH;
	b->ips = xcalloc(b->max_ips, sizeof(*b->ips));
	b->cand_ips = xcalloc(b->max_ips, sizeof(*b->cand_ips));
	b->weight = 1;
	if (b->wall)
		b->off = offcpu_new(o->unwind == CAPTURE_UNWIND_FP ? NULL : s->env.unwinder, b->max_ips, b->base_tick_ns);
	s->tick_ns = b->tick_ns;
	s->reaps = true; /* a tracer's wait sees its tracees: the session must not wait */
	struct target *t = s->env.target;
	for (size_t i = 0; t && i < t->nprocs; i++) {
		int r = attach_proc(s, t->procs[i]);
		if (r < 0) {
			detach_all(b);
			return r;
		}
	}
	return 0;
}

static int ptrace_start(struct sampler *s)
{
	struct pt_backend *b = s->priv;
	b->started = true;
	b->run_start_ns = b->win_start_ns = now_ns();
	b->next_due_ns = 0;
	b->rng = now_ns() | 1;
	return 0;
}

static size_t ptrace_fds(struct sampler *s, int *fds, size_t max)
{
	(void)s;
	(void)fds;
	(void)max;
	return 0; /* events come as SIGCHLD, which the session's signalfd sees */
}

static int ptrace_poll(struct sampler *s)
{
	struct pt_backend *b = s->priv;
	if (!b || b->detached)
		return 0;
	for (size_t i = 0; i < b->nprocs; i++) {
		struct pt_proc *pr = b->procs[i];
		if (!pr->attached || pr->gone)
			continue;
		b->cur = pr;
		ptrace_proc_poll_cb(&pr->pp, b->wall && b->started ? on_stop : NULL, b);
		sync_threads(s, pr);
	}
	procs_reap(b);
	return 0;
}

static int ptrace_tick(struct sampler *s)
{
	struct pt_backend *b = s->priv;
	if (!b || b->detached || !b->started)
		return 0;
	ptrace_poll(s);
	uint64_t now = now_ns();
	/* A session that keeps a fixed period ticks more often than we sample. */
	if (b->next_due_ns && now + b->base_tick_ns / 4 < b->next_due_ns)
		return 0;
	/* The next interval is drawn in [0.5, 1.5) of the period: a fixed period
	 * beats with a periodic workload and skews the shares. */
	uint64_t iv = b->tick_ns / 2 + next_rand(b) % b->tick_ns;
	b->next_due_ns = now + iv;
	s->tick_ns = iv;
	b->last_tick_ns = now;
	uint64_t paused = 0;
	uint64_t cpu0 = thread_cpu_now();
	if (b->off)
		offcpu_round_begin(b->off);
	for (size_t i = 0; i < b->nprocs; i++) {
		struct pt_proc *pr = b->procs[i];
		if (!pr->attached || pr->gone)
			continue;
		paused += sample_proc(b, pr);
		/* Stops seen while collecting may have been exits, clones or an exec. */
		sync_threads(s, pr);
	}
	if (b->off)
		offcpu_round_end(b->off);
	procs_reap(b);
	b->ticks++;
	uint64_t end = now_ns();
	b->tick_busy_ns += end - now;
	if (b->wall) {
		/* The unwinds of held threads are the pause budget's (cost_control). */
		uint64_t cpu = thread_cpu_now() - cpu0;
		wall_cpu_control(b, cpu > paused ? cpu - paused : 0, end);
	}
	cost_control(b, paused, end);
	slow_ticks(b, end);
	churn_note(b, end);
	return 0;
}

/* The cost figures of the run, as "name value" pairs in s->stats: the
 * command line shows them with its closing summary (tests and
 * tests/bench/bench_ptrace.sh read them there). */
static void note_stats(struct sampler *s, struct pt_backend *b)
{
	uint64_t stops = b->gone_stops, held = b->gone_held_ns, wait = b->gone_wait_ns, late = b->gone_late;
	for (size_t i = 0; i < b->nprocs; i++) {
		stops += b->procs[i]->pp.stops;
		held += b->procs[i]->pp.held_ns;
		wait += b->procs[i]->pp.stop_wait_ns;
		late += b->procs[i]->pp.late;
	}
	uint64_t el = now_ns() - b->run_start_ns;
	snprintf(s->stats, sizeof(s->stats),
		"ptrace cost: ticks %llu tick_hz %.0f tick_us %.0f stops %llu samples %llu wait_us %.1f held_us %.1f held_pct %.2f late %llu final_hz %.0f elapsed_s %.2f not_running %llu displaced %llu blocked %llu restarted %llu",
		(unsigned long long)b->ticks, el ? b->ticks * 1e9 / el : 0.0,
		b->ticks ? b->tick_busy_ns / 1e3 / b->ticks : 0.0, (unsigned long long)stops, (unsigned long long)b->samples,
		stops ? wait / 1e3 / stops : 0.0, stops ? held / 1e3 / stops : 0.0,
		el ? 100.0 * held / el : 0.0, (unsigned long long)late, 1e9 / (double)b->tick_ns, el / 1e9,
		(unsigned long long)b->not_running, (unsigned long long)b->displaced, (unsigned long long)b->blocked,
		(unsigned long long)b->restarted);
	size_t len0 = strlen(s->stats);
	snprintf(s->stats + len0, sizeof(s->stats) - len0, " clones %llu", (unsigned long long)clones_total(b));
	if (b->off) {
		struct offcpu_stats st;
		offcpu_stats(b->off, &st);
		size_t len = strlen(s->stats);
		snprintf(s->stats + len, sizeof(s->stats) - len, " cache_hits %llu cache_hit_pct %.1f stack_reads %llu raced %llu dropped %llu",
			 (unsigned long long)st.hits, st.blocked ? 100.0 * (double)st.hits / (double)st.blocked : 0.0,
			 (unsigned long long)st.reads, (unsigned long long)st.raced, (unsigned long long)st.dropped);
	}
}

static int ptrace_stop(struct sampler *s)
{
	struct pt_backend *b = s->priv;
	if (!b)
		return 0;
	if (!b->detached && b->started) {
		note_stats(s, b);
		uint64_t merged = b->gone_py_merged, mismatched = b->gone_py_mismatched, unread = b->gone_py_unread;
		uint64_t edges = b->gone_py_edges;
		for (size_t i = 0; i < b->nprocs; i++)
			if (b->procs[i]->py) {
				merged += b->procs[i]->py->merged;
				mismatched += b->procs[i]->py->mismatched;
				unread += b->procs[i]->py->unread;
				edges += b->procs[i]->py->edges;
			}
		size_t len = strlen(s->stats);
		if (merged + unread)
			snprintf(s->stats + len, sizeof(s->stats) - len,
				 " python_merged %llu python_mismatched %llu python_mismatched_pct %.2f python_unread %llu python_edge %llu",
				 (unsigned long long)merged, (unsigned long long)mismatched,
				 merged ? 100.0 * (double)mismatched / (double)merged : 0.0, (unsigned long long)unread,
				 (unsigned long long)edges);
		len = strlen(s->stats);
		if (s->env.opts && s->env.opts->gil)
			snprintf(s->stats + len, sizeof(s->stats) - len, " gil_dropped %llu",
				 (unsigned long long)b->gil_dropped);
	}
	if (!b->detached) {
		ptrace_poll(s);
		detach_all(b);
	}
	return 0;
}

static void ptrace_close(struct sampler *s)
{
	struct pt_backend *b = s->priv;
	if (!b)
		return;
	if (!b->detached)
		detach_all(b);
	for (size_t i = 0; i < b->nprocs; i++)
		proc_free(b->procs[i]);
	free(b->procs);
	free(b->ips);
	free(b->cand_ips);
	pysample_release(&b->py);
	pysample_release(&b->cand_py);
	offcpu_free(b->off);
	free(b);
	s->priv = NULL;
}

const struct sampler_ops ptrace_sampler_ops = {
	.name = "ptrace",
	.open = ptrace_open,
	.start = ptrace_start,
	.fds = ptrace_fds,
	.poll = ptrace_poll,
	.tick = ptrace_tick,
	.stop = ptrace_stop,
	.close = ptrace_close,
};
