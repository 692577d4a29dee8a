#include "profiler/capture/unwind.h"

#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <libunwind.h>

#include "symbolize/debugfile.h"
#include "symbolize/jitdump.h"
#include "symbolize/tfile.h"
#include "profiler/base/procstat.h"
#include "profiler/base/util.h"

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
	/* The function at the ELF entry point of an executable or of the
	 * dynamic loader, where a process's stack starts: [root_lo, root_hi). */
	uint64_t root_lo, root_hi;
	/* Fallback for code the table does not cover: CFI read by libdw from
	 * .debug_frame (in the file or its separate debug file) or from an
	 * .eh_frame without header. Opened on first need. */
	bool cfi_tried;
	Dwarf_CFI *cfi, *cfi_eh; /* cfi_eh from dwarf_getcfi_elf: ended by us */
	Dwarf *dw, *dw_debug;
	Elf *elf, *elf_debug;
	int fd, fd_debug;
	/* The fast path (fast_step): the .eh_frame CFI, read by libdw from the
	 * module's image, and the rules compiled from it, one per looked-up
	 * address (a direct-mapped table of FAST_RULES, made on first use). */
	bool fast_tried;
	Elf *fast_elf;
	Dwarf_CFI *fast_cfi;
	struct fast_rule *rules;
};

/*
 * A CFI row in the plain shape compilers emit on x86-64: the CFA is rsp or
 * rbp plus a constant, and each callee-saved register and the return
 * address is either kept or saved at CFA plus a constant. Such a row is a
 * few numbers, and one step with it is a few reads of the copied stack, no
 * call into libdw or libunwind. Rows of any other shape (expressions, signal
 * frames, registers saved in registers) are FR_OTHER: libunwind takes them.
 */
enum { FR_EMPTY, FR_OK, FR_END, FR_OTHER };
#define FAST_RULES_BITS 12
#define FAST_RULES (1u << FAST_RULES_BITS)
#define FAST_NSAVED 7 /* rbx rbp r12 r13 r14 r15, then the return address */
static const uint8_t fast_saved_reg[FAST_NSAVED] = { UNWIND_REG_RBX, UNWIND_REG_RBP, UNWIND_REG_R12,
						     UNWIND_REG_R13, UNWIND_REG_R14, UNWIND_REG_R15,
						     UNWIND_REG_RIP };
struct fast_rule {
	uint64_t key;    /* the vaddr looked up, plus one (0: an empty slot) */
	int32_t cfa_off;
	uint8_t kind;    /* FR_* */
	uint8_t cfa_reg; /* UNWIND_REG_RSP or UNWIND_REG_RBP */
	uint8_t saved;   /* bit i: fast_saved_reg[i] is at CFA + off[i] */
	int16_t off[FAST_NSAVED];
};

/* What the bytes at a code address were found to be (cached per process:
 * reading anonymous code costs a system call). */
#define CODE_CACHE 512
struct code_verdict {
	uint64_t ip;
	int8_t tramp; /* -1 not a trampoline; else rsp offset of the return address */
	bool leaf;
};

/* One libunwind address space per process: its cache is keyed by address. */
struct proc_as {
	struct maps *maps;
	unw_addr_space_t as;
	uint64_t generation;
	struct code_verdict code[CODE_CACHE];
	/* The process's jitdump (found through its marker mapping), read as
	 * the runtime appends to it. */
	struct jitdump *jd;
	int jfd;
	bool jtried;
	uint64_t jread_ns; /* last jitdump_update, to bound rereads */
};

struct unwinder {
	struct module_set *ms;
	unsigned max_depth;
	struct proc_as *spaces;
	size_t nspaces, cap;
	unw_accessors_t acc;
	bool no_fast;         /* unwinder_set_fast(u, false) */
	uint64_t fast_frames; /* frames the fast path found */
	uint64_t slow_unwinds; /* unwinds handed on to libunwind */
};

/* State of one unwind, the accessors' arg. */
struct uctx {
	struct maps *maps;
	const struct unwind_regs *regs;
	const struct unwind_mem *mem;
	struct proc_as *pa;
	struct module *cur_mod; /* module of the last find_proc_info, and its load bias */
	uint64_t cur_bias;
	bool hit_range;         /* a read wanted stack beyond the copy */
	bool noinfo;            /* find_proc_info found nothing during this step */
	bool refused;           /* a return address was not code */
	/* find_proc_info took this JIT code's .eh_frame from the jitdump: its
	 * bytes are served from there (they are not in the target). */
	bool jit_cfi;
	struct jitdump_unwind jit;
	const struct map_entry *file_hint; /* maps_read_file_hint's memory, this unwinding only */
};

static void mod_unwind_free(void *p)
{
	struct mod_unwind *mu = p;
	if (mu->cfi_eh)
		dwarf_cfi_end(mu->cfi_eh);
	if (mu->dw)
		dwarf_end(mu->dw);
	if (mu->dw_debug)
		dwarf_end(mu->dw_debug);
	if (mu->elf)
		elf_end(mu->elf);
	if (mu->elf_debug)
		elf_end(mu->elf_debug);
	if (mu->fd >= 0)
		close(mu->fd);
	if (mu->fd_debug >= 0)
		close(mu->fd_debug);
	if (mu->fast_cfi)
		dwarf_cfi_end(mu->fast_cfi);
	if (mu->fast_elf)
		elf_end(mu->fast_elf);
	free(mu->rules);
	free(mu);
}

static bool img_read(const struct module *m, uint64_t off, void *buf, size_t len)
{
	if (!m->image || off > m->image_len || len > m->image_len - off)
		return false;
	memcpy(buf, m->image + off, len);
	return true;
}

