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

int64_t ledger_count_clients(struct ledger_net_row *rows, size_t n)
{
	struct ledger_net_row **byc = NULL;
	size_t *parent = NULL, nets = 0, nc = 0;
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
	if ((parent = malloc(nets * sizeof *parent)) == NULL ||
	    (byc = malloc(n * sizeof *byc)) == NULL)
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
	free(parent);
	free(byc);
	return groups;
}
