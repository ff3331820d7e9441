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
};

/* The number of clients among n rows (reordered, their net set): networks, after linking those
 * that share a cookie id seen on at most LEDGER_COOKIE_LINKS of them. -1 when out of memory. */
int64_t ledger_count_clients(struct ledger_net_row *rows, size_t n);

#endif
