/* ledger_clients.h — a code's distinct clients, as copy detection counts them
 * (docs/verdicts.md), computed by every ledger engine's writer from the code's rows in its own
 * transaction. A code's rows are (network, cookie id) pairs; its clients are the groups left
 * after linking the networks that share a cookie id, a cookie id seen on more than
 * LEDGER_COOKIE_LINKS of the code's networks linking none. Pure: no I/O, no engine. */
#ifndef TEM_LEDGER_CLIENTS_H
#define TEM_LEDGER_CLIENTS_H

#include <stddef.h>
#include <stdint.h>

#include "server/ledger_jobs.h"

/* One row of a code as read for counting. */
struct ledger_net_row {
	unsigned char client[LEDGER_CLIENT_BYTES]; /* network */
	unsigned char cookie[LEDGER_COOKIE_BYTES]; /* cookie id, when has_cookie */
	int has_cookie;                            /* 0: the row of scans without a cookie */
	size_t net;                                /* index of its network, set by the count */
	int64_t id;                                /* the engine's row id, 0: none */
};

/* Where a counted scan lands among its code's rows (ledger_place_scan). */
struct ledger_place {
	struct ledger_net_row want; /* the scan's row: its network, its cookie id when kept */
	int repeat;                 /* 1: that row was there before (it counts the scan) */
	int64_t id;                 /* when repeat, that row's id (its ledger_net_row id) */
	size_t here;                /* rows of the scan's network before it */
};

/* The number of clients among n rows (reordered, their net set): networks, after linking those
 * that share a cookie id seen on at most LEDGER_COOKIE_LINKS of them. -1 when out of memory. */
int64_t ledger_count_clients(struct ledger_net_row *rows, size_t n);

/* Places scan s among rows, the n rows of its code before it (all of them; or, alerted 1, only
 * those of s's network, the counts then coming from the code's alert): the row it counts in is
 * its cookie's, unless the network keeps LEDGER_COOKIES_PER_NET cookie rows already, then the
 * network's cookie-less row; a repeat when that row was there (p). Unless alerted, rows must
 * have room for n + 1: the scan's row is added when new and s->clients is counted over them
 * (rows reordered); alerted, s->clients (the alert's) gains one when the network is new to the
 * code. One rule for every engine, so a buyer's verdict never depends on the server. 0, or -1
 * when out of memory. */
int ledger_place_scan(struct ledger_scan *s, struct ledger_net_row *rows, size_t n, int alerted,
		      struct ledger_place *p);

#endif
