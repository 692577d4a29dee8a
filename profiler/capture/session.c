#include "profiler/capture/session.h"

#include <ctype.h>
#include <errno.h>
#include <malloc.h>
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

#include "profiler/capture/aggregate.h"
#include "profiler/capture/pysample.h"
#include "profiler/capture/offcpu.h"
#include "profiler/capture/resolve.h"
#include "profiler/capture/snapshot.h"
#include "profiler/capture/sampler.h"
#include "profiler/capture/target.h"
#include "profiler/capture/unwind.h"
#include "profiler/model/seq.h"
#include "profiler/base/errstr.h"
#include "profiler/base/procstat.h"
#include "profiler/base/util.h"


struct session {
	const struct capture_opts *opts;
	struct target *target;
	struct unwinder *unwinder;
	bool profiled_last;   /* session_profile(SESSION_PROFILE_LAST) was made */
	struct sampler sampler;
	bool sampler_open;
	struct aggregate *agg;
	regex_t thread_re;
	bool have_re;
	int sigfd, durfd, tickfd;
	sigset_t oldmask;
	bool mask_set;
	pid_t *pids; /* the processes attached (-p, and those of -t's threads) */
	bool *whole; /* per pids[i]: every thread (-p), or only the -t ones */
	size_t npids;
	int *pidfds; /* per pids[i], -1 when none */
	size_t npidfds;
	bool started, stopped;
	int pending_ev; /* enum session_event bits seen before the loop (session_start) */
	uint64_t start_mono, start_wall, stop_mono;
	struct rusage ru_start;
	uint64_t samples, lost, partial, truncated, throttled;
	uint64_t refused, step_fp, step_tramp, step_jit, nonexec;
	struct resolver *res; /* created with the first snapshot */
	struct snapshot_image *image; /* what the snapshots named so far (top's refreshes) */
	uint64_t unsymbolized; /* in the last snapshot */
	int stop_taken;        /* a stop signal taken while symbolizing, for session_poll */
	uint64_t stop_checked; /* when stop_cancel last looked (now_ns) */
	struct strbuf notes;
	size_t notes_shown; /* bytes of notes session_new_notes() handed out */
	char err[512];
	struct agg_frame *frames;
	size_t max_frames;
	struct seq *seq; /* the samples' time order (opts->sequence), in the aggregate's numbers */
	/* The whole machine (-a): its process filters and the idle task's samples. */
	regex_t comm_re;
	bool have_comm_re;
	uint64_t idle;
	/* The perf backend chosen for a target that ran no CPython at the start:
	 * an exec into one (a launcher script, pyenv's shims) is said once. */
	struct {
		bool on, said;
		struct pysample_exe_cache cache;
	} pywatch;
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

/* -t: in a process given only by some of its threads, the others are left out. */
static bool tid_wanted(struct session *s, pid_t pid, pid_t tid)
{
	for (size_t i = 0; i < s->npids; i++)
		if (s->pids[i] == pid && s->whole[i])
			return true;
	for (size_t i = 0; i < s->opts->ntids; i++)
		if (s->opts->tids[i] == tid)
			return true;
	/* A process none of -p/-t named (launched, or a followed child). */
	for (size_t i = 0; i < s->npids; i++)
		if (s->pids[i] == pid)
			return false;
	return true;
}

static bool proc_wanted(struct session *s, struct target_proc *p, const struct target_thread *th);

static void thread_named(struct session *s, struct target_proc *p, struct target_thread *th, const char *name)
{
	if (name)
		target_thread_set_name(th, name);
	/* --thread matches a Python thread's name or its OS name. */
	bool named = name_wanted(s, th->name) || (strcmp(th->name, th->comm) != 0 && name_wanted(s, th->comm));
	th->excluded = !named || !tid_wanted(s, p->pid, th->tid) || !proc_wanted(s, p, th);
}

/* --comm and --uid (the whole machine): a process's name is its main
 * thread's, so its other threads follow it whatever they call themselves;
 * --cgroup is the kernel's (the events count only that cgroup). */
static bool proc_wanted(struct session *s, struct target_proc *p, const struct target_thread *th)
{
	const struct capture_opts *o = s->opts;
	if (!o->system_wide)
		return true;
	if (s->have_comm_re) {
		const struct target_thread *leader = th->tid == p->pid ? th : target_thread(p, p->pid, false);
		const char *name = leader && leader->comm[0] ? leader->comm : th->comm;
		if (regexec(&s->comm_re, name, 0, NULL, 0) != 0)
			return false;
	}
	if (o->nuids) {
		if (!p->uid_known) {
			char buf[64];
			if (procstat_status(p->pid, p->pid, "Uid:", buf, sizeof(buf)) == 0) {
				p->uid = (uid_t)strtoul(buf, NULL, 10);
				p->uid_known = true;
			}
		}
		if (!p->uid_known)
			return false;
		for (size_t i = 0; i < o->nuids; i++)
			if (o->uids[i] == p->uid)
				return true;
		return false;
	}
	return true;
}

/* A process's name changed (exec): its threads are judged again. */
static void proc_renamed(struct session *s, struct target_proc *p)
{
	if (!s->have_comm_re)
		return;
	for (size_t i = 0; i < p->nthreads; i++)
		thread_named(s, p, &p->threads[i], NULL);
}

/* Adds pid to the processes to attach (once); whole: all its threads. */
static void add_pid(struct session *s, pid_t pid, bool whole)
{
	for (size_t i = 0; i < s->npids; i++)
		if (s->pids[i] == pid) {
			s->whole[i] |= whole;
			return;
		}
	s->pids[s->npids] = pid;
	s->whole[s->npids++] = whole;
}

/* The record of a thread, made (named from /proc) the first time it is seen. */
static struct target_thread *thread_record(struct session *s, struct target_proc *p, pid_t tid)
{
	struct target_thread *th = target_thread(p, tid, false);
	if (!th) {
		th = target_thread(p, tid, true);
		char name[sizeof(th->comm)];
		procstat_comm(p->pid, tid, name, sizeof(name));
		thread_named(s, p, th, name);
	}
	return th;
}

static bool env_thread_wanted(void *ctx, pid_t pid, pid_t tid)
{
	struct session *s = ctx;
	struct target_proc *p = target_proc(s->target, pid, false);
	return p && !thread_record(s, p, tid)->excluded;
}

static void add_sample(struct session *s, const struct sampler_sample *sm)
{
	if (sm->pid == 0 && s->opts->system_wide) {
		s->idle += sm->weight ? sm->weight : 1; /* the idle task: a share, not a process */
		return;
	}
	struct target_proc *p = target_proc(s->target, sm->pid, false);
	if (!p)
		return;
	struct target_thread *th = thread_record(s, p, sm->tid);
	if (th->excluded)
		return;
	size_t n = 0;
	/* Wall mode: a thread off the CPU gets its state as a pseudo leaf. */
	if (sm->state != SAMPLE_STATE_NONE)
		s->frames[n++] = (struct agg_frame){ NULL, offcpu_state_code(sm->state, sm->syscall), AGG_STATE };
	/* Time in the kernel whose frames were not asked for: one [kernel] leaf
	 * (a kernel frame of no module, address 0: resolve names it). */
	if ((sm->flags & SAMPLE_IN_KERNEL) && !sm->nkernel)
		s->frames[n++] = (struct agg_frame){ NULL, 0, AGG_KERNEL };
	struct module *kmod = sm->nkernel ? module_set_kernel(s->target->modules) : NULL;
	for (size_t i = 0; i < sm->nkernel && n < s->max_frames; i++)
		s->frames[n++] = (struct agg_frame){ kmod, sm->kernel[i] - (i ? 1 : 0), AGG_KERNEL };
	/* A CPython thread: its merged stack (pysample.h), Python frames by
	 * the resolver's id; else the native frames as they are. */
	const struct py_sample *py = sm->python && sm->python->nmerged ? sm->python : NULL;
	if (py && !s->res)
		s->res = resolve_new();
	size_t nel = py ? py->nmerged : sm->nuser;
	for (size_t e = 0; e < nel && n < s->max_frames; e++) {
		if (py && py->merged[e].python) {
			const struct py_frame *f = &py->thread.frames[py->merged[e].index];
			uint64_t id = resolve_python_id(s->res, f->name, f->file, f->line);
			s->frames[n++] = (struct agg_frame){ NULL, id, AGG_PYTHON };
			continue;
		}
		size_t i = py ? py->merged[e].index : e;
		/* Return addresses point after the call: look up the call itself. */
		uint64_t a = sm->user[i] - (i ? 1 : 0), vaddr;
		struct module *mod;
		if (i && !unwind_is_code(p->maps, a))
			s->nonexec++;
		resolve_locate(s->target->modules, p->maps, a, &mod, &vaddr);
		if (mod && mod->kind == MODULE_ANON && !p->jit_watched) {
			/* Its perf map is read at the next snapshot, perhaps after it
			 * exited: who the process is is taken now, while it runs. */
			if (!s->res)
				s->res = resolve_new();
			resolve_watch_process(s->res, p->pid);
			p->jit_watched = true;
		}
		s->frames[n++] = (struct agg_frame){ mod, vaddr, AGG_USER };
	}
	if (!n)
		return;
	uint32_t t = aggregate_thread(s->agg, sm->pid, sm->tid);
	uint32_t leaf = aggregate_add(s->agg, t, s->frames, n, sm->weight ? sm->weight : 1);
	if (s->seq)
		seq_add(s->seq, t, leaf, sm->time_ns, sm->weight ? sm->weight : 1);
	/* Counted in the same unit as samples: a weighted ptrace sample stands
	 * for several, truncated or not alike. */
	uint64_t w = sm->weight ? sm->weight : 1;
	s->samples += w;
	if (sm->flags & SAMPLE_TRUNCATED)
		s->truncated += w;
	else if (sm->flags & SAMPLE_PARTIAL)
		s->partial += w;
	s->refused += sm->flags & SAMPLE_REFUSED ? w : 0;
	s->step_fp += sm->flags & SAMPLE_STEP_FP ? w : 0;
	s->step_tramp += sm->flags & SAMPLE_STEP_TRAMP ? w : 0;
	s->step_jit += sm->flags & SAMPLE_STEP_JIT ? w : 0;
}

/* The backend was chosen from what the target ran at the start; a process
 * of it that execs CPython later (pyenv's python3 is bash, then env, then
 * the interpreter) has its native stacks only. Said once, with what to do. */
static void exec_python_note(struct session *s, pid_t pid)
{
	char exe[256];
	if (!s->pywatch.on || s->pywatch.said || !pysample_exe_runs_python(&s->pywatch.cache, pid, exe, sizeof(exe)))
		return;
	s->pywatch.said = true;
	char *line = xasprintf("process %d became a CPython (%s) by exec, after the start: its Python frames "
			       "are not read (give the interpreter's own path, e.g. what `pyenv which python3` "
			       "prints, or attach with -p once it runs)", (int)pid, exe);
	note(s, line);
	free(line);
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
		if (ev->comm.exec && ev->pid == ev->tid)
			exec_python_note(s, ev->pid);
		th = target_thread(p, ev->tid, true);
		th->exited = false;
		if (ev->comm.python) {
			target_thread_set_display_name(th, ev->comm.name);
			thread_named(s, p, th, NULL);
		} else {
			thread_named(s, p, th, ev->comm.name);
			if (ev->tid == ev->pid)
				proc_renamed(s, p);
		}
		break;
	case SAMPLER_FORK: {
		p = target_proc(s->target, ev->pid, false);
		if (!p)
			break;
		struct target_proc *pp = target_proc(s->target, ev->fork.ppid, false);
		struct target_thread *parent = pp ? target_thread(pp, ev->fork.ptid, false) : NULL;
		if (pp && pp != p && pp->uid_known && !p->uid_known) {
			/* Short-lived ones may be gone before /proc is read. */
			p->uid = pp->uid;
			p->uid_known = true;
		}
		char name[16];
		snprintf(name, sizeof(name), "%s", parent ? parent->comm : "");
		th = target_thread(p, ev->tid, true);
		th->exited = false;
		thread_named(s, p, th, name);
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
		/* The backend's wait collected the launched command's status. */
		if (ev->pid == ev->tid && ev->exit.reaped && ev->pid == s->target->child)
			target_child_exited(s->target, ev->exit.status);
		break;
	case SAMPLER_NOTE:
		note(s, ev->note);
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
	/* EMFILE: one event per thread and CPU did not fit; ptrace needs none. */
	return r == -EACCES || r == -EPERM || r == -ENOSYS || r == -EOPNOTSUPP || r == -ENOENT ||
	       r == -EMFILE || r == -ENFILE;
}

/* Whether a target runs (or, launched, will run) a CPython prowl reads. */
static bool runs_python(struct session *s, char *why, size_t len)
{
	why[0] = 0;
	if (s->opts->argv && pysample_command_runs_python(s->opts->argv))
		return true;
	bool yes = false;
	for (size_t i = 0; i < s->opts->npids && !yes; i++)
		yes = pysample_pid_runs_python(s->opts->pids[i], why, len);
	return yes;
}

/* The whole machine: per-CPU events, the perf backend's alone; never a
 * silent fallback to part of it. */
static int choose_system_wide(struct session *s, char **errmsg)
{
	if (s->opts->backend == CAPTURE_BACKEND_PTRACE || s->opts->mode == CAPTURE_MODE_WALL) {
		set_err(s, errmsg, "%s", s->opts->mode == CAPTURE_MODE_WALL
			? "-a samples on-CPU time only (--mode wall follows chosen processes: give -p PID)"
			: "the ptrace backend follows chosen processes only: -a needs the perf backend");
		return -EOPNOTSUPP;
	}
	int r = open_backend(s, &perf_sampler_ops);
	if (r)
		set_err(s, errmsg, "%s", s->sampler.err[0] ? s->sampler.err : errstr(-r));
	else
		note(s, s->sampler.err);
	return r;
}

static int choose_backend(struct session *s, char **errmsg)
{
	const struct capture_opts *o = s->opts;
	int r;
	char perf_err[256] = "";
	if (o->system_wide)
		return choose_system_wide(s, errmsg);
	/* A CPython target's Python frames are read while the thread is stopped
	 * (so both halves are of one instant): only ptrace stops it. */
	char why[400] = "";
	bool python = !o->no_python && o->backend != CAPTURE_BACKEND_PTRACE && runs_python(s, why, sizeof(why));
	if (o->gil && (o->backend == CAPTURE_BACKEND_PERF || (!python && o->backend != CAPTURE_BACKEND_PTRACE)))
		note(s, o->backend == CAPTURE_BACKEND_PERF ?
			"--gil needs the ptrace backend (the GIL holder is read in each stop): every sample is kept" :
			"--gil: the target runs no CPython prowl reads, so every sample is kept");
	if (python && o->backend == CAPTURE_BACKEND_PERF)
		note(s, "the target runs python: --backend perf records native stacks only (Python frames need the "
			"ptrace backend, the default for it)");
	else if (python)
		note(s, "using the ptrace backend: the target runs python, whose frames are read while each thread "
			"is stopped (--no-python: native stacks with perf)");
	/* Wall mode reads blocked threads with either backend (offcpu.h). */
	if (o->backend == CAPTURE_BACKEND_PTRACE || (o->backend == CAPTURE_BACKEND_AUTO && python)) {
		r = open_backend(s, &ptrace_sampler_ops);
		if (r)
			set_err(s, errmsg, "%s", s->sampler.err[0] ? s->sampler.err : errstr(-r));
		return r;
	}
	r = open_backend(s, &perf_sampler_ops);
	if (!r) {
		/* A CPython prowl cannot read: said once (ptrace says it itself). */
		note(s, why);
		note(s, s->sampler.err);
		s->pywatch.on = !o->no_python && o->backend == CAPTURE_BACKEND_AUTO && !why[0];
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
	char hint[256];
	if (r == -ESRCH)
		set_err(s, errmsg, "cannot attach to %d: no such process (check the pid with ps)", (int)pid);
	else if (r == -EOPNOTSUPP)
		set_err(s, errmsg, "cannot attach to %d: it is a kernel thread, with no user stack to sample "
			"(give a user process)", (int)pid);
	else if ((r == -EPERM || r == -EACCES) && target_denied_hint(pid, hint, sizeof(hint)))
		set_err(s, errmsg, "cannot attach to %d: permission denied (%s)", (int)pid, hint);
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
	struct agg_frame marker = { NULL, SAMPLE_STATE_STACK_LIMIT, AGG_STATE };
	aggregate_set_limit(s->agg, opts->max_stacks, &marker);
	if (opts->sequence)
		s->seq = seq_new();
	int r = 0;
	if (!opts->argv && !opts->npids && !opts->ntids && !opts->system_wide) {
		set_err(s, errmsg, "nothing to profile: give -p PID, -t TID, -- COMMAND or -a");
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
	if (opts->comm_regex) {
		if (regcomp(&s->comm_re, opts->comm_regex, REG_EXTENDED | REG_NOSUB)) {
			set_err(s, errmsg, "invalid --comm regex '%s'", opts->comm_regex);
			r = -EINVAL;
			goto fail;
		}
		s->have_comm_re = true;
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
	s->target->whole_machine = opts->system_wide;
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
	size_t nwant = opts->npids + opts->ntids;
	s->pids = xmalloc((nwant + 1) * sizeof(*s->pids));
	s->whole = xmalloc((nwant + 1) * sizeof(*s->whole));
	for (size_t i = 0; i < opts->npids; i++) {
		/* perf -p takes a thread id as its whole process: so do we, saying so. */
		pid_t pid = opts->pids[i], tgid = target_tgid(pid);
		if (tgid > 0 && tgid != pid) {
			char tname[16] = "", pname[16] = "";
			procstat_comm(tgid, pid, tname, sizeof(tname));
			procstat_comm(tgid, tgid, pname, sizeof(pname));
			char *line = xasprintf("%d is thread %s of process %d (%s): profiling the whole process; "
					       "-t %d takes that thread alone",
					       (int)pid, tname, (int)tgid, pname, (int)pid);
			note(s, line);
			free(line);
			pid = tgid;
		}
		add_pid(s, pid, true);
	}
	for (size_t i = 0; i < opts->ntids; i++) {
		pid_t tgid = target_tgid(opts->tids[i]);
		if (tgid < 0) {
			r = -ESRCH;
			set_err(s, errmsg, "cannot attach to thread %d: no such thread (check the id with ps -L)",
				(int)opts->tids[i]);
			goto fail;
		}
		add_pid(s, tgid, false);
	}
	s->pidfds = xmalloc((s->npids + 1) * sizeof(*s->pidfds));
	for (size_t i = 0; i < s->npids; i++) {
		pid_t pid = s->pids[i];
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
			thread_named(s, p, &p->threads[j], NULL);
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
		if (r == -ESRCH && s->npids)
			attach_error(s, errmsg, s->pids[0], r);
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
		errno = -r;
		return r;
	}
	if (s->target->child) {
		/* A Ctrl-C that came while the command was held (its signals blocked
		 * until exec) is its too: it gets it on release and dies of it, as it
		 * would have run directly; prowl then reports what it has. */
		struct signalfd_siginfo si;
		while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP) {
				kill(s->target->child, (int)si.ssi_signo);
				s->pending_ev |= SESSION_INTERRUPTED;
			} else if (si.ssi_signo == SIGUSR1) {
				s->pending_ev |= SESSION_USR1;
			}
		}
		r = target_release(s->target);
		if (r) {
			set_err(s, errmsg, "cannot execute %s: %s", s->opts->argv[0], errstr(-r));
			errno = -r;
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

/* Whether the launched command has exited. A backend that waits for its
 * tracees (ptrace) hands the status over in the EXIT event; a wait here
 * would steal its stops. */
static bool child_done(struct session *s)
{
	/* Stopped, the backend has let go of it: ours to wait for. */
	if (s->sampler.reaps && s->sampler_open && !s->stopped)
		return s->target->child_reaped;
	return target_child_done(s->target);
}

static bool all_exited(struct session *s)
{
	struct target *t = s->target;
	if (s->opts->system_wide)
		return false; /* the machine runs on */
	if (t->child && !child_done(s))
		return false;
	for (size_t i = 0; i < s->npidfds; i++) {
		struct target_proc *p = target_proc(t, s->pids[i], false);
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
	if (s->pending_ev)
		timeout_ms = 0;
	int pr = poll(pf, n, timeout_ms);
	if (pr < 0 && errno != EINTR)
		return -errno; /* errno already set */
	int ev = s->pending_ev;
	s->pending_ev = 0;
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
	if (pr > 0 && extra_fd >= 0 && (pf[idx_extra].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
		ev |= SESSION_EXTRA_FD;
	if (pr > 0 && extra_fd >= 0 && (pf[idx_extra].revents & (POLLHUP | POLLERR | POLLNVAL)))
		ev |= SESSION_EXTRA_HUP;
	for (size_t i = 0; i < s->npidfds && idx_pid + i < idx_be; i++) {
		if (pr > 0 && s->pidfds[i] >= 0 && (pf[idx_pid + i].revents & POLLIN)) {
			struct target_proc *p = target_proc(s->target, s->pids[i], false);
			if (p)
				p->exited = true;
		}
	}
	/* A tracer backend reaps the command in its poll: read what its own
	 * children used before (the figure --no-children reports). */
	if (!s->opts->children && s->started && !s->stopped && s->sampler.reaps)
		target_child_read_cpu(s->target);
	if (!s->stopped) {
		int r = s->sampler.ops->poll(&s->sampler);
		if (r < 0 && r != -EAGAIN && r != -EINTR) {
			errno = -r;
			return r;
		}
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
	if (r < 0)
		errno = -r;
	return r;
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
	free(s->pids);
	free(s->whole);
	if (s->have_re)
		regfree(&s->thread_re);
	if (s->have_comm_re)
		regfree(&s->comm_re);
	snapshot_image_free(s->image);
	resolve_free(s->res);
	unwinder_free(s->unwinder);
	target_free(s->target);
	aggregate_free(s->agg);
	seq_free(s->seq);
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

int session_end_command(struct session *s, int sig, unsigned grace_ms)
{
	if (!s->target->child)
		return -1;
	if (!s->stopped)
		session_stop(s);
	if (s->target->child_reaped)
		return target_exit_code(s->target);
	return target_child_end(s->target, sig, grace_ms);
}

int session_signal_command(struct session *s, int sig)
{
	if (!s->target->child || child_done(s)) {
		errno = ESRCH;
		return -ESRCH;
	}
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

const char *session_new_notes(struct session *s)
{
	const char *all = session_notes(s);
	size_t from = s->notes_shown;
	s->notes_shown = s->notes.len;
	if (from >= s->notes.len)
		return "";
	/* Past the newline that joined them to the older ones. */
	return all + from + (from && all[from] == '\n');
}

static uint64_t cpu_ns_of(const struct rusage *ru)
{
	return (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ull;
}

/* Kernel time the kernel hid from this user: the attached processes' (the
 * backend's count) and the launched command's (read from its zombie). */
static void session_stats_kernel(struct session *s, struct session_stats *st)
{
	st->kernel_hidden = s->sampler.kernel_hidden;
	if (!st->kernel_hidden)
		return;
	st->kernel_unseen_ns = s->sampler.kernel_unseen_ns;
	st->kernel_unseen_cpu_ns = s->sampler.kernel_unseen_cpu_ns;
	if (s->target->child) {
		st->kernel_unseen_ns += s->target->child_sys_ns;
		st->kernel_unseen_cpu_ns += s->target->child_cpu_ns;
	}
}

/* -a: the idle task's share and how many CPUs were busy on average. */
static void session_stats_machine(struct session *s, struct session_stats *st)
{
	if (!s->opts->system_wide)
		return;
	st->system_wide = true;
	st->idle = s->idle;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	st->ncpus = n > 0 ? (unsigned)n : 1;
	uint64_t all = s->samples + s->idle;
	st->idle_known = !s->opts->cgroup;
	if (st->idle_known) {
		st->busy_cpus = all ? (double)st->ncpus * (double)s->samples / (double)all : 0;
	} else {
		/* The events count the cgroup's tasks alone: no idle task to
		 * compare with, but each busy CPU gives freq samples a second. */
		double secs = s->started ? (double)((s->stopped ? s->stop_mono : now_ns()) - s->start_mono) / 1e9 : 0;
		st->busy_cpus = secs > 0 && s->opts->freq ? (double)s->samples / (secs * s->opts->freq) : 0;
	}
}

void session_stats(struct session *s, struct session_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->samples = s->samples;
	st->lost = s->lost;
	st->partial = s->partial;
	st->truncated = s->truncated;
	st->refused = s->refused;
	st->step_fp = s->step_fp;
	st->step_tramp = s->step_tramp;
	st->step_jit = s->step_jit;
	st->nonexec = s->nonexec;
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
	st->folded = s->agg->folded;
	st->backend = s->sampler.ops ? s->sampler.ops->name : "";
	st->throttled = s->throttled;
	st->backend_stats = s->sampler.stats;
	st->unsymbolized = s->unsymbolized;
	st->seq_bytes = seq_memory(s->seq);
	if (s->target->child && !s->opts->children)
		st->unfollowed_cpu_ns = s->target->child_children_cpu_ns;
	session_stats_kernel(s, st);
	session_stats_machine(s, st);
}

/* Asked before each address not yet named: a system call each time was a
 * fiftieth of top's CPU, so at most one every STOP_CHECK_NS (a stop still
 * takes effect within a few milliseconds plus one lookup). The sampler's
 * rings are kept from overflowing at the same pace. */
#define STOP_CHECK_NS 2000000ull
static bool stop_cancel(void *arg)
{
	struct session *s = arg;
	uint64_t now = now_ns();
	if (now - s->stop_checked < STOP_CHECK_NS)
		return false;
	s->stop_checked = now;
	/* Nobody polls the sampler meanwhile either: the first refresh of a
	 * busy machine names for longer than a ring holds (a quarter second at 999 Hz). */
	if (s->started && !s->stopped && s->sampler.ops && s->sampler.ops->hold)
		s->sampler.ops->hold(&s->sampler);
	return take_stop(s) != 0;
}

/* Several -p: every process in the headers, "cmd (pid N); cmd (pid M)",
 * not only the first. */
static void session_name_pids(struct session *s, struct profile *p)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < s->npids; i++) {
		struct target_proc *tp = target_proc(s->target, s->pids[i], false);
		const char *name = tp && tp->command ? tp->command : snapshot_process_name(s->target, s->pids[i]);
		strbuf_addf(&sb, "%s%s (pid %d)", i ? "; " : "", name, (int)s->pids[i]);
	}
	profile_set_str(&p->meta.command, sb.buf);
	p->meta.pid = 0;
	strbuf_release(&sb);
}

struct profile *session_profile(struct session *s, unsigned flags)
{
	if (s->profiled_last) {
		errno = EINVAL;
		return NULL;
	}
	struct profile *p = profile_new();
	struct aggregate *a = s->agg;
	const struct capture_opts *o = s->opts;
	struct target_proc *main_proc = s->target->nprocs && !o->system_wide ? s->target->procs[0] : NULL;
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
	if (o->system_wide)
		profile_set_str(&p->meta.command, "all processes (-a)");
	else if (s->npids > 1)
		session_name_pids(s, p);
	p->meta.lost = s->lost;
	p->meta.partial = s->partial;
	p->meta.truncated = s->truncated;

	if (flags & SESSION_PROFILE_LAST) {
		unwinder_trim(s->unwinder);
		/* Freed chunks amid the heap stay resident until reused: hand
		 * their pages back now, so the profile's peak does not depend on
		 * how the heap happened to be cut. */
		malloc_trim(0);
	}
	if (!s->res)
		s->res = resolve_new();
	/* Nobody reads the signalfd while symbolizing: the resolver asks for a
	 * stop signal between addresses, and what is left after one is written
	 * as module+offset. */
	resolve_begin(s->res, stop_cancel, s);
	if (!(flags & SESSION_PROFILE_LAST) && !s->seq) {
		/* A snapshot of many (top): only the stacks new since the last
		 * are named, the rest is copied from the image. */
		if (!s->image)
			s->image = snapshot_image_new();
		struct profile *q = snapshot_image_take(s->image, a, s->res, s->target);
		q->meta = p->meta; /* the strings move with it */
		memset(&p->meta, 0, sizeof(p->meta));
		profile_free(p);
		p = q;
	} else {
		snapshot_image_free(s->image);
		s->image = NULL;
		snapshot_fill_seq(p, a, s->seq, s->res, s->target);
	}
	s->unsymbolized = resolve_end(s->res);
	if (s->unsymbolized && s->image) {
		/* Fallback names of a run cut short are not to stay: the next
		 * snapshot names those stacks again (the lineage stays, so the
		 * view's windows still subtract its older snapshots). */
		snapshot_image_rewind(s->image);
	}
	if (flags & SESSION_PROFILE_LAST) {
		/* The profile holds copies of every name. */
		resolve_free(s->res);
		s->res = NULL;
		s->profiled_last = true;
		malloc_trim(0);
	}
	if (flags & SESSION_PROFILE_RESET)
		aggregate_reset_counts(a);
	return p;
}
