#include "profiler/capture/capture.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"

void capture_opts_init(struct capture_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->freq = CAPTURE_DEFAULT_FREQ;
	o->stack_size = CAPTURE_DEFAULT_STACK;
	o->unwind = CAPTURE_UNWIND_DWARF;
	o->backend = CAPTURE_BACKEND_AUTO;
	o->mode = CAPTURE_MODE_CPU;
	o->max_depth = CAPTURE_DEFAULT_DEPTH;
	o->max_stacks = CAPTURE_DEFAULT_MAX_STACKS;
}

void capture_opts_release(struct capture_opts *o)
{
	free(o->pids);
	free(o->tids);
	if (o->argv)
		for (char **a = o->argv; *a; a++)
			free(*a);
	free(o->argv);
	free(o->thread_regex);
	free(o->comm_regex);
	free(o->uids);
	free(o->cgroup);
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
	errno = EINVAL;
	return -EINVAL;
}

int capture_opts_set(struct capture_opts *o, enum capture_opt which, const char *arg, char *errbuf,
		     size_t errlen)
{
	unsigned long long v;
	switch (which) {
	case CAPTURE_OPT_PID:
		if (parse_uint(arg, INT_MAX, &v, false) || v == 0)
			return usage(errbuf, errlen, "invalid pid '%s' (expected a process id)", arg ? arg : "");
		o->pids = xrealloc(o->pids, (o->npids + 1) * sizeof(*o->pids));
		o->pids[o->npids++] = (pid_t)v;
		return 0;
	case CAPTURE_OPT_TID:
		if (parse_uint(arg, INT_MAX, &v, false) || v == 0)
			return usage(errbuf, errlen, "invalid thread id '%s' (expected a thread id, as ps -L shows)", arg ? arg : "");
		o->tids = xrealloc(o->tids, (o->ntids + 1) * sizeof(*o->tids));
		o->tids[o->ntids++] = (pid_t)v;
		return 0;
	case CAPTURE_OPT_FREQ:
		if (parse_uint(arg, 100000, &v, false) || v == 0)
			return usage(errbuf, errlen, "invalid frequency '%s' (expected 1 to 100000 Hz)", arg ? arg : "");
		o->freq = (unsigned)v;
		return 0;
	case CAPTURE_OPT_DURATION: {
		char *end;
		errno = 0;
		double d = arg ? strtod(arg, &end) : -1;
		if (!arg || errno || end == arg || *end || !(d > 0) || d > 1e7)
			return usage(errbuf, errlen, "invalid duration '%s' (expected seconds > 0)", arg ? arg : "");
		o->duration = d;
		return 0;
	}
	case CAPTURE_OPT_STACK_SIZE:
		/* 64k is what people type: perf's limit is 8 bytes less, so round down. */
		if (parse_uint(arg, 65536, &v, true) || v < 512)
			return usage(errbuf, errlen,
				     "invalid stack size '%s' (expected 512 to 65528 bytes, e.g. 32k)", arg ? arg : "");
		if (v > CAPTURE_MAX_STACK)
			v = CAPTURE_MAX_STACK;
		o->stack_size = (uint32_t)(v & ~7ull);
		return 0;
	case CAPTURE_OPT_UNWIND:
		if (arg && !strcmp(arg, "dwarf"))
			o->unwind = CAPTURE_UNWIND_DWARF;
		else if (arg && !strcmp(arg, "fp"))
			o->unwind = CAPTURE_UNWIND_FP;
		else
			return usage(errbuf, errlen, "invalid unwind mode '%s' (expected dwarf or fp)", arg ? arg : "");
		return 0;
	case CAPTURE_OPT_KERNEL:
		o->kernel = true;
		return 0;
	case CAPTURE_OPT_THREAD: {
		regex_t re;
		if (!arg || regcomp(&re, arg, REG_EXTENDED | REG_NOSUB))
			return usage(errbuf, errlen, "invalid thread regex '%s' (POSIX extended syntax)", arg ? arg : "");
		regfree(&re);
		free(o->thread_regex);
		o->thread_regex = xstrdup(arg);
		return 0;
	}
	case CAPTURE_OPT_NO_PYTHON:
		o->no_python = true;
		return 0;
	case CAPTURE_OPT_GIL:
		o->gil = true;
		return 0;
	case CAPTURE_OPT_CHILDREN:
		o->children = true;
		o->children_set = true;
		return 0;
	case CAPTURE_OPT_NO_CHILDREN:
		o->children = false;
		o->children_set = true;
		return 0;
	case CAPTURE_OPT_BACKEND:
		if (arg && !strcmp(arg, "auto"))
			o->backend = CAPTURE_BACKEND_AUTO;
		else if (arg && !strcmp(arg, "perf"))
			o->backend = CAPTURE_BACKEND_PERF;
		else if (arg && !strcmp(arg, "ptrace"))
			o->backend = CAPTURE_BACKEND_PTRACE;
		else
			return usage(errbuf, errlen, "invalid backend '%s' (expected auto, perf or ptrace)", arg ? arg : "");
		return 0;
	case CAPTURE_OPT_MODE:
		if (arg && !strcmp(arg, "cpu"))
			o->mode = CAPTURE_MODE_CPU;
		else if (arg && !strcmp(arg, "wall"))
			o->mode = CAPTURE_MODE_WALL;
		else
			return usage(errbuf, errlen, "invalid mode '%s' (expected cpu or wall)", arg ? arg : "");
		return 0;
	case CAPTURE_OPT_MAX_DEPTH:
		if (parse_uint(arg, CAPTURE_MAX_DEPTH, &v, false) || v < 1)
			return usage(errbuf, errlen, "invalid max depth '%s' (expected 1 to 4096 frames)", arg ? arg : "");
		o->max_depth = (unsigned)v;
		return 0;
	case CAPTURE_OPT_MAX_STACKS:
		if (parse_uint(arg, CAPTURE_MAX_MAX_STACKS, &v, true) || v < 1)
			return usage(errbuf, errlen, "invalid max stacks '%s' (expected 1 to 1000000000; k and m multiply by 1024)",
				     arg ? arg : "");
		o->max_stacks = (unsigned)v;
		return 0;
	case CAPTURE_OPT_ALL:
		o->system_wide = true;
		return 0;
	case CAPTURE_OPT_COMM: {
		regex_t re;
		if (!arg || regcomp(&re, arg, REG_EXTENDED | REG_NOSUB))
			return usage(errbuf, errlen, "invalid --comm regex '%s' (POSIX extended syntax)", arg ? arg : "");
		regfree(&re);
		free(o->comm_regex);
		o->comm_regex = xstrdup(arg);
		o->system_wide = true;
		return 0;
	}
	case CAPTURE_OPT_UID: {
		uid_t uid;
		if (parse_uint(arg, UINT32_MAX - 1, &v, false) == 0) {
			uid = (uid_t)v;
		} else {
			struct passwd *pw = arg && *arg ? getpwnam(arg) : NULL;
			if (!pw)
				return usage(errbuf, errlen, "unknown user '%s' (give a user name or number)", arg ? arg : "");
			uid = pw->pw_uid;
		}
		o->uids = xrealloc(o->uids, (o->nuids + 1) * sizeof(*o->uids));
		o->uids[o->nuids++] = uid;
		o->system_wide = true;
		return 0;
	}
	case CAPTURE_OPT_CGROUP:
		if (!arg || !*arg)
			return usage(errbuf, errlen, "--cgroup needs a path (e.g. system.slice/nginx.service)");
		free(o->cgroup);
		o->cgroup = xstrdup(arg);
		o->system_wide = true;
		return 0;
	}
	return usage(errbuf, errlen, "unknown capture option %d", (int)which);
}

