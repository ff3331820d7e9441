/* routes.h — temd's route table: every route temd answers, one row each (method, path, who may
 * call it, body bound, refusals as pages or JSON, metrics label, rate limit, handler). The
 * transport (http.c) finds a request's row here and knows no route by name; each engineer of a
 * route adds its row to server/routes.c and its handler to its own routes_*.c. */
#ifndef TEM_ROUTES_H
#define TEM_ROUTES_H

#include <microhttpd.h>
#include <stddef.h>

struct request;

/* Methods a row answers (a bit set). GET answers HEAD too. */
enum route_method {
	RM_GET = 1,
	RM_POST = 2,
	RM_PUT = 4,
	RM_PATCH = 8,
	RM_DELETE = 16,
};

/* Who may call a route. */
enum route_access {
	ACCESS_PUBLIC,  /* anyone: buyers, producers' tools, load balancers */
	ACCESS_TOKEN,   /* an API token (Authorization: Bearer), checked before the handler */
	ACCESS_SESSION, /* an API token or the dashboard's session cookie */
	ACCESS_OPS,     /* the --metrics-listen listener only */
};

/* What a route's handler does: answers rq (or suspends it for the ledger). rest is what
 * follows a prefix path ("" for an exact path). */
typedef enum MHD_Result (*route_handler)(struct request *rq, const char *rest);

struct route {
	unsigned methods;         /* enum route_method bits */
	const char *path;         /* "/healthz"; a prefix when it ends with '/' and prefix is set */
	int prefix;               /* path is a prefix: rest is what follows it */
	int nocase;               /* the path's letters match in either case (/c/ and /C/) */
	enum route_access access; /* who may call it */
	int on_ops;               /* also served on the --metrics-listen listener */
	size_t body_max;          /* the body's bound in bytes (413 beyond) */
	int html;                 /* refusals (429, 503, 401) are HTML pages, not JSON */
	const char *label;        /* its name in metrics and the access log: "/c/{code}" */
	int limit;             /* 1 + enum limit_kind taken per request (never for HEAD); 0: none */
	route_handler handler; /* answers it */
	route_handler unauthorized; /* an html ACCESS_SESSION route's answer without a session
				     * (the sign-in page); NULL: a plain 401 */
};

#define ROUTE_LIMIT(kind) ((kind) + 1) /* a row's limit field for enum limit_kind kind */

/* The row answering method (libmicrohttpd's, "GET") on path, for the public listener or
 * (ops) the --metrics-listen one. When no row has both: NULL, with *allow the methods the
 * path's rows answer (0: no such path) and *label that of the path's first row ("other" when
 * none). *rest gets what follows a prefix path. */
const struct route *routes_find(const char *path, const char *method, int ops, unsigned *allow,
				const char **label, const char **rest);

/* The Allow header's value for methods (enum route_method bits): "GET, HEAD, POST". Returns a
 * static string. */
const char *routes_allow(unsigned methods);

/* --- the handlers (routes_*.c) --- */
enum MHD_Result route_page(struct request *rq, const char *code, size_t len);
enum MHD_Result route_claim_form(struct request *rq, const char *code, size_t len);
enum MHD_Result route_home(struct request *rq, const char *rest);
enum MHD_Result route_home_form(struct request *rq, const char *rest);
enum MHD_Result route_scans(struct request *rq, const char *rest);
enum MHD_Result route_claims(struct request *rq, const char *rest);
enum MHD_Result route_batches(struct request *rq, const char *rest);
/* GET /api/v1/producers/{keyid}/serial (rest is what follows "/api/v1/producers/"). */
enum MHD_Result route_producer_serial(struct request *rq, const char *rest);
enum MHD_Result route_healthz(struct request *rq, const char *rest);
enum MHD_Result route_metrics(struct request *rq, const char *rest);
/* GET /api/v1/token: who the caller's token is (auth.c). */
enum MHD_Result route_token(struct request *rq, const char *rest);

#endif
