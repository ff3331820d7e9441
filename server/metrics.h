/* metrics.h — temd's counters, exported at GET /metrics in Prometheus' text format: requests

 * by route (the route table's labels) and status (each status code its own label), verdicts, the scan commit latency histogram, ledger and registry
 * sizes; the build, trust list reloads and the process (CPU, memory, descriptors, start). Lock-free (atomic counters); safe from any thread. */
#ifndef TEM_METRICS_H
#define TEM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "server/limits.h"
#include "server/verdict.h"

#define METRICS_ROUTES_MAX 64 /* distinct route labels counted; more count as "other" */

/* Counts a request answered with status under route, the label of its row in the route table
 * (server/routes.h: "/c/{code}"), or "other" (no route); labels are counted apart by their
 * text. */
void metrics_request(const char *route, unsigned status);

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
		   int ledger_failing, int64_t ledger_failed, int64_t ledger_commits,
		   long producers, long batches);

/* Counts a trust list load (at start or on SIGHUP): ok 1 when it was put in force, 0 when it
 * was refused. */
void metrics_trust_reload(int ok);

/* Counts a read of the batches other temd registered on a shared ledger (registry_refresh,
 * server/registry.h). */
void metrics_registry_refresh(void);

/* temd's version, for temd_build_info and the start-up line. */
#define TEMD_VERSION "0.1.0"

#endif
