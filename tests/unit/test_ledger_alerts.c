/* test_ledger_alerts.c — typed alerts and roll-ups as the ledger's writer keeps them, on a real
 * SQLite file: each alert type raised by the scan or claim that shows it, with its counts;
 * JOB_ALERT adding events; the workflow (JOB_ALERT_UPDATE) with its reasons, refusals, MISSING
 * and alert_changes rows; the reopen rule; day_stats and batch_stats equal to every scan
 * acknowledged and the claims table after a random mix over two days; the roll-ups exact when a group fails
 * and its jobs are run again one by one (every acknowledged scan counted, repeats in their
 * client's row and no scans row); and the invalid-burst counters (server/burst.h). */
#include "tests/unit/testutil.h"

#include <pthread.h>
#include <sqlite3.h>

#include "server/alert.h"
#include "server/burst.h"
#include "server/ledger.h"

#define KEY    "3F9A0C21D4E5B6A7"
#define DAY1   1795600000000LL /* 2026-11-26 15:06 UTC: 22:06 in Vietnam */
#define DAY_MS 86400000LL

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof path, "/tmp/tem-alerts-XXXXXX");
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
	return 0;
}

/* Registers serials first..last of the test key (header hdr): the batch's row id. */
static int64_t batch(struct ledger *l, uint64_t first, uint64_t last, const char *hdr)
{
	struct ledger_job job;

	memset(&job, 0, sizeof job);
	job.kind = JOB_BATCH;
	strcpy(job.u.batch.key_id, KEY);
	job.u.batch.first = first;
	job.u.batch.last = last;
	job.u.batch.batch_id = job.u.batch.product = job.u.batch.producer = job.u.batch.url = "x";
	job.u.batch.header = hdr;
	job.u.batch.at_ms = 1;
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
	return job.u.batch.row;
}

/* Fills job with a scan of serial from network net at at_ms, base verdict base. */
static void scan_job(struct ledger_job *job, uint64_t serial, unsigned char net, int64_t at_ms,
		     enum verdict base)
{
	memset(job, 0, sizeof *job);
	job->kind = JOB_SCAN;
	strcpy(job->u.scan.key_id, KEY);
	job->u.scan.serial = serial;
	job->u.scan.client[0] = net;
	job->u.scan.at_ms = at_ms;
	job->u.scan.facts = (struct verdict_facts){.base = base, .threshold = 2};
}

/* A scan, run: its final verdict. */
static enum verdict scan(struct ledger *l, uint64_t serial, unsigned char net, int64_t at_ms,
			 enum verdict base)
{
	struct ledger_job job;

	scan_job(&job, serial, net, at_ms, base);
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
	return job.u.scan.verdict;
}

/* A claim attempt of serial from network net with a right or wrong PIN: its result. */
static enum ledger_claim_result claim(struct ledger *l, uint64_t serial, unsigned char net,
				      int64_t at_ms, int pin_right)
{
	struct ledger_job job;

	memset(&job, 0, sizeof job);
	job.kind = JOB_CLAIM;
	strcpy(job.u.claim.key_id, KEY);
	job.u.claim.serial = serial;
	job.u.claim.net[0] = net;
	job.u.claim.at_ms = at_ms;
	job.u.claim.code_limit = 3;
	job.u.claim.net_limit = 100;
	job.u.claim.pin_right = pin_right;
	assert_int_equal(ledger_run(l, &job), LEDGER_OK);
	return job.u.claim.result;
}

/* A workflow step on alert id: the job's status. */
static enum ledger_status update(struct ledger *l, int64_t id, const char *producer,
				 enum alert_status status, enum alert_reason reason,
				 const char *note, int64_t at_ms)
{
	struct ledger_job job;

	memset(&job, 0, sizeof job);
	job.kind = JOB_ALERT_UPDATE;
	job.u.alert_update = (struct ledger_alert_update){
	    .id = id,
	    .producer = producer,
	    .status = status,
	    .reason = reason,
	    .note = note,
	    .by = "inspector-ana",
	    .at_ms = at_ms,
	};
	return ledger_run(l, &job);
}

