/*
 * manpage: man pages in roff, written from the same data that prints --help
 * (struct opts_cmd and its option table, profiler/cli/opts.h) and from the
 * exit-status table (profiler/cli/exit.h), so the pages cannot drift from
 * what the commands accept. main.c runs it behind the hidden `prowl --man`;
 * the Makefile writes the pages into build/man with it.
 *
 * Memory: nothing kept; the tables are the caller's. Errors: the writers
 * print to out and return nothing; the caller checks the stream.
 */
#ifndef PROWL_MANPAGE_H
#define PROWL_MANPAGE_H

#include <stddef.h>
#include <stdio.h>

#include "profiler/cli/opts.h"

/* A command as prowl(1) lists it. spec is NULL for a command without an
 * option table (it is listed, with summary, but has no page of its own). */
struct manpage_cmd {
	const char *name;
	const char *summary;
	const struct opts_cmd *spec;
};

/* prowl-NAME(1): NAME, SYNOPSIS, DESCRIPTION, OPTIONS (by group), EXIT
 * STATUS, EXAMPLES, NOTES, SEE ALSO. cmds are the pages to name in SEE ALSO.
 * date is the .TH date ("" for none). */
void manpage_command(FILE *out, const struct opts_cmd *cmd, const struct opt *table,
		     const struct manpage_cmd *cmds, size_t ncmds, const char *date);
/* prowl(1): the overview, the commands, exit status, environment, files,
 * examples. */
void manpage_overview(FILE *out, const struct manpage_cmd *cmds, size_t ncmds, const char *date);
/* Writes s as roff text: backslashes, hyphens (\-), quotes, and a leading
 * '.' or '\'' escaped. A single newline is a space; a blank line a new
 * paragraph (.PP), as in the --help texts. For tests. */
void manpage_text(FILE *out, const char *s);

#endif
