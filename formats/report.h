/*
 * report: the text report, top functions by self and by total samples with
 * their share and file:line, from any profile. Names are escaped for a
 * terminal (formats/escape.h). Returns 0 or a negative errno.
 */
#ifndef PROWL_REPORT_H
#define PROWL_REPORT_H

#include <stdio.h>

#include "formats/format.h"

int report_write(const struct profile *p, FILE *out, const struct write_opts *o);

/* A one-line summary: "command (pid N), 2.00 s, 1996 samples, 998 Hz" (into
 * out), the command escaped for a terminal. */
struct strbuf;
void report_summary(const struct profile *p, struct strbuf *out);
/* What a count of p is, for a person: "samples", or the event it counts
 * ("page-faults"), escaped for a terminal (into out). */
void report_unit(const struct profile *p, struct strbuf *out);
/* The columns of a report's function names: at least REPORT_NAME_MIN, a
 * longer name shortened to REPORT_NAME_MAX (report_shorten). */
#define REPORT_NAME_MIN 40
#define REPORT_NAME_MAX 60
/* Terminal columns of an escaped name (one per UTF-8 character). */
size_t report_columns(const char *s);
/* name (escaped already) in at most max columns: template arguments become
 * "<...>", then the parameter list "(...)", then the middle "...". */
void report_shorten(const char *name, size_t max, struct strbuf *out);

/* Code without a symbol, named "module+0xSTART" (stripped): how many
 * functions, in which modules, and what would name them, as one line into
 * out (no newline, names escaped for a terminal). Returns the number of such
 * functions (0: nothing written). */
size_t report_unnamed_note(const struct profile *p, struct strbuf *out);

#endif
