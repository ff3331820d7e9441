/* ledger_sqlite_query.c — the SQLite engine's regulator reads (server/ledger_query.h, through
 * the sqlite_lq_* entries of ledger_sqlite_backend): every statement prepared once per read
 * connection with bound parameters, each call one read transaction on a read-only connection
 * of the ledger's read pool (server/ledger_pool.h, at most LQ_CONNS), lists read in keyset
 * order (LIMIT n + 1 tells whether a next page exists). Only the SQL and SQLite's column
 * getters are here: server/ledger_rows.c makes the rows into their structs for both engines.
 * The indexes these reads rest on are migration 7 of server/ledger_sqlite.c. */
#include "server/ledger_sqlite_query.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "server/ledger_pool.h"
#include "server/ledger_rows.h"

enum {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_BATCHES,
	Q_CODE_BATCH,
	Q_CODE_COUNTS,
	Q_CODE_CLAIM,
	Q_CODE_LAST,
	Q_CODE_SCANS,
	Q_SCANS,
	Q_ALERTS,
	Q_ALERTS_SINCE,
	Q_ALERT,
	Q_CODE_ALERTS,
	Q_CHANGES,
	Q_STATS_DAY,
	Q_STATS_PRODUCER,
	Q_STATS_BATCH,
	Q_PRODUCERS,
	Q_COUNT
};

/* The columns every alert read gives, in the order of LR_ALERT (server/ledger_rows.h). */
#define ALERT_COLS                                                                                 \
	"SELECT a.id, a.type, a.key_id, a.serial, coalesce(p.name, ''), a.events, a.clients, "     \
	"a.first_at, a.last_at, a.status, coalesce(a.reason, ''), coalesce(a.note, ''), "          \
	"coalesce(a.updated_by, ''), coalesce(a.updated_at, 0) FROM alerts a "
#define ALERT_JOIN "LEFT JOIN producers p ON p.key_id = a.key_id "
/* The alert list's filters (every one off when its parameter is NULL or 0). */
#define ALERT_FILTERS                                                                              \
	"(:after = 0 OR a.id < :after) AND (:key IS NULL OR a.key_id = :key) "                     \
	"AND (:type IS NULL OR a.type = :type) AND (:status IS NULL OR a.status = :status) "       \
	"AND (:to = 0 OR a.last_at < :to) "
/* The sums of a statistics bucket, in the order of LR_STAT (server/ledger_rows.h). */
#define STAT_SUMS                                                                                  \
	"sum(scans) AS scans, sum(codes) AS codes, sum(genuine) AS genuine, sum(seen) AS seen, "   \
	"sum(duplicate) AS duplicate, sum(sold) AS sold, sum(unregistered) AS unregistered, "      \
	"sum(expired) AS expired, sum(revoked) AS revoked, sum(claims) AS claims"
#define STAT_COLS                                                                                  \
	"s.scans, s.codes, s.genuine, s.seen, s.duplicate, s.sold, s.unregistered, s.expired, "    \
	"s.revoked, s.claims"
#define STAT_WHERE "WHERE day >= :from AND day <= :to AND (:key IS NULL OR key_id = :key) "

static const char *const qsql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    /* registered batches by id, with their roll-up (batch_stats) */
    [Q_BATCHES] = "SELECT b.id, b.key_id, b.producer, b.product, b.batch_id, b.first_serial, "
		  "b.last_serial, b.issued, b.last_day, b.registered, b.claim_key IS NOT NULL, "
		  "coalesce(s.scans, 0), coalesce(s.codes, 0), coalesce(s.claimed, 0), "
		  "coalesce(s.alerted, 0) FROM batches b LEFT JOIN batch_stats s ON s.batch = b.id "
		  "WHERE b.id > :after AND (:key IS NULL OR b.key_id = :key) "
		  "AND (:from = 0 OR b.registered >= :from) AND (:to = 0 OR b.registered < :to) "
		  "ORDER BY b.id LIMIT :n",
    /* the batch that may hold a serial: batches of a key never overlap, so the one with the
     * highest first serial at or below it is the only candidate (batches_by_key) */
    [Q_CODE_BATCH] = "SELECT id, last_serial FROM batches WHERE key_id = :key "
		     "AND first_serial <= :serial ORDER BY first_serial DESC LIMIT 1",
/* a code's client rows: its chain in scans from the newest, which the index in memory
     * names (:head, read before the transaction's first step; server/ledger_sqlite.c), each
     * row the previous one's prev; a row of another code on the way is passed over */
