/* ledger_sqlite_export.c — a SQLite ledger's rows for `temd ledger copy`
 * (server/ledger_sqlite_export.h): one SELECT a table, in key order, each value handed on as
 * an engine-neutral struct ledger_value. */
#include "server/ledger_sqlite_export.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/ledger_sqlite_backup.h"

/* The schema version (PRAGMA user_version) whose tables these SELECTs read: SQLite's
 * migrations 1 to 7 (server/ledger_sqlite.c), what the PostgreSQL schema's version 1 holds. */
#define EXPORT_SCHEMA_VERSION 8
#define EXPORT_MAX_COLS       16

/* Each copied table's SELECT, its columns named as in the PostgreSQL schema, in the order of
 * its key. batch_stats and alert_changes gain the key id PostgreSQL keys them by, from the
 * batch and the alert they belong to (a row without one gets NULL, which the import refuses). */
static const struct {
	const char *table, *sql;
} selects[] = {
    {"meta", "SELECT name, value FROM meta ORDER BY name"},
    {"producers", "SELECT key_id, public_key, name, valid_from, revoked, updated FROM producers "
		  "ORDER BY key_id"},
    {"batches", "SELECT id, key_id, first_serial, last_serial, batch_id, product, producer, "
		"url, issued, last_day, header, registered, claim_key FROM batches ORDER BY id"},
    {"scans", "SELECT id, key_id, serial, at, client, verdict FROM scans ORDER BY id"},
    {"code_scans", "SELECT key_id, serial, client, cookie, scans, first_scan, last_scan, scan, "
		   "verdict FROM code_scans ORDER BY key_id, serial, client, cookie"},
    {"code_alerts", "SELECT key_id, serial, scans, clients, first_scan, last_scan, raised FROM "
		    "code_alerts ORDER BY key_id, serial"},
    {"tokens", "SELECT hash, name, created, producer, expires, revoked FROM tokens ORDER BY hash"},
    {"claims", "SELECT key_id, serial, at, client, cookie FROM claims ORDER BY key_id, serial"},
    {"claim_fails_code", "SELECT key_id, serial, day, fails FROM claim_fails_code "
			 "ORDER BY key_id, serial, day"},
    {"claim_fails_net", "SELECT net, hour, fails FROM claim_fails_net ORDER BY net, hour"},
    {"alerts", "SELECT id, type, key_id, serial, events, clients, first_at, last_at, status, "
	       "reason, note, updated_by, updated_at FROM alerts ORDER BY id"},
    {"alert_changes", "SELECT c.id, a.key_id, c.alert, c.at, c.by, c.status, c.reason, c.note "
		      "FROM alert_changes c LEFT JOIN alerts a ON a.id = c.alert ORDER BY c.id"},
    {"day_stats", "SELECT day, key_id, batch, scans, codes, genuine, seen, duplicate, sold, "
		  "unregistered, expired, revoked, claims FROM day_stats "
		  "ORDER BY day, key_id, batch"},
    {"batch_stats", "SELECT b.key_id, s.batch, s.scans, s.codes, s.claimed, s.alerted FROM "
		    "batch_stats s LEFT JOIN batches b ON b.id = s.batch ORDER BY s.batch"},
};
#define N_SELECTS (sizeof selects / sizeof selects[0])

struct sqlite_export {
	char *path;
	sqlite3 *db;
	int lock_fd;
};

/* The SELECT of table, or NULL when it is not a copied table. */
static const char *select_of(const char *table)
{
	size_t i;

	for (i = 0; i < N_SELECTS; i++)
		if (strcmp(selects[i].table, table) == 0)
			return selects[i].sql;
	return NULL;
}

/* Sets err to "PATH: WHAT: SQLite's message"; returns TEM_ERR. */
static int db_err(struct sqlite_export *x, const char *what, struct tem_err *err)
{
	return err_set(err, "%s: %s: %s", x->path, what, sqlite3_errmsg(x->db));
}

/* Takes path.lock's write lock, as temd does, without waiting (sqlite_lock_ledger): the
 * descriptor, or -1 with err set (naming the process holding it). */
static int take_lock(const char *path, struct tem_err *err)
{
	long holder;
	int fd = sqlite_lock_ledger(path, &holder, err);

	if (fd != -2)
		return fd;
	if (holder > 0)
		err_set(err, "%s: a temd (process %ld) is using the ledger: stop it first", path,
			holder);
	else
		err_set(err, "%s: another process is using the ledger: stop it first", path);
	return -1;
}

