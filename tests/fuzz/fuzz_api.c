/* fuzz_api.c — the regulator API's and the dashboard's parsers of outside input. The first byte
 * picks what the rest goes to:
 *   pure entry points (fast, most of the run):
 *     T  a time and a day parameter (api_time, both bounds; api_day)
 *     L  limit (api_limit)
 *     I  a short id KEYID-SERIAL (api_short_id) and a producer key id (keys_id_parse)
 *     F  the type, status and reason filters (alert_*_parse), with a name round trip
 *     C  a cursor (cursor_read) for each list, under the running temd's cursor key: a forged
 *        one must be refused; one that reads back must have a position above 0
 *     M  a cursor made from the input's list and position, one byte of it changed: it reads
 *        back only unchanged
 *     P  a PATCH /api/v1/alerts/{id} body (JSON decoded by jansson, then api_alert_change)
 *     D  the dashboard's workflow form fields status, reason, note (NUL-separated;
 *        dashboard_step_check)
 *     S  a session cookie's value (auth_session_verify) and a token as typed (auth_token_hash)
 *   through the running temd (harness.h), past auth with HARNESS_TOKEN or a valid session:
 *     q  a query string; the second byte picks the route (/api/v1/alerts, batches, scans,
 *        stats, codes/{code}, /dashboard, /dashboard/code, /dashboard/csv/alerts)
 *     c  the {code} of GET /api/v1/codes/{code} (percent-encoded by nothing: raw bytes)
 *     p  the JSON body of PATCH /api/v1/alerts/1
 *     f  the form body of POST /dashboard/alerts/1 (with a session cookie)
 *     s  the form body of POST /dashboard/sign-in (token field)
 *     k  the value of the tem_session cookie on GET /dashboard
 *     a  the Authorization header of GET /api/v1/token
 * At start an alert is staged (a duplicate: CODE1042 scanned from three networks), so workflow
 * steps reach the writer. A 500 from temd fails the run: bad input must get a 4xx. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "keys/keys.h"
#include "server/alert.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/cursor.h"
#include "server/dashboard.h"
#include "server/ledger_query.h"
#include "tests/fuzz/harness.h"

#define TEXT_MAX 4096 /* bytes of one parameter given to a pure parser */

static unsigned char ckey[CURSOR_KEY_BYTES];
static unsigned char skey[AUTH_KEY_BYTES];

/* A NUL-terminated copy of data (size bytes, at most TEXT_MAX) into out. */
static const char *text(const uint8_t *data, size_t size, char out[TEXT_MAX + 1])
{
	if (size > TEXT_MAX)
		size = TEXT_MAX;
	memcpy(out, data, size);
	out[size] = '\0';
	return out;
}

static void fuzz_time(const char *s)
{
	char why[120];
	int64_t a, b;
	int32_t day;

	if (api_time(s, 0, &a, why, sizeof why) == 0) {
		/* the end of a day is at or after its start */
		assert(api_time(s, 1, &b, why, sizeof why) == 0 && b >= a);
	} else {
		assert(why[0] != '\0');
	}
	if (api_day(s, &day, why, sizeof why) == 0)
		assert(day >= 0);
}

static void fuzz_ids(const char *s, size_t n)
{
	unsigned char id[KEYS_ID_BYTES];
	char key[17], again[17];
	uint64_t serial, serial2;
	struct tem_err err;
	size_t limit;

	if (api_limit(s, &limit) == 0)
		assert(limit >= 1 && limit <= LQ_LIMIT_MAX);
	if (api_short_id(s, key, &serial) == 0) {
		char back[64];
		assert(strlen(key) == 16 && serial <= (uint64_t)INT64_MAX);
		snprintf(back, sizeof back, "%s-%llu", key, (unsigned long long)serial);
		assert(api_short_id(back, again, &serial2) == 0 && strcmp(key, again) == 0 &&
		       serial == serial2);
	}
	if (n == 16 && keys_id_parse(s, 16, id, &err) == TEM_OK) {
		keys_id_hex(id, key);
		assert(strlen(key) == 16);
	}
}

static void fuzz_filters(const char *s)
{
	enum alert_type t;
	enum alert_status st;
	enum alert_reason r;

	if (alert_type_parse(s, &t) == 0)
		assert(strcmp(alert_type_name(t), s) == 0);
	if (alert_status_parse(s, &st) == 0)
		assert(strcmp(alert_status_name(st), s) == 0);
	if (alert_reason_parse(s, &r) == 0)
		assert(r != ALERT_REASON_NONE && strcmp(alert_reason_name(r), s) == 0);
}

static void fuzz_cursor(const char *s)
{
	unsigned char d[CURSOR_DIGEST_BYTES];
	int64_t pos;

	cursor_digest("alerts|p=|none=0|from=0|to=0|type=-1|status=-1", d);
	for (int list = CURSOR_BATCHES; list <= CURSOR_HISTORY; list++)
		if (cursor_read(ckey, s, (enum cursor_list)list, d, &pos) == 0)
			assert(pos > 0);
}

