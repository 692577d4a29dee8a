/*
 * exit: the one table from a failure to prowl's exit status, shared by every
 * command so the same failure gives the same status everywhere (README,
 * "Exit status"; tests/exitcodes.tsv checks it). Commands pass the negative
 * (or positive) errno a module returned, never errno read afterwards, plus
 * what they were doing when it failed: the same ENOENT means "command not
 * found" when launching, "no such input" when reading, "cannot create" when
 * writing. Pure functions: no state, no printing.
 */
#ifndef PROWL_EXIT_H
#define PROWL_EXIT_H

#define EX_OK 0
#define EX_FAIL 1
#define EX_USAGE 64       /* bad command line */
#define EX_DATAERR 65     /* input read but wrong (addr2line: not an address) */
#define EX_NOINPUT 66     /* no such input file, process, or the process is gone */
#define EX_UNAVAILABLE 69 /* the kernel or terminal cannot do it (no perf, no ptrace, no curses) */
#define EX_SOFTWARE 70    /* capture failed midway (a bug or the unexpected) */
#define EX_CANTCREAT 73   /* the -o file cannot be written */
#define EX_IOERR 74       /* writing to stdout failed */
#define EX_NOPERM 77      /* not allowed to profile that process */
#define EX_NOEXEC 126     /* the command exists but cannot be executed (as a shell says) */
#define EX_NOTFOUND 127   /* the command was not found (as a shell says) */

enum exit_stage {
	EXIT_LAUNCH, /* starting a command to profile */
	EXIT_TARGET, /* attaching to or sampling a process (-p, dump) */
	EXIT_INPUT,  /* reading an input file (a profile, an ELF file) */
	EXIT_OUTPUT, /* writing the -o file ("-" is stdout: EX_IOERR) */
	EXIT_STDOUT, /* writing to stdout */
};

/* Every status prowl returns, what it means, in order: the man page's and
 * README's table. Ended by { 0, NULL }. */
struct exit_status {
	int code;
	const char *meaning; /* a line, lowercase */
};
extern const struct exit_status exit_statuses[];

/* The exit status for err (a negative or positive errno; 0 means EIO) met at stage. */
int exit_code(enum exit_stage stage, int err);
/* exit_code(EXIT_OUTPUT or EXIT_STDOUT as path is "-" or not, err). */
int exit_code_output(const char *path, int err);

#endif
