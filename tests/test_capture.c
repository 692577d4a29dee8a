/* Unit tests for profiler/capture.c: the capture options shared by record,
 * top and dump, parsed the way a command parses them. */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/capture/capture.h"

enum { KEY_MINE = 0x100 };
#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

/* Parses argv like a command with its own -o FILE and --mine; returns 0,
 * 64 for a usage error (message in err), and the command's -o in *out. */
static int parse(struct capture_opts *co, int argc, char **argv, char *err, size_t errlen, const char **out)
{
	static const struct option mine[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "mine", no_argument, NULL, KEY_MINE },
		{ NULL, 0, NULL, 0 },
	};
	char *shorts;
	struct option *longs;
	capture_getopt_build("o:", mine, &shorts, &longs);
	optind = 0; /* full reset of getopt's state between tests */
	opterr = 0;
	int c, rc = 0;
	err[0] = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		int h = capture_opts_handle(co, c, optarg, err, errlen);
		if (h == CAPTURE_OPT_USAGE) {
			rc = 64;
			break;
		}
		if (h == CAPTURE_OPT_HANDLED)
			continue;
		if (c == 'o')
			*out = optarg;
		else if (c != KEY_MINE) {
			rc = 64;
			break;
		}
	}
	if (!rc && capture_opts_finish(co, argc - optind, argv + optind, err, errlen))
		rc = 64;
	free(shorts);
	free(longs);
	return rc;
}

static void test_defaults(void **state)
{
	(void)state;
	struct capture_opts co;
	capture_opts_init(&co);
	assert_int_equal(co.freq, 999);
	assert_true(co.stack_size >= 16384);
	assert_int_equal(co.unwind, CAPTURE_UNWIND_DWARF);
	assert_int_equal(co.backend, CAPTURE_BACKEND_AUTO);
	assert_int_equal(co.mode, CAPTURE_MODE_CPU);
	assert_false(co.kernel);
	assert_true(co.max_depth > 100);
	capture_opts_release(&co);
}

static void test_full_command_line(void **state)
{
	(void)state;
	char *argv[] = { "record", "-F", "499", "--duration", "2.5", "--stack-size", "32k", "--unwind", "fp",
			 "--kernel", "--thread", "^work", "--children", "--backend", "ptrace", "--mode", "wall",
			 "--max-depth", "64", "-o", "x.svg", "--mine", "--", "./prog", "-F", "1", NULL };
	struct capture_opts co;
	capture_opts_init(&co);
	char err[256];
	const char *out = NULL;
	assert_int_equal(parse(&co, ARGC(argv), argv, err, sizeof(err), &out), 0);
	assert_int_equal(co.freq, 499);
	assert_true(co.duration > 2.49 && co.duration < 2.51);
	assert_int_equal(co.stack_size, 32768);
	assert_int_equal(co.unwind, CAPTURE_UNWIND_FP);
	assert_true(co.kernel);
	assert_string_equal(co.thread_regex, "^work");
	assert_true(co.children);
	assert_int_equal(co.backend, CAPTURE_BACKEND_PTRACE);
	assert_int_equal(co.mode, CAPTURE_MODE_WALL);
	assert_int_equal(co.max_depth, 64);
	assert_string_equal(out, "x.svg");
	/* The command keeps its own options. */
	assert_non_null(co.argv);
	assert_string_equal(co.argv[0], "./prog");
	assert_string_equal(co.argv[1], "-F");
	assert_string_equal(co.argv[2], "1");
	assert_null(co.argv[3]);
	capture_opts_release(&co);
}

static void test_command_without_dashdash(void **state)
{
	(void)state;
	/* "+" in the short options: parsing stops at the command name. */
	char *argv[] = { "record", "-d", "1", "sleep", "-x", NULL };
	struct capture_opts co;
	capture_opts_init(&co);
	char err[256];
	const char *out = NULL;
	assert_int_equal(parse(&co, ARGC(argv), argv, err, sizeof(err), &out), 0);
	assert_string_equal(co.argv[0], "sleep");
	assert_string_equal(co.argv[1], "-x");
	capture_opts_release(&co);
}