#define CODE_ROWS                                                                                  \
	"WITH RECURSIVE chain(id) AS (SELECT :head WHERE :head > 0 UNION ALL "                     \
	"SELECT s.prev FROM scans s JOIN chain c ON s.id = c.id WHERE s.prev < s.id) "             \
	"SELECT s.* FROM chain c JOIN scans s ON s.id = c.id "                                     \
	"WHERE s.key_id = :key AND s.serial = :serial AND s.times > 0"
    [Q_CODE_COUNTS] = "SELECT coalesce(sum(times), 0), count(DISTINCT client), "
		      "coalesce(min(at), 0), coalesce(max(last_at), 0) FROM (" CODE_ROWS ")",
    [Q_CODE_CLAIM] = "SELECT at, client FROM claims WHERE key_id = :key AND serial = :serial",
    /* the verdict of the code's latest first scan by a client */
    [Q_CODE_LAST] = "SELECT verdict FROM (" CODE_ROWS ") ORDER BY id DESC LIMIT 1",
    /* one code's history: its client rows, each at the position of its first scan */
    [Q_CODE_SCANS] = "SELECT id, key_id, serial, at, client, verdict, times, last_at FROM "
		     "(" CODE_ROWS ") WHERE id > :after ORDER BY id LIMIT :n",
    /* every first scan by id: the row id's own order, filters checked on the way; with it its
     * client's count of the code and latest scan (Unix ms), kept in the row itself, 0 and 0
     * for a scan recorded before repeats were counted in their first scan's row (its count
     * is in that row) */
    [Q_SCANS] = "SELECT id, key_id, serial, at, client, verdict, times, coalesce(last_at, 0) "
		"FROM scans NOT INDEXED "
		"WHERE id > :after AND (:key IS NULL OR key_id = :key) "
		"AND (:from = 0 OR at >= :from) AND (:to = 0 OR at < :to) "
		"ORDER BY id LIMIT :n",
    /* alerts newest first; with a lower time bound the rows come from alerts_by_last (the
     * window's alerts only), else by descending id */
    [Q_ALERTS] = ALERT_COLS ALERT_JOIN "WHERE " ALERT_FILTERS "ORDER BY a.id DESC LIMIT :n",
    [Q_ALERTS_SINCE] =
	ALERT_COLS "INDEXED BY alerts_by_last " ALERT_JOIN "WHERE a.last_at >= :from "
		   "AND " ALERT_FILTERS "ORDER BY a.id DESC LIMIT :n",
    [Q_ALERT] = ALERT_COLS ALERT_JOIN "WHERE a.id = :id AND (:key IS NULL OR a.key_id = :key)",
    [Q_CODE_ALERTS] = ALERT_COLS ALERT_JOIN "WHERE a.key_id = :key AND a.serial = :serial "
					    "ORDER BY a.id DESC",
    [Q_CHANGES] = "SELECT at, by, status, coalesce(reason, ''), coalesce(note, '') "
		  "FROM alert_changes WHERE alert = :id ORDER BY id",
    /* statistics from the daily roll-ups only */
    [Q_STATS_DAY] =
	"SELECT day, " STAT_SUMS " FROM day_stats " STAT_WHERE "GROUP BY day ORDER BY day",
    [Q_STATS_PRODUCER] = "SELECT s.key_id, coalesce(p.name, ''), " STAT_COLS
			 " FROM (SELECT key_id, " STAT_SUMS " FROM day_stats " STAT_WHERE
			 "GROUP BY key_id) s LEFT JOIN producers p ON p.key_id = s.key_id "
			 "ORDER BY s.key_id",
    [Q_STATS_BATCH] =
	"SELECT s.key_id, coalesce(p.name, ''), s.batch, coalesce(b.batch_id, ''), " STAT_COLS
	" FROM (SELECT key_id, batch, " STAT_SUMS " FROM day_stats " STAT_WHERE
	"GROUP BY key_id, batch) s "
	"LEFT JOIN producers p ON p.key_id = s.key_id "
	"LEFT JOIN batches b ON b.id = s.batch ORDER BY s.batch, s.key_id",
    /* producers with their batches' roll-ups, scans of codes in no batch (day_stats_by_key)
     * and alerts not closed */
    [Q_PRODUCERS] =
	"SELECT p.key_id, p.name, p.valid_from, coalesce(p.revoked, -1), coalesce(bs.n, 0), "
	"coalesce(bs.codes, 0), coalesce(bs.scans, 0) + (SELECT coalesce(sum(d.scans), 0) "
	"FROM day_stats d WHERE d.key_id = p.key_id AND d.batch = 0), coalesce(bs.scanned, 0), "
	"coalesce(bs.claimed, 0), (SELECT count(*) FROM alerts a WHERE a.key_id = p.key_id "
	"AND a.status <> 'closed') FROM producers p LEFT JOIN (SELECT b.key_id AS key_id, "
	"count(*) AS n, sum(b.last_serial - b.first_serial + 1) AS codes, "
	"sum(coalesce(s.scans, 0)) AS scans, sum(coalesce(s.codes, 0)) AS scanned, "
	"sum(coalesce(s.claimed, 0)) AS claimed FROM batches b "
	"LEFT JOIN batch_stats s ON s.batch = b.id GROUP BY b.key_id) bs "
	"ON bs.key_id = p.key_id WHERE (:key IS NULL OR p.key_id = :key) ORDER BY p.key_id",
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[Q_COUNT]; /* prepared at first use */
};

