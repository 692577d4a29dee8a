/*
 * Detection reads the ELF files the process maps (symbols _PyRuntime,
 * Py_Version, and for 3.6 the static interp_head) and the walker follows
 * runtime -> interpreters -> thread states -> frames -> code objects with the
 * offsets of pyoffsets.c. Why the walk looks the way it does per version:
 *   <= 3.10  tstate->frame is a PyFrameObject chain (f_back); one C call of
 *            _PyEval_EvalFrameDefault per frame, so every frame is an entry;
 *            f_lasti is a byte offset (3.10: in code units).
 *   3.11     tstate->cframe->current_frame, _PyInterpreterFrame chain
 *            (previous); is_entry marks frames entered from C.
 *   3.12     same pointer path; the evaluator pushes a shim frame owned by
 *            FRAME_OWNED_BY_CSTACK below each entry frame.
 *   3.13     tstate->current_frame; f_executable; instr_ptr.
 * 3.11+ frames that have not reached their first traceable instruction are
 * skipped, as CPython's own frame walks do (_PyFrame_IsIncomplete).
 */
#include "profiler/capture/python.h"

#include <errno.h>
#include <fcntl.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "profiler/capture/pyline.h"

static int fail(struct strbuf *err, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct strbuf *err, int e, const char *fmt, ...)
{
	if (err && fmt) {
		va_list ap;
		va_start(ap, fmt);
		strbuf_vaddf(err, fmt, ap);
		va_end(ap);
	}
	errno = e;
	return -e;
}

int python_read_pid(void *ctx, uint64_t addr, void *buf, size_t len)
{
	pid_t pid = *(const pid_t *)ctx;
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	int e = n < 0 ? errno : EFAULT;
	errno = e;
	return -e;
}

/* ---- ELF ---- */

struct elf_syms {
	uint64_t runtime, py_version, interp_head, tstate_current, code_type;
	uint64_t eval[PY_EVAL_RANGES][2]; /* [start, end) of the evaluation function and its .cold part */
	uint64_t gil36[2];                /* 3.6: [start, end) of the GIL's static variables */
	uint64_t min_vaddr;
	bool has_runtime_section, is_dyn;
};

/* A stripped file names no .cold part (a local symbol, gone with .symtab),
 * yet the native stacks pass through it, and an evaluation frame the merge
 * does not see shifts every activation below it. GCC's .cold part is its own
 * FDE, reached from the hot function by jumps: the FDE that most near jumps
 * (jcc or jmp rel32, found by scanning the function's bytes) land inside of,
 * not at its start (a tail call lands on a function's start), outside the
 * function itself, is taken for it when at least COLD_MIN_HITS land there
 * and three times as many as in any other FDE.
 * Debian's python3.11: 13.9 KB at 0x430f05, 1 MB below the function. */
#define COLD_MIN_HITS 4
#define COLD_MAX_CANDIDATES 4096

struct cold_hit {
	uint64_t start, end;
	unsigned hits;
};

static void find_cold(Elf *e, uint64_t fstart, uint64_t fend, uint64_t cold[2])
{
	Dwarf_CFI *cfi = dwarf_getcfi_elf(e);
	if (!cfi || fend <= fstart || fend - fstart > (16u << 20))
		return;
	/* The function's bytes, from the section holding it. */
	const uint8_t *code = NULL;
	for (Elf_Scn *scn = NULL; !code && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) ||
		    fstart < sh.sh_addr || fend > sh.sh_addr + sh.sh_size)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (d && d->d_buf && d->d_size >= fend - sh.sh_addr)
			code = (const uint8_t *)d->d_buf + (fstart - sh.sh_addr);
	}
	if (!code) {
		dwarf_cfi_end(cfi);
		return;
	}
	struct cold_hit hits[256];
	size_t nh = 0, tried = 0;
	uint64_t len = fend - fstart;
	for (uint64_t i = 0; i + 5 <= len && tried < COLD_MAX_CANDIDATES; i++) {
		size_t ilen;
		if (code[i] == 0x0f && i + 6 <= len && (code[i + 1] & 0xf0) == 0x80)
			ilen = 6;
		else if (code[i] == 0xe9)
			ilen = 5;
		else
			continue;
		int32_t rel;
		memcpy(&rel, code + i + ilen - 4, 4);
		uint64_t target = fstart + i + ilen + (uint64_t)(int64_t)rel;
		if (target >= fstart && target < fend)
			continue;
		tried++;
		Dwarf_Frame *fr = NULL;
		Dwarf_Addr s0, e0;
		bool sig;
		if (dwarf_cfi_addrframe(cfi, target, &fr) != 0 || !fr)
			continue;
		int ok = dwarf_frame_info(fr, &s0, &e0, &sig) >= 0;
		free(fr);
		if (!ok || target == s0 || (s0 < fend && e0 > fstart))
			continue;
		size_t k = 0;
		while (k < nh && hits[k].start != s0)
			k++;
		if (k == nh) {
			if (nh == sizeof(hits) / sizeof(hits[0]))
				continue;
			hits[nh++] = (struct cold_hit){ s0, e0, 0 };
		}
		hits[k].hits++;
	}
	/* Clearly ahead of any other (random bytes that look like a jump land
	 * anywhere; the .cold part takes every branch to an unlikely path). */
	const struct cold_hit *best = NULL;
	unsigned second = 0;
	for (size_t k = 0; k < nh; k++)
		if (!best || hits[k].hits > best->hits) {
			second = best ? best->hits : 0;
			best = &hits[k];
		} else if (hits[k].hits > second) {
			second = hits[k].hits;
		}
	if (best && best->hits >= COLD_MIN_HITS && best->hits >= 3 * second) {
		cold[0] = best->start;
		cold[1] = best->end;
	}
	dwarf_cfi_end(cfi);
}

