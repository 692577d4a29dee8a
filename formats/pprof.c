#include "formats/pprof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profiler/base/itab.h"
#include "profiler/base/version.h"
#include "formats/escape.h"
#include "formats/pb.h"

/* Field numbers of profile.proto. */
enum {
	P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_MAPPING = 3, P_LOCATION = 4, P_FUNCTION = 5,
	P_STRING_TABLE = 6, P_TIME_NANOS = 9, P_DURATION_NANOS = 10, P_PERIOD_TYPE = 11,
	P_PERIOD = 12, P_COMMENT = 13, P_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VT_TYPE = 1, VT_UNIT = 2 };
enum { S_LOCATION_ID = 1, S_VALUE = 2, S_LABEL = 3 };
enum { L_KEY = 1, L_STR = 2, L_NUM = 3, L_NUM_UNIT = 4 };
enum { M_ID = 1, M_START = 2, M_LIMIT = 3, M_OFFSET = 4, M_FILENAME = 5, M_BUILD_ID = 6,
       M_HAS_FUNCTIONS = 7, M_HAS_FILENAMES = 8, M_HAS_LINE_NUMBERS = 9, M_HAS_INLINE_FRAMES = 10 };
enum { LOC_ID = 1, LOC_MAPPING_ID = 2, LOC_ADDRESS = 3, LOC_LINE = 4 };
enum { LN_FUNCTION_ID = 1, LN_LINE = 2, LN_COLUMN = 3 };
enum { F_ID = 1, F_NAME = 2, F_SYSTEM_NAME = 3, F_FILENAME = 4, F_START_LINE = 5 };

/* An interning table of keys made of uint32 words, stored in one pool. */
struct ktab {
	struct itab idx;
	uint32_t *pool;
	size_t npool, cap_pool;
	size_t *off, *len; /* per entry */
	size_t n, cap_off, cap_len;
};

struct ktab_key {
	const uint32_t *k;
	size_t n;
};

static uint64_t key_hash(const uint32_t *k, size_t n)
{
	return hash_bytes(k, n * sizeof(*k), 0x7070726fULL);
}

static bool ktab_eq(const void *ctx, uint32_t e, const void *key)
{
	const struct ktab *t = ctx;
	const struct ktab_key *k = key;
	return t->len[e] == k->n && memcmp(t->pool + t->off[e], k->k, k->n * sizeof(*k->k)) == 0;
}

/* Returns the entry's index and sets *added when it is new. */
static uint32_t ktab_intern(struct ktab *t, const uint32_t *k, size_t n, bool *added)
{
	struct ktab_key key = { k, n };
	uint64_t h = key_hash(k, n);
	uint32_t e = itab_find(&t->idx, h, ktab_eq, t, &key);
	if (e != ITAB_NONE) {
		*added = false;
		return e;
	}
	xgrow((void **)&t->pool, &t->cap_pool, t->npool + n + 1, sizeof(*t->pool));
	xgrow((void **)&t->off, &t->cap_off, t->n + 1, sizeof(*t->off));
	xgrow((void **)&t->len, &t->cap_len, t->n + 1, sizeof(*t->len));
	memcpy(t->pool + t->npool, k, n * sizeof(*k));
	t->off[t->n] = t->npool;
	t->len[t->n] = n;
	t->npool += n;
	itab_insert(&t->idx, h, (uint32_t)t->n);
	*added = true;
	return (uint32_t)t->n++;
}

static void ktab_release(struct ktab *t)
{
	itab_release(&t->idx);
	free(t->pool);
	free(t->off);
	free(t->len);
	memset(t, 0, sizeof(*t));
}

/* Strings: interned by content into the string table (index 0 is ""). */
struct strtab {
	struct ktab keys; /* key: the string's bytes, padded into words */
	struct strbuf out; /* encoded string_table fields */
	uint32_t *words;
	size_t cap_words;
};

static int64_t str_index(struct strtab *s, const char *str)
{
	if (!str || !*str)
		return 0;
	/* Names are the target's bytes: pprof keeps strings as UTF-8 that
	 * go tool pprof prints as they are, so they are escaped first. */
	if (!escape_pprof_plain(str)) {
		struct strbuf e;
		strbuf_init(&e);
		escape_pprof(&e, str);
		int64_t i = str_index(s, e.buf);
		strbuf_release(&e);
		return i;
	}
	size_t n = strlen(str), w = n / 4 + 1;
	xgrow((void **)&s->words, &s->cap_words, w, sizeof(*s->words));
	memset(s->words, 0, w * sizeof(*s->words));
	memcpy(s->words, str, n);
	bool added;
	/* +1: entry 0 of the table is the empty string, written first. */
	uint32_t i = ktab_intern(&s->keys, s->words, w, &added) + 1;
	if (added)
		pb_bytes(&s->out, P_STRING_TABLE, str, n);
	return i;
}

struct writer {
	const struct profile *p;
	struct strtab st;
	struct ktab funcs, locs;
	struct strbuf functions, locations, samples, tmp, line;
	uint64_t *ids;
	size_t cap_ids;
	uint64_t *mapping_id; /* per module */
	size_t *module_at;    /* modules in mapping order */
};

