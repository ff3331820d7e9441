/* ledger_query.h — what regulators and producers read from the ledger (docs/api.md): the
 * registered batches with their counts, one code's history, the typed alerts, daily
 * statistics, the producers' totals and the scan records. SQL stays in server/ledger*.c; this
 * is its reading side for the regulator API and the dashboard. Nothing here writes: an alert's
 * workflow change is a writer job (JOB_ALERT_UPDATE, server/ledger.h).
 *
 * Lists are read in keyset order: each row has a position (its id), a call returns at most
 * `limit` rows after the position `after` (0: from the start), and *next is the position to
 * ask for next, or 0 when the list has no more rows. A row's position never changes, so
 * walking a list page by page visits every row that existed when the walk began exactly once,
 * however many scans arrive meanwhile. Each call is one read transaction on a read connection
 * of its own (several may run at once; none waits for the writer). Row strings belong to the
 * ledger and are valid only during the callback: copy what you keep. A callback returns
 * TEM_OK to go on, or TEM_ERR having filled err to stop; a failed read is never taken for the
 * end of a list. */
#ifndef TEM_LEDGER_QUERY_H
#define TEM_LEDGER_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "label/verdict.h"
#include "server/alert.h"
#include "server/ledger_jobs.h"

struct ledger;

#define LQ_LIMIT_DEFAULT 100  /* rows a page holds when the caller does not say */
#define LQ_LIMIT_MAX     1000 /* at most */

/* What rows a list keeps. Fields left 0/NULL/-1 keep every row. */
struct lq_filter {
	const char *producer; /* a key id (16 hex digits): only rows of that producer key. A
			       * producer token's own key is always set here (server/auth.h). */
	int64_t from_ms;      /* only rows at or after this time (Unix ms), 0: no bound */
	int64_t to_ms;        /* only rows before this time (Unix ms), 0: no bound */
	int type;             /* alerts: an enum alert_type, or -1 */
	int status;           /* alerts: an enum alert_status, or -1 */
};

/* Sets f to keep every row. */
void lq_filter_all(struct lq_filter *f);

/* Attaches the regulator reads to l: they run on read-only connections of their own (at most
 * LQ_CONNS, opened as needed, each with its prepared statements), so several reads run at once
 * and none waits for the writer or for the buyers' reader connection. Calling it again for an
 * attached ledger does nothing. TEM_OK, or TEM_ERR with err set. Every lq_* call on a ledger
 * not attached fails with TEM_ERR. */
int lq_open(struct ledger *l, struct tem_err *err);

#define LQ_CONNS 8 /* read connections a ledger's regulator reads keep at most */

/* Closes l's read connections, once no lq_* call runs (ledger_close does it too). Nothing
 * when l is not attached. */
void lq_close(struct ledger *l);

/* --- batches --- */

/* A registered batch and what its codes came to. Position: row. Filter: producer, and from/to
 * on its registration time. */
struct lq_batch {
	int64_t row;           /* its id in the ledger (batches.id) */
	const char *key_id;    /* the producer key, 16 hex digits */
	const char *producer;  /* the producer's name, from the signed header */
	const char *product;   /* from the header */
	const char *batch_id;  /* from the header */
	uint64_t first, last;  /* its serials, inclusive */
	int64_t issued;        /* issue time, Unix s */
	int32_t last_day;      /* last valid day of its codes, 0 = none */
	int64_t registered_ms; /* when it was registered, Unix ms */
	int has_pins;          /* 1 when its codes carry claim PINs */
	int64_t scans;         /* counted scans of its codes */
	int64_t scanned;       /* distinct codes scanned */
	int64_t claimed;       /* codes claimed */
	int64_t alerted;       /* codes with at least one alert */
};

int lq_batches(struct ledger *l, const struct lq_filter *f, int64_t after, size_t limit,
	       int (*fn)(void *arg, const struct lq_batch *b, struct tem_err *err), void *arg,
	       int64_t *next, struct tem_err *err);

