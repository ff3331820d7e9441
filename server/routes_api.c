/* routes_api.c — the regulator API's routes (server/api.h, docs/api.md): parameters checked
 * before anything is read (unknown ones, bounds, UTF-8, dates, cursors), JSON pages of at most
 * LQ_LIMIT_MAX rows, CSV streamed page by page through libmicrohttpd's callback response, so
 * an export of the whole ledger holds one page in memory. A producer token's own key is the
 * filter of every read; another producer's rows answer as if they did not exist. */
#include "server/api.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "keys/date.h"
#include "keys/keys.h"
#include "keys/text.h"
#include "server/alert.h"
#include "server/csv.h"
#include "server/cursor.h"
#include "server/ledger_query.h"
#include "server/log.h"
#include "server/sbuf.h"

#define VALUE_MAX 200 /* bytes of a query parameter's value */
#define DAY_MS    86400000LL
#define VN_MS     ((int64_t)DATE_VN_OFFSET * 1000)
#define STATS_MAX 366 /* days one statistics call may span */

/* --- pure parsers --- */

int api_time(const char *s, int end, int64_t *ms, char *why, size_t cap)
{
	struct tem_err err;
	char date[11];
	int32_t day;
	int64_t t;
	size_t n = strlen(s);

	if (n < 10) {
		snprintf(why, cap, "not a date (YYYY-MM-DD) or an RFC 3339 time");
		return -1;
	}
	memcpy(date, s, 10);
	date[10] = '\0';
	if (date_parse(date, &day, &err) != TEM_OK) {
		snprintf(why, cap, "not a date (YYYY-MM-DD) or an RFC 3339 time");
		return -1;
	}
	if (n == 10) { /* a Vietnam calendar day */
		*ms = (int64_t)(day + (end ? 1 : 0)) * DAY_MS - VN_MS;
		return 0;
	}
	/* the date part is good: what follows is the RFC 3339 time's, said with an example */
	if (date_parse_time(s, &t, &err) != TEM_OK) {
		snprintf(why, cap,
			 "not a date (YYYY-MM-DD) or an RFC 3339 time (2026-11-27T10:00:00Z)");
		return -1;
	}
	*ms = t * 1000;
	return 0;
}

int api_day(const char *s, int32_t *day, char *why, size_t cap)
{
	int64_t ms;

	if (api_time(s, 0, &ms, why, cap) != 0)
		return -1;
	/* the Vietnam calendar day the instant falls on */
	ms += VN_MS;
	*day = (int32_t)((ms >= 0 ? ms : ms - DAY_MS + 1) / DAY_MS);
	if (*day < 0) {
		snprintf(why, cap, "before 1970-01-01");
		return -1;
	}
	return 0;
}

int api_limit(const char *s, size_t *n)
{
	uint64_t v;

	if (text_parse_u64(s, 1, LQ_LIMIT_MAX, &v) != TEM_OK)
		return -1;
	*n = (size_t)v;
	return 0;
}

int api_short_id(const char *s, char key[17], uint64_t *serial)
{
	unsigned char id[KEYS_ID_BYTES];
	struct tem_err err;
	size_t n = strlen(s);

	if (n < 18 || n > 17 + 19 || s[16] != '-' || keys_id_parse(s, 16, id, &err) != TEM_OK ||
	    text_parse_u64(s + 17, 0, (uint64_t)INT64_MAX, serial) != TEM_OK)
		return -1;
	keys_id_hex(id, key);
	return 0;
}

/* --- answers --- */

/* 400 bad-parameter with a message beginning with the parameter's name. */
static enum MHD_Result bad(struct request *rq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum MHD_Result bad(struct request *rq, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return http_error(rq, 400, "bad-parameter", "%s", msg);
}

/* 500 for a failed read, logged with its cause. */
static enum MHD_Result failed(struct request *rq, const struct tem_err *err)
{
	log_msg(LOG_LV_ERROR, "regulator read for %s failed: %s", rq->who.name, err->msg);
	return http_error(rq, 500, "internal", "the ledger could not be read; see temd's log");
}

/* An ISO time (UTC) of Unix ms into out. */
static const char *iso(int64_t ms, char out[21])
{
	date_format_iso((time_t)(ms / 1000), out);
	return out;
}

/* A JSON time, or null for 0. */
static json_t *jtime(int64_t ms)
{
	char t[21];

	return ms > 0 ? json_string(iso(ms, t)) : json_null();
}

/* A JSON string, or null for "". */
static json_t *jstr_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

/* --- parameters --- */

struct args {
	const char *const *allowed; /* the route's parameters, NULL-terminated */
	char msg[300];              /* the first complaint */
	int bad;
	int seen[16]; /* times each allowed parameter came */
};

/* A parameter name fit to be quoted in an answer: [a-z0-9_-], at most 32 bytes. */
static int plain_name(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_' ||
		      k[i] == '-'))
			return 0;
	return 1;
}

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct args *a = cls;
	int i;

	(void)kind;
	if (a->bad)
		return MHD_NO;
	if (key == NULL)
		return MHD_YES;
	if (strcmp(key, "token") == 0 || strcmp(key, "access_token") == 0) {
		snprintf(a->msg, sizeof a->msg,
			 "token: API tokens go in the Authorization header, never in the URL");
		a->bad = 1;
		return MHD_NO;
	}
	for (i = 0; a->allowed[i] != NULL && strcmp(a->allowed[i], key) != 0; i++)
		;
	if (a->allowed[i] == NULL) {
		if (plain_name(key))
			snprintf(a->msg, sizeof a->msg, "%s: not a parameter of this route", key);
		else
			snprintf(a->msg, sizeof a->msg,
				 "parameter: a name that is not a parameter of this route");
		a->bad = 1;
		return MHD_NO;
	}
	if (i < 16 && ++a->seen[i] > 1) {
		snprintf(a->msg, sizeof a->msg, "%s: given more than once", key);
		a->bad = 1;
	} else if (value == NULL || value[0] == '\0') {
		snprintf(a->msg, sizeof a->msg, "%s: empty", key);
		a->bad = 1;
	} else if (strlen(value) > VALUE_MAX) {
		snprintf(a->msg, sizeof a->msg, "%s: longer than %d bytes", key, VALUE_MAX);
		a->bad = 1;
	} else if (!text_is_clean(value, strlen(value))) {
		snprintf(a->msg, sizeof a->msg, "%s: not UTF-8 text without control characters",
			 key);
		a->bad = 1;
	}
	return a->bad ? MHD_NO : MHD_YES;
}

