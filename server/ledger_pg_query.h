/* ledger_pg_query.h — the PostgreSQL engine's regulator reads (ledger_pg_query.c) and API
 * tokens (ledger_pg_tokens.c), private to server/ledger_pg*.c: each pg_lq_* and pg_tokens_* is
 * the ledger_backend entry of the same name (server/ledger_backend.h) with the same rows as
 * SQLite's (server/ledger_sqlite_query.c, ledger_sqlite_tokens.c). db is the engine's handle,
 * which only keys the pool of read connections pg_lq_open opens from where (the conninfo
 * ledger_open was given); nothing of it is read. */
#ifndef TEM_LEDGER_PG_QUERY_H
#define TEM_LEDGER_PG_QUERY_H

#include <stddef.h>

#include "server/ledger_backend.h"

int pg_lq_open(void *db, const char *where, struct tem_err *err);
void pg_lq_close(void *db);
int pg_lq_batches(void *db, const struct lq_filter *f, int64_t after, size_t limit,
		  int (*fn)(void *arg, const struct lq_batch *b, struct tem_err *err), void *arg,
		  int64_t *next, struct tem_err *err);
int pg_lq_code(void *db, const char *key_id, uint64_t serial, struct lq_code *out,
	       struct tem_err *err);
int pg_lq_code_scans(void *db, const char *key_id, uint64_t serial, int64_t after, size_t limit,
		     int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err), void *arg,
		     int64_t *next, struct tem_err *err);
int pg_lq_scans(void *db, const struct lq_filter *f, int64_t after, size_t limit,
		int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err), void *arg,
		int64_t *next, struct tem_err *err);
int pg_lq_alerts(void *db, const struct lq_filter *f, int64_t after, size_t limit,
		 int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		 int64_t *next, struct tem_err *err);
int pg_lq_alert(void *db, const struct lq_filter *f, int64_t id,
		int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		int *found, struct tem_err *err);
int pg_lq_alert_changes(void *db, int64_t id,
			int (*fn)(void *arg, const struct lq_alert_change *c, struct tem_err *err),
			void *arg, struct tem_err *err);
int pg_lq_code_alerts(void *db, const char *key_id, uint64_t serial,
		      int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err),
		      void *arg, struct tem_err *err);
int pg_lq_stats(void *db, const struct lq_filter *f, int32_t from_day, int32_t to_day,
		enum lq_by by, int (*fn)(void *arg, const struct lq_stat *s, struct tem_err *err),
		void *arg, struct tem_err *err);
int pg_lq_producers(void *db, const struct lq_filter *f,
		    int (*fn)(void *arg, const struct lq_producer *p, struct tem_err *err),
		    void *arg, struct tem_err *err);

int pg_tokens_open(const char *where, int write, void **tdb, struct tem_err *err);
void pg_tokens_close(void *tdb);
int pg_tokens_find(void *tdb, const unsigned char hash[TOKENS_HASH_BYTES], struct token_row *row,
		   struct tem_err *err);
int pg_tokens_add(void *tdb, const struct token_row *row, struct tem_err *err);
int pg_tokens_revoke(void *tdb, const char *name, int64_t now_ms, struct tem_err *err);
int pg_tokens_each(void *tdb, int (*fn)(void *arg, const struct token_row *row), void *arg,
		   struct tem_err *err);

/* --- helpers both files use (libpq's PGresult, by its struct name: only
 * server/ledger_pg*.c include libpq-fe.h) --- */

struct pg_result;

/* A binary integer column (int2, int4, int8, bool) of row r, 0 when NULL. */
int64_t pgq_i64(const struct pg_result *res, int r, int c);

#endif
