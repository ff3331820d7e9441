/* ledger_pg_conn.c — PostgreSQL connections as every part of the PostgreSQL ledger makes them
 * (server/ledger_pg.h): below the engine (ledger_pg.c) and its reads (ledger_pg_query.c,
 * ledger_pg_tokens.c), which all connect through it. */
#include "server/ledger_pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

const char *pg_conn_msg(PGconn *conn, char *buf, size_t cap)
{
	size_t n;

	snprintf(buf, cap, "%s", conn != NULL ? PQerrorMessage(conn) : "out of memory");
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return buf;
}

/* What every ledger connection is set up with (pg_connect_named). */
#define SETUP                                                                                      \
	"SET synchronous_commit = on; SET statement_timeout = '" PG_STATEMENT_TIMEOUT              \
	"'; SET TIME ZONE 'UTC'; SET application_name = 'temd'"

/* libpq's notices (a table that exists already, skipped) are not temd's to print. */
static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

PGconn *pg_connect_named(const char *conninfo, const char *name, int read_only, struct tem_err *err)
{
	char msg[512];
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res;

	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		err_set(err, "%s: cannot connect: %s", name, pg_conn_msg(c, msg, sizeof msg));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet, NULL);
	res = PQexec(c, read_only ? SETUP "; SET default_transaction_read_only = on" : SETUP);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		err_set(err, "%s: cannot set up the connection: %s", name,
			pg_conn_msg(c, msg, sizeof msg));
		PQclear(res);
		PQfinish(c);
		return NULL;
	}
	PQclear(res);
	return c;
}

PGconn *pg_ledger_connect(const char *conninfo, int read_only, struct tem_err *err)
{
	char name[256];

	return pg_connect_named(conninfo, pg_ledger_name_of(conninfo, name, sizeof name), read_only,
				err);
}

char *pg_ledger_name_of(const char *conninfo, char *buf, size_t cap)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const char *db = NULL, *host = NULL;

	for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "host") == 0)
			host = o->val;
	}
	snprintf(buf, cap, "PostgreSQL database %s on %s", db != NULL ? db : "(default)",
		 host != NULL ? host : "(default host)");
	PQconninfoFree(opts);
	return buf;
}
