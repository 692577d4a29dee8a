/*
 * perf_sampler: the perf_event backend. One software cpu-clock event per
 * (thread, CPU) with inherit, so threads and processes created later carry
 * the event from their first instruction (no scan window); all events of a
 * CPU write into one ring (PERF_EVENT_IOC_SET_OUTPUT: inherited events cannot
 * be mmapped with cpu == -1). Records of all rings are merged in time order
 * before they are applied; a sample brings the user registers and a copy of
 * the user stack, unwound here with profiler/unwind.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "profiler/capture/offcpu.h"
#include "profiler/capture/perf_ring.h"
#include "profiler/capture/perf_sample.h"
#include "profiler/capture/sampler.h"
#include "profiler/base/errstr.h"
#include "profiler/base/itab.h"
#include "profiler/base/procstat.h"
#include "profiler/base/util.h"


#define RING_PAGES_MAX 1024u /* 4 MiB per CPU: a quarter second of full stack copies */
#define RING_PAGES_MIN 16u

/* perf's x86_64 user register bits we ask for (asm/perf_regs.h order). */
enum {
	PR_AX = 0, PR_BX, PR_CX, PR_DX, PR_SI, PR_DI, PR_BP, PR_SP, PR_IP, PR_FLAGS, PR_CS, PR_SS,
	PR_DS, PR_ES, PR_FS, PR_GS, PR_R8, PR_R9, PR_R10, PR_R11, PR_R12, PR_R13, PR_R14, PR_R15,
};
#define REGS_MASK (0x1ffull | (0xffull << PR_R8))
/* DWARF number of each requested perf register, in bit order. */
static const int8_t perf_to_dwarf[] = {
	[PR_AX] = UNWIND_REG_RAX, [PR_BX] = UNWIND_REG_RBX, [PR_CX] = UNWIND_REG_RCX,
	[PR_DX] = UNWIND_REG_RDX, [PR_SI] = UNWIND_REG_RSI, [PR_DI] = UNWIND_REG_RDI,
	[PR_BP] = UNWIND_REG_RBP, [PR_SP] = UNWIND_REG_RSP, [PR_IP] = UNWIND_REG_RIP,
	[PR_R8] = UNWIND_REG_R8, [PR_R9] = UNWIND_REG_R9, [PR_R10] = UNWIND_REG_R10,
	[PR_R11] = UNWIND_REG_R11, [PR_R12] = UNWIND_REG_R12, [PR_R13] = UNWIND_REG_R13,
	[PR_R14] = UNWIND_REG_R14, [PR_R15] = UNWIND_REG_R15,
};

/* The next unread record of a ring, for the merge in time order. */
struct ring_head {
	const struct perf_event_header *h; /* NULL when the ring has nothing left */
	uint64_t time;
	uint64_t pos;        /* ring position of h, to put it back */
	size_t held_pos;     /* and its position among the held records */
	unsigned char *scratch; /* a copy of h when it wraps around the end */
};

/* Processes exec'ing at once whose kernel half is told apart (in_exec). */
#define EXEC_PENDING_MAX 32

struct perf_state {
	int ncpus;
	struct perf_ring *rings; /* per CPU; fd -1 until the first event of that CPU */
	int *fds;
	size_t nfds, cap_fds;
	struct perf_event_attr attr;
	size_t ring_pages;
	bool dwarf;
	struct ring_head *heads; /* per CPU */
	uint64_t *user, *kernel;
	size_t max_frames;
	uint64_t throttled;
	/* Kernel hidden: the attached processes' CPU when sampling began. */
	struct procstat_cpu *cpu_start;
	pid_t *cpu_pids;
	size_t ncpu_pids;
	struct perf_wall *wall; /* --mode wall: the blocked-thread reader, else NULL */
	bool system_wide; /* -a: one event per CPU for every process (open_system_wide) */
	bool records_lost; /* a LOST record came: some MMAP2 may be missing */
	/* Processes between their exec's COMM record and the first sample of
	 * the new program's code: a sample there is the kernel's half of
	 * execve (exec_half). A few at a time; the oldest is forgotten first. */
	pid_t in_exec[EXEC_PENDING_MAX];
	size_t nin_exec;
};

static int perf_wall_open(struct sampler *s);
static int perf_wall_tick(struct sampler *s);
static void perf_wall_note_cpu(struct sampler *s, struct sampler_sample *sm);
static void perf_wall_stats(struct sampler *s);
static void perf_wall_free(struct perf_state *ps);
static void perf_wall_exec(struct sampler *s, pid_t pid);

struct stack_mem {
	uint64_t sp;
	const unsigned char *data;
	uint64_t size;      /* bytes the kernel copied */
	bool full;          /* it copied all that was asked: the stack may go on */
};

static int stack_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct stack_mem *m = ctx;
	if (addr >= m->sp && addr - m->sp <= m->size && len <= m->size - (addr - m->sp)) {
		/* Nearly every read is the unwinder's 8-byte word: a fixed-size
		 * copy is one move, not a call. */
		if (len == 8)
			memcpy(buf, m->data + (addr - m->sp), 8);
		else
			memcpy(buf, m->data + (addr - m->sp), len);
		return 0;
	}
	if (addr >= m->sp && m->full)
		return -ERANGE;
	return -EFAULT;
}

static long perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void add_fd(struct perf_state *ps, int fd)
{
	xgrow((void **)&ps->fds, &ps->cap_fds, ps->nfds + 1, sizeof(*ps->fds));
	ps->fds[ps->nfds++] = fd;
}

static int perf_denied_message(struct sampler *s, int err)
{
	int paranoid = -1;
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	if (f) {
		if (fscanf(f, "%d", &paranoid) != 1)
			paranoid = -1;
		fclose(f);
	}
	const char *why = errstr(err);
	snprintf(s->err, sizeof(s->err),
		 "perf_event_open denied: %.40s (kernel.perf_event_paranoid is %d; run as root or with "
		 "CAP_PERFMON, or lower it: sysctl kernel.perf_event_paranoid=1)",
		 why, paranoid);
	return -EPERM; /* one code for "not allowed", whatever the kernel said */
}

/* One event per thread and CPU: many threads on many CPUs run out of
 * descriptors; say which limit, with the numbers to choose a new one. */
static int perf_nofile_message(struct sampler *s, int e)
{
	struct perf_state *ps = s->priv;
	struct rlimit rl = { 0, 0 };
	getrlimit(RLIMIT_NOFILE, &rl);
	if (e == ENFILE)
		snprintf(s->err, sizeof(s->err),
			 "perf_event_open failed: the system's file table is full after %zu events "
			 "(raise fs.file-max, or use --backend ptrace)",
			 ps->nfds);
	else
		snprintf(s->err, sizeof(s->err),
			 "perf_event_open failed: too many open files after %zu events (the perf backend "
			 "needs one per thread and CPU, %d CPUs here; raise the hard limit RLIMIT_NOFILE, "
			 "now %llu: ulimit -Hn or LimitNOFILE=, or use --backend ptrace)",
			 ps->nfds, ps->ncpus, (unsigned long long)rl.rlim_max);
	return -e;
}

