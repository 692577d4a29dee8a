#include "profiler/cli/manpage.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profiler/base/version.h"
#include "profiler/cli/exit.h"

/* One character as roff text. A hyphen is \- so an option copied from the
 * page is the ASCII minus the shell needs; quotes stay ASCII for the same
 * reason. */
static void put_char(FILE *out, char c)
{
	switch (c) {
	case '\\':
		fputs("\\e", out);
		break;
	case '-':
		fputs("\\-", out);
		break;
	case '\'':
		fputs("\\(aq", out);
		break;
	case '`':
		fputs("\\(ga", out);
		break;
	case '"':
		fputs("\\(dq", out);
		break;
	default:
		fputc(c, out);
	}
}

/* s on the current line, which has started (no control character possible). */
static void put(FILE *out, const char *s)
{
	for (; *s; s++)
		put_char(out, *s == '\n' ? ' ' : *s);
}

void manpage_text(FILE *out, const char *s)
{
	bool start = true;
	for (const char *p = s; *p; p++) {
		if (*p == '\n' && p[1] == '\n') {
			fputs("\n.PP\n", out);
			while (p[1] == '\n')
				p++;
			start = true;
			continue;
		}
		if (*p == '\n') {
			fputc('\n', out);
			start = true;
			continue;
		}
		if (start) {
			/* A leading space would break the filled line in roff. */
			if (*p == ' ')
				continue;
			if (*p == '.' || *p == '\'')
				fputs("\\&", out);
			start = false;
		}
		put_char(out, *p);
	}
	if (!start)
		fputc('\n', out);
}

/* The page's name in capitals, for .TH: PROWL\-RECORD. */
static void put_upper(FILE *out, const char *s)
{
	for (; *s; s++)
		put_char(out, (char)toupper((unsigned char)*s));
}

static void header(FILE *out, const char *name, const char *date)
{
	fputs(".TH \"", out);
	put_upper(out, name);
	fputs("\" 1 \"", out);
	put(out, date ? date : "");
	fputs("\" \"prowl " PROWL_VERSION "\" \"prowl manual\"\n", out);
	/* Ragged right, no hyphenation: option names and paths stay whole. */
	fputs(".nh\n.ad l\n", out);
}

static void section(FILE *out, const char *name)
{
	fprintf(out, ".SH \"%s\"\n", name);
}

/* "-p, --pid PID" in bold and italics, as --help spells it. */
static void option_term(FILE *out, const struct opt *o)
{
	if (o->short_name) {
		fputs("\\fB\\-", out);
		put_char(out, (char)o->short_name);
		fputs("\\fR", out);
		if (o->long_name)
			fputs(", ", out);
	}
	if (o->long_name) {
		fputs("\\fB\\-\\-", out);
		put(out, o->long_name);
		fputs("\\fR", out);
	}
	if (o->argh) {
		fputs(o->flags & OPT_OPTARG ? "[=\\fI" : " \\fI", out);
		put(out, o->argh);
		fputs(o->flags & OPT_OPTARG ? "\\fR]" : "\\fR", out);
	}
	fputc('\n', out);
}

static void options(FILE *out, const struct opt *table)
{
	for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
		if (o->kind == OPT_KIND_GROUP) {
			/* A heading with no visible option under it says nothing. */
			const struct opt *n = o + 1;
			while (n->kind != OPT_KIND_END && n->kind != OPT_KIND_GROUP && (n->flags & OPT_HIDDEN))
				n++;
			if (n->kind == OPT_KIND_END || n->kind == OPT_KIND_GROUP)
				continue;
			fputs(".SS \"", out);
			/* Headings are lowercase in --help; a man page's start with a capital. */
			put_char(out, (char)toupper((unsigned char)o->help[0]));
			put(out, o->help + 1);
			fputs("\"\n", out);
			continue;
		}
		if (o->flags & OPT_HIDDEN)
			continue;
		fputs(".TP\n", out);
		option_term(out, o);
		manpage_text(out, o->help);
	}
}