static bool is_library(const char *path)
{
	const char *b = base_name(path);
	return path[0] == '[' || strstr(b, ".so") != NULL || strncmp(path, "/usr/lib", 8) == 0 ||
	       strncmp(path, "/lib", 4) == 0;
}

/* pprof takes mapping[0] for the main binary (its "File:" line): the first
 * module that is not a library, the kernel or a [vdso] goes first. */
static void order_mappings(struct writer *w)
{
	const struct profile *p = w->p;
	w->mapping_id = xcalloc(p->nmodules + 1, sizeof(*w->mapping_id));
	w->module_at = xcalloc(p->nmodules + 1, sizeof(*w->module_at));
	size_t main_module = 0;
	for (size_t i = 0; i < p->nmodules; i++)
		if (p->modules[i].path && !p->modules[i].kernel && !is_library(p->modules[i].path)) {
			main_module = i;
			break;
		}
	size_t n = 0;
	if (p->nmodules)
		w->module_at[n++] = main_module;
	for (size_t i = 0; i < p->nmodules; i++)
		if (i != main_module)
			w->module_at[n++] = i;
	for (size_t k = 0; k < n; k++)
		w->mapping_id[w->module_at[k]] = k + 1;
}

static uint64_t function_id(struct writer *w, const struct profile_frame *f)
{
	uint32_t k[3];
	k[0] = (uint32_t)str_index(&w->st, f->name ? f->name : "[unknown]");
	k[1] = (uint32_t)str_index(&w->st, f->system_name ? f->system_name : f->name);
	k[2] = (uint32_t)str_index(&w->st, f->file);
	bool added;
	uint32_t id = ktab_intern(&w->funcs, k, 3, &added) + 1;
	if (added) {
		strbuf_reset(&w->tmp);
		pb_uint(&w->tmp, F_ID, id);
		pb_int(&w->tmp, F_NAME, k[0]);
		pb_int(&w->tmp, F_SYSTEM_NAME, k[1]);
		pb_int(&w->tmp, F_FILENAME, k[2]);
		pb_bytes(&w->functions, P_FUNCTION, w->tmp.buf, w->tmp.len);
	}
	return id;
}

/* The runtime address of a module-relative one, for pprof's address ranges. */
static uint64_t runtime_address(const struct profile *p, const struct profile_frame *f)
{
	if (f->module < 0 || (size_t)f->module >= p->nmodules || !f->address)
		return f->address;
	const struct profile_module *m = &p->modules[f->module];
	if (!m->start || m->start < m->offset)
		return f->address;
	return m->start - m->offset + f->address;
}

/* A location is a real frame and the frames inlined into it (frames[0] the
 * real one, then leafwards); pprof lists them leaf first, caller last. */
static uint64_t location_id(struct writer *w, const uint32_t *frames, size_t n)
{
	bool added;
	uint32_t id = ktab_intern(&w->locs, frames, n, &added) + 1;
	if (!added)
		return id;
	const struct profile *p = w->p;
	const struct profile_frame *real = &p->frames[frames[0]];
	struct strbuf loc;
	strbuf_init(&loc);
	pb_uint(&loc, LOC_ID, id);
	if (real->module >= 0 && (size_t)real->module < p->nmodules)
		pb_uint(&loc, LOC_MAPPING_ID, w->mapping_id[real->module]);
	pb_uint(&loc, LOC_ADDRESS, runtime_address(p, real));
	for (size_t i = n; i-- > 0;) {
		const struct profile_frame *f = &p->frames[frames[i]];
		strbuf_reset(&w->line);
		pb_uint(&w->line, LN_FUNCTION_ID, function_id(w, f));
		pb_int(&w->line, LN_LINE, f->line);
		pb_int(&w->line, LN_COLUMN, f->column);
		pb_bytes(&loc, LOC_LINE, w->line.buf, w->line.len);
	}
	pb_bytes(&w->locations, P_LOCATION, loc.buf, loc.len);
	strbuf_release(&loc);
	return id;
}

static void value_type(struct writer *w, struct strbuf *out, uint32_t field, const char *type, const char *unit)
{
	strbuf_reset(&w->tmp);
	pb_int(&w->tmp, VT_TYPE, str_index(&w->st, type));
	pb_int(&w->tmp, VT_UNIT, str_index(&w->st, unit));
	pb_bytes(out, field, w->tmp.buf, w->tmp.len);
}

static void label(struct writer *w, struct strbuf *s, const char *key, const char *str, int64_t num)
{
	strbuf_reset(&w->tmp);
	pb_int(&w->tmp, L_KEY, str_index(&w->st, key));
	if (str)
		pb_int(&w->tmp, L_STR, str_index(&w->st, str));
	else
		pb_int(&w->tmp, L_NUM, num);
	pb_bytes(s, S_LABEL, w->tmp.buf, w->tmp.len);
}

static uint64_t period_of(const struct profile *p)
{
	if (p->meta.period_ns)
		return p->meta.period_ns;
	if (p->meta.freq)
		return 1000000000ull / p->meta.freq;
	return 0;
}

