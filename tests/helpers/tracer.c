/*
 * tracer: holds a process as its tracer (PTRACE_SEIZE, which does not stop
 * it), as a debugger or strace would, so that tests can see what prowl says
 * of a process someone else traces. Usage: tracer PID SECONDS. Prints
 * "ready" once attached; exits (the kernel detaches) after SECONDS or on
 * SIGTERM. Exit 1 with a line on stderr when it cannot attach.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tracer PID SECONDS\n");
		return 2;
	}
	pid_t pid = (pid_t)atoi(argv[1]);
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) != 0) {
		fprintf(stderr, "tracer: cannot seize %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sleep((unsigned)atoi(argv[2]));
	return 0;
}
