/* ledger_pg_import.c — a PostgreSQL ledger filled by `temd ledger copy`
 * (server/ledger_pg_import.h). The schema is ledger_pg.c's; this file adds one table of its
 * own, ledger_copy: the copied ledger's fingerprint and, per table, the rows copied so far. */
#include "server/ledger_pg_import.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/ledger.h"

#define CHUNK_ROWS 1000 /* rows a chunk's INSERT writes, and a transaction commits */
#define MAX_COLS   16
/* one copy at a time into a database: a session advisory lock ("temcopy") */
#define COPY_LOCK 0x74656d636f7079LL
/* PostgreSQL's type oids for the parameters: int8, text, bytea */
#define OID_INT8  20
#define OID_TEXT  25
#define OID_BYTEA 17

/* The tables whose ids are identity columns: their sequences follow the copied ids. */
static const char *const identity_tables[] = {"batches", "scans", "alerts", "alert_changes"};

struct pg_import {
	PGconn *c;
	char name[256];
	char table[64];
	int64_t skip, flushed; /* rows before this run; rows this run committed */
	size_t ncols, nrows;   /* the chunk's */
	char cols[MAX_COLS][64];
	char *arena; /* the chunk's values, one after another */
	size_t alen, acap;
	size_t *off; /* each parameter's value: its offset in arena, or (size_t)-1 for NULL */
	int *len, *fmt;
	Oid *types;
	size_t pcap;
	char *sql;
	size_t sqlcap;
};

const char *pg_import_name(const struct pg_import *im)
{
	return im->name;
}

/* PostgreSQL's message for the latest failure on im's connection, one line. */
static const char *pg_msg(struct pg_import *im, const PGresult *res)
{
	static __thread char buf[200];
	const char *m = res != NULL ? PQresultErrorMessage(res) : "";
	size_t n;

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(im->c);
	snprintf(buf, sizeof buf, "%s", m);
	n = strcspn(buf, "\n");
	buf[n] = '\0';
	return buf;
}

/* Runs q (no parameters), expecting want. TEM_OK, or TEM_ERR with err "NAME: WHAT: cause". */
static int exec_ok(struct pg_import *im, const char *q, ExecStatusType want, const char *what,
		   struct tem_err *err)
{
	PGresult *res = PQexec(im->c, q);
	int rc = TEM_OK;

	if (PQresultStatus(res) != want)
		rc = err_set(err, "%s: %s: %s", im->name, what, pg_msg(im, res));
	PQclear(res);
	return rc;
}

/* *v: the one bigint query q (parameters p[0..n)) returns. TEM_OK, or TEM_ERR with err set. */
static int one_int(struct pg_import *im, const char *q, int n, const char *const *p, int64_t *v,
		   struct tem_err *err)
{
	PGresult *res = PQexecParams(im->c, q, n, NULL, p, NULL, NULL, 0);
	int rc = TEM_ERR;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQgetisnull(res, 0, 0)) {
		err_set(err, "%s: cannot read the ledger: %s", im->name,
			PQresultStatus(res) == PGRES_TUPLES_OK ? "no answer" : pg_msg(im, res));
		goto out;
	}
	*v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	rc = TEM_OK;
out:
	PQclear(res);
	return rc;
}

/* 1 when name is a plain lower-case SQL identifier (what every ledger table and column is). */
static int plain_name(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < 64 && strspn(name, "abcdefghijklmnopqrstuvwxyz_0123456789") == n;
}

int pg_import_open(const char *conninfo, struct pg_import **out, struct tem_err *err)
{
	struct pg_import *im = calloc(1, sizeof *im);
	struct ledger *l = NULL;
	char q[128];
	int64_t got;

	*out = NULL;
	if (im == NULL)
		return err_set(err, "out of memory");
	/* the schema, made or migrated as temd would (and refused when newer than this temd) */
	if (ledger_open(conninfo, &l, err) != TEM_OK)
		goto fail;
	ledger_close(l);
	im->c = PQconnectdb(conninfo);
	if (im->c == NULL || PQstatus(im->c) != CONNECTION_OK) {
		err_set(err, "cannot connect to the PostgreSQL database: %s",
			im->c != NULL ? pg_msg(im, NULL) : "out of memory");
		goto fail;
	}
	snprintf(im->name, sizeof im->name, "PostgreSQL database %s on %s", PQdb(im->c),
		 PQhost(im->c) != NULL ? PQhost(im->c) : "localhost");
	snprintf(q, sizeof q, "SELECT pg_try_advisory_lock(%lld)::int::int8", (long long)COPY_LOCK);
	if (one_int(im, q, 0, NULL, &got, err) != TEM_OK)
		goto fail;
	if (got != 1) {
		err_set(err, "%s: another temd ledger copy is writing into it", im->name);
		goto fail;
	}
	/* chunks commit without waiting for their flush (a chunk lost in a crash is lost with
	 * its progress, and copied again); the last one waits (pg_import_flush) */
	if (exec_ok(im, "SET synchronous_commit TO off", PGRES_COMMAND_OK, "cannot set up the copy",
		    err) != TEM_OK ||
	    exec_ok(im,
		    "CREATE TABLE IF NOT EXISTS ledger_copy(\n"
		    "  name text PRIMARY KEY,  -- a copied table; '' for the source\n"
		    "  rows bigint NOT NULL DEFAULT 0,  -- rows copied, in the table's key order\n"
		    "  done boolean NOT NULL DEFAULT false,\n"
		    "  source bytea  -- the source ledger's fingerprint\n"
		    ")",
		    PGRES_COMMAND_OK, "cannot make table ledger_copy", err) != TEM_OK)
		goto fail;
	*out = im;
	return TEM_OK;
fail:
	pg_import_close(im);
	return TEM_ERR;
}

