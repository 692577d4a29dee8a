/*
 * dwarfidx: why not dwarf_getscopes() per address: it walks the whole unit
 * from its root every time (eu-addr2line spends most of its time there). We
 * walk each unit once, keep the scopes that have PC ranges as a small tree,
 * and answer each address by a binary search over the unit's top-level
 * ranges plus a short descent. Which scopes count and which one is innermost
 * follow dwarf_getscopes() exactly (first child in DIE order that contains the
 * address), so answers match eu-addr2line's.
 */
#include "symbolize/dwarfidx.h"

#include <dwarf.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"

#define MAX_DEPTH 200
#define MAX_NODES_PER_CU (1u << 22)

struct node {
	Dwarf_Off off, end;       /* DIE offset and the offset just past its subtree */
	int32_t parent, child, sibling;
	uint32_t r0, nr;          /* ranges in cu->ranges */
	uint16_t tag;
	bool have_name, have_call;
	const char *name;
	const char *call_file;
	uint32_t call_line, call_col;
};

struct range {
	uint64_t lo, hi;
	uint32_t node;
};

struct dcu {
	Dwarf_Off die_off;
	Dwarf_Off unit_start;   /* offset of the unit header */
	Dwarf_Off unit_end;     /* offset just past the unit, 0 when unknown */
	uint16_t version;
	uint8_t addr_size, off_size;
	Dwarf_Off abbrev_off;
	bool loaded, scanned, bad;
	Dwarf_Die die;
	const char *comp_dir;
	Dwarf_Files *files;
	size_t nfiles;
	struct node *nodes;
	size_t nnodes, cap_nodes;
	struct range *ranges;  /* per node, indexed by node.r0 */
	size_t nranges, cap_ranges;
	struct range *tops;    /* top-level ranges sorted by lo */
	uint64_t *topmax;      /* prefix maximum of tops[].hi */
	size_t ntops;
	uint32_t *topnodes;    /* top-level nodes in DIE order */
	size_t ntopnodes;
};

struct curange {
	uint64_t lo, hi;
	uint32_t cu;
};

struct dwidx {
	Dwarf *dbg;
	const unsigned char *info, *abbrev; /* raw sections, when the fast scanner can read them */
	size_t info_len, abbrev_len;
	struct dcu *cus;
	size_t ncus;
	struct curange *cur;
	size_t ncur;
	uint64_t *curmax;
	struct ptrmap paths; /* src pointer -> composed path */
};

static int cmp_curange(const void *a, const void *b)
{
	const struct curange *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->cu < y->cu ? -1 : x->cu > y->cu;
}

static int cmp_off(const void *a, const void *b)
{
	const Dwarf_Off *x = a, *y = b;
	return *x < *y ? -1 : *x > *y;
}

