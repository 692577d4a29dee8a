#include "formats/report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "formats/escape.h"
#include "formats/stacks.h"

void report_summary(const struct profile *p, struct strbuf *out)
{
	size_t start = out->len;
	if (p->meta.command)
		escape_text(out, p->meta.command);
	if (p->meta.pid)
		strbuf_addf(out, "%s(pid %d)", out->len > start ? " " : "", p->meta.pid);
	if (out->len > start)
		strbuf_adds(out, ", ");
	if (p->meta.duration_ns)
		strbuf_addf(out, "%.2f s, ", (double)p->meta.duration_ns / 1e9);
	strbuf_addf(out, "%llu samples", (unsigned long long)p->total);
	uint64_t samples = 0;
	for (size_t i = 0; i < p->nthreads; i++)
		samples += p->threads[i].samples;
	if (p->meta.duration_ns && p->total)
		strbuf_addf(out, ", %.0f samples/s", (double)p->total * 1e9 / (double)p->meta.duration_ns);
	if (p->meta.freq)
		strbuf_addf(out, " at %u Hz", p->meta.freq);
	if (p->nthreads > 1)
		strbuf_addf(out, ", %zu threads", p->nthreads);
	if (p->meta.lost)
		strbuf_addf(out, ", %llu lost", (unsigned long long)p->meta.lost);
	(void)samples;
}

/* A frame named "module+0xSTART" by the resolver because no symbol covers
 * it (stripped code, named by its unwind entry's start). */
static bool unnamed_frame(const struct profile *p, const struct profile_frame *f)
{
	if (f->kind != FRAME_USER || f->system_name || f->file || !f->name || f->module < 0 ||
	    (size_t)f->module >= p->nmodules || p->modules[f->module].kernel || !p->modules[f->module].path)
		return false;
	const char *b = base_name(p->modules[f->module].path);
	size_t n = strlen(b);
	return strncmp(f->name, b, n) == 0 && strncmp(f->name + n, "+0x", 3) == 0 && f->name[n + 3] &&
	       strspn(f->name + n + 3, "0123456789abcdef") == strlen(f->name + n + 3);
}

struct unnamed {
	int32_t module;
	const char *name;
};

static int unnamed_cmp(const void *a, const void *b)
{
	const struct unnamed *x = a, *y = b;
	if (x->module != y->module)
		return x->module < y->module ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct per_module {
	int32_t module;
	size_t n;
};

static int per_module_cmp(const void *a, const void *b)
{
	const struct per_module *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->module < y->module ? -1 : x->module > y->module;
}

size_t report_unnamed_note(const struct profile *p, struct strbuf *out)
{
	struct unnamed *v = xmalloc((p->nframes + 1) * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < p->nframes; i++)
		if (unnamed_frame(p, &p->frames[i]))
			v[n++] = (struct unnamed){ p->frames[i].module, p->frames[i].name };
	qsort(v, n, sizeof(*v), unnamed_cmp);
	/* Distinct functions (a frame is one per address), counted per module. */
	struct per_module *pm = xmalloc((n + 1) * sizeof(*pm));
	size_t nm = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && v[i].module == v[i - 1].module && !strcmp(v[i].name, v[i - 1].name))
			continue;
		total++;
		if (nm && pm[nm - 1].module == v[i].module)
			pm[nm - 1].n++;
		else
			pm[nm++] = (struct per_module){ v[i].module, 1 };
	}
	free(v);
	if (!total) {
		free(pm);
		return 0;
	}
	qsort(pm, nm, sizeof(*pm), per_module_cmp);
	strbuf_addf(out, "%zu function%s without a symbol, named by %s start (module+0xSTART):", total,
		    total == 1 ? "" : "s", total == 1 ? "its" : "their");
	bool libc = false, no_id = false;
	const struct profile_module *first_id = NULL;
	for (size_t i = 0; i < nm; i++) {
		const struct profile_module *m = &p->modules[pm[i].module];
		if (i == 3) {
			strbuf_addf(out, ", %zu more module%s", nm - 3, nm - 3 == 1 ? "" : "s");
			break;
		}
		strbuf_addf(out, "%s %zu in ", i ? "," : "", pm[i].n);
		escape_text(out, base_name(m->path));
		const char *b = base_name(m->path);
		libc |= strncmp(b, "libc.so", 7) == 0 || strncmp(b, "libm.so", 7) == 0 ||
			strncmp(b, "ld-linux", 8) == 0;
		if (m->build_id && strlen(m->build_id) > 2 && strspn(m->build_id, "0123456789abcdef") == strlen(m->build_id)) {
			if (!first_id)
				first_id = m;
		} else {
			no_id = true;
		}
	}
	/* What would name them, and only that: a debug file whose build-id
	 * matches (a distribution ships it in a -dbg or -dbgsym package, or
	 * serves it through debuginfod); a file without a build-id can only
	 * be rebuilt unstripped. */
	if (first_id) {
		strbuf_adds(out, "; their debug files would name them (by build-id, e.g. /usr/lib/debug/.build-id/");
		strbuf_add(out, first_id->build_id, 2);
		strbuf_addf(out, "/%s.debug: the package's -dbgsym or -dbg", first_id->build_id + 2);
		if (libc)
			strbuf_adds(out, ", libc6-dbg for the C library");
		strbuf_adds(out, "), as would a debuginfod server that has them (DEBUGINFOD_URLS)");
	}
	if (no_id)
		strbuf_adds(out, "; a module without a build-id must be rebuilt with its symbols");
	free(pm);
	return total;
}

