#include "formats/report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "formats/escape.h"
#include "formats/stacks.h"

void report_unit(const struct profile *p, struct strbuf *out)
{
	if (p->meta.unit && *p->meta.unit)
		escape_text(out, p->meta.unit);
	else
		strbuf_adds(out, p->total == 1 ? "sample" : "samples");
}

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
	/* Units follow the input: samples (and the time they stand for, when
	 * the period is known), or the events a count sums (perf script's
	 * page-faults weighted by their periods). */
	strbuf_addf(out, "%llu ", (unsigned long long)p->total);
	report_unit(p, out);
	uint64_t samples = 0;
	for (size_t i = 0; i < p->nthreads; i++)
		samples += p->threads[i].samples;
	if (!p->meta.unit && p->meta.duration_ns && p->total)
		strbuf_addf(out, ", %.0f samples/s", (double)p->total * 1e9 / (double)p->meta.duration_ns);
	if (p->meta.freq)
		strbuf_addf(out, " at %u Hz", p->meta.freq);
	if (p->nthreads > 1)
		strbuf_addf(out, ", %zu threads", p->nthreads);
	if (p->meta.lost)
		strbuf_addf(out, ", %llu lost", (unsigned long long)p->meta.lost);
	if (!p->meta.unit && p->meta.period_ns && p->total) {
		bool wall = p->meta.mode && strcmp(p->meta.mode, "wall") == 0;
		double t = (double)p->total * (double)p->meta.period_ns / 1e9;
		strbuf_addf(out, "; %.*f s of %s sampled", t < 10 ? 3 : 2, t, wall ? "thread time" : "CPU");
	}
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
	strbuf_addf(out, "%zu function%s without a symbol show%s as module+0xSTART:", total, total == 1 ? "" : "s",
		    total == 1 ? "s" : "");
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
		strbuf_adds(out, "; debug files with their build-ids would name them (e.g. /usr/lib/debug/.build-id/");
		strbuf_add(out, first_id->build_id, 2);
		strbuf_addf(out, "/%s.debug, from a -dbgsym or -dbg package", first_id->build_id + 2);
		if (libc)
			strbuf_adds(out, "; libc6-dbg for the C library");
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


/* Columns a terminal gives an escaped name: one per UTF-8 character
 * (escape_text leaves nothing else but printable ASCII). */
