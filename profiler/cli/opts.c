#include "profiler/cli/opts.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/cli/exit.h"

/* The capture group's help text states these defaults in words. */
_Static_assert(CAPTURE_DEFAULT_FREQ == 999 && CAPTURE_DEFAULT_DEPTH == 512 && CAPTURE_DEFAULT_STACK == 16384 &&
		       CAPTURE_MAX_STACK == 65528,
	       "update the capture options' help in opts.h");

bool opts_takes_value(const struct opt *o)
{
	switch (o->kind) {
	case OPT_KIND_INT:
	case OPT_KIND_STRING:
		return true;
	case OPT_KIND_CALLBACK:
		return !(o->flags & (OPT_NOARG | OPT_OPTARG));
	default:
		return false;
	}
}

/* "-p" or "--pid", as the user could have typed it. */
static void opt_name(const struct opt *o, bool as_long, struct strbuf *sb)
{
	if (as_long && o->long_name)
		strbuf_addf(sb, "--%s", o->long_name);
	else if (o->short_name)
		strbuf_addf(sb, "-%c", o->short_name);
	else
		strbuf_addf(sb, "--%s", o->long_name);
}

int opts_parse_long(const char *name, const char *arg, long min, long max, long *out, struct strbuf *err)
{
	char *end;
	errno = 0;
	long v = arg ? strtol(arg, &end, 10) : 0;
	if (!arg || !*arg || errno || *end || v < min || v > max) {
		if (max == LONG_MAX || max == INT_MAX)
			strbuf_addf(err, "invalid %s '%s' (expected a whole number from %ld)", name, arg ? arg : "", min);
		else
			strbuf_addf(err, "invalid %s '%s' (expected a whole number from %ld to %ld)", name,
				    arg ? arg : "", min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int opts_parse_seconds(const char *name, const char *arg, double min, double max, double *out,
		       struct strbuf *err)
{
	char *end;
	errno = 0;
	double d = arg ? strtod(arg, &end) : -1;
	if (!arg || !*arg || errno || *end || !(d >= min) || d > max) {
		strbuf_addf(err, "invalid %s '%s' (expected seconds from %g to %g, e.g. 0.5)", name, arg ? arg : "",
			    min, max);
		return -1;
	}
	*out = d;
	return 0;
}

/* Stores one option's value (arg NULL for options without one). */
static int apply(const struct opt *o, bool as_long, const char *arg, struct strbuf *err)
{
	struct strbuf name;
	int rc = 0;
	switch (o->kind) {
	case OPT_KIND_FLAG:
		*(bool *)o->value = true;
		return 0;
	case OPT_KIND_STRING:
		if ((o->flags & OPT_NONEMPTY) && !*arg) {
			strbuf_init(&name);
			opt_name(o, as_long, &name);
			strbuf_addf(err, "%s needs a value (%s)", name.buf, o->argh ? o->argh : "not empty");
			strbuf_release(&name);
			return -1;
		}
		*(const char **)o->value = arg;
		return 0;
	case OPT_KIND_INT: {
		long v, max = o->max;
		if (o->flags & OPT_CLAMP)
			max = LONG_MAX;
		strbuf_init(&name);
		opt_name(o, as_long, &name);
		rc = opts_parse_long(name.buf, arg, o->min, max, &v, err);
		strbuf_release(&name);
		if (rc)
			return -1;
		*(int *)o->value = (int)(v > o->max ? o->max : v);
		return 0;
	}
	case OPT_KIND_CALLBACK:
		return o->cb(o, arg, err) ? -1 : 0;
	default:
		return 0;
	}
}

static const struct opt *find_short(const struct opt *table, int c)
{
	for (const struct opt *o = table; o->kind != OPT_KIND_END; o++)
		if (o->kind != OPT_KIND_GROUP && o->short_name == c)
			return o;
	return NULL;
}

/* An exact long name, else the one option it is a prefix of (as getopt_long). */
static const struct opt *find_long(const struct opt *table, const char *name, size_t len, bool *ambiguous)
{
	const struct opt *prefix = NULL;
	int nprefix = 0;
	*ambiguous = false;
	for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
		if (o->kind == OPT_KIND_GROUP || !o->long_name || strncmp(o->long_name, name, len))
			continue;
		if (!o->long_name[len])
			return o;
		if (!(o->flags & OPT_HIDDEN) && prefix != o) {
			prefix = o;
			nprefix++;
		}
	}
	if (nprefix > 1) {
		*ambiguous = true;
		return NULL;
	}
	return prefix;
}

static int unknown(const struct opts_cmd *cmd, const char *what, struct strbuf *err)
{
	strbuf_addf(err, "unknown option %s (see 'prowl %s --help')", what, cmd->name);
	return OPTS_USAGE;
}

static int missing(const struct opt *o, bool as_long, struct strbuf *err)
{
	struct strbuf name;
	strbuf_init(&name);
	opt_name(o, as_long, &name);
	strbuf_addf(err, "option %s needs a value (%s)", name.buf, o->argh ? o->argh : "see --help");
	strbuf_release(&name);
	return OPTS_USAGE;
}

/* Handles argv[*i], "--name" or "--name=value". */
static int parse_long(const struct opts_cmd *cmd, const struct opt *table, int argc, char **argv, int *i,
		      struct strbuf *err)
{
	const char *a = argv[*i] + 2;
	const char *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	bool ambiguous;
	const struct opt *o = find_long(table, a, len, &ambiguous);
	if (!o) {
		if (ambiguous) {
			strbuf_addf(err, "ambiguous option --%.*s (see 'prowl %s --help')", (int)len, a, cmd->name);
			return OPTS_USAGE;
		}
		struct strbuf w;
		strbuf_init(&w);
		strbuf_addf(&w, "--%.*s", (int)len, a);
		int rc = unknown(cmd, w.buf, err);
		strbuf_release(&w);
		return rc;
	}
	if (o->kind == OPT_KIND_HELP)
		return OPTS_HELP;
	const char *arg = NULL;
	if (opts_takes_value(o)) {
		if (eq)
			arg = eq + 1;
		else if (*i + 1 < argc)
			arg = argv[++*i];
		else
			return missing(o, true, err);
	} else if (eq) {
		if (!(o->flags & OPT_OPTARG)) {
			strbuf_addf(err, "option --%s takes no value (got '%s')", o->long_name, eq + 1);
			return OPTS_USAGE;
		}
		arg = eq + 1;
	}
	return apply(o, true, arg, err) ? OPTS_USAGE : 0;
}

/* Handles argv[*i], a cluster of short options: "-v", "-fiC", "-p123", "-p 123". */
static int parse_short(const struct opts_cmd *cmd, const struct opt *table, int argc, char **argv, int *i,
		       struct strbuf *err)
{
	for (const char *p = argv[*i] + 1; *p; p++) {
		const struct opt *o = find_short(table, (unsigned char)*p);
		if (!o) {
			char what[3] = { '-', *p, 0 };
			return unknown(cmd, what, err);
		}
		if (o->kind == OPT_KIND_HELP)
			return OPTS_HELP;
		if (!opts_takes_value(o)) {
			if (apply(o, false, NULL, err))
				return OPTS_USAGE;
			continue;
		}
		const char *arg;
		if (p[1])
			arg = p + 1;
		else if (*i + 1 < argc)
			arg = argv[++*i];
		else
			return missing(o, false, err);
		return apply(o, false, arg, err) ? OPTS_USAGE : 0;
	}
	return 0;
}

int opts_parse(const struct opts_cmd *cmd, const struct opt *table, int argc, char **argv,
	       struct strbuf *err)
{
	int n = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		bool operand = a[0] != '-' || !a[1];
		if (!strcmp(a, "--") || (operand && cmd->args == OPTS_ARGS_COMMAND)) {
			for (int j = !strcmp(a, "--") ? i + 1 : i; j < argc; j++)
				argv[n++] = argv[j];
			break;
		}
		if (operand) {
			argv[n++] = a; /* n <= i - 1: never overwrites what is still to read */
			continue;
		}
		int rc = a[1] == '-' ? parse_long(cmd, table, argc, argv, &i, err)
				     : parse_short(cmd, table, argc, argv, &i, err);
		if (rc)
			return rc;
	}
	argv[n] = NULL;
	return n;
}

static size_t help_left(const struct opt *o, struct strbuf *sb)
{
	size_t start = sb->len;
	strbuf_adds(sb, "  ");
	if (o->short_name)
		strbuf_addf(sb, "-%c%s", o->short_name, o->long_name ? ", " : "");
	else
		strbuf_adds(sb, "    ");
	if (o->long_name)
		strbuf_addf(sb, "--%s", o->long_name);
	if (o->argh)
		strbuf_addf(sb, "%s%s", o->flags & OPT_OPTARG ? "[=" : " ", o->argh);
	if (o->argh && (o->flags & OPT_OPTARG))
		strbuf_addc(sb, ']');
	return sb->len - start;
}

/* Prints text from column col on, wrapped at 79 columns; the first line
 * starts at column at (already printed). In the text a single newline is a
 * space (the source's line length is not the terminal's) and a blank line
 * starts a new line. */
static void wrap(FILE *out, const char *text, int col, int at)
{
	const int width = 79;
	struct strbuf sb;
	strbuf_init(&sb);
	for (const char *q = text; *q; q++) {
		if (q[0] == '\n' && q[1] == '\n') {
			strbuf_addc(&sb, '\n');
			q++;
		} else {
			strbuf_addc(&sb, *q == '\n' ? ' ' : *q);
		}
	}
	const char *p = sb.buf;
	while (*p) {
		int room = width - at;
		int len = (int)strcspn(p, "\n");
		int cut = len;
		if (len > room) {
			cut = room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0) /* one long word: let it overflow */
				cut = (int)strcspn(p, " \n");
		}
		fprintf(out, "%.*s\n", cut, p);
		p += cut;
		if (*p == ' ' || *p == '\n')
			p++;
		while (*p == ' ')
			p++;
		if (*p)
			fprintf(out, "%*s", col, "");
		at = col;
	}
	strbuf_release(&sb);
}