static void encode(const struct profile *p, struct strbuf *msg)
{
	struct writer w = { .p = p };
	order_mappings(&w);
	strbuf_init(&w.st.out);
	strbuf_init(&w.functions);
	strbuf_init(&w.locations);
	strbuf_init(&w.samples);
	strbuf_init(&w.tmp);
	strbuf_init(&w.line);
	pb_bytes(&w.st.out, P_STRING_TABLE, "", 0);
	uint64_t period = period_of(p);
	const char *kind = p->meta.mode && strcmp(p->meta.mode, "wall") == 0 ? "wall" : "cpu";
	struct strbuf head;
	strbuf_init(&head);
	/* A count of events (perf script's page-faults) is named for them. */
	value_type(&w, &head, P_SAMPLE_TYPE, p->meta.unit ? p->meta.unit : "samples", "count");
	if (period)
		value_type(&w, &head, P_SAMPLE_TYPE, kind, "nanoseconds");
	uint32_t *stack = NULL;
	size_t scap = 0;
	struct strbuf s;
	strbuf_init(&s);
	/* loc_of[n]: the location of the inline group that ends at node n (a
	 * group is a real frame and the frames inlined into it), so each group
	 * is built once however many stacks pass through it. */
	uint64_t *loc_of = xcalloc(p->nnodes + 1, sizeof(*loc_of));
	uint64_t *loc_of_frame = xcalloc(p->nframes + 1, sizeof(*loc_of_frame));
	for (size_t i = 0; i < p->ncounts; i++) {
		const struct profile_count *c = &p->counts[i];
		size_t ng = 0;
		for (uint32_t n = c->node; n != PROFILE_ROOT;) {
			uint32_t fr = p->nodes[n].frame;
			if (!loc_of[n] && !p->frames[fr].inlined && loc_of_frame[fr]) {
				loc_of[n] = loc_of_frame[fr]; /* the common case: no inlining */
			} else if (!loc_of[n]) {
				size_t d = 0;
				uint32_t m = n;
				for (;;) {
					xgrow((void **)&stack, &scap, d + 1, sizeof(*stack));
					stack[d++] = p->nodes[m].frame;
					if (!p->frames[p->nodes[m].frame].inlined || p->nodes[m].parent == PROFILE_ROOT)
						break;
					m = p->nodes[m].parent;
				}
				/* stack holds the group leaf first: turn it root first. */
				for (size_t a = 0, b = d - 1; a < b; a++, b--) {
					uint32_t t = stack[a];
					stack[a] = stack[b];
					stack[b] = t;
				}
				loc_of[n] = location_id(&w, stack, d);
				if (d == 1)
					loc_of_frame[fr] = loc_of[n];
			}
			xgrow((void **)&w.ids, &w.cap_ids, ng + 1, sizeof(*w.ids));
			w.ids[ng++] = loc_of[n];
			/* Skip to the parent of the group's real frame. */
			while (p->frames[p->nodes[n].frame].inlined && p->nodes[n].parent != PROFILE_ROOT)
				n = p->nodes[n].parent;
			n = p->nodes[n].parent;
		}
		strbuf_reset(&s);
		pb_packed(&s, S_LOCATION_ID, w.ids, ng);
		uint64_t vals[2] = { c->count, period && c->count > UINT64_MAX / period ? UINT64_MAX : c->count * period };
		pb_packed(&s, S_VALUE, vals, period ? 2 : 1);
		if (c->thread < p->nthreads) {
			const struct profile_thread *t = &p->threads[c->thread];
			label(&w, &s, "thread", t->name, 0);
			if (t->tid)
				label(&w, &s, "tid", NULL, t->tid);
			if (t->pid)
				label(&w, &s, "pid", NULL, t->pid);
		}
		pb_bytes(&w.samples, P_SAMPLE, s.buf, s.len);
	}
	strbuf_release(&s);
	free(stack);
	free(loc_of);
	free(loc_of_frame);
	/* What the symbols of each module can do, from the module and its frames. */
	uint8_t *has = xcalloc(p->nmodules + 1, 4);
	for (size_t i = 0; i < p->nframes; i++) {
		const struct profile_frame *f = &p->frames[i];
		if (f->module < 0 || (size_t)f->module >= p->nmodules)
			continue;
		uint8_t *h = has + 4 * f->module;
		h[0] |= f->name && f->name[0] && f->name[0] != '[';
		h[1] |= f->file != NULL;
		h[2] |= f->line != 0;
		h[3] |= f->inlined;
	}
	struct strbuf maps;
	strbuf_init(&maps);
	for (size_t k = 0; k < p->nmodules; k++) {
		size_t i = w.module_at[k];
		const struct profile_module *m = &p->modules[i];
		const uint8_t *h = has + 4 * i;
		strbuf_reset(&w.tmp);
		pb_uint(&w.tmp, M_ID, w.mapping_id[i]);
		pb_uint(&w.tmp, M_START, m->start);
		pb_uint(&w.tmp, M_LIMIT, m->limit);
		pb_uint(&w.tmp, M_OFFSET, m->offset);
		pb_int(&w.tmp, M_FILENAME, str_index(&w.st, m->path));
		pb_int(&w.tmp, M_BUILD_ID, str_index(&w.st, m->build_id));
		pb_uint(&w.tmp, M_HAS_FUNCTIONS, m->has_functions || h[0]);
		pb_uint(&w.tmp, M_HAS_FILENAMES, m->has_filenames || h[1]);
		pb_uint(&w.tmp, M_HAS_LINE_NUMBERS, m->has_line_numbers || h[2]);
		pb_uint(&w.tmp, M_HAS_INLINE_FRAMES, m->has_inline_frames || h[3]);
		pb_bytes(&maps, P_MAPPING, w.tmp.buf, w.tmp.len);
	}
	free(has);
	struct strbuf tail;
	strbuf_init(&tail);
	pb_int(&tail, P_TIME_NANOS, (int64_t)p->meta.start_ns);
	pb_int(&tail, P_DURATION_NANOS, (int64_t)p->meta.duration_ns);
	if (period) {
		value_type(&w, &tail, P_PERIOD_TYPE, kind, "nanoseconds");
		pb_int(&tail, P_PERIOD, (int64_t)period);
	}
	/* pprof has no field for the target's pid or the asked rate: they
	 * travel as comments, which pprof_read parses back. */
	uint64_t comments[4];
	size_t nc = 0;
	comments[nc++] = (uint64_t)str_index(&w.st, "prowl " PROWL_VERSION);
	if (p->meta.command) {
		char *c = xasprintf("command: %s", p->meta.command);
		comments[nc++] = (uint64_t)str_index(&w.st, c);
		free(c);
	}
	if (p->meta.pid > 0) {
		char *c = xasprintf("pid: %d", p->meta.pid);
		comments[nc++] = (uint64_t)str_index(&w.st, c);
		free(c);
	}
	if (p->meta.freq) {
		char *c = xasprintf("rate: %u Hz", p->meta.freq);
		comments[nc++] = (uint64_t)str_index(&w.st, c);
		free(c);
	}
	for (size_t i = 0; i < nc; i++)
		pb_int(&tail, P_COMMENT, (int64_t)comments[i]);
	/* Field order on the wire does not matter to protobuf readers. */
	strbuf_add(msg, head.buf, head.len);
	strbuf_add(msg, w.samples.buf, w.samples.len);
	strbuf_add(msg, maps.buf, maps.len);
	strbuf_add(msg, w.locations.buf, w.locations.len);
	strbuf_add(msg, w.functions.buf, w.functions.len);
	strbuf_add(msg, w.st.out.buf, w.st.out.len);
	strbuf_add(msg, tail.buf, tail.len);
	strbuf_release(&head);
	strbuf_release(&tail);
	strbuf_release(&maps);
	strbuf_release(&w.st.out);
	strbuf_release(&w.functions);
	strbuf_release(&w.locations);
	strbuf_release(&w.samples);
	strbuf_release(&w.tmp);
	strbuf_release(&w.line);
	ktab_release(&w.st.keys);
	ktab_release(&w.funcs);
	ktab_release(&w.locs);
	free(w.st.words);
	free(w.ids);
	free(w.mapping_id);
	free(w.module_at);
}

