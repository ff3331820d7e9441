/* ledger_window.h — the group window of the ledger's writer (server/ledger.c), which runs
 * every engine's groups: while jobs come together, the writer waits up to
 * LEDGER_GROUP_WINDOW_US after it is free again for more jobs to share one commit, or until
 * LEDGER_GROUP_MAX are waiting; a lone job is committed at once. Every call is made under the
 * writer's queue lock except ledger_window_done. */
#ifndef TEM_LEDGER_WINDOW_H
#define TEM_LEDGER_WINDOW_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

/* Measured with make bench (bench_temd, 64 connections on 2 cores, SQLite): 200 us made groups
 * of about 15 scans, 1 ms about 40, at a lower p99, 26,000 scans a second against 24,000, and
 * 1.74 signature checks of CPU a scan against 1.94; 2 ms cut the rate, each connection then
 * waiting on the window. A buyer waits that much longer at most. */
#ifndef LEDGER_GROUP_WINDOW_US
#define LEDGER_GROUP_WINDOW_US 1000
#endif
#define LEDGER_GROUP_MAX 256

struct ledger_window {
	size_t queued;            /* jobs waiting */
	size_t last_group;        /* the jobs of the group the writer took last */
	struct timespec first_at; /* CLOCK_MONOTONIC when the first waiting job came */
	struct timespec free_at;  /* CLOCK_MONOTONIC when the writer finished its last group */
};

/* Counts a job queued (submit). 1 when the writer must be woken: it is the first waiting
 * job, or the group is full; 0 when the writer needs no wake-up for it. */
int ledger_window_add(struct ledger_window *w);

/* The writer, with jobs waiting: waits on cv (made on CLOCK_MONOTONIC; mu held, as
 * pthread_cond_timedwait wants) until the window closes, the group fills or *stop is set.
 * Returns at once after a lone job. */
void ledger_window_wait(struct ledger_window *w, pthread_cond_t *cv, pthread_mutex_t *mu,
			const int *stop);

/* The writer takes every waiting job as its group. */
void ledger_window_take(struct ledger_window *w);

/* The writer has answered its group (no lock needed: only the writer reads free_at). */
void ledger_window_done(struct ledger_window *w);

#endif
