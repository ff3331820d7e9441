/* test_ledger_rollup.c — a transaction's roll-ups in memory (server/ledger_rollup.h), which both
 * ledger engines write: scans and codes counted by Vietnam day, key and batch and by verdict,
 * claims, batch 0 counting in no batch row, the rows sorted by key, and cleared for the next
 * transaction. */
#include "tests/unit/testutil.h"

#include <string.h>

#include "server/ledger_rollup.h"

#define K1 "3F9A0C21D4E5B6A7"
#define K2 "0000000000000001"
/* 2026-11-27 16:59:59 UTC is 23:59:59 in Vietnam; a second later is the next Vietnam day */
#define LATE 1795798799000LL

static const struct rollup_day *day_of(const struct rollups *r, const char *key, int64_t day,
				       int64_t batch)
{
	for (size_t i = 0; i < r->ndays; i++)
		if (strcmp(r->days[i].key_id, key) == 0 && r->days[i].day == day &&
		    r->days[i].batch == batch)
			return &r->days[i];
	return NULL;
}

static void test_rollup_counts(void **state)
{
	struct rollups r = {0};
	const struct rollup_day *d;
	int64_t day = (LATE + 7 * 3600 * 1000LL) / 86400000;

	(void)state;
	assert_int_equal(rollup_count(&r, K1, 5, LATE, "genuine", 1, 1, 0), 0);
	assert_int_equal(rollup_count(&r, K1, 5, LATE, "duplicate", 0, 0, 0), 0);
	assert_int_equal(rollup_count(&r, K1, 5, LATE, "", 0, 0, 1), 0); /* a claim */
	assert_int_equal(rollup_count(&r, K1, 5, LATE + 1000, "sold", 1, 0, 0), 0);
	assert_int_equal(rollup_count(&r, K2, 0, LATE, "unregistered", 1, 0, 0), 0);
	assert_int_equal(r.ndays, 3);
	assert_int_equal(r.nbatches, 1); /* batch 0 has no batch_stats row */

	assert_non_null(d = day_of(&r, K1, day, 5));
	assert_int_equal(d->scans, 2);
	assert_int_equal(d->codes, 1);
	assert_int_equal(d->claims, 1);
	assert_int_equal(d->v[0], 1); /* genuine */
	assert_int_equal(d->v[2], 1); /* duplicate */
	assert_string_equal(rollup_verdicts[0], "genuine");
	assert_string_equal(rollup_verdicts[2], "duplicate");
	/* a second past midnight in Vietnam: the next day's row */
	assert_non_null(d = day_of(&r, K1, day + 1, 5));
	assert_int_equal(d->scans, 1);
	assert_int_equal(d->v[3], 1); /* sold */
	assert_non_null(d = day_of(&r, K2, day, 0));
	assert_int_equal(d->v[4], 1); /* unregistered */

	assert_string_equal(r.batches[0].key_id, K1);
	assert_int_equal(r.batches[0].batch, 5);
	assert_int_equal(r.batches[0].scans, 3);
	assert_int_equal(r.batches[0].codes, 1);
	assert_int_equal(r.batches[0].claimed, 1);
	assert_ptr_equal(rollup_batch(&r, K1, 5), &r.batches[0]);
	rollup_batch(&r, K1, 5)->alerted++;
	assert_int_equal(r.batches[0].alerted, 1);
	rollup_free(&r);
	assert_int_equal(r.ndays, 0);
	assert_null(r.days);
}

static void test_rollup_sorted_and_cleared(void **state)
{
	struct rollups r = {0};
	struct rollup_day *kept;

	(void)state;
	/* enough rows to grow the arrays several times, in an order far from sorted */
	for (int i = 99; i >= 0; i--) {
		assert_int_equal(rollup_count(&r, i % 2 ? K1 : K2, 100 - i, LATE - i * 86400000LL,
					      "seen", 1, 1, 0),
				 0);
	}
	assert_int_equal(r.ndays, 100);
	assert_int_equal(r.nbatches, 100);
	rollup_sort(&r);
	for (size_t i = 1; i < r.ndays; i++) {
		int c = strcmp(r.days[i - 1].key_id, r.days[i].key_id);
		assert_true(c < 0 || (c == 0 && r.days[i - 1].day < r.days[i].day));
	}
	for (size_t i = 1; i < r.nbatches; i++) {
		int c = strcmp(r.batches[i - 1].key_id, r.batches[i].key_id);
		assert_true(c < 0 || (c == 0 && r.batches[i - 1].batch < r.batches[i].batch));
	}
	kept = r.days;
	rollup_clear(&r);
	assert_int_equal(r.ndays + r.nbatches, 0);
	assert_int_equal(rollup_count(&r, K1, 1, LATE, "seen", 1, 1, 0), 0);
	assert_ptr_equal(r.days, kept); /* the memory is kept for the next transaction */
	assert_int_equal(r.days[0].scans, 1);
	rollup_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rollup_counts),
	    cmocka_unit_test(test_rollup_sorted_and_cleared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
