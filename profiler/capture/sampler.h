/*
 * sampler: the interface every capture backend implements (perf_event,
 * ptrace, a fake one in tests). A backend samples the threads of a struct
 * target, unwinds each sample (through profiler/unwind.h with its own memory
 * reader) and hands the session events through sampler_env.emit(). Ops return
 * 0 or a negative errno and never print; a short reason for the last error
 * may be left in sampler.err for the command line.
 *
 * Lifecycle, driven by the session:
 *   open(s)  -- set up for every process already in env->target (a launched
 *               command is still held before exec: enable on exec);
 *               -EACCES/-EPERM means "not allowed" (auto falls back to ptrace),
 *               -ENOSYS/-EOPNOTSUPP "not available here";
 *   start(s) -- begin sampling (attached processes);
 *   fds(s)   -- the fds to poll for input (may change after poll: call again);
 *   poll(s)  -- process what is ready (non-blocking), emitting events;
 *   tick(s)  -- called every tick_ns if the backend sets it (ptrace sampling clock);
 *   stop(s)  -- stop sampling and drain what is buffered (events are emitted);
 *   close(s) -- release everything, detach: never leaves a target stopped.
 *
 * Bookkeeping: the backend applies mappings to the process's maps (the
 * unwinder needs them in order) and creates the target_proc of a followed
 * child (target_proc(t, pid, true), maps loaded or copied with maps_copy)
 * before emitting MMAP/FORK. Everything else the session learns from events
 * and keeps itself: thread records (names from COMM, FORK, EXIT), the thread
 * filter (a backend asks env.thread_wanted and never reads the records), the
 * launched command's exit status (in its process EXIT event when the backend
 * reaps it), counts. A backend never writes the target's thread records or
 * the session's state, and never prints: what the user should know goes to
 * sampler.err (failures) or a NOTE event (shown as it comes), cost figures
 * to sampler.stats (shown with the closing summary).
 */
#ifndef PROWL_SAMPLER_H
#define PROWL_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profiler/capture/capture.h"
#include "profiler/capture/pysample.h"
#include "profiler/capture/target.h"
#include "profiler/capture/unwind.h"

/* Thread state of a wall-mode sample (FRAME_STATE pseudo leaf). */
enum sample_state {
	SAMPLE_STATE_NONE = 0,   /* cpu mode, or running */
	SAMPLE_STATE_RUNNING,
	SAMPLE_STATE_SLEEPING,   /* S: interruptible wait (sleep, poll, futex) */
	SAMPLE_STATE_IO,         /* D: uninterruptible (disk I/O) */
	SAMPLE_STATE_STOPPED,    /* T/t */
	SAMPLE_STATE_OTHER,
	SAMPLE_STATE_STACK_LIMIT, /* not a thread state: the marker of a stack cut at --max-stacks */
	SAMPLE_STATE_GIL,        /* inside a futex call on a CPython GIL (pysample_gil_wait) */
	/* Wall mode, named by the system call a blocked thread waits in (offcpu.h). */
	SAMPLE_STATE_LOCK,       /* futex: a mutex, condition variable, join */
	SAMPLE_STATE_POLL,       /* poll, select, epoll_wait */
	SAMPLE_STATE_SIGNAL,     /* sigwaitinfo, sigsuspend, pause */
	SAMPLE_STATE_CHILD,      /* wait4, waitid, vfork */
	SAMPLE_STATE_RUNNABLE,   /* off the CPU without waiting: ready, waiting for a CPU */
	SAMPLE_STATE_SYSCALL,    /* another call: sampler_sample.syscall names it */
	/* Any mode: the kernel's half of execve, after the old program's memory
	 * is gone and before the new one's first instruction: no user stack. */
	SAMPLE_STATE_EXEC,
};

/* Flags of a sample. */
enum {
	SAMPLE_PARTIAL = 1,   /* unwinding stopped early: frames are the ones found */
	SAMPLE_TRUNCATED = 2, /* the stack copy or max depth was too short */
	SAMPLE_IN_KERNEL = 4, /* taken in the kernel (a system call, a page fault) whose frames
			       * were not asked for: the session adds a [kernel] leaf */
	/* The unwinder's notes, same values as unwind.h's UNWIND_NOTES bits: */
	SAMPLE_REFUSED = 8,     /* a return address outside executable memory ended the stack */
	SAMPLE_STEP_FP = 16,    /* a frame without CFI was stepped by its frame pointer */
	SAMPLE_STEP_TRAMP = 32, /* a CPython perf trampoline was stepped by its fixed rule */
	SAMPLE_STEP_JIT = 64,   /* JIT code was stepped with its jitdump's .eh_frame */
};

