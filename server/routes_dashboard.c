/* routes_dashboard.c — the regulators' dashboard (server/dashboard.h, docs/dashboard.md): reads
 * what one page shows through server/ledger_query.h, copies it into the page's view structs and
 * renders it (server/pages_dashboard.c); workflow steps are ledger jobs. Forms are refused when
 * they come from another site: the session cookie is SameSite=Strict, and a POST whose Origin
 * or Referer names another host is answered 403. */
#include "server/dashboard.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "keys/date.h"
#include "keys/keys.h"
#include "keys/text.h"
#include "label/code.h"
#include "server/ledger_query.h"
#include "server/log.h"
#include "server/pages_dashboard.h"
#include "server/server.h"

_Static_assert(DASHBOARD_FORM_MAX >= 3 * DASHBOARD_NOTE_MAX + 200, "a form bound that fits a note");

/* The page's language: the form's or query's lang, else Accept-Language. */
static void set_lang(struct request *rq, const char *form_lang)
{
	const char *q =
	    form_lang != NULL && form_lang[0] != '\0' ? form_lang : http_arg(rq, "lang");

	rq->lang = (int)pages_lang(q, http_header(rq, "Accept-Language"));
	rq->as_page = 1;
}

static const char *lang_q(struct request *rq)
{
	return rq->lang == LANG_EN ? "en" : "vi";
}

/* The length of url's origin ("scheme://host[:port]"), 0 when it has no "://". */
static size_t origin_len(const char *url)
{
	const char *sep = strstr(url, "://");

	if (sep == NULL)
		return 0;
	return (size_t)(sep - url) + 3 + strcspn(sep + 3, "/?#");
}

/* 1 when url (an Origin or a Referer) has the origin of base (temd's --base-url; may be NULL)
 * or names host (the Host header; may be NULL) under http or https. */
static int same_origin(const char *url, const char *host, const char *base)
{
	size_t n = origin_len(url);

	if (n == 0)
		return 0; /* "null", or anything else */
	if (base != NULL && origin_len(base) == n && strncasecmp(url, base, n) == 0)
		return 1;
	if (host == NULL || host[0] == '\0')
		return 0;
	if (strncasecmp(url, "http://", 7) == 0)
		url += 7, n -= 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		url += 8, n -= 8;
	else
		return 0;
	return strlen(host) == n && strncasecmp(url, host, n) == 0;
}

/* 1 when a form post comes from another site: its Origin (or, without one, its Referer) names
 * neither the host it was sent to nor temd's --base-url. A post with neither header is let
 * through: the SameSite=Strict cookie keeps other sites' posts from carrying a session. */
static int cross_site(struct request *rq)
{
	const char *origin = http_header(rq, "Origin");
	const char *v = origin != NULL ? origin : http_header(rq, "Referer");

	if (v == NULL)
		return 0;
	return !same_origin(v, http_header(rq, "Host"), rq->t->cfg.base_url);
}

static enum MHD_Result plain_page(struct request *rq, unsigned status, const char *vi,
				  const char *en)
{
	char *html;
	size_t len;

	if (pages_dash_sign_in((enum lang)rq->lang, rq->lang == LANG_EN ? en : vi, &html, &len) !=
	    0)
		return http_error(rq, 500, "internal", "out of memory");
	return http_html(rq, status, html, len);
}

static enum MHD_Result refuse_cross_site(struct request *rq)
{
	log_msg(LOG_LV_WARNING, "dashboard: a form post from another site refused");
	return plain_page(rq, 403, "Biểu mẫu này đến từ một trang khác nên đã bị từ chối.",
			  "This form came from another site and was refused.");
}

/* --- copies of the ledger's rows (its strings live only during a callback) --- */

static char *copy_str(const char *s)
{
	return strdup(s != NULL ? s : "");
}

struct alerts {
	struct dash_alert a[DASH_ALERTS_PAGE];
	size_t n, cap;
};

static int copy_alert(void *arg, const struct lq_alert *x, struct tem_err *err)
{
	struct alerts *as = arg;
	struct dash_alert *a;

	if (as->n >= as->cap)
		return TEM_OK;
	a = &as->a[as->n];
	*a = (struct dash_alert){.id = x->id,
				 .type = x->type,
				 .serial = x->serial,
				 .events = x->events,
				 .clients = x->clients,
				 .first_ms = x->first_ms,
				 .last_ms = x->last_ms,
				 .status = x->status,
				 .reason = x->reason,
				 .updated_ms = x->updated_ms};
	a->key_id = copy_str(x->key_id);
	a->producer = copy_str(x->producer);
	a->note = copy_str(x->note);
	a->updated_by = copy_str(x->updated_by);
	as->n++;
	if (a->key_id == NULL || a->producer == NULL || a->note == NULL || a->updated_by == NULL)
		return err_set(err, "dashboard: out of memory");
	return TEM_OK;
}

