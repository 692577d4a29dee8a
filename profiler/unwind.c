#include "unwind.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libunwind.h>

#include "util.h"

/* Exported by libunwind 1.6 but not declared in its headers: the binary
 * search over an .eh_frame_hdr table, reading through our accessors. */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
					      unw_proc_info_t *pi, int need_unwind_info, void *arg);

/* Per-module unwind facts, kept in module->unwind_data. */
struct mod_unwind {
	bool have_table;
	uint64_t hdr_vaddr;   /* .eh_frame_hdr */
	uint64_t table_vaddr; /* its sorted (initial_loc, fde) table */
	uint64_t fde_count;
};

/* One libunwind address space per process: its cache is keyed by address. */
struct proc_as {
	struct maps *maps;
	unw_addr_space_t as;
	uint64_t generation;
};

struct unwinder {
	struct module_set *ms;
	unsigned max_depth;
	struct proc_as *spaces;
	size_t nspaces, cap;
	unw_accessors_t acc;
};

/* State of one unwind, the accessors' arg. */
struct uctx {
	struct maps *maps;
	const struct unwind_regs *regs;
	const struct unwind_mem *mem;
	struct module *cur_mod; /* module of the last find_proc_info, and its load bias */
	uint64_t cur_bias;
	bool hit_range;         /* a read wanted stack beyond the copy */
	bool noinfo;            /* find_proc_info found nothing during this step */
};

static void mod_unwind_free(void *p)
{
	free(p);
}

static bool img_read(const struct module *m, uint64_t off, void *buf, size_t len)
{
	if (!m->image || off > m->image_len || len > m->image_len - off)
		return false;
	memcpy(buf, m->image + off, len);
	return true;
}

static bool vaddr_to_offset(const struct module *m, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < m->nsegs; i++) {
		const struct module_segment *s = &m->segs[i];
		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*off = vaddr - s->vaddr + s->offset;
			return true;
		}
	}
	return false;
}

/* Finds PT_GNU_EH_FRAME and checks the header is the binary-searchable kind
 * (table of datarel sdata4 pairs). Bounds-checked: the file is untrusted. */
static struct mod_unwind *mod_unwind_get(struct module *m)
{
	if (m->unwind_data)
		return m->unwind_data;
	struct mod_unwind *mu = xcalloc(1, sizeof(*mu));
	m->unwind_data = mu;
	m->unwind_free = mod_unwind_free;
	module_load(m);
	if (!m->elf_ok || !m->image)
		return mu;
	Elf64_Ehdr eh;
	if (!img_read(m, 0, &eh, sizeof(eh)) || eh.e_phentsize != sizeof(Elf64_Phdr))
		return mu;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (!img_read(m, eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph)))
			return mu;
		if (ph.p_type != PT_GNU_EH_FRAME)
			continue;
		unsigned char h[16];
		size_t hl = ph.p_filesz < sizeof(h) ? (size_t)ph.p_filesz : sizeof(h);
		if (hl < 12 || !img_read(m, ph.p_offset, h, hl))
			return mu;
		/* version 1; eh_frame_ptr encoding h[1]; fde_count encoding h[2]; table encoding h[3] */
		if (h[0] != 1 || h[3] != 0x3b)
			return mu;
		size_t ptr_size;
		switch (h[1] & 0x0f) {
		case 0x03: case 0x0b: ptr_size = 4; break;
		case 0x00: case 0x04: case 0x0c: ptr_size = 8; break;
		default: return mu;
		}
		if ((h[2] & 0x0f) != 0x03 && (h[2] & 0x0f) != 0x0b)
			return mu;
		if (4 + ptr_size + 4 > hl)
			return mu;
		uint32_t c;
		memcpy(&c, h + 4 + ptr_size, 4);
		uint64_t count = c;
		uint64_t table_off = 4 + ptr_size + 4;
		if (!count || table_off + count * 8 > ph.p_filesz)
			return mu;
		mu->hdr_vaddr = ph.p_vaddr;
		mu->table_vaddr = ph.p_vaddr + table_off;
		mu->fde_count = count;
		mu->have_table = true;
		break;
	}
	return mu;
}

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			      int need_unwind_info, void *arg)
{
	struct uctx *c = arg;
	const struct map_entry *e = maps_find(c->maps, ip);
	if (!e || !e->module) {
		c->noinfo = true;
		return -UNW_ENOINFO;
	}
	struct module *m = e->module;
	struct mod_unwind *mu = mod_unwind_get(m);
	uint64_t vaddr;
	if (!mu->have_table || !module_offset_to_vaddr(m, ip - e->start + e->pgoff, &vaddr)) {
		c->noinfo = true;
		return -UNW_ENOINFO;
	}
	uint64_t bias = ip - vaddr;
	c->cur_mod = m;
	c->cur_bias = bias;
	unw_dyn_info_t di;
	memset(&di, 0, sizeof(di));
	di.start_ip = e->start;
	di.end_ip = e->end;
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.u.rti.name_ptr = 0;
	di.u.rti.segbase = bias + mu->hdr_vaddr;
	di.u.rti.table_data = bias + mu->table_vaddr;
	di.u.rti.table_len = mu->fde_count * 8 / sizeof(unw_word_t);
	int r = _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
	if (r < 0)
		c->noinfo = true;
	return r;
}

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	/* libunwind frees table-format unwind info itself. */
	(void)as;
	(void)pi;
	(void)arg;
}

