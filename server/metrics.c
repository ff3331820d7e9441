/* metrics.c — atomic counters and their Prometheus text. */
#include "server/metrics.h"

#include "server/sbuf.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* every status from 100 to 599 has its own counter; the last slot counts anything else */
#define STATUS_MIN 100
#define NSTATUS    500
static const double buckets[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
				 0.05,   0.1,   0.25,  0.5,   1,    2.5};
#define NBUCKET (sizeof buckets / sizeof buckets[0])

/* a slot per route label, claimed by the first request answered under it; the last slot is
 * "other" */
static _Atomic(const char *) route_names[METRICS_ROUTES_MAX + 1];
static atomic_ulong requests[METRICS_ROUTES_MAX + 1][NSTATUS + 1]; /* last: any other status */
static atomic_ulong verdicts[V_COUNT];
static atomic_ulong commit_le[NBUCKET + 1]; /* last: +Inf */
static atomic_ulong commit_count;
static atomic_ulong limited[LIMIT_KINDS];
static atomic_ulong conn_refused, conn_cut;
static const char *const limit_names[LIMIT_KINDS] = {"scans", "claims", "batches", "signins"};
static atomic_ullong commit_sum_us;

/* The slot of route's label: found by its text, or claimed (lock-free) when new. */
static int route_slot(const char *route)
{
	for (int i = 0; i < METRICS_ROUTES_MAX; i++) {
		const char *have = atomic_load(&route_names[i]);
		if (have == NULL) {
			const char *expected = NULL;
			if (atomic_compare_exchange_strong(&route_names[i], &expected, route))
				return i;
			have = expected; /* another thread took the slot meanwhile */
		}
		if (strcmp(have, route) == 0)
			return i;
	}
	return METRICS_ROUTES_MAX;
}

