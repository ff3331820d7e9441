/* test_ledger_pg_query.c — the PostgreSQL engine's regulator reads and API tokens
 * (server/ledger_pg_query.c, ledger_pg_tokens.c) on a throwaway cluster (pg_cluster.h):
 * one sequence of jobs (producers, batches, scans from networks with and without cookies,
 * duplicates, unregistered and revoked codes, claims, sold codes, an invalid burst, an alert's
 * workflow) is run through a SQLite ledger and through the PostgreSQL writer, then every read
 * of ledger_query.h is asked of both with the same filters and pages, and their rows compared
 * field by field (each row printed as one line of every field); the same token steps (add, a
 * name in force twice, find, revoke, each) give the same answers; after a server restart the
 * reads and the token lookups connect again. PostgreSQL's reads are the ones its backend table
 * (ledger_pg_backend) gives temd, every entry of it present and called. Skipped (saying why)
 * only when PostgreSQL 15 is absent. */
#include "tests/unit/pg_cluster.h"

#include <pthread.h>

#include "server/ledger_backend.h"
#include "server/ledger_pg.h"
#include "server/ledger_query.h"
#include "server/ledger_tokens.h"

/* --- both engines behind one table --------------------------------------------------------
 * SQLite's reads through the public interface (struct ledger, ledger_query.h); PostgreSQL's
 * from the engine's own backend table (ledger_pg_backend), so every read the engine serves is
 * the one tested, and a read the table gains is caught below (READ_ENTRIES). */

static int s_batches(void *db, const struct lq_filter *f, int64_t after, size_t limit,
		     int (*fn)(void *arg, const struct lq_batch *b, struct tem_err *err), void *arg,
		     int64_t *next, struct tem_err *err)
{
	return lq_batches(db, f, after, limit, fn, arg, next, err);
}

static int s_code(void *db, const char *key_id, uint64_t serial, struct lq_code *out,
		  struct tem_err *err)
{
	return lq_code(db, key_id, serial, out, err);
}

static int s_code_scans(void *db, const char *key_id, uint64_t serial, int64_t after, size_t limit,
			int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err),
			void *arg, int64_t *next, struct tem_err *err)
{
	return lq_code_scans(db, key_id, serial, after, limit, fn, arg, next, err);
}

static int s_scans(void *db, const struct lq_filter *f, int64_t after, size_t limit,
		   int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err), void *arg,
		   int64_t *next, struct tem_err *err)
{
	return lq_scans(db, f, after, limit, fn, arg, next, err);
}

static int s_alerts(void *db, const struct lq_filter *f, int64_t after, size_t limit,
		    int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		    int64_t *next, struct tem_err *err)
{
	return lq_alerts(db, f, after, limit, fn, arg, next, err);
}

static int s_alert(void *db, const struct lq_filter *f, int64_t id,
		   int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		   int *found, struct tem_err *err)
{
	return lq_alert(db, f, id, fn, arg, found, err);
}

static int s_changes(void *db, int64_t id,
		     int (*fn)(void *arg, const struct lq_alert_change *c, struct tem_err *err),
		     void *arg, struct tem_err *err)
{
	return lq_alert_changes(db, id, fn, arg, err);
}

static int s_code_alerts(void *db, const char *key_id, uint64_t serial,
			 int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err),
			 void *arg, struct tem_err *err)
{
	return lq_code_alerts(db, key_id, serial, fn, arg, err);
}

static int s_stats(void *db, const struct lq_filter *f, int32_t from_day, int32_t to_day,
		   enum lq_by by,
		   int (*fn)(void *arg, const struct lq_stat *s, struct tem_err *err), void *arg,
		   struct tem_err *err)
{
	return lq_stats(db, f, from_day, to_day, by, fn, arg, err);
}

static int s_producers(void *db, const struct lq_filter *f,
		       int (*fn)(void *arg, const struct lq_producer *p, struct tem_err *err),
		       void *arg, struct tem_err *err)
{
	return lq_producers(db, f, fn, arg, err);
}

static int s_tokens_open(const char *where, int write, void **tdb, struct tem_err *err)
{
	return ledger_tokens_open(where, write, (struct ledger_tokens **)tdb, err);
}

static void s_tokens_close(void *tdb)
{
	ledger_tokens_close(tdb);
}

