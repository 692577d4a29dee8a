/* Unit tests for profiler/capture/capture.c: the capture options shared by
 * record, top and dump, their defaults and the validation of each value. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/capture/capture.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

/* Sets "which=value" pairs the way the command line hands them over; stops at
 * the first refusal (64, message in err). The spelling of the options (-F,
 * --freq=, combined flags, "--") is the parser's: tests/test_opts.c. */
struct setting {
	enum capture_opt which;
	const char *value;
};

static int apply(struct capture_opts *co, const struct setting *s, size_t n, char *err, size_t errlen)
{
	err[0] = 0;
	for (size_t i = 0; i < n; i++)
		if (capture_opts_set(co, s[i].which, s[i].value, err, errlen))
			return 64;
	return capture_opts_check(co, err, errlen) ? 64 : 0;
}
#define APPLY(co, s, err) apply(co, s, sizeof(s) / sizeof((s)[0]), err, sizeof(err))

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
	assert_int_equal(co.max_stacks, CAPTURE_DEFAULT_MAX_STACKS);
	capture_opts_release(&co);
}

static void test_every_option(void **state)
{
	(void)state;
	static const struct setting set[] = {
		{ CAPTURE_OPT_FREQ, "499" }, { CAPTURE_OPT_DURATION, "2.5" }, { CAPTURE_OPT_STACK_SIZE, "32k" },
		{ CAPTURE_OPT_UNWIND, "fp" }, { CAPTURE_OPT_KERNEL, NULL }, { CAPTURE_OPT_THREAD, "^work" },
		{ CAPTURE_OPT_CHILDREN, NULL }, { CAPTURE_OPT_BACKEND, "ptrace" }, { CAPTURE_OPT_MODE, "wall" },
		{ CAPTURE_OPT_MAX_DEPTH, "64" }, { CAPTURE_OPT_MAX_STACKS, "2k" },
	};
	char *cmd[] = { "./prog", "-F", "1", NULL };
	struct capture_opts co;
	capture_opts_init(&co);
	capture_opts_set_command(&co, ARGC(cmd), cmd);
	char err[256];
	assert_int_equal(APPLY(&co, set, err), 0);
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
	assert_int_equal(co.max_stacks, 2048);
	/* The command is copied with its own options. */
	assert_non_null(co.argv);
	assert_true(co.argv[0] != cmd[0]);
	assert_string_equal(co.argv[0], "./prog");
	assert_string_equal(co.argv[1], "-F");
	assert_string_equal(co.argv[2], "1");
	assert_null(co.argv[3]);
	capture_opts_release(&co);
}

static void test_stack_size_rounding(void **state)
{
	(void)state;
	struct capture_opts co;
	capture_opts_init(&co);
	char err[128];
	/* 64k is what people type: perf's limit is 8 bytes less. */
	assert_int_equal(capture_opts_set(&co, CAPTURE_OPT_STACK_SIZE, "64k", err, sizeof(err)), 0);
	assert_int_equal(co.stack_size, CAPTURE_MAX_STACK);
	assert_int_equal(capture_opts_set(&co, CAPTURE_OPT_STACK_SIZE, "1001", err, sizeof(err)), 0);
	assert_int_equal(co.stack_size, 1000);
	capture_opts_release(&co);
}

static void test_several_pids(void **state)
{
	(void)state;
	static const struct setting set[] = { { CAPTURE_OPT_PID, "12" }, { CAPTURE_OPT_PID, "34" }, { CAPTURE_OPT_PID, "34" } };
	struct capture_opts co;
	capture_opts_init(&co);
	char err[256];
	assert_int_equal(APPLY(&co, set, err), 0);
	assert_int_equal(co.npids, 3);
	assert_int_equal(co.pids[0], 12);
	assert_int_equal(co.pids[1], 34);
	assert_null(co.argv);
	capture_opts_release(&co);
}

static void expect_usage(enum capture_opt which, const char *value, bool command, const char *words)
{
	struct capture_opts co;
	capture_opts_init(&co);
	char *cmd[] = { "x", NULL };
	if (command)
		capture_opts_set_command(&co, 1, cmd);
	char err[256];
	struct setting s = { which, value };
	assert_int_equal(apply(&co, &s, which ? 1 : 0, err, sizeof(err)), 64);
	assert_int_equal(errno, EINVAL);
	if (!strstr(err, words))
		fail_msg("message '%s' lacks '%s'", err, words);
	capture_opts_release(&co);
}

static void test_usage_errors(void **state)
{
	(void)state;
	expect_usage(CAPTURE_OPT_PID, "abc", false, "invalid pid 'abc'");
	expect_usage(CAPTURE_OPT_PID, "-5", false, "invalid pid");
	expect_usage(CAPTURE_OPT_PID, "0", false, "invalid pid");
	expect_usage(CAPTURE_OPT_FREQ, "0", true, "frequency");
	expect_usage(CAPTURE_OPT_FREQ, "1e3", true, "frequency");
	expect_usage(CAPTURE_OPT_DURATION, "-1", true, "duration");
	expect_usage(CAPTURE_OPT_DURATION, "nan", true, "duration");
	expect_usage(CAPTURE_OPT_STACK_SIZE, "70000", true, "stack size");
	expect_usage(CAPTURE_OPT_UNWIND, "lbr", true, "dwarf or fp");
	expect_usage(CAPTURE_OPT_THREAD, "([", true, "regex");
	expect_usage(CAPTURE_OPT_BACKEND, "ebpf", true, "backend");
	expect_usage(CAPTURE_OPT_MODE, "off", true, "cpu or wall");
	expect_usage(CAPTURE_OPT_PID, "1", true, "not both");
	expect_usage(CAPTURE_OPT_DURATION, "2", false, "nothing to profile");
	expect_usage(CAPTURE_OPT_MAX_DEPTH, "0", true, "depth");
	expect_usage(CAPTURE_OPT_MAX_STACKS, "0", true, "max stacks");
	expect_usage(CAPTURE_OPT_MAX_STACKS, "2000000000", true, "max stacks");
	expect_usage(CAPTURE_OPT_FREQ, NULL, true, "frequency"); /* a value that never came */
}

