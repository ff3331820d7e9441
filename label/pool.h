/* pool.h — one ordered work pool: items are filled one at a time on the calling thread,
 * processed in parallel by worker threads, and handed back to the caller strictly in the
 * order they were filled. Memory is bounded: at most `depth` items exist at once, reused. */
#ifndef TEM_POOL_H
#define TEM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"

/* What a run does with its items; ctx is passed to every call. */
struct pool_ops {
	/* Caller's thread, in order: fills the next item (a reused slot of item_size bytes,
	 * zeroed before its first use). 1 when filled, 0 when there is no more, TEM_ERR (err
	 * filled) to end the run once the items filled before it are consumed. */
	int (*fill)(void *ctx, void *item, struct tem_err *err);
	/* Any worker thread: processes one item. TEM_OK, or TEM_NO / TEM_ERR with err filled:
	 * the run then ends at that item, in order, with that status. Must be thread-safe. */
	int (*work)(void *ctx, void *item, struct tem_err *err);
	/* Caller's thread, in fill order: consumes a processed item. TEM_OK, or a status with
	 * err filled to end the run. May be NULL. */
	int (*consume)(void *ctx, void *item, struct tem_err *err);
	/* Caller's thread, once for every slot when the run ends (used or not, zeroed or as the
	 * last item left it): frees what an item holds. May be NULL. */
	void (*release)(void *ctx, void *item);
};

/* Number of worker threads for "all cores" (threads == 0): the online processors, at least 1
 * and at most POOL_THREADS_MAX. */
#define POOL_THREADS_MAX 256
unsigned pool_default_threads(void);

/* Runs a pool of `threads` workers (0: pool_default_threads()) over items of item_size bytes,
 * at most depth of them in flight (0: 2 per worker). Returns TEM_OK when every item filled
 * was processed and consumed; otherwise the first status in fill order that was not TEM_OK
 * (from work, consume, or fill after the items before it), with err filled. Every worker has
 * been joined and every slot released when it returns. */
int pool_run(unsigned threads, size_t depth, size_t item_size, const struct pool_ops *ops,
	     void *ctx, struct tem_err *err);

#endif
