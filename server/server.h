/* server.h — temd's shared state and the contract between the transport (http.c) and the
 * routes (routes_*.c): a request's life, and the helpers that answer it. */
#ifndef TEM_SERVER_H
#define TEM_SERVER_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>

#include <jansson.h>

#include "server/auth.h"
#include "server/client.h"
#include "server/ledger.h"
#include "server/ledger_tokens.h"
#include "server/limits.h"
#include "server/metrics.h"
#include "server/registry.h"
#include "server/router.h"

#define TEMD_URL_MAX          2048  /* longer request targets get 414 */
#define TEMD_SCAN_BODY_MAX    4096  /* POST /api/v1/scans */
#define TEMD_BATCH_BODY_MAX   32768 /* POST /api/v1/batches */
#define TEMD_CONTACT_MAX      200   /* bytes of --contact */
#define TEMD_CLAIM_CODE_LIMIT 5     /* wrong claim PINs a code takes in a UTC day */
#define TEMD_CLAIM_NET_LIMIT  20    /* wrong claim PINs a client network sends in an hour */

struct temd_config {
	const char *db, *trust, *authority; /* files */
	struct sockaddr_storage listen;     /* address to listen on */
	socklen_t listen_len;
	const char *base_url;          /* as buyers reach temd, for links; may be NULL */
	const char *port_file;         /* where to write the bound port, or NULL */
	const char *access_log;        /* --access-log FILE, or NULL */
	unsigned threads;              /* HTTP threads */
	int threshold;                 /* T of the duplicate rule */
	struct client_proxies proxies; /* --trust-proxy: whose X-Forwarded-For is believed */
	unsigned timeout;              /* seconds an idle or slow connection may take */
	const char *contact;           /* how buyers reach the authority (--contact), or NULL */
	struct sockaddr_storage metrics_listen; /* --metrics-listen; ss_family 0: none */
	const char *metrics_port_file;          /* where to write its bound port, or NULL */
	struct limits_config limits;            /* --rate-limit */
	unsigned per_address;                   /* connections one address may hold; 0: none */
};

struct temd {
	struct temd_config cfg;
	struct ledger *ledger;
	struct registry *reg;
	unsigned char salt[LEDGER_SALT_BYTES];
	struct client_keys keys; /* client ids and the cookie MAC, from salt */
	struct MHD_Daemon *mhd;
	atomic_int inflight;      /* requests begun and not completed */
	atomic_int waiting;       /* of those, suspended until the ledger commits */
	atomic_int stopping;      /* 1 once SIGTERM began the drain: no new ledger waits */
	int secure_cookie;        /* base URL is https: mark the cookie Secure */
	unsigned char *secret;    /* LEDGER.secret (sodium_malloc'd, read-only): seals claim keys */
	struct MHD_Daemon *ops;   /* the --metrics-listen listener, or NULL */
	struct limits *limits;    /* the per-client buckets of --rate-limit */
	struct http_conns *conns; /* the public listener's open connections (http.c) */
	struct ledger_tokens *tokens; /* the API tokens' read connection (auth.c), the ledger's
				       * (ledger_tokens_of); NULL: none */
	int listen_fd;                /* the public listening socket, -1 once closed */
	/* set before http_start: the route table (server/routes.c's routes_table) and the check of
	 * ACCESS_TOKEN and ACCESS_SESSION rows (auth_request, server/auth.h), so the transport
	 * knows neither routes nor tokens */
	const struct route *routes;
	size_t nroutes;
	int (*authorize)(struct request *rq, int cookie_ok, struct auth_who *who,
			 enum MHD_Result *answer);
};

enum req_phase { PH_NEW, PH_BODY, PH_WAIT, PH_DONE };

struct request {
	struct temd *t;
	struct MHD_Connection *conn;
	const struct route *route; /* its row of the route table (router.h), NULL: none */
	const char *label; /* the route's label in metrics and the access log ("other": none) */
	unsigned allow;    /* the methods of the path's rows, for a 405's Allow */
	enum req_phase phase;
	char *body;                /* received body, NUL-terminated */
	size_t body_len, body_max; /* received; the route's bound */
	size_t body_cap;           /* buffer size: Content-Length, or body_max */
	int too_big;
	/* a counted scan or a claim waiting for the ledger */
	struct ledger_job job;
	atomic_int job_done;
	double submitted;                              /* monotonic seconds */
	enum MHD_Result (*finish)(struct request *rq); /* answers once the job has ended */
	int as_page;                               /* answer with HTML (GET /c/) rather than JSON */
	int lang;                                  /* enum lang */
	unsigned char cookie[LEDGER_COOKIE_BYTES]; /* the client's cookie id (request_client) */
	int set_cookie;     /* give the browser the tem_client cookie of cookie: a new one */
	int head;           /* the method is HEAD */
	const char *method; /* the request's method, libmicrohttpd's (for the access log) */
	struct registry_hit hit;
	char short_id[48];
	char key_hex[17];
	char code_text[140];
	char reason[256]; /* why the verdict is not genuine (malformed, invalid, expired, ...) */
	int32_t last_day;
	uint64_t serial;
	int parsed;                 /* the code parsed */
	unsigned retry_after;       /* seconds for a Retry-After header (429), 0 = none */
	int ops;                    /* came to the --metrics-listen listener */
	int close;                  /* answer with Connection: close (the body was not read) */
	struct http_conn *cs;       /* its connection's deadline state; NULL on the ops listener */
	struct auth_who who;        /* a regulator route's caller, set before its handler runs */
	const char *session_cookie; /* a Set-Cookie value the answer carries (the dashboard's
				     * sign-in and sign-out), or NULL */
};

