/* test_pool.c — the ordered work pool: results come back in fill order whatever order the
 * workers finish in, every item is processed exactly once, with one thread or many, never more
 * than `depth` items in flight, every slot released, and the first failure in order reported. */
#include "tests/unit/testutil.h"

#include <time.h>

#include "label/pool.h"

#define N_ITEMS 2000

struct item {
	uint64_t index;  /* set by fill */
	uint64_t square; /* set by work */
};

struct run {
	uint64_t n;                /* items to fill */
	uint64_t filled, consumed; /* counts on the caller's thread */
	size_t depth;              /* what the pool was given */
	uint64_t max_in_flight;    /* largest filled - consumed seen */
	int worked[N_ITEMS];       /* times each item was processed (atomic) */
	uint64_t fail_work_at;     /* work fails on this index (UINT64_MAX: never) */
	uint64_t fail_fill_at;     /* fill fails at this index */
	uint64_t fail_consume_at;  /* consume fails at this index */
	int delay;                 /* 1: random delays in work */
	int released;              /* release calls */
	int out_of_order;          /* consume saw an index it did not expect */
};

static int fill(void *ctx, void *v, struct tem_err *err)
{
	struct run *r = ctx;
	struct item *it = v;

	if (r->filled == r->fail_fill_at)
		return err_set(err, "fill failed at %llu", (unsigned long long)r->filled);
	if (r->filled == r->n)
		return 0;
	it->index = r->filled++;
	it->square = 0;
	if (r->filled - r->consumed > r->max_in_flight)
		r->max_in_flight = r->filled - r->consumed;
	return 1;
}

static int work(void *ctx, void *v, struct tem_err *err)
{
	struct run *r = ctx;
	struct item *it = v;

	if (r->delay) {
		/* a random delay of 0 to 200 us: workers finish out of order */
		struct timespec ts = {0, (long)randombytes_uniform(200) * 1000};
		nanosleep(&ts, NULL);
	}
	__atomic_add_fetch(&r->worked[it->index], 1, __ATOMIC_RELAXED);
	if (it->index == r->fail_work_at)
		return err_no(err, "item %llu said no", (unsigned long long)it->index);
	it->square = it->index * it->index;
	return TEM_OK;
}

static int consume(void *ctx, void *v, struct tem_err *err)
{
	struct run *r = ctx;
	struct item *it = v;

	if (it->index != r->consumed || it->square != it->index * it->index)
		r->out_of_order = 1;
	if (it->index == r->fail_consume_at)
		return err_set(err, "consume failed at %llu", (unsigned long long)it->index);
	r->consumed++;
	return TEM_OK;
}

static void release(void *ctx, void *v)
{
	(void)v;
	((struct run *)ctx)->released++;
}

static const struct pool_ops ops = {fill, work, consume, release};

static void init_run(struct run *r, uint64_t n, size_t depth, int delay)
{
	memset(r, 0, sizeof *r);
	r->n = n;
	r->depth = depth;
	r->delay = delay;
	r->fail_work_at = r->fail_fill_at = r->fail_consume_at = UINT64_MAX;
}

/* Runs the pool and checks what every run must hold. */
static int run_pool(struct run *r, unsigned threads, struct tem_err *err)
{
	int rc = pool_run(threads, r->depth, sizeof(struct item), &ops, r, err);

	assert_false(r->out_of_order);
	assert_true(r->max_in_flight <= r->depth);
	assert_int_equal(r->released, (int)r->depth); /* every slot, once */
	return rc;
}

static void test_pool_keeps_fill_order_under_random_delays(void **state)
{
	static const unsigned threads[] = {1, 2, 8, 64};
	struct tem_err err;
	struct run *r = malloc(sizeof *r);

	(void)state;
	assert_non_null(r);
	for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
		init_run(r, N_ITEMS, 16, 1);
		assert_int_equal(run_pool(r, threads[t], &err), TEM_OK);
		assert_int_equal(r->consumed, N_ITEMS);
		for (int i = 0; i < N_ITEMS; i++)
			if (r->worked[i] != 1)
				fail_msg("%u threads: item %d processed %d times, expected once",
					 threads[t], i, r->worked[i]);
	}
	free(r);
}

static void test_pool_bounds_memory_and_handles_tiny_runs(void **state)
{
	struct tem_err err;
	struct run *r = malloc(sizeof *r);

	(void)state;
	assert_non_null(r);
	/* depth 1: a strict hand-over, one item at a time */
	init_run(r, 500, 1, 0);
	assert_int_equal(run_pool(r, 4, &err), TEM_OK);
	assert_int_equal(r->consumed, 500);
	assert_int_equal(r->max_in_flight, 1);
	/* no items at all */
	init_run(r, 0, 8, 0);
	assert_int_equal(run_pool(r, 3, &err), TEM_OK);
	assert_int_equal(r->consumed, 0);
	/* one item, default depth and threads */
	init_run(r, 1, 0, 0);
	assert_int_equal(pool_run(0, 0, sizeof(struct item), &ops, r, &err), TEM_OK);
	assert_int_equal(r->consumed, 1);
	assert_int_equal(r->released, (int)(2 * pool_default_threads()));
	free(r);
}

static void test_pool_reports_the_first_failure_in_order(void **state)
{
	struct tem_err err;
	struct run *r = malloc(sizeof *r);

	(void)state;
	assert_non_null(r);
	/* work says no at item 37: items 0..36 are consumed, nothing after it */
	init_run(r, N_ITEMS, 32, 1);
	r->fail_work_at = 37;
	assert_int_equal(run_pool(r, 4, &err), TEM_NO);
	assert_string_equal(err.msg, "item 37 said no");
	assert_int_equal(r->consumed, 37);
	/* consume fails at item 100 */
	init_run(r, N_ITEMS, 8, 0);
	r->fail_consume_at = 100;
	assert_int_equal(run_pool(r, 2, &err), TEM_ERR);
	assert_string_equal(err.msg, "consume failed at 100");
	assert_int_equal(r->consumed, 100);
	/* fill fails after 50 items: those 50 are still consumed, then the error comes */
	init_run(r, N_ITEMS, 8, 1);
	r->fail_fill_at = 50;
	assert_int_equal(run_pool(r, 3, &err), TEM_ERR);
	assert_string_equal(err.msg, "fill failed at 50");
	assert_int_equal(r->consumed, 50);
	/* an earlier work failure beats a later fill failure */
	init_run(r, N_ITEMS, 64, 0);
	r->fail_work_at = 10;
	r->fail_fill_at = 60;
	assert_int_equal(run_pool(r, 2, &err), TEM_NO);
	assert_string_equal(err.msg, "item 10 said no");
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_keeps_fill_order_under_random_delays),
	    cmocka_unit_test(test_pool_bounds_memory_and_handles_tiny_runs),
	    cmocka_unit_test(test_pool_reports_the_first_failure_in_order),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
