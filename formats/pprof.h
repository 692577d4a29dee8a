/*
 * pprof: the gzipped profile.proto of Google's pprof, written with our own
 * protobuf encoder and zlib, and read back. Writer: 0 or a negative errno.
 * Reader: NULL + errno (EINVAL: not a pprof profile).
 */
#ifndef PROWL_PPROF_H
#define PROWL_PPROF_H

#include <stdio.h>

#include "formats/format.h"

int pprof_write(const struct profile *p, FILE *out, const struct write_opts *o);
struct profile *pprof_read(const char *data, size_t len);

#endif