static uint32_t cu_index(struct dwidx *d, Dwarf_Off off)
{
	size_t lo = 0, hi = d->ncus;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->cus[mid].die_off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

/* Address -> unit comes from .debug_aranges, as libdwfl does; a file without
 * aranges falls back on the units' own ranges. */
static void build_cu_table(struct dwidx *d)
{
	Dwarf_Aranges *ar;
	size_t nar = 0;
	Dwarf_Off *offs = NULL;
	size_t noffs = 0, cap_offs = 0, cap_cur = 0;
	if (dwarf_getaranges(d->dbg, &ar, &nar) == 0 && nar > 0) {
		for (size_t i = 0; i < nar; i++) {
			Dwarf_Arange *a = dwarf_onearange(ar, i);
			Dwarf_Addr start;
			Dwarf_Word len;
			Dwarf_Off off;
			if (!a || dwarf_getarangeinfo(a, &start, &len, &off) != 0 || !len)
				continue;
			xgrow((void **)&d->cur, &cap_cur, d->ncur + 1, sizeof(*d->cur));
			d->cur[d->ncur++] = (struct curange){ start, start + len, 0 };
			xgrow((void **)&offs, &cap_offs, noffs + 1, sizeof(*offs));
			offs[noffs++] = off;
		}
	} else {
		Dwarf_Off off = 0, next;
		size_t hsize;
		while (dwarf_nextcu(d->dbg, off, &next, &hsize, NULL, NULL, NULL) == 0) {
			Dwarf_Die die;
			if (dwarf_offdie(d->dbg, off + hsize, &die)) {
				Dwarf_Addr base, s, e;
				ptrdiff_t it = 0;
				int guard = 0;
				while ((it = dwarf_ranges(&die, it, &base, &s, &e)) > 0 && guard++ < 100000) {
					if (e <= s)
						continue;
					xgrow((void **)&d->cur, &cap_cur, d->ncur + 1, sizeof(*d->cur));
					d->cur[d->ncur++] = (struct curange){ s, e, 0 };
					xgrow((void **)&offs, &cap_offs, noffs + 1, sizeof(*offs));
					offs[noffs++] = off + hsize;
				}
			}
			if (next <= off)
				break;
			off = next;
		}
	}
	/* Unique unit offsets, then point each range at its unit. */
	Dwarf_Off *sorted = xmalloc((noffs ? noffs : 1) * sizeof(*sorted));
	if (noffs)
		memcpy(sorted, offs, noffs * sizeof(*sorted));
	qsort(sorted, noffs, sizeof(*sorted), cmp_off);
	size_t u = 0;
	for (size_t i = 0; i < noffs; i++)
		if (!u || sorted[u - 1] != sorted[i])
			sorted[u++] = sorted[i];
	d->cus = xcalloc(u ? u : 1, sizeof(*d->cus));
	d->ncus = u;
	for (size_t i = 0; i < u; i++)
		d->cus[i].die_off = sorted[i];
	for (size_t i = 0; i < d->ncur; i++)
		d->cur[i].cu = cu_index(d, offs[i]);
	free(sorted);
	free(offs);
	if (d->ncur)
		qsort(d->cur, d->ncur, sizeof(*d->cur), cmp_curange);
	d->curmax = xmalloc((d->ncur ? d->ncur : 1) * sizeof(*d->curmax));
	uint64_t m = 0;
	for (size_t i = 0; i < d->ncur; i++) {
		if (d->cur[i].hi > m)
			m = d->cur[i].hi;
		d->curmax[i] = m;
	}
}

/* libdw decompresses every debug section it knows when it opens a file;
 * variable locations, call frames and macros are a fifth of the C library's
 * compressed DWARF and never used here, so they are hidden from it. */
static void hide_unused_sections(Elf *elf)
{
	static const char *const unused[] = {
		".debug_loc", ".debug_loclists", ".debug_frame", ".debug_macro",
		".debug_macinfo", ".debug_pubnames", ".debug_pubtypes",
		".debug_gnu_pubnames", ".debug_gnu_pubtypes", ".debug_names",
	};
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!n)
			continue;
		char name[64];
		/* .zdebug_x is .debug_x compressed the old way */
		snprintf(name, sizeof(name), "%s%s", strncmp(n, ".zdebug_", 8) ? "" : ".",
			 strncmp(n, ".zdebug_", 8) ? n : n + 2);
		for (size_t i = 0; i < sizeof(unused) / sizeof(unused[0]); i++) {
			if (strcmp(name, unused[i]))
				continue;
			sh.sh_type = SHT_NOBITS;
			gelf_update_shdr(scn, &sh);
			break;
		}
	}
}

static void find_raw_sections(struct dwidx *d, Elf *elf)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!n || (strcmp(n, ".debug_info") && strcmp(n, ".debug_abbrev")))
			continue;
		/* libdw decompressed it in place when it opened the file */
		if (sh.sh_flags & SHF_COMPRESSED)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || !data->d_size)
			continue;
		if (!strcmp(n, ".debug_info")) {
			d->info = data->d_buf;
			d->info_len = data->d_size;
		} else {
			d->abbrev = data->d_buf;
			d->abbrev_len = data->d_size;
		}
	}
	if (!d->info || !d->abbrev)
		d->info = d->abbrev = NULL;
}

struct dwidx *dwidx_new(Elf *elf)
{
	hide_unused_sections(elf);
	Dwarf *dbg = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!dbg)
		return NULL;
	struct dwidx *d = xcalloc(1, sizeof(*d));
	d->dbg = dbg;
	build_cu_table(d);
	find_raw_sections(d, elf);
	Dwarf_Off off = 0, next;
	size_t hsize;
	Dwarf_Half version;
	Dwarf_Off abbrev_off;
	uint8_t asz, osz;
	for (int guard = 0; d->ncus && guard < (1 << 24); guard++) {
		if (dwarf_next_unit(d->dbg, off, &next, &hsize, &version, &abbrev_off, &asz, &osz,
				    NULL, NULL) != 0)
			break;
		uint32_t i = cu_index(d, off + hsize);
		if (i < d->ncus && d->cus[i].die_off == off + hsize) {
			struct dcu *c = &d->cus[i];
			c->unit_start = off;
			c->unit_end = next;
			c->version = version;
			c->abbrev_off = abbrev_off;
			c->addr_size = asz;
			c->off_size = osz;
		}
		if (next <= off)
			break;
		off = next;
	}
	if (!d->ncus) {
		dwidx_free(d);
		return NULL;
	}
	return d;
}

