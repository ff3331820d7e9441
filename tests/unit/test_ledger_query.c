/* test_ledger_query.c — the regulator reads (server/ledger_query.h) on a real ledger file:
 * batches with their roll-ups, one code's facts and history, keyset pagination that visits
 * every row exactly once while scans keep arriving between pages, alerts newest first with
 * every filter and a producer's scope, an alert's changes, daily statistics with empty days
 * filled and by producer and batch, the producers' totals, several reads at once while the
 * writer writes, and a read of a ledger not attached refused. Alert and roll-up rows the
 * writer does not write yet are put in with sqlite3 directly. */
#include "tests/unit/testutil.h"

#include <pthread.h>
#include <sqlite3.h>

#include "server/ledger.h"
#include "server/ledger_query.h"

#define KEY_A "3F9A0C21D4E5B6A7"
#define KEY_B "0123456789ABCDEF"
#define T0    1795600000000LL /* a time in 2026, Unix ms */
#define DAY   86400000LL

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof path, "/tmp/tem-lq-XXXXXX");
	fd = mkstemp(path);
	close(fd);
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	char p[80];

	(void)state;
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof p, "%s.lock", path);
	unlink(p);
	return 0;
}

static struct ledger *open_ledger(void)
{
	struct ledger *l;
	struct tem_err err;

	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(lq_open(l, &err), TEM_OK);
	assert_int_equal(lq_open(l, &err), TEM_OK); /* again: nothing */
	return l;
}

static void close_ledger(struct ledger *l)
{
	lq_close(l);
	ledger_close(l);
}

/* A counted scan of key's serial from network net at time at. */
static void scan(struct ledger *l, const char *key, uint64_t serial, unsigned char net, int64_t at,
		 enum verdict base)
{
	struct ledger_job job;

	memset(&job, 0, sizeof job);
	job.kind = JOB_SCAN;
	strcpy(job.u.scan.key_id, key);
	job.u.scan.serial = serial;
	job.u.scan.client[0] = net;
	job.u.scan.at_ms = at;
	job.u.scan.facts = (struct verdict_facts){.base = base, .threshold = 2};
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
}

/* Registers serials first..last of key; returns the batch's row id. */
static int64_t batch(struct ledger *l, const char *key, uint64_t first, uint64_t last,
		     const char *batch_id, int64_t at)
{
	struct ledger_job job;
	char hdr[64];

	snprintf(hdr, sizeof hdr, "header %s %llu", key, (unsigned long long)first);
	memset(&job, 0, sizeof job);
	job.kind = JOB_BATCH;
	strcpy(job.u.batch.key_id, key);
	job.u.batch.first = first;
	job.u.batch.last = last;
	job.u.batch.batch_id = batch_id;
	job.u.batch.product = "Cua Cà Mau";
	job.u.batch.producer = "HTX Năm Căn";
	job.u.batch.url = "https://x";
	job.u.batch.header = hdr;
	job.u.batch.at_ms = at;
	job.u.batch.issued = 1795000000;
	job.u.batch.last_day = 20800;
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
	return job.u.batch.row;
}

