#include "formats/stacks.h"

#include <stdlib.h>
#include <string.h>

/*
 * Folding drops file and line unless --lines; tooltips and the report still
 * want to say where a function lives, so each folded frame gets the file of
 * its source frames and the smallest line seen (closest to the function's
 * start). Looking a source frame up in the folded profile is interning the
 * same key profile_fold() interned, which finds the existing frame.
 */
static void attach_sources(struct stacks *s, const struct profile *src, unsigned flags)
{
	struct profile *q = s->p;
	size_t n = q->nframes;
	s->file = xcalloc(n + 1, sizeof(*s->file));
	s->line = xcalloc(n + 1, sizeof(*s->line));
	s->nfile = n;
	for (size_t i = 0; i < src->nframes; i++) {
		const struct profile_frame *f = &src->frames[i];
		struct profile_frame g = {
			.name = f->name,
			.module = f->module,
			.kind = f->kind,
			.inlined = f->inlined,
		};
		if (flags & PROFILE_FOLD_LINES) {
			g.file = f->file;
			g.line = f->line;
		}
		uint32_t k = profile_frame_intern(q, &g);
		if (k >= n)
			continue; /* fold did not keep this key: nothing to attach */
		if (!s->file[k] && f->file)
			s->file[k] = q->frames[k].file ? q->frames[k].file : f->file;
		if (f->line && (!s->line[k] || f->line < s->line[k]))
			s->line[k] = f->line;
	}
	for (size_t k = 0; k < n; k++) {
		if (q->frames[k].file)
			s->file[k] = q->frames[k].file;
		if (q->frames[k].line)
			s->line[k] = q->frames[k].line;
	}
}

/* attach_sources borrowed from src, which may go away before the view. */
static void own_sources(struct stacks *s)
{
	for (size_t k = 0; k < s->nfile; k++)
		if (s->file[k])
			s->file[k] = xstrdup(s->file[k]);
}

/* Profiles read from folded text or perf script are function-level already:
 * folding them would copy a million nodes to get the same tree back. */
static bool fold_is_identity(const struct profile *src, unsigned flags)
{
	if (flags & PROFILE_FOLD_THREADS)
		return false;
	for (size_t i = 0; i < src->nframes; i++) {
		const struct profile_frame *f = &src->frames[i];
		if (f->address || f->system_name || f->column)
			return false;
		if (!(flags & PROFILE_FOLD_LINES) && (f->file || f->line))
			return false;
	}
	return true;
}

static void setup(struct stacks *s, const struct profile *src, const struct write_opts *o, bool private)
{
	memset(s, 0, sizeof(*s));
	unsigned flags = 0;
	if (o && o->lines)
		flags |= PROFILE_FOLD_LINES;
	if (o && o->threads)
		flags |= PROFILE_FOLD_THREADS;
	s->lines = o && o->lines;
	if (!private && fold_is_identity(src, flags)) {
		s->p = (struct profile *)src; /* only read: see stacks.h */
		s->borrowed = true;
		s->nfile = src->nframes;
		s->file = xcalloc(s->nfile + 1, sizeof(*s->file));
		s->line = xcalloc(s->nfile + 1, sizeof(*s->line));
		for (size_t k = 0; k < s->nfile; k++) {
			s->file[k] = src->frames[k].file;
			s->line[k] = src->frames[k].line;
		}
	} else {
		s->p = profile_fold(src, flags);
		attach_sources(s, src, flags);
	}
	own_sources(s);
	stacks_recount(s);
}

void stacks_init(struct stacks *s, const struct profile *src, const struct write_opts *o)
{
	setup(s, src, o, false);
}

void stacks_init_private(struct stacks *s, const struct profile *src, const struct write_opts *o)
{
	setup(s, src, o, true);
}

void stacks_recount(struct stacks *s)
{
	struct profile *p = s->p;
	free(s->self);
	free(s->total);
	s->self = xcalloc(p->nnodes + 1, sizeof(*s->self));
	s->total = xcalloc(p->nnodes + 1, sizeof(*s->total));
	for (size_t i = 0; i < p->ncounts; i++)
		if (p->counts[i].node < p->nnodes)
			s->self[p->counts[i].node] += p->counts[i].count;
	/* Children are always created after their parent, so one backward pass sums. */
	for (size_t n = p->nnodes; n-- > 0;) {
		s->total[n] += s->self[n];
		if (n != PROFILE_ROOT)
			s->total[p->nodes[n].parent] += s->total[n];
	}
}

void stacks_release(struct stacks *s)
{
	if (s->p && s->file)
		for (size_t k = 0; k < s->nfile; k++)
			free(s->file[k]);
	free(s->file);
	free(s->line);
	free(s->self);
	free(s->total);
	if (!s->borrowed)
		profile_free(s->p);
	memset(s, 0, sizeof(*s));
}

const char *stacks_suffix(const struct profile_frame *f)
{
	/* The order stackcollapse-perf.pl gives them: an inlined frame is _[i]
	 * even in the kernel. */
	if (f->inlined)
		return "_[i]";
	if (f->kind == FRAME_KERNEL)
		return "_[k]";
	if (f->kind == FRAME_JIT)
		return "_[j]";
	return "";
}

