/* api.h — the regulator API under /api/v1 (docs/api.md): JSON by default, CSV on request, keyset
 * pages with signed cursors (server/cursor.h), every read through server/ledger_query.h. Each
 * route is registered in server/routes.c with ACCESS_TOKEN, so rq->who is filled before its
 * handler runs; a producer token sees only its own key's rows. Bad parameters get 400
 * {"error":{"code":"bad-parameter","message":"PARAM: ..."}}. */
#ifndef TEM_API_H
#define TEM_API_H

#include <stddef.h>
#include <stdint.h>

#include "server/alert.h"
#include "server/server.h"

/* GET /api/v1/batches */
enum MHD_Result route_api_batches(struct request *rq, const char *rest);
/* GET /api/v1/codes/{code} (rest: the code or its short id) */
enum MHD_Result route_api_code(struct request *rq, const char *rest);
/* GET /api/v1/scans */
enum MHD_Result route_api_scans(struct request *rq, const char *rest);
/* GET /api/v1/alerts */
enum MHD_Result route_api_alerts(struct request *rq, const char *rest);
/* GET and PATCH /api/v1/alerts/{id} (rest: the id) */
enum MHD_Result route_api_alert(struct request *rq, const char *rest);
/* GET /api/v1/stats */
enum MHD_Result route_api_stats(struct request *rq, const char *rest);
/* GET /api/v1/producers */
enum MHD_Result route_api_producers(struct request *rq, const char *rest);

/* --- the parameter parsers, pure (tests/unit/test_api.c) --- */

/* Parses a time parameter: "YYYY-MM-DD" (a Vietnam calendar day: its first instant, or with
 * end 1 the first instant of the next day, so a day given as an upper bound is included), or
 * RFC 3339 ("2026-11-27T10:00:00Z", "2026-11-27T17:00:00+07:00", fractions of a second
 * dropped). 0 with *ms (Unix ms) set, or -1 with why (cap bytes) saying what is wrong. */
int api_time(const char *s, int end, int64_t *ms, char *why, size_t cap);

/* Parses a day parameter: "YYYY-MM-DD", or an RFC 3339 time (its Vietnam calendar day). 0 with
 * *day (days since 1970-01-01) set, or -1 with why set. */
int api_day(const char *s, int32_t *day, char *why, size_t cap);

/* Parses limit: a whole number from 1 to LQ_LIMIT_MAX. 0 or -1. */
int api_limit(const char *s, size_t *n);

/* Parses a short id "KEYID-SERIAL" (16 hex digits, either case, a dash, a decimal serial):
 * 0 with key (upper case) and *serial set, or -1. */
int api_short_id(const char *s, char key[17], uint64_t *serial);

/* A workflow step as PATCH /api/v1/alerts/{id} asks for it. */
struct api_alert_change {
	enum alert_status status; /* the new status */
	enum alert_reason reason; /* why it was closed; ALERT_REASON_NONE unless closed */
	const char *note;         /* the note's text inside the document, or NULL for none */
	size_t note_len;          /* its bytes */
};

/* Checks a PATCH body's document (already decoded JSON): an object of only status (open,
 * investigating, closed), reason (with closed only, and required then) and note (at most
 * API_NOTE_MAX bytes of clean UTF-8, or null). 0 with *c filled (its note points into doc), or
 * -1 with why (cap bytes) saying which field is wrong, beginning with its name. */
int api_alert_change(const json_t *doc, struct api_alert_change *c, char *why, size_t cap);

#define API_NOTE_MAX 1000 /* bytes of an alert's note */

#endif
