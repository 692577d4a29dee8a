/*
 * offcpu: reads the threads of a process that are off the CPU without
 * stopping them, for wall-clock profiles. A thread blocked in a system call
 * shows in /proc/PID/task/TID/syscall its call number, arguments, user stack
 * pointer and pc; its user stack cannot change while it stays blocked, so it
 * is read with process_vm_readv and unwound with profiler/capture/unwind.
 * Whether the thread ran since the last look comes from its run count
 * (schedstat): a thread that did not run is still in the same call at the
 * same sp and pc, and last look's stack is reused without reading memory.
 * Each look weighs the thread's time off the CPU since its previous look, in
 * sampling periods, so on-CPU samples (the backend's) and these add up to
 * the thread's wall time.
 *
 * Memory: struct offcpu owns its per-thread records, their open /proc files
 * and their stacks; what a look returns points into them and is valid until
 * the next call on the same offcpu. Functions return 0 or a negative errno
 * with errno set to match (pointers: NULL); nothing here prints.
 */
#ifndef PROWL_OFFCPU_H
#define PROWL_OFFCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profiler/capture/maps.h"
#include "profiler/capture/sampler.h"
#include "profiler/capture/unwind.h"

/* One reading of /proc/PID/task/TID/syscall. */
enum offcpu_where {
	OFFCPU_RUNNING = 0, /* "running": on a CPU or ready for one */
	OFFCPU_IN_CALL,     /* blocked in system call nr */
	OFFCPU_NO_CALL,     /* blocked outside a call ("-1 sp pc": a page fault) */
};

struct offcpu_call {
	enum offcpu_where where;
	long nr;            /* OFFCPU_IN_CALL: the call (x86_64 number) */
	uint64_t args[6];   /* its arguments (rdi rsi rdx r10 r8 r9) */
	uint64_t sp, pc;    /* user stack pointer and pc (not for OFFCPU_RUNNING) */
};

/* Parses the text of a syscall file (len bytes, no NUL needed). -EINVAL
 * when it is none of the three forms. */
int offcpu_parse_syscall(const char *text, size_t len, struct offcpu_call *c);

/* One read of /proc/PID/task/TID/syscall (no cache, nothing kept): for a
 * one-time look such as `prowl dump`'s. -ESRCH when the thread is gone,
 * -EACCES/-EPERM when the kernel denies it, -EINVAL when unreadable. */
int offcpu_read_call(pid_t pid, pid_t tid, struct offcpu_call *c);

/* The wall-mode state of a thread blocked as c says, and the call that names
 * it when the state is SAMPLE_STATE_SYSCALL (*nr, else -1). */
enum sample_state offcpu_state(const struct offcpu_call *c, int *nr);
/* The pseudo-frame of a state ("[lock wait]", "[semtimedop]", "[running]"),
 * written into buf when it needs the call's name; never NULL. */
const char *offcpu_state_name(enum sample_state st, int nr, char *buf, size_t len);
/* A state and its call as one number (an aggregate's AGG_STATE address), and back. */
uint64_t offcpu_state_code(enum sample_state st, int nr);
void offcpu_state_decode(uint64_t code, enum sample_state *st, int *nr);
/* The name of a system call (x86_64) a thread may block in, or NULL. */
const char *offcpu_syscall_name(long nr);

/* The off-CPU time of an interval of dt ns of wall time in which the thread's
 * CPU time (schedstat) grew by dc ns. A running thread's CPU time is brought
 * up to date only at scheduler ticks, so an interval may read more CPU than
 * wall time: *ahead_ns (per thread, start at 0) keeps that excess and takes
 * it back from the next off-CPU time, so the sum over intervals is exact. */
uint64_t offcpu_off_ns(uint64_t dt, uint64_t dc, uint64_t *ahead_ns);

/* What one look at a thread gives. */
struct offcpu_look {
	bool blocked;            /* blocked in the kernel now; else running or ready */
	/* Where the weight goes: blocked, the stack it is blocked in; found
	 * ready after a look that found it blocked, that stack (it woke since);
	 * else SAMPLE_STATE_RUNNABLE and its last on-CPU stack (offcpu_note_cpu),
	 * or none (nips 0: the time waits for the next look). */
	enum sample_state state;
	int syscall;             /* SAMPLE_STATE_SYSCALL: the call */
	const uint64_t *ips;     /* leaf first, as unwind.h gives them */
	size_t nips;
	unsigned flags;          /* SAMPLE_PARTIAL / SAMPLE_TRUNCATED, the unwinder's notes */
	uint64_t weight;         /* whole periods of off-CPU time to charge to this look */
	bool cached;             /* the stack is last look's (the thread did not run) */
	const struct offcpu_call *call; /* with a stack: the call it was read in (its
					 * arguments: a futex's address), else NULL */
};

struct offcpu_stats {
	uint64_t looks;    /* thread looks */
	uint64_t blocked;  /* of them: blocked */
	uint64_t hits;     /* of those: served from the unchanged-thread cache */
	uint64_t reads;    /* stacks read and unwound */
	uint64_t raced;    /* reads that raced with the thread waking (retried) */
	uint64_t dropped;  /* reads that raced twice: not kept */
	uint64_t denied;   /* looks the kernel refused */
};

struct offcpu;

/* unwinder NULL: frame-pointer walks. max_frames bounds a stack; period_ns
 * is the sampling period weights are counted in. */
struct offcpu *offcpu_new(struct unwinder *unwinder, size_t max_frames, uint64_t period_ns);
void offcpu_free(struct offcpu *o);

/* Looks at one thread now. The first look at a thread only sets where its
 * time is counted from (weight 0). 0 with *out filled; -ESRCH when the thread
 * is gone; -EACCES/-EPERM when the kernel denies reading it; -EAGAIN when its
 * stack read raced with it waking twice (counted, nothing kept: its time goes
 * with its next look). */
int offcpu_look(struct offcpu *o, pid_t pid, pid_t tid, struct maps *maps, struct offcpu_look *out);
/* The stack a cpu-clock sample found the thread running in: what time it
 * spends ready but off the CPU is charged to (SAMPLE_STATE_RUNNABLE). */
void offcpu_note_cpu(struct offcpu *o, pid_t pid, pid_t tid, const uint64_t *ips, size_t n);
/* Looks between offcpu_round_begin and _end form a round: threads not looked
 * at in a round are forgotten at its end (they exited). */
void offcpu_round_begin(struct offcpu *o);
void offcpu_round_end(struct offcpu *o);
void offcpu_stats(const struct offcpu *o, struct offcpu_stats *st);

/* The one-line reason why the blocked threads of pid cannot be read (err
 * from offcpu_look: -EACCES/-EPERM), into buf: names Yama's ptrace_scope when
 * it is what denies. */
void offcpu_denied_message(pid_t pid, int err, char *buf, size_t len);
/* The same line for a given ptrace_scope (-1: no Yama). */
void offcpu_denied_text(pid_t pid, int err, int scope, char *buf, size_t len);

#endif
