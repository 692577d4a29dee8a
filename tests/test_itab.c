/* itab: the one hash table. Keys live in the caller's vector; the table maps
 * them to indices. Checked against a plain array under inserts, removals that
 * move the last entry into the hole, and clears. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/base/itab.h"

struct vec {
	uint64_t key[5000];
	uint32_t n;
};

static bool key_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct vec *v = ctx;
	return v->key[idx] == *(const uint64_t *)key;
}

/* Few distinct hashes on purpose: long probe runs and wrap-around at the end
 * of the slot array are where backward-shift deletion goes wrong. */
static uint64_t hkey(uint64_t k)
{
	return hash_mix(0, k % 97);
}

static uint32_t find(const struct itab *t, const struct vec *v, uint64_t k)
{
	return itab_find(t, hkey(k), key_eq, v, &k);
}

static void test_itab_insert_remove(void **state)
{
	(void)state;
	static struct vec v;
	struct itab t = ITAB_INIT;
	assert_int_equal(find(&t, &v, 1), ITAB_NONE);
	uint64_t seed = 12345;
	for (int round = 0; round < 20000; round++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t k = (seed >> 33) % 3000;
		uint32_t i = find(&t, &v, k);
		if (i == ITAB_NONE) {
			assert_true(v.n < 5000);
			v.key[v.n] = k;
			itab_insert(&t, hkey(k), v.n++);
		} else {
			/* remove: move the last entry into the hole */
			uint32_t last = v.n - 1;
			itab_remove(&t, hkey(k), i);
			if (i != last) {
				itab_reindex(&t, hkey(v.key[last]), last, i);
				v.key[i] = v.key[last];
			}
			v.n--;
		}
		assert_int_equal(t.n, v.n);
		if (round % 997 == 0)
			for (uint64_t q = 0; q < 3000; q++) {
				uint32_t j = find(&t, &v, q);
				bool present = false;
				for (uint32_t x = 0; x < v.n; x++)
					present |= v.key[x] == q;
				if (present)
					assert_int_equal(v.key[j], q);
				else
					assert_int_equal(j, ITAB_NONE);
			}
	}
	itab_clear(&t);
	assert_int_equal(t.n, 0);
	assert_int_equal(find(&t, &v, v.key[0]), ITAB_NONE);
	itab_release(&t);
	assert_null(t.idx);
}

static void test_hash_str(void **state)
{
	(void)state;
	assert_int_equal(hash_str("abc", 1), hash_bytes("abc", 3, 1));
	assert_true(hash_str(NULL, 1) != hash_str("", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_itab_insert_remove),
		cmocka_unit_test(test_hash_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