static const uint64_t *sort_key, *sort_other;
static char *const *sort_names;

/* Larger first, then by the other column, then by name: the same profile
 * read from any format gives the same table. */
static int by_key(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (sort_key[x] != sort_key[y])
		return sort_key[x] < sort_key[y] ? 1 : -1;
	if (sort_other[x] != sort_other[y])
		return sort_other[x] < sort_other[y] ? 1 : -1;
	int c = strcmp(sort_names[x], sort_names[y]);
	return c ? c : (x < y ? -1 : x > y);
}

static double share(uint64_t n, uint64_t total)
{
	return total ? 100.0 * (double)n / (double)total : 0.0;
}

static void table(const struct fold *s, FILE *out, const char *title, const uint64_t *key,
		  const uint64_t *self, const uint64_t *total, int top)
{
	const struct profile *p = s->p;
	uint32_t *order = xmalloc((p->nframes + 1) * sizeof(*order));
	size_t n = 0;
	for (size_t f = 0; f < p->nframes; f++)
		if (key[f] && p->frames[f].kind != FRAME_THREAD)
			order[n++] = (uint32_t)f;
	char **names = xcalloc(p->nframes + 1, sizeof(*names));
	struct strbuf nb;
	strbuf_init(&nb);
	for (size_t i = 0; i < n; i++) {
		strbuf_reset(&nb);
		stacks_label(s, order[i], true, &nb);
		names[order[i]] = xstrdup(nb.buf);
	}
	strbuf_release(&nb);
	sort_key = key;
	sort_other = key == self ? total : self;
	sort_names = names;
	qsort(order, n, sizeof(*order), by_key);
	fprintf(out, "\n%s\n%7s %9s %7s %9s  %-40s %s\n", title, "self%", "self", "total%", "total",
		"function", "where");
	struct strbuf raw, name, where;
	strbuf_init(&raw);
	strbuf_init(&name);
	strbuf_init(&where);
	for (size_t i = 0; i < n && i < (size_t)top; i++) {
		uint32_t f = order[i];
		strbuf_reset(&raw);
		strbuf_reset(&name);
		strbuf_reset(&where);
		stacks_label(s, f, false, &raw);
		escape_text(&name, raw.buf);
		if (p->frames[f].inlined)
			strbuf_adds(&name, " [inlined]");
		else if (p->frames[f].kind == FRAME_KERNEL && strcmp(raw.buf, "[kernel]") != 0)
			strbuf_adds(&name, " [kernel]");
		else if (p->frames[f].kind == FRAME_JIT)
			strbuf_adds(&name, " [jit]");
		else if (p->frames[f].kind == FRAME_PYTHON)
			strbuf_adds(&name, " [py]");
		strbuf_reset(&raw);
		stacks_where(s, f, &raw);
		escape_text(&where, raw.buf);
		fprintf(out, "%6.2f%% %9llu %6.2f%% %9llu  %-40s %s\n", share(self[f], p->total),
			(unsigned long long)self[f], share(total[f], p->total),
			(unsigned long long)total[f], name.buf, where.buf);
	}
	strbuf_release(&raw);
	strbuf_release(&name);
	strbuf_release(&where);
	for (size_t i = 0; i < n; i++)
		free(names[order[i]]);
	free(names);
	free(order);
}

int report_write(const struct profile *src, FILE *out, const struct write_opts *o)
{
	struct fold s;
	stacks_init(&s, src, o);
	fold_functions(&s);
	const uint64_t *self = s.fself, *total = s.ftotal;
	int top = o && o->top > 0 ? o->top : 20;
	struct strbuf sum;
	strbuf_init(&sum);
	report_summary(src, &sum);
	fprintf(out, "prowl report: %s\n", sum.buf);
	strbuf_release(&sum);
	if (src->meta.partial || src->meta.truncated)
		fprintf(out, "note: %llu samples had an incomplete stack (unwind stopped early or stack copy too short)\n",
			(unsigned long long)(src->meta.partial + src->meta.truncated));
	struct strbuf un;
	strbuf_init(&un);
	if (report_unnamed_note(src, &un))
		fprintf(out, "note: %s\n", un.buf);
	strbuf_release(&un);
	if (!s.p->total) {
		fprintf(out, "no samples\n");
	} else {
		table(&s, out, "top functions by self", self, self, total, top);
		table(&s, out, "top functions by total", total, self, total, top);
	}
	fold_release(&s);
	return ferror(out) ? -EIO : 0;
}
