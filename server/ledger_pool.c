/* ledger_pool.c — the read-connection pools of attached ledgers (server/ledger_pool.h): one
 * global list found under its own lock, then each pool under its own, so a borrower waiting on
 * one ledger never holds up another. */
#include "server/ledger_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct slot {
	void *conn; /* the engine's connection, NULL until opened */
	int busy;   /* borrowed */
};

struct ledger_pool {
	const void *key;                   /* the engine's handle of the ledger */
	const struct ledger_pool_ops *ops; /* the engine's callbacks */
	void *ctx;                         /* the engine's, freed by ops->done */
	pthread_mutex_t mu;                /* guards slot[], n and waiting */
	pthread_cond_t cv;                 /* a connection was handed back */
	size_t size;                       /* connections at most */
	size_t n;                          /* connections opened: slot[0..n) */
	size_t waiting;                    /* borrowers waiting for one */
	struct slot *slot;                 /* size of them */
	struct ledger_pool *next;
};

static pthread_mutex_t pools_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ledger_pool *pools; /* attached ledgers */

/* key's pool or NULL. */
static struct ledger_pool *find(const void *key)
{
	struct ledger_pool *p;

	pthread_mutex_lock(&pools_mu);
	for (p = pools; p != NULL && p->key != key; p = p->next)
		;
	pthread_mutex_unlock(&pools_mu);
	return p;
}

int ledger_pool_attach(const void *key, size_t size, const struct ledger_pool_ops *ops, void *ctx,
		       struct tem_err *err)
{
	struct ledger_pool *p;
	int ret = TEM_OK;

	pthread_mutex_lock(&pools_mu);
	for (p = pools; p != NULL && p->key != key; p = p->next)
		;
	if (p != NULL) /* attached already: its pool stays */
		goto out;
	if (size == 0) {
		ret = err_set(err, "a ledger's read pool needs room for one connection at least");
		goto out;
	}
	if ((p = calloc(1, sizeof *p)) == NULL ||
	    (p->slot = calloc(size, sizeof *p->slot)) == NULL) {
		free(p);
		ret = err_set(err, "out of memory");
		goto out;
	}
	p->key = key;
	p->ops = ops;
	p->ctx = ctx;
	p->size = size;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->next = pools;
	pools = p;
	ctx = NULL; /* the pool's now */
out:
	pthread_mutex_unlock(&pools_mu);
	if (ctx != NULL && ops->done != NULL)
		ops->done(ctx);
	return ret;
}

void ledger_pool_detach(const void *key)
{
	struct ledger_pool **pp, *p;

	pthread_mutex_lock(&pools_mu);
	for (pp = &pools; *pp != NULL && (*pp)->key != key; pp = &(*pp)->next)
		;
	p = *pp;
	if (p != NULL)
		*pp = p->next;
	pthread_mutex_unlock(&pools_mu);
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		p->ops->close(p->ctx, p->slot[i].conn);
	if (p->ops->done != NULL)
		p->ops->done(p->ctx);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->slot);
	free(p);
}

struct ledger_pool *ledger_pool_take(const void *key, void **conn, struct tem_err *err)
{
	struct ledger_pool *p = find(key);
	struct slot *s = NULL;

	if (p == NULL) {
		err_set(err, "the ledger's regulator reads are not open (lq_open)");
		return NULL;
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		size_t i;
		for (i = 0; i < p->n && p->slot[i].busy; i++)
			;
		if (i < p->n) {
			s = &p->slot[i];
			break;
		}
		if (p->n < p->size) {
			/* opened under the lock: a second borrower waits for this one rather than
			 * opening past the bound */
			if (p->ops->open(p->ctx, &p->slot[p->n].conn, err) != TEM_OK) {
				p->slot[p->n].conn = NULL;
				break;
			}
			s = &p->slot[p->n++];
			break;
		}
		p->waiting++;
		pthread_cond_wait(&p->cv, &p->mu);
		p->waiting--;
	}
	if (s != NULL) {
		s->busy = 1;
		*conn = s->conn;
	}
	pthread_mutex_unlock(&p->mu);
	return s != NULL ? p : NULL;
}

void ledger_pool_give(struct ledger_pool *p, void *conn)
{
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n; i++)
		if (p->slot[i].conn == conn)
			p->slot[i].busy = 0;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void *ledger_pool_ctx(const struct ledger_pool *p)
{
	return p->ctx;
}

int ledger_pool_counts(const void *key, size_t *open, size_t *busy, size_t *waiting)
{
	struct ledger_pool *p = find(key);

	*open = *busy = *waiting = 0;
	if (p == NULL)
		return TEM_NO;
	pthread_mutex_lock(&p->mu);
	*open = p->n;
	for (size_t i = 0; i < p->n; i++)
		*busy += (size_t)p->slot[i].busy;
	*waiting = p->waiting;
	pthread_mutex_unlock(&p->mu);
	return TEM_OK;
}
