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
#include <sys/mman.h>

#include "bigarr.h"

/* The VmFlags line of the /proc/self/smaps entry holding addr ("" when none is found). */
static void vmflags_of(const void *addr, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool in = false;

	out[0] = '\0';
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(out, len, "%s", line + 8);
			break;
		}
	}
	fclose(f);
}

/* Whether the mapping holding addr is advised to huge pages ("hg" among its VmFlags). */
static bool advised_huge(const void *addr)
{
	char flags[256];

	vmflags_of(addr, flags, sizeof(flags));
	return strstr(flags, " hg") != NULL;
}

static void test_null(void **state)
{
	bigarr__free(NULL);
	assert_int_equal(bigarr__size(NULL), 0);
	assert_false(bigarr__mapped(NULL));
}

static void test_small_is_malloc(void **state)
{
	char *p = bigarr__alloc(100);

	assert_non_null(p);
	assert_false(bigarr__mapped(p));
	assert_true(bigarr__size(p) >= 100);
	assert_int_equal((uintptr_t)p % 16, 0);
	memset(p, 'x', 100);
	bigarr__free(p);
	/* Zero bytes is still an array (freed like one), as malloc(0) may be. */
	p = bigarr__alloc(0);
	assert_non_null(p);
	bigarr__free(p);
}

/*
 * Grown one element at a time from nothing to 64 MiB of uint64_t: every value written stays
 * across each growth, the malloc -> mapping move at 2 MiB included; from there on the array is
 * a 2 MiB-aligned mapping advised to huge pages.
 */
static void test_grow_across_threshold(void **state)
{
	const size_t n = (64u << 20) / sizeof(uint64_t);
	uint64_t *a = NULL;
	size_t cap = 0, grows = 0, checked_at = 0;
	bool was_mapped = false;

	for (size_t i = 0; i < n; i++) {
		if (i >= cap) {
			size_t old = cap;

			assert_int_equal(bigarr__grow((void **)&a, &cap, i + 1, sizeof(*a)), 0);
			assert_true(cap >= 2 * old && cap >= i + 1);
			assert_true(cap * sizeof(*a) <= bigarr__size(a));
			grows++;
			/* Everything written so far survived the growth (every value, now and
			 * then). */
			for (size_t j = checked_at; j < i; j++)
				assert_int_equal(a[j], j * 2654435761u);
			checked_at = i > 4096 ? i - 4096 : 0;
			if (cap * sizeof(*a) + 16 >= BIGARR_HUGE) {
				assert_true(bigarr__mapped(a));
				assert_int_equal((uintptr_t)a % BIGARR_HUGE, 0);
				assert_true(advised_huge(a));
				was_mapped = true;
			} else {
				assert_false(bigarr__mapped(a));
			}
		}
		a[i] = i * 2654435761u;
	}
	for (size_t j = 0; j < n; j++)
		assert_int_equal(a[j], j * 2654435761u);
	assert_true(was_mapped);
	assert_true(grows > 3);
	/* Room enough already: nothing changes. */
	{
		uint64_t *before = a;
		size_t c = cap;

		assert_int_equal(bigarr__grow((void **)&a, &cap, n, sizeof(*a)), 0);
		assert_ptr_equal(a, before);
		assert_int_equal(cap, c);
	}
	bigarr__free(a);
}

/*
 * An array of whole huge pages (a power-of-two hash table of 2 MiB or more) takes just those:
 * it starts at a huge page and no header byte spills into one more.
 */
static void test_whole_huge_pages(void **state)
{
	for (size_t n = 1; n <= 4; n *= 2) {
		char *a = bigarr__alloc(n * BIGARR_HUGE);

		assert_non_null(a);
		assert_true(bigarr__mapped(a));
		assert_int_equal((uintptr_t)a % BIGARR_HUGE, 0);
		assert_int_equal(bigarr__size(a), n * BIGARR_HUGE);
		assert_true(advised_huge(a));
		memset(a, 0x5a, n * BIGARR_HUGE);
		bigarr__free(a);
	}
}

/* A mapping that cannot grow in place (something mapped right after it) moves, whole. */
static void test_grow_moves(void **state)
{
	size_t cap = 0;
	uint32_t *a = NULL;
	char *end, *blocker;

	assert_int_equal(bigarr__grow((void **)&a, &cap, (3u << 20) / 4, 4), 0);
	assert_true(bigarr__mapped(a));
	for (size_t i = 0; i < cap; i++)
		a[i] = (uint32_t)i;
	end = (char *)a + bigarr__size(a);
	blocker = mmap(end, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (blocker == MAP_FAILED || blocker != end) {
		if (blocker != MAP_FAILED)
			munmap(blocker, 4096);
		bigarr__free(a);
		skip();
	}
	blocker[0] = 42;
	{
		size_t old = cap;
		uint32_t *before = a;

		assert_int_equal(bigarr__grow((void **)&a, &cap, old + 1, 4), 0);
		assert_ptr_not_equal(a, before);
		assert_true(cap >= 2 * old);
		assert_int_equal((uintptr_t)a % BIGARR_HUGE, 0);
		assert_true(advised_huge(a));
		for (size_t i = 0; i < old; i++)
			assert_int_equal(a[i], (uint32_t)i);
		/* The new room is writable. */
		a[cap - 1] = 7;
	}
	assert_int_equal(blocker[0], 42); /* the neighbour was not touched */
	munmap(blocker, 4096);
	bigarr__free(a);
}

/* -ENOMEM from an overflow or the kernel: the array, its pointer and its capacity stay. */
static void test_enomem(void **state)
{
	const size_t huge = (size_t)1 << 50; /* beyond x86-64's 47-bit user address space */
	size_t cap = 0, c;
	uint64_t *a = NULL, *before;

	errno = 0;
	assert_null(bigarr__alloc(SIZE_MAX / 2 + 1));
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(bigarr__alloc(huge));
	assert_int_equal(errno, ENOMEM);
	/* Nothing yet: failing leaves nothing. */
	assert_int_equal(bigarr__grow((void **)&a, &cap, SIZE_MAX / 2, sizeof(*a)), -ENOMEM);
	assert_null(a);
	assert_int_equal(cap, 0);
	assert_int_equal(bigarr__grow((void **)&a, &cap, 10, 0), -EINVAL);
	/* A malloc'd array, then a mapped one: neither moves nor loses a value. */
	static const size_t sizes[] = {100, (8u << 20) / sizeof(uint64_t)};

	for (size_t k = 0; k < 2; k++) {
		size_t n = sizes[k];

		assert_int_equal(bigarr__grow((void **)&a, &cap, n, sizeof(*a)), 0);
		for (size_t i = 0; i < n; i++)
			a[i] = ~i;
		before = a;
		c = cap;
		assert_int_equal(bigarr__grow((void **)&a, &cap, huge / sizeof(*a), sizeof(*a)),
				 -ENOMEM);
		assert_int_equal(bigarr__grow((void **)&a, &cap, SIZE_MAX / 4, sizeof(*a)),
				 -ENOMEM);
		assert_ptr_equal(a, before);
		assert_int_equal(cap, c);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(a[i], ~i);
	}
	assert_true(bigarr__mapped(a));
	bigarr__free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_small_is_malloc),
		cmocka_unit_test(test_grow_across_threshold),
		cmocka_unit_test(test_whole_huge_pages),
		cmocka_unit_test(test_grow_moves),
		cmocka_unit_test(test_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
