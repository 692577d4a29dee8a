/*
 * fault_dlreload: dlopen()s library A, spins in its function for a while,
 * dlclose()s it, then dlopen()s library B, which the loader puts at the
 * same address (same size, the hole A left), and spins in B's function.
 * Both libraries have their function at the same offset, so a profiler that
 * kept A's mapping or symbols names B's samples after A.
 * Usage: fault_dlreload LIB_A SYM_A LIB_B SYM_B MS_A MS_B (milliseconds of CPU time)
 * Prints "a BASE" and "b BASE" (load addresses) on stdout; exits 0 when both
 * loaded, 2 when B did not land at A's address, 1 on any other failure.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef uint64_t (*work_fn)(uint64_t);

/* The thread's own CPU time: each phase is the same amount of work, so a CPU
 * profile splits them evenly however loaded the machine is (phases of wall
 * time did not: under load one got 101 of 464 samples). */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uintptr_t run(const char *lib, const char *sym, long ms, const char *tag)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "fault_dlreload: %s\n", dlerror());
		exit(1);
	}
	work_fn f = (work_fn)(uintptr_t)dlsym(h, sym);
	struct link_map *lm = NULL;
	if (!f || dlinfo(h, RTLD_DI_LINKMAP, &lm) || !lm) {
		fprintf(stderr, "fault_dlreload: %s: no %s\n", lib, sym);
		exit(1);
	}
	uintptr_t base = (uintptr_t)lm->l_addr;
	printf("%s %#lx\n", tag, (unsigned long)base);
	fflush(stdout);
	volatile uint64_t acc = 1;
	double end = now() + (double)ms / 1000;
	while (now() < end)
		acc = f(acc);
	if (dlclose(h)) {
		fprintf(stderr, "fault_dlreload: dlclose: %s\n", dlerror());
		exit(1);
	}
	return base;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: fault_dlreload LIB_A SYM_A LIB_B SYM_B MS_A MS_B\n");
		return 1;
	}
	uintptr_t a = run(argv[1], argv[2], atol(argv[5]), "a");
	uintptr_t b = run(argv[3], argv[4], atol(argv[6]), "b");
	return a == b ? 0 : 2;
}