static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dilap, void *arg)
{
	(void)as;
	(void)dilap;
	(void)arg;
	return -UNW_ENOINFO;
}

static bool read_module_vaddr(struct uctx *c, uint64_t addr, void *buf, size_t len)
{
	struct module *m = c->cur_mod;
	uint64_t off;
	if (!m || addr < c->cur_bias)
		return false;
	return vaddr_to_offset(m, addr - c->cur_bias, &off) && img_read(m, off, buf, len);
}

static int read_word(struct uctx *c, uint64_t addr, void *buf)
{
	uint64_t sp = c->regs->r[UNWIND_REG_RSP];
	bool near_stack = addr >= sp - 128 && addr - sp < (8u << 20);
	if (near_stack) {
		int r = c->mem->read(c->mem->ctx, addr, buf, 8);
		if (!r)
			return 0;
		if (r == -ERANGE)
			c->hit_range = true;
	}
	/* Code and unwind tables: from the file, no syscall; then the module
	 * being unwound by its bias (its rodata mapping may be unknown to us:
	 * perf reports only executable mappings). */
	if (!maps_read_file(c->maps, addr, buf, 8) || read_module_vaddr(c, addr, buf, 8))
		return 0;
	if (!near_stack) {
		int r = c->mem->read(c->mem->ctx, addr, buf, 8);
		if (!r)
			return 0;
		if (r == -ERANGE)
			c->hit_range = true;
	}
	return -EFAULT;
}

static int acc_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	(void)as;
	if (write)
		return -UNW_EINVAL;
	return read_word(arg, addr, val) ? -UNW_EINVAL : 0;
}

static int acc_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	(void)as;
	struct uctx *c = arg;
	if (write || reg < 0 || reg >= UNWIND_NREGS)
		return -UNW_EBADREG;
	*val = c->regs->r[reg];
	return 0;
}

static int acc_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
	(void)as;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *cur, void *arg)
{
	(void)as;
	(void)cur;
	(void)arg;
	return -UNW_EINVAL;
}

static int acc_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			     unw_word_t *off, void *arg)
{
	(void)as;
	(void)addr;
	(void)buf;
	(void)len;
	(void)off;
	(void)arg;
	return -UNW_ENOINFO;
}

struct unwinder *unwinder_new(struct module_set *ms, unsigned max_depth)
{
	struct unwinder *u = xcalloc(1, sizeof(*u));
	u->ms = ms;
	u->max_depth = max_depth ? max_depth : 512;
	u->acc.find_proc_info = acc_find_proc_info;
	u->acc.put_unwind_info = acc_put_unwind_info;
	u->acc.get_dyn_info_list_addr = acc_get_dyn_info_list_addr;
	u->acc.access_mem = acc_access_mem;
	u->acc.access_reg = acc_access_reg;
	u->acc.access_fpreg = acc_access_fpreg;
	u->acc.resume = acc_resume;
	u->acc.get_proc_name = acc_get_proc_name;
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nspaces; i++)
		unw_destroy_addr_space(u->spaces[i].as);
	free(u->spaces);
	free(u);
}

