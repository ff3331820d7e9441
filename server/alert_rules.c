/* alert_rules.c — which alert an event raises and what it writes (server/alert_rules.h), the
 * same for every ledger engine. */
#include "server/alert_rules.h"

#include <string.h>
#include <time.h>

#include "keys/date.h"
#include "server/log.h"

int alert_scan_event(const struct ledger_scan *s, int64_t batch, struct alert_event *e)
{
	*e = (struct alert_event){
	    .key_id = s->key_id,
	    .serial = s->serial,
	    .batch = batch,
	    .events = 1,
	    .clients = s->clients,
	    .first_ms = s->at_ms,
	    .at_ms = s->at_ms,
	};
	if (s->verdict == V_DUPLICATE) {
		e->type = ALERT_DUPLICATE;
		e->events =
		    s->scans; /* every counted scan of the code, as code_alerts keeps them */
		e->absolute = 1;
		e->first_ms = s->first_scan_ms;
	} else if (s->verdict == V_SOLD) {
		e->type = ALERT_SOLD_SCANNED;
	} else if (s->facts.base == V_UNREGISTERED) {
		e->type = ALERT_UNREGISTERED;
	} else if (s->facts.base == V_REVOKED) {
		e->type = ALERT_REVOKED_KEY;
	} else {
		return 0;
	}
	return 1;
}

void alert_guess_event(const struct ledger_claim *c, int64_t batch, struct alert_event *e)
{
	*e = (struct alert_event){
	    .type = ALERT_CLAIM_GUESSING,
	    .key_id = c->key_id,
	    .serial = c->serial,
	    .batch = batch,
	    .events = c->code_limit,
	    .first_ms = c->at_ms,
	    .at_ms = c->at_ms,
	};
}

void alert_job_event(const struct ledger_alert *a, int64_t batch, struct alert_event *e)
{
	*e = (struct alert_event){
	    .type = (enum alert_type)a->type,
	    .key_id = a->key_id,
	    .serial = a->serial,
	    .batch = batch,
	    .events = a->events,
	    .first_ms = a->first_ms > 0 && a->first_ms < a->at_ms ? a->first_ms : a->at_ms,
	    .at_ms = a->at_ms,
	};
}

/* Whether a closed alert stays closed: confirmed counterfeit the Vietnam day of the event (a
 * regulator closing it does not want it back at once from the scans that made it). */
static int stays_closed(const struct alert_row *row, int64_t at_ms)
{
	return row->reason != NULL &&
	       strcmp(row->reason, alert_reason_name(ALERT_REASON_COUNTERFEIT)) == 0 &&
	       date_vn_day((time_t)(row->changed_ms / 1000)) == date_vn_day((time_t)(at_ms / 1000));
}

void alert_decide(const struct alert_event *e, const struct alert_row *row, struct alert_write *w)
{
	*w = (struct alert_write){
	    .events = e->events,
	    .absolute = e->absolute,
	    .clients = e->clients,
	    .first_ms = e->first_ms,
	    .at_ms = e->at_ms,
	};
	if (row->id == 0) {
		w->action = ALERT_WRITE_NEW;
		w->count_code = e->batch != 0;
		w->raised = 1;
	} else if (row->status != NULL &&
		   strcmp(row->status, alert_status_name(ALERT_CLOSED)) == 0 &&
		   !stays_closed(row, e->at_ms)) {
		w->action = ALERT_WRITE_REOPEN;
		w->raised = 1;
		w->reopen = 1;
		w->change_by = "temd";
		w->change_to = alert_status_name(ALERT_OPEN);
		w->change_note = "reopened by a new event";
	} else {
		w->action = ALERT_WRITE_COUNT;
	}
}

void alert_log_raised(const struct alert_event *e, const struct alert_write *w, int64_t id)
{
	const char *type = alert_type_name(e->type);

	if (w->action == ALERT_WRITE_NEW && e->type != ALERT_DUPLICATE)
		log_msg(LOG_LV_WARNING, "alert %lld: %s on %s-%llu (%lld events)", (long long)id,
			type, e->key_id, (unsigned long long)e->serial, (long long)e->events);
	else if (w->action == ALERT_WRITE_REOPEN)
		log_msg(LOG_LV_WARNING, "alert %lld: %s on %s-%llu reopened by a new event",
			(long long)id, type, e->key_id, (unsigned long long)e->serial);
}
