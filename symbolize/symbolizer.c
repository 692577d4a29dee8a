/*
 * symbolizer: module cache, ELF symbol tables, kernel and JIT symbols, and the
 * lookup entry point. DWARF (lines, inlines) lives in dwarf.c later; this file
 * stays the only one that knows the module cache.
 */
#include "symbolizer.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../profiler/util.h"

struct syment {
	uint64_t addr;
	uint64_t size;
	const char *raw;      /* in the module's string arena */
	const char *function; /* demangled, computed lazily; == raw when not mangled */
	unsigned char rank;   /* binding preference when two start at one address */
};

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

struct sym_module {
	struct sym_module *next;
	struct symbolizer *s;
	enum sym_source_kind kind;
	char *key;
	char *path;
	char *name;
	char *build_id;
	pid_t pid;
	unsigned caps;
	bool loaded;
	struct syment *syms;
	size_t nsyms;
	struct arena_block *arena;
};

struct symbolizer {
	struct symbolizer_opts opts;
	char *debug_dir;
	struct sym_module *modules;
};

static char *arena_strdup(struct sym_module *m, const char *s, size_t n)
{
	struct arena_block *b = m->arena;
	if (!b || b->cap - b->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;
		b = xmalloc(sizeof(*b) + cap);
		b->cap = cap;
		b->used = 0;
		b->next = m->arena;
		m->arena = b;
	}
	char *p = b->data + b->used;
	memcpy(p, s, n);
	p[n] = 0;
	b->used += n + 1;
	return p;
}

struct symbolizer *symbolizer_new(const struct symbolizer_opts *opts)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));
	if (opts)
		s->opts = *opts;
	s->debug_dir = xstrdup(s->opts.debug_dir ? s->opts.debug_dir : "/usr/lib/debug");
	s->opts.debug_dir = s->debug_dir;
	elf_version(EV_CURRENT);
	return s;
}

static void module_free(struct sym_module *m)
{
	while (m->arena) {
		struct arena_block *b = m->arena;
		m->arena = b->next;
		free(b);
	}
	free(m->syms);
	free(m->key);
	free(m->path);
	free(m->name);
	free(m->build_id);
	free(m);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	while (s->modules) {
		struct sym_module *m = s->modules;
		s->modules = m->next;
		module_free(m);
	}
	free(s->debug_dir);
	free(s);
}

static char *hex_of(const unsigned char *p, size_t n)
{
	char *h = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++)
		sprintf(h + 2 * i, "%02x", p[i]);
	h[2 * n] = 0;
	return h;
}

/* Two sources are the same module when their build-ids match, or, without a
 * build-id, when they name the same file with the same size and mtime. */
static char *source_key(const struct sym_source *src)
{
	if (src->kind == SYM_KERNEL)
		return xstrdup("[kernel]");
	if (src->kind == SYM_JIT)
		return xasprintf("[jit %d]", (int)src->pid);
	if (src->build_id && src->build_id_len) {
		char *h = hex_of(src->build_id, src->build_id_len);
		char *k = xasprintf("b:%s", h);
		free(h);
		return k;
	}
	if (src->image)
		return xasprintf("i:%s:%zu:%016llx", src->name ? src->name : "", src->image_len,
				 (unsigned long long)hash_bytes(src->image, src->image_len, 0));
	struct stat st;
	if (src->path && stat(src->path, &st) == 0)
		return xasprintf("f:%s:%lld:%lld.%09ld", src->path, (long long)st.st_size,
				 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return xasprintf("p:%s", src->path ? src->path : "");
}

static int symcmp(const void *a, const void *b)
{
	const struct syment *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At one address: sized before unsized, then the preferred binding. */
	if ((x->size == 0) != (y->size == 0))
		return x->size == 0 ? 1 : -1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->raw, y->raw);
}

static void add_elf_symbols(struct sym_module *m, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh,
			    size_t *cap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || !sh->sh_entsize || data->d_size < sh->sh_entsize)
		return;
	size_t n = data->d_size / sh->sh_entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		int type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE ||
		    type == STT_TLS)
			continue;
		if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE &&
		    type != STT_OBJECT)
			continue;
		const char *nm = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!nm || !*nm)
			continue;
		xgrow((void **)&m->syms, cap, m->nsyms + 1, sizeof(*m->syms));
		struct syment *e = &m->syms[m->nsyms++];
		e->addr = sym.st_value;
		e->size = sym.st_size;
		e->raw = arena_strdup(m, nm, strlen(nm));
		e->function = NULL;
		int bind = GELF_ST_BIND(sym.st_info);
		e->rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			e->rank += 3;
	}
}

/* Keeps one entry per address (the preferred one) so lookups can binary search. */
static void finish_symbols(struct sym_module *m)
{
	if (!m->nsyms)
		return;
	qsort(m->syms, m->nsyms, sizeof(*m->syms), symcmp);
	size_t w = 0;
	for (size_t i = 0; i < m->nsyms; i++) {
		if (w && m->syms[w - 1].addr == m->syms[i].addr)
			continue;
		m->syms[w++] = m->syms[i];
	}
	m->nsyms = w;
	m->caps |= 1;
}

static void load_elf_symbols(struct sym_module *m, Elf *elf)
{
	size_t cap = 0;
	Elf_Scn *scn = NULL;
	bool have_symtab = false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			add_elf_symbols(m, elf, scn, &sh, &cap);
			have_symtab = true;
		}
	}
	/* .dynsym only fills what .symtab lacks; with both, .symtab is a superset. */
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM)
			add_elf_symbols(m, elf, scn, &sh, &cap);
	}
	(void)have_symtab;
}

