/* ledger_pg.h — the PostgreSQL ledger (libpq), private to server/: its backend table
 * (ledger_pg_backend, server/ledger_backend.h) is opened and run through the ledger interface
 * (server/ledger.h: ledger_open with a connection string, the shared writer), and this header
 * gives the engine's other parts (ledger_pg_query.c, ledger_pg_tokens.c) its connections.
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

struct pg_ledger;

/* libpq's connection, as libpq-fe.h declares it (the same typedef: C11 allows it twice), so
 * only server/ledger_pg*.c include libpq-fe.h (tests/layering.sh). */
typedef struct pg_conn PGconn;

/* --- for the engine's other parts (ledger_pg_query.c, ledger_pg_tokens.c) ---------------
 * The void *db the backend table's entries get (ledger_backend.h) is the struct pg_ledger
 * the table's open made. */

/* Takes the ledger's reader connection for the caller alone (a mutex: the readers wait
 * meanwhile), connected again first when it was lost (a server restart). The connection, set
 * up as every ledger connection (synchronous_commit on, a statement timeout, UTC, binary-safe
 * parameters are the caller's), or NULL when the database cannot be reached now (its cause in
 * PQerrorMessage is gone: say "cannot be reached"). Either way the caller must call
 * pg_ledger_read_release(l) once done with it, and must not keep it after. Never PQfinish it. */
PGconn *pg_ledger_read_conn(struct pg_ledger *l);

/* Gives back what pg_ledger_read_conn took. */
void pg_ledger_read_release(struct pg_ledger *l);

/* "PostgreSQL database DB on HOST", for messages: never a password. Owned by l. */
const char *pg_ledger_name(const struct pg_ledger *l);

/* A new connection of the caller's own to conninfo, set up as the ledger's (synchronous_commit
 * on, statement timeout, UTC, libpq's notices silenced): for a pool of regulator readers or
 * the tokens' connection. The connection (the caller PQfinishes it), or NULL with err naming
 * the database (never its password) and libpq's cause. Neither makes nor migrates a ledger. */
PGconn *pg_ledger_connect(const char *conninfo, struct tem_err *err);

/* Writes the name of the database conninfo names ("PostgreSQL database DB on HOST", never a
 * password) into buf (cap bytes); returns buf. */
char *pg_ledger_name_of(const char *conninfo, char *buf, size_t cap);

#endif