static struct mod_unwind *mod_unwind_get(struct module *m);

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

/* How far the entry function may reach: _start (crt1) is about 0x30 bytes,
 * ld.so's _start with _dl_start_user after it about 0x40. */
#define ROOT_MAX_LEN 256u

/*
 * The root window of a module: a stack whose outermost frame lies there is
 * whole, though no CFI says where it ends. That is the function at e_entry
 * (_start) of an executable (ET_EXEC, or with PT_INTERP) and of the dynamic
 * loader (ld-*.so*: its _start calls _dl_start, and _dl_start_user follows,
 * so the window covers both: the first instructions of every process and of
 * every exec). It reaches up to the next function the .eh_frame_hdr table
 * knows, at most ROOT_MAX_LEN bytes. Thread stacks start at clone3/
 * start_thread, whose CFI marks the end already.
 */
static void entry_window(const struct module *m, struct mod_unwind *mu, const Elf64_Ehdr *eh)
{
	if (!eh->e_entry)
		return;
	const char *base = m->path ? strrchr(m->path, '/') : NULL;
	base = base ? base + 1 : m->path ? m->path : "";
	bool loader = !strncmp(base, "ld-", 3) || !strncmp(base, "ld.so", 5);
	bool exe = eh->e_type == ET_EXEC;
	for (size_t i = 0; !exe && i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		if (!img_read(m, eh->e_phoff + i * sizeof(ph), &ph, sizeof(ph)))
			return;
		exe = ph.p_type == PT_INTERP;
	}
	if (!exe && !loader)
		return;
	uint64_t end = eh->e_entry + ROOT_MAX_LEN, off;
	/* The table is sorted by start: the first start past the entry ends it. */
	uint64_t lo = 0, hi = mu->have_table ? mu->fde_count : 0;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		int32_t start;
		if (!vaddr_to_offset(m, mu->table_vaddr + mid * 8, &off) || !img_read(m, off, &start, 4))
			break;
		uint64_t v = mu->hdr_vaddr + (uint64_t)(int64_t)start;
		if (v <= eh->e_entry) {
			lo = mid + 1;
		} else {
			if (v < end)
				end = v;
			hi = mid;
		}
	}
	mu->root_lo = eh->e_entry;
	mu->root_hi = end;
}

bool unwind_is_root(struct module *m, uint64_t vaddr)
{
	if (!m || m->kind == MODULE_KERNEL)
		return false;
	struct mod_unwind *mu = mod_unwind_get(m);
	return vaddr >= mu->root_lo && vaddr < mu->root_hi;
}

/* Finds PT_GNU_EH_FRAME and checks the header is the binary-searchable kind
 * (table of datarel sdata4 pairs). Bounds-checked: the file is untrusted. */
static struct mod_unwind *mod_unwind_get(struct module *m)
{
	if (m->unwind_data)
		return m->unwind_data;
	struct mod_unwind *mu = xcalloc(1, sizeof(*mu));
	mu->fd = mu->fd_debug = -1;
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
	entry_window(m, mu, &eh);
	return mu;
}

static int read_word(struct uctx *c, uint64_t addr, void *buf);

/* Whether the module's file has a section of this name (read from the
 * mapped image, bounds-checked, without libelf). */
static bool image_has_section(const struct module *m, const char *name)
{
	Elf64_Ehdr eh;
	Elf64_Shdr strsh, sh;
	if (!img_read(m, 0, &eh, sizeof(eh)) || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_shstrndx >= eh.e_shnum ||
	    !img_read(m, eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof(sh), &strsh, sizeof(strsh)))
		return false;
	size_t len = strlen(name) + 1;
	for (size_t i = 0; i < eh.e_shnum; i++) {
		char buf[32];
		if (!img_read(m, eh.e_shoff + i * sizeof(sh), &sh, sizeof(sh)) || sh.sh_name >= strsh.sh_size ||
		    len > sizeof(buf))
			continue;
		if (img_read(m, strsh.sh_offset + sh.sh_name, buf, len) && !memcmp(buf, name, len))
			return true;
	}
	return false;
}

/* Whether an opened ELF has a section of this name (section headers only). */
static bool elf_has_section(Elf *elf, const char *name)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf64_Shdr *sh = elf64_getshdr(scn);
		const char *n = sh ? elf_strptr(elf, shstrndx, sh->sh_name) : NULL;
		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

/* Opens the fallback CFI of a module: its own .debug_frame, an .eh_frame
 * without header, else the .debug_frame of its separate debug file. This
 * runs on the sampling path, once per module: libdw decompresses every
 * debug section when it opens a file, so a file is only handed to it when
 * its section headers show a .debug_frame. */