/* Opens the events of one thread on every CPU; with ring maps on first use. */
static int open_thread(struct sampler *s, pid_t tid)
{
	struct perf_state *ps = s->priv;
	int opened = 0, last_err = 0;
	for (int cpu = 0; cpu < ps->ncpus; cpu++) {
		long fd = perf_open(&ps->attr, tid, cpu);
		if (fd < 0) {
			last_err = errno;
			if (errno == ENODEV || errno == ENXIO)
				continue; /* offline CPU */
			if (errno == ESRCH)
				return -ESRCH;
			if (errno == EACCES || errno == EPERM)
				return perf_denied_message(s, errno);
			if (errno == EMFILE || errno == ENFILE)
				return perf_nofile_message(s, errno);
			snprintf(s->err, sizeof(s->err), "perf_event_open failed: %s", errstr(errno));
			return -last_err;
		}
		struct perf_ring *r = &ps->rings[cpu];
		if (r->fd < 0) {
			int err;
			size_t pages = ps->ring_pages;
			while ((err = perf_ring_map(r, (int)fd, pages)) == -EPERM || err == -ENOMEM) {
				if (pages <= RING_PAGES_MIN)
					break;
				pages /= 2;
			}
			if (err) {
				r->fd = -1;
				close((int)fd);
				snprintf(s->err, sizeof(s->err),
					 "cannot map the perf ring buffer: %s (raise ulimit -l or "
					 "kernel.perf_event_mlock_kb)",
					 errstr(-err));
				return err;
			}
			ps->ring_pages = pages;
			ps->heads[cpu].scratch = xmalloc(PERF_RING_SCRATCH);
		} else if (ioctl((int)fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd)) {
			int e = errno;
			close((int)fd);
			snprintf(s->err, sizeof(s->err), "perf_event ioctl SET_OUTPUT failed: %s", errstr(e));
			return -e;
		}
		add_fd(ps, (int)fd);
		opened++;
	}
	if (!opened) {
		snprintf(s->err, sizeof(s->err), "perf_event_open failed on every CPU: %s", errstr(last_err));
		return -(last_err ? last_err : ENODEV);
	}
	return 0;
}

/* Opens every thread of a process, rescanning until no thread appeared
 * between the scan and the opens (later ones inherit the events). */
static bool tid_eq(const void *ctx, uint32_t idx, const void *key)
{
	return ((const pid_t *)ctx)[idx] == *(const pid_t *)key;
}

static void emit_ev(struct sampler *s, const struct sampler_event *ev)
{
	if (s->env.emit)
		s->env.emit(s->env.ctx, ev);
}

static int open_process(struct sampler *s, struct target_proc *p, bool launched)
{
	/* The threads opened so far (ours: the target's records are the
	 * session's, told about new threads through events). */
	pid_t *done = NULL;
	size_t ndone = 0, capdone = 0;
	struct itab idx = ITAB_INIT;
	int ret = 0;
	bool alive = false;
	for (int round = 0; round < 100 && !ret; round++) {
		pid_t *tids;
		int n;
		if (launched) {
			/* Held before its exec: one thread, and /proc may still show prowl's name. */
			tids = xmalloc(sizeof(*tids));
			tids[0] = p->pid;
			n = 1;
		} else if ((n = procstat_tasks(p->pid, &tids)) < 0) {
			break; /* gone */
		}
		bool any = false;
		for (int i = 0; i < n && !ret; i++) {
			pid_t tid = tids[i];
			uint64_t h = hash_mix(0x7d, (uint64_t)tid);
			if (itab_find(&idx, h, tid_eq, done, &tid) != ITAB_NONE)
				continue;
			xgrow((void **)&done, &capdone, ndone + 1, sizeof(*done));
			done[ndone] = tid;
			itab_insert(&idx, h, (uint32_t)ndone++);
			any = true;
			bool known = target_thread(p, tid, false) != NULL;
			int r = open_thread(s, tid);
			if (r == -ESRCH) {
				/* Gone between the scan and the open. */
				if (known) {
					struct sampler_event ev = { .kind = SAMPLER_EXIT, .pid = p->pid, .tid = tid };
					emit_ev(s, &ev);
				}
				continue;
			}
			if (r) {
				ret = r;
				break;
			}
			alive = true;
			if (!known) {
				/* Started since the target was scanned: the session learns it here. */
				struct sampler_event ev = { .kind = SAMPLER_FORK, .pid = p->pid, .tid = tid, .time_ns = now_ns() };
				ev.fork.ppid = p->pid;
				ev.fork.ptid = p->pid;
				emit_ev(s, &ev);
			}
			/* The name is read again now the event is open: a rename before
			 * the open is only in /proc, one after it comes as a COMM record.
			 * The target's scan read it earlier, and a thread that renames
			 * itself as it starts (pthread_setname_np) fell between the two.
			 * A launched command is held before its exec: /proc still
			 * shows prowl's name there, and its exec brings the real one. */
			char name[16];
			if (!launched && procstat_comm(p->pid, tid, name, sizeof(name)) == 0) {
				struct sampler_event c = { .kind = SAMPLER_COMM, .pid = p->pid, .tid = tid, .time_ns = now_ns() };
				c.comm.name = name;
				emit_ev(s, &c);
			}
		}
		free(tids);
		if (launched || !any)
			break;
	}
	free(done);
	itab_release(&idx);
	if (ret)
		return ret;
	if (!alive) {
		snprintf(s->err, sizeof(s->err), "process %d exited", (int)p->pid);
		return -ESRCH;
	}
	return 0;
}

static int open_system_wide(struct sampler *s);

static void init_attr(struct sampler *s, bool exclude_kernel)
{
	struct perf_state *ps = s->priv;
	const struct capture_opts *o = s->env.opts;
	struct perf_event_attr *a = &ps->attr;
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_CPU_CLOCK;
	a->freq = 1;
	a->sample_freq = o->freq;
	a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
	if (ps->dwarf) {
		a->sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		a->sample_regs_user = REGS_MASK;
		a->sample_stack_user = o->stack_size;
		a->exclude_callchain_user = 1;
	}
	if (!ps->dwarf || o->kernel) {
		a->sample_type |= PERF_SAMPLE_CALLCHAIN;
		unsigned depth = o->max_depth;
		a->sample_max_stack = (uint16_t)(depth > 127 ? 127 : depth);
		if (!o->kernel)
			a->exclude_callchain_kernel = 1;
	}
	/* Time in the kernel (syscalls) counts for the user stack that called it,
	 * when the kernel lets us see it. */
	a->exclude_kernel = exclude_kernel;
	a->exclude_hv = 1;
	a->mmap = 1;
	a->mmap2 = 1;
	a->comm = 1;
	a->comm_exec = 1;
	a->task = 1;
	a->sample_id_all = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	a->inherit = 1;
	a->watermark = 1;
	a->wakeup_watermark = 0; /* set once the ring size is known */
}

