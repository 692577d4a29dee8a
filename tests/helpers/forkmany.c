/* forkmany N: forks N short-lived children one after another (each exits at
 * once; the parent waits for it), for the memory test of --children: prowl's
 * state per process must go with the process. Exits 0 when every child
 * exited 0. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	for (long i = 0; i < n; i++) {
		pid_t c = fork();
		if (c < 0) {
			perror("forkmany: fork");
			return 1;
		}
		if (c == 0)
			_exit(0);
		int st;
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	}
	return 0;
}