static void cu_release(struct dcu *c)
{
	free(c->nodes);
	free(c->ranges);
	free(c->tops);
	free(c->topmax);
	free(c->topnodes);
}

void dwidx_free(struct dwidx *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ncus; i++)
		cu_release(&d->cus[i]);
	free(d->cus);
	free(d->cur);
	free(d->curmax);
	for (size_t i = 0; i < d->paths.n; i++)
		free(d->paths.v[i].value);
	ptrmap_release(&d->paths);
	dwarf_end(d->dbg);
	free(d);
}

bool dwidx_has_units(struct dwidx *d)
{
	return d && d->ncus > 0;
}

static struct dcu *load_cu(struct dwidx *d, struct dcu *c);

/* The unit whose arange holds addr; the first in table order when several do. */
static struct dcu *find_cu(struct dwidx *d, uint64_t addr)
{
	size_t lo = 0, hi = d->ncur;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->cur[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct dcu *best = NULL;
	for (size_t i = lo; i-- > 0 && d->curmax[i] > addr;) {
		if (addr < d->cur[i].hi)
			best = &d->cus[d->cur[i].cu];
	}
	return best ? load_cu(d, best) : NULL;
}

/* Opens a unit's root DIE and file table on first use. */
static struct dcu *load_cu(struct dwidx *d, struct dcu *best)
{
	if (!best->loaded) {
		best->loaded = true;
		if (!dwarf_offdie(d->dbg, best->die_off, &best->die)) {
			best->bad = true;
			return best;
		}
		Dwarf_Attribute at;
		best->comp_dir = dwarf_formstring(dwarf_attr(&best->die, DW_AT_comp_dir, &at));
		if (dwarf_getsrcfiles(&best->die, &best->files, &best->nfiles) != 0) {
			best->files = NULL;
			best->nfiles = 0;
		}
	}
	return best;
}

static bool may_have_scopes(int tag)
{
	switch (tag) {
	case DW_TAG_lexical_block:
	case DW_TAG_with_stmt:
	case DW_TAG_catch_block:
	case DW_TAG_try_block:
	case DW_TAG_entry_point:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_subprogram:
	case DW_TAG_module:
		return true;
	default:
		return false;
	}
}

static bool is_function(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

static void push_range(struct dcu *c, uint64_t lo, uint64_t hi)
{
	xgrow((void **)&c->ranges, &c->cap_ranges, c->nranges + 1, sizeof(*c->ranges));
	c->ranges[c->nranges++] = (struct range){ lo, hi, (uint32_t)c->nnodes };
}

/* Turns the ranges pushed since r0 into a node; none means no node. */
static int32_t new_node(struct dcu *c, uint32_t r0, Dwarf_Off off, int tag, int32_t parent)
{
	uint32_t nr = (uint32_t)c->nranges - r0;
	if (!nr)
		return -1;
	int32_t idx = (int32_t)c->nnodes;
	xgrow((void **)&c->nodes, &c->cap_nodes, c->nnodes + 1, sizeof(*c->nodes));
	struct node *n = &c->nodes[c->nnodes++];
	memset(n, 0, sizeof(*n));
	n->off = off;
	n->end = UINT64_MAX;
	n->parent = parent;
	n->child = n->sibling = -1;
	n->r0 = r0;
	n->nr = nr;
	n->tag = (uint16_t)tag;
	return idx;
}

static void push_libdw_ranges(struct dcu *c, Dwarf_Die *die)
{
	Dwarf_Addr base, s, e;
	ptrdiff_t it = 0;
	uint32_t nr = 0;
	while ((it = dwarf_ranges(die, it, &base, &s, &e)) > 0 && nr < 65536) {
		if (e <= s)
			continue;
		push_range(c, s, e);
		nr++;
	}
}

static int32_t add_node(struct dcu *c, Dwarf_Die *die, int tag, int32_t parent)
{
	uint32_t r0 = (uint32_t)c->nranges;
	push_libdw_ranges(c, die);
	return new_node(c, r0, dwarf_dieoffset(die), tag, parent);
}

static void walk(struct dcu *c, Dwarf_Die *parent_die, int32_t parent, Dwarf_Off parent_end,
		 int depth)
{
	Dwarf_Die child;
	if (depth > MAX_DEPTH || dwarf_child(parent_die, &child) != 0)
		return;
	int32_t last = -1;
	Dwarf_Off prev_off = 0;
	for (;;) {
		Dwarf_Off off = dwarf_dieoffset(&child);
		if (off <= prev_off || off >= parent_end || c->nnodes >= MAX_NODES_PER_CU)
			break; /* malformed: offsets must move forward inside the parent */
		prev_off = off;
		int tag = dwarf_tag(&child);
		Dwarf_Die next;
		int more = dwarf_siblingof(&child, &next);
		Dwarf_Off end = more == 0 ? dwarf_dieoffset(&next) : parent_end;
		if (may_have_scopes(tag)) {
			int32_t n = add_node(c, &child, tag, parent);
			if (n >= 0) {
				c->nodes[n].end = end;
				if (last >= 0)
					c->nodes[last].sibling = n;
				else if (parent >= 0)
					c->nodes[parent].child = n;
				last = n;
				walk(c, &child, n, end, depth + 1);
			}
		}
		if (more != 0)
			break;
		child = next;
	}
}


/* ---- a direct reader of .debug_info for the scope walk ----
 * libdw's generic DIE accessors cost most of the walk; this reads only
 * what the walk needs (tags, children, PC ranges, sibling links) straight
 * from the section, bounds-checked. Ranges lists (DW_AT_ranges) and
 * indexed addresses still go through libdw. Anything unexpected (a form
 * it does not know, a unit it cannot read) returns false and the unit is
 * walked with libdw instead. */

struct rd {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t rd_fixed(struct rd *r, unsigned n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static uint64_t rd_uleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	while (!r->bad) {
		if (r->p >= r->end) {
			r->bad = true;
			break;
		}
		unsigned char b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	return v;
}

static void rd_skip(struct rd *r, uint64_t n)
{
	if (r->bad || (uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		return;
	}
	r->p += n;
}

struct abbrev_attr {
	uint16_t name, form;
};

struct abbrev {
	uint16_t tag;
	bool children;
	uint32_t a0, na;
};

struct abbrevs {
	struct abbrev *byc; /* indexed by code */
	size_t ncodes;
	struct abbrev_attr *attrs;
	size_t nattrs;
};

static bool read_abbrevs(struct dwidx *d, Dwarf_Off off, struct abbrevs *ab)
{
	memset(ab, 0, sizeof(*ab));
	if (off >= d->abbrev_len)
		return false;
	struct rd r = { d->abbrev + off, d->abbrev + d->abbrev_len, false };
	size_t cap_c = 0, cap_a = 0;
	for (;;) {
		uint64_t code = rd_uleb(&r);
		if (r.bad)
			return false;
		if (!code)
			return true;
		uint64_t tag = rd_uleb(&r);
		bool children = rd_fixed(&r, 1) != 0;
		if (code > 100000 || tag > 0xffff)
			return false; /* sparse or odd codes: leave it to libdw */
		if (code >= ab->ncodes) {
			xgrow((void **)&ab->byc, &cap_c, code + 1, sizeof(*ab->byc));
			memset(ab->byc + ab->ncodes, 0, (code + 1 - ab->ncodes) * sizeof(*ab->byc));
			ab->ncodes = code + 1;
		}
		struct abbrev *a = &ab->byc[code];
		a->tag = (uint16_t)tag;
		a->children = children;
		a->a0 = (uint32_t)ab->nattrs;
		for (;;) {
			uint64_t name = rd_uleb(&r), form = rd_uleb(&r);
			if (r.bad || name > 0xffff || form > 0xffff)
				return false;
			if (!name && !form)
				break;
			if (form == DW_FORM_implicit_const)
				(void)rd_uleb(&r); /* the value lives in the abbrev; sleb, same length */
			xgrow((void **)&ab->attrs, &cap_a, ab->nattrs + 1, sizeof(*ab->attrs));
			ab->attrs[ab->nattrs++] = (struct abbrev_attr){ (uint16_t)name, (uint16_t)form };
		}
		a->na = (uint32_t)ab->nattrs - a->a0;
	}
}

/* Reads one attribute value of the given form; returns false for a form
 * it does not know. Numbers that fit are stored in *v. */
static bool read_form(struct rd *r, unsigned form, const struct dcu *c, uint64_t *v)
{
	*v = 0;
	switch (form) {
	case DW_FORM_addr: *v = rd_fixed(r, c->addr_size); break;
	case DW_FORM_flag: case DW_FORM_data1: case DW_FORM_ref1: case DW_FORM_strx1:
	case DW_FORM_addrx1:
		*v = rd_fixed(r, 1); break;
	case DW_FORM_data2: case DW_FORM_ref2: case DW_FORM_strx2: case DW_FORM_addrx2:
		*v = rd_fixed(r, 2); break;
	case DW_FORM_strx3: case DW_FORM_addrx3: *v = rd_fixed(r, 3); break;
	case DW_FORM_data4: case DW_FORM_ref4: case DW_FORM_strx4: case DW_FORM_addrx4:
	case DW_FORM_ref_sup4:
		*v = rd_fixed(r, 4); break;
	case DW_FORM_data8: case DW_FORM_ref8: case DW_FORM_ref_sig8: case DW_FORM_ref_sup8:
		*v = rd_fixed(r, 8); break;
	case DW_FORM_data16: rd_skip(r, 16); break;
	case DW_FORM_strp: case DW_FORM_line_strp: case DW_FORM_sec_offset: case DW_FORM_strp_sup:
	case DW_FORM_GNU_ref_alt: case DW_FORM_GNU_strp_alt:
		*v = rd_fixed(r, c->off_size); break;
	case DW_FORM_ref_addr:
		*v = rd_fixed(r, c->version <= 2 ? c->addr_size : c->off_size); break;
	case DW_FORM_udata: case DW_FORM_ref_udata: case DW_FORM_strx: case DW_FORM_addrx:
	case DW_FORM_loclistx: case DW_FORM_rnglistx: case DW_FORM_GNU_addr_index:
	case DW_FORM_GNU_str_index:
		*v = rd_uleb(r); break;
	case DW_FORM_sdata: (void)rd_uleb(r); break;
	case DW_FORM_string: {
		const unsigned char *z = memchr(r->p, 0, (size_t)(r->end - r->p));
		if (!z)
			r->bad = true;
		else
			r->p = z + 1;
		break;
	}
	case DW_FORM_block1: rd_skip(r, rd_fixed(r, 1)); break;
	case DW_FORM_block2: rd_skip(r, rd_fixed(r, 2)); break;
	case DW_FORM_block4: rd_skip(r, rd_fixed(r, 4)); break;
	case DW_FORM_block: case DW_FORM_exprloc: rd_skip(r, rd_uleb(r)); break;
	case DW_FORM_flag_present: *v = 1; break;
	case DW_FORM_implicit_const: break;
	default: return false;
	}
	return !r->bad;
}

static bool is_addr_form(unsigned form)
{
	return form == DW_FORM_addr;
}

static bool raw_scan(struct dwidx *d, struct dcu *c)
{
	if (!d->info || !c->unit_end || c->unit_end > d->info_len || c->die_off >= c->unit_end ||
	    c->version < 2 || c->version > 5 || (c->addr_size != 4 && c->addr_size != 8) ||
	    (c->off_size != 4 && c->off_size != 8))
		return false;
	struct abbrevs ab;
	if (!read_abbrevs(d, c->abbrev_off, &ab)) {
		free(ab.byc);
		free(ab.attrs);
		return false;
	}
	struct rd r = { d->info + c->die_off, d->info + c->unit_end, false };
	/* One level per open DIE with children: the node it made (or -1), whether
	 * its children are scanned for scopes, the last node made among them. */
	struct level {
		int32_t node, last;
		bool scan;
	} stack[MAX_DEPTH + 2];
	int depth = 0;
	bool ok = true;
	bool first = true;
	while (ok) {
		Dwarf_Off off = (Dwarf_Off)(r.p - d->info);
		uint64_t code = rd_uleb(&r);
		if (r.bad) {
			ok = false;
			break;
		}
		if (!code) {
			if (first || depth == 0) {
				ok = !first;
				break;
			}
			struct level *lv = &stack[--depth];
			if (lv->node >= 0)
				c->nodes[lv->node].end = (Dwarf_Off)(r.p - d->info);
			if (depth == 0)
				break; /* the unit DIE's children are done */
			continue;
		}
		if (code >= ab.ncodes || (!ab.byc[code].na && !ab.byc[code].tag)) {
			ok = false;
			break;
		}
		const struct abbrev *a = &ab.byc[code];
		uint64_t low = 0, high = 0, sib = 0;
		bool have_low = false, have_high = false, high_is_addr = false, libdw_ranges = false;
		bool sib_unit_relative = true;
		for (uint32_t k = 0; k < a->na && ok; k++) {
			const struct abbrev_attr *at = &ab.attrs[a->a0 + k];
			uint64_t v;
			if (!read_form(&r, at->form, c, &v)) {
				ok = false;
				break;
			}
			switch (at->name) {
			case DW_AT_low_pc:
				if (is_addr_form(at->form)) {
					low = v;
					have_low = true;
				} else {
					libdw_ranges = true; /* indexed address */
				}
				break;
			case DW_AT_high_pc:
				high = v;
				have_high = true;
				high_is_addr = is_addr_form(at->form);
				if (at->form == DW_FORM_addrx || (at->form >= DW_FORM_addrx1 &&
								 at->form <= DW_FORM_addrx4))
					libdw_ranges = true;
				break;
			case DW_AT_ranges:
				libdw_ranges = true;
				break;
			case DW_AT_sibling:
				sib = v;
				sib_unit_relative = at->form != DW_FORM_ref_addr;
				break;
			}
		}
		if (!ok)
			break;
		if (first) {
			/* the unit DIE itself: its children are the top level */
			first = false;
			if (!a->children)
				break;
			stack[depth++] = (struct level){ -1, -1, true };
			continue;
		}
		struct level *parent = &stack[depth - 1];
		int32_t n = -1;
		if (parent->scan && may_have_scopes(a->tag)) {
			uint32_t r0 = (uint32_t)c->nranges;
			if (libdw_ranges) {
				Dwarf_Die die;
				if (dwarf_offdie(d->dbg, off, &die))
					push_libdw_ranges(c, &die);
			} else if (have_low && have_high) {
				uint64_t hi = high_is_addr ? high : low + high;
				if (hi > low)
					push_range(c, low, hi);
			}
			n = new_node(c, r0, off, a->tag, parent->node);
			if (n >= 0) {
				if (parent->last >= 0)
					c->nodes[parent->last].sibling = n;
				else if (parent->node >= 0)
					c->nodes[parent->node].child = n;
				parent->last = n;
				if (c->nnodes >= MAX_NODES_PER_CU) {
					ok = false;
					break;
				}
			}
		}
		if (!a->children) {
			if (n >= 0)
				c->nodes[n].end = (Dwarf_Off)(r.p - d->info);
			continue;
		}
		if (n < 0 && sib) {
			/* nothing to find inside (a type, an unranged scope): jump
			 * over its children when the sibling link allows */
			Dwarf_Off to = sib_unit_relative ? c->unit_start + sib : sib;
			Dwarf_Off here = (Dwarf_Off)(r.p - d->info);
			if (to > here && to <= c->unit_end) {
				r.p = d->info + to;
				continue;
			}
		}
		if (depth > MAX_DEPTH) {
			ok = false;
			break;
		}
		stack[depth++] = (struct level){ n, -1, n >= 0 };
	}
	free(ab.byc);
	free(ab.attrs);
	return ok;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

static void scan_cu(struct dwidx *d, struct dcu *c)
{
	c->scanned = true;
	if (c->bad)
		return;
	if (!raw_scan(d, c)) {
		c->nnodes = c->nranges = 0;
		walk(c, &c->die, -1, UINT64_MAX, 0);
	}
	c->topnodes = xmalloc((c->nnodes ? c->nnodes : 1) * sizeof(*c->topnodes));
	for (size_t i = 0; i < c->nnodes; i++)
		if (c->nodes[i].parent < 0)
			c->topnodes[c->ntopnodes++] = (uint32_t)i;
	size_t n = 0;
	for (size_t i = 0; i < c->ntopnodes; i++)
		n += c->nodes[c->topnodes[i]].nr;
	c->tops = xmalloc((n ? n : 1) * sizeof(*c->tops));
	c->topmax = xmalloc((n ? n : 1) * sizeof(*c->topmax));
	for (size_t i = 0; i < c->ntopnodes; i++) {
		struct node *nd = &c->nodes[c->topnodes[i]];
		for (uint32_t r = 0; r < nd->nr; r++)
			c->tops[c->ntops++] = c->ranges[nd->r0 + r];
	}
	qsort(c->tops, c->ntops, sizeof(*c->tops), cmp_range);
	uint64_t m = 0;
	for (size_t i = 0; i < c->ntops; i++) {
		if (c->tops[i].hi > m)
			m = c->tops[i].hi;
		c->topmax[i] = m;
	}
}

static bool node_has(struct dcu *c, struct node *n, uint64_t addr)
{
	for (uint32_t r = 0; r < n->nr; r++) {
		struct range *g = &c->ranges[n->r0 + r];
		if (addr >= g->lo && addr < g->hi)
			return true;
	}
	return false;
}

static int32_t innermost(struct dcu *c, uint64_t addr)
{
	size_t lo = 0, hi = c->ntops;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->tops[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	int64_t best = -1;
	for (size_t i = lo; i-- > 0 && c->topmax[i] > addr;)
		if (addr < c->tops[i].hi && (best < 0 || c->tops[i].node < (uint64_t)best))
			best = c->tops[i].node;
	if (best < 0)
		return -1;
	int32_t cur = (int32_t)best;
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		int32_t ch = c->nodes[cur].child;
		while (ch >= 0 && !node_has(c, &c->nodes[ch], addr))
			ch = c->nodes[ch].sibling;
		if (ch < 0)
			break;
		cur = ch;
	}
	return cur;
}

/* What eu-addr2line prints as a DIE's name: the linkage name when there is
 * one (through abstract_origin and specification), else DW_AT_name. */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute at;
	const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &at)
						    ?: dwarf_attr_integrate(die, DW_AT_linkage_name, &at));
	if (!name)
		name = dwarf_diename(die);
	return name ? name : "??";
}

static const char *node_name(struct dwidx *d, struct node *n)
{
	if (!n->have_name) {
		n->have_name = true;
		Dwarf_Die die;
		n->name = dwarf_offdie(d->dbg, n->off, &die) ? die_name(&die) : "??";
	}
	return n->name;
}

/* Source names relative to the unit get its compilation folder in front,
 * the way eu-addr2line prints them; composed once per distinct name. */
static const char *full_path(struct dwidx *d, struct dcu *c, const char *src)
{
	if (!src || src[0] == '/' || !c->comp_dir)
		return src;
	char *path = ptrmap_get(&d->paths, src);
	if (!path) {
		path = xasprintf("%s/%s", c->comp_dir, src);
		ptrmap_put(&d->paths, src, path);
	}
	return path;
}

static void node_call(struct dwidx *d, struct dcu *c, struct node *n)
{
	if (n->have_call)
		return;
	n->have_call = true;
	Dwarf_Die die;
	if (!dwarf_offdie(d->dbg, n->off, &die))
		return;
	Dwarf_Attribute at;
	Dwarf_Word v;
	if (c->files && dwarf_formudata(dwarf_attr(&die, DW_AT_call_file, &at), &v) == 0)
		n->call_file = full_path(d, c, dwarf_filesrc(c->files, v, NULL, NULL));
	if (dwarf_formudata(dwarf_attr(&die, DW_AT_call_line, &at), &v) == 0)
		n->call_line = (uint32_t)v;
	if (dwarf_formudata(dwarf_attr(&die, DW_AT_call_column, &at), &v) == 0)
		n->call_col = (uint32_t)v;
}

/* The subprogram of this unit whose subtree holds the DIE at off, if any. */
static const char *owner_of(struct dwidx *d, struct dcu *c, Dwarf_Off off)
{
	size_t lo = 0, hi = c->ntopnodes;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->nodes[c->topnodes[mid]].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	int32_t cur = (int32_t)c->topnodes[lo - 1];
	int32_t found = -1;
	for (int depth = 0; cur >= 0 && depth < MAX_DEPTH; depth++) {
		struct node *n = &c->nodes[cur];
		if (!(n->off < off && off < n->end))
			break;
		if (n->tag == DW_TAG_subprogram)
			found = cur;
		int32_t ch = n->child;
		while (ch >= 0 && !(c->nodes[ch].off < off && off < c->nodes[ch].end))
			ch = c->nodes[ch].sibling;
		cur = ch;
	}
	return found >= 0 ? node_name(d, &c->nodes[found]) : NULL;
}

/* An address no arange holds (padding after a function, glibc's compat
 * entry points) has no function DIE, but libdwfl gives it to the unit of
 * the nearest arange below it when no other arange starts in between, and
 * that unit's line table may still cover it: eu-addr2line then prints its
 * file:line under the name "??". Do the same, the line only. */
static void gap_line(struct dwidx *d, uint64_t addr, struct dw_result *res)
{
	size_t lo = 0, hi = d->ncur;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->cur[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || (lo == d->ncur && addr > d->cur[lo - 1].hi))
		return;
	struct dcu *c = load_cu(d, &d->cus[d->cur[lo - 1].cu]);
	if (c->bad)
		return;
	Dwarf_Line *ln = dwarf_getsrc_die(&c->die, addr);
	const char *src = ln ? dwarf_linesrc(ln, NULL, NULL) : NULL;
	if (!src)
		return;
	int line = 0, col = 0;
	Dwarf_Addr la;
	dwarf_lineno(ln, &line);
	dwarf_linecol(ln, &col);
	res->have_cu = true;
	res->have_line = true;
	res->file = full_path(d, c, src);
	res->line = (uint32_t)line;
	res->column = (uint32_t)col;
	res->line_addr = dwarf_lineaddr(ln, &la) == 0 ? la : addr;
}

void dwidx_lookup(struct dwidx *d, uint64_t addr, struct dw_frame *out, size_t max,
		  struct dw_result *res)
{
	memset(res, 0, sizeof(*res));
	struct dcu *c = find_cu(d, addr);
	if (!c) {
		gap_line(d, addr, res);
		return;
	}
	if (c->bad)
		return;
	res->have_cu = true;
	Dwarf_Line *ln = dwarf_getsrc_die(&c->die, addr);
	if (ln) {
		int line = 0, col = 0;
		const char *src = dwarf_linesrc(ln, NULL, NULL);
		if (src) {
			dwarf_lineno(ln, &line);
			dwarf_linecol(ln, &col);
			res->have_line = true;
			res->file = full_path(d, c, src);
			res->line = (uint32_t)line;
			res->column = (uint32_t)col;
			Dwarf_Addr la;
			res->line_addr = dwarf_lineaddr(ln, &la) == 0 ? la : addr;
		}
	}
	if (!c->scanned)
		scan_cu(d, c);
	int32_t n = innermost(c, addr);
	/* Function-like scopes from the innermost out, up to the first that was
	 * not inlined: each inlined one is a frame of its own. */
	int count = 0;
	int32_t prev = -1;
	for (int guard = 0; n >= 0 && guard < MAX_DEPTH && (size_t)count < max; guard++) {
		struct node *nd = &c->nodes[n];
		if (is_function(nd->tag)) {
			struct dw_frame *f = &out[count];
			f->raw = node_name(d, nd);
			f->inlined = nd->tag == DW_TAG_inlined_subroutine;
			if (prev < 0) {
				f->file = res->file;
				f->line = res->line;
				f->column = res->column;
			} else {
				struct node *p = &c->nodes[prev];
				node_call(d, c, p);
				f->file = p->call_file;
				f->line = p->call_line;
				f->column = p->call_col;
			}
			count++;
			if (!f->inlined)
				break;
			prev = n;
		}
		n = nd->parent;
	}
	res->nframes = count;
	if (count > 0 && out[0].inlined) {
		/* Find the first inlined scope again for its abstract origin. */
		int32_t m = innermost(c, addr);
		while (m >= 0 && c->nodes[m].tag != DW_TAG_inlined_subroutine)
			m = c->nodes[m].parent;
		Dwarf_Die die, origin, ocu;
		Dwarf_Attribute at;
		if (m >= 0 && dwarf_offdie(d->dbg, c->nodes[m].off, &die) &&
		    dwarf_formref_die(dwarf_attr(&die, DW_AT_abstract_origin, &at), &origin) &&
		    dwarf_diecu(&origin, &ocu, NULL, NULL) && dwarf_dieoffset(&ocu) == c->die_off)
			res->inline_owner = owner_of(d, c, dwarf_dieoffset(&origin));
	}
}
