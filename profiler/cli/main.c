/*
 * prowl: the command line. A table of subcommands, each in cmd_<name>.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profiler/capture/target.h"
#include "profiler/cli/cmds.h"
#include "profiler/cli/completion.h"
#include "profiler/cli/manpage.h"
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

/*
 * The hidden generators the build runs (Makefile: build/man, build/completion):
 * prowl --man [COMMAND], --man-commands, --completion bash|zsh. A command's
 * option table lives in its cmd_<name>() call; running the command with
 * --help while opts_help_hook is set hands us that very table. A command
 * gets a page and option completion by having a spec in subcommands[].
 */
static struct opt *hooked;

static void keep_table(const struct opts_cmd *cmd, const struct opt *table)
{
	(void)cmd;
	size_t n = 0;
	while (table[n].kind != OPT_KIND_END)
		n++;
	hooked = xmalloc((n + 1) * sizeof(*hooked));
	memcpy(hooked, table, (n + 1) * sizeof(*hooked));
}

/* A copy of sc's table (its value pointers are stale: read the names and
 * help only), or NULL for a command without one. */
static struct opt *table_of(const struct subcommand *sc)
{
	if (!sc->spec)
		return NULL;
	char *help_argv[] = { (char *)sc->name, "--help", NULL };
	hooked = NULL;
	opts_help_hook = keep_table;
	sc->run(2, help_argv);
	opts_help_hook = NULL;
	return hooked;
}

/* The pages' date: SOURCE_DATE_EPOCH for reproducible builds, else none. */
static const char *man_date(char *buf, size_t len)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	struct tm tm;
	time_t t;
	buf[0] = 0;
	if (e && *e && (t = (time_t)strtoll(e, NULL, 10)) > 0 && gmtime_r(&t, &tm))
		strftime(buf, len, "%Y-%m-%d", &tm);
	return buf;
}

static int generate(int argc, char **argv)
{
	enum { N = ARRAY_SIZE(subcommands) };
	struct manpage_cmd mc[N];
	char date[32];
	for (size_t i = 0; i < N; i++)
		mc[i] = (struct manpage_cmd){ subcommands[i].name,
					      subcommands[i].spec ? subcommands[i].spec->summary : subcommands[i].summary,
					      subcommands[i].spec };
	if (!strcmp(argv[1], "--man-commands")) {
		for (size_t i = 0; i < N; i++)
			if (subcommands[i].spec)
				printf("%s\n", subcommands[i].name);
	} else if (!strcmp(argv[1], "--man") && argc == 2) {
		manpage_overview(stdout, mc, N, man_date(date, sizeof(date)));
	} else if (!strcmp(argv[1], "--man") && argc == 3) {
		size_t i = 0;
		while (i < N && (strcmp(argv[2], subcommands[i].name) || !subcommands[i].spec))
			i++;
		if (i == N) {
			fprintf(stderr, "prowl: '%s' is not a command with a man page (see 'prowl --man-commands')\n",
				argv[2]);
			return EX_USAGE;
		}
		struct opt *t = table_of(&subcommands[i]);
		manpage_command(stdout, subcommands[i].spec, t, mc, N, man_date(date, sizeof(date)));
		free(t);
	} else if (!strcmp(argv[1], "--completion") && argc == 3 &&
		   (!strcmp(argv[2], "bash") || !strcmp(argv[2], "zsh"))) {
		struct completion_cmd cc[N];
		for (size_t i = 0; i < N; i++)
			cc[i] = (struct completion_cmd){ mc[i].name, mc[i].summary,
							 mc[i].spec ? mc[i].spec->args : OPTS_ARGS_MIXED,
							 table_of(&subcommands[i]) };
		if (!strcmp(argv[2], "bash"))
			completion_bash(stdout, cc, N);
		else
			completion_zsh(stdout, cc, N);
		for (size_t i = 0; i < N; i++)
			free((void *)cc[i].table);
	} else {
		fprintf(stderr, "prowl: usage: prowl --man [COMMAND] | --man-commands | --completion bash|zsh\n");
		return EX_USAGE;
	}
	return fflush(stdout) || ferror(stdout) ? EX_IOERR : EX_OK;
}

/* A process with thousands of libraries, or the perf backend on many threads
 * times many CPUs, needs more descriptors than the usual soft limit of 1024;
 * the hard limit is ours to take (a launched command gets the old one back). */
static void raise_nofile(void)
{
	target_raise_nofile();
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
	if (!strcmp(name, "--man") || !strcmp(name, "--man-commands") || !strcmp(name, "--completion"))
		return generate(argc, argv);
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
