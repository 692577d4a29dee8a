/*
 * pprof: the gzipped profile.proto of Google's pprof, written with our own
 * protobuf encoder and zlib, and read back. Writer: 0 or a negative errno.
 * Reader: NULL + errno (EINVAL: not a pprof profile; EFBIG: it asks for more
 * than its size allows, see below). The pid and the sampling rate, which
 * profile.proto has no field for, travel as comments "pid: N", "rate: N Hz".
 */
#ifndef PROWL_PPROF_H
#define PROWL_PPROF_H

#include <stdio.h>

#include "formats/format.h"

/* What a pprof file of LEN bytes may cost the reader (issue 12: 778 KB of
 * gzip held 400 million empty strings). It may unpack to BASE + RATIO * LEN
 * bytes (real profiles pack 3-6 times), hold ELEMENTS_BASE + LEN entries and
 * location lines (an entry costs at least two unpacked bytes) and make
 * NODES_BASE + 4 * LEN stack nodes; beyond, the read fails with EFBIG. */
#define PPROF_UNPACK_BASE ((size_t)32 << 20)
#define PPROF_UNPACK_RATIO 8
#define PPROF_MAX_ELEMENTS_BASE ((size_t)1 << 20)
#define PPROF_MAX_NODES_BASE ((size_t)2 << 20)

int pprof_write(const struct profile *p, FILE *out, const struct write_opts *o);
struct profile *pprof_read(const char *data, size_t len);

#endif