/* The one integer query q answers (a row is required). */
static long long one(sqlite3 *db, const char *q)
{
	sqlite3_stmt *st;
	long long v;

	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		fail_msg("cannot prepare %s: %s", q, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("no row from %s", q);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The alert of serial and type as "events clients status reason" ("none" when there is none). */
static const char *alert_of(sqlite3 *db, uint64_t serial, const char *type)
{
	static char out[160];
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT events || ' ' || clients || ' ' || status || "
					    "' ' || coalesce(reason, '-') FROM alerts "
					    "WHERE key_id = ?1 AND serial = ?2 AND type = ?3",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, KEY, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)serial);
	sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
	else
		snprintf(out, sizeof out, "none");
	sqlite3_finalize(st);
	return out;
}

static sqlite3 *open_db(void)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* Every type the writer raises appears once per code with its counts; batch_stats counts each
 * alerted code once, and a code outside every batch in none. */
static void test_alerts_each_type_with_its_counts(void **state)
{
	struct ledger *l;
	struct tem_err err;
	struct ledger_job job;
	int64_t b;
	sqlite3 *db;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	b = batch(l, 1, 100, "h1");
	/* duplicate: four networks with threshold 2, then a fifth */
	for (unsigned char n = 1; n <= 3; n++)
		assert_int_not_equal(scan(l, 1, n, DAY1 + n, V_GENUINE), V_DUPLICATE);
	assert_int_equal(scan(l, 1, 4, DAY1 + 4, V_GENUINE), V_DUPLICATE);
	assert_int_equal(scan(l, 1, 5, DAY1 + 5, V_GENUINE), V_DUPLICATE);
	assert_int_equal(scan(l, 1, 1, DAY1 + 6, V_GENUINE), V_DUPLICATE);
	/* sold-then-scanned: claimed by network 1, scanned by 2 and 3 (the claimer's own scan
	 * raises nothing) */
	assert_int_equal(claim(l, 2, 1, DAY1 + 10, 1), CLAIM_NEW);
	assert_int_equal(scan(l, 2, 1, DAY1 + 11, V_GENUINE), V_GENUINE);
	assert_int_equal(scan(l, 2, 2, DAY1 + 12, V_GENUINE), V_SOLD);
	assert_int_equal(scan(l, 2, 3, DAY1 + 13, V_GENUINE), V_SOLD);
	/* revoked-key and unregistered, by the base verdict; 500 is in no batch */
	assert_int_equal(scan(l, 3, 1, DAY1 + 20, V_REVOKED), V_REVOKED);
	assert_int_equal(scan(l, 500, 1, DAY1 + 21, V_UNREGISTERED), V_UNREGISTERED);
	assert_int_equal(scan(l, 500, 2, DAY1 + 22, V_UNREGISTERED), V_UNREGISTERED);
	/* claim-guessing: the third wrong PIN reaches the limit (3); the fourth is refused unread */
	assert_int_equal(claim(l, 4, 9, DAY1 + 30, 0), CLAIM_WRONG_PIN);
	assert_int_equal(claim(l, 4, 9, DAY1 + 31, 0), CLAIM_WRONG_PIN);
	assert_int_equal(claim(l, 4, 9, DAY1 + 32, 0), CLAIM_WRONG_PIN);
	assert_int_equal(claim(l, 4, 9, DAY1 + 33, 0), CLAIM_LIMITED);
	/* invalid-burst from the HTTP side, on the key, twice */
	for (int i = 0; i < 2; i++) {
		memset(&job, 0, sizeof job);
		job.kind = JOB_ALERT;
		job.u.alert = (struct ledger_alert){.type = ALERT_INVALID_BURST,
						    .key_id = KEY,
						    .events = 20,
						    .first_ms = DAY1 + 40 + i,
						    .at_ms = DAY1 + 50 + i};
		assert_int_equal(ledger_run(l, &job), LEDGER_OK);
		assert_true(job.u.alert.id > 0);
		assert_int_equal(job.u.alert.raised, i == 0);
	}
	/* a JOB_ALERT the contract refuses writes nothing */
	job.u.alert.type = ALERT_TYPES;
	assert_int_equal(ledger_run(l, &job), LEDGER_FAILED);
	job.u.alert.type = ALERT_INVALID_BURST;
	job.u.alert.events = 0; /* no event */
	assert_int_equal(ledger_run(l, &job), LEDGER_FAILED);
	job.u.alert.events = 1;
	strcpy(job.u.alert.key_id, "3f9a0c21d4e5b6a7"); /* not as the ledger keeps key ids */
	assert_int_equal(ledger_run(l, &job), LEDGER_FAILED);
	strcpy(job.u.alert.key_id, "3F9A0C21D4E5B6A"); /* one digit short */
	assert_int_equal(ledger_run(l, &job), LEDGER_FAILED);
	ledger_close(l);

	db = open_db();
	assert_string_equal(alert_of(db, 1, "duplicate"), "6 5 open -");
	assert_string_equal(alert_of(db, 2, "sold-then-scanned"), "2 3 open -");
	assert_string_equal(alert_of(db, 3, "revoked-key"), "1 1 open -");
	assert_string_equal(alert_of(db, 500, "unregistered"), "2 2 open -");
	assert_string_equal(alert_of(db, 4, "claim-guessing"), "3 0 open -");
	assert_string_equal(alert_of(db, 0, "invalid-burst"), "40 0 open -");
	assert_int_equal(one(db, "SELECT count(*) FROM alerts"), 6);
	assert_int_equal(one(db, "SELECT first_at FROM alerts WHERE type = 'invalid-burst'"),
			 DAY1 + 40);
	assert_int_equal(one(db, "SELECT last_at FROM alerts WHERE type = 'invalid-burst'"),
			 DAY1 + 51);
	assert_int_equal(one(db, "SELECT first_at FROM alerts WHERE type = 'duplicate'"), DAY1 + 1);
	/* the duplicate's old per-code row keeps its role, with the same counts */
	assert_int_equal(one(db, "SELECT scans * 10 + clients FROM code_alerts"), 65);
	/* batch 1: ten scans of codes 1, 2, 3 (4 only had wrong PINs), 2 claimed, 1-4 alerted */
	assert_int_equal(one(db, "SELECT count(*) FROM batch_stats"), 1);
	assert_int_equal(
	    one(db, "SELECT scans * 1000 + codes * 100 + claimed * 10 + alerted FROM batch_stats"),
	    10 * 1000 + 3 * 100 + 1 * 10 + 4);
	assert_int_equal(one(db, "SELECT batch FROM batch_stats"), b);
	sqlite3_close(db);
}

