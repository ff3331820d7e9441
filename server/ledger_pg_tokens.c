/* ledger_pg_tokens.c — the PostgreSQL engine's API tokens (server/ledger_tokens.h, through the
 * pg_tokens_* entries of its backend table), on a connection of their own opened from the
 * conninfo (`temd token` beside a running temd, or temd's lookups): the same rows and answers
 * as SQLite's (server/ledger_sqlite_tokens.c). Statements are prepared once a connection, with
 * bound parameters (the hash in binary), results in binary; a connection lost to a server
 * restart is made again at the next call. */
#include "server/ledger_pg_query.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/ledger_pg.h"

enum { T_FIND, T_ADD, T_REVOKE, T_EACH, T_COUNT };

static const char *const tsql[T_COUNT] = {
    [T_FIND] = "SELECT hash, name, coalesce(producer, ''), created, coalesce(expires, 0)::int8, "
	       "coalesce(revoked, 0)::int8 FROM tokens WHERE hash = $1::bytea",
    [T_ADD] = "INSERT INTO tokens(hash, name, producer, created, expires, revoked) "
	      "VALUES($1::bytea, $2::text, $3::text, $4::int8, $5::int8, NULL)",
    [T_REVOKE] = "UPDATE tokens SET revoked = $1::int8 WHERE name = $2::text AND revoked IS NULL",
    [T_EACH] = "SELECT hash, name, coalesce(producer, ''), created, coalesce(expires, 0)::int8, "
	       "coalesce(revoked, 0)::int8 FROM tokens ORDER BY created, name",
};

struct pg_tokens {
	char *conninfo;
	char name[256]; /* for messages, without the password */
	int write;
	PGconn *c;
	unsigned char prepared[T_COUNT];
	pthread_mutex_t mu; /* one call at a time on the connection */
};

/* Fills err with what failed and the server's message (res's when given); returns TEM_ERR. */
static int fail(struct pg_tokens *t, const PGresult *res, const char *what, struct tem_err *err)
{
	char msg[512];

	if (res != NULL && PQresultErrorMessage(res)[0] != '\0') {
		snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
		for (char *q = msg; *q != '\0'; q++)
			if (*q == '\n' || *q == '\t')
				*q = ' ';
		for (size_t n = strlen(msg); n > 0 && msg[n - 1] == ' ';)
			msg[--n] = '\0';
	} else {
		pg_conn_msg(t->c, msg, sizeof msg);
	}
	return err_set(err, "%s: %s: %s", t->name, what, msg);
}

/* t's connection, made again when lost. TEM_OK or TEM_ERR with err set. */
static int connect_tokens(struct pg_tokens *t, struct tem_err *err)
{
	if (t->c != NULL && PQstatus(t->c) == CONNECTION_OK)
		return TEM_OK;
	PQfinish(t->c);
	memset(t->prepared, 0, sizeof t->prepared);
	t->c = pg_ledger_connect(t->conninfo, !t->write, err);
	return t->c != NULL ? TEM_OK : TEM_ERR;
}

/* Runs statement q with n parameters (v, lengths len, formats fmt), preparing it first on t's
 * connection, once more on a new connection when the old one was lost. The result (the caller
 * clears it; its status is the caller's to judge), or NULL with err set. */
static PGresult *run(struct pg_tokens *t, int q, int n, const char *const *v, const int *len,
		     const int *fmt, struct tem_err *err)
{
	char name[16];
	PGresult *res = NULL;

	snprintf(name, sizeof name, "tk%d", q);
	for (int attempt = 0; attempt < 2; attempt++) {
		PQclear(res);
		res = NULL;
		if (connect_tokens(t, err) != TEM_OK)
			return NULL;
		if (!t->prepared[q]) {
			res = PQprepare(t->c, name, tsql[q], 0, NULL);
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				if (PQstatus(t->c) != CONNECTION_OK)
					continue;
				fail(t, res, "not a tem ledger with API tokens", err);
				PQclear(res);
				return NULL;
			}
			PQclear(res);
			t->prepared[q] = 1;
		}
		res = PQexecPrepared(t->c, name, n, v, len, fmt, 1);
		if (PQresultStatus(res) == PGRES_FATAL_ERROR && PQstatus(t->c) != CONNECTION_OK)
			continue;
		return res;
	}
	fail(t, res, "cannot reach the ledger", err);
	PQclear(res);
	return NULL;
}

int pg_tokens_open(const char *where, int write, void **out, struct tem_err *err)
{
	struct pg_tokens *t;
	PGresult *res = NULL;
	int rc = TEM_ERR;

	*out = NULL;
	if ((t = calloc(1, sizeof *t)) == NULL || (t->conninfo = strdup(where)) == NULL) {
		free(t);
		return err_set(err, "out of memory");
	}
	t->write = write;
	pg_ledger_name_of(where, t->name, sizeof t->name);
	pthread_mutex_init(&t->mu, NULL);
	if (connect_tokens(t, err) != TEM_OK)
		goto out;
	/* a tem ledger has its schema version; temd makes and migrates it, never this */
	res = PQexec(t->c, "SELECT version FROM schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		/* an empty database is no ledger yet, as SQLite's missing file */
		PQclear(res);
		res = PQexec(t->c, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
				   "n.oid = c.relnamespace WHERE n.nspname = current_schema()");
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		    strcmp(PQgetvalue(res, 0, 0), "0") == 0)
			err_set(err,
				"%s: no ledger there (an empty database, not a tem ledger yet); "
				"temd makes it at its first start",
				t->name);
		else
			err_set(err,
				"%s: not a tem ledger (no schema version); temd makes it at its "
				"first start",
				t->name);
		goto out;
	}
	if (atoi(PQgetvalue(res, 0, 0)) < 1) {
		err_set(err, "%s: not a tem ledger (schema version %s)", t->name,
			PQgetvalue(res, 0, 0));
		goto out;
	}
	*out = t;
	rc = TEM_OK;
