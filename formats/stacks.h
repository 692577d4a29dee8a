/*
 * stacks: what the writers share on top of the model's one fold
 * (profiler/model/fold.h): folding for the output options, frame labels with
 * the FlameGraph suffixes, locations. Escaping is formats/escape.h.
 * Nothing here fails except out of memory (fatal).
 */
#ifndef PROWL_STACKS_H
#define PROWL_STACKS_H

#include <stdbool.h>
#include <stdint.h>

#include "profiler/model/fold.h"
#include "profiler/model/profile.h"
#include "profiler/base/util.h"
#include "formats/format.h"

/* The writers' fold: profiler/model/fold.h for o (o may be NULL): by
 * function, or function:line with --lines, rooted at threads with --threads.
 * Release with fold_release(). */
void stacks_init(struct fold *s, const struct profile *src, const struct write_opts *o);
/* The same, always on a private copy that the caller may add nodes to. */
void stacks_init_private(struct fold *s, const struct profile *src, const struct write_opts *o);

/* Appends a frame's label: the name as it is (raw bytes: each writer escapes
 * it for its format with formats/escape.h), ":line" with --lines, and with
 * mark the FlameGraph suffix (_[k] kernel, _[j] JIT, _[i] inlined). */
void stacks_label(const struct fold *s, uint32_t frame, bool mark, struct strbuf *out);

/* The FlameGraph suffix of a frame ("_[k]", "_[j]", "_[i]") or "". */
const char *stacks_suffix(const struct profile_frame *f);

/* "file:line", the module's base name, or "" for a frame (into out). */
void stacks_where(const struct fold *s, uint32_t frame, struct strbuf *out);

#endif