/* --- one code --- */

/* What the ledger knows of one code, without recording a scan. */
struct lq_code {
	int in_batch;          /* 1 when a registered batch holds the serial */
	int64_t batch_row;     /* that batch's id */
	int64_t scans;         /* counted scans */
	int64_t clients;       /* distinct networks that scanned it (before cookie links) */
	int64_t first_scan_ms; /* 0: never scanned */
	int64_t last_scan_ms;
	int64_t claimed_ms;                         /* when it was claimed, 0: not claimed */
	unsigned char claimer[LEDGER_CLIENT_BYTES]; /* the claimer's network hash, when claimed */
	enum verdict last_verdict; /* the verdict of its latest first scan by a client (a
				    * repeat's is not kept; V_COUNT: none) */
};

/* One client's first counted scan of a code (a repeat by the same network and cookie adds
 * to client_scans, no row: server/ledger.c, run_scan). Position: id. */
struct lq_scan {
	int64_t id;                                /* its id in the ledger (scans.id) */
	const char *key_id;                        /* the code's producer key */
	uint64_t serial;                           /* the code's serial */
	int64_t at_ms;                             /* when, Unix ms */
	unsigned char client[LEDGER_CLIENT_BYTES]; /* keyed hash of the network, never an
						    * address */
	enum verdict verdict;                      /* the verdict it was given */
	int64_t client_scans;   /* this client's counted scans of the code, this one included;
				 * 0 for a repeat recorded before repeats were folded (older
				 * ledgers: its count is in the client's first row) */
	int64_t client_last_ms; /* this client's latest scan of the code, Unix ms (0 likewise) */
};

/* Reads the code serial of key_id into *out (zeroed, last_verdict V_COUNT, when the ledger has
 * nothing of it). TEM_OK, or TEM_ERR with err set. */
int lq_code(struct ledger *l, const char *key_id, uint64_t serial, struct lq_code *out,
	    struct tem_err *err);

/* The code's first scans by each client, oldest first, with each client's counts: fn is
 * called for each of at most limit rows after position after (0: from the start), *next the
 * last row's position when more follow, else 0. TEM_OK, or TEM_ERR with err set (or fn's).
 * The rows are the code's code_scans rows (one per network and cookie id), one range read of
 * that table's primary key, never an index on scans, which every client's first scan of a
 * code would have to update. A row's position (lq_scan.id) is the scans row id of its first
 * scan, which the writer gives the row when it makes it and never changes: later rows get
 * higher ids, so a page never skips or repeats a row while scans arrive. Rows of ledgers older
 * than schema 7 got theirs from the scans row of the same network and first scan time
 * (migration 7); a row that had none is not listed (its scans still count in lq_code). */
int lq_code_scans(struct ledger *l, const char *key_id, uint64_t serial, int64_t after,
		  size_t limit, int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err),
		  void *arg, int64_t *next, struct tem_err *err);

/* Every client's first scan of each code, oldest first, with the client's counts (the CSV
 * export). Filter: producer, from/to on its time. */
int lq_scans(struct ledger *l, const struct lq_filter *f, int64_t after, size_t limit,
	     int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err), void *arg,
	     int64_t *next, struct tem_err *err);

/* --- alerts --- */

struct lq_alert {
	int64_t id;                /* its id: the API's, and its position */
	enum alert_type type;      /* what was seen */
	const char *key_id;        /* the producer key the codes name */
	uint64_t serial;           /* the code; 0 for an alert on the key (invalid-burst) */
	const char *producer;      /* the key's name in the trust list the ledger last had, or "" */
	int64_t events;            /* scans, forged codes or wrong PINs counted */
	int64_t clients;           /* distinct networks where the type counts them, else 0 */
	int64_t first_ms, last_ms; /* first and latest event, Unix ms */
	enum alert_status status;
	enum alert_reason reason; /* ALERT_REASON_NONE unless closed */
	const char *note;         /* "" when none */
	const char *updated_by;   /* the token name of the last change, "" when none */
	int64_t updated_ms;       /* when, 0 when none */
};

