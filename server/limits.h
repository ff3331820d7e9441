/* limits.h — what one client may cost temd: per-client token buckets on scans, claims, batch
 * registrations and failed sign-ins (--rate-limit), in a table of bounded size, and the count
 * of open connections per address (one address may not hold every connection). A client is
 * what server/client.h makes of a request (a keyed hash of its network prefix). Thread-safe;
 * no I/O. docs/temd.8 ("LIMITS") gives the defaults and what they bound. */
#ifndef TEM_LIMITS_H
#define TEM_LIMITS_H

#include <stddef.h>
#include <sys/socket.h>

#include "keys/err.h"
#include "server/ledger.h"

enum limit_kind {
	LIMIT_SCAN,   /* a scan: GET /c/{code} or POST /api/v1/scans */
	LIMIT_CLAIM,  /* a claim or PIN check: POST /api/v1/claims and the claim forms */
	LIMIT_BATCH,  /* POST /api/v1/batches */
	LIMIT_SIGNIN, /* a failed sign-in: a refused API token or dashboard sign-in */
	LIMIT_KINDS
};

/* One bucket's rule: `burst` requests at once, refilled at `burst` per `period` seconds.
 * burst 0 is no limit. */
struct limit_rule {
	unsigned burst;  /* the bucket's size */
	unsigned period; /* seconds to refill it from empty */
};

/* The rules of every kind (--rate-limit). */
struct limits_config {
	struct limit_rule rule[LIMIT_KINDS];
};

#define LIMITS_DEFAULT "scans=60/m,claims=10/m,batches=60/h,signins=10/m"
#define LIMITS_SLOTS   65536 /* clients remembered at most: about 3 MiB */

/* Fills cfg from LIMITS_DEFAULT. */
void limits_default(struct limits_config *cfg);

/* Parses --rate-limit: "0" (no limits), or comma-separated KIND=N/UNIT items (KIND scans,
 * claims, batches or signins; N from 0, 0 meaning no limit; UNIT s, m, h or d) applied over
 * cfg as it is. TEM_OK, or TEM_ERR with err naming the bad item. */
int limits_parse(const char *spec, struct limits_config *cfg, struct tem_err *err);

/* Formats cfg as limits_parse reads it into out (cap bytes). */
void limits_format(const struct limits_config *cfg, char *out, size_t cap);

struct limits;

/* A bucket table for cfg (copied). NULL when out of memory. Freed with limits_free. */
struct limits *limits_new(const struct limits_config *cfg);
void limits_free(struct limits *l);

/* Takes one token of kind from client's bucket at monotonic time now (seconds). 1 when it had
 * one (or the kind has no limit); 0 when the client must wait, with *retry_after the whole
 * seconds until it has one again (at least 1). When the table is full a client forgotten for
 * the longest is dropped (its bucket starts full again): an attacker with many networks can
 * make temd forget other clients sooner, never grow the table. */
int limits_take(struct limits *l, enum limit_kind kind,
		const unsigned char client[LEDGER_CLIENT_BYTES], double now, unsigned *retry_after);

/* limits_take without taking: 1 when client's bucket of kind has a token now (or the kind has
 * no limit), 0 with *retry_after set when it has none. For limits on failures only (sign-ins):
 * peeked before the attempt, taken when it fails. */
int limits_peek(struct limits *l, enum limit_kind kind,
		const unsigned char client[LEDGER_CLIENT_BYTES], double now, unsigned *retry_after);

/* --- open connections per address (IPv4 address, IPv6 /64) --- */

struct conn_counts;

/* A table of open connections per address allowing per_address each (0: no limit). NULL when
 * out of memory; freed with conn_counts_free once every connection is closed. */
struct conn_counts *conn_counts_new(unsigned per_address);
void conn_counts_free(struct conn_counts *c);

/* 1 when addr may open one more connection now, without counting it. */
int conn_counts_allow(struct conn_counts *c, const struct sockaddr *addr);

/* Counts a new connection from addr: 1 when it is within the limit, 0 when over it (counted
 * all the same: conn_counts_close undoes either). -1 when out of memory (not counted). */
int conn_counts_open(struct conn_counts *c, const struct sockaddr *addr);

/* Uncounts a connection conn_counts_open counted. */
void conn_counts_close(struct conn_counts *c, const struct sockaddr *addr);

#endif
