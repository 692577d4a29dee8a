/*
 * jitdump: one pass over the records, copying out what is kept (names, line
 * tables, unwinding bytes; never the code), then a sweep that turns the
 * possibly overlapping code ranges into disjoint segments where the latest
 * load wins, for lookups by binary search.
 */
#include "symbolize/jitdump.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profiler/base/arena.h"
#include "profiler/base/itab.h"
#include "profiler/base/util.h"
#include "symbolize/tfile.h"

#define MAGIC 0x4A695444u /* "JiTD" */
#define HEADER_SIZE 40
#define PREFIX_SIZE 16
#define LOAD_FIXED (PREFIX_SIZE + 40)
#define MOVE_FIXED (PREFIX_SIZE + 48)
#define DEBUG_FIXED (PREFIX_SIZE + 16)
#define DEBUG_ENTRY_MIN 17 /* addr, line, discrim, and at least the NUL */
#define UNWIND_FIXED (PREFIX_SIZE + 24)

enum { JIT_CODE_LOAD = 0, JIT_CODE_MOVE = 1, JIT_CODE_DEBUG_INFO = 2, JIT_CODE_CLOSE = 3,
       JIT_CODE_UNWINDING_INFO = 4 };

struct code {
	struct jitdump_code c; /* first: jitdump_code_at hands out &code.c */
	uint64_t seq;          /* record number of its load or last move: later wins */
};

struct seg {
	uint64_t start, end;
	uint32_t code;
};

/* What the last DEBUG_INFO and UNWINDING_INFO records said, for the next load. */
struct pending {
	bool have_debug;
	uint64_t debug_addr;
	struct jitdump_line *lines;
	size_t nlines;
	bool have_unwind;
	const unsigned char *unwind;
	uint64_t unwind_size, hdr_size, mapped_size;
};

struct jitdump {
	struct jitdump_header h;
	struct jitdump_stats st;
	struct code *v;
	size_t n, cap;
	struct seg *segs;
	size_t nsegs;
	uint64_t segs_moves;  /* moves when segs were built */
	struct arena mem;
	/* carried between updates */
	struct pending pd;
	struct itab by_index; /* code_index -> load, for moves */
	uint64_t off;         /* file bytes consumed */
	bool have_header;
	bool dead;            /* a bad size: nothing after it can be trusted */
};

struct rd {
	const unsigned char *p;
	size_t len;
	bool swap;
};

static uint32_t rd32(const struct rd *r, size_t off)
{
	uint32_t v;
	memcpy(&v, r->p + off, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint64_t rd64(const struct rd *r, size_t off)
{
	uint64_t v;
	memcpy(&v, r->p + off, 8);
	return r->swap ? __builtin_bswap64(v) : v;
}

/* Length of the NUL-terminated string at off, which must end before lim;
 * -1 when it does not. */
static ssize_t str_in(const struct rd *r, size_t off, size_t lim)
{
	if (off >= lim)
		return -1;
	const unsigned char *z = memchr(r->p + off, 0, lim - off);
	return z ? z - (r->p + off) : -1;
}

static int line_cmp(const void *a, const void *b)
{
	const struct jitdump_line *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Lines must lie in their code. V8 puts them 64 bytes late (perf's ELF
 * header size), so up to 64 past the end is allowed; node 20 also writes
 * debug records whose entries are garbage past the first: one entry
 * outside discards the whole table rather than show invented lines. */
static bool lines_fit(const struct jitdump_line *l, size_t n, uint64_t addr, uint64_t size)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].addr < addr || l[i].addr - addr > size + 64 || !l[i].file)
			return false;
	return true;
}

