/* test_ledger_pool.c — the read-connection pool both ledger engines share
 * (server/ledger_pool.c), over fake connections: never more than its size borrowed or opened
 * however many threads borrow at once, a borrower waiting on a full pool is woken when one is
 * handed back, a failed open is reported and tried again, an unknown ledger is an error, and
 * detaching closes every connection it opened and frees its context (ASan counts the rest). */
#include "tests/unit/testutil.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "server/ledger_pool.h"

struct fake {
	atomic_int opened, closed, done; /* callback calls */
	atomic_int fail_next_open;       /* 1: the next open fails */
	atomic_int in_use, max_in_use;   /* connections borrowed now, at most */
};

struct fake_conn {
	int id;
	atomic_int borrowed; /* 1 while a borrower holds it */
};

static int fake_open(void *ctx, void **conn, struct tem_err *err)
{
	struct fake *f = ctx;
	struct fake_conn *c;

	if (atomic_exchange(&f->fail_next_open, 0))
		return err_set(err, "fake: cannot open a read connection");
	c = calloc(1, sizeof *c);
	assert_non_null(c);
	c->id = atomic_fetch_add(&f->opened, 1);
	*conn = c;
	return TEM_OK;
}

static void fake_close(void *ctx, void *conn)
{
	struct fake *f = ctx;
	struct fake_conn *c = conn;

	assert_int_equal(atomic_load(&c->borrowed), 0);
	atomic_fetch_add(&f->closed, 1);
	free(c);
}

static void fake_done(void *ctx)
{
	struct fake *f = ctx;

	atomic_fetch_add(&f->done, 1);
}

static const struct ledger_pool_ops fake_ops = {fake_open, fake_close, fake_done};