static void read_build_id(struct sym_module *m, Elf *elf)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)data->d_buf + name_off, "GNU", 4) && nh.n_descsz > 0) {
				m->build_id = hex_of((unsigned char *)data->d_buf + desc_off,
						     nh.n_descsz);
				return;
			}
		}
	}
}

static void load_elf(struct sym_module *m, const struct sym_source *src)
{
	int fd = -1;
	Elf *elf = NULL;
	char *copy = NULL;
	if (src->image) {
		if (!src->image_len)
			return;
		copy = xmalloc(src->image_len);
		memcpy(copy, src->image, src->image_len);
		elf = elf_memory(copy, src->image_len);
	} else {
		fd = open(src->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	}
	if (elf && elf_kind(elf) == ELF_K_ELF) {
		if (!m->build_id)
			read_build_id(m, elf);
		load_elf_symbols(m, elf);
		finish_symbols(m);
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	free(copy);
}

static void load_kallsyms(struct sym_module *m)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	size_t cap = 0;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type;
		int off = 0;
		if (sscanf(line, "%llx %c %n", &a, &type, &off) < 2 || !off)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		char *nm = line + off;
		nm[strcspn(nm, " \t\n")] = 0;
		if (!*nm || !a)
			continue;
		xgrow((void **)&m->syms, &cap, m->nsyms + 1, sizeof(*m->syms));
		struct syment *e = &m->syms[m->nsyms++];
		e->addr = a;
		e->size = 0;
		e->raw = arena_strdup(m, nm, strlen(nm));
		e->function = NULL;
		e->rank = type == 'T' ? 0 : 1;
	}
	fclose(f);
	finish_symbols(m);
	/* kallsyms has no sizes: each symbol ends where the next begins. */
	for (size_t i = 0; i + 1 < m->nsyms; i++)
		m->syms[i].size = m->syms[i + 1].addr - m->syms[i].addr;
}

/* /tmp/perf-PID.map lines: "START SIZE name" in hex. Read only when the file
 * belongs to the target's user, since anyone can write to /tmp. */
static void load_jit(struct sym_module *m, const struct sym_source *src)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)src->pid);
	const char *p = src->path ? src->path : path;
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	struct stat st, pst;
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/%d", (int)src->pid);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (stat(proc, &pst) == 0 ? st.st_uid != pst.st_uid : st.st_uid != geteuid())) {
		close(fd);
		return;
	}
	FILE *f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return;
	}
	size_t cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) > 0) {
		unsigned long long a, sz;
		int off = 0;
		if (sscanf(line, "%llx %llx %n", &a, &sz, &off) < 2 || !off)
			continue;
		char *nm = line + off;
		size_t n = strcspn(nm, "\n");
		if (!n)
			continue;
		xgrow((void **)&m->syms, &cap, m->nsyms + 1, sizeof(*m->syms));
		struct syment *e = &m->syms[m->nsyms++];
		e->addr = a;
		e->size = sz;
		e->raw = arena_strdup(m, nm, n);
		e->function = NULL;
		e->rank = 0;
	}
	free(line);
	fclose(f);
	finish_symbols(m);
}

struct sym_module *symbolizer_module(struct symbolizer *s, const struct sym_source *src)
{
	if (!s || !src || (src->kind == SYM_ELF && !src->path && !src->image) ||
	    (unsigned)src->kind > SYM_JIT) {
		errno = EINVAL;
		return NULL;
	}
	char *key = source_key(src);
	for (struct sym_module *m = s->modules; m; m = m->next)
		if (!strcmp(m->key, key)) {
			free(key);
			return m;
		}
	struct sym_module *m = xcalloc(1, sizeof(*m));
	m->s = s;
	m->key = key;
	m->kind = src->kind;
	m->pid = src->pid;
	m->path = src->path ? xstrdup(src->path) : NULL;
	m->name = xstrdup(src->name ? src->name : src->path ? src->path : "[vdso]");
	if (src->build_id && src->build_id_len)
		m->build_id = hex_of(src->build_id, src->build_id_len);
	if (src->kind == SYM_KERNEL)
		load_kallsyms(m);
	else if (src->kind == SYM_JIT)
		load_jit(m, src);
	else
		load_elf(m, src);
	m->loaded = true;
	m->next = s->modules;
	s->modules = m;
	return m;
}

static const struct syment *find_symbol(struct sym_module *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* A few steps back find a larger symbol that encloses a smaller one. */
	for (size_t i = lo, steps = 0; i-- > 0 && steps < 8; steps++) {
		const struct syment *e = &m->syms[i];
		if (addr < e->addr + e->size)
			return e;
		if (e->size == 0 && i + 1 == lo) {
			/* Unsized: owns the gap up to the next symbol (like nm-based tools). */
			if (i + 1 < m->nsyms ? addr < m->syms[i + 1].addr : addr - e->addr < 4096)
				return e;
		}
	}
	return NULL;
}

static const char *symbol_function(struct sym_module *m, struct syment *e)
{
	if (!e->function) {
		char *d = m->s->opts.no_demangle ? NULL : sym_demangle(e->raw);
		if (d) {
			e->function = arena_strdup(m, d, strlen(d));
			free(d);
		} else {
			e->function = e->raw;
		}
	}
	return e->function;
}

int sym_lookup(struct sym_module *m, uint64_t addr, struct sym_frame *out, size_t max)
{
	if (!m || !out || !max)
		return 0;
	const struct syment *c = find_symbol(m, addr);
	if (!c)
		return 0;
	struct syment *e = (struct syment *)c;
	memset(out, 0, sizeof(*out));
	out->function = symbol_function(m, e);
	out->raw = e->raw;
	return 1;
}

const char *sym_module_build_id(struct sym_module *m)
{
	return m ? m->build_id : NULL;
}

unsigned sym_module_caps(struct sym_module *m)
{
	return m ? m->caps : 0;
}
