/* alert_rules.h — how the ledger raises a typed alert (server/alert.h, docs/api.md "Alerts"),
 * decided once for every engine: which event a scan, a claim or an alert job shows, and whether
 * that event makes a new alert, reopens a closed one or is only counted in it, with the values
 * written. Each engine (ledger_sqlite.c, ledger_pg.c) reads the alert's row and writes what these
 * say. The decisions are pure (no I/O, no allocation); alert_log_raised only logs. */
#ifndef TEM_ALERT_RULES_H
#define TEM_ALERT_RULES_H

#include <stdint.h>

#include "server/alert.h"
#include "server/ledger_jobs.h"

/* One event (or several) of an alert, as the ledger counts it. */
struct alert_event {
	enum alert_type type;
	const char *key_id; /* 16 hex digits (not copied: the job's) */
	uint64_t serial;    /* the code, 0 for an alert on the key */
	int64_t batch;      /* the code's batch (batch_stats.alerted), 0 for none */
	int64_t events;     /* events to add; with absolute, what events becomes at least */
	int absolute;       /* 1: events is a total (a duplicate's counted scans) */
	int64_t clients;    /* the code's clients, 0 where the type counts none */
	int64_t first_ms;   /* the first of the events, Unix ms */
	int64_t at_ms;      /* the latest */
};

/* The (key, serial, type) alert row as the engine read it, all zero when there is none. */
struct alert_row {
	int64_t id; /* the alert's id; 0: no row */
	const char
	    *status; /* its stored status name (alert_status_name), NULL read as not closed */
	const char *reason; /* its stored reason name, or NULL */
	int64_t changed_ms; /* its last workflow change (updated_at), Unix ms; 0: none */
};

/* What to write for an event. */
enum alert_action {
	ALERT_WRITE_NEW,    /* insert the alert, status open, with the values below */
	ALERT_WRITE_COUNT,  /* count the event in the alert: events added (absolute: at least
			     * events), clients at least, first_at at most, last_at at least */
	ALERT_WRITE_REOPEN, /* count it so and reopen the closed alert: status open, no reason,
			     * the step kept in alert_changes (change_*) */
};

/* The write alert_decide chooses: the action and every value the engine binds. */
struct alert_write {
	enum alert_action action;
	int count_code;        /* NEW: count the code in its batch's alerted codes unless it has an
				  * alert of another type already (only when it has a batch) */
	int raised;            /* 1 when the alert is made or reopened (ledger_alert.raised) */
	int reopen;            /* 1 for REOPEN: status open, reason cleared */
	int64_t events;        /* events to insert, add, or (absolute) keep at least */
	int absolute;          /* 1: events is a total, not a count to add */
	int64_t clients;       /* clients to insert, or keep at least */
	int64_t first_ms;      /* first_at to insert, or keep at most */
	int64_t at_ms;         /* last_at to insert, or keep at least; REOPEN: the change's time */
	const char *change_by; /* REOPEN: who the alert_changes row names; else NULL */
	const char *change_to; /* REOPEN: the status it names; else NULL */
	const char *change_note; /* REOPEN: its note; else NULL */
};

/* The alert a counted scan s of a code in batch (0: none) shows: duplicate (events: the code's
 * counted scans, a total) or sold-then-scanned by its final verdict, unregistered or revoked-key
 * by its base verdict, one event with the code's clients. 1 with *e set, or 0 when the scan shows
 * none. e->key_id points into s. */
int alert_scan_event(const struct ledger_scan *s, int64_t batch, struct alert_event *e);

/* The claim-guessing alert of claim c's code in batch (0: none), whose wrong PINs have just
 * reached the code's daily limit: its events are those wrong PINs. e->key_id points into c. */
void alert_guess_event(const struct ledger_claim *c, int64_t batch, struct alert_event *e);

/* The alert of job a (already checked by alert_job_valid) for a code in batch (0: none): a's
 * events, first_ms when it is set and before at_ms, else at_ms. e->key_id points into a. */
void alert_job_event(const struct ledger_alert *a, int64_t batch, struct alert_event *e);

/* What event e writes given row, its alert as read (id 0: none): NEW when there is none; else
 * REOPEN when it is closed, unless closed as confirmed-counterfeit on the Vietnam day of e, then
 * (like an alert not closed) COUNT. *w is filled whole. */
void alert_decide(const struct alert_event *e, const struct alert_row *row, struct alert_write *w);

/* Logs, once written, what an operator should see of w for e's alert id: a new alert (not a
 * duplicate: the scan that makes one says so in its own words) or a reopened one. */
void alert_log_raised(const struct alert_event *e, const struct alert_write *w, int64_t id);

#endif
