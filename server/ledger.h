/* ledger.h — temd's ledger: producers, registered batches, every counted scan, the per-code
 * and per-client counts, alerts; with the regulator reads (server/ledger_query.h) and the API
 * tokens (server/ledger_tokens.h), the whole of what temd asks of a ledger. No SQL and no
 * engine here: ledger_open picks SQLite (a file) or PostgreSQL (a connection string) from its
 * where, and server/ledger.c hands each call to that engine (server/ledger_backend.h).
 *
 * One writer thread commits in groups: requests submit jobs, the writer takes every job
 * waiting, runs them in one transaction, commits (durable on return), then calls each job's
 * done callback. A scan is therefore answered only once it is on disk. Reads go through
 * connections of their own. The jobs and rows: server/ledger_jobs.h. */
#ifndef TEM_LEDGER_H
#define TEM_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "server/ledger_jobs.h"

struct ledger;

/* The engines a ledger's where (--db) can name. */
enum ledger_kind {
	LEDGER_SQLITE,    /* a file path */
	LEDGER_POSTGRESQL /* "postgres://...", "postgresql://..." or a libpq keyword string
			   * ("host=/run/postgresql dbname=tem") */
};

/* Which engine where names (never NULL): a URI of scheme postgres or postgresql, or a string
 * whose first word is a libpq keyword followed by '=' (host=, dbname=, ...), is PostgreSQL;
 * anything else is a file path, SQLite. */
enum ledger_kind ledger_kind(const char *where);

/* Opens the ledger where names (ledger_kind): SQLite creates the file if needed, checks it
 * (PRAGMA quick_check, its time logged), migrates its schema forward, takes LEDGER.lock; then
 * the writer starts. TEM_ERR with err naming the ledger and the cause: a damaged ledger, an
 * existing empty (0-byte) file, a file or folder it cannot write, a schema newer than this
 * temd understands, a PostgreSQL ledger in a temd built without PostgreSQL. A SQLite ledger
 * this call made is removed again when it fails, so nothing is left to block the next start.
 * where is copied. */
int ledger_open(const char *where, struct ledger **out, struct tem_err *err);

/* ledger_open with flags (LEDGER_INIT, or 0 as ledger_open). */
int ledger_open_flags(const char *where, int flags, struct ledger **out, struct tem_err *err);

/* Queues a job for the writer; job->done runs on the writer thread when it has ended. */
void ledger_submit(struct ledger *l, struct ledger_job *job);

/* Queues a job and waits for it; returns its status. */
enum ledger_status ledger_run(struct ledger *l, struct ledger_job *job);

/* The client salt a ledger made before the salt moved to LEDGER.secret (server/secrets.h)
 * still holds: 1 with it in out, or 0 (every ledger made since: out untouched). */
int ledger_salt(const struct ledger *l, unsigned char out[LEDGER_SALT_BYTES]);

/* Removes that old salt from the ledger (overwritten, secure_delete), once it is safe in the
 * secret file. TEM_OK, or TEM_ERR with err set. */
int ledger_forget_salt(struct ledger *l, struct tem_err *err);

/* Calls fn for every registered batch, in key and serial order, on the reader connection
 * (readers wait meanwhile). fn returns TEM_OK to go on, or TEM_ERR having filled err to stop
 * the walk. TEM_OK when every batch was passed; TEM_ERR with err set when fn stopped it or a
 * read failed (a failed read is never taken for the last batch). */
int ledger_each_batch(struct ledger *l,
		      int (*fn)(void *arg, const struct ledger_batch_row *b, struct tem_err *err),
		      void *arg, struct tem_err *err);

/* ledger_each_batch for the batches whose row id (ledger_batch_row.row) is above after, in
 * row id order: what other temd on the same ledger registered since a row this one has seen
 * (server/registry.h's registry_refresh). The same returns. */
int ledger_each_batch_after(struct ledger *l, int64_t after,
			    int (*fn)(void *arg, const struct ledger_batch_row *b,
				      struct tem_err *err),
			    void *arg, struct tem_err *err);

/* Reads the batch facts of serial of key_id (16 hex digits) on the reader connection into out
 * (zeroed when no batch holds it). TEM_OK, or TEM_ERR with err set when the read failed or
 * the row is damaged (a failed read is never taken for "no batch"). */
int ledger_claim_info(struct ledger *l, const char *key_id, uint64_t serial,
		      struct ledger_claim_info *out, struct tem_err *err);

/* The highest trust list sequence number the ledger has accepted (table meta, name
 * 'trust-sequence', written with a JOB_PRODUCER job) into *seq, 0 when none yet (a new ledger,
 * or one older than sequence numbers). Read on the reader connection. TEM_OK, or TEM_ERR with
 * err set when the read failed or the value is damaged (never taken for 0). */
int ledger_trust_sequence(struct ledger *l, uint64_t *seq, struct tem_err *err);

/* Counted scans in the ledger and the bytes it takes on disk (SQLite: its file and WAL;
 * 0 when the engine cannot tell). */
void ledger_stats(struct ledger *l, int64_t *scans, int64_t *bytes);

/* 1 while the ledger's latest transaction failed (full disk, I/O error), else 0; *failed (may
 * be NULL) gets the transactions failed since start. */
int ledger_failing(struct ledger *l, int64_t *failed);

/* Transactions the writer committed since start: each a group of jobs made durable at once
 * (scans over commits is the group size). */
int64_t ledger_commits(struct ledger *l);

/* Stops the writer after the queued jobs, closes the reads' and tokens' connections
 * (lq_close, ledger_tokens_of), then the engine (SQLite: checkpoints the WAL into the file). */
void ledger_close(struct ledger *l);

#endif
