/* verdict.h — the rules that turn a parsed code, its producer's trust entry, what is known of
 * its registered batch and today's day into a verdict (shared/DESIGN.md, "Verdicts"). One
 * module for `tem verify`, `tem inspect` and temd, so that offline and online verdicts cannot
 * disagree. Pure: no I/O, no clock, no locks; the caller passes today. The counting verdicts
 * (`seen`, `duplicate`) are temd's, in server/verdict.c. */
#ifndef TEM_LABEL_VERDICT_H
#define TEM_LABEL_VERDICT_H

#include <stdint.h>

#include "keys/err.h"
#include "keys/trust.h"
#include "label/code.h"

enum verdict {
	V_GENUINE,      /* valid, registered (temd), in date, no other client has scanned it */
	V_SEEN,         /* temd: genuine, scanned before by 1..T other clients */
	V_DUPLICATE,    /* temd: scanned by more than T other clients: most likely a copy */
	V_SOLD,         /* temd: claimed at sale with its PIN, and this client is not the claimer */
	V_UNREGISTERED, /* temd: valid signature, not part of a registered batch as issued */
	V_EXPIRED,      /* valid signature, past its last valid day */
	V_REVOKED,      /* the key's revocation applies to this code */
	V_UNKNOWN_KEY,  /* no trusted key for this code today (not listed, or not yet valid) */
	V_INVALID,      /* the signature does not verify */
	V_MALFORMED,    /* not a tem code (code_parse refused it) */
	V_COUNT
};

/* A batch's last valid day temd does not know (a batch loaded from a ledger that did not give
 * it): the code's own last day is then not compared with it. */
#define VERDICT_DAY_UNKNOWN (-1)

/* What temd knows of the registered batch a code's serial falls in. */
struct verdict_batch {
	int in_batch;       /* 1 when the serial lies in a registered batch of the key */
	int32_t registered; /* the day (days since 1970-01-01) that batch was registered */
	int32_t last_day;   /* its header's `expires`, 0 = none, or VERDICT_DAY_UNKNOWN */
};

/* The verdict of a code that parsed (a code that does not parse is V_MALFORMED, its parse
 * error the reason). e is the trust entry of the code's key: from the trust list (NULL when
 * the key is not listed), or verdict_entry_of_key's for a single key given alone (a code of
 * another key is then V_UNKNOWN_KEY). b is what temd knows of registered batches, NULL
 * offline (`tem verify`, which knows no registration). today is days since 1970-01-01. The
 * rules, in order:
 *   unknown-key   e is NULL, is another key, or today is before e->valid_from;
 *   invalid       the signature does not verify with e's key;
 *   revoked       e->revoked is today or earlier, unless b says the serial is in a batch
 *                 registered before the revocation day (offline: always);
 *   unregistered  (b only) the serial is in no registered batch, or the code's last valid
 *                 day differs from its batch's (re-signed serials: not the batch as issued);
 *   expired       code_is_expired(c, today);
 *   genuine       otherwise (temd refines it by counting, server/verdict.h).
 * why gets one sentence saying why the code is not genuine, or "" when it is. */
enum verdict verdict_judge(const struct tem_code *c, const struct trust_entry *e,
			   const struct verdict_batch *b, int32_t today, struct tem_err *why);

/* Whether a producer key may register a batch today: V_GENUINE when it may, V_UNKNOWN_KEY
 * when e is NULL or today is before its valid-from day, V_REVOKED when its revocation day is
 * today or earlier; why says why not (or ""). */
enum verdict verdict_key(const struct trust_entry *e, int32_t today, struct tem_err *why);

/* Fills out with the trust entry of a single producer key given alone (`tem verify -p`):
 * trusted from 1970-01-01, never revoked, no name. */
void verdict_entry_of_key(const struct tem_pubkey *pk, struct trust_entry *out);

/* The verdict's name ("genuine", "unknown-key", ...), as the API and `tem verify` print it;
 * "malformed" for a value out of range. */
const char *verdict_name(enum verdict v);

#endif
