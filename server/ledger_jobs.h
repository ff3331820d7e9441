/* ledger_jobs.h — what the ledger interface (server/ledger.h) passes: the writer's jobs with
 * their inputs and outcomes, and the rows it reads back. Types only, no function and no engine:
 * both the callers and the engines (server/ledger_backend.h) include it. */
#ifndef TEM_LEDGER_JOBS_H
#define TEM_LEDGER_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "server/verdict.h"

#define LEDGER_CLIENT_BYTES 16
#define LEDGER_SALT_BYTES   32
#define LEDGER_COOKIE_BYTES 16 /* a tem_client cookie's random id (server/client.h) */
/* A cookie links at most this many networks of one code (docs/verdicts.md); a cookie seen on
 * more of the code's networks links none of them. */
#define LEDGER_COOKIE_LINKS 3
/* Cookie ids kept per network and code; later ones are counted on the network's row without a
 * cookie, so a machine that drops its cookies cannot grow a code's rows without bound. */
#define LEDGER_COOKIES_PER_NET 8

enum ledger_job_kind {
	JOB_SCAN,
	JOB_BATCH,
	JOB_PRODUCER,
	JOB_CLAIM,
	JOB_ALERT,       /* raise or count an alert the HTTP side saw (invalid-burst) */
	JOB_ALERT_UPDATE /* an alert's workflow step (PATCH /api/v1/alerts/{id}) */
};

/* Outcome of a job, set by the writer before done is called. */
enum ledger_status {
	LEDGER_OK,      /* done and durable */
	LEDGER_EXISTS,  /* batch: the same header was registered before (nothing written) */
	LEDGER_OVERLAP, /* batch: its serials overlap another batch of the key (nothing written) */
	LEDGER_FAILED,  /* the transaction failed (disk full, I/O error): nothing written; also
			 * an alert job the contract refuses (an unknown type or status, closed
			 * without a reason or a reason without closed): nothing written */
	LEDGER_MISSING  /* alert update: no such alert (or not of the caller's producer) */
};

struct ledger_scan {
	/* in */
	char key_id[17];                           /* 16 hex digits */
	uint64_t serial;                           /* the code's serial */
	unsigned char client[LEDGER_CLIENT_BYTES]; /* keyed hash of the network prefix */
	unsigned char cookie[LEDGER_COOKIE_BYTES]; /* the valid tem_client cookie id, if any */
	int has_cookie;                            /* 1 when cookie is set */
	int64_t at_ms;                             /* scan time, Unix ms */
	struct verdict_facts facts;                /* other_clients is filled by the writer */
	/* out */
	enum verdict verdict;  /* final verdict */
	int64_t scans;         /* this code's counted scans, this one included */
	int64_t clients;       /* distinct clients, this one included: the code's networks after
				* linking those that share a cookie (docs/verdicts.md) */
	int64_t first_scan_ms; /* first counted scan, Unix ms */
	int64_t claimed_ms;    /* when the code was claimed, Unix ms; 0 = not claimed (the facts
				* say whether by this client) */
};

struct ledger_batch {
	/* in */
	char key_id[17];                                 /* 16 hex digits */
	uint64_t first, last;                            /* serial range, inclusive */
	const char *batch_id, *product, *producer, *url; /* from the header, clean UTF-8 */
	int64_t issued;                                  /* issue time, Unix seconds */
	int32_t last_day;                                /* last valid day of its codes, 0 = none */
	const char *header;                              /* the whole signed header text */
	int64_t at_ms;                                   /* registration time, Unix ms */
	const unsigned char *claim_key; /* claim key sealed with LEDGER.secret, or NULL (no PINs) */
	size_t claim_key_len;           /* its bytes */
	/* out */
	int64_t row;           /* the batch's row id (new or existing) */
	int64_t registered_ms; /* when it was registered (now, or the first time) */
};

struct ledger_producer {
	char key_id[17];        /* 16 hex digits */
	const char *public_key; /* minisign base64 line */
	const char *name;       /* clean UTF-8 */
	int32_t valid_from;     /* day */
	int32_t revoked;        /* day, or -1 */
};

/* What a claim attempt came to (run by the writer, so limits and claims never race). */
enum ledger_claim_result {
	CLAIM_LIMITED,   /* too many wrong PINs for the code or the network: no PIN checked */
	CLAIM_WRONG_PIN, /* the PIN is wrong: counted against both limits, nothing else written */
	CLAIM_NEW,       /* right PIN, the code was not claimed: now it is, by this client */
	CLAIM_YOURS,     /* right PIN, claimed earlier by this client */
	CLAIM_TAKEN,     /* right PIN, claimed earlier by another client */
	CLAIM_OPEN       /* right PIN, not claimed, and check_only asked to claim nothing */
};

/* A claim attempt. The claimer is a client as copy detection counts one (docs/verdicts.md):
 * its network, linked to its other networks by its tem_client cookie id. A code claimed by
 * either the same network or the same cookie id is the claimer's own. */
