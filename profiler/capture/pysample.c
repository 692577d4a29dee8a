#include "profiler/capture/pysample.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/itab.h"
#include "profiler/base/util.h"

struct pysample_proc *pysample_new(pid_t pid)
{
	struct pysample_proc *p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	return p;
}

void pysample_free(struct pysample_proc *p)
{
	if (!p)
		return;
	python_cache_free(p->cache);
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
	uint64_t key = files_key(maps);
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
	int rc = python_read_thread(&p->target, python_read_pid, &p->pid, p->cache, (uint32_t)tid, &out->thread);
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
	p->merged++;
	p->mismatched += out->partial;
	return 0;
}
