/* http.c — temd's transport on libmicrohttpd: the listening sockets (public, and metrics apart),
 * connection limits (per address, total from RLIMIT_NOFILE, a deadline for each whole request),
 * request life cycle, bounds (URL, headers, body), rate limits, routing by path and method,
 * suspended connections while a scan waits for its durable commit, and the helpers that
 * answer. Routes are rows of the route table (server/router.h): no route is known here by
 * name. */
#include "server/log.h"
#include "server/server.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
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
	if (rq->close || (!rq->ops && atomic_load(&rq->t->stopping)))
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
		client_cookie_value(&rq->t->keys, rq->cookie, value);
		snprintf(cookie, sizeof cookie,
			 CLIENT_COOKIE "=%s; Max-Age=63072000; Path=/; HttpOnly; SameSite=Lax%s",
			 value, rq->t->secure_cookie ? "; Secure" : "");
		MHD_add_response_header(r, "Set-Cookie", cookie);
	}
	if (rq->session_cookie != NULL)
		MHD_add_response_header(r, "Set-Cookie", rq->session_cookie);
}

/* Counts and logs an answer queued: metrics and the access log under the route's label, and
 * a regulator's request under its token's name (never the token). */
static void answered(struct request *rq, unsigned status, size_t len)
{
	const char *method = rq->method != NULL ? rq->method : "-";
	const char *label = rq->label != NULL ? rq->label : "other";

	metrics_request(label, status);
	log_access(method, label, status, len, rq->who.name[0] != '\0' ? rq->who.name : NULL);
	if (rq->who.name[0] != '\0')
		log_msg(LOG_LV_INFO, "api: token \"%s\"%s: %s %s %u", rq->who.name,
			rq->who.session ? " (dashboard)" : "", method, label, status);
	rq->phase = PH_DONE;
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
		MHD_add_response_header(r, "Allow", router_allow(rq->allow));
	if (status == 401) /* every 401 is an API token's or a session's (server/auth.h) */
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"tem\"");
	ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	answered(rq, status, len);
	return ret;
}

enum MHD_Result http_response(struct request *rq, unsigned status, const char *type,
			      struct MHD_Response *r, size_t len)
{
	enum MHD_Result ret;

	common_headers(rq, r, type);
	ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	answered(rq, status, len);
	return ret;
}

/* A JSON answer as jansson writes it: in stack while it fits (most answers), on the heap once
 * it grows past (pages of a list). json_dumps would grow a heap buffer a few times for every
 * answer, then copy it once more. */
#define JSON_ANSWER_STACK 2048

struct json_out {
	char *buf;  /* stack, or the heap once grown */
	size_t len; /* bytes written */
	size_t cap; /* bytes buf holds */
	char stack[JSON_ANSWER_STACK];
};

