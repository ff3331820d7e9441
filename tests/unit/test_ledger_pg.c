/* test_ledger_pg.c — the PostgreSQL ledger (server/ledger_pg.c), opened through the ledger
 * interface (ledger_open on a connection string: the shared writer runs its groups), on a
 * throwaway cluster (tests/pg/cluster.sh, through pg_cluster.h): one sequence of jobs (producers, batches, scans from networks with and
 * without cookies, duplicates, unregistered and revoked codes, claims with both wrong-PIN
 * limits, sold codes, alerts and their workflow) gives the same answers and the same tables as
 * the SQLite ledger given the same sequence; two ledgers on one database (two temd) count one
 * code's scans from both, concurrently, with none lost; concurrent claims of one code through
 * both: exactly one CLAIM_NEW; a restarted server: the failed scans say so, then writing goes
 * on with nothing acknowledged lost. Skipped (saying why) only when PostgreSQL 15 is absent. */
#include "tests/unit/pg_cluster.h"

#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "server/ledger_backend.h"

/* What a job answered, as one comparable line. */
static void answer(const struct ledger_job *j, char *out, size_t cap)
{
	const struct ledger_scan *s = &j->u.scan;
	const struct ledger_claim *c = &j->u.claim;

	switch (j->kind) {
	case JOB_SCAN:
		snprintf(out, cap, "scan %d %s scans=%lld clients=%lld first=%lld claimed=%lld",
			 j->status, verdict_name(s->verdict), (long long)s->scans,
			 (long long)s->clients, (long long)s->first_scan_ms,
			 (long long)s->claimed_ms);
		break;
	case JOB_CLAIM:
		snprintf(out, cap, "claim %d result=%d claimed=%lld yours=%d retry=%lld", j->status,
			 c->result, (long long)c->claimed_ms, c->yours, (long long)c->retry_after);
		break;
	case JOB_BATCH:
		snprintf(out, cap, "batch %d row=%lld at=%lld", j->status,
			 (long long)j->u.batch.row, (long long)j->u.batch.registered_ms);
		break;
	case JOB_ALERT:
		snprintf(out, cap, "alert %d id=%lld raised=%d", j->status,
			 (long long)j->u.alert.id, j->u.alert.raised);
		break;
	default:
		snprintf(out, cap, "job %d status %d", j->kind, j->status);
	}
}

/* The tables both engines keep, each as lines of text in a fixed order: the SQLite and the
 * PostgreSQL query of each table read the same columns. */
static const char *const sqlite_q[] = {
    "SELECT day, key_id, batch, scans, codes, genuine, seen, duplicate, sold, unregistered, "
    "expired, revoked, claims FROM day_stats ORDER BY key_id, day, batch",
    "SELECT batch, scans, codes, claimed, alerted FROM batch_stats ORDER BY batch",
    "SELECT id, type, key_id, serial, events, clients, first_at, last_at, status, "
    "coalesce(reason, ''), coalesce(note, ''), coalesce(updated_by, '') FROM alerts ORDER BY id",
    "SELECT alert, at, by, status, coalesce(reason, ''), coalesce(note, '') FROM alert_changes "
    "ORDER BY id",
    "SELECT key_id, serial, hex(client), hex(cookie), scans, first_scan, last_scan, scan, "
    "verdict FROM code_scans ORDER BY key_id, serial, client, cookie",
    "SELECT id, key_id, serial, at, hex(client), verdict FROM scans ORDER BY id",
    "SELECT key_id, serial, scans, clients, first_scan, last_scan, raised FROM code_alerts "
    "ORDER BY key_id, serial",
    "SELECT key_id, serial, at, hex(client), hex(cookie) FROM claims ORDER BY key_id, serial",
    "SELECT key_id, serial, day, fails FROM claim_fails_code ORDER BY key_id, serial, day",
    "SELECT hex(net), hour, fails FROM claim_fails_net ORDER BY net, hour",
    "SELECT id, key_id, first_serial, last_serial, batch_id, header, registered, "
    "hex(claim_key) FROM batches ORDER BY id",
    "SELECT key_id, public_key, name, valid_from, coalesce(revoked, -1) FROM producers "
    "ORDER BY key_id",
    "SELECT value FROM meta WHERE name = 'trust-sequence'",
};
static const char *const pg_q[] = {
    "SELECT day, key_id, batch, scans, codes, genuine, seen, duplicate, sold, unregistered, "
    "expired, revoked, claims FROM day_stats ORDER BY key_id, day, batch",
    "SELECT batch, scans, codes, claimed, alerted FROM batch_stats ORDER BY batch",
    "SELECT id, type, key_id, serial, events, clients, first_at, last_at, status, "
    "coalesce(reason, ''), coalesce(note, ''), coalesce(updated_by, '') FROM alerts ORDER BY id",
    "SELECT alert, at, by, status, coalesce(reason, ''), coalesce(note, '') FROM alert_changes "
    "ORDER BY id",
    "SELECT key_id, serial, upper(encode(client, 'hex')), upper(encode(cookie, 'hex')), scans, "
    "first_scan, last_scan, scan, verdict FROM code_scans ORDER BY key_id, serial, client, "
    "cookie",
    "SELECT id, key_id, serial, at, upper(encode(client, 'hex')), verdict FROM scans ORDER BY id",
    "SELECT key_id, serial, scans, clients, first_scan, last_scan, raised FROM code_alerts "
    "ORDER BY key_id, serial",
    "SELECT key_id, serial, at, upper(encode(client, 'hex')), upper(encode(cookie, 'hex')) "
    "FROM claims ORDER BY key_id, serial",
    "SELECT key_id, serial, day, fails FROM claim_fails_code ORDER BY key_id, serial, day",
    "SELECT upper(encode(net, 'hex')), hour, fails FROM claim_fails_net ORDER BY net, hour",
    "SELECT id, key_id, first_serial, last_serial, batch_id, header, registered, "
    "coalesce(upper(encode(claim_key, 'hex')), '') FROM batches ORDER BY id",
    "SELECT key_id, public_key, name, valid_from, coalesce(revoked, -1) FROM producers "
    "ORDER BY key_id",
    "SELECT value FROM meta WHERE name = 'trust-sequence'",
};

