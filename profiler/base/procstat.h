/*
 * procstat: what /proc says about a thread (scheduler state letter, name, CPU
 * time), its name, the threads of a process, and the label a wall-clock
 * profile shows for a state: the one set of /proc readers of prowl (capture,
 * dump and top use these, never their own). Functions return 0 or a negative
 * errno, with errno set to match.
 */
#ifndef PROWL_PROCSTAT_H
#define PROWL_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct procstat {
	char state;          /* R S D T t Z X I W P ... as in proc(5) */
	char comm[64];       /* thread name (comm) */
	uint64_t cpu_ticks;  /* utime + stime, in clock ticks */
	int processor;       /* CPU last run on */
};

/* Reads /proc/PID/task/TID/stat (tid == pid for the leader). -ENOENT when gone. */
int procstat_read(pid_t pid, pid_t tid, struct procstat *st);

/* The thread's name (/proc/PID/task/TID/comm, without the newline) into
 * buf (at least 1 byte; cut to fit). -ENOENT (and buf "") when gone. */
int procstat_comm(pid_t pid, pid_t tid, char *buf, size_t len);

/* The command line of a process (/proc/PID/cmdline, arguments joined by
 * spaces), malloc'd; NULL with errno when gone or empty (a kernel thread). */
char *procstat_cmdline(pid_t pid);

/* The value of one "Key:" line of /proc/PID/task/TID/status (key given with
 * its colon, e.g. "TracerPid:"), leading blanks and the newline stripped,
 * into buf. -ENOENT when the thread is gone or has no such line. */
int procstat_status(pid_t pid, pid_t tid, const char *key, char *buf, size_t len);

/* Just the state letter, or 0 when the thread is gone. */
char procstat_state(pid_t pid, pid_t tid);

/* How many times the thread was given a CPU after waiting for one (the third
 * field of /proc/PID/task/TID/schedstat). A thread on a CPU that is stopped
 * and looked at keeps its count; one that had to wait for a CPU first does
 * not. 0 with *runs = 0 when the kernel keeps no such count. */
int procstat_runs(pid_t pid, pid_t tid, uint64_t *runs);
/* The same, with the thread's time on a CPU so far in ns (the first field:
 * exact, where stat's utime + stime count whole clock ticks). */
int procstat_sched(pid_t pid, pid_t tid, uint64_t *run_ns, uint64_t *runs);

/* A whole process's CPU time so far in ns (/proc/PID/stat: utime and stime
 * of all its threads, exited ones included, and cutime, cstime: of its
 * reaped children). Clock-tick resolution. -ENOENT when gone. */
struct procstat_cpu {
	uint64_t user_ns, sys_ns;
	uint64_t children_user_ns, children_sys_ns;
};
int procstat_process_cpu(pid_t pid, struct procstat_cpu *c);

/* The pseudo-frame of a wall-clock sample for a state letter: "[running]",
 * "[sleeping]", "[I/O wait]", "[stopped]", ... never NULL. */
const char *procstat_state_label(char state);

/* Lists /proc/PID/task into a new array (sorted ascending); returns the count
 * or a negative errno (-ESRCH when the process is gone). */
int procstat_tasks(pid_t pid, pid_t **tids);
/* Every process of the machine (the numeric entries of /proc), sorted, in a
 * malloc'd array in *pids; the count, or -errno (*pids NULL). */
int procstat_pids(pid_t **pids);

#endif
