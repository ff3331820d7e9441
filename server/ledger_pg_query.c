/* ledger_pg_query.c — the PostgreSQL engine's regulator reads (server/ledger_query.h, through
 * the pg_lq_* entries of its backend table): the same rows as SQLite's
 * (server/ledger_sqlite_query.c), every statement prepared once per read connection with bound
 * parameters (text in, binary out), each call one REPEATABLE READ, READ ONLY transaction on a
 * connection of the ledger's read pool (server/ledger_pool.h: at most LQ_CONNS, opened as
 * needed; each made again here when the server restarted), lists read in keyset order (LIMIT
 * n + 1 tells whether a next page exists). Aggregates are cast to int8, so every number comes
 * back as a binary integer. Only the SQL and libpq's column getters are here:
 * server/ledger_rows.c makes the rows into their structs for both engines. */
#include "server/ledger_pg_query.h"

#include <endian.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/ledger_pg.h"
#include "server/ledger_pool.h"
#include "server/ledger_rows.h"

#define PGQ_MAX_ARGS 8

enum {
	Q_BATCHES,
	Q_CODE_BATCH,
	Q_CODE_COUNTS,
	Q_CODE_CLAIM,
	Q_CODE_LAST,
	Q_CODE_SCANS,
	Q_SCANS,
	Q_ALERTS,
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
	"coalesce(a.updated_by, ''), coalesce(a.updated_at, 0)::int8 FROM alerts a "               \
	"LEFT JOIN producers p ON p.key_id = a.key_id "
/* The sums of a statistics bucket, in the order of LR_STAT (server/ledger_rows.h). */
#define STAT_SUMS                                                                                  \
	"sum(scans)::int8 AS scans, sum(codes)::int8 AS codes, sum(genuine)::int8 AS genuine, "    \
	"sum(seen)::int8 AS seen, sum(duplicate)::int8 AS duplicate, sum(sold)::int8 AS sold, "    \
	"sum(unregistered)::int8 AS unregistered, sum(expired)::int8 AS expired, "                 \
	"sum(revoked)::int8 AS revoked, sum(claims)::int8 AS claims"
#define STAT_COLS                                                                                  \
	"s.scans, s.codes, s.genuine, s.seen, s.duplicate, s.sold, s.unregistered, s.expired, "    \
	"s.revoked, s.claims"
/* $1 from day, $2 to day, $3 key or NULL */
#define STAT_WHERE                                                                                 \
	"WHERE day >= $1::int4 AND day <= $2::int4 AND ($3::text IS NULL OR key_id = $3) "
/* A scans row's client's count of the code and latest scan: its code_scans row (in the
 * primary key's order, as SQLite reads it), 0 and 0 for a scan with none; one probe of
 * code_scans' primary key a row (a lateral join). */
#define SCAN_CLIENT_JOIN                                                                           \
	"LEFT JOIN LATERAL (SELECT c.scans, c.last_scan FROM code_scans c "                        \
	"WHERE c.key_id = s.key_id AND c.serial = s.serial AND c.client = s.client "               \
	"AND c.first_scan = s.at ORDER BY c.cookie LIMIT 1) c ON true"

/* Each list's parameters: $1 after, $2 key or NULL, $3 from (ms, 0: none), $4 to, $5 n. */
static const char *const qsql[Q_COUNT] = {
    [Q_BATCHES] =
	"SELECT b.id, b.key_id, b.producer, b.product, b.batch_id, b.first_serial, "
	"b.last_serial, b.issued, b.last_day, b.registered, (b.claim_key IS NOT NULL)::int4, "
	"coalesce(s.scans, 0)::int8, coalesce(s.codes, 0)::int8, coalesce(s.claimed, 0)::int8, "
	"coalesce(s.alerted, 0)::int8 FROM batches b "
	"LEFT JOIN batch_stats s ON s.key_id = b.key_id AND s.batch = b.id "
	"WHERE b.id > $1::int8 AND ($2::text IS NULL OR b.key_id = $2) "
	"AND ($3::int8 = 0 OR b.registered >= $3) AND ($4::int8 = 0 OR b.registered < $4) "
	"ORDER BY b.id LIMIT $5::int8",
    /* $1 key, $2 serial: the one batch of the key that may hold the serial (batches_by_key) */
    [Q_CODE_BATCH] = "SELECT id, last_serial FROM batches WHERE key_id = $1::text "
		     "AND first_serial <= $2::int8 ORDER BY first_serial DESC LIMIT 1",
    [Q_CODE_COUNTS] = "SELECT coalesce(sum(scans), 0)::int8, count(DISTINCT client)::int8, "
		      "coalesce(min(first_scan), 0)::int8, coalesce(max(last_scan), 0)::int8 "
		      "FROM code_scans WHERE key_id = $1::text AND serial = $2::int8",
    [Q_CODE_CLAIM] = "SELECT at, client FROM claims WHERE key_id = $1::text AND serial = $2::int8",
    [Q_CODE_LAST] = "SELECT verdict FROM code_scans WHERE key_id = $1::text "
		    "AND serial = $2::int8 AND scan IS NOT NULL ORDER BY scan DESC LIMIT 1",
    /* $1 key, $2 serial, $3 after, $4 n: one range read of code_scans' primary key */
    [Q_CODE_SCANS] = "SELECT scan, key_id, serial, first_scan, client, verdict, scans, "
		     "last_scan FROM code_scans WHERE key_id = $1::text AND serial = $2::int8 "
		     "AND scan > $3::int8 ORDER BY scan LIMIT $4::int8",
    /* in id order through scans_by_id (PostgreSQL migration 2), or the primary key (key_id,
     * id) for one key: a page reads its rows in order, never sorting the table */
    [Q_SCANS] =
	"SELECT s.id, s.key_id, s.serial, s.at, s.client, s.verdict, "
	"coalesce(c.scans, 0)::int8, coalesce(c.last_scan, 0)::int8 FROM scans s " SCAN_CLIENT_JOIN
	" WHERE s.id > $1::int8 AND ($2::text IS NULL OR s.key_id = $2) "
	"AND ($3::int8 = 0 OR s.at >= $3) AND ($4::int8 = 0 OR s.at < $4) "
	"ORDER BY s.id LIMIT $5::int8",
    /* alerts newest first; $6 type or NULL, $7 status or NULL; from/to on the latest event */
    [Q_ALERTS] =
	ALERT_COLS "WHERE ($1::int8 = 0 OR a.id < $1) "
		   "AND ($2::text IS NULL OR a.key_id = $2) "
		   "AND ($3::int8 = 0 OR a.last_at >= $3) AND ($4::int8 = 0 OR a.last_at < $4) "
		   "AND ($6::text IS NULL OR a.type = $6) "
		   "AND ($7::text IS NULL OR a.status = $7) ORDER BY a.id DESC LIMIT $5::int8",
    /* $1 id, $2 key or NULL */
    [Q_ALERT] = ALERT_COLS "WHERE a.id = $1::int8 AND ($2::text IS NULL OR a.key_id = $2)",
    [Q_CODE_ALERTS] =
	ALERT_COLS "WHERE a.key_id = $1::text AND a.serial = $2::int8 ORDER BY a.id DESC",
    [Q_CHANGES] = "SELECT at, by, status, coalesce(reason, ''), coalesce(note, '') "
		  "FROM alert_changes WHERE alert = $1::int8 ORDER BY id",
    [Q_STATS_DAY] =
	"SELECT day, " STAT_SUMS " FROM day_stats " STAT_WHERE "GROUP BY day ORDER BY day",
    [Q_STATS_PRODUCER] = "SELECT s.key_id, coalesce(p.name, ''), " STAT_COLS
			 " FROM (SELECT key_id, " STAT_SUMS " FROM day_stats " STAT_WHERE
			 "GROUP BY key_id) s LEFT JOIN producers p ON p.key_id = s.key_id "
			 "ORDER BY s.key_id",
    [Q_STATS_BATCH] =
	"SELECT s.key_id, coalesce(p.name, ''), s.batch, coalesce(b.batch_id, ''), " STAT_COLS
	" FROM (SELECT key_id, batch, " STAT_SUMS " FROM day_stats " STAT_WHERE
	"GROUP BY key_id, batch) s LEFT JOIN producers p ON p.key_id = s.key_id "
	"LEFT JOIN batches b ON b.key_id = s.key_id AND b.id = s.batch "
	"ORDER BY s.batch, s.key_id",
    /* $1 key or NULL: producers with their batches' roll-ups, scans of codes in no batch and
     * alerts not closed */
    [Q_PRODUCERS] =
	"SELECT p.key_id, p.name, p.valid_from, coalesce(p.revoked, -1), coalesce(bs.n, 0)::int8, "
	"coalesce(bs.codes, 0)::int8, (coalesce(bs.scans, 0) + (SELECT coalesce(sum(d.scans), 0) "
	"FROM day_stats d WHERE d.key_id = p.key_id AND d.batch = 0))::int8, "
	"coalesce(bs.scanned, 0)::int8, coalesce(bs.claimed, 0)::int8, "
	"(SELECT count(*) FROM alerts a WHERE a.key_id = p.key_id AND a.status <> 'closed')::int8 "
	"FROM producers p LEFT JOIN (SELECT b.key_id AS key_id, count(*) AS n, "
	"sum(b.last_serial - b.first_serial + 1) AS codes, sum(coalesce(s.scans, 0)) AS scans, "
	"sum(coalesce(s.codes, 0)) AS scanned, sum(coalesce(s.claimed, 0)) AS claimed "
	"FROM batches b LEFT JOIN batch_stats s ON s.key_id = b.key_id AND s.batch = b.id "
	"GROUP BY b.key_id) bs ON bs.key_id = p.key_id "
	"WHERE ($1::text IS NULL OR p.key_id = $1) ORDER BY p.key_id",
};

/* --- helpers (ledger_pg_query.h) --- */

int64_t pgq_i64(const PGresult *res, int r, int c)
{
	const char *p = PQgetvalue(res, r, c);
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;

	switch (PQgetisnull(res, r, c) ? 0 : PQgetlength(res, r, c)) {
	case 8:
		memcpy(&v8, p, 8);
		return (int64_t)be64toh(v8);
	case 4:
		memcpy(&v4, p, 4);
		return (int32_t)be32toh(v4);
	case 2:
		memcpy(&v2, p, 2);
		return (int16_t)be16toh(v2);
	case 1:
		return (unsigned char)p[0];
	default:
		return 0;
	}
}

/* --- the pool (server/ledger_pool.h) --- */

/* A read connection: connected by rd_connect when first used, and again after a server restart
 * cut it. */
struct conn {
	PGconn *c;                       /* NULL until connected */
	unsigned char prepared[Q_COUNT]; /* statement "lqN" prepared on c */
};

/* What a ledger's read pool connects to. */
struct pool {
	char *conninfo;
	char name[256]; /* for messages, without the password */
};

/* The pool's open: a connection slot, connected only when a read uses it (rd_connect), so a
 * server that is down fails the read, not the pool. */
static int conn_open(void *ctx, void **out, struct tem_err *err)
{
	struct pool *p = ctx;
	struct conn *c = calloc(1, sizeof *c);

	if (c == NULL)
		return err_set(err, "%s: cannot open a read connection: out of memory", p->name);
	*out = c;
	return TEM_OK;
}

/* The pool's close: c's connection, if it has one. */
static void conn_close(void *ctx, void *conn)
{
	struct conn *c = conn;

	(void)ctx;
	PQfinish(c->c);
	free(c);
}

static void pool_done(void *ctx)
{
	struct pool *p = ctx;

	free(p->conninfo);
	free(p);
}

static const struct ledger_pool_ops pool_ops = {conn_open, conn_close, pool_done};

int pg_lq_open(void *l, const char *where, struct tem_err *err)
{
	struct pool *p;

	if ((p = calloc(1, sizeof *p)) == NULL || (p->conninfo = strdup(where)) == NULL) {
		free(p);
		return err_set(err, "out of memory");
	}
	pg_ledger_name_of(where, p->name, sizeof p->name);
	return ledger_pool_attach(l, LQ_CONNS, &pool_ops, p, err);
}

void pg_lq_close(void *l)
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

/* Fills r's err with what failed and the server's message; returns TEM_ERR. */
static int rd_fail(struct rd *r, const char *what, const PGresult *res)
{
	char msg[512];

	if (!r->failed) {
		if (res != NULL && PQresultErrorMessage(res)[0] != '\0') {
			snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
			for (char *q = msg; *q != '\0'; q++)
				if (*q == '\n' || *q == '\t')
					*q = ' ';
			for (size_t n = strlen(msg); n > 0 && msg[n - 1] == ' ';)
				msg[--n] = '\0';
		} else {
			pg_conn_msg(r->c->c, msg, sizeof msg);
		}
		err_set(r->err, "%s: %s: %s", r->p->name, what, msg);
	}
	r->failed = 1;
	return TEM_ERR;
}

/* Runs the text q without rows on r's connection. */
static int rd_cmd(struct rd *r, const char *q)
{
	PGresult *res = PQexec(r->c->c, q);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		rd_fail(r, "cannot read", res);
	PQclear(res);
	return ok ? TEM_OK : TEM_ERR;
}

/* Connects r's slot when it has no live connection. */
static int rd_connect(struct rd *r)
{
	if (r->c->c != NULL && PQstatus(r->c->c) == CONNECTION_OK)
		return TEM_OK;
	PQfinish(r->c->c);
	memset(r->c->prepared, 0, sizeof r->c->prepared);
	if ((r->c->c = pg_ledger_connect(r->p->conninfo, 1, r->err)) == NULL) {
		r->failed = 1;
		return TEM_ERR;
	}
	return TEM_OK;
}

#define BEGIN_READ "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"

/* Begins a read call on l: a connection and its read transaction, on a new connection when
 * the old one was lost (a server restart). */
static int rd_begin(struct rd *r, void *l, struct tem_err *err)
{
	PGresult *res;
	void *c;

	memset(r, 0, sizeof *r);
	r->err = err;
	if ((r->lp = ledger_pool_take(l, &c, err)) == NULL)
		return TEM_ERR;
	r->p = ledger_pool_ctx(r->lp);
	r->c = c;
	if (rd_connect(r) != TEM_OK)
		return TEM_ERR;
	res = PQexec(r->c->c, BEGIN_READ);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQstatus(r->c->c) != CONNECTION_OK) {
		PQclear(res);
		if (rd_connect(r) != TEM_OK)
			return TEM_ERR;
		res = PQexec(r->c->c, BEGIN_READ);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rd_fail(r, "cannot begin a read", res);
		PQclear(res);
		return TEM_ERR;
	}
	PQclear(res);
	r->in_tx = 1;
	return TEM_OK;
}