/* Runs SQL on a connection of its own (rows the writer does not write yet). */
static void exec(const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static int put_batch(void *arg, const struct lq_batch *b, struct tem_err *err)
{
	struct lq_batch *out = arg;

	(void)err;
	for (int i = 0; i < 8; i++)
		if (out[i].row == 0) {
			out[i] = *b;
			out[i].key_id = strdup(b->key_id);
			out[i].batch_id = strdup(b->batch_id);
			return TEM_OK;
		}
	return TEM_ERR;
}

static void test_lq_batches_with_roll_ups_and_filters(void **state)
{
	struct ledger *l = open_ledger();
	struct lq_batch got[8];
	struct lq_filter f;
	struct tem_err err;
	int64_t next, b1, b2, b3;
	char sql[256];

	(void)state;
	b1 = batch(l, KEY_A, 1, 100, "A-1", T0);
	b2 = batch(l, KEY_B, 1, 50, "B-1", T0 + DAY);
	b3 = batch(l, KEY_A, 101, 300, "A-2", T0 + 2 * DAY);
	snprintf(sql, sizeof sql,
		 "INSERT OR REPLACE INTO batch_stats VALUES(%lld, 9, 4, 2, 1);"
		 "INSERT OR REPLACE INTO batch_stats VALUES(%lld, 5, 3, 0, 0);",
		 (long long)b1, (long long)b3);
	exec(sql);

	memset(got, 0, sizeof got);
	lq_filter_all(&f);
	assert_int_equal(lq_batches(l, &f, 0, 100, put_batch, got, &next, &err), TEM_OK);
	assert_int_equal(next, 0);
	assert_int_equal(got[0].row, b1);
	assert_int_equal(got[1].row, b2);
	assert_int_equal(got[2].row, b3);
	assert_int_equal(got[3].row, 0);
	assert_string_equal(got[0].batch_id, "A-1");
	assert_int_equal(got[0].first, 1);
	assert_int_equal(got[0].last, 100);
	assert_int_equal(got[0].issued, 1795000000);
	assert_int_equal(got[0].last_day, 20800);
	assert_int_equal(got[0].registered_ms, T0);
	assert_int_equal(got[0].scans, 9);
	assert_int_equal(got[0].scanned, 4);
	assert_int_equal(got[0].claimed, 2);
	assert_int_equal(got[0].alerted, 1);
	assert_int_equal(got[1].scans, 0); /* no roll-up row: zeros */
	for (int i = 0; i < 3; i++)
		free((void *)got[i].key_id), free((void *)got[i].batch_id);

	/* one producer, a registration window, pages of one */
	memset(got, 0, sizeof got);
	f.producer = KEY_A;
	f.from_ms = T0 + 1;
	assert_int_equal(lq_batches(l, &f, 0, 1, put_batch, got, &next, &err), TEM_OK);
	assert_int_equal(got[0].row, b3);
	assert_int_equal(got[1].row, 0);
	assert_int_equal(next, 0);
	free((void *)got[0].key_id), free((void *)got[0].batch_id);
	memset(got, 0, sizeof got);
	lq_filter_all(&f);
	assert_int_equal(lq_batches(l, &f, 0, 2, put_batch, got, &next, &err), TEM_OK);
	assert_int_equal(next, b2);
	for (int i = 0; i < 2; i++)
		free((void *)got[i].key_id), free((void *)got[i].batch_id);
	close_ledger(l);
}

struct scans_seen {
	int64_t ids[4096];
	int n;
	unsigned char client0[LEDGER_CLIENT_BYTES];
	enum verdict v[4096];
	int64_t client_scans[4096], client_last[4096];
};

static int put_scan(void *arg, const struct lq_scan *s, struct tem_err *err)
{
	struct scans_seen *x = arg;

	(void)err;
	assert_true(x->n < 4096);
	if (x->n == 0)
		memcpy(x->client0, s->client, LEDGER_CLIENT_BYTES);
	x->v[x->n] = s->verdict;
	x->client_scans[x->n] = s->client_scans;
	x->client_last[x->n] = s->client_last_ms;
	x->ids[x->n++] = s->id;
	return TEM_OK;
}

static void test_lq_code_and_its_history(void **state)
{
	struct ledger *l = open_ledger();
	struct lq_code c;
	struct tem_err err;
	struct scans_seen *x = calloc(1, sizeof *x);
	int64_t next, b;
	struct ledger_job job;

	(void)state;
	b = batch(l, KEY_A, 1, 100, "A-1", T0);
	scan(l, KEY_A, 7, 1, T0 + 10, V_GENUINE);
	scan(l, KEY_A, 8, 1, T0 + 11, V_GENUINE);
	scan(l, KEY_A, 7, 2, T0 + 20, V_GENUINE);
	scan(l, KEY_A, 7, 2, T0 + 30, V_GENUINE);
	scan(l, KEY_A, 500, 3, T0 + 40, V_UNREGISTERED);

	assert_int_equal(lq_code(l, KEY_A, 7, &c, &err), TEM_OK);
	assert_int_equal(c.in_batch, 1);
	assert_int_equal(c.batch_row, b);
	assert_int_equal(c.scans, 3);
	assert_int_equal(c.clients, 2);
	assert_int_equal(c.first_scan_ms, T0 + 10);
	assert_int_equal(c.last_scan_ms, T0 + 30);
	assert_int_equal(c.claimed_ms, 0);
	assert_int_equal(c.last_verdict, V_SEEN);

	/* a serial past every batch; a code never scanned */
	assert_int_equal(lq_code(l, KEY_A, 500, &c, &err), TEM_OK);
	assert_int_equal(c.in_batch, 0);
	assert_int_equal(c.last_verdict, V_UNREGISTERED);
	assert_int_equal(lq_code(l, KEY_A, 9, &c, &err), TEM_OK);
	assert_int_equal(c.in_batch, 1);
	assert_int_equal(c.scans, 0);
	assert_int_equal(c.last_verdict, V_COUNT);
	assert_int_equal(lq_code(l, KEY_B, 7, &c, &err), TEM_OK);
	assert_int_equal(c.in_batch, 0);

	/* a claim: its time and claimer */
	memset(&job, 0, sizeof job);
	job.kind = JOB_CLAIM;
	strcpy(job.u.claim.key_id, KEY_A);
	job.u.claim.serial = 7;
	job.u.claim.net[0] = 2;
	job.u.claim.at_ms = T0 + 50;
	job.u.claim.code_limit = 5;
	job.u.claim.net_limit = 5;
	job.u.claim.pin_right = 1;
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
	assert_int_equal(job.u.claim.result, CLAIM_NEW);
	assert_int_equal(lq_code(l, KEY_A, 7, &c, &err), TEM_OK);
	assert_int_equal(c.claimed_ms, T0 + 50);
	assert_int_equal(c.claimer[0], 2);

	/* its history, oldest first, in pages of one: each network's first scan, with the
	 * network's count and latest scan (network 2's repeat adds to its count, not a row) */
	assert_int_equal(lq_code_scans(l, KEY_A, 7, 0, 1, put_scan, x, &next, &err), TEM_OK);
	assert_int_equal(x->n, 1);
	assert_int_not_equal(next, 0);
	assert_int_equal(x->client0[0], 1);
	assert_int_equal(x->v[0], V_GENUINE);
	assert_int_equal(x->client_scans[0], 1);
	assert_int_equal(x->client_last[0], T0 + 10);
	/* a new network scans between pages: its row comes after the rows there before, and
	 * its verdict is the one the writer gave its first scan (a network not the claimer's:
	 * sold) */
	scan(l, KEY_A, 7, 4, T0 + 60, V_GENUINE);
	assert_int_equal(lq_code_scans(l, KEY_A, 7, next, 1, put_scan, x, &next, &err), TEM_OK);
	assert_int_equal(x->n, 2);
	assert_int_not_equal(next, 0);
	assert_int_equal(x->v[1], V_SEEN);
	assert_int_equal(x->client_scans[1], 2);
	assert_int_equal(x->client_last[1], T0 + 30);
	assert_true(x->ids[0] < x->ids[1]);
	assert_int_equal(lq_code_scans(l, KEY_A, 7, next, 1, put_scan, x, &next, &err), TEM_OK);
	assert_int_equal(x->n, 3);
	assert_int_equal(next, 0);
	assert_int_equal(x->v[2], V_SOLD);
	assert_int_equal(x->client_scans[2], 1);
	assert_int_equal(x->client_last[2], T0 + 60);
	assert_true(x->ids[1] < x->ids[2]);
	assert_int_equal(lq_code(l, KEY_A, 7, &c, &err), TEM_OK);
	assert_int_equal(c.last_verdict, V_SOLD);
	/* a page from the last position is empty */
	assert_int_equal(lq_code_scans(l, KEY_A, 7, x->ids[2], 5, put_scan, x, &next, &err),
			 TEM_OK);
	assert_int_equal(x->n, 3);
	assert_int_equal(next, 0);
	free(x);
	close_ledger(l);
}

/* Walks every scan in pages of 7, making 3 new scans between pages: each scan that existed
 * when the walk began is visited once, no id twice, in order. */
static void test_lq_scans_pages_visit_every_row_once_while_scans_arrive(void **state)
{
	struct ledger *l = open_ledger();
	struct scans_seen *x = calloc(1, sizeof *x);
	struct lq_filter f;
	struct tem_err err;
	int64_t next = 0, first_max;
	int pages = 0, serial = 1000;

	(void)state;
	for (int i = 0; i < 120; i++)
		scan(l, i % 2 ? KEY_A : KEY_B, (uint64_t)i, (unsigned char)(i % 5 + 1), T0 + i,
		     V_GENUINE);
	first_max = 120;
	lq_filter_all(&f);
	do {
		assert_int_equal(lq_scans(l, &f, next, 7, put_scan, x, &next, &err), TEM_OK);
		pages++;
		for (int k = 0; k < 3 && pages < 30; k++, serial++)
			scan(l, KEY_A, (uint64_t)serial, 9, T0 + 1000 + serial, V_GENUINE);
	} while (next != 0);
	for (int i = 1; i < x->n; i++)
		assert_true(x->ids[i - 1] < x->ids[i]);
	for (int64_t id = 1; id <= first_max; id++) {
		int seen = 0;
		for (int i = 0; i < x->n; i++)
			seen += x->ids[i] == id;
		assert_int_equal(seen, 1);
	}
	assert_true(x->n >= 120 + 3 * 10);

	/* one producer's scans in a time window */
	memset(x, 0, sizeof *x);
	f.producer = KEY_B;
	f.from_ms = T0 + 10;
	f.to_ms = T0 + 20;
	assert_int_equal(lq_scans(l, &f, 0, 1000, put_scan, x, &next, &err), TEM_OK);
	assert_int_equal(x->n, 5); /* even i of 10..19 */
	assert_int_equal(next, 0);
	free(x);
	close_ledger(l);
}

struct alerts_seen {
	int64_t ids[64];
	enum alert_type types[64];
	enum alert_reason reasons[64];
	char producer[64];
	int n;
};

static int put_alert(void *arg, const struct lq_alert *a, struct tem_err *err)
{
	struct alerts_seen *x = arg;

	(void)err;
	assert_true(x->n < 64);
	if (x->n == 0)
		snprintf(x->producer, sizeof x->producer, "%s", a->producer);
	x->types[x->n] = a->type;
	x->reasons[x->n] = a->reason;
	x->ids[x->n++] = a->id;
	return TEM_OK;
}

static int put_change(void *arg, const struct lq_alert_change *c, struct tem_err *err)
{
	struct alerts_seen *x = arg;

	(void)err;
	x->reasons[x->n] = c->reason;
	x->ids[x->n++] = c->at_ms;
	assert_string_equal(c->by, "inspector");
	return TEM_OK;
}

static int refuse_alert(void *arg, const struct lq_alert *a, struct tem_err *err)
{
	(void)arg, (void)a;
	return err_set(err, "stopped by the callback");
}

static void test_lq_alerts_newest_first_with_filters_and_scope(void **state)
{
	struct ledger *l = open_ledger();
	struct alerts_seen x;
	struct lq_filter f;
	struct tem_err err;
	int64_t next;
	int found;
	char sql[2048];

	(void)state;
	exec("INSERT INTO producers VALUES('" KEY_A "', 'pk', 'HTX Năm Căn', 20000, NULL, 0)");
	snprintf(sql, sizeof sql,
		 "DELETE FROM alerts;"
		 "INSERT INTO alerts VALUES(1, 'duplicate', '" KEY_A "', 7, 5, 4, %lld, %lld, "
		 "'open', NULL, NULL, NULL, NULL);"
		 "INSERT INTO alerts VALUES(2, 'sold-then-scanned', '" KEY_A "', 7, 1, 2, %lld, "
		 "%lld, 'closed', 'buyer-error', 'đã kiểm tra', 'inspector', %lld);"
		 "INSERT INTO alerts VALUES(3, 'invalid-burst', '" KEY_B "', 0, 25, 0, %lld, %lld, "
		 "'investigating', NULL, NULL, 'inspector', %lld);"
		 "INSERT INTO alerts VALUES(4, 'duplicate', '" KEY_B "', 9, 4, 4, %lld, %lld, "
		 "'open', NULL, NULL, NULL, NULL);"
		 "INSERT INTO alert_changes(alert, at, by, status, reason, note) VALUES"
		 "(2, 5, 'inspector', 'investigating', NULL, NULL),"
		 "(2, 6, 'inspector', 'closed', 'buyer-error', 'đã kiểm tra');",
		 T0, T0 + 5 * DAY, T0, T0 + DAY, T0 + 2 * DAY, T0, T0 + 3 * DAY, T0 + 3 * DAY,
		 T0 + 2 * DAY, T0 + 4 * DAY);
	exec(sql);

	memset(&x, 0, sizeof x);
	lq_filter_all(&f);
	assert_int_equal(lq_alerts(l, &f, 0, 100, put_alert, &x, &next, &err), TEM_OK);
	assert_int_equal(x.n, 4);
	assert_int_equal(x.ids[0], 4);
	assert_int_equal(x.ids[3], 1);
	assert_int_equal(x.types[2], ALERT_SOLD_SCANNED);
	assert_int_equal(x.reasons[2], ALERT_REASON_BUYER);
	assert_string_equal(x.producer, ""); /* KEY_B is in no trust list the ledger had */
	assert_int_equal(next, 0);

	/* pages of 3, newest first */
	memset(&x, 0, sizeof x);
	assert_int_equal(lq_alerts(l, &f, 0, 3, put_alert, &x, &next, &err), TEM_OK);
	assert_int_equal(next, 2);
	assert_int_equal(lq_alerts(l, &f, next, 3, put_alert, &x, &next, &err), TEM_OK);
	assert_int_equal(x.n, 4);
	assert_int_equal(x.ids[3], 1);
	assert_int_equal(next, 0);

	/* type, status, producer, since (on the latest event) */
	memset(&x, 0, sizeof x);
	f.type = ALERT_DUPLICATE;
	assert_int_equal(lq_alerts(l, &f, 0, 100, put_alert, &x, &next, &err), TEM_OK);
	assert_int_equal(x.n, 2);
	memset(&x, 0, sizeof x);
	lq_filter_all(&f);
	f.status = ALERT_OPEN;
	f.producer = KEY_A;
	assert_int_equal(lq_alerts(l, &f, 0, 100, put_alert, &x, &next, &err), TEM_OK);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], 1);
	assert_string_equal(x.producer, "HTX Năm Căn");
	memset(&x, 0, sizeof x);
	lq_filter_all(&f);
	f.from_ms = T0 + 3 * DAY;
	assert_int_equal(lq_alerts(l, &f, 0, 100, put_alert, &x, &next, &err), TEM_OK);
	assert_int_equal(x.n, 3); /* latest events at days 4, 3 and 5; not 2 (day 1) */
	assert_int_equal(x.ids[0], 4);
	assert_int_equal(x.ids[1], 3);
	assert_int_equal(x.ids[2], 1);
	memset(&x, 0, sizeof x);
	f.to_ms = T0 + 4 * DAY;
	assert_int_equal(lq_alerts(l, &f, 0, 100, put_alert, &x, &next, &err), TEM_OK);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], 3);

	/* one alert, in and out of a producer's scope; its changes */
	memset(&x, 0, sizeof x);
	lq_filter_all(&f);
	assert_int_equal(lq_alert(l, &f, 3, put_alert, &x, &found, &err), TEM_OK);
	assert_int_equal(found, 1);
	assert_int_equal(x.types[0], ALERT_INVALID_BURST);
	f.producer = KEY_A;
	assert_int_equal(lq_alert(l, &f, 3, put_alert, &x, &found, &err), TEM_OK);
	assert_int_equal(found, 0);
	assert_int_equal(lq_alert(l, &f, 99, put_alert, &x, &found, &err), TEM_OK);
	assert_int_equal(found, 0);
	memset(&x, 0, sizeof x);
	assert_int_equal(lq_alert_changes(l, 2, put_change, &x, &err), TEM_OK);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.ids[0], 5);
	assert_int_equal(x.reasons[1], ALERT_REASON_BUYER);

	/* a code's alerts, newest first */
	memset(&x, 0, sizeof x);
	assert_int_equal(lq_code_alerts(l, KEY_A, 7, put_alert, &x, &err), TEM_OK);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.ids[0], 2);

	/* a callback that stops the walk: its error, not the end of the list */
	assert_int_equal(lq_alerts(l, &f, 0, 100, refuse_alert, NULL, &next, &err), TEM_ERR);
	assert_string_equal(err.msg, "stopped by the callback");
	close_ledger(l);
}