static Dwarf_CFI *mod_cfi(struct module *m)
{
	struct mod_unwind *mu = mod_unwind_get(m);
	if (mu->cfi_tried)
		return mu->cfi ? mu->cfi : mu->cfi_eh;
	mu->cfi_tried = true;
	if (m->kind != MODULE_FILE || !m->elf_ok)
		return NULL;
	bool own_debug_frame = image_has_section(m, ".debug_frame");
	elf_version(EV_CURRENT);
	const char *path = m->open_path ? m->open_path : m->path;
	mu->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (mu->fd < 0 && m->open_path)
		mu->fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (mu->fd < 0)
		return NULL;
	mu->elf = elf_begin(mu->fd, ELF_C_READ_MMAP, NULL);
	if (!mu->elf)
		return NULL;
	if (own_debug_frame) {
		mu->dw = dwarf_begin_elf(mu->elf, DWARF_C_READ, NULL);
		if (mu->dw)
			mu->cfi = dwarf_getcfi(mu->dw);
		if (mu->cfi)
			return mu->cfi;
	}
	struct debugfile_query q = {
		.elf = mu->elf,
		.open_path = path,
		.name = m->path,
		.build_id = m->build_id_len ? m->build_id : NULL,
		.build_id_len = m->build_id_len,
		.debug_dir = "/usr/lib/debug",
		.use_debuginfod = false,
	};
	char *dpath = NULL;
	int fd = debugfile_find(&q, &dpath);
	free(dpath);
	if (fd >= 0) {
		mu->fd_debug = fd;
		mu->elf_debug = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		if (mu->elf_debug && elf_has_section(mu->elf_debug, ".debug_frame"))
			mu->dw_debug = dwarf_begin_elf(mu->elf_debug, DWARF_C_READ, NULL);
		if (mu->dw_debug)
			mu->cfi = dwarf_getcfi(mu->dw_debug);
		if (mu->cfi)
			return mu->cfi;
	}
	mu->cfi_eh = dwarf_getcfi_elf(mu->elf);
	return mu->cfi_eh;
}

/* A small DWARF expression machine for CFI rules: register + offset, memory
 * reads, constants and arithmetic cover what compilers emit. */
static int cfi_eval(struct uctx *c, const struct unwind_regs *r, const Dwarf_Op *ops, size_t nops,
		    uint64_t cfa, bool push_cfa, uint64_t *out, bool *is_value)
{
	uint64_t st[16];
	size_t n = 0;
	*is_value = false;
	if (push_cfa)
		st[n++] = cfa;
	for (size_t i = 0; i < nops; i++) {
		uint8_t op = ops[i].atom;
		if (n >= 15)
			return -1;
		if (op >= DW_OP_breg0 && op <= DW_OP_breg0 + 16) {
			st[n++] = r->r[op - DW_OP_breg0] + (uint64_t)(int64_t)ops[i].number;
		} else if (op == DW_OP_bregx) {
			if (ops[i].number >= UNWIND_NREGS)
				return -1;
			st[n++] = r->r[ops[i].number] + (uint64_t)(int64_t)ops[i].number2;
		} else if ((op >= DW_OP_reg0 && op <= DW_OP_reg0 + 16) || op == DW_OP_regx) {
			/* "in register N": the value is the register's */
			uint64_t reg = op == DW_OP_regx ? ops[i].number : (uint64_t)(op - DW_OP_reg0);
			if (reg >= UNWIND_NREGS)
				return -1;
			st[n++] = r->r[reg];
			*is_value = true;
		} else if (op >= DW_OP_lit0 && op <= DW_OP_lit31) {
			st[n++] = op - DW_OP_lit0;
		} else {
			switch (op) {
			case DW_OP_call_frame_cfa:
				st[n++] = cfa;
				break;
			case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
			case DW_OP_constu:
				st[n++] = ops[i].number;
				break;
			case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s:
			case DW_OP_consts:
				st[n++] = (uint64_t)(int64_t)ops[i].number;
				break;
			case DW_OP_plus_uconst:
				if (!n)
					return -1;
				st[n - 1] += ops[i].number;
				break;
			case DW_OP_plus: case DW_OP_minus: case DW_OP_and: case DW_OP_mul:
				if (n < 2)
					return -1;
				n--;
				st[n - 1] = op == DW_OP_plus ? st[n - 1] + st[n] : op == DW_OP_minus ? st[n - 1] - st[n] :
					    op == DW_OP_and ? st[n - 1] & st[n] : st[n - 1] * st[n];
				break;
			case DW_OP_deref:
				if (!n || read_word(c, st[n - 1], &st[n - 1]))
					return -1;
				break;
			case DW_OP_stack_value:
				*is_value = true;
				break;
			default:
				return -1;
			}
		}
	}
	if (!n)
		return -1;
	*out = st[n - 1];
	return 0;
}

/* One step with libdw's CFI: the caller's registers from the current ones.
 * Returns 1 stepped, 0 the end of the stack (return address undefined), -1
 * no CFI here. */
static int cfi_step(struct uctx *c, const struct unwind_regs *r, bool leaf, struct unwind_regs *out)
{
	uint64_t ip = r->r[UNWIND_REG_RIP];
	const struct map_entry *e = maps_find(c->maps, ip);
	uint64_t vaddr;
	if (!e || !e->module || !module_offset_to_vaddr(e->module, ip - e->start + e->pgoff, &vaddr))
		return -1;
	Dwarf_CFI *cfi = mod_cfi(e->module);
	if (!cfi)
		return -1;
	c->cur_mod = e->module;
	c->cur_bias = ip - vaddr;
	Dwarf_Frame *fr = NULL;
	if (dwarf_cfi_addrframe(cfi, leaf ? vaddr : vaddr - 1, &fr) || !fr)
		return -1;
	int rv = -1;
	Dwarf_Op *ops, mem[3];
	size_t nops;
	uint64_t cfa, v;
	bool is_value;
	int ra = dwarf_frame_info(fr, NULL, NULL, NULL);
	if (ra < 0 || ra >= UNWIND_NREGS || dwarf_frame_cfa(fr, &ops, &nops) || !nops ||
	    cfi_eval(c, r, ops, nops, 0, false, &cfa, &is_value))
		goto out;
	*out = *r;
	out->r[UNWIND_REG_RSP] = cfa;
	static const int saved[] = { UNWIND_REG_RBX, UNWIND_REG_RBP, UNWIND_REG_R12, UNWIND_REG_R13,
				     UNWIND_REG_R14, UNWIND_REG_R15 };
	for (size_t i = 0; i <= ARRAY_SIZE(saved); i++) {
		int reg = i < ARRAY_SIZE(saved) ? saved[i] : ra;
		if (dwarf_frame_register(fr, reg, mem, &ops, &nops))
			goto out;
		if (!nops) {
			if (ops == mem && reg == ra) {
				rv = 0; /* the outermost frame */
				goto out;
			}
			continue; /* same value, or undefined: keep what we have */
		}
		if (cfi_eval(c, r, ops, nops, cfa, false, &v, &is_value))
			goto out;
		if (!is_value && read_word(c, v, &v))
			goto out;
		out->r[reg == ra ? UNWIND_REG_RIP : reg] = v;
	}
	rv = out->r[UNWIND_REG_RIP] ? 1 : 0;
out:
	free(fr);
	return rv;
}

