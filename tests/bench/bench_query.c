/* bench_query.c — the regulator reads (server/ledger_query.h) timed directly on the bench
 * ledger gen_ledger made, with clock_gettime over many repetitions: median and p99 of each
 * read beside the target, and the scan walk's rows per second.
 *
 * Usage: bench_query DIR [REPS]   (DIR: gen_ledger's folder; REPS: repetitions, default 200)
 * Prints one line per figure; exit 0, 1 when a read failed, 2 for bad arguments. Whether a
 * figure meets its target is printed, not judged: the bench's reader decides. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys/date.h"
#include "keys/err.h"
#include "server/ledger.h"
#include "server/ledger_query.h"

#define DAY_MS     86400000LL
#define SAMPLE_MAX 1000

/* What gen_ledger wrote in DIR/info. */
struct info {
	int64_t scans, codes, days, first_ms, end_ms;
};

/* A sampled code. */
struct code {
	char key_id[17];
	uint64_t serial;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts t[0..n) and prints "  NAME: median X ms (target < T ms), p99 Y ms", flagged when the
 * median is over the target (the p99 of a shared machine is mostly its neighbours' load). */
static void report(const char *name, double *t, size_t n, double target)
{
	qsort(t, n, sizeof *t, cmp_double);
	double med = t[n / 2], p99 = t[n * 99 / 100 < n ? n * 99 / 100 : n - 1];
	printf("  %s: median %.3f ms (target < %g ms)%s, p99 %.3f ms\n", name, med, target,
	       med < target ? "" : "  ** over target **", p99);
}

/* Reads DIR/info; 0 or -1. */
static int read_info(const char *dir, struct info *in)
{
	char path[4200], name[64];
	long long v;
	FILE *f;

	memset(in, 0, sizeof *in);
	snprintf(path, sizeof path, "%s/info", dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (strcmp(name, "scans") == 0)
			in->scans = v;
		else if (strcmp(name, "codes") == 0)
			in->codes = v;
		else if (strcmp(name, "days") == 0)
			in->days = v;
		else if (strcmp(name, "first_ms") == 0)
			in->first_ms = v;
		else if (strcmp(name, "end_ms") == 0)
			in->end_ms = v;
	}
	fclose(f);
	return in->end_ms > in->first_ms && in->days > 0 ? 0 : -1;
}

/* Reads up to SAMPLE_MAX codes of DIR/sample; how many. */
static size_t read_sample(const char *dir, struct code *c)
{
	char path[4200];
	unsigned long long serial, scans;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/sample", dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (n < SAMPLE_MAX && fscanf(f, "%16s %llu %llu", c[n].key_id, &serial, &scans) == 3)
		c[n++].serial = serial;
	fclose(f);
	return n;
}

/* Callbacks: count what they get (and touch it, as a route would). */
static int on_scan(void *arg, const struct lq_scan *s, struct tem_err *err)
{
	(void)err;
	(void)s;
	*(int64_t *)arg += 1;
	return TEM_OK;
}

/* As the CSV export does per row: the row formatted into a line (then dropped). */
static int on_scan_line(void *arg, const struct lq_scan *s, struct tem_err *err)
{
	char line[256];
	char hex[LEDGER_CLIENT_BYTES * 2 + 1];

	(void)err;
	for (int i = 0; i < LEDGER_CLIENT_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", s->client[i]);
	int n = snprintf(
	    line, sizeof line, "%" PRId64 ",%" PRId64 ",%s-%" PRIu64 ",%s,%" PRIu64 ",%s,%d\r\n",
	    s->id, s->at_ms, s->key_id, s->serial, s->key_id, s->serial, hex, (int)s->verdict);
	*(int64_t *)arg += n > 0;
	return TEM_OK;
}

static int on_alert(void *arg, const struct lq_alert *a, struct tem_err *err)
{
	(void)err;
	(void)a;
	*(int64_t *)arg += 1;
	return TEM_OK;
}

static int on_stat(void *arg, const struct lq_stat *s, struct tem_err *err)
{
	(void)err;
	*(int64_t *)arg += s->scans;
	return TEM_OK;
}

static int on_producer(void *arg, const struct lq_producer *p, struct tem_err *err)
{
	(void)err;
	(void)p;
	*(int64_t *)arg += 1;
	return TEM_OK;
}

static int on_batch(void *arg, const struct lq_batch *b, struct tem_err *err)
{
	(void)err;
	(void)b;
	*(int64_t *)arg += 1;
	return TEM_OK;
}

/* The peak resident memory of this process (VmHWM), KiB, or -1. */
static long vm_hwm(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	static struct code sample[SAMPLE_MAX];
	struct ledger *l = NULL;
	struct lq_filter f;
	struct lq_code code;
	struct tem_err err;
	struct info in;
	char path[4200];
	double *t = NULL;
	size_t reps = 200, ns;
	int64_t got, next;
	int rc = 1;

	if (argc < 2 || argc > 3)
		goto usage;
	if (argc == 3 && ((reps = strtoul(argv[2], NULL, 10)) < 10 || reps > 100000))
		goto usage;
	if (read_info(argv[1], &in) != 0 || (ns = read_sample(argv[1], sample)) == 0) {
		fprintf(stderr, "bench_query: %s: no bench ledger's info and sample there\n",
			argv[1]);
		return 1;
	}
	snprintf(path, sizeof path, "%s/ledger.db", argv[1]);
	if (ledger_open(path, &l, &err) != TEM_OK) {
		fprintf(stderr, "bench_query: %s\n", err.msg);
		return 1;
	}
	if (lq_open(l, &err) != TEM_OK) {
		fprintf(stderr, "bench_query: %s\n", err.msg);
		goto out;
	}
	if ((t = calloc(reps > ns ? reps : ns, sizeof *t)) == NULL) {
		fprintf(stderr, "bench_query: out of memory\n");
		goto out;
	}
	printf("lq_* reads on the ledger directly (%" PRId64 " scans, %" PRId64
	       " codes), %zu repetitions:\n",
	       in.scans, in.codes, reps);

	/* one code's history, as GET /api/v1/codes/{code} reads it: its counts, its first page
	 * of scans, its alerts */
	for (size_t i = 0; i < ns; i++) {
		double t0 = now_ms();
		got = 0;
		if (lq_code(l, sample[i].key_id, sample[i].serial, &code, &err) != TEM_OK ||
		    lq_code_scans(l, sample[i].key_id, sample[i].serial, 0, LQ_LIMIT_DEFAULT,
				  on_scan, &got, &next, &err) != TEM_OK ||
		    lq_code_alerts(l, sample[i].key_id, sample[i].serial, on_alert, &got, &err) !=
			TEM_OK) {
			fprintf(stderr, "bench_query: a code's history: %s\n", err.msg);
			goto out;
		}
		t[i] = now_ms() - t0;
	}
	report("one code's history (lq_code + lq_code_scans + lq_code_alerts, 1000 codes)", t, ns,
	       2);

	/* alerts of the last day, newest first, a page of 100 */
	lq_filter_all(&f);
	f.from_ms = in.end_ms - DAY_MS;
	int64_t alerts = 0;
	for (size_t i = 0; i < reps; i++) {
		double t0 = now_ms();
		got = 0;
		if (lq_alerts(l, &f, 0, LQ_LIMIT_DEFAULT, on_alert, &got, &next, &err) != TEM_OK) {
			fprintf(stderr, "bench_query: alerts: %s\n", err.msg);
			goto out;
		}
		t[i] = now_ms() - t0;
		alerts = got;
	}
	printf("  (alerts of the last day: first page of %" PRId64 ")\n", alerts);
	report("alerts of the last day (lq_alerts, since end - 24 h, limit 100)", t, reps, 20);

	/* 31 days of daily statistics, every producer together, and per producer */
	int32_t to_day = date_vn_day((time_t)(in.end_ms / 1000)), from_day = to_day - 30;
	lq_filter_all(&f);
	int64_t sum = 0;
	for (size_t i = 0; i < reps; i++) {
		double t0 = now_ms();
		got = 0;
		if (lq_stats(l, &f, from_day, to_day, LQ_BY_DAY, on_stat, &got, &err) != TEM_OK) {
			fprintf(stderr, "bench_query: stats: %s\n", err.msg);
			goto out;
		}
		t[i] = now_ms() - t0;
		sum = got;
	}
	printf("  (31 days of statistics: %" PRId64 " scans counted)\n", sum);
	report("31 days of daily statistics, all producers (lq_stats by day)", t, reps, 20);
	for (size_t i = 0; i < reps; i++) {
		double t0 = now_ms();
		got = 0;
		if (lq_stats(l, &f, from_day, to_day, LQ_BY_PRODUCER, on_stat, &got, &err) !=
		    TEM_OK) {
			fprintf(stderr, "bench_query: stats: %s\n", err.msg);
			goto out;
		}
		t[i] = now_ms() - t0;
	}
	report("31 days of statistics by producer (lq_stats by producer)", t, reps, 20);

	/* what the dashboard and GET /api/v1/producers read besides (no target of their own: the
	 * dashboard's page has 50 ms in all) */
	for (size_t i = 0; i < reps; i++) {
		double t0 = now_ms();
		got = 0;
		if (lq_producers(l, &f, on_producer, &got, &err) != TEM_OK) {
			fprintf(stderr, "bench_query: producers: %s\n", err.msg);
			goto out;
		}
		t[i] = now_ms() - t0;
	}
	report("the producers' totals (lq_producers)", t, reps, 50);
	for (size_t i = 0; i < reps; i++) {
		double t0 = now_ms();
		got = 0;
		if (lq_batches(l, &f, 0, LQ_LIMIT_DEFAULT, on_batch, &got, &next, &err) != TEM_OK) {
			fprintf(stderr, "bench_query: batches: %s\n", err.msg);
			goto out;
		}
		t[i] = now_ms() - t0;
	}
	report("a page of 100 batches with their counts (lq_batches)", t, reps, 50);

	/* the scan walk of the CSV export: about a million rows of the last days, in pages of
	 * 1000, each row formatted as a CSV line */
	int64_t per_day = in.scans / in.days, days = (1000000 + per_day - 1) / per_day;
	if (days > in.days)
		days = in.days;
	lq_filter_all(&f);
	f.from_ms = in.end_ms - days * DAY_MS;
	f.to_ms = in.end_ms + 1;
	int64_t rows = 0, after = 0;
	double t0 = now_ms();
	do {
		if (lq_scans(l, &f, after, LQ_LIMIT_MAX, on_scan_line, &rows, &next, &err) !=
		    TEM_OK) {
			fprintf(stderr, "bench_query: scans: %s\n", err.msg);
			goto out;
		}
		after = next;
	} while (next != 0);
	double ms = now_ms() - t0;
	printf("  scan walk of the last %" PRId64 " days (lq_scans, pages of %d, each row a CSV "
	       "line): %" PRId64 " rows in %.0f ms, %.0f rows/s (target > 200000 rows/s)%s\n",
	       days, LQ_LIMIT_MAX, rows, ms, rows * 1000.0 / ms,
	       rows * 1000.0 / ms > 200000 ? "" : "  ** under target **");
	printf("  peak RSS of this process (VmHWM): %.1f MiB\n", vm_hwm() / 1024.0);
	rc = 0;
out:
	free(t);
	lq_close(l);
	ledger_close(l);
	return rc;
usage:
	fprintf(stderr, "usage: bench_query DIR [REPS]\n");
	return 2;
}
