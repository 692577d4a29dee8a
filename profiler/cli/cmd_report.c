/*
 * prowl report FILE: the top functions by self and by total samples of any
 * profile prowl reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/errstr.h"
#include "profiler/cli/cmds.h"
#include "profiler/cli/opts.h"
#include "formats/format.h"

static const char *const report_usage[] = { "[options] FILE", NULL };
static const struct opts_example report_examples[] = {
	{ "report prof.pb.gz --top 30", "the 30 hottest functions by self and by total samples" },
	{ "report prof.folded --lines", "one row per function:line" },
	{ "report perf.txt -f report -o top.report", "the report of `perf script` text, into a file" },
	{ NULL, NULL },
};
const struct opts_cmd report_cmd = {
	.name = "report",
	.summary = "print the top functions of a profile file",
	.usage = report_usage,
	.description = "FILE: collapsed stacks, perf script text, pprof or speedscope (- for stdin).\n\n"
		       "With -f FORMAT (or -o FILE with a profile format's extension) it writes that format instead,\n"
		       "as convert; -o with any other name writes the report there.",
	.examples = report_examples,
	.notes = "exit status: 0, 64 usage, 66 unreadable input, 73 -o not written, 74 stdout not written",
	.args = OPTS_ARGS_MIXED,
};

int cmd_report(int argc, char **argv)
{
	struct output_opts out = { 0 };
	bool by_command = false;
	const struct opt table[] = {
		OPTS_TOP(&out),
		OPT_FLAG(0, "by-command", &by_command, "rows are commands (cc1, make...), not functions: a profile of "
			 "several processes (record -a, children, several -p)"),
		OPTS_MOVED('n', NULL, "use --top N for rows (-n counts snapshots in prowl top)"),
		OPTS_OUTPUT(&out, "write to FILE (default stdout); format from the extension"),
		OPT_GROUP("other"),
		OPT_HELP(),
		OPT_END(),
	};
	int rc;
	int n = opts_parse_or_exit(&report_cmd, table, argc, argv, &rc);
	if (n < 0)
		return rc;
	if (n == 0) {
		opts_error(&report_cmd, "need a profile file (see 'prowl report --help')");
		return EX_USAGE;
	}
	if (n > 1) {
		opts_error(&report_cmd, "one profile only, got '%s' and '%s'", argv[0], argv[1]);
		return EX_USAGE;
	}
	const char *in = argv[0];
	enum format f;
	struct strbuf err;
	strbuf_init(&err);
	if (opts_output_format(&out, FORMAT_REPORT, FORMAT_NONE, &f, &err)) {
		opts_error(&report_cmd, "%s", err.buf);
		strbuf_release(&err);
		return EX_USAGE;
	}
	strbuf_release(&err);
	struct profile *p = profile_read(in);
	if (!p) {
		int e = errno;
		if (e == EINVAL)
			opts_error(&report_cmd, "%s is not a profile prowl can read (collapsed stacks, perf script text, pprof or speedscope)", in);
		else
			opts_error(&report_cmd, "cannot read %s: %s", in, errstr(e));
		return exit_code(EXIT_INPUT, e);
	}
	if (by_command) {
		struct profile *q = profile_by_command(p);
		profile_free(p);
		p = q;
	}
	const char *path = out.path ? out.path : "-";
	int r = profile_write(p, f, path, &out.w);
	profile_free(p);
	if (r < 0) {
		if (!strcmp(path, "-"))
			opts_error(&report_cmd, "cannot write to stdout: %s", errstr(r));
		else
			opts_error(&report_cmd, "cannot write %s: %s (the old file, if any, is unchanged)", path, errstr(r));
		return exit_code_output(path, r);
	}
	return EX_OK;
}
