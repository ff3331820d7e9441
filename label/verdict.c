/* verdict.c — the offline verdict rules of shared/DESIGN.md in one place, for tem and temd
 * alike. Every expiry and trust-day decision goes through here, so a change of calendar (the
 * day in Vietnam time rather than UTC) is a change of this file alone. */
#include "label/verdict.h"

#include <string.h>

#include "keys/date.h"

static const char *const names[V_COUNT] = {
    [V_GENUINE] = "genuine",           [V_SEEN] = "seen",
    [V_DUPLICATE] = "duplicate",       [V_SOLD] = "sold",
    [V_UNREGISTERED] = "unregistered", [V_EXPIRED] = "expired",
    [V_REVOKED] = "revoked",           [V_UNKNOWN_KEY] = "unknown-key",
    [V_INVALID] = "invalid",           [V_MALFORMED] = "malformed",
};

const char *verdict_name(enum verdict v)
{
	return v >= 0 && v < V_COUNT ? names[v] : "malformed";
}

/* Clears why (a genuine code has no reason) and returns V_GENUINE. */
static enum verdict genuine(struct tem_err *why)
{
	if (why != NULL)
		why->msg[0] = '\0';
	return V_GENUINE;
}

/* V_GENUINE when e is trusted today (listed and past its valid-from day), else V_UNKNOWN_KEY.
 * A key before its valid-from day is treated as a key not in the list: the authority has not
 * vouched for anything it signed yet. */
static enum verdict trusted_today(const struct trust_entry *e, int32_t today, struct tem_err *why)
{
	char d[11];

	if (e == NULL) {
		err_set(why, "the producer's key is not in the trust list");
		return V_UNKNOWN_KEY;
	}
	if (today < e->valid_from) {
		date_format(e->valid_from, d);
		err_set(why, "the producer's key is trusted only from %s", d);
		return V_UNKNOWN_KEY;
	}
	return V_GENUINE;
}

/* 1 when e's revocation has taken effect by today: a revocation dated later changes nothing
 * yet, so tem and temd agree until its day. */
static int revoked_by(const struct trust_entry *e, int32_t today)
{
	return e->revoked >= 0 && e->revoked <= today;
}

static enum verdict revoked(const struct trust_entry *e, struct tem_err *why)
{
	char d[11];

	date_format(e->revoked, d);
	err_set(why, "the producer's key was revoked on %s", d);
	return V_REVOKED;
}

enum verdict verdict_key(const struct trust_entry *e, int32_t today, struct tem_err *why)
{
	enum verdict v = trusted_today(e, today, why);

	if (v != V_GENUINE)
		return v;
	if (revoked_by(e, today))
		return revoked(e, why);
	return genuine(why);
}

/* The registration rules (temd only): the serial must lie in a registered batch, and the code
 * must carry that batch's last valid day. */
static enum verdict registered(const struct tem_code *c, const struct verdict_batch *b,
			       struct tem_err *why)
{
	char d[11], want[11];

	if (!b->in_batch) {
		err_set(why, "valid signature, but the serial is in no registered batch");
		return V_UNREGISTERED;
	}
	if (b->last_day != VERDICT_DAY_UNKNOWN && b->last_day != (int32_t)c->last_day) {
		if (c->last_day != 0)
			date_format(c->last_day, d);
		else
			strcpy(d, "none");
		if (b->last_day != 0)
			date_format(b->last_day, want);
		else
			strcpy(want, "none");
		err_set(why,
			"valid signature, but its last valid day %s is not its registered batch's "
			"(%s): not part of that batch as issued",
			d, want);
		return V_UNREGISTERED;
	}
	return V_GENUINE;
}

enum verdict verdict_judge(const struct tem_code *c, const struct trust_entry *e,
			   const struct verdict_batch *b, int32_t today, struct tem_err *why)
{
	char d[11], got[KEYS_ID_HEX_LEN + 1], want[KEYS_ID_HEX_LEN + 1];
	enum verdict v;

	if (e != NULL && memcmp(e->key.id, c->key_id, KEYS_ID_BYTES) != 0) {
		keys_id_hex(c->key_id, got);
		keys_id_hex(e->key.id, want);
		err_set(why, "signed by key %s, not by the key given (%s)", got, want);
		return V_UNKNOWN_KEY;
	}
	if ((v = trusted_today(e, today, why)) != V_GENUINE)
		return v;
	if (code_verify(c, &e->key, why) != TEM_OK)
		return V_INVALID;
	if (revoked_by(e, today) && (b == NULL || !b->in_batch || b->registered >= e->revoked))
		return revoked(e, why);
	if (b != NULL && (v = registered(c, b, why)) != V_GENUINE)
		return v;
	if (code_is_expired(c, today)) {
		date_format(c->last_day, d);
		err_set(why, "past its last valid day, %s", d);
		return V_EXPIRED;
	}
	return genuine(why);
}

void verdict_entry_of_key(const struct tem_pubkey *pk, struct trust_entry *out)
{
	memset(out, 0, sizeof *out);
	out->key = *pk;
	out->valid_from = 0;
	out->revoked = -1;
}
