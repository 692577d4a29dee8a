#include "profiler/cli/exit.h"

#include <errno.h>
#include <string.h>

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