static void rec_load(struct jitdump *jd, const struct rd *r, size_t off, size_t size,
		     uint64_t ts, uint64_t seq, struct pending *pd, struct itab *by_index)
{
	size_t lim = off + size;
	if (size < LOAD_FIXED) {
		jd->st.bad++;
		return;
	}
	uint64_t vma = rd64(r, off + 24), addr = rd64(r, off + 32), csize = rd64(r, off + 40),
		 index = rd64(r, off + 48);
	ssize_t nl = str_in(r, off + LOAD_FIXED, lim);
	if (nl < 0 || csize > lim - (off + LOAD_FIXED + (size_t)nl + 1) || !csize ||
	    addr + csize < addr) {
		jd->st.bad++;
		return;
	}
	if (jd->n >= UINT32_MAX - 1) {
		jd->st.bad++;
		return;
	}
	xgrow((void **)&jd->v, &jd->cap, jd->n + 1, sizeof(*jd->v));
	struct code *cd = &jd->v[jd->n];
	memset(cd, 0, sizeof(*cd));
	cd->seq = seq;
	struct jitdump_code *c = &cd->c;
	c->addr = addr;
	c->size = csize;
	c->vma = vma;
	c->index = index;
	c->load_time = ts;
	c->name = arena_strndup(&jd->mem, (const char *)r->p + off + LOAD_FIXED, (size_t)nl);
	if (pd->have_debug) {
		if (pd->debug_addr != addr)
			jd->st.orphans++;
		else if (!lines_fit(pd->lines, pd->nlines, addr, csize))
			jd->st.bad++;
		else {
			c->lines = pd->lines;
			c->nlines = pd->nlines;
		}
		pd->have_debug = false;
	}
	if (pd->have_unwind) {
		c->unwind = pd->unwind;
		c->unwind_size = pd->unwind_size;
		c->eh_frame_hdr_size = pd->hdr_size;
		c->mapped_size = pd->mapped_size;
		pd->have_unwind = false;
	}
	itab_insert(by_index, hash_mix(0, index), (uint32_t)jd->n);
	jd->n++;
	jd->st.loads++;
}

struct index_key {
	const struct jitdump *jd;
	uint64_t index, addr;
};

static bool index_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct index_key *k = key;
	(void)ctx;
	return k->jd->v[i].c.index == k->index && k->jd->v[i].c.addr == k->addr;
}

static void rec_move(struct jitdump *jd, const struct rd *r, size_t off, size_t size,
		     uint64_t seq, struct itab *by_index)
{
	if (size < MOVE_FIXED) {
		jd->st.bad++;
		return;
	}
	uint64_t vma = rd64(r, off + 24), from = rd64(r, off + 32), to = rd64(r, off + 40),
		 csize = rd64(r, off + 48), index = rd64(r, off + 56);
	struct index_key k = { jd, index, from };
	uint64_t h = hash_mix(0, index);
	uint32_t i = itab_find(by_index, h, index_eq, NULL, &k);
	if (i == ITAB_NONE) {
		jd->st.orphans++;
		return;
	}
	struct jitdump_code *c = &jd->v[i].c;
	uint64_t sz = csize ? csize : c->size;
	/* lines may sit up to 64 bytes past the end: they must not wrap either */
	if (to + sz < to || to + sz + 64 < to) {
		jd->st.bad++;
		return;
	}
	/* Lines are absolute: they move with their code. */
	struct jitdump_line *lines = (struct jitdump_line *)c->lines;
	for (size_t j = 0; j < c->nlines; j++)
		lines[j].addr = lines[j].addr - from + to;
	c->addr = to;
	c->size = sz;
	c->vma = vma;
	jd->v[i].seq = seq;
	jd->st.moves++;
}

