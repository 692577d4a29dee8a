/*
 * stacks: what the writers share. The view a writer draws from a profile
 * (folded by function, or function:line with --lines, rooted at threads with
 * --threads), frame labels with the FlameGraph suffixes, per-node totals.
 * Nothing here fails except out of memory (fatal).
 */
#ifndef PROWL_STACKS_H
#define PROWL_STACKS_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/model/profile.h"
#include "profiler/base/util.h"
#include "formats/format.h"

/* A folded view of a profile: frames merged by function (or function:line),
 * one count per node summed over threads (unless --threads roots them). */
struct stacks {
	struct profile *p;    /* the folded profile: owned, or the source itself
			       * when folding changes nothing (borrowed: read only) */
	bool borrowed;
	uint64_t *self;       /* per node: samples whose leaf is the node */
	uint64_t *total;      /* per node: samples at or below the node */
	char **file;          /* per frame of p: a representative source file, or NULL (borrowed from p or src) */
	uint32_t *line;       /* per frame of p: representative line (smallest seen), 0 if unknown */
	size_t nfile;         /* entries in file and line */
	bool lines;           /* labels carry :line */
};

/* Folds src for o (o may be NULL) and computes totals. */
void stacks_init(struct stacks *s, const struct profile *src, const struct write_opts *o);
/* The same, always on a private copy that the caller may add nodes to. */
void stacks_init_private(struct stacks *s, const struct profile *src, const struct write_opts *o);
void stacks_release(struct stacks *s);
/* Recomputes self and total after nodes or counts were added to s->p. */
void stacks_recount(struct stacks *s);

/* Appends a frame's display name: the name with ";" and newlines replaced,
 * ":line" with --lines, and with mark the FlameGraph suffix (_[k] kernel,
 * _[j] JIT, _[i] inlined). */
void stacks_label(const struct stacks *s, uint32_t frame, bool mark, struct strbuf *out);

/* The FlameGraph suffix of a frame ("_[k]", "_[j]", "_[i]") or "". */
const char *stacks_suffix(const struct profile_frame *f);

/* First children lists of the node trie: child[n] is the first child of node n
 * and next[n] its next sibling (PROFILE_NONE at the end). Caller frees both. */
void stacks_children(const struct profile *p, uint32_t **child, uint32_t **next);

/* Per frame of s->p: self samples and total samples (stacks containing the
 * frame, each counted once even when it recurses). Caller frees both. */
void stacks_functions(const struct stacks *s, uint64_t **self, uint64_t **total);

/* "file:line", the module's base name, or "" for a frame (into out). */
void stacks_where(const struct stacks *s, uint32_t frame, struct strbuf *out);

/* Appends s escaped for XML text and attributes; invalid UTF-8 bytes and
 * control characters become '?', so the output always parses. */
void xml_escape(struct strbuf *out, const char *s);
/* Appends s as the contents of a JSON string (without quotes). */
void json_escape(struct strbuf *out, const char *s);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
size_t utf8_len(const unsigned char *s);

#endif
