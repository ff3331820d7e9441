/* metrics.c — atomic counters and their Prometheus text. */
#include "server/metrics.h"

#include "server/sbuf.h"

#include <stdatomic.h>
#include <stdio.h>

static const char *const route_names[ROUTE_COUNT] = {
    "/c/{code}", "/",        "/api/v1/scans",  "/api/v1/batches",
    "/healthz",  "/metrics", "/api/v1/claims", "/api/v1/producers/{keyid}/serial",
    "other",
};
static const unsigned statuses[] = {200, 201, 303, 400, 403, 404, 405, 409,
				    413, 414, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
static const double buckets[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
				 0.05,   0.1,   0.25,  0.5,   1,    2.5};
#define NBUCKET (sizeof buckets / sizeof buckets[0])

static atomic_ulong requests[ROUTE_COUNT][NSTATUS + 1]; /* last: any other status */
static atomic_ulong verdicts[V_COUNT];
static atomic_ulong commit_le[NBUCKET + 1]; /* last: +Inf */
static atomic_ulong commit_count;
static atomic_ulong limited[LIMIT_KINDS];
static atomic_ulong conn_refused, conn_cut;
static const char *const limit_names[LIMIT_KINDS] = {"scans", "claims", "batches", "signins"};
static atomic_ullong commit_sum_us;

void metrics_request(enum route r, unsigned status)
{
	size_t i = 0;

	while (i < NSTATUS && statuses[i] != status)
		i++;
	if (r >= 0 && r < ROUTE_COUNT)
		atomic_fetch_add_explicit(&requests[r][i], 1, memory_order_relaxed);
}

void metrics_verdict(enum verdict v)
{
	if (v >= 0 && v < V_COUNT)
		atomic_fetch_add_explicit(&verdicts[v], 1, memory_order_relaxed);
}

void metrics_limited(enum limit_kind kind)
{
	if (kind >= 0 && kind < LIMIT_KINDS)
		atomic_fetch_add_explicit(&limited[kind], 1, memory_order_relaxed);
}

void metrics_connection_refused(void)
{
	atomic_fetch_add_explicit(&conn_refused, 1, memory_order_relaxed);
}

void metrics_connection_cut(void)
{
	atomic_fetch_add_explicit(&conn_cut, 1, memory_order_relaxed);
}

void metrics_commit(double seconds)
{
	size_t i = 0;

	while (i < NBUCKET && seconds > buckets[i])
		i++;
	atomic_fetch_add_explicit(&commit_le[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&commit_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&commit_sum_us, (unsigned long long)(seconds * 1e6),
				  memory_order_relaxed);
}

int metrics_format(char **out, size_t *len, int64_t ledger_scans, int64_t ledger_bytes,
		   int ledger_failing, int64_t ledger_failed, long producers, long batches)
{
	struct sbuf b;
	unsigned long cum = 0;

	if (sbuf_init(&b, 8192) != 0)
		return -1;
	sbuf_put(&b, "# HELP temd_requests_total HTTP requests answered, by route and status.\n"
		     "# TYPE temd_requests_total counter\n");
	for (int r = 0; r < ROUTE_COUNT; r++)
		for (size_t i = 0; i <= NSTATUS; i++) {
			unsigned long v = atomic_load(&requests[r][i]);
			if (v == 0)
				continue;
			if (i < NSTATUS)
				sbuf_put(&b,
					 "temd_requests_total{route=\"%s\",status=\"%u\"} %lu\n",
					 route_names[r], statuses[i], v);
			else
				sbuf_put(&b,
					 "temd_requests_total{route=\"%s\",status=\"other\"} %lu\n",
					 route_names[r], v);
		}
	sbuf_put(&b, "# HELP temd_verdicts_total Verdicts given, counted scans and others.\n"
		     "# TYPE temd_verdicts_total counter\n");
	for (int v = 0; v < V_COUNT; v++)
		sbuf_put(&b, "temd_verdicts_total{verdict=\"%s\"} %lu\n",
			 verdict_name((enum verdict)v), atomic_load(&verdicts[v]));
	sbuf_put(&b, "# HELP temd_scan_commit_seconds Time from a scan's submission to its durable "
		     "commit.\n"
		     "# TYPE temd_scan_commit_seconds histogram\n");
	for (size_t i = 0; i < NBUCKET; i++) {
		cum += atomic_load(&commit_le[i]);
		sbuf_put(&b, "temd_scan_commit_seconds_bucket{le=\"%g\"} %lu\n", buckets[i], cum);
	}
	cum += atomic_load(&commit_le[NBUCKET]);
	sbuf_put(&b, "temd_scan_commit_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
	sbuf_put(&b, "temd_scan_commit_seconds_sum %.6f\n",
		 (double)atomic_load(&commit_sum_us) / 1e6);
	sbuf_put(&b, "temd_scan_commit_seconds_count %lu\n", atomic_load(&commit_count));
	sbuf_put(&b, "# HELP temd_rate_limited_total Requests refused by --rate-limit (429), by "
		     "kind.\n"
		     "# TYPE temd_rate_limited_total counter\n");
	for (int k = 0; k < LIMIT_KINDS; k++)
		sbuf_put(&b, "temd_rate_limited_total{kind=\"%s\"} %lu\n", limit_names[k],
			 atomic_load(&limited[k]));
	sbuf_put(&b,
		 "# HELP temd_connections_refused_total Connections refused: their address held "
		 "its share.\n"
		 "# TYPE temd_connections_refused_total counter\n"
		 "temd_connections_refused_total %lu\n"
		 "# HELP temd_connections_cut_total Connections closed: a request took longer than "
		 "--timeout.\n"
		 "# TYPE temd_connections_cut_total counter\n"
		 "temd_connections_cut_total %lu\n",
		 atomic_load(&conn_refused), atomic_load(&conn_cut));
	sbuf_put(&b,
		 "# HELP temd_ledger_scans Counted scans stored in the ledger.\n"
		 "# TYPE temd_ledger_scans gauge\n"
		 "temd_ledger_scans %lld\n"
		 "# HELP temd_ledger_bytes Size of the ledger's files (database and WAL).\n"
		 "# TYPE temd_ledger_bytes gauge\n"
		 "temd_ledger_bytes %lld\n"
		 "# HELP temd_ledger_failing 1 while the ledger's latest transaction failed.\n"
		 "# TYPE temd_ledger_failing gauge\n"
		 "temd_ledger_failing %d\n"
		 "# HELP temd_ledger_failed_transactions_total Ledger transactions that failed "
		 "(their scans answered 503).\n"
		 "# TYPE temd_ledger_failed_transactions_total counter\n"
		 "temd_ledger_failed_transactions_total %lld\n"
		 "# HELP temd_producers Producer keys in the trust list in force.\n"
		 "# TYPE temd_producers gauge\n"
		 "temd_producers %ld\n"
		 "# HELP temd_batches Registered batches.\n"
		 "# TYPE temd_batches gauge\n"
		 "temd_batches %ld\n",
		 (long long)ledger_scans, (long long)ledger_bytes, ledger_failing,
		 (long long)ledger_failed, producers, batches);
	return sbuf_take(&b, out, len);
}
