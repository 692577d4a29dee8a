/* Unit tests for profiler/capture/offcpu.c: the parser of
 * /proc/PID/task/TID/syscall on canned text (the three forms the kernel
 * prints and what it never prints), the state a blocked call gives, the
 * names of the pseudo-frames and the packing of a state with its call. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/capture/offcpu.h"

static void test_parse_forms(void **state)
{
	(void)state;
	struct offcpu_call c;
	const char *blocked = "232 0x4 0x7ffd5b3c1e30 0x10 0xffffffff 0x0 0x8 0x7ffd5b3c1df8 0x7f1e2a4f3e2e\n";
	assert_int_equal(offcpu_parse_syscall(blocked, strlen(blocked), &c), 0);
	assert_int_equal(c.where, OFFCPU_IN_CALL);
	assert_int_equal(c.nr, 232);
	assert_true(c.args[0] == 4 && c.args[1] == 0x7ffd5b3c1e30ull && c.args[2] == 0x10);
	assert_true(c.args[3] == 0xffffffffull && c.args[4] == 0 && c.args[5] == 8);
	assert_true(c.sp == 0x7ffd5b3c1df8ull && c.pc == 0x7f1e2a4f3e2eull);
	/* Read call 0 on fd 0, without the trailing newline, upper-case digits. */
	const char *rd = "0 0x0 0x7FFD0000 0x40 0x0 0x0 0x0 0x7FFC0000 0xABCDEF";
	assert_int_equal(offcpu_parse_syscall(rd, strlen(rd), &c), 0);
	assert_int_equal(c.nr, 0);
	assert_true(c.sp == 0x7ffc0000ull && c.pc == 0xabcdefull);
	assert_int_equal(offcpu_parse_syscall("running\n", 8, &c), 0);
	assert_int_equal(c.where, OFFCPU_RUNNING);
	const char *fault = "-1 0x7ffd00001000 0x401000\n";
	assert_int_equal(offcpu_parse_syscall(fault, strlen(fault), &c), 0);
	assert_int_equal(c.where, OFFCPU_NO_CALL);
	assert_true(c.sp == 0x7ffd00001000ull && c.pc == 0x401000);
	/* Only len bytes count: the rest of the buffer is not looked at. */
	assert_int_equal(offcpu_parse_syscall("runningX", 7, &c), 0);
}