/* Ends a read call: its transaction ended, its connection handed back. Returns ret, or
 * TEM_ERR when ending failed. */
static int rd_end(struct rd *r, int ret)
{
	if (r->c == NULL)
		return TEM_ERR;
	if (r->in_tx) {
		if (ret == TEM_OK && rd_cmd(r, "COMMIT") != TEM_OK)
			ret = TEM_ERR;
		else if (ret != TEM_OK)
			PQclear(PQexec(r->c->c, "ROLLBACK")); /* the error reported is the first */
	}
	ledger_pool_give(r->lp, r->c);
	return ret;
}

/* Text parameters of one statement. */
struct args {
	int n;
	const char *v[PGQ_MAX_ARGS];
	char num[PGQ_MAX_ARGS][24];
};

static void a_i64(struct args *a, int64_t v)
{
	snprintf(a->num[a->n], sizeof a->num[a->n], "%lld", (long long)v);
	a->v[a->n] = a->num[a->n];
	a->n++;
}

/* t, or SQL NULL when t is NULL */
static void a_text(struct args *a, const char *t)
{
	a->v[a->n++] = t;
}

/* Runs statement q with a's parameters in r's transaction (preparing it first on this
 * connection), binary results. The rows (the caller clears them), or NULL with r's error set. */
static PGresult *q_run(struct rd *r, int q, const struct args *a)
{
	char name[16];
	PGresult *res;

	snprintf(name, sizeof name, "lq%d", q);
	if (!r->c->prepared[q]) {
		res = PQprepare(r->c->c, name, qsql[q], 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rd_fail(r, "cannot prepare a read", res);
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		r->c->prepared[q] = 1;
	}
	res = PQexecPrepared(r->c->c, name, a->n, a->v, NULL, NULL, 1);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	rd_fail(r, "cannot read", res);
	PQclear(res);
	return NULL;
}

/* A list's common parameters: $1 after, $2 key, $3 from, $4 to, $5 limit + 1. */
static void list_args(struct args *a, const struct lq_filter *f, int64_t after, size_t limit)
{
	a->n = 0;
	a_i64(a, after);
	a_text(a, lr_producer_key(f));
	a_i64(a, f != NULL ? f->from_ms : 0);
	a_i64(a, f != NULL ? f->to_ms : 0);
	a_i64(a, (int64_t)lr_limit(limit) + 1);
}

/* --- the rows (server/ledger_rows.h): libpq's column getters on a binary result --- */

static int col_step(struct lr_rows *rows)
{
	return ++rows->row < PQntuples(rows->src) ? 1 : 0;
}

static int64_t col_i64(const struct lr_rows *rows, int c)
{
	return pgq_i64(rows->src, rows->row, c);
}

/* A text column, "" for NULL. */
static const char *col_text(const struct lr_rows *rows, int c)
{
	return PQgetisnull(rows->src, rows->row, c) ? "" : PQgetvalue(rows->src, rows->row, c);
}

static size_t col_blob(const struct lr_rows *rows, int c, const void **p)
{
	int n = PQgetisnull(rows->src, rows->row, c) ? 0 : PQgetlength(rows->src, rows->row, c);

	*p = n > 0 ? PQgetvalue(rows->src, rows->row, c) : NULL;
	return n > 0 ? (size_t)n : 0;
}

static const struct lr_getters getters = {col_step, col_i64, col_text, col_blob};

/* Runs statement q with a in a read call on l and gives its rows to s (lr_walk: at most
 * limit with *next, or LR_ALL), then a statistics read's empty days after them. */
static int read_rows(void *l, int q, const struct args *a, struct lr_sink *s, size_t limit,
		     int64_t *next, struct tem_err *err)
{
	struct lr_rows rows = {&getters, NULL, -1};
	struct rd r;
	int ret = TEM_ERR;

	if (next != NULL)
		*next = 0;
	if (rd_begin(&r, l, err) != TEM_OK)
		return rd_end(&r, TEM_ERR);
	s->where = r.p->name;
	if ((rows.src = q_run(&r, q, a)) != NULL) {
		ret = lr_walk(&rows, s, limit, next, err);
		if (ret != TEM_OK) {
			r.failed = 1;
			ret = TEM_ERR;
		}
		PQclear(rows.src);
	}
	if (ret == TEM_OK)
		ret = lr_stat_end(s, err);
	return rd_end(&r, ret);
}

/* --- batches --- */

int pg_lq_batches(void *l, const struct lq_filter *f, int64_t after, size_t limit,
		  int (*fn)(void *arg, const struct lq_batch *b, struct tem_err *err), void *arg,
		  int64_t *next, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_BATCH, .fn.batch = fn, .arg = arg};
	struct args a;

	list_args(&a, f, after, limit);
	return read_rows(l, Q_BATCHES, &a, &s, limit, next, err);
}