/* The notes split by paragraph: those that speak of the exit status go to
 * EXIT STATUS, the others to NOTES. */
static void notes(FILE *out, const char *text, bool want_exit, bool *any)
{
	const char *p = text;
	while (p && *p) {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *para = strndup(p, len);
		bool is_exit = strcasestr(para, "exit status") != NULL;
		if (para && is_exit == want_exit && *para) {
			if (*any)
				fputs(".PP\n", out);
			/* A list of "64 usage, 66 ..." reads as prose: keep its first letter up. */
			para[0] = (char)toupper((unsigned char)para[0]);
			manpage_text(out, para);
			*any = true;
		}
		free(para);
		p = end ? end + 2 : NULL;
	}
}

static bool has_notes(const char *text, bool want_exit)
{
	if (!text)
		return false;
	const char *p = text;
	while (p && *p) {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *para = strndup(p, len);
		bool is_exit = para && strcasestr(para, "exit status") != NULL;
		free(para);
		if (is_exit == want_exit && len)
			return true;
		p = end ? end + 2 : NULL;
	}
	return false;
}

static void examples(FILE *out, const struct opts_example *e)
{
	for (; e && e->line; e++) {
		fputs(".TP\n\\fBprowl ", out);
		put(out, e->line);
		fputs("\\fR\n", out);
		manpage_text(out, e->what);
	}
}

static void see_also(FILE *out, const char *self, const struct manpage_cmd *cmds, size_t ncmds)
{
	bool first = true;
	if (self) {
		fputs(".BR prowl (1)", out);
		first = false;
	}
	for (size_t i = 0; i < ncmds; i++) {
		if (!cmds[i].spec || (self && !strcmp(self, cmds[i].name)))
			continue;
		fputs(first ? ".BR prowl\\-" : ",\n.BR prowl\\-", out);
		put(out, cmds[i].name);
		fputs(" (1)", out);
		first = false;
	}
	fputs(first ? ".BR perf (1)\n" : ",\n.BR perf (1)\n", out);
}

void manpage_command(FILE *out, const struct opts_cmd *cmd, const struct opt *table,
		     const struct manpage_cmd *cmds, size_t ncmds, const char *date)
{
	char page[64];
	snprintf(page, sizeof(page), "prowl-%s", cmd->name);
	header(out, page, date);
	section(out, "NAME");
	put(out, page);
	fputs(" \\- ", out);
	put(out, cmd->summary);
	fputc('\n', out);

	section(out, "SYNOPSIS");
	fputs(".nf\n", out);
	for (size_t i = 0; cmd->usage && cmd->usage[i]; i++) {
		fputs("\\fBprowl ", out);
		put(out, cmd->name);
		fputs("\\fR ", out);
		put(out, cmd->usage[i]);
		fputc('\n', out);
	}
	fputs(".fi\n", out);

	section(out, "DESCRIPTION");
	manpage_text(out, cmd->description ? cmd->description : cmd->summary);

	section(out, "OPTIONS");
	options(out, table);

	section(out, "EXIT STATUS");
	bool any = false;
	notes(out, cmd->notes, true, &any);
	if (any)
		fputs(".PP\n", out);
	fputs("The same failure gives the same status in every command: see\n.BR prowl (1).\n", out);

	if (cmd->examples && cmd->examples[0].line) {
		section(out, "EXAMPLES");
		examples(out, cmd->examples);
	}
	if (has_notes(cmd->notes, false)) {
		section(out, "NOTES");
		any = false;
		notes(out, cmd->notes, false, &any);
	}
	section(out, "SEE ALSO");
	see_also(out, cmd->name, cmds, ncmds);
}

