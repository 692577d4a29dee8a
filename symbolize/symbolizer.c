/*
 * symbolizer: module cache, ELF symbol tables, kernel and JIT symbols, and the
 * lookup entry point with its per-address result cache. DWARF scopes and
 * lines are in dwarfidx.c, debug-file search in debugfile.c.
 */
#include "symbolize/symbolizer.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profiler/base/arena.h"
#include "profiler/base/util.h"
#include "symbolize/debugfile.h"
#include "symbolize/dwarfidx.h"
#include "symbolize/elf.h"
#include "symbolize/fde.h"
#include "symbolize/jitdump.h"
#include "symbolize/tfile.h"

#define MAX_FRAMES 64

struct syment {
	uint64_t addr;
	uint64_t size;
	const char *raw;      /* in the module's arena */
	uint32_t shndx;
	uint32_t idx;         /* position in the symbol table, for ties */
	unsigned char bind;   /* 3 global, 2 weak, 1 local, 0 other (libdwfl's order) */
};

/* One symbol table half (libdwfl searches globals first, then locals). */
struct symtab {
	struct syment *e;
	size_t n, cap;
	uint64_t *maxend;     /* prefix maximum of addr + size */
	int64_t *prev_sizeless; /* index of the last sizeless entry at or before i, or -1 */
};

struct secrange {
	uint64_t addr, size;
	uint32_t shndx;
};

struct cache_entry {
	uint64_t addr;
	struct sym_lookup_info info;
	bool sym_done;
	const char *symbol, *symbol_demangled;
	uint64_t symbol_offset;
	int n;
	struct sym_frame frames[];
};

struct sym_module {
	struct sym_module *next;
	struct symbolizer *s;
	enum sym_source_kind kind;
	char *key;
	char *path;
	char *name;
	char *build_id;
	char *debug_file;
	unsigned caps;
	struct symtab glob, loc;
	struct secrange *secs;
	size_t nsecs;
	Elf *elf, *delf;            /* read in (or mapped) whole: they hold no fd */
	char *image;
	struct dwidx *dw;
	struct fde_table fde;       /* read on the first address no symbol names */
	int fde_state;              /* 0 not read yet, 1 read, -1 none */
	struct jitdump *jd;         /* SYM_JIT: the process's jit-PID.dump, when it has one */
	struct arena arena;
	struct cache_entry **cache; /* in lookup order; entries live in the arena */
	size_t ncache, cap_cache;
	struct itab cache_idx;      /* address -> cache index */
	struct ptrmap dem;          /* raw-name pointer -> demangled name (in the arena) */
};

/* Who a process was while it ran, for its perf map read after it exits. */
struct sym_proc {
	struct sym_proc *next;
	pid_t pid;
	uid_t euid;
	int nspid;
	int rootfd;  /* O_PATH of its root when not prowl's own, else -1 */
	int jitfd;   /* its jit-PID.dump, opened while its marker mapping is there, else -1 */
};

struct symbolizer {
	struct symbolizer_opts opts;
	char *debug_dir;
	struct sym_module *modules;
	struct sym_proc *procs;
};

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
	dwidx_free(m->dw);
	fde_table_release(&m->fde);
	jitdump_free(m->jd);
	if (m->delf)
		elf_end(m->delf);
	if (m->elf)
		elf_end(m->elf);
	free(m->image);
	arena_release(&m->arena);
	free(m->glob.e);
	free(m->glob.maxend);
	free(m->glob.prev_sizeless);
	free(m->loc.e);
	free(m->loc.maxend);
	free(m->loc.prev_sizeless);
	free(m->secs);
	free(m->cache);
	itab_release(&m->cache_idx);
	ptrmap_release(&m->dem);
	free(m->key);
	free(m->path);
	free(m->name);
	free(m->build_id);
	free(m->debug_file);
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
	while (s->procs) {
		struct sym_proc *p = s->procs;
		s->procs = p->next;
		if (p->rootfd >= 0)
			close(p->rootfd);
		if (p->jitfd >= 0)
			close(p->jitfd);
		free(p);
	}
	free(s->debug_dir);
	free(s);
}

static char *hex_of(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *h = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = digits[p[i] >> 4];
		h[2 * i + 1] = digits[p[i] & 15];
	}
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

/* ---- symbol tables ---- */

