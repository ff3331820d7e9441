/* ledger_sqlite_tokens.c — the SQLite engine's API tokens (server/ledger_tokens.h, through the
 * sqlite_tokens_* entries of ledger_sqlite_backend), on a connection of its own. */
#include "server/ledger_sqlite_tokens.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sq_tokens {
	sqlite3 *db;
	const char *path;   /* for messages: the caller's string, which outlives lt */
	sqlite3_stmt *find; /* prepared once: temd looks a token up on every regulator request */
	pthread_mutex_t mu; /* one lookup at a time on the connection */
};

static const char find_sql[] = "SELECT hash, name, producer, created, expires, revoked FROM tokens "
			       "WHERE hash = :hash";

static int fail(struct sq_tokens *lt, const char *what, struct tem_err *err)
{
	return err_set(err, "%s: %s: %s", lt->path, what, sqlite3_errmsg(lt->db));
}

int sqlite_tokens_open(const char *path, int write, void **out, struct tem_err *err)
{
	struct sq_tokens *lt;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int v = -1, rc = TEM_ERR;

	*out = NULL;
	if (stat(path, &sb) != 0)
		return err_set(err, "%s: no ledger there (%s); temd makes it at its first start",
			       path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return err_set(err, "%s: not a file", path);
	if ((lt = calloc(1, sizeof *lt)) == NULL)
		return err_set(err, "out of memory");
	lt->path = path;
	pthread_mutex_init(&lt->mu, NULL);
	/* no SQLITE_OPEN_CREATE: a ledger is temd's to make */
	if (sqlite3_open_v2(path, &lt->db,
			    (write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
				SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		err_set(err, "%s: cannot open the ledger: %s", path,
			lt->db != NULL ? sqlite3_errmsg(lt->db) : "out of memory");
		goto out;
	}
	if (sqlite3_busy_timeout(lt->db, 10000) != SQLITE_OK ||
	    sqlite3_extended_result_codes(lt->db, 1) != SQLITE_OK) {
		fail(lt, "cannot set up", err);
		goto out;
	}
	if (sqlite3_prepare_v2(lt->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		err_set(err, "%s: not a tem ledger (%s)", path, sqlite3_errmsg(lt->db));
		goto out;
	}
	v = sqlite3_column_int(st, 0);
	if (v == 0) {
		err_set(err, "%s: not a tem ledger (an empty file or another database)", path);
		goto out;
	}
	if (v < TOKENS_SCHEMA_NEEDED) {
		err_set(err,
			"%s: the ledger's schema (version %d) has no API tokens yet: start this "
			"temd on it once to bring it up to date",
			path, v);
		goto out;
	}
	if (sqlite3_prepare_v3(lt->db, find_sql, -1, SQLITE_PREPARE_PERSISTENT, &lt->find, NULL) !=
	    SQLITE_OK) {
		fail(lt, "not a tem ledger with API tokens", err);
		goto out;
	}
	*out = lt;
	rc = TEM_OK;
out:
	sqlite3_finalize(st);
	if (rc != TEM_OK)
		sqlite_tokens_close(lt);
	return rc;
}

void sqlite_tokens_close(void *tdb)
{
	struct sq_tokens *lt = tdb;

	if (lt == NULL)
		return;
	sqlite3_finalize(lt->find);
	sqlite3_close(lt->db);
	pthread_mutex_destroy(&lt->mu);
	free(lt);
}

/* Binds a named parameter, which must exist in st. SQLITE_OK or an error code. */
static int bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i == 0)
		return SQLITE_RANGE;
	return v != NULL ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT)
			 : sqlite3_bind_null(st, i);
}

static int bind_i64(sqlite3_stmt *st, const char *name, int64_t v, int null_when_zero)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i == 0)
		return SQLITE_RANGE;
	return null_when_zero && v == 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

static int bind_blob(sqlite3_stmt *st, const char *name, const void *v, int len)
{
	int i = sqlite3_bind_parameter_index(st, name);

	return i == 0 ? SQLITE_RANGE : sqlite3_bind_blob(st, i, v, len, SQLITE_TRANSIENT);
}

/* Copies a text column into out (cap bytes), "" when NULL. */
static void column_text(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, cap, "%s", t != NULL ? (const char *)t : "");
}

