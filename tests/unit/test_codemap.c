/* test_codemap.c — the SQLite ledger's index of codes in memory (server/codemap.h): what the
 * writer stages it reads at once, readers only once committed, a rolled-back transaction
 * leaves nothing, the table grows past many thousands of keys keeping every value, key 0 is
 * a key like any other, and a reader thread reading while the writer commits sees only
 * committed values. */
#include "tests/unit/testutil.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#include "server/codemap.h"

static uint64_t key_of(uint64_t i)
{
	unsigned char in[8], out[8], k[crypto_shorthash_KEYBYTES] = {7};
	uint64_t v = 0;

	for (int b = 0; b < 8; b++)
		in[b] = (unsigned char)(i >> (8 * b));
	crypto_shorthash(out, in, sizeof in, k);
	for (int b = 0; b < 8; b++)
		v |= (uint64_t)out[b] << (8 * b);
	return v;
}

static void test_codemap_stage_commit_drop(void **state)
{
	struct codemap *m = codemap_new();
	uint64_t v = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(codemap_get(m, 42, &v), 0);
	assert_int_equal(codemap_stage(m, 42, 7), 0);
	assert_int_equal(codemap_stage(m, 42, 8), 0); /* the latest staged value wins */
	assert_int_equal(codemap_get(m, 42, &v), 1);
	assert_int_equal(v, 8);
	assert_int_equal(codemap_read(m, 42, &v), 0); /* not committed: readers see nothing */
	codemap_drop(m);
	assert_int_equal(codemap_get(m, 42, &v), 0);
	assert_int_equal(codemap_stage(m, 42, 9), 0);
	assert_int_equal(codemap_stage(m, 0, 5), 0); /* key 0 is a key too */
	assert_int_equal(codemap_reserve(m), 0);
	codemap_commit(m);
	assert_int_equal(codemap_read(m, 42, &v), 1);
	assert_int_equal(v, 9);
	assert_int_equal(codemap_read(m, 0, &v), 1);
	assert_int_equal(v, 5);
	assert_int_equal(codemap_count(m), 2);
	assert_int_equal(codemap_stage(m, 42, 10), 0);
	codemap_drop(m); /* a rolled-back change leaves the committed value */
	assert_int_equal(codemap_get(m, 42, &v), 1);
	assert_int_equal(v, 9);
	codemap_free(m);
}

static void test_codemap_grows_keeping_every_value(void **state)
{
	enum { N = 200000 };
	struct codemap *m = codemap_new();
	uint64_t v;

	(void)state;
	assert_non_null(m);
	for (uint64_t i = 0; i < N / 2; i++)
		assert_int_equal(codemap_put(m, key_of(i), i * 3), 0);
	for (uint64_t i = N / 2; i < N; i++) {
		assert_int_equal(codemap_stage(m, key_of(i), i * 3), 0);
		if (i % 1000 == 999) {
			assert_int_equal(codemap_reserve(m), 0);
			codemap_commit(m);
		}
	}
	assert_int_equal(codemap_count(m), N);
	for (uint64_t i = 0; i < N; i++) {
		assert_int_equal(codemap_read(m, key_of(i), &v), 1);
		assert_int_equal(v, i * 3);
	}
	assert_int_equal(codemap_read(m, key_of(N + 1), &v), 0);
	/* at most 3/4 full, 16 bytes a slot */
	assert_true(codemap_bytes(m) >= (size_t)N * 16 * 4 / 3);
	assert_true(codemap_bytes(m) <= (size_t)N * 16 * 8 / 3 + 65536);
	codemap_free(m);
}

struct race {
	struct codemap *m;
	atomic_int stop;
	atomic_ulong committed; /* keys 0..committed-1 are committed */
	int bad;
};

static void *reader(void *arg)
{
	struct race *r = arg;
	uint64_t v;

	while (!atomic_load(&r->stop)) {
		unsigned long c = atomic_load(&r->committed);
		for (unsigned long i = 0; i < c; i += 97)
			if (!codemap_read(r->m, key_of(i), &v) || v != i + 1)
				r->bad++;
		/* a key staged but never committed is never seen */
		if (codemap_read(r->m, key_of(UINT64_C(1) << 40), &v))
			r->bad++;
	}
	return NULL;
}

static void test_codemap_readers_see_only_committed_values(void **state)
{
	struct race r = {.m = codemap_new()};
	pthread_t t;

	(void)state;
	assert_non_null(r.m);
	assert_int_equal(pthread_create(&t, NULL, reader, &r), 0);
	for (uint64_t i = 0; i < 100000; i++) {
		assert_int_equal(codemap_stage(r.m, key_of(i), i + 1), 0);
		if (i % 500 == 499) {
			assert_int_equal(codemap_stage(r.m, key_of(UINT64_C(1) << 40), 1), 0);
			assert_int_equal(
			    codemap_get(r.m, key_of(UINT64_C(1) << 40), &(uint64_t){0}), 1);
			codemap_drop(r.m); /* rolled back: this group is lost */
			for (uint64_t k = i - 499; k <= i; k++)
				assert_int_equal(codemap_stage(r.m, key_of(k), k + 1), 0);
			assert_int_equal(codemap_reserve(r.m), 0);
			codemap_commit(r.m);
			atomic_store(&r.committed, (unsigned long)i + 1);
		}
	}
	atomic_store(&r.stop, 1);
	pthread_join(t, NULL);
	assert_int_equal(r.bad, 0);
	assert_int_equal(codemap_count(r.m), 100000);
	codemap_free(r.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codemap_stage_commit_drop),
	    cmocka_unit_test(test_codemap_grows_keeping_every_value),
	    cmocka_unit_test(test_codemap_readers_see_only_committed_values),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