struct stats_seen {
	struct lq_stat s[64];
	char keys[64][17];
	int n;
};

static int put_stat(void *arg, const struct lq_stat *s, struct tem_err *err)
{
	struct stats_seen *x = arg;

	(void)err;
	assert_true(x->n < 64);
	snprintf(x->keys[x->n], sizeof x->keys[0], "%s", s->key_id);
	x->s[x->n++] = *s;
	return TEM_OK;
}

static void test_lq_stats_by_day_producer_and_batch(void **state)
{
	struct ledger *l = open_ledger();
	struct stats_seen *x = calloc(1, sizeof *x);
	struct lq_filter f;
	struct tem_err err;

	(void)state;
	exec("DELETE FROM day_stats;"
	     "INSERT INTO day_stats VALUES(20000, '" KEY_A "', 1, 10, 4, 6, 3, 1, 0, 0, 0, 0, 2);"
	     "INSERT INTO day_stats VALUES(20000, '" KEY_B "', 2, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0);"
	     "INSERT INTO day_stats VALUES(20002, '" KEY_A "', 1, 3, 1, 0, 0, 0, 3, 0, 0, 0, 0);"
	     "INSERT INTO day_stats VALUES(20002, '" KEY_A "', 0, 2, 1, 0, 0, 0, 0, 2, 0, 0, 0);"
	     "INSERT INTO day_stats VALUES(20010, '" KEY_A "', 1, 99, 1, 0, 0, 0, 0, 2, 0, 0, 0);");
	lq_filter_all(&f);
	assert_int_equal(lq_stats(l, &f, 19999, 20003, LQ_BY_DAY, put_stat, x, &err), TEM_OK);
	assert_int_equal(x->n, 5); /* every day, empty ones too */
	assert_int_equal(x->s[0].day, 19999);
	assert_int_equal(x->s[0].scans, 0);
	assert_int_equal(x->s[1].day, 20000);
	assert_int_equal(x->s[1].scans, 15);
	assert_int_equal(x->s[1].codes, 9);
	assert_int_equal(x->s[1].verdicts[V_GENUINE], 11);
	assert_int_equal(x->s[1].verdicts[V_SEEN], 3);
	assert_int_equal(x->s[1].verdicts[V_DUPLICATE], 1);
	assert_int_equal(x->s[1].claims, 2);
	assert_int_equal(x->s[2].day, 20001);
	assert_int_equal(x->s[3].scans, 5);
	assert_int_equal(x->s[3].verdicts[V_SOLD], 3);
	assert_int_equal(x->s[3].verdicts[V_UNREGISTERED], 2);
	assert_int_equal(x->s[4].day, 20003);

	memset(x, 0, sizeof *x);
	assert_int_equal(lq_stats(l, &f, 19999, 20003, LQ_BY_PRODUCER, put_stat, x, &err), TEM_OK);
	assert_int_equal(x->n, 2);
	assert_string_equal(x->keys[0], KEY_B); /* "0123..." sorts first */
	assert_int_equal(x->s[1].scans, 15);

	memset(x, 0, sizeof *x);
	f.producer = KEY_A;
	assert_int_equal(lq_stats(l, &f, 19999, 20003, LQ_BY_BATCH, put_stat, x, &err), TEM_OK);
	assert_int_equal(x->n, 2);
	assert_int_equal(x->s[0].batch_row, 0);
	assert_int_equal(x->s[0].scans, 2);
	assert_int_equal(x->s[1].batch_row, 1);
	assert_int_equal(x->s[1].scans, 13);
	free(x);
	close_ledger(l);
}

