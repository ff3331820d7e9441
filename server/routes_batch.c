/* routes_batch.c — POST /api/v1/batches: a producer registers a batch by sending its signed
 * header. No password: the header's signature by a key trusted today (listed, past its
 * valid-from day, not revoked: label/verdict.h's verdict_key) is the credential.
 * Idempotent: the same header again is 200, a header whose serials overlap another batch of
 * the key is 409. A header with a claim line must come with the batch's claim key, which is
 * checked against the header's commitment and kept sealed (server/secrets.h).
 * GET /api/v1/producers/{keyid}/serial: the highest serial registered for a key, which
 * `tem issue --server` asks before it spends serials (a restored counter must not repeat
 * them). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "keys/date.h"
#include "label/batch.h"
#include "server/log.h"
#include "server/secrets.h"
#include "server/server.h"

static json_t *describe(const struct batch_header *h, const char *key_hex, int64_t registered_ms)
{
	char iso[32];

	date_format_iso((time_t)(registered_ms / 1000), iso);
	return json_pack("{s:s,s:s,s:I,s:I,s:s}", "key_id", key_hex, "batch", h->batch_id,
			 "first_serial", (json_int_t)h->first_serial, "count", (json_int_t)h->count,
			 "registered", iso);
}

/* The batch's claim key from the body's "claim_key" (base64), checked against the signed
 * header's commitment and sealed with the ledger's secret into sealed. 0 when the header has
 * no claim line and no key came (*has 0), or the key is the batch's (*has 1); -1 once the
 * 422 is queued in *r. The key passes only through sodium_malloc'd memory, wiped. */
static int claim_key_of(struct request *rq, const struct batch_header *h, const char *key_hex,
			json_t *doc, unsigned char sealed[SECRETS_SEALED_BYTES], int *has,
			enum MHD_Result *r)
{
	json_t *v = json_object_get(doc, "claim_key");
	unsigned char *k, commit[CLAIM_COMMIT_BYTES];
	size_t n = 0;
	int ok;

	*has = 0;
	if (!h->has_claim) {
		if (v == NULL)
			return 0;
		*r = http_error(rq, 422, "claim-key-unexpected",
				"the header has no claim line, so the batch takes no claim key");
		return -1;
	}
	if (!json_is_string(v)) {
		*r = http_error(rq, 422, "claim-key-missing",
				"the header has a claim line: send the batch's claim key "
				"(BATCH.claim) as \"claim_key\"");
		return -1;
	}
	if ((k = sodium_malloc(CLAIM_KEY_BYTES)) == NULL) {
		*r = http_error(rq, 500, "internal", "out of memory");
		return -1;
	}
	ok = json_string_length(v) == CLAIM_B64_LEN &&
	     sodium_base642bin(k, CLAIM_KEY_BYTES, json_string_value(v), json_string_length(v),
			       NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
	     n == CLAIM_KEY_BYTES;
	if (ok) {
		claim_commit(k, commit);
		ok = sodium_memcmp(commit, h->claim, CLAIM_COMMIT_BYTES) == 0;
	}
	if (ok)
		secrets_seal(rq->t->secret, k, key_hex, h->first_serial, sealed);
	sodium_free(k);
	if (!ok) {
		*r = http_error(rq, 422, "claim-key-mismatch",
				"the claim key is not the one this batch's header commits to");
		return -1;
	}
	*has = 1;
	return 0;
}

enum MHD_Result route_batches(struct request *rq, const char *rest)
{
	struct temd *t = rq->t;
	struct batch_header *h;
	struct trust_entry e;
	struct tem_err err;
	json_t *doc, *text, *o;
	char key_hex[KEYS_ID_HEX_LEN + 1];
	enum MHD_Result r;

