/* codemap.c — a map of 64-bit keys to 64-bit values in memory (server/codemap.h). */
#include "server/codemap.h"

#include <pthread.h>
#include <stdlib.h>

struct slot {
	uint64_t k; /* 0: free */
	uint64_t v;
};

struct codemap {
	pthread_rwlock_t lock; /* readers read, codemap_commit writes */
	struct slot *t;        /* cap slots */
	size_t cap, n;         /* cap a power of two; n keys in t */
	struct slot *staged;   /* in the order staged; a key may come more than once */
	size_t ns, caps;
};

#define MIN_CAP 1024

static uint64_t fix(uint64_t k)
{
	return k != 0 ? k : 1;
}

/* The slot of k in t (cap slots): k's, or the free one where it would go. */
static struct slot *find(struct slot *t, size_t cap, uint64_t k)
{
	size_t i = (size_t)k & (cap - 1);

	while (t[i].k != 0 && t[i].k != k)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

struct codemap *codemap_new(void)
{
	struct codemap *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	if ((m->t = calloc(MIN_CAP, sizeof *m->t)) == NULL) {
		free(m);
		return NULL;
	}
	m->cap = MIN_CAP;
	pthread_rwlock_init(&m->lock, NULL);
	return m;
}

void codemap_free(struct codemap *m)
{
	if (m == NULL)
		return;
	pthread_rwlock_destroy(&m->lock);
	free(m->t);
	free(m->staged);
	free(m);
}

int codemap_get(const struct codemap *m, uint64_t k, uint64_t *v)
{
	const struct slot *s;

	k = fix(k);
	for (size_t i = m->ns; i-- > 0;)
		if (m->staged[i].k == k) {
			*v = m->staged[i].v;
			return 1;
		}
	s = find(m->t, m->cap, k);
	if (s->k == 0)
		return 0;
	*v = s->v;
	return 1;
}

int codemap_stage(struct codemap *m, uint64_t k, uint64_t v)
{
	if (m->ns == m->caps) {
		size_t nc = m->caps ? m->caps * 2 : 64;
		struct slot *g = realloc(m->staged, nc * sizeof *g);
		if (g == NULL)
			return -1;
		m->staged = g, m->caps = nc;
	}
	m->staged[m->ns++] = (struct slot){fix(k), v};
	return 0;
}

/* Grows m's table to hold want keys at most 3/4 full (the caller holds the write lock, or no
 * reader exists yet). 0, or -1 when out of memory (the table unchanged). */
static int grow(struct codemap *m, size_t want)
{
	size_t cap = m->cap;
	struct slot *t;

	while (want > cap / 4 * 3)
		cap *= 2;
	if (cap == m->cap)
		return 0;
	if ((t = calloc(cap, sizeof *t)) == NULL)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->t[i].k != 0)
			*find(t, cap, m->t[i].k) = m->t[i];
	free(m->t);
	m->t = t;
	m->cap = cap;
	return 0;
}

int codemap_reserve(struct codemap *m)
{
	int rc;

	if (m->n + m->ns <= m->cap / 4 * 3)
		return 0;
	pthread_rwlock_wrlock(&m->lock);
	rc = grow(m, m->n + m->ns);
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

void codemap_commit(struct codemap *m)
{
	if (m->ns == 0)
		return;
	pthread_rwlock_wrlock(&m->lock);
	for (size_t i = 0; i < m->ns; i++) {
		struct slot *s = find(m->t, m->cap, m->staged[i].k);
		m->n += s->k == 0;
		*s = m->staged[i];
	}
	pthread_rwlock_unlock(&m->lock);
	m->ns = 0;
}

void codemap_drop(struct codemap *m)
{
	m->ns = 0;
}

int codemap_put(struct codemap *m, uint64_t k, uint64_t v)
{
	struct slot *s;

	k = fix(k);
	if (grow(m, m->n + 1) != 0)
		return -1;
	s = find(m->t, m->cap, k);
	m->n += s->k == 0;
	*s = (struct slot){k, v};
	return 0;
}

int codemap_read(struct codemap *m, uint64_t k, uint64_t *v)
{
	const struct slot *s;
	int found;

	k = fix(k);
	pthread_rwlock_rdlock(&m->lock);
	s = find(m->t, m->cap, k);
	found = s->k != 0;
	if (found)
		*v = s->v;
	pthread_rwlock_unlock(&m->lock);
	return found;
}

size_t codemap_count(const struct codemap *m)
{
	return m->n;
}

size_t codemap_bytes(const struct codemap *m)
{
	return sizeof *m + m->cap * sizeof *m->t + m->caps * sizeof *m->staged;
}
