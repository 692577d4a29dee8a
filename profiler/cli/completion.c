#include "profiler/cli/completion.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "formats/format.h"
#include "profiler/capture/capture.h"

/* Words a MODE or NAME value may be; each option keeps those its own
 * callback accepts, so a word a command refuses is never offered. */
static const char *const value_words[] = { "dwarf", "fp", "auto", "perf", "ptrace", "cpu", "wall" };
/* Extensions -o may end with; kept when format_by_path() knows them. */
static const char *const out_exts[] = { "svg", "folded", "collapsed", "txt", "json", "speedscope", "pb.gz", "pprof", "pb", "perf-script" };

enum action { ACT_NONE, ACT_PID, ACT_FORMAT, ACT_OUTFILE, ACT_FILE, ACT_WORDS };

static bool listed(const struct opt *o)
{
	return o->kind != OPT_KIND_GROUP && o->kind != OPT_KIND_END && !(o->flags & OPT_HIDDEN);
}

static bool takes(const struct opt *o)
{
	return listed(o) && opts_takes_value(o);
}

/* The words o's callback accepts, space-separated, into sb. */
static void accepted_words(const struct opt *o, struct strbuf *sb)
{
	struct capture_opts co;
	struct output_opts out = { 0 };
	struct strbuf err;
	strbuf_init(&err);
	for (size_t i = 0; i < ARRAY_SIZE(value_words); i++) {
		capture_opts_init(&co);
		struct opt t = *o;
		/* The table is a copy whose values pointed into a finished call: give
		 * the callback fresh storage of the kind it writes. */
		t.value = o->cb == opts_capture_cb ? (void *)&co : (void *)&out;
		strbuf_reset(&err);
		if ((o->cb == opts_capture_cb || o->cb == opts_output_cb) && t.cb(&t, value_words[i], &err) == 0)
			strbuf_addf(sb, "%s%s", sb->len ? " " : "", value_words[i]);
		capture_opts_release(&co);
	}
	strbuf_release(&err);
}

static enum action action_of(const struct opt *o)
{
	const char *a = o->argh ? o->argh : "";
	if (!strcmp(a, "PID"))
		return ACT_PID;
	if (!strcmp(a, "FMT"))
		return ACT_FORMAT;
	if (!strcmp(a, "FILE"))
		return o->long_name && !strcmp(o->long_name, "output") ? ACT_OUTFILE : ACT_FILE;
	if ((!strcmp(a, "MODE") || !strcmp(a, "NAME")) && o->kind == OPT_KIND_CALLBACK)
		return ACT_WORDS;
	return ACT_NONE;
}

/* The formats -f accepts, as its --help names them ("svg, folded, ... or
 * report (...)"), each checked against format_by_name(). */
static void formats(const struct completion_cmd *cmds, size_t n, struct strbuf *sb)
{
	const char *help = NULL;
	for (size_t i = 0; i < n && !help; i++)
		for (const struct opt *o = cmds[i].table; o && o->kind != OPT_KIND_END; o++)
			if (listed(o) && action_of(o) == ACT_FORMAT) {
				help = o->help;
				break;
			}
	if (!help)
		return;
	size_t len = strcspn(help, "(");
	char *list = strndup(help, len);
	char *save = NULL;
	for (char *w = strtok_r(list, " ,", &save); w; w = strtok_r(NULL, " ,", &save))
		if (strcmp(w, "or") && format_by_name(w) != FORMAT_NONE)
			strbuf_addf(sb, "%s%s", sb->len ? " " : "", w);
	free(list);
}

static void extensions(struct strbuf *sb, const char *sep)
{
	char name[32];
	bool first = true;
	for (size_t i = 0; i < ARRAY_SIZE(out_exts); i++) {
		snprintf(name, sizeof(name), "x.%s", out_exts[i]);
		if (format_by_path(name) == FORMAT_NONE)
			continue;
		strbuf_addf(sb, "%s%s", first ? "" : sep, out_exts[i]);
		first = false;
	}
}

/* The bash spellings of o: "-p --pid". */
static void names(const struct opt *o, struct strbuf *sb)
{
	if (o->short_name)
		strbuf_addf(sb, " -%c", o->short_name);
	if (o->long_name)
		strbuf_addf(sb, " --%s", o->long_name);
}