int pg_import_claim(struct pg_import *im, const unsigned char *fp, size_t len,
		    const char *const *tables, size_t n, int *resumed, struct tem_err *err)
{
	const char *p[1] = {(const char *)fp};
	int plen[1] = {(int)len}, pfmt[1] = {1};
	PGresult *res = NULL;
	char q[160];
	size_t i;
	int rc = TEM_ERR;

	*resumed = 0;
	if (exec_ok(im, "BEGIN", PGRES_COMMAND_OK, "cannot start the copy", err) != TEM_OK)
		return TEM_ERR;
	res = PQexec(im->c, "SELECT source FROM ledger_copy WHERE name = '' FOR UPDATE");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		err_set(err, "%s: cannot read table ledger_copy: %s", im->name, pg_msg(im, res));
		goto out;
	}
	if (PQntuples(res) == 1) {
		size_t got = 0;
		unsigned char *src =
		    PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0), &got);
		int same = src != NULL && got == len && memcmp(src, fp, len) == 0;
		PQfreemem(src);
		if (!same) {
			rc = err_no(err,
				    "%s holds a copy of another ledger (another secret file): "
				    "copy into a new, empty database",
				    im->name);
			goto out;
		}
		*resumed = 1;
	} else {
		for (i = 0; i < n; i++) {
			int64_t any;
			if (!plain_name(tables[i])) {
				err_set(err, "%s: no table %s", im->name, tables[i]);
				goto out;
			}
			snprintf(q, sizeof q, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) x",
				 tables[i]);
			if (one_int(im, q, 0, NULL, &any, err) != TEM_OK)
				goto out;
			if (any != 0) {
				rc = err_no(
				    err,
				    "%s already holds ledger data (table %s has rows) and "
				    "no copy of this ledger: copy into a new, empty database",
				    im->name, tables[i]);
				goto out;
			}
		}
		PQclear(res);
		res = PQexecParams(im->c, "INSERT INTO ledger_copy(name, source) VALUES('', $1)", 1,
				   NULL, p, plen, pfmt, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			err_set(err, "%s: cannot write table ledger_copy: %s", im->name,
				pg_msg(im, res));
			goto out;
		}
	}
	rc = exec_ok(im, "COMMIT", PGRES_COMMAND_OK, "cannot start the copy", err);
	PQclear(res);
	return rc;
out:
	PQclear(res);
	PQclear(PQexec(im->c, "ROLLBACK"));
	return rc;
}

int pg_import_progress(struct pg_import *im, const char *table, int64_t *rows, int *done,
		       struct tem_err *err)
{
	const char *p[1] = {table};
	PGresult *res =
	    PQexecParams(im->c, "SELECT rows, done::int FROM ledger_copy WHERE name = $1", 1, NULL,
			 p, NULL, NULL, 0);
	int rc = TEM_OK;

