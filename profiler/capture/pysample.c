#include "profiler/capture/pysample.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profiler/base/itab.h"
#include "profiler/base/procstat.h"
#include "profiler/base/util.h"

struct pysample_proc *pysample_new(pid_t pid)
{
	struct pysample_proc *p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->read = python_read_pid;
	p->read_ctx = &p->pid;
	return p;
}

void pysample_set_reader(struct pysample_proc *p, py_read_fn read, void *ctx)
{
	p->read = read;
	p->read_ctx = ctx;
}

void pysample_free(struct pysample_proc *p)
{
	if (!p)
		return;
	python_cache_free(p->cache);
	python_names_release(&p->names);
	free(p->named);
	itab_release(&p->named_index);
	free(p);
}

/* The files that could hold the interpreter: the executable (the lowest file
 * mapping) and any libpython. Detection runs again only when they change. */
static uint64_t files_key(const struct maps *m)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	bool first = true;
	for (size_t i = 0; m && i < m->n; i++) {
		const struct module *mod = m->v[i].module;
		if (!mod || !mod->path)
			continue;
		if (first || strncmp(base_name(mod->path), "libpython", 9) == 0)
			h = hash_mix(h, (uint64_t)(uintptr_t)mod);
		first = false;
	}
	return h;
}

int pysample_detect(struct pysample_proc *p, const struct maps *maps)
{
	if (p->state != PYSAMPLE_UNKNOWN)
		return 0;
	if (maps && p->files_key && maps->generation == p->maps_gen)
		return 0;
	uint64_t key = files_key(maps);
	if (maps)
		p->maps_gen = maps->generation;
	if (maps && key == p->files_key)
		return 0;
	p->files_key = key;
	struct strbuf err;
	strbuf_init(&err);
	int rc = python_detect(p->pid, python_read_pid, &p->pid, &p->target, &err);
	if (rc == 0) {
		p->state = PYSAMPLE_READY;
		p->cache = python_cache_new();
		snprintf(p->message, sizeof(p->message), "python %d.%d.%d (%s)", p->target.major, p->target.minor,
			 p->target.micro, p->target.module);
	} else if (rc == -ENOTSUP) {
		p->state = PYSAMPLE_UNSUPPORTED;
		snprintf(p->message, sizeof(p->message), "%s", err.len ? err.buf : "python not supported: native stacks only");
	}
	strbuf_release(&err);
	return p->state != PYSAMPLE_UNKNOWN;
}

void pysample_release(struct py_sample *s)
{
	python_thread_release(&s->thread);
	free(s->merged);
	memset(s, 0, sizeof(*s));
}

