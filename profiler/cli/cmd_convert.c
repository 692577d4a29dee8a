/*
 * prowl convert IN -o OUT: reads collapsed stacks, perf script text, pprof or
 * speedscope and writes any format.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "profiler/base/errstr.h"
#include "profiler/cli/cmds.h"
#include "profiler/cli/opts.h"
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

static const char *const convert_usage[] = { "[options] IN -o OUT", NULL };
static const struct opts_example convert_examples[] = {
	{ "convert perf.txt -o flame.svg", "a flame graph of `perf script` output" },
	{ "convert prof.pb.gz -o prof.json", "pprof to speedscope" },
	{ "convert prof.folded -o - -f pprof >p.pb.gz", "any format to stdout" },
	{ NULL, NULL },
};
const struct opts_cmd convert_cmd = {
	.name = "convert",
	.summary = "convert collapsed stacks or perf script text to any format",
	.usage = convert_usage,
	.description = "IN: collapsed stacks, `perf script` text, pprof or speedscope (- for stdin).\n\n"
		       "OUT: .svg .folded/.collapsed/.txt .json (speedscope) .pb.gz/.pprof .perf-script; - for\n"
		       "stdout (folded).",
	.examples = convert_examples,
	.notes = "exit status: 0, 64 usage, 66 unreadable input, 73 OUT not written, 74 stdout not written",
	.args = OPTS_ARGS_MIXED,
};

int cmd_convert(int argc, char **argv)
{
	struct output_opts out = { 0 };
	struct read_opts ro = { 0 };
	bool verbose = false, all = false;
	const struct opt table[] = {
		OPTS_OUTPUT(&out, "where to write (format from the extension; - for stdout)"),
		OPT_GROUP("perf script input (as stackcollapse-perf.pl)"),
		OPT_FLAG(0, "pid", &ro.pid, "root frame \"comm-pid\""),
		OPT_FLAG(0, "tid", &ro.tid, "root frame \"comm-pid/tid\""),
		OPT_FLAG(0, "kernel", &ro.kernel, "mark kernel frames (written _[k])"),
		OPT_FLAG(0, "jit", &ro.jit, "mark /tmp/perf-N.map frames (written _[j])"),
		OPT_FLAG(0, "all", &all, "--kernel and --jit"),
		OPT_FLAG(0, "addrs", &ro.addrs, "unknown frames keep their address"),
		OPT_GROUP("other"),
		OPT_FLAG('v', "verbose", &verbose, "say on stderr what was read and written, and how long each took"),
		OPT_HELP(),
		OPT_END(),
	};
	int rc;
	int n = opts_parse_or_exit(&convert_cmd, table, argc, argv, &rc);
	if (n < 0)
		return rc;
	if (all)
		ro.kernel = ro.jit = true;
	if (n > 1) {
		opts_error(&convert_cmd, "one input only, got '%s' and '%s'", argv[0], argv[1]);
		return EX_USAGE;
	}
	if (n == 0 || !out.path) {
		opts_error(&convert_cmd, "need an input and -o OUT (see 'prowl convert --help')");
		return EX_USAGE;
	}
	const char *in = argv[0];
	/* Folded stacks are the one text format that reads well on a terminal or pipe. */
	enum format f;
	struct strbuf err;
	strbuf_init(&err);
	if (opts_output_format(&out, FORMAT_COLLAPSED, FORMAT_NONE, &f, &err)) {
		opts_error(&convert_cmd, "%s", err.buf);
		strbuf_release(&err);
		return EX_USAGE;
	}
	strbuf_release(&err);
	/* The output first: a name that cannot take the profile is known before the input is read. */
	struct strbuf why;
	struct atomic_file *af;
	strbuf_init(&why);
	int ar = atomic_open(out.path, NULL, &af, &why);
	if (ar < 0) {
		opts_error(&convert_cmd, "cannot write %s: %s", out.path, why.len ? why.buf : errstr(ar));
		strbuf_release(&why);
		return exit_code_output(out.path, ar);
	}
	strbuf_release(&why);
	double t0 = now_ms(), c0 = cpu_ms();
	struct profile *p = profile_read_opts(in, &ro);
	double t1 = now_ms(), c1 = cpu_ms();
	if (!p) {
		atomic_abort(af);
		int e = errno;
		if (e == EINVAL)
			opts_error(&convert_cmd, "%s is not a profile prowl can read (collapsed stacks, perf script text, pprof or speedscope)", in);
		else
			opts_error(&convert_cmd, "cannot read %s: %s", in, errstr(e));
		return exit_code(EXIT_INPUT, e);
	}
	int r = profile_write_file(af, p, f, &out.w);
	double t2 = now_ms(), c2 = cpu_ms();
	if (verbose) {
		struct stat st;
		long long bytes = strcmp(out.path, "-") && stat(out.path, &st) == 0 ? (long long)st.st_size : -1;
		fprintf(stderr, "prowl convert: read %s: %zu stack%s, %zu frame%s, %llu sample%s in %.1f ms (cpu %.1f ms); "
				"wrote %s (%s, %lld byte%s) in %.1f ms (cpu %.1f ms)\n",
			in, p->ncounts, plural_s(p->ncounts), p->nframes, plural_s(p->nframes),
			(unsigned long long)p->total, plural_s(p->total), t1 - t0, c1 - c0, out.path,
			format_name(f), bytes, plural_s((unsigned long long)bytes), t2 - t1, c2 - c1);
	}
	profile_free(p);
	if (r < 0) {
		if (!strcmp(out.path, "-"))
			opts_error(&convert_cmd, "cannot write to stdout: %s", errstr(r));
		else
			opts_error(&convert_cmd, "cannot write %s: %s (the old file, if any, is unchanged)", out.path,
				   errstr(r));
		return exit_code_output(out.path, r);
	}
	return EX_OK;
}
