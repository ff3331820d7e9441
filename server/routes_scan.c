/* routes_scan.c — the buyer's routes: GET /c/{code} (HTML), POST /api/v1/scans (JSON) and
 * GET / (paste a code). A code is parsed here and judged by the shared rules (label/verdict.h)
 * from the registry's facts; counted scans then wait for the ledger, which adds the counts and
 * the final verdict (server/verdict.h). Only a person's scan counts (docs/verdicts.md): a page
 * GET that is a top-level navigation, or a JSON scan; previews, prefetches, sub-resource loads
 * and HEAD get the page (HEAD: no body) and record nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "keys/date.h"
#include "label/code.h"
#include "server/burst.h"
#include "server/client.h"
#include "server/pages.h"
#include "server/server.h"

/* Answers with a verdict: the page or JSON, counts from the ledger when the scan was counted. */
static enum MHD_Result answer(struct request *rq, enum verdict v, const struct ledger_scan *s)
{
	const struct registry_hit *h = &rq->hit;

	metrics_verdict(v);
	if (rq->as_page) {
		char authority[TRUST_NAME_MAX + 1];
		registry_authority(rq->t->reg, authority, sizeof authority);
		struct page_scan p = {
		    .verdict = v,
		    .short_id = rq->parsed ? rq->short_id : NULL,
		    .key_id = rq->parsed ? rq->key_hex : NULL,
		    .producer = h->known ? h->entry.name : "",
		    .product = h->batch.in_batch ? h->product : "",
		    .batch_id = h->batch.in_batch ? h->batch_id : "",
		    .issued = h->batch.in_batch ? h->issued : 0,
		    .last_day = rq->parsed ? rq->last_day : 0,
		    .scans = s != NULL ? s->scans : 0,
		    .clients = s != NULL ? s->clients : 0,
		    .first_scan_ms = s != NULL ? s->first_scan_ms : 0,
		    .revoked = h->known && h->entry.revoked > 0 ? h->entry.revoked : 0,
		    .authority = authority,
		    .contact = rq->t->cfg.contact,
		};
		claim_scan_facts(rq, &p, s);
		char *html;
		size_t len;
		if (pages_scan(&p, (enum lang)rq->lang, &html, &len) != 0)
			return http_error(rq, 500, "internal", "out of memory");
		return http_html(rq, 200, html, len);
	}

	/* every buyer's scan builds this answer: the keys are constant ASCII, and so are the
	 * values temd writes itself (verdict name, dates, ids), so jansson is spared checking
	 * them as UTF-8 (the _nocheck calls); names and products from the trust list and the
	 * batches are checked as before */
	json_t *o = json_object();
	char iso[32];
	json_object_set_new_nocheck(o, "verdict", json_string_nocheck(verdict_name(v)));
	json_object_set_new_nocheck(o, "scans", json_integer(s != NULL ? s->scans : 0));
	json_object_set_new_nocheck(o, "clients", json_integer(s != NULL ? s->clients : 0));
	if (s != NULL) {
		date_format_iso((time_t)(s->first_scan_ms / 1000), iso);
		json_object_set_new_nocheck(o, "first_scan", json_string_nocheck(iso));
	} else {
		json_object_set_new_nocheck(o, "first_scan", json_null());
	}
	if (rq->parsed) {
		json_t *producer = json_object();
		json_object_set_new_nocheck(o, "short_id", json_string_nocheck(rq->short_id));
		json_object_set_new_nocheck(o, "serial", json_integer((json_int_t)rq->serial));
		if (rq->last_day > 0) {
			char d[11];
			date_format(rq->last_day, d);
			json_object_set_new_nocheck(o, "last_valid_day", json_string_nocheck(d));
		} else {
			json_object_set_new_nocheck(o, "last_valid_day", json_null());
		}
		json_object_set_new_nocheck(producer, "key_id", json_string_nocheck(rq->key_hex));
		if (h->known)
			json_object_set_new_nocheck(producer, "name", json_string(h->entry.name));
		json_object_set_new_nocheck(o, "producer", producer);
	}
	if (h->batch.in_batch) {
		json_object_set_new_nocheck(o, "batch", json_string(h->batch_id));
		json_object_set_new_nocheck(o, "product", json_string(h->product));
		date_format_iso((time_t)h->issued, iso);
		json_object_set_new_nocheck(o, "issued", json_string_nocheck(iso));
	}
	if (rq->reason[0] != '\0')
		json_object_set_new_nocheck(o, "reason", json_string(rq->reason));
	claim_scan_json(o, s);
	return http_json(rq, 200, o);
}

