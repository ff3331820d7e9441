/* index_rss.c — the memory and start-up time of the SQLite ledger's index of codes
 * (server/codemap.h), which temd rebuilds from the ledger at every open: a ledger holding N
 * scanned codes (default 10,000,000; each a client row of scans, as temd writes them, spread
 * over 100 producer keys) is made once with SQL and kept at the path given; then it is opened
 * through the ledger's own code, timing the open, reading the process's resident memory
 * before and after (/proc/self/status), and a scan of an indexed code and of a new one is
 * counted. Usage: index_rss PATH [N]. Prints one line. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/ledger.h"

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The number of client rows in the ledger at path, -1 when it has none or cannot be read. */
static long long rows_in(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM scans WHERE times > 0", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
out:
	sqlite3_close(db);
	return n;
}

/* Fills the new ledger at path (made by ledger_open, so its schema is temd's) with n client
 * rows, one a code: 0, or -1 with a message printed. */
static int fill(const char *path, long long n)
{
	struct ledger *l;
	struct tem_err err;
	sqlite3 *db;
	char q[1024];
	int rc;

	remove(path);
	if (ledger_open(path, &l, &err) != TEM_OK) {
		fprintf(stderr, "index_rss: %s\n", err.msg);
		return -1;
	}
	ledger_close(l);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	snprintf(q, sizeof q,
		 "PRAGMA synchronous = OFF; BEGIN; "
		 "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < %lld) "
		 "INSERT INTO scans(key_id, serial, at, client, verdict, cookie, times, last_at) "
		 "SELECT printf('%%016X', 1311768467294899695 + i %% 100), 1 + i / 100, "
		 "1795600000000 + i, randomblob(16), 'genuine', x'', 1, 1795600000000 + i FROM c; "
		 "COMMIT",
		 n - 1);
	rc = sqlite3_exec(db, q, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "index_rss: cannot fill %s: %s\n", path, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	long long n = argc > 2 ? atoll(argv[2]) : 10000000LL;
	struct ledger_job job;
	struct ledger *l;
	struct tem_err err;
	long before, after;
	double t0, t1;

	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: index_rss PATH [N]\n");
		return 2;
	}
	if (rows_in(argv[1]) != n && fill(argv[1], n) != 0)
		return 1;
	before = rss_kib();
	t0 = now_s();
	if (ledger_open(argv[1], &l, &err) != TEM_OK) {
		fprintf(stderr, "index_rss: %s\n", err.msg);
		return 1;
	}
	t1 = now_s();
	after = rss_kib();
	/* a repeat scan of an indexed code (code i = 42: key 42 % 100, serial 1) by its own
	 * client is not known to this test, so it is a second client: 2 scans, 2 clients */
	memset(&job, 0, sizeof job);
	job.kind = JOB_SCAN;
	snprintf(job.u.scan.key_id, sizeof job.u.scan.key_id, "%016llX",
		 1311768467294899695ULL + 42);
	job.u.scan.serial = 1;
	job.u.scan.at_ms = 1795700000000;
	job.u.scan.facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
	if (ledger_run(l, &job) != LEDGER_OK || job.u.scan.scans != 2 || job.u.scan.clients != 2) {
		fprintf(stderr,
			"index_rss: an indexed code's scan was not counted as its second\n");
		ledger_close(l);
		return 1;
	}
	ledger_close(l);
	printf("index of %lld scanned codes: built at open in %.1f s (%.2f M rows/s); temd's "
	       "resident memory %.1f MiB before, %.1f MiB after: %.1f bytes a code\n",
	       n, t1 - t0, (double)n / (t1 - t0) / 1e6, before / 1024.0, after / 1024.0,
	       (double)(after - before) * 1024.0 / (double)n);
	return 0;
}
