/* routes_claim.c — claims at sale (docs/security.md, "Claim PINs"): POST /api/v1/claims (JSON),
 * the "I bought this product" form of a code's page (POST /c/{code}), and the typed fallback
 * of the home page (POST /: the short id under the QR and the PIN). The PIN is checked by the
 * ledger's writer, after the rate limits, against the batch's claim key, unsealed here with
 * the ledger's secret file; the key lives only in sodium_malloc'd memory, wiped after use. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "keys/date.h"
#include "keys/text.h"
#include "label/claim.h"
#include "label/code.h"
#include "server/client.h"
#include "server/log.h"
#include "server/pages.h"
#include "server/secrets.h"
#include "server/server.h"

/* How an attempt began. */
enum attempt {
	A_READY,   /* rq->job holds the attempt: hand it to the ledger */
	A_NO_PINS, /* the code's batch has no claim PINs (or the serial lies in no batch) */
	A_FAILED   /* the ledger could not be read, or the sealed key did not open */
};

/* Checks pin against serial's claim key, unsealed from info with the secret file into
 * sodium_malloc'd memory and wiped at once. 1 right, 0 wrong, -1 the key did not open. */
static int pin_right(struct request *rq, const struct ledger_claim_info *info, const char *pin)
{
	unsigned char *k = sodium_malloc(CLAIM_KEY_BYTES);
	int right = -1;

	if (k == NULL)
		return -1;
	if (secrets_open(rq->t->secret, info->sealed, info->sealed_len, rq->key_hex, info->first,
			 k) == TEM_OK)
		right = claim_pin_check(k, rq->serial, pin, strlen(pin));
	else
		log_msg(
		    LOG_LV_ERROR,
		    "the claim key of batch %s-%llu does not open with the secret file: was the "
		    "ledger moved without its .secret file?",
		    rq->key_hex, (unsigned long long)info->first);
	sodium_free(k);
	return right;
}

/* Prepares a claim attempt with pin of the code in rq (check_only: claim nothing) as rq->job,
 * for the ledger's writer, which applies the rate limits, then the PIN's result, then the
 * claim. The PIN is checked here, so no key reaches the writer; the writer never uses the
 * result of a limited attempt. */
static enum attempt attempt(struct request *rq, const char *pin, int check_only)
{
	struct ledger_claim *c = &rq->job.u.claim;
	struct ledger_claim_info info;
	struct tem_err err;
	int right;

	if (ledger_claim_info(rq->t->ledger, rq->key_hex, rq->serial, &info, &err) != TEM_OK) {
		log_msg(LOG_LV_ERROR, "%s", err.msg);
		return A_FAILED;
	}
	if (!info.in_batch || !info.has_pins)
		return A_NO_PINS;
	if ((right = pin_right(rq, &info, pin)) < 0)
		return A_FAILED;
	memset(&rq->job, 0, sizeof rq->job);
	rq->job.kind = JOB_CLAIM;
	memcpy(c->key_id, rq->key_hex, sizeof c->key_id);
	c->serial = rq->serial;
	request_client(rq, c->net);
	memcpy(c->cookie, rq->cookie, sizeof c->cookie);
	c->has_cookie = 1;
	c->at_ms = date_now_ms();
	c->code_limit = TEMD_CLAIM_CODE_LIMIT;
	c->net_limit = TEMD_CLAIM_NET_LIMIT;
	c->check_only = check_only;
	c->pin_right = right;
	return A_READY;
}

/* The claim's time as ISO 8601 UTC. */
static void iso_of(int64_t ms, char out[21])
{
	date_format_iso((time_t)(ms / 1000), out);
}

/* The 503 of an attempt the ledger could not decide (rq->job.status not LEDGER_OK). */
static enum MHD_Result undecided(struct request *rq)
{
	return http_error(rq, 503, "ledger-unavailable",
			  "the claim could not be checked or recorded; try again in a moment");
}

/* POST /api/v1/claims, once the ledger decided. */
static enum MHD_Result claims_done(struct request *rq)
{
	const struct ledger_claim *c = &rq->job.u.claim;
	char iso[21];

