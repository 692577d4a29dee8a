#include "profiler/capture/maps.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "profiler/base/itab.h"
#include "profiler/base/util.h"

struct module_set {
	struct module **v;
	size_t n, cap;
	struct itab index; /* (path, dev, ino) -> index into v */
	struct module *kernel;
};

static uint64_t module_key_hash(const char *path, uint64_t dev, uint64_t ino)
{
	return hash_mix(hash_mix(hash_bytes(path, strlen(path), 17), dev), ino);
}

struct module_set *module_set_new(void)
{
	return xcalloc(1, sizeof(struct module_set));
}

static void module_free(struct module *m)
{
	if (m->unwind_data && m->unwind_free)
		m->unwind_free(m->unwind_data);
	if (m->image) {
		if (m->kind == MODULE_FILE)
			munmap((void *)m->image, m->image_len);
		else
			free((void *)m->image);
	}
	free(m->segs);
	free(m->path);
	free(m->open_path);
	free(m);
}

void module_set_free(struct module_set *ms)
{
	if (!ms)
		return;
	for (size_t i = 0; i < ms->n; i++)
		module_free(ms->v[i]);
	if (ms->kernel)
		module_free(ms->kernel);
	free(ms->v);
	itab_release(&ms->index);
	free(ms);
}

struct module_key {
	const char *path;
	uint64_t dev, ino;
};

static bool module_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct module_set *ms = ctx;
	const struct module_key *k = key;
	const struct module *m = ms->v[i];
	return m->dev == k->dev && m->ino == k->ino && !strcmp(m->path, k->path);
}

struct module *module_set_get(struct module_set *ms, const char *path, uint64_t dev, uint64_t ino,
			      enum module_kind kind, const char *open_path)
{
	if (!path)
		path = "";
	uint64_t h = module_key_hash(path, dev, ino);
	struct module_key key = { path, dev, ino };
	uint32_t i = itab_find(&ms->index, h, module_eq, ms, &key);
	if (i != ITAB_NONE)
		return ms->v[i];
	struct module *m = xcalloc(1, sizeof(*m));
	m->path = xstrdup(path);
	m->open_path = open_path ? xstrdup(open_path) : NULL;
	m->kind = kind;
	m->dev = dev;
	m->ino = ino;
	m->id = (uint32_t)ms->n;
	xgrow((void **)&ms->v, &ms->cap, ms->n + 1, sizeof(*ms->v));
	ms->v[ms->n++] = m;
	itab_insert(&ms->index, h, m->id);
	return m;
}

struct module *module_set_kernel(struct module_set *ms)
{
	if (!ms->kernel) {
		ms->kernel = xcalloc(1, sizeof(*ms->kernel));
		ms->kernel->path = xstrdup("[kernel.kallsyms]");
		ms->kernel->kind = MODULE_KERNEL;
		ms->kernel->loaded = true;
		ms->kernel->id = UINT32_MAX;
	}
	return ms->kernel;
}

size_t module_set_count(const struct module_set *ms)
{
	return ms->n;
}

struct module *module_set_at(const struct module_set *ms, size_t i)
{
	return i < ms->n ? ms->v[i] : NULL;
}

/* Program headers and the GNU build-id note, every offset bounds-checked:
 * the file is the target's and may be anything. */