/* What a ledger's read pool (server/ledger_pool.h) opens its connections on. */
struct pool {
	char *path;
};

/* Opens a read-only connection to path into *db. TEM_OK or TEM_ERR with err set. */
static int open_reader(const char *path, sqlite3 **db, struct tem_err *err)
{
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
		SQLITE_OK ||
	    sqlite3_busy_timeout(*db, 10000) != SQLITE_OK ||
	    sqlite3_extended_result_codes(*db, 1) != SQLITE_OK) {
		err_set(err, "%s: cannot open a read connection: %s", path,
			*db != NULL ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return TEM_ERR;
	}
	return TEM_OK;
}

/* The pool's open: a read connection of the ledger at ctx's path, no statement prepared yet. */
static int conn_open(void *ctx, void **out, struct tem_err *err)
{
	struct pool *p = ctx;
	struct conn *c = calloc(1, sizeof *c);

	if (c == NULL)
		return err_set(err, "%s: cannot open a read connection: out of memory", p->path);
	if (open_reader(p->path, &c->db, err) != TEM_OK) {
		free(c);
		return TEM_ERR;
	}
	*out = c;
	return TEM_OK;
}

/* The pool's close: c's statements and connection. */
static void conn_close(void *ctx, void *conn)
{
	struct conn *c = conn;

	(void)ctx;
	for (int k = 0; k < Q_COUNT; k++)
		sqlite3_finalize(c->st[k]);
	sqlite3_close(c->db);
	free(c);
}

static void pool_done(void *ctx)
{
	struct pool *p = ctx;

	free(p->path);
	free(p);
}

static const struct ledger_pool_ops pool_ops = {conn_open, conn_close, pool_done};

int sqlite_lq_open(void *l, const char *path, struct tem_err *err)
{
	struct pool *p;

	if ((p = calloc(1, sizeof *p)) == NULL || (p->path = strdup(path)) == NULL) {
		free(p);
		return err_set(err, "out of memory");
	}
	return ledger_pool_attach(l, LQ_CONNS, &pool_ops, p, err);
}

void sqlite_lq_close(void *l)
{
	ledger_pool_detach(l);
}

/* A read call's state: its connection, its transaction, its first error. */
struct rd {
	struct ledger_pool *lp; /* c's pool */
	struct pool *p;         /* its ctx */
	struct conn *c;
	struct tem_err *err;
	int failed; /* err is set */
	int in_tx;
};

/* Fills r's err with what failed and SQLite's message; returns TEM_ERR. */
static int rd_fail(struct rd *r, const char *what)
{
	if (!r->failed)
		err_set(r->err, "%s: %s: %s", r->p->path, what, sqlite3_errmsg(r->c->db));
	r->failed = 1;
	return TEM_ERR;
}

/* The statement q of r's connection, reset and with its bindings cleared; NULL with r's error
 * set when it cannot be prepared. */
static sqlite3_stmt *q_get(struct rd *r, int q)
{
	sqlite3_stmt **st = &r->c->st[q];

	if (*st == NULL && sqlite3_prepare_v3(r->c->db, qsql[q], -1, SQLITE_PREPARE_PERSISTENT, st,
					      NULL) != SQLITE_OK) {
		rd_fail(r, "cannot prepare a read");
		return NULL;
	}
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
	return *st;
}

