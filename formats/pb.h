/*
 * pb: the few protocol buffer wire-format pieces pprof needs, an encoder
 * appending to a strbuf and a bounds-checked decoder over untrusted bytes
 * (every read returns 0 or -EINVAL, never reads past the end).
 */
#ifndef PROWL_PB_H
#define PROWL_PB_H

#include <stddef.h>
#include <stdint.h>

#include "profiler/base/util.h"

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

void pb_varint(struct strbuf *b, uint64_t v);
/* Field with a varint value; zero values are left out (proto3 defaults). */
void pb_uint(struct strbuf *b, uint32_t field, uint64_t v);
void pb_int(struct strbuf *b, uint32_t field, int64_t v);
void pb_bytes(struct strbuf *b, uint32_t field, const void *data, size_t n);
/* Packed repeated varints. */
void pb_packed(struct strbuf *b, uint32_t field, const uint64_t *v, size_t n);

struct pb_reader {
	const uint8_t *p, *end;
};

struct pb_field {
	uint32_t number;
	uint32_t wire;
	uint64_t value;           /* PB_VARINT, PB_I64, PB_I32 */
	const uint8_t *data;      /* PB_LEN */
	size_t len;
};

/* 1 and the next field in *f, 0 at the end, -EINVAL on malformed input. */
int pb_next(struct pb_reader *r, struct pb_field *f);
/* Appends the varints of a packed field (or one unpacked value) to *out,
 * *n of *cap used (grown as needed); 0 or -EINVAL. */
int pb_read_packed(const struct pb_field *f, uint64_t **out, size_t *n, size_t *cap);

#endif
