/* verdict.c — the counting rules: sold from a claim, seen and duplicate from the other clients of
 * a code. */
#include "server/verdict.h"

enum verdict verdict_decide(const struct verdict_facts *f)
{
	if (f->base != V_GENUINE)
		return f->base;
	if (f->claimed && !f->claimed_by_this)
		return V_SOLD;
	if (f->other_clients > f->threshold)
		return V_DUPLICATE;
	if (f->other_clients > 0)
		return V_SEEN;
	return V_GENUINE;
}

int verdict_is_counted(enum verdict base)
{
	return base == V_GENUINE || base == V_UNREGISTERED || base == V_EXPIRED ||
	       base == V_REVOKED || base == V_SEEN || base == V_DUPLICATE || base == V_SOLD;
}
