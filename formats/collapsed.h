/*
 * collapsed: Brendan Gregg's folded stacks ("root;...;leaf count" per line),
 * written from a profile and read back. Errors are negative errno; the reader
 * returns NULL with errno set (EINVAL: not folded stacks).
 */
#ifndef PROWL_COLLAPSED_H
#define PROWL_COLLAPSED_H

#include <stdio.h>

#include "formats/format.h"

int collapsed_write(const struct profile *p, FILE *out, const struct write_opts *o);
struct profile *collapsed_read(const char *data, size_t len);
/* Non-zero when data looks like folded stacks (every non-empty line ends in
 * a count): 2 when a line has frames (a ';'), which no `perf script` text
 * gives, 1 when it could also be perf script's "comm pid" lines. */
int collapsed_probe(const char *data, size_t len);

#endif
