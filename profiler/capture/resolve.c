#include "profiler/capture/resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "profiler/base/itab.h"
#include "profiler/base/util.h"
#include "profiler/capture/offcpu.h"
#include "profiler/capture/sampler.h"
#include "symbolize/symbolizer.h"

#define RESOLVE_MAX_INLINE 32

struct handle {
	const struct module *mod;
	struct sym_module *sym; /* NULL: could not be read (not retried) */
};

struct entry {
	const struct module *mod;
	uint64_t addr;
	unsigned kind;
	struct resolved res;
};

struct resolver {
	struct symbolizer *sym;
	struct sym_module *kernel;
	bool kernel_tried;
	struct handle *handles;
	size_t nhandles, caphandles;
	struct itab handle_idx;
	struct entry **entries; /* pointers: a struct resolved handed out never moves */
	size_t nentries, capentries;
	struct itab entry_idx;
	struct pyframe *py;     /* CPython frames by id (resolve_python_id) */
	size_t npy, cappy;
	struct itab py_idx;
	bool (*cancel)(void *arg); /* between resolve_begin and resolve_end */
	void *cancel_arg;
	bool quick;                /* cancel said yes: open no more modules */
	uint64_t unnamed;          /* lookups left unnamed since resolve_begin */
	struct resolved scratch;   /* an uncached result (quick) */
};

struct pyframe {
	char *name, *file;
	int line;
	uint64_t hash;
};

static void resolved_release(struct resolved *x)
{
	for (uint32_t j = 0; j < x->nframes; j++) {
		free(x->frames[j].name);
		free(x->frames[j].system_name);
		free(x->frames[j].file);
	}
	free(x->frames);
	memset(x, 0, sizeof(*x));
}

struct resolver *resolve_new(void)
{
	struct resolver *r = xcalloc(1, sizeof(*r));
	struct symbolizer_opts so = { 0 };
	r->sym = symbolizer_new(&so);
	return r;
}

void resolve_free(struct resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nentries; i++) {
		resolved_release(&r->entries[i]->res);
		free(r->entries[i]);
	}
	free(r->entries);
	resolved_release(&r->scratch);
	itab_release(&r->entry_idx);
	for (size_t i = 0; i < r->npy; i++) {
		free(r->py[i].name);
		free(r->py[i].file);
	}
	free(r->py);
	itab_release(&r->py_idx);
	free(r->handles);
	itab_release(&r->handle_idx);
	/* The symbolizer owns every sym_module handed out. */
	if (r->sym)
		symbolizer_free(r->sym);
	free(r);
}

/* True when path still holds the file the module was mapped from. */
static bool same_file(const char *path, const struct module *m)
{
	struct stat st;
	return stat(path, &st) == 0 && (uint64_t)st.st_ino == m->ino;
}

static bool handle_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct resolver *r = ctx;
	return r->handles[idx].mod == key;
}

static struct sym_module *open_module(struct resolver *r, struct module *m)
{
	if (m->kind == MODULE_ANON) {
		/* JIT: the pseudo module's inode field holds the pid (resolve_locate). */
		struct sym_source src = { .kind = SYM_JIT, .pid = (pid_t)m->ino };
		return symbolizer_module(r->sym, &src);
	}
	if (m->kind != MODULE_FILE && m->kind != MODULE_VDSO)
		return NULL;
	/* Its build-id names the symbol table: every file with the same one
	 * (copies, containers' own paths, a binary replaced by an equal one)
	 * shares one, however many processes run it (the symbolizer keys its
	 * modules by build-id). The unwinder loaded most already; not in fp
	 * mode. */
	if (m->kind == MODULE_FILE && !m->loaded)
		module_load(m);
	struct sym_source src = {
		.kind = SYM_ELF,
		.path = m->open_path ? m->open_path : m->path,
		.name = m->path,
		.build_id = m->build_id_len ? m->build_id : NULL,
		.build_id_len = m->build_id_len,
	};
	if (m->kind == MODULE_VDSO) {
		module_load(m);
		src.image = m->image;
		src.image_len = m->image_len;
	} else if (m->image && !same_file(src.path, m)) {
		/* Deleted or replaced since it was mapped, and the process (with
		 * its map_files) may be gone: the bytes the unwinder mapped are
		 * the ones that ran. */
		src.image = m->image;
		src.image_len = m->image_len;
	}
	return symbolizer_module(r->sym, &src);
}

int resolve_watch_process(struct resolver *r, pid_t pid)
{
	return symbolizer_watch_process(r->sym, pid);
}

