/*
 * prowl diff BEFORE AFTER -o OUT: a differential flame graph (.svg), the
 * functions whose share changed most (.txt, or stdout), or FlameGraph's
 * difffolded lines (-f folded). Exit codes: 64 usage, 66 unreadable input,
 * 73 output not written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/errstr.h"
#include "profiler/cli/cmds.h"
#include "formats/atomic.h"
#include "formats/diff.h"
#include "formats/format.h"
#include "formats/svg.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: prowl diff BEFORE AFTER [-o OUT] [-f svg|report|folded] [--top N]\n"
		     "                  [--threads] [--lines] [--icicle] [--title TEXT]\n"
		     "BEFORE, AFTER: any profile prowl reads (collapsed, perf script, pprof, speedscope)\n"
		     "OUT: diff.svg (differential flame graph: widths from AFTER, red grew, blue shrank),\n"
		     "     diff.txt or - (functions whose share changed most), -f folded: \"stack before after\"\n");
}

struct job {
	const struct profile *before, *after;
	enum format f;
	const struct write_opts *o;
};

static int run(FILE *out, void *arg)
{
	const struct job *j = arg;
	if (j->f == FORMAT_SVG)
		return svg_write_diff(j->before, j->after, out, j->o);
	if (j->f == FORMAT_COLLAPSED)
		return diff_write_folded(j->before, j->after, out, j->o);
	return diff_write_text(j->before, j->after, out, j->o);
}

static struct profile *load(const char *path)
{
	struct profile *p = profile_read(path);
	if (!p) {
		int e = errno;
		if (e == EINVAL)
			fprintf(stderr, "prowl diff: %s is not a profile prowl can read (collapsed stacks, perf script text, pprof or speedscope)\n", path);
		else
			fprintf(stderr, "prowl diff: cannot read %s: %s\n", path, errstr(e));
	}
	return p;
}

int cmd_diff(int argc, char **argv)
{
	struct output_opts out = { 0 };
	const char *in[2] = { NULL, NULL };
	int nin = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *err = NULL;
		int r = output_option(argc, argv, &i, &out, &err);
		if (r < 0) {
			fprintf(stderr, "prowl diff: %s\n", err);
			return EX_USAGE;
		}
		if (r > 0)
			continue;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EX_OK;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "prowl diff: unknown option '%s' (see prowl diff --help)\n", a);
			return EX_USAGE;
		} else if (nin < 2) {
			in[nin++] = a;
		} else {
			fprintf(stderr, "prowl diff: two profiles only (BEFORE AFTER), got a third: '%s'\n", a);
			return EX_USAGE;
		}
	}
	if (nin != 2) {
		fprintf(stderr, "prowl diff: need two profiles, BEFORE and AFTER (see prowl diff --help)\n");
		return EX_USAGE;
	}
	const char *path = out.path ? out.path : "-";
	/* .txt means the text diff here (it means folded stacks elsewhere). */
	enum format f = out.format;
	if (f == FORMAT_NONE) {
		size_t n = strlen(path);
		f = format_by_path(path);
		if (n >= 4 && !strcmp(path + n - 4, ".txt"))
			f = FORMAT_REPORT;
		else if (f == FORMAT_NONE && strcmp(path, "-"))
			f = FORMAT_NONE;
		else if (f == FORMAT_NONE)
			f = FORMAT_REPORT;
	}
	if (f != FORMAT_SVG && f != FORMAT_REPORT && f != FORMAT_COLLAPSED) {
		fprintf(stderr, "prowl diff: cannot write a diff as %s (use .svg, .txt, -f report or -f folded)\n",
			f == FORMAT_NONE ? path : format_name(f));
		return EX_USAGE;
	}
	struct profile *before = load(in[0]);
	if (!before)
		return EX_NOINPUT;
	struct profile *after = load(in[1]);
	if (!after) {
		profile_free(before);
		return EX_NOINPUT;
	}
	struct job j = { before, after, f, &out.w };
	int rc = atomic_write_file(path, NULL, run, &j, NULL);
	profile_free(before);
	profile_free(after);
	if (rc < 0) {
		fprintf(stderr, "prowl diff: cannot write %s: %s (the old file, if any, is unchanged)\n", path,
			errstr(rc));
		return EX_CANTCREAT;
	}
	return EX_OK;
}