static void free_alerts(struct alerts *as)
{
	for (size_t i = 0; i < as->n; i++) {
		free((char *)as->a[i].key_id);
		free((char *)as->a[i].producer);
		free((char *)as->a[i].note);
		free((char *)as->a[i].updated_by);
	}
	as->n = 0;
}

struct producers {
	struct dash_producer *p;
	size_t n, cap;
};

static int copy_producer(void *arg, const struct lq_producer *x, struct tem_err *err)
{
	struct producers *ps = arg;
	struct dash_producer *p;

	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 16;
		struct dash_producer *grown = realloc(ps->p, cap * sizeof *grown);
		if (grown == NULL)
			return err_set(err, "dashboard: out of memory");
		ps->p = grown;
		ps->cap = cap;
	}
	p = &ps->p[ps->n];
	*p = (struct dash_producer){.revoked = x->revoked,
				    .batches = x->batches,
				    .codes = x->codes,
				    .scans = x->scans,
				    .scanned = x->scanned,
				    .claimed = x->claimed,
				    .open_alerts = x->open_alerts};
	p->key_id = copy_str(x->key_id);
	p->name = copy_str(x->name);
	ps->n++;
	if (p->key_id == NULL || p->name == NULL)
		return err_set(err, "dashboard: out of memory");
	return TEM_OK;
}

static void free_producers(struct producers *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free((char *)ps->p[i].key_id);
		free((char *)ps->p[i].name);
	}
	free(ps->p);
}

struct days {
	struct dash_day d[DASH_CHART_DAYS];
	size_t n;
};

static int copy_day(void *arg, const struct lq_stat *s, struct tem_err *err)
{
	struct days *ds = arg;

	(void)err;
	if (ds->n < DASH_CHART_DAYS)
		ds->d[ds->n++] =
		    (struct dash_day){s->day, s->scans, s->verdicts[V_DUPLICATE], s->claims};
	return TEM_OK;
}

/* Attaches the regulator reads to temd's ledger (once; later calls do nothing). */
static int reads_open(struct request *rq, struct tem_err *err)
{
	return lq_open(rq->t->ledger, err);
}

static void who_of(struct request *rq, struct dash_who *w)
{
	w->name = rq->who.name;
	w->producer = rq->who.producer;
	w->expires_ms = rq->who.expires_ms;
}

/* A key id as the ledger spells it (upper-case hex) into out: 0, or -1 when s is not one. */
static int key_id_of(const char *s, char out[17])
{
	unsigned char id[KEYS_ID_BYTES];
	struct tem_err err;

	if (s == NULL || strlen(s) != 16 || keys_id_parse(s, 16, id, &err) != TEM_OK)
		return -1;
	keys_id_hex(id, out);
	return 0;
}

/* --- GET /dashboard --- */

/* The notice a workflow step's redirect asks for (done=ID&to=STATUS or fail=ID&why=...). */
static void step_notice(struct request *rq, char *out, size_t cap, int *bad)
{
	int en = rq->lang == LANG_EN;
	const char *done = http_arg(rq, "done"), *fail = http_arg(rq, "fail");
	const char *to = http_arg(rq, "to"), *why = http_arg(rq, "why");
	enum alert_status st;
	uint64_t id;

	out[0] = '\0';
	*bad = 0;
	if (done != NULL && text_parse_u64(done, 1, INT64_MAX, &id) == TEM_OK &&
	    alert_status_parse(to, &st) == 0) {
		snprintf(out, cap, en ? "Alert #%" PRIu64 ": %s." : "Cảnh báo #%" PRIu64 ": %s.",
			 id, pages_dash_status(st, (enum lang)rq->lang));
	} else if (fail != NULL && text_parse_u64(fail, 1, INT64_MAX, &id) == TEM_OK) {
		const char *w = why == NULL ? "" : why;
		*bad = 1;
		snprintf(out, cap, "%s #%" PRIu64 ": %s", en ? "Alert" : "Cảnh báo", id,
			 strcmp(w, "reason") == 0
			     ? (en ? "choose a reason to close it." : "hãy chọn lý do đóng.")
			 : strcmp(w, "note") == 0
			     ? (en ? "the note is too long or has characters that are not text."
				   : "ghi chú quá dài hoặc có ký tự không hợp lệ.")
			 : strcmp(w, "gone") == 0
			     ? (en ? "no such alert." : "không có cảnh báo này.")
			     : (en ? "the change could not be saved; try again."
				   : "không lưu được thay đổi; hãy thử lại."));
	}
}