/* The workflow: steps with their reasons, the refusals, MISSING, every step kept with who and
 * when; a new event reopens a closed alert, unless it was closed as confirmed-counterfeit that
 * same day. */
static void test_alerts_workflow_and_reopening(void **state)
{
	struct ledger *l;
	struct tem_err err;
	sqlite3 *db;
	int64_t id;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	batch(l, 1, 100, "h1");
	scan(l, 7, 1, DAY1, V_REVOKED);
	db = open_db();
	id = one(db, "SELECT id FROM alerts");
	assert_int_equal(update(l, id, NULL, ALERT_INVESTIGATING, ALERT_REASON_NONE, "on it", DAY1),
			 LEDGER_OK);
	assert_string_equal(alert_of(db, 7, "revoked-key"), "1 1 investigating -");
	/* closed needs a reason, and only closed takes one */
	assert_int_equal(update(l, id, NULL, ALERT_CLOSED, ALERT_REASON_NONE, NULL, DAY1),
			 LEDGER_FAILED);
	assert_int_equal(update(l, id, NULL, ALERT_OPEN, ALERT_REASON_BUYER, NULL, DAY1),
			 LEDGER_FAILED);
	/* no such alert, or another producer's */
	assert_int_equal(update(l, id + 100, NULL, ALERT_OPEN, ALERT_REASON_NONE, NULL, DAY1),
			 LEDGER_MISSING);
	assert_int_equal(
	    update(l, id, "0000000000000001", ALERT_OPEN, ALERT_REASON_NONE, NULL, DAY1),
	    LEDGER_MISSING);
	assert_int_equal(update(l, id, KEY, ALERT_CLOSED, ALERT_REASON_BUYER, NULL, DAY1 + 1),
			 LEDGER_OK);
	assert_string_equal(alert_of(db, 7, "revoked-key"), "1 1 closed buyer-error");
	/* a NULL note keeps the one it had */
	assert_int_equal(one(db, "SELECT note = 'on it' AND updated_by = 'inspector-ana' AND "
				 "updated_at = 1795600000001 FROM alerts"),
			 1);
	assert_int_equal(one(db, "SELECT count(*) FROM alert_changes"), 2);
	assert_int_equal(one(db, "SELECT count(*) FROM alert_changes WHERE by = 'inspector-ana' "
				 "AND ((status = 'investigating' AND reason IS NULL AND "
				 "note = 'on it') OR (status = 'closed' AND reason = "
				 "'buyer-error' AND note IS NULL))"),
			 2);

	/* a new event reopens it, the reopening kept as a step of temd's */
	scan(l, 7, 2, DAY1 + 10, V_REVOKED);
	assert_string_equal(alert_of(db, 7, "revoked-key"), "2 2 open -");
	assert_int_equal(one(db, "SELECT count(*) FROM alert_changes WHERE by = 'temd' AND "
				 "status = 'open'"),
			 1);
	/* closed as confirmed-counterfeit: events that day still count, and it stays closed */
	assert_int_equal(
	    update(l, id, NULL, ALERT_CLOSED, ALERT_REASON_COUNTERFEIT, "seized", DAY1 + 20),
	    LEDGER_OK);
	scan(l, 7, 3, DAY1 + 30, V_REVOKED);
	assert_string_equal(alert_of(db, 7, "revoked-key"), "3 3 closed confirmed-counterfeit");
	/* the next Vietnam day, a new event reopens it */
	scan(l, 7, 4, DAY1 + DAY_MS, V_REVOKED);
	assert_string_equal(alert_of(db, 7, "revoked-key"), "4 4 open -");
	assert_int_equal(one(db, "SELECT count(*) FROM alert_changes"), 5);
	assert_int_equal(one(db, "SELECT count(*) FROM alerts"), 1);
	sqlite3_close(db);
	ledger_close(l);
}