int module_parse_elf(struct module *m, const unsigned char *img, size_t len)
{
	free(m->segs);
	m->segs = NULL;
	m->nsegs = 0;
	m->elf_ok = false;
	if (len < sizeof(Elf64_Ehdr) || memcmp(img, ELFMAG, SELFMAG) || img[EI_CLASS] != ELFCLASS64)
		return -ENOEXEC;
	Elf64_Ehdr eh;
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return -ENOEXEC;
	m->elf_type = eh.e_type;
	m->segs = xcalloc(eh.e_phnum ? eh.e_phnum : 1, sizeof(*m->segs));
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD) {
			struct module_segment *s = &m->segs[m->nsegs++];
			s->offset = ph.p_offset;
			s->filesz = ph.p_filesz;
			s->vaddr = ph.p_vaddr;
			s->memsz = ph.p_memsz;
			s->flags = ph.p_flags;
		} else if (ph.p_type == PT_NOTE && !m->build_id_len && ph.p_offset < len &&
			   ph.p_filesz <= len - ph.p_offset) {
			const unsigned char *p = img + ph.p_offset, *end = p + ph.p_filesz;
			while (end - p >= 12) {
				uint32_t nsz, dsz, type;
				memcpy(&nsz, p, 4);
				memcpy(&dsz, p + 4, 4);
				memcpy(&type, p + 8, 4);
				size_t na = ((size_t)nsz + 3) & ~(size_t)3, da = ((size_t)dsz + 3) & ~(size_t)3;
				if (na > (size_t)(end - p - 12) || da > (size_t)(end - p - 12) - na)
					break;
				if (type == NT_GNU_BUILD_ID && nsz == 4 && !memcmp(p + 12, "GNU", 4) && dsz > 0 &&
				    dsz <= sizeof(m->build_id)) {
					memcpy(m->build_id, p + 12 + na, dsz);
					m->build_id_len = dsz;
					break;
				}
				p += 12 + na + da;
			}
		}
	}
	m->elf_ok = true;
	return 0;
}

bool module_offset_to_vaddr(const struct module *m, uint64_t off, uint64_t *vaddr)
{
	/* The segment holding the offset; for code the mapping's pages come from
	 * exactly one PT_LOAD. Past filesz (bss) still belongs to it up to memsz. */
	for (size_t i = 0; i < m->nsegs; i++) {
		const struct module_segment *s = &m->segs[i];
		uint64_t span = s->memsz > s->filesz ? s->memsz : s->filesz;
		if (off >= s->offset && off - s->offset < span) {
			*vaddr = off - s->offset + s->vaddr;
			return true;
		}
	}
	return false;
}

static int load_vdso(struct module *m)
{
	/* Every process of this kernel maps the same vDSO image: ours will do. */
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	if (!base)
		return -ENOENT;
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	char line[512];
	size_t len = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s == base) {
			len = e - s;
			break;
		}
	}
	fclose(f);
	if (!len)
		return -ENOENT;
	unsigned char *copy = xmalloc(len);
	memcpy(copy, (const void *)base, len);
	m->image = copy;
	m->image_len = len;
	return module_parse_elf(m, copy, len);
}

static int map_file(struct module *m, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return -ENOEXEC;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	m->image = p;
	m->image_len = (size_t)st.st_size;
	return 0;
}

static int module_load_do(struct module *m)
{
	if (m->loaded)
		return m->elf_ok ? 0 : -ENOEXEC;
	m->loaded = true;
	if (m->kind == MODULE_VDSO)
		return load_vdso(m);
	if (m->kind != MODULE_FILE)
		return -ENOENT;
	int r = -ENOENT;
	if (m->open_path)
		r = map_file(m, m->open_path);
	if (r < 0 && m->path[0] == '/')
		r = map_file(m, m->path);
	if (r < 0)
		return r;
	return module_parse_elf(m, m->image, m->image_len);
}

struct maps *maps_new(struct module_set *ms, pid_t pid)
{
	struct maps *m = xcalloc(1, sizeof(*m));
	m->ms = ms;
	m->pid = pid;
	return m;
}

void maps_free(struct maps *m)
{
	if (!m)
		return;
	free(m->v);
	free(m);
}

void maps_clear(struct maps *m)
{
	m->n = 0;
	m->jitdump_marker = false;
	m->generation++;
}

/* Where to read a mapped file from: the path itself when it is the same file,
 * else through the process's root (another mount namespace), else the
 * map_files link (deleted or replaced files). */
