/* ledger_pg.h — the PostgreSQL ledger (libpq), private to server/: its backend table
 * (ledger_pg_backend, server/ledger_backend.h) is opened and run through the ledger interface
 * (server/ledger.h: ledger_open with a connection string, the shared writer), and this header
 * gives every part of the engine (ledger_pg.c, ledger_pg_query.c, ledger_pg_tokens.c) its
 * connections, made in ledger_pg_conn.c, below them all.
 * Several temd may share one database: every group takes, first in its transaction and in one
 * sorted order, PostgreSQL advisory locks on the codes, networks and keys its jobs count in, so
 * two servers decide a code's counts, verdicts, claims and alerts one after the other, never
 * from the same stale rows. The schema (one version table, forward migrations) leads every key
 * with the producer key id, the column the tables can be distributed by (Citus). */
#ifndef TEM_LEDGER_PG_H
#define TEM_LEDGER_PG_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "server/ledger.h"

/* libpq's connection, as libpq-fe.h declares it (the same typedef: C11 allows it twice), so
 * only server/ledger_pg*.c include libpq-fe.h (tests/layering.sh). */
typedef struct pg_conn PGconn;

/* --- connections (server/ledger_pg_conn.c), for every part of the engine ----------------- */

#define PG_STATEMENT_TIMEOUT "10s" /* as SQLite's busy timeout */

/* One line of libpq's message about conn (NULL: "out of memory"), without its newline, in buf
 * (cap bytes); returns buf. */
const char *pg_conn_msg(PGconn *conn, char *buf, size_t cap);

/* Connects to conninfo, named name in messages, with the settings every ledger connection
 * needs: synchronous_commit on (a job is answered only once its commit is durable), a
 * statement timeout, UTC, libpq's notices silenced; with read_only 1, every transaction read
 * only too. The connection (the caller PQfinishes it), or NULL with err set. */
PGconn *pg_connect_named(const char *conninfo, const char *name, int read_only,
			 struct tem_err *err);

/* A new connection of the caller's own to conninfo, set up as the ledger's (synchronous_commit
 * on, statement timeout, UTC, libpq's notices silenced; read_only 1: every transaction read
 * only): for a pool of regulator readers or the tokens' connection. The connection (the caller PQfinishes it), or NULL with err naming
 * the database (never its password) and libpq's cause. Neither makes nor migrates a ledger. */
PGconn *pg_ledger_connect(const char *conninfo, int read_only, struct tem_err *err);

/* Writes the name of the database conninfo names ("PostgreSQL database DB on HOST", never a
 * password) into buf (cap bytes); returns buf. */
char *pg_ledger_name_of(const char *conninfo, char *buf, size_t cap);

#endif
