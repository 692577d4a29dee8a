/*
 * opts: the one command-line parser, in the style of git's parse-options.
 * Each command describes itself once, as data: a struct opts_cmd (name,
 * one-line summary, usage lines, description, examples, notes) and a table of
 * struct opt ended by OPT_END(). opts_parse() reads argv against the table and
 * opts_help() prints --help from the same data (and, later, man pages), so
 * what a command accepts and what its help says cannot drift apart.
 *
 * Accepted spellings: -x, -xVALUE, -x VALUE, combined flags (-fiC), --long,
 * --long=VALUE, --long VALUE, a unique prefix of a long name, "--" to end
 * the options. A lone "-" is an operand (stdin/stdout). Repeating an option
 * calls its callback again (-p 1 -p 2) or overwrites the value.
 *
 * Memory: the tables and what they point at are the caller's; string values
 * point into argv. Errors: opts_parse() returns OPTS_USAGE with one line in
 * err (without the "prowl CMD: " prefix, which the caller adds) and prints
 * nothing; callbacks report the same way. opts_parse_or_exit() is the
 * commands' wrapper that prints.
 */
#ifndef PROWL_OPTS_H
#define PROWL_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "profiler/base/util.h"
#include "profiler/capture/capture.h"
#include "formats/format.h"

enum opt_kind {
	OPT_KIND_END = 0,
	OPT_KIND_GROUP,    /* a heading in --help (help is the heading text) */
	OPT_KIND_FLAG,     /* bool *value = true; takes no value */
	OPT_KIND_INT,      /* int *value, a whole number in [min, max] */
	OPT_KIND_STRING,   /* const char **value = the argument */
	OPT_KIND_CALLBACK, /* cb(opt, arg, err): anything the kinds above cannot say */
	OPT_KIND_HELP,     /* -h/--help: opts_parse() returns OPTS_HELP */
};

enum {
	OPT_HIDDEN = 1,   /* not listed in --help (old spellings kept working) */
	OPT_NOARG = 2,    /* callback: takes no value (arg is NULL) */
	OPT_OPTARG = 4,   /* flag or callback: --long=VALUE allowed, a bare --long too */
	OPT_NONEMPTY = 8, /* string: "" is refused */
	OPT_CLAMP = 16,   /* int: above max means max (e.g. --top 999999: all rows) */
};

struct opt;
/* 0, or -1 with a one-line message in err. */
typedef int (*opt_cb)(const struct opt *o, const char *arg, struct strbuf *err);

struct opt {
	enum opt_kind kind;
	int short_name;        /* a letter, or 0 */
	const char *long_name; /* without "--", or NULL */
	const char *argh;      /* the value's name in --help ("PID"), NULL for none */
	const char *help;      /* one line; for a group, the heading */
	void *value;           /* where it stores; a callback's context */
	opt_cb cb;
	long min, max;         /* OPT_KIND_INT */
	int key;               /* tells a shared callback which option it is */
	unsigned flags;        /* OPT_HIDDEN ... */
};

#define OPT_END() { .kind = OPT_KIND_END }
#define OPT_GROUP(h) { .kind = OPT_KIND_GROUP, .help = (h) }
#define OPT_FLAG(s, l, v, h) { .kind = OPT_KIND_FLAG, .short_name = (s), .long_name = (l), .value = (v), .help = (h) }
#define OPT_INT(s, l, v, a, lo, hi, h) \
	{ .kind = OPT_KIND_INT, .short_name = (s), .long_name = (l), .value = (v), .argh = (a), .min = (lo), .max = (hi), .help = (h) }
#define OPT_STRING(s, l, v, a, h) \
	{ .kind = OPT_KIND_STRING, .short_name = (s), .long_name = (l), .value = (v), .argh = (a), .help = (h) }
#define OPT_CALLBACK(s, l, v, a, h, f, k) \
	{ .kind = OPT_KIND_CALLBACK, .short_name = (s), .long_name = (l), .value = (v), .argh = (a), .help = (h), .cb = (f), .key = (k) }
