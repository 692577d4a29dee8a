/*
 * prowl diff BEFORE AFTER -o OUT: a differential flame graph (.svg), the
 * functions whose share changed most (.txt, or stdout), or FlameGraph's
 * difffolded lines (-f folded).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profiler/base/errstr.h"
#include "profiler/cli/cmds.h"
#include "profiler/cli/opts.h"
#include "formats/atomic.h"
#include "formats/diff.h"
#include "formats/format.h"
#include "formats/svg.h"

static const char *const diff_usage[] = { "[options] BEFORE AFTER [-o OUT]", NULL };
static const struct opts_example diff_examples[] = {
	{ "diff before.pb.gz after.pb.gz -o diff.svg", "differential flame graph: widths from AFTER, red grew, blue shrank" },
	{ "diff before.folded after.folded --top 10", "the 10 functions whose share changed most, on stdout" },
	{ "diff a.folded b.folded -f folded -o d.folded", "FlameGraph's difffolded lines: \"stack before after\"" },
	{ NULL, NULL },
};
const struct opts_cmd diff_cmd = {
	.name = "diff",
	.summary = "differential flame graph or text of two profiles",
	.usage = diff_usage,
	.description = "BEFORE, AFTER: any profile prowl reads (collapsed, perf script, pprof, speedscope).\n\n"
		       "OUT: .svg (flame graph), .txt or - (text: functions whose share changed most),\n"
		       ".folded or -f folded (\"stack before after\" lines).",
	.examples = diff_examples,
	.notes = "exit status: 0, 64 usage, 66 unreadable input, 73 OUT not written, 74 stdout not written",
	.args = OPTS_ARGS_MIXED,
};

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
		errno = e;
	}
	return p;
}

int cmd_diff(int argc, char **argv)
{
	struct output_opts out = { 0 };
	const struct opt table[] = {
		OPTS_TOP(&out),
		OPTS_MOVED('n', NULL, "use --top N for rows (-n counts snapshots in prowl top)"),
		OPTS_OUTPUT(&out, "where to write (default stdout; .svg, .txt or .folded)"),
		OPT_GROUP("other"),
		OPT_HELP(),
		OPT_END(),
	};
	int rc;
	int n = opts_parse_or_exit(&diff_cmd, table, argc, argv, &rc);
	if (n < 0)
		return rc;
	if (n > 2) {
		opts_error(&diff_cmd, "two profiles only (BEFORE AFTER), got a third: '%s'", argv[2]);
		return EX_USAGE;
	}
	if (n != 2) {
		opts_error(&diff_cmd, "need two profiles, BEFORE and AFTER (see 'prowl diff --help')");
		return EX_USAGE;
	}
	const char *in[2] = { argv[0], argv[1] };
	const char *path = out.path ? out.path : "-";
	/* .txt means the text diff here (it means folded stacks elsewhere). */
	enum format f = FORMAT_REPORT;
	size_t len = strlen(path);
	if (out.format == FORMAT_NONE && len >= 4 && !strcasecmp(path + len - 4, ".txt")) {
		f = FORMAT_REPORT;
	} else {
		struct strbuf err;
		strbuf_init(&err);
		if (opts_output_format(&out, FORMAT_REPORT, FORMAT_NONE, &f, &err)) {
			opts_error(&diff_cmd, "%s", err.buf);
			strbuf_release(&err);
			return EX_USAGE;
		}
		strbuf_release(&err);
	}
	if (f != FORMAT_SVG && f != FORMAT_REPORT && f != FORMAT_COLLAPSED) {
		opts_error(&diff_cmd, "cannot write a diff as %s (use .svg, .txt, -f report or -f folded)",
			   format_name(f));
		return EX_USAGE;
	}
	struct profile *before = load(in[0]);
	if (!before)
		return exit_code(EXIT_INPUT, errno);
	struct profile *after = load(in[1]);
	if (!after) {
		int e = errno;
		profile_free(before);
		return exit_code(EXIT_INPUT, e);
	}
	struct job j = { before, after, f, &out.w };
	int r = atomic_write_file(path, NULL, run, &j, NULL);
	profile_free(before);
	profile_free(after);
	if (r < 0) {
		if (!strcmp(path, "-"))
			opts_error(&diff_cmd, "cannot write to stdout: %s", errstr(r));
		else
			opts_error(&diff_cmd, "cannot write %s: %s (the old file, if any, is unchanged)", path,
				   errstr(r));
		return exit_code_output(path, r);
	}
	return EX_OK;
}