/* Where the kernel hides itself from this user, its time is not sampled at
 * all: how much there was is read from the processes' system time, from
 * here to the stop (a launched command's from its zombie, by the target). */
static void kernel_time_begin(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	struct target *t = s->env.target;
	ps->cpu_start = xcalloc(t->nprocs + 1, sizeof(*ps->cpu_start));
	ps->cpu_pids = xcalloc(t->nprocs + 1, sizeof(*ps->cpu_pids));
	for (size_t i = 0; i < t->nprocs; i++) {
		pid_t pid = t->procs[i]->pid;
		if (pid != t->child && procstat_process_cpu(pid, &ps->cpu_start[ps->ncpu_pids]) == 0)
			ps->cpu_pids[ps->ncpu_pids++] = pid;
	}
}

static void kernel_time_end(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	for (size_t i = 0; i < ps->ncpu_pids; i++) {
		struct procstat_cpu now;
		const struct procstat_cpu *a = &ps->cpu_start[i];
		if (procstat_process_cpu(ps->cpu_pids[i], &now) != 0)
			continue; /* gone (its pid may even be reused): not counted */
		uint64_t sys = now.sys_ns + now.children_sys_ns, sys0 = a->sys_ns + a->children_sys_ns;
		uint64_t all = sys + now.user_ns + now.children_user_ns, all0 = sys0 + a->user_ns + a->children_user_ns;
		s->kernel_unseen_ns += sys > sys0 ? sys - sys0 : 0;
		s->kernel_unseen_cpu_ns += all > all0 ? all - all0 : 0;
	}
	ps->ncpu_pids = 0;
}

static int perf_sampler_open(struct sampler *s)
{
	const struct capture_opts *o = s->env.opts;
	struct perf_state *ps = xcalloc(1, sizeof(*ps));
	s->priv = ps;
	ps->dwarf = o->unwind == CAPTURE_UNWIND_DWARF;
	long n = sysconf(_SC_NPROCESSORS_CONF);
	ps->ncpus = n > 0 ? (int)n : 1;
	ps->rings = xcalloc((size_t)ps->ncpus, sizeof(*ps->rings));
	for (int i = 0; i < ps->ncpus; i++)
		ps->rings[i].fd = -1;
	ps->heads = xcalloc((size_t)ps->ncpus, sizeof(*ps->heads));
	ps->max_frames = o->max_depth ? o->max_depth : CAPTURE_DEFAULT_DEPTH;
	ps->user = xmalloc((ps->max_frames + 1) * sizeof(*ps->user));
	ps->kernel = xmalloc((ps->max_frames + 1) * sizeof(*ps->kernel));
	/* Big enough for a few hundred samples of a full stack copy. */
	size_t per = (ps->dwarf ? o->stack_size : 0) + 1024;
	size_t want = per * 256 / (size_t)sysconf(_SC_PAGESIZE), pages = RING_PAGES_MIN;
	while (pages < want && pages < RING_PAGES_MAX)
		pages *= 2;
	ps->ring_pages = pages;

	init_attr(s, false);
	ps->attr.wakeup_watermark = (uint32_t)(pages * (size_t)sysconf(_SC_PAGESIZE) / 4);
	ps->attr.disabled = s->env.target->child ? 1 : 0;
	ps->attr.enable_on_exec = s->env.target->child ? 1 : 0;
	/* Probe once whether kernel samples are allowed; if not, exclude them. */
	long fd = perf_open(&ps->attr, 0, -1);
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		uint32_t wm = ps->attr.wakeup_watermark;
		uint64_t dis = ps->attr.disabled, eoe = ps->attr.enable_on_exec;
		init_attr(s, true);
		s->kernel_hidden = true;
		ps->attr.wakeup_watermark = wm;
		ps->attr.disabled = dis;
		ps->attr.enable_on_exec = eoe;
		if (o->kernel)
			snprintf(s->err, sizeof(s->err), "kernel frames missing: the kernel hides them from this user "
				 "(kernel.perf_event_paranoid > 1; run as root or with CAP_PERFMON)");
		fd = perf_open(&ps->attr, 0, -1);
	}
	if (fd < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			return perf_denied_message(s, e);
		snprintf(s->err, sizeof(s->err), "perf_event_open failed: %s", errstr(e));
		return -e;
	}
	close((int)fd);
	if (o->system_wide)
		return open_system_wide(s);
	struct target *t = s->env.target;
	for (size_t i = 0; i < t->nprocs; i++) {
		int r = open_process(s, t->procs[i], t->procs[i]->pid == t->child);
		if (r)
			return r;
	}
	if (s->kernel_hidden)
		kernel_time_begin(s);
	/* What an attached process mapped between the attach's read of its maps
	 * and the events' opening (an exec, a dlopen) brings no MMAP2 record:
	 * read the maps again, now that every later change is reported. */
	for (size_t i = 0; i < t->nprocs; i++) {
		struct target_proc *p = t->procs[i];
		if (p->pid == t->child)
			continue;
		if (s->env.unwinder)
			unwinder_forget(s->env.unwinder, p->maps);
		maps_load(p->maps);
	}
	if (o->mode == CAPTURE_MODE_WALL)
		return perf_wall_open(s);
	return 0;
}

static void perf_wall_round(struct sampler *s);

static int perf_sampler_start(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	/* Wall mode: where each thread's time is counted from. */
	if (ps && ps->wall)
		perf_wall_round(s);
	return 0; /* attached events run from open; a launched command enables them on exec */
}

static size_t perf_sampler_fds(struct sampler *s, int *fds, size_t max)
{
	struct perf_state *ps = s->priv;
	size_t n = 0;
	for (int i = 0; i < ps->ncpus && n < max; i++)
		if (ps->rings[i].fd >= 0)
			fds[n++] = ps->rings[i].fd;
	return n;
}

/* Time of a record: samples carry it after ip and tid; other records in
 * the sample_id trailer (pid/tid, time) at their end. */
static uint64_t record_time(const struct perf_event_header *h)
{
	uint64_t t = 0;
	if (h->type == PERF_RECORD_SAMPLE) {
		if (h->size >= 32)
			memcpy(&t, (const unsigned char *)h + 24, 8);
	} else if (h->size >= 8 + 16) {
		memcpy(&t, (const unsigned char *)h + h->size - 8, 8);
	}
	return t;
}