static int elf_scan(const char *path, struct elf_syms *s)
{
	memset(s, 0, sizeof(*s));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	GElf_Ehdr eh;
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		if (e)
			elf_end(e);
		close(fd);
		return -ENOEXEC;
	}
	s->is_dyn = eh.e_type == ET_DYN;
	size_t phnum = 0;
	s->min_vaddr = UINT64_MAX;
	if (elf_getphdrnum(e, &phnum) == 0)
		for (size_t i = 0; i < phnum; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < s->min_vaddr)
				s->min_vaddr = ph.p_vaddr;
		}
	if (s->min_vaddr == UINT64_MAX)
		s->min_vaddr = 0;
	size_t shstrndx = 0;
	elf_getshdrstrndx(e, &shstrndx);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *sname = elf_strptr(e, shstrndx, sh.sh_name);
		if (sname && strcmp(sname, ".PyRuntime") == 0 && sh.sh_addr) {
			s->has_runtime_section = true;
			if (!s->runtime)
				s->runtime = sh.sh_addr;
		}
		if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !sh.sh_entsize)
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || !sym.st_value)
				continue;
			int type = GELF_ST_TYPE(sym.st_info);
			if (type != STT_OBJECT && type != STT_FUNC)
				continue;
			const char *nm = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!nm || nm[0] == 0)
				continue;
			if (type == STT_FUNC) {
				/* .symtab and .dynsym both list the function: one range each. */
				int k = python_is_eval_frame(nm) ? strchr(nm, '.') ? 1 : 0 : -1;
				if (k >= 0 && sym.st_size && sym.st_value + sym.st_size > sym.st_value) {
					s->eval[k][0] = sym.st_value;
					s->eval[k][1] = sym.st_value + sym.st_size;
				}
				continue;
			}
			if (strcmp(nm, "_PyRuntime") == 0)
				s->runtime = sym.st_value;
			else if (strcmp(nm, "Py_Version") == 0)
				s->py_version = sym.st_value;
			else if (strcmp(nm, "interp_head") == 0)
				s->interp_head = sym.st_value;
			else if (strcmp(nm, "_PyThreadState_Current") == 0)
				s->tstate_current = sym.st_value;
			else if (strcmp(nm, "PyCode_Type") == 0)
				s->code_type = sym.st_value;
			else if ((strcmp(nm, "gil_cond") == 0 || strcmp(nm, "gil_mutex") == 0 ||
				  strcmp(nm, "switch_cond") == 0 || strcmp(nm, "switch_mutex") == 0) &&
				 sym.st_size && sym.st_size < 4096) {
				if (!s->gil36[0] || sym.st_value < s->gil36[0])
					s->gil36[0] = sym.st_value;
				if (sym.st_value + sym.st_size > s->gil36[1])
					s->gil36[1] = sym.st_value + sym.st_size;
			}
		}
	}
	if (s->eval[0][1] && !s->eval[1][1])
		find_cold(e, s->eval[0][0], s->eval[0][1], s->eval[1]);
	elf_end(e);
	close(fd);
	return 0;
}

/* MAJOR.MINOR from "libpython3.9.so.1.0", "libpython3.6m.so", "python3.11":
 * *flags gets the ABI letters after the version ('d' debug, 't' free-threaded). */
static int version_from_name(const char *name, int *major, int *minor, char *flags, size_t flen)
{
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	if (strncmp(b, "lib", 3) == 0)
		b += 3;
	if (strncmp(b, "python", 6) != 0)
		return -1;
	b += 6;
	char *end;
	long ma = strtol(b, &end, 10);
	if (end == b || *end != '.' || ma < 2 || ma > 9)
		return -1;
	b = end + 1;
	long mi = strtol(b, &end, 10);
	if (end == b || mi < 0 || mi > 99)
		return -1;
	size_t i = 0;
	while (*end && *end != '.' && *end != '-' && i + 1 < flen)
		flags[i++] = *end++;
	flags[i] = 0;
	*major = (int)ma;
	*minor = (int)mi;
	return 0;
}

int python_target_init(struct python_target *t, int major, int minor, uint64_t runtime, uint64_t interp_head,
		       uint64_t tstate_current, py_read_fn read, void *ctx, struct strbuf *err)
{
	memset(t, 0, sizeof(*t));
	t->major = major;
	t->minor = minor;
	t->runtime = runtime;
	t->interp_head = interp_head;
	t->tstate_current = tstate_current;
	const struct py_offsets *tab = pyoffsets_table(major, minor);
	if (!tab)
		return fail(err, ENOTSUP, "python %d.%d is not supported: native stacks only", major, minor);
	if (major == 3 && minor == 6 ? !interp_head : !runtime)
		return fail(err, ENOTSUP, "python %d.%d without its runtime symbols is not supported: native stacks only",
			    major, minor);
	if (minor >= 13) {
		unsigned char buf[PY_DEBUG_OFFSETS_SIZE];
		char msg[160];
		uint32_t hex = 0;
		if (read(ctx, runtime, buf, sizeof(buf)) < 0)
			return fail(err, ENOTSUP, "cannot read the python %d.%d debug offsets: native stacks only",
				    major, minor);
		if (pyoffsets_from_debug(buf, sizeof(buf), &t->off, &hex, msg, sizeof(msg)) < 0)
			return fail(err, ENOTSUP, "%s: native stacks only", msg);
		t->micro = (int)(hex >> 8 & 0xff);
	} else {
		t->off = *tab;
	}
	return 0;
}

int python_detect_file(const char *path, const char *name, uint64_t bias, py_read_fn read, void *ctx,
		       struct python_target *t, struct strbuf *err)
{
	struct elf_syms s;
	memset(t, 0, sizeof(*t));
	if (elf_scan(path, &s) < 0 || (!s.runtime && !s.interp_head))
		return fail(err, ENOENT, NULL);
	int major = 3, minor = -1, micro = 0;
	char flags[8] = "";
	if (s.py_version) {
		uint64_t hex = 0;
		if (read(ctx, bias + s.py_version, &hex, sizeof(hex)) < 0)
			return fail(err, ENOTSUP, "cannot read Py_Version of %s: native stacks only", name);
		major = (int)(hex >> 24 & 0xff);
		minor = (int)(hex >> 16 & 0xff);
		micro = (int)(hex >> 8 & 0xff);
		int ma2, mi2;
		if (version_from_name(name, &ma2, &mi2, flags, sizeof(flags)) < 0)
			flags[0] = 0;
	} else if (version_from_name(name, &major, &minor, flags, sizeof(flags)) < 0) {
		return fail(err, ENOTSUP, "python in %s has no version prowl can read: native stacks only", name);
	}
	/* Debug and free-threaded builds change struct layouts. */
	if (strchr(flags, 'd') || strchr(flags, 't'))
		return fail(err, ENOTSUP, "python %d.%d%s (%s) is a %s build, not supported: native stacks only", major,
			    minor, flags, name, strchr(flags, 't') ? "free-threaded" : "debug");
	uint64_t code_type = s.code_type ? bias + s.code_type : 0;
	int rc = python_target_init(t, major, minor, s.runtime ? bias + s.runtime : 0,
				    s.interp_head ? bias + s.interp_head : 0,
				    s.tstate_current ? bias + s.tstate_current : 0, read, ctx, err);
	t->code_type = code_type;
	for (int k = 0; k < PY_EVAL_RANGES; k++)
		if (s.eval[k][1]) {
			t->eval[k][0] = bias + s.eval[k][0];
			t->eval[k][1] = bias + s.eval[k][1];
		}
	if (s.gil36[1] && s.gil36[1] - s.gil36[0] < 4096) {
		t->gil36[0] = bias + s.gil36[0];
		t->gil36[1] = bias + s.gil36[1];
	}
	if (micro)
		t->micro = micro;
	snprintf(t->module, sizeof(t->module), "%s", name);
	if (rc < 0 && err && err->len && !strstr(err->buf, name)) {
		/* Name the file: the user may not know which interpreter ran. */
		strbuf_addf(err, " (%s)", name);
	}
	return rc;
}