#define OPT_HELP() { .kind = OPT_KIND_HELP, .short_name = 'h', .long_name = "help", .help = "this help" }

/* How a command takes its operands. */
enum opts_args {
	OPTS_ARGS_MIXED,   /* files anywhere among the options (report, convert, diff, addr2line) */
	OPTS_ARGS_COMMAND, /* the first operand starts a command to launch: its options are its own (record, top) */
};

struct opts_example {
	const char *line; /* the command line, without "prowl " */
	const char *what; /* what it does */
};

struct opts_cmd {
	const char *name;        /* "record": messages start "prowl record: " */
	const char *summary;     /* one line, for `prowl --help` and the man page's NAME */
	const char *const *usage; /* NULL-terminated: what follows "prowl NAME " on each usage line */
	const char *description; /* a paragraph, or NULL */
	const struct opts_example *examples; /* ended by { NULL, NULL } */
	const char *notes;       /* a closing paragraph (signals, exit status), or NULL */
	enum opts_args args;
};

enum {
	OPTS_USAGE = -1, /* err says why */
	OPTS_HELP = -2,  /* -h/--help was given */
};

/*
 * Parses argv[1..argc-1] (argv[0] is the command's name). Returns the number
 * of operands, moved to argv[0..n-1] in order (argv[n] = NULL), or OPTS_USAGE
 * or OPTS_HELP. With OPTS_ARGS_COMMAND everything from the first operand on
 * (or after "--") is an operand.
 */
int opts_parse(const struct opts_cmd *cmd, const struct opt *table, int argc, char **argv,
	       struct strbuf *err);
/* Whether o needs a value (-x VALUE): what completion and man pages follow. */
bool opts_takes_value(const struct opt *o);
/* The --help text: usage, summary, description, options by group, examples, notes. */
void opts_help(const struct opts_cmd *cmd, const struct opt *table, FILE *out);
/* opts_parse() for a command: prints --help (exit 0) or "prowl NAME: message"
 * (exit EX_USAGE). Returns the operand count, or -1 with *exit_code set. */
int opts_parse_or_exit(const struct opts_cmd *cmd, const struct opt *table, int argc, char **argv,
		       int *exit_code);
/* For the generators of man pages and completion (main.c): when set,
 * opts_parse_or_exit() hands the command's description and table to it
 * instead of printing --help, so `prowl record --help` run with the hook
 * set shows the generator the very table record parses with. */
