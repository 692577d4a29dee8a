#include "profiler/capture/session.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "symbolize/symbolizer.h"
#include "profiler/capture/aggregate.h"
#include "profiler/capture/sampler.h"
#include "profiler/capture/target.h"
#include "profiler/capture/unwind.h"
#include "profiler/base/errstr.h"
#include "profiler/base/util.h"


#define SYM_MAX_INLINE 32

/* One resolved (module, address): the frames, innermost first, as profile
 * frames without their module index (filled per snapshot). */
struct sym_entry {
	struct module *mod;
	uint64_t addr;
	uint8_t kind;
	uint8_t nframes;
	struct profile_frame *frames; /* strings owned here */
};

struct sym_cache {
	struct sym_entry *v;
	size_t n, cap;
	uint32_t *slot; /* index+1, 0 empty */
	size_t nslot;
};

struct session {
	const struct capture_opts *opts;
	struct target *target;
	struct unwinder *unwinder;
	struct sampler sampler;
	bool sampler_open;
	struct aggregate *agg;
	regex_t thread_re;
	bool have_re;
	int sigfd, durfd, tickfd;
	sigset_t oldmask;
	bool mask_set;
	int *pidfds; /* per attached pid, -1 when none */
	size_t npidfds;
	bool started, stopped;
	uint64_t start_mono, start_wall, stop_mono;
	struct rusage ru_start;
	uint64_t samples, lost, partial, truncated, throttled;
	struct symbolizer *sym;
	struct sym_module *kernel_sym;
	struct sym_cache cache;
	struct sym_entry scratch; /* an address left unresolved after a stop signal (not cached) */
	bool sym_quick;           /* this snapshot: a stop signal came, load no more modules */
	uint64_t unsymbolized;    /* in this snapshot */
	int stop_taken;           /* a stop signal taken while symbolizing, for session_poll */
	struct strbuf notes;
	char err[512];
	struct agg_frame *frames;
	size_t max_frames;
};

static void note(struct session *s, const char *msg)
{
	if (!msg || !*msg)
		return;
	if (s->notes.len)
		strbuf_addc(&s->notes, '\n');
	strbuf_adds(&s->notes, msg);
}

static bool name_wanted(struct session *s, const char *name)
{
	return !s->have_re || regexec(&s->thread_re, name, 0, NULL, 0) == 0;
}

static void thread_named(struct session *s, struct target_thread *th, const char *name)
{
	if (name)
		target_thread_set_name(th, name);
	th->excluded = !name_wanted(s, th->name);
}

static bool env_thread_wanted(void *ctx, const char *name)
{
	return name_wanted(ctx, name);
}

/* Anonymous executable memory is JIT code: one pseudo module per process,
 * named by its perf map (/tmp/perf-PID.map), addresses absolute. */
static struct module *jit_module(struct session *s, struct target_proc *p, uint64_t addr)
{
	const struct map_entry *e = maps_find(p->maps, addr);
	if (!e || e->module || !(e->prot & MAPS_PROT_EXEC))
		return NULL;
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)p->pid);
	return module_set_get(s->target->modules, path, 0, (uint64_t)p->pid, MODULE_ANON, NULL);
}

static void add_sample(struct session *s, const struct sampler_sample *sm)
{
	struct target_proc *p = target_proc(s->target, sm->pid, false);
	if (!p)
		return;
	struct target_thread *th = target_thread(p, sm->tid, false);
	if (!th) {
		th = target_thread(p, sm->tid, true);
		char path[96];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)sm->pid, (int)sm->tid);
		FILE *f = fopen(path, "re");
		char name[64] = "";
		if (f) {
			if (!fgets(name, sizeof(name), f))
				name[0] = 0;
			fclose(f);
		}
		thread_named(s, th, name);
	}
	if (th->excluded)
		return;
	size_t n = 0;
	/* Wall mode: a thread off the CPU gets its state as a pseudo leaf. */
	if (sm->state != SAMPLE_STATE_NONE && sm->state != SAMPLE_STATE_RUNNING)
		s->frames[n++] = (struct agg_frame){ NULL, (uint64_t)sm->state, AGG_STATE };
	struct module *kmod = sm->nkernel ? module_set_kernel(s->target->modules) : NULL;
	for (size_t i = 0; i < sm->nkernel && n < s->max_frames; i++)
		s->frames[n++] = (struct agg_frame){ kmod, sm->kernel[i] - (i ? 1 : 0), AGG_KERNEL };
	for (size_t i = 0; i < sm->nuser && n < s->max_frames; i++) {
		/* Return addresses point after the call: look up the call itself. */
		uint64_t a = sm->user[i] - (i ? 1 : 0), vaddr;
		struct module *mod;
		if (maps_resolve(p->maps, a, &mod, &vaddr) == -ENOENT)
			mod = jit_module(s, p, a);
		s->frames[n++] = (struct agg_frame){ mod, vaddr, AGG_USER };
	}
	if (!n)
		return;
	uint32_t t = aggregate_thread(s->agg, sm->pid, sm->tid);
	aggregate_add(s->agg, t, s->frames, n, sm->weight ? sm->weight : 1);
	/* Counted in the same unit as samples: a weighted ptrace sample stands
	 * for several, truncated or not alike. */
	uint64_t w = sm->weight ? sm->weight : 1;
	s->samples += w;
	if (sm->flags & SAMPLE_TRUNCATED)
		s->truncated += w;
	else if (sm->flags & SAMPLE_PARTIAL)
		s->partial += w;
}

