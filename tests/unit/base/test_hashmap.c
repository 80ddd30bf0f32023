// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "util.h"

/*
 * The caller-owned element array the index points into: keys are strings, compared by the
 * callback. The callback counts its calls so a test can tell the tag filter from eq().
 */
struct table {
	char **keys;
	size_t n;
	size_t eq_calls;
};

static bool key_eq(uint32_t idx, const void *key, void *ctx)
{
	struct table *t = ctx;

	t->eq_calls++;
	assert_true(idx < t->n); /* the index never hands out a number it was not given */
	return !strcmp(t->keys[idx], key);
}

static void table_init(struct table *t, size_t n)
{
	t->keys = calloc(n, sizeof(*t->keys));
	assert_non_null(t->keys);
	t->n = n;
	t->eq_calls = 0;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->keys[i]);
	free(t->keys);
}

static void set_key(struct table *t, size_t i, const char *fmt, size_t v)
{
	assert_true(asprintf(&t->keys[i], fmt, v) > 0);
}

static uint64_t hash_str(const char *s)
{
	return slz_hash_bytes(s, strlen(s), 0);
}

static void test_empty_map(void **state)
{
	struct idxmap *m = NULL;
	struct table t = {0};

	assert_int_equal(idxmap__new(&m), 0);
	assert_non_null(m);
	assert_int_equal(idxmap__count(m), 0);
	assert_true(idxmap__bytes(m) > 0);
	/* No slots yet: a find must not call eq or touch anything. */
	assert_int_equal(idxmap__find(m, 0, key_eq, "x", &t), -ENOENT);
	assert_int_equal(idxmap__find(m, UINT64_MAX, key_eq, "x", &t), -ENOENT);
	assert_int_equal(t.eq_calls, 0);
	idxmap__free(m);
	idxmap__free(NULL);
}

static void test_insert_find_absent(void **state)
{
	struct idxmap *m;
	struct table t;
	const char *names[] = {"/usr/bin/python3", "/usr/lib/libc.so.6", "/etc/ld.so.cache",
			       "/usr/lib/python3.11/os.py"};

	table_init(&t, ARRAY_SIZE(names));
	for (size_t i = 0; i < t.n; i++)
		t.keys[i] = strdup(names[i]);
	assert_int_equal(idxmap__new(&m), 0);
	for (size_t i = 0; i < t.n; i++)
		assert_int_equal(idxmap__insert(m, hash_str(names[i]), (uint32_t)i), 0);
	assert_int_equal(idxmap__count(m), t.n);
	for (size_t i = 0; i < t.n; i++)
		assert_int_equal(idxmap__find(m, hash_str(names[i]), key_eq, names[i], &t), i);
	/* Absent key, absent hash. */
	assert_int_equal(idxmap__find(m, hash_str("/nope"), key_eq, "/nope", &t), -ENOENT);
	/* A present hash with a key eq() rejects is absent too: eq decides, not the hash. */
	assert_int_equal(idxmap__find(m, hash_str(names[1]), key_eq, "/other", &t), -ENOENT);
	idxmap__free(m);
	table_free(&t);
}

/* Same 64-bit hash, different keys: only the caller's eq tells them apart. */
static void test_colliding_hashes(void **state)
{
	const uint64_t h = 0xdeadbeefcafef00dULL;
	struct idxmap *m;
	struct table t;

	table_init(&t, 50);
	assert_int_equal(idxmap__new(&m), 0);
	for (size_t i = 0; i < t.n; i++) {
		set_key(&t, i, "key-%zu", i);
		assert_int_equal(idxmap__insert(m, h, (uint32_t)i), 0);
	}
	for (size_t i = 0; i < t.n; i++)
		assert_int_equal(idxmap__find(m, h, key_eq, t.keys[i], &t), i);
	assert_true(t.eq_calls > t.n); /* later keys needed eq() to skip earlier ones */
	assert_int_equal(idxmap__find(m, h, key_eq, "key-50", &t), -ENOENT);
	/* A different hash must not find them even with an eq that accepts the key. */
	assert_int_equal(idxmap__find(m, h ^ (1ULL << 63), key_eq, "key-3", &t), -ENOENT);
	idxmap__free(m);
	table_free(&t);
}

