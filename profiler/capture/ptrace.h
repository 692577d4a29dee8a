/*
 * ptrace: stop-and-look control of every thread of one process. PTRACE_SEIZE
 * (never ATTACH, never EXITKILL) so the kernel detaches cleanly if prowl dies;
 * threads created later are followed with PTRACE_O_TRACECLONE; a thread the
 * user stopped stays stopped (PTRACE_LISTEN); every signal seen in a
 * signal-delivery-stop is re-injected, exactly once. Also a live memory reader
 * over process_vm_readv with a small page cache. The caller owns the
 * struct ptrace_proc; functions return 0 or a negative errno (errno set to
 * match) and never print.
 */
#ifndef PROWL_PTRACE_H
#define PROWL_PTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "profiler/capture/unwind.h"

enum ptrace_tstate {
	PT_RUNNING = 0,   /* resumed by us (PTRACE_CONT), may be sleeping in the kernel */
	PT_INTERRUPTED,   /* PTRACE_INTERRUPT sent, its stop not seen yet */
	PT_STOPPED,       /* in a ptrace-stop, waiting for us to resume it */
	PT_LISTENING,     /* in the user's group-stop, left there with PTRACE_LISTEN */
	PT_NEW,           /* auto-attached clone whose first stop was not seen yet */
};

struct ptrace_thread {
	pid_t tid;
	enum ptrace_tstate state;
	int resume_sig;    /* signal to re-inject when resumed (signal-delivery-stop), or 0 */
	bool group_stop;   /* the stop is the user's group-stop: resume with LISTEN */
	bool sampled;      /* a sample was taken in the current stop (for the caller) */
	uint64_t stop_ns;  /* when the current stop was seen */
	char sched;        /* the caller's scratch: scheduler state read before the interrupt */
	uint64_t last_sample_ns; /* the caller's scratch: when it was last sampled */
	uint64_t runs;     /* the caller's scratch: CPU arrivals counted before the interrupt */
	bool on_our_cpu;   /* the caller's scratch: it was queued on the CPU the caller ran on */
	unsigned hold_off; /* the caller's scratch: ticks to leave it alone (a fork we cut) */
	bool detach_after; /* set by a collect callback: detach it there instead of resuming */
	/* The caller's scratch (cpu mode weights): the thread's CPU time at the
	 * last look, the part of a period not yet given to a sample, and whether
	 * cpu_ns was read (a thread cloned while traced starts from 0). */
	uint64_t cpu_ns, cpu_carry_ns;
	bool cpu_known;
	char comm[16];     /* the caller's scratch: the name it last reported */
};

struct ptrace_proc {
	pid_t pid;
	struct ptrace_thread *threads;
	size_t nthreads, cap;
	bool exec_seen;    /* an exec happened since the caller last cleared this */
	bool exited;       /* the whole process is gone */
	int exit_status;   /* wait status of the leader when we reaped it, or -1 */
	uint64_t signals_reinjected;
	uint64_t restarted;   /* calls our stops cut short with EINTR, set to run again (ptrace_thread_restart_cut) */
	uint64_t stops;    /* our interrupt-stops taken */
	uint64_t stop_wait_ns; /* total time spent waiting for interrupt-stops */
	uint64_t late;     /* interrupts whose stop did not come within the deadline */
	uint64_t held_ns;  /* total time threads spent held by collect (seen stopped to resumed) */
	uint64_t clones;   /* threads it created (each a clone-event stop of the creator, and the new one's first stop) */
	unsigned long opts; /* PTRACE_O_* given to PTRACE_SEIZE */
	/* With PTRACE_PROC_FOLLOW_FORKS: processes forked since the caller last
	 * took them (each already traced, its first stop pending), and the
	 * thread that forked each one. The caller adopts them with
	 * ptrace_proc_adopt() and clears nforked. */
	pid_t *forked, *forked_by;
	size_t nforked, capforked, capforked_by;
};

enum {
	PTRACE_PROC_FOLLOW_FORKS = 1, /* trace children forked (and vforked) by the process too */
};

/* Seizes every thread of pid (rescanning /proc/PID/task until no new thread
 * appears) with clone and exec tracing. On failure nothing stays attached:
 * -EPERM (not allowed), -ESRCH (no such process). */
int ptrace_proc_attach(struct ptrace_proc *p, pid_t pid);
/* The same with PTRACE_PROC_* flags. */
int ptrace_proc_attach_flags(struct ptrace_proc *p, pid_t pid, unsigned flags);
/* Sets up p for a child the kernel attached to us at its fork (see forked). */
void ptrace_proc_adopt(struct ptrace_proc *p, pid_t child, const struct ptrace_proc *parent);