/* Checks every query parameter against allowed: 0, or -1 once the 400 is queued (*r). */
static int check_args(struct request *rq, const char *const *allowed, enum MHD_Result *r)
{
	struct args a;

	memset(&a, 0, sizeof a);
	a.allowed = allowed;
	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, check_arg, &a);
	if (a.bad) {
		*r = bad(rq, "%s", a.msg);
		return -1;
	}
	return 0;
}

/* What a list was asked for, read from the query. */
struct listq {
	struct lq_filter f;
	char key[17];  /* the producer filter's storage */
	int none;      /* a producer token asked for another producer: an empty list */
	size_t limit;  /* rows, LQ_LIMIT_DEFAULT when not given */
	int has_limit; /* limit was given */
	int64_t after; /* from the cursor, 0: from the start */
	int has_cursor;
	int csv;
	unsigned char digest[CURSOR_DIGEST_BYTES];
};

/* 1 when the caller asked for CSV: format=csv, or Accept: text/csv without format. -1 once a
 * 400 for a bad format is queued. */
static int wants_csv(struct request *rq, enum MHD_Result *r)
{
	const char *format = http_arg(rq, "format"), *accept;

	if (format != NULL) {
		if (strcmp(format, "csv") == 0)
			return 1;
		if (strcmp(format, "json") == 0)
			return 0;
		*r = bad(rq, "format: json or csv");
		return -1;
	}
	accept = http_header(rq, "Accept");
	return accept != NULL && strstr(accept, "text/csv") != NULL;
}

/* Reads producer into q (the caller's scope first). 0, or -1 once a 400 is queued. */
static int read_producer(struct request *rq, struct listq *q, enum MHD_Result *r)
{
	const char *p = http_arg(rq, "producer");
	unsigned char id[KEYS_ID_BYTES];
	struct tem_err err;

	q->key[0] = '\0';
	if (p != NULL) {
		if (strlen(p) != 16 || keys_id_parse(p, 16, id, &err) != TEM_OK) {
			*r = bad(rq, "producer: a producer key id, 16 hex digits");
			return -1;
		}
		keys_id_hex(id, q->key);
	}
	if (rq->who.producer[0] != '\0') {
		if (q->key[0] != '\0' && strcmp(q->key, rq->who.producer) != 0)
			q->none = 1;
		snprintf(q->key, sizeof q->key, "%s", rq->who.producer);
	}
	q->f.producer = q->key[0] != '\0' ? q->key : NULL;
	return 0;
}

/* Reads the time bound name into *ms. 0, or -1 once a 400 is queued. */
static int read_time(struct request *rq, const char *name, int end, int64_t *ms, enum MHD_Result *r)
{
	const char *s = http_arg(rq, name);
	char why[120];

	*ms = 0;
	if (s == NULL)
		return 0;
	if (api_time(s, end, ms, why, sizeof why) != 0) {
		*r = bad(rq, "%s: %s", name, why);
		return -1;
	}
	if (*ms <= 0) {
		*r = bad(rq, "%s: before 1970", name);
		return -1;
	}
	return 0;
}

/* The cursor key of rq's temd. */
static void ckey(struct request *rq, unsigned char key[CURSOR_KEY_BYTES])
{
	cursor_key(rq->t->secret, key);
}

/* Reads limit, cursor and format of a list whose filters are written in canon. 0, or -1 once
 * a 400 is queued. */
static int read_page(struct request *rq, enum cursor_list list, const char *canon, struct listq *q,
		     enum MHD_Result *r)
{
	const char *limit = http_arg(rq, "limit"), *cursor = http_arg(rq, "cursor");
	unsigned char key[CURSOR_KEY_BYTES];
	int csv;

	q->limit = LQ_LIMIT_DEFAULT;
	if (limit != NULL) {
		if (api_limit(limit, &q->limit) != 0) {
			*r = bad(rq, "limit: a whole number from 1 to %d", LQ_LIMIT_MAX);
			return -1;
		}
		q->has_limit = 1;
	}
	cursor_digest(canon, q->digest);
	if (cursor != NULL) {
		ckey(rq, key);
		int ok = cursor_read(key, cursor, list, q->digest, &q->after);
		sodium_memzero(key, sizeof key);
		if (ok != 0) {
			*r = bad(rq, "cursor: not a cursor this list gave");
			return -1;
		}
		q->has_cursor = 1;
	}
	if ((csv = wants_csv(rq, r)) < 0)
		return -1;
	q->csv = csv;
	return 0;
}

/* The next_cursor of a page: the cursor text of next, or null when the list has no more. */
static json_t *next_cursor(struct request *rq, enum cursor_list list, const struct listq *q,
			   int64_t next)
{
	unsigned char key[CURSOR_KEY_BYTES];
	char text[CURSOR_TEXT_MAX];

	if (next == 0)
		return json_null();
	ckey(rq, key);
	cursor_make(key, list, next, q->digest, text);
	sodium_memzero(key, sizeof key);
	return json_string(text);
}

/* --- rows --- */

/* Where rows go: a JSON array, or CSV text. */
struct sink {
	json_t *items;
	struct sbuf *csv;
	size_t rows;
};

static const char *const batch_cols[] = {
    "id",       "key_id",        "producer",       "product",
    "batch_id", "first_serial",  "last_serial",    "codes",
    "issued",   "registered",    "last_valid_day", "has_pins",
    "scans",    "codes_scanned", "codes_claimed",  "codes_alerted"};

static int batch_out(void *arg, const struct lq_batch *b, struct tem_err *err)
{
	struct sink *k = arg;
	char issued[21], reg[21], day[11] = "";

	date_format_iso((time_t)b->issued, issued);
	iso(b->registered_ms, reg);
	if (b->last_day > 0)
		date_format(b->last_day, day);
	k->rows++;
	if (k->csv != NULL) {
		struct sbuf *s = k->csv;
		csv_int(s, b->row, 1);
		csv_text(s, b->key_id, 0);
		csv_text(s, b->producer, 0);
		csv_text(s, b->product, 0);
		csv_text(s, b->batch_id, 0);
		csv_int(s, (int64_t)b->first, 0);
		csv_int(s, (int64_t)b->last, 0);
		csv_int(s, (int64_t)(b->last - b->first + 1), 0);
		csv_text(s, issued, 0);
		csv_text(s, reg, 0);
		csv_text(s, day, 0);
		csv_text(s, b->has_pins ? "true" : "false", 0);
		csv_int(s, b->scans, 0);
		csv_int(s, b->scanned, 0);
		csv_int(s, b->claimed, 0);
		csv_int(s, b->alerted, 0);
		csv_end(s);
		return s->failed ? err_set(err, "out of memory") : TEM_OK;
	}
	json_t *o = json_pack(
	    "{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:o,s:b,s:I,s:I,s:I,s:I}", "id",
	    (json_int_t)b->row, "key_id", b->key_id, "producer", b->producer, "product", b->product,
	    "batch_id", b->batch_id, "first_serial", (json_int_t)b->first, "last_serial",
	    (json_int_t)b->last, "codes", (json_int_t)(b->last - b->first + 1), "issued", issued,
	    "registered", reg, "last_valid_day", day[0] != '\0' ? json_string(day) : json_null(),
	    "has_pins", b->has_pins, "scans", (json_int_t)b->scans, "codes_scanned",
	    (json_int_t)b->scanned, "codes_claimed", (json_int_t)b->claimed, "codes_alerted",
	    (json_int_t)b->alerted);
	if (o == NULL || json_array_append_new(k->items, o) != 0)
		return err_set(err, "out of memory");
	return TEM_OK;
}

