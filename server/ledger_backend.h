/* ledger_backend.h — what a ledger engine gives server/ledger.c, which dispatches every call of
 * the ledger interface (server/ledger.h, ledger_query.h, ledger_tokens.h) through one of these
 * tables. Included only by server/ledger*.c: no caller of the ledger sees an engine.
 *
 * DESIGN NOTE: what is shared, what each engine keeps.
 *
 * Shared (server/ledger.c, no SQL):
 *  - choosing the engine from --db (ledger_kind): a path is SQLite; "postgres://",
 *    "postgresql://" or a libpq keyword string ("host=... dbname=...") is PostgreSQL;
 *  - the job queue and the group-commit writer thread: it takes every waiting job, calls
 *    begin, run_job for each, commit; when a group fails it calls rollback and runs each job
 *    again alone, so only the jobs that fail alone get LEDGER_FAILED; done callbacks run once
 *    the job's transaction has ended. Both engines want the same promise (a job is answered
 *    only once durable) and both pay per commit (an fsync; a WAL flush and a round trip on
 *    PostgreSQL), so grouping pays on both. One shape differs: PostgreSQL must take, first
 *    in the group's transaction and in one sorted order, advisory locks on every code,
 *    network and key the group's jobs count in (several temd share one database: the locks
 *    make two servers decide a code one after the other, and the sorted order keeps them
 *    from deadlocking), and must run a group again after a deadlock or a lost connection,
 *    which only it can tell apart. So an engine may give run_group instead of begin, run_job
 *    and commit: the shared writer then hands it the whole group and keeps the rest (the
 *    queue, running jobs alone after a failed group, the health, the done callbacks). A
 *    negative code from run_group says the group failed as a whole and no job may be run
 *    alone: the connection is gone, or COMMIT was sent and its outcome is unknown (running
 *    the jobs again could count a scan twice);
 *  - the health every engine reports the same way: the counted scans (/metrics), the failed
 *    transactions (ledger_failing, /healthz), their log lines;
 *  - the jobs' log lines once committed (an alert's workflow step).
 * Each engine keeps (server/ledger_sqlite*.c, server/ledger_pg*.c):
 *  - its connections: SQLite a writer, a reader and up to LQ_CONNS regulator readers on the
 *    file, LEDGER.lock for one temd per ledger; PostgreSQL a bounded pool, several temd on
 *    one database;
 *  - its schema and migrations, its SQL (SQLite's upserts, RETURNING, WITHOUT ROWID tables;
 *    PostgreSQL's ON CONFLICT, row locks), what runs a job inside the writer's transaction;
 *  - the tokens' side connection (`temd token`, which runs beside temd without its lock);
 *  - its backups: `temd backup` (VACUUM INTO) is SQLite's; PostgreSQL's operators use
 *    pg_dump or base backups;
 *  - whether its store can be reached (down): a PostgreSQL server away fails /healthz even
 *    while no scan comes.
 *
 * Error codes: the writer's calls return 0 for success or the engine's own non-zero code,
 * which the engine alone reads back (describe). Every other call returns TEM_OK / TEM_ERR
 * (TEM_NO where ledger_tokens.h says) with err set, as the interface function it serves. */
#ifndef TEM_LEDGER_BACKEND_H
#define TEM_LEDGER_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "server/ledger_backup.h"
#include "server/ledger_jobs.h"
#include "server/ledger_query.h"
#include "server/ledger_tokens.h"

/* Job kinds only the ledger makes (ledger_forget_salt; a test's check, ledger_internal.h):
 * kept out of ledger.h's enum so no caller makes one by mistake. An engine runs them in
 * run_job like the others. */
#define LEDGER_JOB_CHECK       ((int)JOB_CLAIM + 100)
#define LEDGER_JOB_FORGET_SALT ((int)JOB_CLAIM + 101)

struct ledger_backend {
	const char *name; /* "SQLite", "PostgreSQL": for messages */

	/* --- opening and closing (ledger_open_flags, ledger_close) --- */

	/* Opens, checks and migrates the ledger at where (flags: LEDGER_INIT): *db gets the
	 * engine's state, *scans the counted scans already in it (for /metrics). TEM_OK, or
	 * TEM_ERR with err naming where and the cause (nothing left open). */
	int (*open)(const char *where, int flags, void **db, int64_t *scans, struct tem_err *err);
	/* Closes db, once the writer has stopped and no read runs (NULL is harmless). */
	void (*close)(void *db);

	/* --- the writer thread's calls (one thread, in this order per group) --- */

	/* Either run_group, or begin, run_job and commit (the design note says why). */
	int (*begin)(void *db);                           /* starts a write transaction */
	int (*run_job)(void *db, struct ledger_job *job); /* sets job->status */
	int (*commit)(void *db);                          /* durable on return 0 */
	void (*rollback)(void *db); /* ends a failed transaction, if one is open */
	/* May be NULL (then begin, run_job, commit): runs the jobs from first up to end
	 * (excluded) in one transaction, setting each job->status, and commits. 0 when durable;
	 * a positive code when it failed and was rolled back (the writer runs each job alone);
	 * a negative code when it failed as a whole (every job gets LEDGER_FAILED, none runs
	 * again). rollback and describe still follow a failure. */
	int (*run_group)(void *db, struct ledger_job *first, struct ledger_job *end);
	/* Writes into buf (cap bytes) why the transaction failed with rc, for the log: "CAUSE
	 * (ENGINE code N)". Called before rollback. */
	void (*describe)(void *db, int rc, char *buf, size_t cap);
	/* Housekeeping after a group and while idle (SQLite: truncates a grown WAL). Returns 1
	 * to be called again within about a second even when no job comes, else 0. May be NULL. */
	int (*idle)(void *db);
	/* 1 while the engine cannot reach its store (ledger_failing), 0 once it can again. May
	 * be NULL (a file: never). Any thread. */
	int (*down)(void *db);

