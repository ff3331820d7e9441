/* ledger_sqlite_export.h — a SQLite ledger's rows read out for `temd ledger copy`
 * (server/ledger_copy.h), engine-neutral: each row a struct ledger_row. */
#ifndef TEM_LEDGER_SQLITE_EXPORT_H
#define TEM_LEDGER_SQLITE_EXPORT_H

#include <stdint.h>

#include "keys/err.h"
#include "server/ledger_copy.h"

struct sqlite_export;

/* Opens the ledger file path read-only for export, holding its lock (path.lock) so no temd
 * writes it meanwhile. Refuses a file that is not a ledger, one whose schema is not the
 * current one (an older one: start the current temd on it once to migrate it), one that
 * still holds its client salt (start temd on it once: it moves the salt into the secret
 * file), and one a running temd holds. TEM_OK with *out set (sqlite_export_close frees it),
 * or TEM_ERR with err naming path and the cause. */
int sqlite_export_open(const char *path, struct sqlite_export **out, struct tem_err *err);

/* Calls fn for the rows of table (one of the names ledger_copy copies) in its key order,
 * skipping the first skip rows. fn returns TEM_OK to go on, TEM_NO to stop (returned as is),
 * TEM_ERR with err set to fail. TEM_OK when every row was passed; TEM_ERR with err set when a
 * read failed, the table is unknown or a value is of no copied type (a float). */
int sqlite_export_rows(struct sqlite_export *x, const char *table, int64_t skip,
		       int (*fn)(void *arg, const struct ledger_row *row, struct tem_err *err),
		       void *arg, struct tem_err *err);

/* *rows: table's row count. TEM_OK, or TEM_ERR with err set. */
int sqlite_export_count(struct sqlite_export *x, const char *table, int64_t *rows,
			struct tem_err *err);

/* *sum: the counted scans (code_scans' scans added up). TEM_OK, or TEM_ERR with err set. */
int sqlite_export_scans(struct sqlite_export *x, int64_t *sum, struct tem_err *err);

/* Closes the file and lets its lock go. NULL: nothing. */
void sqlite_export_close(struct sqlite_export *x);

#endif
