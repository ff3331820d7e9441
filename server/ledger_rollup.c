/* ledger_rollup.c — a transaction's roll-ups in memory (server/ledger_rollup.h). */
#include "server/ledger_rollup.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys/date.h"

const char *const rollup_verdicts[ROLLUP_VERDICTS] = {
    "genuine", "seen", "duplicate", "sold", "unregistered", "expired", "revoked",
};

/* Room for one more element in *items (n used, *cap allocated, size bytes each). 0 or -1. */
static int room(void **items, size_t n, size_t *cap, size_t size)
{
	size_t nc;
	void *grown;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	if ((grown = realloc(*items, nc * size)) == NULL)
		return -1;
	*items = grown;
	*cap = nc;
	return 0;
}

/* Copies a key id (16 hex digits) into out, cut to fit. */
static void key_copy(char out[17], const char *key_id)
{
	size_t n = strnlen(key_id, 16);

	memcpy(out, key_id, n);
	out[n] = '\0';
}

struct rollup_batch *rollup_batch(struct rollups *r, const char *key_id, int64_t batch)
{
	struct rollup_batch *b;

	for (size_t i = 0; i < r->nbatches; i++)
		if (r->batches[i].batch == batch && strcmp(r->batches[i].key_id, key_id) == 0)
			return &r->batches[i];
	if (room((void **)&r->batches, r->nbatches, &r->capbatches, sizeof *r->batches) != 0)
		return NULL;
	b = &r->batches[r->nbatches++];
	memset(b, 0, sizeof *b);
	key_copy(b->key_id, key_id);
	b->batch = batch;
	return b;
}

int rollup_count(struct rollups *r, const char *key_id, int64_t batch, int64_t at_ms,
		 const char *verdict, int day_code, int batch_code, int claims)
{
	int64_t day = date_vn_day((time_t)(at_ms / 1000));
	int scans = verdict[0] != '\0';
	struct rollup_day *d = NULL;
	struct rollup_batch *b = NULL;

	/* both rows found or made first, so that a failure counts nothing */
	if (batch != 0 && (b = rollup_batch(r, key_id, batch)) == NULL)
		return -1;
	for (size_t i = 0; i < r->ndays && d == NULL; i++)
		if (r->days[i].day == day && r->days[i].batch == batch &&
		    strcmp(r->days[i].key_id, key_id) == 0)
			d = &r->days[i];
	if (d == NULL) {
		if (room((void **)&r->days, r->ndays, &r->capdays, sizeof *r->days) != 0)
			return -1;
		d = &r->days[r->ndays++];
		memset(d, 0, sizeof *d);
		key_copy(d->key_id, key_id);
		d->day = day;
		d->batch = batch;
	}
	d->scans += scans;
	d->codes += day_code;
	d->claims += claims;
	for (int v = 0; v < ROLLUP_VERDICTS; v++)
		d->v[v] += strcmp(verdict, rollup_verdicts[v]) == 0;
	if (b != NULL) {
		b->scans += scans;
		b->codes += batch_code;
		b->claimed += claims;
	}
	return 0;
}

static int day_cmp(const void *a, const void *b)
{
	const struct rollup_day *x = a, *y = b;
	int c = strcmp(x->key_id, y->key_id);

	if (c != 0)
		return c;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return x->batch < y->batch ? -1 : x->batch > y->batch;
}

static int batch_cmp(const void *a, const void *b)
{
	const struct rollup_batch *x = a, *y = b;
	int c = strcmp(x->key_id, y->key_id);

	if (c != 0)
		return c;
	return x->batch < y->batch ? -1 : x->batch > y->batch;
}

void rollup_sort(struct rollups *r)
{
	if (r->ndays > 1)
		qsort(r->days, r->ndays, sizeof *r->days, day_cmp);
	if (r->nbatches > 1)
		qsort(r->batches, r->nbatches, sizeof *r->batches, batch_cmp);
}

void rollup_clear(struct rollups *r)
{
	r->ndays = r->nbatches = 0;
}

void rollup_free(struct rollups *r)
{
	free(r->days);
	free(r->batches);
	memset(r, 0, sizeof *r);
}
