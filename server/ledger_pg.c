/* ledger_pg.c — the PostgreSQL ledger (server/ledger_pg.h): schema and migrations, what the
 * shared writer (server/ledger.c) runs for a group (run_group: its advisory locks, its jobs, its
 * roll-ups and COMMIT, again after a deadlock or a lost connection), the reads temd needs. Every
 * writer statement is prepared once a connection, with bound parameters; results come in
 * binary. */
#include "server/ledger_pg.h"
#include "server/ledger_pg_query.h"

#include <endian.h>
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys/date.h"
#include "server/alert.h"
#include "server/alert_rules.h"
#include "server/ledger_backend.h"
#include "server/ledger_clients.h"
#include "server/ledger_rollup.h"
#include "server/log.h"

/* Schema migrations, in order: migration i takes schema_version i to i + 1. Never edit one that
 * has shipped; append a new one. Version 1 holds what SQLite's migrations 1 to 7 reach
 * (server/ledger.c), in PostgreSQL's types, with the producer key id leading every primary key
 * of what grows with scans (the column Citus would distribute the tables by): batch_stats and
 * alert_changes carry it for that. claim_fails_net (per network), tokens and meta have no key
 * id: small tables, reference tables under Citus. */
static const char *const migrations[] = {
    /* 1: the ledger of SQLite's schema version 7 */
    "CREATE TABLE meta(\n"
    "  name text PRIMARY KEY,\n"
    "  value bigint NOT NULL\n"
    ");\n"
    "CREATE TABLE producers(\n"
    "  key_id text PRIMARY KEY,         -- 16 hex digits\n"
    "  public_key text NOT NULL,        -- minisign base64 line\n"
    "  name text NOT NULL,\n"
    "  valid_from integer NOT NULL,     -- day since 1970-01-01\n"
    "  revoked integer,                 -- day, NULL when active\n"
    "  updated bigint NOT NULL          -- Unix ms\n"
    ");\n"
    "CREATE TABLE batches(\n"
    "  key_id text NOT NULL,\n"
    "  id bigint GENERATED ALWAYS AS IDENTITY,\n"
    "  first_serial bigint NOT NULL,\n"
    "  last_serial bigint NOT NULL,\n"
    "  batch_id text NOT NULL,\n"
    "  product text NOT NULL,\n"
    "  producer text NOT NULL,\n"
    "  url text NOT NULL,\n"
    "  issued bigint NOT NULL,          -- Unix s\n"
    "  last_day integer NOT NULL,       -- day, 0 = none\n"
    "  header text NOT NULL,\n"
    "  registered bigint NOT NULL,      -- Unix ms\n"
    "  claim_key bytea,                 -- sealed claim key, NULL = no PINs\n"
    "  PRIMARY KEY(key_id, id)\n"
    ");\n"
    "CREATE INDEX batches_by_key ON batches(key_id, first_serial);\n"
    "CREATE TABLE scans(\n"
    "  key_id text NOT NULL,\n"
    "  id bigint GENERATED ALWAYS AS IDENTITY,\n"
    "  serial bigint NOT NULL,\n"
    "  at bigint NOT NULL,              -- Unix ms\n"
    "  client bytea NOT NULL,           -- keyed hash of the network, never an address\n"
    "  verdict text NOT NULL,\n"
    "  PRIMARY KEY(key_id, id)\n"
    ");\n"
    "CREATE TABLE code_scans(\n"
    "  key_id text NOT NULL,\n"
    "  serial bigint NOT NULL,\n"
    "  client bytea NOT NULL,\n"
    "  cookie bytea NOT NULL,           -- tem_client cookie id, '' when none\n"
    "  scans bigint NOT NULL,\n"
    "  first_scan bigint NOT NULL,\n"
    "  last_scan bigint NOT NULL,\n"
    "  scan bigint,                     -- scans.id of the row's first scan\n"
    "  verdict text,                    -- the verdict that scan was given\n"
    "  PRIMARY KEY(key_id, serial, client, cookie)\n"
    ");\n"
    "CREATE VIEW codes(key_id, serial, scans, clients, first_scan, last_scan) AS\n"
    "  SELECT key_id, serial, sum(scans), count(DISTINCT client), min(first_scan),\n"
    "  max(last_scan) FROM code_scans GROUP BY key_id, serial;\n"
    "CREATE TABLE code_alerts(\n"
    "  key_id text NOT NULL,\n"
    "  serial bigint NOT NULL,\n"
    "  scans bigint NOT NULL,\n"
    "  clients bigint NOT NULL,\n"
    "  first_scan bigint NOT NULL,\n"
    "  last_scan bigint NOT NULL,\n"
    "  raised bigint NOT NULL,\n"
    "  PRIMARY KEY(key_id, serial)\n"
    ");\n"
    "CREATE TABLE tokens(\n"
    "  hash bytea PRIMARY KEY,\n"
    "  name text NOT NULL,\n"
    "  created bigint NOT NULL,\n"
    "  producer text,                   -- key id it is limited to, NULL: every\n"
    "  expires bigint,                  -- Unix ms, NULL: never\n"
    "  revoked bigint                   -- Unix ms, NULL: in force\n"
    ");\n"
    "CREATE UNIQUE INDEX tokens_by_name ON tokens(name) WHERE revoked IS NULL;\n"
    "CREATE TABLE claims(\n"
    "  key_id text NOT NULL,\n"
    "  serial bigint NOT NULL,\n"
    "  at bigint NOT NULL,\n"
    "  client bytea NOT NULL,\n"
    "  cookie bytea,\n"
    "  PRIMARY KEY(key_id, serial)\n"
    ");\n"
    "CREATE TABLE claim_fails_code(\n"
    "  key_id text NOT NULL,\n"
    "  serial bigint NOT NULL,\n"
    "  day bigint NOT NULL,             -- Unix day (UTC)\n"
    "  fails bigint NOT NULL,\n"
    "  PRIMARY KEY(key_id, serial, day)\n"
    ");\n"
    "CREATE TABLE claim_fails_net(\n"
    "  net bytea NOT NULL,\n"
    "  hour bigint NOT NULL,            -- Unix hour\n"
    "  fails bigint NOT NULL,\n"
    "  PRIMARY KEY(net, hour)\n"
    ");\n"
    "CREATE TABLE alerts(\n"
    "  key_id text NOT NULL,\n"
    "  id bigint GENERATED ALWAYS AS IDENTITY,\n"
    "  type text NOT NULL,\n"
    "  serial bigint NOT NULL,\n"
    "  events bigint NOT NULL,\n"
    "  clients bigint NOT NULL,\n"
    "  first_at bigint NOT NULL,\n"
    "  last_at bigint NOT NULL,\n"
    "  status text NOT NULL,\n"
    "  reason text,\n"
    "  note text,\n"
    "  updated_by text,\n"
    "  updated_at bigint,\n"
    "  PRIMARY KEY(key_id, id)\n"
    ");\n"
    "CREATE UNIQUE INDEX alerts_by_code ON alerts(key_id, serial, type);\n"
    "CREATE INDEX alerts_by_id ON alerts(id);\n"
    "CREATE INDEX alerts_by_last ON alerts(last_at);\n"
    "CREATE INDEX alerts_by_status ON alerts(status, id);\n"
    "CREATE INDEX alerts_by_key_status ON alerts(key_id, status);\n"
    "CREATE TABLE alert_changes(\n"
    "  key_id text NOT NULL,\n"
    "  id bigint GENERATED ALWAYS AS IDENTITY,\n"
    "  alert bigint NOT NULL,\n"
    "  at bigint NOT NULL,\n"
    "  by text NOT NULL,\n"
    "  status text NOT NULL,\n"
    "  reason text,\n"
    "  note text,\n"
    "  PRIMARY KEY(key_id, id)\n"
    ");\n"
    "CREATE INDEX alert_changes_by_alert ON alert_changes(alert, id);\n"
    "CREATE TABLE day_stats(\n"
    "  key_id text NOT NULL,\n"
    "  day integer NOT NULL,            -- Vietnam calendar day\n"
    "  batch bigint NOT NULL,           -- batches.id; 0: in no batch\n"
    "  scans bigint NOT NULL,\n"
    "  codes bigint NOT NULL,\n"
    "  genuine bigint NOT NULL,\n"
    "  seen bigint NOT NULL,\n"
    "  duplicate bigint NOT NULL,\n"
    "  sold bigint NOT NULL,\n"
    "  unregistered bigint NOT NULL,\n"
    "  expired bigint NOT NULL,\n"
    "  revoked bigint NOT NULL,\n"
    "  claims bigint NOT NULL,\n"
    "  PRIMARY KEY(key_id, day, batch)\n"
    ");\n"
    "CREATE INDEX day_stats_by_key ON day_stats(key_id, batch, day);\n"
    "CREATE INDEX day_stats_by_day ON day_stats(day);\n"
    "CREATE TABLE batch_stats(\n"
    "  key_id text NOT NULL,\n"
    "  batch bigint NOT NULL,\n"
    "  scans bigint NOT NULL,\n"
    "  codes bigint NOT NULL,\n"
    "  claimed bigint NOT NULL,\n"
    "  alerted bigint NOT NULL,\n"
    "  PRIMARY KEY(key_id, batch)\n"
    ");\n",
    /* 2: the regulator's scan list (GET /api/v1/scans) pages through every key in id order:
     * the primary key leads with key_id, so without this each page sorted the whole table.
     * Built inside the migration's transaction: writes to scans wait while it builds. */
    "CREATE INDEX scans_by_id ON scans(id);\n",
};
#define PG_SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* The advisory lock every migration takes first, so two temd starting at once migrate once. */
#define MIGRATION_LOCK 0x74656d6c65646772LL /* "temledgr" */

/* The writer's statements, prepared on each new writer connection as "w0", "w1", ...; every
 * value a positional parameter cast to its type. Each needs exactly the parameters listed. */
enum {
	S_LOCKS,
	S_ALERT_GET,
	S_ROWS,
	S_NET_ROWS,
	S_CLIENT,
	S_SCAN_CLIENT,
	S_ALERT,
	S_BATCH_FIND,
	S_BATCH_ADD,
	S_PRODUCER,
	S_TRUST_SEQ,
	S_CLAIM_GET,
	S_CLAIM_ADD,
	S_FAILS_CODE,
	S_FAILS_NET,
	S_FAIL_CODE,
	S_FAIL_NET,
	S_BATCH_OF,
	S_DAY_STATS,
	S_BATCH_STATS,
	S_TALERT_GET,
	S_TALERT_ADD,
	S_TALERT_SET,
	S_CODE_ALERTED,
	S_ALERT_ROW,
	S_ALERT_STEP,
	S_ALERT_CHANGE,
	S_COUNT
};

