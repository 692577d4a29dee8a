/*
 * fde: function bounds from .eh_frame (the encodings are those of the LSB's
 * "Exception Frames" section: DW_EH_PE_* pointer encodings, CIE augmentation
 * "zR"/"zPLR"...). Only what gives a function's start and length is read.
 */
#include "symbolize/fde.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"

#define PE_OMIT 0xff
#define PE_FORMAT 0x0f
#define PE_APPL 0x70
#define PE_PCREL 0x10
#define PE_DATAREL 0x30
/* .eh_frame_hdr's usual table: pairs of 4-byte signed offsets from its start. */
#define PE_DATAREL_SDATA4 0x3b

/* A cursor over one section: reads fail (bad) instead of leaving it. */
struct cur {
	const struct fde_section *sec;
	size_t off;
	bool bad;
};

static bool take(struct cur *c, void *out, size_t n)
{
	if (c->bad || c->off > c->sec->size || c->sec->size - c->off < n) {
		c->bad = true;
		return false;
	}
	memcpy(out, c->sec->data + c->off, n);
	c->off += n;
	return true;
}

static uint64_t u8(struct cur *c)
{
	uint8_t v = 0;
	take(c, &v, 1);
	return v;
}

static uint64_t uleb(struct cur *c)
{
	uint64_t v = 0;
	for (unsigned shift = 0;; shift += 7) {
		uint8_t b;
		if (!take(c, &b, 1))
			return 0;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		if (shift > 63 + 7) {
			c->bad = true;
			return 0;
		}
	}
}