int python_detect(pid_t pid, py_read_fn read, void *ctx, struct python_target *t, struct strbuf *err)
{
	char mpath[64], exe[PATH_MAX] = "";
	snprintf(mpath, sizeof(mpath), "/proc/%d/exe", (int)pid);
	ssize_t el = readlink(mpath, exe, sizeof(exe) - 1);
	exe[el > 0 ? el : 0] = 0;
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(mpath, "re");
	if (!f)
		return fail(err, errno, "cannot read %s: %s", mpath, strerror(errno));
	char line[PATH_MAX + 128], last[PATH_MAX] = "";
	int rc = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		int pos = 0;
		if (sscanf(line, "%llx-%llx %*4s %llx %*s %*u %n", &start, &end, &off, &pos) < 3 || pos == 0)
			continue;
		char *p = line + pos;
		p[strcspn(p, "\n")] = 0;
		if (p[0] != '/' || off != 0 || strcmp(p, last) == 0)
			continue;
		snprintf(last, sizeof(last), "%s", p);
		const char *base = strrchr(p, '/') + 1;
		if (strcmp(p, exe) != 0 && strncmp(base, "libpython", 9) != 0)
			continue;
		char open_path[PATH_MAX + 32];
		snprintf(open_path, sizeof(open_path), "/proc/%d/root%s", (int)pid, p);
		struct elf_syms s;
		if (elf_scan(open_path, &s) < 0 || (!s.runtime && !s.interp_head))
			continue;
		uint64_t bias = s.is_dyn ? start - (s.min_vaddr & ~0xfffull) : 0;
		strbuf_reset(err);
		rc = python_detect_file(open_path, p, bias, read, ctx, t, err);
		if (rc != -ENOENT)
			break;
	}
	fclose(f);
	if (rc == -ENOENT)
		strbuf_reset(err);
	errno = -rc;
	return rc;
}

/* ---- strings ---- */

static void put_utf8(struct strbuf *sb, uint32_t c)
{
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	char b[4];
	size_t n;
	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | (c >> 12 & 0x3f));
		b[2] = (char)(0x80 | (c >> 6 & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	strbuf_add(sb, b, n);
}

char *python_ucs_to_utf8(const void *data, size_t n, int kind)
{
	if (kind != 1 && kind != 2 && kind != 4) {
		errno = EINVAL;
		return NULL;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		uint32_t c;
		if (kind == 1) {
			c = p[i];
		} else if (kind == 2) {
			uint16_t v;
			memcpy(&v, p + 2 * i, 2);
			c = v;
		} else {
			memcpy(&c, p + 4 * i, 4);
		}
		/* NUL cannot be in a name prowl prints; keep the string whole. */
		put_utf8(&sb, c ? c : 0xfffd);
	}
	return strbuf_detach(&sb);
}

/* ---- walking ---- */

struct walk {
	const struct python_target *t;
	const struct py_offsets *o;
	py_read_fn read;
	void *ctx;
	size_t budget; /* frame steps left for this whole walk */
	struct py_code_cache *cache; /* NULL: none */
};

static int rd(const struct walk *w, uint64_t addr, void *buf, size_t len)
{
	if (!addr || addr + len < addr)
		return -EFAULT;
	return w->read(w->ctx, addr, buf, len) < 0 ? -EFAULT : 0;
}

static int rd_ptr(const struct walk *w, uint64_t base, int32_t off, uint64_t *v)
{
	*v = 0;
	if (off < 0)
		return -EINVAL;
	return rd(w, base + (uint64_t)off, v, sizeof(*v));
}

/* A str object as UTF-8 (malloc'd), or NULL when it is not one we can read. */
static char *read_str(const struct walk *w, uint64_t addr)
{
	const struct py_offsets *o = w->o;
	unsigned char hdr[128];
	size_t hlen = (size_t)o->uni_compact_size;
	if (!addr || hlen > sizeof(hdr) || o->uni_state + 4 > (int32_t)hlen || o->uni_length + 8 > (int32_t)hlen)
		return NULL;
	if (rd(w, addr, hdr, hlen) < 0)
		return NULL;
	uint32_t state;
	int64_t length;
	memcpy(&state, hdr + o->uni_state, 4);
	memcpy(&length, hdr + o->uni_length, 8);
	/* state bits, stable 3.3-3.13: interned:2 kind:3 compact:1 ascii:1 */
	int kind = (int)(state >> 2 & 7);
	bool compact = state >> 5 & 1, ascii = state >> 6 & 1;
	if (!compact || (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1) || length < 0)
		return NULL;
	size_t n = (size_t)length < PY_MAX_NAME ? (size_t)length : PY_MAX_NAME;
	uint64_t data = addr + (uint64_t)(ascii ? o->uni_ascii_size : o->uni_compact_size);
	unsigned char *buf = xmalloc(n * (size_t)kind + 1);
	char *s = NULL;
	if (rd(w, data, buf, n * (size_t)kind) == 0)
		s = python_ucs_to_utf8(buf, n, kind);
	free(buf);
	return s;
}

/* A bytes object's payload (malloc'd, *len set), or NULL. */
static uint8_t *read_bytes(const struct walk *w, uint64_t addr, size_t *len)
{
	int64_t size;
	if (!addr || rd(w, addr + (uint64_t)w->o->bytes_size, &size, sizeof(size)) < 0 || size < 0 ||
	    (uint64_t)size > PY_MAX_LINETABLE)
		return NULL;
	uint8_t *buf = xmalloc((size_t)size + 1);
	if (size && rd(w, addr + (uint64_t)w->o->bytes_sval, buf, (size_t)size) < 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)size;
	return buf;
}

static int32_t max32(int32_t a, int32_t b)
{
	return a > b ? a : b;
}

/* Fills f from the code object at code; lasti_bytes is the offset the line
 * table is indexed with. Returns -1 when code is not a code object. */
/* ---- the code object cache ---- */

/* What a code object's header points to: while these are the same, the
 * strings and the line table decoded earlier are reused. */
struct code_key {
	uint64_t code, name, qualname, filename, table;
	int32_t first;
};

struct code_entry {
	struct code_key key;
	char *co_name, *name, *file;
	uint8_t *tab; /* NULL when unreadable */
	size_t tlen;
};

struct py_code_cache {
	struct code_entry *v;
	size_t n, cap;
	struct itab index;
	uint64_t hits, misses;
};

#define PY_CODE_CACHE_MAX 8192

struct py_code_cache *python_cache_new(void)
{
	return xcalloc(1, sizeof(struct py_code_cache));
}

static void cache_clear(struct py_code_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].co_name);
		free(c->v[i].name);
		free(c->v[i].file);
		free(c->v[i].tab);
	}
	c->n = 0;
	itab_clear(&c->index);
}

