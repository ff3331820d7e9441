/* test_ledger.c — the SQLite ledger on a real file: counting, the duplicate alert kept current,
 * a repeat scan counted in its client's row and the roll-ups with no scans row, batch
 * registration rules, every stored field of a batch read back (issue time and last day
 * included), the salt kept across opens and a damaged one refused, a schema newer than temd
 * refused, a version 1 ledger migrated with every count kept, and a misspelled bind parameter
 * failing the writer's transaction with a sentence naming it. */
#include "tests/unit/testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/ledger.h"
#include "server/ledger_internal.h"

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof path, "/tmp/tem-ledger-XXXXXX");
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
	snprintf(p, sizeof p, "%s.v1.bak", path); /* the copy made before migrating */
	unlink(p);
	return 0;
}

/* A scan of serial by network who, with cookie id cookie (0: none). */
static enum ledger_status scan_cookie(struct ledger *l, uint64_t serial, unsigned char who,
				      unsigned char cookie, struct ledger_scan *out)
{
	struct ledger_job job;
	enum ledger_status st;

	memset(&job, 0, sizeof job);
	job.kind = JOB_SCAN;
	strcpy(job.u.scan.key_id, "3F9A0C21D4E5B6A7");
	job.u.scan.serial = serial;
	job.u.scan.client[0] = who;
	job.u.scan.cookie[0] = cookie;
	job.u.scan.has_cookie = cookie != 0;
	job.u.scan.at_ms = 1795600000000 + who;
	job.u.scan.facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
	st = ledger_run(l, &job);
	*out = job.u.scan;
	return st;
}

/* A scan of serial by network who, without a cookie. */
static enum ledger_status scan(struct ledger *l, uint64_t serial, unsigned char who,
			       struct ledger_scan *out)
{
	return scan_cookie(l, serial, who, 0, out);
}

/* Reads one row of integers; fails the test when the query gives none. */
static void row(sqlite3 *db, const char *q, int n, const long long *want)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	for (int i = 0; i < n; i++)
		assert_int_equal(sqlite3_column_int64(st, i), want[i]);
	sqlite3_finalize(st);
}

/* A scan of serial from network net (1-255) with cookie id cookie (0: none). */
static struct ledger_scan scan_nc(struct ledger *l, uint64_t serial, unsigned char net,
				  unsigned char cookie)
{
	struct ledger_job job;

	memset(&job, 0, sizeof job);
	job.kind = JOB_SCAN;
	strcpy(job.u.scan.key_id, "3F9A0C21D4E5B6A7");
	job.u.scan.serial = serial;
	job.u.scan.client[0] = net;
	job.u.scan.has_cookie = cookie != 0;
	job.u.scan.cookie[0] = cookie;
	job.u.scan.at_ms = 1795600000000 + net;
	job.u.scan.facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
	return job.u.scan;
}

/* A cookie links a buyer's few networks into one client; one seen on more than three of a
 * code's networks links none; cookies on one network never make more clients. */
static void test_ledger_cookies_link_a_few_networks(void **state)
{
	struct ledger *l;
	struct tem_err err;
	struct ledger_scan s;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	/* one buyer: Wi-Fi then 4G then a café, the same cookie: one client */
	assert_int_equal(scan_nc(l, 1, 1, 9).clients, 1);
	assert_int_equal(scan_nc(l, 1, 2, 9).clients, 1);
	s = scan_nc(l, 1, 3, 9);
	assert_int_equal(s.clients, 1);
	assert_int_equal(s.verdict, V_GENUINE);
	/* the same cookie on a fourth network: it links nothing any more */
	s = scan_nc(l, 1, 4, 9);
	assert_int_equal(s.clients, 4);
	assert_int_equal(s.verdict, V_DUPLICATE);
	/* one network, many cookies (a machine dropping its cookie): one client */
	for (unsigned char c = 1; c <= 20; c++)
		s = scan_nc(l, 2, 7, c);
	assert_int_equal(s.clients, 1);
	assert_int_equal(s.scans, 20);
	assert_int_equal(s.verdict, V_GENUINE);
	/* and its rows stay bounded */
	ledger_close(l);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	row(db, "SELECT count(*), sum(scans) FROM code_scans WHERE serial = 2", 2,
	    (const long long[]){LEDGER_COOKIES_PER_NET + 1, 20});
	sqlite3_close(db);
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	/* chains: cookie 5 links networks 10, 11; cookie 6 links 11, 12: one client */
	scan_nc(l, 3, 10, 5);
	scan_nc(l, 3, 11, 5);
	scan_nc(l, 3, 11, 6);
	s = scan_nc(l, 3, 12, 6);
	assert_int_equal(s.clients, 1);
	/* a network without cookie is a client of its own */
	s = scan_nc(l, 3, 13, 0);
	assert_int_equal(s.clients, 2);
	assert_int_equal(s.verdict, V_SEEN);
	ledger_close(l);
}

