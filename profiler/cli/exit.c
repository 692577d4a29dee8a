#include "profiler/cli/exit.h"

#include <errno.h>
#include <string.h>

const struct exit_status exit_statuses[] = {
	{ EX_OK, "done (record of a launched command: the command's own status, 128+N if signal N killed it)" },
	{ EX_USAGE, "usage: unknown option, missing or bad value, unknown format or -o extension" },
	{ EX_DATAERR, "data error: an input that is read but wrong (addr2line: not a hex address)" },
	{ EX_NOINPUT, "no input: no such file, not a profile prowl reads, not an ELF file (addr2line), no such process, the process is gone" },
	{ EX_UNAVAILABLE, "unavailable: neither perf_event nor ptrace can sample it (a kernel thread has no user stack); no terminal curses can drive (top)" },
	{ EX_SOFTWARE, "software: the capture failed midway" },
	{ EX_CANTCREAT, "cannot create the -o file (missing folder, no permission, disk full)" },
	{ EX_IOERR, "I/O error writing stdout" },
	{ EX_NOPERM, "permission: not allowed to profile that process" },
	{ EX_NOEXEC, "the command to launch is not executable (as a shell says)" },
	{ EX_NOTFOUND, "the command to launch was not found (as a shell says)" },
	{ 0, NULL },
};

int exit_code(enum exit_stage stage, int err)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		err = EIO;
	switch (stage) {
	case EXIT_LAUNCH:
		switch (err) {
		case ENOENT:
			return EX_NOTFOUND;
		case EACCES:
		case ENOEXEC:
		case EISDIR:
		case ETXTBSY:
		case ELIBBAD:
			return EX_NOEXEC;
		case ESRCH:
		case ECHILD:
			return EX_NOINPUT; /* it died before we could sample it */
		}
		break;
	case EXIT_TARGET:
		switch (err) {
		case ESRCH:
		case ENOENT:
		case ECHILD:
			return EX_NOINPUT;
		case EACCES:
			return EX_NOPERM;
		}
		break;
	case EXIT_INPUT:
		return EX_NOINPUT; /* missing, unreadable or not what we read: sysexits' "no input" */
	case EXIT_OUTPUT:
		return EX_CANTCREAT;
	case EXIT_STDOUT:
		return EX_IOERR;
	}
	/* Launching or sampling: refused, or the kernel cannot (no perf_event, no ptrace). */
	return err == EPERM ? EX_NOPERM : EX_UNAVAILABLE;
}

int exit_code_output(const char *path, int err)
{
	return exit_code(path && strcmp(path, "-") ? EXIT_OUTPUT : EXIT_STDOUT, err);
}
