/* ledger.c — the SQLite ledger: schema and migrations, the group-committing writer thread,
 * and the reads temd needs. Every statement is prepared once, with bound parameters. */
#include "server/ledger.h"

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "keys/date.h"

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
    /* every counted scan, appended by rowid */
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
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum {
	S_CLIENT,
	S_ALERT_GET,
	S_CODE,
	S_SCAN,
	S_ALERT,
	S_BATCH_FIND,
	S_BATCH_ADD,
	S_PRODUCER,
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_COUNT
};

static const char *const sql[S_COUNT] = {
    [S_CLIENT] = "INSERT INTO code_scans(key_id, serial, client, scans, first_scan, last_scan) "
		 "VALUES(:key, :serial, :client, 1, :at, :at) "
		 "ON CONFLICT(key_id, serial, client) DO UPDATE SET scans = scans + 1, "
		 "last_scan = :at RETURNING scans",
    [S_ALERT_GET] = "SELECT scans, clients, first_scan FROM alerts "
		    "WHERE key_id = :key AND serial = :serial",
    [S_CODE] = "SELECT sum(scans), count(*), min(first_scan) FROM code_scans "
	       "WHERE key_id = :key AND serial = :serial",
    [S_SCAN] = "INSERT INTO scans(key_id, serial, at, client, verdict) "
	       "VALUES(:key, :serial, :at, :client, :verdict)",
    [S_ALERT] = "INSERT INTO alerts(key_id, serial, scans, clients, first_scan, last_scan, raised) "
		"VALUES(:key, :serial, :scans, :clients, :first, :at, :at) "
		"ON CONFLICT(key_id, serial) DO UPDATE SET scans = excluded.scans, "
		"clients = excluded.clients, last_scan = excluded.last_scan",
    [S_BATCH_FIND] = "SELECT id, header, registered FROM batches WHERE key_id = :key "
		     "AND first_serial <= :last AND last_serial >= :first LIMIT 1",
    [S_BATCH_ADD] = "INSERT INTO batches(key_id, first_serial, last_serial, batch_id, product, "
		    "producer, url, issued, last_day, header, registered) VALUES(:key, :first, "
		    ":last, :batch, :product, :producer, :url, :issued, :last_day, :header, :at)",
    [S_PRODUCER] = "INSERT INTO producers(key_id, public_key, name, valid_from, revoked, updated) "
		   "VALUES(:key, :pub, :name, :from, :revoked, :at) "
		   "ON CONFLICT(key_id) DO UPDATE SET public_key = excluded.public_key, "
		   "name = excluded.name, valid_from = excluded.valid_from, "
		   "revoked = excluded.revoked, updated = excluded.updated",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
};

struct ledger {
	char path[4096];
	sqlite3 *w;                /* the writer's connection */
	sqlite3_stmt *st[S_COUNT]; /* its statements */
	sqlite3 *r;                /* the readers' connection */
	pthread_mutex_t rmu;       /* guards r */
	pthread_t writer;
	int started;
	pthread_mutex_t mu; /* guards the queue */
	pthread_cond_t cv;
	struct ledger_job *head, *tail;
	int stop;
	unsigned char salt[LEDGER_SALT_BYTES];
	atomic_llong scans;  /* counted scans in the ledger */
	atomic_long streak;  /* failed transactions since the last success: 0 = healthy */
	atomic_llong failed; /* transactions failed since start */
	long unreported;     /* writer only: failures not yet logged */
	double reported;     /* writer only: when a failure was last logged (monotonic s) */
};

