/* ledger_rows.c — the regulator reads' rows made into their structs for both engines
 * (ledger_rows.h): one fill function per kind of row, the page walk, the empty days of daily
 * statistics. Only the column getters an engine hands in touch its rows. */
#include "server/ledger_rows.h"

#include <string.h>

#include "server/alert.h"

/* Reads a verdict's stored name back (V_COUNT for a name temd never writes). */
static enum verdict verdict_of(const char *s)
{
	for (int v = 0; v < V_COUNT; v++)
		if (s != NULL && strcmp(s, verdict_name((enum verdict)v)) == 0)
			return (enum verdict)v;
	return V_COUNT;
}

/* Copies a client hash column into out (zeros when it is not a client hash). */
static void col_client(const struct lr_rows *r, int col, unsigned char out[LEDGER_CLIENT_BYTES])
{
	const void *b = NULL;
	size_t n = r->g->blob(r, col, &b);

	memset(out, 0, LEDGER_CLIENT_BYTES);
	if (b != NULL && n > 0)
		memcpy(out, b, n < LEDGER_CLIENT_BYTES ? n : LEDGER_CLIENT_BYTES);
}

/* An alert's or a change's reason as stored: ALERT_REASON_NONE for "" or a name temd never
 * writes. */
static enum alert_reason reason_of(const char *s)
{
	int why;

	if (s[0] != '\0' && alert_reason_parse(s, (enum alert_reason *)&why) == 0)
		return (enum alert_reason)why;
	return ALERT_REASON_NONE;
}

static int batch_row(const struct lr_rows *r, struct lr_sink *x, struct tem_err *err)
{
	const struct lr_getters *g = r->g;
	struct lq_batch b;

	b.row = g->i64(r, 0);
	b.key_id = g->text(r, 1);
	b.producer = g->text(r, 2);
	b.product = g->text(r, 3);
	b.batch_id = g->text(r, 4);
	b.first = (uint64_t)g->i64(r, 5);
	b.last = (uint64_t)g->i64(r, 6);
	b.issued = g->i64(r, 7);
	b.last_day = (int32_t)g->i64(r, 8);
	b.registered_ms = g->i64(r, 9);
	b.has_pins = (int)g->i64(r, 10);
	b.scans = g->i64(r, 11);
	b.scanned = g->i64(r, 12);
	b.claimed = g->i64(r, 13);
	b.alerted = g->i64(r, 14);
	if (b.key_id == NULL || b.producer == NULL || b.product == NULL || b.batch_id == NULL)
		return err_set(err, "%s: cannot read batch %lld: out of memory", x->where,
			       (long long)b.row);
	return x->fn.batch(x->arg, &b, err);
}

static int scan_row(const struct lr_rows *r, struct lr_sink *x, struct tem_err *err)
{
	const struct lr_getters *g = r->g;
	struct lq_scan s;

	s.id = g->i64(r, 0);
	s.key_id = g->text(r, 1);
	s.serial = (uint64_t)g->i64(r, 2);
	s.at_ms = g->i64(r, 3);
	col_client(r, 4, s.client);
	s.verdict = verdict_of(g->text(r, 5));
	s.client_scans = g->i64(r, 6);
	s.client_last_ms = g->i64(r, 7);
	if (s.key_id == NULL)
		return err_set(err, "%s: cannot read scan %lld: out of memory", x->where,
			       (long long)s.id);
	return x->fn.scan(x->arg, &s, err);
}

static int alert_row(const struct lr_rows *r, struct lr_sink *x, struct tem_err *err)
{
	const struct lr_getters *g = r->g;
	struct lq_alert a;
	int t, s;
	const char *type = g->text(r, 1), *status = g->text(r, 9), *reason = g->text(r, 10);

	a.id = g->i64(r, 0);
	a.key_id = g->text(r, 2);
	a.serial = (uint64_t)g->i64(r, 3);
	a.producer = g->text(r, 4);
	a.events = g->i64(r, 5);
	a.clients = g->i64(r, 6);
	a.first_ms = g->i64(r, 7);
	a.last_ms = g->i64(r, 8);
	a.note = g->text(r, 11);
	a.updated_by = g->text(r, 12);
	a.updated_ms = g->i64(r, 13);
	if (a.key_id == NULL || a.producer == NULL || a.note == NULL || a.updated_by == NULL ||
	    type == NULL || status == NULL || reason == NULL)
		return err_set(err, "%s: cannot read alert %lld: out of memory", x->where,
			       (long long)a.id);
	if (alert_type_parse(type, (enum alert_type *)&t) != 0 ||
	    alert_status_parse(status, (enum alert_status *)&s) != 0)
		return err_set(err,
			       "%s: alert %lld has type \"%s\", status \"%s\": the ledger is "
			       "damaged",
			       x->where, (long long)a.id, type, status);
	a.type = (enum alert_type)t;
	a.status = (enum alert_status)s;
	a.reason = reason_of(reason);
	x->n++;
	return x->fn.alert(x->arg, &a, err);
}