/* Binds integer i, or text t when as_text (NULL: SQL NULL), to st's parameter name when st
 * has it. */
static int q_bind_any(struct rd *r, sqlite3_stmt *st, const char *name, int as_text, const char *t,
		      int64_t i)
{
	int k = sqlite3_bind_parameter_index(st, name), rc;

	if (k == 0)
		return TEM_OK; /* a filter this statement does not have */
	if (!as_text)
		rc = sqlite3_bind_int64(st, k, i);
	else if (t != NULL)
		rc = sqlite3_bind_text(st, k, t, -1, SQLITE_TRANSIENT);
	else
		rc = sqlite3_bind_null(st, k);
	if (rc != SQLITE_OK) {
		if (!r->failed)
			err_set(r->err, "%s: cannot bind %s: %s", r->p->path, name,
				sqlite3_errstr(rc));
		r->failed = 1;
		return TEM_ERR;
	}
	return TEM_OK;
}

/* Runs a statement without rows (BEGIN, COMMIT, ROLLBACK). */
static int q_simple(struct rd *r, int q)
{
	sqlite3_stmt *st = q_get(r, q);
	int rc;

	if (st == NULL)
		return TEM_ERR;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? TEM_OK : rd_fail(r, "cannot read");
}

/* Begins a read call on l: a connection and its read transaction. */
static int rd_begin(struct rd *r, void *l, struct tem_err *err)
{
	void *c;

	memset(r, 0, sizeof *r);
	r->err = err;
	if ((r->lp = ledger_pool_take(l, &c, err)) == NULL)
		return TEM_ERR;
	r->p = ledger_pool_ctx(r->lp);
	r->c = c;
	if (q_simple(r, Q_BEGIN) != TEM_OK)
		return TEM_ERR;
	r->in_tx = 1;
	return TEM_OK;
}

/* Ends a read call: its statements reset, its transaction ended, its connection handed back.
 * Returns ret, or TEM_ERR when ending failed. */
static int rd_end(struct rd *r, int ret)
{
	if (r->c == NULL)
		return TEM_ERR;
	for (int k = 0; k < Q_COUNT; k++)
		if (r->c->st[k] != NULL)
			sqlite3_reset(r->c->st[k]);
	if (r->in_tx) {
		if (ret == TEM_OK && q_simple(r, Q_COMMIT) != TEM_OK)
			ret = TEM_ERR;
		else if (ret != TEM_OK && !sqlite3_get_autocommit(r->c->db))
			(void)q_simple(r, Q_ROLLBACK); /* the error reported is the first */
	}
	ledger_pool_give(r->lp, r->c);
	return ret;
}

/* --- the rows (server/ledger_rows.h): SQLite's column getters --- */