/* Hashes that differ only in the low 32 bits still resolve by eq(), whatever the index keeps. */
static void test_low_bits_only_differ(void **state)
{
	struct idxmap *m;
	struct table t;

	table_init(&t, 20);
	assert_int_equal(idxmap__new(&m), 0);
	for (size_t i = 0; i < t.n; i++) {
		set_key(&t, i, "low-%zu", i);
		assert_int_equal(idxmap__insert(m, 0x12345678ULL << 32 | i, (uint32_t)i), 0);
	}
	for (size_t i = 0; i < t.n; i++)
		assert_int_equal(idxmap__find(m, 0x12345678ULL << 32 | i, key_eq, t.keys[i], &t),
				 i);
	idxmap__free(m);
	table_free(&t);
}

static void test_duplicate_returns_first(void **state)
{
	struct idxmap *m;
	struct table t;

	table_init(&t, 3);
	set_key(&t, 0, "dup%zu", 0);
	set_key(&t, 1, "dup%zu", 0);
	set_key(&t, 2, "dup%zu", 0);
	assert_int_equal(idxmap__new(&m), 0);
	assert_int_equal(idxmap__insert(m, hash_str("dup0"), 1), 0);
	assert_int_equal(idxmap__insert(m, hash_str("dup0"), 0), 0);
	assert_int_equal(idxmap__insert(m, hash_str("dup0"), 2), 0);
	assert_int_equal(idxmap__count(m), 3);
	assert_int_equal(idxmap__find(m, hash_str("dup0"), key_eq, "dup0", &t), 1);
	idxmap__free(m);
	table_free(&t);
}

/*
 * "find returns the first inserted" must survive growth. Two duplicates whose probe run wraps
 * around the end of the slot array (the first in the last slot, the second in slot 0) must keep
 * their order when the table is rehashed into a larger one.
 */
static void test_duplicate_first_survives_grow_with_wrap(void **state)
{
	/* The tag is the high 32 bits; all ones puts it in the last slot of every table size. */
	const uint64_t h = 0xffffffff00000000ULL;
	struct idxmap *m;
	struct table t;
	size_t n = 400, grows = 0, prev;

	table_init(&t, n);
	assert_int_equal(idxmap__new(&m), 0);
	for (size_t i = 0; i < n; i++)
		set_key(&t, i, "k%zu", i < 2 ? 0 : i);
	assert_int_equal(idxmap__insert(m, h, 0), 0);
	assert_int_equal(idxmap__insert(m, h, 1), 0);
	assert_int_equal(idxmap__find(m, h, key_eq, "k0", &t), 0);
	/* Filler with tags homed low in any table size, to force several grows. */
	prev = idxmap__bytes(m);
	for (size_t i = 2; i < n; i++) {
		assert_int_equal(idxmap__insert(m, (uint64_t)(0x100 + i) << 32, (uint32_t)i), 0);
		if (idxmap__bytes(m) != prev)
			grows++;
		prev = idxmap__bytes(m);
		if (idxmap__find(m, h, key_eq, "k0", &t) != 0)
			fail_msg("after %zu elements (%zu grows) find returns the second duplicate",
				 i + 1, grows);
	}
	assert_true(grows >= 3);
	for (size_t i = 2; i < n; i++)
		assert_int_equal(
			idxmap__find(m, (uint64_t)(0x100 + i) << 32, key_eq, t.keys[i], &t), i);
	idxmap__free(m);
	table_free(&t);
}