struct reader {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t rd_u64(struct reader *r);
static void handle_record(struct sampler *s, const struct perf_event_header *h, uint64_t time);

/*
 * The whole machine (-a): one event per CPU (pid -1), every process. What
 * runs is learned from the records the events bring (COMM, FORK, EXIT and
 * MMAP2 of every task on that CPU) after one scan of /proc for what ran
 * already (perf's "synthesize" step). A process that exits keeps its
 * record and names, not its mappings. Samples of the idle task (pid 0)
 * reach the session as frameless samples of pid 0: it counts them apart.
 */
static struct target_proc *system_learn(struct sampler *s, pid_t pid, uint64_t time)
{
	struct target *t = s->env.target;
	struct target_proc *p = target_proc(t, pid, true);
	if (maps_load(p->maps) == 0 && !p->command)
		p->command = procstat_cmdline(pid);
	/* Its threads' names, as the session learns every name: from events. */
	if (target_scan_threads(p) >= 0)
		for (size_t i = 0; i < p->nthreads; i++) {
			struct sampler_event c = { .kind = SAMPLER_COMM, .pid = pid, .tid = p->threads[i].tid,
						   .time_ns = time };
			char name[sizeof(p->threads[i].name)]; /* the session writes the record's own */
			memcpy(name, p->threads[i].name, sizeof(name));
			c.comm.name = name;
			emit_ev(s, &c);
		}
	return p;
}

/* The process of a sample whose pid has no record yet (NULL: the idle task). */
static struct target_proc *system_sample_proc(struct sampler *s, pid_t pid, pid_t tid, uint64_t time)
{
	if (pid == 0) {
		struct sampler_event ev = { .kind = SAMPLER_SAMPLE, .time_ns = time };
		ev.sample.tid = tid;
		ev.sample.time_ns = time;
		ev.sample.weight = 1;
		emit_ev(s, &ev);
		return NULL;
	}
	return system_learn(s, pid, time);
}

static void exec_end(struct perf_state *ps, pid_t pid);

/* FORK and EXIT of any task, and the first record of a pid not seen yet.
 * True when the record was handled here. */
static bool system_record(struct sampler *s, const struct perf_event_header *h, uint64_t time)
{
	struct target *t = s->env.target;
	const unsigned char *b = (const unsigned char *)(h + 1);
	size_t len = h->size - sizeof(*h);
	uint32_t u32[4];
	if (h->type == PERF_RECORD_MMAP2 || h->type == PERF_RECORD_COMM) {
		if (len < 8)
			return false;
		memcpy(u32, b, 8);
		if (u32[0] && !target_proc(t, (pid_t)u32[0], false))
			system_learn(s, (pid_t)u32[0], time);
		return false;
	}
	if (h->type != PERF_RECORD_FORK && h->type != PERF_RECORD_EXIT)
		return false;
	if (len < 16)
		return true;
	memcpy(u32, b, 16); /* pid ppid tid ptid */
	struct sampler_event ev = { .pid = (pid_t)u32[0], .tid = (pid_t)u32[2], .time_ns = time };
	if (!ev.pid)
		return true; /* the idle tasks */
	struct target_proc *p = target_proc(t, ev.pid, false);
	if (h->type == PERF_RECORD_EXIT) {
		if (!p)
			return true;
		ev.kind = SAMPLER_EXIT;
		emit_ev(s, &ev);
		if (ev.pid == ev.tid) {
			/* An exec still pending must not outlive its process: the
			 * pid, used again, would start with its samples as [exec]. */
			exec_end(s->priv, ev.pid);
			/* Its samples are aggregated: the mappings are not needed any
			 * more, and a machine runs many short processes. */
			if (s->env.unwinder)
				unwinder_forget(s->env.unwinder, p->maps);
			maps_clear(p->maps);
		}
		return true;
	}
	ev.kind = SAMPLER_FORK;
	ev.fork.ppid = (pid_t)u32[1];
	ev.fork.ptid = (pid_t)u32[3];
	if (ev.pid != ev.fork.ppid) {
		struct target_proc *pp = target_proc(t, ev.fork.ppid, false);
		if (!pp && ev.fork.ppid)
			pp = system_learn(s, ev.fork.ppid, time);
		if (p) {
			/* A pid used again: the new process starts afresh. */
			if (s->env.unwinder)
				unwinder_forget(s->env.unwinder, p->maps);
			maps_clear(p->maps);
			free(p->command);
			p->command = NULL;
			p->exited = false;
		} else {
			p = target_proc(t, ev.pid, true);
		}
		/* Records come in time order: at its fork it has its parent's
		 * address space; an exec brings COMM and MMAP2 records. */
		if (pp)
			maps_copy(p->maps, pp->maps);
		else
			maps_load(p->maps);
	} else if (!p) {
		system_learn(s, ev.pid, time);
	}
	emit_ev(s, &ev);
	return true;
}

static int system_denied(struct sampler *s, int err)
{
	int paranoid = -1;
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	if (f) {
		if (fscanf(f, "%d", &paranoid) != 1)
			paranoid = -1;
		fclose(f);
	}
	snprintf(s->err, sizeof(s->err),
		 "the whole machine (-a) needs root or CAP_PERFMON, or kernel.perf_event_paranoid <= 0 (it is %d): "
		 "run as root, or give -p PID or a command (perf_event_open: %s)",
		 paranoid, errstr(err));
	return -EPERM;
}

/* Opens the cgroup of --cgroup: an absolute folder, or a path below the
 * cgroup v2 root (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid
 * system) or the v1 perf_event hierarchy, tried in that order. */
static int system_cgroup_fd(struct sampler *s, const char *path)
{
	static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/perf_event" };
	char buf[4096];
	int fd = -1, e = ENOENT;
	if (strncmp(path, "/sys/", 5) == 0) {
		snprintf(buf, sizeof(buf), "%s", path);
		fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		e = errno;
	} else {
		const char *rel = path + strspn(path, "/");
		for (size_t i = 0; i < ARRAY_SIZE(roots) && fd < 0; i++) {
			/* A v2 root has cgroup.controllers; the v1 tmpfs above them does not. */
			char probe[128];
			snprintf(probe, sizeof(probe), "%s/%s", roots[i], i < 2 ? "cgroup.controllers" : "cgroup.procs");
			if (access(probe, F_OK))
				continue;
			snprintf(buf, sizeof(buf), "%s/%s", roots[i], rel);
			fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0 && e == ENOENT)
				e = errno;
		}
		if (fd < 0)
			snprintf(buf, sizeof(buf), "/sys/fs/cgroup/%s", rel);
	}
	if (fd < 0) {
		snprintf(s->err, sizeof(s->err), "cannot open cgroup %.120s: %.40s (give a folder of /sys/fs/cgroup, e.g. "
			 "system.slice/cron.service)", buf, errstr(e));
		return -(e == EACCES ? EPERM : e == ENOTDIR ? ENOENT : e);
	}
	return fd;
}