static int s_tokens_find(void *tdb, const unsigned char hash[TOKENS_HASH_BYTES],
			 struct token_row *row, struct tem_err *err)
{
	return ledger_tokens_find(tdb, hash, row, err);
}

static int s_tokens_add(void *tdb, const struct token_row *row, struct tem_err *err)
{
	return ledger_tokens_add(tdb, row, err);
}

static int s_tokens_revoke(void *tdb, const char *name, int64_t now_ms, struct tem_err *err)
{
	return ledger_tokens_revoke(tdb, name, now_ms, err);
}

static int s_tokens_each(void *tdb, int (*fn)(void *arg, const struct token_row *row), void *arg,
			 struct tem_err *err)
{
	return ledger_tokens_each(tdb, fn, arg, err);
}

static const struct ledger_backend sqlite_reads = {
    .name = "SQLite",
    .lq_batches = s_batches,
    .lq_code = s_code,
    .lq_code_scans = s_code_scans,
    .lq_scans = s_scans,
    .lq_alerts = s_alerts,
    .lq_alert = s_alert,
    .lq_alert_changes = s_changes,
    .lq_code_alerts = s_code_alerts,
    .lq_stats = s_stats,
    .lq_producers = s_producers,
    .tokens_open = s_tokens_open,
    .tokens_close = s_tokens_close,
    .tokens_find = s_tokens_find,
    .tokens_add = s_tokens_add,
    .tokens_revoke = s_tokens_revoke,
    .tokens_each = s_tokens_each,
};

/* Every entry of the backend table that reads or keeps tokens, from lq_open to tokens_each:
 * read_all and token_steps call each of them. A read added to struct ledger_backend fails
 * this build until it is counted here and called there. */
#define READ_ENTRIES 18
_Static_assert(offsetof(struct ledger_backend, tokens_each) -
		       offsetof(struct ledger_backend, lq_open) ==
		   (READ_ENTRIES - 1) * sizeof(void (*)(void)),
	       "struct ledger_backend has a read this test does not know: count it in "
	       "READ_ENTRIES and call it in read_all or token_steps");
_Static_assert(offsetof(struct ledger_backend, tokens_each) + sizeof(void (*)(void)) ==
		   sizeof(struct ledger_backend),
	       "struct ledger_backend has entries after tokens_each this test does not know");

/* PostgreSQL's reads: the engine's own table, as temd dispatches to it (server/ledger.c). */
static const struct ledger_backend *pg_reads;

/* Fails unless be serves every read and token entry. */
static void serves_every_read(const struct ledger_backend *be)
{
	const void *const entries[READ_ENTRIES] = {
	    (const void *)be->lq_open,          (const void *)be->lq_close,
	    (const void *)be->lq_batches,       (const void *)be->lq_code,
	    (const void *)be->lq_code_scans,    (const void *)be->lq_scans,
	    (const void *)be->lq_alerts,        (const void *)be->lq_alert,
	    (const void *)be->lq_alert_changes, (const void *)be->lq_code_alerts,
	    (const void *)be->lq_stats,         (const void *)be->lq_producers,
	    (const void *)be->tokens_open,      (const void *)be->tokens_close,
	    (const void *)be->tokens_find,      (const void *)be->tokens_add,
	    (const void *)be->tokens_revoke,    (const void *)be->tokens_each,
	};

	for (int i = 0; i < READ_ENTRIES; i++)
		if (entries[i] == NULL)
			fail_msg("%s: read entry %d of the backend table is missing", be->name, i);
}

/* --- every row as a line of text ------------------------------------------------------------ */

struct text {
	char *s;
	size_t n;
	int rows;
};