void python_cache_free(struct py_code_cache *c)
{
	if (!c)
		return;
	cache_clear(c);
	free(c->v);
	itab_release(&c->index);
	free(c);
}

void python_cache_stats(const struct py_code_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}

static bool code_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct py_code_cache *c = ctx;
	return memcmp(&c->v[idx].key, key, sizeof(struct code_key)) == 0;
}

static uint64_t code_hash(const struct code_key *k)
{
	return hash_bytes(k, sizeof(*k), 0);
}

/* Fills f from the code object at code; lasti_bytes is the offset the line
 * table is indexed with. *firsttraceable gets _co_firsttraceable (3.11+).
 * Returns -1 when code is not a code object. */
static int read_code(const struct walk *w, uint64_t code, long lasti_bytes, struct py_frame *f,
		     int32_t *firsttraceable)
{
	const struct py_offsets *o = w->o;
	unsigned char hdr[256];
	int32_t need = max32(max32(max32(o->co_filename, o->co_name), max32(o->co_qualname, o->co_linetable)),
			     max32(max32(o->ob_type, o->co_firstlineno), o->co_firsttraceable)) + 8;
	if (need > (int32_t)sizeof(hdr) || rd(w, code, hdr, (size_t)need) < 0)
		return -1;
	uint64_t type;
	struct code_key k;
	memset(&k, 0, sizeof(k));
	k.code = code;
	memcpy(&type, hdr + o->ob_type, 8);
	if (w->t->code_type && type != w->t->code_type)
		return -1;
	memcpy(&k.filename, hdr + o->co_filename, 8);
	memcpy(&k.name, hdr + o->co_name, 8);
	if (o->co_qualname >= 0)
		memcpy(&k.qualname, hdr + o->co_qualname, 8);
	memcpy(&k.table, hdr + o->co_linetable, 8);
	memcpy(&k.first, hdr + o->co_firstlineno, 4);
	*firsttraceable = 0;
	if (o->co_firsttraceable >= 0)
		memcpy(firsttraceable, hdr + o->co_firsttraceable, 4);

	struct py_code_cache *c = w->cache;
	struct code_entry tmp, *e = NULL;
	uint64_t h = code_hash(&k);
	if (c) {
		uint32_t i = itab_find(&c->index, h, code_eq, c, &k);
		if (i != ITAB_NONE) {
			e = &c->v[i];
			c->hits++;
		}
	}
	if (!e) {
		memset(&tmp, 0, sizeof(tmp));
		tmp.key = k;
		tmp.co_name = read_str(w, k.name);
		tmp.name = k.qualname ? read_str(w, k.qualname) : NULL;
		if (!tmp.name && tmp.co_name)
			tmp.name = xstrdup(tmp.co_name);
		tmp.file = read_str(w, k.filename);
		if (!tmp.co_name)
			tmp.co_name = xstrdup("?");
		if (!tmp.name)
			tmp.name = xstrdup("?");
		if (!tmp.file)
			tmp.file = xstrdup("?");
		tmp.tab = read_bytes(w, k.table, &tmp.tlen);
		e = &tmp;
		if (c) {
			c->misses++;
			if (c->n >= PY_CODE_CACHE_MAX)
				cache_clear(c);
			xgrow((void **)&c->v, &c->cap, c->n + 1, sizeof(*c->v));
			c->v[c->n] = tmp;
			itab_insert(&c->index, h, (uint32_t)c->n);
			e = &c->v[c->n++];
		}
	}
	f->code = code;
	f->firstlineno = k.first;
	f->co_name = xstrdup(e->co_name);
	f->name = xstrdup(e->name);
	f->file = xstrdup(e->file);
	f->line = -1;
	if (e->tab && lasti_bytes <= INT_MAX / 2)
		f->line = pyline_addr2line(pyline_format_of(w->t->major, w->t->minor), e->tab, e->tlen, k.first,
					   (int)lasti_bytes);
	if (e == &tmp) {
		free(tmp.co_name);
		free(tmp.name);
		free(tmp.file);
		free(tmp.tab);
	}
	return 0;
}

static void frame_free(struct py_frame *f)
{
	free(f->name);
	free(f->co_name);
	free(f->file);
}

static struct py_frame *push_frame(struct py_thread *th, size_t *cap)
{
	xgrow((void **)&th->frames, cap, th->nframes + 1, sizeof(*th->frames));
	struct py_frame *f = &th->frames[th->nframes];
	memset(f, 0, sizeof(*f));
	return f;
}

/* <= 3.10: PyFrameObject chain. */
static void walk_old(struct walk *w, uint64_t frame, struct py_thread *th)
{
	const struct py_offsets *o = w->o;
	size_t cap = 0;
	while (frame) {
		if (th->nframes >= PY_MAX_FRAMES || w->budget == 0) {
			th->truncated = true;
			return;
		}
		w->budget--;
		unsigned char hdr[160];
		uint64_t code, back;
		int32_t lasti;
		int32_t need = max32(max32(o->fr_code, o->fr_previous), o->fr_lasti) + 8;
		if (need > (int32_t)sizeof(hdr) || rd(w, frame, hdr, (size_t)need) < 0) {
			th->truncated = true;
			return;
		}
		memcpy(&code, hdr + o->fr_code, 8);
		memcpy(&back, hdr + o->fr_previous, 8);
		memcpy(&lasti, hdr + o->fr_lasti, 4);
		long lb = w->t->minor >= 10 && lasti >= 0 ? (long)lasti * 2 : lasti;
		struct py_frame *f = push_frame(th, &cap);
		int32_t ft;
		if (read_code(w, code, lb, f, &ft) < 0) {
			frame_free(f);
			th->truncated = true;
			return;
		}
		f->is_entry = true;
		th->nframes++;
		frame = back;
	}
}