enum MHD_Result route_dashboard(struct request *rq, const char *rest)
{
	struct temd *t = rq->t;
	struct dash_main m = {.filter = {-1, -1, ""}};
	struct alerts *as = calloc(1, sizeof *as);
	struct producers ps = {NULL, 0, 0};
	struct days ds = {.n = 0};
	struct lq_filter f, scope;
	const char *type = http_arg(rq, "type"), *status = http_arg(rq, "status");
	const char *producer = http_arg(rq, "producer"), *after = http_arg(rq, "after");
	char key[17], notice[200];
	int32_t today = date_vn_day(time(NULL));
	enum alert_type ty;
	enum alert_status st;
	uint64_t pos = 0;
	struct tem_err err = {""};
	enum MHD_Result ret;
	char *html = NULL;
	size_t len;
	int ok;

	(void)rest;
	set_lang(rq, NULL);
	if (as == NULL)
		return http_error(rq, 500, "internal", "out of memory");
	as->cap = DASH_ALERTS_PAGE;
	who_of(rq, &m.who);
	lq_filter_all(&scope);
	if (rq->who.producer[0] != '\0')
		scope.producer = rq->who.producer;
	f = scope;
	/* filters that do not parse are dropped: the form only offers values that do */
	if (type != NULL && alert_type_parse(type, &ty) == 0)
		f.type = m.filter.type = (int)ty;
	if (status != NULL && alert_status_parse(status, &st) == 0)
		f.status = m.filter.status = (int)st;
	if (rq->who.producer[0] == '\0' && key_id_of(producer, key) == 0)
		f.producer = m.filter.producer = key;
	if (after != NULL && text_parse_u64(after, 1, INT64_MAX, &pos) != TEM_OK)
		pos = 0;
	m.after = (int64_t)pos;
	ok = reads_open(rq, &err) == TEM_OK &&
	     lq_alerts(t->ledger, &f, m.after, DASH_ALERTS_PAGE, copy_alert, as, &m.next_after,
		       &err) == TEM_OK &&
	     lq_producers(t->ledger, &scope, copy_producer, &ps, &err) == TEM_OK &&
	     lq_stats(t->ledger, &scope, today - (DASH_CHART_DAYS - 1), today, LQ_BY_DAY, copy_day,
		      &ds, &err) == TEM_OK;
	m.alerts = as->a;
	m.n_alerts = as->n;
	m.producers = ps.p;
	m.n_producers = ps.n;
	m.days = ds.d;
	m.n_days = ds.n;
	step_notice(rq, notice, sizeof notice, &m.notice_bad);
	m.notice = notice;
	if (!ok) {
		log_msg(LOG_LV_ERROR, "dashboard: %s", err.msg);
		snprintf(notice, sizeof notice, "%s",
			 rq->lang == LANG_EN ? "The ledger could not be read; try again."
					     : "Không đọc được sổ cái; hãy thử lại.");
		m.notice_bad = 1;
	}
	if (pages_dash_main(&m, (enum lang)rq->lang, &html, &len) != 0)
		html = NULL;
	free_alerts(as);
	free(as);
	free_producers(&ps);
	ret = http_html(rq, ok ? 200 : 500, html, len);
	return ret;
}

/* --- sign-in and sign-out --- */

enum MHD_Result route_dashboard_sign_in_page(struct request *rq, const char *rest)
{
	const char *m = rq->method;
	int get = m != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0);
	char *html;
	size_t len;

	(void)rest;
	set_lang(rq, NULL);
	if (pages_dash_sign_in((enum lang)rq->lang,
			       get                   ? NULL
			       : rq->lang == LANG_EN ? "Your session has ended: sign in again."
						     : "Phiên làm việc đã hết: hãy đăng nhập lại.",
			       &html, &len) != 0)
		return http_error(rq, 500, "internal", "out of memory");
	return http_html(rq, get ? 200 : 401, html, len);
}

