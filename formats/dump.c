#include "formats/dump.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "formats/escape.h"
#include "profiler/base/util.h"

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
		escape_text(&sb, d->command);
	}
	strbuf_addc(&sb, '\n');
	if (d->python) {
		escape_text(&sb, d->python);
		strbuf_addc(&sb, '\n');
	}
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct dump_thread *t = &d->threads[i];
		strbuf_addf(&sb, "\nthread %d \"", t->tid);
		escape_text(&sb, t->name);
		strbuf_addf(&sb, "\" %s", t->state_label);
		if (t->syscall)
			strbuf_addf(&sb, " in %s", t->syscall);
		if (t->wait)
			strbuf_addf(&sb, " (%s)", t->wait);
		strbuf_addc(&sb, '\n');
		if (t->error) {
			strbuf_adds(&sb, "  (stack not read: ");
			escape_text(&sb, t->error);
			strbuf_adds(&sb, ")\n");
		}
		for (size_t j = 0; j < t->nframes; j++) {
			const struct dump_frame *f = &t->frames[j];
			if (f->python) {
				/* Where the address column is: the language, as py-spy would. */
				strbuf_addf(&sb, "  #%-3zu %-18s ", j, "[python]");
				escape_text(&sb, f->name);
				strbuf_adds(&sb, " at ");
				escape_text(&sb, f->file);
				if (f->line)
					strbuf_addf(&sb, ":%u", f->line);
				strbuf_addc(&sb, '\n');
				continue;
			}
			strbuf_addf(&sb, "  #%-3zu 0x%016" PRIx64 " ", j, f->address);
			escape_text(&sb, f->name);
			if (f->named) {
				if (f->file) {
					strbuf_adds(&sb, " at ");
					escape_text(&sb, f->file);
					if (f->line)
						strbuf_addf(&sb, ":%u", f->line);
				}
				if (f->inlined)
					strbuf_adds(&sb, " [inlined]");
				if (f->module) {
					strbuf_adds(&sb, " (");
					escape_text(&sb, base_name(f->module));
					strbuf_addc(&sb, ')');
				}
			}
			strbuf_addc(&sb, '\n');
		}
		if (!t->error && t->incomplete) {
			strbuf_adds(&sb, "  (stack incomplete: ");
			escape_text(&sb, t->incomplete);
			strbuf_adds(&sb, ")\n");
		}
		fwrite(sb.buf, 1, sb.len, out);
		strbuf_reset(&sb);
	}
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
	return finish(out);
}

static void jstr(struct strbuf *sb, const char *s);

/* "file" and "line" together: a line number only beside a file, null when
 * either is unknown (never a line 0 that reads as a line). */
static void jfile_line(struct strbuf *sb, const char *file, unsigned line)
{
	strbuf_adds(sb, ",\"file\":");
	jstr(sb, file);
	if (file && line)
		strbuf_addf(sb, ",\"line\":%u", line);
	else
		strbuf_adds(sb, ",\"line\":null");
}

static void jstr(struct strbuf *sb, const char *s)
{
	if (!s) {
		strbuf_adds(sb, "null");
		return;
	}
	strbuf_addc(sb, '"');
	escape_json(sb, s);
	strbuf_addc(sb, '"');
}

int dump_write_json(FILE *out, const struct dump_doc *d)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addf(&sb, "{\"pid\":%d,\"command\":", d->pid);
	jstr(&sb, d->command);
	strbuf_adds(&sb, ",\"python\":");
	jstr(&sb, d->python);
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
		strbuf_adds(&sb, ",\"syscall\":");
		jstr(&sb, t->syscall);
		strbuf_adds(&sb, ",\"wait\":");
		jstr(&sb, t->wait);
		if (t->error) {
			strbuf_adds(&sb, ",\"error\":");
			jstr(&sb, t->error);
		}
		strbuf_addf(&sb, ",\"complete\":%s,\"frames\":[", t->incomplete ? "false" : "true");
		for (size_t j = 0; j < t->nframes; j++) {
			const struct dump_frame *f = &t->frames[j];
			if (f->python) {
				strbuf_addf(&sb, "%s\n {\"kind\":\"python\",\"function\":", j ? "," : "");
				jstr(&sb, f->name);
				jfile_line(&sb, f->file, f->line);
				strbuf_addc(&sb, '}');
				continue;
			}
			strbuf_addf(&sb, "%s\n {\"kind\":\"native\",\"address\":\"0x%" PRIx64 "\",\"function\":",
				    j ? "," : "", f->address);
			jstr(&sb, f->named ? f->name : NULL);
			if (f->named && f->symbol) {
				strbuf_adds(&sb, ",\"symbol\":");
				jstr(&sb, f->symbol);
			}
			jfile_line(&sb, f->named ? f->file : NULL, f->line);
			strbuf_addf(&sb, ",\"inlined\":%s,\"module\":", f->named && f->inlined ? "true" : "false");
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