void metrics_request(const char *route, unsigned status)
{
	size_t i =
	    status >= STATUS_MIN && status < STATUS_MIN + NSTATUS ? status - STATUS_MIN : NSTATUS;
	int r = route_slot(route != NULL && strcmp(route, "other") != 0 ? route : "other");

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

/* Appends what operators watch besides requests: the build, trust list reloads and the
 * process. */
static void format_ops(struct sbuf *b);

int metrics_format(char **out, size_t *len, int64_t ledger_scans, int64_t ledger_bytes,
		   int ledger_failing, int64_t ledger_failed, int64_t ledger_commits,
		   long producers, long batches)
{
	struct sbuf b;
	unsigned long cum = 0;

	if (sbuf_init(&b, 8192) != 0)
		return -1;
	sbuf_put(&b, "# HELP temd_requests_total HTTP requests answered, by route and status.\n"
		     "# TYPE temd_requests_total counter\n");
	for (int r = 0; r <= METRICS_ROUTES_MAX; r++)
		for (size_t i = 0; i <= NSTATUS; i++) {
			unsigned long v = atomic_load(&requests[r][i]);
			const char *name =
			    r < METRICS_ROUTES_MAX ? atomic_load(&route_names[r]) : "other";
			if (v == 0)
				continue;
			if (i < NSTATUS)
				sbuf_put(&b,
					 "temd_requests_total{route=\"%s\",status=\"%zu\"} %lu\n",
					 name, STATUS_MIN + i, v);
			else
				sbuf_put(&b,
					 "temd_requests_total{route=\"%s\",status=\"other\"} %lu\n",
					 name, v);
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
		 "# HELP temd_ledger_commits_total Ledger transactions committed, each a group of "
		 "jobs made durable at once.\n"
		 "# TYPE temd_ledger_commits_total counter\n"
		 "temd_ledger_commits_total %lld\n"
		 "# HELP temd_producers Producer keys in the trust list in force.\n"
		 "# TYPE temd_producers gauge\n"
		 "temd_producers %ld\n"
		 "# HELP temd_batches Registered batches.\n"
		 "# TYPE temd_batches gauge\n"
		 "temd_batches %ld\n",
		 (long long)ledger_scans, (long long)ledger_bytes, ledger_failing,
		 (long long)ledger_failed, (long long)ledger_commits, producers, batches);
	format_ops(&b);
	return sbuf_take(&b, out, len);
}

/* --- build, trust list reloads, process (docs/temd.8, METRICS) --- */

static atomic_ulong trust_reloads[2]; /* [0] failed, [1] succeeded */
static atomic_llong trust_loaded_at;  /* unix time of the list in force, 0 before one */

static atomic_ulong registry_refreshes; /* reads of newly registered batches */

void metrics_registry_refresh(void)
{
	atomic_fetch_add_explicit(&registry_refreshes, 1, memory_order_relaxed);
}

void metrics_trust_reload(int ok)
{
	atomic_fetch_add_explicit(&trust_reloads[ok ? 1 : 0], 1, memory_order_relaxed);
	if (ok)
		atomic_store(&trust_loaded_at, (long long)time(NULL));
}

/* The process's CPU seconds, resident bytes and start time (unix seconds) from
 * /proc/self/stat; 0 when it cannot be read. */
static int proc_stat(double *cpu, double *rss, double *start)
{
	char buf[1024], *p;
	unsigned long long utime, stime, starttime;
	long long rss_pages;
	double btime = 0;
	FILE *f;
	size_t n;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

	if ((f = fopen("/proc/self/stat", "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: fields start after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
		   "%llu %*u %lld",
		   &utime, &stime, &starttime, &rss_pages) != 4 ||
	    tck <= 0 || page <= 0)
		return -1;
	if ((f = fopen("/proc/stat", "re")) != NULL) {
		while (fgets(buf, sizeof buf, f) != NULL)
			if (sscanf(buf, "btime %lf", &btime) == 1)
				break;
		fclose(f);
	}
	*cpu = (double)(utime + stime) / (double)tck;
	*rss = (double)rss_pages * (double)page;
	*start = btime + (double)starttime / (double)tck;
	return 0;
}

/* Open descriptors (entries of /proc/self/fd, less the one reading it) and the limit. */
static void proc_fds(long *open_fds, double *max_fds)
{
	struct rlimit rl;
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	*open_fds = -1;
	if (d != NULL) {
		*open_fds = 0;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				(*open_fds)++;
		closedir(d);
		(*open_fds)--;
	}
	*max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
		       ? (double)rl.rlim_cur
		       : -1;
}

static void format_ops(struct sbuf *b)
{
	double cpu, rss, start, max_fds;
	long open_fds;

	sbuf_put(b,
		 "# HELP temd_build_info The temd build answering: its version.\n"
		 "# TYPE temd_build_info gauge\n"
		 "temd_build_info{version=\"%s\"} 1\n"
		 "# HELP temd_trust_reloads_total Trust list loads (at start and on SIGHUP), by "
		 "result.\n"
		 "# TYPE temd_trust_reloads_total counter\n"
		 "temd_trust_reloads_total{result=\"success\"} %lu\n"
		 "temd_trust_reloads_total{result=\"failure\"} %lu\n"
		 "# HELP temd_trust_loaded_timestamp_seconds When the trust list in force was "
		 "loaded.\n"
		 "# TYPE temd_trust_loaded_timestamp_seconds gauge\n"
		 "temd_trust_loaded_timestamp_seconds %lld\n"
		 "# HELP temd_registry_refreshes_total Ledger reads of batches other temd "
		 "registered (a shared PostgreSQL ledger).\n"
		 "# TYPE temd_registry_refreshes_total counter\n"
		 "temd_registry_refreshes_total %lu\n",
		 TEMD_VERSION, atomic_load(&trust_reloads[1]), atomic_load(&trust_reloads[0]),
		 (long long)atomic_load(&trust_loaded_at), atomic_load(&registry_refreshes));
	if (proc_stat(&cpu, &rss, &start) == 0)
		sbuf_put(b,
			 "# HELP process_cpu_seconds_total Total user and system CPU time spent in "
			 "seconds.\n"
			 "# TYPE process_cpu_seconds_total counter\n"
			 "process_cpu_seconds_total %.2f\n"
			 "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
			 "# TYPE process_resident_memory_bytes gauge\n"
			 "process_resident_memory_bytes %.0f\n"
			 "# HELP process_start_time_seconds Start time of the process since unix "
			 "epoch in seconds.\n"
			 "# TYPE process_start_time_seconds gauge\n"
			 "process_start_time_seconds %.2f\n",
			 cpu, rss, start);
	proc_fds(&open_fds, &max_fds);
	if (open_fds >= 0)
		sbuf_put(b,
			 "# HELP process_open_fds Number of open file descriptors.\n"
			 "# TYPE process_open_fds gauge\n"
			 "process_open_fds %ld\n",
			 open_fds);
	if (max_fds >= 0)
		sbuf_put(b,
			 "# HELP process_max_fds Maximum number of open file descriptors.\n"
			 "# TYPE process_max_fds gauge\n"
			 "process_max_fds %.0f\n",
			 max_fds);
}