int pprof_write(const struct profile *p, FILE *out, const struct write_opts *o)
{
	(void)o; /* pprof keeps lines and threads (as labels) anyway */
	struct strbuf msg;
	strbuf_init(&msg);
	encode(p, &msg);
	z_stream z;
	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper, as pprof files are; level 1 as Go writes them
	 * (the profile is mostly varints, deflate gains little from trying harder). */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		strbuf_release(&msg);
		return -ENOMEM;
	}
	unsigned char buf[1 << 16];
	z.next_in = (unsigned char *)msg.buf;
	z.avail_in = (uInt)msg.len;
	int rc = 0, zr;
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			rc = -EIO;
			break;
		}
		size_t have = sizeof(buf) - z.avail_out;
		if (have && fwrite(buf, 1, have, out) != have) {
			rc = -EIO;
			break;
		}
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
	strbuf_release(&msg);
	if (!rc && ferror(out))
		rc = -EIO;
	return rc;
}

/* Reading. Ids in a pprof file are arbitrary numbers: they are mapped to
 * table positions through the shared itab (id 0 is "none" and never stored). */
struct idmap {
	struct itab idx;
	struct idmap_entry {
		uint64_t key;
		uint32_t val;
	} *e;
	size_t n, cap;
};

static bool idmap_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct idmap *m = ctx;
	return m->e[i].key == *(const uint64_t *)key;
}

static void idmap_put(struct idmap *m, uint64_t key, uint32_t val)
{
	uint64_t h = hash_mix(0, key);
	uint32_t i = itab_find(&m->idx, h, idmap_eq, m, &key);
	if (i == ITAB_NONE) {
		xgrow((void **)&m->e, &m->cap, m->n + 1, sizeof(*m->e));
		i = (uint32_t)m->n++;
		m->e[i].key = key;
		itab_insert(&m->idx, h, i);
	}
	m->e[i].val = val;
}