/* Counts the jobs of a burst as the writer ends them. */
struct group {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, failed;
};

static void burst_done(struct ledger_job *job, void *arg)
{
	struct group *b = arg;

	pthread_mutex_lock(&b->mu);
	b->done++;
	b->failed += job->status == LEDGER_FAILED;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/* Submits jobs[0..n) without waiting (the writer takes them in groups), then waits for all:
 * the jobs that failed. */
static int run_all(struct ledger *l, struct ledger_job *jobs, int n)
{
	struct group b = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

	for (int i = 0; i < n; i++) {
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

/* Makes TEMP table every_scan(key_id, serial, at, client, verdict): each scan of jobs[0..n)
 * the writer acknowledged, repeats included (the scans table keeps each client's first scan of
 * a code only). */
static void every_scan(sqlite3 *db, const struct ledger_job *jobs, int n)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_exec(db,
				      "CREATE TEMP TABLE every_scan(key_id TEXT, serial INTEGER, "
				      "at INTEGER, client BLOB, verdict TEXT)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "INSERT INTO every_scan VALUES(?, ?, ?, ?, ?)", -1, &st, NULL),
	    SQLITE_OK);
	for (int i = 0; i < n; i++) {
		const struct ledger_scan *s = &jobs[i].u.scan;
		if (jobs[i].kind != JOB_SCAN || jobs[i].status != LEDGER_OK)
			continue;
		sqlite3_bind_text(st, 1, s->key_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)s->serial);
		sqlite3_bind_int64(st, 3, s->at_ms);
		sqlite3_bind_blob(st, 4, s->client, LEDGER_CLIENT_BYTES, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, verdict_name(s->verdict), -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* Rows where day_stats and what every_scan and the claims table say differ (0: they agree). */
static const char *const day_diff =
    "WITH s AS (SELECT (at + 25200000) / 86400000 AS day, key_id, coalesce((SELECT b.id FROM "
    "batches b WHERE b.key_id = every_scan.key_id AND every_scan.serial BETWEEN b.first_serial AND "
    "b.last_serial), 0) AS batch, serial, verdict FROM every_scan), "
    "c AS (SELECT (at + 25200000) / 86400000 AS day, key_id, coalesce((SELECT b.id FROM "
    "batches b WHERE b.key_id = claims.key_id AND claims.serial BETWEEN b.first_serial AND "
    "b.last_serial), 0) AS batch FROM claims), "
    "k AS (SELECT day, key_id, batch FROM s UNION SELECT day, key_id, batch FROM c), "
    "want AS (SELECT k.day, k.key_id, k.batch, "
    "(SELECT count(*) FROM s WHERE s.day = k.day AND s.batch = k.batch) AS scans, "
    "(SELECT count(DISTINCT serial) FROM s WHERE s.day = k.day AND s.batch = k.batch) AS codes, "
    "(SELECT count(*) FROM s WHERE s.day = k.day AND s.batch = k.batch AND "
    "verdict = 'genuine') AS genuine, "
    "(SELECT count(*) FROM s WHERE s.day = k.day AND s.batch = k.batch AND "
    "verdict = 'seen') AS seen, "
    "(SELECT count(*) FROM s WHERE s.day = k.day AND s.batch = k.batch AND "
    "verdict = 'duplicate') AS duplicate, "
    "(SELECT count(*) FROM s WHERE s.day = k.day AND s.batch = k.batch AND "
    "verdict = 'sold') AS sold, "
    "(SELECT count(*) FROM s WHERE s.day = k.day AND s.batch = k.batch AND "
    "verdict = 'unregistered') AS unregistered, "
    "(SELECT count(*) FROM s WHERE s.day = k.day AND s.batch = k.batch AND "
    "verdict = 'expired') AS expired, "
    "(SELECT count(*) FROM s WHERE s.day = k.day AND s.batch = k.batch AND "
    "verdict = 'revoked') AS revoked, "
    "(SELECT count(*) FROM c WHERE c.day = k.day AND c.batch = k.batch) AS claims FROM k), "
    "got AS (SELECT day, key_id, batch, scans, codes, genuine, seen, duplicate, sold, "
    "unregistered, expired, revoked, claims FROM day_stats) "
    "SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got)) + "
    "(SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want))";

/* Rows where batch_stats and every_scan, the claims and alerts tables differ (0: they agree). */
static const char *const batch_diff =
    "WITH want AS (SELECT b.id, (SELECT count(*) FROM every_scan s WHERE s.key_id = b.key_id AND "
    "s.serial BETWEEN b.first_serial AND b.last_serial), (SELECT count(DISTINCT serial) FROM "
    "every_scan s WHERE s.key_id = b.key_id AND s.serial BETWEEN b.first_serial AND "
    "b.last_serial), "
    "(SELECT count(*) FROM claims c WHERE c.key_id = b.key_id AND c.serial BETWEEN "
    "b.first_serial AND b.last_serial), (SELECT count(DISTINCT serial) FROM alerts a WHERE "
    "a.key_id = b.key_id AND a.serial BETWEEN b.first_serial AND b.last_serial) FROM batches b) "
    "SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM batch_stats)) + "
    "(SELECT count(*) FROM (SELECT * FROM batch_stats EXCEPT SELECT * FROM want))";

/* A random mix of scans (two batches, codes outside them, every base verdict that counts, two
 * Vietnam days, in time order) and claims, submitted in groups: day_stats and batch_stats
 * equal what the scans, claims and alerts tables say. */
static void test_rollups_equal_the_scans_over_two_days(void **state)
{
	enum { N = 1500 };
	static struct ledger_job jobs[N];
	static const enum verdict bases[] = {V_GENUINE, V_GENUINE, V_GENUINE,     V_GENUINE,
					     V_EXPIRED, V_REVOKED, V_UNREGISTERED};
	struct ledger *l;
	struct tem_err err;
	sqlite3 *db;
	uint32_t seed = randombytes_random();

	(void)state;
	print_message("seed %u\n", seed);
	srandom(seed);
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	batch(l, 1, 40, "h1");
	batch(l, 41, 60, "h2");
	for (int i = 0; i < N; i++) {
		/* the first half on day one (until 23:59 in Vietnam), the rest the next day */
		int64_t at = DAY1 + (int64_t)i * (i < N / 2 ? 4000 : 40000);
		uint64_t serial = 1 + (uint64_t)(random() % 80); /* 61..80: in no batch */
		if (random() % 10 == 0) {
			memset(&jobs[i], 0, sizeof jobs[i]);
			jobs[i].kind = JOB_CLAIM;
			strcpy(jobs[i].u.claim.key_id, KEY);
			jobs[i].u.claim.serial = serial;
			jobs[i].u.claim.net[0] = (unsigned char)(1 + random() % 6);
			jobs[i].u.claim.at_ms = at;
			jobs[i].u.claim.code_limit = 2;
			jobs[i].u.claim.net_limit = 1000;
			jobs[i].u.claim.pin_right = random() % 2;
			continue;
		}
		scan_job(&jobs[i], serial, (unsigned char)(1 + random() % 6), at,
			 serial > 60 ? V_UNREGISTERED : bases[random() % 7]);
	}
	assert_int_equal(run_all(l, jobs, N), 0);
	ledger_close(l);

	db = open_db();
	every_scan(db, jobs, N);
	assert_int_equal(one(db, "SELECT count(DISTINCT (at + 25200000) / 86400000) FROM scans"),
			 2);
	assert_int_equal(one(db, "SELECT sum(scans) FROM day_stats"),
			 one(db, "SELECT count(*) FROM every_scan"));
	assert_int_equal(one(db, "SELECT sum(scans) FROM code_scans"),
			 one(db, "SELECT count(*) FROM every_scan"));
	/* a row for each client's first scan of a code, none for its repeats */
	assert_int_equal(one(db, "SELECT count(*) FROM scans"),
			 one(db, "SELECT count(*) FROM (SELECT DISTINCT key_id, serial, client "
				 "FROM every_scan)"));
	assert_true(one(db, "SELECT count(*) FROM claims") > 0);
	assert_true(one(db, "SELECT count(*) FROM alerts") > 0);
	assert_int_equal(one(db, day_diff), 0);
	assert_int_equal(one(db, batch_diff), 0);
	sqlite3_close(db);
}

/* A group that fails (a batch job the schema refuses among scans) is run again job by job:
 * the scans are all counted once, in the roll-ups too, and only the bad job fails. */
static void test_rollups_survive_the_per_job_retry(void **state)
{
	enum { N = 400 };
	static struct ledger_job jobs[N];
	struct ledger *l;
	struct tem_err err;
	sqlite3 *db;
	int64_t failed = 0;

	(void)state;
	assert_int_equal(ledger_open(path, &l, &err), TEM_OK);
	batch(l, 1, 50, "h1");
	for (int i = 0; i < N; i++)
		scan_job(&jobs[i], 1 + (uint64_t)(i % 70), (unsigned char)(1 + (i / 70) % 5),
			 DAY1 + i * 1000, i % 70 >= 50 ? V_UNREGISTERED : V_GENUINE);
	/* a batch with no header: NOT NULL fails its statement, and its group */
	for (int i = 100; i < N; i += 100) {
		memset(&jobs[i], 0, sizeof jobs[i]);
		jobs[i].kind = JOB_BATCH;
		strcpy(jobs[i].u.batch.key_id, KEY);
		jobs[i].u.batch.first = 1000 + (uint64_t)i;
		jobs[i].u.batch.last = 1000 + (uint64_t)i;
		jobs[i].u.batch.batch_id = jobs[i].u.batch.product = "x";
		jobs[i].u.batch.producer = jobs[i].u.batch.url = "x";
	}
	assert_int_equal(run_all(l, jobs, N), 3);
	ledger_failing(l, &failed);
	assert_true(failed >= 3);
	ledger_close(l);

	db = open_db();
	every_scan(db, jobs, N);
	assert_int_equal(one(db, "SELECT count(*) FROM every_scan"), N - 3);
	assert_int_equal(one(db, "SELECT sum(scans) FROM code_scans"), N - 3);
	assert_int_equal(one(db, "SELECT sum(scans) FROM day_stats"), N - 3);
	assert_int_equal(one(db, day_diff), 0);
	assert_int_equal(one(db, batch_diff), 0);
	assert_int_equal(one(db, "SELECT count(*) FROM alerts WHERE type = 'unregistered'"), 20);
	assert_int_equal(one(db, "SELECT count(*) FROM alerts WHERE type = 'duplicate'"), 50);
	sqlite3_close(db);
}

/* The invalid-burst counters: every 20th forged code of a key's 10-minute window reports 20,
 * other keys count apart, a window's rest is reported when the next begins, a window that
 * never reached 20 reports nothing, and more keys than BURST_KEYS keep memory bounded. */
static void test_burst_reports_every_twenty_in_a_window(void **state)
{
	static struct burst b;
	struct burst_report r;
	int64_t total = 0, t = DAY1;

	(void)state;
	burst_init(&b);
	for (int i = 1; i <= 45; i++) {
		r = burst_count(&b, KEY, t + i);
		if (i == 20 || i == 40) {
			assert_int_equal(r.events, BURST_THRESHOLD);
			assert_int_equal(r.first_ms, t + 1);
			assert_int_equal(r.at_ms, t + i);
		} else {
			assert_int_equal(r.events, 0);
		}
		total += r.events;
		/* another key's forged codes count apart */
		assert_int_equal(burst_count(&b, "0000000000000002", t + i).events,
				 i == 20 || i == 40 ? BURST_THRESHOLD : 0);
	}
	/* the next window's first code reports the last one's rest (5), from its start */
	r = burst_count(&b, KEY, t + BURST_WINDOW_MS + 1);
	assert_int_equal(r.events, 5);
	assert_int_equal(r.first_ms, t + 1);
	assert_int_equal(r.at_ms, t + 45);
	total += r.events;
	assert_int_equal(total, 45);
	/* 19 in a window (the first above included) and a new window: nothing */
	for (int i = 2; i <= 19; i++)
		assert_int_equal(burst_count(&b, KEY, t + BURST_WINDOW_MS + i).events, 0);
	assert_int_equal(burst_count(&b, KEY, t + 3 * BURST_WINDOW_MS).events, 0);
	/* many keys: bounded, the oldest windows give way */
	for (int k = 0; k < 3 * BURST_KEYS; k++) {
		char key[17];
		snprintf(key, sizeof key, "%016X", k + 100);
		assert_int_equal(burst_count(&b, key, t + 4 * BURST_WINDOW_MS + k).events, 0);
	}
	assert_int_equal(sizeof b.slot / sizeof b.slot[0], BURST_KEYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_alerts_each_type_with_its_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_workflow_and_reopening, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollups_equal_the_scans_over_two_days, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rollups_survive_the_per_job_retry, setup,
					    teardown),
	    cmocka_unit_test(test_burst_reports_every_twenty_in_a_window),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