static int open_system_wide(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	const struct capture_opts *o = s->env.opts;
	ps->system_wide = true;
	/* Per-CPU events see every task: nothing to inherit, nothing held. */
	ps->attr.inherit = 0;
	ps->attr.disabled = 0;
	ps->attr.enable_on_exec = 0;
	int cgfd = -1;
	if (o->cgroup && (cgfd = system_cgroup_fd(s, o->cgroup)) < 0)
		return cgfd;
	unsigned long flags = PERF_FLAG_FD_CLOEXEC | (cgfd >= 0 ? PERF_FLAG_PID_CGROUP : 0);
	int opened = 0, ret = 0, last = 0;
	for (int cpu = 0; cpu < ps->ncpus && !ret; cpu++) {
		long fd = syscall(SYS_perf_event_open, &ps->attr, cgfd >= 0 ? cgfd : -1, cpu, -1, flags);
		if (fd < 0) {
			last = errno;
			if (errno == ENODEV || errno == ENXIO)
				continue; /* offline CPU */
			if (errno == EACCES || errno == EPERM)
				ret = system_denied(s, errno);
			else if (errno == EMFILE || errno == ENFILE)
				ret = perf_nofile_message(s, errno);
			else {
				snprintf(s->err, sizeof(s->err), "perf_event_open on CPU %d failed: %s", cpu, errstr(errno));
				ret = -errno;
			}
			break;
		}
		int err;
		size_t pages = ps->ring_pages;
		while ((err = perf_ring_map(&ps->rings[cpu], (int)fd, pages)) == -EPERM || err == -ENOMEM) {
			if (pages <= RING_PAGES_MIN)
				break;
			pages /= 2;
		}
		if (err) {
			ps->rings[cpu].fd = -1;
			close((int)fd);
			snprintf(s->err, sizeof(s->err), "cannot map the perf ring buffer: %s (raise ulimit -l or "
				 "kernel.perf_event_mlock_kb)", errstr(-err));
			ret = err;
			break;
		}
		ps->heads[cpu].scratch = xmalloc(PERF_RING_SCRATCH);
		add_fd(ps, (int)fd);
		opened++;
	}
	if (cgfd >= 0)
		close(cgfd);
	if (ret)
		return ret;
	if (!opened) {
		snprintf(s->err, sizeof(s->err), "perf_event_open failed on every CPU: %s", errstr(last));
		return -(last ? last : ENODEV);
	}
	/* What runs already (the events report only what happens from now). */
	pid_t *pids;
	int n = procstat_pids(&pids);
	for (int i = 0; i < n; i++)
		if (!target_proc(s->env.target, pids[i], false))
			system_learn(s, pids[i], now_ns());
	if (n >= 0)
		free(pids);
	return 0;
}

static uint64_t rd_u64(struct reader *r)
{
	uint64_t v = 0;
	if (r->end - r->p < 8) {
		r->bad = true;
		return 0;
	}
	memcpy(&v, r->p, 8);
	r->p += 8;
	return v;
}

/* An exec's COMM record: the process runs the kernel's half of execve
 * until its new program's code is seen in a sample. */
static void exec_begin(struct perf_state *ps, pid_t pid)
{
	for (size_t i = 0; i < ps->nin_exec; i++)
		if (ps->in_exec[i] == pid)
			return;
	if (ps->nin_exec == EXEC_PENDING_MAX) {
		/* Forgetting one only makes a sample of its exec look partial. */
		memmove(ps->in_exec, ps->in_exec + 1, (EXEC_PENDING_MAX - 1) * sizeof(pid_t));
		ps->nin_exec--;
	}
	ps->in_exec[ps->nin_exec++] = pid;
}

static void exec_end(struct perf_state *ps, pid_t pid)
{
	for (size_t i = 0; i < ps->nin_exec; i++)
		if (ps->in_exec[i] == pid) {
			memmove(ps->in_exec + i, ps->in_exec + i + 1, (ps->nin_exec - i - 1) * sizeof(pid_t));
			ps->nin_exec--;
			return;
		}
}

/* Is this sample, of a process that exec'd, still in the kernel's half of
 * the execve? Then its user registers are the old program's, whose memory
 * is gone: their pc lies in no mapping of the new program. The first pc
 * that does ends the exec. */
static bool exec_half(struct perf_state *ps, const struct target_proc *p, uint64_t user_pc)
{
	size_t i;
	for (i = 0; i < ps->nin_exec && ps->in_exec[i] != p->pid; i++)
		;
	if (i == ps->nin_exec)
		return false;
	if (user_pc && maps_find(p->maps, user_pc)) {
		exec_end(ps, p->pid);
		return false;
	}
	return true;
}