/* The module's .eh_frame CFI for the fast path, opened by libdw on the
 * image prowl already maps. Only a little-endian ELF64: libelf converts a
 * file of the other byte order in place, and the image is read-only. */
static Dwarf_CFI *fast_cfi(const struct module *m, struct mod_unwind *mu)
{
	if (mu->fast_tried)
		return mu->fast_cfi;
	mu->fast_tried = true;
	if (!m->image || m->image_len < EI_NIDENT || m->image[EI_CLASS] != ELFCLASS64 ||
	    m->image[EI_DATA] != ELFDATA2LSB)
		return NULL;
	elf_version(EV_CURRENT);
	mu->fast_elf = elf_memory((char *)m->image, m->image_len);
	if (mu->fast_elf)
		mu->fast_cfi = dwarf_getcfi_elf(mu->fast_elf);
	if (mu->fast_cfi)
		mu->rules = xcalloc(FAST_RULES, sizeof(*mu->rules));
	return mu->fast_cfi;
}

/* Compiles the CFI row at vaddr into *r: FR_OK when it has the plain
 * shape, FR_END for the outermost frame, FR_OTHER else. */
static void fast_compile(Dwarf_CFI *cfi, uint64_t vaddr, struct fast_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->key = vaddr + 1;
	r->kind = FR_OTHER;
	Dwarf_Frame *fr = NULL;
	if (dwarf_cfi_addrframe(cfi, vaddr, &fr) || !fr)
		return;
	bool signal = false;
	Dwarf_Op *ops, mem[3];
	size_t nops;
	int ra = dwarf_frame_info(fr, NULL, NULL, &signal);
	if (ra != UNWIND_REG_RIP || signal || dwarf_frame_cfa(fr, &ops, &nops) || nops != 1 ||
	    ops[0].atom != DW_OP_bregx || (ops[0].number != UNWIND_REG_RSP && ops[0].number != UNWIND_REG_RBP) ||
	    (int64_t)ops[0].number2 != (int32_t)ops[0].number2)
		goto out;
	r->cfa_reg = (uint8_t)ops[0].number;
	r->cfa_off = (int32_t)ops[0].number2;
	for (unsigned i = 0; i < FAST_NSAVED; i++) {
		if (dwarf_frame_register(fr, fast_saved_reg[i], mem, &ops, &nops))
			goto out;
		if (!nops) {
			if (fast_saved_reg[i] != UNWIND_REG_RIP)
				continue; /* kept, or not recoverable: the callee's value stays */
			if (ops == mem)
				r->kind = FR_END; /* the return address is undefined */
			goto out;
		}
		/* "saved at CFA + k", as libdw spells it */
		int64_t off;
		if (nops == 1 && ops[0].atom == DW_OP_call_frame_cfa)
			off = 0;
		else if (nops == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst)
			off = (int64_t)ops[1].number;
		else
			goto out;
		if (off != (int16_t)off)
			goto out;
		r->saved |= (uint8_t)(1u << i);
		r->off[i] = (int16_t)off;
	}
	r->kind = FR_OK;
out:
	free(fr);
}

/* One step by a compiled row: 1 stepped (*out the caller's registers), 0
 * the outermost frame, -1 not taken here (code without a module or an
 * .eh_frame_hdr, a row of another shape, a read that failed). */
static int fast_step(struct uctx *c, const struct unwind_regs *r, bool leaf, struct unwind_regs *out)
{
	/* A return address may be one past its function: look up the call. */
	uint64_t pc = r->r[UNWIND_REG_RIP] - (leaf ? 0 : 1), vaddr;
	const struct map_entry *e = maps_find(c->maps, pc);
	if (!e || !e->module || (e->module->kind != MODULE_FILE && e->module->kind != MODULE_VDSO))
		return -1;
	struct module *m = e->module;
	struct mod_unwind *mu = mod_unwind_get(m);
	if (!mu->have_table || !module_offset_to_vaddr(m, pc - e->start + e->pgoff, &vaddr))
		return -1;
	Dwarf_CFI *cfi = fast_cfi(m, mu);
	if (!cfi)
		return -1;
	struct fast_rule *fr = &mu->rules[(vaddr * 0x9E3779B97F4A7C15ull) >> (64 - FAST_RULES_BITS)];
	if (fr->key != vaddr + 1)
		fast_compile(cfi, vaddr, fr);
	if (fr->kind == FR_END)
		return 0;
	/* ld.so's _start and _dl_start_user have no CFI at all, and a sample
	 * of every process that starts has them at its root: the root window
	 * says nothing is above (libunwind would only get there slower). */
	if (fr->kind != FR_OK)
		return vaddr >= mu->root_lo && vaddr < mu->root_hi ? 0 : -1;
	uint64_t cfa = r->r[fr->cfa_reg] + (uint64_t)(int64_t)fr->cfa_off;
	*out = *r;
	for (unsigned i = 0; i < FAST_NSAVED; i++) {
		if (!(fr->saved & (1u << i)))
			continue;
		uint64_t v;
		if (read_word(c, cfa + (uint64_t)(int64_t)fr->off[i], &v))
			return -1;
		out->r[fast_saved_reg[i]] = v;
	}
	out->r[UNWIND_REG_RSP] = cfa;
	return 1;
}

