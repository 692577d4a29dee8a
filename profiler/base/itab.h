/*
 * itab: the one hash table of prowl. It maps a key to a uint32 index into an
 * array the caller owns (entries live in the caller's vector, in insertion
 * order, so they stay cheap to iterate and to hand out by index). The table
 * stores only (hash, index) pairs; the caller says how to compare a key with
 * the entry at an index. Open addressing with linear probing; the hash kept
 * beside each slot means growth never calls back into the caller.
 *
 * Ownership: the table owns its slot arrays, nothing else. Out of memory is
 * fatal (xmalloc); nothing here fails otherwise. A zeroed struct is an empty
 * table (ITAB_INIT).
 */
#ifndef PROWL_ITAB_H
#define PROWL_ITAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ITAB_NONE UINT32_MAX
#define ITAB_INIT { 0 }

struct itab {
	uint32_t *idx;  /* ITAB_NONE in empty slots */
	uint32_t *hash; /* the hash's low 32 bits: they place a slot in any
			 * table of up to 2^32 slots, and a slot is 8 bytes,
			 * not 12 (a whole machine's call tree has a million) */
	size_t cap;     /* 0 or a power of two */
	size_t n;
};

/* Does the caller's entry at idx have this key? ctx is passed through. */
typedef bool (*itab_eq_fn)(const void *ctx, uint32_t idx, const void *key);

/* The index stored for key, or ITAB_NONE. */
uint32_t itab_find(const struct itab *t, uint64_t hash, itab_eq_fn eq, const void *ctx,
		   const void *key);
/* Adds idx under hash. The caller has checked the key is absent (or wants a
 * duplicate: then find returns the older entry first). */
void itab_insert(struct itab *t, uint64_t hash, uint32_t idx);
/* Removes the slot holding idx under hash (no-op when absent). */
void itab_remove(struct itab *t, uint64_t hash, uint32_t idx);
/* Renames the slot holding old_idx under hash to new_idx (for callers that
 * delete from their vector by moving its last entry into the hole). */
void itab_reindex(struct itab *t, uint64_t hash, uint32_t old_idx, uint32_t new_idx);
/* Empties the table, keeping its memory. */
void itab_clear(struct itab *t);
void itab_release(struct itab *t);

/* Hashing for keys: 64-bit FNV-1a over bytes, a mixer for integers, strings
 * (NULL hashes apart from ""). */
uint64_t hash_bytes(const void *data, size_t n, uint64_t seed);
static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}
uint64_t hash_str(const char *s, uint64_t seed);

#endif