static int change_row(const struct lr_rows *r, struct lr_sink *x, struct tem_err *err)
{
	const struct lr_getters *g = r->g;
	struct lq_alert_change c;
	const char *status = g->text(r, 2), *reason = g->text(r, 3);
	int s;

	c.at_ms = g->i64(r, 0);
	c.by = g->text(r, 1);
	c.note = g->text(r, 4);
	if (c.by == NULL || status == NULL || reason == NULL || c.note == NULL)
		return err_set(err, "%s: cannot read an alert's change: out of memory", x->where);
	if (alert_status_parse(status, (enum alert_status *)&s) != 0)
		return err_set(err, "%s: an alert change has status \"%s\": the ledger is damaged",
			       x->where, status);
	c.status = (enum alert_status)s;
	c.reason = reason_of(reason);
	return x->fn.change(x->arg, &c, err);
}

/* Reads the ten sums from column col on into s. */
static void stat_sums(const struct lr_rows *r, int col, struct lq_stat *s)
{
	static const enum verdict order[] = {V_GENUINE,      V_SEEN,    V_DUPLICATE, V_SOLD,
					     V_UNREGISTERED, V_EXPIRED, V_REVOKED};

	s->scans = r->g->i64(r, col);
	s->codes = r->g->i64(r, col + 1);
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
		s->verdicts[order[k]] = r->g->i64(r, col + 2 + (int)k);
	s->claims = r->g->i64(r, col + 9);
}

/* Gives the empty days before day (LQ_BY_DAY). */
static int stat_gap(struct lr_sink *x, int32_t day, struct tem_err *err)
{
	struct lq_stat s;

	for (; x->day < day && x->day <= x->to_day; x->day++) {
		memset(&s, 0, sizeof s);
		s.day = x->day;
		s.key_id = s.producer = s.batch_id = "";
		if (x->fn.stat(x->arg, &s, err) != TEM_OK)
			return TEM_ERR;
	}
	return TEM_OK;
}

static int stat_row(const struct lr_rows *r, struct lr_sink *x, struct tem_err *err)
{
	const struct lr_getters *g = r->g;
	struct lq_stat s;

	memset(&s, 0, sizeof s);
	s.key_id = s.producer = s.batch_id = "";
	switch (x->by) {
	case LQ_BY_DAY:
		s.day = (int32_t)g->i64(r, 0);
		if (stat_gap(x, s.day, err) != TEM_OK)
			return TEM_ERR;
		x->day = s.day + 1;
		stat_sums(r, 1, &s);
		break;
	case LQ_BY_PRODUCER:
		s.key_id = g->text(r, 0);
		s.producer = g->text(r, 1);
		stat_sums(r, 2, &s);
		break;
	case LQ_BY_BATCH:
		s.key_id = g->text(r, 0);
		s.producer = g->text(r, 1);
		s.batch_row = g->i64(r, 2);
		s.batch_id = g->text(r, 3);
		stat_sums(r, 4, &s);
		break;
	}
	if (s.key_id == NULL || s.producer == NULL || s.batch_id == NULL)
		return err_set(err, "%s: cannot read statistics: out of memory", x->where);
	return x->fn.stat(x->arg, &s, err);
}

static int producer_row(const struct lr_rows *r, struct lr_sink *x, struct tem_err *err)
{
	const struct lr_getters *g = r->g;
	struct lq_producer p;

	p.key_id = g->text(r, 0);
	p.name = g->text(r, 1);
	p.valid_from = (int32_t)g->i64(r, 2);
	p.revoked = (int32_t)g->i64(r, 3);
	p.batches = g->i64(r, 4);
	p.codes = g->i64(r, 5);
	p.scans = g->i64(r, 6);
	p.scanned = g->i64(r, 7);
	p.claimed = g->i64(r, 8);
	p.open_alerts = g->i64(r, 9);
	if (p.key_id == NULL || p.name == NULL)
		return err_set(err, "%s: cannot read the producers: out of memory", x->where);
	return x->fn.producer(x->arg, &p, err);
}

