/* ledger_sqlite.c — the SQLite engine of the ledger (server/ledger_backend.h): schema and
 * migrations, what each writer job runs inside the shared writer's transaction, and the reads
 * temd needs. Every statement is prepared once, with bound parameters. */
#include "server/ledger_backend.h"
#include "server/ledger_clients.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keys/date.h"
#include "server/alert.h"
#include "server/alert_rules.h"
#include "server/codemap.h"
#include "server/ledger_rollup.h"
#include "server/ledger_sqlite_backup.h"
#include "server/ledger_sqlite_query.h"
#include "server/ledger_sqlite_tokens.h"
#include "server/log.h"

/* Schema migrations, in order: migration i takes user_version i to i + 1. Never edit one that
 * has shipped; append a new one. */
static const char *const migrations[] = {
    /* 1: the first ledger */
    "CREATE TABLE meta(\n"
    "  name TEXT PRIMARY KEY,\n"
    "  value BLOB NOT NULL\n"
    ") WITHOUT ROWID;\n"
    /* producers as the trust list last said */
    "CREATE TABLE producers(\n"
    "  key_id TEXT PRIMARY KEY,       -- 16 hex digits\n"
    "  public_key TEXT NOT NULL,      -- minisign base64 line\n"
    "  name TEXT NOT NULL,\n"
    "  valid_from INTEGER NOT NULL,   -- day since 1970-01-01\n"
    "  revoked INTEGER,               -- day, NULL when active\n"
    "  updated INTEGER NOT NULL       -- Unix ms\n"
    ") WITHOUT ROWID;\n"
    /* registered batches: the producer-signed header and what it says */
    "CREATE TABLE batches(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  key_id TEXT NOT NULL,\n"
    "  first_serial INTEGER NOT NULL,\n"
    "  last_serial INTEGER NOT NULL,\n"
    "  batch_id TEXT NOT NULL,\n"
    "  product TEXT NOT NULL,\n"
    "  producer TEXT NOT NULL,\n"
    "  url TEXT NOT NULL,\n"
    "  issued INTEGER NOT NULL,       -- Unix s\n"
    "  last_day INTEGER NOT NULL,     -- day, 0 = none\n"
    "  header TEXT NOT NULL,\n"
    "  registered INTEGER NOT NULL    -- Unix ms\n"
    ");\n"
    "CREATE INDEX batches_by_key ON batches(key_id, first_serial);\n"
    /* counted scans, appended by rowid; now each client's first scan of a code only (a
     * repeat is counted in its code_scans row and in day_stats: run_scan) */
    "CREATE TABLE scans(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  key_id TEXT NOT NULL,\n"
    "  serial INTEGER NOT NULL,\n"
    "  at INTEGER NOT NULL,           -- Unix ms\n"
    "  client BLOB NOT NULL,          -- salted hash, never an address\n"
    "  verdict TEXT NOT NULL\n"
    ");\n"
    /* per-code summary */
    "CREATE TABLE codes(\n"
    "  key_id TEXT NOT NULL,\n"
    "  serial INTEGER NOT NULL,\n"
    "  scans INTEGER NOT NULL,\n"
    "  clients INTEGER NOT NULL,\n"
    "  first_scan INTEGER NOT NULL,   -- Unix ms\n"
    "  last_scan INTEGER NOT NULL,\n"
    "  PRIMARY KEY(key_id, serial)\n"
    ") WITHOUT ROWID;\n"
    /* which clients scanned which code */
    "CREATE TABLE code_clients(\n"
    "  key_id TEXT NOT NULL,\n"
    "  serial INTEGER NOT NULL,\n"
    "  client BLOB NOT NULL,\n"
    "  PRIMARY KEY(key_id, serial, client)\n"
    ") WITHOUT ROWID;\n"
    /* codes that reached `duplicate`: one row a code, kept current */
    "CREATE TABLE alerts(\n"
    "  key_id TEXT NOT NULL,\n"
    "  serial INTEGER NOT NULL,\n"
    "  scans INTEGER NOT NULL,\n"
    "  clients INTEGER NOT NULL,\n"
    "  first_scan INTEGER NOT NULL,\n"
    "  last_scan INTEGER NOT NULL,\n"
    "  raised INTEGER NOT NULL,       -- Unix ms of the first duplicate\n"
    "  PRIMARY KEY(key_id, serial)\n"
    ") WITHOUT ROWID;\n"
    /* regulators' API tokens, hashed */
    "CREATE TABLE tokens(\n"
    "  hash BLOB PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  created INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n",
    /* 2: one row per code and client instead of `codes` plus `code_clients`. Buyers scan
     * codes in no order, so each of those keyed tables cost a page written at random per
     * scan; now one does. `codes` stays as a view of the same columns; alert rows are made
     * exact, and from now on every counted scan of an alerted code keeps its row current. */
    "CREATE TABLE code_scans(\n"
    "  key_id TEXT NOT NULL,\n"
    "  serial INTEGER NOT NULL,\n"
    "  client BLOB NOT NULL,          -- salted hash, never an address\n"
    "  scans INTEGER NOT NULL,        -- this client's scans of the code\n"
    "  first_scan INTEGER NOT NULL,   -- Unix ms\n"
    "  last_scan INTEGER NOT NULL,\n"
    "  PRIMARY KEY(key_id, serial, client)\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO code_scans(key_id, serial, client, scans, first_scan, last_scan)\n"
    "  SELECT key_id, serial, client, count(*), min(at), max(at) FROM scans\n"
    "  GROUP BY key_id, serial, client;\n"
    "DROP TABLE code_clients;\n"
    "DROP TABLE codes;\n"
    "CREATE VIEW codes(key_id, serial, scans, clients, first_scan, last_scan) AS\n"
    "  SELECT key_id, serial, sum(scans), count(*), min(first_scan), max(last_scan)\n"
    "  FROM code_scans GROUP BY key_id, serial;\n"
    "UPDATE alerts SET (scans, clients, first_scan, last_scan) =\n"
    "  (SELECT sum(scans), count(*), min(first_scan), max(last_scan) FROM code_scans c\n"
    "   WHERE c.key_id = alerts.key_id AND c.serial = alerts.serial);\n",
    /* 3: claims at sale (docs/security.md, "Claim PINs"). A batch's claim key is kept sealed
     * with LEDGER.secret (server/secrets.h), never in clear; NULL for a batch without PINs.
     * One claim row per claimed code; wrong PINs counted per code and day and per client
     * network and hour, for the rate limits. */
    "ALTER TABLE batches ADD COLUMN claim_key BLOB;  -- sealed claim key, NULL = no PINs\n"
    "CREATE TABLE claims(\n"
    "  key_id TEXT NOT NULL,\n"
    "  serial INTEGER NOT NULL,\n"
    "  at INTEGER NOT NULL,           -- Unix ms\n"
    "  client BLOB NOT NULL,          -- salted client hash of the claimer\n"
    "  PRIMARY KEY(key_id, serial)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE claim_fails_code(\n"
    "  key_id TEXT NOT NULL,\n"
    "  serial INTEGER NOT NULL,\n"
    "  day INTEGER NOT NULL,          -- Unix day (UTC) of the wrong PINs\n"
    "  fails INTEGER NOT NULL,\n"
    "  PRIMARY KEY(key_id, serial, day)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE claim_fails_net(\n"
    "  net BLOB NOT NULL,             -- salted hash of the client network, never an address\n"
    "  hour INTEGER NOT NULL,         -- Unix hour of the wrong PINs\n"
    "  fails INTEGER NOT NULL,\n"
    "  PRIMARY KEY(net, hour)\n"
    ") WITHOUT ROWID;\n",
    /* 4 (copy detection, docs/verdicts.md): a client is now a network prefix, and each row of
     * code_scans is a (network, cookie id) pair, the cookie id x'' when the scan brought no
     * valid server-issued cookie. Old rows keep their client hashes (prefix and User-Agent)
     * with no cookie: they can only count too many clients for codes scanned before, never
     * too few. `codes` counts networks, before cookie links; the exact count of a code is in
     * each scan's answer and its alert row. */
    "CREATE TABLE code_scans_v4(\n"
    "  key_id TEXT NOT NULL,\n"
    "  serial INTEGER NOT NULL,\n"
    "  client BLOB NOT NULL,          -- keyed hash of the network prefix, never an address\n"
    "  cookie BLOB NOT NULL,          -- tem_client cookie id, x'' when none\n"
    "  scans INTEGER NOT NULL,        -- scans of the code from this network and cookie\n"
    "  first_scan INTEGER NOT NULL,   -- Unix ms\n"
    "  last_scan INTEGER NOT NULL,\n"
    "  PRIMARY KEY(key_id, serial, client, cookie)\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO code_scans_v4(key_id, serial, client, cookie, scans, first_scan, last_scan)\n"
    "  SELECT key_id, serial, client, x'', scans, first_scan, last_scan FROM code_scans;\n"
    "DROP VIEW codes;\n"
    "DROP TABLE code_scans;\n"
    "ALTER TABLE code_scans_v4 RENAME TO code_scans;\n"
    "CREATE VIEW codes(key_id, serial, scans, clients, first_scan, last_scan) AS\n"
    "  SELECT key_id, serial, sum(scans), count(DISTINCT client), min(first_scan),\n"
    "  max(last_scan) FROM code_scans GROUP BY key_id, serial;\n",
    /* 5: a claimer is a client as copy detection counts one, its network linked to its other
     * networks by its cookie: the claim keeps the claimer's cookie id (x'' or NULL: none), so
     * a buyer who claimed on Wi-Fi and scans again on 4G sees the claim as theirs. */
    "ALTER TABLE claims ADD COLUMN cookie BLOB;  -- the claimer's tem_client cookie id\n",
    /* 6: what regulators and producers read (docs/api.md). Alerts become typed
     * (server/alert.h), one row per code and type (a key's for invalid-burst, serial 0), with
     * the workflow's status and every change kept in alert_changes; the old per-code
     * duplicate rows keep their task (an alerted code's exact counts) as code_alerts. The
     * writer keeps day_stats (per Vietnam calendar day, key and batch) and batch_stats in the
     * transaction of each scan and claim, so statistics never scan the scans. Tokens gain a
     * producer scope, an expiry and a revocation. Old scans, claims and duplicate alerts are
     * counted in once, here. */
    "ALTER TABLE alerts RENAME TO code_alerts;\n"
    "CREATE TABLE alerts(\n"
    "  id INTEGER PRIMARY KEY,        -- the API's alert id, in order of raising\n"
    "  type TEXT NOT NULL,            -- server/alert.h: duplicate, sold-then-scanned, ...\n"
    "  key_id TEXT NOT NULL,          -- the producer key the codes name\n"
    "  serial INTEGER NOT NULL,       -- the code; 0 for an alert on the key (invalid-burst)\n"
    "  events INTEGER NOT NULL,       -- scans, forged codes or wrong PINs counted\n"
    "  clients INTEGER NOT NULL,      -- distinct networks, where the type counts them; else 0\n"
    "  first_at INTEGER NOT NULL,     -- Unix ms of the first event\n"
    "  last_at INTEGER NOT NULL,      -- Unix ms of the latest\n"
    "  status TEXT NOT NULL,          -- open, investigating, closed\n"
    "  reason TEXT,                   -- when closed: server/alert.h's reasons\n"
    "  note TEXT,\n"
    "  updated_by TEXT,               -- token name of the last change, NULL: none yet\n"
    "  updated_at INTEGER             -- Unix ms of it\n"
    ");\n"
    "CREATE UNIQUE INDEX alerts_by_code ON alerts(key_id, serial, type);\n"
    "CREATE INDEX alerts_by_last ON alerts(last_at);\n"
    "CREATE TABLE alert_changes(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  alert INTEGER NOT NULL,        -- alerts.id\n"
    "  at INTEGER NOT NULL,           -- Unix ms\n"
    "  by TEXT NOT NULL,              -- the token's name\n"
    "  status TEXT NOT NULL,\n"
    "  reason TEXT,\n"
    "  note TEXT\n"
    ");\n"
    "CREATE INDEX alert_changes_by_alert ON alert_changes(alert, id);\n"
    "INSERT INTO alerts(type, key_id, serial, events, clients, first_at, last_at, status)\n"
    "  SELECT 'duplicate', key_id, serial, scans, clients, first_scan, last_scan, 'open'\n"
    "  FROM code_alerts ORDER BY raised;\n"
    "CREATE TABLE day_stats(\n"
    "  day INTEGER NOT NULL,          -- Vietnam calendar day (UTC+7), days since 1970-01-01\n"
    "  key_id TEXT NOT NULL,\n"
    "  batch INTEGER NOT NULL,        -- batches.id; 0: codes in no registered batch\n"
    "  scans INTEGER NOT NULL,        -- counted scans\n"
    "  codes INTEGER NOT NULL,        -- distinct codes scanned that day\n"
    "  genuine INTEGER NOT NULL,      -- counted scans by final verdict\n"
    "  seen INTEGER NOT NULL,\n"
    "  duplicate INTEGER NOT NULL,\n"
    "  sold INTEGER NOT NULL,\n"
    "  unregistered INTEGER NOT NULL,\n"
    "  expired INTEGER NOT NULL,\n"
    "  revoked INTEGER NOT NULL,\n"
    "  claims INTEGER NOT NULL,       -- codes claimed that day\n"
    "  PRIMARY KEY(day, key_id, batch)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE batch_stats(\n"
    "  batch INTEGER PRIMARY KEY,     -- batches.id\n"
    "  scans INTEGER NOT NULL,        -- counted scans of its codes\n"
    "  codes INTEGER NOT NULL,        -- distinct codes scanned\n"
    "  claimed INTEGER NOT NULL,      -- codes claimed\n"
    "  alerted INTEGER NOT NULL       -- codes with at least one alert\n"
    ");\n"
    "CREATE TEMP TABLE scan_batch AS\n"
    "  SELECT s.id AS scan, coalesce((SELECT b.id FROM batches b WHERE b.key_id = s.key_id\n"
    "    AND b.first_serial <= s.serial AND b.last_serial >= s.serial), 0) AS batch\n"
    "  FROM scans s;\n"
    "INSERT INTO day_stats SELECT (s.at + 25200000) / 86400000, s.key_id, sb.batch, count(*),\n"
    "  count(DISTINCT s.serial), sum(s.verdict = 'genuine'), sum(s.verdict = 'seen'),\n"
    "  sum(s.verdict = 'duplicate'), sum(s.verdict = 'sold'), sum(s.verdict = 'unregistered'),\n"
    "  sum(s.verdict = 'expired'), sum(s.verdict = 'revoked'), 0\n"
    "  FROM scans s JOIN scan_batch sb ON sb.scan = s.id GROUP BY 1, 2, 3;\n"
    "INSERT INTO day_stats(day, key_id, batch, scans, codes, genuine, seen, duplicate, sold,\n"
    "  unregistered, expired, revoked, claims)\n"
    "  SELECT (c.at + 25200000) / 86400000, c.key_id, coalesce((SELECT b.id FROM batches b\n"
    "    WHERE b.key_id = c.key_id AND b.first_serial <= c.serial\n"
    "    AND b.last_serial >= c.serial), 0), 0, 0, 0, 0, 0, 0, 0, 0, 0, count(*)\n"
    "  FROM claims c WHERE true GROUP BY 1, 2, 3\n"
    "  ON CONFLICT(day, key_id, batch) DO UPDATE SET claims = excluded.claims;\n"
    "INSERT INTO batch_stats SELECT b.id,\n"
    "  (SELECT count(*) FROM scans s WHERE s.key_id = b.key_id\n"
    "    AND s.serial BETWEEN b.first_serial AND b.last_serial),\n"
    "  (SELECT count(DISTINCT s.serial) FROM scans s WHERE s.key_id = b.key_id\n"
    "    AND s.serial BETWEEN b.first_serial AND b.last_serial),\n"
    "  (SELECT count(*) FROM claims c WHERE c.key_id = b.key_id\n"
    "    AND c.serial BETWEEN b.first_serial AND b.last_serial),\n"
    "  (SELECT count(DISTINCT a.serial) FROM alerts a WHERE a.key_id = b.key_id\n"
    "    AND a.serial BETWEEN b.first_serial AND b.last_serial)\n"
    "  FROM batches b;\n"
    "DROP TABLE scan_batch;\n"
    "ALTER TABLE tokens ADD COLUMN producer TEXT;  -- key id it is limited to, NULL: every\n"
    "ALTER TABLE tokens ADD COLUMN expires INTEGER;  -- Unix ms, NULL: never\n"
    "ALTER TABLE tokens ADD COLUMN revoked INTEGER;  -- Unix ms, NULL: in force\n"
    "CREATE UNIQUE INDEX tokens_by_name ON tokens(name) WHERE revoked IS NULL;\n",
    /* 7: what the regulator reads rest on (server/ledger_query.c). One code's history is its
     * code_scans rows, one range read of the primary key (an index on scans would cost every
     * client's first scan of a code a page written at random): each row keeps the scans row
     * id and verdict of its first scan, written when the writer makes the row, and filled in
     * here for older rows from the scans row of the same network and first scan time. Then
     * alerts by status (the open queue) and by key and status (a producer's open alerts), the
     * roll-ups of one key (its scans of codes in no batch, one producer's statistics). */
    "ALTER TABLE code_scans ADD COLUMN scan INTEGER;  -- scans.id of the row's first scan\n"
    "ALTER TABLE code_scans ADD COLUMN verdict TEXT;  -- the verdict that scan was given\n"
    "UPDATE code_scans SET scan = s.id, verdict = s.verdict FROM scans s\n"
    "  WHERE s.key_id = code_scans.key_id AND s.serial = code_scans.serial\n"
    "  AND s.client = code_scans.client AND s.at = code_scans.first_scan;\n"
    "CREATE INDEX alerts_by_status ON alerts(status, id);\n"
    "CREATE INDEX alerts_by_key_status ON alerts(key_id, status);\n"
    "CREATE INDEX day_stats_by_key ON day_stats(key_id, batch, day);\n",
    /* 8: the ledger is written only where it grows. code_scans, keyed by code, cost every new
     * code's first scan a page written at random (about 10 KB a scan with the WAL and its
     * checkpoint, buyers scanning codes in no order). Its rows move into their first scan's
     * scans row, which is appended anyway: the client's cookie id, its count of the code, its
     * latest scan, and the id of the code's previous client row (prev), so a code's rows are a
     * chain from its newest, which temd's index in memory names (server/codemap.h, rebuilt from
     * these rows at every open). A repeat updates its row in place. code_scans stays as a view
     * of the same columns. Rows of scans from before repeats were counted in place (times 0)
     * are history only; a code_scans row whose first scan no scans row matched gets one. */
    "ALTER TABLE scans ADD COLUMN cookie BLOB;       -- the row's cookie id, x'': none\n"
    "ALTER TABLE scans ADD COLUMN times INTEGER NOT NULL DEFAULT 0; -- the client's scans of "
    "the code; 0: a scan counted in another row\n"
    "ALTER TABLE scans ADD COLUMN last_at INTEGER;   -- the client's latest scan, Unix ms\n"
    "ALTER TABLE scans ADD COLUMN prev INTEGER;      -- the code's previous client row\n"
    "CREATE TEMP TABLE firsts(scan INTEGER PRIMARY KEY, cookie BLOB);\n"
    "INSERT INTO firsts SELECT scan, min(cookie) FROM code_scans\n"
    "  WHERE scan IN (SELECT id FROM scans) GROUP BY scan;\n"
    "INSERT INTO scans(key_id, serial, at, client, verdict, cookie, times, last_at)\n"
    "  SELECT c.key_id, c.serial, c.first_scan, c.client, coalesce(c.verdict, 'genuine'),\n"
    "  c.cookie, c.scans, c.last_scan FROM code_scans c\n"
    "  WHERE NOT EXISTS (SELECT 1 FROM firsts f WHERE f.scan = c.scan AND f.cookie = c.cookie)\n"
    "  ORDER BY c.first_scan;\n"
    "UPDATE scans SET cookie = c.cookie, times = c.scans, last_at = c.last_scan\n"
    "  FROM code_scans c JOIN firsts f ON f.scan = c.scan AND f.cookie = c.cookie\n"
    "  WHERE c.scan = scans.id;\n"
    "DROP TABLE firsts;\n"
    "UPDATE scans SET prev = p.prev FROM (SELECT id, lag(id) OVER (PARTITION BY key_id, serial\n"
    "  ORDER BY id) AS prev FROM scans WHERE times > 0) p\n"
    "  WHERE p.id = scans.id AND p.prev IS NOT NULL;\n"
    "DROP VIEW codes;\n"
    "DROP TABLE code_scans;\n"
    "CREATE VIEW code_scans(key_id, serial, client, cookie, scans, first_scan, last_scan, scan,\n"
    "  verdict) AS SELECT key_id, serial, client, cookie, times, at, last_at, id, verdict\n"
    "  FROM scans WHERE times > 0;\n"
    "CREATE VIEW codes(key_id, serial, scans, clients, first_scan, last_scan) AS\n"
    "  SELECT key_id, serial, sum(scans), count(DISTINCT client), min(first_scan),\n"
    "  max(last_scan) FROM code_scans GROUP BY key_id, serial;\n",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* The writer's statements, prepared once at open (SQLITE_PREPARE_PERSISTENT) on the writer's
 * connection and reused by index through stmt(). Every value is a named parameter, bound by
 * name through bind_i64/bind_text/bind_blob, which refuse a name the statement does not have. */
enum {
	S_ALERT_GET,
	S_ROW,
	S_REPEAT,
	S_SCAN,
	S_ALERT,
	S_BATCH_FIND,
	S_BATCH_ADD,
	S_PRODUCER,
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
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_COUNT
};

static const char *const sql[S_COUNT] = {
    /* A counted scan (run_scan), in order. S_ALERT_GET returns the alert row's scans, clients,
     * first and latest scan (Unix ms) when the code has one, else no row (asked only when the
     * index in memory says the code has an alert). S_ROW returns one client row of a code's
     * chain (its code, network, cookie id, count, first and latest scan, the previous row);
     * S_REPEAT counts one more scan in a row; S_SCAN appends a client's first scan of a code,
     * its row, :prev the code's newest row before it (unbound: none); S_ALERT makes or updates
     * the code's alert row with the counts given. */
    [S_ALERT_GET] = "SELECT scans, clients, first_scan, last_scan FROM code_alerts "
		    "WHERE key_id = :key AND serial = :serial",
    [S_ROW] = "SELECT key_id, serial, client, cookie, times, at, last_at, prev FROM scans "
	      "WHERE id = :id",
    [S_REPEAT] = "UPDATE scans SET times = times + 1, last_at = :at WHERE id = :id",
    [S_SCAN] = "INSERT INTO scans(key_id, serial, at, client, verdict, cookie, times, last_at, "
	       "prev) VALUES(:key, :serial, :at, :client, :verdict, :cookie, 1, :at, :prev)",
    [S_ALERT] =
	"INSERT INTO code_alerts(key_id, serial, scans, clients, first_scan, last_scan, raised) "
	"VALUES(:key, :serial, :scans, :clients, :first, :at, :at) "
	"ON CONFLICT(key_id, serial) DO UPDATE SET scans = excluded.scans, "
	"clients = excluded.clients, last_scan = excluded.last_scan",
    /* A batch registration (run_batch). S_BATCH_FIND returns the row id, signed header and
     * registration time (Unix ms) of one batch of the key whose serials meet [:first, :last],
     * or no row; S_BATCH_ADD inserts the batch, :claim its sealed claim key or unbound (NULL) (no
     * row returned; its id is the last rowid). */
    [S_BATCH_FIND] = "SELECT id, header, registered FROM batches WHERE key_id = :key "
		     "AND first_serial <= :last AND last_serial >= :first LIMIT 1",
    [S_BATCH_ADD] = "INSERT INTO batches(key_id, first_serial, last_serial, batch_id, product, "
		    "producer, url, issued, last_day, header, registered, claim_key) VALUES(:key, "
		    ":first, :last, :batch, :product, :producer, :url, :issued, :last_day, "
		    ":header, :at, :claim)",
    /* A trust list's producer (run_producers): inserted, or its row replaced; :revoked left
     * unbound (NULL) for an active key. No row returned. */
    [S_PRODUCER] = "INSERT INTO producers(key_id, public_key, name, valid_from, revoked, updated) "
		   "VALUES(:key, :pub, :name, :from, :revoked, :at) "
		   "ON CONFLICT(key_id) DO UPDATE SET public_key = excluded.public_key, "
		   "name = excluded.name, valid_from = excluded.valid_from, "
		   "revoked = excluded.revoked, updated = excluded.updated",
    /* Claims (run_claim, read_claim). S_CLAIM_GET returns the claim's time (Unix ms), the
     * claimer's network and cookie id, or no row; S_CLAIM_ADD records a claim. S_FAILS_CODE and S_FAILS_NET return the
     * wrong PINs of a code in a day and of a network in an hour, or no row (none);
     * S_FAIL_CODE and S_FAIL_NET count one more (no row returned). */
    [S_CLAIM_GET] =
	"SELECT at, client, cookie FROM claims WHERE key_id = :key AND serial = :serial",
    [S_CLAIM_ADD] = "INSERT INTO claims(key_id, serial, at, client, cookie) "
		    "VALUES(:key, :serial, :at, :client, :cookie)",
    [S_FAILS_CODE] = "SELECT fails FROM claim_fails_code "
		     "WHERE key_id = :key AND serial = :serial AND day = :day",
    [S_FAILS_NET] = "SELECT fails FROM claim_fails_net WHERE net = :net AND hour = :hour",
    [S_FAIL_CODE] = "INSERT INTO claim_fails_code(key_id, serial, day, fails) "
		    "VALUES(:key, :serial, :day, 1) "
		    "ON CONFLICT(key_id, serial, day) DO UPDATE SET fails = fails + 1",
    [S_FAIL_NET] = "INSERT INTO claim_fails_net(net, hour, fails) VALUES(:net, :hour, 1) "
		   "ON CONFLICT(net, hour) DO UPDATE SET fails = fails + 1",
    /* Roll-ups (roll_up), in the transaction of the scan or claim they count. S_BATCH_OF
     * returns the id, first and last serial of the key's batch with the highest first serial
     * at or below :serial (one seek in batches_by_key; the serial is in it when it is at most
     * the last), or no row. S_DAY_STATS adds :scans scans (by final verdict: :genuine, :seen,
     * ...), :codes codes and :claims claims to a day's row; S_BATCH_STATS adds to a batch's row
     * (no row returned). roll_up gathers a transaction's counts; roll_flush writes them just
     * before its COMMIT. */
    [S_BATCH_OF] = "SELECT id, first_serial, last_serial FROM batches WHERE key_id = :key "
		   "AND first_serial <= :serial ORDER BY first_serial DESC LIMIT 1",
    [S_DAY_STATS] =
	"INSERT INTO day_stats(day, key_id, batch, scans, codes, genuine, seen, duplicate, sold, "
	"unregistered, expired, revoked, claims) VALUES(:day, :key, :batch, :scans, :codes, "
	":genuine, :seen, :duplicate, :sold, :unregistered, :expired, :revoked, :claims) "
	"ON CONFLICT(day, key_id, batch) DO UPDATE SET "
	"scans = scans + excluded.scans, codes = codes + excluded.codes, "
	"genuine = genuine + excluded.genuine, seen = seen + excluded.seen, "
	"duplicate = duplicate + excluded.duplicate, sold = sold + excluded.sold, "
	"unregistered = unregistered + excluded.unregistered, "
	"expired = expired + excluded.expired, revoked = revoked + excluded.revoked, "
	"claims = claims + excluded.claims",
    [S_BATCH_STATS] = "INSERT INTO batch_stats(batch, scans, codes, claimed, alerted) "
		      "VALUES(:batch, :scans, :codes, :claimed, :alerted) "
		      "ON CONFLICT(batch) DO UPDATE SET scans = scans + excluded.scans, "
		      "codes = codes + excluded.codes, claimed = claimed + excluded.claimed, "
		      "alerted = alerted + excluded.alerted",
    /* Typed alerts (raise_alert, run_alert_update). S_TALERT_GET returns the id, status, reason
     * and time of the last workflow change of a code's alert of one type, or no row;
     * S_TALERT_ADD makes one, open; S_TALERT_SET counts events in one (:absolute 1: events
     * become at least :events, the code's scans; else :events are added) and reopens it when
     * :reopen is 1. S_CODE_ALERTED returns a row when the code has an alert of any type.
     * S_ALERT_ROW returns an alert's key id, or no row; S_ALERT_STEP sets its workflow
     * fields and S_ALERT_CHANGE keeps the step in alert_changes (no row returned). */
    [S_TALERT_GET] = "SELECT id, status, reason, updated_at FROM alerts "
		     "WHERE key_id = :key AND serial = :serial AND type = :type",
    [S_TALERT_ADD] = "INSERT INTO alerts(type, key_id, serial, events, clients, first_at, "
		     "last_at, status) VALUES(:type, :key, :serial, :events, :clients, :first, "
		     ":at, 'open')",
    [S_TALERT_SET] = "UPDATE alerts SET events = CASE WHEN :absolute THEN max(events, :events) "
		     "ELSE events + :events END, clients = max(clients, :clients), "
		     "first_at = min(first_at, :first), last_at = max(last_at, :at), "
		     "status = CASE WHEN :reopen THEN 'open' ELSE status END, "
		     "reason = CASE WHEN :reopen THEN NULL ELSE reason END WHERE id = :id",
    [S_CODE_ALERTED] = "SELECT 1 FROM alerts WHERE key_id = :key AND serial = :serial LIMIT 1",
    [S_ALERT_ROW] = "SELECT key_id FROM alerts WHERE id = :id",
    [S_ALERT_STEP] = "UPDATE alerts SET status = :status, reason = :reason, "
		     "note = coalesce(:note, note), updated_by = :by, updated_at = :at "
		     "WHERE id = :id",
    [S_ALERT_CHANGE] = "INSERT INTO alert_changes(alert, at, by, status, reason, note) "
		       "VALUES(:id, :at, :by, :status, :reason, :note)",
    /* The group transaction around each batch of jobs (server/ledger.c's writer, through
     * sqlite_begin, sqlite_commit and sqlite_rollback). */
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
};

/* The job kinds only the ledger makes (server/ledger_backend.h). */
#define JOB_CHECK       LEDGER_JOB_CHECK
#define JOB_FORGET_SALT LEDGER_JOB_FORGET_SALT

/* batch_of's memory of batches found: a few per key (slots chosen by a hash of the key id and
 * the serial's high bits), forgotten whenever a transaction is rolled back, as a batch it
 * found may have been one the transaction made. Batches are never changed or deleted. */
#define BATCH_CACHE 256
struct batch_seen {
	char key_id[17]; /* "" for an empty slot */
	int64_t first, last, id;
};

struct sq {
	char path[4096];
	sqlite3 *w;                /* the writer's connection */
	sqlite3_stmt *st[S_COUNT]; /* its statements */
	sqlite3 *r;                /* the readers' connection */
	pthread_mutex_t rmu;       /* guards r */
	sqlite3_stmt *claim_info;  /* on r, prepared at the first claim (ledger_claim_info) */
	unsigned char salt[LEDGER_SALT_BYTES]; /* an old ledger's client salt (has_salt 1) */
	int has_salt;
	int wal_big;      /* writer only: the WAL file is past LEDGER_WAL_LIMIT (sqlite_idle) */
	double wal_tried; /* writer only: when sqlite_idle last tried to truncate it */
	int fail_rc;   /* writer only: a failure of the statement in use that SQLite's own message
			* would not describe (a bind refused, a row too few), or SQLITE_OK */
	char why[512]; /* writer only: that failure, naming the parameter and the statement */
	const char *check_sql, *check_name; /* the JOB_CHECK job's statement and parameter */
	struct tem_err *check_err;          /* where it says why it failed */
	int lock_fd; /* LEDGER.lock, write-locked while open (one temd per ledger), or -1 */
	struct batch_seen seen[BATCH_CACHE]; /* writer only: batch_of's memory */
	/* the index of codes in memory (server/codemap.h), rebuilt from the ledger at open: a
	 * code's key (code_key) to its newest client row's id and its CODE_* flags; and, for
	 * codes with an alert only, their rows by network (net_key), so a copied code scanned
	 * from thousands of networks costs a scan a few lookups, never a walk of its rows */
	struct codemap *codes, *nets;
	unsigned char map_key[crypto_shorthash_KEYBYTES]; /* keys both maps' hashes */
	struct rollups rollups; /* writer only: the open transaction's, written by roll_flush */
	/* writer only: run_scan's room for a code's rows, kept from scan to scan (a scan
	 * allocates nothing once it is large enough; given back when a code needed many) */
	struct ledger_net_row *rows;
	size_t rows_cap;
};

/* The most rows run_scan keeps room for between scans. */
#define ROWS_KEPT 64

/* A code's value in l->codes: its newest client row's id, and what the code has. */
#define CODE_ROW     ((UINT64_C(1) << 61) - 1)
#define CODE_NETS    (UINT64_C(1) << 61) /* its rows are in l->nets (an alerted code's many) */
#define CODE_ALERTED (UINT64_C(1) << 62) /* a code_alerts row (its counts are there) */
#define CODE_CLAIMED (UINT64_C(1) << 63) /* a claim */

/* An alerted code's rows go into l->nets once it has more than this many: fewer are read
 * from its chain at each scan (a few rows read; no memory kept for them). */
#define NET_INDEX_MIN 24

/* Fills err with "PATH: WHAT: SQLite's message" (db's latest error; "out of memory" when db
 * could not even be allocated). Returns TEM_ERR. */
static int db_fail(sqlite3 *db, const char *path, const char *what, struct tem_err *err)
{
	return err_set(err, "%s: %s: %s", path, what,
		       db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

/* Opens path with flags (SQLITE_OPEN_NOMUTEX added: each connection is used by one thread at a
 * time) and the settings every connection needs: a 10 s busy timeout, extended result codes,
 * the write-ahead log (checked: a connection that cannot use it is refused, as the durability
 * promise rests on it), synchronous = FULL, foreign keys. TEM_OK with *db open (the caller
 * closes it), or TEM_ERR with err naming the file and the cause and *db NULL. */
#ifndef LEDGER_PAGE_SIZE
#define LEDGER_PAGE_SIZE "1024"
#endif
static int open_db(const char *path, int flags, sqlite3 **db, struct tem_err *err)
{
	sqlite3_stmt *st = NULL;
	const char *mode;

	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_fail(*db, path, "cannot open", err);
		goto fail;
	}
	/* SQLite opens a file it may not write read-only without a word; the WAL and its index
	 * would then be made read-only too, and block the next start */
	if ((flags & SQLITE_OPEN_READWRITE) && sqlite3_db_readonly(*db, "main") == 1) {
		err_set(err, "%s: cannot write the ledger (a read-only file or folder): %s", path,
			access(path, W_OK) != 0 ? strerror(errno) : "opened read-only");
		goto fail;
	}
	if (sqlite3_busy_timeout(*db, 10000) != SQLITE_OK ||
	    sqlite3_extended_result_codes(*db, 1) != SQLITE_OK ||
	    ((flags & SQLITE_OPEN_CREATE) &&
	     sqlite3_exec(*db, "PRAGMA page_size = " LEDGER_PAGE_SIZE, NULL, NULL, NULL) !=
		 SQLITE_OK) ||
	    sqlite3_prepare_v2(*db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		db_fail(*db, path, "cannot set up", err);
		goto fail;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		err_set(err, "%s: cannot use a write-ahead log (journal mode stays %s)", path,
			mode != NULL ? mode : "unknown");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(*db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", NULL, NULL,
			 NULL) != SQLITE_OK) {
		db_fail(*db, path, "cannot set up", err);
		goto fail;
	}
	return TEM_OK;
fail:
	sqlite3_finalize(st);
	sqlite3_close(*db);
	*db = NULL;
	return TEM_ERR;
}

/* Copies a ledger at schema version v, before it is migrated, to PATH.vV.bak (VACUUM INTO:
 * a consistent copy, WAL included), so an operator can go back to the temd that wrote it.
 * An existing copy, left by an earlier attempt, is kept as it is. TEM_OK, or TEM_ERR with err
 * set: a ledger is not migrated without its copy. */
static int backup_before_migrating(struct sq *l, int v, struct tem_err *err)
{
	char bak[sizeof l->path + 32];
	char *vacuum;
	int rc;

	snprintf(bak, sizeof bak, "%s.v%d.bak", l->path, v);
	if (access(bak, F_OK) == 0) {
		log_msg(LOG_LV_NOTICE, "%s: the copy of the version %d ledger is kept from before",
			bak, v);
		return TEM_OK;
	}
	if ((vacuum = sqlite3_mprintf("VACUUM INTO %Q", bak)) == NULL)
		return err_set(err, "out of memory");
	rc = sqlite3_exec(l->w, vacuum, NULL, NULL, NULL);
	sqlite3_free(vacuum);
	if (rc != SQLITE_OK)
		return db_fail(l->w, l->path,
			       "cannot copy the ledger before migrating it (free some space, or "
			       "copy it by hand and name the copy LEDGER.vN.bak)",
			       err);
	log_msg(LOG_LV_NOTICE, "%s: copied the version %d ledger to %s before migrating it",
		l->path, v, bak);
	return TEM_OK;
}

/* Brings the schema to SCHEMA_VERSION, one migration a transaction (BEGIN IMMEDIATE, the
 * migration, the new user_version, COMMIT). TEM_OK, or TEM_ERR with err set and the failed
 * migration rolled back (the rollback is best effort: the error reported is the migration's). */
static int migrate(struct sq *l, struct tem_err *err)
{
	int v = 0; /* set by user_version, which fails otherwise */

	if (sqlite_user_version(l->w, &v) != SQLITE_OK)
		return db_fail(l->w, l->path, "cannot read the schema version", err);
	if (v > SCHEMA_VERSION)
		return err_set(err,
			       "%s: ledger schema version %d is newer than this temd understands "
			       "(%d): use a newer temd",
			       l->path, v, SCHEMA_VERSION);
	int from = v;
	if (v > 0 && v < SCHEMA_VERSION && backup_before_migrating(l, v, err) != TEM_OK)
		return TEM_ERR;
	for (; v < SCHEMA_VERSION; v++) {
		char bump[64];
		if (from > 0)
			log_msg(LOG_LV_NOTICE,
				"%s: migrating the ledger from schema version %d to %d", l->path, v,
				v + 1);
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(l->w, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(l->w, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(l->w, bump, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(l->w, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			db_fail(l->w, l->path, "schema migration failed", err);
			if (!sqlite3_get_autocommit(l->w))
				sqlite3_exec(l->w, "ROLLBACK", NULL, NULL, NULL);
			return TEM_ERR;
		}
	}
	if (from == 0)
		log_msg(LOG_LV_NOTICE, "%s: new ledger, schema version %d", l->path,
			SCHEMA_VERSION);
	else if (from < SCHEMA_VERSION)
		log_msg(LOG_LV_NOTICE, "%s: ledger migrated to schema version %d", l->path,
			SCHEMA_VERSION);
	return TEM_OK;
}

/* The bind and step helpers every ledger statement goes through, as Fossil's db_bind_*: a
 * parameter name the statement does not have, or a bind SQLite refuses, is never ignored. The
 * first failure of a statement's use is kept in l->fail_rc and l->why, and step() then refuses
 * to run the statement, so the job, and the writer's transaction, fail with that cause. The
 * name lookup is the one SQLite does anyway; the checks add two compares a bind. */

/* Readies st, a statement of l's writer connection, for a new use: resets it (the result of
 * its last step was handled when it came), clears its bindings and the failed-bind mark.
 * Returns st, still owned by whoever prepared it. */
static sqlite3_stmt *reuse(struct sq *l, sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	l->fail_rc = SQLITE_OK;
	return st;
}

/* The writer's statement i (enum S_*), ready for a new use; owned by the ledger. */
static sqlite3_stmt *stmt(struct sq *l, int i)
{
	return reuse(l, l->st[i]);
}

/* Records a failure of the statement in use that SQLite's message would not describe, as
 * code rc and the sentence fmt makes, unless an earlier one of this use is kept already.
 * Returns rc. */
static int fail_own(struct sq *l, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_own(struct sq *l, int rc, const char *fmt, ...)
{
	va_list ap;

	if (l->fail_rc != SQLITE_OK)
		return rc;
	l->fail_rc = rc;
	va_start(ap, fmt);
	vsnprintf(l->why, sizeof l->why, fmt, ap);
	va_end(ap);
	return rc;
}

/* Records that binding name in st failed with rc (unknown: st has no such parameter). */
static int bind_failed(struct sq *l, sqlite3_stmt *st, const char *name, int rc, int unknown)
{
	if (unknown)
		return fail_own(l, rc, "no such bind parameter %s in \"%s\"", name,
				sqlite3_sql(st));
	return fail_own(l, rc, "cannot bind %s in \"%s\": %s", name, sqlite3_sql(st),
			sqlite3_errstr(rc));
}

/* Binds v to st's parameter called name (":serial"). SQLITE_OK, or SQLITE_RANGE when st has no
 * such parameter, or SQLite's code for a refused bind; a failure is recorded (bind_failed). */
static int bind_i64(struct sq *l, sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name), rc;

	if (i == 0)
		return bind_failed(l, st, name, SQLITE_RANGE, 1);
	if ((rc = sqlite3_bind_int64(st, i, v)) != SQLITE_OK)
		return bind_failed(l, st, name, rc, 0);
	return SQLITE_OK;
}

/* Binds the NUL-terminated text v, as bind_i64. v is not copied (SQLITE_STATIC): it must stay
 * unchanged until the statement's next reuse. */
static int bind_text(struct sq *l, sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name), rc;

	if (i == 0)
		return bind_failed(l, st, name, SQLITE_RANGE, 1);
	if ((rc = sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC)) != SQLITE_OK)
		return bind_failed(l, st, name, rc, 0);
	return SQLITE_OK;
}

/* Binds the n bytes at v as a blob, as bind_text (not copied either). */
static int bind_blob(struct sq *l, sqlite3_stmt *st, const char *name, const void *v, int n)
{
	int i = sqlite3_bind_parameter_index(st, name), rc;

	if (i == 0)
		return bind_failed(l, st, name, SQLITE_RANGE, 1);
	if ((rc = sqlite3_bind_blob(st, i, v, n, SQLITE_STATIC)) != SQLITE_OK)
		return bind_failed(l, st, name, rc, 0);
	return SQLITE_OK;
}

/* Runs one step of st (a statement of l's writer connection) unless a bind of this use
 * failed. Returns SQLITE_ROW or SQLITE_DONE, else the failure's code: the failed bind's (its
 * cause in l->why) or the step's (its message on l->w). */
static int step(struct sq *l, sqlite3_stmt *st)
{
	return l->fail_rc != SQLITE_OK ? l->fail_rc : sqlite3_step(st);
}

/* Steps st expecting want: SQLITE_ROW (a row to read) or SQLITE_DONE (the end). SQLITE_OK when
 * it came; else the failure's code, a row too many or too few counting as SQLITE_ERROR with
 * the statement named in l->why. */
static int step_want(struct sq *l, sqlite3_stmt *st, int want)
{
	int rc = step(l, st);

	if (rc == want)
		return SQLITE_OK;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return fail_own(l, SQLITE_ERROR, "\"%s\" %s", sqlite3_sql(st),
				rc == SQLITE_ROW ? "returned a row where none was expected"
						 : "returned no row where one was expected");
	return rc;
}

/* The cause of the writer's latest failure, for a log line or an error: the sentence fail_own
 * kept, else SQLite's message on the writer connection. Owned by the ledger or SQLite. */
static const char *cause(struct sq *l)
{
	return l->fail_rc != SQLITE_OK ? l->why : sqlite3_errmsg(l->w);
}

/* Reads the client salt a ledger made before the salt moved to the secret file (meta row
 * 'client-salt') into l->salt, with l->has_salt 1; a ledger without one (every ledger made
 * since) leaves has_salt 0, and none is made here: the salt lives in LEDGER.secret
 * (server/secrets.h), never beside the client hashes it keys. A failed read is an error,
 * never "no salt", and a salt of the wrong size is refused as damage. TEM_OK, or TEM_ERR with
 * err set. */
static int load_salt(struct sq *l, struct tem_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = TEM_ERR;

	l->has_salt = 0;
	if (sqlite3_prepare_v2(l->w, "SELECT value FROM meta WHERE name = 'client-salt'", -1, &st,
			       NULL) != SQLITE_OK) {
		db_fail(l->w, l->path, "cannot read the client salt", err);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *v = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		if (v == NULL || n != LEDGER_SALT_BYTES) {
			err_set(err,
				"%s: the client salt in table meta is %d bytes, not %d: the ledger "
				"is damaged",
				l->path, n, LEDGER_SALT_BYTES);
			goto out;
		}
		memcpy(l->salt, v, LEDGER_SALT_BYTES);
		l->has_salt = 1;
	} else if (rc != SQLITE_DONE) {
		db_fail(l->w, l->path, "cannot read the client salt", err);
		goto out;
	}
	ret = TEM_OK;
out:
	sqlite3_finalize(st);
	return ret;
}

/* --- Copy detection: a code's rows read for counting its clients (server/ledger_clients.h).
 * A code has few rows (an alerted one is not read whole), so its clients are counted in the
 * writer's transaction. */

/* The key of a code in l->codes: a keyed hash of its key id and serial. Two codes may share
 * one (then their rows share a chain, and each walk keeps its own code's rows), but no one
 * outside temd can choose codes that do. */
static uint64_t code_key(const struct sq *l, const char *key_id, uint64_t serial)
{
	unsigned char in[32 + 8], out[crypto_shorthash_BYTES];
	size_t kl = strnlen(key_id, 32);
	uint64_t k = 0;

	memcpy(in, key_id, kl);
	for (int i = 0; i < 8; i++)
		in[kl + (size_t)i] = (unsigned char)(serial >> (8 * i));
	crypto_shorthash(out, in, kl + 8, l->map_key);
	for (int i = 0; i < 8; i++)
		k |= (uint64_t)out[i] << (8 * i);
	return k;
}

/* The keys of an alerted code's rows in l->nets: NET_COUNT its rows of network client, NET_COOKIE
 * the row of cookie id cookie there, NET_BARE the cookie-less row there. A 64-bit keyed hash:
 * two of them meet once in 2^64 lookups of a ledger's lifetime, never by a buyer's choosing. */
enum { NET_COUNT = 'n', NET_COOKIE = 'c', NET_BARE = 'b' };
static uint64_t net_key(const struct sq *l, int kind, const char *key_id, uint64_t serial,
			const unsigned char client[LEDGER_CLIENT_BYTES],
			const unsigned char *cookie)
{
	unsigned char in[1 + 32 + 8 + LEDGER_CLIENT_BYTES + LEDGER_COOKIE_BYTES];
	unsigned char out[crypto_shorthash_BYTES];
	size_t kl = strnlen(key_id, 32), n = 0;
	uint64_t k = 0;

	in[n++] = (unsigned char)kind;
	memcpy(in + n, key_id, kl);
	n += kl;
	for (int i = 0; i < 8; i++)
		in[n++] = (unsigned char)(serial >> (8 * i));
	memcpy(in + n, client, LEDGER_CLIENT_BYTES);
	n += LEDGER_CLIENT_BYTES;
	if (kind == NET_COOKIE) {
		memcpy(in + n, cookie, LEDGER_COOKIE_BYTES);
		n += LEDGER_COOKIE_BYTES;
	}
	crypto_shorthash(out, in, n, l->map_key);
	for (int i = 0; i < 8; i++)
		k |= (uint64_t)out[i] << (8 * i);
	return k;
}

/* Sets v in map m: staged with the writer's transaction (stage 1), or at once (at open). */
static int map_set(struct codemap *m, uint64_t k, uint64_t v, int stage)
{
	return stage ? codemap_stage(m, k, v) : codemap_put(m, k, v);
}

/* Adds row id (network client, cookie id cookie when has_cookie) of key_id's serial to l->nets.
 * SQLITE_OK or SQLITE_NOMEM (recorded). */
static int net_add(struct sq *l, const char *key_id, uint64_t serial,
		   const unsigned char client[LEDGER_CLIENT_BYTES], const unsigned char *cookie,
		   int has_cookie, int64_t id, int stage)
{
	uint64_t kc = net_key(l, NET_COUNT, key_id, serial, client, NULL), count = 0;
	uint64_t kr =
	    net_key(l, has_cookie ? NET_COOKIE : NET_BARE, key_id, serial, client, cookie);

	(void)codemap_get(l->nets, kc, &count);
	if (map_set(l->nets, kc, count + 1, stage) != 0 ||
	    map_set(l->nets, kr, (uint64_t)id, stage) != 0)
		return fail_own(l, SQLITE_NOMEM, "cannot index a code's rows: %s",
				sqlite3_errstr(SQLITE_NOMEM));
	return SQLITE_OK;
}

/* Grows *rows (n used, *cap allocated, always one spare) for one more. SQLITE_OK or
 * SQLITE_NOMEM (recorded). */
static int rows_room(struct sq *l, struct ledger_net_row **rows, size_t n, size_t *cap)
{
	struct ledger_net_row *grown;
	size_t nc;

	if (n + 1 < *cap)
		return SQLITE_OK;
	nc = *cap ? *cap * 2 : 8;
	if ((grown = realloc(*rows, nc * sizeof **rows)) == NULL)
		return fail_own(l, SQLITE_NOMEM, "cannot count a code's clients: %s",
				sqlite3_errstr(SQLITE_NOMEM));
	*rows = grown;
	*cap = nc;
	return SQLITE_OK;
}

/* Reads the client rows of key_id's serial into *rows (n used, cap allocated, one spare; the
 * caller frees) by walking its chain from row head (0: none), adding up scans and keeping the
 * first and the latest scan. A row of another code met on the way (two codes of one key in
 * l->codes) is passed over. SQLITE_OK or the failing step's code. */
static int chain_rows(struct sq *l, const char *key_id, uint64_t serial, int64_t head,
		      struct ledger_net_row **rows, size_t *n, size_t *cap, int64_t *scans,
		      int64_t *first, int64_t *last)
{
	int rc;

	if ((rc = rows_room(l, rows, *n, cap)) != SQLITE_OK)
		return rc;
	for (int64_t id = head, prev; id > 0; id = prev) {
		sqlite3_stmt *st = stmt(l, S_ROW);
		const unsigned char *k;
		struct ledger_net_row *r;
		bind_i64(l, st, ":id", id);
		if ((rc = step(l, st)) != SQLITE_ROW)
			return rc == SQLITE_DONE ? fail_own(l, SQLITE_CORRUPT,
							    "the ledger has lost scans row %lld, "
							    "named by a code's chain",
							    (long long)id)
						 : rc;
		prev = sqlite3_column_int64(st, 7);
		if (prev >= id) /* ids only go down a chain: never loop */
			prev = 0;
		k = sqlite3_column_text(st, 0);
		if (k == NULL || strcmp((const char *)k, key_id) != 0 ||
		    (uint64_t)sqlite3_column_int64(st, 1) != serial ||
		    sqlite3_column_int64(st, 4) <= 0) {
			sqlite3_reset(st);
			continue;
		}
		if ((rc = rows_room(l, rows, *n, cap)) != SQLITE_OK) {
			sqlite3_reset(st);
			return rc;
		}
		r = &(*rows)[(*n)++];
		memset(r, 0, sizeof *r);
		r->id = id;
		const void *cl = sqlite3_column_blob(st, 2), *c = sqlite3_column_blob(st, 3);
		if (sqlite3_column_bytes(st, 2) == LEDGER_CLIENT_BYTES && cl != NULL)
			memcpy(r->client, cl, LEDGER_CLIENT_BYTES);
		else /* an older client id: a network of its own, never this one */
			crypto_generichash(r->client, LEDGER_CLIENT_BYTES, cl,
					   (size_t)sqlite3_column_bytes(st, 2), NULL, 0);
		r->has_cookie = sqlite3_column_bytes(st, 3) == LEDGER_COOKIE_BYTES && c != NULL;
		if (r->has_cookie)
			memcpy(r->cookie, c, LEDGER_COOKIE_BYTES);
		*scans += sqlite3_column_int64(st, 4);
		int64_t f = sqlite3_column_int64(st, 5), t = sqlite3_column_int64(st, 6);
		if (*first == 0 || f < *first)
			*first = f;
		if (t > *last)
			*last = t;
		sqlite3_reset(st); /* done with the row (sqlite_commit resets every statement) */
	}
	return SQLITE_OK;
}

/* The rows of an alerted code that ledger_place_scan needs, from l->nets: those of s's network
 * only, as many as it has; the row of s's cookie and the cookie-less row with their ids, the
 * others standing for cookie ids other than s's. SQLITE_OK or SQLITE_NOMEM (recorded). */
static int net_rows(struct sq *l, const struct ledger_scan *s, struct ledger_net_row **rows,
		    size_t *n, size_t *cap)
{
	uint64_t here = 0, id;

	(void)codemap_get(l->nets, net_key(l, NET_COUNT, s->key_id, s->serial, s->client, NULL),
			  &here);
	if (*cap < here + 3) {
		struct ledger_net_row *grown = realloc(*rows, (here + 3) * sizeof **rows);
		if (grown == NULL)
			return fail_own(l, SQLITE_NOMEM, "cannot count a code's clients: %s",
					sqlite3_errstr(SQLITE_NOMEM));
		*rows = grown;
		*cap = here + 3;
	}
	*n = 0;
	if (s->has_cookie &&
	    codemap_get(l->nets, net_key(l, NET_COOKIE, s->key_id, s->serial, s->client, s->cookie),
			&id)) {
		struct ledger_net_row *r = &(*rows)[(*n)++];
		memset(r, 0, sizeof *r);
		memcpy(r->client, s->client, LEDGER_CLIENT_BYTES);
		memcpy(r->cookie, s->cookie, LEDGER_COOKIE_BYTES);
		r->has_cookie = 1;
		r->id = (int64_t)id;
	}
	if (codemap_get(l->nets, net_key(l, NET_BARE, s->key_id, s->serial, s->client, NULL),
			&id)) {
		struct ledger_net_row *r = &(*rows)[(*n)++];
		memset(r, 0, sizeof *r);
		memcpy(r->client, s->client, LEDGER_CLIENT_BYTES);
		r->id = (int64_t)id;
	}
	while (*n < here) {
		struct ledger_net_row *r = &(*rows)[(*n)++];
		memset(r, 0, sizeof *r);
		memcpy(r->client, s->client, LEDGER_CLIENT_BYTES);
		for (size_t i = 0; i < LEDGER_COOKIE_BYTES; i++)
			r->cookie[i] = (unsigned char)~s->cookie[i];
		r->has_cookie = 1;
	}
	return SQLITE_OK;
}

static int record_alert(struct sq *l, const struct ledger_scan *s, int alerted);
static int batch_of(struct sq *l, const char *key_id, uint64_t serial, int64_t *batch);
static int roll_up(struct sq *l, const char *key_id, int64_t batch, int64_t at_ms,
		   const char *verdict, int day_code, int batch_code, int claims);
static int scan_alert(struct sq *l, const struct ledger_scan *s, int64_t batch);
static int guess_alert(struct sq *l, const struct ledger_claim *c);

/* Whether a blob column holds the n bytes of v. */
static int column_is(sqlite3_stmt *st, int col, const void *v, int n)
{
	const void *c = sqlite3_column_blob(st, col);

	return c != NULL && sqlite3_column_bytes(st, col) == n && memcmp(c, v, (size_t)n) == 0;
}

/* Reads the claim of serial of key_id: *claimed_ms its time (0: not claimed) and *yours 1 when
 * the claimer was the client of network net or of cookie id cookie (has_cookie; docs/
 * verdicts.md). SQLITE_OK or the failing bind's or step's code. */
static int read_claim(struct sq *l, const char *key_id, uint64_t serial,
		      const unsigned char net[LEDGER_CLIENT_BYTES],
		      const unsigned char cookie[LEDGER_COOKIE_BYTES], int has_cookie,
		      int64_t *claimed_ms, int *yours)
{
	sqlite3_stmt *st = stmt(l, S_CLAIM_GET);
	int rc;

	bind_text(l, st, ":key", key_id);
	bind_i64(l, st, ":serial", (int64_t)serial);
	rc = step(l, st);
	*claimed_ms = 0;
	*yours = 0;
	if (rc == SQLITE_ROW) {
		*claimed_ms = sqlite3_column_int64(st, 0);
		*yours = column_is(st, 1, net, LEDGER_CLIENT_BYTES) ||
			 (has_cookie && column_is(st, 2, cookie, LEDGER_COOKIE_BYTES));
		sqlite3_reset(st);
		return SQLITE_OK;
	}
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Reads one integer from statement st, which returns one row or none: *v the value, or 0 when
 * there is no row. SQLITE_OK or the failing step's code. */
static int read_count(struct sq *l, sqlite3_stmt *st, int64_t *v)
{
	int rc = step(l, st);

	*v = 0;
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return SQLITE_OK;
	}
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A claim attempt (ledger.h, struct ledger_claim), in order: the rate limits (a limited
 * attempt checks no PIN and writes nothing), the PIN (a wrong one counts against both limits
 * and changes nothing else), then the claim: the code's existing claim, or a new one unless
 * c->check_only. Sets c->result, c->claimed_ms, c->retry_after. SQLITE_OK or the failing
 * bind's or step's code. */
static int run_claim(struct sq *l, struct ledger_claim *c)
{
	static const unsigned char none[1] = {0};
	int64_t day = c->at_ms / 86400000, hour = c->at_ms / 3600000, fails, code_fails, batch;
	sqlite3_stmt *st;
	int rc;

	c->retry_after = 0;
	if ((rc = read_claim(l, c->key_id, c->serial, c->net, c->cookie, c->has_cookie,
			     &c->claimed_ms, &c->yours)) != SQLITE_OK)
		return rc;
	st = stmt(l, S_FAILS_CODE);
	bind_text(l, st, ":key", c->key_id);
	bind_i64(l, st, ":serial", (int64_t)c->serial);
	bind_i64(l, st, ":day", day);
	if ((rc = read_count(l, st, &code_fails)) != SQLITE_OK)
		return rc;
	if (code_fails >= c->code_limit) {
		c->result = CLAIM_LIMITED;
		c->retry_after = ((day + 1) * 86400000 - c->at_ms + 999) / 1000;
		return SQLITE_OK;
	}
	st = stmt(l, S_FAILS_NET);
	bind_blob(l, st, ":net", c->net, LEDGER_CLIENT_BYTES);
	bind_i64(l, st, ":hour", hour);
	if ((rc = read_count(l, st, &fails)) != SQLITE_OK)
		return rc;
	if (fails >= c->net_limit) {
		c->result = CLAIM_LIMITED;
		c->retry_after = ((hour + 1) * 3600000 - c->at_ms + 999) / 1000;
		return SQLITE_OK;
	}
	if (!c->pin_right) {
		c->result = CLAIM_WRONG_PIN;
		st = stmt(l, S_FAIL_CODE);
		bind_text(l, st, ":key", c->key_id);
		bind_i64(l, st, ":serial", (int64_t)c->serial);
		bind_i64(l, st, ":day", day);
		if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
			return rc;
		st = stmt(l, S_FAIL_NET);
		bind_blob(l, st, ":net", c->net, LEDGER_CLIENT_BYTES);
		bind_i64(l, st, ":hour", hour);
		if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
			return rc;
		/* the wrong PIN that reaches the code's daily limit raises the alert, counting
		 * every wrong PIN of the day */
		return code_fails + 1 == c->code_limit ? guess_alert(l, c) : SQLITE_OK;
	}
	if (c->claimed_ms > 0) {
		c->result = c->yours ? CLAIM_YOURS : CLAIM_TAKEN;
		return SQLITE_OK;
	}
	if (c->check_only) {
		c->result = CLAIM_OPEN;
		return SQLITE_OK;
	}
	st = stmt(l, S_CLAIM_ADD);
	bind_text(l, st, ":key", c->key_id);
	bind_i64(l, st, ":serial", (int64_t)c->serial);
	bind_i64(l, st, ":at", c->at_ms);
	bind_blob(l, st, ":client", c->net, LEDGER_CLIENT_BYTES);
	if (c->has_cookie)
		bind_blob(l, st, ":cookie", c->cookie, LEDGER_COOKIE_BYTES);
	else
		bind_blob(l, st, ":cookie", none, 0);
	if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
		return rc;
	c->result = CLAIM_NEW;
	c->claimed_ms = c->at_ms;
	c->yours = 1;
	{
		uint64_t ck = code_key(l, c->key_id, c->serial), v = 0;
		(void)codemap_get(l->codes, ck, &v);
		if (codemap_stage(l->codes, ck, v | CODE_CLAIMED) != 0)
			return fail_own(l, SQLITE_NOMEM, "cannot index a claim: %s",
					sqlite3_errstr(SQLITE_NOMEM));
	}
	if ((rc = batch_of(l, c->key_id, c->serial, &batch)) != SQLITE_OK)
		return rc;
	return roll_up(l, c->key_id, batch, c->at_ms, "", 0, 0, 1);
}

/* Puts the n rows of key_id's serial (code key ck) with an id into l->nets and marks the code
 * CODE_NETS, staged with the transaction (stage 1) or at once (at open). SQLITE_OK or
 * SQLITE_NOMEM (recorded). */
static int index_nets(struct sq *l, const char *key_id, uint64_t serial, uint64_t ck,
		      const struct ledger_net_row *rows, size_t n, int stage)
{
	uint64_t v = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (rows[i].id > 0 &&
		    (rc = net_add(l, key_id, serial, rows[i].client, rows[i].cookie,
				  rows[i].has_cookie, rows[i].id, stage)) != SQLITE_OK)
			return rc;
	(void)codemap_get(l->codes, ck, &v);
	if (map_set(l->codes, ck, v | CODE_NETS, stage) != 0)
		return fail_own(l, SQLITE_NOMEM, "cannot index a code's rows: %s",
				sqlite3_errstr(SQLITE_NOMEM));
	return SQLITE_OK;
}

/* Counts one scan: finds the code in the index in memory, reads its counts, places the scan
 * among its (network, cookie) rows (ledger_place_scan), then appends its row (a client's first
 * scan of the code, at the end of scans: the only page a new code's scan writes besides the
 * roll-ups') or counts it in its row, and makes or updates the alert row when the code is a
 * duplicate or already has one. The counts come from the alert row when there is one (kept
 * current by every scan since: a new network adds one client), else from the code's few rows,
 * so a cloned code scanned by thousands costs no more than any other. The index learns what
 * changed when the transaction commits. Fills s's out fields. SQLITE_OK or the failing bind's
 * or step's code (cause()). */
static int run_scan(struct sq *l, struct ledger_scan *s)
{
	static const unsigned char none[1] = {0};
	struct ledger_net_row *rows = l->rows;
	struct ledger_place place;
	size_t n = 0, cap = l->rows_cap;
	int64_t scans = 0, first = 0, last = 0, batch, scan_id = 0, head;
	uint64_t ck = code_key(l, s->key_id, s->serial), meta = 0;
	sqlite3_stmt *st;
	int rc, alerted = 0, new_code;

	(void)codemap_get(l->codes, ck, &meta);
	head = (int64_t)(meta & CODE_ROW);
	if (meta & CODE_ALERTED) {
		st = stmt(l, S_ALERT_GET);
		bind_text(l, st, ":key", s->key_id);
		bind_i64(l, st, ":serial", (int64_t)s->serial);
		rc = step(l, st);
		alerted = rc == SQLITE_ROW;
		if (alerted) {
			s->scans = sqlite3_column_int64(st, 0) + 1;
			s->clients = sqlite3_column_int64(st, 1);
			s->first_scan_ms = sqlite3_column_int64(st, 2);
			last = sqlite3_column_int64(st, 3);
			sqlite3_reset(st);
		} else if (rc != SQLITE_DONE) {
			return rc;
		}
	}

	/* the code's rows: all of them from its chain, or, for an alerted code, whose counts
	 * its alert row keeps, this network's: from l->nets when it has many, else from its
	 * chain (and into l->nets once it has more than NET_INDEX_MIN) */
	if (alerted && !(meta & CODE_NETS)) {
		int64_t sc = 0, f = 0, t = 0;
		size_t mine = 0;
		if ((rc = chain_rows(l, s->key_id, s->serial, head, &rows, &n, &cap, &sc, &f,
				     &t)) != SQLITE_OK)
			goto out;
		if (n > NET_INDEX_MIN) {
			if ((rc = index_nets(l, s->key_id, s->serial, ck, rows, n, 1)) != SQLITE_OK)
				goto out;
			meta |= CODE_NETS;
		} else {
			for (size_t i = 0; i < n; i++)
				if (memcmp(rows[i].client, s->client, LEDGER_CLIENT_BYTES) == 0)
					rows[mine++] = rows[i];
			n = mine;
		}
	}
	if (alerted && (meta & CODE_NETS))
		rc = net_rows(l, s, &rows, &n, &cap);
	else if (!alerted)
		rc = chain_rows(l, s->key_id, s->serial, head, &rows, &n, &cap, &scans, &first,
				&last);
	if (rc != SQLITE_OK)
		goto out;
	new_code = !alerted && n == 0; /* never scanned before */
	if (!alerted) {
		s->scans = scans + 1;
		s->first_scan_ms = first != 0 && first < s->at_ms ? first : s->at_ms;
	}
	if (ledger_place_scan(s, rows, n, alerted, &place) != 0) {
		rc = fail_own(l, SQLITE_NOMEM, "cannot count a code's clients: %s",
			      sqlite3_errstr(SQLITE_NOMEM));
		goto out;
	}

	/* the verdict rests on the counts above and the claim, not on the row: it is decided
	 * first, so the row carries it */
	s->facts.other_clients = s->clients - 1;
	s->claimed_ms = 0;
	s->facts.claimed_by_this = 0;
	if ((meta & CODE_CLAIMED) &&
	    (rc = read_claim(l, s->key_id, s->serial, s->client, s->cookie, s->has_cookie,
			     &s->claimed_ms, &s->facts.claimed_by_this)) != SQLITE_OK)
		goto out;
	s->facts.claimed = s->claimed_ms > 0;
	s->verdict = verdict_decide(&s->facts);

	if (place.repeat) {
		st = stmt(l, S_REPEAT);
		bind_i64(l, st, ":id", place.id);
		bind_i64(l, st, ":at", s->at_ms);
		if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
			goto out;
	} else {
		st = stmt(l, S_SCAN);
		bind_text(l, st, ":key", s->key_id);
		bind_i64(l, st, ":serial", (int64_t)s->serial);
		bind_i64(l, st, ":at", s->at_ms);
		bind_blob(l, st, ":client", s->client, LEDGER_CLIENT_BYTES);
		bind_text(l, st, ":verdict", verdict_name(s->verdict));
		if (place.want.has_cookie)
			bind_blob(l, st, ":cookie", s->cookie, LEDGER_COOKIE_BYTES);
		else
			bind_blob(l, st, ":cookie", none, 0);
		if (head > 0)
			bind_i64(l, st, ":prev", head);
		if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
			goto out;
		scan_id = sqlite3_last_insert_rowid(l->w);
		if ((uint64_t)scan_id > CODE_ROW ||
		    codemap_stage(l->codes, ck, (meta & ~CODE_ROW) | (uint64_t)scan_id) != 0) {
			rc = fail_own(l, SQLITE_NOMEM, "cannot index a code's rows: %s",
				      sqlite3_errstr(SQLITE_NOMEM));
			goto out;
		}
		if ((meta & CODE_NETS) &&
		    (rc = net_add(l, s->key_id, s->serial, s->client, s->cookie,
				  place.want.has_cookie, scan_id, 1)) != SQLITE_OK)
			goto out;
	}
	if ((rc = record_alert(l, s, alerted)) != SQLITE_OK)
		goto out;
	if (s->verdict == V_DUPLICATE && !alerted) {
		/* the code's counts are its alert row's from now on; a code with many rows has
		 * them put in l->nets (rows[] holds them all, reordered, and the new row's
		 * stand-in, id 0, which takes the new row's id) */
		uint64_t v = 0;
		(void)codemap_get(l->codes, ck, &v);
		if (codemap_stage(l->codes, ck, v | CODE_ALERTED) != 0) {
			rc = fail_own(l, SQLITE_NOMEM, "cannot index a code's rows: %s",
				      sqlite3_errstr(SQLITE_NOMEM));
			goto out;
		}
		for (size_t i = 0; i <= n; i++)
			if (rows[i].id == 0)
				rows[i].id = scan_id; /* 0 still for a repeat: a row twice */
		if (n + !place.repeat > NET_INDEX_MIN &&
		    (rc = index_nets(l, s->key_id, s->serial, ck, rows, n + 1, 1)) != SQLITE_OK)
			goto out;
	}
	if ((rc = batch_of(l, s->key_id, s->serial, &batch)) != SQLITE_OK)
		goto out;
	/* a code is new to the day unless its latest scan was that day (scans come in time
	 * order: at_ms is the writer's clock) */
	rc = roll_up(l, s->key_id, batch, s->at_ms, verdict_name(s->verdict),
		     last == 0 || date_vn_day((time_t)(last / 1000)) !=
				      date_vn_day((time_t)(s->at_ms / 1000)),
		     new_code, 0);
	if (rc == SQLITE_OK)
		rc = scan_alert(l, s, batch);
out:
	if (cap > ROWS_KEPT) {
		free(rows);
		rows = NULL;
		cap = 0;
	}
	l->rows = rows;
	l->rows_cap = cap;
	return rc;
}

/* The alert row of a counted scan, made or updated when the code is a duplicate or already
 * has one (alerted 1). SQLITE_OK or the failing bind's or step's code. */
static int record_alert(struct sq *l, const struct ledger_scan *s, int alerted)
{
	sqlite3_stmt *st;
	int rc;

	if (s->verdict == V_DUPLICATE && !alerted)
		log_msg(LOG_LV_WARNING,
			"alert: code %s-%llu scanned from %lld networks (%lld scans since %lld): "
			"a duplicate",
			s->key_id, (unsigned long long)s->serial, (long long)s->clients,
			(long long)s->scans, (long long)(s->first_scan_ms / 1000));
	if (s->verdict == V_DUPLICATE || alerted) {
		st = stmt(l, S_ALERT);
		bind_text(l, st, ":key", s->key_id);
		bind_i64(l, st, ":serial", (int64_t)s->serial);
		bind_i64(l, st, ":scans", s->scans);
		bind_i64(l, st, ":clients", s->clients);
		bind_i64(l, st, ":first", s->first_scan_ms);
		bind_i64(l, st, ":at", s->at_ms);
		if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* --- Roll-ups and typed alerts (docs/api.md), in the transaction of what they count -------- */

/* The id of the registered batch of key_id holding serial into *batch, 0 when none holds it.
 * SQLITE_OK or the failing bind's or step's code. */
static int batch_of(struct sq *l, const char *key_id, uint64_t serial, int64_t *batch)
{
	uint32_t h = 2166136261u; /* FNV-1a of the key id, and of the serial's millions */
	struct batch_seen *c;
	sqlite3_stmt *st;
	int rc;

	for (const char *p = key_id; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ (uint32_t)(serial >> 20)) * 16777619u;
	c = &l->seen[h % BATCH_CACHE];
	if (c->first <= (int64_t)serial && (int64_t)serial <= c->last &&
	    strcmp(c->key_id, key_id) == 0) {
		*batch = c->id;
		return SQLITE_OK;
	}
	st = stmt(l, S_BATCH_OF);
	bind_text(l, st, ":key", key_id);
	bind_i64(l, st, ":serial", (int64_t)serial);
	rc = step(l, st);
	*batch = 0;
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 2) >= (int64_t)serial) {
			*batch = sqlite3_column_int64(st, 0);
			snprintf(c->key_id, sizeof c->key_id, "%s", key_id);
			c->id = *batch;
			c->first = sqlite3_column_int64(st, 1);
			c->last = sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
		return SQLITE_OK;
	}
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* day_stats' parameters counting scans by final verdict, in rollup_verdicts' order. */
static const char *const day_verdict_params[ROLLUP_VERDICTS] = {
    ":genuine", ":seen", ":duplicate", ":sold", ":unregistered", ":expired", ":revoked",
};

/* Writes the transaction's roll-ups (l->rollups, server/ledger_rollup.h) into day_stats and
 * batch_stats and forgets them; sqlite_commit calls it just before COMMIT. SQLITE_OK or the
 * failing bind's or step's code. */
static int roll_flush(struct sq *l)
{
	const struct rollups *r = &l->rollups;
	int rc = SQLITE_OK;

	for (size_t i = 0; i < r->ndays && rc == SQLITE_OK; i++) {
		const struct rollup_day *d = &r->days[i];
		sqlite3_stmt *st = stmt(l, S_DAY_STATS);
		bind_i64(l, st, ":day", d->day);
		bind_text(l, st, ":key", d->key_id);
		bind_i64(l, st, ":batch", d->batch);
		bind_i64(l, st, ":scans", d->scans);
		bind_i64(l, st, ":codes", d->codes);
		for (int v = 0; v < ROLLUP_VERDICTS; v++)
			bind_i64(l, st, day_verdict_params[v], d->v[v]);
		bind_i64(l, st, ":claims", d->claims);
		rc = step_want(l, st, SQLITE_DONE);
	}
	for (size_t i = 0; i < r->nbatches && rc == SQLITE_OK; i++) {
		const struct rollup_batch *b = &r->batches[i];
		sqlite3_stmt *st = stmt(l, S_BATCH_STATS);
		bind_i64(l, st, ":batch", b->batch);
		bind_i64(l, st, ":scans", b->scans);
		bind_i64(l, st, ":codes", b->codes);
		bind_i64(l, st, ":claimed", b->claimed);
		bind_i64(l, st, ":alerted", b->alerted);
		rc = step_want(l, st, SQLITE_DONE);
	}
	rollup_clear(&l->rollups);
	return rc;
}

/* Counts in the transaction's roll-ups (rollup_count): one scan of final verdict verdict ("" no
 * scan), day_code, batch_code, claims. SQLITE_OK, or SQLITE_NOMEM (recorded). */
static int roll_up(struct sq *l, const char *key_id, int64_t batch, int64_t at_ms,
		   const char *verdict, int day_code, int batch_code, int claims)
{
	if (rollup_count(&l->rollups, key_id, batch, at_ms, verdict, day_code, batch_code,
			 claims) != 0)
		return fail_own(l, SQLITE_NOMEM, "cannot count the statistics: %s",
				sqlite3_errstr(SQLITE_NOMEM));
	return SQLITE_OK;
}

/* Makes the (key, serial, type) alert of e, or counts e in it, as alert_decide says
 * (server/alert_rules.h): this engine reads the row and writes. *id gets the alert's id,
 * *raised 1 when it was made or reopened (both may be NULL). SQLITE_OK or the failing bind's or
 * step's code. */
static int raise_alert(struct sq *l, const struct alert_event *e, int64_t *id, int *raised)
{
	const char *type = alert_type_name(e->type);
	sqlite3_stmt *st = stmt(l, S_TALERT_GET);
	struct alert_row old = {0};
	struct alert_write w;
	int64_t row;
	int rc;

	bind_text(l, st, ":key", e->key_id);
	bind_i64(l, st, ":serial", (int64_t)e->serial);
	bind_text(l, st, ":type", type);
	rc = step(l, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	if (rc == SQLITE_ROW) {
		old.id = sqlite3_column_int64(st, 0);
		old.status = (const char *)sqlite3_column_text(st, 1);
		old.reason = (const char *)sqlite3_column_text(st, 2);
		old.changed_ms = sqlite3_column_int64(st, 3);
	}
	alert_decide(e, &old, &w); /* before the reset: old's text is the statement's */
	sqlite3_reset(st);
	row = old.id;

	if (w.action == ALERT_WRITE_NEW) {
		if (w.count_code) {
			int64_t had;
			st = stmt(l, S_CODE_ALERTED);
			bind_text(l, st, ":key", e->key_id);
			bind_i64(l, st, ":serial", (int64_t)e->serial);
			if ((rc = read_count(l, st, &had)) != SQLITE_OK)
				return rc;
			if (!had) {
				st = stmt(l, S_BATCH_STATS);
				bind_i64(l, st, ":batch", e->batch);
				bind_i64(l, st, ":scans", 0);
				bind_i64(l, st, ":codes", 0);
				bind_i64(l, st, ":claimed", 0);
				bind_i64(l, st, ":alerted", 1);
				if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
					return rc;
			}
		}
		st = stmt(l, S_TALERT_ADD);
		bind_text(l, st, ":type", type);
		bind_text(l, st, ":key", e->key_id);
		bind_i64(l, st, ":serial", (int64_t)e->serial);
		bind_i64(l, st, ":events", w.events);
		bind_i64(l, st, ":clients", w.clients);
		bind_i64(l, st, ":first", w.first_ms);
		bind_i64(l, st, ":at", w.at_ms);
		if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
			return rc;
		row = sqlite3_last_insert_rowid(l->w);
	} else {
		st = stmt(l, S_TALERT_SET);
		bind_i64(l, st, ":absolute", w.absolute);
		bind_i64(l, st, ":events", w.events);
		bind_i64(l, st, ":clients", w.clients);
		bind_i64(l, st, ":first", w.first_ms);
		bind_i64(l, st, ":at", w.at_ms);
		bind_i64(l, st, ":reopen", w.reopen);
		bind_i64(l, st, ":id", row);
		if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
			return rc;
		if (w.action == ALERT_WRITE_REOPEN) {
			st = stmt(l, S_ALERT_CHANGE);
			bind_i64(l, st, ":id", row);
			bind_i64(l, st, ":at", w.at_ms);
			bind_text(l, st, ":by", w.change_by);
			bind_text(l, st, ":status", w.change_to);
			bind_text(l, st, ":note", w.change_note);
			if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
				return rc;
		}
	}
	alert_log_raised(e, &w, row);
	if (id != NULL)
		*id = row;
	if (raised != NULL)
		*raised = w.raised;
	return SQLITE_OK;
}

/* The typed alert a counted scan shows, if any (alert_scan_event), raised. SQLITE_OK or the
 * failing bind's or step's code. */
static int scan_alert(struct sq *l, const struct ledger_scan *s, int64_t batch)
{
	struct alert_event e;

	return alert_scan_event(s, batch, &e) ? raise_alert(l, &e, NULL, NULL) : SQLITE_OK;
}

/* The claim-guessing alert of c's code, whose wrong PINs have just reached its daily limit
 * (alert_guess_event), raised. SQLITE_OK or the failing bind's or step's code. */
static int guess_alert(struct sq *l, const struct ledger_claim *c)
{
	struct alert_event e;
	int64_t batch;
	int rc = batch_of(l, c->key_id, c->serial, &batch);

	if (rc != SQLITE_OK)
		return rc;
	alert_guess_event(c, batch, &e);
	return raise_alert(l, &e, NULL, NULL);
}

/* The JOB_ALERT job (ledger.h, struct ledger_alert): raises or counts the alert. A job the
 * contract refuses (no such type, a malformed key id, no events) gets LEDGER_FAILED and
 * writes nothing, without failing the group. SQLITE_OK or the failing bind's or step's code. */
static int run_alert(struct sq *l, struct ledger_job *job)
{
	struct ledger_alert *a = &job->u.alert;
	struct alert_event e;
	int64_t batch = 0;
	int rc;

	a->id = 0;
	a->raised = 0;
	if (!alert_job_valid(a->type, a->key_id, a->events)) {
		job->status = LEDGER_FAILED;
		return SQLITE_OK;
	}
	if (a->serial != 0 && (rc = batch_of(l, a->key_id, a->serial, &batch)) != SQLITE_OK)
		return rc;
	alert_job_event(a, batch, &e);
	return raise_alert(l, &e, &a->id, &a->raised);
}

/* The JOB_ALERT_UPDATE job (ledger.h, struct ledger_alert_update): LEDGER_MISSING when there is
 * no such alert or it names another key than u->producer (when set); LEDGER_FAILED, nothing
 * written, for a step the workflow refuses (a reason without closed, closed without one);
 * else the alert's workflow fields are set (a NULL note keeps the one it has) and the step is
 * appended to alert_changes. SQLITE_OK or the failing bind's or step's code. */
static int run_alert_update(struct sq *l, struct ledger_job *job)
{
	struct ledger_alert_update *u = &job->u.alert_update;
	sqlite3_stmt *st;
	int rc, match;

	if (u->status < 0 || u->status >= ALERT_STATUSES || u->reason < 0 ||
	    u->reason >= ALERT_REASONS ||
	    (u->status == ALERT_CLOSED) != (u->reason != ALERT_REASON_NONE) || u->by == NULL) {
		job->status = LEDGER_FAILED;
		return SQLITE_OK;
	}
	st = stmt(l, S_ALERT_ROW);
	bind_i64(l, st, ":id", u->id);
	rc = step(l, st);
	if (rc == SQLITE_DONE) {
		job->status = LEDGER_MISSING;
		return SQLITE_OK;
	}
	if (rc != SQLITE_ROW)
		return rc;
	match = u->producer == NULL || column_is(st, 0, u->producer, (int)strlen(u->producer));
	sqlite3_reset(st);
	if (!match) {
		job->status = LEDGER_MISSING;
		return SQLITE_OK;
	}
	for (int i = S_ALERT_STEP; i <= S_ALERT_CHANGE; i++) {
		st = stmt(l, i);
		bind_i64(l, st, ":id", u->id);
		bind_text(l, st, ":status", alert_status_name((enum alert_status)u->status));
		if (u->reason != ALERT_REASON_NONE)
			bind_text(l, st, ":reason",
				  alert_reason_name((enum alert_reason)u->reason));
		if (u->note != NULL)
			bind_text(l, st, ":note", u->note);
		bind_text(l, st, ":by", u->by);
		bind_i64(l, st, ":at", u->at_ms);
		if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* Registers a batch unless its serials overlap one already registered for the key: sets
 * job->status to LEDGER_EXISTS (same signed header) or LEDGER_OVERLAP, with the existing row's
 * id and registration time, and writes nothing; else inserts it (b->row, b->registered_ms
 * set). SQLITE_OK, or the failing bind's or step's code. */
static int run_batch(struct sq *l, struct ledger_job *job)
{
	struct ledger_batch *b = &job->u.batch;
	sqlite3_stmt *st = stmt(l, S_BATCH_FIND);
	int rc;

	bind_text(l, st, ":key", b->key_id);
	bind_i64(l, st, ":first", (int64_t)b->first);
	bind_i64(l, st, ":last", (int64_t)b->last);
	rc = step(l, st);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		if (h == NULL) /* header is NOT NULL: only a failed read gives none */
			return fail_own(l, SQLITE_NOMEM, "cannot read the header of batch %lld: %s",
					(long long)sqlite3_column_int64(st, 0),
					sqlite3_errstr(SQLITE_NOMEM));
		b->row = sqlite3_column_int64(st, 0);
		b->registered_ms = sqlite3_column_int64(st, 2);
		job->status = strcmp(h, b->header) == 0 ? LEDGER_EXISTS : LEDGER_OVERLAP;
		sqlite3_reset(st);
		return SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		return rc;
	st = stmt(l, S_BATCH_ADD);
	bind_text(l, st, ":key", b->key_id);
	bind_i64(l, st, ":first", (int64_t)b->first);
	bind_i64(l, st, ":last", (int64_t)b->last);
	bind_text(l, st, ":batch", b->batch_id);
	bind_text(l, st, ":product", b->product);
	bind_text(l, st, ":producer", b->producer);
	bind_text(l, st, ":url", b->url);
	bind_i64(l, st, ":issued", b->issued);
	bind_i64(l, st, ":last_day", b->last_day);
	bind_text(l, st, ":header", b->header);
	bind_i64(l, st, ":at", b->at_ms);
	if (b->claim_key != NULL)
		bind_blob(l, st, ":claim", b->claim_key, (int)b->claim_key_len);
	if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
		return rc;
	b->row = sqlite3_last_insert_rowid(l->w);
	b->registered_ms = b->at_ms;
	/* its row of statistics, all zero, so every batch has one */
	st = stmt(l, S_BATCH_STATS);
	bind_i64(l, st, ":batch", b->row);
	bind_i64(l, st, ":scans", 0);
	bind_i64(l, st, ":codes", 0);
	bind_i64(l, st, ":claimed", 0);
	bind_i64(l, st, ":alerted", 0);
	return step_want(l, st, SQLITE_DONE);
}

/* Keeps seq as the highest trust list sequence number accepted (meta 'trust-sequence'), unless
 * a higher one is kept already: the number never goes down. Prepared here rather than at open:
 * it runs at start and on SIGHUP only. SQLITE_OK or the failure's code. */
static int record_trust_sequence(struct sq *l, uint64_t seq)
{
	static const char q[] =
	    "INSERT INTO meta(name, value) VALUES('trust-sequence', :seq) "
	    "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)";
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(l->w, q, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	bind_i64(l, reuse(l, st), ":seq", (int64_t)seq);
	rc = step_want(l, st, SQLITE_DONE);
	sqlite3_finalize(st);
	return rc;
}

/* Records every producer of the job's trust list (inserted or replaced), stamped now,
 * and its sequence number (record_trust_sequence). SQLITE_OK, or the failing bind's or step's code. */
static int run_producers(struct sq *l, struct ledger_job *job)
{
	int rc;

	for (size_t i = 0; i < job->u.producers.n; i++) {
		const struct ledger_producer *p = &job->u.producers.list[i];
		sqlite3_stmt *st = stmt(l, S_PRODUCER);
		bind_text(l, st, ":key", p->key_id);
		bind_text(l, st, ":pub", p->public_key);
		bind_text(l, st, ":name", p->name);
		bind_i64(l, st, ":from", p->valid_from);
		if (p->revoked >= 0)
			bind_i64(l, st, ":revoked", p->revoked);
		bind_i64(l, st, ":at", (int64_t)time(NULL) * 1000);
		if ((rc = step_want(l, st, SQLITE_DONE)) != SQLITE_OK)
			return rc;
	}
	return record_trust_sequence(l, job->u.producers.sequence);
}

/* The JOB_CHECK job (ledger_bind_check): prepares l->check_sql on the writer connection, binds
 * 1 to l->check_name and steps it once, through the same helpers as every statement above.
 * SQLITE_OK when it ran (a row or done); else its code, the cause in *l->check_err. */
static int run_check(struct sq *l)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(l->w, l->check_sql, -1, &st, NULL)) != SQLITE_OK) {
		err_set(l->check_err, "%s", sqlite3_errmsg(l->w));
		return rc;
	}
	bind_i64(l, reuse(l, st), l->check_name, 1);
	rc = step(l, st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	else
		err_set(l->check_err, "%s", cause(l));
	sqlite3_finalize(st);
	return rc;
}

/* The JOB_FORGET_SALT job: deletes an old ledger's client salt row with secure_delete on, so
 * its bytes are overwritten, not left in a free page. SQLITE_OK or the failure's code. */
static int run_forget_salt(struct sq *l)
{
	int rc = sqlite3_exec(l->w, "PRAGMA secure_delete = ON", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(l->w, "DELETE FROM meta WHERE name = 'client-salt'", NULL, NULL,
				  NULL);
	if (sqlite3_exec(l->w, "PRAGMA secure_delete = OFF", NULL, NULL, NULL) != SQLITE_OK &&
	    rc == SQLITE_OK)
		rc = SQLITE_ERROR;
	return rc;
}

/* Runs one job inside the writer's open transaction; sets job->status (LEDGER_OK unless the
 * job itself says otherwise). SQLITE_OK, or the code that must fail the transaction. */
static int run_job(struct sq *l, struct ledger_job *job)
{
	job->status = LEDGER_OK;
	if ((int)job->kind == JOB_CHECK)
		return run_check(l);
	if ((int)job->kind == JOB_FORGET_SALT)
		return run_forget_salt(l);
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
	return SQLITE_MISUSE;
}

/* Runs statement i, one that returns no row (BEGIN, COMMIT, ROLLBACK), to its end and resets
 * it. SQLITE_OK, or the failure's code (its message on l->w). */
static int step_simple(struct sq *l, int i)
{
	sqlite3_stmt *st = stmt(l, i);
	int rc = step_want(l, st, SQLITE_DONE);

	sqlite3_reset(st);
	return rc;
}

/* The backend's describe: why the writer's transaction failed with rc, for the log line
 * server/ledger.c writes. */
static void sqlite_describe(void *db, int rc, char *buf, size_t cap)
{
	struct sq *l = db;
	int own = l->fail_rc != SQLITE_OK; /* a failure SQLite's message would not describe */
	int ext = own ? rc : sqlite3_extended_errcode(l->w);
	int sys = own ? 0 : sqlite3_system_errno(l->w);
	const char *during = ext == SQLITE_IOERR_WRITE    ? " while writing"
			     : ext == SQLITE_IOERR_FSYNC  ? " while syncing to disk"
			     : ext == SQLITE_IOERR_READ   ? " while reading"
			     : ext == SQLITE_IOERR_SHMMAP ? " while mapping the WAL index"
							  : "";

	snprintf(buf, cap, "%s%s%s%s (SQLite code %d)", cause(l), during, sys != 0 ? ": " : "",
		 sys != 0 ? strerror(sys) : "", ext);
}

/* The backend's begin and commit: the writer's transaction (BEGIN IMMEDIATE, COMMIT). */
static int sqlite_begin(void *db)
{
	return step_simple(db, S_BEGIN);
}

/* The index learns the transaction's changes once it has committed; room for them is made
 * first, so nothing can fail after COMMIT. */
static int sqlite_commit(void *db)
{
	struct sq *l = db;
	int rc;

	if ((rc = roll_flush(l)) != SQLITE_OK)
		return rc;
	if (codemap_reserve(l->codes) != 0 || codemap_reserve(l->nets) != 0)
		return fail_own(l, SQLITE_NOMEM, "cannot index the scans: %s",
				sqlite3_errstr(SQLITE_NOMEM));
	/* no statement of the transaction may stay on a row: it would hold a read snapshot
	 * past COMMIT, and the next BEGIN IMMEDIATE would fail once another process wrote */
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_reset(l->st[i]);
	if ((rc = step_simple(l, S_COMMIT)) != SQLITE_OK)
		return rc;
	codemap_commit(l->codes);
	codemap_commit(l->nets);
	return SQLITE_OK;
}

/* The backend's run_job. */
static int sqlite_run_job(void *db, struct ledger_job *job)
{
	return run_job(db, job);
}

/* Rolls back the writer's open transaction, if one is open, after a failure (logged when the
 * rollback fails too: the next BEGIN then fails and says so). */
static void sqlite_rollback(void *db)
{
	struct sq *l = db;

	memset(l->seen, 0, sizeof l->seen); /* it may name a batch rolled back */
	rollup_clear(&l->rollups);
	if (l->codes != NULL) {
		codemap_drop(l->codes);
		codemap_drop(l->nets);
	}
	if (!sqlite3_get_autocommit(l->w) && step_simple(l, S_ROLLBACK) != SQLITE_OK)
		log_msg(LOG_LV_ERROR, "%s: cannot roll back a failed transaction: %s", l->path,
			sqlite3_errmsg(l->w));
}

/* The WAL file may grow while a reader (temd's own, or sqlite3 run by hand) holds an old
 * snapshot: SQLite cannot start it again from the beginning meanwhile. journal_size_limit
 * cuts it back to this size whenever it starts again; sqlite_idle does it when no write comes. */
#define LEDGER_WAL_LIMIT ((sqlite3_int64)8 << 20)

/* When the WAL file has grown past LEDGER_WAL_LIMIT, tries (at most once a second) a
 * truncating checkpoint that waits for no reader: a reader still holding old pages makes it
 * fail at once, and it is tried again later (the backend's idle). Returns l->wal_big, 1 while
 * the file is still too large, so the shared writer wakes to try again even when no job
 * comes. */
static int sqlite_idle(void *db)
{
	struct sq *l = db;
	char wal[4200];
	struct stat st;
	double now;
	int rc;

	snprintf(wal, sizeof wal, "%s-wal", l->path);
	if (stat(wal, &st) != 0 || st.st_size <= LEDGER_WAL_LIMIT) {
		l->wal_big = 0;
		return 0;
	}
	l->wal_big = 1;
	now = date_mono_seconds();
	if (now - l->wal_tried < 1.0)
		return 1;
	l->wal_tried = now;
	sqlite3_busy_timeout(l->w, 0); /* never wait for a reader here */
	rc = sqlite3_wal_checkpoint_v2(l->w, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(l->w, 10000);
	if (rc == SQLITE_OK) {
		l->wal_big = 0;
		fprintf(
		    stderr,
		    "temd: %s: the write-ahead log had grown to %lld MB while a reader held it; "
		    "merged into the ledger and truncated\n",
		    l->path, (long long)(st.st_size >> 20));
	}
	return l->wal_big;
}

/* Takes the ledger's exclusive lock (sqlite_lock_ledger): one temd per ledger. The lock file's
 * descriptor, or -1 with err set (naming the temd that holds it). */
static int lock_ledger(const char *path, struct tem_err *err)
{
	long holder;
	int fd = sqlite_lock_ledger(path, &holder, err);

	if (fd != -2)
		return fd;
	if (holder > 0)
		err_set(err, "%s: in use by another temd (pid %ld); one temd per ledger", path,
			holder);
	else
		err_set(err, "%s: in use by another temd; one temd per ledger", path);
	return -1;
}

/* Runs PRAGMA quick_check on l's writer connection and logs how long it took: a damaged page
 * refuses the start, with SQLite's first complaint. TEM_OK or TEM_ERR with err set. */
static int check_ledger(struct sq *l, struct tem_err *err)
{
	double t0 = date_mono_seconds();
	struct stat sb;
	char what[160];

	if (!sqlite_pages_ok(l->w, "quick_check", what, sizeof what))
		return err_set(
		    err,
		    "%s: the ledger is damaged (quick_check: %s): restore it from a backup "
		    "(temd backup)",
		    l->path, what);
	log_msg(LOG_LV_INFO, "%s: ledger checked (quick_check, %lld MB) in %.2f s", l->path,
		stat(l->path, &sb) == 0 ? (long long)(sb.st_size >> 20) : 0LL,
		date_mono_seconds() - t0);
	return TEM_OK;
}

/* Removes path-wal and path-shm when a start that made path found nothing (a new ledger that
 * could not be set up holds nothing): the next start must not find an empty file, which it
 * refuses, or files made read-only that it cannot open. */
static void remove_new_ledger(const char *path)
{
	char p[4200];

	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	unlink(path);
}

/* Builds the index of codes in memory from the ledger (server/codemap.h): every client row
 * of scans, in id order, makes its code's newest row the last one read; then the codes
 * claimed and the codes alerted, whose rows by network are indexed from their chains. Exact
 * whatever the last stop was (a kill -9 included): the rows are what was committed. TEM_OK,
 * or TEM_ERR with err set. */
static int build_index(struct sq *l, struct tem_err *err)
{
	static const char *const q[] = {
	    "SELECT id, key_id, serial FROM scans WHERE times > 0 ORDER BY id",
	    "SELECT 0, key_id, serial FROM claims",
	    "SELECT 0, key_id, serial FROM code_alerts",
	};
	struct ledger_net_row *rows = NULL;
	size_t cap = 0;
	int ret = TEM_ERR;

	randombytes_buf(l->map_key, sizeof l->map_key);
	if ((l->codes = codemap_new()) == NULL || (l->nets = codemap_new()) == NULL)
		return err_set(err, "%s: cannot index the ledger's codes: out of memory", l->path);
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		sqlite3_stmt *st;
		int rc;
		if (sqlite3_prepare_v2(l->w, q[i], -1, &st, NULL) != SQLITE_OK)
			return db_fail(l->w, l->path, "cannot index the ledger's codes", err);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *key = (const char *)sqlite3_column_text(st, 1);
			uint64_t serial = (uint64_t)sqlite3_column_int64(st, 2), v = 0, k;
			int64_t id = sqlite3_column_int64(st, 0);
			if (key == NULL)
				continue;
			k = code_key(l, key, serial);
			(void)codemap_get(l->codes, k, &v);
			if (i == 0)
				v = (v & ~CODE_ROW) | ((uint64_t)id & CODE_ROW);
			else
				v |= i == 1 ? CODE_CLAIMED : CODE_ALERTED;
			if (codemap_put(l->codes, k, v) != 0) {
				sqlite3_finalize(st);
				err_set(err, "%s: cannot index the ledger's codes: out of memory",
					l->path);
				goto out;
			}
			if (i == 2) { /* an alerted code: its rows by network when many */
				size_t n = 0;
				int64_t sc = 0, f = 0, t = 0;
				if (chain_rows(l, key, serial, (int64_t)(v & CODE_ROW), &rows, &n,
					       &cap, &sc, &f, &t) != SQLITE_OK) {
					sqlite3_finalize(st);
					err_set(err, "%s: cannot index the ledger's codes: %s",
						l->path, cause(l));
					goto out;
				}
				if (n > NET_INDEX_MIN &&
				    index_nets(l, key, serial, k, rows, n, 0) != SQLITE_OK) {
					sqlite3_finalize(st);
					err_set(
					    err,
					    "%s: cannot index the ledger's codes: out of memory",
					    l->path);
					goto out;
				}
			}
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			db_fail(l->w, l->path, "cannot index the ledger's codes", err);
			goto out;
		}
	}
	log_msg(LOG_LV_INFO, "%s: %zu codes indexed in memory (%zu KiB)", l->path,
		codemap_count(l->codes), (codemap_bytes(l->codes) + codemap_bytes(l->nets)) / 1024);
	ret = TEM_OK;
out:
	free(rows);
	return ret;
}

static void sqlite_close(void *db);

/* The backend's open (ledger_open_flags): takes LEDGER.lock, opens the writer connection,
 * checks the pages, migrates, prepares the writer's statements, opens the reader connection
 * and counts the scans. */
static int sqlite_open(const char *path, int flags, void **db, int64_t *scans, struct tem_err *err)
{
	struct sq *l = calloc(1, sizeof *l);
	sqlite3_stmt *st;
	struct stat sb;
	char limit[64];
	int rc, made = 0;

	*db = NULL;
	if (l == NULL)
		return err_set(err, "out of memory");
	if (strlen(path) >= sizeof l->path) {
		free(l);
		return err_set(err, "ledger path too long");
	}
	strcpy(l->path, path);
	l->lock_fd = -1;
	pthread_mutex_init(&l->rmu, NULL);
	if ((l->lock_fd = lock_ledger(path, err)) < 0)
		goto fail;
	if (stat(path, &sb) == 0) {
		/* a ledger is never empty once made: an empty file is a lost ledger, never
		 * silently a new one in which every code would be unregistered */
		if (sb.st_size == 0 && !(flags & LEDGER_INIT)) {
			err_set(err,
				"%s: the ledger file is empty (0 bytes): restore it from a backup, "
				"or give --init to start a new, empty ledger",
				path);
			goto fail;
		}
		made = sb.st_size == 0;
	} else if (errno == ENOENT) {
		made = 1;
	}
	if (open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l->w, err) != TEM_OK)
		goto fail;
	if (check_ledger(l, err) != TEM_OK)
		goto fail;
	snprintf(limit, sizeof limit, "PRAGMA journal_size_limit = %lld",
		 (long long)LEDGER_WAL_LIMIT);
	if (sqlite3_exec(l->w, limit, NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(l->w, path, "cannot set up", err);
		goto fail;
	}
	if (migrate(l, err) != TEM_OK || load_salt(l, err) != TEM_OK)
		goto fail;
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(l->w, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->st[i],
				       NULL) != SQLITE_OK) {
			db_fail(l->w, path, "cannot prepare a statement", err);
			goto fail;
		}
	if (build_index(l, err) != TEM_OK)
		goto fail;
	if (open_db(path, SQLITE_OPEN_READONLY, &l->r, err) != TEM_OK)
		goto fail;
	/* the scan count /metrics starts from: every counted scan, repeats included, as the
	 * daily roll-ups count them (a few rows a day; the scans table holds first scans only);
	 * one row, always (a failed read fails the open) */
	if (sqlite3_prepare_v2(l->r, "SELECT coalesce(sum(scans), 0) FROM day_stats", -1, &st,
			       NULL) != SQLITE_OK) {
		db_fail(l->r, path, "cannot count the scans", err);
		goto fail;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*scans = sqlite3_column_int64(st, 0);
	else
		db_fail(l->r, path, "cannot count the scans", err);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		goto fail;
	*db = l;
	return TEM_OK;
fail:
	rc = l->lock_fd; /* kept until the new ledger's files are gone */
	l->lock_fd = -1;
	sqlite_close(l);
	if (made)
		remove_new_ledger(path);
	if (rc >= 0)
		close(rc);
	return TEM_ERR;
}

/* The backend's check (ledger_bind_check): what the next JOB_CHECK job runs. */
static void sqlite_check(void *db, const char *sql_text, const char *name, struct tem_err *err)
{
	struct sq *l = db;

	l->check_sql = sql_text; /* read by the writer after ledger_submit's lock */
	l->check_name = name;
	l->check_err = err;
}

/* The backend's salt (ledger_salt). */
static int sqlite_salt(void *db, unsigned char out[LEDGER_SALT_BYTES])
{
	const struct sq *l = db;

	if (!l->has_salt)
		return 0;
	memcpy(out, l->salt, LEDGER_SALT_BYTES);
	return 1;
}

/* The backend's forgot_salt: the LEDGER_JOB_FORGET_SALT job committed. */
static void sqlite_forgot_salt(void *db)
{
	struct sq *l = db;

	sodium_memzero(l->salt, sizeof l->salt);
	l->has_salt = 0;
}

/* The backend's each_batch. */
static int sqlite_each_batch(void *db, int64_t after,
			     int (*fn)(void *arg, const struct ledger_batch_row *b,
				       struct tem_err *err),
			     void *arg, struct tem_err *err)
{
	struct sq *l = db;
	/* one row a batch, in the column order read below; the reader connection's own snapshot */
	static const char q[] =
	    "SELECT key_id, first_serial, last_serial, registered, id, batch_id, "
	    "product, producer, url, issued, last_day, header, claim_key IS NOT NULL FROM batches "
	    "ORDER BY key_id, first_serial";
	/* the same columns, of the rows above ?1, in row order */
	static const char qa[] =
	    "SELECT key_id, first_serial, last_serial, registered, id, batch_id, "
	    "product, producer, url, issued, last_day, header, claim_key IS NOT NULL FROM batches "
	    "WHERE id > ?1 ORDER BY id";
	sqlite3_stmt *st;
	int rc, ret = TEM_OK;

	pthread_mutex_lock(&l->rmu);
	if (sqlite3_prepare_v2(l->r, after < 0 ? q : qa, -1, &st, NULL) != SQLITE_OK) {
		ret = db_fail(l->r, l->path, "cannot read the batches", err);
		goto out;
	}
	if (after >= 0 && sqlite3_bind_int64(st, 1, after) != SQLITE_OK) {
		ret = db_fail(l->r, l->path, "cannot read the batches", err);
		sqlite3_finalize(st);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ledger_batch_row b;
		b.key_id = (const char *)sqlite3_column_text(st, 0);
		b.first = (uint64_t)sqlite3_column_int64(st, 1);
		b.last = (uint64_t)sqlite3_column_int64(st, 2);
		b.registered_ms = sqlite3_column_int64(st, 3);
		b.row = sqlite3_column_int64(st, 4);
		b.batch_id = (const char *)sqlite3_column_text(st, 5);
		b.product = (const char *)sqlite3_column_text(st, 6);
		b.producer = (const char *)sqlite3_column_text(st, 7);
		b.url = (const char *)sqlite3_column_text(st, 8);
		b.issued = sqlite3_column_int64(st, 9);
		b.last_day = sqlite3_column_int(st, 10);
		b.header = (const char *)sqlite3_column_text(st, 11);
		b.has_pins = sqlite3_column_int(st, 12);
		/* the text columns are NOT NULL: a NULL is a failed read (out of memory) */
		if (b.key_id == NULL || b.batch_id == NULL || b.product == NULL ||
		    b.producer == NULL || b.url == NULL || b.header == NULL) {
			ret = err_set(err, "%s: cannot read batch %lld: out of memory", l->path,
				      (long long)b.row);
			break;
		}
		if (fn(arg, &b, err) != TEM_OK) {
			ret = TEM_ERR;
			break;
		}
	}
	/* only SQLITE_DONE is the end: a step that fails ends the walk with an error */
	if (ret == TEM_OK && rc != SQLITE_DONE)
		ret = db_fail(l->r, l->path, "cannot read the batches", err);
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&l->rmu);
	return ret;
}

/* Binds v (text when t is not NULL, else the integer i) to st's parameter name on the reader
 * connection: the reader's own checks, as bind_i64's (the failure state those keep is the
 * writer's). SQLITE_OK, SQLITE_RANGE for a name st does not have, or SQLite's code. */
static int rbind(sqlite3_stmt *st, const char *name, const char *t, int64_t i)
{
	int k = sqlite3_bind_parameter_index(st, name);

	if (k == 0)
		return SQLITE_RANGE;
	return t != NULL ? sqlite3_bind_text(st, k, t, -1, SQLITE_STATIC)
			 : sqlite3_bind_int64(st, k, i);
}

/* The backend's trust_sequence. */
static int sqlite_trust_sequence(void *db, uint64_t *seq, struct tem_err *err)
{
	struct sq *l = db;
	static const char q[] = "SELECT value FROM meta WHERE name = 'trust-sequence'";
	sqlite3_stmt *st = NULL;
	int rc, ret = TEM_ERR;

	*seq = 0;
	pthread_mutex_lock(&l->rmu);
	if (sqlite3_prepare_v2(l->r, q, -1, &st, NULL) != SQLITE_OK) {
		db_fail(l->r, l->path, "cannot read the trust list's sequence number", err);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    sqlite3_column_int64(st, 0) < 0) {
			err_set(err,
				"%s: the trust list's sequence number in table meta is not a "
				"number: the ledger is damaged",
				l->path);
			goto out;
		}
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		db_fail(l->r, l->path, "cannot read the trust list's sequence number", err);
		goto out;
	}
	ret = TEM_OK;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->rmu);
	return ret;
}

/* The backend's claim_info. */
static int sqlite_claim_info(void *db, const char *key_id, uint64_t serial,
			     struct ledger_claim_info *out, struct tem_err *err)
{
	struct sq *l = db;
	/* the batch holding the serial and its sealed claim key */
	static const char q[] = "SELECT first_serial, claim_key FROM batches "
				"WHERE key_id = :key AND first_serial <= :serial "
				"AND last_serial >= :serial LIMIT 1";
	sqlite3_stmt *st = NULL;
	int rc, ret = TEM_ERR;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&l->rmu);
	/* every claim asks: prepared once, kept with the reader connection */
	if (l->claim_info == NULL && sqlite3_prepare_v3(l->r, q, -1, SQLITE_PREPARE_PERSISTENT,
							&l->claim_info, NULL) != SQLITE_OK) {
		db_fail(l->r, l->path, "cannot read a claim", err);
		goto out;
	}
	st = l->claim_info;
	if ((rc = rbind(st, ":key", key_id, 0)) != SQLITE_OK ||
	    (rc = rbind(st, ":serial", NULL, (int64_t)serial)) != SQLITE_OK) {
		err_set(err, "%s: cannot bind in \"%s\": %s", l->path, q, sqlite3_errstr(rc));
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = TEM_OK; /* in no batch */
		goto out;
	}
	if (rc != SQLITE_ROW) {
		db_fail(l->r, l->path, "cannot read a claim", err);
		goto out;
	}
	out->in_batch = 1;
	out->first = (uint64_t)sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 1) == SQLITE_BLOB) {
		int n = sqlite3_column_bytes(st, 1);
		const void *v = sqlite3_column_blob(st, 1);
		if (v == NULL || n <= 0 || (size_t)n > sizeof out->sealed) {
			err_set(err, "%s: a sealed claim key of %d bytes: the ledger is damaged",
				l->path, n);
			goto out;
		}
		memcpy(out->sealed, v, (size_t)n);
		out->sealed_len = (size_t)n;
		out->has_pins = 1;
	}
	ret = TEM_OK;
out:
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	pthread_mutex_unlock(&l->rmu);
	return ret;
}

/* The backend's bytes: the file and its WAL. */
static int64_t sqlite_bytes(void *db)
{
	struct sq *l = db;
	char wal[4200];
	struct stat st;
	int64_t bytes = 0;

	if (stat(l->path, &st) == 0)
		bytes += st.st_size;
	snprintf(wal, sizeof wal, "%s-wal", l->path);
	if (stat(wal, &st) == 0)
		bytes += st.st_size;
	return bytes;
}

/* The backend's close: the statements, the reader, a last checkpoint, the writer, the lock. */
static void sqlite_close(void *db)
{
	struct sq *l = db;
	int rc;

	if (l == NULL)
		return;
	/* finalize returns the statement's last step error, already handled when it came */
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(l->st[i]);
	sqlite3_finalize(l->claim_info);
	if (l->r != NULL && sqlite3_close(l->r) != SQLITE_OK)
		log_msg(LOG_LV_ERROR, "%s: cannot close the reader connection: %s", l->path,
			sqlite3_errmsg(l->r));
	if (l->w != NULL) {
		/* a failed checkpoint loses nothing (the WAL stays and is read at the next open) but
		 * must be said: the WAL then keeps growing across restarts */
		rc = sqlite3_wal_checkpoint_v2(l->w, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		if (rc != SQLITE_OK)
			fprintf(
			    stderr,
			    "temd: %s: cannot checkpoint the write-ahead log into the ledger: %s "
			    "(SQLite code %d); it is kept and read at the next start\n",
			    l->path, sqlite3_errmsg(l->w), sqlite3_extended_errcode(l->w));
		if (sqlite3_close(l->w) != SQLITE_OK)
			log_msg(LOG_LV_ERROR, "%s: cannot close the ledger: %s", l->path,
				sqlite3_errmsg(l->w));
	}
	if (l->lock_fd >= 0)
		close(l->lock_fd); /* after SQLite's own files: the lock covers them all */
	pthread_mutex_destroy(&l->rmu);
	codemap_free(l->codes);
	free(l->rows);
	rollup_free(&l->rollups);
	codemap_free(l->nets);
	sodium_memzero(l->map_key, sizeof l->map_key);
	free(l);
}

int64_t sqlite_code_head(void *db, const char *key_id, uint64_t serial)
{
	struct sq *l = db;
	uint64_t v = 0;

	if (l == NULL || l->codes == NULL ||
	    !codemap_read(l->codes, code_key(l, key_id, serial), &v))
		return 0;
	return (int64_t)(v & CODE_ROW);
}

static const struct ledger_backend backend = {
    .name = "SQLite",
    .open = sqlite_open,
    .close = sqlite_close,
    .begin = sqlite_begin,
    .run_job = sqlite_run_job,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .describe = sqlite_describe,
    .idle = sqlite_idle,
    .salt = sqlite_salt,
    .forgot_salt = sqlite_forgot_salt,
    .each_batch = sqlite_each_batch,
    .claim_info = sqlite_claim_info,
    .trust_sequence = sqlite_trust_sequence,
    .bytes = sqlite_bytes,
    .check = sqlite_check,
    .backup = sqlite_backup,
    .lq_open = sqlite_lq_open,
    .lq_close = sqlite_lq_close,
    .lq_batches = sqlite_lq_batches,
    .lq_code = sqlite_lq_code,
    .lq_code_scans = sqlite_lq_code_scans,
    .lq_scans = sqlite_lq_scans,
    .lq_alerts = sqlite_lq_alerts,
    .lq_alert = sqlite_lq_alert,
    .lq_alert_changes = sqlite_lq_alert_changes,
    .lq_code_alerts = sqlite_lq_code_alerts,
    .lq_stats = sqlite_lq_stats,
    .lq_producers = sqlite_lq_producers,
    .tokens_open = sqlite_tokens_open,
    .tokens_close = sqlite_tokens_close,
    .tokens_find = sqlite_tokens_find,
    .tokens_add = sqlite_tokens_add,
    .tokens_revoke = sqlite_tokens_revoke,
    .tokens_each = sqlite_tokens_each,
};

const struct ledger_backend *ledger_sqlite_backend(void)
{
	return &backend;
}
