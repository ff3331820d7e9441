/* registry.c — the trust list in force and an index of registered batches: per key id, the
 * batches sorted by first serial, searched by bisection. */
#include "server/registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "keys/date.h"
#include "label/batch.h"

struct batch_span {
	uint64_t first, last;
	int32_t registered; /* day */
	int32_t last_day;   /* the header's expires, 0 = none, or VERDICT_DAY_UNKNOWN */
	int64_t issued;
	int has_pins;
	char batch_id[BATCH_ID_MAX + 1];
	char product[BATCH_TEXT_MAX + 1];
};

struct key_batches {
	unsigned char id[KEYS_ID_BYTES];
	struct batch_span *spans; /* sorted by first */
	size_t n, cap;
};

struct registry {
	pthread_rwlock_t lock;
	struct trust_list trust;
	struct key_batches *keys; /* sorted by id */
	size_t nkeys, capkeys;
	long batches;
};

struct registry *registry_new(void)
{
	struct registry *r = calloc(1, sizeof *r);

	if (r != NULL)
		pthread_rwlock_init(&r->lock, NULL);
	return r;
}

void registry_free(struct registry *r)
{
	if (r == NULL)
		return;
	trust_free(&r->trust);
	for (size_t i = 0; i < r->nkeys; i++)
		free(r->keys[i].spans);
	free(r->keys);
	pthread_rwlock_destroy(&r->lock);
	free(r);
}

void registry_set_trust(struct registry *r, struct trust_list *list)
{
	struct trust_list old;

	pthread_rwlock_wrlock(&r->lock);
	old = r->trust;
	r->trust = *list;
	pthread_rwlock_unlock(&r->lock);
	memset(list, 0, sizeof *list);
	trust_free(&old);
}

/* Index of the key's entry, or where it would go (with *found 0). */
static size_t find_key(const struct registry *r, const unsigned char id[KEYS_ID_BYTES], int *found)
{
	size_t lo = 0, hi = r->nkeys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(r->keys[mid].id, id, KEYS_ID_BYTES);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= cap)
		n = cap - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int registry_add_batch(struct registry *r, const unsigned char id[KEYS_ID_BYTES],
		       const struct registry_batch *b)
{
	int found, rc = -1;
	size_t k, pos;

	pthread_rwlock_wrlock(&r->lock);
	k = find_key(r, id, &found);
	if (!found) {
		if (r->nkeys == r->capkeys) {
			size_t cap = r->capkeys ? 2 * r->capkeys : 16;
			struct key_batches *nk = realloc(r->keys, cap * sizeof *nk);
			if (nk == NULL)
				goto out;
			r->keys = nk, r->capkeys = cap;
		}
		memmove(&r->keys[k + 1], &r->keys[k], (r->nkeys - k) * sizeof r->keys[0]);
		memset(&r->keys[k], 0, sizeof r->keys[k]);
		memcpy(r->keys[k].id, id, KEYS_ID_BYTES);
		r->nkeys++;
	}
	struct key_batches *kb = &r->keys[k];
	if (kb->n == kb->cap) {
		size_t cap = kb->cap ? 2 * kb->cap : 4;
		struct batch_span *ns = realloc(kb->spans, cap * sizeof *ns);
		if (ns == NULL)
			goto out;
		kb->spans = ns, kb->cap = cap;
	}
	for (pos = kb->n; pos > 0 && kb->spans[pos - 1].first > b->first; pos--)
		;
	memmove(&kb->spans[pos + 1], &kb->spans[pos], (kb->n - pos) * sizeof kb->spans[0]);
	struct batch_span *s = &kb->spans[pos];
	s->first = b->first, s->last = b->last;
	/* the day in Cà Mau, as revocation days are */
	s->registered = date_vn_day((time_t)(b->registered_ms / 1000));
	s->last_day = b->last_day;
	s->issued = b->issued;
	s->has_pins = b->has_pins;
	copy_str(s->batch_id, sizeof s->batch_id, b->batch_id);
	copy_str(s->product, sizeof s->product, b->product);
	kb->n++;
	r->batches++;
	rc = 0;
out:
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

void registry_lookup(struct registry *r, const unsigned char id[KEYS_ID_BYTES], uint64_t serial,
		     struct registry_hit *out)
{
	const struct trust_entry *e;
	int found;

	memset(out, 0, sizeof *out);
	out->entry.revoked = -1;
	pthread_rwlock_rdlock(&r->lock);
	if ((e = trust_find(&r->trust, id)) != NULL) {
		out->known = 1;
		out->entry = *e;
	}
	size_t k = find_key(r, id, &found);
	if (found) {
		const struct key_batches *kb = &r->keys[k];
		size_t lo = 0, hi = kb->n; /* last span with first <= serial */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (kb->spans[mid].first <= serial)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && serial <= kb->spans[lo - 1].last) {
			const struct batch_span *s = &kb->spans[lo - 1];
			out->batch.in_batch = 1;
			out->batch.registered = s->registered;
			out->batch.last_day = s->last_day;
			out->issued = s->issued;
			out->has_pins = s->has_pins;
			copy_str(out->batch_id, sizeof out->batch_id, s->batch_id);
			copy_str(out->product, sizeof out->product, s->product);
		}
	}
	pthread_rwlock_unlock(&r->lock);
}