static void test_ledger_counts_clients_and_raises_one_alert(void **state)
{
	struct ledger *l;
	struct tem_err err;
	struct ledger_scan s;
	int64_t n, bytes;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(scan(l, 7, 1, &s), LEDGER_OK);
	assert_int_equal(s.verdict, V_GENUINE);
	assert_int_equal(scan(l, 7, 1, &s), LEDGER_OK);
	assert_int_equal(s.verdict, V_GENUINE);
	assert_int_equal(s.scans, 2);
	assert_int_equal(s.clients, 1);
	assert_int_equal(s.first_scan_ms, 1795600000001);
	scan(l, 7, 2, &s);
	assert_int_equal(s.verdict, V_SEEN);
	scan(l, 7, 3, &s);
	assert_int_equal(s.verdict, V_SEEN);
	scan(l, 7, 4, &s);
	assert_int_equal(s.verdict, V_DUPLICATE);
	scan(l, 7, 5, &s);
	assert_int_equal(s.verdict, V_DUPLICATE);
	assert_int_equal(s.clients, 5);
	scan(l, 7, 1, &s); /* an alerted code: counts from its alert row, which follows */
	assert_int_equal(s.verdict, V_DUPLICATE);
	assert_int_equal(s.scans, 7);
	assert_int_equal(s.clients, 5);
	assert_int_equal(s.first_scan_ms, 1795600000001);
	scan(l, 8, 5, &s); /* another code: its own counts */
	assert_int_equal(s.verdict, V_GENUINE);
	ledger_stats(l, &n, &bytes);
	assert_int_equal(n, 8);
	assert_true(bytes > 0);
	ledger_close(l);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	row(db, "SELECT count(*), max(clients), max(scans) FROM code_alerts", 3,
	    (const long long[]){1, 5, 7});
	/* the codes view counts every scan; the scan rows are each network's first scan */
	row(db,
	    "SELECT scans, clients, (SELECT count(*) FROM scans WHERE serial = 7) FROM codes "
	    "WHERE serial = 7",
	    3, (const long long[]){7, 5, 5});
	sqlite3_close(db);
}

/* A repeat scan by the same client adds to its counter, not a row: 1,000 scans of one code by
 * one network append one scans row, and the counters, day_stats and ledger_stats (before and
 * after a reopen) say 1,000; a second network, and a second cookie on the first, each append
 * one more row. */
static void test_ledger_repeat_scans_add_to_a_counter_not_a_row(void **state)
{
	struct ledger *l;
	struct tem_err err;
	struct ledger_scan s;
	int64_t n, bytes;
	sqlite3 *db;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(scan(l, 4, 1, &s), LEDGER_OK);
	assert_int_equal(s.scans, 1000);
	assert_int_equal(s.clients, 1);
	ledger_stats(l, &n, &bytes);
	assert_int_equal(n, 1000);
	ledger_close(l);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	row(db, "SELECT count(*), min(verdict = 'genuine') FROM scans", 2,
	    (const long long[]){1, 1});
	row(db, "SELECT count(*), sum(scans) FROM code_scans", 2, (const long long[]){1, 1000});
	row(db, "SELECT sum(scans), sum(genuine), sum(codes) FROM day_stats", 3,
	    (const long long[]){1000, 1000, 1});
	sqlite3_close(db);

	/* the count survives a reopen (read from day_stats, not the rows) */
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	ledger_stats(l, &n, &bytes);
	assert_int_equal(n, 1000);
	assert_int_equal(scan(l, 4, 2, &s), LEDGER_OK); /* a second network: a row */
	assert_int_equal(s.verdict, V_SEEN);
	assert_int_equal(s.scans, 1001);
	for (int i = 0; i < 10; i++) /* a cookie on the first network: a row, then a counter */
		assert_int_equal(scan_cookie(l, 4, 1, 7, &s), LEDGER_OK);
	assert_int_equal(s.scans, 1011);
	ledger_stats(l, &n, &bytes);
	assert_int_equal(n, 1011);
	ledger_close(l);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	row(db, "SELECT count(*), count(DISTINCT client) FROM scans", 2, (const long long[]){3, 2});
	row(db, "SELECT count(*), sum(scans) FROM code_scans", 2, (const long long[]){3, 1011});
	row(db, "SELECT sum(scans) FROM day_stats", 1, (const long long[]){1011});
	sqlite3_close(db);
}

/* Registers serials first..last of the test key with header hdr and, when sealed is not NULL,
 * that sealed claim key: the writer's status. */