/* json_dump_callback's writer: appends n bytes, keeping room for the answer's newline. */
static int json_out_put(const char *s, size_t n, void *arg)
{
	struct json_out *o = arg;

	if (n >= o->cap - o->len) {
		size_t cap = o->cap;
		char *grown;
		while (n >= cap - o->len)
			cap *= 2;
		if (o->buf == o->stack) {
			if ((grown = malloc(cap)) != NULL)
				memcpy(grown, o->stack, o->len);
		} else {
			grown = realloc(o->buf, cap);
		}
		if (grown == NULL)
			return -1;
		o->buf = grown;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	return 0;
}

enum MHD_Result http_json(struct request *rq, unsigned status, json_t *body)
{
	struct json_out o;
	char *text = NULL;
	int ok;

	o.buf = o.stack;
	o.len = 0;
	o.cap = sizeof o.stack;
	ok = body != NULL &&
	     json_dump_callback(body, json_out_put, &o, JSON_COMPACT | JSON_ENSURE_ASCII) == 0;
	json_decref(body);
	if (ok && o.buf != o.stack)
		text = o.buf;
	else if (ok && (text = malloc(o.len + 1)) != NULL)
		memcpy(text, o.stack, o.len);
	if (text == NULL) {
		if (o.buf != o.stack)
			free(o.buf);
		return MHD_NO;
	}
	text[o.len] = '\n'; /* a trailing newline for people reading with curl */
	return queue(rq, status, "application/json", text, o.len + 1, MHD_RESPMEM_MUST_FREE);
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
	answered(rq, 303, 0);
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

	/* the request's headers live in the connection's memory pool (CONN_POOL): bounded */
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

/* --- connections: per-address counts and the deadline of each request --- */

/* One open connection of the public listener (its MHD socket context). */
struct http_conn {
	struct http_conn *prev, *next;
	int fd;                       /* its socket, valid until the CLOSED notice */
	struct sockaddr_storage addr; /* the peer */
	int counted;                  /* counted in conn_counts */
	int cut;                      /* shut down by the watcher or the address limit */
	_Atomic long long start_ms;   /* its current request's start: accept or last answer */
	atomic_int waiting;           /* suspended for the ledger: the time is temd's own */
};

struct http_conns {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct http_conn *head;     /* every open connection */
	struct conn_counts *counts; /* per address */
	unsigned timeout;           /* seconds a whole request may take */
	int stop;                   /* tells the watcher to end */
	pthread_t watcher;
	int started;
};

static long long now_ms(void)
{
	return (long long)(date_mono_seconds() * 1000.0);
}

/* 1 when addr is one of --trust-proxy's: its connections carry many clients, so the
 * per-address limit does not apply. client_address gives the peer back unless the peer is a
 * trusted proxy, in which case it walks to an address in X-Forwarded-For. */
static int is_proxy(struct temd *t, const struct sockaddr *addr)
{
	struct client_net out;

	if (t->cfg.proxies.n == 0 || addr == NULL)
		return 0;
	if (client_address(&t->cfg.proxies, addr, "192.0.2.1", &out) != TEM_OK)
		return 0;
	return out.family == AF_INET && memcmp(out.addr, "\xc0\x00\x02\x01", 4) == 0;
}

/* libmicrohttpd's accept policy: refuses at once a connection its address has no room for
 * (counted for real when the connection starts). */
static enum MHD_Result accept_cb(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct temd *t = cls;

	(void)len;
	if (atomic_load(&t->stopping))
		return MHD_NO; /* stopping: closed at once (http_stop) */
	if (is_proxy(t, addr) || conn_counts_allow(t->conns->counts, addr))
		return MHD_YES;
	metrics_connection_refused();
	return MHD_NO;
}

/* libmicrohttpd's connection notices: a started connection is counted for its address (and
 * cut at once when over the address's limit) and watched; a closed one is forgotten before
 * libmicrohttpd closes its socket, so the watcher never touches a socket number reused. */
static void conn_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
		    enum MHD_ConnectionNotificationCode code)
{
	struct temd *t = cls;
	struct http_conns *cs = t->conns;
	struct http_conn *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fi =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ai =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if ((c = calloc(1, sizeof *c)) == NULL) {
			if (fi != NULL)
				shutdown(fi->connect_fd, SHUT_RDWR);
			return;
		}
		c->fd = fi != NULL ? fi->connect_fd : -1;
		if (ai != NULL && ai->client_addr != NULL)
			memcpy(&c->addr, ai->client_addr,
			       ai->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								      : sizeof(struct sockaddr_in));
		atomic_store(&c->start_ms, now_ms());
		pthread_mutex_lock(&cs->mu);
		if (!is_proxy(t, (struct sockaddr *)&c->addr)) {
			int r = conn_counts_open(cs->counts, (struct sockaddr *)&c->addr);
			c->counted = r >= 0;
			if (r <= 0 && c->fd >= 0) {
				c->cut = 1;
				shutdown(c->fd, SHUT_RDWR);
				metrics_connection_refused();
			}
		}
		c->next = cs->head;
		if (cs->head != NULL)
			cs->head->prev = c;
		cs->head = c;
		pthread_mutex_unlock(&cs->mu);
		*socket_context = c;
		return;
	}
	if (c == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		cs->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->counted)
		conn_counts_close(cs->counts, (struct sockaddr *)&c->addr);
	pthread_mutex_unlock(&cs->mu);
	free(c);
	*socket_context = NULL;
}

/* The watcher: four times a second, shuts down the socket of every connection whose request
 * (headers, body and answer) has taken longer than --timeout, however steadily its bytes
 * trickle; libmicrohttpd then sees the end of the stream and closes it. A scan waiting for the
 * ledger is not the client's time and is not cut. */
