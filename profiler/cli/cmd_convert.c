/*
 * prowl convert IN -o OUT: reads collapsed stacks, perf script text, pprof or
 * speedscope and writes any format. Exit codes: 64 usage, 66 unreadable
 * input, 73 output not written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "profiler/base/errstr.h"
#include "profiler/cli/cmds.h"
#include "formats/atomic.h"
#include "formats/format.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time too: on a shared machine the wall clock says more about the
 * neighbours than about us. */
static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: prowl convert IN -o OUT [-f FORMAT] [--threads] [--lines] [--icicle] [--title TEXT]\n"
		"                        [--pid] [--tid] [--kernel] [--jit] [--all] [--addrs]\n"
		"IN: collapsed stacks, `perf script` text, pprof or speedscope (- for stdin)\n"
		"OUT: .svg .folded/.collapsed/.txt .json (speedscope) .pb.gz/.pprof, - for stdout\n"
		"--pid --tid --kernel --jit --all --addrs: as stackcollapse-perf.pl, for perf script input\n"
		"-v: say on stderr what was read and written, and how long each took\n");
}

int cmd_convert(int argc, char **argv)
{
	struct output_opts out = { 0 };
	struct read_opts ro = { 0 };
	const char *in = NULL;
	bool verbose = false;
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
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose = true;
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
	/* The output first: a name that cannot take the profile is known before the input is read. */
	struct strbuf why;
	struct atomic_file *af;
	strbuf_init(&why);
	if (atomic_open(out.path, NULL, &af, &why) < 0) {
		fprintf(stderr, "prowl convert: cannot write %s: %s\n", out.path, why.buf);
		strbuf_release(&why);
		return EX_CANTCREAT;
	}
	strbuf_release(&why);
	double t0 = now_ms(), c0 = cpu_ms();
	struct profile *p = profile_read_opts(in, &ro);
	double t1 = now_ms(), c1 = cpu_ms();
	if (!p) {
		atomic_abort(af);
		int e = errno;
		if (e == EINVAL)
			fprintf(stderr, "prowl convert: %s is not a profile prowl can read (collapsed stacks, perf script text, pprof or speedscope)\n", in);
		else
			fprintf(stderr, "prowl convert: cannot read %s: %s\n", in, errstr(e));
		return EX_NOINPUT;
	}
	int rc = profile_write_file(af, p, f, &out.w);
	double t2 = now_ms(), c2 = cpu_ms();
	if (verbose) {
		struct stat st;
		long long bytes = strcmp(out.path, "-") && stat(out.path, &st) == 0 ? (long long)st.st_size : -1;
		fprintf(stderr, "prowl convert: read %s: %zu stacks, %zu frames, %llu samples in %.1f ms (cpu %.1f ms); "
				"wrote %s (%s, %lld bytes) in %.1f ms (cpu %.1f ms)\n",
			in, p->ncounts, p->nframes, (unsigned long long)p->total, t1 - t0, c1 - c0, out.path,
			format_name(f), bytes, t2 - t1, c2 - c1);
	}
	profile_free(p);
	if (rc < 0) {
		fprintf(stderr, "prowl convert: cannot write %s: %s (the old file, if any, is unchanged)\n",
			out.path, errstr(-rc));
		return EX_CANTCREAT;
	}
	return EX_OK;
}
