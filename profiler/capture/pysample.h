/*
 * pysample: the Python half of a sample. One struct pysample_proc per target
 * process finds its CPython (python_detect(), again only when the files it
 * maps that could hold an interpreter change), keeps its code cache, and,
 * while the caller holds one of its threads stopped, reads that thread's
 * Python frames and merges them with the native stack just unwound
 * (python_merge(): each _PyEval_EvalFrameDefault frame, .cold part too,
 * replaced by the Python frames it runs). Both halves then belong to the
 * same instant, which is why this runs inside the stop (ptrace sampler,
 * stackshot) and never after it.
 *
 * Memory: the caller owns the pysample_proc (pysample_free) and each struct
 * py_sample (pysample_release); a py_sample owns its frames. Returns 0 or a
 * negative errno (errno set); never prints: the one line the user should see
 * about the interpreter is in pysample_proc.message.
 */
#ifndef PROWL_PYSAMPLE_H
#define PROWL_PYSAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profiler/base/itab.h"
#include "profiler/capture/maps.h"
#include "profiler/capture/python.h"

enum pysample_state {
	PYSAMPLE_UNKNOWN = 0, /* not looked yet, or no interpreter mapped so far */
	PYSAMPLE_READY,       /* a supported CPython: samples get Python frames */
	PYSAMPLE_UNSUPPORTED, /* a CPython prowl cannot read: message says which */
};

struct pysample_named {
	uint32_t tid;
	char name[64]; /* the Python name last returned, "" none */
};

struct pysample_proc {
	pid_t pid;
	enum pysample_state state;
	struct python_target target;
	struct py_code_cache *cache;
	uint64_t files_key;   /* the candidate files at the last detection */
	uint64_t maps_gen;    /* the maps generation then (unchanged: nothing to look at) */
	char message[400];    /* "python 3.11.7 (/usr/bin/python3.11)" or why not supported */
	/* Counts: samples merged, of which the halves did not match, and
	 * stopped threads whose Python frames could not be read. */
	uint64_t merged, mismatched, unread;
	uint64_t edges; /* merged samples caught at a call's edge (py_sample.edge) */
	uint64_t gil[2];      /* [start, end) of the GIL's struct once found (python_gil_range) */
	bool gil_tried;
	py_read_fn read;      /* how the target's memory is read in a stop (default: process_vm_readv) */
	void *read_ctx;
	/* Thread names (pysample_thread_name): the last python_read_names(),
	 * when it was read, how often, and per thread seen the name last given. */
	struct py_names names;
	struct py_names_hint names_hint;
	uint64_t names_ns, name_reads;
	struct pysample_named *named;
	size_t nnamed, named_cap;
	struct itab named_index; /* tid -> index into named */
	/* What exec names a main thread (basenames of the executable and of the
	 * command line's first two words, cut to 15 bytes), read once. */
	char exec_names[3][16];
	bool exec_known;
};

/* A merged stack: elements innermost first, each a native frame (index into
 * the pcs given) or a Python frame (index into thread.frames). */
struct py_sample {
	struct py_thread thread;
	struct py_merged *merged;
	size_t nmerged, cap;
	bool partial; /* the two halves did not match (see python_merge) */
	/* Not a mismatch: the innermost evaluation frame runs no Python frame
	 * yet or any more (a call from C being entered or left); it stays as a
	 * native frame. */
	bool edge;
};

struct pysample_proc *pysample_new(pid_t pid);
void pysample_free(struct pysample_proc *p);
/* Reads in a stop through read(ctx, ...) instead: a sampler's page cache,
 * reset at each stop, saves a system call per read on pages it has seen. */
void pysample_set_reader(struct pysample_proc *p, py_read_fn read, void *ctx);

/* Looks for the interpreter when the process's file mappings (maps) that
 * could hold one changed since the last look. Returns 1 when it became
 * PYSAMPLE_READY or PYSAMPLE_UNSUPPORTED by this call (message is then the
 * line to show), else 0. */
int pysample_detect(struct pysample_proc *p, const struct maps *maps);

/* Reads the Python frames of thread tid (stopped by the caller) and merges
 * them with its native stack pcs[0..n) (leaf first: pcs[0] the pc, the
 * others return addresses). out must be zeroed or released before. 0, or a
 * negative errno: -ENOENT when the process runs no supported CPython,
 * -ESRCH when the thread holds no Python state (out then empty). */
int pysample_read(struct pysample_proc *p, pid_t tid, const uint64_t *pcs, size_t n, struct py_sample *out);
void pysample_release(struct py_sample *s);

/* Whether a stopped thread of the process sleeps waiting for the GIL: its
 * system call (nr, first argument uaddr, as its registers show them in the
 * stop) is a futex wait on the GIL's mutex or condition variables. Reads the
 * GIL's place once (3.12+: through the reader, so call it in a stop). False
 * for a process that runs no supported CPython. */
bool pysample_gil_wait(struct pysample_proc *p, long nr, uint64_t uaddr);
/* Whether a command about to be launched (argv[0] looked up in PATH, a
 * "#!" script's interpreter followed, "env NAME" too) runs CPython: an ELF
 * file with _PyRuntime / the .PyRuntime section or a libpython it needs.
 * And whether a running process maps a CPython prowl can read. Used to pick
 * the ptrace backend before anything runs; false when unsure. */
bool pysample_command_runs_python(char *const *argv);
bool pysample_pid_runs_python(pid_t pid, char *why, size_t len); /* why: a CPython it cannot read, or "" */
/* Whether the file a process runs (/proc/PID/exe, read when it is asked:
 * just after an exec) is such a CPython ELF; if so its name (the file's
 * basename) in name[len]. A cache of the files checked (device and inode)
 * keeps a build's thousand compilers to one check per binary; the caller
 * owns it, zeroed at first. */
struct pysample_exe_cache {
	struct {
		uint64_t dev, ino;
		bool python;
	} seen[32];
	unsigned next;
};
bool pysample_exe_runs_python(struct pysample_exe_cache *c, pid_t pid, char *name, size_t len);

/* In a stop of thread tid (the reader is then valid): the threading.Thread
 * name to give it when its OS name says nothing (os_name equals main_name,
 * the process's main thread's comm: CPython before 3.14 never names its
 * threads; the main thread itself only while its name is the one exec gave
 * it, not one the program set) and it differs from the name this last
 * returned for tid; NULL
 * otherwise (named by the OS, no Python name, or no change). Names are read
 * again at most once a second, and once early for each thread not seen
 * before (a new thread's name is there from its first samples). */
#define PYSAMPLE_NAME_PERIOD_NS 1000000000ull
const char *pysample_thread_name(struct pysample_proc *p, pid_t tid, const char *os_name, const char *main_name);

/* Moves src into dst (dst released first); src is left empty. */
void pysample_move(struct py_sample *dst, struct py_sample *src);

#endif
