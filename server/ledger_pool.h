/* ledger_pool.h — a ledger's pool of read connections, one for both engines' regulator reads
 * (server/ledger_sqlite_query.c, ledger_pg_query.c): at most a set number of connections,
 * opened through the engine's callback when none is free, a borrower waiting (with no time
 * limit: a read holds its connection for one transaction) while all are busy, every one closed
 * when the ledger detaches. A pool is found by its key, the engine's handle of the ledger, so
 * the engine's state needs no field for it. */
#ifndef TEM_LEDGER_POOL_H
#define TEM_LEDGER_POOL_H

#include <stddef.h>

#include "keys/err.h"

struct ledger_pool;

/* What the pool asks of its engine. ctx is what ledger_pool_attach was given. */
struct ledger_pool_ops {
	/* Opens a read connection into *conn (never NULL on success). TEM_OK, or TEM_ERR with
	 * err set; the pool then tries again at the next borrow. */
	int (*open)(void *ctx, void **conn, struct tem_err *err);
	/* Closes and frees a connection open made. */
	void (*close)(void *ctx, void *conn);
	/* Frees ctx when the pool is detached (or was never attached); NULL: nothing to free. */
	void (*done)(void *ctx);
};

/* Attaches a pool of at most size (1 or more) read connections to key, none opened yet; ops
 * must outlive it. ctx becomes the pool's either way (ops->done frees it): a key that has a
 * pool already keeps it, and this ctx is freed at once. TEM_OK, or TEM_ERR with err set. */
int ledger_pool_attach(const void *key, size_t size, const struct ledger_pool_ops *ops, void *ctx,
		       struct tem_err *err);

/* Detaches key's pool (nothing when it has none): closes every connection it opened and frees
 * its ctx. No connection of it may still be borrowed. */
void ledger_pool_detach(const void *key);

/* Borrows a connection of key's pool into *conn: a free one, else a new one while fewer than
 * size are open, else waits until one is handed back. Returns the pool, which ledger_pool_give
 * needs and ledger_pool_ctx reads, or NULL with err set (key not attached, or the connection
 * could not be opened). */
struct ledger_pool *ledger_pool_take(const void *key, void **conn, struct tem_err *err);

/* Hands conn, borrowed from p, back, waking one borrower that waits. */
void ledger_pool_give(struct ledger_pool *p, void *conn);

/* The ctx p was attached with (the pool's own until it is detached). */
void *ledger_pool_ctx(const struct ledger_pool *p);

/* What key's pool holds now: connections open, those borrowed, borrowers waiting. TEM_OK, or
 * TEM_NO (all three 0) when key has no pool. For tests and metrics. */
int ledger_pool_counts(const void *key, size_t *open, size_t *busy, size_t *waiting);

#endif