/* --- one code --- */

static void code_args(struct args *a, const char *key_id, uint64_t serial)
{
	a->n = 0;
	a_text(a, key_id);
	a_i64(a, (int64_t)serial);
}

/* The reads of lq_code, in r's transaction. */
static int code_reads(struct rd *r, const char *key_id, uint64_t serial, struct lq_code *out)
{
	static const int q[LR_CODE_PARTS] = {[LR_CODE_BATCH] = Q_CODE_BATCH,
					     [LR_CODE_COUNTS] = Q_CODE_COUNTS,
					     [LR_CODE_CLAIM] = Q_CODE_CLAIM,
					     [LR_CODE_LAST] = Q_CODE_LAST};
	struct lr_rows rows = {&getters, NULL, 0};
	struct args a;

	code_args(&a, key_id, serial);
	for (int part = 0; part < LR_CODE_PARTS; part++) {
		if ((rows.src = q_run(r, q[part], &a)) == NULL)
			return TEM_ERR;
		if (PQntuples(rows.src) == 1)
			lr_code_part(&rows, (enum lr_code_part)part, serial, out);
		PQclear(rows.src);
	}
	return TEM_OK;
}

int pg_lq_code(void *l, const char *key_id, uint64_t serial, struct lq_code *out,
	       struct tem_err *err)
{
	struct rd r;

