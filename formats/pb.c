#include "formats/pb.h"

#include <errno.h>

void pb_varint(struct strbuf *b, uint64_t v)
{
	uint8_t buf[10];
	size_t n = 0;
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		buf[n++] = v ? (uint8_t)(c | 0x80) : c;
	} while (v);
	strbuf_add(b, buf, n);
}

static void key(struct strbuf *b, uint32_t field, uint32_t wire)
{
	pb_varint(b, ((uint64_t)field << 3) | wire);
}

void pb_uint(struct strbuf *b, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	key(b, field, PB_VARINT);
	pb_varint(b, v);
}

void pb_int(struct strbuf *b, uint32_t field, int64_t v)
{
	pb_uint(b, field, (uint64_t)v);
}

void pb_bytes(struct strbuf *b, uint32_t field, const void *data, size_t n)
{
	key(b, field, PB_LEN);
	pb_varint(b, n);
	strbuf_add(b, data, n);
}

void pb_packed(struct strbuf *b, uint32_t field, const uint64_t *v, size_t n)
{
	if (!n)
		return;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = v[i];
		do {
			len++;
			x >>= 7;
		} while (x);
	}
	key(b, field, PB_LEN);
	pb_varint(b, len);
	for (size_t i = 0; i < n; i++)
		pb_varint(b, v[i]);
}

static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -EINVAL;
		uint8_t c = *(*p)++;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

int pb_next(struct pb_reader *r, struct pb_field *f)
{
	if (r->p >= r->end)
		return 0;
	uint64_t k;
	if (read_varint(&r->p, r->end, &k))
		return -EINVAL;
	f->number = (uint32_t)(k >> 3);
	f->wire = (uint32_t)(k & 7);
	f->data = NULL;
	f->len = 0;
	f->value = 0;
	switch (f->wire) {
	case PB_VARINT:
		return read_varint(&r->p, r->end, &f->value) ? -EINVAL : 1;
	case PB_I64:
	case PB_I32: {
		size_t n = f->wire == PB_I64 ? 8 : 4;
		if ((size_t)(r->end - r->p) < n)
			return -EINVAL;
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++)
			v |= (uint64_t)r->p[i] << (8 * i);
		r->p += n;
		f->value = v;
		return 1;
	}
	case PB_LEN: {
		uint64_t n;
		if (read_varint(&r->p, r->end, &n) || n > (uint64_t)(r->end - r->p))
			return -EINVAL;
		f->data = r->p;
		f->len = (size_t)n;
		r->p += n;
		return 1;
	}
	default:
		return -EINVAL;
	}
}

int pb_read_packed(const struct pb_field *f, uint64_t **out, size_t *n, size_t *cap)
{
	if (f->wire == PB_VARINT) {
		xgrow((void **)out, cap, *n + 1, sizeof(**out));
		(*out)[(*n)++] = f->value;
		return 0;
	}
	if (f->wire != PB_LEN)
		return -EINVAL;
	const uint8_t *p = f->data, *end = f->data + f->len;
	while (p < end) {
		uint64_t v;
		if (read_varint(&p, end, &v))
			return -EINVAL;
		xgrow((void **)out, cap, *n + 1, sizeof(**out));
		(*out)[(*n)++] = v;
	}
	return 0;
}