static int64_t sleb(struct cur *c)
{
	int64_t v = 0;
	unsigned shift = 0;
	uint8_t b;
	do {
		if (!take(c, &b, 1))
			return 0;
		if (shift < 64)
			v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
		shift += 7;
		if (shift > 63 + 7) {
			c->bad = true;
			return 0;
		}
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= (int64_t)(~(uint64_t)0 << shift);
	return v;
}

/* A pointer in encoding enc; pcrel is relative to the field's own address,
 * datarel to .eh_frame_hdr's (the only place it is used). false: cannot be
 * read (an encoding never seen in a unwind table, or past the end). */
static bool read_ptr(struct cur *c, unsigned enc, uint64_t datarel, uint64_t *out)
{
	uint64_t field = c->sec->addr + c->off, v = 0;
	switch (enc & PE_FORMAT) {
	case 0x00: { uint64_t x = 0; take(c, &x, 8); v = x; break; }
	case 0x01: v = uleb(c); break;
	case 0x02: { uint16_t x = 0; take(c, &x, 2); v = x; break; }
	case 0x03: { uint32_t x = 0; take(c, &x, 4); v = x; break; }
	case 0x04: { uint64_t x = 0; take(c, &x, 8); v = x; break; }
	case 0x09: v = (uint64_t)sleb(c); break;
	case 0x0a: { int16_t x = 0; take(c, &x, 2); v = (uint64_t)(int64_t)x; break; }
	case 0x0b: { int32_t x = 0; take(c, &x, 4); v = (uint64_t)(int64_t)x; break; }
	case 0x0c: { int64_t x = 0; take(c, &x, 8); v = (uint64_t)x; break; }
	default: c->bad = true; return false;
	}
	switch (enc & PE_APPL) {
	case 0: break;
	case PE_PCREL: v += field; break;
	case PE_DATAREL: v += datarel; break;
	default: c->bad = true; return false; /* textrel, funcrel, aligned: not in x86-64 tables */
	}
	*out = v;
	return !c->bad;
}

/* The record at off: its length field's size and where it ends. false at the
 * terminator (length 0) or a malformed length. */
static bool record(const struct fde_section *eh, size_t off, size_t *body, size_t *next)
{
	struct cur c = { eh, off, false };
	uint32_t len32 = 0;
	if (!take(&c, &len32, 4) || len32 == 0)
		return false;
	uint64_t len = len32;
	if (len32 == 0xffffffffu && !take(&c, &len, 8))
		return false;
	if (len > eh->size - c.off)
		return false;
	*body = c.off;
	*next = c.off + (size_t)len;
	return true;
}

/* The FDE pointer encoding a CIE gives its FDEs (absptr without 'R'), or -1. */
static int cie_encoding(const struct fde_section *eh, size_t off)
{
	size_t body, next;
	if (!record(eh, off, &body, &next))
		return -1;
	struct cur c = { eh, body, false };
	uint32_t id = 1;
	take(&c, &id, 4);
	if (id != 0)
		return -1;
	unsigned version = (unsigned)u8(&c);
	const unsigned char *aug = eh->data + c.off;
	size_t alen = strnlen((const char *)aug, next - c.off);
	if (c.bad || c.off + alen >= next)
		return -1;
	c.off += alen + 1;
	uleb(&c);                      /* code alignment */
	sleb(&c);                      /* data alignment */
	if (version == 1)
		u8(&c);                /* return register */
	else
		uleb(&c);
	if (alen == 0)
		return c.bad ? -1 : 0;
	if (aug[0] != 'z')
		return -1;             /* "eh" and older: not in anything current */
	uleb(&c);                      /* augmentation data length */
	for (size_t i = 1; i < alen && !c.bad; i++) {
		switch (aug[i]) {
		case 'R': return (int)u8(&c);
		case 'L': u8(&c); break;
		case 'P': {
			unsigned penc = (unsigned)u8(&c);
			uint64_t ignored;
			read_ptr(&c, penc & ~0x80u, 0, &ignored);
			break;
		}
		case 'S': case 'B': case 'G': break;
		default: return -1;
		}
	}
	return c.bad ? -1 : 0;
}

/* The range of the FDE at off, with its CIE's encoding cached in *cache
 * (offset, encoding). false: a CIE, or malformed. */
static bool parse_fde(const struct fde_section *eh, size_t off, size_t cache[2], struct fde_range *r)
{
	size_t body, next;
	if (!record(eh, off, &body, &next))
		return false;
	struct cur c = { eh, body, false };
	uint32_t cie_ptr = 0;
	if (!take(&c, &cie_ptr, 4) || cie_ptr == 0 || cie_ptr > body)
		return false;
	size_t cie_off = body - cie_ptr;
	if (cache[0] != cie_off) {
		int enc = cie_encoding(eh, cie_off);
		cache[0] = cie_off;
		cache[1] = enc < 0 || enc == PE_OMIT ? SIZE_MAX : (size_t)enc;
	}
	if (cache[1] == SIZE_MAX)
		return false;
	unsigned enc = (unsigned)cache[1];
	uint64_t start, len;
	if (!read_ptr(&c, enc, 0, &start) || !read_ptr(&c, enc & PE_FORMAT, 0, &len) || c.off > next)
		return false;
	if (!len || start + len < start)
		return false;
	r->start = start;
	r->end = start + len;
	return true;
}

static int range_cmp(const void *a, const void *b)
{
	const struct fde_range *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* .eh_frame_hdr: version 1, then its three encodings, the .eh_frame
 * pointer, the count and the sorted table. Only the table encoding every
 * linker writes is used; anything else walks .eh_frame instead. */
static void use_header(struct fde_table *t)
{
	const struct fde_section *h = &t->hdr;
	struct cur c = { h, 0, false };
	if (!h->data || h->size < 4 || u8(&c) != 1)
		return;
	unsigned ptr_enc = (unsigned)u8(&c), count_enc = (unsigned)u8(&c), table_enc = (unsigned)u8(&c);
	uint64_t eh_ptr, count;
	if (table_enc != PE_DATAREL_SDATA4 || ptr_enc == PE_OMIT || count_enc == PE_OMIT ||
	    !read_ptr(&c, ptr_enc, h->addr, &eh_ptr) || !read_ptr(&c, count_enc, h->addr, &count))
		return;
	if (eh_ptr != t->eh.addr || !count || count > (h->size - c.off) / 8)
		return;
	t->search = h->data + c.off;
	t->nsearch = (size_t)count;
}

int fde_table_init(struct fde_table *t, const struct fde_section *eh, const struct fde_section *hdr)
{
	memset(t, 0, sizeof(*t));
	if (!eh || !eh->data || !eh->size) {
		errno = ENOENT;
		return -ENOENT;
	}
	t->eh = *eh;
	if (hdr)
		t->hdr = *hdr;
	use_header(t);
	if (t->search)
		return 0;
	size_t cap = 0, cache[2] = { SIZE_MAX, SIZE_MAX };
	size_t off = 0, body, next;
	while (off < eh->size && record(eh, off, &body, &next)) {
		struct fde_range r;
		if (parse_fde(eh, off, cache, &r)) {
			xgrow((void **)&t->v, &cap, t->n + 1, sizeof(*t->v));
			t->v[t->n++] = r;
		}
		off = next;
	}
	if (!t->n) {
		fde_table_release(t);
		errno = ENOENT;
		return -ENOENT;
	}
	qsort(t->v, t->n, sizeof(*t->v), range_cmp);
	return 0;
}

void fde_table_release(struct fde_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int32_t entry(const struct fde_table *t, size_t i, int half)
{
	int32_t v;
	memcpy(&v, t->search + 8 * i + 4 * (size_t)half, 4);
	return v;
}

int fde_find(const struct fde_table *t, uint64_t addr, struct fde_range *r)
{
	if (t->search) {
		/* The last entry starting at or before addr (the table is sorted). */
		size_t lo = 0, hi = t->nsearch;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (t->hdr.addr + (uint64_t)(int64_t)entry(t, mid, 0) <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo) {
			uint64_t fde = t->hdr.addr + (uint64_t)(int64_t)entry(t, lo - 1, 1);
			size_t cache[2] = { SIZE_MAX, SIZE_MAX };
			if (fde >= t->eh.addr && fde - t->eh.addr < t->eh.size &&
			    parse_fde(&t->eh, (size_t)(fde - t->eh.addr), cache, r) && addr >= r->start &&
			    addr < r->end)
				return 0;
		}
		errno = ENOENT;
		return -ENOENT;
	}
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* FDEs do not overlap in a sane file; in another, the nearest start wins. */
	if (lo && addr < t->v[lo - 1].end) {
		*r = t->v[lo - 1];
		return 0;
	}
	errno = ENOENT;
	return -ENOENT;
}
