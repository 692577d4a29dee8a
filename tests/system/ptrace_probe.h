/*
 * ptrace_probe: whether this machine lets us trace a child of ours, for the
 * system tests. A kernel or container that denies ptrace (yama scope 3, a
 * seccomp profile, no CAP_SYS_PTRACE in a user namespace) is not a bug of
 * prowl's: the tests skip with the reason instead of failing (and
 * PROWL_NO_SKIP=1 in CI turns that skip into a failure).
 */
#ifndef PROWL_TEST_PTRACE_PROBE_H
#define PROWL_TEST_PTRACE_PROBE_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* NULL when a child can be seized, else why not (static storage). */
static const char *ptrace_denied(void)
{
	static char why[160];
	static int probed; /* 0 not yet, 1 allowed, 2 denied */
	if (probed)
		return probed == 1 ? NULL : why;
	pid_t c = fork();
	if (c < 0) {
		snprintf(why, sizeof(why), "cannot fork a child to probe ptrace: %s", strerror(errno));
		probed = 2;
		return why;
	}
	if (c == 0) {
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_SEIZE, c, 0, 0) != 0) {
		snprintf(why, sizeof(why), "ptrace denied here (PTRACE_SEIZE of our own child: %s)", strerror(errno));
		probed = 2;
	} else {
		ptrace(PTRACE_DETACH, c, 0, 0);
		probed = 1;
	}
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return probed == 1 ? NULL : why;
}

/* At the top of a test: skip it, with the reason, where ptrace is denied. */
#define REQUIRE_PTRACE()                                                    \
	do {                                                                \
		const char *why_ = ptrace_denied();                         \
		if (why_) {                                                 \
			print_message("skipped: %s\n", why_);               \
			skip();                                             \
		}                                                           \
	} while (0)

#endif