enum MHD_Result route_dashboard_sign_in(struct request *rq, const char *rest)
{
	char token[256], lang[8], cookie[512], where[40];
	struct auth_who who;
	unsigned retry = 0;
	int r;

	(void)rest;
	http_form_field(rq, "lang", lang, sizeof lang);
	set_lang(rq, lang);
	if (cross_site(rq))
		return refuse_cross_site(rq);
	if (!http_form_field(rq, "token", token, sizeof token))
		token[0] = '\0';
	/* what was typed may carry spaces around it, from a copy and paste */
	{
		size_t n = strlen(token), s = strspn(token, " \t\r\n");
		while (n > s && strchr(" \t\r\n", token[n - 1]) != NULL)
			n--;
		if (s > 0)
			memmove(token, token + s, n - s);
		token[n - s] = '\0';
	}
	r = auth_sign_in(rq, token, &who, cookie, sizeof cookie, &retry);
	sodium_memzero(token, sizeof token);
	if (r == 1) {
		rq->session_cookie = cookie;
		log_msg(LOG_LV_NOTICE, "dashboard: token \"%s\" signed in", who.name);
		snprintf(where, sizeof where, "/dashboard?lang=%s", lang_q(rq));
		return http_redirect(rq, where);
	}
	if (r < 0) {
		rq->retry_after = retry;
		return plain_page(rq, 429,
				  "Mạng này đã thử đăng nhập sai quá nhiều lần. Hãy thử lại sau.",
				  "Too many failed sign-ins from this network. Try again later.");
	}
	return plain_page(rq, 401,
			  "Mã truy cập không được chấp nhận: có thể gõ sai, đã hết hạn hoặc đã bị "
			  "thu hồi.",
			  "This token was not accepted: it may be mistyped, expired or revoked.");
}

enum MHD_Result route_dashboard_sign_out(struct request *rq, const char *rest)
{
	char lang[8], cookie[512], where[40];

	(void)rest;
	http_form_field(rq, "lang", lang, sizeof lang);
	set_lang(rq, lang);
	if (cross_site(rq))
		return refuse_cross_site(rq);
	auth_sign_out(rq, cookie, sizeof cookie);
	rq->session_cookie = cookie;
	snprintf(where, sizeof where, "/dashboard?lang=%s", lang_q(rq));
	return http_redirect(rq, where);
}

/* --- POST /dashboard/alerts/{id} --- */

/* Where a workflow step returns to, kept in rq->reason (free for this route) from the form's
 * lang and f_* fields, each checked; the step's outcome is appended once the job has ended. */
static void back_to(struct request *rq)
{
	char v[32], key[17];
	enum alert_type ty;
	enum alert_status st;
	size_t n;

	n = (size_t)snprintf(rq->reason, sizeof rq->reason, "/dashboard?lang=%s", lang_q(rq));
	if (http_form_field(rq, "f_type", v, sizeof v) && alert_type_parse(v, &ty) == 0)
		n += (size_t)snprintf(rq->reason + n, sizeof rq->reason - n, "&type=%s",
				      alert_type_name(ty));
	if (http_form_field(rq, "f_status", v, sizeof v) && alert_status_parse(v, &st) == 0)
		n += (size_t)snprintf(rq->reason + n, sizeof rq->reason - n, "&status=%s",
				      alert_status_name(st));
	if (http_form_field(rq, "f_producer", v, sizeof v) && key_id_of(v, key) == 0)
		snprintf(rq->reason + n, sizeof rq->reason - n, "&producer=%s", key);
}

/* Redirects to back_to's place with the outcome: done=ID&to=STATUS, or fail=ID&why=WHY. */
static enum MHD_Result step_back(struct request *rq, int64_t id, const char *why)
{
	char where[sizeof rq->reason + 80];

	if (why == NULL)
		snprintf(where, sizeof where, "%s&done=%" PRId64 "&to=%s#a%" PRId64, rq->reason, id,
			 alert_status_name((enum alert_status)rq->job.u.alert_update.status), id);
	else
		snprintf(where, sizeof where, "%s&fail=%" PRId64 "&why=%s#a%" PRId64, rq->reason,
			 id, why, id);
	return http_redirect(rq, where);
}

static enum MHD_Result alert_done(struct request *rq)
{
	const struct ledger_alert_update *u = &rq->job.u.alert_update;