static void symtab_add(struct sym_module *m, struct symtab *t, uint64_t addr, uint64_t size,
		       const char *name, size_t len, uint32_t shndx, uint32_t idx, int bind)
{
	xgrow((void **)&t->e, &t->cap, t->n + 1, sizeof(*t->e));
	struct syment *e = &t->e[t->n++];
	e->addr = addr;
	e->size = size;
	e->raw = arena_strndup(&m->arena, name, len);
	e->shndx = shndx;
	e->idx = idx;
	e->bind = (unsigned char)bind;
}

static int symcmp(const void *a, const void *b)
{
	const struct syment *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool symtab_sorted(const struct symtab *t)
{
	for (size_t i = 1; i < t->n; i++)
		if (symcmp(&t->e[i - 1], &t->e[i]) > 0)
			return false;
	return true;
}

static void symtab_finish(struct symtab *t)
{
	if (!t->n)
		return;
	if (!symtab_sorted(t))
		qsort(t->e, t->n, sizeof(*t->e), symcmp);
	/* The table is read-only from now: give back what growing by
	 * doubling left unused (kallsyms' 122,000 symbols left 4 MB). */
	xfit((void **)&t->e, &t->cap, t->n, sizeof(*t->e));
	t->maxend = xmalloc(t->n * sizeof(*t->maxend));
	t->prev_sizeless = xmalloc(t->n * sizeof(*t->prev_sizeless));
	uint64_t m = 0;
	int64_t last = -1;
	for (size_t i = 0; i < t->n; i++) {
		if (!t->e[i].size)
			last = (int64_t)i;
		t->prev_sizeless[i] = last;
		uint64_t end = t->e[i].addr + t->e[i].size;
		if (end < t->e[i].addr)
			end = UINT64_MAX;
		if (end > m)
			m = end;
		t->maxend[i] = m;
	}
}

static int binding_value(int bind)
{
	return bind == STB_GLOBAL ? 3 : bind == STB_WEAK ? 2 : bind == STB_LOCAL ? 1 : 0;
}

static void load_symtab_section(struct sym_module *m, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || !sh->sh_entsize || data->d_size < sh->sh_entsize)
		return;
	size_t n = data->d_size / sh->sh_entsize;
	size_t first_global = sh->sh_info;
	for (size_t i = 1; i < n && i < (size_t)1 << 30; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		int type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE ||
		    type == STT_TLS)
			continue;
		const char *nm = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!nm || !*nm)
			continue;
		struct symtab *t = i >= first_global ? &m->glob : &m->loc;
		symtab_add(m, t, sym.st_value, sym.st_size, nm, strlen(nm), sym.st_shndx,
			   (uint32_t)i, binding_value(GELF_ST_BIND(sym.st_info)));
	}
}

static void load_sections(struct sym_module *m, Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t cap = 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || !sh.sh_size)
			continue;
		xgrow((void **)&m->secs, &cap, m->nsecs + 1, sizeof(*m->secs));
		m->secs[m->nsecs++] = (struct secrange){ sh.sh_addr, sh.sh_size,
							 (uint32_t)elf_ndxscn(scn) };
	}
}

/* libdwfl's choice: .symtab of the file, else .symtab of the debug file, else
 * .dynsym, so names match eu-addr2line's. */
static void load_symbols(struct sym_module *m)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	Elf *from = NULL;
	if ((scn = elfx_section_type(m->elf, SHT_SYMTAB, &sh)))
		from = m->elf;
	else if ((scn = elfx_section_type(m->delf, SHT_SYMTAB, &sh)))
		from = m->delf;
	else if ((scn = elfx_section_type(m->elf, SHT_DYNSYM, &sh)))
		from = m->elf;
	if (!from)
		return;
	load_symtab_section(m, from, scn, &sh);
	load_sections(m, from);
	symtab_finish(&m->glob);
	symtab_finish(&m->loc);
	if (m->glob.n || m->loc.n)
		m->caps |= 1;
}

static bool same_section(struct sym_module *m, uint64_t addr, uint32_t shndx)
{
	if (shndx >= SHN_LORESERVE)
		return false;
	for (size_t i = 0; i < m->nsecs; i++)
		if (addr >= m->secs[i].addr && addr - m->secs[i].addr < m->secs[i].size)
			return m->secs[i].shndx == shndx;
	return false;
}

