/*
 * profile: the one model every writer, reader and the live view share.
 * Distinct frames, a trie of call paths (nodes: node 0 is the root, every other
 * node is (parent, frame)), and sample counts per (thread, leaf node), with the
 * recording's metadata. The profile owns every string in it (copies are made
 * on the way in). Building cannot fail except out of memory, which is fatal.
 * Capture builds one from its address trie after symbolization; readers build
 * one from files; writers and the TUI only read.
 */
#ifndef PROWL_PROFILE_H
#define PROWL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seq;

#define PROFILE_ROOT 0u
#define PROFILE_NONE UINT32_MAX

enum frame_kind {
	FRAME_USER = 0,   /* native code of the target */
	FRAME_KERNEL = 1, /* kernel code (from the callchain, named by kallsyms) */
	FRAME_JIT = 2,    /* named from /tmp/perf-PID.map */
	FRAME_STATE = 3,  /* pseudo leaf for wall-clock samples: "[sleeping]", "[I/O wait]" */
	FRAME_THREAD = 4, /* pseudo root: "name (tid)" added by --threads, or a process's
			   * command name where a profile spans several processes (replaced
			   * by the thread's root under --threads) */
	FRAME_PYTHON = 5, /* a CPython function: qualified name, file.py and line */
	FRAME_PROCESS = 6, /* pseudo root of the whole machine (-a): "name (pid)"; kept under
			    * --threads, which puts the thread's root below it */
};

struct profile_frame {
	char *name;        /* display name: demangled function, "libfoo.so+0x1a2b", "[unknown]" */
	char *system_name; /* raw (mangled) symbol, or NULL when unknown */
	char *file;        /* source file, or NULL */
	uint32_t line;     /* 0 when unknown */
	uint32_t column;   /* 0 when unknown */
	int32_t module;    /* index into modules, -1 when none */
	uint64_t address;  /* module-relative address (ELF vaddr) the frame was sampled at, 0 if none */
	uint8_t kind;      /* enum frame_kind */
	uint8_t inlined;   /* 1: this frame is inlined into the next frame towards the root */
};

