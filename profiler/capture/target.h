/*
 * target: the processes and threads being profiled. Launches a command held
 * at the exec until the backend is ready (so events enabled on exec see no
 * sample of prowl's fork code), attaches to running PIDs, scans
 * /proc/PID/task, tracks thread names, exits and the launched command's exit
 * status. Owns one struct maps per process. Returns 0 or a negative errno,
 * with errno set to match.
 */
#ifndef PROWL_TARGET_H
#define PROWL_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profiler/base/itab.h"
#include "profiler/capture/maps.h"

struct target_thread {
	pid_t tid;
	char name[64];  /* what profiles call it: comm, or a Python thread's threading name */
	char comm[16];  /* the OS name (comm) */
	bool exited;
	bool excluded;  /* --thread REGEX did not match (the session's; backends ask env.thread_wanted) */
};

struct target_proc {
	pid_t pid;
	char *command;  /* /proc/PID/cmdline joined by spaces, or NULL */
	struct maps *maps;
	struct target_thread *threads;
	size_t nthreads, cap;
	bool exited;
	bool jit_watched; /* the resolver knows who it is (for its perf map) */
	uid_t uid;        /* its real uid once uid_known (the session's --uid filter) */
	bool uid_known;
};

struct target {
	struct module_set *modules; /* owned */
	struct target_proc **procs;
	size_t nprocs, cap;
	pid_t child;        /* launched command, 0 if none */
	int child_status;   /* wait status once reaped */
	bool child_reaped;
	uint64_t child_children_cpu_ns; /* CPU its own children used (cutime + cstime), read
					 * before reaping it; 0 when unknown (a backend reaped it) */
	uint64_t child_cpu_ns, child_sys_ns; /* all CPU, and system time, of it and its reaped
					      * children, read at the same time; 0 when unknown */
	int go_fd;          /* write end: releases the held child to exec */
	int err_fd;         /* read end: errno of a failed exec (close-on-exec pipe) */
	bool whole_machine; /* -a: every process of the machine (stacks rooted at "name (pid)") */
	struct itab proc_idx; /* pid -> index in procs (a machine has hundreds) */
};

struct target *target_new(void);
/* Kills nothing: a launched child still held is killed, a running one is left alone. */
void target_free(struct target *t);

/* Raises prowl's soft RLIMIT_NOFILE to the hard limit (the perf backend needs
 * a descriptor per thread and CPU) and remembers the soft limit it had, which
 * every command launched afterwards gets back before its exec: a command must
 * run with the limits its shell gave it (some size tables by the limit, some
 * break with select() above 1024). Process-wide, like the limit itself; call
 * it once, first thing. 0 or a negative errno. */
int target_raise_nofile(void);

/* Whether pid is a kernel thread: no user space, nothing to profile
 * (target_attach refuses one with -EOPNOTSUPP). */
bool target_is_kernel_thread(pid_t pid);

/* What would let prowl profile pid after the kernel refused it (EPERM,
 * EACCES), for the parenthesis of the message, by what /proc says of it:
 * traced by another ("it is traced by 812 (gdb): detach that first"), or
 * another user's ("run as root or with CAP_SYS_PTRACE and CAP_PERFMON: it
 * runs as uid 0 (root), prowl as uid 65534 (nobody)"). Writes buf and
 * returns true; false (buf "") when none of these explains it, and the
 * caller gives its own advice. */
bool target_denied_hint(pid_t pid, char *buf, size_t len);

/* Resolves argv[0] through PATH as execvp would: 0, -ENOENT or -EACCES. */
int target_find_command(const char *cmd, char **path_out);
/* Forks the command, held before execvp until target_release(). */
int target_launch(struct target *t, char *const argv[]);
/* Lets the held child exec; returns -errno of a failed exec (the child is reaped). */
int target_release(struct target *t);
/* Adds a running process: checks it exists (-ESRCH) and is not a kernel
 * thread (-EOPNOTSUPP), and reads its threads and maps. */
int target_attach(struct target *t, pid_t pid);

/* The process a thread id belongs to (Tgid in /proc/TID/status): tid itself
 * for a process, or -ESRCH. */
pid_t target_tgid(pid_t tid);
/* The process record for pid, or NULL. add: create it when missing (fork of a followed child). */
struct target_proc *target_proc(struct target *t, pid_t pid, bool add);
/* The thread record, adding it when add is set. */
struct target_thread *target_thread(struct target_proc *p, pid_t tid, bool add);
/* Rescans /proc/PID/task; newly found threads are added with their names. Returns
 * how many were new, or -errno (-ESRCH when the process is gone). */
int target_scan_threads(struct target_proc *p);
/* Sets a thread's OS name, comm and name both (truncated to 15 bytes). */
void target_thread_set_name(struct target_thread *th, const char *name);
/* Sets the name profiles show alone (a Python thread's threading name,
 * truncated to 63 bytes); comm keeps the OS name. */
void target_thread_set_display_name(struct target_thread *th, const char *name);
size_t target_live_threads(const struct target *t);

/* Reaps the launched child if it exited (non-blocking): true once it has.
 * Where a backend waits for the child itself (ptrace), the session does not
 * call this but records the status the backend's EXIT event carried. */
bool target_child_done(struct target *t);
/* Reads the CPU time the launched child's own children used so far into
 * child_children_cpu_ns (nothing once it is reaped: its pid may be reused). */
void target_child_read_cpu(struct target *t);
/* Records the launched child's wait status, collected by someone else's wait. */
void target_child_exited(struct target *t, int status);
/* Ends and reaps the launched child, so that no zombie is left for an init
 * that does not reap: sends sig (0: none) if it still runs, waits up to
 * grace_ms for it to exit, then SIGKILLs it. Only where nobody else waits for
 * it (no tracer attached). Its shell-style exit code, or -1 with no child. */
int target_child_end(struct target *t, int sig, unsigned grace_ms);
/* The shell-style exit code of the launched child: status, or 128+signal. */
int target_exit_code(const struct target *t);

#endif
