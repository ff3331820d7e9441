/* alert.h — the typed alerts regulators work through (docs/api.md, "Alerts"): their types, the
 * workflow's statuses and the reasons an alert is closed for, with the names the ledger stores
 * and the API speaks. Pure: no I/O. */
#ifndef TEM_ALERT_H
#define TEM_ALERT_H

enum alert_type {
	ALERT_DUPLICATE,      /* a code scanned from more networks than the duplicate rule allows:
			       * its label was most likely copied */
	ALERT_SOLD_SCANNED,   /* a claimed code scanned by a client other than its claimer */
	ALERT_UNREGISTERED,   /* a valid signature on a serial outside every registered batch:
			       * a stolen key, or a batch its producer never registered */
	ALERT_REVOKED_KEY,    /* a code of a revoked key, scanned */
	ALERT_INVALID_BURST,  /* many codes naming one producer key whose signatures fail: forgery
			       * attempts (an alert on the key: serial 0) */
	ALERT_CLAIM_GUESSING, /* wrong claim PINs on one code, up to its daily limit */
	ALERT_TYPES
};

enum alert_status {
	ALERT_OPEN,          /* raised, nobody has looked yet */
	ALERT_INVESTIGATING, /* someone is on it */
	ALERT_CLOSED,        /* done, with a reason */
	ALERT_STATUSES
};

enum alert_reason {
	ALERT_REASON_NONE,        /* not closed */
	ALERT_REASON_BUYER,       /* buyer error: the same buyer on several networks, a shop
				   * scanning its stock, ... */
	ALERT_REASON_TECHNICAL,   /* technical error: a misprint, a test, a system fault */
	ALERT_REASON_COUNTERFEIT, /* confirmed counterfeit */
	ALERT_REASON_OTHER,       /* anything else: the note says what */
	ALERT_REASONS
};

/* The stored and spoken name of each value ("duplicate", "sold-then-scanned", ...; "open",
 * "investigating", "closed"; "", "buyer-error", "technical-error", "confirmed-counterfeit",
 * "other"). Static strings; "?" for a value out of range. */
const char *alert_type_name(enum alert_type t);
const char *alert_status_name(enum alert_status s);
const char *alert_reason_name(enum alert_reason r);

/* Reads a name back (exact, case-sensitive). 0 with *out set, or -1 when s names no value
 * (reasons: "" is not a name to parse). */
int alert_type_parse(const char *s, enum alert_type *out);
int alert_status_parse(const char *s, enum alert_status *out);
int alert_reason_parse(const char *s, enum alert_reason *out);

/* Whether an alert job (server/ledger_jobs.h, struct ledger_alert) is one the ledger takes:
 * type a type, key_id 16 upper-case hex digits (as every key id the ledger keeps), at least
 * one event. 1 or 0; the same rule for every ledger engine. */
int alert_job_valid(int type, const char *key_id, long long events);

#endif
