/* registry.c — the trust list in force and an index of registered batches: per key id, the
 * batches sorted by first serial, searched by bisection. */
#include "server/registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys/date.h"
#include "label/batch.h"
#include "server/log.h"
#include "server/metrics.h"

/* How long a gap in the batches' row ids may be a registration not yet committed (another
 * temd's transaction took the id and is still open): refreshes read from the gap again until
 * then; past it, the id is taken for one a rolled-back transaction used. */
#define HOLE_MS 60000

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
	int64_t top;   /* the highest batch row loaded or seen (registry_load_batch, refreshes) */
	int64_t *rows; /* the batch rows read before following (registry_load_batch), sorted */
	size_t nrows, caprows; /* and searched for gaps by registry_follow, which frees them */

	/* following a shared ledger (registry_follow); ledger is set before any refresh */
	struct ledger *ledger;   /* NULL while not following: registry_refresh does nothing */
	pthread_mutex_t refresh; /* held by the one refresh under way */
	int64_t floor;           /* batch rows up to this one are loaded (or gone) */
	int64_t hole_since_ms;   /* since when floor waits for the row after it, 0 = it does not */
	int64_t started_ms;      /* when the latest refresh started, 0 = never */
	int failing;             /* 1 while refreshes cannot read the ledger (logged once) */
	pthread_mutex_t tmu;     /* guards stop, for the timer thread */
	pthread_cond_t tcond;    /* signalled to stop it */
	pthread_t timer;         /* the background refresh, every interval seconds */
	int stop, running;
	unsigned interval;
};

struct registry *registry_new(void)
{
	struct registry *r = calloc(1, sizeof *r);

	if (r != NULL) {
		pthread_condattr_t ca;
		pthread_rwlock_init(&r->lock, NULL);
		pthread_mutex_init(&r->refresh, NULL);
		pthread_mutex_init(&r->tmu, NULL);
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r->tcond, &ca);
		pthread_condattr_destroy(&ca);
	}
	return r;
}

void registry_free(struct registry *r)
{
	if (r == NULL)
		return;
	registry_unfollow(r);
	pthread_cond_destroy(&r->tcond);
	pthread_mutex_destroy(&r->tmu);
	pthread_mutex_destroy(&r->refresh);
	trust_free(&r->trust);
	for (size_t i = 0; i < r->nkeys; i++)
		free(r->keys[i].spans);
	free(r->keys);
	free(r->rows);
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
	/* a key's batches never overlap: one of the same first serial is this batch, known
	 * already (registered here, and read back by a refresh) */
	if (pos > 0 && kb->spans[pos - 1].first == b->first) {
		rc = 0;
		goto out;
	}
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

	/* before following, the rows read at start are kept, loaded or not, for registry_follow
	 * to find the rows missing among them (a row skipped here is not a gap) */
	if (r->ledger == NULL) {
		if (r->nrows == r->caprows) {
			size_t cap = r->caprows ? 2 * r->caprows : 64;
			int64_t *nr = realloc(r->rows, cap * sizeof *nr);
			if (nr == NULL)
				return err_set(err, "out of memory loading batch row %lld",
					       (long long)b->row);
			r->rows = nr, r->caprows = cap;
		}
		r->rows[r->nrows++] = b->row;
	}
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
	pthread_rwlock_wrlock(&r->lock);
	if (b->row > r->top)
		r->top = b->row;
	pthread_rwlock_unlock(&r->lock);
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

/* 1 when the index holds the batch of key id starting at first. */
static int has_batch(struct registry *r, const unsigned char id[KEYS_ID_BYTES], uint64_t first)
{
	int found, has = 0;

	pthread_rwlock_rdlock(&r->lock);
	size_t k = find_key(r, id, &found);
	if (found) {
		const struct key_batches *kb = &r->keys[k];
		size_t lo = 0, hi = kb->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (kb->spans[mid].first < first)
				lo = mid + 1;
			else
				hi = mid;
		}
		has = lo < kb->n && kb->spans[lo].first == first;
	}
	pthread_rwlock_unlock(&r->lock);
	return has;
}

/* A refresh's walk over the rows above the floor, in row order. */
struct walk {
	struct registry *r;
	int64_t expect; /* the next row id if none is missing */
	int64_t hole;   /* the first row id missing, 0 = none */
	int64_t max;    /* the highest row read */
	int64_t seen;   /* the highest row of earlier refreshes: rows above it are new */
	long loaded;
};

/* ledger_each_batch_after's callback: loads one batch another temd registered, checked as at
 * start (registry_load_batch); one already known is skipped before any check. A batch that
 * fails is logged and skipped: the others are served all the same. */
static int refresh_row(void *arg, const struct ledger_batch_row *b, struct tem_err *err)
{
	struct walk *w = arg;
	unsigned char id[KEYS_ID_BYTES];
	struct tem_err why;
	int rc;

	(void)err;
	if (b->row > w->expect && w->hole == 0)
		w->hole = w->expect;
	if (b->row >= w->expect)
		w->expect = b->row + 1;
	if (b->row > w->max)
		w->max = b->row;
	if (keys_id_parse(b->key_id, strlen(b->key_id), id, &why) == TEM_OK &&
	    has_batch(w->r, id, b->first))
		return TEM_OK;
	rc = registry_load_batch(w->r, b, &why);
	if (rc == TEM_OK)
		w->loaded++;
	else if (b->row > w->seen) /* once, not at every refresh that reads it again */
		log_msg(rc == TEM_NO ? LOG_LV_WARNING : LOG_LV_ERROR, "%s", why.msg);
	return TEM_OK;
}

