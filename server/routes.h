/* routes.h — temd's route table: every route temd answers, one row each (method, path, who may
 * call it, body bound, refusals as pages or JSON, metrics label, rate limit, handler). The
 * transport (http.c) is given this table at start (struct temd's routes) and knows no route by
 * name; a route is added by its row in server/routes.c and its handler in its own routes_*.c. */
#ifndef TEM_ROUTES_H
#define TEM_ROUTES_H

#include <microhttpd.h>
#include <stddef.h>

#include "server/router.h"

struct request;

/* The table: every route temd answers, in lookup order (router_find takes the first match). */
extern const struct route routes_table[];
extern const size_t routes_count;

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