/* Opens the process's jitdump once its marker mapping was seen: the file
 * is the target's (tfile rules: inside its root, regular, its owner's). */
static void jit_open(struct uctx *c)
{
	struct proc_as *pa = c->pa;
	pa->jtried = true;
	pid_t pid = c->maps->pid;
	char v[128];
	unsigned long ruid, euid;
	if (pid <= 0 || procstat_status(pid, pid, "Uid:", v, sizeof(v)) < 0 ||
	    sscanf(v, "%lu %lu", &ruid, &euid) != 2)
		return;
	int nspid = (int)pid;
	if (procstat_status(pid, pid, "NSpid:", v, sizeof(v)) == 0) {
		/* the last field: the pid the process sees, which names its dump */
		const char *last = strrchr(v, '\t');
		last = last ? last + 1 : v;
		if (atoi(last) > 0)
			nspid = atoi(last);
	}
	int rootfd = tfile_root(pid);
	int fd = jitdump_open(pid, rootfd, (uid_t)euid, nspid);
	if (rootfd >= 0)
		close(rootfd);
	if (fd < 0)
		return;
	pa->jfd = fd;
	pa->jd = jitdump_new();
	jitdump_update(pa->jd, fd);
	pa->jread_ns = now_ns();
}

/* How often the jitdump is read again for code it does not hold yet. */
#define JIT_REREAD_NS 50000000ull

/* Fills c->jit for JIT code at ip from the process's jitdump. */
static bool jit_unwind_info(struct uctx *c, uint64_t ip)
{
	struct proc_as *pa = c->pa;
	if (!pa || (!pa->jd && (pa->jtried || !c->maps->jitdump_marker)))
		return false;
	if (!pa->jd)
		jit_open(c);
	if (!pa->jd)
		return false;
	if (!jitdump_lookup(pa->jd, ip)) {
		uint64_t now = now_ns();
		if (now - pa->jread_ns < JIT_REREAD_NS)
			return false;
		pa->jread_ns = now;
		jitdump_update(pa->jd, pa->jfd);
	}
	return jitdump_unwind_info(pa->jd, ip, &c->jit) == 0;
}

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			      int need_unwind_info, void *arg)
{
	struct uctx *c = arg;
	const struct map_entry *e = maps_find(c->maps, ip);
	c->jit_cfi = false;
	if (e && !e->module && (e->prot & MAPS_PROT_EXEC) && jit_unwind_info(c, ip)) {
		unw_dyn_info_t di;
		memset(&di, 0, sizeof(di));
		di.start_ip = c->jit.code_addr;
		di.end_ip = c->jit.code_addr + c->jit.code_size;
		di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
		di.u.rti.segbase = c->jit.eh_frame_hdr_addr;
		di.u.rti.table_data = c->jit.table_addr;
		di.u.rti.table_len = c->jit.fde_count * 8 / sizeof(unw_word_t);
		c->jit_cfi = true;
		int r = _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
		if (r >= 0)
			return r;
		c->jit_cfi = false;
	}
	if (!e || !e->module) {
		/* JIT code without unwinding info: the step is taken by the
		 * trampoline rule or the frame pointer (unwind_dwarf_do), never
		 * by libunwind's unchecked rbp guess. */
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
	if (c->jit_cfi && jitdump_unwind_read(&c->jit, addr, buf, 8))
		return 0;
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
	if (!maps_read_file_hint(c->maps, &c->file_hint, addr, buf, 8) || read_module_vaddr(c, addr, buf, 8))
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

void unwinder_set_fast(struct unwinder *u, bool on)
{
	u->no_fast = !on;
}

uint64_t unwinder_fast_frames(const struct unwinder *u)
{
	return u->fast_frames;
}

uint64_t unwinder_slow_unwinds(const struct unwinder *u)
{
	return u->slow_unwinds;
}

static void space_release(struct proc_as *p)
{
	unw_destroy_addr_space(p->as);
	jitdump_free(p->jd);
	if (p->jfd >= 0)
		close(p->jfd);
}

static void code_cache_clear(struct proc_as *p)
{
	for (size_t i = 0; i < CODE_CACHE; i++)
		p->code[i].ip = 0;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nspaces; i++)
		space_release(&u->spaces[i]);
	free(u->spaces);
	free(u);
}

void unwinder_trim(struct unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nspaces; i++)
		space_release(&u->spaces[i]);
	u->nspaces = 0;
	for (size_t i = 0; i < module_set_count(u->ms); i++) {
		struct module *m = module_set_at(u->ms, i);
		if (m->unwind_data && m->unwind_free == mod_unwind_free) {
			mod_unwind_free(m->unwind_data);
			m->unwind_data = NULL;
			m->unwind_free = NULL;
		}
	}
}