static enum ledger_status batch_with_key(struct ledger *l, uint64_t first, uint64_t last,
					 const char *hdr, const unsigned char *sealed, size_t len)
{
	struct ledger_job job;

	memset(&job, 0, sizeof job);
	job.kind = JOB_BATCH;
	strcpy(job.u.batch.key_id, "3F9A0C21D4E5B6A7");
	job.u.batch.first = first;
	job.u.batch.last = last;
	job.u.batch.batch_id = job.u.batch.product = job.u.batch.producer = job.u.batch.url = "x";
	job.u.batch.header = hdr;
	job.u.batch.at_ms = 1;
	job.u.batch.claim_key = sealed;
	job.u.batch.claim_key_len = len;
	return ledger_run(l, &job);
}

static enum ledger_status batch(struct ledger *l, uint64_t first, uint64_t last, const char *hdr)
{
	return batch_with_key(l, first, last, hdr, NULL, 0);
}

static int count(void *arg, const struct ledger_batch_row *b, struct tem_err *err)
{
	(void)b, (void)err;
	(*(int *)arg)++;
	return TEM_OK;
}

static void test_ledger_batches_are_idempotent_and_never_overlap(void **state)
{
	struct ledger *l;
	struct tem_err err;
	int n = 0;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(batch(l, 1, 100, "h1"), LEDGER_OK);
	assert_int_equal(batch(l, 1, 100, "h1"), LEDGER_EXISTS);
	assert_int_equal(batch(l, 50, 150, "h2"), LEDGER_OVERLAP);
	assert_int_equal(batch(l, 100, 100, "h3"), LEDGER_OVERLAP);
	assert_int_equal(batch(l, 101, 200, "h4"), LEDGER_OK);
	assert_int_equal(ledger_each_batch(l, count, &n, &err), TEM_OK);
	assert_int_equal(n, 2);
	ledger_close(l);
}

/* What ledger_each_batch passed, copied (its strings live only during the call). */
struct seen {
	int n;
	struct ledger_batch_row b[4];
	char text[4][6][64];
};

static int collect(void *arg, const struct ledger_batch_row *b, struct tem_err *err)
{
	struct seen *s = arg;
	const char *in[6] = {b->key_id, b->batch_id, b->product, b->producer, b->url, b->header};

	(void)err;
	if (s->n == 4)
		return err_set(err, "more batches than the test registered");
	s->b[s->n] = *b;
	for (int i = 0; i < 6; i++)
		snprintf(s->text[s->n][i], sizeof s->text[s->n][i], "%s", in[i]);
	s->n++;
	return TEM_OK;
}

static int refuse(void *arg, const struct ledger_batch_row *b, struct tem_err *err)
{
	(void)arg;
	return err_set(err, "stopped at batch %s", b->batch_id);
}

static void test_ledger_each_batch_gives_every_stored_field(void **state)
{
	struct ledger *l;
	struct tem_err err;
	struct ledger_job job;
	struct seen s;
	int64_t row;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	memset(&job, 0, sizeof job);
	job.kind = JOB_BATCH;
	strcpy(job.u.batch.key_id, "3F9A0C21D4E5B6A7");
	job.u.batch.first = 1001;
	job.u.batch.last = 1500;
	job.u.batch.batch_id = "CM-2026-07";
	job.u.batch.product = "Cua Cà Mau";
	job.u.batch.producer = "HTX Năm Căn";
	job.u.batch.url = "https://tem.example";
	job.u.batch.issued = 1795600123;
	job.u.batch.last_day = 20820;
	job.u.batch.header = "the signed header";
	job.u.batch.at_ms = 1795600456789;
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
	row = job.u.batch.row;
	ledger_close(l);

	/* read back by a ledger opened afresh, as temd does at start */
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	memset(&s, 0, sizeof s);
	assert_int_equal(ledger_each_batch(l, collect, &s, &err), TEM_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0][0], "3F9A0C21D4E5B6A7");
	assert_int_equal(s.b[0].first, 1001);
	assert_int_equal(s.b[0].last, 1500);
	assert_int_equal(s.b[0].registered_ms, 1795600456789);
	assert_int_equal(s.b[0].row, row);
	assert_string_equal(s.text[0][1], "CM-2026-07");
	assert_string_equal(s.text[0][2], "Cua Cà Mau");
	assert_string_equal(s.text[0][3], "HTX Năm Căn");
	assert_string_equal(s.text[0][4], "https://tem.example");
	assert_int_equal(s.b[0].issued, 1795600123);
	assert_int_equal(s.b[0].last_day, 20820);
	assert_string_equal(s.text[0][5], "the signed header");
	/* a callback that stops the walk makes it fail with the callback's sentence */
	assert_int_equal(ledger_each_batch(l, refuse, NULL, &err), TEM_ERR);
	assert_string_equal(err.msg, "stopped at batch CM-2026-07");
	ledger_close(l);
}