/* Waits (bounded: 10 s) until key's pool has n borrowers waiting. */
static void wait_for_waiters(const void *key, size_t n)
{
	struct timespec ts = {0, 1000000};
	size_t open, busy, waiting = 0;

	for (int i = 0; i < 10000; i++) {
		assert_int_equal(ledger_pool_counts(key, &open, &busy, &waiting), TEM_OK);
		if (waiting == n)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("expected %zu borrowers waiting, saw %zu after 10 s", n, waiting);
}

static void test_pool_opens_as_needed_and_reuses(void **state)
{
	static int key;
	struct fake f = {0};
	struct tem_err err;
	struct ledger_pool *p, *q;
	void *a, *b, *c;
	size_t open, busy, waiting;

	(void)state;
	assert_int_equal(ledger_pool_attach(&key, 2, &fake_ops, &f, &err), TEM_OK);
	assert_int_equal(atomic_load(&f.opened), 0); /* nothing until a borrow */
	assert_non_null(p = ledger_pool_take(&key, &a, &err));
	assert_ptr_equal(ledger_pool_ctx(p), &f);
	assert_non_null(q = ledger_pool_take(&key, &b, &err));
	assert_ptr_equal(p, q);
	assert_ptr_not_equal(a, b);
	assert_int_equal(atomic_load(&f.opened), 2);
	assert_int_equal(ledger_pool_counts(&key, &open, &busy, &waiting), TEM_OK);
	assert_int_equal(open, 2);
	assert_int_equal(busy, 2);
	assert_int_equal(waiting, 0);
	ledger_pool_give(p, a);
	assert_non_null(ledger_pool_take(&key, &c, &err));
	assert_ptr_equal(c, a); /* the free one again, no third opened */
	assert_int_equal(atomic_load(&f.opened), 2);
	ledger_pool_give(p, b);
	ledger_pool_give(p, c);
	assert_int_equal(ledger_pool_counts(&key, &open, &busy, &waiting), TEM_OK);
	assert_int_equal(busy, 0);

	/* attaching again keeps the pool and frees the new context at once */
	struct fake g = {0};
	assert_int_equal(ledger_pool_attach(&key, 5, &fake_ops, &g, &err), TEM_OK);
	assert_int_equal(atomic_load(&g.done), 1);
	assert_non_null(p = ledger_pool_take(&key, &a, &err));
	assert_ptr_equal(ledger_pool_ctx(p), &f);
	ledger_pool_give(p, a);

	ledger_pool_detach(&key);
	assert_int_equal(atomic_load(&f.closed), 2);
	assert_int_equal(atomic_load(&f.done), 1);
	assert_int_equal(ledger_pool_counts(&key, &open, &busy, &waiting), TEM_NO);
	ledger_pool_detach(&key); /* a second detach does nothing */
	assert_int_equal(atomic_load(&f.closed), 2);
}

static void test_pool_unknown_ledger_and_failed_open(void **state)
{
	static int key, other;
	struct fake f = {0};
	struct tem_err err;
	struct ledger_pool *p;
	void *a = NULL;

	(void)state;
	err.msg[0] = '\0';
	assert_null(ledger_pool_take(&other, &a, &err));
	assert_non_null(strstr(err.msg, "not open"));
	assert_int_equal(ledger_pool_attach(&key, 0, &fake_ops, &f, &err), TEM_ERR);
	assert_int_equal(atomic_load(&f.done), 1); /* the context freed even so */

	atomic_store(&f.done, 0);
	assert_int_equal(ledger_pool_attach(&key, 1, &fake_ops, &f, &err), TEM_OK);
	atomic_store(&f.fail_next_open, 1);
	err.msg[0] = '\0';
	assert_null(ledger_pool_take(&key, &a, &err));
	assert_string_equal(err.msg, "fake: cannot open a read connection");
	/* the slot is not used up: the next borrow opens one */
	assert_non_null(p = ledger_pool_take(&key, &a, &err));
	assert_int_equal(atomic_load(&f.opened), 1);
	ledger_pool_give(p, a);
	ledger_pool_detach(&key);
	assert_int_equal(atomic_load(&f.closed), 1);
	assert_int_equal(atomic_load(&f.done), 1);
}

struct waiter {
	const void *key;
	void *conn;
	struct ledger_pool *p;
};

static void *take_one(void *arg)
{
	struct waiter *w = arg;
	struct tem_err err;

	w->p = ledger_pool_take(w->key, &w->conn, &err);
	return NULL;
}

static void test_pool_wakes_a_waiter(void **state)
{
	static int key;
	struct fake f = {0};
	struct tem_err err;
	struct ledger_pool *p;
	struct waiter w = {&key, NULL, NULL};
	pthread_t t;
	void *a;

	(void)state;
	assert_int_equal(ledger_pool_attach(&key, 1, &fake_ops, &f, &err), TEM_OK);
	assert_non_null(p = ledger_pool_take(&key, &a, &err));
	assert_int_equal(pthread_create(&t, NULL, take_one, &w), 0);
	wait_for_waiters(&key, 1); /* the pool is full: it waits */
	assert_null(w.p);
	ledger_pool_give(p, a);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_ptr_equal(w.p, p);
	assert_ptr_equal(w.conn, a); /* the one handed back, none opened past the bound */
	assert_int_equal(atomic_load(&f.opened), 1);
	ledger_pool_give(p, w.conn);
	ledger_pool_detach(&key);
	assert_int_equal(atomic_load(&f.closed), 1);
}

#define BORROWERS 12
#define ROUNDS    300
#define SIZE      3

struct borrower {
	const void *key;
	struct fake *f;
	int failed;
};

static void *borrow_many(void *arg)
{
	struct borrower *b = arg;
	struct tem_err err;

	for (int i = 0; i < ROUNDS; i++) {
		void *conn;
		struct ledger_pool *p = ledger_pool_take(b->key, &conn, &err);
		struct fake_conn *c = conn;
		int n, max;

		if (p == NULL || atomic_exchange(&c->borrowed, 1) != 0) {
			b->failed = 1; /* no pool, or a connection lent twice */
			return NULL;
		}
		n = atomic_fetch_add(&b->f->in_use, 1) + 1;
		max = atomic_load(&b->f->max_in_use);
		while (n > max && !atomic_compare_exchange_weak(&b->f->max_in_use, &max, n))
			;
		if (i % 7 == 0)
			sched_yield(); /* hold it a little, so others must wait */
		atomic_fetch_sub(&b->f->in_use, 1);
		atomic_store(&c->borrowed, 0);
		ledger_pool_give(p, conn);
	}
	return NULL;
}

static void test_pool_bound_holds_under_concurrent_borrowers(void **state)
{
	static int key;
	struct fake f = {0};
	struct tem_err err;
	struct borrower b[BORROWERS];
	pthread_t t[BORROWERS];
	size_t open, busy, waiting;

	(void)state;
	assert_int_equal(ledger_pool_attach(&key, SIZE, &fake_ops, &f, &err), TEM_OK);
	for (int i = 0; i < BORROWERS; i++) {
		b[i] = (struct borrower){&key, &f, 0};
		assert_int_equal(pthread_create(&t[i], NULL, borrow_many, &b[i]), 0);
	}
	for (int i = 0; i < BORROWERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (b[i].failed)
			fail_msg("borrower %d: no connection, or one already lent", i);
	}
	if (atomic_load(&f.max_in_use) > SIZE || atomic_load(&f.opened) > SIZE)
		fail_msg("expected at most %d borrowed and opened, saw %d borrowed, %d opened",
			 SIZE, atomic_load(&f.max_in_use), atomic_load(&f.opened));
	assert_int_equal(ledger_pool_counts(&key, &open, &busy, &waiting), TEM_OK);
	assert_int_equal(busy, 0);
	assert_int_equal(waiting, 0);
	ledger_pool_detach(&key);
	assert_int_equal(atomic_load(&f.closed), atomic_load(&f.opened));
	assert_int_equal(atomic_load(&f.done), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_opens_as_needed_and_reuses),
	    cmocka_unit_test(test_pool_unknown_ledger_and_failed_open),
	    cmocka_unit_test(test_pool_wakes_a_waiter),
	    cmocka_unit_test(test_pool_bound_holds_under_concurrent_borrowers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