static void test_many_elements_grow(void **state)
{
	const size_t n = 200000;
	struct idxmap *m;
	struct table t;
	size_t prev_bytes, grows = 0;

	table_init(&t, n);
	assert_int_equal(idxmap__new(&m), 0);
	prev_bytes = idxmap__bytes(m);
	for (size_t i = 0; i < n; i++) {
		size_t b;

		set_key(&t, i, "/usr/lib/python3/dist-packages/mod%zu.py", i);
		assert_int_equal(idxmap__insert(m, hash_str(t.keys[i]), (uint32_t)i), 0);
		b = idxmap__bytes(m);
		assert_true(b >= prev_bytes); /* never shrinks */
		if (b > prev_bytes)
			grows++;
		prev_bytes = b;
		/* 8-byte slots at most 75% full: at least 10.67 bytes per element. */
		assert_true(b * 3 >= (i + 1) * 8 * 4);
	}
	assert_int_equal(idxmap__count(m), n);
	assert_true(grows >= 10);
	/*
	 * Capacity is the smallest power of two keeping the load <= 75%: 200,000 elements need
	 * 524,288 slots of 8 bytes (262,144 * 0.75 = 196,608 < 200,000), about 21 bytes per
	 * element; in general never more than 2 * 8 / 0.75 = 21.34.
	 */
	assert_true(idxmap__bytes(m) >= 524288 * 8);
	assert_true(idxmap__bytes(m) <= 524288 * 8 + 256);
	assert_true(idxmap__bytes(m) * 3 <= n * 64 + 3 * 256);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(idxmap__find(m, hash_str(t.keys[i]), key_eq, t.keys[i], &t), i);
	/* With a good hash the 32-bit tag filters nearly all eq() calls: ~one per lookup. */
	t.eq_calls = 0;
	for (size_t i = 0; i < n; i++) {
		char k[64];

		snprintf(k, sizeof(k), "/absent/%zu", i);
		assert_int_equal(idxmap__find(m, hash_str(k), key_eq, k, &t), -ENOENT);
	}
	assert_true(t.eq_calls < n / 100);
	idxmap__free(m);
	table_free(&t);
}

/* Exactly at the 75% boundary the table must not grow yet. */
static void test_load_factor_boundary(void **state)
{
	struct idxmap *m;
	size_t at48, at49;

	assert_int_equal(idxmap__new(&m), 0);
	for (uint32_t i = 0; i < 48; i++)
		assert_int_equal(idxmap__insert(m, slz_hash_u64(i), i), 0);
	at48 = idxmap__bytes(m);
	assert_int_equal(idxmap__insert(m, slz_hash_u64(48), 48), 0);
	at49 = idxmap__bytes(m);
	assert_true(at49 > at48);
	assert_int_equal(at49 - at48, 64 * 8); /* 64 -> 128 slots of 8 bytes */
	idxmap__free(m);
}

static bool eq_any(uint32_t idx, const void *key, void *ctx)
{
	return idx == *(const uint32_t *)key;
}

static void test_idx_max_rejected(void **state)
{
	struct idxmap *m;
	uint32_t want = UINT32_MAX - 1;

	assert_int_equal(idxmap__new(&m), 0);
	/* UINT32_MAX marks an empty slot and cannot be stored. */
	assert_int_equal(idxmap__insert(m, 42ULL << 32, UINT32_MAX), -EOVERFLOW);
	assert_int_equal(idxmap__count(m), 0);
	assert_int_equal(idxmap__find(m, 42ULL << 32, eq_any, &want, NULL), -ENOENT);
	/* The largest storable number round-trips as a non-negative int64. */
	assert_int_equal(idxmap__insert(m, 42ULL << 32, UINT32_MAX - 1), 0);
	assert_int_equal(idxmap__count(m), 1);
	assert_true(idxmap__find(m, 42ULL << 32, eq_any, &want, NULL) == (int64_t)UINT32_MAX - 1);
	idxmap__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_map),
		cmocka_unit_test(test_insert_find_absent),
		cmocka_unit_test(test_colliding_hashes),
		cmocka_unit_test(test_low_bits_only_differ),
		cmocka_unit_test(test_duplicate_returns_first),
		cmocka_unit_test(test_duplicate_first_survives_grow_with_wrap),
		cmocka_unit_test(test_many_elements_grow),
		cmocka_unit_test(test_load_factor_boundary),
		cmocka_unit_test(test_idx_max_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