/* Alerts, newest first (descending id: rows after `after` have smaller ids). Filter: producer,
 * type, status, and from/to on the latest event (`since` is from_ms). */
int lq_alerts(struct ledger *l, const struct lq_filter *f, int64_t after, size_t limit,
	      int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
	      int64_t *next, struct tem_err *err);

/* One alert by id into fn (called once when it exists). TEM_OK with *found 1 or 0 (no such
 * alert, or not of f->producer when set), or TEM_ERR. */
int lq_alert(struct ledger *l, const struct lq_filter *f, int64_t id,
	     int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
	     int *found, struct tem_err *err);

/* One workflow step of an alert (table alert_changes). */
struct lq_alert_change {
	int64_t at_ms;            /* when, Unix ms */
	const char *by;           /* the token's name */
	enum alert_status status; /* the status it set */
	enum alert_reason reason; /* ALERT_REASON_NONE unless closed */
	const char *note;         /* "" when none */
};

/* The workflow steps of alert id, oldest first, into fn. */
int lq_alert_changes(struct ledger *l, int64_t id,
		     int (*fn)(void *arg, const struct lq_alert_change *c, struct tem_err *err),
		     void *arg, struct tem_err *err);

/* The alerts of one code, newest first, into fn (all of them: at most one per type). */
int lq_code_alerts(struct ledger *l, const char *key_id, uint64_t serial,
		   int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		   struct tem_err *err);

/* --- statistics --- */

enum lq_by { LQ_BY_DAY, LQ_BY_PRODUCER, LQ_BY_BATCH };

/* One bucket of statistics, from the daily roll-ups the writer keeps (table day_stats). */
struct lq_stat {
	int32_t day;               /* LQ_BY_DAY: Vietnam calendar day, days since 1970-01-01 */
	const char *key_id;        /* LQ_BY_PRODUCER and LQ_BY_BATCH: the producer key */
	const char *producer;      /* its name in the ledger's trust list, or "" */
	int64_t batch_row;         /* LQ_BY_BATCH: the batch's id, 0 for codes in no batch */
	const char *batch_id;      /* LQ_BY_BATCH: its batch id, "" for none */
	int64_t scans;             /* counted scans */
	int64_t codes;             /* distinct codes scanned, summed over the bucket's days */
	int64_t verdicts[V_COUNT]; /* counted scans by final verdict */
	int64_t claims;            /* codes claimed */
};

/* Statistics of the days [from_day, to_day] (Vietnam calendar days, inclusive), of f->producer
 * when set, one row per bucket of by: days in order (days with nothing included, all zero),
 * producers by key id, batches by id. */
int lq_stats(struct ledger *l, const struct lq_filter *f, int32_t from_day, int32_t to_day,
	     enum lq_by by, int (*fn)(void *arg, const struct lq_stat *s, struct tem_err *err),
	     void *arg, struct tem_err *err);

/* --- producers --- */

/* A producer key as the ledger last had it from the trust list, with its totals. */
struct lq_producer {
	const char *key_id;  /* 16 hex digits */
	const char *name;    /* its name */
	int32_t valid_from;  /* day */
	int32_t revoked;     /* day, or -1 when active */
	int64_t batches;     /* registered batches */
	int64_t codes;       /* codes in them */
	int64_t scans;       /* counted scans of its codes */
	int64_t scanned;     /* distinct codes scanned */
	int64_t claimed;     /* codes claimed */
	int64_t open_alerts; /* alerts not closed */
};

/* The producers, by key id (f->producer: that one only). */
int lq_producers(struct ledger *l, const struct lq_filter *f,
		 int (*fn)(void *arg, const struct lq_producer *p, struct tem_err *err), void *arg,
		 struct tem_err *err);

#endif
