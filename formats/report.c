#include "formats/report.h"

#include <errno.h>
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
		else if (p->frames[f].kind == FRAME_KERNEL)
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
	if (!s.p->total) {
		fprintf(out, "no samples\n");
	} else {
		table(&s, out, "top functions by self", self, self, total, top);
		table(&s, out, "top functions by total", total, self, total, top);
	}
	fold_release(&s);
	return ferror(out) ? -EIO : 0;
}