static char *choose_open_path(pid_t pid, const char *path, uint64_t ino, uint64_t start, uint64_t end)
{
	struct stat st;
	if (!stat(path, &st) && (uint64_t)st.st_ino == ino)
		return NULL;
	if (pid > 0) {
		char *p = xasprintf("/proc/%d/root%s", (int)pid, path);
		if (!stat(p, &st) && (uint64_t)st.st_ino == ino)
			return p;
		free(p);
		p = xasprintf("/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, start, end);
		if (!stat(p, &st))
			return p;
		free(p);
	}
	return NULL;
}

static struct module *module_for(struct maps *m, const char *path, uint64_t dev, uint64_t ino,
				 uint64_t start, uint64_t end)
{
	if (!path || !*path || !strcmp(path, "//anon") || !strncmp(path, "/dev/zero", 9) ||
	    !strncmp(path, "/memfd:", 7) || !strncmp(path, "/SYSV", 5))
		return NULL;
	if (!strcmp(path, "[vdso]"))
		return module_set_get(m->ms, "[vdso]", 0, 0, MODULE_VDSO, NULL);
	if (path[0] != '/')
		return NULL; /* [heap], [stack], [vvar], [anon:...] */
	const char *base = strrchr(path, '/') + 1;
	size_t bl = strlen(base);
	if (!strncmp(base, "jit-", 4) && bl > 9 && !strcmp(base + bl - 5, ".dump"))
		m->jitdump_marker = true;
	char clean[4096];
	size_t n = strlen(path);
	if (n >= sizeof(clean))
		return NULL;
	memcpy(clean, path, n + 1);
	if (n > 10 && !strcmp(clean + n - 10, " (deleted)"))
		clean[n - 10] = 0;
	struct module *mod = module_set_get(m->ms, clean, dev, ino, MODULE_FILE, NULL);
	if (!mod->open_path && !mod->loaded) {
		char *op = choose_open_path(m->pid, clean, ino, start, end);
		mod->open_path = op;
	}
	return mod;
}

static size_t maps_lower_bound(const struct maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].start < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void maps_add(struct maps *m, uint64_t start, uint64_t len, uint64_t pgoff, uint32_t prot,
	      const char *path, uint64_t dev, uint64_t ino)
{
	if (!len || start + len < start)
		return;
	uint64_t end = start + len;
	/* Cut what overlaps [start, end): entries may be trimmed or split in two. */
	struct map_entry *out = xmalloc((m->n + 2) * sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct map_entry e = m->v[i];
		if (e.end <= start || e.start >= end) {
			out[k++] = e;
			continue;
		}
		if (e.start < start) {
			struct map_entry l = e;
			l.end = start;
			out[k++] = l;
		}
		if (e.end > end) {
			struct map_entry r = e;
			r.pgoff += end - e.start;
			r.start = end;
			out[k++] = r;
		}
	}
	struct map_entry ne = { start, end, pgoff, prot, module_for(m, path, dev, ino, start, end) };
	free(m->v);
	m->v = out;
	m->cap = m->n + 2; /* what out holds: k may be n + 1, and the new entry comes next */
	m->n = k;
	size_t pos = maps_lower_bound(m, start);
	memmove(&m->v[pos + 1], &m->v[pos], (m->n - pos) * sizeof(*m->v));
	m->v[pos] = ne;
	m->n++;
	m->generation++;
}

static int maps_parse_do(struct maps *m, const char *text)
{
	maps_clear(m);
	const char *p = text;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		char line[4200];
		if (ll < sizeof(line)) {
			memcpy(line, p, ll);
			line[ll] = 0;
			uint64_t s, e, off, ino;
			unsigned maj, min;
			char perms[8] = ""; /* "r" alone leaves perms[2] unset */
			int pos = 0;
			if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 "%n", &s, &e, perms,
				   &off, &maj, &min, &ino, &pos) == 7 && e > s) {
				const char *path = line + pos;
				while (*path == ' ' || *path == '\t')
					path++;
				uint32_t prot = (perms[0] == 'r' ? MAPS_PROT_READ : 0) |
						(perms[1] == 'w' ? MAPS_PROT_WRITE : 0) |
						(perms[2] == 'x' ? MAPS_PROT_EXEC : 0);
				/* Appended in order; /proc lists them sorted and disjoint. */
				if (!m->n || m->v[m->n - 1].end <= s) {
					xgrow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v));
					m->v[m->n++] = (struct map_entry){ s, e, off, prot,
									   module_for(m, path, makedev(maj, min), ino, s, e) };
				} else {
					maps_add(m, s, e - s, off, prot, path, makedev(maj, min), ino);
				}
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	m->generation++;
	return 0;
}

