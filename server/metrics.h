/* metrics.h — temd's counters, exported at GET /metrics in Prometheus' text format: requests
 * by route and status (each status code its own label), verdicts, the scan commit latency histogram, ledger and registry
 * sizes; the build, trust list reloads and the process (CPU, memory, descriptors, start). Lock-free (atomic counters); safe from any thread. */
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

/* The route's label in metrics and the access log ("/c/{code}"); "other" out of range. */
const char *metrics_route_name(enum route r);

/* Counts a trust list load (at start or on SIGHUP): ok 1 when it was put in force, 0 when it
 * was refused. */
void metrics_trust_reload(int ok);

/* temd's version, for temd_build_info and the start-up line. */
#define TEMD_VERSION "0.1.0"

#endif
