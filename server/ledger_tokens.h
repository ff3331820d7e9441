/* ledger_tokens.h — the API tokens' rows in the ledger (schema migration 6): only a token's
 * hash, its name, scope, creation, expiry and revocation, never the token. Part of the ledger
 * interface (server/ledger.h), on connections of their own apart from the ledger's writer and
 * readers and without LEDGER.lock, so that `temd token` works on the ledger of a running temd
 * and temd looks tokens up without waiting for the writer. It never creates or migrates a
 * ledger. */
#ifndef TEM_LEDGER_TOKENS_H
#define TEM_LEDGER_TOKENS_H

#include <stdint.h>

#include "keys/err.h"

#define TOKENS_HASH_BYTES    32 /* a token's hash, as the ledger keeps it (AUTH_HASH_BYTES) */
#define TOKENS_NAME_MAX      64 /* bytes of a token's name (AUTH_NAME_MAX, server/auth.h) */
#define TOKENS_SCHEMA_NEEDED 6  /* the ledger schema version that has the tokens' columns */

/* One token's row. */
struct token_row {
	unsigned char hash[TOKENS_HASH_BYTES]; /* the token's hash (auth.c) */
	char name[TOKENS_NAME_MAX + 1];        /* its name, unique among tokens in force */
	char producer[17];                     /* the key id it is limited to; "": every producer */
	int64_t created_ms;                    /* when it was made, Unix ms */
	int64_t expires_ms;                    /* when it expires, Unix ms; 0: never */
	int64_t revoked_ms;                    /* when it was revoked, Unix ms; 0: in force */
};

struct ledger;
struct ledger_tokens;

/* Opens the tokens of the ledger where names (as ledger_open: a file, or a PostgreSQL
 * connection string) apart from any running temd: read-only, or writable (write 1) for
 * `temd token`; SQLite with a 10 s busy timeout and without the ledger's lock. Refuses a
 * missing file, a file that is not a tem ledger, and a ledger older than TOKENS_SCHEMA_NEEDED
 * (start temd on it once), never making or changing one. TEM_OK with *out (freed by
 * ledger_tokens_close), or TEM_ERR with err naming the ledger and the cause. where must
 * outlive *out. */
int ledger_tokens_open(const char *where, int write, struct ledger_tokens **out,
		       struct tem_err *err);

/* The tokens of the open ledger l, read-only, for temd's lookups: opened at the first call,
 * kept by l and closed by ledger_close (never pass it to ledger_tokens_close). Thread-safe.
 * TEM_OK with *out, or TEM_ERR with err set. */
int ledger_tokens_of(struct ledger *l, struct ledger_tokens **out, struct tem_err *err);

/* Closes what ledger_tokens_open opened (NULL is harmless). */
void ledger_tokens_close(struct ledger_tokens *lt);

/* Reads the row of the token whose hash is hash, revoked or expired ones included (the caller
 * judges). TEM_OK with *row filled, TEM_NO when there is none, TEM_ERR with err set when the
 * ledger could not be read. Thread-safe. */
int ledger_tokens_find(struct ledger_tokens *lt, const unsigned char hash[TOKENS_HASH_BYTES],
		       struct token_row *row, struct tem_err *err);

/* Adds row (a writable lt). TEM_OK; TEM_NO when a token in force has its name already;
 * TEM_ERR with err set. */
int ledger_tokens_add(struct ledger_tokens *lt, const struct token_row *row, struct tem_err *err);

/* Revokes the token in force named name at now_ms (a writable lt). TEM_OK; TEM_NO when no
 * token in force has that name; TEM_ERR with err set. */
int ledger_tokens_revoke(struct ledger_tokens *lt, const char *name, int64_t now_ms,
			 struct tem_err *err);

/* Calls fn for every token, revoked ones included, oldest first, stopping when fn returns
 * non-zero. TEM_OK, or TEM_ERR with err set. */
int ledger_tokens_each(struct ledger_tokens *lt, int (*fn)(void *arg, const struct token_row *row),
		       void *arg, struct tem_err *err);

#endif
