/* execer: spins in main -> before_exec for DELAY ms, then execs
 * samples/bin/cpu (same directory) with the remaining run time, so the same
 * pid becomes the cpu sample (comm "cpu"). Exits 0 without exec when no time
 * remains. Usage: execer [SECONDS [DELAY_MS]] (defaults 5 s, 1000 ms; 0 or
 * inf: cpu then runs until killed). */
#include "common.h"

#define USAGE "execer [SECONDS [DELAY_MS]]"

NOINLINE static uint64_t before_exec(uint64_t acc)
{
	while (!sample_stop)
		SPIN_UNITS(acc, 1);
	return acc;
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	long delay = sample_arg_long(argc, argv, 2, 1000, 0, 86400000L, USAGE);
	double first = (double)delay / 1000;
	char path[PATH_MAX], rest[64];

	if (seconds > 0 && seconds < first)
		first = seconds;
	if (first > 0) {
		sample_arm(first);
		sample_sink = before_exec(1);
		sample_disarm();
	}
	if (seconds > 0 && seconds - first < 0.001) /* "0.000" would mean for ever */
		return 0;
	if (seconds > 0)
		snprintf(rest, sizeof(rest), "%.3f", seconds - first);
	else
		snprintf(rest, sizeof(rest), "inf");
	sample_exe_dir(path, sizeof(path) - sizeof("/cpu"));
	strcat(path, "/cpu");
	execl(path, "cpu", rest, (char *)NULL);
	fprintf(stderr, "execer: cannot run %s: %s (run make to build the samples)\n", path,
		strerror(errno));
	return 1;
}