	/* --- any thread --- */

	int (*salt)(void *db, unsigned char out[LEDGER_SALT_BYTES]); /* ledger_salt */
	void (*forgot_salt)(void *db); /* LEDGER_JOB_FORGET_SALT committed: drop the copy held */
	/* after < 0: every batch in key and serial order (ledger_each_batch); else those of row
	 * id above after, in row id order (ledger_each_batch_after) */
	int (*each_batch)(void *db, int64_t after,
			  int (*fn)(void *arg, const struct ledger_batch_row *b,
				    struct tem_err *err),
			  void *arg, struct tem_err *err);
	int (*claim_info)(void *db, const char *key_id, uint64_t serial,
			  struct ledger_claim_info *out, struct tem_err *err);
	int (*trust_sequence)(void *db, uint64_t *seq, struct tem_err *err);
	int64_t (*bytes)(void *db); /* the ledger's size on disk (ledger_stats), 0 when unknown */

	/* For tests only (ledger_bind_check, server/ledger_internal.h): keeps sql, name and err
	 * for the next LEDGER_JOB_CHECK job, which binds 1 to name in sql and steps it once, err
	 * saying why it failed. NULL when the engine has no such check. */
	void (*check)(void *db, const char *sql, const char *name, struct tem_err *err);
	/* `temd backup` (ledger_backup, server/ledger_backup.h): a checked copy of the ledger at
	 * where into out, while temd runs. NULL when the engine's operators use their own tools
	 * (PostgreSQL: pg_dump, base backups). */
	int (*backup)(const char *where, const char *out, int force, struct backup_result *res,
		      struct tem_err *err);

	/* --- the regulator reads (ledger_query.h), each as its lq_* namesake --- */
	/* Each may be NULL while an engine does not serve it yet: ledger.c then answers TEM_ERR
	 * with a clear sentence (lq_open and lq_close: nothing to open). */

	int (*lq_open)(void *db, const char *where, struct tem_err *err); /* where: ledger_open's */
	void (*lq_close)(void *db);
	int (*lq_batches)(void *db, const struct lq_filter *f, int64_t after, size_t limit,
			  int (*fn)(void *arg, const struct lq_batch *b, struct tem_err *err),
			  void *arg, int64_t *next, struct tem_err *err);
	int (*lq_code)(void *db, const char *key_id, uint64_t serial, struct lq_code *out,
		       struct tem_err *err);
	int (*lq_code_scans)(void *db, const char *key_id, uint64_t serial, int64_t after,
			     size_t limit,
			     int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err),
			     void *arg, int64_t *next, struct tem_err *err);
	int (*lq_scans)(void *db, const struct lq_filter *f, int64_t after, size_t limit,
			int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err),
			void *arg, int64_t *next, struct tem_err *err);
	int (*lq_alerts)(void *db, const struct lq_filter *f, int64_t after, size_t limit,
			 int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err),
			 void *arg, int64_t *next, struct tem_err *err);
	int (*lq_alert)(void *db, const struct lq_filter *f, int64_t id,
			int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err),
			void *arg, int *found, struct tem_err *err);
	int (*lq_alert_changes)(void *db, int64_t id,
				int (*fn)(void *arg, const struct lq_alert_change *c,
					  struct tem_err *err),
				void *arg, struct tem_err *err);
	int (*lq_code_alerts)(void *db, const char *key_id, uint64_t serial,
			      int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err),
			      void *arg, struct tem_err *err);
	int (*lq_stats)(void *db, const struct lq_filter *f, int32_t from_day, int32_t to_day,
			enum lq_by by,
			int (*fn)(void *arg, const struct lq_stat *s, struct tem_err *err),
			void *arg, struct tem_err *err);
	int (*lq_producers)(void *db, const struct lq_filter *f,
			    int (*fn)(void *arg, const struct lq_producer *p, struct tem_err *err),
			    void *arg, struct tem_err *err);

	/* --- API tokens (ledger_tokens.h), each as its ledger_tokens_* namesake --- */

	/* Each may be NULL while an engine does not serve it yet (TEM_ERR, a clear sentence).
	 * A tokens connection of its own on where (write 1: `temd token`), without the ledger's
	 * lock, never making or migrating a ledger: *tdb the engine's state. */
	int (*tokens_open)(const char *where, int write, void **tdb, struct tem_err *err);
	void (*tokens_close)(void *tdb); /* what tokens_open opened (NULL is harmless) */
	int (*tokens_find)(void *tdb, const unsigned char hash[TOKENS_HASH_BYTES],
			   struct token_row *row, struct tem_err *err);
	int (*tokens_add)(void *tdb, const struct token_row *row, struct tem_err *err);
	int (*tokens_revoke)(void *tdb, const char *name, int64_t now_ms, struct tem_err *err);
	int (*tokens_each)(void *tdb, int (*fn)(void *arg, const struct token_row *row), void *arg,
			   struct tem_err *err);
};

/* The engines' tables: SQLite's (server/ledger_sqlite*.c) and PostgreSQL's
 * (server/ledger_pg*.c). */
const struct ledger_backend *ledger_sqlite_backend(void);
const struct ledger_backend *ledger_pg_backend(void);

#endif
