/*
 * cmds: the subcommands. Each cmd_<name>() parses its own options, prints its
 * own messages and returns the process exit status (EX_USAGE = 64 for usage
 * errors). Only main.c and the cmd_*.c files decide exit codes.
 */
#ifndef PROWL_CMDS_H
#define PROWL_CMDS_H

#define EX_OK 0
#define EX_FAIL 1
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_UNAVAILABLE 69
#define EX_SOFTWARE 70
#define EX_CANTCREAT 73
#define EX_IOERR 74
#define EX_NOPERM 77

#include "profiler/base/version.h"

int cmd_record(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_addr2line(int argc, char **argv);

#endif