static int put_producer(void *arg, const struct lq_producer *p, struct tem_err *err)
{
	struct lq_producer *out = arg;

	(void)err;
	assert_string_equal(p->key_id, KEY_A);
	*out = *p;
	out->key_id = out->name = NULL;
	return TEM_OK;
}

static void test_lq_producers_with_totals(void **state)
{
	struct ledger *l = open_ledger();
	struct lq_producer p;
	struct lq_filter f;
	struct tem_err err;
	int64_t b;
	char sql[512];

	(void)state;
	exec("INSERT INTO producers VALUES('" KEY_A "', 'pk', 'HTX Năm Căn', 20000, 20100, 0);"
	     "INSERT INTO producers VALUES('" KEY_B "', 'pk', 'Other', 20000, NULL, 0);");
	b = batch(l, KEY_A, 1, 100, "A-1", T0);
	batch(l, KEY_A, 101, 150, "A-2", T0);
	snprintf(sql, sizeof sql,
		 "INSERT OR REPLACE INTO batch_stats VALUES(%lld, 9, 4, 2, 1);"
		 "DELETE FROM day_stats;"
		 "INSERT INTO day_stats VALUES(20000, '" KEY_A
		 "', 0, 3, 1, 0, 0, 0, 0, 3, 0, 0, 0);"
		 "INSERT INTO alerts(type, key_id, serial, events, clients, first_at, last_at, "
		 "status) VALUES('duplicate', '" KEY_A "', 3, 4, 4, 1, 1, 'open'),"
		 "('unregistered', '" KEY_A "', 300, 1, 1, 1, 1, 'closed');",
		 (long long)b);
	exec(sql);
	lq_filter_all(&f);
	f.producer = KEY_A;
	memset(&p, 0, sizeof p);
	assert_int_equal(lq_producers(l, &f, put_producer, &p, &err), TEM_OK);
	assert_int_equal(p.valid_from, 20000);
	assert_int_equal(p.revoked, 20100);
	assert_int_equal(p.batches, 2);
	assert_int_equal(p.codes, 150);
	assert_int_equal(p.scans, 12); /* 9 in batches, 3 of codes in none */
	assert_int_equal(p.scanned, 4);
	assert_int_equal(p.claimed, 2);
	assert_int_equal(p.open_alerts, 1);
	close_ledger(l);
}

