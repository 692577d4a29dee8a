/* Unit tests for profiler/cli/opts.c (the one option parser and the help it
 * prints) and profiler/cli/exit.c (the failure -> exit status table). The
 * capture options' argv spelling is checked here too: their values are
 * checked in tests/test_capture.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/cli/exit.h"
#include "profiler/cli/opts.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static const char *const usage_lines[] = { "[options] FILE", "[options] -- COMMAND", NULL };
static const struct opts_example examples[] = {
	{ "t -v file", "does the thing to file" },
	{ NULL, NULL },
};
static struct opts_cmd mixed = {
	.name = "t",
	.summary = "a test command",
	.usage = usage_lines,
	.description = "What it is for.",
	.examples = examples,
	.notes = "exit status: 0",
	.args = OPTS_ARGS_MIXED,
};

struct vals {
	bool verbose, all, quiet, color;
	int count;
	const char *name;
	int calls;
	char seen[8][16];
};

static int record_cb(const struct opt *o, const char *arg, struct strbuf *err)
{
	struct vals *v = o->value;
	if (arg && !strcmp(arg, "bad")) {
		strbuf_addf(err, "bad value for --%s", o->long_name);
		return -1;
	}
	if (v->calls < 8)
		snprintf(v->seen[v->calls], sizeof(v->seen[0]), "%s", arg ? arg : "(null)");
	v->calls++;
	return 0;
}

#define TABLE(v)                                                                                          \
	const struct opt table[] = {                                                                       \
		OPT_GROUP("first"),                                                                        \
		OPT_FLAG('v', "verbose", &(v).verbose, "say more"),                                        \
		OPT_FLAG('a', "all", &(v).all, "everything"),                                              \
		OPT_FLAG('q', "quiet", &(v).quiet, "say less"),                                            \
		OPT_INT('n', "count", &(v).count, "N", 1, 100, "how many"),                                \
		OPT_STRING('s', "name", &(v).name, "NAME", "a name"),                                      \
		OPT_CALLBACK('x', "extra", &(v), "X", "repeatable", record_cb, 0),                         \
		OPT_GROUP("second"),                                                                       \
		{ .kind = OPT_KIND_FLAG, .long_name = "color", .value = &(v).color, .argh = "WHEN",         \
		  .help = "colour", .flags = OPT_OPTARG },                                                  \
		{ .kind = OPT_KIND_FLAG, .long_name = "colour-old", .value = &(v).color, .help = "old",     \
		  .flags = OPT_HIDDEN },                                                                    \
		OPT_HELP(),                                                                                \
		OPT_END(),                                                                                 \
	}

static int parse(struct opts_cmd *cmd, struct vals *v, int argc, char **argv, struct strbuf *err)
{
	TABLE(*v);
	strbuf_reset(err);
	return opts_parse(cmd, table, argc, argv, err);
}

static void test_spellings(void **state)
{
	(void)state;
	struct vals v = { 0 };
	struct strbuf err;
	strbuf_init(&err);
	char *argv[] = { "t", "--count=7", "-s", "one", "in.txt", "-x1", "--extra", "2", "--ext=3", "-vq", NULL };
	assert_int_equal(parse(&mixed, &v, ARGC(argv), argv, &err), 1);
	assert_string_equal(argv[0], "in.txt");
	assert_null(argv[1]);
	assert_int_equal(v.count, 7);
	assert_string_equal(v.name, "one");
	assert_true(v.verbose && v.quiet);
	assert_false(v.all);
	/* Repeated: the callback sees each value in order (-x1, --extra 2, a prefix --ext=3). */
	assert_int_equal(v.calls, 3);
	assert_string_equal(v.seen[0], "1");
	assert_string_equal(v.seen[1], "2");
	assert_string_equal(v.seen[2], "3");
	strbuf_release(&err);
}

