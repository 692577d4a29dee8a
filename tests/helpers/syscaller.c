/*
 * syscaller: a known share of time in the kernel, for the [kernel] leaf and
 * the "kernel time is invisible" line. Until SECONDS pass, it alternates
 * user_work (arithmetic only) and sys_work (64 KiB reads of /dev/zero: the
 * kernel clears the buffer, so nearly all of it is system time), each called
 * from main. Usage: syscaller SECONDS (exit 0).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;
static char buf[65536];

__attribute__((noinline, noclone)) static void user_work(void)
{
	uint64_t acc = sink;
	for (unsigned i = 0; i < 200000; i++) {
		acc = acc * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(acc));
	}
	sink = acc;
}

__attribute__((noinline, noclone)) static void sys_work(int fd)
{
	for (int i = 0; i < 100; i++)
		if (read(fd, buf, sizeof(buf)) < 0)
			exit(2);
	__asm__ volatile("" ::: "memory");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2;
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 2;
	double end = now() + secs;
	while (now() < end) {
		user_work();
		sys_work(fd);
	}
	close(fd);
	return 0;
}
