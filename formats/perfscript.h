/*
 * perfscript: writes a profile as `perf script` text (samples in time order
 * when the profile keeps it, p->seq), and reads `perf script` text into a
 * profile the way FlameGraph's
 * stackcollapse-perf.pl reads it (same option words, same names, same
 * counts), so converting gives what the reference would. NULL + errno
 * (EINVAL: not perf script text) on error.
 */
#ifndef PROWL_PERFSCRIPT_H
#define PROWL_PERFSCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/format.h"

#include <stdio.h>

/* 0 or -EIO. See perfscript.c for the exact lines. */
int perfscript_write(const struct profile *p, FILE *out, const struct write_opts *o);
struct profile *perfscript_read(const char *data, size_t len, const struct read_opts *o);
/* True when data starts like perf script output (an event line, then frames). */
bool perfscript_probe(const char *data, size_t len);

#endif
