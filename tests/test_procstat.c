/* Unit tests for profiler/base/procstat.c, the one set of /proc readers,
 * read on this test process itself (deterministic: its own name, command
 * line, status and threads). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiler/base/procstat.h"

static void test_comm(void **state)
{
	(void)state;
	assert_int_equal(prctl(PR_SET_NAME, "pst-name\x01x", 0, 0, 0), 0);
	char buf[64];
	assert_int_equal(procstat_comm(getpid(), getpid(), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "pst-name\x01x"); /* bytes as the kernel keeps them, no newline */
	/* Cut to fit a small buffer. */
	char small[4];
	assert_int_equal(procstat_comm(getpid(), getpid(), small, sizeof(small)), 0);
	assert_string_equal(small, "pst");
	/* The same name as stat gives. */
	struct procstat st;
	assert_int_equal(procstat_read(getpid(), getpid(), &st), 0);
	assert_string_equal(st.comm, "pst-name\x01x");
	/* Gone: -ENOENT, errno set, buffer empty. */
	errno = 0;
	assert_int_equal(procstat_comm(getpid(), 0x7ffffff0, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(buf, "");
}

static void test_cmdline(void **state)
{
	(void)state;
	char *c = procstat_cmdline(getpid());
	assert_non_null(c);
	assert_non_null(strstr(c, "test_procstat"));
	assert_null(strchr(c, '\n'));
	free(c);
	errno = 0;
	assert_null(procstat_cmdline(0x7ffffff0));
	assert_int_equal(errno, ENOENT);
}

static void test_status_and_tasks(void **state)
{
	(void)state;
	char v[32];
	assert_int_equal(procstat_status(getpid(), getpid(), "Tgid:", v, sizeof(v)), 0);
	assert_int_equal(atoi(v), getpid());
	assert_int_equal(procstat_status(getpid(), getpid(), "NoSuchKey:", v, sizeof(v)), -ENOENT);
	pid_t *tids;
	int n = procstat_tasks(getpid(), &tids);
	assert_int_equal(n, 1);
	assert_int_equal(tids[0], getpid());
	free(tids);
	errno = 0;
	assert_int_equal(procstat_tasks(0x7ffffff0, &tids), -ESRCH);
	assert_int_equal(errno, ESRCH);
}

/* A task directory that cannot be opened for another reason than the process
 * being gone (here: no descriptor left) is an error passed on, not a crash. */
static void test_tasks_no_fd(void **state)
{
	(void)state;
	struct rlimit old, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	int fd = dup(0);
	assert_true(fd >= 0);
	close(fd);
	low = old;
	low.rlim_cur = (rlim_t)fd; /* the lowest free descriptor is now out of range */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	pid_t *tids = (pid_t *)1;
	errno = 0;
	int n = procstat_tasks(getpid(), &tids);
	int err = errno;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(n, -EMFILE);
	assert_int_equal(err, EMFILE);
	assert_null(tids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comm),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_status_and_tasks),
		cmocka_unit_test(test_tasks_no_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