out:
	PQclear(res);
	if (rc != TEM_OK)
		pg_tokens_close(t);
	return rc;
}

void pg_tokens_close(void *tdb)
{
	struct pg_tokens *t = tdb;

	if (t == NULL)
		return;
	PQfinish(t->c);
	pthread_mutex_destroy(&t->mu);
	free(t->conninfo);
	free(t);
}

/* Fills row from row i of a T_FIND or T_EACH result. 0, or -1 when the hash is not a hash. */
static int read_row(const PGresult *res, int i, struct token_row *row)
{
	memset(row, 0, sizeof *row);
	if (PQgetisnull(res, i, 0) || PQgetlength(res, i, 0) != TOKENS_HASH_BYTES)
		return -1;
	memcpy(row->hash, PQgetvalue(res, i, 0), TOKENS_HASH_BYTES);
	snprintf(row->name, sizeof row->name, "%s", PQgetvalue(res, i, 1));
	snprintf(row->producer, sizeof row->producer, "%s", PQgetvalue(res, i, 2));
	row->created_ms = pgq_i64(res, i, 3);
	row->expires_ms = pgq_i64(res, i, 4);
	row->revoked_ms = pgq_i64(res, i, 5);
	return 0;
}

int pg_tokens_find(void *tdb, const unsigned char hash[TOKENS_HASH_BYTES], struct token_row *row,
		   struct tem_err *err)
{
	struct pg_tokens *t = tdb;
	const char *v[1] = {(const char *)hash};
	const int len[1] = {TOKENS_HASH_BYTES}, fmt[1] = {1};
	PGresult *res;
	int rc;

	pthread_mutex_lock(&t->mu);
	res = run(t, T_FIND, 1, v, len, fmt, err);
	if (res == NULL)
		rc = TEM_ERR;
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = fail(t, res, "cannot read the tokens", err);
	else if (PQntuples(res) == 0)
		rc = TEM_NO;
	else
		rc = read_row(res, 0, row) == 0
			 ? TEM_OK
			 : err_set(err, "%s: a token's hash is damaged", t->name);
	PQclear(res);
	pthread_mutex_unlock(&t->mu);
	return rc;
}

int pg_tokens_add(void *tdb, const struct token_row *row, struct tem_err *err)
{
	struct pg_tokens *t = tdb;
	char created[24], expires[24];
	const char *v[5];
	const int len[5] = {TOKENS_HASH_BYTES, 0, 0, 0, 0}, fmt[5] = {1, 0, 0, 0, 0};
	PGresult *res;
	const char *state;
	int rc;

	snprintf(created, sizeof created, "%lld", (long long)row->created_ms);
	snprintf(expires, sizeof expires, "%lld", (long long)row->expires_ms);
	v[0] = (const char *)row->hash;
	v[1] = row->name;
	v[2] = row->producer[0] != '\0' ? row->producer : NULL;
	v[3] = created;
	v[4] = row->expires_ms != 0 ? expires : NULL;
	pthread_mutex_lock(&t->mu);
	res = run(t, T_ADD, 5, v, len, fmt, err);
	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (res == NULL)
		rc = TEM_ERR;
	else if (PQresultStatus(res) == PGRES_COMMAND_OK)
		rc = TEM_OK;
	else if (state != NULL && strcmp(state, "23505") == 0)
		rc = TEM_NO; /* the live-name index; a hash is 256 random bits' and never repeats */
	else
		rc = fail(t, res, "cannot add the token", err);
	PQclear(res);
	pthread_mutex_unlock(&t->mu);
	return rc;
}

int pg_tokens_revoke(void *tdb, const char *name, int64_t now_ms, struct tem_err *err)
{
	struct pg_tokens *t = tdb;
	char now[24];
	const char *v[2] = {now, name};
	PGresult *res;
	int rc;

	snprintf(now, sizeof now, "%lld", (long long)now_ms);
	pthread_mutex_lock(&t->mu);
	res = run(t, T_REVOKE, 2, v, NULL, NULL, err);
	if (res == NULL)
		rc = TEM_ERR;
	else if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fail(t, res, "cannot revoke the token", err);
	else
		rc = strtoll(PQcmdTuples(res), NULL, 10) > 0 ? TEM_OK : TEM_NO;
	PQclear(res);
	pthread_mutex_unlock(&t->mu);
	return rc;
}

int pg_tokens_each(void *tdb, int (*fn)(void *arg, const struct token_row *row), void *arg,
		   struct tem_err *err)
{
	struct pg_tokens *t = tdb;
	struct token_row row;
	PGresult *res;
	int rc = TEM_OK;

	pthread_mutex_lock(&t->mu);
	res = run(t, T_EACH, 0, NULL, NULL, NULL, err);
	pthread_mutex_unlock(&t->mu);
	if (res == NULL)
		return TEM_ERR;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = fail(t, res, "cannot read the tokens", err);
	for (int i = 0; rc == TEM_OK && i < PQntuples(res); i++) {
		if (read_row(res, i, &row) != 0) {
			rc = err_set(err, "%s: a token's hash is damaged", t->name);
			break;
		}
		if (fn(arg, &row) != 0)
			break;
	}
	PQclear(res);
	return rc;
}