static void on_event(void *ctx, const struct sampler_event *ev)
{
	struct session *s = ctx;
	struct target_proc *p;
	struct target_thread *th;
	switch (ev->kind) {
	case SAMPLER_SAMPLE:
		add_sample(s, &ev->sample);
		break;
	case SAMPLER_COMM:
		p = target_proc(s->target, ev->pid, false);
		if (!p)
			break;
		th = target_thread(p, ev->tid, true);
		th->exited = false;
		thread_named(s, th, ev->comm.name);
		break;
	case SAMPLER_FORK: {
		p = target_proc(s->target, ev->pid, false);
		if (!p)
			break;
		struct target_proc *pp = target_proc(s->target, ev->fork.ppid, false);
		struct target_thread *parent = pp ? target_thread(pp, ev->fork.ptid, false) : NULL;
		char name[16];
		snprintf(name, sizeof(name), "%s", parent ? parent->name : "");
		th = target_thread(p, ev->tid, true);
		th->exited = false;
		thread_named(s, th, name);
		break;
	}
	case SAMPLER_EXIT:
		p = target_proc(s->target, ev->pid, false);
		if (!p)
			break;
		th = target_thread(p, ev->tid, false);
		if (th)
			th->exited = true;
		if (ev->pid == ev->tid)
			p->exited = true;
		break;
	case SAMPLER_LOST:
		s->lost += ev->lost.count;
		break;
	case SAMPLER_THROTTLE:
		s->throttled++;
		break;
	default:
		break;
	}
}