static void *watcher(void *arg)
{
	struct http_conns *cs = arg;

	pthread_mutex_lock(&cs->mu);
	while (!cs->stop) {
		struct timespec ts;
		long long limit = now_ms() - (long long)cs->timeout * 1000;
		for (struct http_conn *c = cs->head; c != NULL; c = c->next)
			if (!c->cut && c->fd >= 0 && !atomic_load(&c->waiting) &&
			    atomic_load(&c->start_ms) < limit) {
				c->cut = 1;
				shutdown(c->fd, SHUT_RDWR);
				metrics_connection_cut();
			}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000L;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&cs->cv, &cs->mu, &ts);
	}
	pthread_mutex_unlock(&cs->mu);
	return NULL;
}

/* The deadline state of rq's connection, or NULL (the ops listener). */
static struct http_conn *conn_of(struct request *rq)
{
	const union MHD_ConnectionInfo *ci;

	if (rq->ops)
		return NULL;
	ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* Runs on the ledger's writer thread once the scan is durable. */
static void ledger_done(struct ledger_job *job, void *arg)
{
	struct request *rq = arg;
	struct temd *t = rq->t;

	(void)job;
	metrics_commit(date_mono_seconds() - rq->submitted);
	atomic_store(&rq->job_done, 1);
	/* the answer gets a whole --timeout of its own; written before the resume, after which
	 * the connection (and its state) may go at any time */
	if (rq->cs != NULL) {
		atomic_store(&rq->cs->start_ms, now_ms());
		atomic_store(&rq->cs->waiting, 0);
	}
	MHD_resume_connection(rq->conn);
	/* counted here, not when the answer goes out: a client that hung up meanwhile never
	 * gets its answer, and its request may already be freed */
	atomic_fetch_sub(&t->waiting, 1);
}

enum MHD_Result http_wait_ledger(struct request *rq, enum MHD_Result (*finish)(struct request *))
{
	rq->phase = PH_WAIT;
	rq->finish = finish;
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
	if (rq->cs != NULL)
		atomic_store(&rq->cs->waiting, 1);
	/* suspended before the job can finish, so the resume always finds it suspended */
	MHD_suspend_connection(rq->conn);
	ledger_submit(rq->t->ledger, &rq->job);
	return MHD_YES;
}

/* --- rate limits --- */

/* The buyer's page when temd cannot answer it now (429, 503): plain, both languages, no input
 * of the request in it. */
static enum MHD_Result busy_page(struct request *rq, unsigned status)
{
	static const char limited[] =
	    "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width\"><title>tem</title><h1>Quá nhiều lượt kiểm tra</h1>"
	    "<p>Mạng này vừa kiểm tra quá nhiều mã tem. Hãy thử lại sau ít phút.</p>"
	    "<p lang=\"en\">Too many checks from this network. Try again in a few minutes.</p>"
	    "</html>\n";
	static const char stopping[] =
	    "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width\"><title>tem</title><h1>Máy chủ đang khởi động lại</h1>"
	    "<p>Hãy thử lại sau giây lát.</p>"
	    "<p lang=\"en\">The server is restarting. Try again in a moment.</p></html>\n";
	const char *page = status == 429 ? limited : stopping;
	char *copy = strdup(page);

