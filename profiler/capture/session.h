/*
 * session: one profiling run and its event loop. Launches or attaches to the
 * target, opens a sampler backend (auto: perf, else ptrace with one line of
 * explanation), polls ring buffers, a signalfd (SIGINT SIGTERM SIGHUP SIGUSR1
 * SIGCHLD), a timerfd (duration, backend ticks) and one extra fd of the
 * caller's (stdin for `prowl top`), aggregates samples, and builds symbolized
 * profile snapshots. Functions return 0 or a negative errno with errno set to
 * match (pointers: NULL with errno), plus a malloc'd one-line message through
 * char **errmsg where one is needed; session_error() holds the last one.
 */
#ifndef PROWL_SESSION_H
#define PROWL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/capture/capture.h"
#include "profiler/model/profile.h"

/* What session_poll() saw (a bit set; 0 = the timeout passed with nothing to report). */
enum session_event {
	SESSION_INTERRUPTED = 1, /* SIGINT, SIGTERM or SIGHUP: stop and write */
	SESSION_USR1 = 2,        /* SIGUSR1: write the profile so far, keep going */
	SESSION_EXITED = 4,      /* every target process has exited */
	SESSION_DURATION = 8,    /* -d SECONDS is over */
	SESSION_EXTRA_FD = 16,   /* the caller's extra fd is readable (or hung up: also the next bit) */
	SESSION_EXTRA_HUP = 32,  /* the caller's extra fd hung up or failed (POLLHUP, POLLERR, POLLNVAL):
				  * a terminal that is gone keeps saying readable and gives nothing */
};

struct session_stats {
	uint64_t samples;    /* samples aggregated */
	uint64_t lost;       /* samples the kernel (or the backend) dropped */
	uint64_t partial;    /* unwinds that stopped early */
	uint64_t truncated;  /* stacks cut by --stack-size or --max-depth */
	uint64_t threads;    /* threads seen with at least one sample */
	uint64_t threads_live;
	uint64_t elapsed_ns; /* since session_start */
	uint64_t cpu_ns;     /* prowl's own CPU time (user + system) */
	uint64_t unique_stacks;
	uint64_t folded;     /* samples whose stack was cut at --max-stacks (under "[stack limit]") */
	const char *backend; /* "perf", "ptrace" */
	uint64_t throttled;  /* times the kernel throttled sampling (perf) */
	uint64_t unfollowed_cpu_ns; /* CPU the launched command's children used that was not
				     * recorded (--no-children), once it exited; 0 if none or unknown */
	const char *backend_stats; /* after session_stop: the backend's cost figures as
				    * "name value" pairs ("ptrace cost: ticks 1200 held_pct 3.10 ..."), or "" */
	uint64_t unsymbolized; /* last snapshot: frames left as module+offset (a stop signal came) */
	bool kernel_hidden;    /* the kernel hides time in it from this user: not sampled */
	uint64_t kernel_unseen_ns;     /* then: the target's system time during the capture, */
	uint64_t kernel_unseen_cpu_ns; /* and its CPU time in all (0: unknown; after stop) */
	uint64_t seq_bytes;    /* memory of the samples' time order (capture_opts.sequence), 0 if not kept */
	/* Unwinding through code without CFI, in samples (unwind.h): */
	uint64_t refused;      /* ended at a "return address" outside executable memory */
	uint64_t step_fp, step_tramp, step_jit; /* with a frame stepped by that rule */
	/* Frames that reached the session outside executable memory: always 0
	 * unless some backend skipped the check (the test suite audits it). */
	uint64_t nonexec;
	/* The whole machine (-a): */
	bool system_wide;
	uint64_t idle;       /* samples of the idle task (not in samples: no process ran) */
	unsigned ncpus;      /* CPUs online */
	double busy_cpus;    /* CPUs busy on average: ncpus x samples / (samples + idle); with
			      * --cgroup, the cgroup's: samples / (freq x elapsed) */
	bool idle_known;     /* false with --cgroup (its events never see the idle task) */
};

/* session_profile() flags. */
enum {
	SESSION_PROFILE_RESET = 1, /* start counting afresh after this snapshot (windows for top) */
	/* The last profile of a stopped session (record's): the unwinder's
	 * caches are dropped before it is built and the resolver (symbol
	 * tables, Python names) after, so the writer that follows does not
	 * hold them too. No profile can follow: a later call gives NULL,
	 * errno EINVAL. */
	SESSION_PROFILE_LAST = 2,
};

struct session;

/* Checks the options, launches (held) or attaches, and opens the backend.
 * opts is used by pointer, not copied: it must outlive the session.
 * NULL with errno on failure; then *errmsg (if given) is a malloc'd one-line
 * message ("cannot attach to 4242: no such process") to print and free. */
struct session *session_new(const struct capture_opts *opts, char **errmsg);
/* The same with a given backend instead of perf/ptrace (tests feed a fake one). */
struct sampler_ops;
struct session *session_new_with(const struct capture_opts *opts, const struct sampler_ops *ops, char **errmsg);
/* Starts sampling (lets a launched command exec). Fails like session_new. */
int session_start(struct session *s, char **errmsg);
/* Waits up to timeout_ms (-1: forever, 0: no wait) for something to happen and
 * processes what is ready; extra_fd < 0 for none. Returns enum session_event
 * bits, or -errno. */
int session_poll(struct session *s, int timeout_ms, int extra_fd);
/* A symbolized snapshot of what was aggregated so far (caller frees), NULL
 * (errno EINVAL) after a SESSION_PROFILE_LAST one. Cheap enough to call once
 * a second: only addresses not seen before are looked up. */
struct profile *session_profile(struct session *s, unsigned flags);
void session_stats(struct session *s, struct session_stats *st);
/* The stop signal (SIGINT, SIGTERM or SIGHUP) that arrived and waits unread
 * in the signalfd, or 0: for phases that do not poll (writing). It is left
 * pending, for session_poll to report. session_profile() looks for one too:
 * it takes it (the next session_poll reports it) and loads no more modules,
 * so addresses not resolved yet become module+offset (counted in
 * session_stats().unsymbolized), and only a further signal stops a write. */
int session_stop_pending(struct session *s);
/* Stops sampling and drains buffered samples (they are aggregated). */
int session_stop(struct session *s);
/* Releases everything; a launched command still running is left to run
 * (it received any terminal signal itself). */
void session_free(struct session *s);

/* The launched command's shell-style exit code (status, or 128+signal), or -1
 * if none was launched or it has not exited. */
int session_exit_code(struct session *s);
/* Stops sampling (if not yet) and reaps the launched command, so none is
 * left behind as a zombie: sends sig (0: none) if it still runs, waits up to
 * grace_ms, then SIGKILL. Returns its shell-style exit code, or -1 when no
 * command was launched. */
int session_end_command(struct session *s, int sig, unsigned grace_ms);
/* Sends sig to the launched command if it still runs (0, -ESRCH, -errno). */
int session_signal_command(struct session *s, int sig);
/* The message of the last failure, or "". */
const char *session_error(struct session *s);
/* Lines the capture printed nothing about but the user should know (e.g. "kernel
 * frames missing: ..."), joined by newlines; "" if none. */
const char *session_notes(struct session *s);
/* The notes added since the last call (also those of session_new): what to
 * print now while a capture runs; "" if none. Valid until the next call. */
const char *session_new_notes(struct session *s);

#endif
