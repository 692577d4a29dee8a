/*
 * stackshot: every thread of one process, unwound once (`prowl dump`). All
 * threads are stopped together (PTRACE_SEIZE + PTRACE_INTERRUPT), each is
 * unwound over live memory as soon as it stops and let go at once, and the
 * process is detached before anything is named: the target is held for the
 * unwinds only, never for DWARF work. Naming is resolve.h's job.
 *
 * Takes the capture options that make sense for one look: the pid (exactly
 * one), --thread REGEX (threads whose name does not match are left out) and
 * --max-depth, and --no-python. A CPython process (pysample.h) gets each
 * thread's Python frames read in the thread's stop and merged with its native
 * stack. Returns 0 or a negative errno with errno set, and then (like
 * session_new) a malloc'd one-line message in *errmsg to print and free. The
 * caller owns the struct stackshot (stackshot_free).
 */
#ifndef PROWL_STACKSHOT_H
#define PROWL_STACKSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profiler/capture/capture.h"
#include "profiler/capture/pysample.h"
#include "profiler/capture/target.h"

struct stackshot_thread {
	pid_t tid;
	char name[64];
	char state;      /* scheduler state letter before we stopped it (0: unknown) */
	uint64_t *pcs;   /* absolute addresses, leaf first: pcs[0] is the pc, the */
	size_t npcs;     /*   others return addresses (look up at pc-1) */
	unsigned flags;  /* UNWIND_PARTIAL | UNWIND_TRUNCATED | UNWIND_DEPTH */
	int err;         /* 0, or the negative errno of a stack not read (-ETIMEDOUT: did not stop) */
	long call;       /* the system call it was waiting in before the stop (/proc/.../syscall), or -1 */
	uint64_t call_args[6]; /* that call's arguments (rdi rsi rdx r10 r8 r9) */
	struct py_sample py; /* CPython: its Python frames merged with pcs, read in the same stop
			      * (py.nmerged == 0: none, show pcs as they are) */
};

struct stackshot {
	pid_t pid;
	struct target *target;  /* the process's maps and modules (for resolve) */
	struct target_proc *proc;
	struct pysample_proc *python; /* NULL with --no-python; python->message: the line to show */
	struct stackshot_thread *threads;
	size_t nthreads, cap;
};

/* How long a thread may take to stop before it is reported with -ETIMEDOUT. */
#define STACKSHOT_WAIT_NS 2000000000ull

/* The label logic, pure for the tests. Whether a thread's registers at its
 * stop show a system call that was waiting (interrupted, to be restarted). */
bool stackshot_blocked_in_syscall(long long orig_rax, long long rax);
/* The state letter to show: the one read before the stop (T stays stopped,
 * t traced), except that a thread caught waiting in a system call is
 * sleeping even when the letter said running. */
char stackshot_state_at_stop(char before, bool blocked_in_syscall);

int stackshot_take(const struct capture_opts *o, struct stackshot **out, char **errmsg);
void stackshot_free(struct stackshot *ss);

#endif