struct profile_module {
	char *path;       /* as mapped in the target, e.g. /usr/lib/x86_64-linux-gnu/libc.so.6 */
	char *build_id;   /* lowercase hex, or NULL */
	uint64_t start, limit, offset; /* first executable mapping, for pprof; 0 if unknown */
	uint8_t kernel;   /* the kernel image ([kernel.kallsyms]) */
	uint8_t has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct profile_thread {
	int32_t pid;
	int32_t tid;
	char *name;        /* thread name (comm), never NULL */
	uint64_t samples;  /* total samples of this thread */
};

struct profile_node {
	uint32_t parent; /* PROFILE_ROOT for top-level frames; the root's parent is itself */
	uint32_t frame;  /* PROFILE_NONE for the root */
};

struct profile_count {
	uint32_t thread; /* index into threads */
	uint32_t node;   /* leaf node of the stack */
	uint64_t count;  /* samples */
};

struct profile_meta {
	char *command;        /* target command line, or NULL */
	int32_t pid;          /* main target pid, 0 if unknown */
	uint64_t start_ns;    /* wall-clock start, ns since the epoch; 0 if unknown */
	uint64_t duration_ns; /* 0 if unknown */
	uint64_t period_ns;   /* time one sample stands for; 0 if unknown */
	uint32_t freq;        /* asked sampling rate in Hz; 0 if unknown */
	char *backend;        /* "perf", "ptrace", or NULL (read from a file) */
	char *mode;           /* "cpu" or "wall", or NULL */
	char *event;          /* "cpu-clock", ... or NULL */
	char *unit;           /* what a count is when it is not a sample: the event whose
			       * occurrences counts sum ("page-faults", "cycles": perf script
			       * periods, a pprof count type); NULL: samples */
	uint64_t lost;        /* samples lost by the capture */
	uint64_t partial;     /* samples whose unwind stopped early */
	uint64_t truncated;   /* samples whose stack copy was too short */
};

struct profile {
	struct profile_frame *frames;
	size_t nframes;
	struct profile_module *modules;
	size_t nmodules;
	struct profile_thread *threads;
	size_t nthreads;
	struct profile_node *nodes; /* nodes[0] is the root */
	size_t nnodes;
	struct profile_count *counts;
	size_t ncounts;
	uint64_t total; /* sum of all counts */
	struct profile_meta meta;
	struct profile_index *index; /* private: interning tables (NULL until needed) */
	/* The samples in time order (profiler/model/seq.h), in this profile's
	 * nodes and threads, or NULL: kept only when the output asked for it
	 * (speedscope, perf script). Owned; copies and folds do not carry it. */
	struct seq *seq;
	/* The first lineage.nframes frames and nnodes nodes are those of every
	 * profile stamped with the same nonzero id (copies of one growing image:
	 * top's snapshots), and its first nthreads threads are the same (pid,
	 * tid) at the same index (a thread's name may change), so a fold of one
	 * extends to the next (profile_fold_cached) and counts subtract by index
	 * (profile_subtract_lineage). Copies keep it; 0: none. */
	struct {
		uint64_t id;
		size_t nframes, nnodes, nthreads;
	} lineage;
	/* profile_thin() dropped its frames, modules and nodes: only its counts,
	 * threads and totals are left, to subtract from a newer profile of its
	 * lineage. Nothing else may read it. */
	bool thin;
	/* NULL: every frame and module string is its own allocation. Else they
	 * live in this pool, shared by reference with copies (profile_copy) and
	 * freed with the last profile holding it (top's snapshots are copies of
	 * one image: their names are never copied). A name a copy interns goes
	 * to the pool too, and lives as long as the pool. Private. */
	struct profile_pool *pool;
	size_t cap_frames, cap_modules, cap_threads, cap_nodes, cap_counts;
};

struct profile *profile_new(void);
void profile_free(struct profile *p);
/* For a profile that will be read, not added to (top's history): frees its
 * interning tables and its arrays' unused room, about half of a big one.
 * Adding to it later still works: the tables are built again first. */
void profile_trim(struct profile *p);

/* From now on p keeps its frames' and modules' strings in a pool its copies
 * share (for an empty profile copied often: top's image). */
void profile_pool_strings(struct profile *p);

/* Sets a metadata string (copied; NULL clears). field points into p->meta. */
void profile_set_str(char **field, const char *value);

/* Returns the index of an equal frame (all fields compared), adding a copy if new. */
uint32_t profile_frame_intern(struct profile *p, const struct profile_frame *f);
/* Shorthand: a frame with only a name and kind. */
uint32_t profile_frame_named(struct profile *p, const char *name, enum frame_kind kind);
/* Returns the index of the module with this path and build-id, adding a copy if new. */
int32_t profile_module_intern(struct profile *p, const struct profile_module *m);
/* Returns the index of thread (pid, tid), adding it if new; a non-NULL name replaces the old. */
uint32_t profile_thread_intern(struct profile *p, int32_t pid, int32_t tid, const char *name);
/* Returns the child of parent for frame, adding it if new. */
uint32_t profile_node_child(struct profile *p, uint32_t parent, uint32_t frame);
/* Returns the node of a stack given root first (frames[0] is the outermost). */
uint32_t profile_node_path(struct profile *p, const uint32_t *frames, size_t n);
/* Adds count samples of thread at leaf node (counts of equal pairs are merged).
 * The total saturates at UINT64_MAX: what would pass it is not added. */
void profile_add(struct profile *p, uint32_t thread, uint32_t node, uint64_t count);

/* Depth of node (the root is 0). */
size_t profile_node_depth(const struct profile *p, uint32_t node);
/* Writes the frames of node's stack into out, root first; returns the depth
 * (which may exceed max: then only the max outermost frames are written). */
size_t profile_node_frames(const struct profile *p, uint32_t node, uint32_t *out, size_t max);

enum profile_fold_flags {
	PROFILE_FOLD_LINES = 1,   /* keep file:line apart: frames become function:line */
	PROFILE_FOLD_THREADS = 2, /* root every stack at a "name (tid)" frame */
	PROFILE_FOLD_NO_INLINE = 4, /* drop inlined frames (keep only real calls) */
};
/* A new profile whose frames are merged by function (name, kind, inlined,
 * and with LINES file and line), addresses dropped, so stacks that differ only
 * by address are one. Threads, modules and metadata are copied. */
struct profile *profile_fold(const struct profile *p, unsigned flags);
/* The same, and fmap (p->nframes entries, or NULL) gets the folded frame of
 * each frame of p (PROFILE_NONE for a dropped one). */
struct profile *profile_fold_map(const struct profile *p, unsigned flags, uint32_t *fmap);

/* Lineages (see struct profile): a new id, and p stamped with it at its
 * present size. Whoever stamps promises that frames and nodes are only ever
 * added after those of an earlier stamp of the same id. */
uint64_t profile_lineage_new(void);
void profile_stamp(struct profile *p, uint64_t id);
/* Drops what p shares with the newer profiles of its lineage (frames,
 * modules, nodes): top's history keeps a dozen snapshots for windows of
 * time, and their counts are all a window needs. No-op without a lineage. */
void profile_thin(struct profile *p);
/* dst minus src (clamped at zero, as profile_merge with sign -1) by index:
 * src (thin or not) a profile of dst's lineage, no newer than dst's stamp.
 * Returns false, dst untouched, when src is not. */
bool profile_subtract_lineage(struct profile *dst, const struct profile *src);
/* A fold kept between folds of one lineage (the live view's): folding a
 * stamped profile (nothing added past its stamp) of the lineage folded last,
 * by the same flags (without PROFILE_FOLD_THREADS), folds only the frames and
 * nodes added since; anything else is folded whole. The result is the one
 * profile_fold_map gives. The cache holds the fold's frames and nodes. */
struct profile_fold_cache;
struct profile_fold_cache *profile_fold_cache_new(void);
void profile_fold_cache_free(struct profile_fold_cache *c);
struct profile *profile_fold_cached(struct profile_fold_cache *c, const struct profile *p, unsigned flags,
				    uint32_t *fmap_out);
/* The node of q, a fold of p by flags (without PROFILE_FOLD_THREADS), that
 * each node of p became (p->nnodes entries; caller frees). For writers that
 * follow p's samples (p->seq) through a fold. */
uint32_t *profile_fold_nodes(struct profile *q, const struct profile *p, unsigned flags);
/* Samples by command: a new profile whose every stack is one frame, the
 * command that ran it: the process root ("cc1 (4242)" and "cc1" give "cc1",
 * as record -a or several processes write them; a root frame named like
 * "name (digits)" read back from a file counts as one), else the thread's
 * name. Threads and metadata are copied; report's rows are then commands. */
struct profile *profile_by_command(const struct profile *p);

/* A deep copy (used by diff and by the live view for windows of time). */
struct profile *profile_copy(const struct profile *p);
/* Adds every count of src (scaled by sign: +1 or -1) into dst, interning as needed.
 * Counts that would go below zero are clamped at zero. */
void profile_merge(struct profile *dst, const struct profile *src, int sign);

#endif