/* 3.11+: _PyInterpreterFrame chain. */
static void walk_new(struct walk *w, uint64_t frame, struct py_thread *th)
{
	const struct py_offsets *o = w->o;
	size_t cap = 0, steps = 0;
	int32_t need = max32(max32(max32(o->fr_previous, o->fr_code), max32(o->fr_lasti, o->fr_is_entry)), o->fr_owner) + 8;
	unsigned char hdr[128];
	if (need > (int32_t)sizeof(hdr)) {
		th->truncated = true;
		return;
	}
	while (frame) {
		/* Shim frames count too: a cycle of them must end. */
		if (th->nframes >= PY_MAX_FRAMES || ++steps > 2 * PY_MAX_FRAMES || w->budget == 0) {
			th->truncated = true;
			return;
		}
		w->budget--;
		if (rd(w, frame, hdr, (size_t)need) < 0) {
			th->truncated = true;
			return;
		}
		uint64_t code, prev, instr;
		memcpy(&code, hdr + o->fr_code, 8);
		memcpy(&prev, hdr + o->fr_previous, 8);
		memcpy(&instr, hdr + o->fr_lasti, 8);
		int owner = (int8_t)hdr[o->fr_owner];
		bool entry = o->fr_is_entry >= 0 && hdr[o->fr_is_entry];
		frame = prev;
		if (w->t->minor >= 12 && owner == PY_FRAME_OWNED_BY_CSTACK) {
			if (th->nframes)
				th->frames[th->nframes - 1].is_entry = true;
			else if (steps == 1)
				th->shim_on_top = true;
			continue;
		}
		uint64_t start = code + (uint64_t)o->co_code_adaptive;
		long lasti = -1;
		if (instr >= start && (instr - start) / 2 < INT_MAX / 4)
			lasti = (long)((instr - start) / 2);
		struct py_frame *f = push_frame(th, &cap);
		int32_t firsttraceable = 0;
		if (read_code(w, code, lasti * 2, f, &firsttraceable) < 0) {
			frame_free(f);
			th->truncated = true;
			return;
		}
		/* Not started yet (3.11-3.12 prev_instr may even sit one unit
		 * before the code while the frame is set up): CPython's own walks
		 * skip it. Kept only when it is alone in its native evaluation
		 * frame (an entry frame, or one just above a shim), so that the
		 * merge still finds one activation per _PyEval_EvalFrameDefault;
		 * its line is then the def line, as CPython reports it. */
		if (owner != PY_FRAME_OWNED_BY_GENERATOR && (instr < start || lasti < firsttraceable)) {
			bool alone = entry;
			char prev_owner = 0;
			if (!alone && w->t->minor >= 12 && prev &&
			    rd(w, prev + (uint64_t)o->fr_owner, &prev_owner, 1) == 0)
				alone = prev_owner == PY_FRAME_OWNED_BY_CSTACK;
			if (!alone) {
				frame_free(f);
				continue;
			}
			f->line = f->firstlineno;
		}
		f->is_entry = entry;
		th->nframes++;
	}
}

static void thread_ids(struct walk *w, uint64_t ts, struct py_thread *th)
{
	const struct py_offsets *o = w->o;
	uint64_t tid = 0;
	th->tstate = ts;
	rd_ptr(w, ts, o->ts_thread_id, &th->pthread_id);
	if (o->ts_native_thread_id >= 0) {
		if (rd_ptr(w, ts, o->ts_native_thread_id, &tid) == 0 && tid <= UINT32_MAX)
			th->tid = (uint32_t)tid;
	} else if (th->pthread_id) {
		uint32_t t32 = 0;
		if (rd(w, th->pthread_id + PY_GLIBC_PTHREAD_TID, &t32, 4) == 0 && t32 <= INT_MAX) {
			th->tid = t32;
			th->tid_from_pthread = true;
		}
	}
}

static void walk_thread(struct walk *w, uint64_t ts, struct py_thread *th)
{
	const struct py_offsets *o = w->o;
	uint64_t frame = 0;
	if (rd_ptr(w, ts, o->ts_frame, &frame) < 0) {
		th->truncated = true;
		return;
	}
	if (o->cf_current_frame >= 0 && frame && rd_ptr(w, frame, o->cf_current_frame, &frame) < 0) {
		th->truncated = true;
		return;
	}
	if (w->t->minor <= 10)
		walk_old(w, frame, th);
	else
		walk_new(w, frame, th);
}

/* The thread state holding the GIL, 0 when none or unknown; *known set. */
static uint64_t gil_holder(const struct walk *w, uint64_t interp, bool *known)
{
	const struct py_offsets *o = w->o;
	uint64_t h = 0;
	*known = false;
	if (w->t->minor == 6 && w->t->tstate_current) {
		*known = rd(w, w->t->tstate_current, &h, 8) == 0;
	} else if (o->rt_gil_tstate >= 0) {
		*known = rd_ptr(w, w->t->runtime, o->rt_gil_tstate, &h) == 0;
	} else if (o->is_gil_ptr >= 0) {
		uint64_t gil;
		int32_t locked = 0;
		if (rd_ptr(w, interp, o->is_gil_ptr, &gil) == 0 &&
		    rd(w, gil + (uint64_t)o->gil_locked, &locked, 4) == 0 && rd_ptr(w, gil, o->gil_holder, &h) == 0) {
			*known = true;
			if (!locked)
				h = 0;
		}
	}
	return *known ? h : 0;
}

static int read_stacks(const struct python_target *t, py_read_fn read, void *ctx, struct py_code_cache *cache,
		       uint32_t want, struct py_stacks *out)
{
	struct walk w = { t, &t->off, read, ctx, PY_MAX_TOTAL_FRAMES, cache };
	const struct py_offsets *o = &t->off;
	memset(out, 0, sizeof(*out));
	uint64_t interp = 0;
	int rc = t->minor == 6 ? rd(&w, t->interp_head, &interp, 8) : rd_ptr(&w, t->runtime, o->rt_interp_head, &interp);
	if (rc < 0 || !interp) {
		errno = EFAULT;
		return -EFAULT;
	}
	size_t cap = 0, ninterp = 0;
	bool all_known = true;
	for (; interp; ninterp++) {
		if (ninterp >= PY_MAX_INTERPS) {
			out->truncated = true;
			break;
		}
		bool known;
		uint64_t holder = gil_holder(&w, interp, &known);
		all_known &= known;
		uint64_t ts = 0;
		if (rd_ptr(&w, interp, o->is_tstate_head, &ts) < 0) {
			out->truncated = true;
			break;
		}
		for (size_t n = 0; ts; n++) {
			if (out->nthreads >= PY_MAX_THREADS || n >= PY_MAX_THREADS) {
				out->truncated = true;
				break;
			}
			xgrow((void **)&out->threads, &cap, out->nthreads + 1, sizeof(*out->threads));
			struct py_thread *th = &out->threads[out->nthreads++];
			memset(th, 0, sizeof(*th));
			thread_ids(&w, ts, th);
			if (want && th->tid != want) {
				out->nthreads--;
			} else {
				walk_thread(&w, ts, th);
				th->holds_gil = known && holder == ts;
				th->gil_known = known;
				if (want)
					goto done;
			}
			if (rd_ptr(&w, ts, o->ts_next, &ts) < 0) {
				out->truncated = true;
				break;
			}
		}
		if (rd_ptr(&w, interp, o->is_next, &interp) < 0) {
			out->truncated = true;
			break;
		}
	}
done:
	out->gil_known = all_known;
	return 0;
}

