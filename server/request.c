/* request.c — what a buyer's request brings, as the scan, claim and regulator routes read it
 * (server/server.h): its code, parsed and judged by the shared rules from the registry's facts,
 * and its client (docs/verdicts.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/date.h"
#include "label/code.h"
#include "server/client.h"
#include "server/server.h"

enum verdict request_code(struct request *rq, const char *text, size_t len)
{
	enum verdict base = V_MALFORMED;
	struct tem_code c;
	struct tem_err err;

	snprintf(rq->code_text, sizeof rq->code_text, "%.*s", (int)(len < 133 ? len : 133), text);
	if (len > CODE_INPUT_MAX) {
		snprintf(rq->reason, sizeof rq->reason, "longer than %d characters",
			 CODE_INPUT_MAX);
	} else if (code_parse(text, len, &c, &err) != TEM_OK) {
		memcpy(rq->reason, err.msg, sizeof rq->reason);
	} else {
		rq->parsed = 1;
		rq->serial = c.serial;
		rq->last_day = c.last_day;
		code_short_id(&c, rq->short_id);
		keys_id_hex(c.key_id, rq->key_hex);
		registry_lookup(rq->t->reg, c.key_id, c.serial, &rq->hit);
		base = verdict_judge(&c, rq->hit.known ? &rq->hit.entry : NULL, &rq->hit.batch,
				     date_today(), &err);
		/* a trusted key and a good signature, but no batch known here: on a shared
		 * ledger another temd may have registered it a moment ago; read what was
		 * registered since (at most once a second, one request at a time) and judge
		 * again when that brought batches (server/registry.h) */
		if (base == V_UNREGISTERED &&
		    registry_refresh(rq->t->reg, REGISTRY_REFRESH_GAP_MS) == TEM_OK) {
			registry_lookup(rq->t->reg, c.key_id, c.serial, &rq->hit);
			base = verdict_judge(&c, rq->hit.known ? &rq->hit.entry : NULL,
					     &rq->hit.batch, date_today(), &err);
		}
		memcpy(rq->reason, err.msg, sizeof rq->reason);
	}
	return base;
}

void request_client(struct request *rq, unsigned char net[LEDGER_CLIENT_BYTES])
{
	struct temd *t = rq->t;
	char *xff = t->cfg.proxies.n > 0 ? http_header_joined(rq, "X-Forwarded-For") : NULL;

	client_request_id(&t->keys, &t->cfg.proxies, http_peer(rq), xff, net);
	free(xff);
	if (!client_cookie_read(&t->keys, http_header(rq, "Cookie"), rq->cookie)) {
		client_cookie_new(rq->cookie);
		rq->set_cookie = 1;
	}
}
