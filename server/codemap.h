/* codemap.h — a map of 64-bit keys to 64-bit values in memory, for the SQLite ledger's index of
 * codes (server/ledger_sqlite.c): which scans row heads each code's chain of client rows, and
 * whether the code has an alert or a claim. The ledger's own record stays the only durable
 * one; the map is rebuilt from it at every open, so it holds nothing a crash could lose.
 *
 * One writer thread changes it, in step with its transactions: what it puts is staged, seen
 * by its own reads at once, and becomes the map other threads read only once the transaction
 * is committed (codemap_commit), or is forgotten when it is rolled back (codemap_drop). So a
 * reader never finds a row its snapshot of the ledger cannot see yet. Readers take a read lock;
 * the writer's own reads take none (no other thread changes the map).
 *
 * Open addressing with linear probing, the capacity a power of two at most 3/4 full: 16 bytes
 * an entry, 21 to 43 bytes a key with the spare room. Keys are keyed hashes (well spread), so
 * the slot is the key's low bits; key 0 marks a free slot, and is stored as 1. */
#ifndef TEM_CODEMAP_H
#define TEM_CODEMAP_H

#include <stddef.h>
#include <stdint.h>

struct codemap;

/* A new, empty map; NULL when out of memory. Free with codemap_free. */
struct codemap *codemap_new(void);

/* Frees m and everything in it (NULL is harmless). */
void codemap_free(struct codemap *m);

/* The writer's read: *v gets k's value, staged or committed. 1 when k is there, 0 when not
 * (*v untouched). */
int codemap_get(const struct codemap *m, uint64_t k, uint64_t *v);

/* The writer's change: k's value becomes v once the transaction commits. 0, or -1 when out of
 * memory (nothing staged). */
int codemap_stage(struct codemap *m, uint64_t k, uint64_t v);

/* Makes room for everything staged, before the transaction's COMMIT, so codemap_commit cannot
 * fail once the ledger has committed. 0, or -1 when out of memory (the map unchanged). */
int codemap_reserve(struct codemap *m);

/* Applies what is staged (after codemap_reserve, once the transaction has committed), under
 * the write lock, and empties the stage. */
void codemap_commit(struct codemap *m);

/* Forgets what is staged: its transaction was rolled back. */
void codemap_drop(struct codemap *m);

/* Sets k to v at once, with no transaction (rebuilding the map at open, before any reader).
 * 0, or -1 when out of memory. */
int codemap_put(struct codemap *m, uint64_t k, uint64_t v);

/* A reader's read (any thread): *v gets k's committed value. 1 when there, 0 when not. */
int codemap_read(struct codemap *m, uint64_t k, uint64_t *v);

/* Keys committed, and the bytes the map holds (its table and stage). */
size_t codemap_count(const struct codemap *m);
size_t codemap_bytes(const struct codemap *m);

#endif