/* *v: the one integer query q returns. TEM_OK, or TEM_ERR with err set. */
static int one_int(struct sqlite_export *x, const char *q, int64_t *v, struct tem_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = TEM_ERR;

	if (sqlite3_prepare_v2(x->db, q, -1, &st, NULL) != SQLITE_OK) {
		db_err(x, "cannot read the ledger", err);
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_err(x, "cannot read the ledger", err);
		goto out;
	}
	*v = sqlite3_column_int64(st, 0);
	rc = TEM_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

int sqlite_export_open(const char *path, struct sqlite_export **out, struct tem_err *err)
{
	struct sqlite_export *x = calloc(1, sizeof *x);
	int64_t version, salt;

	*out = NULL;
	if (x == NULL || (x->path = strdup(path)) == NULL) {
		free(x);
		return err_set(err, "%s: out of memory", path);
	}
	x->lock_fd = -1;
	if (access(path, F_OK) != 0) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((x->lock_fd = take_lock(path, err)) < 0)
		goto fail;
	if (sqlite3_open_v2(path, &x->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		db_err(x, "cannot open the ledger", err);
		goto fail;
	}
	if (sqlite3_busy_timeout(x->db, 5000) != SQLITE_OK ||
	    one_int(x, "PRAGMA user_version", &version, err) != TEM_OK)
		goto fail;
	if (version == 0) {
		err_set(err, "%s: not a tem ledger (no schema version)", path);
		goto fail;
	}
	if (version < EXPORT_SCHEMA_VERSION) {
		err_set(err,
			"%s: ledger schema version %lld is older than %d: start the current temd "
			"on it once (it migrates the ledger), stop it, then copy",
			path, (long long)version, EXPORT_SCHEMA_VERSION);
		goto fail;
	}
	if (version > EXPORT_SCHEMA_VERSION) {
		err_set(err,
			"%s: ledger schema version %lld is newer than this copy understands (%d): "
			"use the temd that made it",
			path, (long long)version, EXPORT_SCHEMA_VERSION);
		goto fail;
	}
	if (one_int(x, "SELECT count(*) FROM meta WHERE name = 'client-salt'", &salt, err) !=
	    TEM_OK)
		goto fail;
	if (salt != 0) {
		err_set(err,
			"%s: the ledger still holds its client salt: start temd on it once (it "
			"moves the salt into the secret file), stop it, then copy",
			path);
		goto fail;
	}
	*out = x;
	return TEM_OK;
fail:
	sqlite_export_close(x);
	return TEM_ERR;
}

int sqlite_export_rows(struct sqlite_export *x, const char *table, int64_t skip,
		       int (*fn)(void *arg, const struct ledger_row *row, struct tem_err *err),
		       void *arg, struct tem_err *err)
{
	const char *cols[EXPORT_MAX_COLS];
	struct ledger_value v[EXPORT_MAX_COLS];
	struct ledger_row row = {.table = table, .cols = cols, .v = v};
	const char *q = select_of(table);
	sqlite3_stmt *st = NULL;
	char sqlbuf[1024];
	int rc = TEM_ERR, s;
	size_t i;

	if (q == NULL)
		return err_set(err, "%s: no table %s is copied", x->path, table);
	/* LIMIT -1 OFFSET skip: the rows an earlier, interrupted copy wrote are passed over in
	 * the key's index, never handed on again */
	snprintf(sqlbuf, sizeof sqlbuf, "%s LIMIT -1 OFFSET ?", q);
	if (sqlite3_prepare_v2(x->db, sqlbuf, -1, &st, NULL) != SQLITE_OK) {
		db_err(x, "cannot read the ledger", err);
		goto out;
	}
	if (sqlite3_bind_int64(st, 1, skip) != SQLITE_OK) {
		db_err(x, "cannot read the ledger", err);
		goto out;
	}
	row.ncols = (size_t)sqlite3_column_count(st);
	if (row.ncols > EXPORT_MAX_COLS) {
		err_set(err, "%s: table %s has too many columns", x->path, table);
		goto out;
	}
	for (i = 0; i < row.ncols; i++)
		cols[i] = sqlite3_column_name(st, (int)i);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < row.ncols; i++) {
			int c = (int)i;
			memset(&v[i], 0, sizeof v[i]);
			switch (sqlite3_column_type(st, c)) {
			case SQLITE_NULL:
				v[i].type = LV_NULL;
				break;
			case SQLITE_INTEGER:
				v[i].type = LV_INT;
				v[i].i = sqlite3_column_int64(st, c);
				break;
			case SQLITE_TEXT:
				v[i].type = LV_TEXT;
				v[i].p = sqlite3_column_text(st, c);
				v[i].len = (size_t)sqlite3_column_bytes(st, c);
				break;
			case SQLITE_BLOB:
				v[i].type = LV_BLOB;
				v[i].p = sqlite3_column_blob(st, c);
				v[i].len = (size_t)sqlite3_column_bytes(st, c);
				if (v[i].p == NULL) /* a zero-length blob: x'' */
					v[i].p = "";
				break;
			default:
				err_set(err,
					"%s: table %s, column %s: a floating-point value, "
					"which no ledger column holds",
					x->path, table, cols[i]);
				goto out;
			}
			if ((v[i].type == LV_TEXT || v[i].type == LV_BLOB) && v[i].p == NULL) {
				db_err(x, "cannot read the ledger", err);
				goto out;
			}
		}
		if ((rc = fn(arg, &row, err)) != TEM_OK)
			goto out;
		rc = TEM_ERR;
	}
	if (s != SQLITE_DONE) {
		db_err(x, "cannot read the ledger", err);
		goto out;
	}
	rc = TEM_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

int sqlite_export_count(struct sqlite_export *x, const char *table, int64_t *rows,
			struct tem_err *err)
{
	char q[128];

	if (select_of(table) == NULL)
		return err_set(err, "%s: no table %s is copied", x->path, table);
	snprintf(q, sizeof q, "SELECT count(*) FROM %s", table);
	return one_int(x, q, rows, err);
}

int sqlite_export_scans(struct sqlite_export *x, int64_t *sum, struct tem_err *err)
{
	return one_int(x, "SELECT coalesce(sum(scans), 0) FROM code_scans", sum, err);
}

void sqlite_export_close(struct sqlite_export *x)
{
	if (x == NULL)
		return;
	sqlite3_close(x->db);
	if (x->lock_fd >= 0)
		close(x->lock_fd);
	free(x->path);
	free(x);
}