static int col_step(struct lr_rows *rows)
{
	int rc = sqlite3_step(rows->src);

	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int64_t col_i64(const struct lr_rows *rows, int i)
{
	return sqlite3_column_int64(rows->src, i);
}

/* A text column, "" for NULL; NULL when SQLite ran out of memory reading it. */
static const char *col_text(const struct lr_rows *rows, int i)
{
	const char *s = (const char *)sqlite3_column_text(rows->src, i);

	if (s == NULL && sqlite3_column_type(rows->src, i) == SQLITE_NULL)
		return "";
	return s;
}

static size_t col_blob(const struct lr_rows *rows, int i, const void **p)
{
	int n;

	*p = sqlite3_column_blob(rows->src, i);
	n = sqlite3_column_bytes(rows->src, i);
	return *p != NULL && n > 0 ? (size_t)n : 0;
}

static const struct lr_getters getters = {col_step, col_i64, col_text, col_blob};

/* Steps st, giving its rows to s (lr_walk: at most limit, or LR_ALL). TEM_OK, or TEM_ERR with
 * r's error set. */
static int walk(struct rd *r, sqlite3_stmt *st, struct lr_sink *s, size_t limit, int64_t *next)
{
	struct lr_rows rows = {&getters, st, -1};
	int rc;

	s->where = r->p->path;
	rc = lr_walk(&rows, s, limit, next, r->err);
	if (rc == LR_STEP_FAILED)
		return rd_fail(r, "cannot read");
	if (rc != TEM_OK)
		r->failed = 1;
	return rc == TEM_OK ? TEM_OK : TEM_ERR;
}

/* One named parameter of a read: an integer, or a text when as_text (NULL: SQL NULL). A
 * statement without the name leaves it out (a filter it does not have). */
struct param {
	const char *name;
	int as_text;
	const char *t;
	int64_t i;
};

#define P_INT(name, v)                                                                             \
	{                                                                                          \
		name, 0, NULL, (int64_t)(v)                                                        \
	}
#define P_TEXT(name, v)                                                                            \
	{                                                                                          \
		name, 1, (v), 0                                                                    \
	}
/* A list's common parameters: the position after, the producer, the time bounds, the page
 * size and one more row (to tell whether a next page exists). */
#define P_LIST(f, after, limit)                                                                    \
	P_INT(":after", after), P_TEXT(":key", lr_producer_key(f)),                                \
	    P_INT(":from", (f) != NULL ? (f)->from_ms : 0),                                        \
	    P_INT(":to", (f) != NULL ? (f)->to_ms : 0), P_INT(":n", lr_limit(limit) + 1)
#define NPARAMS(p) (sizeof(p) / sizeof(p)[0])

/* Binds the n parameters p to st, in order. */
static int bind_all(struct rd *r, sqlite3_stmt *st, const struct param *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (q_bind_any(r, st, p[k].name, p[k].as_text, p[k].t, p[k].i) != TEM_OK)
			return TEM_ERR;
	return TEM_OK;
}

/* Runs statement q with the n parameters p in a read call on l and gives its rows to s
 * (lr_walk: at most limit with *next, or LR_ALL), then a statistics read's empty days after
 * them. */
static int read_rows(void *l, int q, const struct param *p, size_t n, struct lr_sink *s,
		     size_t limit, int64_t *next, struct tem_err *err)
{
	struct rd r;
	sqlite3_stmt *st;
	int ret = TEM_ERR;

	if (next != NULL)
		*next = 0;
	if (rd_begin(&r, l, err) != TEM_OK)
		return rd_end(&r, TEM_ERR);
	if ((st = q_get(&r, q)) != NULL && bind_all(&r, st, p, n) == TEM_OK)
		ret = walk(&r, st, s, limit, next);
	if (ret == TEM_OK)
		ret = lr_stat_end(s, err);
	return rd_end(&r, ret);
}

/* --- batches --- */

int sqlite_lq_batches(void *l, const struct lq_filter *f, int64_t after, size_t limit,
		      int (*fn)(void *arg, const struct lq_batch *b, struct tem_err *err),
		      void *arg, int64_t *next, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_BATCH, .fn.batch = fn, .arg = arg};
	const struct param p[] = {P_LIST(f, after, limit)};

	return read_rows(l, Q_BATCHES, p, NPARAMS(p), &s, limit, next, err);
}

/* --- one code --- */

/* The reads of lq_code, in r's transaction; head is the code's chain head (bound where a read
 * has :head). */
static int code_reads(struct rd *r, const char *key_id, uint64_t serial, int64_t head,
		      struct lq_code *out)
{
	static const int q[LR_CODE_PARTS] = {[LR_CODE_BATCH] = Q_CODE_BATCH,
					     [LR_CODE_COUNTS] = Q_CODE_COUNTS,
					     [LR_CODE_CLAIM] = Q_CODE_CLAIM,
					     [LR_CODE_LAST] = Q_CODE_LAST};
	const struct param p[] = {P_TEXT(":key", key_id), P_INT(":serial", serial),
				  P_INT(":head", head)};
	struct lr_rows rows = {&getters, NULL, -1};
	int k;

	for (int part = 0; part < LR_CODE_PARTS; part++) {
		if ((rows.src = q_get(r, q[part])) == NULL ||
		    bind_all(r, rows.src, p, NPARAMS(p)) != TEM_OK)
			return TEM_ERR;
		if ((k = col_step(&rows)) < 0)
			return rd_fail(r, "cannot read");
		if (k == 1)
			lr_code_part(&rows, (enum lr_code_part)part, serial, out);
	}
	return TEM_OK;
}

int sqlite_lq_code(void *l, const char *key_id, uint64_t serial, struct lq_code *out,
		   struct tem_err *err)
{
	int64_t head = sqlite_code_head(l, key_id, serial); /* before the snapshot */
	struct rd r;

	lr_code_init(out);
	if (rd_begin(&r, l, err) != TEM_OK)
		return rd_end(&r, TEM_ERR);
	return rd_end(&r, code_reads(&r, key_id, serial, head, out));
}