static uint32_t idmap_get(const struct idmap *m, uint64_t key)
{
	if (!m->n || !key)
		return UINT32_MAX;
	uint32_t i = itab_find(&m->idx, hash_mix(0, key), idmap_eq, m, &key);
	return i == ITAB_NONE ? UINT32_MAX : m->e[i].val;
}

static void idmap_release(struct idmap *m)
{
	itab_release(&m->idx);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

struct slice {
	const uint8_t *data;
	size_t len;
};

struct rfunc {
	uint64_t name, system_name, filename;
};

struct rline {
	uint32_t function; /* index into funcs, UINT32_MAX if unknown */
	int64_t line, column;
};

struct rloc {
	int32_t module;
	uint64_t address;
	size_t first_line, nlines; /* into lines */
};

struct reader {
	struct slice *strings;
	size_t nstrings, cap_strings;
	struct slice *samples, *mappings, *locations, *functions, *sample_types;
	size_t nsamples, nmappings, nlocations, nfunctions, nsample_types;
	size_t cap_samples, cap_mappings, cap_locations, cap_functions, cap_sample_types;
	uint64_t time_nanos, duration_nanos, period;
	struct slice period_type; /* data NULL when absent */
	uint64_t *comments;
	size_t ncomments, cap_comments;
	/* Elements (top-level entries and location lines) and stack nodes the
	 * input may still make: bounded by its size, so a small file cannot
	 * ask for gigabytes (an empty string costs 2 bytes, and gzip packs a
	 * million of them in a kilobyte). */
	size_t elements_left, nodes_left;
};

static void push_slice(struct slice **a, size_t *n, size_t *cap, const struct pb_field *f)
{
	xgrow((void **)a, cap, *n + 1, sizeof(**a));
	(*a)[(*n)++] = (struct slice){ f->data, f->len };
}

/* A string table entry as a new C string ("" when out of range). */
static char *rstr(const struct reader *r, uint64_t i)
{
	if (i >= r->nstrings)
		return xstrdup("");
	return xstrndup((const char *)r->strings[i].data, r->strings[i].len);
}

static bool rstr_is(const struct reader *r, uint64_t i, const char *s)
{
	return i < r->nstrings && r->strings[i].len == strlen(s) &&
	       memcmp(r->strings[i].data, s, r->strings[i].len) == 0;
}

static int read_top(struct reader *r, const uint8_t *data, size_t len)
{
	struct pb_reader pr = { data, data + len };
	struct pb_field f;
	int rc;
	while ((rc = pb_next(&pr, &f)) > 0) {
		bool is_len = f.wire == PB_LEN;
		if (!r->elements_left--)
			return -EFBIG;
		switch (f.number) {
		case P_SAMPLE_TYPE: if (is_len) push_slice(&r->sample_types, &r->nsample_types, &r->cap_sample_types, &f); break;
		case P_SAMPLE: if (is_len) push_slice(&r->samples, &r->nsamples, &r->cap_samples, &f); break;
		case P_MAPPING: if (is_len) push_slice(&r->mappings, &r->nmappings, &r->cap_mappings, &f); break;
		case P_LOCATION: if (is_len) push_slice(&r->locations, &r->nlocations, &r->cap_locations, &f); break;
		case P_FUNCTION: if (is_len) push_slice(&r->functions, &r->nfunctions, &r->cap_functions, &f); break;
		case P_STRING_TABLE: if (is_len) push_slice(&r->strings, &r->nstrings, &r->cap_strings, &f); break;
		case P_TIME_NANOS: r->time_nanos = f.value; break;
		case P_DURATION_NANOS: r->duration_nanos = f.value; break;
		case P_PERIOD: r->period = f.value; break;
		case P_PERIOD_TYPE: if (is_len) r->period_type = (struct slice){ f.data, f.len }; break;
		case P_COMMENT:
			if (pb_read_packed(&f, &r->comments, &r->ncomments, &r->cap_comments))
				return -EINVAL;
			if (r->ncomments > 64)
				return -EFBIG; /* prowl writes 4 */
			break;
		default: break;
		}
	}
	return rc;
}

static int read_fields(struct slice s, uint64_t *vals, uint32_t nvals)
{
	struct pb_reader pr = { s.data, s.data + s.len };
	struct pb_field f;
	int rc;
	while ((rc = pb_next(&pr, &f)) > 0)
		if (f.number < nvals && f.wire == PB_VARINT)
			vals[f.number] = f.value;
	return rc;
}

/* Which value counts samples: "samples"/"count" (prowl, perf), else any
 * count, else the first value (then divided by the period when it is time). */
static int value_index(const struct reader *r, bool *is_time)
{
	int any_count = -1;
	*is_time = false;
	for (size_t i = 0; i < r->nsample_types; i++) {
		uint64_t v[3] = { 0 };
		if (read_fields(r->sample_types[i], v, 3) < 0)
			return -1;
		if (rstr_is(r, v[VT_UNIT], "count")) {
			if (rstr_is(r, v[VT_TYPE], "samples"))
				return (int)i;
			if (any_count < 0)
				any_count = (int)i;
		}
	}
	if (any_count >= 0)
		return any_count;
	if (r->nsample_types) {
		uint64_t v[3] = { 0 };
		read_fields(r->sample_types[0], v, 3);
		*is_time = rstr_is(r, v[VT_UNIT], "nanoseconds");
	}
	return 0;
}

static void reader_release(struct reader *r)
{
	free(r->strings);
	free(r->samples);
	free(r->mappings);
	free(r->locations);
	free(r->functions);
	free(r->sample_types);
	free(r->comments);
}

/* Inflates data into buf (NULL: only counts); returns the unpacked size,
 * or -EINVAL (not gzip) or -EFBIG (more than limit bytes). */
static long long inflate_into(const char *data, size_t len, char *buf, size_t limit)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return -EINVAL;
	unsigned char scratch[1 << 16];
	size_t n = 0;
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	int zr;
	long long rc = 0;
	do {
		size_t room = buf ? limit - n : sizeof(scratch);
		z.next_out = buf ? (unsigned char *)buf + n : scratch;
		z.avail_out = (uInt)(room < UINT32_MAX ? room : UINT32_MAX);
		uInt before = z.avail_out;
		zr = inflate(&z, Z_NO_FLUSH);
		n += before - z.avail_out;
		if (n > limit || (buf && n == limit && zr == Z_OK)) {
			rc = -EFBIG;
			break;
		}
		if (zr == Z_STREAM_END && z.avail_in > 0 && z.avail_in < len) {
			/* Concatenated gzip members: keep going. */
			inflateReset(&z);
			zr = Z_OK;
		}
	} while (zr == Z_OK);
	inflateEnd(&z);
	if (!rc && zr != Z_STREAM_END)
		rc = -EINVAL;
	return rc ? rc : (long long)n;
}