static void test_combined_short_with_value(void **state)
{
	(void)state;
	struct vals v = { 0 };
	struct strbuf err;
	strbuf_init(&err);
	/* Flags, then one that takes a value: the rest of the cluster, or the next word. */
	char *a1[] = { "t", "-van5", NULL };
	assert_int_equal(parse(&mixed, &v, ARGC(a1), a1, &err), 0);
	assert_true(v.verbose && v.all);
	assert_int_equal(v.count, 5);
	char *a2[] = { "t", "-qs", "-", NULL };
	assert_int_equal(parse(&mixed, &v, ARGC(a2), a2, &err), 0);
	assert_string_equal(v.name, "-"); /* a value may look like an option */
	strbuf_release(&err);
}

static void test_operands(void **state)
{
	(void)state;
	struct vals v = { 0 };
	struct strbuf err;
	strbuf_init(&err);
	/* A lone "-" is an operand; after "--" everything is. */
	char *a1[] = { "t", "a", "-", "-v", "b", "--", "-q", "--count=1", NULL };
	assert_int_equal(parse(&mixed, &v, ARGC(a1), a1, &err), 5);
	assert_string_equal(a1[0], "a");
	assert_string_equal(a1[1], "-");
	assert_string_equal(a1[2], "b");
	assert_string_equal(a1[3], "-q");
	assert_string_equal(a1[4], "--count=1");
	assert_true(v.verbose);
	assert_false(v.quiet);
	assert_int_equal(v.count, 0);
	/* A command to launch: options end at its name, and its own options are its own. */
	struct opts_cmd launch = mixed;
	launch.args = OPTS_ARGS_COMMAND;
	memset(&v, 0, sizeof(v));
	char *a2[] = { "t", "-v", "sleep", "-q", "1", NULL };
	assert_int_equal(parse(&launch, &v, ARGC(a2), a2, &err), 3);
	assert_string_equal(a2[0], "sleep");
	assert_string_equal(a2[1], "-q");
	assert_true(v.verbose);
	assert_false(v.quiet);
	char *a3[] = { "t", "--", "-q", NULL };
	assert_int_equal(parse(&launch, &v, ARGC(a3), a3, &err), 1);
	assert_string_equal(a3[0], "-q");
	strbuf_release(&err);
}

static void expect_error(char **argv, int argc, const char *words)
{
	struct vals v = { 0 };
	struct strbuf err;
	strbuf_init(&err);
	assert_int_equal(parse(&mixed, &v, argc, argv, &err), OPTS_USAGE);
	if (!strstr(err.buf, words))
		fail_msg("message '%s' lacks '%s'", err.buf, words);
	assert_null(strchr(err.buf, '\n'));
	strbuf_release(&err);
}

static void test_errors(void **state)
{
	(void)state;
	char *a1[] = { "t", "--bogus", NULL };
	expect_error(a1, ARGC(a1), "unknown option --bogus (see 'prowl t --help')");
	char *a2[] = { "t", "-vZ", NULL };
	expect_error(a2, ARGC(a2), "unknown option -Z");
	char *a3[] = { "t", "-n", NULL };
	expect_error(a3, ARGC(a3), "option -n needs a value (N)");
	char *a4[] = { "t", "--name", NULL };
	expect_error(a4, ARGC(a4), "option --name needs a value (NAME)");
	char *a5[] = { "t", "--count", "0", NULL };
	expect_error(a5, ARGC(a5), "invalid --count '0' (expected a whole number from 1 to 100)");
	char *a6[] = { "t", "-n", "12x", NULL };
	expect_error(a6, ARGC(a6), "invalid -n '12x'");
	char *a7[] = { "t", "--verbose=yes", NULL };
	expect_error(a7, ARGC(a7), "option --verbose takes no value");
	char *a8[] = { "t", "--co", NULL }; /* --count or --color */
	expect_error(a8, ARGC(a8), "ambiguous option --co");
	char *a9[] = { "t", "-x", "bad", NULL };
	expect_error(a9, ARGC(a9), "bad value for --extra");
	char *a10[] = { "t", "--count", "99999999999999999999", NULL };
	expect_error(a10, ARGC(a10), "invalid --count");
}

