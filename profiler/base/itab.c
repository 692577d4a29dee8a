#include "profiler/base/itab.h"

#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"

/* Grow at 3/4 full: linear probing stays short, and a load check is one multiply. */
static bool itab_full(const struct itab *t)
{
	return (t->n + 1) * 4 > t->cap * 3;
}

static void slot_put(struct itab *t, uint64_t h, uint32_t v)
{
	size_t m = t->cap - 1, i = h & m;
	while (t->idx[i] != ITAB_NONE)
		i = (i + 1) & m;
	t->idx[i] = v;
	t->hash[i] = (uint32_t)h;
	t->n++;
}

static void itab_grow(struct itab *t)
{
	struct itab old = *t;
	t->cap = old.cap ? old.cap * 2 : 16;
	t->idx = xmalloc(t->cap * sizeof(*t->idx));
	t->hash = xmalloc(t->cap * sizeof(*t->hash));
	memset(t->idx, 0xff, t->cap * sizeof(*t->idx));
	t->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.idx[i] != ITAB_NONE)
			slot_put(t, old.hash[i], old.idx[i]);
	free(old.idx);
	free(old.hash);
}

uint32_t itab_find(const struct itab *t, uint64_t h, itab_eq_fn eq, const void *ctx, const void *key)
{
	if (!t->cap)
		return ITAB_NONE;
	size_t m = t->cap - 1, i = h & m;
	while (t->idx[i] != ITAB_NONE) {
		if (t->hash[i] == (uint32_t)h && eq(ctx, t->idx[i], key))
			return t->idx[i];
		i = (i + 1) & m;
	}
	return ITAB_NONE;
}

void itab_insert(struct itab *t, uint64_t h, uint32_t v)
{
	if (itab_full(t))
		itab_grow(t);
	slot_put(t, h, v);
}

static size_t slot_of(const struct itab *t, uint64_t h, uint32_t v)
{
	if (!t->cap)
		return SIZE_MAX;
	size_t m = t->cap - 1, i = h & m;
	while (t->idx[i] != ITAB_NONE) {
		if (t->idx[i] == v && t->hash[i] == (uint32_t)h)
			return i;
		i = (i + 1) & m;
	}
	return SIZE_MAX;
}

/* Backward-shift deletion: no tombstones, so lookups never slow down after
 * many removals (threads and processes come and go for hours). */
void itab_remove(struct itab *t, uint64_t h, uint32_t v)
{
	size_t i = slot_of(t, h, v);
	if (i == SIZE_MAX)
		return;
	size_t m = t->cap - 1, j = i;
	for (;;) {
		j = (j + 1) & m;
		if (t->idx[j] == ITAB_NONE)
			break;
		size_t home = t->hash[j] & m;
		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		t->idx[i] = t->idx[j];
		t->hash[i] = t->hash[j];
		i = j;
	}
	t->idx[i] = ITAB_NONE;
	t->n--;
}

void itab_reindex(struct itab *t, uint64_t h, uint32_t old_idx, uint32_t new_idx)
{
	size_t i = slot_of(t, h, old_idx);
	if (i != SIZE_MAX)
		t->idx[i] = new_idx;
}

void itab_clear(struct itab *t)
{
	if (t->cap)
		memset(t->idx, 0xff, t->cap * sizeof(*t->idx));
	t->n = 0;
}

void itab_release(struct itab *t)
{
	free(t->idx);
	free(t->hash);
	memset(t, 0, sizeof(*t));
}

uint64_t hash_bytes(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t hash_str(const char *s, uint64_t seed)
{
	return s ? hash_bytes(s, strlen(s), seed) : hash_mix(seed, 0x5a5a);
}