static void handle_sample(struct sampler *s, const struct perf_event_header *h)
{
	struct perf_state *ps = s->priv;
	struct reader r = { (const unsigned char *)(h + 1), (const unsigned char *)h + h->size, false };
	uint64_t ip = rd_u64(&r);
	uint64_t pidtid = rd_u64(&r);
	uint64_t time = rd_u64(&r);
	pid_t pid = (pid_t)(uint32_t)pidtid, tid = (pid_t)(pidtid >> 32);
	if (r.bad)
		return;
	struct target_proc *p = target_proc(s->env.target, pid, false);
	if (!p && ps->system_wide && !(p = system_sample_proc(s, pid, tid, time)))
		return; /* the idle task, counted apart */
	if (!p)
		return; /* a child we do not follow */
	if (s->env.thread_wanted && !s->env.thread_wanted(s->env.ctx, pid, tid))
		return;
	struct sampler_event ev = { .kind = SAMPLER_SAMPLE, .pid = pid, .tid = tid, .time_ns = time };
	struct sampler_sample *sm = &ev.sample;
	sm->pid = pid;
	sm->tid = tid;
	sm->time_ns = time;
	sm->weight = 1;
	size_t nuser = 0, nkernel = 0;
	unsigned flags = 0;
	uint64_t user_pc = 0;
	bool in_exec = false;
	const struct capture_opts *o = s->env.opts;
	if (ps->attr.sample_type & PERF_SAMPLE_CALLCHAIN) {
		uint64_t nr = rd_u64(&r);
		if (r.bad || nr > (uint64_t)(r.end - r.p) / 8)
			return;
		uint64_t ctx = 0;
		for (uint64_t i = 0; i < nr; i++) {
			uint64_t a = rd_u64(&r);
			if (a >= (uint64_t)PERF_CONTEXT_MAX) {
				ctx = a;
				continue;
			}
			if (ctx == (uint64_t)PERF_CONTEXT_KERNEL && nkernel < ps->max_frames)
				ps->kernel[nkernel++] = a;
			else if (ctx == (uint64_t)PERF_CONTEXT_USER && nuser < ps->max_frames)
				ps->user[nuser++] = a;
		}
		if (!ps->dwarf && nuser)
			user_pc = ps->user[0];
		if (!ps->dwarf && nr >= ps->attr.sample_max_stack)
			flags |= SAMPLE_TRUNCATED;
		if (!ps->dwarf && nuser) {
			/* the kernel follows any rbp chain: only code returns */
			unsigned uf = 0;
			nuser = unwind_check(p->maps, ps->user, nuser, &uf);
			if (uf & UNWIND_PARTIAL)
				flags |= SAMPLE_PARTIAL | (uf & UNWIND_NOTES);
		}
	}
	if (ps->dwarf) {
		uint64_t abi = rd_u64(&r);
		struct unwind_regs regs;
		memset(&regs, 0, sizeof(regs));
		if (abi) {
			for (int bit = 0; bit < 64; bit++) {
				if (!(REGS_MASK & (1ull << bit)))
					continue;
				uint64_t v = rd_u64(&r);
				if (bit < (int)ARRAY_SIZE(perf_to_dwarf) && (bit <= PR_IP || bit >= PR_R8))
					regs.r[perf_to_dwarf[bit]] = v;
			}
		}
		uint64_t size = rd_u64(&r);
		struct stack_mem mem = { .sp = regs.r[UNWIND_REG_RSP] };
		if (size) {
			if (r.bad || size > (uint64_t)(r.end - r.p))
				return;
			mem.data = r.p;
			r.p += size;
			uint64_t dyn = rd_u64(&r);
			mem.size = dyn <= size ? dyn : size;
			mem.full = mem.size >= size;
		}
		if (r.bad || (!abi && !ps->system_wide))
			return; /* a kernel thread, or a malformed record */
		if (!abi)
			goto emit; /* the whole machine: a kernel thread is named below */
		user_pc = regs.r[UNWIND_REG_RIP];
		struct unwind_mem um = { stack_read, &mem };
		unsigned uf = 0;
		int n = unwind_dwarf(s->env.unwinder, p->maps, &regs, &um, ps->user, ps->max_frames, &uf);
		nuser = n > 0 ? (size_t)n : 0;
		if (uf & UNWIND_TRUNCATED)
			flags |= SAMPLE_TRUNCATED;
		else if (uf & UNWIND_PARTIAL)
			flags |= SAMPLE_PARTIAL;
		flags |= uf & UNWIND_NOTES;
	}
	/* In the kernel without --kernel: the user stack that called it gets a
	 * [kernel] leaf, so the time stays, as the kernel's and where it was
	 * asked for (the samples are there only where the kernel shows itself). */
	if (!o->kernel && (h->misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL)
		flags |= SAMPLE_IN_KERNEL;
	/* The kernel's half of execve has no user stack: its time is the
	 * exec's (an [exec] leaf, or the kernel frames with --kernel), whole,
	 * not an [unknown] partial stack. */
	if (ps->nin_exec && exec_half(ps, p, user_pc)) {
		in_exec = true;
		nuser = 0;
		flags = 0;
	}
emit:
	if (ps->system_wide && !nuser && !nkernel && ip >= 0xffff800000000000ull) {
		/* A kernel thread has no user stack: its time is its kernel
		 * function's (the sampled ip), not lost. */
		ps->kernel[0] = ip;
		nkernel = 1;
	}
	if (!nuser && !nkernel && !in_exec)
		return;
	sm->user = ps->user;
	sm->nuser = nuser;
	sm->kernel = ps->kernel;
	sm->nkernel = nkernel;
	sm->flags = flags;
	if (ps->wall)
		perf_wall_note_cpu(s, sm);
	if (in_exec && !nkernel)
		sm->state = SAMPLE_STATE_EXEC;
	s->env.emit(s->env.ctx, &ev);
}

static void handle_record(struct sampler *s, const struct perf_event_header *h, uint64_t time)
{
	struct perf_state *ps = s->priv;
	struct target *t = s->env.target;
	const unsigned char *b = (const unsigned char *)(h + 1);
	size_t len = h->size - sizeof(*h);
	struct sampler_event ev = { .time_ns = time };
	uint32_t u32[4];
	if (ps->system_wide && system_record(s, h, time))
		return;
	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		handle_sample(s, h);
		return;
	case PERF_RECORD_MMAP2: {
		/* pid tid addr len pgoff maj min ino ino_gen prot flags filename */
		if (len < 8 + 8 * 3 + 8 + 8 + 8 + 8 + 1)
			return;
		uint64_t v[3], ino;
		uint32_t mm[2], pf[2];
		memcpy(u32, b, 8);
		memcpy(v, b + 8, 24);
		memcpy(mm, b + 32, 8);
		memcpy(&ino, b + 40, 8);
		memcpy(pf, b + 56, 8);
		const char *name = (const char *)b + 64;
		size_t maxn = len - 64;
		if (!memchr(name, 0, maxn))
			return;
		struct target_proc *p = target_proc(t, (pid_t)u32[0], false);
		if (!p)
			return;
		uint32_t prot = 0;
		if (pf[0] & 1)
			prot |= MAPS_PROT_READ;
		if (pf[0] & 2)
			prot |= MAPS_PROT_WRITE;
		if (pf[0] & 4)
			prot |= MAPS_PROT_EXEC;
		if (h->misc & PERF_RECORD_MISC_MMAP_DATA)
			prot &= ~MAPS_PROT_EXEC;
		uint64_t dev = makedev(mm[0], mm[1]);
		maps_add(p->maps, v[0], v[1], v[2], prot, name, dev, ino);
		ev.kind = SAMPLER_MMAP;
		ev.pid = (pid_t)u32[0];
		ev.tid = (pid_t)u32[1];
		ev.mmap.start = v[0];
		ev.mmap.len = v[1];
		ev.mmap.path = name;
		break;
	}
	case PERF_RECORD_COMM: {
		if (len < 9)
			return;
		memcpy(u32, b, 8);
		const char *name = (const char *)b + 8;
		if (!memchr(name, 0, len - 8))
			return;
		ev.kind = SAMPLER_COMM;
		ev.pid = (pid_t)u32[0];
		ev.tid = (pid_t)u32[1];
		ev.comm.name = name;
		ev.comm.exec = (h->misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
		struct target_proc *p = target_proc(t, ev.pid, false);
		if (!p)
			return;
		if (ev.comm.exec && ps->wall)
			perf_wall_exec(s, ev.pid);
		if (ev.comm.exec && ev.pid == ev.tid) {
			exec_begin(ps, ev.pid);
			/* A new program: the old mappings are gone. The kernel names
			 * the task (this record) before it maps the program, its
			 * interpreter and the vDSO, so MMAP2 records of each follow,
			 * applied in time order. Under -a, where a build execs
			 * thousands of times (the read was a fifth of record -a's
			 * CPU), /proc is read only after a LOST record, when some
			 * may be missing; for the few processes followed otherwise
			 * it still covers what they mapped before we read them. */
			if (s->env.unwinder)
				unwinder_forget(s->env.unwinder, p->maps);
			if ((ps->system_wide && !ps->records_lost) || maps_load(p->maps))
				maps_clear(p->maps);
		}
		break;
	}
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT: {
		if (len < 16)
			return;
		memcpy(u32, b, 16); /* pid ppid tid ptid */
		ev.pid = (pid_t)u32[0];
		ev.tid = (pid_t)u32[2];
		if (h->type == PERF_RECORD_FORK) {
			ev.kind = SAMPLER_FORK;
			ev.fork.ppid = (pid_t)u32[1];
			ev.fork.ptid = (pid_t)u32[3];
			if (ev.pid != ev.fork.ppid) {
				if (!target_proc(t, ev.fork.ppid, false) || !s->env.opts->children)
					return;
				/* Records are applied in time order: at its fork the
				 * child has its parent's address space. /proc, read
				 * now, may show a program it exec'd since. */
				struct target_proc *np = target_proc(t, ev.pid, true);
				maps_copy(np->maps, target_proc(t, ev.fork.ppid, false)->maps);
			} else if (!target_proc(t, ev.pid, false)) {
				return;
			}
		} else {
			ev.kind = SAMPLER_EXIT;
			if (!target_proc(t, ev.pid, false))
				return;
			if (ev.pid == ev.tid)
				exec_end(ps, ev.pid);
		}
		break;
	}
	case PERF_RECORD_LOST: {
		if (len < 16)
			return;
		ps->records_lost = true;
		uint64_t v[2];
		memcpy(v, b, 16);
		ev.kind = SAMPLER_LOST;
		ev.lost.count = v[1];
		break;
	}
#ifdef PERF_RECORD_LOST_SAMPLES
	case PERF_RECORD_LOST_SAMPLES: {
		if (len < 8)
			return;
		memcpy(&ev.lost.count, b, 8);
		ev.kind = SAMPLER_LOST;
		break;
	}
#endif
	case PERF_RECORD_THROTTLE:
		ps->throttled++;
		ev.kind = SAMPLER_THROTTLE;
		break;
	default:
		return;
	}
	s->env.emit(s->env.ctx, &ev);
}

static void head_advance(struct perf_ring *r, struct ring_head *hd)
{
	hd->pos = r->pos;
	hd->held_pos = r->held_pos;
	hd->h = perf_ring_next(r, hd->scratch);
	hd->time = hd->h ? record_time(hd->h) : 0;
}

/* Applies the records of every ring stamped before cutoff, merged in time
 * order (each ring is in order already); newer ones stay in their ring for
 * the next round, when the other rings have caught up. Nothing is copied
 * but the records that wrap around a ring's end. */
static int drain(struct sampler *s, uint64_t cutoff)
{
	struct perf_state *ps = s->priv;
	for (int i = 0; i < ps->ncpus; i++) {
		struct perf_ring *r = &ps->rings[i];
		ps->heads[i].h = NULL;
		if (r->fd < 0 || !perf_ring_begin(r))
			continue;
		head_advance(r, &ps->heads[i]);
	}
	for (;;) {
		int best = -1;
		for (int i = 0; i < ps->ncpus; i++)
			if (ps->heads[i].h && (best < 0 || ps->heads[i].time < ps->heads[best].time))
				best = i;
		if (best < 0 || ps->heads[best].time >= cutoff)
			break;
		handle_record(s, ps->heads[best].h, ps->heads[best].time);
		head_advance(&ps->rings[best], &ps->heads[best]);
	}
	for (int i = 0; i < ps->ncpus; i++) {
		struct perf_ring *r = &ps->rings[i];
		if (r->fd < 0)
			continue;
		if (ps->heads[i].h) { /* not applied yet: keep it in the ring */
			r->pos = ps->heads[i].pos;
			r->held_pos = ps->heads[i].held_pos;
		}
		perf_ring_end(r);
	}
	return 0;
}

static uint64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int perf_sampler_poll(struct sampler *s)
{
	/* Records stamped before now are all in their rings already (give the
	 * kernel a millisecond for writes in flight on the other CPU). */
	return drain(s, mono_now() - 1000000);
}

/* A held sample keeps only the stack bytes the kernel filled: a 16 KB copy
 * is mostly unused, and holding is for the time a refresh takes. */
static uint16_t hold_trim(struct perf_event_header *h, void *ctx)
{
	struct perf_state *ps = ctx;
	if (!ps->dwarf)
		return h->size;
	return perf_sample_trim_stack(h, ps->attr.sample_type, (unsigned)__builtin_popcountll(REGS_MASK));
}

/* While the caller is busy elsewhere (top's first refresh on a busy machine
 * names for longer than a ring holds: a quarter second of full stack copies at
 * 999 Hz): rings more than a quarter full are moved into memory, to be
 * applied by the next poll. */
static void perf_sampler_hold(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	if (!ps)
		return;
	for (int i = 0; i < ps->ncpus; i++)
		if (ps->rings[i].fd >= 0 && ps->heads[i].scratch)
			perf_ring_hold(&ps->rings[i], ps->heads[i].scratch, hold_trim, ps);
}

static int perf_sampler_stop(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	if (!ps)
		return 0;
	for (size_t i = 0; i < ps->nfds; i++)
		ioctl(ps->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	if (s->kernel_hidden)
		kernel_time_end(s);
	int r = drain(s, UINT64_MAX);
	if (ps->wall) {
		/* The time since the last look is the recording's too. */
		perf_wall_round(s);
		perf_wall_stats(s);
	}
	return r;
}

static void perf_sampler_close(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	if (!ps)
		return;
	for (int i = 0; i < ps->ncpus; i++)
		if (ps->rings[i].fd >= 0)
			perf_ring_unmap(&ps->rings[i]);
	for (size_t i = 0; i < ps->nfds; i++)
		close(ps->fds[i]);
	free(ps->fds);
	free(ps->rings);
	for (int i = 0; i < ps->ncpus; i++)
		free(ps->heads[i].scratch);
	free(ps->heads);
	free(ps->user);
	free(ps->kernel);
	free(ps->cpu_start);
	free(ps->cpu_pids);
	perf_wall_free(ps);
	free(ps);
	s->priv = NULL;
}

/* ---- --mode wall: threads off the CPU, read without stopping them ----
 * On-CPU time comes from the cpu-clock samples (each stands for a period of
 * CPU time; wall mode gives them the [running] leaf). At each tick every
 * thread of the target is looked at through offcpu.h: a blocked one brings
 * its stack (cached while it does not run) weighed by its time off the CPU
 * since its previous look; a ready one's time off the CPU goes to its last
 * on-CPU stack as [runnable]. The looks cost prowl a /proc read per thread
 * (two, and a stack read, when it ran): they are kept under WALL_BUDGET of
 * one CPU by looking less often, which changes no total (each look weighs
 * the time since the previous one), only how finely time is cut. */

#define WALL_BUDGET 0.03
#define WALL_WINDOW_NS 250000000ull

struct perf_wall {
	struct offcpu *off;
	uint64_t period_ns;      /* the sampling period */
	unsigned every;          /* look at every this many ticks */
	unsigned skip;           /* ticks left to skip */
	pid_t held_child;        /* a launched command not yet exec'd: not looked at */
	uint64_t win_start_ns, win_busy_ns, busy_ns, start_ns;
	uint64_t ticks, samples;
	bool denied_said;
};

static int perf_wall_open(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	const struct capture_opts *o = s->env.opts;
	struct target *t = s->env.target;
	struct perf_wall *w = xcalloc(1, sizeof(*w));
	ps->wall = w;
	w->period_ns = 1000000000ull / (o->freq ? o->freq : CAPTURE_DEFAULT_FREQ);
	w->every = 1;
	w->held_child = t->child;
	w->off = offcpu_new(ps->dwarf ? s->env.unwinder : NULL, ps->max_frames, w->period_ns);
	/* Whether the kernel lets us read an attached process's blocked threads
	 * (a launched command is our child: it always may). */
	for (size_t i = 0; i < t->nprocs; i++) {
		pid_t pid = t->procs[i]->pid;
		if (pid == t->child)
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		char buf[256];
		int e = fd < 0 ? errno : read(fd, buf, sizeof(buf)) < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		if (e == EACCES || e == EPERM) {
			offcpu_denied_message(pid, -e, s->err, sizeof(s->err));
			return -EPERM;
		}
	}
	s->tick_ns = w->period_ns;
	w->start_ns = w->win_start_ns = now_ns();
	return 0;
}

static void perf_wall_exec(struct sampler *s, pid_t pid)
{
	struct perf_state *ps = s->priv;
	if (ps->wall->held_child == pid)
		ps->wall->held_child = 0;
}

static void perf_wall_note_cpu(struct sampler *s, struct sampler_sample *sm)
{
	struct perf_state *ps = s->priv;
	sm->state = SAMPLE_STATE_RUNNING;
	offcpu_note_cpu(ps->wall->off, sm->pid, sm->tid, sm->user, sm->nuser);
}

static void wall_look_proc(struct sampler *s, struct target_proc *p)
{
	struct perf_state *ps = s->priv;
	struct perf_wall *w = ps->wall;
	pid_t *tids;
	int n = procstat_tasks(p->pid, &tids);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		if (s->env.thread_wanted && !s->env.thread_wanted(s->env.ctx, p->pid, tids[i]))
			continue;
		struct offcpu_look lk;
		int r = offcpu_look(w->off, p->pid, tids[i], p->maps, &lk);
		if (r == -EACCES || r == -EPERM) {
			if (!w->denied_said) {
				char line[256];
				offcpu_denied_message(p->pid, r, line, sizeof(line));
				struct sampler_event ev = { .kind = SAMPLER_NOTE, .time_ns = now_ns() };
				ev.note = line;
				emit_ev(s, &ev);
				w->denied_said = true;
			}
			continue;
		}
		if (r || !lk.weight || !lk.nips)
			continue;
		struct sampler_event ev = { .kind = SAMPLER_SAMPLE, .pid = p->pid, .tid = tids[i], .time_ns = now_ns() };
		struct sampler_sample *sm = &ev.sample;
		sm->pid = p->pid;
		sm->tid = tids[i];
		sm->time_ns = ev.time_ns;
		sm->user = lk.ips;
		sm->nuser = lk.nips;
		sm->flags = lk.flags;
		sm->state = lk.state;
		sm->syscall = lk.syscall;
		sm->weight = lk.weight;
		w->samples++;
		emit_ev(s, &ev);
	}
	free(tids);
}

static uint64_t thread_cpu_now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One look at every thread. The CPU it costs us is what the budget counts:
 * a read of a thread's syscall file waits (off the CPU) while that thread is
 * preempted on its way into a wait, for as long as it waits for a CPU (the
 * kernel's wait_task_inactive; hundreds of ms were seen with 64 threads on
 * 2 loaded cores), which slows the looks but costs nothing. */
static void perf_wall_round(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	struct perf_wall *w = ps->wall;
	uint64_t c0 = thread_cpu_now();
	/* The on-CPU samples up to now first: a ready thread's time goes to
	 * the last stack they found it in. */
	drain(s, now_ns() - 1000000);
	struct target *t = s->env.target;
	offcpu_round_begin(w->off);
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i]->pid != w->held_child)
			wall_look_proc(s, t->procs[i]);
	offcpu_round_end(w->off);
	w->ticks++;
	uint64_t used = thread_cpu_now() - c0;
	w->busy_ns += used;
	w->win_busy_ns += used;
}

