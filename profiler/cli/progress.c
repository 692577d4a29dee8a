#include "profiler/cli/progress.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "profiler/base/util.h"
#include "profiler/cli/cmds.h"

void progress_init(struct progress *p, FILE *out, bool on)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->on = on && isatty(fileno(out));
	p->next_ns = now_ns() + 1000000000ull;
}

bool progress_due(const struct progress *p)
{
	return p->on && now_ns() >= p->next_ns;
}

/* A line longer than the terminal wraps, and \r ESC[K would then erase only
 * its last row: cut it to the width. */
static int term_width(FILE *out)
{
	struct winsize ws;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col - 1;
	return 79;
}

void progress_tick(struct progress *p, const struct session_stats *st)
{
	if (!p->on || st->elapsed_ns <= p->last_ns)
		return;
	double dt = (double)(st->elapsed_ns - p->last_ns) / 1e9;
	double rate = (double)(st->samples - p->last_samples) / dt;
	double cpu = st->cpu_ns >= p->last_cpu_ns ? 100.0 * (double)(st->cpu_ns - p->last_cpu_ns) / 1e9 / dt : 0;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addf(&sb, "prowl record: recording %.0f s, %llu sample%s (%.0f/s), %llu lost, %llu thread%s, prowl %.1f%% CPU",
		    (double)st->elapsed_ns / 1e9, (unsigned long long)st->samples, plural_s(st->samples), rate,
		    (unsigned long long)st->lost,
		    (unsigned long long)st->threads_live, st->threads_live == 1 ? "" : "s", cpu);
	int w = term_width(p->out);
	fprintf(p->out, "\r%.*s\033[K", w, sb.buf);
	fflush(p->out);
	strbuf_release(&sb);
	p->shown = true;
	p->last_ns = st->elapsed_ns;
	p->last_samples = st->samples;
	p->last_cpu_ns = st->cpu_ns;
	p->next_ns = now_ns() + 1000000000ull;
}

void progress_clear(struct progress *p)
{
	if (!p->shown)
		return;
	fputs("\r\033[K", p->out);
	fflush(p->out);
	p->shown = false;
}
