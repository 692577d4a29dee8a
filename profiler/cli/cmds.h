/*
 * cmds: the subcommands. Each cmd_<name>() describes its options in a table
 * (profiler/cli/opts.h), prints its own messages and returns the process exit
 * status from the one table in profiler/cli/exit.h. Only main.c and the
 * cmd_*.c files decide exit codes.
 */
#ifndef PROWL_CMDS_H
#define PROWL_CMDS_H

#include "profiler/base/version.h"
#include "profiler/cli/exit.h"

struct opts_cmd;
/* Each command's description (name, summary, usage, examples) for main's
 * list and the man pages. */
extern const struct opts_cmd record_cmd, top_cmd, dump_cmd, report_cmd, convert_cmd, diff_cmd, addr2line_cmd;

int cmd_record(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_addr2line(int argc, char **argv);

/* "s" unless n is 1: every count a command prints agrees with its noun
 * ("1 sample", "2 samples"). */
static inline const char *plural_s(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

/* The test suite's frame audit (cmd_record.c): when PROWL_FRAME_AUDIT names
 * a file, appends "CMD samples N nonexec N refused N" to it. */
struct session_stats;
void cmd_frame_audit(const char *cmd, const struct session_stats *st);

#endif