/* A counted scan, once the ledger has ended its job. */
static enum MHD_Result scan_done(struct request *rq)
{
	if (rq->job.status != LEDGER_OK)
		return http_error(rq, 503, "ledger-unavailable",
				  "the scan could not be recorded; try again in a moment");
	return answer(rq, rq->job.u.scan.verdict, &rq->job.u.scan);
}

/* Judges a code; answers at once, or hands a counted scan to the ledger. counted is 0 for a
 * request that is not a person's scan (a link preview, a prefetch, an <img>): it gets the
 * code's verdict before counting, and records nothing. */
static enum MHD_Result judge(struct request *rq, const char *text, size_t len, int counted)
{
	struct temd *t = rq->t;
	enum verdict base = request_code(rq, text, len);

	/* a forged code a person scanned: invalid means its key is in the trust list */
	if (counted && base == V_INVALID)
		burst_invalid(t->ledger, rq->key_hex, date_now_ms());
	if (!counted || !verdict_is_counted(base))
		return answer(rq, base, NULL);

	struct ledger_scan *s = &rq->job.u.scan;
	rq->job.kind = JOB_SCAN;
	memcpy(s->key_id, rq->key_hex, sizeof s->key_id);
	s->serial = rq->serial;
	s->at_ms = date_now_ms();
	s->facts = (struct verdict_facts){.base = base, .threshold = t->cfg.threshold};
	request_client(rq, s->client);
	memcpy(s->cookie, rq->cookie, sizeof s->cookie);
	s->has_cookie = 1;
	return http_wait_ledger(rq, scan_done);
}

enum MHD_Result route_page(struct request *rq, const char *code, size_t len)
{
	rq->as_page = 1;
	rq->lang = pages_lang(http_arg(rq, "lang"), http_header(rq, "Accept-Language"));
	if (rq->head) { /* checks that a link works: a 200 with no body, nothing judged */
		char *empty = strdup("");
		return http_html(rq, 200, empty, 0);
	}
	return judge(rq, code, len,
		     client_is_navigation(
			 "GET", http_header(rq, "Sec-Fetch-Dest"), http_header(rq, "Sec-Purpose"),
			 http_header(rq, "Purpose"), http_header(rq, "User-Agent")));
}

enum MHD_Result route_scans(struct request *rq, const char *rest)
{
	enum MHD_Result r;
	json_t *code, *doc = http_json_field(rq, "code", &code, &r);

	(void)rest;
	if (doc == NULL)
		return r;
	r = judge(rq, json_string_value(code), json_string_length(code), 1);
	json_decref(doc);
	return r;
}

enum MHD_Result route_home(struct request *rq, const char *rest)
{
	const char *code = http_arg(rq, "code");
	enum lang lang = pages_lang(http_arg(rq, "lang"), http_header(rq, "Accept-Language"));
	const char *msg = NULL;
	char *html;
	size_t len;

	(void)rest;
	rq->lang = (int)lang;
	if (code != NULL && code[0] != '\0') {
		struct tem_code c;
		struct tem_err err;
		size_t n = strlen(code);
		if (n <= CODE_INPUT_MAX && code_parse(code, n, &c, &err) == TEM_OK) {
			char text[CODE_TEXT_LEN + 1], loc[CODE_TEXT_LEN + 16];
			code_to_text(&c, text);
			snprintf(loc, sizeof loc, "/c/%s%s", text,
				 lang == LANG_EN ? "?lang=en" : "");
			return http_redirect(rq, loc);
		}
		msg = lang == LANG_EN ? "This is not a tem code: check what you typed."
				      : "Đây không phải mã tem: hãy kiểm tra lại mã đã nhập.";
	}
	if (pages_home(lang, msg, &html, &len) != 0)
		return http_error(rq, 500, "internal", "out of memory");
	return http_html(rq, 200, html, len);
}