/* Resumes and detaches from every thread, leaving user-stopped threads stopped
 * and delivering any signal still held. Safe to call twice, and after exit. */
void ptrace_proc_detach(struct ptrace_proc *p);

/* Frees the thread table (call after detach). */
void ptrace_proc_release(struct ptrace_proc *p);

/* Handles every ptrace event already waiting (clone, exec, exit, signals,
 * SIGCONT out of a group-stop, late interrupt-stops) without blocking, and
 * resumes the threads concerned. Returns the number of events handled. */
int ptrace_proc_poll(struct ptrace_proc *p);
/* The same, passing to cb (as ptrace_proc_collect does) each thread whose
 * interrupt-stop came after collect's deadline, before resuming it. */
int ptrace_proc_poll_cb(struct ptrace_proc *p,
			void (*cb)(struct ptrace_proc *p, struct ptrace_thread *t, void *arg), void *arg);

/* Serves a thread we left running (PT_RUNNING or PT_NEW) that sits in a
 * ptrace-stop of its own: a clone, exec or fork event, a signal, its first stop
 * or a group-stop. Such a thread waits for us, not for its program: it is
 * resumed at once (no cb). Returns 1 when a stop was served (the table may
 * have changed: look threads up again), 0 when none was waiting, or a
 * negative errno. */
int ptrace_thread_serve(struct ptrace_proc *p, pid_t tid);

/* Sends PTRACE_INTERRUPT to thread t (which must be PT_RUNNING). */
int ptrace_thread_interrupt(struct ptrace_proc *p, struct ptrace_thread *t);

/* Waits until the threads in PT_INTERRUPTED have stopped, at most deadline_ns
 * in total; each thread that stops is passed to cb (state PT_STOPPED) as soon as
 * it stops, then resumed (cb may not resume it itself). cb may be NULL. Threads
 * still not stopped at the deadline are counted in p->late and handled by a
 * later poll. Returns the number of threads passed to cb. */
int ptrace_proc_collect(struct ptrace_proc *p, uint64_t deadline_ns,
			void (*cb)(struct ptrace_proc *p, struct ptrace_thread *t, void *arg), void *arg);

/* Resumes a stopped thread the right way (CONT with its held signal, or LISTEN). */
int ptrace_thread_resume(struct ptrace_proc *p, struct ptrace_thread *t);

/* Reads the general registers of a stopped thread. */
int ptrace_thread_regs(pid_t tid, struct user_regs_struct *regs);

/* The registers the unwinder wants, from PTRACE_GETREGS's (x86_64). */
void ptrace_regs_convert(const struct user_regs_struct *r, struct unwind_regs *u);

/* A thread our interrupt stopped at the exit of a call that the stop cut
 * short with EINTR (epoll_wait, semtimedop, sigtimedwait cannot be
 * restarted by the kernel), with no signal pending for it: sets the call to
 * run again when the thread resumes, as the kernel restarts the others.
 * regs: its registers at the stop, or NULL to read them. 1 when restarted
 * (counted in p->restarted), 0 when there was nothing to undo, or -errno. */
int ptrace_thread_restart_cut(struct ptrace_proc *p, pid_t tid, const struct user_regs_struct *regs);

/* Finds a thread by id, or NULL. */
struct ptrace_thread *ptrace_proc_find(struct ptrace_proc *p, pid_t tid);

/* A reader of another process's memory through process_vm_readv, with a small
 * cache of pages: call ptrace_mem_reset() whenever the target may have run. */
#define PTRACE_MEM_PAGES 16
#define PTRACE_MEM_PAGE 4096u
struct ptrace_mem {
	pid_t pid;
	unsigned used;     /* pages filled, round-robin replacement */
	unsigned next;
	uint64_t addr[PTRACE_MEM_PAGES];
	bool valid[PTRACE_MEM_PAGES];
	unsigned char page[PTRACE_MEM_PAGES][PTRACE_MEM_PAGE];
	uint64_t reads, hits; /* process_vm_readv calls, cache hits */
};

void ptrace_mem_init(struct ptrace_mem *m, pid_t pid);
void ptrace_mem_reset(struct ptrace_mem *m);
/* Copies n bytes at addr into buf; -EFAULT when any byte is not readable. */
int ptrace_mem_read(struct ptrace_mem *m, uint64_t addr, void *buf, size_t n);

#endif