static void test_several_pids(void **state)
{
	(void)state;
	char *argv[] = { "top", "-p", "12", "--pid", "34", "-p34", NULL };
	struct capture_opts co;
	capture_opts_init(&co);
	char err[256];
	const char *out = NULL;
	assert_int_equal(parse(&co, ARGC(argv), argv, err, sizeof(err), &out), 0);
	assert_int_equal(co.npids, 3);
	assert_int_equal(co.pids[0], 12);
	assert_int_equal(co.pids[1], 34);
	assert_null(co.argv);
	capture_opts_release(&co);
}

static void expect_usage(char **argv, int argc, const char *words)
{
	struct capture_opts co;
	capture_opts_init(&co);
	char err[256];
	const char *out = NULL;
	assert_int_equal(parse(&co, argc, argv, err, sizeof(err), &out), 64);
	if (words) {
		if (!strstr(err, words))
			fail_msg("message '%s' lacks '%s'", err, words);
	}
	capture_opts_release(&co);
}

static void test_usage_errors(void **state)
{
	(void)state;
	char *a1[] = { "r", "-p", "abc", NULL };
	expect_usage(a1, ARGC(a1), "invalid pid");
	char *a2[] = { "r", "-p", "-5", NULL };
	expect_usage(a2, ARGC(a2), "invalid pid");
	char *a3[] = { "r", "-F", "0", "--", "x", NULL };
	expect_usage(a3, ARGC(a3), "frequency");
	char *a4[] = { "r", "-d", "-1", "--", "x", NULL };
	expect_usage(a4, ARGC(a4), "duration");
	char *a5[] = { "r", "--stack-size", "70000", "--", "x", NULL };
	expect_usage(a5, ARGC(a5), "stack size");
	char *a6[] = { "r", "--unwind", "lbr", "--", "x", NULL };
	expect_usage(a6, ARGC(a6), "dwarf or fp");
	char *a7[] = { "r", "--thread", "([", "--", "x", NULL };
	expect_usage(a7, ARGC(a7), "regex");
	char *a8[] = { "r", "--backend", "ebpf", "--", "x", NULL };
	expect_usage(a8, ARGC(a8), "backend");
	char *a9[] = { "r", "--mode", "off", "--", "x", NULL };
	expect_usage(a9, ARGC(a9), "cpu or wall");
	char *a10[] = { "r", "-p", "1", "--", "x", NULL };
	expect_usage(a10, ARGC(a10), "not both");
	char *a11[] = { "r", "-d", "2", NULL };
	expect_usage(a11, ARGC(a11), "nothing to profile");
	char *a12[] = { "r", "--bogus", "--", "x", NULL };
	expect_usage(a12, ARGC(a12), NULL);
	char *a13[] = { "r", "--max-depth", "0", "--", "x", NULL };
	expect_usage(a13, ARGC(a13), "depth");
	char *a14[] = { "r", "-F", NULL };
	expect_usage(a14, ARGC(a14), NULL); /* missing value */
}

static void test_not_mine_and_names(void **state)
{
	(void)state;
	struct capture_opts co;
	capture_opts_init(&co);
	char err[64];
	assert_int_equal(capture_opts_handle(&co, 'o', "x", err, sizeof(err)), CAPTURE_OPT_NOT_MINE);
	assert_int_equal(capture_opts_handle(&co, 'q', NULL, err, sizeof(err)), CAPTURE_OPT_NOT_MINE);
	assert_string_equal(capture_unwind_name(CAPTURE_UNWIND_FP), "fp");
	assert_string_equal(capture_backend_name(CAPTURE_BACKEND_PERF), "perf");
	assert_string_equal(capture_mode_name(CAPTURE_MODE_WALL), "wall");
	capture_opts_release(&co);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_command_line),
		cmocka_unit_test(test_command_without_dashdash),
		cmocka_unit_test(test_several_pids),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_not_mine_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
