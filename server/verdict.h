/* verdict.h — what temd tells a buyer about a scanned code (shared/DESIGN.md, "Verdicts").
 * Pure logic: no I/O, no clock, no locks. The caller gathers the facts (parsing, signature,
 * trust list, registered batches, the ledger's counts) and this module decides. */
#ifndef TEM_VERDICT_H
#define TEM_VERDICT_H

#include <stdint.h>

enum verdict {
	V_GENUINE,      /* valid, registered, no other client has scanned it */
	V_SEEN,         /* genuine, scanned before by 1..T other clients */
	V_DUPLICATE,    /* scanned by more than T other clients: most likely a copied label */
	V_UNREGISTERED, /* valid signature, serial in no registered batch */
	V_EXPIRED,      /* valid signature, past its last valid day */
	V_REVOKED,      /* key revoked before the batch was registered */
	V_UNKNOWN_KEY,  /* no such producer key in the trust list */
	V_INVALID,      /* the signature does not verify */
	V_MALFORMED,    /* not a tem code */
	V_COUNT
};

/* What is known of a code before the ledger counts it. */
enum verdict_stage {
	STAGE_MALFORMED,   /* code_parse failed */
	STAGE_UNKNOWN_KEY, /* parsed; key id not in the trust list */
	STAGE_INVALID,     /* parsed, key known; signature does not verify */
	STAGE_VALID        /* signature verifies with a trusted key */
};

struct verdict_facts {
	enum verdict_stage stage;
	int32_t today;         /* days since 1970-01-01 */
	int32_t last_day;      /* the code's last valid day, 0 = none */
	int32_t revoked;       /* the key's revocation day, -1 when active */
	int in_batch;          /* 1 when the serial lies in a registered batch */
	int32_t registered;    /* day that batch was registered (when in_batch) */
	int64_t other_clients; /* distinct clients other than this one that scanned the code */
	int threshold;         /* T: more other clients than this is a duplicate */
};

/* The verdict for a code before counting: V_GENUINE stands for "valid, registered, in date",
 * to be refined by verdict_decide once the ledger has counted the scan. */
enum verdict verdict_base(const struct verdict_facts *f);

/* The final verdict, counts included. */
enum verdict verdict_decide(const struct verdict_facts *f);

/* 1 when a scan with this base verdict is recorded and counted in the ledger: only codes whose
 * signature verifies with a trusted key, so that forged codes cannot inflate a real code's
 * counts. */
int verdict_is_counted(enum verdict base);

/* The verdict's name in the API ("genuine", "unknown-key", ...). */
const char *verdict_name(enum verdict v);

#endif