void pysample_move(struct py_sample *dst, struct py_sample *src)
{
	pysample_release(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

int pysample_read(struct pysample_proc *p, pid_t tid, const uint64_t *pcs, size_t n, struct py_sample *out)
{
	pysample_release(out);
	if (p->state != PYSAMPLE_READY) {
		errno = ENOENT;
		return -ENOENT;
	}
	int rc = python_read_thread(&p->target, p->read, p->read_ctx, p->cache, (uint32_t)tid, &out->thread);
	if (rc < 0) {
		if (rc != -ESRCH)
			p->unread++;
		return rc;
	}
	bool *is_eval = xmalloc(n + 1);
	size_t neval = 0;
	for (size_t i = 0; i < n; i++) {
		is_eval[i] = python_is_eval_pc(&p->target, pcs[i] - (i ? 1 : 0));
		neval += is_eval[i];
	}
	if (!out->thread.nframes && !neval) {
		/* A thread state with nothing running (a thread between calls,
		 * or one that only holds a state): nothing to merge. */
		free(is_eval);
		python_thread_release(&out->thread);
		errno = ESRCH;
		return -ESRCH;
	}
	/* Every native frame, and every Python frame, at most once each. */
	size_t cap = n + out->thread.nframes + 1;
	xgrow((void **)&out->merged, &out->cap, cap, sizeof(*out->merged));
	out->nmerged = python_merge(is_eval, n, &out->thread, out->merged, cap, &out->partial);
	free(is_eval);
	/* One native evaluation frame more than Python activations, the
	 * innermost: caught in the evaluator's prologue or epilogue, before it
	 * links its frame or after it unlinked it (every version has that
	 * window; 3.12+ shows a shim on top for part of it). The merge, aligned
	 * from the outermost, is right as it is: the evaluator's own time. */
	size_t nact = python_activations(&out->thread);
	if (out->partial && !out->thread.truncated && neval == nact + 1) {
		out->partial = false;
		out->edge = true;
	}
	out->edge |= out->thread.shim_on_top && !out->partial;
	p->merged++;
	p->mismatched += out->partial;
	p->edges += out->edge;
	return 0;
}

bool pysample_gil_wait(struct pysample_proc *p, long nr, uint64_t uaddr)
{
	if (p->state != PYSAMPLE_READY || nr != 202 /* futex, x86-64 */)
		return false;
	if (!p->gil_tried) {
		/* 3.12+ sets ceval.gil when the interpreter starts: until then, look again. */
		if (python_gil_range(&p->target, p->read, p->read_ctx, &p->gil[0], &p->gil[1]) == 0 ||
		    p->target.minor < 12)
			p->gil_tried = true;
	}
	return uaddr >= p->gil[0] && uaddr < p->gil[1];
}

bool pysample_pid_runs_python(pid_t pid, char *why, size_t len)
{
	struct python_target t;
	struct strbuf err;
	strbuf_init(&err);
	int rc = python_detect(pid, python_read_pid, &pid, &t, &err);
	if (len)
		snprintf(why, len, "%s", rc == -ENOTSUP && err.len ? err.buf : "");
	strbuf_release(&err);
	return rc == 0;
}

/* An ELF file holding the interpreter, or needing a libpython. */
static bool elf_is_python(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool yes = false;
	size_t shstrndx = 0;
	if (e && elf_kind(e) == ELF_K_ELF && elf_getshdrstrndx(e, &shstrndx) == 0) {
		for (Elf_Scn *scn = NULL; !yes && (scn = elf_nextscn(e, scn));) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh))
				continue;
			const char *sname = elf_strptr(e, shstrndx, sh.sh_name);
			if (sname && strcmp(sname, ".PyRuntime") == 0)
				yes = true;
			Elf_Data *d = sh.sh_entsize ? elf_getdata(scn, NULL) : NULL;
			if (!d)
				continue;
			size_t n = sh.sh_size / sh.sh_entsize;
			if (sh.sh_type == SHT_DYNAMIC) {
				for (size_t i = 0; i < n && !yes; i++) {
					GElf_Dyn dyn;
					if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag != DT_NEEDED)
						continue;
					const char *nm = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
					yes = nm && strncmp(nm, "libpython", 9) == 0;
				}
			} else if (sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB) {
				for (size_t i = 0; i < n && !yes; i++) {
					GElf_Sym sym;
					if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
					    !sym.st_value)
						continue;
					const char *nm = elf_strptr(e, sh.sh_link, sym.st_name);
					yes = nm && (strcmp(nm, "_PyRuntime") == 0 || strcmp(nm, "interp_head") == 0);
				}
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return yes;
}

/* name as execvp would find it; false when it is nowhere. */
static bool find_in_path(const char *name, char *out, size_t len)
{
	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) == 0;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		if (snprintf(out, len, "%.*s/%s", (int)n, n ? path : ".", name) < (int)len && access(out, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

bool pysample_command_runs_python(char *const *argv)
{
	if (!argv || !argv[0])
		return false;
	char path[PATH_MAX];
	if (!find_in_path(argv[0], path, sizeof(path)))
		return false;
	/* A script: its interpreter, through "env NAME" too (one level). */
	for (int depth = 0; depth < 2; depth++) {
		char head[256] = "";
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		ssize_t r = read(fd, head, sizeof(head) - 1);
		close(fd);
		if (r < 2 || head[0] != '#' || head[1] != '!')
			break;
		head[r] = 0;
		head[strcspn(head, "\n")] = 0;
		char *interp = head + 2 + strspn(head + 2, " \t");
		char *arg = interp + strcspn(interp, " \t");
		if (*arg)
			*arg++ = 0;
		arg += strspn(arg, " \t");
		arg[strcspn(arg, " \t")] = 0;
		if (strcmp(base_name(interp), "env") == 0 && *arg) {
			if (!find_in_path(arg, path, sizeof(path)))
				return false;
		} else {
			snprintf(path, sizeof(path), "%s", interp);
		}
	}
	return elf_is_python(path);
}

bool pysample_exe_runs_python(struct pysample_exe_cache *c, pid_t pid, char *name, size_t len)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st))
		return false; /* gone, or not ours to see */
	size_t n = sizeof(c->seen) / sizeof(c->seen[0]);
	bool yes = false, known = false;
	for (size_t i = 0; i < n && !known; i++)
		if (c->seen[i].ino == (uint64_t)st.st_ino && c->seen[i].dev == (uint64_t)st.st_dev) {
			known = true;
			yes = c->seen[i].python;
		}
	if (!known) {
		/* Through the link: the file itself even where its path does not
		 * resolve here (another mount namespace, deleted). */
		yes = elf_is_python(path);
		c->seen[c->next % n].dev = (uint64_t)st.st_dev;
		c->seen[c->next % n].ino = (uint64_t)st.st_ino;
		c->seen[c->next % n].python = yes;
		c->next++;
	}
	if (yes && len) {
		char exe[PATH_MAX];
		ssize_t r = readlink(path, exe, sizeof(exe) - 1);
		exe[r > 0 ? r : 0] = 0;
		snprintf(name, len, "%s", r > 0 ? base_name(exe) : "python");
	}
	return yes;
}

