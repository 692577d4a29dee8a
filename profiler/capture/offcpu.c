#include "profiler/capture/offcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/base/errstr.h"
#include "profiler/base/itab.h"
#include "profiler/base/procstat.h"
#include "profiler/base/util.h"
#include "profiler/capture/ptrace.h"

/* Threads whose two /proc files stay open between looks (a pread instead of
 * open, read, close: 1-3 us instead of 8-9 us a file); past this many, files
 * are opened at each look, so thousands of threads do not exhaust the
 * descriptors the perf backend needs. */
#define OFFCPU_OPEN_THREADS 512

/* ---- the syscall file ---- */

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* A decimal number with an optional minus sign. */
static bool parse_dec(const char **pp, const char *end, long *out)
{
	const char *p = *pp;
	bool neg = false;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return false;
	long v = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > 100000000)
			return false; /* no call number is this big */
		v = v * 10 + (*p++ - '0');
	}
	*out = neg ? -v : v;
	*pp = p;
	return true;
}

/* "0x" and 1-16 hex digits, as the kernel prints them. */
static bool parse_hex(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	if (end - p < 3 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X'))
		return false;
	p += 2;
	uint64_t v = 0;
	int digits = 0;
	for (; p < end; p++, digits++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (digits == 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (!digits)
		return false;
	*out = v;
	*pp = p;
	return true;
}

int offcpu_parse_syscall(const char *text, size_t len, struct offcpu_call *c)
{
	const char *p = text, *end = text + len;
	memset(c, 0, sizeof(*c));
	while (end > p && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == 0))
		end--;
	p = skip_blanks(p, end);
	if ((size_t)(end - p) == 7 && memcmp(p, "running", 7) == 0) {
		c->where = OFFCPU_RUNNING;
		return 0;
	}
	long nr;
	if (!parse_dec(&p, end, &nr))
		goto bad;
	uint64_t v[8];
	int n = 0;
	while (n < 8) {
		const char *q = skip_blanks(p, end);
		if (q == p || q >= end)
			break;
		p = q;
		if (!parse_hex(&p, end, &v[n]))
			goto bad;
		n++;
	}
	if (p != end)
		goto bad;
	if (nr == -1 && n == 2) {
		c->where = OFFCPU_NO_CALL;
		c->nr = -1;
		c->sp = v[0];
		c->pc = v[1];
		return 0;
	}
	if (nr < 0 || n != 8)
		goto bad;
	c->where = OFFCPU_IN_CALL;
	c->nr = nr;
	memcpy(c->args, v, sizeof(c->args));
	c->sp = v[6];
	c->pc = v[7];
	return 0;
bad:
	memset(c, 0, sizeof(*c));
	errno = EINVAL;
	return -EINVAL;
}

int offcpu_read_call(pid_t pid, pid_t tid, struct offcpu_call *c)
{
	char path[64], buf[256];
	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno == ENOENT ? ESRCH : errno;
		errno = e;
		return -e;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int e = n < 0 ? errno : ESRCH;
	close(fd);
	if (n <= 0) {
		errno = e;
		return -e;
	}
	return offcpu_parse_syscall(buf, (size_t)n, c);
}

/* ---- states ---- */

struct call_info {
	short nr;
	signed char state; /* enum sample_state; SYSCALL: named by the call */
	const char *name;
};

/* The calls a thread blocks in, x86_64 numbers (asm/unistd_64.h). */
static const struct call_info calls[] = {
	{ 0, SAMPLE_STATE_IO, "read" },
	{ 1, SAMPLE_STATE_IO, "write" },
	{ 2, SAMPLE_STATE_SYSCALL, "open" },
	{ 7, SAMPLE_STATE_POLL, "poll" },
	{ 17, SAMPLE_STATE_IO, "pread64" },
	{ 18, SAMPLE_STATE_IO, "pwrite64" },
	{ 19, SAMPLE_STATE_IO, "readv" },
	{ 20, SAMPLE_STATE_IO, "writev" },
	{ 23, SAMPLE_STATE_POLL, "select" },
	{ 26, SAMPLE_STATE_IO, "msync" },
	{ 34, SAMPLE_STATE_SIGNAL, "pause" },
	{ 35, SAMPLE_STATE_SLEEPING, "nanosleep" },
	{ 40, SAMPLE_STATE_IO, "sendfile" },
	{ 42, SAMPLE_STATE_IO, "connect" },
	{ 43, SAMPLE_STATE_IO, "accept" },
	{ 44, SAMPLE_STATE_IO, "sendto" },
	{ 45, SAMPLE_STATE_IO, "recvfrom" },
	{ 46, SAMPLE_STATE_IO, "sendmsg" },
	{ 47, SAMPLE_STATE_IO, "recvmsg" },
	{ 58, SAMPLE_STATE_CHILD, "vfork" },
	{ 61, SAMPLE_STATE_CHILD, "wait4" },
	{ 65, SAMPLE_STATE_SYSCALL, "semop" },
	{ 69, SAMPLE_STATE_SYSCALL, "msgsnd" },
	{ 70, SAMPLE_STATE_SYSCALL, "msgrcv" },
	{ 72, SAMPLE_STATE_SYSCALL, "fcntl" },
	{ 73, SAMPLE_STATE_SYSCALL, "flock" },
	{ 74, SAMPLE_STATE_IO, "fsync" },
	{ 75, SAMPLE_STATE_IO, "fdatasync" },
	{ 128, SAMPLE_STATE_SIGNAL, "rt_sigtimedwait" },
	{ 130, SAMPLE_STATE_SIGNAL, "rt_sigsuspend" },
	{ 162, SAMPLE_STATE_IO, "sync" },
	{ 202, SAMPLE_STATE_LOCK, "futex" },
	{ 208, SAMPLE_STATE_IO, "io_getevents" },
	{ 219, SAMPLE_STATE_SLEEPING, "restart_syscall" },
	{ 220, SAMPLE_STATE_SYSCALL, "semtimedop" },
	{ 230, SAMPLE_STATE_SLEEPING, "clock_nanosleep" },
	{ 232, SAMPLE_STATE_POLL, "epoll_wait" },
	{ 242, SAMPLE_STATE_SYSCALL, "mq_timedsend" },
	{ 243, SAMPLE_STATE_SYSCALL, "mq_timedreceive" },
	{ 247, SAMPLE_STATE_CHILD, "waitid" },
	{ 257, SAMPLE_STATE_SYSCALL, "openat" },
	{ 270, SAMPLE_STATE_POLL, "pselect6" },
	{ 271, SAMPLE_STATE_POLL, "ppoll" },
	{ 275, SAMPLE_STATE_IO, "splice" },
	{ 281, SAMPLE_STATE_POLL, "epoll_pwait" },
	{ 288, SAMPLE_STATE_IO, "accept4" },
	{ 295, SAMPLE_STATE_IO, "preadv" },
	{ 296, SAMPLE_STATE_IO, "pwritev" },
	{ 299, SAMPLE_STATE_IO, "recvmmsg" },
	{ 306, SAMPLE_STATE_IO, "syncfs" },
	{ 307, SAMPLE_STATE_IO, "sendmmsg" },
	{ 327, SAMPLE_STATE_IO, "preadv2" },
	{ 328, SAMPLE_STATE_IO, "pwritev2" },
	{ 426, SAMPLE_STATE_IO, "io_uring_enter" },
	{ 441, SAMPLE_STATE_POLL, "epoll_pwait2" },
	{ 449, SAMPLE_STATE_LOCK, "futex_waitv" },
};

static const struct call_info *call_find(long nr)
{
	size_t lo = 0, hi = ARRAY_SIZE(calls);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (calls[mid].nr == nr)
			return &calls[mid];
		if (calls[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *offcpu_syscall_name(long nr)
{
	const struct call_info *ci = call_find(nr);
	return ci ? ci->name : NULL;
}

enum sample_state offcpu_state(const struct offcpu_call *c, int *nr)
{
	*nr = -1;
	if (c->where == OFFCPU_RUNNING)
		return SAMPLE_STATE_RUNNABLE;
	if (c->where == OFFCPU_NO_CALL)
		return SAMPLE_STATE_IO; /* a fault waiting for a page: the disk, mostly */
	const struct call_info *ci = call_find(c->nr);
	if (ci && ci->state != SAMPLE_STATE_SYSCALL)
		return (enum sample_state)ci->state;
	*nr = (int)c->nr;
	return SAMPLE_STATE_SYSCALL;
}

const char *offcpu_state_name(enum sample_state st, int nr, char *buf, size_t len)
{
	switch (st) {
	case SAMPLE_STATE_RUNNING:
		return "[running]";
	case SAMPLE_STATE_SLEEPING:
		return "[sleeping]";
	case SAMPLE_STATE_IO:
		return "[I/O wait]";
	case SAMPLE_STATE_STOPPED:
		return "[stopped]";
	case SAMPLE_STATE_STACK_LIMIT:
		return "[stack limit]";
	case SAMPLE_STATE_GIL:
		return "[GIL wait]";
	case SAMPLE_STATE_LOCK:
		return "[lock wait]";
	case SAMPLE_STATE_POLL:
		return "[poll]";
	case SAMPLE_STATE_SIGNAL:
		return "[signal wait]";
	case SAMPLE_STATE_CHILD:
		return "[child wait]";
	case SAMPLE_STATE_RUNNABLE:
		return "[runnable]";
	case SAMPLE_STATE_EXEC:
		return "[exec]";
	case SAMPLE_STATE_SYSCALL: {
		const char *name = offcpu_syscall_name(nr);
		if (!buf || !len)
			return "[system call]";
		if (name)
			snprintf(buf, len, "[%s]", name);
		else
			snprintf(buf, len, "[syscall %d]", nr);
		return buf;
	}
	default:
		return "[other state]";
	}
}

uint64_t offcpu_state_code(enum sample_state st, int nr)
{
	uint64_t code = (uint64_t)st & 0xffff;
	if (st == SAMPLE_STATE_SYSCALL && nr >= 0)
		code |= (uint64_t)(uint32_t)nr << 16;
	return code;
}

void offcpu_state_decode(uint64_t code, enum sample_state *st, int *nr)
{
	*st = (enum sample_state)(code & 0xffff);
	*nr = *st == SAMPLE_STATE_SYSCALL ? (int)(uint32_t)(code >> 16) : -1;
}

/* ---- the reader ---- */

struct othread {
	pid_t pid, tid;
	unsigned round;
	int fd_sched, fd_call;   /* -1: not kept open */
	bool based;              /* run_ns/runs/last_ns hold a look */
	bool runs_known;         /* the kernel keeps a run count */
	uint64_t last_ns, run_ns, runs;
	uint64_t carry_ns;       /* off-CPU time not yet a whole period */
	uint64_t ahead_ns;       /* CPU time that outran wall time between looks, owed back */
	bool have_stack;         /* last look found it blocked: call and ips are its */
	uint64_t stack_runs;     /* its run count when it was last found blocked there */
	uint64_t maps_gen;       /* the generation of the mappings the stack was unwound over */
	struct offcpu_call call;
	enum sample_state state;
	int nr;
	uint64_t *ips;
	size_t nips, capips;
	unsigned flags;
	uint64_t *run_ips;       /* its last on-CPU stack */
	size_t nrun, caprun;
};

struct offcpu {
	struct unwinder *unwinder;
	size_t max_frames;
	uint64_t period_ns;
	struct othread *v;
	size_t n, cap;
	struct itab idx;
	unsigned round;
	size_t nopen;            /* threads with their files open */
	uint64_t *scratch;
	struct ptrace_mem *mem;
	struct offcpu_stats st;
};

static uint64_t thread_hash(pid_t pid, pid_t tid)
{
	return hash_mix(hash_mix(0x0ffc, (uint64_t)(uint32_t)pid), (uint64_t)(uint32_t)tid);
}

struct tkey {
	pid_t pid, tid;
};

static bool thread_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct othread *t = &((const struct offcpu *)ctx)->v[i];
	const struct tkey *k = key;
	return t->pid == k->pid && t->tid == k->tid;
}

struct offcpu *offcpu_new(struct unwinder *unwinder, size_t max_frames, uint64_t period_ns)
{
	struct offcpu *o = xcalloc(1, sizeof(*o));
	o->unwinder = unwinder;
	o->max_frames = max_frames ? max_frames : 1;
	o->period_ns = period_ns ? period_ns : 1;
	o->scratch = xmalloc(o->max_frames * sizeof(*o->scratch));
	o->mem = xmalloc(sizeof(*o->mem));
	ptrace_mem_init(o->mem, 0);
	return o;
}

static void thread_close(struct offcpu *o, struct othread *t)
{
	if (t->fd_sched >= 0 || t->fd_call >= 0)
		o->nopen--;
	if (t->fd_sched >= 0)
		close(t->fd_sched);
	if (t->fd_call >= 0)
		close(t->fd_call);
	t->fd_sched = t->fd_call = -1;
}

static void thread_release(struct offcpu *o, struct othread *t)
{
	thread_close(o, t);
	free(t->ips);
	free(t->run_ips);
}

void offcpu_free(struct offcpu *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		thread_release(o, &o->v[i]);
	free(o->v);
	itab_release(&o->idx);
	free(o->scratch);
	free(o->mem);
	free(o);
}

static struct othread *thread_get(struct offcpu *o, pid_t pid, pid_t tid, bool create)
{
	struct tkey k = { pid, tid };
	uint64_t h = thread_hash(pid, tid);
	uint32_t i = itab_find(&o->idx, h, thread_eq, o, &k);
	if (i != ITAB_NONE)
		return &o->v[i];
	if (!create)
		return NULL;
	xgrow((void **)&o->v, &o->cap, o->n + 1, sizeof(*o->v));
	struct othread *t = &o->v[o->n];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	t->fd_sched = t->fd_call = -1;
	t->round = o->round;
	itab_insert(&o->idx, h, (uint32_t)o->n++);
	return t;
}

static void thread_remove(struct offcpu *o, size_t i)
{
	struct othread *t = &o->v[i];
	itab_remove(&o->idx, thread_hash(t->pid, t->tid), (uint32_t)i);
	thread_release(o, t);
	size_t last = o->n - 1;
	if (i != last) {
		o->v[i] = o->v[last];
		itab_reindex(&o->idx, thread_hash(o->v[i].pid, o->v[i].tid), (uint32_t)last, (uint32_t)i);
	}
	o->n--;
}

void offcpu_round_begin(struct offcpu *o)
{
	o->round++;
}

void offcpu_round_end(struct offcpu *o)
{
	for (size_t i = o->n; i-- > 0;)
		if (o->v[i].round != o->round)
			thread_remove(o, i);
}

/* Reads a whole /proc file of the thread into buf (NUL-terminated), through
 * the kept descriptor when there is one. */
static int read_file(struct offcpu *o, struct othread *t, int *fd, const char *name, char *buf, size_t len)
{
	if (*fd < 0 && o->nopen < OFFCPU_OPEN_THREADS) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)t->pid, (int)t->tid, name);
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			return errno == ENOENT ? -ESRCH : -errno;
		if ((t->fd_sched >= 0) + (t->fd_call >= 0) == 1)
			o->nopen++;
	}
	ssize_t n;
	if (*fd >= 0) {
		n = pread(*fd, buf, len - 1, 0);
	} else {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)t->pid, (int)t->tid, name);
		int f = open(path, O_RDONLY | O_CLOEXEC);
		if (f < 0)
			return errno == ENOENT ? -ESRCH : -errno;
		n = read(f, buf, len - 1);
		int e = errno;
		close(f);
		errno = e;
	}
	if (n <= 0)
		return n == 0 || errno == ESRCH || errno == ENOENT ? -ESRCH : -errno;
	buf[n] = 0;
	return (int)n;
}