int python_read_stacks(const struct python_target *t, py_read_fn read, void *ctx, struct py_code_cache *cache,
		       struct py_stacks *out)
{
	return read_stacks(t, read, ctx, cache, 0, out);
}

int python_read_thread(const struct python_target *t, py_read_fn read, void *ctx, struct py_code_cache *cache,
		       uint32_t tid, struct py_thread *out)
{
	struct py_stacks s;
	memset(out, 0, sizeof(*out));
	int rc = read_stacks(t, read, ctx, cache, tid ? tid : UINT32_MAX, &s);
	if (rc < 0)
		return rc;
	if (!s.nthreads) {
		python_stacks_release(&s);
		errno = ESRCH;
		return -ESRCH;
	}
	*out = s.threads[0];
	free(s.threads);
	return 0;
}

void python_thread_release(struct py_thread *th)
{
	for (size_t j = 0; j < th->nframes; j++)
		frame_free(&th->frames[j]);
	free(th->frames);
	memset(th, 0, sizeof(*th));
}

int python_gil_range(const struct python_target *t, py_read_fn read, void *ctx, uint64_t *start, uint64_t *end)
{
	const struct py_offsets *o = &t->off;
	struct walk w = { t, o, read, ctx, 0, NULL };
	uint64_t at = 0;
	*start = *end = 0;
	if (t->minor == 6) {
		at = t->gil36[0];
		*end = t->gil36[1];
	} else if (o->rt_gil >= 0 && o->gil_size > 0) {
		at = t->runtime + (uint64_t)o->rt_gil;
	} else if (o->is_gil_ptr >= 0 && o->gil_size > 0) {
		uint64_t interp = 0;
		if (rd_ptr(&w, t->runtime, o->rt_interp_head, &interp) < 0 || rd_ptr(&w, interp, o->is_gil_ptr, &at) < 0)
			at = 0;
	}
	if (!at) {
		errno = ENOENT;
		return -ENOENT;
	}
	if (t->minor != 6)
		*end = at + (uint64_t)o->gil_size;
	if (*end <= at) { /* a pointer read from the target that wraps */
		*end = 0;
		errno = EFAULT;
		return -EFAULT;
	}
	*start = at;
	return 0;
}

bool python_is_eval_pc(const struct python_target *t, uint64_t pc)
{
	for (int k = 0; k < PY_EVAL_RANGES; k++)
		if (pc >= t->eval[k][0] && pc < t->eval[k][1])
			return true;
	return false;
}

void python_stacks_release(struct py_stacks *s)
{
	for (size_t i = 0; i < s->nthreads; i++) {
		for (size_t j = 0; j < s->threads[i].nframes; j++)
			frame_free(&s->threads[i].frames[j]);
		free(s->threads[i].frames);
	}
	free(s->threads);
	memset(s, 0, sizeof(*s));
}

bool python_is_eval_frame(const char *symbol)
{
	static const char name[] = "_PyEval_EvalFrameDefault";
	if (!symbol || strncmp(symbol, name, sizeof(name) - 1) != 0)
		return false;
	const char *rest = symbol + sizeof(name) - 1;
	return rest[0] == 0 || strcmp(rest, ".cold") == 0;
}

static void merge_put(struct py_merged *out, size_t cap, size_t *k, bool python, size_t index, bool *partial)
{
	if (*k >= cap) {
		*partial = true;
		return;
	}
	out[*k].python = python;
	out[*k].index = (uint32_t)index;
	(*k)++;
}

size_t python_activations(const struct py_thread *th)
{
	size_t nact = th->shim_on_top ? 1 : 0;
	for (size_t i = 0; i < th->nframes; i++)
		if (th->frames[i].is_entry || i + 1 == th->nframes)
			nact++;
	return nact;
}

size_t python_merge(const bool *is_eval, size_t n, const struct py_thread *th, struct py_merged *out, size_t cap,
		    bool *partial)
{
	*partial = th->truncated;
	/* Python activations, innermost first: [start[a], start[a+1]); an
	 * empty one first when the chain starts at a shim. */
	size_t nact = python_activations(th), neval = 0, lead = th->shim_on_top ? 1 : 0;
	for (size_t i = 0; i < n; i++)
		neval += is_eval[i];
	if (nact != neval)
		*partial = true;
	size_t *start = xcalloc(nact + 1, sizeof(*start));
	for (size_t i = 0, a = lead; i < th->nframes; i++)
		if (th->frames[i].is_entry || i + 1 == th->nframes)
			start[++a] = i + 1;
	/* Aligned from the outermost: the e-th evaluation frame from the
	 * innermost (of neval) gets activation e + (nact - neval); when there are
	 * more activations, the innermost evaluation frame takes all the extra
	 * ones; when fewer, the innermost evaluation frames get none. */
	size_t k = 0, e = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_eval[i]) {
			merge_put(out, cap, &k, false, i, partial);
			continue;
		}
		long a = (long)e + (long)nact - (long)neval;
		if (a < 0) {
			merge_put(out, cap, &k, false, i, partial);
			e++;
			continue;
		}
		size_t from = e == 0 ? 0 : start[a], to = start[a + 1];
		if (from == to) /* an empty activation: the evaluator itself */
			merge_put(out, cap, &k, false, i, partial);
		for (size_t j = from; j < to; j++)
			merge_put(out, cap, &k, true, j, partial);
		e++;
	}
	/* No evaluation frame at all (a native stack that could not be
	 * unwound that far): the Python frames go outermost. */
	if (neval == 0)
		for (size_t j = 0; j < th->nframes; j++)
			merge_put(out, cap, &k, true, j, partial);
	free(start);
	return k;
}

/* ---- thread names (threading.Thread._name) ---- */

#define PY_MAX_DICT_ENTRIES (1u << 14) /* entries of one dict scanned (sys.modules: hundreds) */
#define PY_DICT_CHUNK 64              /* entries read per system call */
#define TPF_INLINE_VALUES (1ul << 2)  /* 3.13 */
#define TPF_MANAGED_DICT (1ul << 4)   /* 3.11+ */
#define TPF_HEAPTYPE (1ul << 9)
#define TP_BASICSIZE 32               /* PyTypeObject offsets, the same 3.6-3.13 on x86-64 */
#define TP_FLAGS 168
#define TP_DICTOFFSET 288
#define MODULE_DICT 16                /* PyModuleObject.md_dict */
#define LONG_SIZE 16                  /* PyLongObject: ob_size (<= 3.11) or lv_tag (3.12+) */
#define LONG_DIGITS 24

