/* burst.h — invalid-burst detection (docs/security.md, "Alerts"): counts, per producer key of
 * the trust list, the scanned codes naming it whose signature fails, in windows of
 * BURST_WINDOW_MS, and raises or adds to the key's invalid-burst alert through the ledger
 * (JOB_ALERT) at every BURST_THRESHOLD of them in one window. Thread-safe; bounded memory (one
 * counter per key, BURST_KEYS at most). */
#ifndef TEM_BURST_H
#define TEM_BURST_H

#include <pthread.h>
#include <stdint.h>

#include "server/ledger.h"

#define BURST_THRESHOLD 20                 /* forged codes in one window that raise it */
#define BURST_WINDOW_MS (10LL * 60 * 1000) /* a window: 10 minutes from its first code */
#define BURST_KEYS      256                /* keys counted at once; then the oldest goes */

/* One key's window. */
struct burst_slot {
	char key_id[17];  /* 16 hex digits; "" for a free slot */
	int64_t start_ms; /* the window's first forged code, Unix ms */
	int64_t last_ms;  /* its latest */
	int64_t count;    /* forged codes in the window */
	int64_t reported; /* of those, already reported (a multiple of BURST_THRESHOLD) */
};

/* The counters of every key, behind one lock. */
struct burst {
	pthread_mutex_t mu;
	struct burst_slot slot[BURST_KEYS];
};

/* What burst_count says to report: events forged codes, the first at first_ms, the latest at
 * at_ms; events 0 when nothing is due. */
struct burst_report {
	int64_t events;
	int64_t first_ms;
	int64_t at_ms;
};

/* Makes b empty (every slot free), its lock ready. */
void burst_init(struct burst *b);

/* Counts one forged code naming key_id (16 hex digits, a key of the trust list) at now_ms.
 * Returns what to report now: BURST_THRESHOLD events at the 20th, 40th, ... code of a window;
 * or, at the first code after a window that reached the threshold, the rest of that window
 * (its codes beyond the last multiple reported); else nothing (events 0). A window begins at
 * the key's first forged code after the previous one ended. */
struct burst_report burst_count(struct burst *b, const char *key_id, int64_t now_ms);

/* Counts one forged code naming key_id at now_ms in temd's own counters and, when a report is
 * due, submits a JOB_ALERT of type invalid-burst on the key to l without waiting (the job is
 * allocated here and freed by its done callback; when memory runs out the report is logged and
 * dropped). */
void burst_invalid(struct ledger *l, const char *key_id, int64_t now_ms);

#endif