static void rec_debug(struct jitdump *jd, const struct rd *r, size_t off, size_t size,
		      struct pending *pd)
{
	size_t lim = off + size;
	if (size < DEBUG_FIXED) {
		jd->st.bad++;
		return;
	}
	uint64_t addr = rd64(r, off + 16), count = rd64(r, off + 24);
	if (count > (size - DEBUG_FIXED) / DEBUG_ENTRY_MIN) {
		jd->st.bad++;
		return;
	}
	struct jitdump_line *lines = count ? arena_alloc(&jd->mem, (size_t)count * sizeof(*lines)) : NULL;
	size_t p = off + DEBUG_FIXED;
	const char *prev = NULL;
	for (uint64_t i = 0; i < count; i++) {
		if (lim - p < DEBUG_ENTRY_MIN) {
			jd->st.bad++;
			return;
		}
		ssize_t nl = str_in(r, p + 16, lim);
		if (nl < 0) {
			jd->st.bad++;
			return;
		}
		struct jitdump_line *l = &lines[i];
		l->addr = rd64(r, p);
		l->line = rd32(r, p + 8);
		l->discrim = rd32(r, p + 12);
		const char *nm = (const char *)r->p + p + 16;
		/* "\xff" alone: the same file as the entry before. */
		if (nl == 1 && (unsigned char)nm[0] == 0xff)
			l->file = prev;
		else
			l->file = prev = arena_strndup(&jd->mem, nm, (size_t)nl);
		p += 16 + (size_t)nl + 1;
	}
	if (count)
		qsort(lines, (size_t)count, sizeof(*lines), line_cmp);
	if (pd->have_debug)
		jd->st.orphans++;
	pd->have_debug = true;
	pd->debug_addr = addr;
	pd->lines = lines;
	pd->nlines = (size_t)count;
	jd->st.debug_infos++;
}

static void rec_unwind(struct jitdump *jd, const struct rd *r, size_t off, size_t size,
		       struct pending *pd)
{
	if (size < UNWIND_FIXED) {
		jd->st.bad++;
		return;
	}
	uint64_t usize = rd64(r, off + 16), hsize = rd64(r, off + 24), msize = rd64(r, off + 32);
	if (usize > size - UNWIND_FIXED || hsize > usize) {
		jd->st.bad++;
		return;
	}
	if (pd->have_unwind)
		jd->st.orphans++;
	unsigned char *bytes = usize ? arena_alloc(&jd->mem, (size_t)usize) : NULL;
	if (usize)
		memcpy(bytes, r->p + off + UNWIND_FIXED, (size_t)usize);
	pd->have_unwind = true;
	pd->unwind = bytes;
	pd->unwind_size = usize;
	pd->hdr_size = hsize;
	pd->mapped_size = msize;
	jd->st.unwind_infos++;
}

/* ---- disjoint segments, latest load wins ---- */