static int read_sched(struct offcpu *o, struct othread *t, uint64_t *run_ns, uint64_t *runs)
{
	char buf[128];
	int n = read_file(o, t, &t->fd_sched, "schedstat", buf, sizeof(buf));
	if (n < 0)
		return n;
	unsigned long long run, wait, slices;
	if (sscanf(buf, "%llu %llu %llu", &run, &wait, &slices) != 3)
		return -EINVAL;
	*run_ns = run;
	*runs = slices;
	return 0;
}

static int read_call(struct offcpu *o, struct othread *t, struct offcpu_call *c)
{
	char buf[256];
	int n = read_file(o, t, &t->fd_call, "syscall", buf, sizeof(buf));
	if (n < 0)
		return n;
	return offcpu_parse_syscall(buf, (size_t)n, c);
}

static bool call_same(const struct offcpu_call *a, const struct offcpu_call *b)
{
	return a->where == b->where && a->nr == b->nr && a->sp == b->sp && a->pc == b->pc;
}

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return ptrace_mem_read(ctx, addr, buf, len);
}

/* Unwinds a thread blocked as c says into o->scratch. Registers other than
 * the arguments, sp and pc are unknown (zero): CFI that needs them (a frame
 * kept in rbp) ends the walk there, partial. */
static int unwind_blocked(struct offcpu *o, pid_t pid, struct maps *maps, const struct offcpu_call *c,
			  unsigned *flags)
{
	struct unwind_regs r;
	memset(&r, 0, sizeof(r));
	r.r[UNWIND_REG_RDI] = c->args[0];
	r.r[UNWIND_REG_RSI] = c->args[1];
	r.r[UNWIND_REG_RDX] = c->args[2];
	r.r[UNWIND_REG_R10] = c->args[3];
	r.r[UNWIND_REG_R8] = c->args[4];
	r.r[UNWIND_REG_R9] = c->args[5];
	r.r[UNWIND_REG_RAX] = (uint64_t)c->nr;
	r.r[UNWIND_REG_RSP] = c->sp;
	r.r[UNWIND_REG_RIP] = c->pc;
	o->mem->pid = pid;
	ptrace_mem_reset(o->mem);
	struct unwind_mem um = { mem_read, o->mem };
	unsigned uf = 0;
	int n;
	if (o->unwinder && maps)
		n = unwind_dwarf(o->unwinder, maps, &r, &um, o->scratch, o->max_frames, &uf);
	else
		n = unwind_fp(maps, &r, &um, o->scratch, o->max_frames, &uf);
	*flags = 0;
	if (uf & (UNWIND_TRUNCATED | UNWIND_DEPTH))
		*flags |= SAMPLE_TRUNCATED;
	else if (uf & UNWIND_PARTIAL)
		*flags |= SAMPLE_PARTIAL;
	*flags |= uf & UNWIND_NOTES; /* the same bits as SAMPLE_REFUSED, SAMPLE_STEP_* */
	return n;
}