static int perf_wall_tick(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	struct perf_wall *w = ps ? ps->wall : NULL;
	if (!w)
		return 0;
	if (w->skip) {
		w->skip--;
		return 0;
	}
	w->skip = w->every - 1;
	perf_wall_round(s);
	uint64_t t1 = now_ns();
	uint64_t el = t1 - w->win_start_ns;
	if (el >= WALL_WINDOW_NS) {
		double frac = (double)w->win_busy_ns / (double)el;
		if (frac > WALL_BUDGET) {
			/* The interval that brings this window's cost under the budget. */
			double want = w->every * frac / (WALL_BUDGET * 0.8);
			w->every = want > 1000 ? 1000 : (unsigned)want + 1;
		} else if (frac < WALL_BUDGET / 2 && w->every > 1) {
			w->every--;
		}
		w->win_start_ns = t1;
		w->win_busy_ns = 0;
	}
	return 0;
}

static void perf_wall_stats(struct sampler *s)
{
	struct perf_state *ps = s->priv;
	struct perf_wall *w = ps->wall;
	struct offcpu_stats st;
	offcpu_stats(w->off, &st);
	uint64_t el = now_ns() - w->start_ns;
	snprintf(s->stats, sizeof(s->stats),
		 "wall cost: ticks %llu tick_hz %.0f tick_cpu_us %.1f cpu_pct %.2f looks %llu blocked %llu cache_hits %llu "
		 "cache_hit_pct %.1f stack_reads %llu raced %llu dropped %llu denied %llu offcpu_samples %llu",
		 (unsigned long long)w->ticks, el ? w->ticks * 1e9 / (double)el : 0.0,
		 w->ticks ? w->busy_ns / 1e3 / (double)w->ticks : 0.0, el ? 100.0 * (double)w->busy_ns / (double)el : 0.0,
		 (unsigned long long)st.looks, (unsigned long long)st.blocked, (unsigned long long)st.hits,
		 st.blocked ? 100.0 * (double)st.hits / (double)st.blocked : 0.0, (unsigned long long)st.reads,
		 (unsigned long long)st.raced, (unsigned long long)st.dropped, (unsigned long long)st.denied,
		 (unsigned long long)w->samples);
}

static void perf_wall_free(struct perf_state *ps)
{
	if (!ps->wall)
		return;
	offcpu_free(ps->wall->off);
	free(ps->wall);
	ps->wall = NULL;
}

const struct sampler_ops perf_sampler_ops = {
	.name = "perf",
	.open = perf_sampler_open,
	.start = perf_sampler_start,
	.fds = perf_sampler_fds,
	.poll = perf_sampler_poll,
	.hold = perf_sampler_hold,
	.tick = perf_wall_tick,
	.stop = perf_sampler_stop,
	.close = perf_sampler_close,
};
