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
	strbuf_adds(out, name);
	if (s->lines && f->kind != FRAME_THREAD && f->kind != FRAME_PROCESS && f->kind != FRAME_STATE) {
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
