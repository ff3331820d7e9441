/* verdict.c — the verdict rules of shared/DESIGN.md in one place. */
#include "server/verdict.h"

static const char *const names[V_COUNT] = {
    [V_GENUINE] = "genuine",           [V_SEEN] = "seen",       [V_DUPLICATE] = "duplicate",
    [V_UNREGISTERED] = "unregistered", [V_EXPIRED] = "expired", [V_REVOKED] = "revoked",
    [V_UNKNOWN_KEY] = "unknown-key",   [V_INVALID] = "invalid", [V_MALFORMED] = "malformed",
};

enum verdict verdict_base(const struct verdict_facts *f)
{
	switch (f->stage) {
	case STAGE_MALFORMED:
		return V_MALFORMED;
	case STAGE_UNKNOWN_KEY:
		return V_UNKNOWN_KEY;
	case STAGE_INVALID:
		return V_INVALID;
	case STAGE_VALID:
		break;
	}
	/* a revoked key keeps the batches registered before its revocation genuine */
	if (f->revoked >= 0 && (!f->in_batch || f->registered >= f->revoked))
		return V_REVOKED;
	if (!f->in_batch)
		return V_UNREGISTERED;
	if (f->last_day != 0 && f->today > f->last_day)
		return V_EXPIRED;
	return V_GENUINE;
}

enum verdict verdict_decide(const struct verdict_facts *f)
{
	enum verdict v = verdict_base(f);

	if (v != V_GENUINE)
		return v;
	if (f->other_clients > f->threshold)
		return V_DUPLICATE;
	if (f->other_clients > 0)
		return V_SEEN;
	return V_GENUINE;
}

int verdict_is_counted(enum verdict base)
{
	return base == V_GENUINE || base == V_UNREGISTERED || base == V_EXPIRED ||
	       base == V_REVOKED || base == V_SEEN || base == V_DUPLICATE;
}

const char *verdict_name(enum verdict v)
{
	return v >= 0 && v < V_COUNT ? names[v] : "malformed";
}