static void test_parse_bad(void **state)
{
	(void)state;
	static const char *bad[] = {
		"", "\n", "runnin", "running now", "Running",
		"232 0x4 0x1 0x10 0x0 0x0 0x8 0x7ffd5b3c1df8",                 /* 7 values */
		"232 0x4 0x1 0x10 0x0 0x0 0x8 0x7ffd5b3c1df8 0x1 0x2",         /* 9 values */
		"232 4 0x1 0x10 0x0 0x0 0x8 0x7ffd5b3c1df8 0x1",               /* no 0x */
		"232 0x 0x1 0x10 0x0 0x0 0x8 0x7ffd5b3c1df8 0x1",              /* no digits */
		"232 0x4g 0x1 0x10 0x0 0x0 0x8 0x7ffd5b3c1df8 0x1",            /* junk after */
		"232 0x10000000000000000 0x1 0x10 0x0 0x0 0x8 0x7ffd5b3c1df8 0x1", /* 17 digits */
		"-2 0x1 0x2", "-1 0x1", "-1 0x1 0x2 0x3", "x 0x1 0x2", "-", "99999999999999999999 0x1 0x2",
		"232\t0x4", "-1 0x1 0x2 junk",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct offcpu_call c;
		memset(&c, 0x5a, sizeof(c));
		errno = 0;
		int r = offcpu_parse_syscall(bad[i], strlen(bad[i]), &c);
		if (r != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(c.where, OFFCPU_RUNNING); /* cleared, never half filled */
		assert_true(c.sp == 0 && c.pc == 0);
	}
}

static enum sample_state state_of(long nr, int *named)
{
	struct offcpu_call c = { .where = OFFCPU_IN_CALL, .nr = nr };
	return offcpu_state(&c, named);
}

static void test_states(void **state)
{
	(void)state;
	int nr;
	char buf[48];
	assert_int_equal(state_of(0, &nr), SAMPLE_STATE_IO);        /* read */
	assert_int_equal(nr, -1);
	assert_int_equal(state_of(202, &nr), SAMPLE_STATE_LOCK);    /* futex */
	assert_int_equal(state_of(232, &nr), SAMPLE_STATE_POLL);    /* epoll_wait */
	assert_int_equal(state_of(7, &nr), SAMPLE_STATE_POLL);      /* poll */
	assert_int_equal(state_of(23, &nr), SAMPLE_STATE_POLL);     /* select */
	assert_int_equal(state_of(35, &nr), SAMPLE_STATE_SLEEPING); /* nanosleep */
	assert_int_equal(state_of(230, &nr), SAMPLE_STATE_SLEEPING); /* clock_nanosleep */
	assert_int_equal(state_of(128, &nr), SAMPLE_STATE_SIGNAL);  /* rt_sigtimedwait: sigwaitinfo */
	assert_int_equal(state_of(61, &nr), SAMPLE_STATE_CHILD);    /* wait4 */
	/* semtimedop: named by its call. */
	assert_int_equal(state_of(220, &nr), SAMPLE_STATE_SYSCALL);
	assert_int_equal(nr, 220);
	assert_string_equal(offcpu_state_name(SAMPLE_STATE_SYSCALL, nr, buf, sizeof(buf)), "[semtimedop]");
	/* A call prowl has no name for: its number. */
	assert_int_equal(state_of(400, &nr), SAMPLE_STATE_SYSCALL);
	assert_string_equal(offcpu_state_name(SAMPLE_STATE_SYSCALL, nr, buf, sizeof(buf)), "[syscall 400]");
	struct offcpu_call run = { .where = OFFCPU_RUNNING }, fault = { .where = OFFCPU_NO_CALL, .nr = -1 };
	assert_int_equal(offcpu_state(&run, &nr), SAMPLE_STATE_RUNNABLE);
	assert_int_equal(offcpu_state(&fault, &nr), SAMPLE_STATE_IO);
	assert_string_equal(offcpu_state_name(SAMPLE_STATE_RUNNING, -1, buf, sizeof(buf)), "[running]");
	assert_string_equal(offcpu_state_name(SAMPLE_STATE_LOCK, -1, buf, sizeof(buf)), "[lock wait]");
	assert_string_equal(offcpu_state_name(SAMPLE_STATE_POLL, -1, buf, sizeof(buf)), "[poll]");
	assert_string_equal(offcpu_state_name(SAMPLE_STATE_IO, -1, buf, sizeof(buf)), "[I/O wait]");
	assert_string_equal(offcpu_state_name(SAMPLE_STATE_SLEEPING, -1, NULL, 0), "[sleeping]");
	assert_string_equal(offcpu_syscall_name(232), "epoll_wait");
	assert_null(offcpu_syscall_name(-1));
	assert_null(offcpu_syscall_name(100000));
}

static void test_codes(void **state)
{
	(void)state;
	enum sample_state st;
	int nr;
	/* A plain state is its enum value (the --max-stacks marker relies on it). */
	assert_int_equal(offcpu_state_code(SAMPLE_STATE_SLEEPING, -1), SAMPLE_STATE_SLEEPING);
	assert_int_equal(offcpu_state_code(SAMPLE_STATE_LOCK, 220), SAMPLE_STATE_LOCK);
	uint64_t a = offcpu_state_code(SAMPLE_STATE_SYSCALL, 220), b = offcpu_state_code(SAMPLE_STATE_SYSCALL, 65);
	assert_true(a != b);
	offcpu_state_decode(a, &st, &nr);
	assert_int_equal(st, SAMPLE_STATE_SYSCALL);
	assert_int_equal(nr, 220);
	offcpu_state_decode(offcpu_state_code(SAMPLE_STATE_POLL, -1), &st, &nr);
	assert_int_equal(st, SAMPLE_STATE_POLL);
	assert_int_equal(nr, -1);
}

/* A thread on a CPU all the time, whose CPU time the kernel brings up to
 * date late (6 ms read of 10, then 14), then asleep for 10 ms: 10 ms off
 * the CPU in all, not 14. */
static void test_off_time_lagging_cpu_clock(void **state)
{
	(void)state;
	uint64_t ahead = 0, ms = 1000000;
	uint64_t a = offcpu_off_ns(10 * ms, 6 * ms, &ahead);
	uint64_t b = offcpu_off_ns(10 * ms, 14 * ms, &ahead);
	assert_int_equal(b, 0);
	assert_int_equal(ahead, 4 * ms);
	uint64_t c = offcpu_off_ns(10 * ms, 0, &ahead);
	assert_int_equal(a + b + c, 10 * ms);
	assert_int_equal(ahead, 0);
	/* Nothing owed: all of it. */
	assert_int_equal(offcpu_off_ns(5 * ms, 2 * ms, &ahead), 3 * ms);
}

static void test_denied_text(void **state)
{
	(void)state;
	char buf[300];
	/* Yama at 1: the message names it and what works instead, in one line. */
	offcpu_denied_text(42, -EACCES, 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "kernel.yama.ptrace_scope is 1"));
	assert_non_null(strstr(buf, " 42:"));
	assert_non_null(strstr(buf, "(launch the command under prowl"));
	assert_null(strchr(buf, '\n'));
	/* No Yama: the kernel's word and what to do. */
	offcpu_denied_text(42, -EPERM, -1, buf, sizeof(buf));
	assert_null(strstr(buf, "yama"));
	assert_non_null(strstr(buf, "operation not permitted"));
	assert_non_null(strstr(buf, "(run as the process owner or root)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_off_time_lagging_cpu_clock),
		cmocka_unit_test(test_denied_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