	*rows = 0;
	*done = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = err_set(err, "%s: cannot read table ledger_copy: %s", im->name,
			     pg_msg(im, res));
	else if (PQntuples(res) == 1) {
		*rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		*done = atoi(PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return rc;
}

void pg_import_table(struct pg_import *im, const char *table, int64_t skip)
{
	snprintf(im->table, sizeof im->table, "%s", table);
	im->skip = skip;
	im->flushed = 0;
	im->nrows = 0;
	im->ncols = 0;
	im->alen = 0;
}

/* Appends len bytes of p (and a NUL) to the arena; its offset, or (size_t)-1 out of memory. */
static size_t arena_add(struct pg_import *im, const void *p, size_t len)
{
	size_t at = im->alen;

	if (im->alen + len + 1 > im->acap) {
		size_t cap = im->acap ? im->acap : 65536;
		char *a;
		while (cap < im->alen + len + 1)
			cap *= 2;
		if ((a = realloc(im->arena, cap)) == NULL)
			return (size_t)-1;
		im->arena = a;
		im->acap = cap;
	}
	if (len > 0)
		memcpy(im->arena + at, p, len);
	im->arena[at + len] = '\0';
	im->alen += len + 1;
	return at;
}

int pg_import_add(struct pg_import *im, const struct ledger_row *row, struct tem_err *err)
{
	size_t i, need, k;

	if (strcmp(row->table, im->table) != 0 || row->ncols == 0 || row->ncols > MAX_COLS)
		return err_set(err, "%s: a row of table %s while copying %s", im->name, row->table,
			       im->table);
	if (im->nrows == 0) {
		im->ncols = row->ncols;
		for (i = 0; i < row->ncols; i++) {
			if (!plain_name(row->cols[i]))
				return err_set(err, "%s: table %s: no column %s", im->name,
					       im->table, row->cols[i]);
			snprintf(im->cols[i], sizeof im->cols[i], "%s", row->cols[i]);
		}
	} else if (row->ncols != im->ncols) {
		return err_set(err, "%s: table %s: rows of different widths", im->name, im->table);
	}
	need = (im->nrows + 1) * im->ncols;
	if (need > im->pcap) {
		size_t cap = CHUNK_ROWS * MAX_COLS;
		size_t *off = realloc(im->off, cap * sizeof *off);
		int *len, *fmt;
		Oid *types;
		if (off == NULL)
			return err_set(err, "out of memory");
		im->off = off;
		if ((len = realloc(im->len, cap * sizeof *len)) == NULL)
			return err_set(err, "out of memory");
		im->len = len;
		if ((fmt = realloc(im->fmt, cap * sizeof *fmt)) == NULL)
			return err_set(err, "out of memory");
		im->fmt = fmt;
		if ((types = realloc(im->types, cap * sizeof *types)) == NULL)
			return err_set(err, "out of memory");
		im->types = types;
		im->pcap = cap;
	}
	for (i = 0; i < row->ncols; i++) {
		const struct ledger_value *v = &row->v[i];
		char num[24];
		k = im->nrows * im->ncols + i;
		im->fmt[k] = 0;
		im->len[k] = 0;
		switch (v->type) {
		case LV_NULL:
			im->off[k] = (size_t)-1;
			im->types[k] = 0;
			continue;
		case LV_INT:
			snprintf(num, sizeof num, "%lld", (long long)v->i);
			im->off[k] = arena_add(im, num, strlen(num));
			im->types[k] = OID_INT8;
			break;
		case LV_TEXT:
			if (memchr(v->p, '\0', v->len) != NULL)
				return err_set(err, "%s: table %s, column %s: text with a NUL byte",
					       im->name, im->table, im->cols[i]);
			im->off[k] = arena_add(im, v->p, v->len);
			im->types[k] = OID_TEXT;
			break;
		case LV_BLOB:
			if (v->len > (size_t)1 << 30)
				return err_set(err, "%s: table %s, column %s: too large a value",
					       im->name, im->table, im->cols[i]);
			im->off[k] = arena_add(im, v->p, v->len);
			im->types[k] = OID_BYTEA;
			im->fmt[k] = 1;
			im->len[k] = (int)v->len;
			break;
		}
		if (im->off[k] == (size_t)-1)
			return err_set(err, "out of memory");
	}
	im->nrows++;
	if (im->nrows >= CHUNK_ROWS)
		return pg_import_flush(im, 0, err);
	return TEM_OK;
}

/* Appends text to im->sql. TEM_OK, or TEM_ERR out of memory. */
static int sql_add(struct pg_import *im, size_t *at, const char *s)
{
	size_t n = strlen(s);

	if (*at + n + 1 > im->sqlcap) {
		size_t cap = im->sqlcap ? im->sqlcap : 4096;
		char *q;
		while (cap < *at + n + 1)
			cap *= 2;
		if ((q = realloc(im->sql, cap)) == NULL)
			return TEM_ERR;
		im->sql = q;
		im->sqlcap = cap;
	}
	memcpy(im->sql + *at, s, n + 1);
	*at += n;
	return TEM_OK;
}

/* Writes the chunk's rows: one INSERT ... ON CONFLICT DO NOTHING. TEM_OK, or TEM_ERR. */
static int write_chunk(struct pg_import *im, struct tem_err *err)
{
	size_t at = 0, r, i, np = im->nrows * im->ncols;
	const char **vals = NULL;
	PGresult *res = NULL;
	char part[96];
	int rc = TEM_ERR;

	snprintf(part, sizeof part, "INSERT INTO %s(", im->table);
	if (sql_add(im, &at, part) != TEM_OK)
		goto oom;
	for (i = 0; i < im->ncols; i++)
		if (sql_add(im, &at, i ? ", " : "") != TEM_OK ||
		    sql_add(im, &at, im->cols[i]) != TEM_OK)
			goto oom;
	/* ids come from the ledger copied, not from the identity columns' sequences */
	if (sql_add(im, &at, ") OVERRIDING SYSTEM VALUE VALUES") != TEM_OK)
		goto oom;
	for (r = 0; r < im->nrows; r++)
		for (i = 0; i < im->ncols; i++) {
			snprintf(part, sizeof part, "%s$%zu%s", i ? ", " : (r ? ", (" : "("),
				 r * im->ncols + i + 1, i + 1 == im->ncols ? ")" : "");
			if (sql_add(im, &at, part) != TEM_OK)
				goto oom;
		}
	if (sql_add(im, &at, " ON CONFLICT DO NOTHING") != TEM_OK)
		goto oom;
	if ((vals = calloc(np, sizeof *vals)) == NULL)
		goto oom;
	for (i = 0; i < np; i++)
		vals[i] = im->off[i] == (size_t)-1 ? NULL : im->arena + im->off[i];
	res = PQexecParams(im->c, im->sql, (int)np, im->types, vals, im->len, im->fmt, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		err_set(err, "%s: cannot write table %s: %s", im->name, im->table, pg_msg(im, res));
		goto out;
	}
	rc = TEM_OK;
	goto out;
oom:
	err_set(err, "out of memory");
out:
	PQclear(res);
	free(vals);
	return rc;
}

int pg_import_flush(struct pg_import *im, int done, struct tem_err *err)
{
	char rows[24];
	const char *p[3] = {im->table, rows, done ? "true" : "false"};
	PGresult *res = NULL;
	int64_t total = im->skip + im->flushed + (int64_t)im->nrows;

	snprintf(rows, sizeof rows, "%lld", (long long)total);
	if (exec_ok(im, "BEGIN", PGRES_COMMAND_OK, "cannot write", err) != TEM_OK)
		return TEM_ERR;
	if (im->nrows > 0 && write_chunk(im, err) != TEM_OK)
		goto fail;
	res = PQexecParams(im->c,
			   "INSERT INTO ledger_copy(name, rows, done) VALUES($1, $2::int8, "
			   "$3::boolean) ON CONFLICT(name) DO UPDATE SET rows = excluded.rows, "
			   "done = excluded.done",
			   3, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		err_set(err, "%s: cannot write table ledger_copy: %s", im->name, pg_msg(im, res));
		goto fail;
	}
	/* a table's end waits for the flush to disk, and with it every chunk before */
	if (done && exec_ok(im, "SET LOCAL synchronous_commit TO on", PGRES_COMMAND_OK,
			    "cannot write", err) != TEM_OK)
		goto fail;
	if (exec_ok(im, "COMMIT", PGRES_COMMAND_OK, "cannot commit", err) != TEM_OK)
		goto fail;
	PQclear(res);
	im->flushed += (int64_t)im->nrows;
	im->nrows = 0;
	im->alen = 0;
	return TEM_OK;
fail:
	PQclear(res);
	PQclear(PQexec(im->c, "ROLLBACK"));
	return TEM_ERR;
}

int pg_import_sequences(struct pg_import *im, struct tem_err *err)
{
	char q[200];
	size_t i;

	for (i = 0; i < sizeof identity_tables / sizeof identity_tables[0]; i++) {
		snprintf(q, sizeof q,
			 "SELECT setval(pg_get_serial_sequence('%s', 'id'), max(id)) FROM %s "
			 "HAVING max(id) IS NOT NULL",
			 identity_tables[i], identity_tables[i]);
		if (exec_ok(im, q, PGRES_TUPLES_OK, "cannot move an id sequence", err) != TEM_OK)
			return TEM_ERR;
	}
	return TEM_OK;
}

int pg_import_count(struct pg_import *im, const char *table, int64_t *rows, struct tem_err *err)
{
	char q[128];

	if (!plain_name(table))
		return err_set(err, "%s: no table %s", im->name, table);
	snprintf(q, sizeof q, "SELECT count(*) FROM %s", table);
	return one_int(im, q, 0, NULL, rows, err);
}

int pg_import_scans(struct pg_import *im, int64_t *sum, struct tem_err *err)
{
	return one_int(im, "SELECT coalesce(sum(scans), 0)::int8 FROM code_scans", 0, NULL, sum,
		       err);
}

void pg_import_close(struct pg_import *im)
{
	if (im == NULL)
		return;
	if (im->c != NULL)
		PQfinish(im->c);
	free(im->arena);
	free(im->off);
	free(im->len);
	free(im->fmt);
	free(im->types);
	free(im->sql);
	free(im);
}