static int db_fail(sqlite3 *db, const char *path, const char *what, struct tem_err *err)
{
	return err_set(err, "%s: %s: %s", path, what,
		       db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

/* Opens a connection with the settings every connection needs. */
static int open_db(const char *path, int flags, sqlite3 **db, struct tem_err *err)
{
	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_fail(*db, path, "cannot open", err);
		sqlite3_close(*db);
		*db = NULL;
		return TEM_ERR;
	}
	sqlite3_busy_timeout(*db, 10000);
	sqlite3_extended_result_codes(*db, 1);
	if (sqlite3_exec(*db,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
			 "PRAGMA foreign_keys = ON",
			 NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(*db, path, "cannot set up", err);
		sqlite3_close(*db);
		*db = NULL;
		return TEM_ERR;
	}
	return TEM_OK;
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Brings the schema to SCHEMA_VERSION, one migration a transaction. */
static int migrate(struct ledger *l, struct tem_err *err)
{
	int v;

	if (user_version(l->w, &v) != SQLITE_OK)
		return db_fail(l->w, l->path, "cannot read the schema version", err);
	if (v > SCHEMA_VERSION)
		return err_set(err,
			       "%s: ledger schema version %d is newer than this temd understands "
			       "(%d): use a newer temd",
			       l->path, v, SCHEMA_VERSION);
	for (; v < SCHEMA_VERSION; v++) {
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(l->w, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(l->w, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(l->w, bump, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(l->w, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			db_fail(l->w, l->path, "schema migration failed", err);
			sqlite3_exec(l->w, "ROLLBACK", NULL, NULL, NULL);
			return TEM_ERR;
		}
	}
	return TEM_OK;
}

/* Reads the client salt from meta, making it on first use. */
static int load_salt(struct ledger *l, struct tem_err *err)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if (sqlite3_prepare_v2(l->w, "SELECT value FROM meta WHERE name = 'client-salt'", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(l->w, l->path, "cannot read meta", err);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == LEDGER_SALT_BYTES) {
		memcpy(l->salt, sqlite3_column_blob(st, 0), LEDGER_SALT_BYTES);
		found = 1;
	}
	sqlite3_finalize(st);
	if (found)
		return TEM_OK;
	randombytes_buf(l->salt, sizeof l->salt);
	if (sqlite3_prepare_v2(l->w,
			       "INSERT OR REPLACE INTO meta(name, value) "
			       "VALUES('client-salt', :salt)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(l->w, l->path, "cannot write meta", err);
	sqlite3_bind_blob(st, 1, l->salt, sizeof l->salt, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TEM_OK : db_fail(l->w, l->path, "cannot write meta", err);
}

static sqlite3_stmt *stmt(struct ledger *l, int i)
{
	sqlite3_reset(l->st[i]);
	sqlite3_clear_bindings(l->st[i]);
	return l->st[i];
}

static int bind_i64(sqlite3_stmt *st, const char *name, int64_t v)
{
	return sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), v);
}

static int bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	return sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), v, -1, SQLITE_STATIC);
}

static int bind_blob(sqlite3_stmt *st, const char *name, const void *v, int n)
{
	return sqlite3_bind_blob(st, sqlite3_bind_parameter_index(st, name), v, n, SQLITE_STATIC);
}

/* Counts one scan: its client's row, the code's counts, the scan row, and the alert row when
 * the code is a duplicate or already has one. The counts come from the alert row when there is
 * one (kept current by every scan since), else from the code's few client rows, so a cloned
 * code scanned by thousands costs no more than any other. SQLITE_OK or the failing
 * statement's code. */
static int run_scan(struct ledger *l, struct ledger_scan *s)
{
	sqlite3_stmt *st;
	int rc, fresh, alerted;

	st = stmt(l, S_CLIENT);
	bind_text(st, ":key", s->key_id);
	bind_i64(st, ":serial", (int64_t)s->serial);
	bind_blob(st, ":client", s->client, LEDGER_CLIENT_BYTES);
	bind_i64(st, ":at", s->at_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return rc;
	fresh = sqlite3_column_int64(st, 0) == 1;
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return rc;

	st = stmt(l, S_ALERT_GET);
	bind_text(st, ":key", s->key_id);
	bind_i64(st, ":serial", (int64_t)s->serial);
	rc = sqlite3_step(st);
	alerted = rc == SQLITE_ROW;
	if (alerted) {
		s->scans = sqlite3_column_int64(st, 0) + 1;
		s->clients = sqlite3_column_int64(st, 1) + fresh;
		s->first_scan_ms = sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
	} else if (rc != SQLITE_DONE) {
		return rc;
	} else {
		st = stmt(l, S_CODE);
		bind_text(st, ":key", s->key_id);
		bind_i64(st, ":serial", (int64_t)s->serial);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW)
			return rc;
		s->scans = sqlite3_column_int64(st, 0);
		s->clients = sqlite3_column_int64(st, 1);
		s->first_scan_ms = sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
	}
	s->facts.other_clients = s->clients - 1;
	s->verdict = verdict_decide(&s->facts);

	st = stmt(l, S_SCAN);
	bind_text(st, ":key", s->key_id);
	bind_i64(st, ":serial", (int64_t)s->serial);
	bind_i64(st, ":at", s->at_ms);
	bind_blob(st, ":client", s->client, LEDGER_CLIENT_BYTES);
	bind_text(st, ":verdict", verdict_name(s->verdict));
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return rc;

	if (s->verdict == V_DUPLICATE || alerted) {
		st = stmt(l, S_ALERT);
		bind_text(st, ":key", s->key_id);
		bind_i64(st, ":serial", (int64_t)s->serial);
		bind_i64(st, ":scans", s->scans);
		bind_i64(st, ":clients", s->clients);
		bind_i64(st, ":first", s->first_scan_ms);
		bind_i64(st, ":at", s->at_ms);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

/* Registers a batch unless its serials overlap one already registered for the key. */
static int run_batch(struct ledger *l, struct ledger_job *job)
{
	struct ledger_batch *b = &job->u.batch;
	sqlite3_stmt *st = stmt(l, S_BATCH_FIND);
	int rc;

	bind_text(st, ":key", b->key_id);
	bind_i64(st, ":first", (int64_t)b->first);
	bind_i64(st, ":last", (int64_t)b->last);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		b->row = sqlite3_column_int64(st, 0);
		b->registered_ms = sqlite3_column_int64(st, 2);
		job->status =
		    h != NULL && strcmp(h, b->header) == 0 ? LEDGER_EXISTS : LEDGER_OVERLAP;
		sqlite3_reset(st);
		return SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		return rc;
	st = stmt(l, S_BATCH_ADD);
	bind_text(st, ":key", b->key_id);
	bind_i64(st, ":first", (int64_t)b->first);
	bind_i64(st, ":last", (int64_t)b->last);
	bind_text(st, ":batch", b->batch_id);
	bind_text(st, ":product", b->product);
	bind_text(st, ":producer", b->producer);
	bind_text(st, ":url", b->url);
	bind_i64(st, ":issued", b->issued);
	bind_i64(st, ":last_day", b->last_day);
	bind_text(st, ":header", b->header);
	bind_i64(st, ":at", b->at_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return rc;
	b->row = sqlite3_last_insert_rowid(l->w);
	b->registered_ms = b->at_ms;
	return SQLITE_OK;
}

static int run_producers(struct ledger *l, struct ledger_job *job)
{
	int rc;

	for (size_t i = 0; i < job->u.producers.n; i++) {
		const struct ledger_producer *p = &job->u.producers.list[i];
		sqlite3_stmt *st = stmt(l, S_PRODUCER);
		bind_text(st, ":key", p->key_id);
		bind_text(st, ":pub", p->public_key);
		bind_text(st, ":name", p->name);
		bind_i64(st, ":from", p->valid_from);
		if (p->revoked >= 0)
			bind_i64(st, ":revoked", p->revoked);
		bind_i64(st, ":at", (int64_t)time(NULL) * 1000);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

static int run_job(struct ledger *l, struct ledger_job *job)
{
	job->status = LEDGER_OK;
	switch (job->kind) {
	case JOB_SCAN:
		return run_scan(l, &job->u.scan);
	case JOB_BATCH:
		return run_batch(l, job);
	case JOB_PRODUCER:
		return run_producers(l, job);
	}
	return SQLITE_MISUSE;
}

static int step_simple(struct ledger *l, int i)
{
	int rc = sqlite3_step(stmt(l, i));

	sqlite3_reset(l->st[i]);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Logs a failed transaction: the first of a run at once with its cause, then at most one line
 * every LEDGER_REPORT_SECONDS (a full disk fails every group: the log must not fill it too). */
#define LEDGER_REPORT_SECONDS 10.0
static void report_failure(struct ledger *l)
{
	int ext = sqlite3_extended_errcode(l->w), sys = sqlite3_system_errno(l->w);
	const char *during = ext == SQLITE_IOERR_WRITE    ? " while writing"
			     : ext == SQLITE_IOERR_FSYNC  ? " while syncing to disk"
			     : ext == SQLITE_IOERR_READ   ? " while reading"
			     : ext == SQLITE_IOERR_SHMMAP ? " while mapping the WAL index"
							  : "";
	double now = date_mono_seconds();
	long streak = atomic_fetch_add(&l->streak, 1) + 1;

	atomic_fetch_add(&l->failed, 1);
	l->unreported++;
	if (streak > 1 && now - l->reported < LEDGER_REPORT_SECONDS)
		return;
	fprintf(stderr, "temd: %s: transaction failed: %s%s%s%s (SQLite code %d)", l->path,
		sqlite3_errmsg(l->w), during, sys != 0 ? ": " : "", sys != 0 ? strerror(sys) : "",
		ext);
	if (l->unreported > 1)
		fprintf(stderr, ", %ld failed since the last report", l->unreported);
	fputs("; its scans were answered 503 and not counted\n", stderr);
	l->unreported = 0;
	l->reported = now;
}

/* The writer: takes every waiting job, runs them in one transaction, commits, answers. */
static void *writer_main(void *arg)
{
	struct ledger *l = arg;

	for (;;) {
		struct ledger_job *group, *job, *next;
		long long counted = 0;
		int rc;

		pthread_mutex_lock(&l->mu);
		while (l->head == NULL && !l->stop)
			pthread_cond_wait(&l->cv, &l->mu);
		group = l->head;
		l->head = l->tail = NULL;
		pthread_mutex_unlock(&l->mu);
		if (group == NULL)
			break; /* stopping, and nothing left */

		rc = step_simple(l, S_BEGIN);
		for (job = group; rc == SQLITE_OK && job != NULL; job = job->next) {
			rc = run_job(l, job);
			if (job->kind == JOB_SCAN)
				counted++;
		}
		if (rc == SQLITE_OK)
			rc = step_simple(l, S_COMMIT);
		if (rc != SQLITE_OK) {
			report_failure(l);
			if (!sqlite3_get_autocommit(l->w))
				step_simple(l, S_ROLLBACK);
			counted = 0;
		} else if (atomic_load(&l->streak) > 0) {
			fprintf(stderr, "temd: %s: writes again, after %ld failed transaction(s)\n",
				l->path, atomic_exchange(&l->streak, 0));
			l->unreported = 0;
		}
		atomic_fetch_add(&l->scans, counted);
		for (job = group; job != NULL; job = next) {
			next = job->next; /* done may free the job */
			if (rc != SQLITE_OK)
				job->status = LEDGER_FAILED;
			if (job->done != NULL)
				job->done(job, job->arg);
		}
	}
	return NULL;
}

int ledger_open(const char *path, struct ledger **out, struct tem_err *err)
{
	struct ledger *l = calloc(1, sizeof *l);
	sqlite3_stmt *st;

	*out = NULL;
	if (l == NULL)
		return err_set(err, "out of memory");
	if (strlen(path) >= sizeof l->path) {
		free(l);
		return err_set(err, "ledger path too long");
	}
	strcpy(l->path, path);
	pthread_mutex_init(&l->mu, NULL);
	pthread_mutex_init(&l->rmu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l->w, err) != TEM_OK)
		goto fail;
	if (migrate(l, err) != TEM_OK || load_salt(l, err) != TEM_OK)
		goto fail;
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(l->w, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->st[i],
				       NULL) != SQLITE_OK) {
			db_fail(l->w, path, "cannot prepare a statement", err);
			goto fail;
		}
	if (open_db(path, SQLITE_OPEN_READONLY, &l->r, err) != TEM_OK)
		goto fail;
	if (sqlite3_prepare_v2(l->r, "SELECT coalesce(max(id), 0) FROM scans", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			atomic_store(&l->scans, sqlite3_column_int64(st, 0));
		sqlite3_finalize(st);
	}
	if (pthread_create(&l->writer, NULL, writer_main, l) != 0) {
		err_set(err, "cannot start the ledger writer");
		goto fail;
	}
	l->started = 1;
	*out = l;
	return TEM_OK;
fail:
	ledger_close(l);
	return TEM_ERR;
}

void ledger_submit(struct ledger *l, struct ledger_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&l->mu);
	if (l->tail != NULL)
		l->tail->next = job;
	else
		l->head = job;
	l->tail = job;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

static void wake(struct ledger_job *job, void *arg)
{
	struct waiter *w = arg;

	(void)job;
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

enum ledger_status ledger_run(struct ledger *l, struct ledger_job *job)
{
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

	job->done = wake;
	job->arg = &w;
	ledger_submit(l, job);
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return job->status;
}

void ledger_salt(const struct ledger *l, unsigned char out[LEDGER_SALT_BYTES])
{
	memcpy(out, l->salt, LEDGER_SALT_BYTES);
}

int ledger_each_batch(struct ledger *l,
		      int (*fn)(void *arg, const char *key_id, uint64_t first, uint64_t last,
				int64_t registered_ms, int64_t row, const char *batch_id,
				const char *product, const char *producer),
		      void *arg, struct tem_err *err)
{
	sqlite3_stmt *st;
	int rc, ret = TEM_OK;

	pthread_mutex_lock(&l->rmu);
	if (sqlite3_prepare_v2(
		l->r,
		"SELECT key_id, first_serial, last_serial, registered, id, batch_id, "
		"product, producer FROM batches ORDER BY key_id, first_serial",
		-1, &st, NULL) != SQLITE_OK) {
		ret = db_fail(l->r, l->path, "cannot read batches", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		if (fn(arg, k != NULL ? k : "", (uint64_t)sqlite3_column_int64(st, 1),
		       (uint64_t)sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
		       sqlite3_column_int64(st, 4), (const char *)sqlite3_column_text(st, 5),
		       (const char *)sqlite3_column_text(st, 6),
		       (const char *)sqlite3_column_text(st, 7)) != 0) {
			ret = err_set(err, "out of memory");
			break;
		}
	}
	if (ret == TEM_OK && rc != SQLITE_DONE)
		ret = db_fail(l->r, l->path, "cannot read batches", err);
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&l->rmu);
	return ret;
}

int ledger_failing(struct ledger *l, int64_t *failed)
{
	if (failed != NULL)
		*failed = atomic_load(&l->failed);
	return atomic_load(&l->streak) > 0;
}

void ledger_stats(struct ledger *l, int64_t *scans, int64_t *bytes)
{
	char wal[4200];
	struct stat st;

	*scans = atomic_load(&l->scans);
	*bytes = 0;
	if (stat(l->path, &st) == 0)
		*bytes += st.st_size;
	snprintf(wal, sizeof wal, "%s-wal", l->path);
	if (stat(wal, &st) == 0)
		*bytes += st.st_size;
}

void ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->writer, NULL);
	}
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(l->st[i]);
	if (l->r != NULL)
		sqlite3_close(l->r);
	if (l->w != NULL) {
		sqlite3_wal_checkpoint_v2(l->w, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		sqlite3_close(l->w);
	}
	pthread_mutex_destroy(&l->mu);
	pthread_mutex_destroy(&l->rmu);
	pthread_cond_destroy(&l->cv);
	free(l);
}