int registry_refresh(struct registry *r, int64_t min_gap_ms)
{
	struct tem_err err;
	struct walk w;
	int64_t now;
	int rc = TEM_NO;

	if (r->ledger == NULL || pthread_mutex_trylock(&r->refresh) != 0)
		return TEM_NO; /* not following, or one refresh is under way: use what is there */
	now = date_now_ms();
	if (r->started_ms != 0 && now - r->started_ms < min_gap_ms && now >= r->started_ms)
		goto out;
	r->started_ms = now;
	metrics_registry_refresh();
	pthread_rwlock_rdlock(&r->lock);
	w = (struct walk){r, r->floor + 1, 0, r->floor, r->top, 0};
	pthread_rwlock_unlock(&r->lock);
	if (ledger_each_batch_after(r->ledger, r->floor, refresh_row, &w, &err) != TEM_OK) {
		if (!r->failing)
			log_msg(LOG_LV_WARNING,
				"cannot read the batches other servers registered: %s (tried again "
				"as codes need it)",
				err.msg);
		r->failing = 1;
		rc = TEM_ERR;
		goto out;
	}
	if (r->failing)
		log_msg(LOG_LV_NOTICE, "the batches other servers registered are read again");
	r->failing = 0;
	if (w.hole == 0) {
		r->floor = w.max;
		r->hole_since_ms = 0;
	} else if (w.hole - 1 != r->floor || r->hole_since_ms == 0) {
		r->floor = w.hole - 1; /* read from the gap again until it fills or HOLE_MS pass */
		r->hole_since_ms = now;
	} else if (now - r->hole_since_ms > HOLE_MS) {
		r->floor = w.max; /* ids a rolled-back transaction took */
		r->hole_since_ms = 0;
	}
	pthread_rwlock_wrlock(&r->lock);
	if (w.max > r->top)
		r->top = w.max;
	pthread_rwlock_unlock(&r->lock);
	if (w.loaded > 0) {
		log_msg(LOG_LV_INFO, "%ld batches registered through another server loaded",
			w.loaded);
		rc = TEM_OK;
	}
out:
	pthread_mutex_unlock(&r->refresh);
	return rc;
}

/* The timer thread: a refresh every interval seconds until registry_unfollow. */
static void *follow_main(void *arg)
{
	struct registry *r = arg;

	pthread_mutex_lock(&r->tmu);
	while (!r->stop) {
		struct timespec at;
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += (time_t)r->interval;
		while (!r->stop && pthread_cond_timedwait(&r->tcond, &r->tmu, &at) == 0)
			;
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->tmu);
		(void)registry_refresh(r, 0);
		pthread_mutex_lock(&r->tmu);
	}
	pthread_mutex_unlock(&r->tmu);
	return NULL;
}

static int row_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int registry_follow(struct registry *r, struct ledger *l, unsigned interval_s, struct tem_err *err)
{
	int64_t expect = 1, hole = 0;

	/* the first row id missing below the highest read at start: a registration through
	 * another temd that took its id before the load and commits after it (or one rolled
	 * back); refreshes read from it, as from a gap they find, until it fills or HOLE_MS pass */
	if (r->nrows > 1)
		qsort(r->rows, r->nrows, sizeof *r->rows, row_cmp);
	for (size_t i = 0; i < r->nrows && hole == 0; i++) {
		if (r->rows[i] > expect)
			hole = expect;
		else if (r->rows[i] == expect)
			expect++;
	}
	pthread_rwlock_wrlock(&r->lock);
	if (r->nrows > 0 && r->rows[r->nrows - 1] > r->top)
		r->top = r->rows[r->nrows - 1]; /* rows read and skipped count as seen */
	r->floor = hole != 0 ? hole - 1 : r->top;
	pthread_rwlock_unlock(&r->lock);
	r->hole_since_ms = hole != 0 ? date_now_ms() : 0;
	free(r->rows);
	r->rows = NULL;
	r->nrows = r->caprows = 0;
	r->ledger = l;
	r->interval = interval_s > 0 ? interval_s : 1;
	r->stop = 0;
	if (pthread_create(&r->timer, NULL, follow_main, r) != 0) {
		r->ledger = NULL;
		return err_set(err, "cannot start the thread that reads new batches");
	}
	r->running = 1;
	return TEM_OK;
}

void registry_unfollow(struct registry *r)
{
	if (r == NULL || !r->running)
		return;
	pthread_mutex_lock(&r->tmu);
	r->stop = 1;
	pthread_cond_signal(&r->tcond);
	pthread_mutex_unlock(&r->tmu);
	pthread_join(r->timer, NULL);
	r->running = 0;
	pthread_mutex_lock(&r->refresh); /* no refresh under way, none after */
	r->ledger = NULL;
	pthread_mutex_unlock(&r->refresh);
}