struct reader {
	struct ledger *l;
	int ok;
};

static int count_scan(void *arg, const struct lq_scan *s, struct tem_err *err)
{
	(void)s, (void)err;
	(*(int *)arg)++;
	return TEM_OK;
}

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	struct lq_filter f;
	struct tem_err err;
	int64_t next;

	lq_filter_all(&f);
	r->ok = 1;
	for (int i = 0; i < 50; i++) {
		int n = 0;
		next = 0;
		do {
			if (lq_scans(r->l, &f, next, 50, count_scan, &n, &next, &err) != TEM_OK)
				r->ok = 0;
		} while (next != 0 && r->ok);
		if (n < 100)
			r->ok = 0;
	}
	return NULL;
}

/* Ten readers at once (more than LQ_CONNS) while the writer writes: every read succeeds. */
static void test_lq_reads_run_at_once_beside_the_writer(void **state)
{
	struct ledger *l = open_ledger();
	struct reader r[10];
	pthread_t th[10];
	struct lq_code c;
	struct tem_err err;

	(void)state;
	for (int i = 0; i < 100; i++)
		scan(l, KEY_A, (uint64_t)i, 1, T0 + i, V_GENUINE);
	for (int i = 0; i < 10; i++) {
		r[i].l = l;
		assert_int_equal(pthread_create(&th[i], NULL, read_loop, &r[i]), 0);
	}
	for (int i = 0; i < 100; i++)
		scan(l, KEY_A, (uint64_t)i, 2, T0 + 1000 + i, V_GENUINE);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(r[i].ok, 1);
	}
	assert_int_equal(lq_code(l, KEY_A, 5, &c, &err), TEM_OK);
	assert_int_equal(c.scans, 2);
	close_ledger(l);
}

/* A ledger whose reads were never attached is refused with a sentence, not read. */
static void test_lq_refuses_a_ledger_not_attached(void **state)
{
	struct ledger *l;
	struct lq_code c;
	struct tem_err err;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(lq_code(l, KEY_A, 5, &c, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "lq_open"));
	lq_close(l); /* nothing */
	ledger_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lq_batches_with_roll_ups_and_filters, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_lq_code_and_its_history, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_lq_scans_pages_visit_every_row_once_while_scans_arrive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lq_alerts_newest_first_with_filters_and_scope,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lq_stats_by_day_producer_and_batch, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_lq_producers_with_totals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lq_reads_run_at_once_beside_the_writer, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_lq_refuses_a_ledger_not_attached, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
