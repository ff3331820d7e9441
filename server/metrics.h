/* metrics.h — temd's counters, exported at GET /metrics in Prometheus' text format: requests
 * by route and status, verdicts, the scan commit latency histogram, ledger and registry
 * sizes. Lock-free (atomic counters); safe from any thread. */
#ifndef TEM_METRICS_H
#define TEM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "server/limits.h"
#include "server/verdict.h"

enum route {
	ROUTE_PAGE,    /* GET /c/{code} */
	ROUTE_HOME,    /* GET / */
	ROUTE_SCANS,   /* POST /api/v1/scans */
	ROUTE_BATCHES, /* POST /api/v1/batches */
	ROUTE_HEALTHZ, /* GET /healthz */
	ROUTE_METRICS, /* GET /metrics */
	ROUTE_CLAIMS,  /* POST /api/v1/claims */
	ROUTE_SERIAL,  /* GET /api/v1/producers/{keyid}/serial */
	ROUTE_OTHER,   /* anything else */
	ROUTE_COUNT
};

/* Counts a request answered with status. */
void metrics_request(enum route r, unsigned status);

/* Counts a verdict given. */
void metrics_verdict(enum verdict v);

/* Records how long a scan waited for its durable commit, in seconds. */
void metrics_commit(double seconds);

/* Counts a request refused by a rate limit of kind (429). */
void metrics_limited(enum limit_kind kind);

/* Counts a connection refused because its address holds its share already. */
void metrics_connection_refused(void);

/* Counts a connection cut because its request took longer than --timeout. */
void metrics_connection_cut(void);

/* Formats every metric; *out is malloc'd (caller frees). Returns 0, or -1 out of memory. */
int metrics_format(char **out, size_t *len, int64_t ledger_scans, int64_t ledger_bytes,
		   int ledger_failing, int64_t ledger_failed, long producers, long batches);

#endif