	switch (rq->job.status) {
	case LEDGER_OK:
		log_msg(LOG_LV_NOTICE, "dashboard: token \"%s\" set alert %" PRId64 " to %s%s%s",
			rq->who.name, u->id, alert_status_name((enum alert_status)u->status),
			u->reason != ALERT_REASON_NONE ? " as " : "",
			alert_reason_name((enum alert_reason)u->reason));
		return step_back(rq, u->id, NULL);
	case LEDGER_MISSING:
		return step_back(rq, u->id, "gone");
	default:
		return step_back(rq, u->id, "failed");
	}
}

const char *dashboard_step_check(const char *status, const char *reason, const char *note,
				 enum alert_status *st, enum alert_reason *why)
{
	size_t n = note != NULL ? strlen(note) : 0;

	*why = ALERT_REASON_NONE;
	if (status == NULL || alert_status_parse(status, st) != 0)
		return "status";
	if (*st == ALERT_CLOSED && (reason == NULL || alert_reason_parse(reason, why) != 0))
		return "reason";
	if (n > DASHBOARD_NOTE_MAX || (n > 0 && !text_is_clean(note, n)))
		return "note";
	return NULL;
}

enum MHD_Result route_dashboard_alert(struct request *rq, const char *rest)
{
	struct ledger_alert_update *u = &rq->job.u.alert_update;
	char lang[8], status[24], reason[32], note[DASHBOARD_FORM_MAX + 1];
	enum alert_status st;
	enum alert_reason why = ALERT_REASON_NONE;
	const char *bad;
	uint64_t id;
	size_t n;

	http_form_field(rq, "lang", lang, sizeof lang);
	set_lang(rq, lang);
	if (cross_site(rq))
		return refuse_cross_site(rq);
	if (text_parse_u64(rest, 1, INT64_MAX, &id) != TEM_OK)
		return plain_page(rq, 404, "Không có cảnh báo này.", "No such alert.");
	back_to(rq);
	/* the route's body bound keeps a note under sizeof note: longer is refused, not cut */
	if ((bad = dashboard_step_check(
		 http_form_field(rq, "status", status, sizeof status) ? status : NULL,
		 http_form_field(rq, "reason", reason, sizeof reason) ? reason : NULL,
		 http_form_field(rq, "note", note, sizeof note) ? note : NULL, &st, &why)) != NULL)
		return step_back(rq, (int64_t)id, bad);
	n = strlen(note);
	/* the note must outlive this call until the job ends: the form's body, which the
	 * request keeps and which is no longer needed, holds it (a decoded field is never longer
	 * than its encoding) */
	memcpy(rq->body, note, n + 1);
	rq->job.kind = JOB_ALERT_UPDATE;
	*u = (struct ledger_alert_update){
	    .id = (int64_t)id,
	    .producer = rq->who.producer[0] != '\0' ? rq->who.producer : NULL,
	    .status = (int)st,
	    .reason = (int)why,
	    .note = n > 0 ? rq->body : NULL,
	    .by = rq->who.name,
	    .at_ms = date_now_ms(),
	};
	return http_wait_ledger(rq, alert_done);
}

/* --- GET /dashboard/code --- */

struct history {
	struct dash_scan s[DASH_HISTORY_PAGE];
	size_t n;
};

static int copy_scan(void *arg, const struct lq_scan *x, struct tem_err *err)
{
	struct history *h = arg;
	char hex[2 * LEDGER_CLIENT_BYTES + 1];

	(void)err;
	if (h->n >= DASH_HISTORY_PAGE)
		return TEM_OK;
	sodium_bin2hex(hex, sizeof hex, x->client, LEDGER_CLIENT_BYTES);
	h->s[h->n].at_ms = x->at_ms;
	h->s[h->n].verdict = x->verdict;
	snprintf(h->s[h->n].client, sizeof h->s[h->n].client, "%.16s", hex);
	h->n++;
	return TEM_OK;
}

/* Reads a code or short id (KEYID-SERIAL) into key and serial: 0, or -1 when it is neither. */
static int code_of(const char *q, char key[17], uint64_t *serial)
{
	struct tem_code c;
	struct tem_err err;
	const char *dash = strchr(q, '-');

	if (dash != NULL && dash - q == 16 && strchr(dash + 1, '-') == NULL) {
		char hex[17];
		memcpy(hex, q, 16);
		hex[16] = '\0';
		return key_id_of(hex, key) == 0 &&
			       text_parse_u64(dash + 1, 0, UINT64_MAX, serial) == TEM_OK
			   ? 0
			   : -1;
	}
	if (code_parse(q, strlen(q), &c, &err) != TEM_OK)
		return -1;
	keys_id_hex(c.key_id, key);
	*serial = c.serial;
	return 0;
}