static void set_err(struct session *s, char **errmsg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(struct session *s, char **errmsg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	if (errmsg)
		*errmsg = xstrdup(s->err);
}

static int open_backend(struct session *s, const struct sampler_ops *ops)
{
	memset(&s->sampler, 0, sizeof(s->sampler));
	s->sampler.ops = ops;
	s->sampler.env = (struct sampler_env){
		.opts = s->opts,
		.target = s->target,
		.unwinder = s->unwinder,
		.emit = on_event,
		.ctx = s,
		.thread_wanted = env_thread_wanted,
	};
	int r = ops->open(&s->sampler);
	if (r) {
		ops->close(&s->sampler);
		return r;
	}
	s->sampler_open = true;
	return 0;
}

static bool denied(int r)
{
	return r == -EACCES || r == -EPERM || r == -ENOSYS || r == -EOPNOTSUPP || r == -ENOENT;
}

static int choose_backend(struct session *s, char **errmsg)
{
	const struct capture_opts *o = s->opts;
	int r;
	char perf_err[256] = "";
	/* Wall-clock sampling needs threads off the CPU too: only ptrace does it. */
	if (o->backend == CAPTURE_BACKEND_PTRACE || (o->backend == CAPTURE_BACKEND_AUTO && o->mode == CAPTURE_MODE_WALL)) {
		r = open_backend(s, &ptrace_sampler_ops);
		if (r)
			set_err(s, errmsg, "%s", s->sampler.err[0] ? s->sampler.err : errstr(-r));
		return r;
	}
	r = open_backend(s, &perf_sampler_ops);
	if (!r) {
		note(s, s->sampler.err);
		return 0;
	}
	snprintf(perf_err, sizeof(perf_err), "%s", s->sampler.err[0] ? s->sampler.err : errstr(-r));
	if (o->backend == CAPTURE_BACKEND_PERF || !denied(r) || r == -ESRCH) {
		set_err(s, errmsg, "%s", perf_err);
		return r;
	}
	int r2 = open_backend(s, &ptrace_sampler_ops);
	if (r2) {
		set_err(s, errmsg, "%s", perf_err);
		return r;
	}
	char *line = xasprintf("using the ptrace backend: %s", perf_err);
	note(s, line);
	free(line);
	return 0;
}

static int attach_error(struct session *s, char **errmsg, pid_t pid, int r)
{
	if (r == -ESRCH)
		set_err(s, errmsg, "cannot attach to %d: no such process (check the pid with ps)", (int)pid);
	else if (r == -EPERM || r == -EACCES)
		set_err(s, errmsg,
			"cannot attach to %d: permission denied (run as the process owner or root, or lower "
			"kernel.perf_event_paranoid)",
			(int)pid);
	else
		set_err(s, errmsg, "cannot attach to %d: %s", (int)pid, errstr(-r));
	return r;
}

struct session *session_new(const struct capture_opts *opts, char **errmsg)
{
	return session_new_with(opts, NULL, errmsg);
}

struct session *session_new_with(const struct capture_opts *opts, const struct sampler_ops *ops, char **errmsg)
{
	if (errmsg)
		*errmsg = NULL;
	struct session *s = xcalloc(1, sizeof(*s));
	s->opts = opts;
	s->sigfd = s->durfd = s->tickfd = -1;
	strbuf_init(&s->notes);
	s->max_frames = (opts->max_depth ? opts->max_depth : CAPTURE_DEFAULT_DEPTH) * 2;
	s->frames = xmalloc(s->max_frames * sizeof(*s->frames));
	s->agg = aggregate_new();
	int r = 0;
	if (!opts->argv && !opts->npids) {
		set_err(s, errmsg, "nothing to profile: give -p PID or -- COMMAND");
		r = -EINVAL;
		goto fail;
	}
	if (opts->thread_regex) {
		if (regcomp(&s->thread_re, opts->thread_regex, REG_EXTENDED | REG_NOSUB)) {
			set_err(s, errmsg, "invalid thread regex '%s'", opts->thread_regex);
			r = -EINVAL;
			goto fail;
		}
		s->have_re = true;
	}
	/* Signals arrive through the loop, never in a handler. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &s->oldmask);
	s->mask_set = true;
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0) {
		r = -errno;
		set_err(s, errmsg, "signalfd failed: %s", errstr(errno));
		goto fail;
	}
	s->target = target_new();
	if (opts->argv) {
		r = target_launch(s->target, opts->argv);
		if (r == -ENOENT) {
			set_err(s, errmsg, "command not found: %s (check the name and PATH)", opts->argv[0]);
			goto fail;
		} else if (r == -EACCES) {
			set_err(s, errmsg, "cannot execute %s: permission denied (is it an executable file?)",
				opts->argv[0]);
			goto fail;
		} else if (r) {
			set_err(s, errmsg, "cannot start %s: %s", opts->argv[0], errstr(-r));
			goto fail;
		}
	}
	s->pidfds = xmalloc((opts->npids + 1) * sizeof(*s->pidfds));
	for (size_t i = 0; i < opts->npids; i++) {
		pid_t pid = opts->pids[i];
		if (pid == getpid()) {
			set_err(s, errmsg, "cannot attach to %d: that is prowl itself", (int)pid);
			r = -EINVAL;
			goto fail;
		}
		r = target_attach(s->target, pid);
		if (r) {
			attach_error(s, errmsg, pid, r);
			goto fail;
		}
		s->pidfds[s->npidfds++] = (int)syscall(SYS_pidfd_open, pid, 0);
	}
	for (size_t i = 0; i < s->target->nprocs; i++) {
		struct target_proc *p = s->target->procs[i];
		for (size_t j = 0; j < p->nthreads; j++)
			thread_named(s, &p->threads[j], NULL);
	}
	if (opts->unwind == CAPTURE_UNWIND_DWARF)
		s->unwinder = unwinder_new(s->target->modules, opts->max_depth);
	if (ops) {
		r = open_backend(s, ops);
		if (r)
			set_err(s, errmsg, "%s", s->sampler.err[0] ? s->sampler.err : errstr(-r));
	} else {
		r = choose_backend(s, errmsg);
	}
	if (r) {
		if (r == -ESRCH && opts->npids)
			attach_error(s, errmsg, opts->pids[0], r);
		goto fail;
	}
	return s;
fail:
	session_free(s);
	errno = r < 0 ? -r : EINVAL;
	return NULL;
}

static int arm_timer(int *fd, uint64_t first_ns, uint64_t period_ns)
{
	if (*fd < 0)
		*fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*fd < 0)
		return -errno;
	struct itimerspec it = {
		.it_value = { (time_t)(first_ns / 1000000000ull), (long)(first_ns % 1000000000ull) },
		.it_interval = { (time_t)(period_ns / 1000000000ull), (long)(period_ns % 1000000000ull) },
	};
	if (!first_ns)
		it.it_value.tv_nsec = 1;
	return timerfd_settime(*fd, 0, &it, NULL) ? -errno : 0;
}

int session_start(struct session *s, char **errmsg)
{
	if (errmsg)
		*errmsg = NULL;
	getrusage(RUSAGE_SELF, &s->ru_start);
	s->start_mono = now_ns();
	s->start_wall = wall_ns();
	int r = s->sampler.ops->start(&s->sampler);
	if (r) {
		set_err(s, errmsg, "cannot start sampling: %s", s->sampler.err[0] ? s->sampler.err : errstr(-r));
		return r;
	}
	if (s->target->child) {
		r = target_release(s->target);
		if (r) {
			set_err(s, errmsg, "cannot execute %s: %s", s->opts->argv[0], errstr(-r));
			return r;
		}
	}
	if (s->opts->duration > 0)
		arm_timer(&s->durfd, (uint64_t)(s->opts->duration * 1e9), 0);
	if (s->sampler.tick_ns)
		arm_timer(&s->tickfd, s->sampler.tick_ns, s->sampler.tick_ns);
	s->started = true;
	return 0;
}

/* Whether the launched command has exited. The ptrace backend waits for its
 * tracee itself and records the status in the target; a wait here would
 * steal its stops. */
static bool child_done(struct session *s)
{
	if (s->sampler.ops == &ptrace_sampler_ops && s->sampler_open)
		return s->target->child_reaped;
	return target_child_done(s->target);
}

static bool all_exited(struct session *s)
{
	struct target *t = s->target;
	if (t->child && !child_done(s))
		return false;
	for (size_t i = 0; i < s->npidfds; i++) {
		struct target_proc *p = target_proc(t, s->opts->pids[i], false);
		if (p && !p->exited)
			return false;
	}
	return true;
}

/* A terminal's signal reached the command already; one sent to prowl alone
 * is passed on, as if the command ran directly. */
static void pass_stop_on(struct session *s, int sig, int code)
{
	if (s->target->child && !s->target->child_reaped && code != SI_KERNEL)
		kill(s->target->child, sig);
}

int session_poll(struct session *s, int timeout_ms, int extra_fd)
{
	struct pollfd pf[512];
	size_t n = 0;
	pf[n++] = (struct pollfd){ s->sigfd, POLLIN, 0 };
	size_t idx_dur = n;
	pf[n++] = (struct pollfd){ s->durfd, POLLIN, 0 };
	size_t idx_tick = n;
	pf[n++] = (struct pollfd){ s->tickfd, POLLIN, 0 };
	size_t idx_extra = n;
	pf[n++] = (struct pollfd){ extra_fd, POLLIN, 0 };
	size_t idx_pid = n;
	/* Keep room for the backend's fds; exits of pids beyond are still seen
	 * through the backend's EXIT events. */
	for (size_t i = 0; i < s->npidfds && n < ARRAY_SIZE(pf) - 260; i++)
		pf[n++] = (struct pollfd){ s->pidfds[i], POLLIN, 0 };
	size_t idx_be = n;
	if (!s->stopped) {
		int fds[256];
		size_t k = s->sampler.ops->fds(&s->sampler, fds, ARRAY_SIZE(fds));
		for (size_t i = 0; i < k && n < ARRAY_SIZE(pf); i++)
			pf[n++] = (struct pollfd){ fds[i], POLLIN, 0 };
	}
	/* Rings fill slowly at low rates: never sleep long with data waiting. */
	if (timeout_ms < 0 || timeout_ms > 200)
		timeout_ms = 200;
	int pr = poll(pf, n, timeout_ms);
	if (pr < 0 && errno != EINTR)
		return -errno;
	int ev = 0;
	if (s->stop_taken) {
		ev |= SESSION_INTERRUPTED;
		s->stop_taken = 0;
	}
	if (pr > 0 && (pf[0].revents & POLLIN)) {
		struct signalfd_siginfo si;
		while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGINT:
			case SIGTERM:
			case SIGHUP:
				pass_stop_on(s, (int)si.ssi_signo, si.ssi_code);
				ev |= SESSION_INTERRUPTED;
				break;
			case SIGUSR1:
				ev |= SESSION_USR1;
				break;
			default:
				break;
			}
		}
	}
	uint64_t ticks;
	if (pr > 0 && (pf[idx_dur].revents & POLLIN) && read(s->durfd, &ticks, sizeof(ticks)) > 0)
		ev |= SESSION_DURATION;
	else if (s->durfd >= 0 && s->opts->duration > 0 &&
		 now_ns() - s->start_mono >= (uint64_t)(s->opts->duration * 1e9))
		ev |= SESSION_DURATION;
	if (pr > 0 && (pf[idx_tick].revents & POLLIN) && read(s->tickfd, &ticks, sizeof(ticks)) > 0 &&
	    s->sampler.ops->tick && !s->stopped)
		s->sampler.ops->tick(&s->sampler);
	if (pr > 0 && extra_fd >= 0 && (pf[idx_extra].revents & (POLLIN | POLLHUP)))
		ev |= SESSION_EXTRA_FD;
	for (size_t i = 0; i < s->npidfds && idx_pid + i < idx_be; i++) {
		if (pr > 0 && s->pidfds[i] >= 0 && (pf[idx_pid + i].revents & POLLIN)) {
			struct target_proc *p = target_proc(s->target, s->opts->pids[i], false);
			if (p)
				p->exited = true;
		}
	}
	if (!s->stopped) {
		int r = s->sampler.ops->poll(&s->sampler);
		if (r < 0 && r != -EAGAIN && r != -EINTR)
			return r;
	}
	if (s->started && all_exited(s))
		ev |= SESSION_EXITED;
	return ev;
}