/* The unpacked profile, or NULL and errno (EFBIG: it unpacks to more than
 * PPROF_UNPACK_BASE + PPROF_UNPACK_RATIO times its packed size). Counted
 * first, then unpacked into a buffer of that size, so a gzip bomb costs
 * time in proportion to the limit and no memory. */
static char *gunzip(const char *data, size_t len, size_t *out_len)
{
	size_t limit = PPROF_UNPACK_BASE + PPROF_UNPACK_RATIO * len;
	if (limit > ((size_t)1 << 30))
		limit = (size_t)1 << 30;
	long long n = inflate_into(data, len, NULL, limit);
	if (n < 0) {
		errno = (int)-n;
		return NULL;
	}
	char *buf = xmalloc((size_t)n + 1);
	long long m = inflate_into(data, len, buf, (size_t)n + 1);
	if (m != n) {
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	*out_len = (size_t)n;
	return buf;
}

static bool is_jit_map(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return strncmp(b, "perf-", 5) == 0 && strlen(b) > 9 && strcmp(b + strlen(b) - 4, ".map") == 0;
}

static struct profile *build(struct reader *r)
{
	struct profile *p = profile_new();
	struct idmap mapids = { 0 }, funcids = { 0 }, locids = { 0 };
	struct rfunc *funcs = xcalloc(r->nfunctions + 1, sizeof(*funcs));
	struct rloc *locs = xcalloc(r->nlocations + 1, sizeof(*locs));
	struct rline *lines = NULL;
	size_t nlines = 0, cap_lines = 0;
	uint8_t *module_kind = xcalloc(r->nmappings + 1, 1);
	bool ok = true, too_big = false;
	for (size_t i = 0; i < r->nmappings && ok; i++) {
		uint64_t v[11] = { 0 };
		ok = read_fields(r->mappings[i], v, 11) >= 0;
		char *path = rstr(r, v[M_FILENAME]), *bid = rstr(r, v[M_BUILD_ID]);
		struct profile_module m = {
			.path = path, .build_id = *bid ? bid : NULL,
			.start = v[M_START], .limit = v[M_LIMIT], .offset = v[M_OFFSET],
			.kernel = strncmp(path, "[kernel", 7) == 0 || strstr(path, "vmlinux") != NULL,
			.has_functions = v[M_HAS_FUNCTIONS] != 0, .has_filenames = v[M_HAS_FILENAMES] != 0,
			.has_line_numbers = v[M_HAS_LINE_NUMBERS] != 0,
			.has_inline_frames = v[M_HAS_INLINE_FRAMES] != 0,
		};
		int32_t k = profile_module_intern(p, &m);
		if (k >= 0 && (size_t)k <= r->nmappings)
			module_kind[k] = m.kernel ? FRAME_KERNEL : is_jit_map(path) ? FRAME_JIT : FRAME_USER;
		idmap_put(&mapids, v[M_ID], (uint32_t)k);
		free(path);
		free(bid);
	}
	for (size_t i = 0; i < r->nfunctions && ok; i++) {
		uint64_t v[6] = { 0 };
		ok = read_fields(r->functions[i], v, 6) >= 0;
		funcs[i] = (struct rfunc){ v[F_NAME], v[F_SYSTEM_NAME], v[F_FILENAME] };
		idmap_put(&funcids, v[F_ID], (uint32_t)i);
	}
	for (size_t i = 0; i < r->nlocations && ok; i++) {
		struct pb_reader pr = { r->locations[i].data, r->locations[i].data + r->locations[i].len };
		struct pb_field f;
		int rc;
		uint64_t id = 0;
		locs[i].module = -1;
		locs[i].first_line = nlines;
		while ((rc = pb_next(&pr, &f)) > 0) {
			if (f.number == LOC_ID && f.wire == PB_VARINT) {
				id = f.value;
			} else if (f.number == LOC_MAPPING_ID && f.wire == PB_VARINT) {
				uint32_t k = idmap_get(&mapids, f.value);
				locs[i].module = k == UINT32_MAX ? -1 : (int32_t)k;
			} else if (f.number == LOC_ADDRESS && f.wire == PB_VARINT) {
				locs[i].address = f.value;
			} else if (f.number == LOC_LINE && f.wire == PB_LEN) {
				uint64_t v[4] = { 0 };
				if (read_fields((struct slice){ f.data, f.len }, v, 4) < 0) {
					rc = -EINVAL;
					break;
				}
				if (!r->elements_left--) {
					rc = -EFBIG;
					break;
				}
				xgrow((void **)&lines, &cap_lines, nlines + 1, sizeof(*lines));
				lines[nlines++] = (struct rline){ idmap_get(&funcids, v[LN_FUNCTION_ID]),
								  (int64_t)v[LN_LINE], (int64_t)v[LN_COLUMN] };
			}
		}
		if (rc == -EFBIG)
			too_big = true;
		ok = rc == 0;
		locs[i].nlines = nlines - locs[i].first_line;
		idmap_put(&locids, id, (uint32_t)i);
	}
	/* Each location becomes its frames, root first: the caller (last line)
	 * is the real frame, the lines before it are inlined into it. */
	uint32_t **loc_frames = xcalloc(r->nlocations + 1, sizeof(*loc_frames));
	for (size_t i = 0; i < r->nlocations && ok; i++) {
		const struct rloc *l = &locs[i];
		size_t n = l->nlines ? l->nlines : 1;
		loc_frames[i] = xmalloc((n + 1) * sizeof(**loc_frames));
		loc_frames[i][0] = (uint32_t)n;
		const struct profile_module *m = l->module >= 0 ? &p->modules[l->module] : NULL;
		uint64_t rel = m && m->start && l->address >= m->start ? l->address - m->start + m->offset : l->address;
		uint8_t kind = m && (size_t)l->module <= r->nmappings ? module_kind[l->module] : FRAME_USER;
		for (size_t k = 0; k < n; k++) {
			struct profile_frame f = { .module = l->module, .address = rel, .kind = kind };
			char *name = NULL, *sys = NULL, *file = NULL;
			if (l->nlines) {
				const struct rline *ln = &lines[l->first_line + l->nlines - 1 - k];
				if (ln->function < r->nfunctions) {
					const struct rfunc *fn = &funcs[ln->function];
					name = rstr(r, fn->name);
					sys = rstr(r, fn->system_name);
					file = rstr(r, fn->filename);
				}
				f.line = ln->line > 0 && ln->line <= UINT32_MAX ? (uint32_t)ln->line : 0;
				f.column = ln->column > 0 && ln->column <= UINT32_MAX ? (uint32_t)ln->column : 0;
				f.inlined = k > 0;
			}
			if (!name || !*name) {
				free(name);
				name = m ? xasprintf("%s+0x%llx", strrchr(m->path, '/') ? strrchr(m->path, '/') + 1 : m->path,
						     (unsigned long long)rel)
					 : xasprintf("0x%llx", (unsigned long long)l->address);
			}
			f.name = name;
			f.system_name = sys && *sys && strcmp(sys, name) ? sys : NULL;
			f.file = file && *file ? file : NULL;
			loc_frames[i][1 + k] = profile_frame_intern(p, &f);
			free(name);
			free(sys);
			free(file);
		}
	}
	bool is_time;
	int vi = value_index(r, &is_time);
	ok = ok && vi >= 0;
	/* A count of something else than samples (page-faults, alloc_objects)
	 * keeps its name: report calls the numbers that. */
	if (vi >= 0 && (size_t)vi < r->nsample_types && !is_time) {
		uint64_t v[3] = { 0 };
		if (read_fields(r->sample_types[vi], v, 3) >= 0 && rstr_is(r, v[VT_UNIT], "count") &&
		    !rstr_is(r, v[VT_TYPE], "samples") && !rstr_is(r, v[VT_TYPE], "")) {
			char *unit = rstr(r, v[VT_TYPE]);
			profile_set_str(&p->meta.unit, unit);
			free(unit);
		}
	}
	uint32_t *stack = NULL;
	size_t scap = 0;
	uint64_t *ids = NULL, *vals = NULL;
	size_t cap_ids = 0, cap_vals = 0;
	/* Samples with no thread label go to one thread "all", made only when
	 * such a sample exists (a profile of labelled samples gets none). */
	uint32_t any = PROFILE_NONE;
	for (size_t i = 0; i < r->nsamples && ok; i++) {
		struct pb_reader pr = { r->samples[i].data, r->samples[i].data + r->samples[i].len };
		struct pb_field f;
		size_t nids = 0, nvals = 0;
		int rc;
		char *tname = NULL;
		int64_t tid = 0, pid = 0;
		while ((rc = pb_next(&pr, &f)) > 0) {
			if (f.number == S_LOCATION_ID) {
				if (pb_read_packed(&f, &ids, &nids, &cap_ids))
					rc = -EINVAL;
			} else if (f.number == S_VALUE) {
				if (pb_read_packed(&f, &vals, &nvals, &cap_vals))
					rc = -EINVAL;
			} else if (f.number == S_LABEL && f.wire == PB_LEN) {
				uint64_t v[5] = { 0 };
				if (read_fields((struct slice){ f.data, f.len }, v, 5) < 0)
					rc = -EINVAL;
				else if (rstr_is(r, v[L_KEY], "thread") && !tname)
					tname = rstr(r, v[L_STR]);
				else if (rstr_is(r, v[L_KEY], "tid"))
					tid = (int64_t)v[L_NUM];
				else if (rstr_is(r, v[L_KEY], "pid"))
					pid = (int64_t)v[L_NUM];
			}
			if (rc < 0)
				break;
		}
		if (rc < 0) {
			free(tname);
			ok = false;
			break;
		}
		uint64_t c = (size_t)vi < nvals ? vals[vi] : 0;
		if (is_time && r->period)
			c /= r->period;
		/* Root first; a sample deeper than READ_MAX_FRAMES keeps its
		 * outermost frames and is counted as truncated (one location
		 * with many inline lines, named many times, multiplies). */
		size_t depth = 0;
		bool cut = false;
		for (size_t k = nids; k-- > 0 && !cut;) {
			uint32_t li = idmap_get(&locids, ids[k]);
			if (li == UINT32_MAX || !loc_frames[li])
				continue;
			uint32_t n = loc_frames[li][0];
			if (n > READ_MAX_FRAMES - depth) {
				n = (uint32_t)(READ_MAX_FRAMES - depth);
				cut = true;
			}
			xgrow((void **)&stack, &scap, depth + n + 1, sizeof(*stack));
			memcpy(stack + depth, loc_frames[li] + 1, n * sizeof(*stack));
			depth += n;
		}
		uint32_t t;
		if (tname || tid) {
			t = profile_thread_intern(p, (int32_t)pid, (int32_t)tid, tname ? tname : "thread");
		} else {
			if (any == PROFILE_NONE)
				any = profile_thread_intern(p, 0, 0, "all");
			t = any;
		}
		free(tname);
		if (!c)
			continue;
		size_t before = p->nnodes;
		uint32_t leaf = profile_node_path(p, stack, depth);
		if (p->nnodes - before > r->nodes_left) {
			ok = false;
			too_big = true;
			break;
		}
		r->nodes_left -= p->nnodes - before;
		profile_add(p, t, leaf, c);
		if (cut && p->meta.truncated < UINT64_MAX)
			p->meta.truncated++;
	}
	free(stack);
	free(ids);
	free(vals);
	for (size_t i = 0; i < r->nlocations; i++)
		free(loc_frames[i]);
	free(loc_frames);
	free(lines);
	free(funcs);
	free(locs);
	free(module_kind);
	idmap_release(&mapids);
	idmap_release(&funcids);
	idmap_release(&locids);
	if (!ok) {
		profile_free(p);
		errno = too_big ? EFBIG : EINVAL;
		return NULL;
	}
	p->meta.start_ns = r->time_nanos;
	p->meta.duration_ns = r->duration_nanos;
	p->meta.period_ns = r->period;
	if (r->period_type.data) {
		uint64_t v[3] = { 0 };
		if (read_fields(r->period_type, v, 3) >= 0 && rstr_is(r, v[VT_TYPE], "wall"))
			profile_set_str(&p->meta.mode, "wall");
	}
	for (size_t i = 0; i < r->ncomments; i++) {
		char *c = rstr(r, r->comments[i]);
		unsigned long long v;
		if (strncmp(c, "command: ", 9) == 0)
			profile_set_str(&p->meta.command, c + 9);
		else if (sscanf(c, "pid: %llu", &v) == 1 && v <= INT32_MAX)
			p->meta.pid = (int32_t)v;
		else if (sscanf(c, "rate: %llu Hz", &v) == 1 && v <= UINT32_MAX)
			p->meta.freq = (uint32_t)v;
		free(c);
	}
	return p;
}

struct profile *pprof_read(const char *data, size_t len)
{
	size_t n = 0;
	char *raw = NULL;
	if (len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b) {
		raw = gunzip(data, len, &n);
		if (!raw)
			return NULL;
	}
	struct reader r = {
		.elements_left = PPROF_MAX_ELEMENTS_BASE + len,
		.nodes_left = PPROF_MAX_NODES_BASE + 4 * len,
	};
	struct profile *p = NULL;
	int rc = read_top(&r, raw ? (const uint8_t *)raw : (const uint8_t *)data, raw ? n : len);
	int e = rc == -EFBIG ? EFBIG : EINVAL;
	if (rc == 0 && r.nstrings && r.strings[0].len == 0) {
		p = build(&r);
		e = errno;
	}
	reader_release(&r);
	free(raw);
	if (!p)
		errno = e == EFBIG ? EFBIG : EINVAL;
	return p;
}