struct text {
	char *s;
	size_t n;
};

static void text_add(struct text *t, const char *v)
{
	size_t k = strlen(v);
	char *g = realloc(t->s, t->n + k + 1);

	assert_non_null(g);
	memcpy(g + t->n, v, k + 1);
	t->s = g;
	t->n += k;
}

static int sqlite_row(void *arg, int n, char **v, char **names)
{
	(void)names;
	for (int i = 0; i < n; i++) {
		text_add(arg, v[i] != NULL ? v[i] : "");
		text_add(arg, i + 1 < n ? "|" : "\n");
	}
	return 0;
}

static void sqlite_table(const char *path, const char *q, struct text *t)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, sqlite_row, t, NULL), SQLITE_OK);
	sqlite3_close(db);
	text_add(t, "");
}

static void pg_table(const char *conninfo, const char *q, struct text *t)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", q, PQerrorMessage(c));
	text_add(t, "");
	for (int r = 0; r < PQntuples(res); r++)
		for (int i = 0; i < PQnfields(res); i++) {
			text_add(t, PQgetvalue(res, r, i));
			text_add(t, i + 1 < PQnfields(res) ? "|" : "\n");
		}
	PQclear(res);
	PQfinish(c);
}

/* Fails the test unless every table of the comparison reads the same in both engines' ledgers;
 * with say_empty, names the tables that were empty in both. */
static void same_tables(const struct pg_pair *pp, int say_empty)
{
	for (size_t q = 0; q < sizeof sqlite_q / sizeof sqlite_q[0]; q++) {
		struct text a = {0}, b = {0};
		sqlite_table(pp->path, sqlite_q[q], &a);
		pg_table(pp->conninfo, pg_q[q], &b);
		if (strcmp(a.s, b.s) != 0)
			fail_msg("%s\nSQLite:\n%s\nPostgreSQL:\n%s", pg_q[q], a.s, b.s);
		if (say_empty && a.n == 0)
			print_message("# empty: %s\n", pg_q[q]);
		free(a.s);
		free(b.s);
	}
}

