/*
 * python: finds CPython in a process and reads its threads' Python frames out
 * of the target's memory. python_detect() looks at what the process maps (the
 * executable or a libpython holding _PyRuntime / the .PyRuntime section) and
 * fixes the version and offsets once; python_read_stacks() then walks every
 * thread's frames each time the caller has stopped the process.
 *
 * Target memory is untrusted and may change under us: it is read only
 * through the caller's callback (process_vm_readv in prowl, a fake image in
 * the tests), every loop is bounded and every size checked; a read that fails
 * or data that make no sense end the walk of that thread, which is then
 * marked truncated: a partial result, never a crash.
 *
 * Memory: struct py_stacks owns its threads, frames and strings; free it with
 * python_stacks_release(). Functions return 0 or a negative errno (errno set);
 * messages go to err (one line, lowercase). Never prints.
 */
#ifndef PROWL_PYTHON_H
#define PROWL_PYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profiler/base/util.h"
#include "profiler/capture/pyoffsets.h"

/* Reads len bytes of the target at addr into buf: 0, or a negative errno when
 * any of them cannot be read. */
typedef int (*py_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* Bounds on what one walk follows. */
#define PY_MAX_THREADS 1024
#define PY_MAX_FRAMES 2048
#define PY_MAX_TOTAL_FRAMES 16384 /* frames (shims included) over all threads of one walk */
#define PY_MAX_INTERPS 64
#define PY_MAX_NAME 1024      /* characters of a name or file name kept (UTF-8: up to 4 bytes each) */
#define PY_MAX_LINETABLE (1u << 20)

/* glibc x86-64: offsetof(struct pthread, tid). Before 3.11 a PyThreadState
 * holds only the pthread_t (the struct pthread's address); the OS tid is read
 * from there and flagged as such (checked against /proc by the caller). */
#define PY_GLIBC_PTHREAD_TID 720

/* The evaluation function and its .cold part (GCC's split-out code). */
#define PY_EVAL_RANGES 2

/* What python_detect() found: one interpreter library per process. */
struct python_target {
	int major, minor, micro;
	struct py_offsets off;
	uint64_t runtime;        /* &_PyRuntime in the target (3.7+) */
	uint64_t interp_head;    /* 3.6: &interp_head (a static in pystate.c) */
	uint64_t tstate_current; /* 3.6: &_PyThreadState_Current (the GIL holder) */
	uint64_t code_type;      /* &PyCode_Type, 0 when unknown: frames whose code is not one are dropped */
	char module[256];        /* the file holding the interpreter, as mapped */
	/* [start, end) in the target of _PyEval_EvalFrameDefault and of its
	 * .cold part, from the file's symbols ({0, 0} when not found: a
	 * stripped file has no .cold symbol). */
	uint64_t eval[PY_EVAL_RANGES][2];
	/* 3.6: [start, end) of the GIL's static variables (gil_cond, gil_mutex,
	 * switch_cond, switch_mutex), from .symtab; {0, 0} when not found. */
	uint64_t gil36[2];
};

struct py_frame {
	char *name;     /* co_qualname (3.11+) or co_name, UTF-8; "?" when unreadable */
	char *co_name;  /* co_name (what traceback.extract_stack() calls the name) */
	char *file;     /* co_filename, UTF-8; "?" when unreadable */
	int line;       /* -1 when unknown */
	int firstlineno;
	/* The frame _PyEval_EvalFrameDefault was entered for: where one native
	 * evaluation frame ends when walking innermost first. Every frame up to
	 * 3.10; 3.11 is_entry; 3.12+ the frame just above a C-stack shim. */
	bool is_entry;
	uint64_t code;  /* the code object's address */
};

struct py_thread {
	uint32_t tid;          /* OS thread id, 0 when unknown */
	bool tid_from_pthread; /* tid read through glibc's struct pthread (before 3.11) */
	bool holds_gil;
	bool gil_known;        /* holds_gil was read (else it is false for want of knowing) */
	bool truncated;        /* the walk stopped early: frames are the innermost ones read */
	/* 3.12+: the chain starts at a C-stack shim, so the innermost native
	 * evaluation frame runs no Python frame at this instant (it is entering
	 * or leaving a call made from C): an empty activation for the merge. */
	bool shim_on_top;
	uint64_t tstate, pthread_id;
	struct py_frame *frames; /* innermost first */
	size_t nframes;
};

struct py_stacks {
	struct py_thread *threads;
	size_t nthreads;
	bool gil_known;   /* holds_gil was read for this walk */
	bool truncated;   /* the thread list itself could not be read to its end */
};

/* Reads /proc/PID/maps, finds the interpreter in the executable or a mapped
 * libpython, reads its version (Py_Version in 3.11+, else the library name)
 * and its offsets (_Py_DebugOffsets in 3.13) through read. Returns 0 when a
 * supported CPython was found; -ENOENT when the process runs no CPython (err
 * empty); -ENOTSUP when it is a CPython prowl cannot read (err says which, e.g.
 * "python 3.14 in /usr/bin/python3.14 is not supported: native stacks only"). */
int python_detect(pid_t pid, py_read_fn read, void *ctx, struct python_target *t, struct strbuf *err);

/* The same from an ELF file already known to hold the interpreter, loaded at
 * bias (0 for ET_EXEC). path is opened as given; name is how the target maps
 * it (its basename gives the version before 3.11). */
int python_detect_file(const char *path, const char *name, uint64_t bias, py_read_fn read, void *ctx,
		       struct python_target *t, struct strbuf *err);

/* Sets up t for version 3.MINOR with _PyRuntime (or, for 3.6, interp_head and
 * _PyThreadState_Current) at the given addresses; 3.13 reads its debug
 * offsets through read. This is what python_detect_file() ends with, apart
 * for the tests. */
int python_target_init(struct python_target *t, int major, int minor, uint64_t runtime, uint64_t interp_head,
		       uint64_t tstate_current, py_read_fn read, void *ctx, struct strbuf *err);

/* Decoded code objects kept across walks of one process, keyed by the code
 * object's address and the addresses of its name, qualname, file name and
 * line table objects plus its first line, all re-read from the code object
 * each time: a hit saves reading the strings and the line table (about 10
 * reads per frame down to 2-3). Code objects are immutable, so an entry is
 * only wrong if a code object and those four objects were all freed and
 * replaced at the same addresses by different ones. Bounded (emptied when
 * full); one per target process, owned by the caller. */
struct py_code_cache;
struct py_code_cache *python_cache_new(void);
void python_cache_free(struct py_code_cache *c);
void python_cache_stats(const struct py_code_cache *c, uint64_t *hits, uint64_t *misses);

/* Walks every thread of every interpreter (cache may be NULL). Returns 0
 * (with possibly truncated threads), or a negative errno when not even the
 * interpreter list could be read (out is then empty). out must be zeroed or
 * released before. */
int python_read_stacks(const struct python_target *t, py_read_fn read, void *ctx, struct py_code_cache *cache,
		       struct py_stacks *out);
void python_stacks_release(struct py_stacks *s);

/* The same for the one thread whose OS tid is tid (the others' frames are not
 * walked): what a sampler that stopped that thread needs. 0, -ESRCH when no
 * thread state has that tid, or python_read_stacks()'s error. Release out
 * with python_thread_release(). */
int python_read_thread(const struct python_target *t, py_read_fn read, void *ctx, struct py_code_cache *cache,
		       uint32_t tid, struct py_thread *out);
void python_thread_release(struct py_thread *th);

/* True when pc (an absolute address of the target: a return address minus
 * one, or the pc) lies in the evaluation function or its .cold part. */
bool python_is_eval_pc(const struct python_target *t, uint64_t pc);

/* [*start, *end) in the target: the GIL's mutex and condition variables
 * (struct _gil_runtime_state; 3.6: its static variables), which a thread
 * waiting for the GIL sleeps on. 3.12+ reads the main interpreter's
 * ceval.gil pointer through read. 0, or a negative errno (-ENOENT when not
 * known for this target). */
int python_gil_range(const struct python_target *t, py_read_fn read, void *ctx, uint64_t *start, uint64_t *end);

/* Thread names: what threading.Thread objects call their threads
 * (threading._active, found through the main interpreter's sys.modules;
 * each Thread's _name, and its tid from _native_id in 3.8+ or through
 * glibc's struct pthread at its ident before). */
struct py_thread_name {
	uint32_t tid;
	uint64_t ident; /* threading.get_ident(): the pthread_t */
	char *name;     /* UTF-8, at most PY_MAX_NAME characters */
};

struct py_names {
	struct py_thread_name *v;
	size_t n;
	bool truncated; /* more than PY_MAX_THREADS threads */
};

/* Where threading, its _active and a Thread's _name and _native_id were
 * found in their dicts (entry index + 1, 0 unknown): tried first next time,
 * checked like any entry (Threads share their keys, or fill their dicts in
 * the same order: one hint serves every thread). */
struct py_names_hint {
	uint32_t modules_ix, active_ix, name_ix, native_ix;
};

/* Reads every named thread's name. 0 (possibly with n == 0); -ENOENT when
 * the program has not imported threading; -EFAULT or -EPROTO when what
 * should lead to the names cannot be read or makes no sense (the target's
 * memory is untrusted: dicts and ints are bounded and checked, and an entry
 * that cannot be read is left out). out must be zeroed or released before;
 * release it with python_names_release(). */
int python_read_names(const struct python_target *t, py_read_fn read, void *ctx, struct py_names_hint *hint,
		      struct py_names *out);
void python_names_release(struct py_names *n);

/* A py_read_fn over process_vm_readv: ctx points to a pid_t. */
int python_read_pid(void *ctx, uint64_t addr, void *buf, size_t len);

/* UTF-8 from a CPython compact string's payload: n characters of kind 1
 * (latin-1), 2 (UCS-2) or 4 (UCS-4). Invalid code points become U+FFFD.
 * Returns a malloc'd string (NULL and EINVAL for another kind). */
char *python_ucs_to_utf8(const void *data, size_t n, int kind);

/* ---- merging with a native stack ---- */

/* True for the native function whose activations run Python frames:
 * _PyEval_EvalFrameDefault and its .cold part (GCC's split-out code). */
bool python_is_eval_frame(const char *symbol);

/* One element of a merged stack: a native frame (index into the caller's
 * native stack) or a Python frame (index into py_thread.frames). */
struct py_merged {
	bool python;
	uint32_t index;
};

/* Merges a native stack (n frames, innermost first; is_eval[i] says whether
 * frame i is an evaluation frame, see python_is_eval_frame()) with a
 * thread's Python frames: each evaluation frame is replaced by the Python
 * frames of its activation (the frames up to and including the next entry
 * frame, innermost first); every other native frame stays in place. An empty
 * activation (shim_on_top) keeps its evaluation frame as a native frame: the
 * time is the evaluator's own, between two Python frames.
 * Activations are matched from the outermost one, which is the most stable
 * when the two halves disagree. When the counts differ (*partial set): extra
 * Python activations go where the innermost evaluation frame is; evaluation
 * frames left without one stay as native frames. out gets at most cap
 * elements (the outermost are lost past that; *partial then too). Returns the
 * number of elements written. */
/* The number of activations python_merge() finds in th: runs of frames
 * ending at an entry frame (or the outermost), plus the empty one of
 * shim_on_top. */
size_t python_activations(const struct py_thread *th);

size_t python_merge(const bool *is_eval, size_t n, const struct py_thread *th, struct py_merged *out, size_t cap,
		    bool *partial);

#endif
