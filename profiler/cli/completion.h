/*
 * completion: the bash and zsh completion scripts, written from the option
 * tables the commands parse with (profiler/cli/opts.h), so completion offers
 * what the commands accept. main.c runs it behind the hidden
 * `prowl --completion bash|zsh`; the Makefile writes the scripts at build
 * time. What a value completes to follows from the option: PID lists the
 * running processes with their names, -f the formats its --help names, -o
 * files with an extension prowl writes, a few words for --unwind, --mode and
 * --backend.
 *
 * Memory: nothing kept; the tables are the caller's. Errors: the writers
 * print to out; the caller checks the stream.
 */
#ifndef PROWL_COMPLETION_H
#define PROWL_COMPLETION_H

#include <stddef.h>
#include <stdio.h>

#include "profiler/cli/opts.h"

struct completion_cmd {
	const char *name;
	const char *summary;
	enum opts_args args;    /* what follows the options: files, or a command */
	const struct opt *table; /* NULL: a command whose options are not known here */
};

void completion_bash(FILE *out, const struct completion_cmd *cmds, size_t ncmds);
void completion_zsh(FILE *out, const struct completion_cmd *cmds, size_t ncmds);

#endif