static void fuzz_cursor_made(const uint8_t *data, size_t size)
{
	unsigned char d[CURSOR_DIGEST_BYTES];
	char c[CURSOR_TEXT_MAX];
	enum cursor_list list;
	uint64_t u = 0;
	int64_t pos, back;
	size_t n, at;

	if (size < 11)
		return;
	list = (enum cursor_list)(CURSOR_BATCHES + data[0] % 4);
	for (int i = 1; i < 9; i++)
		u = u << 8 | data[i];
	pos = (int64_t)(u & (uint64_t)INT64_MAX);
	if (pos <= 0)
		pos = 1;
	cursor_digest("batches|p=|none=0", d);
	cursor_make(ckey, list, pos, d, c);
	n = strlen(c);
	assert(n > 0 && n < CURSOR_TEXT_MAX);
	assert(cursor_read(ckey, c, list, d, &back) == 0 && back == pos);
	/* another list, or other filters: refused */
	assert(cursor_read(ckey, c, (enum cursor_list)(CURSOR_BATCHES + (data[0] + 1) % 4), d,
			   &back) != 0);
	at = data[9] % n;
	if (c[at] != (char)data[10] && data[10] != '\0') {
		c[at] = (char)data[10];
		assert(cursor_read(ckey, c, list, d, &back) != 0);
	}
}

static void fuzz_patch_body(const uint8_t *data, size_t size)
{
	struct api_alert_change c;
	json_error_t jerr;
	char why[200];
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);

	if (doc == NULL)
		return;
	if (api_alert_change(doc, &c, why, sizeof why) == 0) {
		assert((c.status == ALERT_CLOSED) == (c.reason != ALERT_REASON_NONE));
		assert(c.note == NULL || c.note_len <= API_NOTE_MAX);
	} else {
		assert(why[0] != '\0');
	}
	json_decref(doc);
}

static void fuzz_step_form(const uint8_t *data, size_t size)
{
	char buf[TEXT_MAX + 3];
	const char *f[3] = {NULL, NULL, NULL}, *bad;
	enum alert_status st;
	enum alert_reason why;
	size_t i = 0, k = 0;

	if (size > TEXT_MAX)
		size = TEXT_MAX;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* fields separated by NULs; a field starting with 0x01 stands for an absent one */
	while (k < 3 && i <= size) {
		f[k] = buf[i] == '\x01' ? NULL : buf + i;
		k++;
		i += strlen(buf + i) + 1;
	}
	bad = dashboard_step_check(f[0], f[1], f[2], &st, &why);
	if (bad == NULL)
		assert((st == ALERT_CLOSED) == (why != ALERT_REASON_NONE));
	else
		assert(strcmp(bad, "status") == 0 || strcmp(bad, "reason") == 0 ||
		       strcmp(bad, "note") == 0);
}

static void fuzz_auth(const uint8_t *data, size_t size)
{
	unsigned char hash[AUTH_HASH_BYTES];
	char s[TEXT_MAX + 1];
	int64_t until;

	text(data, size, s);
	if (auth_session_verify(skey, s, 0, hash, &until) == 1)
		assert(until > 0);
	if (auth_token_hash((const char *)data, size, hash) == 0)
		assert(size == AUTH_TOKEN_LEN);
}

/* --- through temd --- */

/* Sends head (a request line and headers, without the blank line), then body (len bytes) with
 * its Content-Length when body is not NULL; fails the run on a 500. */
static void send_request(const char *head, const char *type, const void *body, size_t len)
{
	char h[1024];
	char *req;
	int n;
	int status;

	if (body != NULL)
		n = snprintf(
		    h, sizeof h,
		    "%sContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", head,
		    type, len);
	else
		n = snprintf(h, sizeof h, "%sConnection: close\r\n\r\n", head), len = 0;
	if (n < 0 || (size_t)n >= sizeof h || (req = malloc((size_t)n + len)) == NULL)
		return;
	memcpy(req, h, (size_t)n);
	if (len > 0)
		memcpy(req + n, body, len);
	status = harness_request(req, (size_t)n + len);
	free(req);
	if (status == 500) {
		fprintf(stderr, "fuzz_api: temd answered 500 to a request\n");
		abort();
	}
}

#define BEARER "Authorization: Bearer " HARNESS_TOKEN "\r\n"