	if (rq->job.status != LEDGER_OK)
		return undecided(rq);
	iso_of(c->claimed_ms, iso);
	switch (c->result) {
	case CLAIM_LIMITED:
		rq->retry_after = (unsigned)c->retry_after;
		return http_error(rq, 429, "too-many-attempts",
				  "too many wrong PINs for this code or from this network; try "
				  "again in %lld seconds",
				  (long long)c->retry_after);
	case CLAIM_WRONG_PIN:
		return http_error(rq, 403, "wrong-pin", "the PIN is not the one of %s",
				  rq->short_id);
	case CLAIM_TAKEN:
		return http_error(rq, 409, "already-claimed",
				  "%s was claimed on %s by another buyer", rq->short_id, iso);
	case CLAIM_NEW:
	case CLAIM_YOURS:
	case CLAIM_OPEN:
		break;
	}
	return http_json(rq, c->result == CLAIM_NEW ? 201 : 200,
			 json_pack("{s:b,s:s,s:s,s:b}", "claimed", 1, "at", iso, "short_id",
				   rq->short_id, "already", c->result != CLAIM_NEW));
}

enum MHD_Result route_claims(struct request *rq, const char *rest)
{
	enum MHD_Result r;
	json_t *code, *pin, *doc = http_json_field(rq, "code", &code, &r);
	enum verdict base;

	(void)rest;
	if (doc == NULL)
		return r;
	pin = json_object_get(doc, "pin");
	if (!json_is_string(pin) || json_string_length(pin) > 64) {
		r = http_error(rq, 422, "missing-pin",
			       "the body must have a string \"pin\" (the 10 digits under the "
			       "label's scratch-off panel)");
		goto out;
	}
	base = request_code(rq, json_string_value(code), json_string_length(code));
	if (base != V_GENUINE) {
		r = http_error(rq, 422, verdict_name(base),
			       "this code cannot be claimed: it is %s%s%s", verdict_name(base),
			       rq->reason[0] != '\0' ? ": " : "", rq->reason);
		goto out;
	}
	switch (attempt(rq, json_string_value(pin), 0)) {
	case A_NO_PINS:
		r = http_error(rq, 422, "no-claim-pin", "the batch of %s has no claim PINs",
			       rq->short_id);
		break;
	case A_FAILED:
		r = undecided(rq);
		break;
	case A_READY:
		r = http_wait_ledger(rq, claims_done);
		break;
	}
out:
	json_decref(doc);
	return r;
}

/* The notice, HTTP status and page facts of a claim attempt's result. */
static unsigned claim_outcome(struct request *rq, struct page_scan *p, enum lang lang)
{
	const struct ledger_claim *c = &rq->job.u.claim;
	enum page_claim n = PAGE_CLAIM_WRONG;
	unsigned status = 200;

	p->claimable = 1;
	p->claimed_ms = c->claimed_ms;
	p->claimed_yours = c->claimed_ms > 0 && c->yours;
	switch (c->result) {
	case CLAIM_LIMITED:
		n = PAGE_CLAIM_LIMIT;
		status = 429;
		rq->retry_after = (unsigned)c->retry_after;
		break;
	case CLAIM_WRONG_PIN:
		n = PAGE_CLAIM_WRONG;
		status = 403;
		break;
	case CLAIM_NEW:
		n = PAGE_CLAIMED;
		status = 201;
		break;
	case CLAIM_YOURS:
		n = PAGE_CLAIM_YOURS;
		break;
	case CLAIM_TAKEN:
		n = PAGE_CLAIM_TAKEN;
		status = 409;
		break;
	case CLAIM_OPEN:
		n = PAGE_CLAIM_REAL;
		break;
	}
	if (p->claimed_ms > 0 && !p->claimed_yours && p->verdict == V_GENUINE)
		p->verdict = V_SOLD;
	p->notice = pages_claim_notice(n, lang);
	p->notice_bad = status >= 400;
	return status;
}

/* Renders p as the answer with status. */
static enum MHD_Result render(struct request *rq, unsigned status, const struct page_scan *p)
{
	char *html;
	size_t len;

	metrics_verdict(p->verdict);
	if (pages_scan(p, (enum lang)rq->lang, &html, &len) != 0)
		return http_error(rq, 500, "internal", "out of memory");
	return http_html(rq, status, html, len);
}