static void test_optional_value_and_hidden(void **state)
{
	(void)state;
	struct vals v = { 0 };
	struct strbuf err;
	strbuf_init(&err);
	char *a1[] = { "t", "--color=always", "x", NULL };
	assert_int_equal(parse(&mixed, &v, ARGC(a1), a1, &err), 1);
	assert_true(v.color);
	assert_string_equal(a1[0], "x"); /* a bare --color does not eat the next word */
	memset(&v, 0, sizeof(v));
	char *a2[] = { "t", "--color", "x", NULL };
	assert_int_equal(parse(&mixed, &v, ARGC(a2), a2, &err), 1);
	assert_true(v.color);
	/* Hidden options still parse (old spellings keep working). */
	memset(&v, 0, sizeof(v));
	char *a3[] = { "t", "--colour-old", NULL };
	assert_int_equal(parse(&mixed, &v, ARGC(a3), a3, &err), 0);
	assert_true(v.color);
	strbuf_release(&err);
}

static void test_help_from_the_table(void **state)
{
	(void)state;
	struct vals v = { 0 };
	struct strbuf err;
	strbuf_init(&err);
	char *a1[] = { "t", "-v", "--help", "--bogus", NULL };
	assert_int_equal(parse(&mixed, &v, ARGC(a1), a1, &err), OPTS_HELP);
	char *a2[] = { "t", "-h", NULL };
	assert_int_equal(parse(&mixed, &v, ARGC(a2), a2, &err), OPTS_HELP);
	strbuf_release(&err);

	TABLE(v);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	opts_help(&mixed, table, f);
	fclose(f);
	static const char *const want[] = {
		"usage: prowl t [options] FILE\n", "       prowl t [options] -- COMMAND\n", "\na test command\n",
		"\nWhat it is for.\n", "\nfirst:\n", "  -v, --verbose", "  -n, --count N", "  -s, --name NAME",
		"      --color[=WHEN]", "\nsecond:\n", "  -h, --help", "examples:\n  prowl t -v file\n      does the thing to file\n",
		"\nexit status: 0\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(text, want[i]))
			fail_msg("help lacks '%s':\n%s", want[i], text);
	assert_null(strstr(text, "colour-old"));
	/* Every line fits a terminal, except where one word is longer. */
	for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1)
		assert_true(nl - line <= 79);
	free(text);
}

/* The capture group as record, top and dump use it. */
static void test_capture_group(void **state)
{
	(void)state;
	struct capture_opts co;
	capture_opts_init(&co);
	struct output_opts out = { 0 };
	const struct opt table[] = { OPTS_CAPTURE(&co), OPTS_OUTPUT(&out, "where"), OPT_HELP(), OPT_END() };
	struct opts_cmd rec = mixed;
	rec.args = OPTS_ARGS_COMMAND;
	struct strbuf err;
	strbuf_init(&err);
	char *argv[] = { "record", "-F", "499", "--duration", "2.5", "--stack-size=32k", "--unwind", "fp",
			 "--kernel", "--thread", "^work", "--children", "--backend", "ptrace", "--mode", "wall",
			 "--max-depth", "64", "-o", "x.svg", "--threads", "--", "./prog", "-F", "1", NULL };
	int n = opts_parse(&rec, table, ARGC(argv), argv, &err);
	assert_int_equal(n, 3);
	assert_int_equal(opts_capture_finish(&co, n, argv, &err), 0);
	assert_int_equal(co.freq, 499);
	assert_true(co.duration > 2.49 && co.duration < 2.51);
	assert_int_equal(co.stack_size, 32768);
	assert_int_equal(co.unwind, CAPTURE_UNWIND_FP);
	assert_true(co.kernel && co.children);
	assert_string_equal(co.thread_regex, "^work");
	assert_int_equal(co.backend, CAPTURE_BACKEND_PTRACE);
	assert_int_equal(co.mode, CAPTURE_MODE_WALL);
	assert_int_equal(co.max_depth, 64);
	assert_string_equal(out.path, "x.svg");
	assert_true(out.w.threads);
	assert_string_equal(co.argv[0], "./prog");
	assert_string_equal(co.argv[1], "-F");
	assert_string_equal(co.argv[2], "1");
	assert_null(co.argv[3]);
	capture_opts_release(&co);

	/* Several -p, in every spelling. */
	capture_opts_init(&co);
	char *a2[] = { "top", "-p", "12", "--pid", "34", "-p34", "--pid=5", NULL };
	n = opts_parse(&rec, table, ARGC(a2), a2, &err);
	assert_int_equal(n, 0);
	assert_int_equal(opts_capture_finish(&co, n, a2, &err), 0);
	assert_int_equal(co.npids, 4);
	assert_int_equal(co.pids[0], 12);
	assert_int_equal(co.pids[3], 5);
	assert_null(co.argv);
	capture_opts_release(&co);

	/* The value's message comes from capture, whole. */
	capture_opts_init(&co);
	char *a3[] = { "record", "-p", "abc", NULL };
	strbuf_reset(&err);
	assert_int_equal(opts_parse(&rec, table, ARGC(a3), a3, &err), OPTS_USAGE);
	assert_string_equal(err.buf, "invalid pid 'abc' (expected a process id)");
	char *a4[] = { "record", "-d", "2", NULL };
	strbuf_reset(&err);
	assert_int_equal(opts_parse(&rec, table, ARGC(a4), a4, &err), 0);
	assert_int_equal(opts_capture_finish(&co, 0, a4, &err), OPTS_USAGE);
	assert_non_null(strstr(err.buf, "nothing to profile"));
	char *a5[] = { "record", "-p", "1", "true", NULL };
	strbuf_reset(&err);
	n = opts_parse(&rec, table, ARGC(a5), a5, &err);
	assert_int_equal(n, 1);
	assert_int_equal(opts_capture_finish(&co, n, a5, &err), OPTS_USAGE);
	assert_non_null(strstr(err.buf, "not both"));
	capture_opts_release(&co);
	strbuf_release(&err);
}

