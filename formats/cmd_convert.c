/*
 * prowl convert IN -o OUT: reads collapsed stacks, perf script text, pprof or
 * speedscope and writes any format. Exit codes: 64 usage, 66 unreadable
 * input, 73 output not written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../profiler/cmds.h"
#include "format.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: prowl convert IN -o OUT [-f FORMAT] [--threads] [--lines] [--icicle] [--title TEXT]\n"
		"                        [--pid] [--tid] [--kernel] [--jit] [--all] [--addrs]\n"
		"IN: collapsed stacks, `perf script` text, pprof or speedscope (- for stdin)\n"
		"OUT: .svg .folded/.collapsed/.txt .json (speedscope) .pb.gz/.pprof, - for stdout\n"
		"--pid --tid --kernel --jit --all --addrs: as stackcollapse-perf.pl, for perf script input\n");
}

int cmd_convert(int argc, char **argv)
{
	struct output_opts out = { 0 };
	struct read_opts ro = { 0 };
	const char *in = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *err = NULL;
		int r = output_option(argc, argv, &i, &out, &err);
		if (r < 0) {
			fprintf(stderr, "prowl convert: %s\n", err);
			return EX_USAGE;
		}
		if (r > 0)
			continue;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EX_OK;
		} else if (!strcmp(a, "--pid")) {
			ro.pid = true;
		} else if (!strcmp(a, "--tid")) {
			ro.tid = true;
		} else if (!strcmp(a, "--kernel")) {
			ro.kernel = true;
		} else if (!strcmp(a, "--jit")) {
			ro.jit = true;
		} else if (!strcmp(a, "--all")) {
			ro.kernel = ro.jit = true;
		} else if (!strcmp(a, "--addrs")) {
			ro.addrs = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "prowl convert: unknown option '%s' (see prowl convert --help)\n", a);
			return EX_USAGE;
		} else if (!in) {
			in = a;
		} else {
			fprintf(stderr, "prowl convert: one input only, got '%s' and '%s'\n", in, a);
			return EX_USAGE;
		}
	}
	if (!in || !out.path) {
		fprintf(stderr, "prowl convert: need an input and -o OUT (see prowl convert --help)\n");
		return EX_USAGE;
	}
	/* Folded stacks are the one text format that reads well on a terminal or pipe. */
	enum format f = output_format(&out, strcmp(out.path, "-") ? FORMAT_NONE : FORMAT_COLLAPSED);
	if (f == FORMAT_NONE) {
		fprintf(stderr, "prowl convert: cannot tell the format of '%s' (use -f svg, folded, speedscope, pprof or report)\n",
			out.path);
		return EX_USAGE;
	}
	struct profile *p = profile_read_opts(in, &ro);
	if (!p) {
		int e = errno;
		if (e == EINVAL)
			fprintf(stderr, "prowl convert: %s is not a profile prowl can read (collapsed stacks, perf script text, pprof or speedscope)\n", in);
		else
			fprintf(stderr, "prowl convert: cannot read %s: %s\n", in, format_strerror(e));
		return EX_NOINPUT;
	}
	int rc = profile_write(p, f, out.path, &out.w);
	profile_free(p);
	if (rc < 0) {
		fprintf(stderr, "prowl convert: cannot write %s: %s (the old file, if any, is unchanged)\n",
			out.path, format_strerror(-rc));
		return EX_CANTCREAT;
	}
	return EX_OK;
}
