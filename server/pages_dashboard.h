/* pages_dashboard.h — the regulators' dashboard at /dashboard (docs/dashboard.md), rendered as
 * HTML from plain view structs the routes fill from the ledger's reads: the sign-in page, the
 * main page (alert queue with filters and workflow forms, per-producer table, a chart of the
 * last days drawn as inline SVG, code lookup, CSV links) and one code's page. Pure: no I/O.
 * Vietnamese by default or English; every string that comes from the ledger or the request is
 * HTML-escaped; no script, no external asset, no style attribute (one <style> element). Times
 * are shown in Asia/Ho_Chi_Minh (UTC+7, no DST). */
#ifndef TEM_PAGES_DASHBOARD_H
#define TEM_PAGES_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "label/verdict.h"
#include "server/alert.h"
#include "server/pages.h"

#define DASH_ALERTS_PAGE  50 /* alerts one page of the queue shows */
#define DASH_HISTORY_PAGE 50 /* scans one page of a code's history shows */
#define DASH_CHART_DAYS   31 /* days the chart covers, today included */

/* Who is signed in. */
struct dash_who {
	const char *name;     /* the token's name */
	const char *producer; /* the producer key it is limited to; "" = every producer */
	int64_t expires_ms;   /* when its token expires, Unix ms; 0 = never */
};

/* One alert of the queue (a copy of struct lq_alert). */
struct dash_alert {
	int64_t id;
	enum alert_type type;
	const char *key_id;   /* 16 hex digits */
	uint64_t serial;      /* 0 for an alert on the key */
	const char *producer; /* the key's name, or "" */
	int64_t events, clients;
	int64_t first_ms, last_ms; /* Unix ms */
	enum alert_status status;
	enum alert_reason reason;
	const char *note;       /* "" when none */
	const char *updated_by; /* "" when none */
	int64_t updated_ms;     /* 0 when none */
};

/* One row of the per-producer table (a copy of struct lq_producer). */
struct dash_producer {
	const char *key_id;
	const char *name;
	int32_t revoked; /* day, or -1 when active */
	int64_t batches, codes, scans, scanned, claimed, open_alerts;
};

/* One day of the chart. */
struct dash_day {
	int32_t day; /* Vietnam calendar day, days since 1970-01-01 */
	int64_t scans, duplicates, claims;
};

/* The alert queue's filters, as the request gave them (already checked). */
struct dash_filter {
	int type;             /* enum alert_type, or -1 for every type */
	int status;           /* enum alert_status, or -1 for every status */
	const char *producer; /* a key id, or "" */
};

/* The main page. */
struct dash_main {
	struct dash_who who;
	struct dash_filter filter;
	const struct dash_alert *alerts; /* newest first, at most DASH_ALERTS_PAGE */
	size_t n_alerts;
	int64_t after;      /* the queue's position this page began after (0: the newest) */
	int64_t next_after; /* position of the next page of older alerts, 0 when none */
	const struct dash_producer *producers;
	size_t n_producers;
	const struct dash_day *days; /* oldest first, usually DASH_CHART_DAYS */
	size_t n_days;
	const char *notice; /* a line shown first (what a workflow step came to), or NULL */
	int notice_bad;     /* 1: the notice is a failure */
};

/* One scan of a code's history. */
struct dash_scan {
	int64_t at_ms;
	char client[17]; /* the first 16 hex digits of the network's keyed hash */
	enum verdict verdict;
};

/* A code's page. */
struct dash_code {
	struct dash_who who;
	const char *query;    /* what was typed in the lookup box (shown again), or "" */
	const char *message;  /* why nothing is shown (a malformed code, ...), or NULL */
	int found;            /* 1: the fields below describe a code */
	const char *short_id; /* KEYID-SERIAL */
	const char *producer; /* the key's name, or "" */
	int in_batch;         /* 1 when a registered batch holds it */
	const char *product;  /* the batch's product, or "" */
	const char *batch_id; /* or "" */
	int64_t scans, clients, first_ms, last_ms;
	int64_t claimed_ms; /* 0: not claimed */
	char claimer[17];   /* hex prefix of the claimer's network hash, when claimed */
	enum verdict last;  /* its latest scan's verdict, V_COUNT when none */
	const struct dash_alert *alerts;
	size_t n_alerts;
	const struct dash_scan *history; /* oldest first */
	size_t n_history;
	int64_t after;      /* the history's position this page began after */
	int64_t next_after; /* the next page's position, 0 when none */
};

/* Renders the sign-in page with an optional message (escaped; e.g. a refused token); *out is
 * malloc'd (caller frees). 0, or -1 out of memory. */
int pages_dash_sign_in(enum lang lang, const char *message, char **out, size_t *len);

/* Renders the main page; *out is malloc'd (caller frees). 0, or -1 out of memory. */
int pages_dash_main(const struct dash_main *m, enum lang lang, char **out, size_t *len);

/* Renders a code's page; *out is malloc'd (caller frees). 0, or -1 out of memory. */
int pages_dash_code(const struct dash_code *c, enum lang lang, char **out, size_t *len);

/* An alert type, status or closing reason in plain words of lang: static text. */
const char *pages_dash_type(enum alert_type t, enum lang lang);
const char *pages_dash_status(enum alert_status s, enum lang lang);
const char *pages_dash_reason(enum alert_reason r, enum lang lang);

/* The chart's geometry, for the tests: the SVG's size and its plot area. */
#define DASH_CHART_W  720
#define DASH_CHART_H  260
#define DASH_CHART_X0 56  /* left of the plot (the y axis) */
#define DASH_CHART_X1 704 /* right */
#define DASH_CHART_Y0 16  /* top */
#define DASH_CHART_Y1 220 /* bottom (the x axis) */

/* The top of the chart's y axis for a largest value of max: 4 steps of 1, 2 or 5 times a
 * power of ten (4 when max is 0). */
int64_t pages_dash_axis_max(int64_t max);

#endif
