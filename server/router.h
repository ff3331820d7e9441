/* router.h — what a route table is and how a request finds its row: one row per route (methods,
 * exact path or prefix, who may call it, body bound, refusals as pages or JSON, metrics label,
 * rate limit, handler). The transport (http.c) looks requests up in the table temd was given
 * (struct temd's routes, made in server/routes.c) and so knows no route by name. Pure: no I/O. */
#ifndef TEM_ROUTER_H
#define TEM_ROUTER_H

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

/* The row of table (n rows) answering method (libmicrohttpd's, "GET") on path, for the public listener or
 * (ops) the --metrics-listen one. When no row has both: NULL, with *allow the methods the
 * path's rows answer (0: no such path) and *label that of the path's first row ("other" when
 * none). *rest gets what follows a prefix path. */
const struct route *router_find(const struct route *table, size_t n, const char *path,
				const char *method, int ops, unsigned *allow, const char **label,
				const char **rest);

/* The Allow header's value for methods (enum route_method bits): "GET, HEAD, POST". Returns a
 * static string. */
const char *router_allow(unsigned methods);

#endif