/* Fills row from a row of find_sql's columns. 0, or -1 when the hash is not a hash. */
static int read_row(sqlite3_stmt *st, struct token_row *row)
{
	memset(row, 0, sizeof *row);
	if (sqlite3_column_bytes(st, 0) != TOKENS_HASH_BYTES)
		return -1;
	memcpy(row->hash, sqlite3_column_blob(st, 0), TOKENS_HASH_BYTES);
	column_text(st, 1, row->name, sizeof row->name);
	column_text(st, 2, row->producer, sizeof row->producer);
	row->created_ms = sqlite3_column_int64(st, 3);
	row->expires_ms = sqlite3_column_int64(st, 4);
	row->revoked_ms = sqlite3_column_int64(st, 5);
	return 0;
}

int sqlite_tokens_find(void *tdb, const unsigned char hash[TOKENS_HASH_BYTES],
		       struct token_row *row, struct tem_err *err)
{
	struct sq_tokens *lt = tdb;
	int rc;

	pthread_mutex_lock(&lt->mu);
	if (bind_blob(lt->find, ":hash", hash, TOKENS_HASH_BYTES) != SQLITE_OK) {
		rc = fail(lt, "cannot read the tokens", err);
		goto out;
	}
	switch (sqlite3_step(lt->find)) {
	case SQLITE_ROW:
		rc = read_row(lt->find, row) == 0
			 ? TEM_OK
			 : err_set(err, "%s: a token's hash is damaged", lt->path);
		break;
	case SQLITE_DONE:
		rc = TEM_NO;
		break;
	default:
		rc = fail(lt, "cannot read the tokens", err);
	}
out:
	sqlite3_reset(lt->find);
	sqlite3_clear_bindings(lt->find);
	pthread_mutex_unlock(&lt->mu);
	return rc;
}

int sqlite_tokens_add(void *tdb, const struct token_row *row, struct tem_err *err)
{
	struct sq_tokens *lt = tdb;
	static const char sql[] =
	    "INSERT INTO tokens(hash, name, producer, created, expires, revoked) "
	    "VALUES(:hash, :name, :producer, :created, :expires, NULL)";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(lt->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    bind_blob(st, ":hash", row->hash, TOKENS_HASH_BYTES) != SQLITE_OK ||
	    bind_text(st, ":name", row->name) != SQLITE_OK ||
	    bind_text(st, ":producer", row->producer[0] != '\0' ? row->producer : NULL) !=
		SQLITE_OK ||
	    bind_i64(st, ":created", row->created_ms, 0) != SQLITE_OK ||
	    bind_i64(st, ":expires", row->expires_ms, 1) != SQLITE_OK) {
		rc = fail(lt, "cannot add the token", err);
		goto out;
	}
	/* one statement: its own transaction, waiting (busy timeout) for temd's writer */
	switch (sqlite3_step(st)) {
	case SQLITE_DONE:
		rc = TEM_OK;
		break;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		/* the live-name index; a hash is 256 random bits' and never repeats */
		rc = TEM_NO;
		break;
	default:
		rc = fail(lt, "cannot add the token", err);
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int sqlite_tokens_revoke(void *tdb, const char *name, int64_t now_ms, struct tem_err *err)
{
	struct sq_tokens *lt = tdb;
	static const char sql[] =
	    "UPDATE tokens SET revoked = :now WHERE name = :name AND revoked IS NULL";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(lt->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    bind_i64(st, ":now", now_ms, 0) != SQLITE_OK ||
	    bind_text(st, ":name", name) != SQLITE_OK) {
		rc = fail(lt, "cannot revoke the token", err);
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = fail(lt, "cannot revoke the token", err);
		goto out;
	}
	rc = sqlite3_changes(lt->db) > 0 ? TEM_OK : TEM_NO;
out:
	sqlite3_finalize(st);
	return rc;
}

int sqlite_tokens_each(void *tdb, int (*fn)(void *arg, const struct token_row *row), void *arg,
		       struct tem_err *err)
{
	struct sq_tokens *lt = tdb;
	static const char sql[] = "SELECT hash, name, producer, created, expires, revoked FROM "
				  "tokens ORDER BY created, name";
	sqlite3_stmt *st = NULL;
	struct token_row row;
	int rc = TEM_OK, s;

	if (sqlite3_prepare_v2(lt->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = fail(lt, "cannot read the tokens", err);
		goto out;
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_row(st, &row) != 0) {
			rc = err_set(err, "%s: a token's hash is damaged", lt->path);
			goto out;
		}
		if (fn(arg, &row) != 0)
			goto out;
	}
	if (s != SQLITE_DONE)
		rc = fail(lt, "cannot read the tokens", err);
out:
	sqlite3_finalize(st);
	return rc;
}