static const struct {
	const char *sql;
	int params;
} sql[S_COUNT] = {
    /* the group's advisory locks ($1 an int8 array literal), taken in sorted order: two
     * servers' groups never wait for each other in a circle on them */
    [S_LOCKS] = {"SELECT count(*) FROM (SELECT pg_advisory_xact_lock(k) FROM "
		 "(SELECT DISTINCT k FROM unnest($1::int8[]) k ORDER BY k) o) x",
		 1},
    /* a counted scan (run_scan): as server/ledger.c's statements of the same names */
    [S_ALERT_GET] = {"SELECT scans, clients, first_scan, last_scan FROM code_alerts "
		     "WHERE key_id = $1::text AND serial = $2::int8",
		     2},
    /* none for an alerted code (S_NET_ROWS reads its rows): so run_scan sends it with
     * S_ALERT_GET before knowing (scan_reads) */
    [S_ROWS] = {"SELECT client, cookie, scans, first_scan, last_scan FROM code_scans "
		"WHERE key_id = $1::text AND serial = $2::int8 AND NOT EXISTS (SELECT 1 FROM "
		"code_alerts WHERE key_id = $1::text AND serial = $2::int8) "
		"ORDER BY client, cookie",
		2},
    [S_NET_ROWS] = {"SELECT cookie FROM code_scans WHERE key_id = $1::text AND "
		    "serial = $2::int8 AND client = $3::bytea",
		    3},
    [S_CLIENT] = {"INSERT INTO code_scans(key_id, serial, client, cookie, scans, first_scan, "
		  "last_scan, scan, verdict) VALUES($1::text, $2::int8, $3::bytea, $4::bytea, 1, "
		  "$5::int8, $5::int8, $6::int8, $7::text) "
		  "ON CONFLICT(key_id, serial, client, cookie) DO UPDATE SET "
		  "scans = code_scans.scans + 1, last_scan = excluded.last_scan",
		  7},
    /* a scan that is no repeat: its scans row, and S_CLIENT with its id, in one statement */
    [S_SCAN_CLIENT] = {"WITH s AS (INSERT INTO scans(key_id, serial, at, client, verdict) "
		       "VALUES($1::text, $2::int8, $3::int8, $4::bytea, $5::text) RETURNING id) "
		       "INSERT INTO code_scans(key_id, serial, client, cookie, scans, first_scan, "
		       "last_scan, scan, verdict) SELECT $1::text, $2::int8, $4::bytea, "
		       "$6::bytea, 1, $3::int8, $3::int8, s.id, $5::text FROM s "
		       "ON CONFLICT(key_id, serial, client, cookie) DO UPDATE SET "
		       "scans = code_scans.scans + 1, last_scan = excluded.last_scan",
		       6},
    [S_ALERT] = {"INSERT INTO code_alerts(key_id, serial, scans, clients, first_scan, "
		 "last_scan, raised) VALUES($1::text, $2::int8, $3::int8, $4::int8, $5::int8, "
		 "$6::int8, $6::int8) ON CONFLICT(key_id, serial) DO UPDATE SET "
		 "scans = excluded.scans, clients = excluded.clients, "
		 "last_scan = excluded.last_scan",
		 6},
    /* batches (run_batch) */
    [S_BATCH_FIND] = {"SELECT id, header, registered FROM batches WHERE key_id = $1::text "
		      "AND first_serial <= $3::int8 AND last_serial >= $2::int8 LIMIT 1",
		      3},
    [S_BATCH_ADD] = {"INSERT INTO batches(key_id, first_serial, last_serial, batch_id, "
		     "product, producer, url, issued, last_day, header, registered, claim_key) "
		     "VALUES($1::text, $2::int8, $3::int8, $4::text, $5::text, $6::text, "
		     "$7::text, $8::int8, $9::int4, $10::text, $11::int8, $12::bytea) "
		     "RETURNING id",
		     12},
    /* producers (run_producers) */
    [S_PRODUCER] = {"INSERT INTO producers(key_id, public_key, name, valid_from, revoked, "
		    "updated) VALUES($1::text, $2::text, $3::text, $4::int4, $5::int4, $6::int8) "
		    "ON CONFLICT(key_id) DO UPDATE SET public_key = excluded.public_key, "
		    "name = excluded.name, valid_from = excluded.valid_from, "
		    "revoked = excluded.revoked, updated = excluded.updated",
		    6},
    [S_TRUST_SEQ] = {"INSERT INTO meta(name, value) VALUES('trust-sequence', $1::int8) "
		     "ON CONFLICT(name) DO UPDATE SET value = greatest(meta.value, "
		     "excluded.value)",
		     1},
    /* claims (run_claim, read_claim) */
    [S_CLAIM_GET] = {"SELECT at, client, cookie FROM claims WHERE key_id = $1::text "
		     "AND serial = $2::int8",
		     2},
    [S_CLAIM_ADD] = {"INSERT INTO claims(key_id, serial, at, client, cookie) "
		     "VALUES($1::text, $2::int8, $3::int8, $4::bytea, $5::bytea)",
		     5},
    [S_FAILS_CODE] = {"SELECT fails FROM claim_fails_code WHERE key_id = $1::text "
		      "AND serial = $2::int8 AND day = $3::int8",
		      3},
    [S_FAILS_NET] = {"SELECT fails FROM claim_fails_net WHERE net = $1::bytea "
		     "AND hour = $2::int8",
		     2},
    [S_FAIL_CODE] = {"INSERT INTO claim_fails_code(key_id, serial, day, fails) "
		     "VALUES($1::text, $2::int8, $3::int8, 1) ON CONFLICT(key_id, serial, day) "
		     "DO UPDATE SET fails = claim_fails_code.fails + 1",
		     3},
    [S_FAIL_NET] = {"INSERT INTO claim_fails_net(net, hour, fails) VALUES($1::bytea, "
		    "$2::int8, 1) ON CONFLICT(net, hour) DO UPDATE SET "
		    "fails = claim_fails_net.fails + 1",
		    2},
    /* roll-ups: found per job, added up in memory and written at the group's end in key
     * order (flush_rollups), so two servers' groups lock the shared rows in one order */
    [S_BATCH_OF] = {"SELECT id, first_serial, last_serial FROM batches WHERE key_id = "
		    "$1::text AND first_serial <= $2::int8 ORDER BY first_serial DESC LIMIT 1",
		    2},
    [S_DAY_STATS] = {"INSERT INTO day_stats(key_id, day, batch, scans, codes, genuine, seen, "
		     "duplicate, sold, unregistered, expired, revoked, claims) VALUES($1::text, "
		     "$2::int4, $3::int8, $4::int8, $5::int8, $6::int8, $7::int8, $8::int8, "
		     "$9::int8, $10::int8, $11::int8, $12::int8, $13::int8) "
		     "ON CONFLICT(key_id, day, batch) DO UPDATE SET "
		     "scans = day_stats.scans + excluded.scans, "
		     "codes = day_stats.codes + excluded.codes, "
		     "genuine = day_stats.genuine + excluded.genuine, "
		     "seen = day_stats.seen + excluded.seen, "
		     "duplicate = day_stats.duplicate + excluded.duplicate, "
		     "sold = day_stats.sold + excluded.sold, "
		     "unregistered = day_stats.unregistered + excluded.unregistered, "
		     "expired = day_stats.expired + excluded.expired, "
		     "revoked = day_stats.revoked + excluded.revoked, "
		     "claims = day_stats.claims + excluded.claims",
		     13},
    [S_BATCH_STATS] = {"INSERT INTO batch_stats(key_id, batch, scans, codes, claimed, alerted) "
		       "VALUES($1::text, $2::int8, $3::int8, $4::int8, $5::int8, $6::int8) "
		       "ON CONFLICT(key_id, batch) DO UPDATE SET "
		       "scans = batch_stats.scans + excluded.scans, "
		       "codes = batch_stats.codes + excluded.codes, "
		       "claimed = batch_stats.claimed + excluded.claimed, "
		       "alerted = batch_stats.alerted + excluded.alerted",
		       6},
    /* typed alerts (raise_alert, run_alert_update) */
    [S_TALERT_GET] = {"SELECT id, status, reason, coalesce(updated_at, 0) FROM alerts "
		      "WHERE key_id = $1::text AND serial = $2::int8 AND type = $3::text",
		      3},
    [S_TALERT_ADD] = {"INSERT INTO alerts(type, key_id, serial, events, clients, first_at, "
		      "last_at, status) VALUES($1::text, $2::text, $3::int8, $4::int8, $5::int8, "
		      "$6::int8, $7::int8, 'open') RETURNING id",
		      7},
    [S_TALERT_SET] = {"UPDATE alerts SET events = CASE WHEN $1::int4 = 1 THEN "
		      "greatest(events, $2::int8) ELSE events + $2::int8 END, "
		      "clients = greatest(clients, $3::int8), first_at = least(first_at, "
		      "$4::int8), last_at = greatest(last_at, $5::int8), "
		      "status = CASE WHEN $6::int4 = 1 THEN 'open' ELSE status END, "
		      "reason = CASE WHEN $6::int4 = 1 THEN NULL ELSE reason END "
		      "WHERE key_id = $8::text AND id = $7::int8",
		      8},
    [S_CODE_ALERTED] = {"SELECT 1::int8 FROM alerts WHERE key_id = $1::text AND "
			"serial = $2::int8 LIMIT 1",
			2},
    [S_ALERT_ROW] = {"SELECT key_id FROM alerts WHERE id = $1::int8", 1},
    [S_ALERT_STEP] = {"UPDATE alerts SET status = $3::text, reason = $4::text, "
		      "note = coalesce($5::text, note), updated_by = $6::text, "
		      "updated_at = $7::int8 WHERE key_id = $2::text AND id = $1::int8",
		      7},
    [S_ALERT_CHANGE] = {"INSERT INTO alert_changes(key_id, alert, at, by, status, reason, "
			"note) VALUES($2::text, $1::int8, $7::int8, $6::text, $3::text, "
			"$4::text, $5::text)",
			7},
};

/* batch_of's memory, as server/ledger.c's: forgotten whenever a transaction is rolled back. */
#define BATCH_CACHE 256
struct batch_seen {
	char key_id[17];
	int64_t first, last, id;
};

#define PG_RETRIES     3   /* a group lost to a deadlock or a dropped connection */
#define PG_BACKOFF_MIN 0.1 /* s between reconnection attempts, at first */
#define PG_BACKOFF_MAX 5.0 /* at most */
#define PG_MAX_ARGS    13

struct pg_ledger {
	char *conninfo;
	char name[256];      /* "PostgreSQL database DB on HOST", for messages (no password) */
	PGconn *w;           /* the writer's connection; NULL while the server is away */
	double next_try;     /* writer only: when to try connecting again (monotonic s) */
	double backoff;      /* writer only: the wait after the next failed attempt */
	PGconn *r;           /* the readers' connection (claim info, trust sequence, batches) */
	pthread_mutex_t rmu; /* guards r */
	atomic_int down;     /* 1 while the writer has no connection */
	char why[512];       /* writer only: the failure of the statement in use */
	char sqlstate[6];    /* its SQLSTATE, "" when not the server's */
	int commit_sent;     /* writer only: COMMIT was sent in the current attempt */
	double pinged; /* writer only: when be_idle last checked the connection (monotonic s) */
	struct batch_seen seen[BATCH_CACHE];
	struct rollups
	    rollups; /* writer only: the group's, written with its COMMIT (rollups_add) */
};

/* --- bound parameters and binary results ---------------------------------------------- */

struct args {
	int n;
	const char *v[PG_MAX_ARGS];
	int len[PG_MAX_ARGS];
	int fmt[PG_MAX_ARGS];
	char num[PG_MAX_ARGS][24];
};

static void a_i64(struct args *a, int64_t v)
{
	snprintf(a->num[a->n], sizeof a->num[a->n], "%lld", (long long)v);
	a->v[a->n] = a->num[a->n];
	a->len[a->n] = 0;
	a->fmt[a->n++] = 0;
}

static void a_text(struct args *a, const char *v)
{
	a->v[a->n] = v;
	a->len[a->n] = 0;
	a->fmt[a->n++] = 0;
}

/* n bytes at v as bytea (n may be 0: an empty value, not NULL) */
static void a_blob(struct args *a, const void *v, int n)
{
	a->v[a->n] = n > 0 ? (const char *)v : "";
	a->len[a->n] = n;
	a->fmt[a->n++] = 1;
}