void opts_help(const struct opts_cmd *cmd, const struct opt *table, FILE *out)
{
	enum { COL = 26 };
	for (size_t i = 0; cmd->usage && cmd->usage[i]; i++)
		fprintf(out, "%s prowl %s %s\n", i ? "      " : "usage:", cmd->name, cmd->usage[i]);
	fprintf(out, "\n%s\n", cmd->summary);
	if (cmd->description) {
		fputc('\n', out);
		wrap(out, cmd->description, 0, 0);
	}
	bool first = true;
	struct strbuf sb;
	strbuf_init(&sb);
	for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
		if (o->kind == OPT_KIND_GROUP) {
			fprintf(out, "\n%s:\n", o->help);
			first = false;
			continue;
		}
		if (o->flags & OPT_HIDDEN)
			continue;
		if (first) {
			fprintf(out, "\noptions:\n");
			first = false;
		}
		strbuf_reset(&sb);
		size_t w = help_left(o, &sb);
		if (w + 2 > COL)
			fprintf(out, "%s\n%*s", sb.buf, COL, "");
		else
			fprintf(out, "%s%*s", sb.buf, (int)(COL - w), "");
		wrap(out, o->help, COL, COL);
	}
	strbuf_release(&sb);
	if (cmd->examples && cmd->examples[0].line) {
		fprintf(out, "\nexamples:\n");
		for (const struct opts_example *e = cmd->examples; e->line; e++)
		{
			fprintf(out, "  prowl %s\n      ", e->line);
			wrap(out, e->what, 6, 6);
		}
	}
	if (cmd->notes) {
		fputc('\n', out);
		wrap(out, cmd->notes, 0, 0);
	}
}

