#include "formats/stacks.h"

#include <stdlib.h>
#include <string.h>

static void setup(struct fold *s, const struct profile *src, const struct write_opts *o, bool private)
{
	struct fold_opts fo = { .tid = FOLD_ALL_THREADS, .private = private };
	if (o && o->lines)
		fo.flags |= PROFILE_FOLD_LINES;
	if (o && o->threads)
		fo.flags |= PROFILE_FOLD_THREADS;
	fold_init(s, src, &fo);
}

void stacks_init(struct fold *s, const struct profile *src, const struct write_opts *o)
{
	setup(s, src, o, false);
}

void stacks_init_private(struct fold *s, const struct profile *src, const struct write_opts *o)
{
	setup(s, src, o, true);
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

void stacks_label(const struct fold *s, uint32_t frame, bool mark, struct strbuf *out)
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
		uint32_t line = fold_line(s, frame);
		if (line)
			strbuf_addf(out, ":%u", line);
	}
	if (mark)
		strbuf_adds(out, stacks_suffix(f));
}

void stacks_where(const struct fold *s, uint32_t frame, struct strbuf *out)
{
	const struct profile_frame *f = &s->p->frames[frame];
	const char *file = fold_file(s, frame);
	uint32_t line = fold_line(s, frame);
	if (file) {
		strbuf_adds(out, file);
		if (line)
			strbuf_addf(out, ":%u", line);
		return;
	}
	if (f->module >= 0 && (size_t)f->module < s->p->nmodules && s->p->modules[f->module].path) {
		strbuf_adds(out, base_name(s->p->modules[f->module].path));
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
