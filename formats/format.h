/*
 * format: choosing a profile format and writing or reading profiles. Every
 * writer reads one struct profile and none knows which backend captured it.
 * Files are opened and published by formats/atomic.h: a complete profile
 * or the old file, never half of one ("-" writes to stdout). Functions return 0 or a negative errno
 * and never print; the command line turns errors into messages.
 */
#ifndef PROWL_FORMAT_H
#define PROWL_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include "profiler/model/profile.h"

enum format {
	FORMAT_NONE = 0,
	FORMAT_COLLAPSED,  /* .folded .collapsed .txt */
	FORMAT_SVG,        /* .svg */
	FORMAT_SPEEDSCOPE, /* .json */
	FORMAT_PPROF,      /* .pb.gz .pprof */
	FORMAT_REPORT,     /* text report (prowl report) */
	FORMAT_PERF_SCRIPT, /* .perf-script: `perf script` text, samples in time order */
};

struct write_opts {
	bool threads; /* --threads: root each stack at "name (tid)" */
	bool lines;   /* --lines: frames are function:line */
	bool icicle;  /* --icicle: SVG top-down */
	const char *title; /* SVG title, NULL for the default */
	int top;      /* report: how many rows, 0 for the default */
	bool private_file; /* profile_write: mode 0600, not 0666 (less the umask) */
};

/* "svg", "folded", "collapsed", "speedscope", "pprof", "report"; FORMAT_NONE if unknown. */
enum format format_by_name(const char *name);
/* From a file name's extension; FORMAT_NONE if none matches. */
enum format format_by_path(const char *path);
const char *format_name(enum format f);
/* Does f show the samples' time order (speedscope's timeline, perf script)?
 * Then a capture keeps it (capture_opts.sequence). */
bool format_time_ordered(enum format f);

/* Writes p as f to path ("-" for stdout), atomically (formats/atomic.h). */
int profile_write(const struct profile *p, enum format f, const char *path, const struct write_opts *o);
/* Writes p as f into an output already opened by atomic_open() and publishes
 * it; af is consumed (committed, or aborted on failure). */
struct atomic_file;
int profile_write_file(struct atomic_file *af, const struct profile *p, enum format f,
		       const struct write_opts *o);
/* Writes p as f to an open stream (used by profile_write and tests). */
int profile_write_stream(const struct profile *p, enum format f, FILE *out, const struct write_opts *o);

/* Frames a reader keeps per sample: capture's deepest stack (4096) plus as
 * many inlined frames. A deeper sample keeps its outermost READ_MAX_FRAMES
 * frames and is counted in meta.truncated. */
#define READ_MAX_FRAMES 8192u

/* How `perf script` text is read: the option words of stackcollapse-perf.pl. */
struct read_opts {
	bool pid;     /* --pid: root frame "comm-pid" */
	bool tid;     /* --tid: root frame "comm-pid/tid" */
	bool kernel;  /* --kernel: kernel frames are kind FRAME_KERNEL (written _[k]) */
	bool jit;     /* --jit: /tmp/perf-N.map frames are FRAME_JIT (written _[j]) */
	/* --all is kernel + jit; inlined frames ("a->b") are always marked _[i], as upstream. */
	bool addrs;   /* --addrs: unknown frames keep their address */
	enum format format; /* FORMAT_NONE: detect from the content */
};

/* Reads a profile prowl can read (collapsed stacks, perf script text, pprof,
 * speedscope written by prowl), detecting the format. NULL and errno on error. */
struct profile *profile_read(const char *path);
/* The same with reading options (o may be NULL); path "-" reads stdin. */
struct profile *profile_read_opts(const char *path, const struct read_opts *o);
/* Reads from a memory buffer (used by profile_read_opts, tests and fuzzing). */
struct profile *profile_read_mem(const char *data, size_t len, const struct read_opts *o);
/* The format a buffer looks like (FORMAT_NONE when none). */
enum format format_detect(const char *data, size_t len);

/*
 * What the output options of every command that writes a profile ask for
 * (-o FILE, -f/--format FMT, --threads, --lines, --icicle, --title TEXT,
 * --top N). The command line (profiler/cli/opts.c) fills it.
 */
struct output_opts {
	const char *path;    /* -o, NULL when not given */
	enum format format;  /* -f, FORMAT_NONE when not given */
	struct write_opts w;
};

#endif