static struct proc_as *space_for(struct unwinder *u, struct maps *maps)
{
	for (size_t i = 0; i < u->nspaces; i++) {
		struct proc_as *p = &u->spaces[i];
		if (p->maps == maps) {
			if (p->generation != maps->generation) {
				/* Mappings changed: cached states may describe old code. */
				unw_flush_cache(p->as, 0, 0);
				p->generation = maps->generation;
			}
			return p;
		}
	}
	unw_addr_space_t as = unw_create_addr_space(&u->acc, 0);
	if (!as)
		return NULL;
	unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
	xgrow((void **)&u->spaces, &u->cap, u->nspaces + 1, sizeof(*u->spaces));
	struct proc_as *p = &u->spaces[u->nspaces++];
	p->maps = maps;
	p->as = as;
	p->generation = maps->generation;
	return p;
}

void unwinder_forget(struct unwinder *u, struct maps *maps)
{
	for (size_t i = 0; i < u->nspaces; i++) {
		if (u->spaces[i].maps == maps) {
			unw_destroy_addr_space(u->spaces[i].as);
			u->spaces[i] = u->spaces[--u->nspaces];
			return;
		}
	}
}

int unwind_dwarf(struct unwinder *u, struct maps *maps, const struct unwind_regs *regs,
		 const struct unwind_mem *mem, uint64_t *ips, size_t max, unsigned *flags)
{
	*flags = 0;
	if (!max)
		return 0;
	if (max > u->max_depth)
		max = u->max_depth;
	ips[0] = regs->r[UNWIND_REG_RIP];
	size_t n = 1;
	struct proc_as *pa = space_for(u, maps);
	if (!pa) {
		*flags = UNWIND_PARTIAL;
		return 1;
	}
	struct uctx c = { .maps = maps, .regs = regs, .mem = mem };
	unw_cursor_t cur;
	if (unw_init_remote(&cur, pa->as, &c) < 0) {
		*flags = UNWIND_PARTIAL;
		return 1;
	}
	uint64_t last_sp = regs->r[UNWIND_REG_RSP], last_ip = ips[0];
	bool complete = false;
	while (n < max) {
		c.noinfo = false;
		int r = unw_step(&cur);
		if (r == 0) {
			complete = true;
			break;
		}
		/* A step without CFI is libunwind guessing through rbp, which
		 * holds anything in code built without frame pointers: stop. */
		if (r < 0 || c.noinfo)
			break;
		unw_word_t ip, sp;
		unw_get_reg(&cur, UNW_REG_IP, &ip);
		unw_get_reg(&cur, UNW_REG_SP, &sp);
		if (ip == 0) {
			complete = true;
			break;
		}
		if (sp < last_sp || (sp == last_sp && ip == last_ip))
			break; /* the stack grows down: going back means a loop */
		ips[n++] = ip;
		last_sp = sp;
		last_ip = ip;
	}
	if (!complete) {
		if (n >= max)
			*flags = UNWIND_DEPTH | UNWIND_TRUNCATED;
		else if (c.hit_range)
			*flags = UNWIND_TRUNCATED;
		else
			*flags = UNWIND_PARTIAL;
	}
	return (int)n;
}

int unwind_fp(const struct unwind_regs *regs, const struct unwind_mem *mem, uint64_t *ips, size_t max,
	      unsigned *flags)
{
	*flags = 0;
	if (!max)
		return 0;
	ips[0] = regs->r[UNWIND_REG_RIP];
	size_t n = 1;
	uint64_t bp = regs->r[UNWIND_REG_RBP], sp = regs->r[UNWIND_REG_RSP];
	while (n < max) {
		if (!bp || bp < sp || (bp & 7)) {
			if (bp)
				*flags = UNWIND_PARTIAL;
			return (int)n;
		}
		uint64_t frame[2];
		int r = mem->read(mem->ctx, bp, frame, sizeof(frame));
		if (r) {
			*flags = r == -ERANGE ? UNWIND_TRUNCATED : UNWIND_PARTIAL;
			return (int)n;
		}
		if (!frame[1])
			return (int)n;
		ips[n++] = frame[1];
		if (frame[0] && frame[0] <= bp) {
			*flags = UNWIND_PARTIAL;
			return (int)n;
		}
		sp = bp;
		bp = frame[0];
	}
	*flags = UNWIND_DEPTH | UNWIND_TRUNCATED;
	return (int)n;
}