void opts_error(const struct opts_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "prowl %s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void (*opts_help_hook)(const struct opts_cmd *cmd, const struct opt *table);

int opts_parse_or_exit(const struct opts_cmd *cmd, const struct opt *table, int argc, char **argv,
		       int *exit_code)
{
	struct strbuf err;
	strbuf_init(&err);
	int n = opts_parse(cmd, table, argc, argv, &err);
	if (n == OPTS_HELP && opts_help_hook) {
		opts_help_hook(cmd, table);
		*exit_code = EX_OK;
	} else if (n == OPTS_HELP) {
		opts_help(cmd, table, stdout);
		*exit_code = fflush(stdout) ? EX_IOERR : EX_OK;
	} else if (n < 0) {
		opts_error(cmd, "%s", err.buf);
		*exit_code = EX_USAGE;
	}
	strbuf_release(&err);
	return n < 0 ? -1 : n;
}

int opts_capture_cb(const struct opt *o, const char *arg, struct strbuf *err)
{
	char buf[256];
	if (capture_opts_set(o->value, (enum capture_opt)o->key, arg, buf, sizeof(buf)) == 0)
		return 0;
	strbuf_adds(err, buf);
	return -1;
}

int opts_capture_finish(struct capture_opts *co, int nargs, char **args, struct strbuf *err)
{
	char buf[256];
	if (nargs > 0)
		capture_opts_set_command(co, nargs, args);
	if (capture_opts_check(co, buf, sizeof(buf)) == 0)
		return 0;
	strbuf_adds(err, buf);
	return OPTS_USAGE;
}

static const char format_list[] = "svg, folded, speedscope, pprof or report, or perf-script";

int opts_output_cb(const struct opt *o, const char *arg, struct strbuf *err)
{
	struct output_opts *out = o->value;
	long n;
	switch (o->key) {
	case OPTS_OUT_PATH:
		if (!*arg) {
			strbuf_adds(err, "-o needs a file name (or - for stdout)");
			return -1;
		}
		out->path = arg;
		return 0;
	case OPTS_OUT_FORMAT:
		out->format = format_by_name(arg);
		if (out->format == FORMAT_NONE) {
			strbuf_addf(err, "unknown format '%s' (use %s)", arg, format_list);
			return -1;
		}
		return 0;
	case OPTS_OUT_TOP:
		/* More rows than a profile has functions means all of them. */
		if (opts_parse_long("--top", arg, 1, LONG_MAX, &n, err))
			return -1;
		out->w.top = n > 100000 ? 100000 : (int)n;
		return 0;
	}
	return -1;
}

int opts_moved_cb(const struct opt *o, const char *arg, struct strbuf *err)
{
	(void)arg;
	if (o->short_name)
		strbuf_addf(err, "-%c is not an option here: %s", o->short_name, o->help);
	else
		strbuf_addf(err, "--%s is not an option here: %s", o->long_name, o->help);
	return -1;
}

int opts_output_format(const struct output_opts *out, enum format dflt, enum format file_dflt, enum format *f,
		       struct strbuf *err)
{
	if (out->format != FORMAT_NONE) {
		*f = out->format;
		return 0;
	}
	if (!out->path || !strcmp(out->path, "-")) {
		*f = dflt;
		return 0;
	}
	*f = format_by_path(out->path);
	if (*f == FORMAT_NONE)
		*f = file_dflt;
	if (*f != FORMAT_NONE)
		return 0;
	strbuf_addf(err,
		    "cannot tell the format of '%s' from its name (name it .svg .folded .txt .json .pb.gz .perf-script .report, "
		    "or give -f %s)",
		    out->path, format_list);
	return OPTS_USAGE;
}

int opts_output_writable(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return 0;
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	const char *d = slash ? (slash == dir ? "/" : (*slash = 0, dir)) : ".";
	int rc = access(d, W_OK | X_OK) ? -errno : 0;
	free(dir);
	return rc;
}

int opts_warn_unused(const struct opts_cmd *cmd, const struct capture_opts *co)
{
	const char *w[8];
	size_t n = capture_opts_unused(co, w, 8);
	for (size_t i = 0; i < n; i++)
		opts_error(cmd, "%s", w[i]);
	return (int)n;
}

void opts_notes(const struct opts_cmd *cmd, const char *notes)
{
	while (notes && *notes) {
		size_t n = strcspn(notes, "\n");
		fprintf(stderr, "prowl %s: %.*s\n", cmd->name, (int)n, notes);
		notes += n;
		if (*notes)
			notes++;
	}
}