static void keep_stack(struct othread *t, const uint64_t *ips, size_t n)
{
	xgrow((void **)&t->ips, &t->capips, n ? n : 1, sizeof(*t->ips));
	memcpy(t->ips, ips, n * sizeof(*ips));
	t->nips = n;
}

/* Reads the stack of a thread blocked as c says: read, unwind, then check
 * that it did not run meanwhile (same run count, same call, sp and pc), once
 * more if it did. 0: t holds the stack; -EAGAIN: raced twice. */
static int read_stack(struct offcpu *o, struct othread *t, struct maps *maps, struct offcpu_call *c,
		      uint64_t *run_ns, uint64_t *runs)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		unsigned flags = 0;
		int n = unwind_blocked(o, t->pid, maps, c, &flags);
		o->st.reads++;
		struct offcpu_call again;
		uint64_t run2 = 0, runs2 = 0;
		int r = read_call(o, t, &again);
		if (r == 0)
			r = read_sched(o, t, &run2, &runs2);
		if (r < 0)
			return r;
		if (call_same(c, &again) && (!t->runs_known || runs2 == *runs)) {
			keep_stack(t, o->scratch, n > 0 ? (size_t)n : 0);
			t->flags = flags;
			return 0;
		}
		o->st.raced++;
		*c = again;
		*run_ns = run2;
		*runs = runs2;
		if (c->where == OFFCPU_RUNNING)
			return -EAGAIN; /* it woke: no stack to read now */
	}
	o->st.dropped++;
	return -EAGAIN;
}

