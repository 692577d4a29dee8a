/* forker: a parent that forks a child and works itself, for --children and
 * exec tests. The child execs samples/bin/PROGRAM SECONDS (default cpu, from
 * the executable's directory) and gets SIGTERM if the parent dies; the
 * parent spins in main -> parent_work until the run time is over, then
 * waits for the child. Exits 0 when the child exited 0, else 1.
 * Usage: forker [SECONDS [PROGRAM]] (defaults 5 s, cpu). */
#include <sys/prctl.h>
#include <sys/wait.h>

#include "common.h"

#define USAGE "forker [SECONDS [PROGRAM]]"

NOINLINE static uint64_t parent_work(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 1);
	return acc;
}

static pid_t start_child(const char *program, const char *seconds)
{
	char path[PATH_MAX];
	pid_t parent = getpid();
	pid_t pid;

	sample_exe_dir(path, sizeof(path) - NAME_MAX - 2);
	strcat(path, "/");
	strcat(path, program);
	pid = fork();
	if (pid < 0) {
		perror("forker: fork");
		exit(1);
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		execl(path, program, seconds, (char *)NULL);
		fprintf(stderr, "forker: cannot run %s: %s (run make to build the samples)\n", path,
			strerror(errno));
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	const char *program = argc > 2 ? argv[2] : "cpu";
	int status = 0;
	pid_t child;

	if (!*program || strchr(program, '/') || strlen(program) > NAME_MAX)
		sample_usage(USAGE);
	sample_arm(seconds);
	child = start_child(program, argc > 1 ? argv[1] : "5");
	sample_sink = parent_work(1);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