/* The page's facts of the code or serial in rq (no counts: a claim counts no scan). */
static void page_facts(struct request *rq, struct page_scan *p, enum verdict v,
		       const char *authority)
{
	const struct registry_hit *h = &rq->hit;

	memset(p, 0, sizeof *p);
	p->verdict = v;
	p->short_id = rq->short_id[0] != '\0' ? rq->short_id : NULL;
	p->key_id = rq->key_hex[0] != '\0' ? rq->key_hex : NULL;
	p->producer = h->known ? h->entry.name : "";
	p->product = h->batch.in_batch ? h->product : "";
	p->batch_id = h->batch.in_batch ? h->batch_id : "";
	p->issued = h->batch.in_batch ? h->issued : 0;
	p->last_day = rq->last_day;
	p->revoked = h->known && h->entry.revoked > 0 ? h->entry.revoked : 0;
	p->authority = authority;
	p->contact = rq->t->cfg.contact;
}

/* The language of a form post: ?lang=, the form's lang field, then Accept-Language. */
static enum lang form_lang(struct request *rq)
{
	char l[8];
	const char *q = http_arg(rq, "lang");

	if (q == NULL && http_form_field(rq, "lang", l, sizeof l))
		q = l;
	return pages_lang(q, http_header(rq, "Accept-Language"));
}

/* The code page's claim form (POST /c/{code}), once the ledger decided; the code was genuine. */
static enum MHD_Result claim_form_done(struct request *rq)
{
	char authority[TRUST_NAME_MAX + 1];
	struct page_scan p;
	unsigned status;

	if (rq->job.status != LEDGER_OK)
		return undecided(rq);
	registry_authority(rq->t->reg, authority, sizeof authority);
	page_facts(rq, &p, V_GENUINE, authority);
	status = claim_outcome(rq, &p, (enum lang)rq->lang);
	return render(rq, status, &p);
}

enum MHD_Result route_claim_form(struct request *rq, const char *code, size_t len)
{
	char authority[TRUST_NAME_MAX + 1], pin[CLAIM_PIN_TEXT_MAX * 4];
	struct page_scan p;
	enum verdict base;

	rq->lang = (int)form_lang(rq);
	rq->as_page = 1;
	registry_authority(rq->t->reg, authority, sizeof authority);
	base = request_code(rq, code, len);
	page_facts(rq, &p, base, authority);
	if (base != V_GENUINE)
		return render(rq, 422, &p);
	if (!http_form_field(rq, "pin", pin, sizeof pin)) {
		p.notice = pages_claim_notice(PAGE_CLAIM_WRONG, (enum lang)rq->lang);
		p.notice_bad = 1;
		p.claimable = 1;
		return render(rq, 400, &p);
	}
	switch (attempt(rq, pin, 0)) {
	case A_NO_PINS:
		p.notice = pages_claim_notice(PAGE_CLAIM_NO_PINS, (enum lang)rq->lang);
		p.notice_bad = 1;
		return render(rq, 422, &p);
	case A_FAILED:
		return undecided(rq);
	case A_READY:
		break;
	}
	return http_wait_ledger(rq, claim_form_done);
}

/* Parses a short id "KEYID-SERIAL" (16 hex digits, a dash, a decimal serial; surrounding
 * spaces and lower case allowed) into rq's key and serial fields and looks it up. 1 when it
 * names a serial in a registered batch of a listed key. */
static int short_id_lookup(struct request *rq, const char *s)
{
	unsigned char id[KEYS_ID_BYTES];
	struct tem_err err;
	char digits[24];
	uint64_t serial;
	size_t n;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n < 18 || n > 17 + 20 || s[16] != '-' || keys_id_parse(s, 16, id, &err) != TEM_OK)
		return 0;
	memcpy(digits, s + 17, n - 17);
	digits[n - 17] = '\0';
	if (text_parse_u64(digits, 0, (uint64_t)INT64_MAX, &serial) != TEM_OK)
		return 0;
	rq->serial = serial;
	keys_id_hex(id, rq->key_hex);
	snprintf(rq->short_id, sizeof rq->short_id, "%s-%llu", rq->key_hex,
		 (unsigned long long)serial);
	registry_lookup(rq->t->reg, id, serial, &rq->hit);
	if (!rq->hit.known || !rq->hit.batch.in_batch)
		return 0;
	rq->last_day = rq->hit.batch.last_day > 0 ? rq->hit.batch.last_day : 0;
	return 1;
}