static bool named_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct pysample_proc *p = ctx;
	return p->named[idx].tid == *(const uint32_t *)key;
}

/* Whether the main thread's name is still what exec made it (the file's
 * basename; a script's when run through "#!"): a program that renamed its
 * main thread (prctl, setproctitle) chose that name. */
static bool exec_named(struct pysample_proc *p, const char *comm)
{
	if (!p->exec_known) {
		p->exec_known = true;
		char path[64], exe[4096];
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)p->pid);
		ssize_t n = readlink(path, exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = 0;
			snprintf(p->exec_names[0], sizeof(p->exec_names[0]), "%s", base_name(exe));
		}
		char *cmd = procstat_cmdline(p->pid);
		char *word = cmd, *save = NULL;
		for (int i = 1; i < 3 && (word = strtok_r(i == 1 ? cmd : NULL, " ", &save)); i++)
			snprintf(p->exec_names[i], sizeof(p->exec_names[i]), "%s", base_name(word));
		free(cmd);
	}
	for (int i = 0; i < 3; i++)
		if (p->exec_names[i][0] && strncmp(p->exec_names[i], comm, 15) == 0)
			return true;
	return false;
}

/* Drops a UTF-8 sequence left incomplete at the end of s (a name cut to
 * fit), so that what is shown stays valid UTF-8. */
static void utf8_cut(char *s)
{
	size_t n = strlen(s), i = n, cont = 0;
	while (i > 0 && cont < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
		i--;
		cont++;
	}
	if (i == 0 || cont >= 4)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t want = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
	if (lead >= 0xc0 && cont < want)
		s[i - 1] = 0;
}

const char *pysample_thread_name(struct pysample_proc *p, pid_t tid, const char *os_name, const char *main_name)
{
	if (p->state != PYSAMPLE_READY || tid <= 0)
		return NULL;
	uint32_t key = (uint32_t)tid;
	uint64_t h = hash_mix(0, key);
	uint32_t i = itab_find(&p->named_index, h, named_eq, p, &key);
	bool fresh = i == ITAB_NONE;
	if (fresh) {
		if (p->nnamed >= PY_MAX_THREADS * 4u)
			return NULL; /* a process churning threads: no early reads past this */
		xgrow((void **)&p->named, &p->named_cap, p->nnamed + 1, sizeof(*p->named));
		i = (uint32_t)p->nnamed++;
		p->named[i].tid = key;
		p->named[i].name[0] = 0;
		itab_insert(&p->named_index, h, i);
	}
	struct pysample_named *nd = &p->named[i];
	if (strcmp(os_name, main_name) != 0 || (tid == p->pid && !exec_named(p, os_name))) {
		nd->name[0] = 0; /* the OS name is the thread's own: it is what the caller reports */
		return NULL;
	}
	uint64_t now = now_ns();
	size_t at = p->names.n;
	for (size_t j = 0; j < p->names.n && at == p->names.n; j++)
		if (p->names.v[j].tid == key)
			at = j;
	/* A new thread the last read did not see is read for at once: its
	 * first samples get its name. */
	if (!p->name_reads || now - p->names_ns >= PYSAMPLE_NAME_PERIOD_NS || (fresh && at == p->names.n)) {
		struct py_names n;
		p->names_ns = now;
		p->name_reads++;
		if (python_read_names(&p->target, p->read, p->read_ctx, &p->names_hint, &n) == 0) {
			python_names_release(&p->names);
			p->names = n;
		}
		at = p->names.n;
		for (size_t j = 0; j < p->names.n && at == p->names.n; j++)
			if (p->names.v[j].tid == key)
				at = j;
	}
	if (at == p->names.n)
		return NULL;
	const char *name = p->names.v[at].name;
	if (!name[0] || strncmp(nd->name, name, sizeof(nd->name) - 1) == 0)
		return NULL;
	snprintf(nd->name, sizeof(nd->name), "%s", name);
	utf8_cut(nd->name);
	return nd->name;
}