static void test_output_format(void **state)
{
	(void)state;
	struct strbuf err;
	strbuf_init(&err);
	enum format f;
	struct output_opts out = { 0 };
	assert_int_equal(opts_output_format(&out, FORMAT_REPORT, FORMAT_NONE, &f, &err), 0);
	assert_int_equal(f, FORMAT_REPORT); /* no -o: stdout, the command's default */
	out.path = "-";
	assert_int_equal(opts_output_format(&out, FORMAT_COLLAPSED, FORMAT_NONE, &f, &err), 0);
	assert_int_equal(f, FORMAT_COLLAPSED);
	out.path = "a/b.PB.GZ";
	assert_int_equal(opts_output_format(&out, FORMAT_COLLAPSED, FORMAT_NONE, &f, &err), 0);
	assert_int_equal(f, FORMAT_PPROF);
	/* An extension that names no format is refused, with the list... */
	out.path = "out.xyz";
	assert_int_equal(opts_output_format(&out, FORMAT_COLLAPSED, FORMAT_NONE, &f, &err), OPTS_USAGE);
	assert_non_null(strstr(err.buf, "cannot tell the format of 'out.xyz'"));
	assert_non_null(strstr(err.buf, "svg, folded, speedscope, pprof or report"));
	/* report's own product is text: any other name gets the report. */
	assert_int_equal(opts_output_format(&out, FORMAT_REPORT, FORMAT_REPORT, &f, &err), 0);
	assert_int_equal(f, FORMAT_REPORT);
	/* ...unless -f says which. */
	out.format = FORMAT_SVG;
	assert_int_equal(opts_output_format(&out, FORMAT_COLLAPSED, FORMAT_NONE, &f, &err), 0);
	assert_int_equal(f, FORMAT_SVG);

	/* -f and --top through the table. */
	struct output_opts o2 = { 0 };
	const struct opt table[] = { OPTS_OUTPUT(&o2, "where"), OPTS_TOP(&o2), OPT_END() };
	char *a1[] = { "report", "-f", "pprof", "--top", "999999999", NULL };
	strbuf_reset(&err);
	assert_int_equal(opts_parse(&mixed, table, ARGC(a1), a1, &err), 0);
	assert_int_equal(o2.format, FORMAT_PPROF);
	assert_int_equal(o2.w.top, 100000); /* more rows than any profile has: all of them */
	/* perf script text is written too (it was read only before). */
	char *a2[] = { "report", "-f", "perf-script", NULL };
	strbuf_reset(&err);
	assert_int_equal(opts_parse(&mixed, table, ARGC(a2), a2, &err), 0);
	assert_int_equal(o2.format, FORMAT_PERF_SCRIPT);
	char *a2b[] = { "report", "-f", "perfscript", NULL };
	strbuf_reset(&err);
	assert_int_equal(opts_parse(&mixed, table, ARGC(a2b), a2b, &err), OPTS_USAGE);
	assert_non_null(strstr(err.buf, "unknown format 'perfscript'"));
	char *a3[] = { "report", "-o", "", NULL };
	strbuf_reset(&err);
	assert_int_equal(opts_parse(&mixed, table, ARGC(a3), a3, &err), OPTS_USAGE);
	assert_non_null(strstr(err.buf, "-o needs a file name"));
	char *a4[] = { "report", "--top", "0", NULL };
	strbuf_reset(&err);
	assert_int_equal(opts_parse(&mixed, table, ARGC(a4), a4, &err), OPTS_USAGE);
	assert_non_null(strstr(err.buf, "invalid --top '0'"));
	strbuf_release(&err);
}

