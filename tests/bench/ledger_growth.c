/* ledger_growth.c — the ledger's growth per counted scan, through the writer's own code
 * (server/ledger.c) on a real file: N scans (default 100,000) of each kind on a new ledger,
 * and the file's size (page_count * page_size, after the WAL is merged) before and after.
 * Kinds: one phone re-scanning one code (a repeat keeps its cookie), one network re-scanning
 * one code with a new cookie every time (a flooder that drops cookies), and N distinct codes
 * (each a first scan). Usage: ledger_growth [N]. Prints one line a kind. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/ledger.h"

#define GROUP 2000 /* jobs submitted before waiting for them (the writer commits in groups) */

struct group {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, failed;
};

static void job_done(struct ledger_job *job, void *arg)
{
	struct group *g = arg;

	pthread_mutex_lock(&g->mu);
	g->done++;
	g->failed += job->status != LEDGER_OK;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* The ledger file's bytes in use: page_count * page_size, -1 when it cannot be read. */
static long long file_bytes(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db,
			       "SELECT page_count * page_size FROM pragma_page_count(), "
			       "pragma_page_size()",
			       -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
out:
	sqlite3_close(db);
	return v;
}

/* Runs n scans of kind k (0: one phone, one code; 1: one network, a new cookie each scan;
 * 2: distinct codes) on a new ledger at path: 0, or -1 with a message printed. */
static int run(const char *path, int k, int n, long long *before, long long *after, long long *rows)
{
	static struct ledger_job jobs[GROUP];
	struct ledger *l;
	struct tem_err err;
	int64_t scans, bytes;

	if (ledger_open(path, &l, &err) != TEM_OK) {
		fprintf(stderr, "ledger_growth: %s\n", err.msg);
		return -1;
	}
	ledger_close(l); /* a new ledger's schema, merged into the file */
	*before = file_bytes(path);
	if (ledger_open(path, &l, &err) != TEM_OK) {
		fprintf(stderr, "ledger_growth: %s\n", err.msg);
		return -1;
	}
	for (int i = 0; i < n; i += GROUP) {
		struct group g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
		int m = n - i < GROUP ? n - i : GROUP;
		for (int j = 0; j < m; j++) {
			struct ledger_scan *s = &jobs[j].u.scan;
			uint32_t c = (uint32_t)(i + j) + 1;
			memset(&jobs[j], 0, sizeof jobs[j]);
			jobs[j].kind = JOB_SCAN;
			strcpy(s->key_id, "3F9A0C21D4E5B6A7");
			s->serial = k == 2 ? c : 1;
			s->client[0] = 1;
			s->has_cookie = 1;
			s->cookie[0] = 7;
			if (k == 1)
				memcpy(s->cookie + 1, &c, sizeof c);
			s->at_ms = 1795600000000LL + (int64_t)(i + j) * 10;
			s->facts = (struct verdict_facts){.base = V_GENUINE, .threshold = 2};
			jobs[j].done = job_done;
			jobs[j].arg = &g;
			ledger_submit(l, &jobs[j]);
		}
		pthread_mutex_lock(&g.mu);
		while (g.done < m)
			pthread_cond_wait(&g.cv, &g.mu);
		pthread_mutex_unlock(&g.mu);
		if (g.failed > 0) {
			fprintf(stderr, "ledger_growth: %d scans failed\n", g.failed);
			ledger_close(l);
			return -1;
		}
	}
	ledger_stats(l, &scans, &bytes);
	ledger_close(l);
	if (scans != n) {
		fprintf(stderr, "ledger_growth: %lld scans counted, %d made\n", (long long)scans,
			n);
		return -1;
	}
	*after = file_bytes(path);
	{
		sqlite3 *db;
		sqlite3_stmt *st;
		*rows = -1;
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT count(*) FROM scans", -1, &st, NULL) ==
			SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW)
				*rows = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		}
		sqlite3_close(db);
	}
	return *before < 0 || *after < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = {
	    "repeat scans of one code by one phone (cookie kept)",
	    "repeat scans of one code by one network, a new cookie each",
	    "first scans of distinct codes",
	};
	int n = argc > 1 ? atoi(argv[1]) : 100000, status = 0;
	char path[64];

	if (n <= 0) {
		fprintf(stderr, "usage: ledger_growth [N]: N a positive number of scans\n");
		return 2;
	}
	for (int k = 0; k < 3; k++) {
		long long before, after, rows;
		int fd;
		snprintf(path, sizeof path, "/tmp/tem-growth-XXXXXX");
		if ((fd = mkstemp(path)) < 0) {
			perror("ledger_growth: mkstemp");
			return 1;
		}
		close(fd);
		unlink(path);
		if (run(path, k, n, &before, &after, &rows) == 0)
			printf("%s: %d scans, %lld scans rows; ledger %lld -> %lld bytes, "
			       "%.2f bytes a scan\n",
			       kinds[k], n, rows, before, after, (double)(after - before) / n);
		else
			status = 1;
		for (const char *ext = ""; ext != NULL; ext = *ext == '\0'               ? "-wal"
							      : strcmp(ext, "-wal") == 0 ? "-shm"
											 : NULL) {
			char p[80];
			snprintf(p, sizeof p, "%s%s", path, ext);
			unlink(p);
		}
	}
	return status;
}