int sqlite_lq_code_scans(void *l, const char *key_id, uint64_t serial, int64_t after, size_t limit,
			 int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err),
			 void *arg, int64_t *next, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_SCAN, .fn.scan = fn, .arg = arg};
	int64_t head = sqlite_code_head(l, key_id, serial); /* before the snapshot */
	const struct param p[] = {P_INT(":after", after), P_INT(":n", lr_limit(limit) + 1),
				  P_TEXT(":key", key_id), P_INT(":serial", serial),
				  P_INT(":head", head)};

	return read_rows(l, Q_CODE_SCANS, p, NPARAMS(p), &s, limit, next, err);
}

int sqlite_lq_scans(void *l, const struct lq_filter *f, int64_t after, size_t limit,
		    int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err), void *arg,
		    int64_t *next, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_SCAN, .fn.scan = fn, .arg = arg};
	const struct param p[] = {P_LIST(f, after, limit)};

	return read_rows(l, Q_SCANS, p, NPARAMS(p), &s, limit, next, err);
}

/* --- alerts --- */

int sqlite_lq_alerts(void *l, const struct lq_filter *f, int64_t after, size_t limit,
		     int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		     int64_t *next, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_ALERT, .fn.alert = fn, .arg = arg};
	const struct param p[] = {P_LIST(f, after, limit), P_TEXT(":type", lr_type_name(f)),
				  P_TEXT(":status", lr_status_name(f))};
	int since = f != NULL && f->from_ms > 0;

	return read_rows(l, since ? Q_ALERTS_SINCE : Q_ALERTS, p, NPARAMS(p), &s, limit, next, err);
}

int sqlite_lq_alert(void *l, const struct lq_filter *f, int64_t id,
		    int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		    int *found, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_ALERT, .fn.alert = fn, .arg = arg};
	const struct param p[] = {P_INT(":id", id), P_TEXT(":key", lr_producer_key(f))};
	int ret = read_rows(l, Q_ALERT, p, NPARAMS(p), &s, 1, NULL, err);

	*found = s.n > 0;
	return ret;
}

int sqlite_lq_alert_changes(void *l, int64_t id,
			    int (*fn)(void *arg, const struct lq_alert_change *c,
				      struct tem_err *err),
			    void *arg, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_CHANGE, .fn.change = fn, .arg = arg};
	const struct param p[] = {P_INT(":id", id)};

	return read_rows(l, Q_CHANGES, p, NPARAMS(p), &s, LR_ALL, NULL, err);
}

int sqlite_lq_code_alerts(void *l, const char *key_id, uint64_t serial,
			  int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err),
			  void *arg, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_ALERT, .fn.alert = fn, .arg = arg};
	const struct param p[] = {P_TEXT(":key", key_id), P_INT(":serial", serial)};

	return read_rows(l, Q_CODE_ALERTS, p, NPARAMS(p), &s, LR_ALL, NULL, err);
}

/* --- statistics --- */

int sqlite_lq_stats(void *l, const struct lq_filter *f, int32_t from_day, int32_t to_day,
		    enum lq_by by,
		    int (*fn)(void *arg, const struct lq_stat *s, struct tem_err *err), void *arg,
		    struct tem_err *err)
{
	static const int q[] = {[LQ_BY_DAY] = Q_STATS_DAY,
				[LQ_BY_PRODUCER] = Q_STATS_PRODUCER,
				[LQ_BY_BATCH] = Q_STATS_BATCH};
	const struct param p[] = {P_INT(":from", from_day), P_INT(":to", to_day),
				  P_TEXT(":key", lr_producer_key(f))};
	struct lr_sink s;

	if ((unsigned)by > LQ_BY_BATCH)
		return err_set(err, "statistics by an unknown bucket");
	lr_stat_sink(&s, by, from_day, to_day, fn, arg, NULL);
	return read_rows(l, q[by], p, NPARAMS(p), &s, LR_ALL, NULL, err);
}

/* --- producers --- */

int sqlite_lq_producers(void *l, const struct lq_filter *f,
			int (*fn)(void *arg, const struct lq_producer *p, struct tem_err *err),
			void *arg, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_PRODUCER, .fn.producer = fn, .arg = arg};
	const struct param p[] = {P_TEXT(":key", lr_producer_key(f))};

	return read_rows(l, Q_PRODUCERS, p, NPARAMS(p), &s, LR_ALL, NULL, err);
}