void capture_opts_set_command(struct capture_opts *o, int argc, char *const *argv)
{
	if (o->argv)
		for (char **a = o->argv; *a; a++)
			free(*a);
	free(o->argv);
	o->argv = NULL;
	if (argc <= 0)
		return;
	o->argv = xcalloc((size_t)argc + 1, sizeof(*o->argv));
	for (int i = 0; i < argc; i++)
		o->argv[i] = xstrdup(argv[i]);
	/* A build or a script does its work in children: follow them, as perf does. */
	if (!o->children_set)
		o->children = true;
}

int capture_opts_check(const struct capture_opts *o, char *errbuf, size_t errlen)
{
	if (o->argv && o->npids)
		return usage(errbuf, errlen, "give either -p PID or a command, not both");
	if (o->argv && o->ntids)
		return usage(errbuf, errlen, "give either -t TID or a command, not both");
	if (o->system_wide && (o->npids || o->ntids || o->argv))
		return usage(errbuf, errlen, "-a (and --comm, --uid, --cgroup) samples the whole machine: give it without "
					     "-p, -t or a command");
	if (o->system_wide && o->backend == CAPTURE_BACKEND_PTRACE)
		return usage(errbuf, errlen, "the ptrace backend follows chosen processes only: -a needs the perf backend "
					     "(drop --backend ptrace)");
	if (!o->npids && !o->ntids && !o->argv && !o->system_wide)
		return usage(errbuf, errlen, "nothing to profile: give -p PID, -- COMMAND [ARGS] or -a (the whole machine)");
	if (o->gil && o->no_python)
		return usage(errbuf, errlen, "--gil needs the Python frames --no-python turns off: give one of them");
	return 0;
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

size_t capture_opts_unused(const struct capture_opts *o, const char **out, size_t max)
{
	size_t n = 0;
#define UNUSED(cond, msg)            \
	do {                         \
		if ((cond) && n < max) \
			out[n++] = (msg); \
	} while (0)
	bool ptrace = o->backend == CAPTURE_BACKEND_PTRACE;
	bool copied = o->stack_size != CAPTURE_DEFAULT_STACK;
	UNUSED(ptrace && o->kernel, "--kernel does nothing with --backend ptrace (it reads user stacks only); ignored");
	UNUSED(ptrace && o->unwind == CAPTURE_UNWIND_FP,
	       "--unwind fp does nothing with --backend ptrace (it unwinds by DWARF CFI); ignored");
	UNUSED(ptrace && copied, "--stack-size does nothing with --backend ptrace (it reads the stack in place); ignored");
	UNUSED(!ptrace && copied && o->unwind == CAPTURE_UNWIND_FP,
	       "--stack-size does nothing with --unwind fp (frame pointers need no stack copy); ignored");
#undef UNUSED
	return n;
}

