/* burst.c — invalid-burst detection: a window counter per trusted key, and the JOB_ALERT that
 * reports a burst to the ledger (server/burst.h). */
#include "server/burst.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/alert.h"
#include "server/log.h"

/* temd's own counters, for every request thread */
static struct burst counters = {.mu = PTHREAD_MUTEX_INITIALIZER};

void burst_init(struct burst *b)
{
	memset(b->slot, 0, sizeof b->slot);
	pthread_mutex_init(&b->mu, NULL);
}

/* The slot of key_id in b (its lock held): its own, else a free one, else the one whose window
 * began first, emptied (its unreported codes are lost: more keys than BURST_KEYS send forged
 * codes at once). */
static struct burst_slot *slot_of(struct burst *b, const char *key_id)
{
	struct burst_slot *free_slot = NULL, *oldest = &b->slot[0];

	for (size_t i = 0; i < BURST_KEYS; i++) {
		struct burst_slot *s = &b->slot[i];
		if (s->key_id[0] == '\0') {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (strcmp(s->key_id, key_id) == 0)
			return s;
		if (s->start_ms < oldest->start_ms || oldest->key_id[0] == '\0')
			oldest = s;
	}
	struct burst_slot *s = free_slot != NULL ? free_slot : oldest;
	memset(s, 0, sizeof *s);
	snprintf(s->key_id, sizeof s->key_id, "%s", key_id);
	return s;
}

struct burst_report burst_count(struct burst *b, const char *key_id, int64_t now_ms)
{
	struct burst_report r = {0, 0, 0};
	struct burst_slot *s;

	pthread_mutex_lock(&b->mu);
	s = slot_of(b, key_id);
	if (s->count > 0 && now_ms - s->start_ms >= BURST_WINDOW_MS) {
		/* the window is over: the rest of a burst is reported with this first code */
		if (s->count >= BURST_THRESHOLD && s->count > s->reported)
			r = (struct burst_report){s->count - s->reported, s->start_ms, s->last_ms};
		s->count = 0;
		s->reported = 0;
	}
	if (s->count == 0)
		s->start_ms = now_ms;
	s->count++;
	if (now_ms > s->last_ms || s->count == 1)
		s->last_ms = now_ms;
	if (r.events == 0 && s->count % BURST_THRESHOLD == 0) {
		r = (struct burst_report){s->count - s->reported, s->start_ms, s->last_ms};
		s->reported = s->count;
	}
	pthread_mutex_unlock(&b->mu);
	return r;
}

/* A reporting job's done callback: the job was allocated by burst_invalid. */
static void free_job(struct ledger_job *job, void *arg)
{
	(void)arg;
	if (job->status != LEDGER_OK)
		log_msg(LOG_LV_ERROR,
			"alert: invalid-burst on key %s (%lld forged codes) not recorded",
			job->u.alert.key_id, (long long)job->u.alert.events);
	free(job);
}

void burst_invalid(struct ledger *l, const char *key_id, int64_t now_ms)
{
	struct burst_report r = burst_count(&counters, key_id, now_ms);
	struct ledger_job *job;

	if (r.events == 0)
		return;
	if ((job = calloc(1, sizeof *job)) == NULL) {
		log_msg(LOG_LV_ERROR,
			"alert: invalid-burst on key %s (%lld forged codes) not "
			"recorded: out of memory",
			key_id, (long long)r.events);
		return;
	}
	job->kind = JOB_ALERT;
	job->u.alert.type = ALERT_INVALID_BURST;
	snprintf(job->u.alert.key_id, sizeof job->u.alert.key_id, "%s", key_id);
	job->u.alert.serial = 0;
	job->u.alert.events = r.events;
	job->u.alert.first_ms = r.first_ms;
	job->u.alert.at_ms = r.at_ms;
	job->done = free_job;
	ledger_submit(l, job);
}