	return http_html(rq, status, copy, copy != NULL ? strlen(copy) : 0);
}

int http_limit(struct request *rq, enum limit_kind kind, int take, unsigned *retry_after)
{
	struct temd *t = rq->t;
	unsigned char client[LEDGER_CLIENT_BYTES];
	char *xff;
	int ok;

	*retry_after = 0;
	if (t->limits == NULL)
		return 1;
	xff = t->cfg.proxies.n > 0 ? http_header_joined(rq, "X-Forwarded-For") : NULL;
	client_request_id(&t->keys, &t->cfg.proxies, http_peer(rq), xff, client);
	free(xff);
	ok = take ? limits_take(t->limits, kind, client, date_mono_seconds(), retry_after)
		  : limits_peek(t->limits, kind, client, date_mono_seconds(), retry_after);
	if (!ok)
		metrics_limited(kind);
	return ok;
}

/* http_over_limit and http_limit_reached: take says whether a token is taken. */
static int over_limit(struct request *rq, enum limit_kind kind, int take, enum MHD_Result *answer)
{
	unsigned retry;

	if (http_limit(rq, kind, take, &retry))
		return 0;
	rq->retry_after = retry;
	if (rq->as_page)
		*answer = busy_page(rq, 429);
	else
		*answer = http_error(rq, 429, "rate-limited",
				     "too many requests from this network; try again in %u seconds",
				     retry);
	return 1;
}

int http_over_limit(struct request *rq, enum limit_kind kind, enum MHD_Result *answer)
{
	return over_limit(rq, kind, 1, answer);
}

int http_limit_reached(struct request *rq, enum limit_kind kind, enum MHD_Result *answer)
{
	return over_limit(rq, kind, 0, answer);
}

/* --- requests --- */

/* Answers rq by its row of the route table (server/router.h): 503 while stopping, 404 for no
 * route, 405 for a method the path's rows do not answer, then the row's access check (an API
 * token or session: rq->who filled), its rate limit, and its handler. */
static enum MHD_Result dispatch(struct request *rq, const char *url, const char *method)
{
	const struct route *row;
	const char *rest;
	enum MHD_Result r;

	rq->head = strcmp(method, "HEAD") == 0;
	rq->method = method;
	row = router_find(rq->t->routes, rq->t->nroutes, url, method, rq->ops, &rq->allow,
			  &rq->label, &rest);
	rq->route = row;
	/* the buyer's HTML routes answer a refusal with a page */
	rq->as_page = row != NULL && row->html;
	if (!rq->ops && atomic_load(&rq->t->stopping)) {
		if (rq->as_page)
			return busy_page(rq, 503);
		return http_error(rq, 503, "stopping", "temd is stopping; try again in a moment");
	}
	if (row == NULL && rq->allow == 0)
		return http_error(rq, 404, "not-found", "no such resource");
	if (row == NULL)
		return http_error(rq, 405, "method-not-allowed",
				  "%.16s is not allowed here; use %s", method,
				  router_allow(rq->allow));
	if ((row->access == ACCESS_TOKEN || row->access == ACCESS_SESSION) &&
	    !rq->t->authorize(rq, row->access == ACCESS_SESSION, &rq->who, &r))
		return r;
	if (row->limit > 0 && !rq->head &&
	    http_over_limit(rq, (enum limit_kind)(row->limit - 1), &r))
		return r;
	rq->as_page = 0; /* the routes set it for themselves */
	return row->handler(rq, rest);
}

#define HEADERS_MAX 16384 /* bytes of request headers temd answers itself (431 beyond) */

struct header_scan {
	size_t bytes;       /* names and values */
	int lengths;        /* Content-Length lines */
	int lengths_differ; /* two of them disagree */
	int chunked;        /* a Transfer-Encoding line */
	const char *length; /* the first Content-Length */
};

/* MHD_get_connection_values' iterator for check_headers. */
static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct header_scan *h = cls;

	(void)kind;
	h->bytes += strlen(key) + (value != NULL ? strlen(value) : 0) + 4;
	if (strcasecmp(key, "Content-Length") == 0) {
		if (h->lengths++ == 0)
			h->length = value;
		else if (value == NULL || h->length == NULL || strcmp(value, h->length) != 0)
			h->lengths_differ = 1;
	} else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		h->chunked = 1;
	}
	return MHD_YES;
}

/* Checks a new request's line and headers before its body: 414, 431, 400 for a framing a
 * proxy could read otherwise (two different Content-Length lines, or one beside
 * Transfer-Encoding; HTTP/1.1 with no Host), 413 for an announced body over the route's bound. 1 when it queued the
 * answer (*answer says what to return). */