static void via_query(const uint8_t *data, size_t size)
{
	static const char *const routes[] = {"/api/v1/alerts",
					     "/api/v1/batches",
					     "/api/v1/scans",
					     "/api/v1/stats",
					     "/api/v1/codes/3F9A0C21D4E5B6A7-1042",
					     "/dashboard",
					     "/dashboard/code",
					     "/dashboard/csv/alerts"};
	char head[TEXT_MAX + 512];
	int n;

	if (size < 1 || size > TEXT_MAX)
		return;
	n = snprintf(head, sizeof head, "GET %s?%.*s HTTP/1.1\r\nHost: fuzz\r\n" BEARER,
		     routes[data[0] % 8], (int)(size - 1), (const char *)data + 1);
	if (n > 0 && (size_t)n < sizeof head)
		send_request(head, NULL, NULL, 0);
}

static void via_code(const uint8_t *data, size_t size)
{
	char head[TEXT_MAX + 512];
	int n;

	if (size > TEXT_MAX)
		return;
	n = snprintf(head, sizeof head, "GET /api/v1/codes/%.*s HTTP/1.1\r\nHost: fuzz\r\n" BEARER,
		     (int)size, (const char *)data);
	if (n > 0 && (size_t)n < sizeof head)
		send_request(head, NULL, NULL, 0);
}

static void via_session(const char *method_path, const char *type, const uint8_t *data, size_t size)
{
	char session[AUTH_SESSION_LEN + 1], head[512];

	harness_session(session);
	snprintf(head, sizeof head,
		 "%s HTTP/1.1\r\nHost: fuzz\r\nOrigin: http://fuzz\r\nCookie: " AUTH_SESSION_COOKIE
		 "=%s\r\n",
		 method_path, session);
	send_request(head, type, data, size);
}

/* GET path with one header, name: the input (up to its first line break). */
static void via_header(const char *path, const char *name, const uint8_t *data, size_t size)
{
	char head[TEXT_MAX + 512], value[TEXT_MAX + 1];
	int n;

	/* one header's value: a line break would end it */
	text(data, size, value);
	value[strcspn(value, "\r\n")] = '\0';
	n = snprintf(head, sizeof head, "GET %s HTTP/1.1\r\nHost: fuzz\r\n%s: %s\r\n", path, name,
		     value);
	if (n > 0 && (size_t)n < sizeof head)
		send_request(head, NULL, NULL, 0);
}

/* Stages a duplicate alert: CODE1042 scanned from three networks (127.0.0.1 is a trusted proxy
 * in the harness, so X-Forwarded-For names the client). */
static void stage_alert(void)
{
	static const char *const from[] = {"203.0.113.9", "198.51.100.7", "192.0.2.44"};
	char req[512];

	for (int i = 0; i < 3; i++) {
		int n = snprintf(req, sizeof req,
				 "GET /c/" CODE1042 " HTTP/1.1\r\nHost: fuzz\r\nX-Forwarded-For: "
				 "%s\r\nConnection: close\r\n\r\n",
				 from[i]);
		harness_request(req, (size_t)n);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	harness_start();
	harness_cursor_key(ckey);
	randombytes_buf(skey, sizeof skey);
	stage_alert();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[TEXT_MAX + 1];
	const uint8_t *d = data + 1;
	size_t n = size - 1;

	if (size < 1 || size > 3 * TEXT_MAX)
		return 0;
	switch (data[0]) {
	case 'T':
		fuzz_time(text(d, n, s));
		break;
	case 'L':
	case 'I':
		fuzz_ids(text(d, n, s), n);
		break;
	case 'F':
		fuzz_filters(text(d, n, s));
		break;
	case 'C':
		fuzz_cursor(text(d, n, s));
		break;
	case 'M':
		fuzz_cursor_made(d, n);
		break;
	case 'P':
		fuzz_patch_body(d, n);
		break;
	case 'D':
		fuzz_step_form(d, n);
		break;
	case 'S':
		fuzz_auth(d, n);
		break;
	case 'q':
		via_query(d, n);
		break;
	case 'c':
		via_code(d, n);
		break;
	case 'p': {
		char head[] = "PATCH /api/v1/alerts/1 HTTP/1.1\r\nHost: fuzz\r\n" BEARER;
		send_request(head, "application/json", d, n);
		break;
	}
	case 'f':
		via_session("POST /dashboard/alerts/1", "application/x-www-form-urlencoded", d, n);
		break;
	case 's':
		send_request("POST /dashboard/sign-in HTTP/1.1\r\nHost: fuzz\r\n",
			     "application/x-www-form-urlencoded", d, n);
		break;
	case 'k':
		memcpy(s, AUTH_SESSION_COOKIE "=", sizeof AUTH_SESSION_COOKIE);
		text(d, n < TEXT_MAX - 20 ? n : TEXT_MAX - 20, s + sizeof AUTH_SESSION_COOKIE);
		via_header("/dashboard", "Cookie", (const uint8_t *)s, strlen(s));
		break;
	case 'a':
		via_header("/api/v1/token", "Authorization", d, n);
		break;
	default:
		break;
	}
	return 0;
}