struct symsearch {
	const struct syment *closest, *sizeless;
	uint64_t min_label;
};

static size_t upper(const struct symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->e[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One table: the sized symbol containing addr with the highest value (ties:
 * libdwfl's binding and size rule), and the best sizeless candidate. */
static void search_symtab(struct sym_module *m, const struct symtab *t, uint64_t addr,
			  struct symsearch *st)
{
	size_t hi = upper(t, addr);
	if (!hi)
		return;
	if (t->maxend[hi - 1] > st->min_label)
		st->min_label = t->maxend[hi - 1];
	const struct syment *best = NULL;
	size_t at = 0;
	for (size_t i = hi; i-- > 0 && t->maxend[i] > addr;) {
		const struct syment *e = &t->e[i];
		if (e->size && addr - e->addr < e->size) {
			best = e;
			at = i;
			break;
		}
	}
	if (best) {
		/* Among symbols at that value, in table order: a better binding
		 * wins, else a smaller size at no worse binding. */
		uint64_t v = best->addr;
		size_t j = at;
		while (j > 0 && t->e[j - 1].addr == v)
			j--;
		best = NULL;
		for (; j < t->n && t->e[j].addr == v; j++) {
			const struct syment *e = &t->e[j];
			if (!e->size || addr - e->addr >= e->size)
				continue;
			if (!best || e->bind > best->bind ||
			    (best->size > e->size && best->bind <= e->bind))
				best = e;
		}
	}
	if (best && (!st->closest || best->addr > st->closest->addr))
		st->closest = best;
	if (st->closest)
		return;
	int64_t i = t->prev_sizeless[hi - 1];
	if (i >= 0) {
		const struct syment *e = &t->e[i];
		if (e->addr >= st->min_label && same_section(m, addr, e->shndx))
			st->sizeless = e;
	}
}

static const struct syment *find_symbol(struct sym_module *m, uint64_t addr)
{
	struct symsearch st = { NULL, NULL, 0 };
	search_symtab(m, &m->glob, addr, &st);
	if (!st.closest && (!st.sizeless || st.sizeless->addr != addr)) {
		const struct syment *gsizeless = st.sizeless;
		search_symtab(m, &m->loc, addr, &st);
		if (!st.sizeless)
			st.sizeless = gsizeless;
	}
	if (!st.closest && st.sizeless && st.sizeless->addr >= st.min_label)
		return st.sizeless;
	return st.closest;
}

/* ---- loading modules ---- */

static void load_elf(struct sym_module *m, const struct sym_source *src)
{
	struct stat st;
	bool have_st = false;
	if (src->image) {
		if (!src->image_len)
			return;
		m->image = xmalloc(src->image_len);
		memcpy(m->image, src->image, src->image_len);
		m->elf = elf_memory(m->image, src->image_len);
	} else {
		int fd = tfile_open(src->path, &st);
		if (fd < 0)
			return;
		have_st = true;
		m->elf = elfx_begin_fd(fd);
	}
	if (!m->elf || elf_kind(m->elf) != ELF_K_ELF) {
		if (m->elf)
			elf_end(m->elf);
		m->elf = NULL;
		return;
	}
	unsigned char *bid = NULL;
	size_t bid_len = 0;
	if (src->build_id && src->build_id_len) {
		bid_len = src->build_id_len;
		bid = xmalloc(bid_len);
		memcpy(bid, src->build_id, bid_len);
	} else {
		bid_len = elfx_build_id(m->elf, &bid);
	}
	if (bid_len && !m->build_id)
		m->build_id = hex_of(bid, bid_len);

	Elf *dwelf = NULL;
	if (elfx_has_dwarf(m->elf)) {
		dwelf = m->elf;
		m->debug_file = xstrdup(src->path ? src->path : m->name);
	} else {
		struct debugfile_query q = {
			.elf = m->elf,
			.open_path = src->path,
			.name = m->name,
			.build_id = bid,
			.build_id_len = bid_len,
			.debug_dir = m->s->debug_dir,
			.use_debuginfod = !m->s->opts.no_debuginfod,
			.pid = src->pid,
			.dev = have_st ? st.st_dev : 0,
			.ino = have_st ? st.st_ino : 0,
		};
		char *dpath = NULL;
		int dfd = debugfile_find(&q, &dpath);
		if (dfd >= 0) {
			Elf *de = elfx_begin_fd(dfd);
			if (de) {
				m->delf = de;
				m->debug_file = dpath;
				dpath = NULL;
				if (elfx_has_dwarf(de))
					dwelf = de;
			}
		}
		free(dpath);
	}
	free(bid);
	if (dwelf) {
		m->dw = dwidx_new(dwelf);
		if (m->dw)
			m->caps |= 2 | 4 | 8;
		else {
			free(m->debug_file);
			m->debug_file = NULL;
		}
	}
	load_symbols(m);
}

/* One line of /proc/kallsyms, "ADDR TYPE NAME[\t[MODULE]]", in [p, end)
 * (no newline): its address, type and name (up to a blank). false for a
 * line of another shape. By hand: sscanf cost as much as the kernel's own
 * formatting of the 122,000 lines. */
static bool kallsyms_line(const char *p, const char *end, uint64_t *addr, char *type, const char **name, size_t *len)
{
	uint64_t a = 0;
	const char *q = p;
	for (; q < end && q - p < 16; q++) {
		unsigned c = (unsigned char)*q, d = c - '0' < 10 ? c - '0' : (c | 0x20) - 'a' < 6 ? (c | 0x20) - 'a' + 10 : 16;
		if (d == 16)
			break;
		a = a << 4 | d;
	}
	if (q == p || end - q < 4 || q[0] != ' ' || q[2] != ' ')
		return false;
	*addr = a;
	*type = q[1];
	*name = q + 3;
	const char *e = *name;
	while (e < end && *e != ' ' && *e != '\t')
		e++;
	*len = (size_t)(e - *name);
	return *len > 0;
}

/* The kernel's text symbols: /proc/kallsyms, or the file of that format a
 * test gives. Read in large pieces, each whole line parsed where it lies. */
static void load_kallsyms(struct sym_module *m, const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t cap = 1 << 16, have = 0;
	char *buf = xmalloc(cap);
	uint32_t idx = 0;
	for (;;) {
		ssize_t r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		bool eof = r <= 0;
		have += eof ? 0 : (size_t)r;
		const char *p = buf, *end = buf + have;
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl && !(eof && p < end))
				break;
			const char *le = nl ? nl : end;
			uint64_t a;
			char type;
			const char *nm;
			size_t len;
			/* All zero when kptr_restrict hides them: nothing to place. */
			if (kallsyms_line(p, le, &a, &type, &nm, &len) && a &&
			    (type == 't' || type == 'T' || type == 'w' || type == 'W'))
				symtab_add(m, &m->glob, a, 0, nm, len, 1, idx++, type == 'T' ? 3 : 2);
			p = nl ? nl + 1 : end;
		}
		if (eof)
			break;
		have = (size_t)(end - p);
		memmove(buf, p, have);
		if (have == cap) { /* a line longer than the buffer: not kallsyms' */
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	free(buf);
	close(fd);
	/* kallsyms has no sizes: each symbol ends where the next begins. The
	 * kernel lists its own text in order (modules after it, each in order):
	 * sorted already but for the modules. */
	if (!symtab_sorted(&m->glob))
		qsort(m->glob.e, m->glob.n, sizeof(*m->glob.e), symcmp);
	uint64_t next = 0;
	for (size_t i = m->glob.n; i-- > 0;) {
		struct syment *e = &m->glob.e[i];
		if (i + 1 < m->glob.n && m->glob.e[i + 1].addr != e->addr)
			next = m->glob.e[i + 1].addr;
		e->size = next > e->addr ? next - e->addr : 4096;
	}
	symtab_finish(&m->glob);
	if (m->glob.n)
		m->caps |= 1;
}

/* Who the target is, from /proc/PID/status: the uid it acts as (effective)
 * and the pid it sees itself as (the last NSpid field: a JIT in a container
 * names its map after that pid, in its own /tmp). 0, or a negative errno. */
static int target_ids(pid_t pid, uid_t *euid, int *nspid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	bool have_uid = false;
	*nspid = (int)pid;
	while (fgets(line, sizeof(line), f)) {
		unsigned long ruid, eu;
		if (sscanf(line, "Uid: %lu %lu", &ruid, &eu) == 2) {
			*euid = (uid_t)eu;
			have_uid = true;
		} else if (!strncmp(line, "NSpid:", 6)) {
			char *save = NULL;
			for (char *t = strtok_r(line + 6, " \t\n", &save); t;
			     t = strtok_r(NULL, " \t\n", &save))
				*nspid = atoi(t);
		}
	}
	fclose(f);
	if (*nspid <= 0)
		*nspid = (int)pid;
	return have_uid ? 0 : -ENOENT;
}

static struct sym_proc *find_proc(struct symbolizer *s, pid_t pid)
{
	for (struct sym_proc *p = s->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

int symbolizer_watch_process(struct symbolizer *s, pid_t pid)
{
	if (!s || pid <= 0) {
		errno = EINVAL;
		return -EINVAL;
	}
	if (find_proc(s, pid))
		return 0;
	uid_t euid;
	int nspid;
	int r = target_ids(pid, &euid, &nspid);
	if (r < 0) {
		errno = -r;
		return r;
	}
	int rootfd = tfile_root(pid);
	if (rootfd < 0) {
		errno = -rootfd;
		return rootfd;
	}
	/* The jitdump is found through a mapping, which is gone with the
	 * process: open it now, read it when symbolizing. */
	int jitfd = jitdump_open(pid, rootfd, euid, nspid);
	/* Most processes share prowl's root: no descriptor kept for them. */
	struct stat a, b;
	if (fstat(rootfd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		close(rootfd);
		rootfd = -1;
	}
	struct sym_proc *p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->euid = euid;
	p->nspid = nspid;
	p->rootfd = rootfd;
	p->jitfd = jitfd >= 0 ? jitfd : -1;
	p->next = s->procs;
	s->procs = p;
	return 0;
}

/* Bounds on a perf map: a JIT writes one short line per compiled method. */
#define JIT_MAX_BYTES ((size_t)1 << 30)
#define JIT_MAX_LINE 65536

/* /tmp/perf-PID.map lines: "START SIZE name" in hex. Anyone can write to
 * /tmp and a process can choose its pid inside its own pid namespace, so the
 * map is looked up inside the target's root under the pid the target sees,
 * and read only when it belongs to the uid the target runs as: a map owned by
 * anyone else (root included) says nothing about this process. */
static void load_jit(struct sym_module *m, const struct sym_source *src)
{
	uid_t owner = 0;
	int nspid = 0, rootfd = -1;
	const struct sym_proc *known = find_proc(m->s, src->pid);
	if (known) {
		owner = known->euid;
		nspid = known->nspid;
		rootfd = known->rootfd >= 0 ? fcntl(known->rootfd, F_DUPFD_CLOEXEC, 0)
					    : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else if (target_ids(src->pid, &owner, &nspid) == 0) {
		rootfd = tfile_root(src->pid);
	}
	if (rootfd < 0)
		return;
	/* A jitdump names what it covers better than the perf map (lines too):
	 * it is asked first; the map still names what the dump lacks. */
	if (!src->path) {
		int jfd = known ? (known->jitfd >= 0 ? fcntl(known->jitfd, F_DUPFD_CLOEXEC, 0) : -1)
				: jitdump_open(src->pid, rootfd, owner, nspid);
		if (jfd >= 0) {
			if (jitdump_read_fd(jfd, &m->jd) == 0 && jitdump_count(m->jd))
				m->caps |= 1;
			for (size_t i = 0; i < jitdump_count(m->jd); i++)
				if (jitdump_code_at(m->jd, i)->nlines) {
					m->caps |= 2 | 4;
					break;
				}
			close(jfd);
		}
	}
	struct stat st;
	int fd;
	if (src->path) {
		fd = tfile_open(src->path, &st);
	} else {
		char path[64];
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", nspid);
		fd = tfile_open_in(rootfd, path, &st);
	}
	close(rootfd);
	if (fd < 0)
		return;
	if (st.st_uid != owner) {
		close(fd);
		return;
	}
	FILE *f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return;
	}
	char *line = NULL;
	size_t lcap = 0, total = 0;
	uint32_t idx = 0;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) > 0 && (total += (size_t)len) <= JIT_MAX_BYTES) {
		unsigned long long a, sz;
		int off = 0;
		if (len > JIT_MAX_LINE || sscanf(line, "%llx %llx %n", &a, &sz, &off) < 2 || !off)
			continue;
		char *nm = line + off;
		size_t n = strcspn(nm, "\n");
		if (!n || !sz)
			continue;
		/* Later entries win: a JIT reuses addresses after freeing code. */
		symtab_add(m, &m->glob, a, sz, nm, n, 1, idx++, 3);
	}
	free(line);
	fclose(f);
	for (size_t i = 0; i < m->glob.n; i++)
		m->glob.e[i].idx = (uint32_t)(m->glob.n - i);
	symtab_finish(&m->glob);
	if (m->glob.n)
		m->caps |= 1;
}

struct sym_module *symbolizer_module(struct symbolizer *s, const struct sym_source *src)
{
	if (!s || !src || (unsigned)src->kind > SYM_JIT ||
	    (src->kind == SYM_ELF && !src->path && !src->image)) {
		errno = EINVAL;
		return NULL;
	}
	char *key = source_key(src);
	for (struct sym_module *m = s->modules; m; m = m->next) {
		if (strcmp(m->key, key))
			continue;
		free(key);
		/* Same build-id, but the first source could not be read (the
		 * process had gone): this one may be readable. */
		if (m->kind == SYM_ELF && !m->elf && !m->ncache) {
			free(m->image);
			m->image = NULL;
			load_elf(m, src);
		}
		return m;
	}
	struct sym_module *m = xcalloc(1, sizeof(*m));
	m->s = s;
	m->key = key;
	m->kind = src->kind;
	m->path = src->path ? xstrdup(src->path) : NULL;
	m->name = xstrdup(src->name ? src->name : src->path ? src->path : "[vdso]");
	if (src->build_id && src->build_id_len)
		m->build_id = hex_of(src->build_id, src->build_id_len);
	if (src->kind == SYM_KERNEL)
		load_kallsyms(m, src->path && src->path[0] == '/' ? src->path : "/proc/kallsyms");
	else if (src->kind == SYM_JIT)
		load_jit(m, src);
	else
		load_elf(m, src);
	m->next = s->modules;
	s->modules = m;
	return m;
}

/* ---- lookups ---- */

static const char *demangled(struct sym_module *m, const char *raw)
{
	if (!raw || m->s->opts.no_demangle || raw[0] != '_' || (raw[1] != 'Z' && raw[1] != 'R'))
		return raw;
	const char *out = ptrmap_get(&m->dem, raw);
	if (out)
		return out;
	char *d = sym_demangle(raw);
	out = d ? arena_strndup(&m->arena, d, strlen(d)) : raw;
	free(d);
	ptrmap_put(&m->dem, raw, (void *)out);
	return out;
}

static void fill_symbol(struct sym_module *m, struct cache_entry *ce)
{
	ce->sym_done = true;
	const struct syment *sym = m->glob.n || m->loc.n ? find_symbol(m, ce->addr) : NULL;
	if (sym) {
		ce->symbol = sym->raw;
		ce->symbol_demangled = demangled(m, sym->raw);
		ce->symbol_offset = ce->addr - sym->addr;
	}
}

/* The ELF symbol is only looked up when DWARF leaves something unnamed (or
 * when asked for): most addresses never need it. */
static struct cache_entry *resolve(struct sym_module *m, uint64_t addr)
{
	struct sym_frame tmp[MAX_FRAMES];
	struct cache_entry probe;
	memset(&probe, 0, sizeof(probe));
	probe.addr = addr;
	struct sym_lookup_info *info = &probe.info;
	info->line_addr = addr;
	int n = 0;
	if (m->dw) {
		struct dw_frame df[MAX_FRAMES];
		struct dw_result r;
		dwidx_lookup(m->dw, addr, df, MAX_FRAMES, &r);
		for (int i = 0; i < r.nframes; i++) {
			struct sym_frame *f = &tmp[n++];
			const char *raw = df[i].raw;
			if (!raw || !strcmp(raw, "??")) {
				if (!probe.sym_done)
					fill_symbol(m, &probe);
				raw = i == r.nframes - 1 ? probe.symbol : NULL;
			}
			f->raw = raw;
			f->function = demangled(m, raw);
			f->file = df[i].file;
			f->line = df[i].line;
			f->column = df[i].column;
			f->inlined = df[i].inlined;
		}
		info->from_dwarf = n > 0;
		info->line_addr = r.have_line ? r.line_addr : addr;
		if (r.inline_owner) {
			info->inline_owner = r.inline_owner;
			info->inline_owner_demangled = demangled(m, r.inline_owner);
		}
		if (!n) {
			fill_symbol(m, &probe);
			if (r.have_line || probe.symbol) {
				struct sym_frame *f = &tmp[n++];
				memset(f, 0, sizeof(*f));
				f->raw = probe.symbol;
				f->function = probe.symbol_demangled;
				f->file = r.file;
				f->line = r.line;
				f->column = r.column;
			}
		}
	} else if (m->jd && jitdump_lookup(m->jd, addr)) {
		const struct jitdump_code *c = jitdump_lookup(m->jd, addr);
		const struct jitdump_line *l = jitdump_line(c, addr);
		struct sym_frame *f = &tmp[n++];
		memset(f, 0, sizeof(*f));
		f->raw = f->function = c->name;
		if (l && l->file) {
			f->file = l->file;
			f->line = l->line;
		}
	} else {
		fill_symbol(m, &probe);
		if (probe.symbol) {
			struct sym_frame *f = &tmp[n++];
			memset(f, 0, sizeof(*f));
			f->raw = probe.symbol;
			f->function = probe.symbol_demangled;
		}
	}
	struct cache_entry *ce = arena_alloc(&m->arena, sizeof(*ce) + (size_t)n * sizeof(struct sym_frame));
	*ce = probe;
	ce->n = n;
	if (n)
		memcpy(ce->frames, tmp, (size_t)n * sizeof(*tmp));
	return ce;
}

static bool cache_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct sym_module *m = ctx;
	return m->cache[i]->addr == *(const uint64_t *)key;
}

static struct cache_entry *cached(struct sym_module *m, uint64_t addr)
{
	uint64_t h = hash_mix(0, addr);
	uint32_t i = itab_find(&m->cache_idx, h, cache_eq, m, &addr);
	if (i != ITAB_NONE)
		return m->cache[i];
	struct cache_entry *ce = resolve(m, addr);
	xgrow((void **)&m->cache, &m->cap_cache, m->ncache + 1, sizeof(*m->cache));
	m->cache[m->ncache] = ce;
	itab_insert(&m->cache_idx, h, (uint32_t)m->ncache++);
	return ce;
}

int sym_lookup_ex(struct sym_module *m, uint64_t addr, struct sym_frame *out, size_t max,
		  struct sym_lookup_info *info)
{
	if (info)
		memset(info, 0, sizeof(*info));
	if (!m)
		return 0;
	struct cache_entry *ce = cached(m, addr);
	if (info)
		*info = ce->info;
	if (!out)
		return 0;
	size_t n = (size_t)ce->n < max ? (size_t)ce->n : max;
	memcpy(out, ce->frames, n * sizeof(*out));
	return (int)n;
}

int sym_lookup(struct sym_module *m, uint64_t addr, struct sym_frame *out, size_t max)
{
	if (!out || !max)
		return 0;
	return sym_lookup_ex(m, addr, out, max, NULL);
}

const char *sym_lookup_symbol(struct sym_module *m, uint64_t addr, const char **demangled_name,
			      uint64_t *offset)
{
	if (!m)
		return NULL;
	struct cache_entry *ce = cached(m, addr);
	if (!ce->sym_done)
		fill_symbol(m, ce);
	if (demangled_name)
		*demangled_name = ce->symbol_demangled;
	if (offset)
		*offset = ce->symbol_offset;
	return ce->symbol;
}

/* The section's bytes, as the ELF holds them (alive as long as m->elf). */
static bool section_bytes(Elf *elf, const char *name, struct fde_section *out)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfx_section(elf, name, &sh);
	Elf_Data *d = scn && sh.sh_type == SHT_PROGBITS ? elf_getdata(scn, NULL) : NULL;
	if (!d || !d->d_buf || !d->d_size)
		return false;
	*out = (struct fde_section){ d->d_buf, d->d_size, sh.sh_addr };
	return true;
}

int sym_lookup_fde(struct sym_module *m, uint64_t addr, uint64_t *start)
{
	if (m && m->kind == SYM_ELF && m->elf && !m->fde_state) {
		/* The stripped file's own tables: a debug file's .eh_frame is NOBITS. */
		struct fde_section eh, hdr = { 0 };
		m->fde_state = -1;
		if (section_bytes(m->elf, ".eh_frame", &eh)) {
			section_bytes(m->elf, ".eh_frame_hdr", &hdr);
			if (fde_table_init(&m->fde, &eh, &hdr) == 0)
				m->fde_state = 1;
		}
	}
	struct fde_range r;
	if (!m || m->fde_state != 1 || fde_find(&m->fde, addr, &r) < 0) {
		errno = ENOENT;
		return -ENOENT;
	}
	*start = r.start;
	return 0;
}

/* The GOT slot a PLT stub jumps through: "jmp *disp32(%rip)" (ff 25),
 * after an endbr64 and a bnd prefix where the stub has them. */
static bool plt_slot(const unsigned char *entry, size_t len, uint64_t entry_addr, uint64_t *slot)
{
	for (size_t i = 0; i + 6 <= len && i <= 8; i++)
		if (entry[i] == 0xff && entry[i + 1] == 0x25) {
			int32_t disp;
			memcpy(&disp, entry + i + 2, 4);
			*slot = entry_addr + i + 6 + (uint64_t)(int64_t)disp;
			return true;
		}
	return false;
}

/* The dynamic symbol a relocation of slot names (.rela.plt, .rela.dyn); for
 * an IRELATIVE one (a libc ifunc: memcpy), the symbol of its resolver. */
static const char *slot_symbol(struct sym_module *m, Elf *elf, uint64_t slot)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		Elf_Scn *symscn = elf_getscn(elf, sh.sh_link);
		GElf_Shdr ssh;
		Elf_Data *sd = symscn ? elf_getdata(symscn, NULL) : NULL;
		if (!d || !sd || !gelf_getshdr(symscn, &ssh) || ssh.sh_type != SHT_DYNSYM)
			continue;
		size_t n = d->d_size / sh.sh_entsize;
		for (size_t i = 0; i < n && i < (size_t)1 << 24; i++) {
			GElf_Rela r;
			if (!gelf_getrela(d, (int)i, &r) || r.r_offset != slot)
				continue;
			GElf_Sym sym;
			size_t si = GELF_R_SYM(r.r_info);
			if (!si && GELF_R_TYPE(r.r_info) == R_X86_64_IRELATIVE && (m->glob.n || m->loc.n)) {
				const struct syment *e = find_symbol(m, (uint64_t)r.r_addend);
				return e && e->addr == (uint64_t)r.r_addend ? e->raw : NULL;
			}
			if (!si || !gelf_getsym(sd, (int)si, &sym))
				return NULL;
			const char *nm = elf_strptr(elf, ssh.sh_link, sym.st_name);
			return nm && *nm ? nm : NULL;
		}
	}
	return NULL;
}

