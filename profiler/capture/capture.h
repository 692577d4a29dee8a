/*
 * capture: what to profile and how (struct capture_opts), its defaults and
 * the validation of each value, shared by `record`, `top` and `dump` so the
 * three accept the same capture options. The command line (profiler/cli/opts.c)
 * owns the spelling (-p, --freq...) and hands each value here as text:
 * capture_opts_set(o, CAPTURE_OPT_FREQ, "499", err, len). Functions return 0
 * or -EINVAL with errno set and a one-line message in errbuf. The struct owns
 * its pids, argv copy and regex text (capture_opts_release frees them).
 */
#ifndef PROWL_CAPTURE_H
#define PROWL_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum capture_unwind {
	CAPTURE_UNWIND_DWARF = 0, /* libunwind over CFI (default: Debian builds without frame pointers) */
	CAPTURE_UNWIND_FP = 1,    /* frame pointers (perf: the kernel's callchain) */
};

enum capture_backend {
	CAPTURE_BACKEND_AUTO = 0, /* perf, falling back to ptrace when perf_event_open is denied */
	CAPTURE_BACKEND_PERF = 1,
	CAPTURE_BACKEND_PTRACE = 2,
};

enum capture_mode {
	CAPTURE_MODE_CPU = 0,  /* on-CPU samples only */
	CAPTURE_MODE_WALL = 1, /* every thread at every tick, with its state (sleeping, I/O...) */
};

#define CAPTURE_DEFAULT_FREQ 999
#define CAPTURE_DEFAULT_STACK 16384u
#define CAPTURE_MAX_STACK 65528u /* perf_event's limit for sample_stack_user */
#define CAPTURE_DEFAULT_DEPTH 512u
#define CAPTURE_MAX_DEPTH 4096u
/* Distinct call paths (trie nodes) kept before new ones fold into their known
 * prefix: 1M nodes take ~100 MB (101 bytes a node, measured by
 * aggregate_memory and VmHWM), and a busy
 * service's code has far fewer (tens of thousands), so a day of it fits; what
 * passes it is random addresses (JIT churn), which the cap is for. */
#define CAPTURE_DEFAULT_MAX_STACKS 1000000u
#define CAPTURE_MAX_MAX_STACKS 1000000000u

struct capture_opts {
	pid_t *pids;           /* -p PID (several allowed; a thread id means its process) */
	size_t npids;
	pid_t *tids;           /* -t TID: one thread of a running process (several allowed) */
	size_t ntids;
	char **argv;           /* command to launch (NULL-terminated, owned copy), or NULL */
	unsigned freq;         /* -F/--freq Hz, default 999 */
	double duration;       /* -d/--duration seconds; 0 = until stopped */
	uint32_t stack_size;   /* --stack-size BYTES of user stack copied per sample (multiple of 8) */
	enum capture_unwind unwind; /* --unwind dwarf|fp */
	bool kernel;           /* --kernel: add kernel frames */
	char *thread_regex;    /* --thread REGEX (POSIX extended) on thread names, or NULL */
	bool children;         /* follow forked/exec'd children: by default for a launched
				* command (as perf), --children for -p; --no-children: never */
	bool children_set;     /* --children or --no-children was given */
	enum capture_backend backend; /* --backend auto|perf|ptrace */
	enum capture_mode mode;       /* --mode cpu|wall */
	unsigned max_depth;    /* --max-depth: frames walked per stack, inlined calls not counted */
	bool no_python;        /* --no-python: raw native stacks of a CPython process */
	unsigned max_stacks;   /* --max-stacks distinct call paths kept (see CAPTURE_DEFAULT_MAX_STACKS) */
	bool sequence;         /* keep the samples' time order (profiler/model/seq.h): set by the
				* command when its output shows it (speedscope, perf script); it
				* costs a few bytes a sample, the only memory that grows with samples */
	bool gil;              /* --gil: only samples of the thread holding a CPython's GIL */
	/* The whole machine (-a, or `top` with no target): one event per CPU,
	 * every process, narrowed at capture by the filters below. */
	bool system_wide;      /* -a/--all-cpus */
	char *comm_regex;      /* --comm REGEX on process names (POSIX extended), or NULL */
	uid_t *uids;           /* --uid USER (several allowed): processes of these users only */
	size_t nuids;
	char *cgroup;          /* --cgroup PATH (under /sys/fs/cgroup, or absolute), or NULL */
};

/* The settable capture options (what capture_opts_set() is told to set). */
enum capture_opt {
	CAPTURE_OPT_PID = 1, /* appends: several -p PID */
	CAPTURE_OPT_FREQ,
	CAPTURE_OPT_DURATION,
	CAPTURE_OPT_STACK_SIZE,
	CAPTURE_OPT_UNWIND,
	CAPTURE_OPT_KERNEL,   /* no value */
	CAPTURE_OPT_THREAD,
	CAPTURE_OPT_CHILDREN, /* no value */
	CAPTURE_OPT_BACKEND,
	CAPTURE_OPT_MODE,
	CAPTURE_OPT_MAX_DEPTH,
	CAPTURE_OPT_NO_PYTHON, /* no value */
	CAPTURE_OPT_TID, /* appends: several -t TID */
	CAPTURE_OPT_NO_CHILDREN, /* no value */
	CAPTURE_OPT_MAX_STACKS,
	CAPTURE_OPT_GIL, /* no value */
	CAPTURE_OPT_ALL,    /* no value: -a */
	CAPTURE_OPT_COMM,   /* implies -a */
	CAPTURE_OPT_UID,    /* appends; a user name or number; implies -a */
	CAPTURE_OPT_CGROUP, /* implies -a */
};

void capture_opts_init(struct capture_opts *o);
void capture_opts_release(struct capture_opts *o);
/* Validates value (text as typed; NULL for the options without one) and sets it. */
int capture_opts_set(struct capture_opts *o, enum capture_opt which, const char *value, char *errbuf,
		     size_t errlen);
/* Takes argv[0..argc-1] as the command to launch (copied); its children are
 * then followed unless --children/--no-children said otherwise. */
void capture_opts_set_command(struct capture_opts *o, int argc, char *const *argv);
/* Checks that exactly one of -p/-t / a command / -a was given. */
int capture_opts_check(const struct capture_opts *o, char *errbuf, size_t errlen);
/* The options given that do nothing in this combination (--kernel or
 * --stack-size with --backend ptrace, --stack-size with --unwind fp...): up
 * to max one-line warnings (static strings, "--X does nothing with --Y
 * (why); ignored") into out; their count. */
size_t capture_opts_unused(const struct capture_opts *o, const char **out, size_t max);
/* "dwarf"/"fp", "auto"/"perf"/"ptrace", "cpu"/"wall". */
const char *capture_unwind_name(enum capture_unwind u);
const char *capture_backend_name(enum capture_backend b);
const char *capture_mode_name(enum capture_mode m);

#endif
