/* ledger_sqlite_tokens.h — the SQLite engine's API tokens (ledger_sqlite_tokens.c), which
 * server/ledger_sqlite.c puts in its backend table: each is the ledger_backend entry of the
 * same name (server/ledger_backend.h), tdb what sqlite_tokens_open made. */
#ifndef TEM_LEDGER_SQLITE_TOKENS_H
#define TEM_LEDGER_SQLITE_TOKENS_H

#include "server/ledger_backend.h"

int sqlite_tokens_open(const char *path, int write, void **tdb, struct tem_err *err);
void sqlite_tokens_close(void *tdb);
int sqlite_tokens_find(void *tdb, const unsigned char hash[TOKENS_HASH_BYTES],
		       struct token_row *row, struct tem_err *err);
int sqlite_tokens_add(void *tdb, const struct token_row *row, struct tem_err *err);
int sqlite_tokens_revoke(void *tdb, const char *name, int64_t now_ms, struct tem_err *err);
int sqlite_tokens_each(void *tdb, int (*fn)(void *arg, const struct token_row *row), void *arg,
		       struct tem_err *err);

#endif