/* Gives r's row at hand to x as a struct of x's kind. */
static int give(const struct lr_rows *r, struct lr_sink *x, struct tem_err *err)
{
	static int (*const fill[])(const struct lr_rows *r, struct lr_sink *x,
				   struct tem_err *err) = {
	    [LR_BATCH] = batch_row,   [LR_SCAN] = scan_row, [LR_ALERT] = alert_row,
	    [LR_CHANGE] = change_row, [LR_STAT] = stat_row, [LR_PRODUCER] = producer_row,
	};

	if ((unsigned)x->kind >= sizeof fill / sizeof fill[0])
		return err_set(err, "%s: a read of an unknown kind of row", x->where);
	return fill[x->kind](r, x, err);
}

void lr_stat_sink(struct lr_sink *s, enum lq_by by, int32_t from_day, int32_t to_day,
		  int (*fn)(void *arg, const struct lq_stat *st, struct tem_err *err), void *arg,
		  const char *where)
{
	memset(s, 0, sizeof *s);
	s->kind = LR_STAT;
	s->fn.stat = fn;
	s->arg = arg;
	s->where = where;
	s->by = by;
	s->day = from_day;
	s->to_day = to_day;
}

int lr_walk(struct lr_rows *r, struct lr_sink *s, size_t limit, int64_t *next, struct tem_err *err)
{
	size_t n = 0;
	int64_t last = 0;
	int k;

	if (limit != LR_ALL)
		limit = lr_limit(limit);
	if (next != NULL)
		*next = 0;
	while ((k = r->g->step(r)) == 1) {
		if (n == limit) {
			if (next != NULL)
				*next = last;
			return TEM_OK;
		}
		last = r->g->i64(r, 0);
		if (give(r, s, err) != TEM_OK)
			return TEM_ERR;
		n++;
	}
	return k == 0 ? TEM_OK : LR_STEP_FAILED;
}

int lr_stat_end(struct lr_sink *s, struct tem_err *err)
{
	if (s->kind != LR_STAT || s->by != LQ_BY_DAY || s->to_day == INT32_MAX)
		return TEM_OK;
	return stat_gap(s, s->to_day + 1, err);
}

void lr_code_init(struct lq_code *out)
{
	memset(out, 0, sizeof *out);
	out->last_verdict = V_COUNT;
}

void lr_code_part(const struct lr_rows *r, enum lr_code_part part, uint64_t serial,
		  struct lq_code *out)
{
	const struct lr_getters *g = r->g;

	switch (part) {
	case LR_CODE_BATCH:
		if ((uint64_t)g->i64(r, 1) >= serial) {
			out->in_batch = 1;
			out->batch_row = g->i64(r, 0);
		}
		break;
	case LR_CODE_COUNTS:
		out->scans = g->i64(r, 0);
		out->clients = g->i64(r, 1);
		out->first_scan_ms = g->i64(r, 2);
		out->last_scan_ms = g->i64(r, 3);
		break;
	case LR_CODE_CLAIM:
		out->claimed_ms = g->i64(r, 0);
		col_client(r, 1, out->claimer);
		break;
	case LR_CODE_LAST:
		out->last_verdict = verdict_of(g->text(r, 0));
		break;
	case LR_CODE_PARTS:
		break;
	}
}

size_t lr_limit(size_t limit)
{
	if (limit == 0)
		return LQ_LIMIT_DEFAULT;
	return limit > LQ_LIMIT_MAX ? LQ_LIMIT_MAX : limit;
}

const char *lr_producer_key(const struct lq_filter *f)
{
	return f != NULL && f->producer != NULL && f->producer[0] != '\0' ? f->producer : NULL;
}

const char *lr_type_name(const struct lq_filter *f)
{
	return f != NULL && f->type >= 0 && f->type < ALERT_TYPES
		   ? alert_type_name((enum alert_type)f->type)
		   : NULL;
}

const char *lr_status_name(const struct lq_filter *f)
{
	return f != NULL && f->status >= 0 && f->status < ALERT_STATUSES
		   ? alert_status_name((enum alert_status)f->status)
		   : NULL;
}
