/* dashboard.h — the regulators' dashboard routes (server/routes_dashboard.c, docs/dashboard.md):
 * sign in with an API token once, then a session cookie; the alert queue and its workflow, the
 * producers, the last 31 days, a code's history. Handlers of the route table (server/routes.c):
 * each answers rq; rest is what follows a prefix path ("" for an exact one). */
#ifndef TEM_DASHBOARD_H
#define TEM_DASHBOARD_H

#include <microhttpd.h>

#include "server/alert.h"

struct request;

#define DASHBOARD_FORM_MAX 8192 /* body bound of the dashboard's form posts (route table) */
#define DASHBOARD_NOTE_MAX 1000 /* bytes of a workflow note (docs/api.md) */

/* GET /dashboard (ACCESS_SESSION): the main page, reading only what it shows: one page of
 * alerts (type, status, producer, after from the query), the producers, 31 days of stats. */
enum MHD_Result route_dashboard(struct request *rq, const char *rest);

/* The sign-in page, as the answer of a session route without a valid session: 200 for a GET,
 * 401 for anything else. */
enum MHD_Result route_dashboard_sign_in_page(struct request *rq, const char *rest);

/* POST /dashboard/sign-in (ACCESS_PUBLIC), form field token: 303 to /dashboard with the
 * session cookie; the sign-in page again with 401 for a refused token, 429 over the limit;
 * 403 for a cross-site post. */
enum MHD_Result route_dashboard_sign_in(struct request *rq, const char *rest);

/* POST /dashboard/sign-out (ACCESS_PUBLIC): 303 to /dashboard with a cookie that ends the
 * session; 403 for a cross-site post. */
enum MHD_Result route_dashboard_sign_out(struct request *rq, const char *rest);

/* POST /dashboard/alerts/{id} (ACCESS_SESSION, prefix "/dashboard/alerts/"), form fields
 * status, reason (with closed), note: a JOB_ALERT_UPDATE, then 303 back to the queue saying
 * what it came to; 403 for a cross-site post. */
enum MHD_Result route_dashboard_alert(struct request *rq, const char *rest);

/* GET /dashboard/code?code= (ACCESS_SESSION): a code's facts, alerts and scan history (the
 * 133-character code or its short id KEYID-SERIAL; after= pages the history). */
enum MHD_Result route_dashboard_code(struct request *rq, const char *rest);

/* Checks a workflow form's decoded fields (each NULL when absent): status (open, investigating,
 * closed), reason (required with closed, not read otherwise), note (at most DASHBOARD_NOTE_MAX
 * bytes of UTF-8 without control characters). NULL with *st and *why set when they make a step;
 * else the name of the field that is wrong: "status", "reason" or "note" (static strings). */
const char *dashboard_step_check(const char *status, const char *reason, const char *note,
				 enum alert_status *st, enum alert_reason *why);

#endif
