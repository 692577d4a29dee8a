/*
 * fold: the one fold of a profile and the one per-function self/total
 * computation. Every writer, `prowl report`, `prowl diff` and the live view
 * read their rows from here, so a row means the same everywhere:
 *
 *  - a row is a frame of the folded profile: frames merged by function (name,
 *    kind, module, inlined or not; a Python function also by its file, as
 *    every module's body is "<module>") or, with FOLD_LINES, by function and
 *    file:line (profile_fold() does the merging);
 *  - an inlined frame is a row of its own (marked inlined), apart from the
 *    out-of-line copy of the same function;
 *  - self is the samples whose leaf is the row; total is the samples whose
 *    stack holds the row, each sample counted once even when it recurses.
 *
 * Ownership: a fold owns its arrays and (unless borrowed) its folded profile;
 * file[] strings are owned copies. Nothing fails except out of memory (fatal).
 */
#ifndef PROWL_FOLD_H
#define PROWL_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/model/profile.h"

#define FOLD_ALL_THREADS (-1)
#define FOLD_PROCESS (-2) /* fold_opts.tid: every thread of fold_opts.pid */
#define FOLD_PIDS (-3)    /* fold_opts.tid: every thread of the processes in fold_opts.pids */

struct fold_opts {
	unsigned flags;   /* enum profile_fold_flags */
	int32_t tid;      /* count only this thread (with pid); FOLD_ALL_THREADS for all */
	int32_t pid;
	const int32_t *pids; /* with FOLD_PIDS: the processes counted (borrowed: must outlive the fold) */
	size_t npids;
	bool private;     /* always fold into a copy the caller may add nodes to */
	bool hot_lines;   /* also find each row's most sampled source frame (fold_hot_frame);
			   * src must then outlive the fold */
	struct profile_fold_cache *cache; /* NULL, or a cache kept between folds of one
					   * growing lineage (profile_fold_cached; borrowed) */
};

struct fold {
	struct profile *p;  /* the folded profile: owned, or the source itself when
			     * folding changes nothing (borrowed: read only) */
	bool borrowed;
	bool lines;         /* rows are function:line */
	int32_t tid, pid;   /* the thread counted, or tid FOLD_ALL_THREADS */
	const int32_t *pids; /* FOLD_PIDS: the processes counted */
	size_t npids;
	uint64_t *self;     /* per node: counted samples whose leaf is the node */
	uint64_t *total;    /* per node: counted samples at or below the node */
	uint64_t sum;       /* counted samples (total[PROFILE_ROOT]) */
	char **file;        /* per frame of p: a representative source file, or NULL */
	uint32_t *line;     /* per frame of p: representative line (smallest seen), 0 if unknown */
	size_t nfile;       /* entries in file and line */
	const struct profile *src; /* with hot_lines: the profile folded (borrowed) */
	uint32_t *hot;      /* with hot_lines, per frame of p: its most sampled frame of src
			     * (ties: the smallest line), PROFILE_NONE if none */
	uint64_t *fself;    /* per frame of p, after fold_functions(): self */
	uint64_t *ftotal;   /* per frame of p, after fold_functions(): total (recursion once) */
};

/* Folds src (o may be NULL: by function, all threads) and counts per node. */
void fold_init(struct fold *f, const struct profile *src, const struct fold_opts *o);
void fold_release(struct fold *f);
/* Recounts self and total after nodes or counts were added to f->p (drops
 * fself/ftotal; call fold_functions() again if needed). */
void fold_recount(struct fold *f);
/* Fills fself and ftotal (idempotent). */
void fold_functions(struct fold *f);

/* Does the fold count samples of thread index t of f->p? */
bool fold_counts_thread(const struct fold *f, uint32_t t);
/* The source file and line shown for a frame of f->p: its own, else the
 * representative one; NULL / 0 when unknown. */
const char *fold_file(const struct fold *f, uint32_t frame);
uint32_t fold_line(const struct fold *f, uint32_t frame);
/* With hot_lines: the most sampled source frame of a row (a frame of f->src),
 * or NULL without hot_lines or when none. */
const struct profile_frame *fold_hot_frame(const struct fold *f, uint32_t frame);

/* First-child lists of the node trie of p: child[n] is the first child of
 * node n and next[n] its next sibling (PROFILE_NONE at the end), in creation
 * order. Caller frees both. */
void profile_children(const struct profile *p, uint32_t **child, uint32_t **next);

#endif