static int check_headers(struct request *rq, const char *url, int http11, enum MHD_Result *answer)
{
	struct header_scan h = {0};

	rq->close = 1; /* the answers below leave the body unread */
	if (strlen(url) > TEMD_URL_MAX) {
		*answer = http_error(rq, 414, "uri-too-long",
				     "the request target is longer than %d bytes", TEMD_URL_MAX);
		return 1;
	}
	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, scan_header, &h);
	if (http11 && http_header(rq, "Host") == NULL) {
		*answer =
		    http_error(rq, 400, "bad-request", "an HTTP/1.1 request needs a Host header");
		return 1;
	}
	if (h.bytes > HEADERS_MAX) {
		*answer = http_error(rq, 431, "headers-too-large",
				     "the request headers are larger than %d bytes", HEADERS_MAX);
		return 1;
	}
	if (h.lengths_differ || (h.lengths > 0 && h.chunked)) {
		*answer = http_error(rq, 400, "bad-request",
				     h.chunked ? "Content-Length and Transfer-Encoding together"
					       : "two different Content-Length headers");
		return 1;
	}
	if (h.length != NULL) {
		unsigned long long n = strtoull(h.length, NULL, 10);
		if (n > rq->body_max) {
			*answer = http_error(rq, 413, "body-too-large",
					     "the body is larger than %zu bytes", rq->body_max);
			return 1;
		}
		rq->body_cap = (size_t)n; /* the buffer holds no more than announced */
	}
	rq->close = 0;
	return 0;
}

/* libmicrohttpd's access handler: called once with the headers, then for each piece of the
 * body, then once more with none; answering on that last call keeps the connection alive. */
static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct temd *t = cls;
	struct request *rq = *con_cls;

	if (rq == NULL) {
		const union MHD_ConnectionInfo *di =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
		enum MHD_Result answer;
		if ((rq = calloc(1, sizeof *rq)) == NULL)
			return MHD_NO;
		rq->t = t;
		rq->conn = conn;
		rq->ops = di != NULL && t->ops != NULL && di->daemon == t->ops;
		rq->cs = conn_of(rq);
		{
			const char *rest;
			const struct route *row =
			    router_find(rq->t->routes, rq->t->nroutes, url, method, rq->ops,
					&rq->allow, &rq->label, &rest);
			rq->body_max = row != NULL ? row->body_max : TEMD_SCAN_BODY_MAX;
		}
		rq->body_cap = rq->body_max;
		rq->phase = PH_BODY;
		atomic_fetch_add(&t->inflight, 1);
		*con_cls = rq;
		if (check_headers(rq, url, strcmp(version, MHD_HTTP_VERSION_1_1) == 0, &answer))
			return answer;
		return MHD_YES;
	}
	if (rq->phase == PH_WAIT) {
		if (!atomic_load(&rq->job_done))
			return MHD_YES;
		return rq->finish(rq);
	}
	if (rq->phase == PH_DONE) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		/* a body over the bound (chunked: its size came with it) is read and dropped, and
		 * answered 413 at its end: libmicrohttpd takes no answer in the middle of a body;
		 * the request's deadline bounds how long that can take */
		if (rq->too_big || rq->body_len + n > rq->body_cap) {
			free(rq->body);
			rq->body = NULL;
			rq->too_big = 1;
			return MHD_YES;
		}
		if (rq->body == NULL && (rq->body = malloc(rq->body_cap + 1)) == NULL)
			return MHD_NO;
		memcpy(rq->body + rq->body_len, upload, n);
		rq->body_len += n;
		rq->body[rq->body_len] = '\0';
		return MHD_YES;
	}
	if (rq->too_big) {
		rq->close = 1;
		return http_error(rq, 413, "body-too-large", "the body is larger than %zu bytes",
				  rq->body_max);
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
	/* the connection's next request starts its deadline now */
	if (rq->cs != NULL)
		atomic_store(&rq->cs->start_ms, now_ms());
	free(rq->body);
	free(rq);
	*con_cls = NULL;
	atomic_fetch_sub(&t->inflight, 1);
}

/* libmicrohttpd's own error messages (its format strings, checked by the attribute). A client
 * can make one a request (a bad version, huge headers): at most 10 a minute are logged, and
 * how many were not. */
__attribute__((format(printf, 2, 0))) static void log_cb(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static double window;
	static unsigned shown, hidden;
	double now = date_mono_seconds();

	(void)cls;
	pthread_mutex_lock(&mu);
	if (now - window >= 60) {
		if (hidden > 0)
			log_msg(LOG_LV_WARNING,
				"http: %u more messages in the last minute not shown", hidden);
		window = now;
		shown = hidden = 0;
	}
	if (shown < 10) {
		char line[512];
		size_t n;
		shown++;
		vsnprintf(line, sizeof line, fmt, ap);
		n = strlen(line);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		log_msg(LOG_LV_WARNING, "http: %s", line);
	} else {
		hidden++;
	}
	pthread_mutex_unlock(&mu);
}