/* The handle of m if it was opened already (*known says whether it was tried). */
static struct sym_module *module_opened(struct resolver *r, struct module *m, bool *known)
{
	if (m->kind == MODULE_KERNEL) {
		*known = r->kernel_tried;
		return r->kernel;
	}
	uint32_t i = itab_find(&r->handle_idx, hash_mix(0x5f, (uint64_t)(uintptr_t)m), handle_eq, r, m);
	*known = i != ITAB_NONE;
	return *known ? r->handles[i].sym : NULL;
}

struct sym_module *resolve_module(struct resolver *r, struct module *m)
{
	if (!m)
		return NULL;
	if (r->quick) {
		bool known;
		return module_opened(r, m, &known);
	}
	if (m->kind == MODULE_KERNEL) {
		if (!r->kernel_tried) {
			struct sym_source src = { .kind = SYM_KERNEL, .path = "[kernel.kallsyms]" };
			r->kernel = symbolizer_module(r->sym, &src);
			r->kernel_tried = true;
		}
		return r->kernel;
	}
	uint64_t h = hash_mix(0x5f, (uint64_t)(uintptr_t)m);
	uint32_t i = itab_find(&r->handle_idx, h, handle_eq, r, m);
	if (i != ITAB_NONE)
		return r->handles[i].sym;
	struct sym_module *sm = open_module(r, m);
	xgrow((void **)&r->handles, &r->caphandles, r->nhandles + 1, sizeof(*r->handles));
	r->handles[r->nhandles] = (struct handle){ m, sm };
	itab_insert(&r->handle_idx, h, (uint32_t)r->nhandles++);
	return sm;
}

struct entry_key {
	const struct module *mod;
	uint64_t addr;
	unsigned kind;
};

static bool entry_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct resolver *r = ctx;
	const struct entry_key *k = key;
	const struct entry *e = r->entries[idx];
	return e->mod == k->mod && e->addr == k->addr && e->kind == k->kind;
}

struct py_key {
	const char *name, *file;
	int line;
};

static bool py_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct resolver *r = ctx;
	const struct py_key *k = key;
	const struct pyframe *f = &r->py[idx];
	return f->line == k->line && strcmp(f->name, k->name) == 0 && strcmp(f->file, k->file) == 0;
}

uint64_t resolve_python_id(struct resolver *r, const char *name, const char *file, int line)
{
	struct py_key k = { name ? name : "?", file ? file : "?", line > 0 ? line : 0 };
	uint64_t h = hash_mix(hash_mix(hash_str(k.name, 0x70), hash_str(k.file, 0x71)), (uint64_t)k.line);
	uint32_t i = itab_find(&r->py_idx, h, py_eq, r, &k);
	if (i != ITAB_NONE)
		return i;
	xgrow((void **)&r->py, &r->cappy, r->npy + 1, sizeof(*r->py));
	r->py[r->npy] = (struct pyframe){ xstrdup(k.name), xstrdup(k.file), k.line, h };
	itab_insert(&r->py_idx, h, (uint32_t)r->npy);
	return r->npy++;
}