static void out_blocked(const struct othread *t, struct offcpu_look *out)
{
	out->blocked = true;
	out->state = t->state;
	out->syscall = t->nr;
	out->ips = t->ips;
	out->nips = t->nips;
	out->flags = t->flags;
	out->call = &t->call;
}

uint64_t offcpu_off_ns(uint64_t dt, uint64_t dc, uint64_t *ahead_ns)
{
	if (dt < dc) {
		*ahead_ns += dc - dt;
		return 0;
	}
	uint64_t off = dt - dc;
	uint64_t back = off < *ahead_ns ? off : *ahead_ns;
	*ahead_ns -= back;
	return off - back;
}

int offcpu_look(struct offcpu *o, pid_t pid, pid_t tid, struct maps *maps, struct offcpu_look *out)
{
	memset(out, 0, sizeof(*out));
	out->syscall = -1;
	struct othread *t = thread_get(o, pid, tid, true);
	t->round = o->round;
	o->st.looks++;
	uint64_t run_ns, runs;
	int r = read_sched(o, t, &run_ns, &runs);
	uint64_t now = now_ns();
	if (r < 0)
		goto fail;
	bool runs_known = run_ns || runs;
	/* A thread found ready that was blocked at the last look spent its
	 * time off the CPU there, mostly (it woke since): that is where it goes. */
	bool was_blocked = t->based && t->have_stack;
	uint64_t gen = maps ? maps->generation : 0;
	/* Not run since a look that found it blocked: still blocked there (and
	 * the stack read then stands while the mappings it was unwound over do). */
	bool same_maps = gen == t->maps_gen;
	bool hit = t->based && t->have_stack && same_maps && t->runs_known && runs_known && runs == t->runs;
	if (hit) {
		o->st.hits++;
		out->cached = true;
	} else {
		struct offcpu_call c;
		r = read_call(o, t, &c);
		if (r < 0)
			goto fail;
		t->runs_known = runs_known;
		if (c.where != OFFCPU_RUNNING && t->have_stack && same_maps && !runs_known && call_same(&c, &t->call)) {
			/* No run count here: the same call at the same sp and pc. */
			o->st.hits++;
			out->cached = true;
		} else if (c.where != OFFCPU_RUNNING) {
			r = read_stack(o, t, maps, &c, &run_ns, &runs);
			if (r == 0) {
				t->maps_gen = gen;
				t->call = c;
				t->state = offcpu_state(&c, &t->nr);
				t->have_stack = true;
			} else {
				t->have_stack = false;
				if (r != -EAGAIN)
					goto fail;
			}
		} else {
			t->have_stack = false;
		}
	}
	/* Off-CPU time since the last look: wall time less CPU time. The CPU
	 * time of a thread on a CPU is brought up to date only at the
	 * scheduler's tick (schedstat lags by up to 4 ms here), so one interval
	 * reads too little of it and the next one more than its wall time:
	 * that excess is owed back, not dropped, or a spinning thread gains
	 * wall time (+3 points of a 30% spin under load). */
	uint64_t off = 0;
	if (t->based)
		off = offcpu_off_ns(now - t->last_ns, run_ns > t->run_ns ? run_ns - t->run_ns : 0, &t->ahead_ns);
	t->based = true;
	t->last_ns = now;
	t->run_ns = run_ns;
	t->runs = runs;
	uint64_t total = off + t->carry_ns;
	if (t->have_stack) {
		t->stack_runs = runs;
		o->st.blocked++;
		out_blocked(t, out);
	} else if (t->nips && t->runs_known && runs == t->stack_runs) {
		/* Woken but not run since it blocked (no run count has come): it
		 * waits for a CPU right where it blocked. */
		out_blocked(t, out);
		out->blocked = false;
		out->state = SAMPLE_STATE_RUNNABLE;
		out->syscall = -1;
	} else if (was_blocked && t->nips) {
		out_blocked(t, out);
		out->blocked = false;
		t->nips = 0;
	} else {
		out->state = SAMPLE_STATE_RUNNABLE;
		out->ips = t->run_ips;
		out->nips = t->nrun;
		if (!t->nrun) {
			/* Nowhere to charge it yet: it waits for a stack. */
			t->carry_ns = total;
			return 0;
		}
	}
	out->weight = total / o->period_ns;
	t->carry_ns = total % o->period_ns;
	return 0;
fail:
	if (r == -ESRCH || r == -ENOENT) {
		r = -ESRCH;
		/* Gone: forget it now (a new thread may get its id). */
		thread_remove(o, (size_t)(t - o->v));
	} else if (r == -EACCES || r == -EPERM) {
		o->st.denied++;
	}
	errno = -r;
	return r;
}

