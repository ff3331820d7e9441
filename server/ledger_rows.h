/* ledger_rows.h — the regulator reads' rows (server/ledger_query.h) made into their structs
 * once for both engines: an engine runs its SQL and hands the result here as a struct lr_rows
 * (its own column getters and its statement or result), and ledger_rows.c steps through the
 * rows, fills a struct lq_batch, lq_scan, lq_alert, lq_alert_change, lq_stat or lq_producer
 * from each, and gives it to the caller's callback, keeping to a page's limit and telling the
 * next page's position. Each engine keeps only its SQL, its connections and these getters
 * (server/ledger_sqlite_query.c, ledger_pg_query.c). The columns of a row of each kind are the
 * same on both engines, in the order lr_walk reads them (see each kind below). No SQL and no
 * engine's header here. */
#ifndef TEM_LEDGER_ROWS_H
#define TEM_LEDGER_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "server/ledger_query.h"

struct lr_rows;

/* How an engine reads its rows: the column col of the row at hand. */
struct lr_getters {
	/* Moves r to its next row: 1 when there is one, 0 at the end, -1 when reading failed
	 * (the engine tells why: lr_walk returns LR_STEP_FAILED). */
	int (*step)(struct lr_rows *r);
	/* An integer column (an int2/int4/int8/bool or SQLite integer), 0 when NULL. */
	int64_t (*i64)(const struct lr_rows *r, int col);
	/* A text column, "" when NULL; NULL only when the engine ran out of memory reading it.
	 * Valid until r steps on. */
	const char *(*text)(const struct lr_rows *r, int col);
	/* A blob column: *p its bytes (valid until r steps on) and its length, 0 when NULL. */
	size_t (*blob)(const struct lr_rows *r, int col, const void **p);
};

/* An engine's rows being read. */
struct lr_rows {
	const struct lr_getters *g; /* the engine's getters */
	void *src;                  /* its statement (sqlite3_stmt) or result (PGresult) */
	int row;                    /* the row at hand, where the engine counts rows (-1: before
				     * the first) */
};

/* The kinds of row a read gives, and the columns each has (0 first):
 * LR_BATCH    id, key_id, producer, product, batch_id, first_serial, last_serial, issued,
 *             last_day, registered (ms), has PINs (0/1), scans, scanned codes, claimed,
 *             alerted
 * LR_SCAN     id, key_id, serial, at (ms), client (blob), verdict (name), client's scans,
 *             client's latest scan (ms)
 * LR_ALERT    id, type, key_id, serial, producer's name, events, clients, first (ms),
 *             latest (ms), status, reason ("" none), note, updated_by, updated (ms)
 * LR_CHANGE   at (ms), by, status, reason ("" none), note
 * LR_STAT     by day: day, then the sums; by producer: key_id, name, then the sums; by batch:
 *             key_id, name, batch row, batch_id, then the sums. The sums: scans, codes, then
 *             the counts of genuine, seen, duplicate, sold, unregistered, expired, revoked,
 *             then claims
 * LR_PRODUCER key_id, name, valid_from, revoked (-1 none), batches, codes, scans, scanned,
 *             claimed, open alerts */
enum lr_kind { LR_BATCH, LR_SCAN, LR_ALERT, LR_CHANGE, LR_STAT, LR_PRODUCER };

/* Where a read's rows go: the kind, the caller's callback of that kind and its argument. Set
 * kind, the one member of fn of that kind, arg and where; the rest starts at 0 (lr_stat_sink
 * sets up a statistics read). */
struct lr_sink {
	enum lr_kind kind;
	union {
		int (*batch)(void *arg, const struct lq_batch *b, struct tem_err *err);
		int (*scan)(void *arg, const struct lq_scan *s, struct tem_err *err);
		int (*alert)(void *arg, const struct lq_alert *a, struct tem_err *err);
		int (*change)(void *arg, const struct lq_alert_change *c, struct tem_err *err);
		int (*stat)(void *arg, const struct lq_stat *s, struct tem_err *err);
		int (*producer)(void *arg, const struct lq_producer *p, struct tem_err *err);
	} fn;
	void *arg;
	const char *where;   /* the ledger's name, for messages (a path, a database) */
	int n;               /* LR_ALERT: alerts given so far */
	enum lq_by by;       /* LR_STAT: the buckets */
	int32_t day, to_day; /* LR_STAT by day: the next day to give, the last */
};

/* Sets s up for the statistics of days [from_day, to_day] by by into fn. */
void lr_stat_sink(struct lr_sink *s, enum lq_by by, int32_t from_day, int32_t to_day,
		  int (*fn)(void *arg, const struct lq_stat *st, struct tem_err *err), void *arg,
		  const char *where);

#define LR_ALL         ((size_t)-1) /* lr_walk's limit: every row, no page */
#define LR_STEP_FAILED (-2)         /* lr_walk: the engine's step failed, err not set */

/* Steps r through its rows, giving each to s as a struct of s's kind: at most limit rows (0:
 * LQ_LIMIT_DEFAULT, at most LQ_LIMIT_MAX; LR_ALL: every row), and when next is not NULL
 * *next the position (column 0) of the last row given when a further row follows, else 0.
 * The statement or query is expected to give at most limit + 1 rows. TEM_OK; TEM_ERR with err
 * set (a damaged row, out of memory, or the callback's error); LR_STEP_FAILED when r's step
 * failed (err not set: the engine says why). A statistics read by day then gives the empty
 * days after the last row (lr_stat_end). */
int lr_walk(struct lr_rows *r, struct lr_sink *s, size_t limit, int64_t *next, struct tem_err *err);

/* A statistics read by day: gives s's empty days up to its last, after lr_walk. TEM_OK, or
 * the callback's TEM_ERR. Nothing for other buckets. */
int lr_stat_end(struct lr_sink *s, struct tem_err *err);

/* lq_code's four reads, each at most one row, in this order:
 * LR_CODE_BATCH  the batch that may hold the serial: id, last_serial
 * LR_CODE_COUNTS counted scans, distinct clients, first scan (ms), latest scan (ms)
 * LR_CODE_CLAIM  claimed (ms), claimer (blob)
 * LR_CODE_LAST   the verdict (name) of the latest first scan by a client */
enum lr_code_part { LR_CODE_BATCH, LR_CODE_COUNTS, LR_CODE_CLAIM, LR_CODE_LAST, LR_CODE_PARTS };

/* Fills out's fields of part from r's row at hand (out zeroed, last_verdict V_COUNT, first:
 * lr_code_init); serial the code's. */
void lr_code_part(const struct lr_rows *r, enum lr_code_part part, uint64_t serial,
		  struct lq_code *out);

/* Sets out to "the ledger has nothing of this code". */
void lr_code_init(struct lq_code *out);

/* --- parameters both engines bind the same way --- */

/* The page size a list reads: limit, 0 as LQ_LIMIT_DEFAULT, at most LQ_LIMIT_MAX. */
size_t lr_limit(size_t limit);

/* f's producer key, or NULL when f keeps every producer. */
const char *lr_producer_key(const struct lq_filter *f);

/* f's alert type and status as stored, or NULL when f keeps every one. */
const char *lr_type_name(const struct lq_filter *f);
const char *lr_status_name(const struct lq_filter *f);

#endif