enum MHD_Result route_dashboard_code(struct request *rq, const char *rest)
{
	struct temd *t = rq->t;
	const char *q = http_arg(rq, "code"), *after = http_arg(rq, "after");
	struct dash_code c = {.query = q != NULL ? q : "", .last = V_COUNT};
	struct alerts *as = calloc(1, sizeof *as);
	struct history *h = calloc(1, sizeof *h);
	struct registry_hit hit;
	struct lq_code lc;
	struct tem_err err = {""};
	unsigned char id[KEYS_ID_BYTES];
	char key[17], short_id[CODE_SHORT_ID_MAX], hex[2 * LEDGER_CLIENT_BYTES + 1];
	uint64_t serial = 0, pos = 0;
	unsigned status = 200;
	char *html = NULL;
	size_t len = 0;

	(void)rest;
	set_lang(rq, NULL);
	if (as == NULL || h == NULL) {
		free(as);
		free(h);
		return http_error(rq, 500, "internal", "out of memory");
	}
	as->cap = DASH_ALERTS_PAGE;
	who_of(rq, &c.who);
	if (q == NULL || q[0] == '\0')
		goto render;
	if (strlen(q) > CODE_INPUT_MAX || code_of(q, key, &serial) != 0) {
		c.message = rq->lang == LANG_EN
				? "This is neither a code nor a label number (KEYID-SERIAL)."
				: "Đây không phải là mã tem hay số tem (KEYID-SERIAL).";
		status = 400;
		goto render;
	}
	/* a producer's token sees its own codes only: another's is as unknown as a code never
	 * seen */
	if (rq->who.producer[0] != '\0' && strcmp(rq->who.producer, key) != 0)
		goto missing;
	if (after != NULL && text_parse_u64(after, 1, INT64_MAX, &pos) != TEM_OK)
		pos = 0;
	if (reads_open(rq, &err) != TEM_OK ||
	    lq_code(t->ledger, key, serial, &lc, &err) != TEM_OK ||
	    lq_code_alerts(t->ledger, key, serial, copy_alert, as, &err) != TEM_OK ||
	    lq_code_scans(t->ledger, key, serial, (int64_t)pos, DASH_HISTORY_PAGE, copy_scan, h,
			  &c.next_after, &err) != TEM_OK) {
		log_msg(LOG_LV_ERROR, "dashboard: %s", err.msg);
		c.message = rq->lang == LANG_EN ? "The ledger could not be read; try again."
						: "Không đọc được sổ cái; hãy thử lại.";
		status = 500;
		goto render;
	}
	if (keys_id_parse(key, 16, id, &err) != TEM_OK)
		goto missing;
	registry_lookup(t->reg, id, serial, &hit);
	if (!hit.known && lc.scans == 0 && as->n == 0 && !lc.in_batch)
		goto missing;
	snprintf(short_id, sizeof short_id, "%s-%" PRIu64, key, serial);
	c.found = 1;
	c.short_id = short_id;
	c.producer = hit.known ? hit.entry.name : "";
	c.in_batch = lc.in_batch || hit.batch.in_batch;
	c.product = hit.batch.in_batch ? hit.product : "";
	c.batch_id = hit.batch.in_batch ? hit.batch_id : "";
	c.scans = lc.scans;
	c.clients = lc.clients;
	c.first_ms = lc.first_scan_ms;
	c.last_ms = lc.last_scan_ms;
	c.claimed_ms = lc.claimed_ms;
	if (lc.claimed_ms > 0) {
		sodium_bin2hex(hex, sizeof hex, lc.claimer, LEDGER_CLIENT_BYTES);
		snprintf(c.claimer, sizeof c.claimer, "%.16s", hex);
	}
	c.last = lc.last_verdict;
	c.alerts = as->a;
	c.n_alerts = as->n;
	c.history = h->s;
	c.n_history = h->n;
	c.after = (int64_t)pos;
	goto render;
missing:
	c.message = rq->lang == LANG_EN ? "Nothing is known of this code."
					: "Không có thông tin nào về mã này.";
	status = 404;
render:
	if (pages_dash_code(&c, (enum lang)rq->lang, &html, &len) != 0)
		html = NULL;
	free_alerts(as);
	free(as);
	free(h);
	return http_html(rq, status, html, len);
}
