/* ledger_sqlite_query.h — the SQLite engine's regulator reads (ledger_sqlite_query.c), which
 * server/ledger_sqlite.c puts in its backend table: each is the ledger_backend entry of the
 * same name (server/ledger_backend.h), db the state sqlite_open made, which keys its pool of
 * read connections on path. */
#ifndef TEM_LEDGER_SQLITE_QUERY_H
#define TEM_LEDGER_SQLITE_QUERY_H

#include "server/ledger_backend.h"

int sqlite_lq_open(void *db, const char *path, struct tem_err *err);
/* The id of the newest client row of key_id's serial in db's scans table (the head of its
 * chain, server/ledger_sqlite.c), as committed; 0 when the code has none. Read it before the
 * read transaction's first step, so its snapshot holds that row. Any thread. */
int64_t sqlite_code_head(void *db, const char *key_id, uint64_t serial);
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

#endif