int registry_key(struct registry *r, const unsigned char id[KEYS_ID_BYTES], struct trust_entry *out)
{
	const struct trust_entry *e;

	pthread_rwlock_rdlock(&r->lock);
	e = trust_find(&r->trust, id);
	if (e != NULL)
		*out = *e;
	pthread_rwlock_unlock(&r->lock);
	return e != NULL;
}

void registry_counts(struct registry *r, long *producers, long *batches)
{
	pthread_rwlock_rdlock(&r->lock);
	*producers = (long)r->trust.n;
	*batches = r->batches;
	pthread_rwlock_unlock(&r->lock);
}

void registry_authority(struct registry *r, char *out, size_t cap)
{
	pthread_rwlock_rdlock(&r->lock);
	copy_str(out, cap, r->trust.authority);
	pthread_rwlock_unlock(&r->lock);
}

int registry_check_sequence(struct ledger *l, const struct trust_list *list, const char *path,
			    struct tem_err *err)
{
	uint64_t seen;

	if (ledger_trust_sequence(l, &seen, err) != TEM_OK)
		return TEM_ERR;
	if (list->sequence < seen)
		return err_set(err,
			       "%s: sequence %llu is older than sequence %llu, already accepted: "
			       "an old trust list put back would undo later changes (revocations); "
			       "ask the authority for its latest signed list",
			       path, (unsigned long long)list->sequence, (unsigned long long)seen);
	return TEM_OK;
}

/* 1 when the stored row says what the verified header h says. */
static int row_matches(const struct ledger_batch_row *b, const struct batch_header *h)
{
	return strcmp(b->product, h->product) == 0 && strcmp(b->producer, h->producer) == 0 &&
	       strcmp(b->batch_id, h->batch_id) == 0 && strcmp(b->url, h->url) == 0 &&
	       b->first == h->first_serial && b->last == h->first_serial + h->count - 1 &&
	       b->issued == (int64_t)h->issued && b->last_day == (int32_t)h->last_day;
}

int registry_load_batch(struct registry *r, const struct ledger_batch_row *b, struct tem_err *err)
{
	struct batch_header *h;
	struct registry_batch rb;
	struct trust_entry e;
	struct tem_err why;
	unsigned char id[KEYS_ID_BYTES];
	size_t len = strlen(b->header);
	int rc = TEM_ERR;

	if (keys_id_parse(b->key_id, strlen(b->key_id), id, &why) != TEM_OK)
		return err_set(err, "batch row %lld: key id '%.20s' is not 16 hex digits",
			       (long long)b->row, b->key_id);
	if (!registry_key(r, id, &e)) {
		err_set(err,
			"batch %s of key %s (row %lld): key not in the trust list, not checked "
			"and not loaded",
			b->batch_id, b->key_id, (long long)b->row);
		return TEM_NO;
	}
	if ((h = malloc(sizeof *h)) == NULL)
		return err_set(err, "out of memory");
	if (batch_header_parse(b->header, len, h, &why) != TEM_OK ||
	    batch_header_verify(h, &e.key, &why) != TEM_OK ||
	    memcmp(h->key_id, id, KEYS_ID_BYTES) != 0) {
		err_set(err,
			"batch %.64s of key %s (row %lld): its stored header is not one the "
			"producer signed (%s): the ledger was changed by hand",
			b->batch_id, b->key_id, (long long)b->row, why.msg);
		goto out;
	}
	if (!row_matches(b, h)) {
		err_set(err,
			"batch %.64s of key %s (row %lld): the ledger's product, producer, serials "
			"or dates differ from its signed header: the ledger was changed by hand",
			b->batch_id, b->key_id, (long long)b->row);
		goto out;
	}
	rb = (struct registry_batch){b->first,    b->last,    b->registered_ms,     b->issued,
				     h->batch_id, h->product, (int32_t)h->last_day, b->has_pins};
	if (registry_add_batch(r, id, &rb) != 0) {
		err_set(err, "out of memory loading batch %s of key %s", b->batch_id, b->key_id);
		goto out;
	}
	rc = TEM_OK;
out:
	free(h);
	return rc;
}

void registry_max_serial(struct registry *r, const unsigned char id[KEYS_ID_BYTES], uint64_t *max)
{
	int found;

	*max = 0;
	pthread_rwlock_rdlock(&r->lock);
	size_t k = find_key(r, id, &found);
	if (found)
		for (size_t i = 0; i < r->keys[k].n; i++)
			if (r->keys[k].spans[i].last > *max)
				*max = r->keys[k].spans[i].last;
	pthread_rwlock_unlock(&r->lock);
}