static void test_not_mine_and_names(void **state)
{
	(void)state;
	struct capture_opts co;
	capture_opts_init(&co);
	char err[64];
	/* A key capture does not know is refused, not ignored. */
	assert_int_equal(capture_opts_set(&co, (enum capture_opt)0, "x", err, sizeof(err)), -EINVAL);
	assert_int_equal(capture_opts_set(&co, (enum capture_opt)999, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(capture_unwind_name(CAPTURE_UNWIND_FP), "fp");
	assert_string_equal(capture_backend_name(CAPTURE_BACKEND_PERF), "perf");
	assert_string_equal(capture_mode_name(CAPTURE_MODE_WALL), "wall");
	capture_opts_release(&co);
}

/* A launched command's children are followed unless --no-children; -p
 * alone does not follow them unless --children; -t TIDs add up. */
static void test_children_default_and_tids(void **state)
{
	(void)state;
	char *cmd[] = { "make", "-j2", NULL };
	char err[256];
	struct capture_opts co;

	capture_opts_init(&co);
	capture_opts_set_command(&co, ARGC(cmd), cmd);
	assert_true(co.children);
	capture_opts_release(&co);

	capture_opts_init(&co);
	assert_int_equal(capture_opts_set(&co, CAPTURE_OPT_NO_CHILDREN, NULL, err, sizeof(err)), 0);
	capture_opts_set_command(&co, ARGC(cmd), cmd);
	assert_false(co.children);
	capture_opts_release(&co);

	capture_opts_init(&co);
	assert_int_equal(capture_opts_set(&co, CAPTURE_OPT_PID, "42", err, sizeof(err)), 0);
	assert_false(co.children);
	assert_int_equal(capture_opts_set(&co, CAPTURE_OPT_CHILDREN, NULL, err, sizeof(err)), 0);
	assert_true(co.children);
	capture_opts_release(&co);

	capture_opts_init(&co);
	assert_int_equal(capture_opts_set(&co, CAPTURE_OPT_TID, "7", err, sizeof(err)), 0);
	assert_int_equal(capture_opts_set(&co, CAPTURE_OPT_TID, "9", err, sizeof(err)), 0);
	assert_int_equal(co.ntids, 2);
	assert_int_equal(co.tids[0], 7);
	assert_int_equal(co.tids[1], 9);
	assert_int_equal(co.npids, 0);
	assert_int_equal(capture_opts_check(&co, err, sizeof(err)), 0);
	assert_int_equal(capture_opts_set(&co, CAPTURE_OPT_TID, "0", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid thread id '0'"));
	capture_opts_set_command(&co, ARGC(cmd), cmd);
	assert_int_equal(capture_opts_check(&co, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "either -t TID or a command"));
	capture_opts_release(&co);
}

/* Options that do nothing together are named, one line each (issue 13). */
static void test_unused_combinations(void **state)
{
	(void)state;
	char err[256];
	const char *w[8];
	struct capture_opts o;
	capture_opts_init(&o);
	assert_int_equal(capture_opts_unused(&o, w, 8), 0);
	assert_int_equal(capture_opts_set(&o, CAPTURE_OPT_KERNEL, NULL, err, sizeof(err)), 0);
	assert_int_equal(capture_opts_unused(&o, w, 8), 0); /* perf takes --kernel */
	assert_int_equal(capture_opts_set(&o, CAPTURE_OPT_BACKEND, "ptrace", err, sizeof(err)), 0);
	assert_int_equal(capture_opts_unused(&o, w, 8), 1);
	assert_non_null(strstr(w[0], "--kernel does nothing with --backend ptrace"));
	assert_int_equal(capture_opts_set(&o, CAPTURE_OPT_STACK_SIZE, "8192", err, sizeof(err)), 0);
	assert_int_equal(capture_opts_set(&o, CAPTURE_OPT_UNWIND, "fp", err, sizeof(err)), 0);
	assert_int_equal(capture_opts_unused(&o, w, 8), 3);
	assert_int_equal(capture_opts_unused(&o, w, 2), 2); /* bounded by max */
	capture_opts_release(&o);

	capture_opts_init(&o);
	assert_int_equal(capture_opts_set(&o, CAPTURE_OPT_UNWIND, "fp", err, sizeof(err)), 0);
	assert_int_equal(capture_opts_unused(&o, w, 8), 0);
	assert_int_equal(capture_opts_set(&o, CAPTURE_OPT_STACK_SIZE, "32768", err, sizeof(err)), 0);
	assert_int_equal(capture_opts_unused(&o, w, 8), 1);
	assert_non_null(strstr(w[0], "--stack-size does nothing with --unwind fp"));
	for (size_t i = 0; w[0][i]; i++)
		assert_true(w[0][i] != '\n');
	capture_opts_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_stack_size_rounding),
		cmocka_unit_test(test_several_pids),
		cmocka_unit_test(test_children_default_and_tids),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_not_mine_and_names),
		cmocka_unit_test(test_unused_combinations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
