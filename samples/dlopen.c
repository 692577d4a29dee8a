/* dlopen: loads a library of its own after start and spends its time there.
 * main -> main_spin for DELAY ms, then dlopen()s libplugin.so from the
 * executable's directory and loops main -> run_plugin -> plugin_work (in
 * libplugin.so). Usage: dlopen [SECONDS [DELAY_MS]] (defaults 5 s, 1000 ms). */
#include <dlfcn.h>

#include "common.h"

#define USAGE "dlopen [SECONDS [DELAY_MS]]"

typedef uint64_t (*plugin_fn)(uint64_t acc, unsigned units);

NOINLINE static uint64_t main_spin(uint64_t acc)
{
	SPIN_UNITS(acc, 2);
	return acc;
}

NOINLINE static uint64_t run_plugin(plugin_fn work, uint64_t acc)
{
	while (!sample_stop) {
		acc = work(acc, 1);
		acc ^= 5; /* work after the call: run_plugin keeps its frame */
	}
	return acc;
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	long delay = sample_arg_long(argc, argv, 2, 1000, 0, 86400000L, USAGE);
	char path[PATH_MAX];
	struct timespec start, now;
	uint64_t acc = 1;
	plugin_fn work;
	void *lib;

	sample_arm(seconds);
	/* The delay is timed by polling the clock between spin units, since the
	 * one interval timer already measures the run time. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!sample_stop) {
		acc = main_spin(acc);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= delay)
			break;
	}
	if (sample_stop)
		return 0;

	sample_exe_dir(path, sizeof(path) - sizeof("/libplugin.so"));
	strcat(path, "/libplugin.so");
	lib = dlopen(path, RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "dlopen: cannot load %s: %s (run make to build it)\n", path, dlerror());
		return 1;
	}
	*(void **)&work = dlsym(lib, "plugin_work");
	if (!work) {
		fprintf(stderr, "dlopen: no plugin_work in %s: %s\n", path, dlerror());
		return 1;
	}
	sample_sink = run_plugin(work, acc);
	dlclose(lib);
	return 0;
}
