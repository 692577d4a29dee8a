#include "formats/dump.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "formats/stacks.h"
#include "profiler/base/util.h"

void dump_text_escape(struct strbuf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	while (*s) {
		size_t n = utf8_len(s);
		if (n > 1) {
			strbuf_add(out, s, n);
			s += n;
		} else if (n == 1 && *s >= 0x20 && *s != 0x7f) {
			strbuf_addc(out, (char)*s++);
		} else {
			strbuf_addf(out, "\\x%02x", *s++);
		}
	}
}

static int finish(FILE *out)
{
	if (fflush(out) != 0 || ferror(out)) {
		int e = errno ? errno : EIO;
		errno = e;
		return -e;
	}
	return 0;
}

int dump_write_text(FILE *out, const struct dump_doc *d)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addf(&sb, "process %d", d->pid);
	if (d->command) {
		strbuf_addc(&sb, ' ');
		dump_text_escape(&sb, d->command);
	}
	strbuf_addc(&sb, '\n');
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct dump_thread *t = &d->threads[i];
		strbuf_addf(&sb, "\nthread %d \"", t->tid);
		dump_text_escape(&sb, t->name);
		strbuf_addf(&sb, "\" %s\n", t->state_label);
		if (t->error) {
			strbuf_adds(&sb, "  (stack not read: ");
			dump_text_escape(&sb, t->error);
			strbuf_adds(&sb, ")\n");
		}
		for (size_t j = 0; j < t->nframes; j++) {
			const struct dump_frame *f = &t->frames[j];
			strbuf_addf(&sb, "  #%-3zu 0x%016" PRIx64 " ", j, f->address);
			dump_text_escape(&sb, f->name);
			if (f->named) {
				if (f->file) {
					strbuf_adds(&sb, " at ");
					dump_text_escape(&sb, f->file);
					if (f->line)
						strbuf_addf(&sb, ":%u", f->line);
				}
				if (f->inlined)
					strbuf_adds(&sb, " [inlined]");
				if (f->module) {
					strbuf_adds(&sb, " (");
					dump_text_escape(&sb, base_name(f->module));
					strbuf_addc(&sb, ')');
				}
			}
			strbuf_addc(&sb, '\n');
		}
		if (!t->error && t->incomplete) {
			strbuf_adds(&sb, "  (stack incomplete: ");
			dump_text_escape(&sb, t->incomplete);
			strbuf_adds(&sb, ")\n");
		}
		fwrite(sb.buf, 1, sb.len, out);
		strbuf_reset(&sb);
	}
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
	return finish(out);
}

static void jstr(struct strbuf *sb, const char *s)
{
	if (!s) {
		strbuf_adds(sb, "null");
		return;
	}
	strbuf_addc(sb, '"');
	json_escape(sb, s);
	strbuf_addc(sb, '"');
}

int dump_write_json(FILE *out, const struct dump_doc *d)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addf(&sb, "{\"pid\":%d,\"command\":", d->pid);
	jstr(&sb, d->command);
	strbuf_adds(&sb, ",\"threads\":[");
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct dump_thread *t = &d->threads[i];
		strbuf_addf(&sb, "%s\n{\"tid\":%d,\"name\":", i ? "," : "", t->tid);
		jstr(&sb, t->name ? t->name : "");
		char st[2] = { t->state ? t->state : '?', 0 };
		strbuf_adds(&sb, ",\"state\":");
		jstr(&sb, st);
		strbuf_adds(&sb, ",\"state_label\":");
		jstr(&sb, t->state_label);
		if (t->error) {
			strbuf_adds(&sb, ",\"error\":");
			jstr(&sb, t->error);
		}
		strbuf_addf(&sb, ",\"complete\":%s,\"frames\":[", t->incomplete ? "false" : "true");
		for (size_t j = 0; j < t->nframes; j++) {
			const struct dump_frame *f = &t->frames[j];
			strbuf_addf(&sb, "%s\n {\"address\":\"0x%" PRIx64 "\",\"function\":", j ? "," : "", f->address);
			jstr(&sb, f->named ? f->name : NULL);
			if (f->named && f->symbol) {
				strbuf_adds(&sb, ",\"symbol\":");
				jstr(&sb, f->symbol);
			}
			strbuf_adds(&sb, ",\"file\":");
			jstr(&sb, f->named ? f->file : NULL);
			strbuf_addf(&sb, ",\"line\":%u,\"inlined\":%s,\"module\":", f->named ? f->line : 0,
				    f->named && f->inlined ? "true" : "false");
			jstr(&sb, f->module);
			strbuf_addf(&sb, ",\"offset\":\"0x%" PRIx64 "\"}", f->offset);
		}
		strbuf_adds(&sb, "]}");
		fwrite(sb.buf, 1, sb.len, out);
		strbuf_reset(&sb);
	}
	strbuf_adds(&sb, "\n]}\n");
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
	return finish(out);
}