	lr_code_init(out);
	if (rd_begin(&r, l, err) != TEM_OK)
		return rd_end(&r, TEM_ERR);
	return rd_end(&r, code_reads(&r, key_id, serial, out));
}

int pg_lq_code_scans(void *l, const char *key_id, uint64_t serial, int64_t after, size_t limit,
		     int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err), void *arg,
		     int64_t *next, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_SCAN, .fn.scan = fn, .arg = arg};
	struct args a;

	code_args(&a, key_id, serial);
	a_i64(&a, after);
	a_i64(&a, (int64_t)lr_limit(limit) + 1);
	return read_rows(l, Q_CODE_SCANS, &a, &s, limit, next, err);
}

int pg_lq_scans(void *l, const struct lq_filter *f, int64_t after, size_t limit,
		int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err), void *arg,
		int64_t *next, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_SCAN, .fn.scan = fn, .arg = arg};
	struct args a;

	list_args(&a, f, after, limit);
	return read_rows(l, Q_SCANS, &a, &s, limit, next, err);
}

/* --- alerts --- */

int pg_lq_alerts(void *l, const struct lq_filter *f, int64_t after, size_t limit,
		 int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		 int64_t *next, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_ALERT, .fn.alert = fn, .arg = arg};
	struct args a;

	list_args(&a, f, after, limit);
	a_text(&a, lr_type_name(f));
	a_text(&a, lr_status_name(f));
	return read_rows(l, Q_ALERTS, &a, &s, limit, next, err);
}

