/*
 * speedscope: the JSON file format of speedscope.app, one sampled profile
 * per thread sharing one frame table (names with file and line). Returns 0
 * or a negative errno; the reader (files prowl wrote, and other sampled
 * speedscope files) returns NULL + errno (EINVAL: not such a file).
 */
#ifndef PROWL_SPEEDSCOPE_H
#define PROWL_SPEEDSCOPE_H

#include <stdio.h>

#include "formats/format.h"

int speedscope_write(const struct profile *p, FILE *out, const struct write_opts *o);
struct profile *speedscope_read(const char *data, size_t len);

#endif
