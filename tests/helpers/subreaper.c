/*
 * subreaper: runs a command as a child subreaper (PR_SET_CHILD_SUBREAPER), the
 * way a container's init would, so that any process the command leaves behind
 * (a child it did not reap, alive or a zombie) is re-parented here instead of
 * to PID 1. After the command exits, prints on stderr "subreaper: N left"
 * (processes whose parent is now this one), kills and reaps them, and exits
 * with the command's shell-style status (128+N when signal N killed it).
 * SIGINT, SIGTERM and SIGHUP sent to the group do not end it (a handler, which
 * exec resets, so the command gets the default dispositions).
 * Usage: subreaper COMMAND [ARGS...]
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_signal(int sig)
{
	(void)sig;
}

/* The pids whose parent is us, from /proc/PID/stat (field 4). */
static int children_of(pid_t self, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		char *rp = strrchr(buf, ')');
		int ppid;
		char state;
		if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == self)
			out[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: subreaper COMMAND [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) {
		fprintf(stderr, "subreaper: prctl: %s\n", strerror(errno));
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "subreaper: cannot run %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 2;
	pid_t left[256];
	int n = children_of(getpid(), left, 256);
	fprintf(stderr, "subreaper: %d left\n", n);
	for (int i = 0; i < n; i++) {
		kill(left[i], SIGKILL);
		waitpid(left[i], NULL, 0);
	}
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