static void release_mask(struct session *s)
{
	if (s->mask_set) {
		/* Drop what is pending so a SIGINT does not kill us on unblock. */
		struct signalfd_siginfo si;
		if (s->sigfd >= 0)
			while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
		sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
		s->mask_set = false;
	}
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

int session_stop_pending(struct session *s)
{
	/* Left pending, not read from the signalfd: session_poll reports it
	 * as ever, and session_free drops it before unblocking. */
	const int *stops = stop_signals;
	sigset_t set;
	if (!s->mask_set || sigpending(&set) != 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		if (sigismember(&set, stops[i]) == 1)
			return stops[i];
	return 0;
}

/* Takes a waiting stop signal out of the queue (it is reported by the next
 * session_poll): the one that stopped symbolizing must not also stop the
 * write that follows; only a new one does. */
static int take_stop(struct session *s)
{
	sigset_t set;
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	if (!s->mask_set)
		return 0;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		sigaddset(&set, stop_signals[i]);
	int sig = sigtimedwait(&set, &si, &zero);
	if (sig <= 0)
		return 0;
	pass_stop_on(s, sig, si.si_code);
	s->stop_taken = sig;
	return sig;
}

int session_stop(struct session *s)
{
	if (s->stopped)
		return 0;
	int r = 0;
	if (s->sampler_open)
		r = s->sampler.ops->stop(&s->sampler);
	s->stopped = true;
	s->stop_mono = now_ns();
	return r;
}

static void sym_entry_release(struct sym_entry *e)
{
	for (size_t j = 0; j < e->nframes; j++) {
		free(e->frames[j].name);
		free(e->frames[j].system_name);
		free(e->frames[j].file);
	}
	free(e->frames);
	memset(e, 0, sizeof(*e));
}

static void sym_cache_release(struct sym_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		sym_entry_release(&c->v[i]);
	free(c->v);
	free(c->slot);
	memset(c, 0, sizeof(*c));
}

void session_free(struct session *s)
{
	if (!s)
		return;
	if (s->sampler_open) {
		if (!s->stopped)
			s->sampler.ops->stop(&s->sampler);
		s->sampler.ops->close(&s->sampler);
	}
	release_mask(s);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->durfd >= 0)
		close(s->durfd);
	if (s->tickfd >= 0)
		close(s->tickfd);
	for (size_t i = 0; i < s->npidfds; i++)
		if (s->pidfds[i] >= 0)
			close(s->pidfds[i]);
	free(s->pidfds);
	if (s->have_re)
		regfree(&s->thread_re);
	sym_cache_release(&s->cache);
	sym_entry_release(&s->scratch);
	if (s->sym)
		symbolizer_free(s->sym);
	unwinder_free(s->unwinder);
	target_free(s->target);
	aggregate_free(s->agg);
	strbuf_release(&s->notes);
	free(s->frames);
	free(s);
}

int session_exit_code(struct session *s)
{
	if (!s->target->child)
		return -1;
	if (!child_done(s))
		return -1;
	return target_exit_code(s->target);
}

int session_signal_command(struct session *s, int sig)
{
	if (!s->target->child || child_done(s))
		return -ESRCH;
	return kill(s->target->child, sig) ? -errno : 0;
}

const char *session_error(struct session *s)
{
	return s->err;
}

const char *session_notes(struct session *s)
{
	return s->notes.buf ? s->notes.buf : "";
}

static uint64_t cpu_ns_of(const struct rusage *ru)
{
	return (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ull;
}

void session_stats(struct session *s, struct session_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->samples = s->samples;
	st->lost = s->lost;
	st->partial = s->partial;
	st->truncated = s->truncated;
	uint64_t with = 0;
	for (size_t i = 0; i < s->agg->nthreads; i++)
		with += s->agg->threads[i].samples > 0 || s->agg->total == 0;
	st->threads = s->agg->nthreads;
	(void)with;
	st->threads_live = target_live_threads(s->target);
	if (s->started)
		st->elapsed_ns = (s->stopped ? s->stop_mono : now_ns()) - s->start_mono;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	st->cpu_ns = cpu_ns_of(&ru) - cpu_ns_of(&s->ru_start);
	st->unique_stacks = s->agg->nnodes - 1;
	st->backend = s->sampler.ops ? s->sampler.ops->name : "";
	st->throttled = s->throttled;
	st->unsymbolized = s->unsymbolized;
}

/* ---- symbolization and snapshots ---- */

static uint64_t sym_hash(const struct module *m, uint64_t addr, uint8_t kind)
{
	return hash_mix(hash_mix(hash_mix(0x5e, (uint64_t)(uintptr_t)m), addr), kind);
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* True when path still holds the file the module was mapped from. */
static bool same_file(const char *path, const struct module *m)
{
	struct stat st;
	return stat(path, &st) == 0 && (uint64_t)st.st_ino == m->ino;
}

/* quick: only modules already loaded are looked in (a stop signal came:
 * loading and indexing another one can take seconds). */
static bool resolve_entry(struct session *s, struct sym_entry *e, bool quick)
{
	struct sym_frame out[SYM_MAX_INLINE];
	int n = 0;
	bool skipped = false;
	struct module *m = e->mod;
	if (!s->sym) {
		struct symbolizer_opts so = { 0 };
		s->sym = symbolizer_new(&so);
	}
	if (e->kind == AGG_STATE) {
		static const char *const names[] = {
			[SAMPLE_STATE_SLEEPING] = "[sleeping]", [SAMPLE_STATE_IO] = "[I/O wait]",
			[SAMPLE_STATE_STOPPED] = "[stopped]", [SAMPLE_STATE_OTHER] = "[other state]",
		};
		e->nframes = 1;
		e->frames = xcalloc(1, sizeof(*e->frames));
		e->frames[0].name = xstrdup(e->addr < ARRAY_SIZE(names) && names[e->addr] ? names[e->addr]
										     : "[other state]");
		e->frames[0].kind = FRAME_STATE;
		return false;
	}
	if (e->kind == AGG_KERNEL) {
		skipped = !s->kernel_sym && quick;
		if (!s->kernel_sym && !quick) {
			struct sym_source src = { .kind = SYM_KERNEL, .path = "[kernel.kallsyms]" };
			s->kernel_sym = symbolizer_module(s->sym, &src);
		}
		if (s->kernel_sym)
			n = sym_lookup(s->kernel_sym, e->addr, out, SYM_MAX_INLINE);
	} else if (m && m->kind == MODULE_ANON) {
		skipped = !m->sym_data && quick;
		if (!m->sym_data && !quick) {
			struct sym_source src = { .kind = SYM_JIT, .pid = (pid_t)m->ino };
			m->sym_data = symbolizer_module(s->sym, &src);
		}
		if (m->sym_data)
			n = sym_lookup(m->sym_data, e->addr, out, SYM_MAX_INLINE);
	} else if (m && (m->kind == MODULE_FILE || m->kind == MODULE_VDSO)) {
		skipped = !m->sym_data && quick;
		if (!m->sym_data && !quick) {
			struct sym_source src = {
				.kind = SYM_ELF,
				.path = m->open_path ? m->open_path : m->path,
				.name = m->path,
				.build_id = m->build_id_len ? m->build_id : NULL,
				.build_id_len = m->build_id_len,
			};
			if (m->kind == MODULE_VDSO) {
				module_load(m);
				src.image = m->image;
				src.image_len = m->image_len;
			} else if (m->image && !same_file(src.path, m)) {
				/* Deleted or replaced since it was mapped, and the process
				 * (with its map_files) may be gone: the bytes the unwinder
				 * mapped are the ones that ran. */
				src.image = m->image;
				src.image_len = m->image_len;
			}
			m->sym_data = symbolizer_module(s->sym, &src);
		}
		if (m->sym_data)
			n = sym_lookup(m->sym_data, e->addr, out, SYM_MAX_INLINE);
	}
	if (n < 0)
		n = 0;
	e->nframes = (uint8_t)(n ? n : 1);
	e->frames = xcalloc(e->nframes, sizeof(*e->frames));
	uint8_t kind = e->kind == AGG_KERNEL ? FRAME_KERNEL : m && m->kind == MODULE_ANON ? FRAME_JIT : FRAME_USER;
	if (!n) {
		struct profile_frame *f = &e->frames[0];
		if (m && (m->kind == MODULE_FILE || m->kind == MODULE_VDSO))
			f->name = xasprintf("%s+0x%llx", base_name(m->path), (unsigned long long)e->addr);
		else
			f->name = xstrdup("[unknown]");
		f->kind = kind;
		f->address = e->addr;
		return skipped;
	}
	for (int i = 0; i < n; i++) {
		struct profile_frame *f = &e->frames[i];
		f->name = xstrdup(out[i].function ? out[i].function : out[i].raw ? out[i].raw : "[unknown]");
		f->system_name = out[i].raw ? xstrdup(out[i].raw) : NULL;
		f->file = out[i].file ? xstrdup(out[i].file) : NULL;
		f->line = out[i].line;
		f->column = out[i].column;
		f->kind = kind;
		f->inlined = i + 1 < n;
		f->address = e->addr;
	}
	return false;
}

static struct sym_entry *sym_get(struct session *s, const struct agg_frame *fr)
{
	struct sym_cache *c = &s->cache;
	uint64_t h = sym_hash(fr->mod, fr->addr, fr->kind);
	if (c->nslot) {
		size_t m = c->nslot - 1, j = h & m;
		while (c->slot[j]) {
			struct sym_entry *e = &c->v[c->slot[j] - 1];
			if (e->mod == fr->mod && e->addr == fr->addr && e->kind == fr->kind)
				return e;
			j = (j + 1) & m;
		}
	}
	/* Nobody reads the signalfd while symbolizing: a stop signal is looked
	 * for here, and what is left is written as module+offset, not cached,
	 * so that a later snapshot still resolves it. */
	if (!s->sym_quick && take_stop(s))
		s->sym_quick = true;
	if (s->sym_quick) {
		sym_entry_release(&s->scratch);
		s->scratch.mod = fr->mod;
		s->scratch.addr = fr->addr;
		s->scratch.kind = fr->kind;
		if (resolve_entry(s, &s->scratch, true))
			s->unsymbolized++;
		return &s->scratch;
	}
	xgrow((void **)&c->v, &c->cap, c->n + 1, sizeof(*c->v));
	struct sym_entry *e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	e->mod = fr->mod;
	e->addr = fr->addr;
	e->kind = fr->kind;
	resolve_entry(s, e, false);
	if (c->n * 2 > c->nslot) {
		free(c->slot);
		c->nslot = c->nslot ? c->nslot * 2 : 1024;
		c->slot = xcalloc(c->nslot, sizeof(*c->slot));
		for (size_t i = 0; i < c->n; i++) {
			struct sym_entry *x = &c->v[i];
			size_t m = c->nslot - 1, j = sym_hash(x->mod, x->addr, x->kind) & m;
			while (c->slot[j])
				j = (j + 1) & m;
			c->slot[j] = (uint32_t)i + 1;
		}
	} else {
		size_t m = c->nslot - 1, j = h & m;
		while (c->slot[j])
			j = (j + 1) & m;
		c->slot[j] = (uint32_t)c->n;
	}
	return e;
}

static int32_t profile_module_of(struct session *s, struct profile *p, struct module *m)
{
	if (!m)
		return -1;
	struct profile_module pm = { .path = m->path, .kernel = m->kind == MODULE_KERNEL };
	char hex[41];
	if (m->build_id_len) {
		for (size_t i = 0; i < m->build_id_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
		pm.build_id = hex;
	}
	if (m->sym_data) {
		unsigned caps = sym_module_caps(m->sym_data);
		pm.has_functions = caps & 1;
		pm.has_filenames = (caps >> 1) & 1;
		pm.has_line_numbers = (caps >> 2) & 1;
		pm.has_inline_frames = (caps >> 3) & 1;
	}
	/* The first executable mapping of the main process, for pprof. */
	for (size_t i = 0; i < s->target->nprocs && !pm.start; i++) {
		const struct maps *mp = s->target->procs[i]->maps;
		for (size_t j = 0; j < mp->n; j++)
			if (mp->v[j].module == m && (mp->v[j].prot & MAPS_PROT_EXEC)) {
				pm.start = mp->v[j].start;
				pm.limit = mp->v[j].end;
				pm.offset = mp->v[j].pgoff;
				break;
			}
	}
	return profile_module_intern(p, &pm);
}

struct profile *session_profile(struct session *s, unsigned flags)
{
	s->sym_quick = false;
	s->unsymbolized = 0;
	struct profile *p = profile_new();
	struct aggregate *a = s->agg;
	const struct capture_opts *o = s->opts;
	struct target_proc *main_proc = s->target->nprocs ? s->target->procs[0] : NULL;
	if (main_proc) {
		profile_set_str(&p->meta.command, main_proc->command);
		p->meta.pid = main_proc->pid;
	}
	p->meta.start_ns = s->start_wall;
	if (s->started)
		p->meta.duration_ns = (s->stopped ? s->stop_mono : now_ns()) - s->start_mono;
	p->meta.freq = o->freq;
	p->meta.period_ns = o->freq ? 1000000000ull / o->freq : 0;
	profile_set_str(&p->meta.backend, s->sampler.ops ? s->sampler.ops->name : NULL);
	profile_set_str(&p->meta.mode, capture_mode_name(o->mode));
	profile_set_str(&p->meta.event, o->mode == CAPTURE_MODE_WALL ? "wall-clock" : "cpu-clock");
	p->meta.lost = s->lost;
	p->meta.partial = s->partial;
	p->meta.truncated = s->truncated;

	uint32_t *tmap = xmalloc((a->nthreads + 1) * sizeof(*tmap));
	for (size_t i = 0; i < a->nthreads; i++) {
		const struct agg_thread *t = &a->threads[i];
		struct target_proc *tp = target_proc(s->target, t->pid, false);
		struct target_thread *th = tp ? target_thread(tp, t->tid, false) : NULL;
		tmap[i] = profile_thread_intern(p, t->pid, t->tid, th ? th->name : "");
	}
	/* Module indices per snapshot (a small map: modules are few). */
	size_t nmods = module_set_count(s->target->modules);
	int32_t *mmap_idx = xmalloc((nmods + 2) * sizeof(*mmap_idx));
	for (size_t i = 0; i < nmods + 2; i++)
		mmap_idx[i] = INT32_MIN;
	uint32_t *nmap = xmalloc(a->nnodes * sizeof(*nmap));
	nmap[0] = PROFILE_ROOT;
	for (size_t i = 1; i < a->nnodes; i++) {
		const struct agg_node *nd = &a->nodes[i];
		struct sym_entry *e = sym_get(s, &nd->frame);
		int32_t mi = -1;
		struct module *m = nd->frame.mod;
		if (m) {
			size_t slot = m->kind == MODULE_KERNEL ? nmods : m->id;
			if (slot > nmods)
				slot = nmods + 1;
			if (mmap_idx[slot] == INT32_MIN || slot == nmods + 1)
				mmap_idx[slot] = profile_module_of(s, p, m);
			mi = mmap_idx[slot];
		}
		uint32_t node = nmap[nd->parent];
		for (size_t k = e->nframes; k-- > 0;) {
			struct profile_frame f = e->frames[k];
			f.module = mi;
			node = profile_node_child(p, node, profile_frame_intern(p, &f));
		}
		nmap[i] = node;
	}
	for (size_t i = 0; i < a->ncounts; i++) {
		const struct agg_count *c = &a->counts[i];
		if (c->count)
			profile_add(p, tmap[c->thread], nmap[c->node], c->count);
	}
	free(nmap);
	free(mmap_idx);
	free(tmap);
	if (flags & SESSION_PROFILE_RESET)
		aggregate_reset_counts(a);
	return p;
}