struct ledger_claim {
	/* in */
	char key_id[17];                           /* 16 hex digits */
	uint64_t serial;                           /* the code's serial */
	unsigned char net[LEDGER_CLIENT_BYTES];    /* keyed hash of the claimer's network; wrong
						    * PINs are limited per network */
	unsigned char cookie[LEDGER_COOKIE_BYTES]; /* the claimer's tem_client cookie id */
	int has_cookie;                            /* 1 when cookie is set */
	int64_t at_ms;                             /* now, Unix ms */
	int code_limit;                            /* wrong PINs a code may take in a UTC day */
	int net_limit;                             /* wrong PINs a network may send in an hour */
	int check_only;                            /* 1: check the PIN, claim nothing */
	int pin_right; /* 1 when the PIN is right (checked by the caller; read only when the attempt
			* is not limited, so a limited attempt changes nothing and says nothing) */
	/* out */
	enum ledger_claim_result result;
	int64_t claimed_ms;  /* when the code was claimed, Unix ms, whatever the result; 0 = not */
	int yours;           /* claimed_ms > 0: 1 when by this claimer */
	int64_t retry_after; /* CLAIM_LIMITED: seconds until the limit's window ends */
};

/* An alert the HTTP side raises (the writer raises the others itself, in the transaction of
 * the scan or claim that shows them): made with status open, or its counts added to (a closed
 * one reopened, unless closed as confirmed-counterfeit the same Vietnam day). The writer's own:
 * duplicate (events: the code's counted scans), sold-then-scanned, unregistered, revoked-key
 * (one event a counted scan, clients: the code's), claim-guessing (the wrong PINs of the day
 * that reached the code's limit). docs/security.md, "Alerts". */
struct ledger_alert {
	/* in */
	int type;         /* enum alert_type (server/alert.h) */
	char key_id[17];  /* 16 hex digits */
	uint64_t serial;  /* the code, 0 for an alert on the key */
	int64_t events;   /* events to add */
	int64_t first_ms; /* the first of them, Unix ms */
	int64_t at_ms;    /* the latest, Unix ms */
	/* out */
	int64_t id; /* the alert's id */
	int raised; /* 1 when this job made it (or reopened a closed one) */
};

/* A workflow step on an alert, with who and when (kept in alert_changes; a NULL note keeps the
 * alert's note). LEDGER_MISSING when there is no such alert or it is of another producer than
 * producer; once committed, a notice names the token, the alert and its new status. */
struct ledger_alert_update {
	/* in */
	int64_t id;           /* the alert */
	const char *producer; /* a producer token's key id: only its alerts; NULL: any */
	int status;           /* enum alert_status */
	int reason;           /* enum alert_reason: required with closed, else NONE */
	const char *note;     /* may be NULL; clean UTF-8, bounded by the caller */
	const char *by;       /* the token's name */
	int64_t at_ms;        /* now, Unix ms */
};

struct ledger_job {
	enum ledger_job_kind kind;
	enum ledger_status status; /* set by the writer */
	union {
		struct ledger_scan scan;
		struct ledger_batch batch;
		struct ledger_claim claim;
		struct ledger_alert alert;
		struct ledger_alert_update alert_update;
		struct {
			const struct ledger_producer *list;
			size_t n;
			uint64_t sequence; /* the trust list's sequence number: kept as the
					    * highest accepted when larger (meta 'trust-sequence') */
		} producers;
	} u;
	/* called on the writer thread once the job's transaction has ended; may be NULL */
	void (*done)(struct ledger_job *job, void *arg);
	void *arg;
	struct ledger_job *next; /* queue link, the ledger's */
};

#define LEDGER_INIT 1 /* ledger_open_flags: an existing empty (0-byte) file becomes a ledger */

/* A registered batch as the ledger keeps it, passed to ledger_each_batch's callback. The
 * strings belong to the ledger and are valid only during the call: copy what you keep. */
struct ledger_batch_row {
	const char *key_id;    /* 16 hex digits (as written by temd; check before use) */
	uint64_t first;        /* first serial */
	uint64_t last;         /* last serial, inclusive */
	int64_t registered_ms; /* when it was registered, Unix ms */
	int64_t row;           /* its row id in table batches */
	const char *batch_id;  /* from the signed header, clean UTF-8 */
	const char *product;   /* the same */
	const char *producer;  /* the same */
	const char *url;       /* the same: where its labels point */
	int64_t issued;        /* issue time, Unix seconds */
	int32_t last_day;      /* last valid day of its codes (days since 1970-01-01), 0 = none */
	const char *header;    /* the whole signed header text */
	int has_pins;          /* 1 when a claim key was registered with it */
};

/* What the ledger knows of a code's batch, to check a claim PIN: the batch and its sealed
 * claim key. */
struct ledger_claim_info {
	int in_batch;             /* 1 when a registered batch holds the serial */
	uint64_t first;           /* that batch's first serial */
	int has_pins;             /* 1 when the batch has a claim key */
	unsigned char sealed[96]; /* the sealed claim key */
	size_t sealed_len;        /* its bytes */
};

#endif