/* Calls fn(arg, key, value) for each live entry of a dict's keys object
 * (values: the split or inline values array, 0 for a combined table) until
 * it returns true. 0 when fn returned true, -ENOENT when the scan ended
 * without it, -EFAULT or -EPROTO when the keys object cannot be read or
 * makes no sense. */
static int keys_scan(const struct walk *w, uint64_t keys, uint64_t values,
		     bool (*fn)(const struct walk *, void *, uint64_t, uint64_t), void *arg, uint32_t *hint)
{
	unsigned char h[40];
	uint64_t nentries, entries, esize;
	if (w->t->minor <= 10) {
		/* dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries, dk_indices[] */
		int64_t size, n;
		if (rd(w, keys, h, 40) < 0)
			return -EFAULT;
		memcpy(&size, h + 8, 8);
		memcpy(&n, h + 32, 8);
		if (size < 8 || size > (1 << 24) || (size & (size - 1)) || n < 0 || n > size)
			return -EPROTO;
		uint64_t ix = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffLL ? 4 : 8;
		entries = keys + 40 + (uint64_t)size * ix;
		nentries = (uint64_t)n;
		esize = 24; /* hash, key, value */
	} else {
		/* dk_refcnt, dk_log2_size, dk_log2_index_bytes, dk_kind, dk_version,
		 * dk_usable, dk_nentries, dk_indices[] */
		int64_t n;
		if (rd(w, keys, h, 32) < 0)
			return -EFAULT;
		unsigned log2 = h[8], log2ix = h[9], kind = h[10];
		memcpy(&n, h + 24, 8);
		if (log2 < 3 || log2 > 24 || log2ix < log2 || log2ix > log2 + 3 || kind > 2 || n < 0 ||
		    n > (1 << log2))
			return -EPROTO;
		entries = keys + 32 + (1ull << log2ix);
		nentries = (uint64_t)n;
		esize = kind == 0 ? 24 : 16; /* general: hash, key, value; unicode/split: key, value */
	}
	if (nentries > PY_MAX_DICT_ENTRIES)
		return -EPROTO;
	uint64_t buf[PY_DICT_CHUNK * 3], vals[PY_DICT_CHUNK];
	/* The entry that matched last time first: entries keep their place
	 * until the table is resized, so most lookups take two reads. */
	if (hint && *hint && *hint <= nentries) {
		uint64_t i = *hint - 1;
		if (rd(w, entries + i * esize, buf, esize) == 0 && (!values || rd(w, values + i * 8, vals, 8) == 0)) {
			uint64_t key = esize == 24 ? buf[1] : buf[0], val = values ? vals[0] : esize == 24 ? buf[2] : buf[1];
			if (key && val && fn(w, arg, key, val))
				return 0;
		}
	}
	for (uint64_t i = 0; i < nentries; i += PY_DICT_CHUNK) {
		size_t k = nentries - i < PY_DICT_CHUNK ? (size_t)(nentries - i) : PY_DICT_CHUNK;
		if (rd(w, entries + i * esize, buf, k * esize) < 0)
			return -EFAULT;
		if (values && rd(w, values + i * 8, vals, k * 8) < 0)
			return -EFAULT;
		for (size_t j = 0; j < k; j++) {
			const uint64_t *e = (const uint64_t *)((const unsigned char *)buf + j * esize);
			uint64_t key = esize == 24 ? e[1] : e[0], val = esize == 24 ? e[2] : e[1];
			if (values)
				val = vals[j];
			if (key && val && fn(w, arg, key, val)) {
				if (hint)
					*hint = (uint32_t)(i + j + 1);
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* 3.13's PyDictValues opens with capacity, size, embedded, valid. */
static uint64_t values_array(const struct walk *w, uint64_t values)
{
	return values && w->t->minor >= 13 ? values + 8 : values;
}

static int dict_scan(const struct walk *w, uint64_t dict, bool (*fn)(const struct walk *, void *, uint64_t, uint64_t),
		     void *arg, uint32_t *hint)
{
	uint64_t kv[2]; /* ma_keys, ma_values */
	if (!dict || rd(w, dict + 32, kv, sizeof(kv)) < 0)
		return -EFAULT;
	return keys_scan(w, kv[0], values_array(w, kv[1]), fn, arg, hint);
}

struct lookup {
	const char *name;
	size_t len;
	uint64_t value;
	uint64_t key; /* the matching key (a str) */
};

/* Whether the object at key is the ASCII str l->name: one read (a compact
 * ASCII string's characters follow its header). */
static bool lookup_fn(const struct walk *w, void *arg, uint64_t key, uint64_t value)
{
	struct lookup *l = arg;
	const struct py_offsets *o = w->o;
	unsigned char b[160];
	size_t hlen = (size_t)o->uni_ascii_size;
	if (hlen + l->len > sizeof(b) || o->uni_state + 4 > (int32_t)hlen || o->uni_length + 8 > (int32_t)hlen ||
	    rd(w, key, b, hlen + l->len) < 0)
		return false;
	uint32_t state;
	int64_t length;
	memcpy(&state, b + o->uni_state, 4);
	memcpy(&length, b + o->uni_length, 8);
	if (!(state >> 5 & 1) || !(state >> 6 & 1) || length != (int64_t)l->len || memcmp(b + hlen, l->name, l->len))
		return false;
	l->value = value;
	l->key = key;
	return true;
}

static int dict_get_key(const struct walk *w, uint64_t dict, const char *name, uint64_t *v, uint32_t *hint,
			uint64_t *key)
{
	struct lookup l = { name, strlen(name), 0, 0 };
	int rc = dict_scan(w, dict, lookup_fn, &l, hint);
	*v = l.value;
	if (key)
		*key = l.key;
	return rc;
}

static int dict_get(const struct walk *w, uint64_t dict, const char *name, uint64_t *v, uint32_t *hint)
{
	return dict_get_key(w, dict, name, v, hint, NULL);
}

/* Whether the object at a has type type (its ob_type read). */
static bool has_type(const struct walk *w, uint64_t a, uint64_t type)
{
	uint64_t t;
	return type && rd_ptr(w, a, w->o->ob_type, &t) == 0 && t == type;
}

/* An attribute held in an instance's dict (or its 3.11+ split/inline values). */
static int attr_get(const struct walk *w, uint64_t obj, const char *name, uint64_t *v, uint32_t *hint)
{
	uint64_t type, flags, dict = 0, values = 0;
	*v = 0;
	if (!obj || obj < 32 || rd(w, obj + 8, &type, 8) < 0 || rd(w, type + TP_FLAGS, &flags, 8) < 0)
		return -EFAULT;
	int minor = w->t->minor;
	if (minor >= 11 && (flags & TPF_MANAGED_DICT)) {
		if (!(flags & TPF_HEAPTYPE))
			return -EPROTO;
		uint64_t pre[2]; /* 3.11: values, dict; 3.12: -, dict-or-values; 3.13: -, dict */
		if (rd(w, obj - 32, pre, sizeof(pre)) < 0)
			return -EFAULT;
		if (minor == 11) {
			dict = pre[1];
			values = dict ? 0 : pre[0];
		} else if (minor == 12) {
			if (pre[1] & 1) /* tagged: the values' address less one */
				values = pre[1] + 1;
			else
				dict = pre[1];
		} else {
			dict = pre[1];
			if (!dict && (flags & TPF_INLINE_VALUES)) {
				int64_t basic;
				unsigned char hdr[4];
				if (rd(w, type + TP_BASICSIZE, &basic, 8) < 0 || basic < 16 || basic > 4096)
					return -EPROTO;
				values = obj + (uint64_t)basic;
				if (rd(w, values, hdr, 4) < 0 || !hdr[3]) /* not valid: the dict holds them */
					return -ENOENT;
			}
		}
		if ((dict | values) & 7)
			return -EPROTO;
		if (!dict) {
			struct lookup l = { name, strlen(name), 0, 0 };
			uint64_t keys;
			if (!values || rd_ptr(w, type, w->o->ht_cached_keys, &keys) < 0)
				return -ENOENT;
			int rc = keys_scan(w, keys, values_array(w, values), lookup_fn, &l, hint);
			*v = l.value;
			return rc;
		}
	} else {
		int64_t off;
		if (rd(w, type + TP_DICTOFFSET, &off, 8) < 0)
			return -EFAULT;
		if (off <= 0 || off > 4096) /* none, or after a variable-size part: not a Thread */
			return -EPROTO;
		if (rd(w, obj + (uint64_t)off, &dict, 8) < 0)
			return -EFAULT;
	}
	return dict_get(w, dict, name, v, hint);
}

/* A small non-negative int (up to 64 bits). */
static int read_long(const struct walk *w, uint64_t addr, uint64_t *v)
{
	unsigned char b[LONG_DIGITS + 12];
	uint64_t n;
	if (rd(w, addr, b, sizeof(b)) < 0)
		return -EFAULT;
	if (w->t->minor <= 11) {
		int64_t size;
		memcpy(&size, b + LONG_SIZE, 8);
		if (size < 0 || size > 3)
			return -EPROTO;
		n = (uint64_t)size;
	} else {
		uint64_t tag;
		memcpy(&tag, b + LONG_SIZE, 8);
		if ((tag & 3) == 2 || tag >> 3 > 3) /* negative, or too big */
			return -EPROTO;
		n = tag >> 3;
	}
	uint32_t d[3] = { 0, 0, 0 };
	memcpy(d, b + LONG_DIGITS, n * 4);
	if (d[0] >> 30 || d[1] >> 30 || d[2] >> 4)
		return -EPROTO;
	*v = (uint64_t)d[0] | (uint64_t)d[1] << 30 | (uint64_t)d[2] << 60;
	return 0;
}

struct names_scan {
	struct py_names *out;
	size_t cap;
	struct py_names_hint *hint;
	uint64_t str_type; /* type(a key found by name): _name must be one too */
	size_t seen;       /* entries of _active looked at: bounded apart from names found */
};

/* One entry of threading._active: ident -> Thread. */
static bool names_fn(const struct walk *w, void *arg, uint64_t key, uint64_t thread)
{
	struct names_scan *ns = arg;
	struct py_names *out = ns->out;
	if (out->n >= PY_MAX_THREADS || ++ns->seen > 2 * PY_MAX_THREADS) {
		out->truncated = true;
		return true;
	}
	uint64_t ident, name_obj, native = 0, tid = 0, int_type;
	if (read_long(w, key, &ident) < 0 || rd_ptr(w, key, w->o->ob_type, &int_type) < 0 ||
	    attr_get(w, thread, "_name", &name_obj, &ns->hint->name_ix) < 0 || !has_type(w, name_obj, ns->str_type))
		return false;
	char *name = read_str(w, name_obj);
	if (!name)
		return false;
	/* _native_id (3.8+) is the tid (an int like the ident: None before the
	 * thread runs); before, glibc's struct pthread has it. */
	if (w->t->minor >= 8 && attr_get(w, thread, "_native_id", &native, &ns->hint->native_ix) == 0 &&
	    has_type(w, native, int_type) && read_long(w, native, &tid) == 0 && tid > 0 && tid <= INT_MAX) {
		/* tid as read */
	} else {
		uint32_t t32 = 0;
		tid = ident && rd(w, ident + PY_GLIBC_PTHREAD_TID, &t32, 4) == 0 && t32 > 0 && t32 <= INT_MAX ? t32 : 0;
	}
	if (!tid) {
		free(name);
		return false;
	}
	xgrow((void **)&out->v, &ns->cap, out->n + 1, sizeof(*out->v));
	out->v[out->n++] = (struct py_thread_name){ .tid = (uint32_t)tid, .ident = ident, .name = name };
	return false;
}

int python_read_names(const struct python_target *t, py_read_fn read, void *ctx, struct py_names_hint *hint,
		      struct py_names *out)
{
	struct py_names_hint none = { 0, 0, 0, 0 };
	if (!hint)
		hint = &none;
	struct walk w = { t, &t->off, read, ctx, 0, NULL };
	const struct py_offsets *o = &t->off;
	memset(out, 0, sizeof(*out));
	uint64_t interp = 0, modules, threading, mdict, active, active_key;
	int rc = t->minor == 6 ? rd(&w, t->interp_head, &interp, 8) : rd_ptr(&w, t->runtime, o->rt_interp_head, &interp);
	if (rc < 0 || !interp || rd_ptr(&w, interp, o->is_modules, &modules) < 0) {
		errno = EFAULT;
		return -EFAULT;
	}
	/* sys.modules["threading"].__dict__["_active"]: a program that never
	 * imported threading has no names to give. */
	if ((rc = dict_get(&w, modules, "threading", &threading, &hint->modules_ix)) < 0 ||
	    (rc = rd_ptr(&w, threading, MODULE_DICT, &mdict)) < 0 ||
	    (rc = dict_get_key(&w, mdict, "_active", &active, &hint->active_ix, &active_key)) < 0) {
		errno = -rc;
		return rc;
	}
	struct names_scan ns = { out, 0, hint, 0, 0 };
	if (rd_ptr(&w, active_key, o->ob_type, &ns.str_type) < 0) {
		errno = EFAULT;
		return -EFAULT;
	}
	rc = dict_scan(&w, active, names_fn, &ns, NULL);
	if (rc < 0 && rc != -ENOENT) {
		python_names_release(out);
		errno = -rc;
		return rc;
	}
	return 0;
}

void python_names_release(struct py_names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i].name);
	free(n->v);
	memset(n, 0, sizeof(*n));
}