static const char *const scan_cols[] = {
    "id", "at", "code", "key_id", "serial", "client", "verdict", "client_scans", "client_last_at"};

/* The name of a stored verdict ("" when the ledger holds a name temd does not write). */
static const char *vname(enum verdict v)
{
	return v < V_COUNT ? verdict_name(v) : "";
}

/* A client's first scan of a code: {"id","at","code","key_id","serial","client","verdict",
 * "client_scans","client_last_at"} (the last two: the client's scans of the code and its
 * latest, counted since; 0 and null for an older ledger's repeat row), or its CSV row. */
static int scan_out(void *arg, const struct lq_scan *s, struct tem_err *err)
{
	struct sink *k = arg;
	char at[21], last[21], code[48], client[2 * LEDGER_CLIENT_BYTES + 1];

	iso(s->at_ms, at);
	iso(s->client_last_ms, last);
	snprintf(code, sizeof code, "%s-%llu", s->key_id, (unsigned long long)s->serial);
	sodium_bin2hex(client, sizeof client, s->client, sizeof s->client);
	k->rows++;
	if (k->csv != NULL) {
		struct sbuf *b = k->csv;
		csv_int(b, s->id, 1);
		csv_text(b, at, 0);
		csv_text(b, code, 0);
		csv_text(b, s->key_id, 0);
		csv_int(b, (int64_t)s->serial, 0);
		csv_text(b, client, 0);
		csv_text(b, vname(s->verdict), 0);
		csv_int(b, s->client_scans, 0);
		csv_text(b, s->client_last_ms > 0 ? last : "", 0);
		csv_end(b);
		return b->failed ? err_set(err, "out of memory") : TEM_OK;
	}
	json_t *o =
	    json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:I,s:o}", "id", (json_int_t)s->id, "at", at,
		      "code", code, "key_id", s->key_id, "serial", (json_int_t)s->serial, "client",
		      client, "verdict", vname(s->verdict), "client_scans",
		      (json_int_t)s->client_scans, "client_last_at", jtime(s->client_last_ms));
	if (o == NULL || json_array_append_new(k->items, o) != 0)
		return err_set(err, "out of memory");
	return TEM_OK;
}

/* A client's first scan in one code's history: {"id","at","client","verdict","client_scans",
 * "client_last_at"}, as scan_out. */
static int history_out(void *arg, const struct lq_scan *s, struct tem_err *err)
{
	struct sink *k = arg;
	char at[21], client[2 * LEDGER_CLIENT_BYTES + 1];

	iso(s->at_ms, at);
	sodium_bin2hex(client, sizeof client, s->client, sizeof s->client);
	json_t *o =
	    json_pack("{s:I,s:s,s:s,s:s,s:I,s:o}", "id", (json_int_t)s->id, "at", at, "client",
		      client, "verdict", vname(s->verdict), "client_scans",
		      (json_int_t)s->client_scans, "client_last_at", jtime(s->client_last_ms));
	if (o == NULL || json_array_append_new(k->items, o) != 0)
		return err_set(err, "out of memory");
	k->rows++;
	return TEM_OK;
}

static const char *const alert_cols[] = {"id",     "type",   "key_id",  "producer",   "code",
					 "serial", "events", "clients", "first_at",   "last_at",
					 "status", "reason", "note",    "updated_by", "updated_at"};

/* An alert as the API gives it. */
static json_t *alert_json(const struct lq_alert *a)
{
	char code[48];

	snprintf(code, sizeof code, "%s-%llu", a->key_id, (unsigned long long)a->serial);
	return json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:I,s:I,s:o,s:o,s:s,s:o,s:o,s:o,s:o}", "id",
			 (json_int_t)a->id, "type", alert_type_name(a->type), "key_id", a->key_id,
			 "producer", jstr_or_null(a->producer), "code",
			 a->serial > 0 ? json_string(code) : json_null(), "serial",
			 a->serial > 0 ? json_integer((json_int_t)a->serial) : json_null(),
			 "events", (json_int_t)a->events, "clients", (json_int_t)a->clients,
			 "first_at", jtime(a->first_ms), "last_at", jtime(a->last_ms), "status",
			 alert_status_name(a->status), "reason",
			 a->reason != ALERT_REASON_NONE ? json_string(alert_reason_name(a->reason))
							: json_null(),
			 "note", jstr_or_null(a->note), "updated_by", jstr_or_null(a->updated_by),
			 "updated_at", jtime(a->updated_ms));
}

static int alert_out(void *arg, const struct lq_alert *a, struct tem_err *err)
{
	struct sink *k = arg;
	char code[48] = "", first[21], last[21], upd[21] = "";

	k->rows++;
	if (k->csv != NULL) {
		struct sbuf *b = k->csv;
		if (a->serial > 0)
			snprintf(code, sizeof code, "%s-%llu", a->key_id,
				 (unsigned long long)a->serial);
		if (a->updated_ms > 0)
			iso(a->updated_ms, upd);
		csv_int(b, a->id, 1);
		csv_text(b, alert_type_name(a->type), 0);
		csv_text(b, a->key_id, 0);
		csv_text(b, a->producer, 0);
		csv_text(b, code, 0);
		if (a->serial > 0)
			csv_int(b, (int64_t)a->serial, 0);
		else
			csv_text(b, "", 0);
		csv_int(b, a->events, 0);
		csv_int(b, a->clients, 0);
		csv_text(b, iso(a->first_ms, first), 0);
		csv_text(b, iso(a->last_ms, last), 0);
		csv_text(b, alert_status_name(a->status), 0);
		csv_text(b, alert_reason_name(a->reason), 0);
		csv_text(b, a->note, 0);
		csv_text(b, a->updated_by, 0);
		csv_text(b, upd, 0);
		csv_end(b);
		return b->failed ? err_set(err, "out of memory") : TEM_OK;
	}
	json_t *o = alert_json(a);
	if (o == NULL || json_array_append_new(k->items, o) != 0)
		return err_set(err, "out of memory");
	return TEM_OK;
}

