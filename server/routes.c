/* routes.c — the route table (routes.h): every route temd answers, one row each. A row is
 * looked up by path (exact, or a prefix ending in '/') and method; a path whose rows answer
 * other methods gets 405 with their Allow. Add a route by adding its row. */
#include "server/routes.h"

#include <string.h>
#include <strings.h>

#include "server/api.h"
#include "server/server.h"

/* The code of /c/{code}: one trailing slash, as docs/code-format.md allows, is part of no
 * code. */
static size_t code_len(const char *rest)
{
	size_t n = strlen(rest);

	return n > 0 && rest[n - 1] == '/' ? n - 1 : n;
}

static enum MHD_Result page_get(struct request *rq, const char *rest)
{
	return route_page(rq, rest, code_len(rest));
}

static enum MHD_Result page_post(struct request *rq, const char *rest)
{
	return route_claim_form(rq, rest, code_len(rest));
}

static const struct route table[] = {
    /* buyers: the label's page (a scan) and its claim form; the home page and its PIN form */
    {.methods = RM_GET,
     .path = "/c/",
     .prefix = 1,
     .nocase = 1,
     .html = 1,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/c/{code}",
     .limit = ROUTE_LIMIT(LIMIT_SCAN),
     .handler = page_get},
    {.methods = RM_POST,
     .path = "/c/",
     .prefix = 1,
     .nocase = 1,
     .html = 1,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/c/{code}",
     .limit = ROUTE_LIMIT(LIMIT_CLAIM),
     .handler = page_post},
    {.methods = RM_GET,
     .path = "/",
     .html = 1,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/",
     .handler = route_home},
    {.methods = RM_POST,
     .path = "/",
     .html = 1,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/",
     .limit = ROUTE_LIMIT(LIMIT_CLAIM),
     .handler = route_home_form},
    /* apps and producers' tools */
    {.methods = RM_POST,
     .path = "/api/v1/scans",
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/scans",
     .limit = ROUTE_LIMIT(LIMIT_SCAN),
     .handler = route_scans},
    {.methods = RM_POST,
     .path = "/api/v1/claims",
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/claims",
     .limit = ROUTE_LIMIT(LIMIT_CLAIM),
     .handler = route_claims},
    {.methods = RM_POST,
     .path = "/api/v1/batches",
     .body_max = TEMD_BATCH_BODY_MAX,
     .label = "/api/v1/batches",
     .limit = ROUTE_LIMIT(LIMIT_BATCH),
     .handler = route_batches},
    {.methods = RM_GET,
     .path = "/api/v1/producers/",
     .prefix = 1,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/producers/{keyid}/serial",
     .handler = route_producer_serial},
    /* regulators and producers (docs/api.md) */
    {.methods = RM_GET,
     .path = "/api/v1/token",
     .access = ACCESS_TOKEN,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/token",
     .handler = route_token},
    {.methods = RM_GET,
     .path = "/api/v1/batches",
     .access = ACCESS_TOKEN,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/batches",
     .handler = route_api_batches},
    {.methods = RM_GET,
     .path = "/api/v1/codes/",
     .prefix = 1,
     .access = ACCESS_TOKEN,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/codes/{code}",
     .handler = route_api_code},
    {.methods = RM_GET,
     .path = "/api/v1/scans",
     .access = ACCESS_TOKEN,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/scans",
     .handler = route_api_scans},
    {.methods = RM_GET,
     .path = "/api/v1/alerts",
     .access = ACCESS_TOKEN,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/alerts",
     .handler = route_api_alerts},
    {.methods = RM_GET | RM_PATCH,
     .path = "/api/v1/alerts/",
     .prefix = 1,
     .access = ACCESS_TOKEN,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/alerts/{id}",
     .handler = route_api_alert},
    {.methods = RM_GET,
     .path = "/api/v1/stats",
     .access = ACCESS_TOKEN,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/stats",
     .handler = route_api_stats},
    {.methods = RM_GET,
     .path = "/api/v1/producers",
     .access = ACCESS_TOKEN,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/api/v1/producers",
     .handler = route_api_producers},
    /* operators */
    {.methods = RM_GET,
     .path = "/healthz",
     .on_ops = 1,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/healthz",
     .handler = route_healthz},
    {.methods = RM_GET,
     .path = "/metrics",
     .access = ACCESS_OPS,
     .body_max = TEMD_SCAN_BODY_MAX,
     .label = "/metrics",
     .handler = route_metrics},
};

/* The method's bit; 0 for one no row can answer. HEAD is GET's. */
static unsigned method_bit(const char *method)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"GET", RM_GET}, {"HEAD", RM_GET},    {"POST", RM_POST},
		     {"PUT", RM_PUT}, {"PATCH", RM_PATCH}, {"DELETE", RM_DELETE}};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(method, names[i].name) == 0)
			return names[i].bit;
	return 0;
}

/* What follows row's path in path, or NULL when path is not the row's. */
static const char *match(const struct route *row, const char *path)
{
	size_t n = strlen(row->path);
	int same =
	    row->nocase ? strncasecmp(path, row->path, n) == 0 : strncmp(path, row->path, n) == 0;

	if (!same)
		return NULL;
	if (row->prefix)
		return path + n;
	return path[n] == '\0' ? path + n : NULL;
}

const struct route *routes_find(const char *path, const char *method, int ops, unsigned *allow,
				const char **label, const char **rest)
{
	unsigned bit = method_bit(method);

	*allow = 0;
	*label = "other";
	*rest = "";
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		const struct route *row = &table[i];
		const char *r;
		/* the ops listener serves its own rows only, the public one never those */
		if (ops ? !(row->access == ACCESS_OPS || row->on_ops) : row->access == ACCESS_OPS)
			continue;
		if ((r = match(row, path)) == NULL)
			continue;
		if (*allow == 0)
			*label = row->label;
		if (row->methods & bit) {
			*label = row->label;
			*rest = r;
			return row;
		}
		*allow |= row->methods;
	}
	return NULL;
}

const char *routes_allow(unsigned methods)
{
	/* thread-local: answers go out on several threads at once */
	static _Thread_local char buf[64];
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{RM_GET, "GET, HEAD"},
		     {RM_POST, "POST"},
		     {RM_PUT, "PUT"},
		     {RM_PATCH, "PATCH"},
		     {RM_DELETE, "DELETE"}};

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (methods & names[i].bit) {
			if (buf[0] != '\0')
				strcat(buf, ", ");
			strcat(buf, names[i].name);
		}
	return buf;
}