/* --- answering (http.c) --- */

/* Queues a JSON answer (takes the reference to body). */
enum MHD_Result http_json(struct request *rq, unsigned status, json_t *body);

/* Queues r, made by the caller (a streamed answer: MHD_create_response_from_callback), with
 * the headers every answer carries and type, counted and logged as every answer (len: its
 * bytes when known, else 0). Takes r. */
enum MHD_Result http_response(struct request *rq, unsigned status, const char *type,
			      struct MHD_Response *r, size_t len);

/* Queues {"error": {"code": code, "message": ...}} with status. */
enum MHD_Result http_error(struct request *rq, unsigned status, const char *code, const char *fmt,
			   ...) __attribute__((format(printf, 4, 5)));

/* Queues an HTML page (takes ownership of the malloc'd text). */
enum MHD_Result http_html(struct request *rq, unsigned status, char *html, size_t len);

/* Queues a plain text answer (takes ownership of the malloc'd text). */
enum MHD_Result http_text(struct request *rq, unsigned status, const char *type, char *text,
			  size_t len);

/* Queues a 303 redirect to location. */
enum MHD_Result http_redirect(struct request *rq, const char *location);

/* Suspends the connection and hands rq's job to the ledger; finish answers once the job has
 * ended (durable, or failed: rq->job.status says which). */
enum MHD_Result http_wait_ledger(struct request *rq, enum MHD_Result (*finish)(struct request *));

/* Reads a JSON body {"FIELD": "string", ...}: returns the parsed document (caller decrefs) with
 * *value its field, or NULL once it has queued the 415/400/422 error (*answer says what to
 * return). */
json_t *http_json_field(struct request *rq, const char *field, json_t **value,
			enum MHD_Result *answer);

/* Copies the field name of an application/x-www-form-urlencoded body (read with
 * libmicrohttpd's post processor) into out (cap bytes, NUL-terminated). 1 when it came and
 * fit, 0 when the body is not such a form, has no such field or the value is too long. */
int http_form_field(struct request *rq, const char *name, char *out, size_t cap);

/* A request header, or NULL. */
const char *http_header(struct request *rq, const char *name);

/* A query argument, or NULL. */
const char *http_arg(struct request *rq, const char *name);

/* Every line of header name, in order, joined with ", " (libmicrohttpd gives repeated lines
 * apart). Returns a malloc'd string the caller frees, or NULL when the request has no such
 * header (or memory ran out). */
char *http_header_joined(struct request *rq, const char *name);

/* Takes one token of kind from the bucket of rq's client (--rate-limit): 0 when it had one;
 * else 1 once the 429 (with Retry-After; a plain page when rq answers with HTML) is queued,
 * *answer saying what to return. The hook for any route that limits its callers. */
int http_over_limit(struct request *rq, enum limit_kind kind, enum MHD_Result *answer);

/* Looks at (take 0) or takes (take 1) a token of kind from the bucket of rq's client without
 * answering: 1 when it had one (or there is no limit), else 0 with *retry_after the seconds to
 * wait (counted in metrics). */
int http_limit(struct request *rq, enum limit_kind kind, int take, unsigned *retry_after);

/* Like http_over_limit but takes no token: 1 once the 429 is queued when rq's client has none
 * left of kind. For limits on failures only (sign-ins): checked before an attempt, and
 * http_over_limit taken when the attempt fails. */
int http_limit_reached(struct request *rq, enum limit_kind kind, enum MHD_Result *answer);

/* The peer's address. */
const struct sockaddr *http_peer(struct request *rq);

/* Starts the HTTP side: binds the public address itself (no address sharing: a second temd
 * on it fails with EADDRINUSE named in err), sets the connection limits from RLIMIT_NOFILE,
 * starts the deadline watcher and the --metrics-listen listener. TEM_OK or TEM_ERR. */
int http_start(struct temd *t, struct tem_err *err);

/* Stops it: every new request gets 503 with Connection: close, no new connection is taken,
 * requests under way finish (at most drain_seconds, scans waiting for the ledger whatever the
 * time), then both listeners stop. */
void http_stop(struct temd *t, unsigned drain_seconds);

/* --- helpers of the routes (routes_*.c; the handlers are in server/routes.h) --- */

/* Parses a code and judges it by the shared rules (label/verdict.h) from the registry's facts,
 * before any count: rq's code fields (parsed, serial, short_id, key_hex, hit, reason) are set.
 * Returns that verdict. */
enum verdict request_code(struct request *rq, const char *text, size_t len);

/* Identifies rq's client (docs/verdicts.md): net, the keyed hash of the network it comes from
 * (behind trusted proxies, the address they saw), and rq->cookie, its tem_client cookie id, a
 * new one (then set on the answer) when the request brought none that temd issued. */
void request_client(struct request *rq, unsigned char net[LEDGER_CLIENT_BYTES]);

struct page_scan;
/* The claim facts of a counted scan's page (routes_claim.c): sold to others, the claimer's
 * note, and the PIN form when the batch has PINs and the code is not claimed. */
void claim_scan_facts(struct request *rq, struct page_scan *p, const struct ledger_scan *s);

/* Adds "claimed": {"at": ISO, "yours": bool} to a scan's JSON answer when the code is claimed. */
void claim_scan_json(json_t *o, const struct ledger_scan *s);

#endif
