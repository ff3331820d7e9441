/* registry.h — what temd knows in memory to judge a code without touching the ledger: the
 * trust list in force (replaced whole on SIGHUP) and the index of registered batches (loaded
 * from the ledger at start, extended as batches register). Thread-safe: many readers, one
 * writer at a time. */
#ifndef TEM_REGISTRY_H
#define TEM_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "keys/keys.h"
#include "keys/trust.h"
#include "label/batch.h"
#include "label/verdict.h"
#include "server/ledger.h"

struct registry;

/* What a scan needs to know of its code's producer and batch, copied out. */
struct registry_hit {
	int known;                        /* 1 when the key is in the trust list */
	struct trust_entry entry;         /* its trust entry: key, valid-from, revocation, name */
	struct verdict_batch batch;       /* the registered batch holding the serial, if any */
	int64_t issued;                   /* that batch's issue time, Unix s */
	char batch_id[BATCH_ID_MAX + 1];  /* its batch id */
	char product[BATCH_TEXT_MAX + 1]; /* its product */
	int has_pins;                     /* 1 when that batch's codes carry claim PINs */
};

/* A registered batch, as the index keeps it. */
struct registry_batch {
	uint64_t first, last;  /* its serials, inclusive */
	int64_t registered_ms; /* when it was registered, Unix ms */
	int64_t issued;        /* its issue time, Unix s */
	const char *batch_id;  /* its batch id */
	const char *product;   /* its product */
	int32_t last_day;      /* the last valid day its header's `expires` gives every code (0 =
				* none; VERDICT_DAY_UNKNOWN when the caller does not know it, and
				* its codes' last days are then not checked) */
	int has_pins;          /* 1 when its codes carry claim PINs (a claim key was registered) */
};

/* A new, empty registry; NULL when out of memory. */
struct registry *registry_new(void);
void registry_free(struct registry *r);

/* Puts a trust list in force, taking ownership of its entries (list is left empty). */
void registry_set_trust(struct registry *r, struct trust_list *list);

/* Adds registered batch b of key id to the index (its strings are copied). -1 when out of
 * memory. */
int registry_add_batch(struct registry *r, const unsigned char id[KEYS_ID_BYTES],
		       const struct registry_batch *b);

/* Copies out what is known of a key and of the batch holding serial (out->batch.in_batch 0
 * when none does). */
void registry_lookup(struct registry *r, const unsigned char id[KEYS_ID_BYTES], uint64_t serial,
		     struct registry_hit *out);

/* The trust entry of a key, copied out: 1 when listed, 0 when not. */
int registry_key(struct registry *r, const unsigned char id[KEYS_ID_BYTES],
		 struct trust_entry *out);

/* Copies the authority's name from the trust list in force. */
void registry_authority(struct registry *r, char *out, size_t cap);

/* Refuses a trust list older than the newest the ledger has accepted: TEM_OK when list's
 * sequence number is at least the ledger's (ledger_trust_sequence), else TEM_ERR with err
 * naming path and both numbers (an old list put back would un-revoke keys). TEM_ERR too when
 * the ledger cannot be read. */
int registry_check_sequence(struct ledger *l, const struct trust_list *list, const char *path,
			    struct tem_err *err);

/* Adds a batch read back from the ledger to the index, after checking it is the batch its
 * producer signed: its stored header parses, its signature verifies against the producer's
 * key in the trust list in force, and every stored field (product, producer, batch id, url,
 * serials, issue time, last day) is the header's. TEM_OK when added; TEM_NO when its key is
 * not in the trust list (nothing to check it against: it is skipped, err saying so, and its
 * codes are unknown-key anyway); TEM_ERR with err naming the batch (its row, key and id) when
 * it fails a check (a hand-edited or injected batch) or memory runs out. */
int registry_load_batch(struct registry *r, const struct ledger_batch_row *b, struct tem_err *err);

/* The highest serial of the key's registered batches into *max (0 when it has none). */
void registry_max_serial(struct registry *r, const unsigned char id[KEYS_ID_BYTES], uint64_t *max);

/* The least time between two refreshes a code asks for (registry_refresh), in ms. */
#define REGISTRY_REFRESH_GAP_MS 1000

/* Follows ledger l, which other temd register batches on too (a shared PostgreSQL ledger):
 * from now on registry_refresh reads the batches registered after the highest row loaded so
 * far (from the first row id missing below it, when one is: a registration through another
 * temd still uncommitted at start, read until it fills or a minute passes), and a thread of
 * its own refreshes every interval_s seconds. Call once, after the batches are loaded at start
 * (registry_load_batch keeps the row ids it reads until then); l must outlive registry_unfollow. TEM_OK, or TEM_ERR with err
 * set when the thread cannot start. Not called for a SQLite ledger (one temd owns it: its
 * registrations are in its index already). */
int registry_follow(struct registry *r, struct ledger *l, unsigned interval_s, struct tem_err *err);

/* Stops following: ends the thread, waits for a refresh under way. Call before closing the
 * ledger; nothing when not following (registry_free calls it too). */
void registry_unfollow(struct registry *r);

/* Reads from the followed ledger the batches registered since the last refresh (by other
 * temd) and adds them to the index, each checked as registry_load_batch checks (one failing
 * is logged and skipped); a gap in the row ids is read again for a minute, in case it is a
 * registration not yet committed. At most one refresh runs at a time: a call while one is
 * under way, or within min_gap_ms of the last one's start, reads nothing. Counted in
 * temd_registry_refreshes_total. TEM_OK when batches were added (look the code up again);
 * TEM_NO when nothing was read or added, or when not following; TEM_ERR when the ledger
 * could not be read (logged once until it can again). Thread-safe. */
int registry_refresh(struct registry *r, int64_t min_gap_ms);

/* Producers in the trust list and batches in the index. */
void registry_counts(struct registry *r, long *producers, long *batches);

#endif