extern void (*opts_help_hook)(const struct opts_cmd *cmd, const struct opt *table);
/* Prints "prowl NAME: " + message + newline on stderr. */
void opts_error(const struct opts_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parsers for callbacks: 0, or -1 with "invalid NAME 'ARG' (expected ...)" in err. */
int opts_parse_long(const char *name, const char *arg, long min, long max, long *out, struct strbuf *err);
int opts_parse_seconds(const char *name, const char *arg, double min, double max, double *out,
		       struct strbuf *err);

/*
 * The capture options record, top and dump share (values go to a struct
 * capture_opts; validation and defaults stay in capture.c). Use inside a
 * table: OPTS_CAPTURE(&co); the key is the enum capture_opt. Short letters
 * taken: p t F d.
 */
int opts_capture_cb(const struct opt *o, const char *arg, struct strbuf *err);
#define OPTS_CAP_(s, l, co, a, h, k, f) \
	{ .kind = OPT_KIND_CALLBACK, .short_name = (s), .long_name = (l), .value = (co), .argh = (a), \
	  .help = (h), .cb = opts_capture_cb, .key = (k), .flags = (f) }
#define OPTS_CAPTURE_PID(co) \
	OPTS_CAP_('p', "pid", co, "PID", "profile a running process (repeat for several; a thread id means its process)", CAPTURE_OPT_PID, 0)
#define OPTS_CAPTURE_SAMPLING(co) \
	OPTS_CAP_('F', "freq", co, "HZ", "samples per second per thread (default 999)", CAPTURE_OPT_FREQ, 0), \
	OPTS_CAP_('d', "duration", co, "SECS", "stop after this many seconds (default: until the target exits or Ctrl-C)", CAPTURE_OPT_DURATION, 0), \
	OPTS_CAP_(0, "stack-size", co, "BYTES", "user stack copied per sample (default 16384, max 65528; e.g. 32k)", CAPTURE_OPT_STACK_SIZE, 0), \
	OPTS_CAP_(0, "unwind", co, "MODE", "dwarf (default: CFI, works without frame pointers) or fp", CAPTURE_OPT_UNWIND, 0), \
	OPTS_CAP_(0, "kernel", co, NULL, "add kernel frames (needs perf_event_paranoid <= 1 or root)", CAPTURE_OPT_KERNEL, OPT_NOARG), \
	OPTS_CAP_(0, "thread", co, "REGEX", "only threads whose name matches (POSIX extended regex)", CAPTURE_OPT_THREAD, 0), \
	OPTS_CAP_(0, "children", co, NULL, "follow processes the target forks and execs (default for a launched command)", CAPTURE_OPT_CHILDREN, OPT_NOARG), \
	OPTS_CAP_(0, "no-children", co, NULL, "only the launched command's own process (its children's CPU is then counted)", CAPTURE_OPT_NO_CHILDREN, OPT_NOARG), \
	OPTS_CAP_(0, "backend", co, "NAME", "auto (default: perf, else ptrace), perf or ptrace", CAPTURE_OPT_BACKEND, 0), \
	OPTS_CAP_(0, "mode", co, "MODE", "cpu (default: on-CPU samples) or wall (every thread, with its state)", CAPTURE_OPT_MODE, 0), \
	OPTS_CAP_(0, "max-depth", co, "N", "frames walked per stack; inlined calls not counted (default 512)", CAPTURE_OPT_MAX_DEPTH, 0), \
	OPTS_CAP_(0, "no-python", co, NULL, "raw native stacks of a CPython process (no Python frames)", CAPTURE_OPT_NO_PYTHON, OPT_NOARG), \
	OPTS_CAP_(0, "max-stacks", co, "N", "distinct call paths kept (default 1000000); past it new stacks end in [stack limit]", CAPTURE_OPT_MAX_STACKS, 0), \
	OPTS_CAP_(0, "gil", co, NULL, "CPython: only samples of the thread holding the GIL (ptrace backend)", CAPTURE_OPT_GIL, OPT_NOARG)
#define OPTS_CAPTURE_TID(co) \
	OPTS_CAP_('t', "tid", co, "TID", "profile one thread of a running process (repeat for several)", CAPTURE_OPT_TID, 0)
/* The whole machine (record and top; dump looks at one process). */
#define OPTS_CAPTURE_SYSTEM(co) \
	OPTS_CAP_('a', "all-cpus", co, NULL, "the whole machine: every process on every CPU (needs root or CAP_PERFMON)", CAPTURE_OPT_ALL, OPT_NOARG), \
	OPTS_CAP_(0, "comm", co, "REGEX", "whole machine: only processes whose name matches (POSIX extended regex)", CAPTURE_OPT_COMM, 0), \
	OPTS_CAP_(0, "uid", co, "USER", "whole machine: only processes of this user (name or number; repeat for several)", CAPTURE_OPT_UID, 0), \
	OPTS_CAP_(0, "cgroup", co, "PATH", "whole machine: only this cgroup (a container, a systemd unit: system.slice/x.service)", CAPTURE_OPT_CGROUP, 0)
/* The whole group, with its heading. */
#define OPTS_CAPTURE(co) OPT_GROUP("capture options (record, top, dump)"), OPTS_CAPTURE_PID(co), OPTS_CAPTURE_TID(co), OPTS_CAPTURE_SAMPLING(co)
/* After parsing: the operands become the command to launch; exactly one of
 * -p / a command. 0, or OPTS_USAGE with err. */
int opts_capture_finish(struct capture_opts *co, int nargs, char **args, struct strbuf *err);
/* Prints one line per capture option that does nothing in the combination
 * given ("prowl record: --kernel does nothing with --backend ptrace ...");
 * how many. */
int opts_warn_unused(const struct opts_cmd *cmd, const struct capture_opts *co);
/* Prints notes (lines joined by '\n', as the session keeps them) on stderr,
 * each line with the command's prefix ("prowl record: "), the one prefix of
 * everything a command prints there. Nothing for NULL or "". */
void opts_notes(const struct opts_cmd *cmd, const char *notes);

/*
 * The output options of every command that writes a profile: -o, -f,
 * --threads, --lines, --icicle, --title. OPTS_OUTPUT(&out) inside a table;
 * OPTS_TOP(&out) adds --top N (rows of a report). After parsing,
 * opts_output_format() picks the format.
 */
int opts_output_cb(const struct opt *o, const char *arg, struct strbuf *err);
enum { OPTS_OUT_PATH = 1, OPTS_OUT_FORMAT, OPTS_OUT_TOP };
#define OPTS_OUTPUT_FILE(out, what) \
	{ .kind = OPT_KIND_CALLBACK, .short_name = 'o', .long_name = "output", .value = (out), .argh = "FILE", \
	  .help = (what), .cb = opts_output_cb, .key = OPTS_OUT_PATH }
#define OPTS_OUTPUT_FORMAT(out) \
	{ .kind = OPT_KIND_CALLBACK, .short_name = 'f', .long_name = "format", .value = (out), .argh = "FMT", \
	  .help = "svg, folded, speedscope, pprof or report, or perf-script (overrides the extension)", .cb = opts_output_cb, \
	  .key = OPTS_OUT_FORMAT }
#define OPTS_OUTPUT_SHAPE(out) \
	OPT_FLAG(0, "threads", &(out)->w.threads, "root each stack at its thread \"name (tid)\""), \
	OPT_FLAG(0, "lines", &(out)->w.lines, "frames are function:line"), \
	OPT_FLAG(0, "icicle", &(out)->w.icicle, "SVG drawn top-down"), \
	OPT_STRING(0, "title", &(out)->w.title, "TEXT", "SVG title")
#define OPTS_OUTPUT(out, what) \
	OPT_GROUP("output options"), OPTS_OUTPUT_FILE(out, what), OPTS_OUTPUT_FORMAT(out), OPTS_OUTPUT_SHAPE(out)
#define OPTS_TOP(out) \
	{ .kind = OPT_KIND_CALLBACK, .long_name = "top", .value = (out), .argh = "N", \
	  .help = "rows of the report (default 20)", .cb = opts_output_cb, .key = OPTS_OUT_TOP }
/* -n used to mean rows in report and diff: it now means snapshots (top) only. */
int opts_moved_cb(const struct opt *o, const char *arg, struct strbuf *err);
#define OPTS_MOVED(s, l, now) \
	{ .kind = OPT_KIND_CALLBACK, .short_name = (s), .long_name = (l), .help = (now), .cb = opts_moved_cb, \
	  .flags = OPT_HIDDEN | OPT_NOARG }

/*
 * The format to write: -f, else -o's extension, else dflt for stdout ("-" or
 * no -o). A file whose extension names no format gets file_dflt; when that
 * is FORMAT_NONE (every command that writes a profile) it is refused
 * (OPTS_USAGE, err lists the formats) unless -f was given, so no command
 * guesses a format. Only report passes FORMAT_REPORT: its product is text.
 */
int opts_output_format(const struct output_opts *out, enum format dflt, enum format file_dflt, enum format *f,
		       struct strbuf *err);

/* 0 when path's folder lets us create it, else a negative errno; "-" is
 * always fine. For commands that profile first and write last (record, top):
 * fail before profiling, not after. */
int opts_output_writable(const char *path);

#endif