static void test_ledger_a_misspelled_bind_parameter_fails_the_transaction(void **state)
{
	static const char ins[] = "INSERT INTO meta(name, value) VALUES('bind-check', :value)";
	struct ledger *l;
	struct tem_err err;
	struct ledger_scan s;
	int64_t failed;
	sqlite3 *db;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(ledger_bind_check(l, ins, ":valeu", &err), LEDGER_FAILED);
	assert_non_null(strstr(err.msg, "no such bind parameter :valeu"));
	assert_non_null(strstr(err.msg, ins));
	/* it failed as a transaction fails: counted, and the ledger says it is failing */
	assert_int_equal(ledger_failing(l, &failed), 1);
	assert_int_equal(failed, 1);
	/* the right name runs and commits; the ledger is healthy again, and scans still count */
	assert_int_equal(ledger_bind_check(l, ins, ":value", &err), LEDGER_OK);
	assert_int_equal(ledger_failing(l, &failed), 0);
	assert_int_equal(scan(l, 9, 1, &s), LEDGER_OK);
	assert_int_equal(s.scans, 1);
	/* a statement that fails after binding (here a constraint) fails the same way */
	assert_int_equal(ledger_bind_check(l, ins, ":value", &err), LEDGER_FAILED);
	assert_non_null(strstr(err.msg, "UNIQUE constraint failed"));
	ledger_close(l);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	row(db, "SELECT count(*), max(value) FROM meta WHERE name = 'bind-check'", 2,
	    (const long long[]){1, 1});
	sqlite3_close(db);
}

static void test_ledger_refuses_a_damaged_salt(void **state)
{
	struct ledger *l;
	struct tem_err err;
	sqlite3 *db;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	ledger_close(l);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "INSERT INTO meta VALUES('client-salt', x'0102')", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	/* never a new salt in its place: that would make every client new */
	assert_int_equal(ledger_open(path, &l, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "client salt in table meta is 2 bytes, not 32"));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	row(db, "SELECT length(value) FROM meta WHERE name = 'client-salt'", 1,
	    (const long long[]){2});
	sqlite3_close(db);
}