/* --- lists --- */

enum list_kind { L_BATCHES, L_SCANS, L_ALERTS };

static const char *const list_names[] = {"batches", "scans", "alerts"};

/* Reads one page of kind into k: rows after after, at most limit; *next as lq_* give it. */
static int read_list(struct request *rq, enum list_kind kind, const struct listq *q, int64_t after,
		     size_t limit, struct sink *k, int64_t *next, struct tem_err *err)
{
	struct ledger *l = rq->t->ledger;

	*next = 0;
	if (q->none)
		return TEM_OK;
	if (lq_open(l, err) != TEM_OK)
		return TEM_ERR;
	switch (kind) {
	case L_BATCHES:
		return lq_batches(l, &q->f, after, limit, batch_out, k, next, err);
	case L_SCANS:
		return lq_scans(l, &q->f, after, limit, scan_out, k, next, err);
	case L_ALERTS:
		return lq_alerts(l, &q->f, after, limit, alert_out, k, next, err);
	}
	return err_set(err, "no such list");
}

/* A CSV export being streamed: one page of rows at a time. */
struct stream {
	struct request *rq; /* valid while the response is (the connection lives) */
	struct temd *t;
	enum list_kind kind;
	struct listq q;
	int64_t next; /* the position to read after */
	size_t left;  /* rows still to give (limit given), else SIZE_MAX */
	struct sbuf b;
	size_t off; /* bytes of b given */
	int end;    /* no more pages */
};

