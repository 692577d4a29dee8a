/*
 * prowl report FILE: the top functions by self and by total samples of any
 * profile prowl reads. Exit codes: 64 usage, 66 unreadable input, 74 write error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/errstr.h"
#include "profiler/cli/cmds.h"
#include "formats/format.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: prowl report FILE [--top N] [--threads] [--lines] [-o OUT]\n"
		     "FILE: collapsed stacks, perf script text, pprof or speedscope (- for stdin)\n"
		     "--top N: rows per table (default 20); --lines: one row per function:line;\n"
		     "-o OUT: write the report to a file; -f FORMAT: write FORMAT instead (as convert)\n");
}

int cmd_report(int argc, char **argv)
{
	struct output_opts out = { 0 };
	const char *in = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *err = NULL;
		int r = output_option(argc, argv, &i, &out, &err);
		if (r < 0) {
			fprintf(stderr, "prowl report: %s\n", err);
			return EX_USAGE;
		}
		if (r > 0)
			continue;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EX_OK;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "prowl report: unknown option '%s' (see prowl report --help)\n", a);
			return EX_USAGE;
		} else if (!in) {
			in = a;
		} else {
			fprintf(stderr, "prowl report: one profile only, got '%s' and '%s'\n", in, a);
			return EX_USAGE;
		}
	}
	if (!in) {
		fprintf(stderr, "prowl report: need a profile file (see prowl report --help)\n");
		return EX_USAGE;
	}
	struct profile *p = profile_read(in);
	if (!p) {
		int e = errno;
		if (e == EINVAL)
			fprintf(stderr, "prowl report: %s is not a profile prowl can read (collapsed stacks, perf script text, pprof or speedscope)\n", in);
		else
			fprintf(stderr, "prowl report: cannot read %s: %s\n", in, errstr(e));
		return EX_NOINPUT;
	}
	enum format f = output_format(&out, FORMAT_REPORT);
	if (!out.path || !strcmp(out.path, "-"))
		f = out.format != FORMAT_NONE ? out.format : FORMAT_REPORT;
	int rc = profile_write(p, f, out.path ? out.path : "-", &out.w);
	profile_free(p);
	if (rc < 0) {
		fprintf(stderr, "prowl report: cannot write %s: %s\n", out.path ? out.path : "to stdout", errstr(-rc));
		return EX_IOERR;
	}
	return EX_OK;
}
