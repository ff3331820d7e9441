/* routes_ops.c — for operators: GET /healthz and GET /metrics (Prometheus text). /metrics and
 * the counts of /healthz are served on the --metrics-listen listener only; the public port's
 * /healthz says only whether scans can be recorded (for a load balancer), no volumes. */
#include <stdlib.h>

#include "server/server.h"

enum MHD_Result route_healthz(struct request *rq, const char *rest)
{
	long producers, batches;
	int64_t scans, bytes;
	int failing = ledger_failing(rq->t->ledger, NULL);

	(void)rest;
	if (!rq->ops)
		return http_json(rq, failing ? 503 : 200,
				 json_pack("{s:s}", "status", failing ? "ledger-failing" : "ok"));
	registry_counts(rq->t->reg, &producers, &batches);
	ledger_stats(rq->t->ledger, &scans, &bytes);
	/* 503 while scans cannot be recorded, so a load balancer or a monitor notices */
	return http_json(rq, failing ? 503 : 200,
			 json_pack("{s:s,s:i,s:i,s:I}", "status", failing ? "ledger-failing" : "ok",
				   "producers", (int)producers, "batches", (int)batches, "scans",
				   (json_int_t)scans));
}

enum MHD_Result route_metrics(struct request *rq, const char *rest)
{
	long producers, batches;
	int64_t scans, bytes;
	char *text;
	size_t len;

	(void)rest;
	int64_t failed;
	int failing = ledger_failing(rq->t->ledger, &failed);

	registry_counts(rq->t->reg, &producers, &batches);
	ledger_stats(rq->t->ledger, &scans, &bytes);
	if (metrics_format(&text, &len, scans, bytes, failing, failed,
			   ledger_commits(rq->t->ledger), producers, batches) != 0)
		return http_error(rq, 500, "internal", "out of memory");
	return http_text(rq, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}