static void a_null(struct args *a)
{
	a->v[a->n] = NULL;
	a->len[a->n] = 0;
	a->fmt[a->n++] = 0;
}

/* Keeps the failure of the statement in use as l->why (and l->sqlstate from res, when given).
 * Returns -1. */
static int fail(struct pg_ledger *l, const PGresult *res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct pg_ledger *l, const PGresult *res, const char *fmt, ...)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(l->why, sizeof l->why, fmt, ap);
	va_end(ap);
	n = strlen(l->why);
	while (n > 0 && (l->why[n - 1] == '\n' || l->why[n - 1] == ' '))
		l->why[--n] = '\0';
	snprintf(l->sqlstate, sizeof l->sqlstate, "%s", state != NULL ? state : "");
	return -1;
}

/* Runs writer statement i with a's parameters, binary results. The result (the caller clears
 * it) when it is a command's or rows, as want (PGRES_COMMAND_OK or PGRES_TUPLES_OK); NULL with
 * the failure kept (fail) otherwise, a parameter count that is not the statement's included. */
static PGresult *xq(struct pg_ledger *l, int i, const struct args *a, ExecStatusType want)
{
	char name[16];
	PGresult *res;

	if (a->n != sql[i].params) {
		fail(l, NULL, "%d parameters given to \"%s\", which takes %d", a->n, sql[i].sql,
		     sql[i].params);
		return NULL;
	}
	snprintf(name, sizeof name, "w%d", i);
	res = PQexecPrepared(l->w, name, a->n, a->v, a->len, a->fmt, 1);
	if (res != NULL && PQresultStatus(res) == want)
		return res;
	if (res != NULL && PQresultStatus(res) != PGRES_FATAL_ERROR)
		fail(l, res, "\"%s\" returned %s", sql[i].sql, PQresStatus(PQresultStatus(res)));
	else
		fail(l, res, "%s", res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(l->w));
	PQclear(res);
	return NULL;
}