	(void)rest;
	doc = http_json_field(rq, "header", &text, &r);
	if (doc == NULL)
		return r;
	if ((h = malloc(sizeof *h)) == NULL) {
		json_decref(doc);
		return http_error(rq, 500, "internal", "out of memory");
	}
	/* the header as in the batch file ends with a blank line; accept it without */
	size_t tlen = json_string_length(text);
	const char *tv = json_string_value(text);
	char *full = malloc(tlen + 3);
	if (full == NULL) {
		r = http_error(rq, 500, "internal", "out of memory");
		goto out;
	}
	memcpy(full, tv, tlen);
	while (tlen > 0 && full[tlen - 1] == '\n')
		tlen--;
	memcpy(full + tlen, "\n\n", 3);
	int prc = batch_header_parse(full, tlen + 2, h, &err);
	free(full);
	if (prc != TEM_OK) {
		r = http_error(rq, 400, "invalid-header", "%s", err.msg);
		goto out;
	}
	keys_id_hex(h->key_id, key_hex);
	if (!registry_key(t->reg, h->key_id, &e)) {
		r = http_error(rq, 403, "unknown-key",
			       "key %s is not in the trust list: ask the authority to add it",
			       key_hex);
		goto out;
	}
	/* the same rules as a scan's: a key not yet valid, or revoked, registers nothing */
	enum verdict kv = verdict_key(&e, date_today(), &err);
	if (kv != V_GENUINE) {
		r = http_error(rq, 403, verdict_name(kv), "key %s: %s", key_hex, err.msg);
		goto out;
	}
	if (batch_header_verify(h, &e.key, &err) != TEM_OK) {
		r = http_error(rq, 422, "invalid-signature", "%s", err.msg);
		goto out;
	}
	if (h->first_serial > (uint64_t)INT64_MAX - h->count) {
		r = http_error(rq, 422, "invalid-header", "serials past 2^63 are not supported");
		goto out;
	}

	unsigned char sealed[SECRETS_SEALED_BYTES];
	int has_claim;
	if (claim_key_of(rq, h, key_hex, doc, sealed, &has_claim, &r) != 0)
		goto out;

	struct ledger_job job;
	struct registry_batch rb;
	char *raw = strndup(h->raw, h->raw_len);
	memset(&job, 0, sizeof job);
	job.kind = JOB_BATCH;
	struct ledger_batch *b = &job.u.batch;
	memcpy(b->key_id, key_hex, sizeof b->key_id);
	b->first = h->first_serial;
	b->last = h->first_serial + h->count - 1;
	b->batch_id = h->batch_id;
	b->product = h->product;
	b->producer = h->producer;
	b->url = h->url;
	b->issued = (int64_t)h->issued;
	b->last_day = h->last_day;
	b->header = raw;
	b->at_ms = (int64_t)time(NULL) * 1000;
	b->claim_key = has_claim ? sealed : NULL;
	b->claim_key_len = has_claim ? sizeof sealed : 0;
	if (raw == NULL) {
		r = http_error(rq, 500, "internal", "out of memory");
		goto out;
	}
	switch (ledger_run(t->ledger, &job)) {
	case LEDGER_OK:
		rb = (struct registry_batch){b->first,    b->last,    b->registered_ms, b->issued,
					     h->batch_id, h->product, h->last_day,      has_claim};
		if (registry_add_batch(t->reg, h->key_id, &rb) != 0) {
			r = http_error(rq, 500, "internal", "out of memory");
			break;
		}
		log_msg(LOG_LV_INFO, "batch %s of %s registered (serials %llu-%llu)", h->batch_id,
			key_hex, (unsigned long long)b->first, (unsigned long long)b->last);
		o = describe(h, key_hex, b->registered_ms);
		json_object_set_new(o, "status", json_string("registered"));
		r = http_json(rq, 201, o);
		break;
	case LEDGER_EXISTS:
		o = describe(h, key_hex, b->registered_ms);
		json_object_set_new(o, "status", json_string("already-registered"));
		r = http_json(rq, 200, o);
		break;
	case LEDGER_OVERLAP:
		r = http_error(rq, 409, "overlap",
			       "serials %llu-%llu of key %s overlap a batch already registered",
			       (unsigned long long)b->first, (unsigned long long)b->last, key_hex);
		break;
	default:
		r = http_error(rq, 503, "ledger-unavailable",
			       "the batch could not be recorded; try again in a moment");
		break;
	}
	free(raw);
out:
	free(h);
	json_decref(doc);
	return r;
}

enum MHD_Result route_producer_serial(struct request *rq, const char *rest)
{
	unsigned char id[KEYS_ID_BYTES];
	char hex[KEYS_ID_HEX_LEN + 1];
	uint64_t last;
	size_t n = strlen(rest);
	json_t *o;

	if (n != KEYS_ID_HEX_LEN + 7 || strcmp(rest + KEYS_ID_HEX_LEN, "/serial") != 0 ||
	    keys_id_parse(rest, KEYS_ID_HEX_LEN, id, NULL) != TEM_OK)
		return http_error(rq, 404, "not-found",
				  "no such resource: GET /api/v1/producers/KEYID/serial, KEYID "
				  "16 hex digits");
	keys_id_hex(id, hex);
	registry_max_serial(rq->t->reg, id, &last);
	o = json_pack("{s:s,s:I}", "key_id", hex, "last_serial", (json_int_t)last);
	if (o == NULL)
		return http_error(rq, 500, "internal", "out of memory");
	return http_json(rq, 200, o);
}