const char *sym_lookup_plt(struct sym_module *m, uint64_t addr)
{
	static const char *const names[] = { ".plt.sec", ".plt", ".plt.got" };
	if (!m || m->kind != SYM_ELF || !m->elf)
		return NULL;
	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elfx_section(m->elf, names[k], &sh);
		if (!scn || sh.sh_type != SHT_PROGBITS || addr < sh.sh_addr || addr - sh.sh_addr >= sh.sh_size)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		uint64_t es = sh.sh_entsize >= 8 && sh.sh_entsize <= 64 ? sh.sh_entsize : 16;
		uint64_t off = (addr - sh.sh_addr) / es * es, slot;
		if (!d || !d->d_buf || off + es > d->d_size ||
		    !plt_slot((const unsigned char *)d->d_buf + off, (size_t)es, sh.sh_addr + off, &slot))
			return NULL; /* PLT0, or not a stub */
		const char *sym = slot_symbol(m, m->elf, slot);
		if (!sym)
			return NULL;
		size_t n = strlen(sym);
		char *out = arena_alloc(&m->arena, n + 5);
		memcpy(out, sym, n);
		memcpy(out + n, "@plt", 5);
		return out;
	}
	return NULL;
}

const char *sym_module_build_id(struct sym_module *m)
{
	return m ? m->build_id : NULL;
}

unsigned sym_module_caps(struct sym_module *m)
{
	return m ? m->caps : 0;
}

const char *sym_module_debug_file(struct sym_module *m)
{
	return m ? m->debug_file : NULL;
}
