/* ledger_window.c — the group window of the ledger's writer (server/ledger_window.h). */
#include "server/ledger_window.h"

#include <errno.h>

int ledger_window_add(struct ledger_window *w)
{
	if (w->queued++ == 0) {
		clock_gettime(CLOCK_MONOTONIC, &w->first_at);
		return 1;
	}
	return w->queued == LEDGER_GROUP_MAX;
}

void ledger_window_wait(struct ledger_window *w, pthread_cond_t *cv, pthread_mutex_t *mu,
			const int *stop)
{
	struct timespec until = w->free_at;

	if (w->last_group <= 1 || *stop)
		return;
	if (w->first_at.tv_sec > until.tv_sec ||
	    (w->first_at.tv_sec == until.tv_sec && w->first_at.tv_nsec > until.tv_nsec))
		until = w->first_at;
	until.tv_nsec += LEDGER_GROUP_WINDOW_US * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (w->queued < LEDGER_GROUP_MAX && !*stop) {
		struct timespec now;
		long long left;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long long)(until.tv_sec - now.tv_sec) * 1000000000LL +
		       (until.tv_nsec - now.tv_nsec);
		if (left <= 0 || pthread_cond_timedwait(cv, mu, &until) == ETIMEDOUT)
			break;
	}
}

void ledger_window_take(struct ledger_window *w)
{
	w->last_group = w->queued;
	w->queued = 0;
}

void ledger_window_done(struct ledger_window *w)
{
	clock_gettime(CLOCK_MONOTONIC, &w->free_at);
}