/* Runs statement i expecting no rows back: 0, or -1 with the failure kept. */
static int xcmd(struct pg_ledger *l, int i, const struct args *a)
{
	PGresult *res = xq(l, i, a, PGRES_COMMAND_OK);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* One statement of a pipeline (xpipe): writer statement id with a's parameters, or, id -1,
 * the text q without parameters (BEGIN, COMMIT); want is the status it must return. res gets
 * its result when want is PGRES_TUPLES_OK (the caller clears it). */
struct pq {
	int id;
	const char *q;
	ExecStatusType want;
	struct args a;
	PGresult *res;
};

/* Takes q[*k] (and moves *k on) for the prepared statement id (-1: the caller sets q->q),
 * whose result must be want; its arguments empty, for the caller to add. */
static struct pq *pq_next(struct pq *q, int *k, int id, ExecStatusType want)
{
	struct pq *p = &q[(*k)++];

	memset(p, 0, sizeof *p);
	p->id = id;
	p->want = want;
	return p;
}

/* The statement q[i] names, for messages. */
static const char *pq_text(const struct pq *q)
{
	return q->id >= 0 ? sql[q->id].sql : q->q;
}

/* Sends the n statements q in one round trip (libpq's pipeline mode), in order: the server
 * runs each only once the ones before it succeeded. 0 with every rows result kept in q[i].res;
 * -1 with the failure kept (the first statement's that failed: its SQLSTATE, for retryable)
 * and no result kept, *failed (may be NULL) the index of the statement that failed, n when it
 * is not known (the connection lost before its answer). The connection is out of pipeline
 * mode either way unless it was lost. */
static int xpipe(struct pg_ledger *l, struct pq *q, int n, int *failed)
{
	char name[16];
	int got = 0, ok = 1, synced = 0, sent = 0;

	if (failed != NULL)
		*failed = n;
	for (int i = 0; i < n; i++) {
		q[i].res = NULL;
		if (q[i].id >= 0 && q[i].a.n != sql[q[i].id].params) {
			if (failed != NULL)
				*failed = i;
			return fail(l, NULL, "%d parameters given to \"%s\", which takes %d",
				    q[i].a.n, sql[q[i].id].sql, sql[q[i].id].params);
		}
	}
	if (PQenterPipelineMode(l->w) != 1)
		return fail(l, NULL, "cannot send statements together: %s", PQerrorMessage(l->w));
	for (; sent < n && ok; sent++) {
		const struct args *a = &q[sent].a;
		int r;
		if (q[sent].id >= 0) {
			snprintf(name, sizeof name, "w%d", q[sent].id);
			r = PQsendQueryPrepared(l->w, name, a->n, a->v, a->len, a->fmt, 1);
		} else {
			r = PQsendQueryParams(l->w, q[sent].q, 0, NULL, NULL, NULL, NULL, 1);
		}
		if (r != 1) {
			fail(l, NULL, "%s", PQerrorMessage(l->w));
			ok = 0;
		}
	}
	if (PQpipelineSync(l->w) != 1) {
		/* no sync to wait for: the connection is in no known state, made again */
		if (ok)
			fail(l, NULL, "%s", PQerrorMessage(l->w));
		PQfinish(l->w);
		l->w = NULL;
		return -1;
	}
	/* each statement's one result, a NULL after it, then the sync's */
	while (!synced) {
		PGresult *r = PQgetResult(l->w);
		ExecStatusType st;
		if (r == NULL) {
			if (PQstatus(l->w) != CONNECTION_OK)
				break;
			continue;
		}
		st = PQresultStatus(r);
		if (st == PGRES_PIPELINE_SYNC) {
			synced = 1;
		} else if (ok && got < n && st == q[got].want) {
			if (st == PGRES_TUPLES_OK) {
				q[got++].res = r;
				continue;
			}
			got++;
		} else if (ok) {
			ok = 0;
			if (failed != NULL && got < n)
				*failed = got;
			if (st == PGRES_FATAL_ERROR)
				fail(l, r, "%s", PQresultErrorMessage(r));
			else
				fail(l, r, "\"%s\" returned %s", pq_text(&q[got < n ? got : n - 1]),
				     PQresStatus(st));
		}
		PQclear(r);
	}
	if (!synced && ok)
		fail(l, NULL, "%s", PQerrorMessage(l->w));
	if (synced && PQexitPipelineMode(l->w) != 1 && ok)
		fail(l, NULL, "cannot leave pipeline mode: %s", PQerrorMessage(l->w));
	if (synced && ok && got == n && PQpipelineStatus(l->w) == PQ_PIPELINE_OFF)
		return 0;
	for (int i = 0; i < n; i++) {
		PQclear(q[i].res);
		q[i].res = NULL;
	}
	if (ok)
		fail(l, NULL, "%d of %d results received", got, n);
	return -1;
}

/* Whether column c of row r holds the n bytes of v. */
static int col_is(const PGresult *res, int r, int c, const void *v, int n)
{
	return !PQgetisnull(res, r, c) && PQgetlength(res, r, c) == n &&
	       memcmp(PQgetvalue(res, r, c), v, (size_t)n) == 0;
}

/* A text column, NULL when SQL NULL (binary text is the bytes, NUL-terminated by libpq). */
static const char *col_text(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
}

/* --- connections ----------------------------------------------------------------------- */

/* connect_to l's database. */
static PGconn *connect_db(struct pg_ledger *l, struct tem_err *err)
{
	return pg_connect_named(l->conninfo, l->name, 0, err);
}

/* Runs the text q (no parameters) on c expecting want; TEM_OK, or TEM_ERR with err set. */
static int exec_simple(struct pg_ledger *l, PGconn *c, const char *q, ExecStatusType want,
		       const char *what, struct tem_err *err)
{
	char msg[512];
	PGresult *res = PQexec(c, q);
	int ok = PQresultStatus(res) == want;

	if (!ok)
		err_set(err, "%s: %s: %s", l->name, what, pg_conn_msg(c, msg, sizeof msg));
	PQclear(res);
	return ok ? TEM_OK : TEM_ERR;
}

/* Brings the schema to PG_SCHEMA_VERSION in one transaction, under MIGRATION_LOCK. TEM_OK, or
 * TEM_ERR with err set and nothing changed. */
static int migrate(struct pg_ledger *l, PGconn *c, struct tem_err *err)
{
	char q[128];
	PGresult *res;
	int v = 0, from;

	if (exec_simple(l, c, "BEGIN", PGRES_COMMAND_OK, "cannot migrate", err) != TEM_OK)
		return TEM_ERR;
	snprintf(q, sizeof q, "SELECT pg_advisory_xact_lock(%lld)", (long long)MIGRATION_LOCK);
	if (exec_simple(l, c, q, PGRES_TUPLES_OK, "cannot lock the schema", err) != TEM_OK ||
	    exec_simple(l, c, "CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL)",
			PGRES_COMMAND_OK, "cannot read the schema version", err) != TEM_OK)
		goto fail;
	res = PQexec(c, "SELECT version FROM schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) > 1) {
		char msg[512];
		err_set(err, "%s: cannot read the schema version: %s", l->name,
			PQntuples(res) > 1 ? "table schema_version has more than one row"
					   : pg_conn_msg(c, msg, sizeof msg));
		PQclear(res);
		goto fail;
	}
	if (PQntuples(res) == 1)
		v = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (v > PG_SCHEMA_VERSION) {
		err_set(err,
			"%s: ledger schema version %d is newer than this temd understands (%d): "
			"use a newer temd",
			l->name, v, PG_SCHEMA_VERSION);
		goto fail;
	}
	from = v;
	for (; v < PG_SCHEMA_VERSION; v++) {
		if (from > 0)
			log_msg(LOG_LV_NOTICE,
				"%s: migrating the ledger from schema version %d to %d", l->name, v,
				v + 1);
		if (exec_simple(l, c, migrations[v], PGRES_COMMAND_OK, "schema migration failed",
				err) != TEM_OK)
			goto fail;
	}
	snprintf(q, sizeof q, "DELETE FROM schema_version; INSERT INTO schema_version VALUES(%d)",
		 PG_SCHEMA_VERSION);
	if (from < PG_SCHEMA_VERSION &&
	    exec_simple(l, c, q, PGRES_COMMAND_OK, "cannot record the schema version", err) !=
		TEM_OK)
		goto fail;
	if (exec_simple(l, c, "COMMIT", PGRES_COMMAND_OK, "cannot migrate", err) != TEM_OK)
		return TEM_ERR;
	if (from == 0)
		log_msg(LOG_LV_NOTICE, "%s: new ledger, schema version %d", l->name,
			PG_SCHEMA_VERSION);
	else if (from < PG_SCHEMA_VERSION)
		log_msg(LOG_LV_NOTICE, "%s: ledger migrated to schema version %d", l->name,
			PG_SCHEMA_VERSION);
	return TEM_OK;
fail:
	PQclear(PQexec(c, "ROLLBACK"));
	return TEM_ERR;
}

/* Prepares every writer statement on c. TEM_OK, or TEM_ERR with err set. */
static int prepare_writer(struct pg_ledger *l, PGconn *c, struct tem_err *err)
{
	char msg[512], name[16];

	for (int i = 0; i < S_COUNT; i++) {
		PGresult *res;
		snprintf(name, sizeof name, "w%d", i);
		res = PQprepare(c, name, sql[i].sql, sql[i].params, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			err_set(err, "%s: cannot prepare \"%s\": %s", l->name, sql[i].sql,
				pg_conn_msg(c, msg, sizeof msg));
			PQclear(res);
			return TEM_ERR;
		}
		PQclear(res);
	}
	return TEM_OK;
}

/* The writer's connection, made again when it was lost (at most once per backoff, which
 * doubles from PG_BACKOFF_MIN to PG_BACKOFF_MAX while attempts fail). 0 when there is one, -1
 * with the cause in l->why when the server cannot be reached now. */
static int writer_conn(struct pg_ledger *l)
{
	struct tem_err err;
	double now;

	if (l->w != NULL && PQstatus(l->w) == CONNECTION_OK)
		return 0;
	if (l->w != NULL) {
		PQfinish(l->w);
		l->w = NULL;
		atomic_store(&l->down, 1);
		log_msg(LOG_LV_ERROR, "%s: connection lost; connecting again", l->name);
	}
	now = date_mono_seconds();
	if (now < l->next_try)
		return fail(l, NULL, "the database cannot be reached (trying again in %.1f s)",
			    l->next_try - now);
	if ((l->w = connect_db(l, &err)) == NULL || prepare_writer(l, l->w, &err) != TEM_OK) {
		PQfinish(l->w);
		l->w = NULL;
		l->next_try = now + l->backoff;
		l->backoff = l->backoff * 2 < PG_BACKOFF_MAX ? l->backoff * 2 : PG_BACKOFF_MAX;
		return fail(l, NULL, "%s", err.msg);
	}
	l->backoff = PG_BACKOFF_MIN;
	l->next_try = 0;
	if (atomic_exchange(&l->down, 0))
		log_msg(LOG_LV_NOTICE, "%s: connected again", l->name);
	return 0;
}

/* --- the writer's jobs ------------------------------------------------------------------ */

/* S_CLAIM_GET's result res read: *claimed_ms (0: none), *yours when by network net or cookie
 * id cookie (has_cookie). */
static void claim_of(const PGresult *res, const unsigned char net[LEDGER_CLIENT_BYTES],
		     const unsigned char cookie[LEDGER_COOKIE_BYTES], int has_cookie,
		     int64_t *claimed_ms, int *yours)
{
	*claimed_ms = 0;
	*yours = 0;
	if (PQntuples(res) > 0) {
		*claimed_ms = pgq_i64(res, 0, 0);
		*yours = col_is(res, 0, 1, net, LEDGER_CLIENT_BYTES) ||
			 (has_cookie && col_is(res, 0, 2, cookie, LEDGER_COOKIE_BYTES));
	}
}

/* The claim of serial of key_id: *claimed_ms (0: none), *yours when by network net or cookie
 * id cookie (has_cookie). 0 or -1. */
static int read_claim(struct pg_ledger *l, const char *key_id, uint64_t serial,
		      const unsigned char net[LEDGER_CLIENT_BYTES],
		      const unsigned char cookie[LEDGER_COOKIE_BYTES], int has_cookie,
		      int64_t *claimed_ms, int *yours)
{
	struct args a = {0};
	PGresult *res;

	a_text(&a, key_id);
	a_i64(&a, (int64_t)serial);
	if ((res = xq(l, S_CLAIM_GET, &a, PGRES_TUPLES_OK)) == NULL)
		return -1;
	claim_of(res, net, cookie, has_cookie, claimed_ms, yours);
	PQclear(res);
	return 0;
}

/* One integer of statement i's one row, 0 when it returns none. 0 or -1. */
static int read_count(struct pg_ledger *l, int i, const struct args *a, int64_t *v)
{
	PGresult *res = xq(l, i, a, PGRES_TUPLES_OK);

	if (res == NULL)
		return -1;
	*v = PQntuples(res) > 0 ? pgq_i64(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

/* batch_of's memory slot for serial of key_id. */
static struct batch_seen *batch_slot(struct pg_ledger *l, const char *key_id, uint64_t serial)
{
	uint32_t h = 2166136261u;

	for (const char *p = key_id; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ (uint32_t)(serial >> 20)) * 16777619u;
	return &l->seen[h % BATCH_CACHE];
}

/* 1 with *batch set when batch_of's memory holds key_id's batch of serial, else 0. */
static int batch_known(struct pg_ledger *l, const char *key_id, uint64_t serial, int64_t *batch)
{
	struct batch_seen *c = batch_slot(l, key_id, serial);

	if (c->first <= (int64_t)serial && (int64_t)serial <= c->last &&
	    strcmp(c->key_id, key_id) == 0) {
		*batch = c->id;
		return 1;
	}
	return 0;
}

/* Reads S_BATCH_OF's result res for serial of key_id into *batch (0: in no batch),
 * remembering the batch found. */
static void batch_learn(struct pg_ledger *l, const char *key_id, uint64_t serial,
			const PGresult *res, int64_t *batch)
{
	struct batch_seen *c = batch_slot(l, key_id, serial);

	*batch = 0;
	if (PQntuples(res) > 0 && pgq_i64(res, 0, 2) >= (int64_t)serial) {
		*batch = pgq_i64(res, 0, 0);
		snprintf(c->key_id, sizeof c->key_id, "%s", key_id);
		c->id = *batch;
		c->first = pgq_i64(res, 0, 1);
		c->last = pgq_i64(res, 0, 2);
	}
}

/* Adds S_BATCH_OF for serial of key_id to q at *k. */
static void batch_of_add(const char *key_id, uint64_t serial, struct pq *q, int *k)
{
	struct pq *p = pq_next(q, k, S_BATCH_OF, PGRES_TUPLES_OK);

	a_text(&p->a, key_id);
	a_i64(&p->a, (int64_t)serial);
}

/* The id of key_id's batch holding serial into *batch, 0 when none. 0 or -1. */
static int batch_of(struct pg_ledger *l, const char *key_id, uint64_t serial, int64_t *batch)
{
	struct pq q;
	int k = 0;

	if (batch_known(l, key_id, serial, batch))
		return 0;
	batch_of_add(key_id, serial, &q, &k);
	if ((q.res = xq(l, S_BATCH_OF, &q.a, PGRES_TUPLES_OK)) == NULL)
		return -1;
	batch_learn(l, key_id, serial, q.res, batch);
	PQclear(q.res);
	return 0;
}

/* Counts in the group's roll-ups (rollup_count, server/ledger_rollup.h): one scan of final
 * verdict verdict ("" none), day_code, batch_code, claims. 0 or -1 (out of memory). */
static int roll_up(struct pg_ledger *l, const char *key_id, int64_t batch, int64_t at_ms,
		   const char *verdict, int day_code, int batch_code, int claims)
{
	if (rollup_count(&l->rollups, key_id, batch, at_ms, verdict, day_code, batch_code,
			 claims) != 0)
		return fail(l, NULL, "cannot count the statistics: out of memory");
	return 0;
}

/* The group's roll-up rows: as many statements as rollups_add adds. */
static size_t rollups_n(const struct pg_ledger *l)
{
	return l->rollups.ndays + l->rollups.nbatches;
}

/* Adds the group's roll-ups to q at *k (room for rollups_n), in key order, so two servers'
 * groups lock the shared rows in one order. */
static void rollups_add(struct pg_ledger *l, struct pq *q, int *k)
{
	const struct rollups *r = &l->rollups;

	rollup_sort(&l->rollups);
	for (size_t i = 0; i < r->ndays; i++) {
		const struct rollup_day *d = &r->days[i];
		struct pq *p = pq_next(q, k, S_DAY_STATS, PGRES_COMMAND_OK);
		a_text(&p->a, d->key_id);
		a_i64(&p->a, d->day);
		a_i64(&p->a, d->batch);
		a_i64(&p->a, d->scans);
		a_i64(&p->a, d->codes);
		for (int c = 0; c < ROLLUP_VERDICTS; c++)
			a_i64(&p->a, d->v[c]);
		a_i64(&p->a, d->claims);
	}
	for (size_t i = 0; i < r->nbatches; i++) {
		const struct rollup_batch *b = &r->batches[i];
		struct pq *p = pq_next(q, k, S_BATCH_STATS, PGRES_COMMAND_OK);
		a_text(&p->a, b->key_id);
		a_i64(&p->a, b->batch);
		a_i64(&p->a, b->scans);
		a_i64(&p->a, b->codes);
		a_i64(&p->a, b->claimed);
		a_i64(&p->a, b->alerted);
	}
}

/* Writes the group's roll-ups (rollups_add) in one round trip. 0 or -1. */
static int flush_rollups(struct pg_ledger *l)
{
	size_t n = rollups_n(l);
	struct pq *q;
	int k = 0, rc;

	if (n == 0)
		return 0;
	if ((q = malloc(n * sizeof *q)) == NULL)
		return fail(l, NULL, "cannot write the statistics: out of memory");
	rollups_add(l, q, &k);
	rc = xpipe(l, q, k, NULL);
	free(q);
	return rc;
}

/* Makes the (key, serial, type) alert of e, or counts e in it, as alert_decide says
 * (server/alert_rules.h): this engine reads the row and writes. *id gets the alert's id,
 * *raised 1 when it was made or reopened (both may be NULL). 0 or -1. */
static int raise_alert(struct pg_ledger *l, const struct alert_event *e, int64_t *id, int *raised)
{
	const char *type = alert_type_name(e->type);
	struct alert_row old = {0};
	struct alert_write w;
	struct args a = {0};
	PGresult *res;
	int64_t row;

	a_text(&a, e->key_id);
	a_i64(&a, (int64_t)e->serial);
	a_text(&a, type);
	if ((res = xq(l, S_TALERT_GET, &a, PGRES_TUPLES_OK)) == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		old.id = pgq_i64(res, 0, 0);
		old.status = col_text(res, 0, 1);
		old.reason = col_text(res, 0, 2);
		old.changed_ms = pgq_i64(res, 0, 3);
	}
	alert_decide(e, &old, &w); /* before the clear: old's text is the result's */
	PQclear(res);
	row = old.id;

	if (w.action == ALERT_WRITE_NEW) {
		if (w.count_code) {
			int64_t had;
			struct rollup_batch *b;
			memset(&a, 0, sizeof a);
			a_text(&a, e->key_id);
			a_i64(&a, (int64_t)e->serial);
			if (read_count(l, S_CODE_ALERTED, &a, &had) != 0)
				return -1;
			if (!had) {
				if ((b = rollup_batch(&l->rollups, e->key_id, e->batch)) == NULL)
					return fail(l, NULL,
						    "cannot count an alert: out of memory");
				b->alerted++;
			}
		}
		memset(&a, 0, sizeof a);
		a_text(&a, type);
		a_text(&a, e->key_id);
		a_i64(&a, (int64_t)e->serial);
		a_i64(&a, w.events);
		a_i64(&a, w.clients);
		a_i64(&a, w.first_ms);
		a_i64(&a, w.at_ms);
		if ((res = xq(l, S_TALERT_ADD, &a, PGRES_TUPLES_OK)) == NULL)
			return -1;
		row = PQntuples(res) > 0 ? pgq_i64(res, 0, 0) : 0;
		PQclear(res);
	} else {
		memset(&a, 0, sizeof a);
		a_i64(&a, w.absolute);
		a_i64(&a, w.events);
		a_i64(&a, w.clients);
		a_i64(&a, w.first_ms);
		a_i64(&a, w.at_ms);
		a_i64(&a, w.reopen);
		a_i64(&a, row);
		a_text(&a, e->key_id);
		if (xcmd(l, S_TALERT_SET, &a) != 0)
			return -1;
		if (w.action == ALERT_WRITE_REOPEN) {
			memset(&a, 0, sizeof a);
			a_i64(&a, row);
			a_text(&a, e->key_id);
			a_text(&a, w.change_to);
			a_null(&a);
			a_text(&a, w.change_note);
			a_text(&a, w.change_by);
			a_i64(&a, w.at_ms);
			if (xcmd(l, S_ALERT_CHANGE, &a) != 0)
				return -1;
		}
	}
	alert_log_raised(e, &w, row);
	if (id != NULL)
		*id = row;
	if (raised != NULL)
		*raised = w.raised;
	return 0;
}

/* The typed alert a counted scan shows, if any (alert_scan_event), raised. 0 or -1. */
static int scan_alert(struct pg_ledger *l, const struct ledger_scan *s, int64_t batch)
{
	struct alert_event e;

	return alert_scan_event(s, batch, &e) ? raise_alert(l, &e, NULL, NULL) : 0;
}

/* The claim-guessing alert of c's code, whose wrong PINs have just reached its daily limit
 * (alert_guess_event), raised. 0 or -1. */
static int guess_alert(struct pg_ledger *l, const struct ledger_claim *c)
{
	struct alert_event e;
	int64_t batch;

	if (batch_of(l, c->key_id, c->serial, &batch) != 0)
		return -1;
	alert_guess_event(c, batch, &e);
	return raise_alert(l, &e, NULL, NULL);
}

/* Reads a code's rows from res, statement i's result (S_ROWS, whole: five columns;
 * S_NET_ROWS: the cookie only), which it clears, into *rows (n used, one more allocated),
 * adding up scans, first and latest. 0 or -1. */
static int rows_of(struct pg_ledger *l, int i, PGresult *res, struct ledger_net_row **rows,
		   size_t *n, int64_t *scans, int64_t *first, int64_t *last)
{
	int whole = i == S_ROWS, nt;

	nt = PQntuples(res);
	if ((*rows = calloc((size_t)nt + 1, sizeof **rows)) == NULL) {
		PQclear(res);
		return fail(l, NULL, "cannot count a code's clients: out of memory");
	}
	for (int k = 0; k < nt; k++) {
		struct ledger_net_row *r = &(*rows)[k];
		int ci = whole ? 1 : 0;
		r->has_cookie = PQgetlength(res, k, ci) == LEDGER_COOKIE_BYTES;
		if (r->has_cookie)
			memcpy(r->cookie, PQgetvalue(res, k, ci), LEDGER_COOKIE_BYTES);
		if (whole) {
			if (PQgetlength(res, k, 0) == LEDGER_CLIENT_BYTES)
				memcpy(r->client, PQgetvalue(res, k, 0), LEDGER_CLIENT_BYTES);
			else
				crypto_generichash(r->client, LEDGER_CLIENT_BYTES,
						   (const unsigned char *)PQgetvalue(res, k, 0),
						   (size_t)PQgetlength(res, k, 0), NULL, 0);
			*scans += pgq_i64(res, k, 2);
			int64_t f = pgq_i64(res, k, 3), t = pgq_i64(res, k, 4);
			if (*first == 0 || f < *first)
				*first = f;
			if (t > *last)
				*last = t;
		}
	}
	*n = (size_t)nt;
	PQclear(res);
	return 0;
}

/* rows_of statement i run with a. 0 or -1. */
static int read_rows(struct pg_ledger *l, int i, const struct args *a, struct ledger_net_row **rows,
		     size_t *n, int64_t *scans, int64_t *first, int64_t *last)
{
	PGresult *res = xq(l, i, a, PGRES_TUPLES_OK);

	if (res == NULL)
		return -1;
	return rows_of(l, i, res, rows, n, scans, first, last);
}

/* A counted scan while its group runs: what it read, what was decided. */
struct scan_state {
	struct ledger_scan *s;
	int alerted;                 /* the code has an alert row (its counts come from it) */
	int yours;                   /* the code's claim is the scanner's */
	struct ledger_net_row *rows; /* the code's rows (alerted: the network's), n of them */
	size_t n;
	int64_t scans, first, last; /* the rows' scans added up, the first and latest */
	int64_t batch;              /* the batch holding the code, 0 none */
	int batch_known;            /* batch was found in batch_of's memory */
	int new_code;               /* the code's first scan */
	struct ledger_place place;
	int q;  /* the index of its first read in the group's pipeline */
	int qb; /* and of its S_BATCH_OF, -1 none */
	int qn; /* and of its S_NET_ROWS (alerted), -1 none */
};

/* Adds the three reads a scan needs before deciding to q at *k (the code's alert row, its rows
 * when it has none, its claim). */
static void scan_reads_add(const struct ledger_scan *s, struct pq *q, int *k)
{
	static const int ids[3] = {S_ALERT_GET, S_ROWS, S_CLAIM_GET};

	for (int i = 0; i < 3; i++) {
		struct pq *p = pq_next(q, k, ids[i], PGRES_TUPLES_OK);
		a_text(&p->a, s->key_id);
		a_i64(&p->a, (int64_t)s->serial);
	}
}

/* Adds S_NET_ROWS for an alerted code's scan (the rows of its network) to q at *k. */
static void net_rows_add(const struct ledger_scan *s, struct pq *q, int *k)
{
	struct pq *p = pq_next(q, k, S_NET_ROWS, PGRES_TUPLES_OK);

	a_text(&p->a, s->key_id);
	a_i64(&p->a, (int64_t)s->serial);
	a_blob(&p->a, s->client, LEDGER_CLIENT_BYTES);
}

/* Reads scan_reads_add's three results r[0..2] (cleared here) into st: *alerted, the alert's
 * counts into s and last; the claim; the rows (rows_of) unless alerted. 0 or -1. */
static int scan_reads_take(struct pg_ledger *l, struct scan_state *st, PGresult **r)
{
	struct ledger_scan *s = st->s;

	st->alerted = PQntuples(r[0]) > 0;
	if (st->alerted) {
		s->scans = pgq_i64(r[0], 0, 0) + 1;
		s->clients = pgq_i64(r[0], 0, 1);
		s->first_scan_ms = pgq_i64(r[0], 0, 2);
		st->last = pgq_i64(r[0], 0, 3);
	}
	PQclear(r[0]);
	r[0] = NULL;
	claim_of(r[2], s->client, s->cookie, s->has_cookie, &s->claimed_ms, &st->yours);
	PQclear(r[2]);
	r[2] = NULL;
	if (st->alerted) {
		PQclear(r[1]);
		r[1] = NULL;
		return 0;
	}
	PGresult *rows = r[1];
	r[1] = NULL;
	return rows_of(l, S_ROWS, rows, &st->rows, &st->n, &st->scans, &st->first, &st->last);
}

/* Decides st's scan from what it read, exactly as server/ledger.c's run_scan decides it (the
 * code's advisory lock is held: its rows are this transaction's to read and change): its
 * counts, its clients, its row (st->place), its verdict. 0 or -1. */
static int scan_decide(struct pg_ledger *l, struct scan_state *st)
{
	struct ledger_scan *s = st->s;

	st->new_code = !st->alerted && st->n == 0;
	if (!st->alerted) {
		s->scans = st->scans + 1;
		s->first_scan_ms = st->first != 0 && st->first < s->at_ms ? st->first : s->at_ms;
	}
	if (ledger_place_scan(s, st->rows, st->n, st->alerted, &st->place) != 0)
		return fail(l, NULL, "cannot count a code's clients: out of memory");
	s->facts.other_clients = s->clients - 1;
	s->facts.claimed_by_this = st->yours;
	s->facts.claimed = s->claimed_ms > 0;
	s->verdict = verdict_decide(&s->facts);
	return 0;
}

/* Adds st's writes to q at *k: a first scan by this client, its scans row and its code_scans
 * row in one statement (a repeat: the code_scans row's count); the code's alert counts when it
 * is a duplicate or alerted already. */
static void scan_writes_add(const struct scan_state *st, struct pq *q, int *k)
{
	const struct ledger_scan *s = st->s;
	const char *vname = verdict_name(s->verdict);
	struct pq *p = pq_next(q, k, st->place.repeat ? S_CLIENT : S_SCAN_CLIENT, PGRES_COMMAND_OK);
	struct args *a = &p->a;

	a_text(a, s->key_id);
	a_i64(a, (int64_t)s->serial);
	if (!st->place.repeat) {
		a_i64(a, s->at_ms);
		a_blob(a, s->client, LEDGER_CLIENT_BYTES);
		a_text(a, vname);
	} else {
		a_blob(a, s->client, LEDGER_CLIENT_BYTES);
	}
	if (st->place.want.has_cookie)
		a_blob(a, s->cookie, LEDGER_COOKIE_BYTES);
	else
		a_blob(a, "", 0);
	if (st->place.repeat) {
		a_i64(a, s->at_ms);
		a_i64(a, 0);
		a_text(a, vname);
	}
	if (s->verdict == V_DUPLICATE || st->alerted) {
		p = pq_next(q, k, S_ALERT, PGRES_COMMAND_OK);
		a_text(&p->a, s->key_id);
		a_i64(&p->a, (int64_t)s->serial);
		a_i64(&p->a, s->scans);
		a_i64(&p->a, s->clients);
		a_i64(&p->a, s->first_scan_ms);
		a_i64(&p->a, s->at_ms);
	}
}

/* What follows st's writes: the duplicate's log line, the scan counted in the roll-ups (its
 * batch in st->batch), its typed alert raised. 0 or -1. */
static int scan_after(struct pg_ledger *l, struct scan_state *st)
{
	struct ledger_scan *s = st->s;

	if (s->verdict == V_DUPLICATE && !st->alerted)
		log_msg(LOG_LV_WARNING,
			"alert: code %s-%llu scanned from %lld networks (%lld scans since %lld): "
			"a duplicate",
			s->key_id, (unsigned long long)s->serial, (long long)s->clients,
			(long long)s->scans, (long long)(s->first_scan_ms / 1000));
	if (roll_up(l, s->key_id, st->batch, s->at_ms, verdict_name(s->verdict),
		    st->last == 0 || date_vn_day((time_t)(st->last / 1000)) !=
					 date_vn_day((time_t)(s->at_ms / 1000)),
		    st->new_code, 0) != 0)
		return -1;
	return scan_alert(l, s, st->batch);
}

/* A counted scan alone: its reads in one round trip (and its network's rows after, for an
 * alerted code), decided, written. 0 or -1. */
static int run_scan(struct pg_ledger *l, struct ledger_scan *s)
{
	struct scan_state st = {.s = s};
	struct pq q[3];
	PGresult *r[3];
	int k = 0, rc = -1;

	scan_reads_add(s, q, &k);
	if (xpipe(l, q, k, NULL) != 0)
		return -1;
	for (int i = 0; i < 3; i++)
		r[i] = q[i].res;
	if (scan_reads_take(l, &st, r) != 0)
		goto out;
	if (st.alerted) {
		k = 0;
		net_rows_add(s, q, &k);
		if (read_rows(l, S_NET_ROWS, &q[0].a, &st.rows, &st.n, &st.scans, &st.first,
			      &st.last) != 0)
			goto out;
	}
	if (scan_decide(l, &st) != 0)
		goto out;
	k = 0;
	scan_writes_add(&st, q, &k);
	for (int i = 0; i < k; i++)
		if (xcmd(l, q[i].id, &q[i].a) != 0)
			goto out;
	if (batch_of(l, s->key_id, s->serial, &st.batch) != 0 || scan_after(l, &st) != 0)
		goto out;
	rc = 0;
out:
	free(st.rows);
	return rc;
}

/* A claim attempt, as server/ledger.c's run_claim (the code's and the network's advisory
 * locks are held, so the limits and the claim are decided one server at a time). 0 or -1. */
static int run_claim(struct pg_ledger *l, struct ledger_claim *c)
{
	int64_t day = c->at_ms / 86400000, hour = c->at_ms / 3600000, fails, code_fails, batch;
	struct args a = {0};

	c->retry_after = 0;
	if (read_claim(l, c->key_id, c->serial, c->net, c->cookie, c->has_cookie, &c->claimed_ms,
		       &c->yours) != 0)
		return -1;
	a_text(&a, c->key_id);
	a_i64(&a, (int64_t)c->serial);
	a_i64(&a, day);
	if (read_count(l, S_FAILS_CODE, &a, &code_fails) != 0)
		return -1;
	if (code_fails >= c->code_limit) {
		c->result = CLAIM_LIMITED;
		c->retry_after = ((day + 1) * 86400000 - c->at_ms + 999) / 1000;
		return 0;
	}
	memset(&a, 0, sizeof a);
	a_blob(&a, c->net, LEDGER_CLIENT_BYTES);
	a_i64(&a, hour);
	if (read_count(l, S_FAILS_NET, &a, &fails) != 0)
		return -1;
	if (fails >= c->net_limit) {
		c->result = CLAIM_LIMITED;
		c->retry_after = ((hour + 1) * 3600000 - c->at_ms + 999) / 1000;
		return 0;
	}
	if (!c->pin_right) {
		c->result = CLAIM_WRONG_PIN;
		memset(&a, 0, sizeof a);
		a_text(&a, c->key_id);
		a_i64(&a, (int64_t)c->serial);
		a_i64(&a, day);
		if (xcmd(l, S_FAIL_CODE, &a) != 0)
			return -1;
		memset(&a, 0, sizeof a);
		a_blob(&a, c->net, LEDGER_CLIENT_BYTES);
		a_i64(&a, hour);
		if (xcmd(l, S_FAIL_NET, &a) != 0)
			return -1;
		/* the wrong PIN that reaches the code's daily limit raises the alert */
		return code_fails + 1 == c->code_limit ? guess_alert(l, c) : 0;
	}
	if (c->claimed_ms > 0) {
		c->result = c->yours ? CLAIM_YOURS : CLAIM_TAKEN;
		return 0;
	}
	if (c->check_only) {
		c->result = CLAIM_OPEN;
		return 0;
	}
	memset(&a, 0, sizeof a);
	a_text(&a, c->key_id);
	a_i64(&a, (int64_t)c->serial);
	a_i64(&a, c->at_ms);
	a_blob(&a, c->net, LEDGER_CLIENT_BYTES);
	if (c->has_cookie)
		a_blob(&a, c->cookie, LEDGER_COOKIE_BYTES);
	else
		a_blob(&a, "", 0);
	if (xcmd(l, S_CLAIM_ADD, &a) != 0)
		return -1;
	c->result = CLAIM_NEW;
	c->claimed_ms = c->at_ms;
	c->yours = 1;
	if (batch_of(l, c->key_id, c->serial, &batch) != 0)
		return -1;
	return roll_up(l, c->key_id, batch, c->at_ms, "", 0, 0, 1);
}

/* A batch registration, as server/ledger.c's run_batch (the key's batch lock is held). */
static int run_batch(struct pg_ledger *l, struct ledger_job *job)
{
	struct ledger_batch *b = &job->u.batch;
	struct args a = {0};
	PGresult *res;

	a_text(&a, b->key_id);
	a_i64(&a, (int64_t)b->first);
	a_i64(&a, (int64_t)b->last);
	if ((res = xq(l, S_BATCH_FIND, &a, PGRES_TUPLES_OK)) == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		const char *h = col_text(res, 0, 1);
		b->row = pgq_i64(res, 0, 0);
		b->registered_ms = pgq_i64(res, 0, 2);
		job->status =
		    h != NULL && strcmp(h, b->header) == 0 ? LEDGER_EXISTS : LEDGER_OVERLAP;
		PQclear(res);
		return 0;
	}
	PQclear(res);
	memset(&a, 0, sizeof a);
	a_text(&a, b->key_id);
	a_i64(&a, (int64_t)b->first);
	a_i64(&a, (int64_t)b->last);
	a_text(&a, b->batch_id);
	a_text(&a, b->product);
	a_text(&a, b->producer);
	a_text(&a, b->url);
	a_i64(&a, b->issued);
	a_i64(&a, b->last_day);
	a_text(&a, b->header);
	a_i64(&a, b->at_ms);
	if (b->claim_key != NULL)
		a_blob(&a, b->claim_key, (int)b->claim_key_len);
	else
		a_null(&a);
	if ((res = xq(l, S_BATCH_ADD, &a, PGRES_TUPLES_OK)) == NULL)
		return -1;
	b->row = PQntuples(res) > 0 ? pgq_i64(res, 0, 0) : 0;
	PQclear(res);
	b->registered_ms = b->at_ms;
	/* its row of statistics, all zero, so every batch has one */
	return rollup_batch(&l->rollups, b->key_id, b->row) != NULL
		   ? 0
		   : fail(l, NULL, "cannot count a batch: out of memory");
}

static int run_producers(struct pg_ledger *l, struct ledger_job *job)
{
	struct args a;

	for (size_t i = 0; i < job->u.producers.n; i++) {
		const struct ledger_producer *p = &job->u.producers.list[i];
		memset(&a, 0, sizeof a);
		a_text(&a, p->key_id);
		a_text(&a, p->public_key);
		a_text(&a, p->name);
		a_i64(&a, p->valid_from);
		if (p->revoked >= 0)
			a_i64(&a, p->revoked);
		else
			a_null(&a);
		a_i64(&a, (int64_t)time(NULL) * 1000);
		if (xcmd(l, S_PRODUCER, &a) != 0)
			return -1;
	}
	memset(&a, 0, sizeof a);
	a_i64(&a, (int64_t)job->u.producers.sequence);
	return xcmd(l, S_TRUST_SEQ, &a);
}

static int run_alert(struct pg_ledger *l, struct ledger_job *job)
{
	struct ledger_alert *a = &job->u.alert;
	struct alert_event e;
	int64_t batch = 0;

	a->id = 0;
	a->raised = 0;
	if (!alert_job_valid(a->type, a->key_id, a->events)) {
		job->status = LEDGER_FAILED;
		return 0;
	}
	if (a->serial != 0 && batch_of(l, a->key_id, a->serial, &batch) != 0)
		return -1;
	alert_job_event(a, batch, &e);
	return raise_alert(l, &e, &a->id, &a->raised);
}

static int run_alert_update(struct pg_ledger *l, struct ledger_job *job)
{
	struct ledger_alert_update *u = &job->u.alert_update;
	char key[17];
	struct args a = {0};
	PGresult *res;

	if (u->status < 0 || u->status >= ALERT_STATUSES || u->reason < 0 ||
	    u->reason >= ALERT_REASONS ||
	    (u->status == ALERT_CLOSED) != (u->reason != ALERT_REASON_NONE) || u->by == NULL) {
		job->status = LEDGER_FAILED;
		return 0;
	}
	a_i64(&a, u->id);
	if ((res = xq(l, S_ALERT_ROW, &a, PGRES_TUPLES_OK)) == NULL)
		return -1;
	if (PQntuples(res) == 0 || PQgetlength(res, 0, 0) != 16 ||
	    (u->producer != NULL && strcmp(col_text(res, 0, 0), u->producer) != 0)) {
		PQclear(res);
		job->status = LEDGER_MISSING;
		return 0;
	}
	memcpy(key, PQgetvalue(res, 0, 0), 17);
	PQclear(res);
	for (int i = S_ALERT_STEP; i <= S_ALERT_CHANGE; i++) {
		memset(&a, 0, sizeof a);
		a_i64(&a, u->id);
		a_text(&a, key);
		a_text(&a, alert_status_name((enum alert_status)u->status));
		if (u->reason != ALERT_REASON_NONE)
			a_text(&a, alert_reason_name((enum alert_reason)u->reason));
		else
			a_null(&a);
		if (u->note != NULL)
			a_text(&a, u->note);
		else
			a_null(&a);
		a_text(&a, u->by);
		a_i64(&a, u->at_ms);
		if (xcmd(l, i, &a) != 0)
			return -1;
	}
	return 0;
}

static int run_job(struct pg_ledger *l, struct ledger_job *job)
{
	job->status = LEDGER_OK;
	if ((int)job->kind == LEDGER_JOB_FORGET_SALT)
		return 0; /* a PostgreSQL ledger never held the old salt */
	switch (job->kind) {
	case JOB_SCAN:
		return run_scan(l, &job->u.scan);
	case JOB_BATCH:
		return run_batch(l, job);
	case JOB_PRODUCER:
		return run_producers(l, job);
	case JOB_CLAIM:
		return run_claim(l, &job->u.claim);
	case JOB_ALERT:
		return run_alert(l, job);
	case JOB_ALERT_UPDATE:
		return run_alert_update(l, job);
	}
	return fail(l, NULL, "a job of unknown kind %d", (int)job->kind);
}

/* --- the group transaction and its locks ------------------------------------------------ */

/* An advisory lock key: a hash of what it guards (tag, key id, number). */
static int64_t lock_key(const char *tag, const char *key_id, const void *v, size_t n)
{
	crypto_generichash_state h;
	unsigned char out[8];
	uint64_t k;

	crypto_generichash_init(&h, NULL, 0, sizeof out);
	crypto_generichash_update(&h, (const unsigned char *)tag, strlen(tag) + 1);
	crypto_generichash_update(&h, (const unsigned char *)key_id, strlen(key_id) + 1);
	crypto_generichash_update(&h, v, n);
	crypto_generichash_final(&h, out, sizeof out);
	memcpy(&k, out, sizeof k);
	return (int64_t)k;
}

static int64_t code_lock(const char *key_id, uint64_t serial)
{
	return lock_key("code", key_id, &serial, sizeof serial);
}

/* The advisory lock keys of the jobs first up to end, as an int8 array literal for S_LOCKS
 * into *lit (the caller frees it; NULL when they need none): a code's (scans, claims,
 * alerts), a claimer network's (its wrong-PIN limit), a key's batches, the producers. 0 or -1
 * (out of memory). */
static int lock_literal(struct pg_ledger *l, struct ledger_job *first, struct ledger_job *end,
			char **lit)
{
	size_t n = 0, cap = 0, len = 0;
	int64_t *keys = NULL;

	*lit = NULL;
	for (struct ledger_job *j = first; j != end; j = j->next)
		cap += 2;
	if (cap == 0)
		return 0;
	if ((keys = malloc(cap * sizeof *keys)) == NULL || (*lit = malloc(cap * 22 + 3)) == NULL) {
		free(keys);
		return fail(l, NULL, "cannot lock the group's codes: out of memory");
	}
	for (struct ledger_job *j = first; j != end; j = j->next) {
		switch (j->kind) {
		case JOB_SCAN:
			keys[n++] = code_lock(j->u.scan.key_id, j->u.scan.serial);
			break;
		case JOB_CLAIM:
			keys[n++] = code_lock(j->u.claim.key_id, j->u.claim.serial);
			keys[n++] = lock_key("net", "", j->u.claim.net, LEDGER_CLIENT_BYTES);
			break;
		case JOB_ALERT:
			keys[n++] = code_lock(j->u.alert.key_id, j->u.alert.serial);
			break;
		case JOB_BATCH:
			keys[n++] = lock_key("batches", j->u.batch.key_id, "", 0);
			break;
		case JOB_PRODUCER:
			keys[n++] = lock_key("producers", "", "", 0);
			break;
		case JOB_ALERT_UPDATE:
			break;
		}
	}
	if (n == 0) {
		free(keys);
		free(*lit);
		*lit = NULL;
		return 0;
	}
	(*lit)[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(*lit + len, "%s%lld", i ? "," : "", (long long)keys[i]);
	(*lit)[len++] = '}';
	(*lit)[len] = '\0';
	free(keys);
	return 0;
}

/* Takes the advisory locks of the jobs first up to end (lock_literal), in sorted order. 0 or
 * -1. */
static int take_locks(struct pg_ledger *l, struct ledger_job *first, struct ledger_job *end)
{
	struct args a = {0};
	PGresult *res;
	char *lit;

	if (lock_literal(l, first, end, &lit) != 0)
		return -1;
	if (lit == NULL)
		return 0;
	a_text(&a, lit);
	res = xq(l, S_LOCKS, &a, PGRES_TUPLES_OK);
	free(lit);
	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* Runs text q (BEGIN, COMMIT, ROLLBACK) on the writer. 0 or -1 with the failure kept. */
static int simple(struct pg_ledger *l, const char *q)
{
	PGresult *res = PQexec(l->w, q);

	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		return 0;
	}
	fail(l, res, "%s: %s", q, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(l->w));
	PQclear(res);
	return -1;
}

/* 1 when the jobs first up to end are two or more scans, no two of one code: a group
 * run_scans can decide from reads sent all at once (a scan must see the rows an earlier scan
 * of its code in the group wrote: such a group runs its scans one at a time). */
static int scans_apart(struct ledger_job *first, struct ledger_job *end)
{
	if (first == end || first->next == end)
		return 0;
	for (struct ledger_job *j = first; j != end; j = j->next) {
		if (j->kind != JOB_SCAN)
			return 0;
		for (struct ledger_job *o = first; o != j; o = o->next)
			if (o->u.scan.serial == j->u.scan.serial &&
			    strcmp(o->u.scan.key_id, j->u.scan.key_id) == 0)
				return 0;
	}
	return 1;
}

/* A group of scans_apart scans in about two round trips whatever its size: BEGIN, its advisory
 * locks and every scan's reads (and its batch, when batch_of's memory lacks it) in one
 * pipeline; then, for the codes alerted already, their networks' rows in another; every scan
 * decided as run_scan decides it, its roll-ups counted and its typed alert raised (statements
 * of their own, only for the scans that raise one); then every write, the roll-ups and COMMIT
 * in one pipeline. The statements' order differs from run_scan's only between tables no other
 * statement of the group reads. 0 when committed; -1 with the failure kept (l->commit_sent 1
 * when COMMIT may have run). */
static int run_scans(struct pg_ledger *l, struct ledger_job *first, struct ledger_job *end)
{
	struct scan_state *st = NULL;
	struct pq *q = NULL, *w = NULL;
	size_t n = 0, nw = 0;
	char *lit = NULL;
	int k = 0, rc = -1, alerted = 0, failed;

	for (struct ledger_job *j = first; j != end; j = j->next)
		n++;
	if ((st = calloc(n, sizeof *st)) == NULL || (q = calloc(2 + 4 * n, sizeof *q)) == NULL) {
		fail(l, NULL, "cannot run a group of scans: out of memory");
		goto out;
	}
	if (lock_literal(l, first, end, &lit) != 0)
		goto out;
	pq_next(q, &k, -1, PGRES_COMMAND_OK)->q = "BEGIN";
	a_text(&pq_next(q, &k, S_LOCKS, PGRES_TUPLES_OK)->a, lit);
	n = 0;
	for (struct ledger_job *j = first; j != end; j = j->next, n++) {
		j->status = LEDGER_OK;
		st[n].s = &j->u.scan;
		st[n].q = k;
		st[n].qn = -1;
		scan_reads_add(st[n].s, q, &k);
		st[n].qb = -1;
		if (!batch_known(l, st[n].s->key_id, st[n].s->serial, &st[n].batch)) {
			st[n].qb = k;
			batch_of_add(st[n].s->key_id, st[n].s->serial, q, &k);
		}
	}
	if (xpipe(l, q, k, NULL) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		PGresult *r[3];
		for (int c = 0; c < 3; c++) {
			r[c] = q[st[i].q + c].res;
			q[st[i].q + c].res = NULL;
		}
		if (scan_reads_take(l, &st[i], r) != 0)
			goto out;
		if (st[i].qb >= 0)
			batch_learn(l, st[i].s->key_id, st[i].s->serial, q[st[i].qb].res,
				    &st[i].batch);
		alerted += st[i].alerted;
	}
	if (alerted > 0) {
		for (int i = 0; i < k; i++) {
			PQclear(q[i].res);
			q[i].res = NULL;
		}
		k = 0;
		for (size_t i = 0; i < n; i++)
			if (st[i].alerted) {
				st[i].qn = k;
				net_rows_add(st[i].s, q, &k);
			}
		if (xpipe(l, q, k, NULL) != 0)
			goto out;
		for (size_t i = 0; i < n; i++) {
			if (st[i].qn < 0)
				continue;
			PGresult *res = q[st[i].qn].res;
			q[st[i].qn].res = NULL;
			if (rows_of(l, S_NET_ROWS, res, &st[i].rows, &st[i].n, &st[i].scans,
				    &st[i].first, &st[i].last) != 0)
				goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (scan_decide(l, &st[i]) != 0 || scan_after(l, &st[i]) != 0)
			goto out;

	nw = 2 * n + rollups_n(l) + 1;
	if ((w = calloc(nw, sizeof *w)) == NULL) {
		fail(l, NULL, "cannot run a group of scans: out of memory");
		goto out;
	}
	k = 0;
	for (size_t i = 0; i < n; i++)
		scan_writes_add(&st[i], w, &k);
	rollups_add(l, w, &k);
	pq_next(w, &k, -1, PGRES_COMMAND_OK)->q = "COMMIT";
	l->commit_sent = 1;
	if (xpipe(l, w, k, &failed) != 0) {
		if (failed < k - 1)
			l->commit_sent = 0; /* the server skipped COMMIT after the failure */
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; q != NULL && i < (int)(2 + 4 * n); i++)
		PQclear(q[i].res);
	for (size_t i = 0; st != NULL && i < n; i++)
		free(st[i].rows);
	free(st);
	free(q);
	free(w);
	free(lit);
	return rc;
}

/* Runs the jobs first up to end in one transaction (locks, jobs, roll-ups, COMMIT). 0 when
 * committed; -1 with the failure kept and the transaction rolled back or the connection gone
 * (l->commit_sent says whether COMMIT had been sent: then the outcome is not known). */
static int run_txn(struct pg_ledger *l, struct ledger_job *first, struct ledger_job *end)
{
	int rc;

	l->commit_sent = 0;
	rollup_clear(&l->rollups);
	if (writer_conn(l) != 0)
		return -1;
	if (scans_apart(first, end)) {
		if (run_scans(l, first, end) == 0)
			return 0;
		goto fail;
	}
	rc = simple(l, "BEGIN");
	if (rc == 0)
		rc = take_locks(l, first, end);
	for (struct ledger_job *job = first; rc == 0 && job != end; job = job->next)
		rc = run_job(l, job);
	if (rc == 0)
		rc = flush_rollups(l);
	if (rc == 0) {
		l->commit_sent = 1;
		rc = simple(l, "COMMIT");
	}
	if (rc == 0)
		return 0;
fail:
	memset(l->seen, 0, sizeof l->seen);
	if (PQstatus(l->w) == CONNECTION_OK && PQtransactionStatus(l->w) != PQTRANS_IDLE) {
		PGresult *res = PQexec(l->w, "ROLLBACK");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			log_msg(LOG_LV_ERROR, "%s: cannot roll back a failed transaction: %s",
				l->name, PQerrorMessage(l->w));
		PQclear(res);
	}
	return -1;
}

/* Whether the failed attempt may simply be run again: nothing of it was committed (COMMIT not
 * sent) and it failed for a passing cause: a deadlock or serialization failure between
 * servers, or a connection lost (a server restart) that writer_conn can make again. */
static int retryable(struct pg_ledger *l)
{
	if (l->commit_sent)
		return 0;
	if (strcmp(l->sqlstate, "40P01") == 0 || strcmp(l->sqlstate, "40001") == 0)
		return 1;
	if (l->w != NULL && PQstatus(l->w) != CONNECTION_OK) {
		l->next_try = 0; /* try at once: the server may be back already */
		return 1;
	}
	return 0;
}

/* Runs the jobs first up to end as one transaction, again after a passing failure (at most
 * PG_RETRIES times). 0 when committed, else -1 (the failure kept for be_describe). */
static int run_group(struct pg_ledger *l, struct ledger_job *first, struct ledger_job *end)
{
	for (int attempt = 0;; attempt++) {
		if (run_txn(l, first, end) == 0)
			return 0;
		if (attempt >= PG_RETRIES || !retryable(l))
			return -1;
	}
}

/* --- open, readers, close ----------------------------------------------------------------- */

/* l->name: the database and host conninfo names, never its password. */
static void name_db(struct pg_ledger *l, const char *conninfo)
{
	pg_ledger_name_of(conninfo, l->name, sizeof l->name);
}

/* The reader connection, made again when lost. 0, or -1 with err set. Call with rmu held. */
static int reader_conn(struct pg_ledger *l, struct tem_err *err)
{
	if (l->r != NULL && PQstatus(l->r) == CONNECTION_OK)
		return 0;
	if (l->r != NULL)
		PQreset(l->r);
	if (l->r != NULL && PQstatus(l->r) == CONNECTION_OK) {
		PGresult *res = PQexec(l->r, "SET statement_timeout = '" PG_STATEMENT_TIMEOUT "'");
		PQclear(res);
		return 0;
	}
	PQfinish(l->r);
	return (l->r = connect_db(l, err)) != NULL ? 0 : -1;
}

static void be_close(void *db);

/* The backend table's open (server/ledger.c's writer runs the groups): connects to the
 * database conninfo names (libpq's URI or keyword string), migrates its schema forward (under a
 * lock, so two temd starting at once migrate it once), prepares the writer's statements and
 * opens the readers' connection. TEM_OK with *out set and *scans the counted scans in it, or
 * TEM_ERR with err naming the database (never its password) and the cause: no server, refused
 * credentials, a schema newer than this temd understands. */
static int open_db(const char *conninfo, struct pg_ledger **out, int64_t *scans,
		   struct tem_err *err)
{
	struct pg_ledger *l = calloc(1, sizeof *l);
	PGresult *res;

	*out = NULL;
	if (l == NULL || (l->conninfo = strdup(conninfo)) == NULL) {
		free(l);
		return err_set(err, "out of memory");
	}
	if (sodium_init() < 0) {
		free(l->conninfo);
		free(l);
		return err_set(err, "cannot initialise libsodium");
	}
	pthread_mutex_init(&l->rmu, NULL);
	l->backoff = PG_BACKOFF_MIN;
	name_db(l, conninfo);
	if ((l->w = connect_db(l, err)) == NULL || migrate(l, l->w, err) != TEM_OK ||
	    prepare_writer(l, l->w, err) != TEM_OK || (l->r = connect_db(l, err)) == NULL)
		goto fail;
	res = PQexec(l->r, "SELECT coalesce(sum(scans), 0)::int8 FROM day_stats");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		char msg[512];
		err_set(err, "%s: cannot count the scans: %s", l->name,
			pg_conn_msg(l->r, msg, sizeof msg));
		PQclear(res);
		goto fail;
	}
	*scans = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	log_msg(LOG_LV_INFO, "%s: ledger open", l->name);
	*out = l;
	return TEM_OK;
fail:
	be_close(l);
	return TEM_ERR;
}

/* Runs the text q with parameters (text) on the reader, binary results, once more on a new
 * connection when the old one was found lost. The result, or NULL with err set (what: what was being read). Call with rmu held. */
static PGresult *rq(struct pg_ledger *l, const char *q, int n, const char *const *v,
		    const char *what, struct tem_err *err)
{
	char msg[512];
	PGresult *res;

	if (reader_conn(l, err) != 0)
		return NULL;
	res = PQexecParams(l->r, q, n, NULL, v, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQstatus(l->r) != CONNECTION_OK) {
		/* the connection was lost (a server restart): once more on a new one */
		PQclear(res);
		if (reader_conn(l, err) != 0)
			return NULL;
		res = PQexecParams(l->r, q, n, NULL, v, NULL, NULL, 1);
	}
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	err_set(err, "%s: cannot read %s: %s", l->name, what, pg_conn_msg(l->r, msg, sizeof msg));
	PQclear(res);
	return NULL;
}

/* The backend table's each_batch (ledger_each_batch, ledger_each_batch_after) on the reader
 * connection. */
static int be_each_batch(void *db, int64_t after,
			 int (*fn)(void *arg, const struct ledger_batch_row *b,
				   struct tem_err *err),
			 void *arg, struct tem_err *err)
{
	struct pg_ledger *l = db;
	static const char q[] =
	    "SELECT key_id, first_serial, last_serial, registered, id, batch_id, product, "
	    "producer, url, issued, last_day, header, (claim_key IS NOT NULL)::int4 FROM batches "
	    "ORDER BY key_id, first_serial";
	/* the same columns, of the rows above $1, in row order (a scan of the small batches table) */
	static const char qa[] =
	    "SELECT key_id, first_serial, last_serial, registered, id, batch_id, product, "
	    "producer, url, issued, last_day, header, (claim_key IS NOT NULL)::int4 FROM batches "
	    "WHERE id > $1::int8 ORDER BY id";
	char num[24];
	const char *v[1] = {num};
	PGresult *res;
	int ret = TEM_OK;

	snprintf(num, sizeof num, "%lld", (long long)after);
	pthread_mutex_lock(&l->rmu);
	if ((res = rq(l, after < 0 ? q : qa, after < 0 ? 0 : 1, after < 0 ? NULL : v, "the batches",
		      err)) == NULL) {
		ret = TEM_ERR;
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		struct ledger_batch_row b = {
		    .key_id = col_text(res, i, 0),
		    .first = (uint64_t)pgq_i64(res, i, 1),
		    .last = (uint64_t)pgq_i64(res, i, 2),
		    .registered_ms = pgq_i64(res, i, 3),
		    .row = pgq_i64(res, i, 4),
		    .batch_id = col_text(res, i, 5),
		    .product = col_text(res, i, 6),
		    .producer = col_text(res, i, 7),
		    .url = col_text(res, i, 8),
		    .issued = pgq_i64(res, i, 9),
		    .last_day = (int32_t)pgq_i64(res, i, 10),
		    .header = col_text(res, i, 11),
		    .has_pins = (int)pgq_i64(res, i, 12),
		};
		if (fn(arg, &b, err) != TEM_OK) {
			ret = TEM_ERR;
			break;
		}
	}
	PQclear(res);
out:
	pthread_mutex_unlock(&l->rmu);
	return ret;
}

/* ledger_claim_info on the reader connection (a failed read is never taken for "no batch"). */
static int be_claim_info(void *db, const char *key_id, uint64_t serial,
			 struct ledger_claim_info *out, struct tem_err *err)
{
	struct pg_ledger *l = db;
	static const char q[] = "SELECT first_serial, claim_key FROM batches WHERE key_id = $1 "
				"AND first_serial <= $2::int8 AND last_serial >= $2::int8 LIMIT 1";
	char num[24];
	const char *v[2] = {key_id, num};
	PGresult *res;
	int ret = TEM_ERR;

	memset(out, 0, sizeof *out);
	snprintf(num, sizeof num, "%lld", (long long)serial);
	pthread_mutex_lock(&l->rmu);
	if ((res = rq(l, q, 2, v, "a claim", err)) == NULL)
		goto out;
	if (PQntuples(res) > 0) {
		out->in_batch = 1;
		out->first = (uint64_t)pgq_i64(res, 0, 0);
		if (!PQgetisnull(res, 0, 1)) {
			int n = PQgetlength(res, 0, 1);
			if (n <= 0 || (size_t)n > sizeof out->sealed) {
				err_set(err,
					"%s: a sealed claim key of %d bytes: the ledger is damaged",
					l->name, n);
				PQclear(res);
				goto out;
			}
			memcpy(out->sealed, PQgetvalue(res, 0, 1), (size_t)n);
			out->sealed_len = (size_t)n;
			out->has_pins = 1;
		}
	}
	PQclear(res);
	ret = TEM_OK;
out:
	pthread_mutex_unlock(&l->rmu);
	return ret;
}

/* ledger_trust_sequence on the reader connection: *seq the highest accepted, 0 when none. */
static int be_trust_sequence(void *db, uint64_t *seq, struct tem_err *err)
{
	struct pg_ledger *l = db;
	PGresult *res;
	int ret = TEM_ERR;

	*seq = 0;
	pthread_mutex_lock(&l->rmu);
	res = rq(l, "SELECT value FROM meta WHERE name = 'trust-sequence'", 0, NULL,
		 "the trust list's sequence number", err);
	if (res != NULL) {
		if (PQntuples(res) > 0 && pgq_i64(res, 0, 0) < 0)
			err_set(
			    err,
			    "%s: the trust list's sequence number in table meta is negative: the "
			    "ledger is damaged",
			    l->name);
		else {
			*seq = PQntuples(res) > 0 ? (uint64_t)pgq_i64(res, 0, 0) : 0;
			ret = TEM_OK;
		}
		PQclear(res);
	}
	pthread_mutex_unlock(&l->rmu);
	return ret;
}

/* The database's bytes (pg_database_size; 0 when it cannot be read). */
static int64_t be_bytes(void *db)
{
	struct pg_ledger *l = db;
	struct tem_err err;
	PGresult *res;
	int64_t bytes = 0;

	pthread_mutex_lock(&l->rmu);
	res = rq(l, "SELECT pg_database_size(current_database())::int8", 0, NULL,
		 "the database's size", &err);
	if (res != NULL && PQntuples(res) == 1)
		bytes = pgq_i64(res, 0, 0);
	PQclear(res);
	pthread_mutex_unlock(&l->rmu);
	return bytes;
}

/* Closes the connections (the shared writer has stopped). NULL: nothing. */
static void be_close(void *db)
{
	struct pg_ledger *l = db;

	if (l == NULL)
		return;
	PQfinish(l->w);
	PQfinish(l->r);
	pthread_mutex_destroy(&l->rmu);
	rollup_free(&l->rollups);
	free(l->conninfo);
	free(l);
}

/* --- the backend table (server/ledger_backend.h) ------------------------------------------ */

static int be_open(const char *where, int flags, void **db, int64_t *scans, struct tem_err *err)
{
	struct pg_ledger *l;

	(void)flags; /* LEDGER_INIT is a file's: a database is made by its operators */
	*db = NULL;
	if (open_db(where, &l, scans, err) != TEM_OK)
		return TEM_ERR;
	*db = l;
	return TEM_OK;
}

/* The shared writer's group: locks, jobs, roll-ups and COMMIT in one transaction, run again
 * after a deadlock or a lost connection (run_group). 0 committed; 1 failed and rolled back
 * with the connection standing (each job may be run alone); -1 failed as a whole: no
 * connection, or COMMIT was sent and its outcome is unknown (running the jobs again could
 * count them twice). */
static int be_run_group(void *db, struct ledger_job *first, struct ledger_job *end)
{
	struct pg_ledger *l = db;

	if (run_group(l, first, end) == 0)
		return 0;
	return l->w != NULL && PQstatus(l->w) == CONNECTION_OK && !l->commit_sent ? 1 : -1;
}

static void be_rollback(void *db)
{
	(void)db; /* run_txn has rolled back, or the connection is gone */
}

static void be_describe(void *db, int rc, char *buf, size_t cap)
{
	struct pg_ledger *l = db;

	(void)rc;
	snprintf(buf, cap, "%s%s%s%s", l->why, l->sqlstate[0] ? " (SQLSTATE " : "", l->sqlstate,
		 l->sqlstate[0] ? ")" : "");
}

/* Once a second at most: the writer's connection checked (a round trip) and made again when
 * lost, so be_down tells whether the server is away even while no scan comes. */
static int be_idle(void *db)
{
	struct pg_ledger *l = db;
	double now = date_mono_seconds();

	if (now - l->pinged < 1.0)
		return 1;
	l->pinged = now;
	if (l->w != NULL && PQstatus(l->w) == CONNECTION_OK) {
		PGresult *res = PQexec(l->w, "SELECT 1");
		PQclear(res);
	}
	writer_conn(l); /* notes a lost connection; connects again at its backoff */
	return 1;
}

static int be_down(void *db)
{
	struct pg_ledger *l = db;

	return atomic_load(&l->down);
}

/* A PostgreSQL ledger never held the old client salt: 0, out untouched. */
static int be_salt(void *db, unsigned char out[LEDGER_SALT_BYTES])
{
	(void)db;
	(void)out;
	return 0;
}

static void be_forgot_salt(void *db)
{
	(void)db;
}

/* The regulator reads (lq_*) and the tokens (tokens_*) are server/ledger_pg_query.c's and
 * server/ledger_pg_tokens.c's: NULL until they are in the table, which server/ledger.c
 * answers with an error naming what a PostgreSQL ledger does not serve yet. */
static const struct ledger_backend pg_backend = {
    .name = "PostgreSQL",
    .open = be_open,
    .close = be_close,
    .run_group = be_run_group,
    .rollback = be_rollback,
    .describe = be_describe,
    .idle = be_idle,
    .down = be_down,
    .salt = be_salt,
    .forgot_salt = be_forgot_salt,
    .each_batch = be_each_batch,
    .claim_info = be_claim_info,
    .trust_sequence = be_trust_sequence,
    .bytes = be_bytes,
    .lq_open = pg_lq_open,
    .lq_close = pg_lq_close,
    .lq_batches = pg_lq_batches,
    .lq_code = pg_lq_code,
    .lq_code_scans = pg_lq_code_scans,
    .lq_scans = pg_lq_scans,
    .lq_alerts = pg_lq_alerts,
    .lq_alert = pg_lq_alert,
    .lq_alert_changes = pg_lq_alert_changes,
    .lq_code_alerts = pg_lq_code_alerts,
    .lq_stats = pg_lq_stats,
    .lq_producers = pg_lq_producers,
    .tokens_open = pg_tokens_open,
    .tokens_close = pg_tokens_close,
    .tokens_find = pg_tokens_find,
    .tokens_add = pg_tokens_add,
    .tokens_revoke = pg_tokens_revoke,
    .tokens_each = pg_tokens_each,
};

const struct ledger_backend *ledger_pg_backend(void)
{
	return &pg_backend;
}
