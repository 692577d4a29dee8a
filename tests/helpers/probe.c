/*
 * probe: tells the test suite whether this kernel lets us use perf_event_open
 * (software cpu-clock, with a user stack copy) and ptrace (PTRACE_SEIZE of a
 * child). Exit 0 when allowed; otherwise one line on stderr saying why.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int probe_perf(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.sample_freq = 99;
	a.freq = 1;
	a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	a.sample_regs_user = 0xff;
	a.sample_stack_user = 8192;
	a.exclude_kernel = 1;
	a.disabled = 1;
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0) {
		fprintf(stderr, "perf_event_open: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

static int probe_ptrace(void)
{
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	int rc = 0;
	if (ptrace(PTRACE_SEIZE, c, 0, 0) != 0) {
		fprintf(stderr, "PTRACE_SEIZE: %s\n", strerror(errno));
		rc = 1;
	} else {
		ptrace(PTRACE_DETACH, c, 0, 0);
	}
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "perf"))
		return probe_perf();
	if (argc == 2 && !strcmp(argv[1], "ptrace"))
		return probe_ptrace();
	fprintf(stderr, "usage: probe perf|ptrace\n");
	return 64;
}
