/* vforkwait SECONDS: vforks a child that sleeps SECONDS and exits without
 * exec, so the parent waits in vfork all that time, in uninterruptible
 * sleep (D): the wall-mode case of a thread that never stops for ptrace.
 * Exits 0 once the child is reaped. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) static int run_vfork(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	pid_t c = vfork();
	if (c == 0) {
		/* Only system calls here: the child borrows the parent's stack. */
		syscall(SYS_nanosleep, &ts, NULL);
		_exit(0);
	}
	if (c < 0)
		return 1;
	int st;
	return waitpid(c, &st, 0) == c && WIFEXITED(st) ? 0 : 1;
}

int main(int argc, char **argv)
{
	return run_vfork(argc > 1 ? strtod(argv[1], NULL) : 5);
}