struct sampler_sample {
	pid_t pid, tid;
	uint64_t time_ns;          /* CLOCK_MONOTONIC */
	const uint64_t *user;      /* absolute user addresses, leaf first: user[0] is the pc, */
	size_t nuser;              /*   the others return addresses (looked up at pc-1) */
	const uint64_t *kernel;    /* absolute kernel addresses, leaf first (--kernel) */
	size_t nkernel;
	unsigned flags;            /* SAMPLE_* */
	enum sample_state state;   /* wall mode */
	int syscall;               /* SAMPLE_STATE_SYSCALL: the call's number (x86_64) */
	uint64_t weight;           /* samples this stands for (normally 1) */
	/* A CPython thread: its Python frames read in the same stop and how
	 * they merge with user[] (pysample.h), or NULL. A mismatch of the two
	 * halves is flagged SAMPLE_PARTIAL too. */
	const struct py_sample *python;
};

enum sampler_event_kind {
	SAMPLER_SAMPLE = 1,
	SAMPLER_COMM,   /* a thread's name changed (or exec: comm.exec set) */
	SAMPLER_FORK,   /* new thread (pid == ppid) or new process */
	SAMPLER_EXIT,   /* a thread exited (tid == pid: the process) */
	SAMPLER_MMAP,   /* the backend already applied it to the process's maps */
	SAMPLER_LOST,   /* samples the kernel dropped */
	SAMPLER_THROTTLE,
	SAMPLER_NOTE,   /* one line the user should see now (e.g. the rate was lowered) */
};

struct sampler_event {
	enum sampler_event_kind kind;
	pid_t pid, tid;
	uint64_t time_ns;
	union {
		struct sampler_sample sample;
		struct {
			const char *name;
			bool exec;
			/* name is the thread's Python (threading) name, given
			 * where its OS name says nothing; the OS name stays. */
			bool python;
		} comm;
		struct {
			pid_t ppid, ptid;
		} fork;
		struct {
			bool reaped; /* process exit whose wait status the backend collected */
			int status;  /* that wait status (waitpid's) */
		} exit;
		struct {
			uint64_t start, len;
			const char *path;
		} mmap;
		struct {
			uint64_t count;
		} lost;
		const char *note;
	};
};

/* What the session gives a backend. */
struct sampler_env {
	const struct capture_opts *opts;
	struct target *target;     /* processes, threads, maps (the backend may add to it) */
	struct unwinder *unwinder; /* shared; NULL in --unwind fp mode */
	/* Hands one event to the session (the pointers in ev are valid only during the call). */
	void (*emit)(void *ctx, const struct sampler_event *ev);
	void *ctx;
	/* The thread filter (--thread): false = do not sample this thread. The
	 * session answers from its own records, named by the events so far: a
	 * backend emits a thread's COMM before asking about it. */
	bool (*thread_wanted)(void *ctx, pid_t pid, pid_t tid);
};

struct sampler {
	const struct sampler_ops *ops;
	struct sampler_env env;
	void *priv;        /* the backend's state */
	uint64_t tick_ns;  /* >0: the session calls ops->tick at this period */
	bool reaps;        /* the backend waits for its tracees (ptrace): the session must not */
	char err[256];     /* reason of the last failure, for messages ("" if none) */
	char stats[768];   /* after stop: the backend's cost figures as "name value" pairs, or "" */
	/* The kernel hides time spent in it from this user (perf_event_paranoid):
	 * system calls and page faults are not sampled at all. After stop,
	 * kernel_unseen_ns is the system time of the attached processes during
	 * the capture (a launched command's is the target's, child_sys_ns). */
	bool kernel_hidden;
	uint64_t kernel_unseen_ns, kernel_unseen_cpu_ns; /* and their CPU time in all */
};

struct sampler_ops {
	const char *name;  /* "perf", "ptrace" */
	int (*open)(struct sampler *s);
	int (*start)(struct sampler *s);
	/* Writes up to max fds to poll for POLLIN; returns how many. */
	size_t (*fds)(struct sampler *s, int *fds, size_t max);
	int (*poll)(struct sampler *s);
	int (*tick)(struct sampler *s); /* may be NULL */
	/* Called every few milliseconds while the caller cannot poll (naming a
	 * snapshot's stacks): keeps the kernel's buffers from overflowing by
	 * moving what they hold into memory, which the next poll applies first.
	 * May be NULL (a backend that cannot overflow, or cannot wait). */
	void (*hold)(struct sampler *s);
	int (*stop)(struct sampler *s);
	void (*close)(struct sampler *s);
};

extern const struct sampler_ops perf_sampler_ops, ptrace_sampler_ops;

#endif