int pg_lq_alert(void *l, const struct lq_filter *f, int64_t id,
		int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		int *found, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_ALERT, .fn.alert = fn, .arg = arg};
	struct args a = {0};
	int ret;

	a_i64(&a, id);
	a_text(&a, lr_producer_key(f));
	ret = read_rows(l, Q_ALERT, &a, &s, 1, NULL, err);
	*found = s.n > 0;
	return ret;
}

int pg_lq_alert_changes(void *l, int64_t id,
			int (*fn)(void *arg, const struct lq_alert_change *c, struct tem_err *err),
			void *arg, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_CHANGE, .fn.change = fn, .arg = arg};
	struct args a = {0};

	a_i64(&a, id);
	return read_rows(l, Q_CHANGES, &a, &s, LR_ALL, NULL, err);
}

int pg_lq_code_alerts(void *l, const char *key_id, uint64_t serial,
		      int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err),
		      void *arg, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_ALERT, .fn.alert = fn, .arg = arg};
	struct args a;

	code_args(&a, key_id, serial);
	return read_rows(l, Q_CODE_ALERTS, &a, &s, LR_ALL, NULL, err);
}

/* --- statistics --- */

int pg_lq_stats(void *l, const struct lq_filter *f, int32_t from_day, int32_t to_day, enum lq_by by,
		int (*fn)(void *arg, const struct lq_stat *s, struct tem_err *err), void *arg,
		struct tem_err *err)
{
	static const int q[] = {[LQ_BY_DAY] = Q_STATS_DAY,
				[LQ_BY_PRODUCER] = Q_STATS_PRODUCER,
				[LQ_BY_BATCH] = Q_STATS_BATCH};
	struct lr_sink s;
	struct args a = {0};

	if ((unsigned)by > LQ_BY_BATCH)
		return err_set(err, "statistics by an unknown bucket");
	lr_stat_sink(&s, by, from_day, to_day, fn, arg, NULL);
	a_i64(&a, from_day);
	a_i64(&a, to_day);
	a_text(&a, lr_producer_key(f));
	return read_rows(l, q[by], &a, &s, LR_ALL, NULL, err);
}

/* --- producers --- */

int pg_lq_producers(void *l, const struct lq_filter *f,
		    int (*fn)(void *arg, const struct lq_producer *p, struct tem_err *err),
		    void *arg, struct tem_err *err)
{
	struct lr_sink s = {.kind = LR_PRODUCER, .fn.producer = fn, .arg = arg};
	struct args a = {0};

	a_text(&a, lr_producer_key(f));
	return read_rows(l, Q_PRODUCERS, &a, &s, LR_ALL, NULL, err);
}