static int maps_load_do(struct maps *m)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)m->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	struct strbuf sb;
	strbuf_init(&sb);
	char buf[65536];
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)r);
	int err = r < 0 ? -errno : 0;
	close(fd);
	if (!err)
		err = maps_parse(m, sb.buf);
	strbuf_release(&sb);
	return err;
}

const struct map_entry *maps_find(const struct maps *m, uint64_t addr)
{
	size_t i = maps_lower_bound(m, addr + 1);
	if (i == 0)
		return NULL;
	const struct map_entry *e = &m->v[i - 1];
	return addr >= e->start && addr < e->end ? e : NULL;
}

int maps_resolve(const struct maps *m, uint64_t addr, struct module **mod, uint64_t *vaddr)
{
	const struct map_entry *e = maps_find(m, addr);
	if (!e || !e->module) {
		*mod = NULL;
		*vaddr = addr;
		return -ENOENT;
	}
	*mod = e->module;
	uint64_t off = addr - e->start + e->pgoff;
	module_load(e->module);
	if (!e->module->elf_ok || !module_offset_to_vaddr(e->module, off, vaddr))
		*vaddr = off;
	return 0;
}

static int entry_read_file(const struct map_entry *e, uint64_t addr, void *buf, size_t len)
{
	if (!e || !e->module || (e->prot & MAPS_PROT_WRITE) || len > e->end - addr)
		return -EFAULT;
	module_load(e->module);
	if (!e->module->image)
		return -EFAULT;
	uint64_t off = addr - e->start + e->pgoff;
	if (off > e->module->image_len || len > e->module->image_len - off)
		return -EFAULT;
	if (len == 8) /* the unwinder's word: a move, not a call */
		memcpy(buf, e->module->image + off, 8);
	else
		memcpy(buf, e->module->image + off, len);
	return 0;
}

void maps_copy(struct maps *dst, const struct maps *src)
{
	if (dst == src)
		return;
	xgrow((void **)&dst->v, &dst->cap, src->n ? src->n : 1, sizeof(*dst->v));
	if (src->n)
		memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	dst->n = src->n;
	dst->jitdump_marker = src->jitdump_marker;
	dst->generation++;
}

/* The public entry points: the negative errno returned is also in errno. */
static int maps_errno(int r)
{
	if (r < 0)
		errno = -r;
	return r;
}

int module_load(struct module *m)
{
	return maps_errno(module_load_do(m));
}

int maps_load(struct maps *m)
{
	return maps_errno(maps_load_do(m));
}

int maps_parse(struct maps *m, const char *text)
{
	return maps_errno(maps_parse_do(m, text));
}

int maps_read_file(const struct maps *m, uint64_t addr, void *buf, size_t len)
{
	return maps_errno(entry_read_file(maps_find(m, addr), addr, buf, len));
}

int maps_read_file_hint(const struct maps *m, const struct map_entry **hint, uint64_t addr, void *buf, size_t len)
{
	const struct map_entry *e = *hint;
	if (!e || addr < e->start || addr >= e->end) {
		e = maps_find(m, addr);
		if (e)
			*hint = e;
	}
	return maps_errno(entry_read_file(e, addr, buf, len));
}