void stacks_label(const struct stacks *s, uint32_t frame, bool mark, struct strbuf *out)
{
	const struct profile_frame *f = &s->p->frames[frame];
	const char *name = f->name ? f->name : "[unknown]";
	size_t start = out->len;
	strbuf_adds(out, name);
	for (size_t i = start; i < out->len; i++) {
		char c = out->buf[i];
		if (c == ';')
			out->buf[i] = ':';
		else if (c == '\n' || c == '\r')
			out->buf[i] = ' ';
	}
	if (s->lines && f->kind != FRAME_THREAD && f->kind != FRAME_STATE) {
		uint32_t line = f->line ? f->line : frame < s->nfile ? s->line[frame] : 0;
		if (line)
			strbuf_addf(out, ":%u", line);
	}
	if (mark)
		strbuf_adds(out, stacks_suffix(f));
}

void stacks_children(const struct profile *p, uint32_t **child, uint32_t **next)
{
	uint32_t *c = xmalloc((p->nnodes + 1) * sizeof(*c));
	uint32_t *nx = xmalloc((p->nnodes + 1) * sizeof(*nx));
	memset(c, 0xff, (p->nnodes + 1) * sizeof(*c));
	memset(nx, 0xff, (p->nnodes + 1) * sizeof(*nx));
	/* Walk backwards so each list ends up in creation order. */
	for (size_t n = p->nnodes; n-- > 1;) {
		uint32_t par = p->nodes[n].parent;
		nx[n] = c[par];
		c[par] = (uint32_t)n;
	}
	*child = c;
	*next = nx;
}

void stacks_functions(const struct stacks *s, uint64_t **self_out, uint64_t **total_out)
{
	const struct profile *p = s->p;
	uint64_t *self = xcalloc(p->nframes + 1, sizeof(*self));
	uint64_t *total = xcalloc(p->nframes + 1, sizeof(*total));
	/* stamp[f] = the last leaf that counted f, so recursion counts once. */
	uint32_t *stamp = xmalloc((p->nframes + 1) * sizeof(*stamp));
	memset(stamp, 0xff, (p->nframes + 1) * sizeof(*stamp));
	for (size_t n = 1; n < p->nnodes; n++) {
		uint64_t c = s->self[n];
		if (!c)
			continue;
		self[p->nodes[n].frame] += c;
		for (uint32_t m = (uint32_t)n; m != PROFILE_ROOT; m = p->nodes[m].parent) {
			uint32_t f = p->nodes[m].frame;
			if (stamp[f] == n)
				continue;
			stamp[f] = (uint32_t)n;
			total[f] += c;
		}
	}
	free(stamp);
	*self_out = self;
	*total_out = total;
}

void stacks_where(const struct stacks *s, uint32_t frame, struct strbuf *out)
{
	const struct profile_frame *f = &s->p->frames[frame];
	const char *file = f->file ? f->file : frame < s->nfile ? s->file[frame] : NULL;
	uint32_t line = f->line ? f->line : frame < s->nfile ? s->line[frame] : 0;
	if (file) {
		strbuf_adds(out, file);
		if (line)
			strbuf_addf(out, ":%u", line);
		return;
	}
	if (f->module >= 0 && (size_t)f->module < s->p->nmodules && s->p->modules[f->module].path) {
		const char *m = s->p->modules[f->module].path;
		const char *b = strrchr(m, '/');
		strbuf_adds(out, b ? b + 1 : m);
	}
}

size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned min;
	unsigned cp;
	if ((c & 0xe0) == 0xc0)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

void xml_escape(struct strbuf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	while (*s) {
		size_t n = utf8_len(s);
		if (!n) {
			strbuf_addc(out, '?');
			s++;
			continue;
		}
		if (n > 1) {
			strbuf_add(out, s, n);
			s += n;
			continue;
		}
		switch (*s) {
		case '&': strbuf_adds(out, "&amp;"); break;
		case '<': strbuf_adds(out, "&lt;"); break;
		case '>': strbuf_adds(out, "&gt;"); break;
		case '"': strbuf_adds(out, "&quot;"); break;
		case '\'': strbuf_adds(out, "&#39;"); break;
		case '\n': strbuf_adds(out, "&#10;"); break;
		default:
			strbuf_addc(out, *s < 0x20 || *s == 0x7f ? '?' : (char)*s);
		}
		s++;
	}
}

void json_escape(struct strbuf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	while (*s) {
		size_t n = utf8_len(s);
		if (!n) {
			strbuf_adds(out, "\\ufffd");
			s++;
			continue;
		}
		if (n > 1) {
			strbuf_add(out, s, n);
			s += n;
			continue;
		}
		if (*s == '"' || *s == '\\')
			strbuf_addc(out, '\\'), strbuf_addc(out, (char)*s);
		else if (*s < 0x20)
			strbuf_addf(out, "\\u%04x", *s);
		else
			strbuf_addc(out, (char)*s);
		s++;
	}
}
