/* ledger_sqlite.h — what the SQLite engine's files (server/ledger_sqlite*.c) give one another:
 * ledger_sqlite.c fills ledger_sqlite_backend (server/ledger_backend.h) with its own functions
 * and with these, from ledger_sqlite_query.c (the regulator reads) and ledger_sqlite_tokens.c
 * (the API tokens). Each is the backend entry of the same name in ledger_backend.h, with db
 * the state sqlite_open made. Included only by server/ledger_sqlite*.c. */
#ifndef TEM_LEDGER_SQLITE_H
#define TEM_LEDGER_SQLITE_H

#include "server/ledger_backend.h"

/* The ledger file of db, as given to ledger_open (owned by db). */
const char *sqlite_path(void *db);

/* --- ledger_sqlite_query.c: the regulator reads (server/ledger_query.h) --- */

int sqlite_lq_open(void *db, struct tem_err *err);
void sqlite_lq_close(void *db);
int sqlite_lq_batches(void *db, const struct lq_filter *f, int64_t after, size_t limit,
		      int (*fn)(void *arg, const struct lq_batch *b, struct tem_err *err),
		      void *arg, int64_t *next, struct tem_err *err);
int sqlite_lq_code(void *db, const char *key_id, uint64_t serial, struct lq_code *out,
		   struct tem_err *err);
int sqlite_lq_code_scans(void *db, const char *key_id, uint64_t serial, int64_t after, size_t limit,
			 int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err),
			 void *arg, int64_t *next, struct tem_err *err);
int sqlite_lq_scans(void *db, const struct lq_filter *f, int64_t after, size_t limit,
		    int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err), void *arg,
		    int64_t *next, struct tem_err *err);
int sqlite_lq_alerts(void *db, const struct lq_filter *f, int64_t after, size_t limit,
		     int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		     int64_t *next, struct tem_err *err);
int sqlite_lq_alert(void *db, const struct lq_filter *f, int64_t id,
		    int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		    int *found, struct tem_err *err);
int sqlite_lq_alert_changes(void *db, int64_t id,
			    int (*fn)(void *arg, const struct lq_alert_change *c,
				      struct tem_err *err),
			    void *arg, struct tem_err *err);
int sqlite_lq_code_alerts(void *db, const char *key_id, uint64_t serial,
			  int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err),
			  void *arg, struct tem_err *err);
int sqlite_lq_stats(void *db, const struct lq_filter *f, int32_t from_day, int32_t to_day,
		    enum lq_by by,
		    int (*fn)(void *arg, const struct lq_stat *s, struct tem_err *err), void *arg,
		    struct tem_err *err);
int sqlite_lq_producers(void *db, const struct lq_filter *f,
			int (*fn)(void *arg, const struct lq_producer *p, struct tem_err *err),
			void *arg, struct tem_err *err);

/* --- ledger_sqlite_tokens.c: the API tokens (server/ledger_tokens.h); tdb is what
 * sqlite_tokens_open made --- */

int sqlite_tokens_open(const char *path, int write, void **tdb, struct tem_err *err);
void sqlite_tokens_close(void *tdb);
int sqlite_tokens_find(void *tdb, const unsigned char hash[TOKENS_HASH_BYTES],
		       struct token_row *row, struct tem_err *err);
int sqlite_tokens_add(void *tdb, const struct token_row *row, struct tem_err *err);
int sqlite_tokens_revoke(void *tdb, const char *name, int64_t now_ms, struct tem_err *err);
int sqlite_tokens_each(void *tdb, int (*fn)(void *arg, const struct token_row *row), void *arg,
		       struct tem_err *err);

#endif