static void tadd(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tadd(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	int k;
	char *g;

	va_start(ap, fmt);
	k = vasprintf(&line, fmt, ap);
	va_end(ap);
	assert_true(k >= 0);
	g = realloc(t->s, t->n + (size_t)k + 1);
	assert_non_null(g);
	memcpy(g + t->n, line, (size_t)k + 1);
	t->s = g;
	t->n += (size_t)k;
	free(line);
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int batch_line(void *arg, const struct lq_batch *b, struct tem_err *err)
{
	(void)err;
	((struct text *)arg)->rows++;
	tadd(arg,
	     "batch %lld %s %s %s %s %llu-%llu issued=%lld last_day=%d reg=%lld pins=%d "
	     "scans=%lld scanned=%lld claimed=%lld alerted=%lld\n",
	     (long long)b->row, b->key_id, b->producer, b->product, b->batch_id,
	     (unsigned long long)b->first, (unsigned long long)b->last, (long long)b->issued,
	     b->last_day, (long long)b->registered_ms, b->has_pins, (long long)b->scans,
	     (long long)b->scanned, (long long)b->claimed, (long long)b->alerted);
	return TEM_OK;
}

static int scan_line(void *arg, const struct lq_scan *s, struct tem_err *err)
{
	char c[2 * LEDGER_CLIENT_BYTES + 1];

	(void)err;
	hex(s->client, LEDGER_CLIENT_BYTES, c);
	((struct text *)arg)->rows++;
	tadd(arg, "scan %lld %s/%llu at=%lld client=%s %s client_scans=%lld client_last=%lld\n",
	     (long long)s->id, s->key_id, (unsigned long long)s->serial, (long long)s->at_ms, c,
	     s->verdict < V_COUNT ? verdict_name(s->verdict) : "?", (long long)s->client_scans,
	     (long long)s->client_last_ms);
	return TEM_OK;
}

static int alert_line(void *arg, const struct lq_alert *a, struct tem_err *err)
{
	(void)err;
	((struct text *)arg)->rows++;
	tadd(arg,
	     "alert %lld %s %s/%llu \"%s\" events=%lld clients=%lld %lld..%lld %s %s "
	     "\"%s\" by=\"%s\" at=%lld\n",
	     (long long)a->id, alert_type_name(a->type), a->key_id, (unsigned long long)a->serial,
	     a->producer, (long long)a->events, (long long)a->clients, (long long)a->first_ms,
	     (long long)a->last_ms, alert_status_name(a->status),
	     a->reason != ALERT_REASON_NONE ? alert_reason_name(a->reason) : "-", a->note,
	     a->updated_by, (long long)a->updated_ms);
	return TEM_OK;
}

static int change_line(void *arg, const struct lq_alert_change *c, struct tem_err *err)
{
	(void)err;
	((struct text *)arg)->rows++;
	tadd(arg, "change at=%lld by=%s %s %s \"%s\"\n", (long long)c->at_ms, c->by,
	     alert_status_name(c->status),
	     c->reason != ALERT_REASON_NONE ? alert_reason_name(c->reason) : "-", c->note);
	return TEM_OK;
}

static int stat_line(void *arg, const struct lq_stat *s, struct tem_err *err)
{
	(void)err;
	((struct text *)arg)->rows++;
	tadd(arg,
	     "stat day=%d %s \"%s\" batch=%lld \"%s\" scans=%lld codes=%lld claims=%lld v=", s->day,
	     s->key_id, s->producer, (long long)s->batch_row, s->batch_id, (long long)s->scans,
	     (long long)s->codes, (long long)s->claims);
	for (int v = 0; v < V_COUNT; v++)
		tadd(arg, "%lld%s", (long long)s->verdicts[v], v + 1 < V_COUNT ? "," : "\n");
	return TEM_OK;
}

static int producer_line(void *arg, const struct lq_producer *p, struct tem_err *err)
{
	(void)err;
	((struct text *)arg)->rows++;
	tadd(arg,
	     "producer %s \"%s\" from=%d revoked=%d batches=%lld codes=%lld scans=%lld "
	     "scanned=%lld claimed=%lld open=%lld\n",
	     p->key_id, p->name, p->valid_from, p->revoked, (long long)p->batches,
	     (long long)p->codes, (long long)p->scans, (long long)p->scanned, (long long)p->claimed,
	     (long long)p->open_alerts);
	return TEM_OK;
}

static void code_line(struct text *t, const struct lq_code *c)
{
	char cl[2 * LEDGER_CLIENT_BYTES + 1];

	hex(c->claimer, LEDGER_CLIENT_BYTES, cl);
	t->rows++;
	tadd(t,
	     "code in_batch=%d batch=%lld scans=%lld clients=%lld first=%lld last=%lld "
	     "claimed=%lld claimer=%s last_verdict=%s\n",
	     c->in_batch, (long long)c->batch_row, (long long)c->scans, (long long)c->clients,
	     (long long)c->first_scan_ms, (long long)c->last_scan_ms, (long long)c->claimed_ms, cl,
	     c->last_verdict < V_COUNT ? verdict_name(c->last_verdict) : "none");
}

/* --- every read, as one text ------------------------------------------------------------- */

/* Walks a list page by page (limit rows a page), writing each page's end into t. */
#define PAGES(t, call)                                                                             \
	do {                                                                                       \
		int64_t after_ = 0, next_ = 0;                                                     \
		int pages_ = 0;                                                                    \
		do {                                                                               \
			int64_t after = after_;                                                    \
			if ((call) != TEM_OK)                                                      \
				fail_msg("%s: %s", be->name, err.msg);                             \
			tadd(t, "-- next %lld\n", (long long)next_);                               \
			after_ = next_;                                                            \
			assert_true(++pages_ < 100);                                               \
		} while (next_ != 0);                                                              \
	} while (0)

static void filter(struct lq_filter *f, const char *producer, int64_t from, int64_t to, int type,
		   int status)
{
	lq_filter_all(f);
	f->producer = producer;
	f->from_ms = from;
	f->to_ms = to;
	f->type = type;
	f->status = status;
}

/* Every read of the regulator API on db, into t. */
static void read_all(const struct ledger_backend *be, void *db, struct text *t)
{
	static const char *const keys[] = {NULL, KEY, KEY2};
	static const uint64_t serials[] = {5, 7, 9, 10, 11, 150, 500, 9999};
	struct tem_err err;
	struct lq_filter f;
	int32_t day = (int32_t)((T0 / 1000 + 7 * 3600) / 86400);

	for (size_t k = 0; k < 3; k++) {
		for (size_t lim = 1; lim <= 3; lim += 2) {
			tadd(t, "# batches %s limit %zu\n", keys[k] ? keys[k] : "all", lim);
			filter(&f, keys[k], 0, 0, -1, -1);
			PAGES(t, be->lq_batches(db, &f, after, lim, batch_line, t, &next_, &err));
			tadd(t, "# scans %s limit %zu\n", keys[k] ? keys[k] : "all", lim);
			PAGES(t, be->lq_scans(db, &f, after, lim, scan_line, t, &next_, &err));
			tadd(t, "# alerts %s limit %zu\n", keys[k] ? keys[k] : "all", lim);
			PAGES(t, be->lq_alerts(db, &f, after, lim, alert_line, t, &next_, &err));
		}
		tadd(t, "# producers %s\n", keys[k] ? keys[k] : "all");
		if (be->lq_producers(db, &f, producer_line, t, &err) != TEM_OK)
			fail_msg("%s: %s", be->name, err.msg);
		for (int by = LQ_BY_DAY; by <= LQ_BY_BATCH; by++) {
			tadd(t, "# stats %s by %d\n", keys[k] ? keys[k] : "all", by);
			if (be->lq_stats(db, &f, day - 1, day + 2, (enum lq_by)by, stat_line, t,
					 &err) != TEM_OK)
				fail_msg("%s: %s", be->name, err.msg);
		}
	}
	/* time bounds: the first day's rows, the second day's */
	for (int w = 0; w < 2; w++) {
		int64_t from = w == 0 ? 0 : T0 + 86400000LL, to = w == 0 ? T0 + 86400000LL : 0;
		tadd(t, "# window %d\n", w);
		filter(&f, NULL, from, to, -1, -1);
		PAGES(t, be->lq_batches(db, &f, after, 2, batch_line, t, &next_, &err));
		PAGES(t, be->lq_scans(db, &f, after, 2, scan_line, t, &next_, &err));
		PAGES(t, be->lq_alerts(db, &f, after, 2, alert_line, t, &next_, &err));
	}
	for (int ty = 0; ty < ALERT_TYPES; ty++) {
		tadd(t, "# alerts of type %s\n", alert_type_name((enum alert_type)ty));
		filter(&f, NULL, 0, 0, ty, -1);
		PAGES(t, be->lq_alerts(db, &f, after, 0, alert_line, t, &next_, &err));
	}
	for (int st = 0; st < ALERT_STATUSES; st++) {
		tadd(t, "# alerts of status %s\n", alert_status_name((enum alert_status)st));
		filter(&f, KEY, 0, 0, -1, st);
		PAGES(t, be->lq_alerts(db, &f, after, 2, alert_line, t, &next_, &err));
	}
	for (int64_t id = 0; id <= 12; id++)
		for (size_t k = 0; k < 3; k++) {
			int found = -1;
			filter(&f, keys[k], 0, 0, -1, -1);
			tadd(t, "# alert %lld %s\n", (long long)id, keys[k] ? keys[k] : "all");
			if (be->lq_alert(db, &f, id, alert_line, t, &found, &err) != TEM_OK)
				fail_msg("%s: %s", be->name, err.msg);
			tadd(t, "found %d\n", found);
			if (k == 0 && be->lq_alert_changes(db, id, change_line, t, &err) != TEM_OK)
				fail_msg("%s: %s", be->name, err.msg);
		}
	for (size_t i = 0; i < sizeof serials / sizeof serials[0]; i++)
		for (size_t k = 1; k < 3; k++) {
			struct lq_code c;
			tadd(t, "# code %s/%llu\n", keys[k], (unsigned long long)serials[i]);
			if (be->lq_code(db, keys[k], serials[i], &c, &err) != TEM_OK)
				fail_msg("%s: %s", be->name, err.msg);
			code_line(t, &c);
			PAGES(t, be->lq_code_scans(db, keys[k], serials[i], after, 2, scan_line, t,
						   &next_, &err));
			if (be->lq_code_alerts(db, keys[k], serials[i], alert_line, t, &err) !=
			    TEM_OK)
				fail_msg("%s: %s", be->name, err.msg);
		}
}

/* Compares a and b line by line, failing at the first difference. */
static void same_text(const char *what, const char *a, const char *b)
{
	const char *pa = a, *pb = b;
	int line = 1;

	while (*pa != '\0' || *pb != '\0') {
		size_t la = strcspn(pa, "\n"), lb = strcspn(pb, "\n");
		if (la != lb || memcmp(pa, pb, la) != 0)
			fail_msg("%s, line %d:\nSQLite:     %.*s\nPostgreSQL: %.*s", what, line,
				 (int)la, pa, (int)lb, pb);
		pa += la + (pa[la] != '\0');
		pb += lb + (pb[lb] != '\0');
		line++;
	}
}

static int run_sequence(struct ledger *sl, struct ledger *pl)
{
	static struct ledger_job sj[N_JOBS], pj[N_JOBS];
	int n = 0;

	while (n < N_JOBS && build(n, &sj[n])) {
		build(n, &pj[n]);
		ledger_run(sl, &sj[n]);
		ledger_run(pl, &pj[n]);
		assert_int_equal(sj[n].status, pj[n].status);
		n++;
	}
	/* the duplicated code claimed, then scanned elsewhere: a second alert on one code */
	for (int i = 0; i < 2; i++) {
		struct ledger_job j[2];
		for (int e = 0; e < 2; e++) {
			memset(&j[e], 0, sizeof j[e]);
			j[e].kind = i == 0 ? JOB_CLAIM : JOB_SCAN;
			if (i == 0) {
				struct ledger_claim *c = &j[e].u.claim;
				strcpy(c->key_id, KEY);
				c->serial = 5;
				c->net[0] = 30;
				c->at_ms = T0 + 2 * 86400000LL;
				c->code_limit = 3;
				c->net_limit = 4;
				c->pin_right = 1;
			} else {
				struct ledger_scan *sc = &j[e].u.scan;
				strcpy(sc->key_id, KEY);
				sc->serial = 5;
				sc->client[0] = 31;
				sc->at_ms = T0 + 2 * 86400000LL + 1;
				sc->facts =
				    (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
			}
		}
		assert_int_equal(ledger_run(sl, &j[0]), LEDGER_OK);
		assert_int_equal(ledger_run(pl, &j[1]), LEDGER_OK);
		if (i == 1)
			assert_int_equal(j[1].u.scan.verdict, V_SOLD);
	}
	/* the sequence meant something: a duplicate, a sold code, a closed alert */
	assert_int_equal(pj[10].u.scan.verdict, V_DUPLICATE);
	assert_int_equal(pj[28].u.scan.verdict, V_SOLD);
	assert_int_equal(pj[35].status, LEDGER_OK);
	return n;
}

/* The sequence through both engines; every read gives the same rows on both. */
static void reads_as_sqlite(void **state)
{
	struct pg_pair pp;
	struct ledger *sl, *pw;
	void *pl;
	int64_t scans;
	struct tem_err err;
	struct text a = {0}, b = {0};

	(void)state;
	SKIP_WITHOUT_PG();
	serves_every_read(pg_reads);
	pg_pair_new(&pp);
	assert_int_equal(ledger_open(pp.path, &sl, &err), TEM_OK);
	/* the jobs through the shared writer; the reads on the engine's own state */
	if (ledger_open(pp.conninfo, &pw, &err) != TEM_OK ||
	    ledger_pg_backend()->open(pp.conninfo, 0, &pl, &scans, &err) != TEM_OK)
		fail_msg("%s", err.msg);
	run_sequence(sl, pw);
	assert_int_equal(lq_open(sl, &err), TEM_OK);
	if (pg_reads->lq_open(pl, pp.conninfo, &err) != TEM_OK)
		fail_msg("%s", err.msg);
	read_all(&sqlite_reads, sl, &a);
	read_all(pg_reads, pl, &b);
	same_text("regulator reads", a.s, b.s);
	/* the reads saw rows of every kind, not only empty lists */
	assert_true(a.rows > 200);
	assert_non_null(strstr(a.s, "alert 1 duplicate"));
	assert_non_null(strstr(a.s, "sold-then-scanned"));
	assert_non_null(strstr(a.s, "invalid-burst"));
	assert_non_null(strstr(a.s, "claim-guessing"));
	assert_non_null(strstr(a.s, "change at="));
	assert_non_null(strstr(a.s, "buyer"));
	assert_non_null(strstr(a.s, "found 1"));
	assert_non_null(strstr(a.s, "sold-then-scanned " KEY "/5"));
	assert_non_null(strstr(a.s, "last_verdict=sold"));
	assert_non_null(strstr(a.s, "stat day=0 " KEY " \"HTX Năm Căn\" batch="));
	print_message("# %d rows alike on both engines\n", a.rows);
	free(a.s);
	free(b.s);
	/* a ledger whose reads are not attached says so */
	{
		int64_t next;
		struct lq_filter f;
		lq_filter_all(&f);
		static int not_attached;
		assert_int_equal(
		    pg_reads->lq_batches(&not_attached, &f, 0, 0, batch_line, &a, &next, &err),
		    TEM_ERR);
		assert_non_null(strstr(err.msg, "not open"));
	}
	/* a restarted server: the next read and the next token lookup connect again */
	{
		struct text c = {0};
		struct token_row row;
		unsigned char h[TOKENS_HASH_BYTES] = {0};
		void *tdb;
		assert_int_equal(pg_reads->tokens_open(pp.conninfo, 0, &tdb, &err), TEM_OK);
		assert_int_equal(pg_reads->tokens_find(tdb, h, &row, &err), TEM_NO);
		assert_int_equal(pg_cluster_cmd("stop"), 0);
		assert_int_equal(pg_reads->lq_producers(pl, NULL, producer_line, &c, &err),
				 TEM_ERR);
		assert_non_null(strstr(err.msg, "PostgreSQL database"));
		assert_int_equal(pg_reads->tokens_find(tdb, h, &row, &err), TEM_ERR);
		assert_int_equal(pg_cluster_cmd("start"), 0);
		if (pg_reads->lq_producers(pl, NULL, producer_line, &c, &err) != TEM_OK)
			fail_msg("%s", err.msg);
		assert_int_equal(c.rows, 2);
		if (pg_reads->tokens_find(tdb, h, &row, &err) != TEM_NO)
			fail_msg("%s", err.msg);
		pg_reads->tokens_close(tdb);
		free(c.s);
	}
	pg_reads->lq_close(pl);
	pg_reads->lq_close(pl); /* harmless twice */
	ledger_close(sl);
	ledger_close(pw);
	ledger_pg_backend()->close(pl);
	unlink(pp.lock);
	scratch_remove(pp.dir);
}

/* --- tokens ---------------------------------------------------------------------------------- */

static int token_line(void *arg, const struct token_row *row)
{
	char h[2 * TOKENS_HASH_BYTES + 1];

	hex(row->hash, TOKENS_HASH_BYTES, h);
	tadd(arg, "token %s %s \"%s\" created=%lld expires=%lld revoked=%lld\n", h, row->name,
	     row->producer, (long long)row->created_ms, (long long)row->expires_ms,
	     (long long)row->revoked_ms);
	return 0;
}

static int stop_after_one(void *arg, const struct token_row *row)
{
	(void)row;
	++*(int *)arg;
	return 1;
}

/* The same steps on where's tokens, their answers into t. */
static void token_steps(const struct ledger_backend *be, const char *where, struct text *t)
{
	struct token_row r, got;
	void *w, *ro;
	struct tem_err err;
	int n = 0;

	if (be->tokens_open(where, 1, &w, &err) != TEM_OK ||
	    be->tokens_open(where, 0, &ro, &err) != TEM_OK)
		fail_msg("%s: %s", be->name, err.msg);
	for (int i = 0; i < 4; i++) {
		memset(&r, 0, sizeof r);
		memset(r.hash, 0x10 + i, sizeof r.hash);
		snprintf(r.name, sizeof r.name, i == 2 ? "inspector" : "token-%d", i);
		if (i == 1)
			strcpy(r.producer, KEY);
		r.created_ms = T0 + i;
		r.expires_ms = i == 3 ? T0 + 86400000LL : 0;
		tadd(t, "add %d: %d\n", i, be->tokens_add(w, &r, &err));
	}
	/* a second token in force named as one: refused */
	memset(r.hash, 0x77, sizeof r.hash);
	strcpy(r.name, "inspector");
	tadd(t, "add again: %d\n", be->tokens_add(w, &r, &err));
	tadd(t, "add read-only: %d\n", be->tokens_add(ro, &r, &err) == TEM_ERR);
	tadd(t, "revoke: %d\n", be->tokens_revoke(w, "inspector", T0 + 500, &err));
	tadd(t, "revoke again: %d\n", be->tokens_revoke(w, "inspector", T0 + 600, &err));
	tadd(t, "revoke none: %d\n", be->tokens_revoke(w, "nobody", T0 + 600, &err));
	r.created_ms = T0 + 700;
	tadd(t, "add after revoke: %d\n", be->tokens_add(w, &r, &err));
	for (int i = 0; i < 5; i++) {
		unsigned char h[TOKENS_HASH_BYTES];
		int rc;
		memset(h, i < 4 ? 0x10 + i : 0x66, sizeof h);
		rc = be->tokens_find(ro, h, &got, &err);
		tadd(t, "find %d: %d\n", i, rc);
		if (rc == TEM_OK)
			token_line(t, &got);
	}
	if (be->tokens_each(ro, token_line, t, &err) != TEM_OK ||
	    be->tokens_each(w, stop_after_one, &n, &err) != TEM_OK)
		fail_msg("%s: %s", be->name, err.msg);
	assert_int_equal(n, 1);
	be->tokens_close(ro);
	be->tokens_close(w);
	be->tokens_close(NULL);
}

static void tokens_as_sqlite(void **state)
{
	struct pg_pair pp;
	char empty[256];
	struct ledger *sl, *pl;
	struct tem_err err;
	struct text a = {0}, b = {0};
	void *tdb;

	(void)state;
	SKIP_WITHOUT_PG();
	pg_pair_new(&pp);
	pg_cluster_new_db(empty, sizeof empty);
	/* a database temd never made is refused, never made into a ledger */
	assert_int_equal(pg_reads->tokens_open(empty, 1, &tdb, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "not a tem ledger"));
	assert_null(strstr(err.msg, "password"));
	assert_int_equal(ledger_open(pp.path, &sl, &err), TEM_OK);
	if (ledger_open(pp.conninfo, &pl, &err) != TEM_OK)
		fail_msg("%s", err.msg);
	/* while temd runs on each */
	token_steps(&sqlite_reads, pp.path, &a);
	token_steps(pg_reads, pp.conninfo, &b);
	same_text("tokens", a.s, b.s);
	assert_non_null(strstr(a.s, "add again: 1\n"));    /* TEM_NO */
	assert_non_null(strstr(a.s, "revoke again: 1\n")); /* TEM_NO */
	assert_non_null(strstr(a.s, "find 4: 1\n"));       /* TEM_NO */
	assert_non_null(strstr(a.s, "add after revoke: 0\n"));
	assert_non_null(strstr(a.s, "add read-only: 1\n")); /* refused */
	free(a.s);
	free(b.s);
	ledger_close(sl);
	ledger_close(pl);
	unlink(pp.lock);
	scratch_remove(pp.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(reads_as_sqlite),
	    cmocka_unit_test(tokens_as_sqlite),
	};

	if (sodium_init() < 0)
		return 1;
	pg_reads = ledger_pg_backend();
	return cmocka_run_group_tests(tests, pg_cluster_setup, pg_cluster_teardown);
}