/* Reads the next page of s into its buffer. TEM_OK or TEM_ERR. */
static int stream_fill(struct stream *s, struct tem_err *err)
{
	struct sink k = {NULL, &s->b, 0};
	size_t page = s->left < LQ_LIMIT_MAX ? s->left : LQ_LIMIT_MAX;
	int64_t next;

	s->b.len = 0;
	if (s->b.p != NULL)
		s->b.p[0] = '\0';
	s->off = 0;
	if (read_list(s->rq, s->kind, &s->q, s->next, page, &k, &next, err) != TEM_OK)
		return TEM_ERR;
	if (s->b.failed)
		return err_set(err, "out of memory");
	s->left -= k.rows;
	s->next = next;
	if (next == 0 || s->left == 0)
		s->end = 1;
	return TEM_OK;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	struct tem_err err;

	(void)pos;
	while (s->off >= s->b.len) {
		if (s->end)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (stream_fill(s, &err) != TEM_OK) {
			log_msg(LOG_LV_ERROR, "CSV export of %s for %s cut short: %s",
				list_names[s->kind], s->rq->who.name, err.msg);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	size_t n = s->b.len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->b.p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	free(s->b.p);
	free(s);
}

/* Queues a streamed CSV answer (Content-Disposition naming list and today) reading through
 * reader, or, when reader is NULL, the text already in s->b. Takes s. */
static enum MHD_Result queue_csv(struct request *rq, const char *list, struct stream *s, int stream)
{
	struct MHD_Response *r;
	char disp[96], day[11];

	if (stream)
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, s,
						      stream_free);
	else
		r = MHD_create_response_from_buffer(s->b.len, s->b.p, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		if (!stream)
			free(s->b.p);
		free(s);
		return MHD_NO;
	}
	if (!stream)
		free(s);
	date_format(date_today(), day);
	snprintf(disp, sizeof disp, "attachment; filename=\"tem-%s-%s.csv\"", list, day);
	MHD_add_response_header(r, "Content-Disposition", disp);
	return http_response(rq, 200, "text/csv; charset=utf-8", r, 0);
}

/* Answers a list: a JSON page, or the CSV of every row it keeps (from the cursor, up to the
 * limit when given). */
static enum MHD_Result answer_list(struct request *rq, enum list_kind kind, enum cursor_list cl,
				   const char *const *cols, int ncols, struct listq *q)
{
	struct tem_err err;
	int64_t next;

	if (q->csv) {
		struct stream *s = calloc(1, sizeof *s);
		if (s == NULL || sbuf_init(&s->b, 64 * 1024) != 0) {
			free(s);
			return http_error(rq, 500, "internal", "out of memory");
		}
		s->rq = rq;
		s->t = rq->t;
		s->kind = kind;
		s->q = *q;
		s->q.f.producer = s->q.key[0] != '\0' ? s->q.key : NULL;
		s->next = q->after;
		s->left = q->has_limit ? q->limit : SIZE_MAX;
		sbuf_put(&s->b, "%s", CSV_BOM);
		csv_header(&s->b, cols, ncols);
		/* the first page before the status: a read that fails is a 500, not a cut CSV */
		struct sink k = {NULL, &s->b, 0};
		size_t page = s->left < LQ_LIMIT_MAX ? s->left : LQ_LIMIT_MAX;
		if (read_list(rq, kind, &s->q, s->next, page, &k, &next, &err) != TEM_OK) {
			stream_free(s);
			return failed(rq, &err);
		}
		s->left -= k.rows;
		s->next = next;
		s->end = next == 0 || s->left == 0;
		return queue_csv(rq, list_names[kind], s, 1);
	}
	struct sink k = {json_array(), NULL, 0};
	if (k.items == NULL)
		return http_error(rq, 500, "internal", "out of memory");
	if (read_list(rq, kind, q, q->after, q->limit, &k, &next, &err) != TEM_OK) {
		json_decref(k.items);
		return failed(rq, &err);
	}
	return http_json(
	    rq, 200,
	    json_pack("{s:o,s:o}", "items", k.items, "next_cursor", next_cursor(rq, cl, q, next)));
}

/* The canonical text of a list's filters, for its cursor's digest. */
static void canon(char *out, size_t cap, const char *list, const struct listq *q)
{
	snprintf(out, cap, "%s|p=%s|none=%d|from=%lld|to=%lld|type=%d|status=%d", list, q->key,
		 q->none, (long long)q->f.from_ms, (long long)q->f.to_ms, q->f.type, q->f.status);
}

/* A list filtered by producer and time only (batches, scans): its parameters checked, then a
 * page (JSON) or every row (CSV). */
static enum MHD_Result plain_list(struct request *rq, enum list_kind kind,
				  enum cursor_list cursor_kind, const char *name,
				  const char *const *cols, int ncols)
{
	static const char *const allowed[] = {"producer", "from",   "to", "cursor",
					      "limit",    "format", NULL};
	struct listq q;
	enum MHD_Result r;
	char c[200];

	memset(&q, 0, sizeof q);
	lq_filter_all(&q.f);
	if (check_args(rq, allowed, &r) != 0 || read_producer(rq, &q, &r) != 0 ||
	    read_time(rq, "from", 0, &q.f.from_ms, &r) != 0 ||
	    read_time(rq, "to", 1, &q.f.to_ms, &r) != 0)
		return r;
	canon(c, sizeof c, name, &q);
	if (read_page(rq, cursor_kind, c, &q, &r) != 0)
		return r;
	return answer_list(rq, kind, cursor_kind, cols, ncols, &q);
}

enum MHD_Result route_api_batches(struct request *rq, const char *rest)
{
	(void)rest;
	return plain_list(rq, L_BATCHES, CURSOR_BATCHES, "batches", batch_cols,
			  (int)(sizeof batch_cols / sizeof batch_cols[0]));
}

enum MHD_Result route_api_scans(struct request *rq, const char *rest)
{
	(void)rest;
	return plain_list(rq, L_SCANS, CURSOR_SCANS, "scans", scan_cols,
			  (int)(sizeof scan_cols / sizeof scan_cols[0]));
}

enum MHD_Result route_api_alerts(struct request *rq, const char *rest)
{
	static const char *const allowed[] = {"since",  "to",    "producer", "type", "status",
					      "cursor", "limit", "format",   NULL};
	struct listq q;
	enum MHD_Result r;
	const char *type = http_arg(rq, "type"), *status = http_arg(rq, "status");
	char c[200];

	(void)rest;
	memset(&q, 0, sizeof q);
	lq_filter_all(&q.f);
	if (check_args(rq, allowed, &r) != 0 || read_producer(rq, &q, &r) != 0 ||
	    read_time(rq, "since", 0, &q.f.from_ms, &r) != 0 ||
	    read_time(rq, "to", 1, &q.f.to_ms, &r) != 0)
		return r;
	if (type != NULL && alert_type_parse(type, (enum alert_type *)&q.f.type) != 0)
		return bad(rq, "type: one of duplicate, sold-then-scanned, unregistered, "
			       "revoked-key, invalid-burst, claim-guessing");
	if (status != NULL && alert_status_parse(status, (enum alert_status *)&q.f.status) != 0)
		return bad(rq, "status: one of open, investigating, closed");
	canon(c, sizeof c, "alerts", &q);
	if (read_page(rq, CURSOR_ALERTS, c, &q, &r) != 0)
		return r;
	return answer_list(rq, L_ALERTS, CURSOR_ALERTS, alert_cols,
			   (int)(sizeof alert_cols / sizeof alert_cols[0]), &q);
}

/* --- one code --- */

static int code_alert_out(void *arg, const struct lq_alert *a, struct tem_err *err)
{
	json_t *o = alert_json(a);

	if (o == NULL || json_array_append_new(arg, o) != 0)
		return err_set(err, "out of memory");
	return TEM_OK;
}

/* The base verdict of a code named by its short id, from the registry alone (no signature to
 * check): the rules of label/verdict.h that need no signature. */
static enum verdict short_id_base(const struct registry_hit *h)
{
	int32_t today = date_today();

	if (!h->known || today < h->entry.valid_from)
		return V_UNKNOWN_KEY;
	if (h->entry.revoked >= 0 && h->entry.revoked <= today &&
	    !(h->batch.in_batch && h->batch.registered < h->entry.revoked))
		return V_REVOKED;
	if (!h->batch.in_batch)
		return V_UNREGISTERED;
	if (h->batch.last_day > 0 && today > h->batch.last_day)
		return V_EXPIRED;
	return V_GENUINE;
}

enum MHD_Result route_api_code(struct request *rq, const char *rest)
{
	static const char *const allowed[] = {"cursor", "limit", NULL};
	unsigned char id[KEYS_ID_BYTES];
	struct tem_err err;
	struct lq_code c;
	struct listq q;
	enum MHD_Result r;
	enum verdict base, v;
	char key[17], canon_text[80], first[21], last[21];
	uint64_t serial;
	int signature = 0;
	int64_t next;
	size_t len = strlen(rest);

	memset(&q, 0, sizeof q);
	if (check_args(rq, allowed, &r) != 0)
		return r;
	if (len == 0)
		return bad(rq, "code: give the code or its short id (KEYID-SERIAL) after /codes/");
	if (api_short_id(rest, key, &serial) == 0) {
		if (keys_id_parse(key, 16, id, &err) != TEM_OK)
			return bad(rq, "code: not a code or a short id");
		registry_lookup(rq->t->reg, id, serial, &rq->hit);
		base = short_id_base(&rq->hit);
		snprintf(rq->short_id, sizeof rq->short_id, "%s-%llu", key,
			 (unsigned long long)serial);
	} else {
		base = request_code(rq, rest, len);
		if (!rq->parsed)
			return bad(rq, "code: not a tem code or a short id (KEYID-SERIAL)");
		memcpy(key, rq->key_hex, sizeof key);
		serial = rq->serial;
		signature = 1;
	}
	/* another producer's code does not exist for a producer token */
	if (rq->who.producer[0] != '\0' && strcmp(rq->who.producer, key) != 0)
		return http_error(rq, 404, "not-found", "no such code");
	if (lq_open(rq->t->ledger, &err) != TEM_OK ||
	    lq_code(rq->t->ledger, key, serial, &c, &err) != TEM_OK)
		return failed(rq, &err);
	if (!rq->hit.known && c.scans == 0 && !c.in_batch && c.claimed_ms == 0)
		return http_error(rq, 404, "not-found",
				  "no such code: its key is not in the trust "
				  "list and the ledger has nothing of it");
	snprintf(canon_text, sizeof canon_text, "history|%s-%llu", key, (unsigned long long)serial);
	if (read_page(rq, CURSOR_HISTORY, canon_text, &q, &r) != 0)
		return r;
	if (q.csv)
		return bad(rq, "format: a code's history is JSON only");
	/* the verdict a scan from a network not seen before would get now */
	v = base;
	if (verdict_is_counted(base)) {
		struct verdict_facts f = {.base = base,
					  .other_clients = c.clients,
					  .threshold = rq->t->cfg.threshold,
					  .claimed = c.claimed_ms > 0,
					  .claimed_by_this = 0};
		v = verdict_decide(&f);
	}
	json_t *alerts = json_array(), *hist = json_array();
	struct sink k = {hist, NULL, 0};
	if (alerts == NULL || hist == NULL ||
	    lq_code_alerts(rq->t->ledger, key, serial, code_alert_out, alerts, &err) != TEM_OK ||
	    lq_code_scans(rq->t->ledger, key, serial, q.after, q.limit, history_out, &k, &next,
			  &err) != TEM_OK) {
		json_decref(alerts);
		json_decref(hist);
		return failed(rq, &err);
	}
	json_t *producer = rq->hit.known
			       ? json_pack("{s:s,s:s}", "key_id", key, "name", rq->hit.entry.name)
			       : json_pack("{s:s}", "key_id", key);
	json_t *batch = json_null();
	if (c.in_batch)
		batch = rq->hit.batch.in_batch
			    ? json_pack("{s:I,s:s,s:s}", "id", (json_int_t)c.batch_row, "batch_id",
					rq->hit.batch_id, "product", rq->hit.product)
			    : json_pack("{s:I}", "id", (json_int_t)c.batch_row);
	json_t *claim = json_null();
	if (c.claimed_ms > 0) {
		char claimer[2 * LEDGER_CLIENT_BYTES + 1];
		sodium_bin2hex(claimer, sizeof claimer, c.claimer, sizeof c.claimer);
		claim = json_pack("{s:s,s:s}", "at", iso(c.claimed_ms, first), "client", claimer);
	}
	return http_json(
	    rq, 200,
	    json_pack("{s:s,s:s,s:I,s:o,s:o,s:s,s:b,s:I,s:I,s:o,s:o,s:o,s:o,s:{s:o,s:o}}",
		      "short_id", rq->short_id, "key_id", key, "serial", (json_int_t)serial,
		      "producer", producer, "batch", batch, "verdict", verdict_name(v),
		      "signature_checked", signature, "scans", (json_int_t)c.scans, "clients",
		      (json_int_t)c.clients, "first_scan",
		      c.first_scan_ms > 0 ? json_string(iso(c.first_scan_ms, first)) : json_null(),
		      "last_scan",
		      c.last_scan_ms > 0 ? json_string(iso(c.last_scan_ms, last)) : json_null(),
		      "claim", claim, "alerts", alerts, "history", "items", hist, "next_cursor",
		      next_cursor(rq, CURSOR_HISTORY, &q, next)));
}

/* --- one alert --- */

static int alert_keep(void *arg, const struct lq_alert *a, struct tem_err *err)
{
	json_t **out = arg;

	if ((*out = alert_json(a)) == NULL)
		return err_set(err, "out of memory");
	return TEM_OK;
}

static int change_out(void *arg, const struct lq_alert_change *c, struct tem_err *err)
{
	char at[21];
	json_t *o =
	    json_pack("{s:s,s:s,s:s,s:o,s:o}", "at", iso(c->at_ms, at), "by", c->by, "status",
		      alert_status_name(c->status), "reason",
		      c->reason != ALERT_REASON_NONE ? json_string(alert_reason_name(c->reason))
						     : json_null(),
		      "note", jstr_or_null(c->note));

	if (o == NULL || json_array_append_new(arg, o) != 0)
		return err_set(err, "out of memory");
	return TEM_OK;
}

/* Answers alert id as GET gives it (200), or 404. */
static enum MHD_Result answer_alert(struct request *rq, int64_t id)
{
	struct lq_filter f;
	struct tem_err err;
	json_t *o = NULL, *changes;
	int found;

	lq_filter_all(&f);
	f.producer = rq->who.producer[0] != '\0' ? rq->who.producer : NULL;
	if (lq_open(rq->t->ledger, &err) != TEM_OK ||
	    lq_alert(rq->t->ledger, &f, id, alert_keep, &o, &found, &err) != TEM_OK) {
		json_decref(o);
		return failed(rq, &err);
	}
	if (!found)
		return http_error(rq, 404, "not-found", "no such alert");
	if ((changes = json_array()) == NULL ||
	    lq_alert_changes(rq->t->ledger, id, change_out, changes, &err) != TEM_OK) {
		json_decref(o);
		json_decref(changes);
		return failed(rq, &err);
	}
	json_object_set_new(o, "changes", changes);
	return http_json(rq, 200, o);
}

/* The writer has run the alert update: the alert as GET gives it, or why not. */
static enum MHD_Result alert_updated(struct request *rq)
{
	const struct ledger_alert_update *u = &rq->job.u.alert_update;

	switch (rq->job.status) {
	case LEDGER_OK:
		log_msg(LOG_LV_NOTICE, "alert %lld set %s by %s", (long long)u->id,
			alert_status_name((enum alert_status)u->status), rq->who.name);
		return answer_alert(rq, u->id);
	case LEDGER_MISSING:
		return http_error(rq, 404, "not-found", "no such alert");
	default:
		return http_error(rq, 503, "ledger-unavailable",
				  "the change could not be recorded; try again");
	}
}

int api_alert_change(const json_t *doc, struct api_alert_change *c, char *why, size_t cap)
{
	json_t *status, *reason, *note;
	const char *key;
	void *iter;

	memset(c, 0, sizeof *c);
	c->reason = ALERT_REASON_NONE;
	if (!json_is_object(doc)) {
		snprintf(why, cap,
			 "status: the body must be a JSON object with a string \"status\"");
		return -1;
	}
	for (iter = json_object_iter((json_t *)doc); iter != NULL;
	     iter = json_object_iter_next((json_t *)doc, iter)) {
		key = json_object_iter_key(iter);
		if (strcmp(key, "status") != 0 && strcmp(key, "reason") != 0 &&
		    strcmp(key, "note") != 0) {
			snprintf(why, cap, "%s: not a field of an alert change",
				 plain_name(key) ? key : "field");
			return -1;
		}
	}
	status = json_object_get(doc, "status");
	reason = json_object_get(doc, "reason");
	note = json_object_get(doc, "note");
	if (!json_is_string(status) ||
	    alert_status_parse(json_string_value(status), &c->status) != 0) {
		snprintf(why, cap, "status: one of open, investigating, closed");
		return -1;
	}
	if (reason != NULL && !json_is_null(reason) &&
	    (!json_is_string(reason) ||
	     alert_reason_parse(json_string_value(reason), &c->reason) != 0)) {
		snprintf(why, cap,
			 "reason: one of buyer-error, technical-error, "
			 "confirmed-counterfeit, other");
		return -1;
	}
	if (c->status == ALERT_CLOSED && c->reason == ALERT_REASON_NONE) {
		snprintf(why, cap, "reason: required to close an alert");
		return -1;
	}
	if (c->status != ALERT_CLOSED && c->reason != ALERT_REASON_NONE) {
		snprintf(why, cap, "reason: only when the status is closed");
		return -1;
	}
	if (note != NULL && !json_is_null(note)) {
		if (!json_is_string(note) ||
		    (c->note_len = json_string_length(note)) > API_NOTE_MAX ||
		    !text_is_clean(json_string_value(note), c->note_len)) {
			snprintf(why, cap,
				 "note: text of at most %d bytes without control characters",
				 API_NOTE_MAX);
			return -1;
		}
		c->note = json_string_value(note);
	}
	return 0;
}

/* PATCH /api/v1/alerts/{id}: a workflow step through the writer. */
static enum MHD_Result alert_patch(struct request *rq, int64_t id)
{
	struct api_alert_change c;
	json_t *doc, *status;
	enum MHD_Result r;
	char why[200];

	if ((doc = http_json_field(rq, "status", &status, &r)) == NULL)
		return r;
	if (api_alert_change(doc, &c, why, sizeof why) != 0) {
		json_decref(doc);
		return http_error(rq, 422, "bad-field", "%s", why);
	}
	/* the note outlives the document until the writer has run the job: the received body,
	 * at least as long as any string decoded from it, keeps it */
	struct ledger_alert_update *u = &rq->job.u.alert_update;
	memset(&rq->job, 0, sizeof rq->job);
	rq->job.kind = JOB_ALERT_UPDATE;
	u->id = id;
	u->producer = rq->who.producer[0] != '\0' ? rq->who.producer : NULL;
	u->status = (int)c.status;
	u->reason = (int)c.reason;
	u->by = rq->who.name;
	u->at_ms = date_now_ms();
	if (c.note != NULL && c.note_len < rq->body_len) {
		memmove(rq->body, c.note, c.note_len);
		rq->body[c.note_len] = '\0';
		u->note = rq->body;
	}
	json_decref(doc);
	return http_wait_ledger(rq, alert_updated);
}

enum MHD_Result route_api_alert(struct request *rq, const char *rest)
{
	static const char *const allowed[] = {NULL};
	enum MHD_Result r;
	uint64_t id;

	if (check_args(rq, allowed, &r) != 0)
		return r;
	if (text_parse_u64(rest, 1, (uint64_t)INT64_MAX, &id) != TEM_OK)
		return bad(rq, "id: an alert id, a whole number");
	if (rq->method != NULL && strcmp(rq->method, "PATCH") == 0)
		return alert_patch(rq, (int64_t)id);
	return answer_alert(rq, (int64_t)id);
}

/* --- statistics --- */

static const char *const verdict_cols[] = {"genuine",      "seen",    "duplicate", "sold",
					   "unregistered", "expired", "revoked"};
static const enum verdict verdict_order[] = {V_GENUINE,      V_SEEN,    V_DUPLICATE, V_SOLD,
					     V_UNREGISTERED, V_EXPIRED, V_REVOKED};
#define NV ((int)(sizeof verdict_order / sizeof verdict_order[0]))

struct stats_out {
	enum lq_by by;
	json_t *rows;
	struct sbuf *csv;
	struct lq_stat total;
};

/* The counters of s as JSON members of o. */
static int stat_counters(json_t *o, const struct lq_stat *s)
{
	json_t *v = json_object();

	if (v == NULL)
		return -1;
	for (int i = 0; i < NV; i++)
		json_object_set_new(v, verdict_cols[i],
				    json_integer(s->verdicts[verdict_order[i]]));
	return json_object_set_new(o, "scans", json_integer(s->scans)) |
	       json_object_set_new(o, "codes", json_integer(s->codes)) |
	       json_object_set_new(o, "claims", json_integer(s->claims)) |
	       json_object_set_new(o, "verdicts", v);
}

static int stat_out(void *arg, const struct lq_stat *s, struct tem_err *err)
{
	struct stats_out *x = arg;
	char day[11];

	x->total.scans += s->scans;
	x->total.codes += s->codes;
	x->total.claims += s->claims;
	for (int i = 0; i < V_COUNT; i++)
		x->total.verdicts[i] += s->verdicts[i];
	if (x->by == LQ_BY_DAY)
		date_format(s->day, day);
	if (x->csv != NULL) {
		struct sbuf *b = x->csv;
		if (x->by == LQ_BY_DAY) {
			csv_text(b, day, 1);
		} else {
			csv_text(b, s->key_id, 1);
			csv_text(b, s->producer, 0);
			if (x->by == LQ_BY_BATCH) {
				if (s->batch_row > 0)
					csv_int(b, s->batch_row, 0);
				else
					csv_text(b, "", 0);
				csv_text(b, s->batch_id, 0);
			}
		}
		csv_int(b, s->scans, 0);
		csv_int(b, s->codes, 0);
		csv_int(b, s->claims, 0);
		for (int i = 0; i < NV; i++)
			csv_int(b, s->verdicts[verdict_order[i]], 0);
		csv_end(b);
		return b->failed ? err_set(err, "out of memory") : TEM_OK;
	}
	json_t *o =
	    x->by == LQ_BY_DAY ? json_pack("{s:s}", "day", day)
	    : x->by == LQ_BY_PRODUCER
		? json_pack("{s:s,s:o}", "key_id", s->key_id, "producer", jstr_or_null(s->producer))
		: json_pack("{s:s,s:o,s:o,s:o}", "key_id", s->key_id, "producer",
			    jstr_or_null(s->producer), "batch",
			    s->batch_row > 0 ? json_integer(s->batch_row) : json_null(), "batch_id",
			    jstr_or_null(s->batch_id));
	if (o == NULL || stat_counters(o, s) != 0 || json_array_append_new(x->rows, o) != 0) {
		json_decref(o);
		return err_set(err, "out of memory");
	}
	return TEM_OK;
}

/* The first columns of a CSV of statistics by producer or batch. */
static void stats_head(struct sbuf *b, int batch)
{
	csv_text(b, "key_id", 1);
	csv_text(b, "producer", 0);
	if (batch) {
		csv_text(b, "batch", 0);
		csv_text(b, "batch_id", 0);
	}
}

enum MHD_Result route_api_stats(struct request *rq, const char *rest)
{
	static const char *const allowed[] = {"from", "to", "by", "producer", "format", NULL};
	static const char *const by_names[] = {"day", "producer", "batch"};
	const char *from = http_arg(rq, "from"), *to = http_arg(rq, "to"), *by = http_arg(rq, "by");
	struct stats_out x;
	struct listq q;
	struct tem_err err;
	enum MHD_Result r;
	int32_t d0, d1;
	char why[120], f0[11], f1[11];
	int csv;

	(void)rest;
	memset(&q, 0, sizeof q);
	memset(&x, 0, sizeof x);
	lq_filter_all(&q.f);
	if (check_args(rq, allowed, &r) != 0 || read_producer(rq, &q, &r) != 0)
		return r;
	d1 = date_today();
	if (to != NULL && api_day(to, &d1, why, sizeof why) != 0)
		return bad(rq, "to: %s", why);
	d0 = d1 - 30;
	if (from != NULL && api_day(from, &d0, why, sizeof why) != 0)
		return bad(rq, "from: %s", why);
	if (d0 > d1)
		return bad(rq, "from: after to");
	if (d1 - d0 >= STATS_MAX)
		return bad(rq, "from: at most %d days before to", STATS_MAX);
	x.by = LQ_BY_DAY;
	if (by != NULL) {
		int i;
		for (i = 0; i < 3 && strcmp(by, by_names[i]) != 0; i++)
			;
		if (i == 3)
			return bad(rq, "by: day, producer or batch");
		x.by = (enum lq_by)i;
	}
	if ((csv = wants_csv(rq, &r)) < 0)
		return r;
	if (csv) {
		struct stream *s = calloc(1, sizeof *s);
		if (s == NULL || sbuf_init(&s->b, 16 * 1024) != 0) {
			free(s);
			return http_error(rq, 500, "internal", "out of memory");
		}
		sbuf_put(&s->b, "%s", CSV_BOM);
		if (x.by == LQ_BY_DAY)
			csv_text(&s->b, "day", 1);
		else
			stats_head(&s->b, x.by == LQ_BY_BATCH);
		csv_text(&s->b, "scans", 0);
		csv_text(&s->b, "codes", 0);
		csv_text(&s->b, "claims", 0);
		for (int i = 0; i < NV; i++)
			csv_text(&s->b, verdict_cols[i], 0);
		csv_end(&s->b);
		x.csv = &s->b;
		if (!q.none &&
		    (lq_open(rq->t->ledger, &err) != TEM_OK ||
		     lq_stats(rq->t->ledger, &q.f, d0, d1, x.by, stat_out, &x, &err) != TEM_OK)) {
			stream_free(s);
			return failed(rq, &err);
		}
		if (s->b.failed) {
			stream_free(s);
			return http_error(rq, 500, "internal", "out of memory");
		}
		return queue_csv(rq, "stats", s, 0);
	}
	if ((x.rows = json_array()) == NULL)
		return http_error(rq, 500, "internal", "out of memory");
	if (!q.none &&
	    (lq_open(rq->t->ledger, &err) != TEM_OK ||
	     lq_stats(rq->t->ledger, &q.f, d0, d1, x.by, stat_out, &x, &err) != TEM_OK)) {
		json_decref(x.rows);
		return failed(rq, &err);
	}
	json_t *totals = json_object();
	if (totals == NULL || stat_counters(totals, &x.total) != 0) {
		json_decref(totals);
		json_decref(x.rows);
		return http_error(rq, 500, "internal", "out of memory");
	}
	date_format(d0, f0);
	date_format(d1, f1);
	return http_json(rq, 200,
			 json_pack("{s:s,s:s,s:s,s:o,s:o}", "from", f0, "to", f1, "by",
				   by_names[x.by], "rows", x.rows, "totals", totals));
}

/* --- producers --- */

static const char *const producer_cols[] = {
    "key_id", "name",  "valid_from",    "revoked",       "batches",
    "codes",  "scans", "codes_scanned", "codes_claimed", "open_alerts"};

static int producer_out(void *arg, const struct lq_producer *p, struct tem_err *err)
{
	struct sink *k = arg;
	char from[11], rev[11] = "";

	date_format(p->valid_from, from);
	if (p->revoked >= 0)
		date_format(p->revoked, rev);
	k->rows++;
	if (k->csv != NULL) {
		struct sbuf *b = k->csv;
		csv_text(b, p->key_id, 1);
		csv_text(b, p->name, 0);
		csv_text(b, from, 0);
		csv_text(b, rev, 0);
		csv_int(b, p->batches, 0);
		csv_int(b, p->codes, 0);
		csv_int(b, p->scans, 0);
		csv_int(b, p->scanned, 0);
		csv_int(b, p->claimed, 0);
		csv_int(b, p->open_alerts, 0);
		csv_end(b);
		return b->failed ? err_set(err, "out of memory") : TEM_OK;
	}
	json_t *o = json_pack(
	    "{s:s,s:s,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:I}", "key_id", p->key_id, "name", p->name,
	    "valid_from", from, "revoked", rev[0] != '\0' ? json_string(rev) : json_null(),
	    "batches", (json_int_t)p->batches, "codes", (json_int_t)p->codes, "scans",
	    (json_int_t)p->scans, "codes_scanned", (json_int_t)p->scanned, "codes_claimed",
	    (json_int_t)p->claimed, "open_alerts", (json_int_t)p->open_alerts);
	if (o == NULL || json_array_append_new(k->items, o) != 0)
		return err_set(err, "out of memory");
	return TEM_OK;
}

enum MHD_Result route_api_producers(struct request *rq, const char *rest)
{
	static const char *const allowed[] = {"format", NULL};
	struct lq_filter f;
	struct tem_err err;
	enum MHD_Result r;
	uint64_t seq = 0;
	int csv;

	(void)rest;
	if (check_args(rq, allowed, &r) != 0 || (csv = wants_csv(rq, &r)) < 0)
		return r;
	lq_filter_all(&f);
	f.producer = rq->who.producer[0] != '\0' ? rq->who.producer : NULL;
	if (lq_open(rq->t->ledger, &err) != TEM_OK)
		return failed(rq, &err);
	if (csv) {
		struct stream *s = calloc(1, sizeof *s);
		if (s == NULL || sbuf_init(&s->b, 16 * 1024) != 0) {
			free(s);
			return http_error(rq, 500, "internal", "out of memory");
		}
		struct sink k = {NULL, &s->b, 0};
		sbuf_put(&s->b, "%s", CSV_BOM);
		csv_header(&s->b, producer_cols,
			   (int)(sizeof producer_cols / sizeof producer_cols[0]));
		if (lq_producers(rq->t->ledger, &f, producer_out, &k, &err) != TEM_OK) {
			stream_free(s);
			return failed(rq, &err);
		}
		return queue_csv(rq, "producers", s, 0);
	}
	struct sink k = {json_array(), NULL, 0};
	if (k.items == NULL)
		return http_error(rq, 500, "internal", "out of memory");
	if (lq_producers(rq->t->ledger, &f, producer_out, &k, &err) != TEM_OK ||
	    ledger_trust_sequence(rq->t->ledger, &seq, &err) != TEM_OK) {
		json_decref(k.items);
		return failed(rq, &err);
	}
	return http_json(rq, 200,
			 json_pack("{s:o,s:I}", "items", k.items, "sequence", (json_int_t)seq));
}
