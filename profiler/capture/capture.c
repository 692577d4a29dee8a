#include "profiler/capture/capture.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"

const char capture_short_options[] = "p:F:d:";

const struct option capture_long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "freq", required_argument, NULL, 'F' },
	{ "duration", required_argument, NULL, 'd' },
	{ "stack-size", required_argument, NULL, CAPTURE_KEY_STACK_SIZE },
	{ "unwind", required_argument, NULL, CAPTURE_KEY_UNWIND },
	{ "kernel", no_argument, NULL, CAPTURE_KEY_KERNEL },
	{ "thread", required_argument, NULL, CAPTURE_KEY_THREAD },
	{ "children", no_argument, NULL, CAPTURE_KEY_CHILDREN },
	{ "backend", required_argument, NULL, CAPTURE_KEY_BACKEND },
	{ "mode", required_argument, NULL, CAPTURE_KEY_MODE },
	{ "max-depth", required_argument, NULL, CAPTURE_KEY_MAX_DEPTH },
	{ NULL, 0, NULL, 0 },
};

void capture_opts_init(struct capture_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->freq = CAPTURE_DEFAULT_FREQ;
	o->stack_size = CAPTURE_DEFAULT_STACK;
	o->unwind = CAPTURE_UNWIND_DWARF;
	o->backend = CAPTURE_BACKEND_AUTO;
	o->mode = CAPTURE_MODE_CPU;
	o->max_depth = CAPTURE_DEFAULT_DEPTH;
}

void capture_opts_release(struct capture_opts *o)
{
	free(o->pids);
	if (o->argv)
		for (char **a = o->argv; *a; a++)
			free(*a);
	free(o->argv);
	free(o->thread_regex);
	memset(o, 0, sizeof(*o));
}

