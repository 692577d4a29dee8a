/*
 * prowl: the command line. A table of subcommands, each in cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "profiler/cli/cmds.h"
#include "profiler/cli/opts.h"
#include "profiler/base/util.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const struct opts_cmd *spec; /* its summary, from the command's own description */
	const char *summary;         /* for a command without one (dump) */
};

static const struct subcommand subcommands[] = {
	{ "record", cmd_record, &record_cmd, NULL },
	{ "top", cmd_top, &top_cmd, NULL },
	{ "dump", cmd_dump, &dump_cmd, NULL },
	{ "report", cmd_report, &report_cmd, NULL },
	{ "convert", cmd_convert, &convert_cmd, NULL },
	{ "diff", cmd_diff, &diff_cmd, NULL },
	{ "addr2line", cmd_addr2line, &addr2line_cmd, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: prowl <command> [options]\n\n"
		     "a sampling profiler for native Linux processes\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name,
			subcommands[i].spec ? subcommands[i].spec->summary : subcommands[i].summary);
	fprintf(out, "\n'prowl <command> --help' shows a command's options; 'prowl --version' the version.\n");
}

/* A process with thousands of libraries, or the perf backend on many threads
 * times many CPUs, needs more descriptors than the usual soft limit of 1024;
 * the hard limit is ours to take. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	raise_nofile();
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		/* "prowl help record" is "prowl record --help". */
		for (size_t i = 0; argc > 2 && i < ARRAY_SIZE(subcommands); i++)
			if (!strcmp(argv[2], subcommands[i].name)) {
				char *help_argv[] = { argv[2], "--help", NULL };
				return subcommands[i].run(2, help_argv);
			}
		if (argc > 2) {
			fprintf(stderr, "prowl: '%s' is not a command (see 'prowl --help')\n", argv[2]);
			return EX_USAGE;
		}
		usage(stdout);
		return EX_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("prowl %s\n", PROWL_VERSION);
		return EX_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(name, subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "prowl: '%s' is not a command (see 'prowl --help')\n", name);
	return EX_USAGE;
}