static struct proc_as *space_for(struct unwinder *u, struct maps *maps)
{
	for (size_t i = 0; i < u->nspaces; i++) {
		struct proc_as *p = &u->spaces[i];
		if (p->maps == maps) {
			if (p->generation != maps->generation) {
				/* Mappings changed: cached states may describe old code. */
				unw_flush_cache(p->as, 0, 0);
				code_cache_clear(p);
				p->generation = maps->generation;
				if (!maps->jitdump_marker && (p->jd || p->jtried)) {
					/* exec: the old image's dump is not this one's */
					jitdump_free(p->jd);
					p->jd = NULL;
					if (p->jfd >= 0)
						close(p->jfd);
					p->jfd = -1;
					p->jtried = false;
				}
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
	memset(p, 0, sizeof(*p));
	p->maps = maps;
	p->as = as;
	p->generation = maps->generation;
	p->jfd = -1;
	return p;
}

void unwinder_forget(struct unwinder *u, struct maps *maps)
{
	for (size_t i = 0; i < u->nspaces; i++) {
		if (u->spaces[i].maps == maps) {
			space_release(&u->spaces[i]);
			u->spaces[i] = u->spaces[--u->nspaces];
			return;
		}
	}
}

/* Whether ip, a return address found below sp, is the x86_64 rt_sigreturn
 * trampoline (mov $15,%rax; syscall). libunwind 1.6's own check expects a
 * byte after it that glibc 2.36 lacks.
 * The stack is looked at first. The kernel's signal frame (struct
 * rt_sigframe) holds the trampoline's address, then the ucontext: uc_flags
 * and uc_link: sp, just above the return address, points at them. A 64-bit
 * task's uc_flags has UC_SIGCONTEXT_SS and UC_STRICT_RESTORE_SS since Linux
 * 4.6, beside UC_FP_XSTATE (so 6 or 7; any other bit is new), and uc_link
 * is always 0. In 5 s of a build, 8,400 return addresses had "at most
 * 0xff, then 0" above them (5,900 two zeros); about 900 have the flags.
 * Where those two words say otherwise, or cannot be read (then the stack
 * ends here for the unwinder too, signal frame or not), the code is not
 * read: reading code at every return address maps the text of every
 * module unwound into prowl, page by page (15 MB of cc1's in 8 s of a
 * build, measured). */
static bool is_sigreturn(struct uctx *c, uint64_t ip, uint64_t sp)
{
	static const unsigned char code[9] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	uint64_t uc[2];
	if (c->mem->read(c->mem->ctx, sp, uc, sizeof(uc)) || uc[0] > 0xff || (uc[0] & 6) != 6 || uc[1])
		return false;
	unsigned char buf[9];
	if (maps_read_file(c->maps, ip, buf, sizeof(buf)) &&
	    c->mem->read(c->mem->ctx, ip, buf, sizeof(buf)))
		return false;
	return !memcmp(buf, code, sizeof(code));
}

/* The registers libunwind knows for the cursor's frame (callee-saved ones,
 * sp and ip: enough for the next CFI step). */
static void cursor_regs(unw_cursor_t *cur, const struct unwind_regs *prev, struct unwind_regs *out)
{
	static const int regs[] = { UNWIND_REG_RBX, UNWIND_REG_RBP, UNWIND_REG_R12, UNWIND_REG_R13,
				    UNWIND_REG_R14, UNWIND_REG_R15, UNWIND_REG_RSP, UNWIND_REG_RIP };
	*out = *prev;
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		unw_word_t v;
		if (!unw_get_reg(cur, regs[i], &v))
			out->r[regs[i]] = v;
	}
}

bool unwind_is_code(const struct maps *maps, uint64_t addr)
{
	const struct map_entry *e = maps ? maps_find(maps, addr) : NULL;
	return e && (e->prot & MAPS_PROT_EXEC);
}

size_t unwind_check(const struct maps *maps, const uint64_t *ips, size_t n, unsigned *flags)
{
	if (!maps)
		return n;
	for (size_t i = 1; i < n; i++) {
		if (!unwind_is_code(maps, ips[i] - 1)) {
			*flags |= UNWIND_PARTIAL | UNWIND_REFUSED;
			n = i;
			break;
		}
	}
	if (n) {
		const struct map_entry *e = maps_find(maps, ips[n - 1] - (n > 1 ? 1 : 0));
		if (e && !e->module)
			*flags |= UNWIND_PARTIAL;
	}
	return n;
}

/* Reads code bytes: from the file behind the mapping, else the backend's
 * reader (ptrace reads any address; perf's serves the stack copy only),
 * else the target's memory directly (JIT code is anonymous). */
static bool read_code(struct uctx *c, uint64_t addr, void *buf, size_t len)
{
	if (!maps_read_file(c->maps, addr, buf, len) || !c->mem->read(c->mem->ctx, addr, buf, len))
		return true;
	if (c->maps->pid <= 0)
		return false;
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	return process_vm_readv(c->maps->pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/*
 * CPython's perf trampoline (Python/asm_trampoline.S, copied once per code
 * object into anonymous executable memory by -X perf and -X perf_jit):
 *
 *     sub $8, %rsp ; call *%rcx ; add $8, %rsp ; ret
 *     48 83 ec 08    ff d1        48 83 c4 08    c3
 *
 * Checked on this machine: _Py_trampoline_func_start in pyenv's
 * libpython3.12.so.1.0 (0x24364c) and libpython3.13.so.1.0 (0x1e44bc) is
 * exactly these 11 bytes, with no CFI and no frame pointer. So at the return
 * address of its call (start + 6) the caller's return address is at rsp + 8
 * and the CFA is rsp + 16; no register is saved. A leaf sampled at its
 * first or last instruction has it at rsp. Returns the rsp offset of the
 * return address, or -1 when ip is not in such a trampoline.
 */
static const unsigned char py_trampoline[11] = { 0x48, 0x83, 0xec, 0x08, 0xff, 0xd1,
						 0x48, 0x83, 0xc4, 0x08, 0xc3 };

static int tramp_rule(struct uctx *c, uint64_t ip, bool leaf)
{
	struct code_verdict *v = NULL;
	if (c->pa) {
		v = &c->pa->code[(ip >> 1) % CODE_CACHE];
		if (v->ip == ip && v->leaf == leaf)
			return v->tramp;
	}
	/* The bytes from ip - 10 to ip + 11 hold the trampoline wherever ip is
	 * an instruction of it. */
	unsigned char b[21];
	int found = -1;
	if (ip >= 10 && read_code(c, ip - 10, b, sizeof(b))) {
		static const struct { int at; int ra; } k[] = { { 6, 8 }, { 0, 0 }, { 4, 8 }, { 10, 0 } };
		for (size_t i = 0; i < (leaf ? ARRAY_SIZE(k) : 1) && found < 0; i++)
			if (!memcmp(b + 10 - k[i].at, py_trampoline, sizeof(py_trampoline)))
				found = k[i].ra;
	}
	if (v) {
		v->ip = ip;
		v->leaf = leaf;
		v->tramp = (int8_t)found;
	}
	return found;
}

/* The most a frame-pointer step may move up the stack. */
#define FP_MAX_FRAME (8u << 20)

/* One step by the trampoline's rule: 1 stepped, -1 not a trampoline. */
static int tramp_step(struct uctx *c, const struct unwind_regs *r, bool leaf, struct unwind_regs *out)
{
	int ra_off = tramp_rule(c, r->r[UNWIND_REG_RIP], leaf);
	if (ra_off < 0)
		return -1;
	uint64_t sp = r->r[UNWIND_REG_RSP], ra;
	int e = c->mem->read(c->mem->ctx, sp + (uint64_t)ra_off, &ra, 8);
	if (e) {
		if (e == -ERANGE)
			c->hit_range = true;
		return -1;
	}
	*out = *r;
	out->r[UNWIND_REG_RSP] = sp + (uint64_t)ra_off + 8;
	out->r[UNWIND_REG_RIP] = ra;
	return 1;
}

/* One step through the frame pointer, for code without CFI that keeps one
 * (JIT code, V8's builtins): rbp must point up into the stack at a saved
 * rbp and a return address into code. 1 stepped, -1 not possible. */
static int fp_step(struct uctx *c, const struct unwind_regs *r, struct unwind_regs *out)
{
	uint64_t bp = r->r[UNWIND_REG_RBP], sp = r->r[UNWIND_REG_RSP], fr[2];
	if (!bp || (bp & 7) || bp < sp || bp - sp > FP_MAX_FRAME)
		return -1;
	int e = c->mem->read(c->mem->ctx, bp, fr, sizeof(fr));
	if (e) {
		if (e == -ERANGE)
			c->hit_range = true;
		return -1;
	}
	if (!fr[1] || !unwind_is_code(c->maps, fr[1] - 1)) {
		if (fr[1])
			c->refused = true;
		return -1;
	}
	*out = *r;
	out->r[UNWIND_REG_RBP] = fr[0];
	out->r[UNWIND_REG_RSP] = bp + 16;
	out->r[UNWIND_REG_RIP] = fr[1];
	return 1;
}

static int unwind_dwarf_do(struct unwinder *u, struct maps *maps, const struct unwind_regs *regs,
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
	/* The regs of the frame the cursor started from: the sample's, or those
	 * a CFI step computed where libunwind had no table. */
	struct unwind_regs cur_regs = *regs;
	struct uctx c = { .maps = maps, .regs = &cur_regs, .mem = mem, .pa = pa };
	uint64_t last_sp = regs->r[UNWIND_REG_RSP], last_ip = ips[0];
	bool complete = false, leaf = true, after_signal = false;
	unsigned steps = 0;
	/* The fast path first: frames with plain CFI rows (fast_step). The
	 * first frame it does not take goes to libunwind with the registers
	 * reached. Its checks are the loop's below. */
	while (n < max && !u->no_fast) {
		struct unwind_regs next;
		int s = fast_step(&c, &cur_regs, leaf, &next);
		if (s < 0)
			break;
		if (s == 0) {
			complete = true;
			goto done;
		}
		uint64_t ip = next.r[UNWIND_REG_RIP], sp = next.r[UNWIND_REG_RSP];
		if (!ip) {
			complete = true;
			goto done;
		}
		if (sp < last_sp || (sp == last_sp && ip == last_ip))
			goto done;
		if (!unwind_is_code(maps, ip - 1)) {
			c.refused = true;
			goto done;
		}
		/* A return into the sigreturn trampoline: libunwind takes the
		 * signal frame (its pc, as the loop below, plus one). */
		bool sig = is_sigreturn(&c, ip, sp);
		cur_regs = next;
		leaf = false;
		ips[n++] = ip + (sig ? 1 : 0);
		u->fast_frames++;
		last_sp = sp;
		last_ip = ip;
		if (sig) {
			after_signal = true;
			break;
		}
	}
	if (n >= max)
		goto done;
	/* libunwind starts a cursor as at a leaf, looking its row up at the pc
	 * itself; for a frame reached by a return, the row is the call's: hand
	 * it the address inside the call when it will look in a module's table
	 * (the sigreturn trampoline's address is exact, and libunwind knows it
	 * by its bytes; code without a table goes to the steps below, which
	 * take the return address as it is). after_signal: the fast loop stopped
	 * at the trampoline, already read by is_sigreturn. */
	if (!leaf && !after_signal) {
		const struct map_entry *e = maps_find(maps, last_ip - 1);
		if (e && e->module && mod_unwind_get(e->module)->have_table) {
			cur_regs.r[UNWIND_REG_RIP] = last_ip - 1;
			last_ip--;
		}
	}
	unw_cursor_t cur;
	u->slow_unwinds++;
	if (unw_init_remote(&cur, pa->as, &c) < 0) {
		*flags = UNWIND_PARTIAL;
		return (int)n;
	}
	while (n < max) {
		c.noinfo = false;
		unw_cursor_t before = cur; /* a cursor is plain data: this keeps the frame */
		int r = unw_step(&cur);
		if (r == 0 && !c.noinfo) {
			complete = true;
			break;
		}
		unw_word_t ip, sp;
		if (r < 0 || c.noinfo) {
			/* No table for this code: libunwind would guess through rbp,
			 * which holds anything without frame pointers. Step with the
			 * module's other CFI instead, then let libunwind go on. */
			struct unwind_regs here, next;
			if (!c.noinfo)
				break;
			cursor_regs(&before, &cur_regs, &here);
			if (here.r[UNWIND_REG_RIP] != last_ip)
				break;
			/* The trampoline first: its bytes say what it is, and rbp
			 * in it is its caller's, not a frame pointer. */
			int s = tramp_step(&c, &here, leaf, &next);
			if (s > 0) {
				steps |= UNWIND_STEP_TRAMP;
			} else {
				s = cfi_step(&c, &here, leaf, &next);
				if (s == 0) {
					complete = true;
					break;
				}
				if (s < 0 && unwind_is_code(maps, here.r[UNWIND_REG_RIP] - (leaf ? 0 : 1))) {
					s = fp_step(&c, &here, &next);
					if (s > 0)
						steps |= UNWIND_STEP_FP;
				}
			}
			if (s < 0)
				break;
			ip = next.r[UNWIND_REG_RIP];
			sp = next.r[UNWIND_REG_RSP];
			if (sp < last_sp || (sp == last_sp && ip == last_ip))
				break;
			cur_regs = next;
			if (unw_init_remote(&cur, pa->as, &c) < 0)
				break;
		} else {
			unw_get_reg(&cur, UNW_REG_IP, &ip);
			unw_get_reg(&cur, UNW_REG_SP, &sp);
			if (ip == 0) {
				complete = true;
				break;
			}
			if (sp < last_sp || (sp == last_sp && ip == last_ip))
				break; /* the stack grows down: going back means a loop */
		}
		/* A signal frame's pc (the sigreturn trampoline) and the pc of the
		 * frame it interrupted are exact, not return addresses: give them
		 * plus one, so that every caller is looked up at address - 1. */
		/* Only code returns: a "return address" anywhere else is a
		 * stack or register read as one (a garbage rbp). */
		if (!unwind_is_code(maps, ip - (after_signal ? 0 : 1))) {
			c.refused = true;
			break;
		}
		/* libunwind stepped anonymous code: only a jitdump gives it CFI
		 * (found now, or cached from an earlier unwind). */
		if (!c.noinfo) {
			const struct map_entry *je = maps_find(maps, last_ip - (leaf || after_signal ? 0 : 1));
			if (je && !je->module)
				steps |= UNWIND_STEP_JIT;
		}
		bool sig = r > 0 && !c.noinfo && is_sigreturn(&c, ip, sp);
		leaf = false;
		ips[n++] = ip + (sig || after_signal ? 1 : 0);
		after_signal = sig;
		last_sp = sp;
		last_ip = ip;
	}
done:
	if (!complete && n < max && !c.hit_range) {
		/* The outermost frame is where processes start (_start, ld.so's
		 * _dl_start_user): nothing is missing above it. */
		struct module *m;
		uint64_t vaddr;
		if (maps_resolve(maps, ips[n - 1] - (n > 1 ? 1 : 0), &m, &vaddr) == 0 && unwind_is_root(m, vaddr))
			complete = true;
	}
	if (!complete) {
		if (n >= max)
			*flags = UNWIND_DEPTH | UNWIND_TRUNCATED;
		else if (c.hit_range)
			*flags = UNWIND_TRUNCATED;
		else
			*flags = UNWIND_PARTIAL;
	}
	if (c.refused && !complete && n < max)
		*flags |= UNWIND_PARTIAL | UNWIND_REFUSED;
	*flags |= steps;
	return (int)n;
}

static int unwind_fp_do(const struct maps *maps, const struct unwind_regs *regs, const struct unwind_mem *mem,
			uint64_t *ips, size_t max, unsigned *flags)
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
		if (maps && !unwind_is_code(maps, frame[1] - 1)) {
			*flags = UNWIND_PARTIAL | UNWIND_REFUSED;
			return (int)n;
		}
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

/* The public entry points: the negative errno returned is also in errno. */
static int unwind_errno(int r)
{
	if (r < 0)
		errno = -r;
	return r;
}

int unwind_dwarf(struct unwinder *u, struct maps *maps, const struct unwind_regs *regs,
		 const struct unwind_mem *mem, uint64_t *ips, size_t max, unsigned *flags)
{
	return unwind_errno(unwind_dwarf_do(u, maps, regs, mem, ips, max, flags));
}

int unwind_fp(const struct maps *maps, const struct unwind_regs *regs, const struct unwind_mem *mem,
	      uint64_t *ips, size_t max, unsigned *flags)
{
	int n = unwind_fp_do(maps, regs, mem, ips, max, flags);
	if (n > 0 && maps && !(*flags & UNWIND_PARTIAL)) {
		const struct map_entry *e = maps_find(maps, ips[n - 1] - (n > 1 ? 1 : 0));
		if (e && !e->module)
			*flags |= UNWIND_PARTIAL; /* no process starts in JIT code */
	}
	return unwind_errno(n);
}
