/* http.c — temd's transport on libmicrohttpd: request life cycle, bounds (URL, body), routing
 * by path and method, suspended connections while a scan waits for its durable commit, and
 * the helpers that answer. No route logic here. */
#include "server/log.h"
#include "server/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "keys/date.h"
#include "server/client.h"

/* Headers every answer carries. */
static void common_headers(struct request *rq, struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (atomic_load(&rq->t->stopping))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (strncmp(type, "text/html", 9) == 0) {
		MHD_add_response_header(
		    r, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'; "
		    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
		MHD_add_response_header(r, "Content-Language", rq->lang ? "en" : "vi");
	}
	if (rq->retry_after > 0) {
		char ra[24];
		snprintf(ra, sizeof ra, "%u", rq->retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	if (rq->set_cookie) {
		char value[CLIENT_COOKIE_LEN + 1], cookie[200];
		client_cookie_value(&rq->t->keys, rq->job.u.scan.cookie, value);
		snprintf(cookie, sizeof cookie,
			 CLIENT_COOKIE "=%s; Max-Age=63072000; Path=/; HttpOnly; SameSite=Lax%s",
			 value, rq->t->secure_cookie ? "; Secure" : "");
		MHD_add_response_header(r, "Set-Cookie", cookie);
	}
}

static enum MHD_Result queue(struct request *rq, unsigned status, const char *type, void *body,
			     size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	common_headers(rq, r, type);
	if (status == 405)
		MHD_add_response_header(r, "Allow",
					rq->route == ROUTE_SCANS || rq->route == ROUTE_BATCHES ||
						rq->route == ROUTE_CLAIMS
					    ? "POST"
					: rq->route == ROUTE_PAGE || rq->route == ROUTE_HOME
					    ? "GET, HEAD, POST"
					    : "GET, HEAD");
	ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	metrics_request(rq->route, status);
	log_access(rq->method != NULL ? rq->method : "-", metrics_route_name(rq->route), status,
		   len);
	rq->phase = PH_DONE;
	return ret;
}

enum MHD_Result http_json(struct request *rq, unsigned status, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	size_t len;

	json_decref(body);
	if (text == NULL)
		return MHD_NO;
	len = strlen(text);
	/* a trailing newline for people reading with curl */
	char *nl = realloc(text, len + 2);
	if (nl == NULL) {
		free(text);
		return MHD_NO;
	}
	nl[len] = '\n';
	nl[len + 1] = '\0';
	return queue(rq, status, "application/json", nl, len + 1, MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result http_error(struct request *rq, unsigned status, const char *code, const char *fmt,
			   ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return http_json(rq, status,
			 json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

enum MHD_Result http_html(struct request *rq, unsigned status, char *html, size_t len)
{
	if (html == NULL)
		return http_error(rq, 500, "internal", "out of memory");
	return queue(rq, status, "text/html; charset=utf-8", html, len, MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result http_text(struct request *rq, unsigned status, const char *type, char *text,
			  size_t len)
{
	if (text == NULL)
		return http_error(rq, 500, "internal", "out of memory");
	return queue(rq, status, type, text, len, MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result http_redirect(struct request *rq, const char *location)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	common_headers(rq, r, "text/plain");
	MHD_add_response_header(r, "Location", location);
	ret = MHD_queue_response(rq->conn, 303, r);
	MHD_destroy_response(r);
	metrics_request(rq->route, 303);
	log_access(rq->method != NULL ? rq->method : "-", metrics_route_name(rq->route), 303, 0);
	rq->phase = PH_DONE;
	return ret;
}

json_t *http_json_field(struct request *rq, const char *field, json_t **value,
			enum MHD_Result *answer)
{
	const char *type = http_header(rq, "Content-Type");
	json_error_t jerr;
	json_t *doc;

	if (type == NULL || strncasecmp(type, "application/json", 16) != 0 ||
	    (type[16] != '\0' && type[16] != ';' && type[16] != ' ')) {
		*answer = http_error(rq, 415, "unsupported-media-type", "send application/json");
		return NULL;
	}
	if (rq->body == NULL || rq->body_len == 0) {
		*answer = http_error(rq, 400, "bad-request",
				     "the body is empty; send {\"%s\": \"...\"}", field);
		return NULL;
	}
	doc = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		*answer =
		    http_error(rq, 400, "invalid-json", "invalid JSON at line %d, column %d: %s",
			       jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	*value = json_is_object(doc) ? json_object_get(doc, field) : NULL;
	if (!json_is_string(*value)) {
		json_decref(doc);
		*answer = http_error(rq, 422,
				     strcmp(field, "code") == 0 ? "missing-code" : "missing-header",
				     "the body must be a JSON object with a string \"%s\"", field);
		return NULL;
	}
	return doc;
}

struct form_field {
	const char *name; /* the field wanted */
	char *out;        /* its value so far */
	size_t cap, len;
	int found, too_long;
};

/* libmicrohttpd's post processor calls this for each piece of each field's value. */
static enum MHD_Result form_piece(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *filename, const char *type, const char *encoding,
				  const char *data, uint64_t off, size_t size)
{
	struct form_field *f = cls;

	(void)kind, (void)filename, (void)type, (void)encoding, (void)off;
	if (key == NULL || strcmp(key, f->name) != 0)
		return MHD_YES;
	f->found = 1;
	if (f->len + size >= f->cap) {
		f->too_long = 1;
		return MHD_YES;
	}
	memcpy(f->out + f->len, data, size);
	f->len += size;
	f->out[f->len] = '\0';
	return MHD_YES;
}

int http_form_field(struct request *rq, const char *name, char *out, size_t cap)
{
	struct form_field f = {name, out, cap, 0, 0, 0};
	struct MHD_PostProcessor *pp;
	enum MHD_Result r;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (rq->body == NULL || rq->body_len == 0)
		return 0;
	/* NULL unless the Content-Type is a form libmicrohttpd knows */
	pp = MHD_create_post_processor(rq->conn, 1024, form_piece, &f);
	if (pp == NULL)
		return 0;
	r = MHD_post_process(pp, rq->body, rq->body_len);
	if (MHD_destroy_post_processor(pp) != MHD_YES)
		r = MHD_NO;
	if (r != MHD_YES || !f.found || f.too_long) {
		out[0] = '\0';
		return 0;
	}
	return 1;
}

const char *http_header(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

struct joined {
	const char *name; /* the header */
	char *buf;        /* the lines so far, malloc'd; NULL when none */
	size_t len;       /* bytes in buf, NUL excluded */
	int failed;       /* out of memory */
};

/* MHD_get_connection_values' iterator for http_header_joined: appends each line of the
 * header. */
static enum MHD_Result join_line(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct joined *j = cls;
	size_t n;
	char *grown;

	(void)kind;
	if (strcasecmp(key, j->name) != 0 || value == NULL || j->failed)
		return MHD_YES;
	n = strlen(value);
	if ((grown = realloc(j->buf, j->len + n + 3)) == NULL) {
		j->failed = 1;
		return MHD_YES;
	}
	j->buf = grown;
	if (j->len > 0)
		memcpy(j->buf + j->len, ", ", 2), j->len += 2;
	memcpy(j->buf + j->len, value, n + 1);
	j->len += n;
	return MHD_YES;
}

char *http_header_joined(struct request *rq, const char *name)
{
	struct joined j = {.name = name};

	/* the request's headers live in the connection's memory pool (64 KiB): bounded */
	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, join_line, &j);
	if (j.failed) {
		free(j.buf);
		return NULL;
	}
	return j.buf;
}

const char *http_arg(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const struct sockaddr *http_peer(struct request *rq)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci != NULL ? ci->client_addr : NULL;
}

/* Runs on the ledger's writer thread once the scan is durable. */
static void ledger_done(struct ledger_job *job, void *arg)
{
	struct request *rq = arg;
	struct temd *t = rq->t;

	(void)job;
	metrics_commit(date_mono_seconds() - rq->submitted);
	atomic_store(&rq->job_done, 1);
	MHD_resume_connection(rq->conn);
	/* counted here, not when the answer goes out: a client that hung up meanwhile never
	 * gets its answer, and its request may already be freed */
	atomic_fetch_sub(&t->waiting, 1);
}

enum MHD_Result http_wait_ledger(struct request *rq)
{
	rq->phase = PH_WAIT;
	rq->submitted = date_mono_seconds();
	rq->job.done = ledger_done;
	rq->job.arg = rq;
	/* counted first, then the stop flag read: http_stop sets the flag before it waits for
	 * the count to reach 0, so either it waits for this request or this request sees the
	 * flag; libmicrohttpd aborts if it stops with a connection still suspended */
	atomic_fetch_add(&rq->t->waiting, 1);
	if (atomic_load(&rq->t->stopping)) {
		atomic_fetch_sub(&rq->t->waiting, 1);
		return http_error(rq, 503, "stopping", "temd is stopping; try again in a moment");
	}
	/* suspended before the job can finish, so the resume always finds it suspended */
	MHD_suspend_connection(rq->conn);
	ledger_submit(rq->t->ledger, &rq->job);
	return MHD_YES;
}

static enum route classify(const char *url)
{
	if (url[0] == '/' && (url[1] == 'c' || url[1] == 'C') && url[2] == '/')
		return ROUTE_PAGE;
	if (strcmp(url, "/") == 0)
		return ROUTE_HOME;
	if (strcmp(url, "/api/v1/scans") == 0)
		return ROUTE_SCANS;
	if (strcmp(url, "/api/v1/batches") == 0)
		return ROUTE_BATCHES;
	if (strcmp(url, "/api/v1/claims") == 0)
		return ROUTE_CLAIMS;
	if (strcmp(url, "/healthz") == 0)
		return ROUTE_HEALTHZ;
	if (strcmp(url, "/metrics") == 0)
		return ROUTE_METRICS;
	return ROUTE_OTHER;
}

static enum MHD_Result dispatch(struct request *rq, const char *url, const char *method)
{
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;

	rq->head = strcmp(method, "HEAD") == 0;
	rq->method = method;

	switch (rq->route) {
	case ROUTE_PAGE:
	case ROUTE_HOME:
		/* POST: the claim form (a page's, or the typed fallback's) */
		if (!get && !post)
			return http_error(rq, 405, "method-not-allowed",
					  "%.16s is not allowed here; use GET or POST", method);
		break;
	case ROUTE_HEALTHZ:
	case ROUTE_METRICS:
		if (!get)
			return http_error(rq, 405, "method-not-allowed",
					  "%.16s is not allowed here; use GET", method);
		break;
	case ROUTE_SCANS:
	case ROUTE_BATCHES:
	case ROUTE_CLAIMS:
		if (!post)
			return http_error(rq, 405, "method-not-allowed",
					  "%.16s is not allowed here; use POST", method);
		break;
	default:
		return http_error(rq, 404, "not-found", "no such resource");
	}
	switch (rq->route) {
	case ROUTE_PAGE: {
		/* one trailing slash, as docs/code-format.md allows, is part of no code */
		size_t n = strlen(url + 3);
		if (n > 0 && url[3 + n - 1] == '/')
			n--;
		return post ? route_claim_form(rq, url + 3, n) : route_page(rq, url + 3, n);
	}
	case ROUTE_HOME:
		return post ? route_home_form(rq) : route_home(rq);
	case ROUTE_HEALTHZ:
		return route_healthz(rq);
	case ROUTE_METRICS:
		return route_metrics(rq);
	case ROUTE_SCANS:
		return route_scans(rq);
	case ROUTE_BATCHES:
		return route_batches(rq);
	case ROUTE_CLAIMS:
		return route_claims(rq);
	default:
		return http_error(rq, 404, "not-found", "no such resource");
	}
}

/* libmicrohttpd's access handler: called once with the headers, then for each piece of the
 * body, then once more with none; answering on that last call keeps the connection alive. */
static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct temd *t = cls;
	struct request *rq = *con_cls;

	(void)version;
	if (rq == NULL) {
		const char *cl;
		if ((rq = calloc(1, sizeof *rq)) == NULL)
			return MHD_NO;
		rq->t = t;
		rq->conn = conn;
		rq->route = classify(url);
		rq->body_max =
		    rq->route == ROUTE_BATCHES ? TEMD_BATCH_BODY_MAX : TEMD_SCAN_BODY_MAX;
		rq->phase = PH_BODY;
		atomic_fetch_add(&t->inflight, 1);
		*con_cls = rq;
		if (strlen(url) > TEMD_URL_MAX)
			return http_error(rq, 414, "uri-too-long",
					  "the request target is longer than %d bytes",
					  TEMD_URL_MAX);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		rq->body_cap = rq->body_max;
		if (cl != NULL) {
			unsigned long long n = strtoull(cl, NULL, 10);
			if (n > rq->body_max)
				return http_error(rq, 413, "body-too-large",
						  "the body is larger than %zu bytes",
						  rq->body_max);
			rq->body_cap = (size_t)n; /* the buffer holds no more than announced */
		}
		return MHD_YES;
	}
	if (rq->phase == PH_WAIT) {
		if (!atomic_load(&rq->job_done))
			return MHD_YES;
		return route_scan_finish(rq);
	}
	if (rq->phase == PH_DONE) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (rq->body_len + n > rq->body_cap) {
			free(rq->body);
			rq->body = NULL;
			return http_error(rq, 413, "body-too-large",
					  "the body is larger than %zu bytes", rq->body_max);
		}
		if (rq->body == NULL && (rq->body = malloc(rq->body_cap + 1)) == NULL)
			return MHD_NO;
		memcpy(rq->body + rq->body_len, upload, n);
		rq->body_len += n;
		rq->body[rq->body_len] = '\0';
		return MHD_YES;
	}
	return dispatch(rq, url, method);
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct temd *t = cls;
	struct request *rq = *con_cls;

	(void)conn, (void)toe;
	if (rq == NULL)
		return;
	free(rq->body);
	free(rq);
	*con_cls = NULL;
	atomic_fetch_sub(&t->inflight, 1);
}

/* libmicrohttpd's own error messages (its format strings, checked by the attribute). */
__attribute__((format(printf, 2, 0))) static void log_cb(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("temd: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int http_start(struct temd *t, struct tem_err *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;

	if (t->cfg.listen.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	t->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, access_cb, t, MHD_OPTION_EXTERNAL_LOGGER, log_cb, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&t->cfg.listen, MHD_OPTION_THREAD_POOL_SIZE,
	    t->cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT, t->cfg.timeout,
	    MHD_OPTION_CONNECTION_LIMIT, 10000u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)64 * 1024, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_NOTIFY_COMPLETED,
	    completed_cb, t, MHD_OPTION_END);
	if (t->mhd == NULL)
		return err_set(err,
			       "cannot listen on the address given (in use, or not this host's)");
	di = MHD_get_daemon_info(t->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (t->cfg.port_file != NULL && di != NULL) {
		char tmp[4200], buf[16];
		FILE *f;
		snprintf(tmp, sizeof tmp, "%s.tmp", t->cfg.port_file);
		snprintf(buf, sizeof buf, "%u\n", (unsigned)di->port);
		if ((f = fopen(tmp, "w")) == NULL || fputs(buf, f) < 0 || fclose(f) != 0 ||
		    rename(tmp, t->cfg.port_file) != 0)
			return err_set(err, "%s: cannot write the port", t->cfg.port_file);
	}
	return TEM_OK;
}

void http_stop(struct temd *t, unsigned drain_seconds)
{
	double end = date_mono_seconds() + drain_seconds;

	if (t->mhd == NULL)
		return;
	atomic_store(&t->stopping, 1); /* keep-alive connections bring no new ledger waits */
	MHD_quiesce_daemon(t->mhd);    /* and no new connections come */
	while (atomic_load(&t->inflight) > 0 && date_mono_seconds() < end)
		usleep(10000);
	/* a suspended connection must be resumed before the daemon stops: the ledger's commit
	 * resumes each one, so wait for those whatever the time */
	while (atomic_load(&t->waiting) > 0)
		usleep(1000);
	/* and give the answers of those last commits a moment to go out */
	end = date_mono_seconds() + 1.0;
	while (atomic_load(&t->inflight) > 0 && date_mono_seconds() < end)
		usleep(1000);
	MHD_stop_daemon(t->mhd);
	t->mhd = NULL;
}