/* counts jobs done, for jobs submitted all at once */
struct tally {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

static void tally_done(struct ledger_job *job, void *arg)
{
	struct tally *t = arg;

	(void)job;
	pthread_mutex_lock(&t->mu);
	t->done++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static void tally_wait(struct tally *t, int n)
{
	pthread_mutex_lock(&t->mu);
	while (t->done < n)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

/* The sequence through SQLite (one job at a time) and through PostgreSQL (every job submitted
 * at once, so the writer runs them in groups): the same answers, the same tables. */
static void same_as_sqlite(void **state)
{
	static struct ledger_job sj[N_JOBS], pj[N_JOBS];
	struct tally t = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	struct pg_pair pp;
	struct ledger *sl;
	struct ledger *pl;
	struct tem_err err;
	int n = 0;

	(void)state;
	SKIP_WITHOUT_PG();
	pg_pair_new(&pp);
	assert_int_equal(ledger_open(pp.path, &sl, &err), TEM_OK);
	if (ledger_open(pp.conninfo, &pl, &err) != TEM_OK)
		fail_msg("%s", err.msg);
	while (n < N_JOBS && build(n, &sj[n])) {
		build(n, &pj[n]);
		ledger_run(sl, &sj[n]);
		pj[n].done = tally_done;
		pj[n].arg = &t;
		ledger_submit(pl, &pj[n]);
		n++;
	}
	tally_wait(&t, n);
	ledger_close(sl);
	ledger_close(pl);
	for (int i = 0; i < n; i++) {
		char a[256], b[256];
		answer(&sj[i], a, sizeof a);
		answer(&pj[i], b, sizeof b);
		if (strcmp(a, b) != 0)
			fail_msg("job %d: SQLite %s, PostgreSQL %s", i, a, b);
	}
	/* the sequence meant something: a duplicate, a sold code, each claim outcome */
	assert_int_equal(pj[10].u.scan.verdict, V_DUPLICATE);
	assert_int_equal(pj[28].u.scan.verdict, V_SOLD);
	assert_int_equal(pj[23].u.claim.result, CLAIM_NEW);
	assert_int_equal(pj[25].u.claim.result, CLAIM_TAKEN);
	assert_int_equal(pj[22].u.claim.result, CLAIM_LIMITED);
	assert_int_equal(pj[33].u.claim.result, CLAIM_LIMITED);
	assert_int_equal(pj[3].status, LEDGER_EXISTS);
	assert_int_equal(pj[4].status, LEDGER_OVERLAP);
	assert_int_equal(pj[36].status, LEDGER_MISSING);
	same_tables(&pp, 1);
	unlink(pp.lock);
	scratch_remove(pp.dir);
}

/* --- groups of scans -------------------------------------------------------------------- */

/* One scan of a group: its group, code, network, cookie id (0 none) and base verdict. */
struct planned {
	int group;
	uint64_t serial;
	unsigned char net;
	char cookie;
	enum verdict base;
};

/* Groups handed to the engine's run_group as they are (the shared writer's grouping depends
 * on timing): groups of scans of distinct codes (decided from reads sent at once), with new
 * codes, repeats, linked cookies, a sold, an unregistered and alerted codes among them; and
 * groups that hold two or three scans of one code with scans of other codes. Every answer
 * (verdict, counts, clients) and every table as SQLite's given the same scans one by one. */
static void groups_as_sqlite(void **state)
{
	static const struct planned plan[] = {
	    {1, 20, 1, 0, V_GENUINE},       {1, 21, 1, 0, V_GENUINE},
	    {1, 22, 1, 'A', V_GENUINE},     {1, 600, 1, 0, V_UNREGISTERED},
	    {2, 21, 2, 0, V_GENUINE},       {2, 22, 2, 'A', V_GENUINE},
	    {2, 23, 1, 0, V_GENUINE},       {2, 20, 2, 0, V_GENUINE},
	    {3, 21, 3, 0, V_GENUINE},       {3, 22, 3, 0, V_GENUINE},
	    {3, 24, 1, 0, V_GENUINE},       {4, 21, 4, 0, V_GENUINE},
	    {4, 22, 4, 'B', V_GENUINE},     {4, 25, 1, 0, V_GENUINE},
	    {4, 600, 2, 0, V_UNREGISTERED}, {5, 30, 1, 0, V_GENUINE},
	    {5, 30, 2, 0, V_GENUINE},       {5, 31, 1, 0, V_GENUINE},
	    {5, 30, 3, 0, V_GENUINE},       {5, 21, 1, 0, V_GENUINE},
	    {6, 40, 1, 0, V_GENUINE},       {6, 41, 1, 0, V_GENUINE},
	    {6, 40, 1, 0, V_GENUINE},       {7, 21, 5, 0, V_GENUINE},
	    {7, 43, 1, 0, V_GENUINE},
	};
	enum { NP = sizeof plan / sizeof plan[0], NS = 6 };
	static struct ledger_job sj[NS + NP], pj[NS + NP];
	const struct ledger_backend *be = ledger_pg_backend();
	struct pg_pair pp;
	struct ledger *sl;
	void *db;
	int64_t scans;
	struct tem_err err;

	(void)state;
	SKIP_WITHOUT_PG();
	pg_pair_new(&pp);
	assert_int_equal(ledger_open(pp.path, &sl, &err), TEM_OK);
	if (be->open(pp.conninfo, 0, &db, &scans, &err) != TEM_OK)
		fail_msg("%s", err.msg);
	/* the producers, the batches (1-100, 101-200), then code 20 claimed: each alone */
	for (int i = 0; i < NS; i++) {
		if (i < 5) {
			build(i, &sj[i]);
			build(i, &pj[i]);
		} else {
			for (int e = 0; e < 2; e++) {
				struct ledger_job *j = e ? &pj[i] : &sj[i];
				memset(j, 0, sizeof *j);
				j->kind = JOB_CLAIM;
				strcpy(j->u.claim.key_id, KEY);
				j->u.claim.serial = 20;
				j->u.claim.net[0] = 9;
				j->u.claim.at_ms = T0;
				j->u.claim.code_limit = 3;
				j->u.claim.net_limit = 4;
				j->u.claim.pin_right = 1;
			}
		}
		ledger_run(sl, &sj[i]);
		assert_int_equal(be->run_group(db, &pj[i], NULL), 0);
	}
	for (int k = 0, g = 1; k < NP; g++) {
		int from = NS + k;
		for (; k < NP && plan[k].group == g; k++) {
			for (int e = 0; e < 2; e++) {
				struct ledger_job *j = e ? &pj[NS + k] : &sj[NS + k];
				struct ledger_scan *sc = &j->u.scan;
				memset(j, 0, sizeof *j);
				j->kind = JOB_SCAN;
				strcpy(sc->key_id, KEY);
				sc->serial = plan[k].serial;
				sc->client[0] = plan[k].net;
				sc->client[1] = 0xAA;
				sc->cookie[0] = (unsigned char)plan[k].cookie;
				sc->has_cookie = plan[k].cookie != 0;
				sc->at_ms = T0 + 60000LL * (k + 1);
				sc->facts =
				    (struct verdict_facts){.base = plan[k].base, .threshold = 2};
			}
			ledger_run(sl, &sj[NS + k]);
			if (NS + k > from)
				pj[NS + k - 1].next = &pj[NS + k];
		}
		assert_int_equal(be->run_group(db, &pj[from], NULL), 0);
	}
	ledger_close(sl);
	be->close(db);
	for (int i = 0; i < NS + NP; i++) {
		char a[256], b[256];
		answer(&sj[i], a, sizeof a);
		answer(&pj[i], b, sizeof b);
		if (strcmp(a, b) != 0)
			fail_msg("job %d: SQLite %s, PostgreSQL %s", i, a, b);
	}
	/* the groups meant something: a sold code, a duplicate, an alerted code counted on in a
	 * group of distinct codes, a code scanned three times in one group, a repeat in one
	 * group, two networks linked by a cookie id */
	assert_int_equal(pj[NS + 7].u.scan.verdict, V_SOLD);
	assert_int_equal(pj[NS + 8].u.scan.verdict, V_SEEN);
	assert_int_equal(pj[NS + 11].u.scan.verdict, V_DUPLICATE);
	assert_int_equal(pj[NS + 11].u.scan.scans, 4);
	assert_int_equal(pj[NS + 11].u.scan.clients, 4);
	assert_int_equal(pj[NS + 12].u.scan.clients, 3);
	assert_int_equal(pj[NS + 23].u.scan.verdict, V_DUPLICATE);
	assert_int_equal(pj[NS + 23].u.scan.scans, 6);
	assert_int_equal(pj[NS + 23].u.scan.clients, 5);
	assert_int_equal(pj[NS + 18].u.scan.scans, 3);
	assert_int_equal(pj[NS + 18].u.scan.clients, 3);
	assert_int_equal(pj[NS + 19].u.scan.scans, 5);
	assert_int_equal(pj[NS + 22].u.scan.scans, 2);
	assert_int_equal(pj[NS + 22].u.scan.clients, 1);
	same_tables(&pp, 0);
	unlink(pp.lock);
	scratch_remove(pp.dir);
}

/* --- two servers on one database --------------------------------------------------------- */

struct scanner {
	struct ledger *l;
	int id, n, ok;
	uint64_t serial;
};

static void *scan_many(void *arg)
{
	struct scanner *s = arg;

	for (int i = 0; i < s->n; i++) {
		struct ledger_job j;
		memset(&j, 0, sizeof j);
		j.kind = JOB_SCAN;
		strcpy(j.u.scan.key_id, KEY);
		j.u.scan.serial = s->serial + (uint64_t)(i % 3);
		j.u.scan.client[0] = (unsigned char)s->id;
		j.u.scan.client[1] = (unsigned char)i;
		j.u.scan.at_ms = T0 + i;
		j.u.scan.facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
		s->ok += ledger_run(s->l, &j) == LEDGER_OK;
	}
	return NULL;
}

static int64_t pg_int(const char *conninfo, const char *q)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res = PQexec(c, q);
	int64_t v;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("%s: %s", q, PQerrorMessage(c));
	v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(c);
	return v;
}

static struct ledger_scan scan_on(struct ledger *l, uint64_t serial, unsigned char net)
{
	struct ledger_job j;

	memset(&j, 0, sizeof j);
	j.kind = JOB_SCAN;
	strcpy(j.u.scan.key_id, KEY);
	j.u.scan.serial = serial;
	j.u.scan.client[0] = net;
	j.u.scan.at_ms = T0 + net;
	j.u.scan.facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
	assert_int_equal(ledger_run(l, &j), LEDGER_OK);
	return j.u.scan;
}

static void two_servers(void **state)
{
	char conninfo[256];
	struct ledger *a, *b;
	struct tem_err err;
	struct scanner sc[4];
	pthread_t th[4];
	struct ledger_scan s;

	(void)state;
	SKIP_WITHOUT_PG();
	pg_cluster_new_db(conninfo, sizeof conninfo);
	assert_int_equal(ledger_open(conninfo, &a, &err), TEM_OK);
	assert_int_equal(ledger_open(conninfo, &b, &err), TEM_OK); /* migrated already */

	/* one code through one server, then the other: both scans, both clients */
	s = scan_on(a, 42, 1);
	assert_int_equal(s.verdict, V_GENUINE);
	s = scan_on(b, 42, 2);
	assert_int_equal(s.verdict, V_SEEN);
	assert_int_equal(s.scans, 2);
	assert_int_equal(s.clients, 2);
	s = scan_on(a, 42, 3);
	assert_int_equal(s.clients, 3);
	s = scan_on(b, 42, 4);
	assert_int_equal(s.verdict, V_DUPLICATE);
	assert_int_equal(s.scans, 4);
	assert_int_equal(pg_int(conninfo, "SELECT count(*) FROM alerts WHERE serial = 42"), 1);

	/* four threads, two a server, 30 scans each of three codes, each from a new network */
	for (int i = 0; i < 4; i++) {
		sc[i] = (struct scanner){.l = i % 2 ? b : a, .id = 10 + i, .n = 30, .serial = 1000};
		assert_int_equal(pthread_create(&th[i], NULL, scan_many, &sc[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(sc[i].ok, 30);
	}
	assert_int_equal(pg_int(conninfo, "SELECT sum(scans) FROM code_scans WHERE serial >= 1000"),
			 120);
	assert_int_equal(pg_int(conninfo, "SELECT count(*) FROM scans WHERE serial >= 1000"), 120);
	assert_int_equal(pg_int(conninfo, "SELECT max(events) FROM alerts WHERE serial = 1000 "
					  "AND type = 'duplicate'"),
			 40);
	assert_int_equal(pg_int(conninfo, "SELECT sum(scans) FROM day_stats"), 124);
	ledger_close(a);
	ledger_close(b);
}

/* --- concurrent claims ------------------------------------------------------------------- */

#define CLAIMERS 6
struct claimer {
	struct ledger *l;
	pthread_barrier_t *go;
	int id;
	uint64_t serial;
	enum ledger_claim_result result;
};

static void *claim_one(void *arg)
{
	struct claimer *c = arg;
	struct ledger_job j;

	memset(&j, 0, sizeof j);
	j.kind = JOB_CLAIM;
	strcpy(j.u.claim.key_id, KEY);
	j.u.claim.serial = c->serial;
	j.u.claim.net[0] = (unsigned char)(c->id + 1);
	j.u.claim.at_ms = T0;
	j.u.claim.code_limit = 5;
	j.u.claim.net_limit = 20;
	j.u.claim.pin_right = 1;
	pthread_barrier_wait(c->go);
	c->result =
	    ledger_run(c->l, &j) == LEDGER_OK ? j.u.claim.result : (enum ledger_claim_result) - 1;
	return NULL;
}

static void concurrent_claims(void **state)
{
	char conninfo[256];
	struct ledger *l[2];
	struct tem_err err;

	(void)state;
	SKIP_WITHOUT_PG();
	pg_cluster_new_db(conninfo, sizeof conninfo);
	assert_int_equal(ledger_open(conninfo, &l[0], &err), TEM_OK);
	assert_int_equal(ledger_open(conninfo, &l[1], &err), TEM_OK);
	for (uint64_t serial = 1; serial <= 15; serial++) {
		struct claimer c[CLAIMERS];
		pthread_t th[CLAIMERS];
		pthread_barrier_t go;
		int news = 0, taken = 0;
		pthread_barrier_init(&go, NULL, CLAIMERS);
		for (int i = 0; i < CLAIMERS; i++) {
			c[i] =
			    (struct claimer){.l = l[i % 2], .go = &go, .id = i, .serial = serial};
			assert_int_equal(pthread_create(&th[i], NULL, claim_one, &c[i]), 0);
		}
		for (int i = 0; i < CLAIMERS; i++) {
			pthread_join(th[i], NULL);
			news += c[i].result == CLAIM_NEW;
			taken += c[i].result == CLAIM_TAKEN;
		}
		pthread_barrier_destroy(&go);
		assert_int_equal(news, 1);
		assert_int_equal(taken, CLAIMERS - 1);
	}
	assert_int_equal(pg_int(conninfo, "SELECT count(*) FROM claims"), 15);
	assert_int_equal(pg_int(conninfo, "SELECT sum(claims) FROM day_stats"), 15);
	ledger_close(l[0]);
	ledger_close(l[1]);
}

/* --- a server restart -------------------------------------------------------------------- */

static void server_restart(void **state)
{
	char conninfo[256];
	struct ledger *l;
	struct tem_err err;
	struct ledger_job j;
	int acked = 1, tries = 0;
	int64_t failed;

	(void)state;
	SKIP_WITHOUT_PG();
	pg_cluster_new_db(conninfo, sizeof conninfo);
	assert_int_equal(ledger_open(conninfo, &l, &err), TEM_OK);
	scan_on(l, 7, 1);
	assert_int_equal(ledger_failing(l, NULL), 0);

	/* the server away: a scan fails (503 upstream), the ledger says it is failing */
	assert_int_equal(pg_cluster_cmd("stop"), 0);
	memset(&j, 0, sizeof j);
	j.kind = JOB_SCAN;
	strcpy(j.u.scan.key_id, KEY);
	j.u.scan.serial = 7;
	j.u.scan.client[0] = 2;
	j.u.scan.at_ms = T0;
	j.u.scan.facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
	assert_int_equal(ledger_run(l, &j), LEDGER_FAILED);
	assert_int_equal(ledger_failing(l, &failed), 1);
	assert_true(failed >= 1);

	/* back: writing goes on within the backoff (bounded: 100 tries, 10 s) */
	assert_int_equal(pg_cluster_cmd("start"), 0);
	for (;;) {
		j.status = LEDGER_FAILED;
		if (ledger_run(l, &j) == LEDGER_OK) {
			acked++;
			break;
		}
		assert_true(++tries < 100);
		usleep(100000); /* the writer's backoff, not a synchronisation: the loop polls */
	}
	assert_int_equal(ledger_failing(l, NULL), 0);
	/* the readers' connection, lost too, is made again at its first read */
	uint64_t seq = 1;
	assert_int_equal(ledger_trust_sequence(l, &seq, &err), TEM_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(pg_int(conninfo, "SELECT sum(scans) FROM code_scans WHERE serial = 7"),
			 acked);
	ledger_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(same_as_sqlite), cmocka_unit_test(groups_as_sqlite),
	    cmocka_unit_test(two_servers),    cmocka_unit_test(concurrent_claims),
	    cmocka_unit_test(server_restart),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, pg_cluster_setup, pg_cluster_teardown);
}
