/*
 * capture: what to profile and how (struct capture_opts), and the option
 * parsing shared by `record`, `top` and `dump` so the three accept the same
 * capture options. Owned by the capture core. capture_opts_handle() returns
 * CAPTURE_OPT_HANDLED, CAPTURE_OPT_NOT_MINE or CAPTURE_OPT_USAGE (message in errbuf).
 *
 * How a command uses it (getopt_long with the "+" short string so options
 * after the command name are the command's):
 *
 *     struct capture_opts co; capture_opts_init(&co);
 *     char *shorts; struct option *longs;
 *     capture_getopt_build("o:f:h", my_longs, &shorts, &longs);
 *     while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
 *         int r = capture_opts_handle(&co, c, optarg, err, sizeof(err));
 *         if (r == CAPTURE_OPT_USAGE) { print err; return EX_USAGE; }
 *         if (r == CAPTURE_OPT_HANDLED) continue;
 *         switch (c) { my own options; '?' -> EX_USAGE }
 *     }
 *     if (capture_opts_finish(&co, argc - optind, argv + optind, err, sizeof(err))) -> EX_USAGE
 *
 * Short letters taken by capture: p F d. Long-only capture options use keys
 * from CAPTURE_KEY_BASE up; commands use keys below it (or other letters).
 */
#ifndef PROWL_CAPTURE_H
#define PROWL_CAPTURE_H

#include <getopt.h>
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

struct capture_opts {
	pid_t *pids;           /* -p PID (several allowed) */
	size_t npids;
	char **argv;           /* command to launch (NULL-terminated, owned copy), or NULL */
	unsigned freq;         /* -F/--freq Hz, default 999 */
	double duration;       /* -d/--duration seconds; 0 = until stopped */
	uint32_t stack_size;   /* --stack-size BYTES of user stack copied per sample (multiple of 8) */
	enum capture_unwind unwind; /* --unwind dwarf|fp */
	bool kernel;           /* --kernel: add kernel frames */
	char *thread_regex;    /* --thread REGEX (POSIX extended) on thread names, or NULL */
	bool children;         /* --children: follow forked/exec'd children */
	enum capture_backend backend; /* --backend auto|perf|ptrace */
	enum capture_mode mode;       /* --mode cpu|wall */
	unsigned max_depth;    /* --max-depth frames per stack (user + kernel) */
};

enum {
	CAPTURE_OPT_HANDLED = 0,
	CAPTURE_OPT_NOT_MINE = 1,
	CAPTURE_OPT_USAGE = -1,
};

/* getopt keys of the long-only capture options. */
enum {
	CAPTURE_KEY_BASE = 0x1000,
	CAPTURE_KEY_STACK_SIZE = CAPTURE_KEY_BASE,
	CAPTURE_KEY_UNWIND,
	CAPTURE_KEY_KERNEL,
	CAPTURE_KEY_THREAD,
	CAPTURE_KEY_CHILDREN,
	CAPTURE_KEY_BACKEND,
	CAPTURE_KEY_MODE,
	CAPTURE_KEY_MAX_DEPTH,
};

/* The capture options, terminated by a zero entry, and their short letters. */
extern const struct option capture_long_options[];
extern const char capture_short_options[]; /* "p:F:d:" */

void capture_opts_init(struct capture_opts *o);
void capture_opts_release(struct capture_opts *o);
/* Handles one getopt result (key, optarg). */
int capture_opts_handle(struct capture_opts *o, int key, const char *arg, char *errbuf, size_t errlen);
/* Takes the remaining arguments as the command (if any) and checks that
 * exactly one of -p / a command was given. 0, or CAPTURE_OPT_USAGE with a message. */
int capture_opts_finish(struct capture_opts *o, int argc, char **argv, char *errbuf, size_t errlen);
/* Builds "+" + capture's + extra short options, and capture's + extra long
 * options (extra may be NULL; terminated by a zero entry). Caller frees both. */
void capture_getopt_build(const char *extra_short, const struct option *extra_long, char **shorts,
			  struct option **longs);
/* The help lines of the capture options (two-space indent, one per option). */
void capture_opts_help(FILE *out);
/* "dwarf"/"fp", "auto"/"perf"/"ptrace", "cpu"/"wall". */
const char *capture_unwind_name(enum capture_unwind u);
const char *capture_backend_name(enum capture_backend b);
const char *capture_mode_name(enum capture_mode m);

#endif