void offcpu_note_cpu(struct offcpu *o, pid_t pid, pid_t tid, const uint64_t *ips, size_t n)
{
	if (!n)
		return;
	struct othread *t = thread_get(o, pid, tid, true);
	xgrow((void **)&t->run_ips, &t->caprun, n, sizeof(*t->run_ips));
	memcpy(t->run_ips, ips, n * sizeof(*ips));
	t->nrun = n;
}

void offcpu_stats(const struct offcpu *o, struct offcpu_stats *st)
{
	*st = o->st;
}

void offcpu_denied_text(pid_t pid, int err, int scope, char *buf, size_t len)
{
	if (scope >= 1)
		snprintf(buf, len,
			 "cannot read the blocked threads of %d: kernel.yama.ptrace_scope is %d, so only its parent may "
			 "read its stacks (launch the command under prowl, or run as root or with CAP_SYS_PTRACE)",
			 (int)pid, scope);
	else
		snprintf(buf, len, "cannot read the blocked threads of %d: %s (run as the process owner or root)",
			 (int)pid, errstr(err < 0 ? -err : err));
}

void offcpu_denied_message(pid_t pid, int err, char *buf, size_t len)
{
	int scope = -1;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = -1;
		fclose(f);
	}
	offcpu_denied_text(pid, err, scope, buf, len);
}