static void test_moved_option(void **state)
{
	(void)state;
	struct output_opts out = { 0 };
	const struct opt table[] = { OPTS_TOP(&out), OPTS_MOVED('n', NULL, "use --top N for rows"), OPT_END() };
	struct strbuf err;
	strbuf_init(&err);
	char *a1[] = { "report", "-n", "5", "f", NULL };
	assert_int_equal(opts_parse(&mixed, table, ARGC(a1), a1, &err), OPTS_USAGE);
	assert_string_equal(err.buf, "-n is not an option here: use --top N for rows");
	strbuf_release(&err);
}

static void test_exit_table(void **state)
{
	(void)state;
	/* The same failure, the same status, whichever sign the errno has. */
	assert_int_equal(exit_code(EXIT_LAUNCH, -ENOENT), 127);
	assert_int_equal(exit_code(EXIT_LAUNCH, ENOENT), 127);
	assert_int_equal(exit_code(EXIT_LAUNCH, -EACCES), 126);
	assert_int_equal(exit_code(EXIT_LAUNCH, -ENOEXEC), 126);
	assert_int_equal(exit_code(EXIT_LAUNCH, -EISDIR), 126);
	assert_int_equal(exit_code(EXIT_LAUNCH, -EPERM), 77);
	assert_int_equal(exit_code(EXIT_LAUNCH, -ESRCH), 66);
	assert_int_equal(exit_code(EXIT_TARGET, -ESRCH), 66);
	assert_int_equal(exit_code(EXIT_TARGET, -ENOENT), 66);
	assert_int_equal(exit_code(EXIT_TARGET, -EPERM), 77);
	assert_int_equal(exit_code(EXIT_TARGET, -EACCES), 77);
	assert_int_equal(exit_code(EXIT_TARGET, -ENOSYS), 69);
	assert_int_equal(exit_code(EXIT_TARGET, -EOPNOTSUPP), 69);
	assert_int_equal(exit_code(EXIT_INPUT, -ENOENT), 66);
	assert_int_equal(exit_code(EXIT_INPUT, -EINVAL), 66);
	assert_int_equal(exit_code(EXIT_INPUT, -EISDIR), 66);
	assert_int_equal(exit_code(EXIT_OUTPUT, -ENOSPC), 73);
	assert_int_equal(exit_code(EXIT_OUTPUT, -ENOENT), 73);
	assert_int_equal(exit_code(EXIT_STDOUT, -ENOSPC), 74);
	assert_int_equal(exit_code(EXIT_STDOUT, -EPIPE), 74);
	assert_int_equal(exit_code(EXIT_TARGET, 0), 69); /* no reason given: unavailable, never 0 */
	assert_int_equal(exit_code_output("-", -ENOSPC), 74);
	assert_int_equal(exit_code_output("x.svg", -ENOSPC), 73);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_combined_short_with_value),
		cmocka_unit_test(test_operands),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_optional_value_and_hidden),
		cmocka_unit_test(test_help_from_the_table),
		cmocka_unit_test(test_capture_group),
		cmocka_unit_test(test_output_format),
		cmocka_unit_test(test_moved_option),
		cmocka_unit_test(test_exit_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