/* A listening socket on addr, made here rather than by libmicrohttpd so that no address
 * sharing is ever asked for (SO_REUSEADDR only rebinds over connections of a temd that
 * stopped; on Linux it never lets two sockets listen on one address) and a failure says why.
 * The socket, or -1 with err set. */
static int listen_on(const struct sockaddr_storage *ss, struct tem_err *err)
{
	socklen_t len =
	    ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0) {
		err_set(err, "cannot make a socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)) {
		err_set(err, "cannot set up the socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
		int e = errno;
		if (e == EADDRINUSE)
			err_set(err, "the address is in use (another temd, or another server, "
				     "listens there)");
		else if (e == EADDRNOTAVAIL)
			err_set(err, "not an address of this host");
		else if (e == EACCES)
			err_set(err, "permission denied (ports below 1024 need privileges)");
		else
			err_set(err, "cannot listen: %s", strerror(e));
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes daemon's bound port to path (through a temporary file and a rename). */
static int write_port(struct MHD_Daemon *d, const char *path, struct tem_err *err)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char tmp[4200], buf[16];
	FILE *f;

	if (path == NULL || di == NULL)
		return TEM_OK;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	snprintf(buf, sizeof buf, "%u\n", (unsigned)di->port);
	if ((f = fopen(tmp, "w")) == NULL)
		return err_set(err, "%s: cannot write the port", path);
	if (fputs(buf, f) < 0) {
		fclose(f);
		return err_set(err, "%s: cannot write the port", path);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return err_set(err, "%s: cannot write the port", path);
	return TEM_OK;
}

/* The connections temd may hold: the open-file limit (raised to its hard maximum) less room
 * for the ledger's files, the trust list, the listeners and each thread's wake-up pipe and
 * epoll set. */
static unsigned connection_budget(unsigned threads, unsigned long *nofile)
{
	struct rlimit rl;
	unsigned long have, reserve = 96 + 4ul * threads;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		*nofile = 1024;
		return 1024 - (unsigned)reserve;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = rl;
		up.rlim_cur =
		    rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	have = rl.rlim_cur == RLIM_INFINITY ? 1048576 : (unsigned long)rl.rlim_cur;
	*nofile = have;
	if (have < reserve + 16)
		return 16;
	return have - reserve > 1000000 ? 1000000 : (unsigned)(have - reserve);
}

/* Starts the metrics listener on cfg.metrics_listen. */
static int ops_start(struct temd *t, struct tem_err *err)
{
	int fd;

	if (t->cfg.metrics_listen.ss_family == 0)
		return TEM_OK;
	if ((fd = listen_on(&t->cfg.metrics_listen, err)) < 0)
		return TEM_ERR;
	t->ops = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
		(t->cfg.metrics_listen.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, access_cb, t, MHD_OPTION_EXTERNAL_LOGGER, log_cb, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
	    MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, t, MHD_OPTION_END);
	if (t->ops == NULL) {
		close(fd);
		return err_set(err, "cannot serve the metrics listener");
	}
	return write_port(t->ops, t->cfg.metrics_port_file, err);
}

/* A connection's memory: its request line and headers, and its answer's headers. Headers up to
 * HEADERS_MAX get temd's own 431; larger ones that still fit get libmicrohttpd's. libmicrohttpd
 * zeroes the whole pool, and half of it again, before the next request on the connection, so
 * a larger pool costs every request: at 32 KiB, perf puts that zeroing at about 0.5 us a scan
 * (bench_instructions counts 49,600 instructions for it, but callgrind counts its rep stosb
 * byte by byte: the count overstates the time). */
#define CONN_POOL ((size_t)32 * 1024)

int http_start(struct temd *t, struct tem_err *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	unsigned long nofile;
	unsigned total = connection_budget(t->cfg.threads, &nofile);
	unsigned per = t->cfg.per_address;

	t->listen_fd = -1;
	if (t->routes == NULL || t->authorize == NULL)
		return err_set(err, "no route table or access check given");
	if (t->cfg.limits.rule[LIMIT_SCAN].burst || t->cfg.limits.rule[LIMIT_CLAIM].burst ||
	    t->cfg.limits.rule[LIMIT_BATCH].burst || t->cfg.limits.rule[LIMIT_SIGNIN].burst) {
		if ((t->limits = limits_new(&t->cfg.limits)) == NULL)
			return err_set(err, "out of memory");
	}
	/* one address never holds more than a quarter of what temd can hold */
	if (per > total / 4 && total >= 16)
		per = total / 4;
	if ((t->conns = calloc(1, sizeof *t->conns)) == NULL ||
	    (t->conns->counts = conn_counts_new(per)) == NULL)
		return err_set(err, "out of memory");
	pthread_mutex_init(&t->conns->mu, NULL);
	pthread_cond_init(&t->conns->cv, NULL);
	t->conns->timeout = t->cfg.timeout;
	if ((t->listen_fd = listen_on(&t->cfg.listen, err)) < 0)
		return TEM_ERR;
	if (t->cfg.listen.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	t->mhd = MHD_start_daemon(
	    flags, 0, accept_cb, t, access_cb, t, MHD_OPTION_EXTERNAL_LOGGER, log_cb, NULL,
	    MHD_OPTION_LISTEN_SOCKET, t->listen_fd, MHD_OPTION_THREAD_POOL_SIZE, t->cfg.threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, t->cfg.timeout, MHD_OPTION_CONNECTION_LIMIT, total,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_POOL, MHD_OPTION_NOTIFY_COMPLETED,
	    completed_cb, t, MHD_OPTION_NOTIFY_CONNECTION, conn_cb, t, MHD_OPTION_END);
	if (t->mhd == NULL) {
		close(t->listen_fd);
		t->listen_fd = -1;
		return err_set(err, "cannot serve on the address given");
	}
	if (pthread_create(&t->conns->watcher, NULL, watcher, t->conns) != 0)
		return err_set(err, "cannot start the connection watcher");
	t->conns->started = 1;
	if (write_port(t->mhd, t->cfg.port_file, err) != TEM_OK)
		return TEM_ERR;
	if (ops_start(t, err) != TEM_OK)
		return TEM_ERR;
	log_msg(LOG_LV_INFO,
		"connections: at most %u (open-file limit %lu), %u from one address (0: no "
		"limit), %u s for a whole request",
		total, nofile, per, t->cfg.timeout);
	return TEM_OK;
}

void http_stop(struct temd *t, unsigned drain_seconds)
{
	double end = date_mono_seconds() + drain_seconds;

	if (t->mhd != NULL) {
		/* every request from now is answered 503, and every new connection is closed as soon
		 * as it is accepted (accept_cb). Not MHD_quiesce_daemon: on an epoll daemon with a
		 * thread pool it races a worker taking the listening socket out of its own epoll set
		 * (both read and clear one plain flag), and libmicrohttpd aborts the process when the
		 * worker wins ("Failed to remove listen FD from epoll set"): temd once exited 134
		 * while stopping under load. MHD_stop_daemon closes the listening socket. */
		atomic_store(&t->stopping, 1);
		while (atomic_load(&t->inflight) > 0 && date_mono_seconds() < end)
			usleep(10000);
		/* a suspended connection must be resumed before the daemon stops: the ledger's
		 * commit resumes each one, so wait for those whatever the time */
		while (atomic_load(&t->waiting) > 0)
			usleep(1000);
		/* and give the answers of those last commits a moment to go out */
		end = date_mono_seconds() + 1.0;
		while (atomic_load(&t->inflight) > 0 && date_mono_seconds() < end)
			usleep(1000);
		MHD_stop_daemon(t->mhd);
		t->mhd = NULL;
		t->listen_fd = -1;
	}
	if (t->ops != NULL) {
		MHD_stop_daemon(t->ops);
		t->ops = NULL;
	}
	if (t->conns != NULL) {
		if (t->conns->started) {
			pthread_mutex_lock(&t->conns->mu);
			t->conns->stop = 1;
			pthread_cond_signal(&t->conns->cv);
			pthread_mutex_unlock(&t->conns->mu);
			pthread_join(t->conns->watcher, NULL);
		}
		conn_counts_free(t->conns->counts);
		pthread_mutex_destroy(&t->conns->mu);
		pthread_cond_destroy(&t->conns->cv);
		free(t->conns);
		t->conns = NULL;
	}
	limits_free(t->limits);
	t->limits = NULL;
}