static int code_start_cmp(const void *a, const void *b, void *ctx)
{
	const struct code *v = ctx;
	uint64_t x = v[*(const uint32_t *)a].c.addr, y = v[*(const uint32_t *)b].c.addr;
	return x < y ? -1 : x > y;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct heap {
	uint32_t *v;
	size_t n;
	const struct code *codes;
};

static bool heap_less(const struct heap *h, size_t a, size_t b)
{
	return h->codes[h->v[a]].seq < h->codes[h->v[b]].seq;
}

static void heap_push(struct heap *h, uint32_t x)
{
	size_t i = h->n++;
	h->v[i] = x;
	while (i && heap_less(h, (i - 1) / 2, i)) {
		uint32_t t = h->v[i];
		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct heap *h)
{
	h->v[0] = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && heap_less(h, m, l))
			m = l;
		if (r < h->n && heap_less(h, m, r))
			m = r;
		if (m == i)
			break;
		uint32_t t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

static void build_segments(struct jitdump *jd)
{
	if (!jd->n)
		return;
	uint32_t *order = xmalloc(jd->n * sizeof(*order));
	uint64_t *pts = xmalloc(2 * jd->n * sizeof(*pts));
	for (size_t i = 0; i < jd->n; i++) {
		order[i] = (uint32_t)i;
		pts[2 * i] = jd->v[i].c.addr;
		pts[2 * i + 1] = jd->v[i].c.addr + jd->v[i].c.size;
	}
	qsort_r(order, jd->n, sizeof(*order), code_start_cmp, jd->v);
	qsort(pts, 2 * jd->n, sizeof(*pts), u64_cmp);
	size_t np = 0;
	for (size_t i = 0; i < 2 * jd->n; i++)
		if (!np || pts[np - 1] != pts[i])
			pts[np++] = pts[i];
	struct heap h = { xmalloc(jd->n * sizeof(uint32_t)), 0, jd->v };
	size_t next = 0, cap = 0;
	for (size_t i = 0; i + 1 < np; i++) {
		uint64_t a = pts[i], b = pts[i + 1];
		while (next < jd->n && jd->v[order[next]].c.addr <= a)
			heap_push(&h, order[next++]);
		while (h.n && jd->v[h.v[0]].c.addr + jd->v[h.v[0]].c.size <= a)
			heap_pop(&h);
		if (!h.n)
			continue;
		uint32_t w = h.v[0];
		if (jd->nsegs && jd->segs[jd->nsegs - 1].code == w && jd->segs[jd->nsegs - 1].end == a) {
			jd->segs[jd->nsegs - 1].end = b;
			continue;
		}
		xgrow((void **)&jd->segs, &cap, jd->nsegs + 1, sizeof(*jd->segs));
		jd->segs[jd->nsegs++] = (struct seg){ a, b, w };
	}
	free(h.v);
	free(pts);
	free(order);
}

/* Parses the file's bytes from jd->off on (data holds them). A record
 * not wholly there ends the pass: in a final pass that is a truncation; in
 * an update it is waited for, since the runtime is still writing it. */
static int feed(struct jitdump *jd, const unsigned char *data, size_t len, bool final)
{
	struct rd r = { data, len, jd->h.swapped };
	size_t off = 0;
	if (!jd->have_header) {
		if (len < HEADER_SIZE)
			return final ? -EINVAL : 0;
		uint32_t magic = rd32(&r, 0);
		if (magic == __builtin_bswap32(MAGIC))
			r.swap = true;
		else if (magic != MAGIC)
			return -EINVAL;
		uint32_t version = rd32(&r, 4), hsize = rd32(&r, 8);
		if (hsize < HEADER_SIZE || (hsize > len && final))
			return -EINVAL;
		if (version != 1)
			return -ENOTSUP;
		if (hsize > len)
			return 0;
		jd->h.version = version;
		jd->h.elf_mach = rd32(&r, 12);
		jd->h.pid = rd32(&r, 20);
		jd->h.timestamp = rd64(&r, 24);
		jd->h.flags = rd64(&r, 32);
		jd->h.swapped = r.swap;
		jd->have_header = true;
		off = hsize;
	}
	size_t loads = jd->n;
	while (off < len && !jd->st.closed) {
		if (len - off < PREFIX_SIZE) {
			jd->st.truncated = final;
			break;
		}
		uint32_t id = rd32(&r, off), size = rd32(&r, off + 4);
		uint64_t ts = rd64(&r, off + 8);
		/* Garbage, or a record still being written at the end: the read
		 * ends there; what came before stands. */
		if (size < PREFIX_SIZE) {
			jd->st.truncated = jd->dead = true;
			break;
		}
		if (size > len - off) {
			jd->st.truncated = final;
			break;
		}
		uint64_t seq = ++jd->st.records;
		switch (id) {
		case JIT_CODE_LOAD: rec_load(jd, &r, off, size, ts, seq, &jd->pd, &jd->by_index); break;
		case JIT_CODE_MOVE: rec_move(jd, &r, off, size, seq, &jd->by_index); break;
		case JIT_CODE_DEBUG_INFO: rec_debug(jd, &r, off, size, &jd->pd); break;
		case JIT_CODE_UNWINDING_INFO: rec_unwind(jd, &r, off, size, &jd->pd); break;
		case JIT_CODE_CLOSE: jd->st.closed = true; break;
		default: jd->st.unknown++; break;
		}
		off += size;
	}
	jd->off += off;
	if (final) {
		jd->st.orphans += jd->pd.have_debug + jd->pd.have_unwind;
		jd->pd.have_debug = jd->pd.have_unwind = false;
	}
	if (jd->n != loads || jd->st.moves != jd->segs_moves) {
		free(jd->segs);
		jd->segs = NULL;
		jd->nsegs = 0;
		jd->segs_moves = jd->st.moves;
		build_segments(jd);
	}
	return 0;
}

struct jitdump *jitdump_new(void)
{
	return xcalloc(1, sizeof(struct jitdump));
}

int jitdump_parse(const void *data, size_t len, struct jitdump **out)
{
	*out = NULL;
	if (!data) {
		errno = EINVAL;
		return -EINVAL;
	}
	struct jitdump *jd = jitdump_new();
	int r = feed(jd, data, len, true);
	if (r < 0) {
		jitdump_free(jd);
		errno = -r;
		return r;
	}
	*out = jd;
	return 0;
}

int jitdump_update(struct jitdump *jd, int fd)
{
	struct stat st;
	if (jd->dead || jd->st.closed)
		return 0;
	if (fstat(fd, &st) != 0)
		return -errno;
	uint64_t size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	if (size > JITDUMP_MAX_BYTES)
		size = JITDUMP_MAX_BYTES;
	if (size <= jd->off)
		return 0;
	size_t n = (size_t)(size - jd->off), got = 0;
	unsigned char *buf = xmalloc(n);
	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, (off_t)(jd->off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	int r = feed(jd, buf, got, false);
	free(buf);
	if (r < 0) {
		jd->dead = true;
		errno = -r;
	}
	return r;
}

int jitdump_read_fd(int fd, struct jitdump **out)
{
	*out = NULL;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		int e = errno;
		return -e;
	}
	char *buf;
	size_t len;
	int r = tfile_read_all(fd, JITDUMP_MAX_BYTES, &buf, &len);
	if (r < 0) {
		errno = -r;
		return r;
	}
	r = jitdump_parse(buf, len, out);
	int e = errno;
	free(buf);
	errno = e;
	return r;
}

void jitdump_free(struct jitdump *jd)
{
	if (!jd)
		return;
	arena_release(&jd->mem);
	free(jd->v);
	free(jd->segs);
	itab_release(&jd->by_index);
	free(jd);
}

const struct jitdump_header *jitdump_header(const struct jitdump *jd)
{
	return &jd->h;
}

const struct jitdump_stats *jitdump_stats(const struct jitdump *jd)
{
	return &jd->st;
}

size_t jitdump_count(const struct jitdump *jd)
{
	return jd ? jd->n : 0;
}

const struct jitdump_code *jitdump_code_at(const struct jitdump *jd, size_t i)
{
	return jd && i < jd->n ? &jd->v[i].c : NULL;
}

const struct jitdump_code *jitdump_lookup(const struct jitdump *jd, uint64_t pc)
{
	if (!jd || !jd->nsegs)
		return NULL;
	size_t lo = 0, hi = jd->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (jd->segs[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || pc >= jd->segs[lo - 1].end)
		return NULL;
	return &jd->v[jd->segs[lo - 1].code].c;
}

const struct jitdump_line *jitdump_line(const struct jitdump_code *c, uint64_t pc)
{
	if (!c || !c->nlines || pc < c->addr || pc - c->addr >= c->size)
		return NULL;
	size_t lo = 0, hi = c->nlines;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->lines[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &c->lines[lo - 1] : NULL;
}

/* ---- unwinding info ---- */

int jitdump_unwind_info(const struct jitdump *jd, uint64_t pc, struct jitdump_unwind *u)
{
	memset(u, 0, sizeof(*u));
	const struct jitdump_code *c = jitdump_lookup(jd, pc);
	if (!c || !c->unwind || !c->eh_frame_hdr_size) {
		errno = ENOENT;
		return -ENOENT;
	}
	uint64_t at = c->addr + ((c->size + 7) & ~(uint64_t)7);
	if (at < c->addr || at + c->unwind_size < at) {
		errno = EINVAL;
		return -EINVAL;
	}
	u->code_addr = c->addr;
	u->code_size = c->size;
	u->eh_frame = c->unwind;
	u->eh_frame_addr = at;
	u->eh_frame_size = c->unwind_size - c->eh_frame_hdr_size;
	u->eh_frame_hdr = c->unwind + u->eh_frame_size;
	u->eh_frame_hdr_addr = at + u->eh_frame_size;
	u->eh_frame_hdr_size = c->eh_frame_hdr_size;
	/* version 1; eh_frame_ptr in any 4- or 8-byte form; fde_count udata4;
	 * the table datarel sdata4 (0x3b), the only kind one can search. */
	const unsigned char *h = u->eh_frame_hdr;
	size_t hl = (size_t)u->eh_frame_hdr_size, ptr;
	if (hl < 4 || h[0] != 1 || h[3] != 0x3b)
		goto bad;
	switch (h[1] & 0x0f) {
	case 0x03: case 0x0b: ptr = 4; break;
	case 0x00: case 0x04: case 0x0c: ptr = 8; break;
	default: goto bad;
	}
	if ((h[2] & 0x0f) != 0x03 || hl < 4 + ptr + 4)
		goto bad;
	uint32_t count;
	memcpy(&count, h + 4 + ptr, 4);
	if (jd->h.swapped)
		count = __builtin_bswap32(count);
	if (count > (hl - (4 + ptr + 4)) / 8)
		goto bad;
	u->table_addr = u->eh_frame_hdr_addr + 4 + ptr + 4;
	u->fde_count = count;
	return 0;
bad:
	memset(u, 0, sizeof(*u));
	errno = EINVAL;
	return -EINVAL;
}

/* libunwind reads remote memory a whole aligned word at a time, so a word
 * that starts before .eh_frame or runs past .eh_frame_hdr is served with
 * zeros there (bytes it then ignores). */
bool jitdump_unwind_read(const struct jitdump_unwind *u, uint64_t addr, void *buf, size_t len)
{
	uint64_t lo = u->eh_frame_addr, hi = u->eh_frame_hdr_addr + u->eh_frame_hdr_size;
	if (!u->eh_frame || !len || len > 64 || addr + len < addr || addr + len <= lo || addr >= hi)
		return false;
	unsigned char *out = buf;
	for (size_t i = 0; i < len; i++) {
		uint64_t a = addr + i;
		out[i] = a >= lo && a < hi ? u->eh_frame[a - lo] : 0;
	}
	return true;
}

/* ---- finding the file ---- */

/* "jit-N.dump" with N the pid the target sees itself as. */
static bool marker_name(const char *path, int nspid)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	char want[32];
	snprintf(want, sizeof(want), "jit-%d.dump", nspid);
	return !strcmp(b, want);
}

int jitdump_find_mapping(const char *maps_text, int nspid, char **path, uint64_t *start,
			 uint64_t *end, uint64_t *ino)
{
	*path = NULL;
	for (const char *l = maps_text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		char *line = xstrndup(l, n);
		l = nl ? nl + 1 : NULL;
		unsigned long long a, b, o, i;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &a, &b, perms, &o, &i, &pos) >= 5 &&
		    pos > 0 && strlen(perms) >= 3 && perms[2] == 'x' && line[pos] == '/' &&
		    marker_name(line + pos, nspid)) {
			*path = xstrdup(line + pos);
			*start = a;
			*end = b;
			*ino = i;
			free(line);
			return 0;
		}
		free(line);
	}
	return -ENOENT;
}

int jitdump_open(pid_t pid, int rootfd, uid_t euid, int nspid)
{
	char mpath[64];
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", (int)pid);
	int mfd = open(mpath, O_RDONLY | O_CLOEXEC);
	if (mfd < 0) {
		int e = errno;
		return -e;
	}
	char *text;
	size_t len;
	int r = tfile_read_all(mfd, (size_t)64 << 20, &text, &len);
	close(mfd);
	if (r < 0)
		return r;
	char *path;
	uint64_t start, end, ino;
	r = jitdump_find_mapping(text, nspid, &path, &start, &end, &ino);
	free(text);
	if (r < 0)
		return r;
	/* map_files is the mapped file itself, wherever it now lives; it needs
	 * privilege, so the mapped path inside the target's root comes next,
	 * and must still be the inode that was mapped. */
	char lpath[96];
	snprintf(lpath, sizeof(lpath), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, start, end);
	struct stat st;
	int fd = tfile_open(lpath, &st);
	if (fd < 0 && rootfd >= 0) {
		fd = tfile_open_in(rootfd, path, &st);
		if (fd >= 0 && (uint64_t)st.st_ino != ino) {
			close(fd);
			fd = -ENOENT;
		}
	}
	free(path);
	if (fd < 0)
		return fd;
	if (st.st_uid != euid) {
		close(fd);
		return -EPERM;
	}
	return fd;
}
