/* Unit tests for profiler/cli/manpage.c (roff from the option tables) and
 * profiler/cli/completion.c (completion scripts from the same tables). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/cli/completion.h"
#include "profiler/cli/exit.h"
#include "profiler/cli/manpage.h"
#include "profiler/cli/opts.h"

/* What fn writes, as a malloc'd string. */
#define CAPTURE(buf, stmt)                                                                                     \
	do {                                                                                                   \
		size_t len_;                                                                                   \
		FILE *out = open_memstream(&(buf), &len_);                                                     \
		assert_non_null(out);                                                                          \
		stmt;                                                                                          \
		assert_int_equal(fclose(out), 0);                                                              \
	} while (0)

static void test_text_escapes(void **state)
{
	(void)state;
	char *s = NULL;
	CAPTURE(s, manpage_text(out, ".dot first\n'quote first\nback\\slash --long -x `cmd` \"q\""));
	assert_string_equal(s, "\\&.dot first\n\\&\\(aqquote first\n"
			       "back\\eslash \\-\\-long \\-x \\(gacmd\\(ga \\(dqq\\(dq\n");
	free(s);
	/* A blank line is a paragraph; leading spaces would break the fill. */
	CAPTURE(s, manpage_text(out, "one\n\n  .two"));
	assert_string_equal(s, "one\n.PP\n\\&.two\n");
	free(s);
}

static bool flag_a, flag_b;
static const char *str;
static int cb(const struct opt *o, const char *arg, struct strbuf *err)
{
	(void)o, (void)arg, (void)err;
	return 0;
}
static const struct opt table[] = {
	OPT_GROUP("first group"),
	OPT_FLAG('a', "all", &flag_a, "every \"thing\""),
	OPT_STRING('o', "output", &str, "FILE", "where to write"),
	{ .kind = OPT_KIND_FLAG, .short_name = 'C', .long_name = "demangle", .value = &flag_b, .argh = "STYLE",
	  .help = "demangle", .flags = OPT_OPTARG },
	OPT_GROUP("only hidden"),
	{ .kind = OPT_KIND_CALLBACK, .long_name = "old", .cb = cb, .help = "old spelling", .flags = OPT_HIDDEN },
	OPT_GROUP("other"),
	OPT_HELP(),
	OPT_END(),
};
static const char *const usage[] = { "[options] FILE", NULL };
static const struct opts_example ex[] = { { "t -a x", "all of x" }, { NULL, NULL } };
static const struct opts_cmd cmd = {
	.name = "t",
	.summary = "a test command",
	.usage = usage,
	.description = "What it is for.",
	.examples = ex,
	.notes = "Ctrl-C stops it.\n\nexit status: 0, 64 usage",
	.args = OPTS_ARGS_MIXED,
};

static void test_command_page(void **state)
{
	(void)state;
	struct manpage_cmd cmds[] = { { "t", cmd.summary, &cmd }, { "u", "another", &cmd }, { "v", "no table", NULL } };
	char *s = NULL;
	CAPTURE(s, manpage_command(out, &cmd, table, cmds, 3, "2026-01-02"));
	assert_non_null(strstr(s, ".TH \"PROWL\\-T\" 1 \"2026\\-01\\-02\""));
	assert_non_null(strstr(s, ".SH \"NAME\"\nprowl\\-t \\- a test command\n"));
	assert_non_null(strstr(s, "\\fBprowl t\\fR [options] FILE\n"));
	assert_non_null(strstr(s, ".SS \"First group\"\n.TP\n\\fB\\-a\\fR, \\fB\\-\\-all\\fR\nevery \\(dqthing\\(dq\n"));
	assert_non_null(strstr(s, "\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fIFILE\\fR\n"));
	assert_non_null(strstr(s, "\\fB\\-\\-demangle\\fR[=\\fISTYLE\\fR]\n"));
	/* Hidden options and a group of only hidden ones stay out. */
	assert_null(strstr(s, "old"));
	assert_null(strstr(s, "Only hidden"));
	/* The notes split: exit status to EXIT STATUS, the rest to NOTES. */
	const char *exit_at = strstr(s, ".SH \"EXIT STATUS\"\nExit status: 0, 64 usage\n");
	const char *notes_at = strstr(s, ".SH \"NOTES\"\nCtrl\\-C stops it.\n");
	assert_non_null(exit_at);
	assert_non_null(notes_at);
	assert_non_null(strstr(s, ".SH \"EXAMPLES\"\n.TP\n\\fBprowl t \\-a x\\fR\nall of x\n"));
	/* SEE ALSO: prowl(1) and the other pages, not itself, not a command without one. */
	assert_non_null(strstr(s, ".SH \"SEE ALSO\"\n.BR prowl (1),\n.BR prowl\\-u (1),\n.BR perf (1)\n"));
	free(s);
}

static void test_overview_exit_table(void **state)
{
	(void)state;
	struct manpage_cmd cmds[] = { { "t", cmd.summary, &cmd }, { "v", "no table", NULL } };
	char *s = NULL;
	CAPTURE(s, manpage_overview(out, cmds, 2, ""));
	int last = -1;
	for (const struct exit_status *e = exit_statuses; e->meaning; e++) {
		char want[32];
		assert_true(e->code > last); /* ascending, each once */
		last = e->code;
		snprintf(want, sizeof(want), ".TP\n.B %d\n", e->code);
		assert_non_null(strstr(s, want));
	}
	/* The statuses commands return (exit.h) are all in the table. */
	int codes[] = { EX_OK, EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_UNAVAILABLE, EX_SOFTWARE, EX_CANTCREAT,
			EX_IOERR, EX_NOPERM, EX_NOEXEC, EX_NOTFOUND };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const struct exit_status *e = exit_statuses;
		while (e->meaning && e->code != codes[i])
			e++;
		assert_non_null(e->meaning);
	}
	assert_non_null(strstr(s, ".TP 11\n\\fBt\\fR\n\\&a test command; see\n.BR prowl\\-t (1).\n"));
	assert_non_null(strstr(s, "\\fBv\\fR\n\\&no table.\n"));
	free(s);
}

static void test_completion_from_table(void **state)
{
	(void)state;
	struct completion_cmd cmds[] = { { "t", "a test command", OPTS_ARGS_MIXED, table },
					 { "v", "no table", OPTS_ARGS_COMMAND, NULL } };
	char *s = NULL;
	CAPTURE(s, completion_bash(out, cmds, 2));
	assert_non_null(strstr(s, "opts='-a --all -o --output -C --demangle -h --help'"));
	assert_non_null(strstr(s, "takes=' -o --output '"));
	assert_non_null(strstr(s, "t:-o|t:--output) _prowl_outfiles"));
	assert_non_null(strstr(s, "compgen -W 't v help --help --version'"));
	assert_non_null(strstr(s, "*.svg|"));
	assert_null(strstr(s, "--old"));
	assert_non_null(strstr(s, "complete -F _prowl prowl\n"));
	free(s);
	CAPTURE(s, completion_zsh(out, cmds, 2));
	assert_non_null(strstr(s, "#compdef prowl\n"));
	assert_non_null(strstr(s, "'*'{-o+,--output=}'[where to write]:FILE:_prowl_outfiles'"));
	assert_non_null(strstr(s, "'*'{-a,--all}'[every \"thing\"]'"));
	assert_non_null(strstr(s, "'v:no table'"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escapes),
		cmocka_unit_test(test_command_page),
		cmocka_unit_test(test_overview_exit_table),
		cmocka_unit_test(test_completion_from_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
