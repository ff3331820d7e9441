/* ledger.h — temd's ledger: producers, registered batches, every counted scan, the per-code
 * and per-client counts, alerts; with the regulator reads (server/ledger_query.h) and the API
 * tokens (server/ledger_tokens.h), the whole of what temd asks of a ledger. No SQL and no
 * engine here: ledger_open picks SQLite (a file) or PostgreSQL (a connection string) from its
 * where, and server/ledger.c hands each call to that engine (server/ledger_backend.h).
 *
 * One writer thread commits in groups: requests submit jobs, the writer takes every job
 * waiting, runs them in one transaction, commits (durable on return), then calls each job's
 * done callback. A scan is therefore answered only once it is on disk. Reads go through
 * connections of their own. */
#ifndef TEM_LEDGER_H
#define TEM_LEDGER_H

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

struct ledger;

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

/* The engines a ledger's where (--db) can name. */
enum ledger_kind {
	LEDGER_SQLITE,    /* a file path */
	LEDGER_POSTGRESQL /* "postgres://...", "postgresql://..." or a libpq keyword string
			   * ("host=/run/postgresql dbname=tem") */
};

/* Which engine where names (never NULL): a URI of scheme postgres or postgresql, or a string
 * whose first word is a libpq keyword followed by '=' (host=, dbname=, ...), is PostgreSQL;
 * anything else is a file path, SQLite. */
enum ledger_kind ledger_kind(const char *where);

/* Opens the ledger where names (ledger_kind): SQLite creates the file if needed, checks it
 * (PRAGMA quick_check, its time logged), migrates its schema forward, takes LEDGER.lock; then
 * the writer starts. TEM_ERR with err naming the ledger and the cause: a damaged ledger, an
 * existing empty (0-byte) file, a file or folder it cannot write, a schema newer than this
 * temd understands, a PostgreSQL ledger in a temd built without PostgreSQL. A SQLite ledger
 * this call made is removed again when it fails, so nothing is left to block the next start.
 * where is copied. */
int ledger_open(const char *where, struct ledger **out, struct tem_err *err);

#define LEDGER_INIT 1 /* ledger_open_flags: an existing empty (0-byte) file becomes a ledger */

/* ledger_open with flags (LEDGER_INIT, or 0 as ledger_open). */
int ledger_open_flags(const char *where, int flags, struct ledger **out, struct tem_err *err);

/* Queues a job for the writer; job->done runs on the writer thread when it has ended. */
void ledger_submit(struct ledger *l, struct ledger_job *job);

/* Queues a job and waits for it; returns its status. */
enum ledger_status ledger_run(struct ledger *l, struct ledger_job *job);

/* The client salt a ledger made before the salt moved to LEDGER.secret (server/secrets.h)
 * still holds: 1 with it in out, or 0 (every ledger made since: out untouched). */
int ledger_salt(const struct ledger *l, unsigned char out[LEDGER_SALT_BYTES]);

/* Removes that old salt from the ledger (overwritten, secure_delete), once it is safe in the
 * secret file. TEM_OK, or TEM_ERR with err set. */
int ledger_forget_salt(struct ledger *l, struct tem_err *err);

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

/* Calls fn for every registered batch, in key and serial order, on the reader connection
 * (readers wait meanwhile). fn returns TEM_OK to go on, or TEM_ERR having filled err to stop
 * the walk. TEM_OK when every batch was passed; TEM_ERR with err set when fn stopped it or a
 * read failed (a failed read is never taken for the last batch). */
int ledger_each_batch(struct ledger *l,
		      int (*fn)(void *arg, const struct ledger_batch_row *b, struct tem_err *err),
		      void *arg, struct tem_err *err);

/* What the ledger knows of a code's batch, to check a claim PIN: the batch and its sealed
 * claim key. */
struct ledger_claim_info {
	int in_batch;             /* 1 when a registered batch holds the serial */
	uint64_t first;           /* that batch's first serial */
	int has_pins;             /* 1 when the batch has a claim key */
	unsigned char sealed[96]; /* the sealed claim key */
	size_t sealed_len;        /* its bytes */
};

/* Reads the batch facts of serial of key_id (16 hex digits) on the reader connection into out
 * (zeroed when no batch holds it). TEM_OK, or TEM_ERR with err set when the read failed or
 * the row is damaged (a failed read is never taken for "no batch"). */
int ledger_claim_info(struct ledger *l, const char *key_id, uint64_t serial,
		      struct ledger_claim_info *out, struct tem_err *err);

/* The highest trust list sequence number the ledger has accepted (table meta, name
 * 'trust-sequence', written with a JOB_PRODUCER job) into *seq, 0 when none yet (a new ledger,
 * or one older than sequence numbers). Read on the reader connection. TEM_OK, or TEM_ERR with
 * err set when the read failed or the value is damaged (never taken for 0). */
int ledger_trust_sequence(struct ledger *l, uint64_t *seq, struct tem_err *err);

/* Counted scans in the ledger and the bytes it takes on disk (SQLite: its file and WAL;
 * 0 when the engine cannot tell). */
void ledger_stats(struct ledger *l, int64_t *scans, int64_t *bytes);

/* 1 while the ledger's latest transaction failed (full disk, I/O error), else 0; *failed (may
 * be NULL) gets the transactions failed since start. */
int ledger_failing(struct ledger *l, int64_t *failed);

/* Stops the writer after the queued jobs, closes the reads' and tokens' connections
 * (lq_close, ledger_tokens_of), then the engine (SQLite: checkpoints the WAL into the file). */
void ledger_close(struct ledger *l);

#endif