static void test_ledger_keeps_its_salt_and_refuses_a_newer_schema(void **state)
{
	struct ledger *l;
	struct tem_err err;
	unsigned char s1[LEDGER_SALT_BYTES], s2[LEDGER_SALT_BYTES];
	sqlite3 *db;

	(void)state;
	/* a new ledger holds no salt: it lives in the secret file (server/secrets.h) */
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(ledger_salt(l, s1), 0);
	ledger_close(l);
	/* an old ledger's salt is read, then forgotten for good */
	memset(s1, 0x5A, sizeof s1);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(
	    sqlite3_prepare_v2(db, "INSERT INTO meta VALUES('client-salt', ?)", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(st, 1, s1, sizeof s1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(ledger_salt(l, s2), 1);
	assert_memory_equal(s1, s2, sizeof s1);
	assert_int_equal(ledger_forget_salt(l, &err), TEM_OK);
	assert_int_equal(ledger_salt(l, s2), 0);
	ledger_close(l);
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(ledger_salt(l, s2), 0);
	ledger_close(l);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ledger_open(path, &l, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "newer than this temd"));
}

static void test_ledger_migrates_a_version_1_ledger(void **state)
{
	struct ledger *l;
	struct tem_err err;
	struct ledger_job job;
	sqlite3 *db;
	char *dump;
	size_t n;
	FILE *f = fopen("tests/vectors/ledger-v1.sql", "rb");

	(void)state;
	assert_non_null(f);
	dump = calloc(1, 1 << 16);
	assert_non_null(dump);
	n = fread(dump, 1, (1 << 16) - 1, f);
	fclose(f);
	assert_true(n > 0 && n < (1 << 16) - 1);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, dump, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(dump);

	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	/* serial 1 again by its first client: the alert row, made exact, gives the counts */
	memset(&job, 0, sizeof job);
	job.kind = JOB_SCAN;
	strcpy(job.u.scan.key_id, "2A2F99D185276131");
	job.u.scan.serial = 1;
	sodium_hex2bin(job.u.scan.client, sizeof job.u.scan.client,
		       "e9b38a25c49d60651db549231e4b89bb", 32, NULL, NULL, NULL);
	job.u.scan.at_ms = 1795606000000;
	job.u.scan.facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 1};
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
	assert_int_equal(job.u.scan.verdict, V_DUPLICATE);
	assert_int_equal(job.u.scan.scans, 6);
	assert_int_equal(job.u.scan.clients, 4);
	assert_int_equal(job.u.scan.first_scan_ms, 1795605975014);
	ledger_close(l);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	row(db, "PRAGMA user_version", 1, (const long long[]){8});
	row(db, "SELECT count(*), sum(scans) FROM code_scans", 2, (const long long[]){5, 7});
	row(db, "SELECT scans, clients, first_scan, last_scan FROM codes WHERE serial = 1", 4,
	    (const long long[]){6, 4, 1795605975014, 1795606000000});
	row(db, "SELECT scans, clients FROM codes WHERE serial = 2", 2, (const long long[]){1, 1});
	row(db, "SELECT scans, clients, last_scan, raised FROM code_alerts", 4,
	    (const long long[]){6, 4, 1795606000000, 1795605975108});
	row(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('code_clients')", 1,
	    (const long long[]){0});
	sqlite3_close(db);
}

/* the writer's PIN check in these tests: the PIN is right when arg points to 1 */
static int code_limit = 3; /* wrong PINs a code takes a day, in claim() */

/* One claim attempt of serial 1005 of the batch below by the browser of cookie id who, from
 * network net. */
static struct ledger_claim claim(struct ledger *l, unsigned char who, unsigned char net, int right,
				 int64_t at_ms)
{
	struct ledger_job job;

	memset(&job, 0, sizeof job);
	job.kind = JOB_CLAIM;
	strcpy(job.u.claim.key_id, "3F9A0C21D4E5B6A7");
	job.u.claim.serial = 1005;
	job.u.claim.cookie[0] = who;
	job.u.claim.has_cookie = 1;
	job.u.claim.net[0] = net;
	job.u.claim.at_ms = at_ms;
	job.u.claim.code_limit = code_limit;
	job.u.claim.net_limit = 4;
	job.u.claim.pin_right = right;
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
	return job.u.claim;
}

static void test_ledger_claims_limits_and_sold_scans(void **state)
{
	static const unsigned char sealed[72] = {1, 2, 3};
	const int64_t t0 = 1795600000000; /* 2026-11-25 06:40 UTC */
	struct ledger_claim_info info;
	struct ledger_claim c;
	struct ledger_scan s;
	struct ledger *l;
	struct tem_err err;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(batch_with_key(l, 1001, 1010, "h", sealed, sizeof sealed), LEDGER_OK);
	assert_int_equal(ledger_claim_info(l, "3F9A0C21D4E5B6A7", 1005, &info, &err), TEM_OK);
	assert_true(info.in_batch && info.has_pins);
	assert_int_equal(info.first, 1001);
	assert_int_equal(info.sealed_len, sizeof sealed);
	assert_memory_equal(info.sealed, sealed, sizeof sealed);
	assert_int_equal(ledger_claim_info(l, "3F9A0C21D4E5B6A7", 1011, &info, &err), TEM_OK);
	assert_false(info.in_batch);

	/* wrong PINs count per code and day: the fourth try is limited, the right PIN unchecked */
	for (int i = 0; i < 3; i++)
		assert_int_equal(claim(l, 10 + i, 10 + i, 0, t0).result, CLAIM_WRONG_PIN);
	c = claim(l, 20, 20, 1, t0);
	assert_int_equal(c.result, CLAIM_LIMITED);
	assert_int_equal(c.claimed_ms, 0);
	assert_int_equal(c.retry_after, (86400000 - t0 % 86400000 + 999) / 1000);
	/* the next day it may be claimed */
	c = claim(l, 1, 1, 1, t0 + 86400000);
	assert_int_equal(c.result, CLAIM_NEW);
	assert_int_equal(c.claimed_ms, t0 + 86400000);
	/* the claimer's browser on another network (Wi-Fi, then 4G), or another of its apps on
	 * the same network: its own claim */
	assert_int_equal(claim(l, 1, 2, 1, t0 + 86400001).result, CLAIM_YOURS);
	assert_int_equal(claim(l, 7, 1, 1, t0 + 86400001).result, CLAIM_YOURS);
	c = claim(l, 2, 2, 1, t0 + 86400002);
	assert_int_equal(c.result, CLAIM_TAKEN);
	assert_int_equal(c.claimed_ms, t0 + 86400000);
	assert_false(c.yours);
	/* a wrong PIN from another buyer still tells when it was claimed, and changes nothing */
	c = claim(l, 3, 3, 0, t0 + 86400003);
	assert_int_equal(c.result, CLAIM_WRONG_PIN);
	assert_int_equal(c.claimed_ms, t0 + 86400000);

	/* scans: sold to others, the claimer's own verdict to the claimer */
	assert_int_equal(scan(l, 1005, 2, &s), LEDGER_OK);
	assert_int_equal(s.verdict, V_SOLD);
	assert_int_equal(s.claimed_ms, t0 + 86400000);
	assert_int_equal(scan(l, 1005, 1, &s), LEDGER_OK);
	assert_int_not_equal(s.verdict, V_SOLD);
	assert_true(s.facts.claimed_by_this);
	/* the claimer's cookie on a network it never claimed from: its own; another's: sold */
	assert_int_equal(scan_cookie(l, 1005, 9, 1, &s), LEDGER_OK);
	assert_int_not_equal(s.verdict, V_SOLD);
	assert_true(s.facts.claimed_by_this);
	assert_int_equal(scan_cookie(l, 1005, 9, 8, &s), LEDGER_OK);
	assert_int_equal(s.verdict, V_SOLD);
	assert_int_equal(scan(l, 1004, 2, &s), LEDGER_OK);
	assert_int_equal(s.verdict, V_GENUINE);
	assert_int_equal(s.claimed_ms, 0);
	ledger_close(l);

	/* the claim, and the limits, survive a reopen */
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	c = claim(l, 30, 30, 1, t0);
	assert_int_equal(c.result, CLAIM_LIMITED);
	assert_int_equal(c.claimed_ms, t0 + 86400000);
	assert_false(c.yours);
	assert_int_equal(claim(l, 1, 30, 1, t0 + 86400000 * 2).result, CLAIM_YOURS);
	ledger_close(l);
}

static void test_ledger_limits_wrong_pins_per_network_and_hour(void **state)
{
	const int64_t t0 = 1795600000000;
	struct ledger *l;
	struct tem_err err;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(batch(l, 1001, 1010, "h"), LEDGER_OK);
	/* the code's own limit out of the way: 4 wrong PINs an hour from network 7 */
	code_limit = 100;
	for (int i = 0; i < 4; i++)
		assert_int_equal(claim(l, 1, 7, 0, t0 + i).result, CLAIM_WRONG_PIN);
	/* the fifth is limited, whatever the client or the PIN, until the hour ends */
	assert_int_equal(claim(l, 2, 7, 1, t0 + 5).result, CLAIM_LIMITED);
	/* another network is not */
	assert_int_equal(claim(l, 3, 8, 0, t0 + 6).result, CLAIM_WRONG_PIN);
	/* the next hour, network 7 may try again */
	assert_int_equal(claim(l, 2, 7, 1, t0 + 3600000).result, CLAIM_NEW);
	code_limit = 3;
	ledger_close(l);
}

/* Counts the jobs of a burst as the writer ends them (done runs on the writer thread). */
struct burst {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, failed;
};

static void burst_done(struct ledger_job *job, void *arg)
{
	struct burst *b = arg;

	pthread_mutex_lock(&b->mu);
	b->done++;
	b->failed += job->status == LEDGER_FAILED;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/* Submits a scan of every serial 1..n by network net without waiting, so the writer takes
 * them in groups, then waits for all; jobs[i] is serial i + 1's. Returns the failed jobs. */
static int scan_burst(struct ledger *l, struct ledger_job *jobs, int n, unsigned char net)
{
	struct burst b = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

	for (int i = 0; i < n; i++) {
		memset(&jobs[i], 0, sizeof jobs[i]);
		jobs[i].kind = JOB_SCAN;
		strcpy(jobs[i].u.scan.key_id, "3F9A0C21D4E5B6A7");
		jobs[i].u.scan.serial = (uint64_t)i + 1;
		jobs[i].u.scan.client[0] = net;
		jobs[i].u.scan.at_ms = 1795600000000 + net;
		jobs[i].u.scan.facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
		jobs[i].done = burst_done;
		jobs[i].arg = &b;
		ledger_submit(l, &jobs[i]);
	}
	pthread_mutex_lock(&b.mu);
	while (b.done < n)
		pthread_cond_wait(&b.cv, &b.mu);
	pthread_mutex_unlock(&b.mu);
	return b.failed;
}

/* One damaged page of the scans table (a leaf of rows overwritten while temd runs, as a
 * failing disk does) costs only the scans of the codes whose client rows are on it: a group transaction that
 * fails is run again job by job, and only the jobs that fail alone are answered
 * LEDGER_FAILED; every other scan of the same groups is counted. */
static void test_ledger_a_damaged_page_costs_only_its_own_codes(void **state)
{
	enum { N = 3000 };
	static struct ledger_job jobs[N];
	struct ledger *l;
	struct tem_err err;
	struct ledger_scan s;
	sqlite3 *db;
	sqlite3_stmt *st;
	long long page = 0, page_size = 0, leaves = 0;
	unsigned char junk[65536];
	int fd, failed, alone = 0;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	assert_int_equal(scan_burst(l, jobs, N, 1), 0);
	ledger_close(l); /* checkpointed: every page is in the file, none in the WAL */

	/* a leaf of scans in the middle, found with dbstat */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*), (SELECT pageno FROM dbstat "
					    "WHERE name = 'scans' AND pagetype = 'leaf' "
					    "ORDER BY pageno LIMIT 1 OFFSET 3), "
					    "(SELECT page_size FROM pragma_page_size) FROM dbstat "
					    "WHERE name = 'scans' AND pagetype = 'leaf'",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	leaves = sqlite3_column_int64(st, 0);
	page = sqlite3_column_int64(st, 1);
	page_size = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_true(leaves > 8 && page > 1 && page_size > 0 && page_size <= (long long)sizeof junk);

	assert_int_equal(ledger_open(path, &l, &err), TEM_OK); /* quick_check passes */
	memset(junk, 0xA5, sizeof junk);
	assert_int_not_equal((fd = open(path, O_WRONLY)), -1);
	assert_int_equal(pwrite(fd, junk, (size_t)page_size, (off_t)((page - 1) * page_size)),
			 (ssize_t)page_size);
	close(fd);
	/* another connection's commit makes the writer drop the pages it holds in memory */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO meta VALUES('poke', 1)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	failed = scan_burst(l, jobs, N, 2);
	print_message("damaged leaf %lld of %lld: %d of %d scans failed\n", page, leaves, failed,
		      N);
	/* the damaged page held one leaf's codes (a few of its neighbours', whose inserts split
	 * into it, fail too): a small part of the whole, not every group that met it */
	assert_true(failed > 0);
	assert_true(failed < N / (int)leaves * 4);
	/* the scans that failed fail again alone; the others of their groups were counted */
	for (int i = 0; i < N; i++)
		if (jobs[i].status == LEDGER_FAILED)
			alone += scan(l, (uint64_t)i + 1, 3, &s) == LEDGER_FAILED;
	assert_true(alone > 0);
	assert_int_equal(scan(l, N, 3, &s), LEDGER_OK);
	assert_int_equal(s.scans, 3);
	ledger_close(l);
}

/* One step of the rebuild test below: a scan or a claim, made from the step's number alone
 * (its code, network and cookie id drawn with libsodium's seeded generator), run on l. */
static void rebuild_step(struct ledger *l, int i, struct ledger_job *job)
{
	unsigned char r[8], seed[randombytes_SEEDBYTES] = {0};

	seed[0] = (unsigned char)i;
	seed[1] = (unsigned char)(i >> 8);
	randombytes_buf_deterministic(r, sizeof r, seed);
	memset(job, 0, sizeof *job);
	if (r[0] % 23 == 0) {
		job->kind = JOB_CLAIM;
		strcpy(job->u.claim.key_id, "3F9A0C21D4E5B6A7");
		job->u.claim.serial = 1 + r[1] % 40;
		job->u.claim.net[0] = (unsigned char)(1 + r[2] % 12);
		job->u.claim.cookie[0] = (unsigned char)(r[3] % 7);
		job->u.claim.has_cookie = job->u.claim.cookie[0] != 0;
		job->u.claim.at_ms = 1795600000000 + (int64_t)i * 61000;
		job->u.claim.code_limit = 5;
		job->u.claim.net_limit = 20;
		job->u.claim.pin_right = 1;
	} else {
		job->kind = JOB_SCAN;
		strcpy(job->u.scan.key_id, "3F9A0C21D4E5B6A7");
		job->u.scan.serial = 1 + r[1] % 40;
		job->u.scan.client[0] = (unsigned char)(1 + r[2] % 12);
		job->u.scan.cookie[0] = (unsigned char)(r[3] % 7);
		/* a few cookies roam between networks, as phones do between Wi-Fi and 4G */
		job->u.scan.has_cookie = job->u.scan.cookie[0] != 0;
		job->u.scan.at_ms = 1795600000000 + (int64_t)i * 61000;
		job->u.scan.facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
	}
	assert_int_equal(ledger_run(l, job), LEDGER_OK);
}

/* The index of codes the writer keeps in memory is rebuilt from the ledger at every open:
 * the same 1,500 scans and claims (random codes among 40, networks among 12, cookie ids among
 * 6, so codes get many clients, alerts, claims and repeats) give every answer alike on a
 * ledger open throughout and on one closed and opened again every 37 steps. */
static void test_ledger_index_rebuilt_at_open_decides_alike(void **state)
{
	char other[80];
	struct ledger *a, *b;
	struct tem_err err;
	struct ledger_job ja, jb;
	int alerted = 0, claimed = 0, repeats = 0;

	(void)state;
	snprintf(other, sizeof other, "%s-b", path);
	assert_int_equal(ledger_open(path, &a, &err), TEM_OK);
	assert_int_equal(ledger_open(other, &b, &err), TEM_OK);
	for (int i = 0; i < 1500; i++) {
		if (i % 37 == 36) {
			ledger_close(b);
			assert_int_equal(ledger_open(other, &b, &err), TEM_OK);
		}
		rebuild_step(a, i, &ja);
		rebuild_step(b, i, &jb);
		if (ja.kind == JOB_CLAIM) {
			assert_int_equal(ja.u.claim.result, jb.u.claim.result);
			assert_int_equal(ja.u.claim.claimed_ms, jb.u.claim.claimed_ms);
			assert_int_equal(ja.u.claim.yours, jb.u.claim.yours);
			claimed += ja.u.claim.result == CLAIM_NEW;
			continue;
		}
		assert_int_equal(ja.u.scan.verdict, jb.u.scan.verdict);
		assert_int_equal(ja.u.scan.scans, jb.u.scan.scans);
		assert_int_equal(ja.u.scan.clients, jb.u.scan.clients);
		assert_int_equal(ja.u.scan.first_scan_ms, jb.u.scan.first_scan_ms);
		assert_int_equal(ja.u.scan.claimed_ms, jb.u.scan.claimed_ms);
		assert_int_equal(ja.u.scan.facts.claimed_by_this, jb.u.scan.facts.claimed_by_this);
		alerted += ja.u.scan.verdict == V_DUPLICATE;
	}
	ledger_close(a);
	ledger_close(b);
	/* the sequence reached every path: alerted codes, claims, repeats in place */
	{
		sqlite3 *db;
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db,
						    "SELECT coalesce(sum(times - 1), 0) FROM scans "
						    "WHERE times > 1",
						    -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		repeats = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		/* alerted codes of both kinds: with few client rows (read from their chain) and
		 * with more than the 24 that put them in the index by network */
		assert_int_equal(
		    sqlite3_prepare_v2(db,
				       "SELECT sum(n <= 24), sum(n > 24) FROM (SELECT "
				       "count(*) AS n FROM code_scans c JOIN code_alerts "
				       "a USING (key_id, serial) GROUP BY key_id, serial)",
				       -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		print_message("alerted codes: %d with 24 rows or fewer, %d with more\n",
			      sqlite3_column_int(st, 0), sqlite3_column_int(st, 1));
		assert_true(sqlite3_column_int(st, 0) > 0 && sqlite3_column_int(st, 1) > 0);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	print_message("%d duplicate verdicts, %d claims, %d repeats\n", alerted, claimed, repeats);
	assert_true(alerted > 100 && claimed > 5 && repeats > 100);
	unlink(other);
	snprintf(other, sizeof other, "%s-b-wal", path);
	unlink(other);
	snprintf(other, sizeof other, "%s-b-shm", path);
	unlink(other);
	snprintf(other, sizeof other, "%s-b.lock", path);
	unlink(other);
}

/* The writer leaves no read open between its transactions: after scans that read a code's
 * rows, another process's write (as `temd token create` makes beside temd) must not make the
 * writer's next BEGIN IMMEDIATE fail on a stale snapshot. */
static void test_ledger_writer_holds_no_snapshot_between_groups(void **state)
{
	struct ledger *l;
	struct tem_err err;
	struct ledger_scan s;
	sqlite3 *db;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	for (int i = 0; i < 3; i++) { /* the second and third read the code's row */
		assert_int_equal(scan(l, 9, 1, &s), LEDGER_OK);
		assert_int_equal(s.scans, i + 1);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db,
					      "BEGIN IMMEDIATE; INSERT OR REPLACE INTO meta "
					      "VALUES('poke', 1); COMMIT",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	assert_int_equal(scan(l, 9, 2, &s), LEDGER_OK);
	assert_int_equal(s.scans, 4);
	assert_int_equal(s.clients, 2);
	ledger_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ledger_cookies_link_a_few_networks, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_repeat_scans_add_to_a_counter_not_a_row,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_counts_clients_and_raises_one_alert, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_batches_are_idempotent_and_never_overlap,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_each_batch_gives_every_stored_field, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_ledger_a_misspelled_bind_parameter_fails_the_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_keeps_its_salt_and_refuses_a_newer_schema,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_refuses_a_damaged_salt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_claims_limits_and_sold_scans, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_limits_wrong_pins_per_network_and_hour,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_migrates_a_version_1_ledger, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_a_damaged_page_costs_only_its_own_codes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_index_rebuilt_at_open_decides_alike, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_writer_holds_no_snapshot_between_groups,
					    setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
