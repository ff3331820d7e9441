/* ledger_pg.h — the PostgreSQL ledger (libpq), private to server/: the operations of
 * server/ledger.h, each named pg_<its ledger.h name> and taking a struct pg_ledger, with the
 * same jobs (struct ledger_job) and the same meaning, so the ledger interface's backend table
 * can point at them. Several temd may share one database: every job takes, in its group's
 * transaction and in one sorted order, PostgreSQL advisory locks on the codes, networks and
 * keys it counts in, so two servers decide a code's counts, verdicts, claims and alerts one
 * after the other, never from the same stale rows. The schema (one version table, forward
 * migrations) leads every key with the producer key id, the column the tables can be
 * distributed by (Citus). */
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
 * pg_ledger_open made. */

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

/* 1 when db names a PostgreSQL database rather than a ledger file: a postgres:// or
 * postgresql:// URI, or a libpq keyword string ("host=/run/postgresql dbname=tem"). */
int pg_ledger_is_conninfo(const char *db);

/* Connects to the database conninfo names (libpq's URI or keyword string), migrates its schema
 * forward (under a lock, so two temd starting at once migrate it once), prepares the writer's
 * statements and starts the writer thread. TEM_OK with *out set (pg_ledger_close frees it), or
 * TEM_ERR with err naming the database (never its password) and the cause: no server, refused
 * credentials, a schema newer than this temd understands. */
int pg_ledger_open(const char *conninfo, struct pg_ledger **out, struct tem_err *err);

/* Queues a job for the writer; job->done runs on the writer thread once the job's transaction
 * has ended (committed: durable, synchronous_commit on; or failed: LEDGER_FAILED, nothing of it
 * kept, and the caller answers 503). */
void pg_ledger_submit(struct pg_ledger *l, struct ledger_job *job);

/* Queues a job and waits for it; returns its status. */
enum ledger_status pg_ledger_run(struct pg_ledger *l, struct ledger_job *job);

/* A PostgreSQL ledger never held the old client salt: 0, out untouched. */
int pg_ledger_salt(const struct pg_ledger *l, unsigned char out[LEDGER_SALT_BYTES]);

/* Nothing to remove (no old salt): TEM_OK. */
int pg_ledger_forget_salt(struct pg_ledger *l, struct tem_err *err);

/* ledger_each_batch on the reader connection: fn for every registered batch in key and serial
 * order (after < 0), or for those of row id above after in row id order
 * (ledger_each_batch_after). TEM_OK when every batch was passed; TEM_ERR with err set when fn stopped the walk or
 * a read failed. */
int pg_ledger_each_batch(struct pg_ledger *l, int64_t after,
			 int (*fn)(void *arg, const struct ledger_batch_row *b,
				   struct tem_err *err),
			 void *arg, struct tem_err *err);

/* ledger_claim_info on the reader connection. TEM_OK, or TEM_ERR with err set (a failed read
 * is never taken for "no batch"). */
int pg_ledger_claim_info(struct pg_ledger *l, const char *key_id, uint64_t serial,
			 struct ledger_claim_info *out, struct tem_err *err);

/* ledger_trust_sequence on the reader connection: *seq the highest accepted, 0 when none.
 * TEM_OK, or TEM_ERR with err set. */
int pg_ledger_trust_sequence(struct pg_ledger *l, uint64_t *seq, struct tem_err *err);

/* Counted scans (those in the database when it was opened plus this temd's since) and the
 * database's bytes (pg_database_size; 0 when it cannot be read). */
void pg_ledger_stats(struct pg_ledger *l, int64_t *scans, int64_t *bytes);

/* 1 while the latest transaction failed or the server cannot be reached, else 0; *failed (may
 * be NULL) gets the transactions failed since start. */
int pg_ledger_failing(struct pg_ledger *l, int64_t *failed);

/* Stops the writer after the queued jobs and closes the connections. NULL: nothing. */
void pg_ledger_close(struct pg_ledger *l);

#endif
