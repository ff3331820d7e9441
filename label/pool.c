/* pool.c — the ordered work pool (label/pool.h). Slots form a ring indexed by fill number:
 * item k lives in slot k % depth, so the caller finds the next item to consume without a
 * search, and a slot is refilled only once the item in it was consumed. */
#include "label/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum slot_state {
	SLOT_FREE,    /* consumed, or never used: the caller may fill it */
	SLOT_QUEUED,  /* filled, waiting for a worker */
	SLOT_WORKING, /* a worker is processing it */
	SLOT_DONE     /* processed: waiting for the caller to consume it */
};

struct slot {
	enum slot_state state; /* under the pool's mutex */
	int status;            /* what work returned */
	struct tem_err err;    /* why work failed */
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv; /* a worker waits here for a queued item */
	pthread_cond_t done_cv; /* the caller waits here for the item it consumes next */
	const struct pool_ops *ops;
	void *ctx;
	size_t depth;         /* slots */
	size_t item_size;     /* bytes of one item */
	unsigned char *items; /* depth items */
	struct slot *slots;   /* their states */
	uint64_t filled;      /* items filled so far */
	uint64_t taken;       /* items a worker has taken */
	uint64_t consumed;    /* items consumed so far */
	int stop;             /* 1: workers leave */
};

unsigned pool_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > POOL_THREADS_MAX ? POOL_THREADS_MAX : (unsigned)n;
}

static void *item_at(struct pool *p, uint64_t k)
{
	return p->items + (size_t)(k % p->depth) * p->item_size;
}

static void *worker(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->taken == p->filled)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->stop)
			break;
		uint64_t k = p->taken++;
		struct slot *s = &p->slots[k % p->depth];
		s->state = SLOT_WORKING;
		pthread_mutex_unlock(&p->mu);
		int st = p->ops->work(p->ctx, item_at(p, k), &s->err);
		pthread_mutex_lock(&p->mu);
		s->status = st;
		s->state = SLOT_DONE;
		if (k == p->consumed) /* the caller waits for this one only */
			pthread_cond_signal(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Fills items until the ring is full or the input ends: 1 while there is more input, 0 at
 * its end, TEM_ERR when fill failed (err filled). */
static int fill_ring(struct pool *p, struct tem_err *err)
{
	while (p->filled - p->consumed < p->depth) {
		int r = p->ops->fill(p->ctx, item_at(p, p->filled), err);
		if (r != 1)
			return r == 0 ? 0 : TEM_ERR;
		pthread_mutex_lock(&p->mu);
		p->slots[p->filled % p->depth].state = SLOT_QUEUED;
		p->filled++;
		pthread_cond_signal(&p->work_cv);
		pthread_mutex_unlock(&p->mu);
	}
	return 1;
}

/* Waits for the oldest item, then consumes it: its work's status, or consume's. */
static int consume_next(struct pool *p, struct tem_err *err)
{
	struct slot *s = &p->slots[p->consumed % p->depth];
	int st;

	pthread_mutex_lock(&p->mu);
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&p->done_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	st = s->status;
	if (st != TEM_OK)
		*err = s->err;
	else if (p->ops->consume != NULL)
		st = p->ops->consume(p->ctx, item_at(p, p->consumed), err);
	pthread_mutex_lock(&p->mu);
	s->state = SLOT_FREE;
	p->consumed++;
	pthread_mutex_unlock(&p->mu);
	return st;
}

/* The caller's loop: fill, consume in order, refill; the first failure in order ends it. */
static int drive(struct pool *p, struct tem_err *err)
{
	struct tem_err fill_err;
	int more = 1;

	for (;;) {
		if (more == 1)
			more = fill_ring(p, &fill_err);
		if (p->consumed == p->filled)
			break;
		int st = consume_next(p, err);
		if (st != TEM_OK)
			return st;
	}
	if (more == TEM_ERR) {
		*err = fill_err;
		return TEM_ERR;
	}
	return TEM_OK;
}

int pool_run(unsigned threads, size_t depth, size_t item_size, const struct pool_ops *ops,
	     void *ctx, struct tem_err *err)
{
	struct pool p;
	pthread_t *th = NULL;
	unsigned started = 0;
	int rc = TEM_ERR;

	memset(&p, 0, sizeof p);
	if (threads == 0)
		threads = pool_default_threads();
	if (threads > POOL_THREADS_MAX)
		threads = POOL_THREADS_MAX;
	p.ops = ops;
	p.ctx = ctx;
	p.depth = depth > 0 ? depth : 2 * (size_t)threads;
	p.item_size = item_size;
	if (item_size == 0 || p.depth > SIZE_MAX / item_size)
		return err_set(err, "work pool: %zu items of %zu bytes are too many", p.depth,
			       item_size);
	p.items = calloc(p.depth, item_size);
	p.slots = calloc(p.depth, sizeof *p.slots);
	th = calloc(threads, sizeof *th);
	if (p.items == NULL || p.slots == NULL || th == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	if (pthread_mutex_init(&p.mu, NULL) != 0 || pthread_cond_init(&p.work_cv, NULL) != 0 ||
	    pthread_cond_init(&p.done_cv, NULL) != 0) {
		err_set(err, "work pool: cannot create its locks");
		goto out; /* a failed init is not destroyed: glibc's need no destroying */
	}
	for (; started < threads; started++)
		if (pthread_create(&th[started], NULL, worker, &p) != 0)
			break;
	if (started == 0)
		err_set(err, "work pool: cannot start a thread");
	else
		rc = drive(&p, err);
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.work_cv);
	pthread_mutex_unlock(&p.mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work_cv);
	pthread_cond_destroy(&p.done_cv);
out:
	if (p.items != NULL && ops->release != NULL)
		for (size_t i = 0; i < p.depth; i++)
			ops->release(ctx, p.items + i * item_size);
	free(th);
	free(p.slots);
	free(p.items);
	return rc;
}