size_t report_columns(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void pad(FILE *out, const char *s, size_t width)
{
	fputs(s, out);
	for (size_t w = report_columns(s); w < width; w++)
		fputc(' ', out);
}

/* Template arguments (the part between a balanced top-level '<' and its
 * '>') become "<...>"; false when the brackets do not balance (operator<). */
static bool drop_templates(const char *in, struct strbuf *out)
{
	int depth = 0;
	for (const char *c = in; *c; c++) {
		if (*c == '<') {
			if (depth++ == 0)
				strbuf_adds(out, "<...");
		} else if (*c == '>') {
			if (--depth < 0)
				return false;
			if (depth == 0)
				strbuf_addc(out, '>');
		} else if (depth == 0) {
			strbuf_addc(out, *c);
		}
	}
	return depth == 0;
}

/* The last top-level parameter list "(...)" of a demangled name, kept as
 * "(...)": false when there is none. */
static bool drop_params(const char *in, struct strbuf *out)
{
	size_t n = strlen(in);
	if (!n || in[n - 1] != ')')
		return false;
	int depth = 0;
	for (size_t i = n; i-- > 0;) {
		if (in[i] == ')')
			depth++;
		else if (in[i] == '(' && --depth == 0) {
			if (i == 0)
				return false;
			strbuf_add(out, in, i);
			strbuf_adds(out, "(...)");
			return true;
		}
	}
	return false;
}

void report_shorten(const char *name, size_t max, struct strbuf *out)
{
	struct strbuf a, b;
	strbuf_init(&a);
	strbuf_init(&b);
	strbuf_adds(&a, name);
	/* Most informative first: the class and function names stay, their
	 * template arguments go, then the parameter types, then the middle. */
	if (report_columns(a.buf) > max && drop_templates(a.buf, &b)) {
		strbuf_reset(&a);
		strbuf_adds(&a, b.buf);
	}
	strbuf_reset(&b);
	if (report_columns(a.buf) > max && drop_params(a.buf, &b)) {
		strbuf_reset(&a);
		strbuf_adds(&a, b.buf);
	}
	size_t cols = report_columns(a.buf);
	if (cols <= max || max < 8) {
		strbuf_adds(out, a.buf);
	} else {
		/* Head and tail, on UTF-8 boundaries, around "...". */
		size_t head = (max - 3) / 2, tail = max - 3 - head, col = 0;
		const char *c = a.buf;
		for (; *c && col < head; col++)
			do
				strbuf_addc(out, *c++);
			while (*c && ((unsigned char)*c & 0xc0) == 0x80);
		strbuf_adds(out, "...");
		size_t skip = cols - head - tail;
		for (size_t k = 0; k < skip && *c; k++)
			do
				c++;
			while (*c && ((unsigned char)*c & 0xc0) == 0x80);
		strbuf_adds(out, c);
	}
	strbuf_release(&a);
	strbuf_release(&b);
}

static void table(const struct fold *s, FILE *out, const char *title, const uint64_t *key,
		  const uint64_t *self, const uint64_t *total, int top)
{
	const struct profile *p = s->p;
	uint32_t *order = xmalloc((p->nframes + 1) * sizeof(*order));
	size_t n = 0;
	for (size_t f = 0; f < p->nframes; f++)
		if (key[f] && p->frames[f].kind != FRAME_THREAD && p->frames[f].kind != FRAME_PROCESS)
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
	/* Columns that hold whatever the rows bring: numbers as wide as the
	 * largest (event counts run to billions), names as wide as the widest
	 * shown, up to NAME_COLS; a longer one (C++ templates) is shortened. */
	size_t rows = n < (size_t)top ? n : (size_t)top;
	int nw = 9;
	for (uint64_t v = p->total; v >= 1000000000ull && nw < 20; v /= 10)
		nw++;
	char **shown = xcalloc(rows + 1, sizeof(*shown));
	size_t width = REPORT_NAME_MIN;
	struct strbuf raw, name, where;
	strbuf_init(&raw);
	strbuf_init(&name);
	strbuf_init(&where);
	for (size_t i = 0; i < rows; i++) {
		uint32_t f = order[i];
		strbuf_reset(&raw);
		strbuf_reset(&name);
		stacks_label(s, f, false, &raw);
		escape_text(&name, raw.buf);
		const char *mark = "";
		if (p->frames[f].inlined)
			mark = " [inlined]";
		else if (p->frames[f].kind == FRAME_KERNEL && strcmp(raw.buf, "[kernel]") != 0)
			mark = " [kernel]";
		else if (p->frames[f].kind == FRAME_JIT)
			mark = " [jit]";
		else if (p->frames[f].kind == FRAME_PYTHON)
			mark = " [py]";
		strbuf_reset(&raw);
		report_shorten(name.buf, REPORT_NAME_MAX - strlen(mark), &raw);
		strbuf_adds(&raw, mark);
		shown[i] = xstrdup(raw.buf);
		size_t w = report_columns(shown[i]);
		if (w > width)
			width = w;
	}
	fprintf(out, "\n%s\n%7s %*s %7s %*s  ", title, "self%", nw, "self", "total%", nw, "total");
	pad(out, "function", width);
	fprintf(out, " where\n");
	for (size_t i = 0; i < rows; i++) {
		uint32_t f = order[i];
		strbuf_reset(&raw);
		strbuf_reset(&where);
		stacks_where(s, f, &raw);
		escape_text(&where, raw.buf);
		fprintf(out, "%6.2f%% %*llu %6.2f%% %*llu  ", share(self[f], p->total), nw,
			(unsigned long long)self[f], share(total[f], p->total), nw, (unsigned long long)total[f]);
		pad(out, shown[i], width);
		fprintf(out, " %s\n", where.buf);
		free(shown[i]);
	}
	free(shown);
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
		fprintf(out, "note: %llu sample%s had an incomplete stack (unwind stopped early or stack copy too short)\n",
			(unsigned long long)(src->meta.partial + src->meta.truncated),
			src->meta.partial + src->meta.truncated == 1 ? "" : "s");
	struct strbuf un;
	strbuf_init(&un);
	if (report_unnamed_note(src, &un))
		fprintf(out, "note: %s\n", un.buf);
	strbuf_release(&un);
	if (!s.p->total) {
		fprintf(out, "no samples\n");
	} else {
		/* Counts of something other than samples say what they count. */
		struct strbuf t1, t2;
		strbuf_init(&t1);
		strbuf_init(&t2);
		strbuf_adds(&t1, "top functions by self");
		strbuf_adds(&t2, "top functions by total");
		if (src->meta.unit && *src->meta.unit) {
			strbuf_adds(&t1, " (");
			report_unit(src, &t1);
			strbuf_adds(&t1, ")");
			strbuf_adds(&t2, " (");
			report_unit(src, &t2);
			strbuf_adds(&t2, ")");
		}
		table(&s, out, t1.buf, self, self, total, top);
		table(&s, out, t2.buf, total, self, total, top);
		strbuf_release(&t1);
		strbuf_release(&t2);
	}
	fold_release(&s);
	return ferror(out) ? -EIO : 0;
}
