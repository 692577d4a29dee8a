/*
 * arena: memory handed out in pieces and freed all at once. Pieces come
 * from blocks of 64 KiB (or one piece's size, if bigger) that never move,
 * so a pointer into an arena stays valid until arena_release. For many
 * small things that live as long as their owner: a module's symbol names
 * and cached frames, a jitdump's records, a profile's pooled names.
 *
 * Memory: the arena owns every block; an all-zero struct arena (ARENA_INIT)
 * is empty and ready. Cannot fail except out of memory (fatal, as xmalloc).
 */
#ifndef PROWL_ARENA_H
#define PROWL_ARENA_H

#include <stddef.h>

struct arena_block;
struct arena {
	struct arena_block *head; /* the block being filled; older ones behind it */
};
#define ARENA_INIT { NULL }

/* n bytes, aligned to 8, uninitialized. */
void *arena_alloc(struct arena *a, size_t n);
/* A copy of s's first n bytes, NUL-terminated. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Frees every block; the arena is empty again. */
void arena_release(struct arena *a);

#endif