/* Where prowl reads its environment: keep in step with the getenv() calls. */
static const struct {
	const char *name, *what;
} environment[] = {
	{ "PATH", "where record and top look for the command to launch, as a shell does." },
	{ "TERM", "the terminal prowl top draws on; without one that curses knows, top exits 69 "
		  "(or prints text snapshots with --batch)." },
	{ "NO_COLOR", "when set, prowl top uses no colours (bold and reverse video only)." },
	{ "DEBUGINFOD_URLS", "debuginfod servers asked for the debug files of a module that has none on the "
			     "machine (addr2line --no-debuginfod turns this off)." },
};

static const struct {
	const char *name, *what;
} files[] = {
	{ "prowl.svg", "what prowl record writes when no -o is given." },
	{ "/proc/sys/kernel/perf_event_paranoid", "at 2 (the default), perf_event samples only the "
						  "caller's own processes; 1 or less (or CAP_PERFMON) adds "
						  "kernel frames and other users' processes." },
	{ "/proc/PID/maps", "the modules of a target, read while it is sampled." },
	{ "/tmp/perf-PID.map", "the names of a JIT's code, written by the runtime (perf's convention)." },
	{ "/usr/lib/debug", "separate debug files, found by build-id or debuglink, as gdb and elfutils do." },
};

void manpage_overview(FILE *out, const struct manpage_cmd *cmds, size_t ncmds, const char *date)
{
	header(out, "prowl", date);
	section(out, "NAME");
	fputs("prowl \\- a sampling profiler for native Linux processes\n", out);
	section(out, "SYNOPSIS");
	fputs(".nf\n\\fBprowl\\fR \\fICOMMAND\\fR [options] [\\fIARGS\\fR...]\n"
	      "\\fBprowl help\\fR \\fICOMMAND\\fR\n\\fBprowl \\-\\-help\\fR\n\\fBprowl \\-\\-version\\fR\n.fi\n",
	      out);
	section(out, "DESCRIPTION");
	manpage_text(out,
		     "prowl samples the stacks of every thread of a running process, or of a command it starts, "
		     "with perf_event (or ptrace where perf_event is not allowed), unwinds them with the "
		     "programs' DWARF call frame information, and writes a profile: a flame graph in SVG, "
		     "collapsed stacks, speedscope JSON or pprof. prowl top shows the hottest functions live.\n\n"
		     "Every command takes --help. Options may come in any order, in the forms -x VALUE, "
		     "-xVALUE, --long VALUE, --long=VALUE or a unique prefix of a long name; -- ends the options.");
	section(out, "COMMANDS");
	for (size_t i = 0; i < ncmds; i++) {
		fputs(".TP 11\n\\fB", out);
		put(out, cmds[i].name);
		fputs("\\fR\n\\&", out);
		put(out, cmds[i].spec ? cmds[i].spec->summary : cmds[i].summary);
		if (cmds[i].spec) {
			fputs("; see\n.BR prowl\\-", out);
			put(out, cmds[i].name);
			fputs(" (1).\n", out);
		} else {
			fputs(".\n", out);
		}
	}
	section(out, "EXIT STATUS");
	fputs("The same failure gives the same status in every command:\n", out);
	for (const struct exit_status *e = exit_statuses; e->meaning; e++) {
		fprintf(out, ".TP\n.B %d\n", e->code);
		manpage_text(out, e->meaning);
	}
	section(out, "ENVIRONMENT");
	for (size_t i = 0; i < ARRAY_SIZE(environment); i++) {
		fputs(".TP\n.B ", out);
		put(out, environment[i].name);
		fputc('\n', out);
		manpage_text(out, environment[i].what);
	}
	section(out, "FILES");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		fputs(".TP\n.I ", out);
		put(out, files[i].name);
		fputc('\n', out);
		manpage_text(out, files[i].what);
	}
	section(out, "EXAMPLES");
	for (size_t i = 0; i < ncmds; i++)
		if (cmds[i].spec && cmds[i].spec->examples)
			examples(out, cmds[i].spec->examples);
	section(out, "SEE ALSO");
	see_also(out, NULL, cmds, ncmds);
}