/* The home page again with a message (escaped), answered with status. */
static enum MHD_Result home_again(struct request *rq, unsigned status, const char *msg)
{
	char *html;
	size_t len;

	if (pages_home((enum lang)rq->lang, msg, &html, &len) != 0)
		return http_error(rq, 500, "internal", "out of memory");
	return http_html(rq, status, html, len);
}

/* The home page's typed fallback (POST /), once the ledger decided. */
static enum MHD_Result home_form_done(struct request *rq)
{
	const struct ledger_claim *c = &rq->job.u.claim;
	char authority[TRUST_NAME_MAX + 1];
	enum lang lang = (enum lang)rq->lang;
	struct page_scan p;
	unsigned status;

	if (rq->job.status != LEDGER_OK)
		return undecided(rq);
	if (c->result == CLAIM_WRONG_PIN)
		return home_again(rq, 403, pages_claim_notice(PAGE_CLAIM_WRONG, lang));
	if (c->result == CLAIM_LIMITED) {
		rq->retry_after = (unsigned)c->retry_after;
		return home_again(rq, 429, pages_claim_notice(PAGE_CLAIM_LIMIT, lang));
	}
	/* a right PIN: the label is real (PINs cannot be guessed offline) */
	registry_authority(rq->t->reg, authority, sizeof authority);
	page_facts(rq, &p, V_GENUINE, authority);
	p.form_id = rq->short_id;
	status = claim_outcome(rq, &p, lang);
	if (c->check_only && c->result == CLAIM_TAKEN)
		p.notice = NULL; /* only looked: the page says sold */
	return render(rq, status, &p);
}

enum MHD_Result route_home_form(struct request *rq, const char *rest)
{
	char id[64], pin[CLAIM_PIN_TEXT_MAX * 4], claim[4];
	enum lang lang = form_lang(rq);
	int en = lang == LANG_EN, want_claim;

	(void)rest;
	rq->lang = (int)lang;
	rq->as_page = 1;
	if (!http_form_field(rq, "id", id, sizeof id) ||
	    !http_form_field(rq, "pin", pin, sizeof pin) || pin[0] == '\0')
		return home_again(rq, 400,
				  en ? "Type the label number and the PIN."
				     : "Hãy nhập số tem và mã mua hàng.");
	want_claim = http_form_field(rq, "claim", claim, sizeof claim) && strcmp(claim, "1") == 0;
	if (!short_id_lookup(rq, id))
		return home_again(rq, 422,
				  en ? "This label number is not one of a declared batch: check "
				       "what you typed."
				     : "Số tem này không thuộc lô hàng nào đã khai báo: hãy kiểm "
				       "tra lại.");
	switch (attempt(rq, pin, !want_claim)) {
	case A_NO_PINS:
		return home_again(rq, 422, pages_claim_notice(PAGE_CLAIM_NO_PINS, lang));
	case A_FAILED:
		return undecided(rq);
	case A_READY:
		break;
	}
	return http_wait_ledger(rq, home_form_done);
}

void claim_scan_facts(struct request *rq, struct page_scan *p, const struct ledger_scan *s)
{
	if (s == NULL || !rq->parsed)
		return;
	p->claimed_ms = s->claimed_ms;
	p->claimed_yours = s->claimed_ms > 0 && s->facts.claimed_by_this;
	p->claimable =
	    s->claimed_ms == 0 &&
	    (p->verdict == V_GENUINE || p->verdict == V_SEEN || p->verdict == V_DUPLICATE) &&
	    rq->hit.batch.in_batch && rq->hit.has_pins;
}

void claim_scan_json(json_t *o, const struct ledger_scan *s)
{
	char iso[21];

	if (s == NULL || s->claimed_ms <= 0)
		return;
	iso_of(s->claimed_ms, iso);
	json_object_set_new(o, "claimed",
			    json_pack("{s:s,s:b}", "at", iso, "yours", s->facts.claimed_by_this));
}