/* The bash case pattern of o, for command cmd: "record:-p|record:--pid". */
static void bash_pattern(FILE *out, const char *cmd, const struct opt *o)
{
	if (o->short_name)
		fprintf(out, "%s:-%c%s", cmd, o->short_name, o->long_name ? "|" : "");
	if (o->long_name)
		fprintf(out, "%s:--%s", cmd, o->long_name);
}

void completion_bash(FILE *out, const struct completion_cmd *cmds, size_t n)
{
	struct strbuf sb;
	strbuf_init(&sb);
	fputs("# bash completion for prowl: generated from its option tables by `prowl --completion bash`.\n"
	      "\n"
	      "# PIDs starting with $1; with their process names while more than one matches.\n"
	      "_prowl_pids() {\n"
	      "\tlocal d p c\n"
	      "\tlocal -a r=()\n"
	      "\tfor d in /proc/[0-9]*; do\n"
	      "\t\tp=${d#/proc/}\n"
	      "\t\t[[ $p == \"$1\"* ]] || continue\n"
	      "\t\tread -r c 2>/dev/null <\"$d/comm\" || continue\n"
	      "\t\tr+=(\"$p $c\")\n"
	      "\tdone\n"
	      "\tif ((${#r[@]} == 1)); then COMPREPLY=(\"${r[0]%% *}\"); else COMPREPLY=(\"${r[@]}\"); fi\n"
	      "}\n"
	      "\n"
	      "# Folders, and files named as a format prowl writes.\n"
	      "_prowl_outfiles() {\n"
	      "\tlocal f IFS=$'\\n'\n"
	      "\tcompopt -o filenames 2>/dev/null\n"
	      "\tCOMPREPLY=($(compgen -d -- \"$1\"))\n"
	      "\tfor f in $(compgen -f -- \"$1\"); do\n"
	      "\t\tcase $f in\n\t\t",
	      out);
	strbuf_reset(&sb);
	extensions(&sb, "|*.");
	fprintf(out, "*.%s) COMPREPLY+=(\"$f\") ;;\n", sb.buf);
	fputs("\t\tesac\n"
	      "\tdone\n"
	      "}\n"
	      "\n"
	      "_prowl_files() {\n"
	      "\tlocal IFS=$'\\n'\n"
	      "\tcompopt -o filenames 2>/dev/null\n"
	      "\tCOMPREPLY=($(compgen -f -- \"$1\"))\n"
	      "}\n"
	      "\n"
	      "# The command prowl launches, from word $1 on: its own completion when\n"
	      "# bash-completion is loaded, else command names, then files.\n"
	      "_prowl_command() {\n"
	      "\tif declare -F _command_offset >/dev/null; then\n"
	      "\t\t_command_offset \"$1\"\n"
	      "\telif ((COMP_CWORD == $1)); then\n"
	      "\t\tCOMPREPLY=($(compgen -c -- \"$2\"))\n"
	      "\telse\n"
	      "\t\t_prowl_files \"$2\"\n"
	      "\tfi\n"
	      "}\n"
	      "\n"
	      "_prowl() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= cmd w opts takes launch= i\n"
	      "\tCOMPREPLY=()\n"
	      "\t((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\t# --format=sv: bash splits at '=', so the value's option is two words back.\n"
	      "\tif [[ $cur == = ]]; then cur=; elif [[ $prev == = ]] && ((COMP_CWORD > 2)); then\n"
	      "\t\tprev=${COMP_WORDS[COMP_CWORD - 2]}\n"
	      "\tfi\n",
	      out);
	strbuf_reset(&sb);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", cmds[i].name);
	fprintf(out,
		"\tif ((COMP_CWORD == 1)); then\n"
		"\t\tCOMPREPLY=($(compgen -W '%s help --help --version' -- \"$cur\"))\n"
		"\t\treturn\n"
		"\tfi\n"
		"\tcmd=${COMP_WORDS[1]}\n"
		"\tcase $cmd in\n"
		"\thelp) ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n",
		sb.buf, sb.buf);
	/* Per command: its options, and those that take a value. */
	for (size_t i = 0; i < n; i++) {
		if (!cmds[i].table) {
			fprintf(out, "\t%s) _prowl_files \"$cur\"; return ;;\n", cmds[i].name);
			continue;
		}
		strbuf_reset(&sb);
		for (const struct opt *o = cmds[i].table; o->kind != OPT_KIND_END; o++)
			if (listed(o))
				names(o, &sb);
		fprintf(out, "\t%s)\n\t\topts='%s'\n", cmds[i].name, sb.buf + (sb.len ? 1 : 0));
		strbuf_reset(&sb);
		for (const struct opt *o = cmds[i].table; o->kind != OPT_KIND_END; o++)
			if (takes(o))
				names(o, &sb);
		fprintf(out, "\t\ttakes=' %s '\n", sb.buf + (sb.len ? 1 : 0));
		/* record and top launch their first operand: its words are its own. */
		fprintf(out, "\t\tlaunch=%s\n\t\t;;\n", cmds[i].args == OPTS_ARGS_COMMAND ? "1" : "");
	}
	fputs("\t*) return ;;\n\tesac\n", out);

	/* Where the options end: a command that launches its first operand
	 * leaves the words from there on to that command's completion. */
	fputs("\ti=2\n"
	      "\twhile ((i < COMP_CWORD)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\tif [[ $w == -- ]]; then\n"
	      "\t\t\t[[ $launch ]] && { _prowl_command $((i + 1)) \"$cur\"; return; }\n"
	      "\t\t\t_prowl_files \"$cur\"; return\n"
	      "\t\telif [[ $takes == *\" $w \"* ]]; then\n"
	      "\t\t\t((i++))\n"
	      "\t\t\t[[ ${COMP_WORDS[i]} == = ]] && ((i++))\n"
	      "\t\telif [[ $w == -* ]]; then\n"
	      "\t\t\t[[ ${COMP_WORDS[i + 1]} == = ]] && ((i += 2))\n"
	      "\t\telif [[ $launch ]]; then\n"
	      "\t\t\t_prowl_command \"$i\" \"$cur\"; return\n"
	      "\t\tfi\n"
	      "\t\t((i++))\n"
	      "\tdone\n",
	      out);

	/* A value. */
	strbuf_reset(&sb);
	formats(cmds, n, &sb);
	fputs("\tcase $cmd:$prev in\n", out);
	for (size_t i = 0; i < n; i++) {
		for (const struct opt *o = cmds[i].table; o && o->kind != OPT_KIND_END; o++) {
			if (!takes(o))
				continue;
			fputc('\t', out);
			bash_pattern(out, cmds[i].name, o);
			switch (action_of(o)) {
			case ACT_PID:
				fputs(") _prowl_pids \"$cur\"; return ;;\n", out);
				break;
			case ACT_FORMAT:
				fprintf(out, ") COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n", sb.buf);
				break;
			case ACT_OUTFILE:
				fputs(") _prowl_outfiles \"$cur\"; return ;;\n", out);
				break;
			case ACT_FILE:
				fputs(") _prowl_files \"$cur\"; return ;;\n", out);
				break;
			case ACT_WORDS: {
				struct strbuf w;
				strbuf_init(&w);
				accepted_words(o, &w);
				fprintf(out, ") COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n", w.buf);
				strbuf_release(&w);
				break;
			}
			case ACT_NONE:
				fputs(") return ;;\n", out); /* a number, seconds, a name: nothing to offer */
				break;
			}
		}
	}
	fputs("\tesac\n", out);

	fputs("\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n",
	      out);
	fputs("\telif [[ $launch ]]; then\n"
	      "\t\t_prowl_command \"$COMP_CWORD\" \"$cur\"\n"
	      "\telse\n"
	      "\t\t_prowl_files \"$cur\"\n"
	      "\tfi\n"
	      "}\n"
	      "complete -F _prowl prowl\n",
	      out);
	strbuf_release(&sb);
}

