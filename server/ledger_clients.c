/* ledger_clients.c — counting a code's clients for copy detection (server/ledger_clients.h),
 * the same for every ledger engine. */
#include "server/ledger_clients.h"

#include <stdlib.h>
#include <string.h>

static int row_cmp(const void *a, const void *b)
{
	const struct ledger_net_row *x = a, *y = b;
	int c = memcmp(x->client, y->client, LEDGER_CLIENT_BYTES);

	if (c != 0)
		return c;
	if (x->has_cookie != y->has_cookie)
		return x->has_cookie - y->has_cookie;
	return memcmp(x->cookie, y->cookie, LEDGER_COOKIE_BYTES);
}

/* Orders pointers to cookie rows by cookie id, then network. */
static int cookie_cmp(const void *a, const void *b)
{
	const struct ledger_net_row *x = *(const struct ledger_net_row *const *)a,
				    *y = *(const struct ledger_net_row *const *)b;
	int c = memcmp(x->cookie, y->cookie, LEDGER_COOKIE_BYTES);

	if (c != 0)
		return c;
	return x->net < y->net ? -1 : x->net > y->net;
}

static size_t uf_find(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

/* Rows counted without allocating: most codes have a few (a scan's own, and its buyer's). */
#define FEW_ROWS 16

int64_t ledger_count_clients(struct ledger_net_row *rows, size_t n)
{
	struct ledger_net_row *few_byc[FEW_ROWS], **byc = few_byc;
	size_t few_parent[FEW_ROWS], *parent = few_parent, nets = 0, nc = 0;
	int64_t groups = -1;

	if (n == 0)
		return 0;
	qsort(rows, n, sizeof *rows, row_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && memcmp(rows[i].client, rows[i - 1].client, LEDGER_CLIENT_BYTES) != 0)
			nets++;
		rows[i].net = nets;
	}
	nets++;
	if (n > FEW_ROWS && ((parent = malloc(nets * sizeof *parent)) == NULL ||
			     (byc = malloc(n * sizeof *byc)) == NULL))
		goto out;
	for (size_t i = 0; i < nets; i++)
		parent[i] = i;
	for (size_t i = 0; i < n; i++)
		if (rows[i].has_cookie)
			byc[nc++] = &rows[i];
	qsort(byc, nc, sizeof *byc, cookie_cmp);
	for (size_t i = 0, end; i < nc; i = end) {
		size_t distinct = 1;
		for (end = i + 1;
		     end < nc && memcmp(byc[end]->cookie, byc[i]->cookie, LEDGER_COOKIE_BYTES) == 0;
		     end++)
			distinct += byc[end]->net != byc[end - 1]->net;
		if (distinct < 2 || distinct > LEDGER_COOKIE_LINKS)
			continue;
		for (size_t k = i + 1; k < end; k++)
			parent[uf_find(parent, byc[k]->net)] = uf_find(parent, byc[i]->net);
	}
	groups = 0;
	for (size_t i = 0; i < nets; i++)
		groups += uf_find(parent, i) == i;
out:
	if (parent != few_parent)
		free(parent);
	if (byc != few_byc)
		free(byc);
	return groups;
}

int ledger_place_scan(struct ledger_scan *s, struct ledger_net_row *rows, size_t n, int alerted,
		      struct ledger_place *p)
{
	size_t mine_at = (size_t)-1;

	memset(p, 0, sizeof *p);
	memcpy(p->want.client, s->client, LEDGER_CLIENT_BYTES);
	for (size_t i = 0; i < n; i++) {
		int same_net =
		    alerted || memcmp(rows[i].client, s->client, LEDGER_CLIENT_BYTES) == 0;
		p->here += same_net;
		if (same_net && s->has_cookie && rows[i].has_cookie &&
		    memcmp(rows[i].cookie, s->cookie, LEDGER_COOKIE_BYTES) == 0)
			mine_at = i;
	}
	if (s->has_cookie && (mine_at != (size_t)-1 || p->here < LEDGER_COOKIES_PER_NET)) {
		p->want.has_cookie = 1;
		memcpy(p->want.cookie, s->cookie, LEDGER_COOKIE_BYTES);
	}
	/* a repeat: its row was there before it (the cookie's, or the network's cookie-less
	 * row), so it adds to that row's counter and makes no new row */
	if (p->want.has_cookie) {
		p->repeat = mine_at != (size_t)-1;
		p->id = p->repeat ? rows[mine_at].id : 0;
	}
	for (size_t i = 0; i < n && !p->want.has_cookie && !p->repeat; i++)
		if (!rows[i].has_cookie &&
		    (alerted || memcmp(rows[i].client, s->client, LEDGER_CLIENT_BYTES) == 0)) {
			p->repeat = 1;
			p->id = rows[i].id;
		}
	if (alerted) {
		s->clients += p->here == 0;
		return 0;
	}
	rows[n] = p->want; /* a row already there changes no count */
	return (s->clients = ledger_count_clients(rows, n + 1)) < 0 ? -1 : 0;
}