/* Parses an unsigned decimal with an optional k/K or m/M suffix (x1024). */
static int parse_uint(const char *arg, unsigned long long max, unsigned long long *out, bool suffix)
{
	if (!arg || !*arg || *arg == '-' || *arg == '+')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || end == arg)
		return -EINVAL;
	if (suffix && (*end == 'k' || *end == 'K')) {
		v *= 1024;
		end++;
	} else if (suffix && (*end == 'm' || *end == 'M')) {
		v *= 1024 * 1024;
		end++;
	}
	if (*end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

__attribute__((format(printf, 3, 4)))
static int usage(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (errbuf && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return CAPTURE_OPT_USAGE;
}

int capture_opts_handle(struct capture_opts *o, int key, const char *arg, char *errbuf, size_t errlen)
{
	unsigned long long v;
	switch (key) {
	case 'p':
		if (parse_uint(arg, INT_MAX, &v, false) || v == 0)
			return usage(errbuf, errlen, "invalid pid '%s' (expected a process id)", arg ? arg : "");
		o->pids = xrealloc(o->pids, (o->npids + 1) * sizeof(*o->pids));
		o->pids[o->npids++] = (pid_t)v;
		return CAPTURE_OPT_HANDLED;
	case 'F':
		if (parse_uint(arg, 100000, &v, false) || v == 0)
			return usage(errbuf, errlen, "invalid frequency '%s' (expected 1 to 100000 Hz)", arg ? arg : "");
		o->freq = (unsigned)v;
		return CAPTURE_OPT_HANDLED;
	case 'd': {
		char *end;
		errno = 0;
		double d = arg ? strtod(arg, &end) : -1;
		if (!arg || errno || end == arg || *end || !(d > 0) || d > 1e7)
			return usage(errbuf, errlen, "invalid duration '%s' (expected seconds > 0)", arg ? arg : "");
		o->duration = d;
		return CAPTURE_OPT_HANDLED;
	}
	case CAPTURE_KEY_STACK_SIZE:
		/* 64k is what people type: perf's limit is 8 bytes less, so round down. */
		if (parse_uint(arg, 65536, &v, true) || v < 512)
			return usage(errbuf, errlen,
				     "invalid stack size '%s' (expected 512 to 65528 bytes, e.g. 32k)", arg ? arg : "");
		if (v > CAPTURE_MAX_STACK)
			v = CAPTURE_MAX_STACK;
		o->stack_size = (uint32_t)(v & ~7ull);
		return CAPTURE_OPT_HANDLED;
	case CAPTURE_KEY_UNWIND:
		if (arg && !strcmp(arg, "dwarf"))
			o->unwind = CAPTURE_UNWIND_DWARF;
		else if (arg && !strcmp(arg, "fp"))
			o->unwind = CAPTURE_UNWIND_FP;
		else
			return usage(errbuf, errlen, "invalid unwind mode '%s' (expected dwarf or fp)", arg ? arg : "");
		return CAPTURE_OPT_HANDLED;
	case CAPTURE_KEY_KERNEL:
		o->kernel = true;
		return CAPTURE_OPT_HANDLED;
	case CAPTURE_KEY_THREAD: {
		regex_t re;
		if (!arg || regcomp(&re, arg, REG_EXTENDED | REG_NOSUB))
			return usage(errbuf, errlen, "invalid thread regex '%s' (POSIX extended syntax)", arg ? arg : "");
		regfree(&re);
		free(o->thread_regex);
		o->thread_regex = xstrdup(arg);
		return CAPTURE_OPT_HANDLED;
	}
	case CAPTURE_KEY_CHILDREN:
		o->children = true;
		return CAPTURE_OPT_HANDLED;
	case CAPTURE_KEY_BACKEND:
		if (arg && !strcmp(arg, "auto"))
			o->backend = CAPTURE_BACKEND_AUTO;
		else if (arg && !strcmp(arg, "perf"))
			o->backend = CAPTURE_BACKEND_PERF;
		else if (arg && !strcmp(arg, "ptrace"))
			o->backend = CAPTURE_BACKEND_PTRACE;
		else
			return usage(errbuf, errlen, "invalid backend '%s' (expected auto, perf or ptrace)", arg ? arg : "");
		return CAPTURE_OPT_HANDLED;
	case CAPTURE_KEY_MODE:
		if (arg && !strcmp(arg, "cpu"))
			o->mode = CAPTURE_MODE_CPU;
		else if (arg && !strcmp(arg, "wall"))
			o->mode = CAPTURE_MODE_WALL;
		else
			return usage(errbuf, errlen, "invalid mode '%s' (expected cpu or wall)", arg ? arg : "");
		return CAPTURE_OPT_HANDLED;
	case CAPTURE_KEY_MAX_DEPTH:
		if (parse_uint(arg, CAPTURE_MAX_DEPTH, &v, false) || v < 1)
			return usage(errbuf, errlen, "invalid max depth '%s' (expected 1 to 4096 frames)", arg ? arg : "");
		o->max_depth = (unsigned)v;
		return CAPTURE_OPT_HANDLED;
	default:
		return CAPTURE_OPT_NOT_MINE;
	}
}

int capture_opts_finish(struct capture_opts *o, int argc, char **argv, char *errbuf, size_t errlen)
{
	if (argc > 0) {
		if (o->npids)
			return usage(errbuf, errlen, "give either -p PID or a command, not both");
		if (o->argv)
			for (char **a = o->argv; *a; a++)
				free(*a);
		free(o->argv);
		o->argv = xcalloc((size_t)argc + 1, sizeof(*o->argv));
		for (int i = 0; i < argc; i++)
			o->argv[i] = xstrdup(argv[i]);
		return 0;
	}
	if (!o->npids && !o->argv)
		return usage(errbuf, errlen, "nothing to profile: give -p PID or -- COMMAND [ARGS]");
	return 0;
}

void capture_getopt_build(const char *extra_short, const struct option *extra_long, char **shorts,
			  struct option **longs)
{
	*shorts = xasprintf("+%s%s", capture_short_options, extra_short ? extra_short : "");
	size_t n = 0, m = 0;
	while (capture_long_options[n].name)
		n++;
	if (extra_long)
		while (extra_long[m].name)
			m++;
	struct option *l = xcalloc(n + m + 1, sizeof(*l));
	memcpy(l, capture_long_options, n * sizeof(*l));
	if (m)
		memcpy(l + n, extra_long, m * sizeof(*l));
	*longs = l;
}

void capture_opts_help(FILE *out)
{
	fprintf(out,
		"  -p, --pid PID         profile a running process (repeat for several)\n"
		"  -F, --freq HZ         samples per second per thread (default %d)\n"
		"  -d, --duration SECS   stop after this many seconds (default: until the target exits or Ctrl-C)\n"
		"      --stack-size BYTES  user stack copied per sample (default %u, max %u; e.g. 32k)\n"
		"      --unwind MODE     dwarf (default: CFI, works without frame pointers) or fp\n"
		"      --kernel          add kernel frames (needs perf_event_paranoid <= 1 or root)\n"
		"      --thread REGEX    only threads whose name matches (POSIX extended regex)\n"
		"      --children        follow processes the target forks and execs\n"
		"      --backend NAME    auto (default: perf, else ptrace), perf or ptrace\n"
		"      --mode MODE       cpu (default: on-CPU samples) or wall (every thread, with its state)\n"
		"      --max-depth N     frames kept per stack (default %u)\n",
		CAPTURE_DEFAULT_FREQ, CAPTURE_DEFAULT_STACK, CAPTURE_MAX_STACK, CAPTURE_DEFAULT_DEPTH);
}

const char *capture_unwind_name(enum capture_unwind u)
{
	return u == CAPTURE_UNWIND_FP ? "fp" : "dwarf";
}

const char *capture_backend_name(enum capture_backend b)
{
	switch (b) {
	case CAPTURE_BACKEND_PERF:
		return "perf";
	case CAPTURE_BACKEND_PTRACE:
		return "ptrace";
	default:
		return "auto";
	}
}

const char *capture_mode_name(enum capture_mode m)
{
	return m == CAPTURE_MODE_WALL ? "wall" : "cpu";
}