/* s inside a zsh single-quoted string, and inside _arguments' [...] (where
 * brackets and colons would end the description). */
static void zsh_desc(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\'':
			fputs("'\\''", out);
			break;
		case '[':
		case ']':
		case ':':
		case '\\':
			fputc('\\', out);
			fputc(*s, out);
			break;
		case '\n':
			fputc(' ', out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

static void zsh_action(FILE *out, const struct opt *o, const char *fmts)
{
	switch (action_of(o)) {
	case ACT_PID:
		fputs("_prowl_pids", out);
		break;
	case ACT_FORMAT:
		fprintf(out, "(%s)", fmts);
		break;
	case ACT_OUTFILE:
		fputs("_prowl_outfiles", out);
		break;
	case ACT_FILE:
		fputs("_files", out);
		break;
	case ACT_WORDS: {
		struct strbuf w;
		strbuf_init(&w);
		accepted_words(o, &w);
		fprintf(out, "(%s)", w.buf);
		strbuf_release(&w);
		break;
	}
	case ACT_NONE:
		fputc(' ', out);
		break;
	}
}

void completion_zsh(FILE *out, const struct completion_cmd *cmds, size_t n)
{
	struct strbuf fmts, exts;
	strbuf_init(&fmts);
	strbuf_init(&exts);
	formats(cmds, n, &fmts);
	extensions(&exts, "|");
	fputs("#compdef prowl\n"
	      "# zsh completion for prowl: generated from its option tables by `prowl --completion zsh`.\n"
	      "\n"
	      "_prowl_pids() {\n"
	      "\tlocal d c\n"
	      "\tlocal -a pids\n"
	      "\tfor d in /proc/<->(N); do\n"
	      "\t\tc=$(<$d/comm) 2>/dev/null || continue\n"
	      "\t\tpids+=(\"${d:t}:$c\")\n"
	      "\tdone\n"
	      "\t_describe -t processes 'process' pids\n"
	      "}\n"
	      "\n",
	      out);
	fprintf(out, "_prowl_outfiles() {\n\t_files -g '*.(%s)(-.)'\n}\n\n", exts.buf);
	fputs("_prowl() {\n"
	      "\tlocal -a cmds\n"
	      "\tcmds=(\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "\t\t'%s:", cmds[i].name);
		zsh_desc(out, cmds[i].summary);
		fputs("'\n", out);
	}
	fputs("\t)\n"
	      "\tif ((CURRENT == 2)); then\n"
	      "\t\t_describe -t commands 'prowl command' cmds\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tlocal cmd=$words[2]\n"
	      "\tshift words\n"
	      "\t((CURRENT--))\n"
	      "\tcurcontext=\"${curcontext%:*:*}:prowl-$cmd:\"\n"
	      "\tcase $cmd in\n"
	      "\thelp) ((CURRENT == 2)) && _describe -t commands 'prowl command' cmds ;;\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		if (!cmds[i].table) {
			fprintf(out, "\t%s) _files ;;\n", cmds[i].name);
			continue;
		}
		bool command = cmds[i].args == OPTS_ARGS_COMMAND;
		/* -A '-*': record and top stop taking options at the command. */
		fprintf(out, "\t%s)\n\t\t_arguments -s -S%s \\\n", cmds[i].name, command ? " -A '-*'" : "");
		for (const struct opt *o = cmds[i].table; o->kind != OPT_KIND_END; o++) {
			if (!listed(o))
				continue;
			bool val = opts_takes_value(o);
			fputs("\t\t\t'*'", out);
			if (o->short_name && o->long_name)
				fprintf(out, "{-%c%s,--%s%s}", o->short_name, val ? "+" : "", o->long_name, val ? "=" : "");
			else if (o->short_name)
				fprintf(out, "-%c%s", o->short_name, val ? "+" : "");
			else
				fprintf(out, "--%s%s", o->long_name, val ? "=" : "");
			fputs("'[", out);
			zsh_desc(out, o->help);
			fputc(']', out);
			if (val) {
				fputc(':', out);
				zsh_desc(out, o->argh ? o->argh : "value");
				fputc(':', out);
				zsh_action(out, o, fmts.buf);
			}
			fputs("' \\\n", out);
		}
		fputs(command ? "\t\t\t'*::command:_normal'\n\t\t;;\n" : "\t\t\t'*:file:_files'\n\t\t;;\n", out);
	}
	fputs("\tesac\n"
	      "}\n"
	      "\n"
	      "_prowl \"$@\"\n",
	      out);
	strbuf_release(&fmts);
	strbuf_release(&exts);
}