/* false when quick and m's handle was never opened: res is the fallback frame. */
static bool fill(struct resolver *r, struct module *m, uint64_t addr, unsigned kind, struct resolved *res, bool quick)
{
	if (kind == RESOLVE_PYTHON) {
		res->nframes = 1;
		res->frames = xcalloc(1, sizeof(*res->frames));
		res->named = addr < r->npy;
		struct profile_frame *f = &res->frames[0];
		f->name = xstrdup(addr < r->npy ? r->py[addr].name : "[unknown python]");
		f->file = addr < r->npy ? xstrdup(r->py[addr].file) : NULL;
		f->line = addr < r->npy ? (uint32_t)r->py[addr].line : 0;
		f->kind = FRAME_PYTHON;
		f->module = -1;
		return true;
	}
	if (kind == RESOLVE_STATE) {
		res->nframes = 1;
		res->frames = xcalloc(1, sizeof(*res->frames));
		enum sample_state st;
		int nr;
		char name[48];
		offcpu_state_decode(addr, &st, &nr);
		res->frames[0].name = xstrdup(offcpu_state_name(st, nr, name, sizeof(name)));
		res->frames[0].kind = FRAME_STATE;
		res->frames[0].module = -1;
		res->named = true;
		return true;
	}
	if (kind == RESOLVE_KERNEL && !m && addr == 0) {
		/* Time in the kernel whose frames were not asked for (no --kernel). */
		res->nframes = 1;
		res->frames = xcalloc(1, sizeof(*res->frames));
		res->frames[0].name = xstrdup("[kernel]");
		res->frames[0].kind = FRAME_KERNEL;
		res->frames[0].module = -1;
		res->named = true;
		return true;
	}
	struct sym_frame out[RESOLVE_MAX_INLINE];
	int n = 0;
	struct module kmod = { .kind = MODULE_KERNEL };
	struct module *which = kind == RESOLVE_KERNEL && !m ? &kmod : m;
	bool known = true;
	struct sym_module *sm = NULL;
	if (quick && which)
		sm = module_opened(r, which, &known);
	else
		sm = resolve_module(r, which);
	if (sm)
		n = sym_lookup(sm, addr, out, RESOLVE_MAX_INLINE);
	/* A lookup that found no name at all counts as unknown. */
	if (n > 0 && !(out[n - 1].function || out[n - 1].raw))
		n = 0;
	if (n < 0)
		n = 0;
	uint8_t fkind = kind == RESOLVE_KERNEL ? FRAME_KERNEL : m && m->kind == MODULE_ANON ? FRAME_JIT : FRAME_USER;
	res->named = n > 0;
	res->nframes = (uint32_t)(n ? n : 1);
	res->frames = xcalloc(res->nframes, sizeof(*res->frames));
	if (!n) {
		struct profile_frame *f = &res->frames[0];
		uint64_t start;
		const char *plt = NULL;
		/* Stripped code: the function's start from its unwind entry, so
		 * every address of one function is one frame; a PLT stub by the
		 * function it calls. */
		if (sm && (plt = sym_lookup_plt(sm, addr)))
			f->name = xstrdup(plt);
		else if (m && (m->kind == MODULE_FILE || m->kind == MODULE_VDSO) && sm && sym_lookup_fde(sm, addr, &start) == 0)
			f->name = xasprintf("%s+0x%llx", base_name(m->path), (unsigned long long)start);
		else if (m && (m->kind == MODULE_FILE || m->kind == MODULE_VDSO))
			f->name = xasprintf("%s+0x%llx", base_name(m->path), (unsigned long long)addr);
		else
			f->name = xstrdup("[unknown]");
		f->kind = fkind;
		f->address = addr;
		f->module = -1;
		return known;
	}
	for (int i = 0; i < n; i++) {
		struct profile_frame *f = &res->frames[i];
		f->name = xstrdup(out[i].function ? out[i].function : out[i].raw ? out[i].raw : "[unknown]");
		f->system_name = out[i].raw ? xstrdup(out[i].raw) : NULL;
		f->file = out[i].file ? xstrdup(out[i].file) : NULL;
		f->line = out[i].line;
		f->column = out[i].column;
		f->kind = fkind;
		f->inlined = i + 1 < n;
		f->address = addr;
		f->module = -1;
	}
	return true;
}

void resolve_begin(struct resolver *r, bool (*cancel)(void *arg), void *arg)
{
	r->cancel = cancel;
	r->cancel_arg = arg;
	r->quick = false;
	r->unnamed = 0;
}

uint64_t resolve_end(struct resolver *r)
{
	uint64_t n = r->unnamed;
	resolve_begin(r, NULL, NULL);
	return n;
}

const struct resolved *resolve_frame(struct resolver *r, struct module *m, uint64_t addr, unsigned kind)
{
	struct entry_key k = { m, addr, kind };
	uint64_t h = hash_mix(hash_mix(hash_mix(0x5e, (uint64_t)(uintptr_t)m), addr), kind);
	uint32_t i = itab_find(&r->entry_idx, h, entry_eq, r, &k);
	if (i != ITAB_NONE)
		return &r->entries[i]->res;
	if (!r->quick && r->cancel && r->cancel(r->cancel_arg))
		r->quick = true;
	if (r->quick) {
		resolved_release(&r->scratch);
		if (!fill(r, m, addr, kind, &r->scratch, true)) {
			r->unnamed++;
			return &r->scratch;
		}
		resolved_release(&r->scratch);
	}
	struct entry *e = xcalloc(1, sizeof(*e));
	e->mod = m;
	e->addr = addr;
	e->kind = kind;
	fill(r, m, addr, kind, &e->res, r->quick);
	xgrow((void **)&r->entries, &r->capentries, r->nentries + 1, sizeof(*r->entries));
	r->entries[r->nentries] = e;
	itab_insert(&r->entry_idx, h, (uint32_t)r->nentries++);
	return &e->res;
}

int resolve_locate(struct module_set *ms, const struct maps *maps, uint64_t addr, struct module **mod,
		   uint64_t *vaddr)
{
	if (maps_resolve(maps, addr, mod, vaddr) == 0)
		return 0;
	*mod = NULL;
	*vaddr = addr;
	/* Anonymous executable memory is JIT code: one pseudo module per
	 * process, named by its perf map, addresses absolute. */
	const struct map_entry *e = maps_find(maps, addr);
	if (!e || e->module || !(e->prot & MAPS_PROT_EXEC) || !ms) {
		errno = ENOENT;
		return -ENOENT;
	}
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)maps->pid);
	*mod = module_set_get(ms, path, 0, (uint64_t)maps->pid, MODULE_ANON, NULL);
	return 0;
}
