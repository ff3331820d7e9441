/* ledger_pg_import.h — rows written into a PostgreSQL ledger for `temd ledger copy`
 * (server/ledger_copy.h): the schema made by ledger_pg.c, each table's rows written in
 * chunks with INSERT ... ON CONFLICT DO NOTHING, each chunk committed with the count of rows
 * copied so far (table ledger_copy), so an interrupted copy resumes where it stopped and a
 * row is never written twice. */
#ifndef TEM_LEDGER_PG_IMPORT_H
#define TEM_LEDGER_PG_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "server/ledger_copy.h"

struct pg_import;

/* Connects to conninfo, makes or migrates the ledger's schema there (ledger_open), and
 * takes the copy's session lock (one copy at a time into a database). TEM_OK with *out set
 * (pg_import_close frees it), or TEM_ERR with err naming the database (never its password). */
int pg_import_open(const char *conninfo, struct pg_import **out, struct tem_err *err);

/* The database's name for messages ("database D on HOST"), never a password. */
const char *pg_import_name(const struct pg_import *im);

/* Claims the database for the ledger whose fingerprint is fp (len bytes): a database that
 * already holds a copy of that ledger is resumed (*resumed 1); an empty one is recorded as
 * its copy (*resumed 0). Refuses (TEM_NO, err saying why) a database holding a copy of
 * another ledger, or any rows in tables[0..n) without a record of a copy. TEM_ERR with err
 * set when a read or write failed. */
int pg_import_claim(struct pg_import *im, const unsigned char *fp, size_t len,
		    const char *const *tables, size_t n, int *resumed, struct tem_err *err);

/* What earlier runs copied of table: *rows rows in its key order, *done 1 once it was copied
 * whole. TEM_OK, or TEM_ERR with err set. */
int pg_import_progress(struct pg_import *im, const char *table, int64_t *rows, int *done,
		       struct tem_err *err);

/* Starts writing table's rows after the first skip (pg_import_progress's rows). */
void pg_import_table(struct pg_import *im, const char *table, int64_t skip);

/* Adds row (of the table pg_import_table named) to the chunk; a full chunk is written and
 * committed with the progress. TEM_OK, or TEM_ERR with err set (that chunk not written). */
int pg_import_add(struct pg_import *im, const struct ledger_row *row, struct tem_err *err);

/* Writes and commits the rows added since the last chunk with the progress; with done 1 also
 * records the table as copied whole. TEM_OK, or TEM_ERR with err set. */
int pg_import_flush(struct pg_import *im, int done, struct tem_err *err);

/* Moves each identity column's sequence past the copied ids, so the ids PostgreSQL gives next
 * follow them. TEM_OK, or TEM_ERR with err set. */
int pg_import_sequences(struct pg_import *im, struct tem_err *err);

/* *rows: table's row count in the database. TEM_OK, or TEM_ERR with err set. */
int pg_import_count(struct pg_import *im, const char *table, int64_t *rows, struct tem_err *err);

/* *sum: the counted scans (code_scans' scans added up). TEM_OK, or TEM_ERR with err set. */
int pg_import_scans(struct pg_import *im, int64_t *sum, struct tem_err *err);

/* Closes the connection (rows added since the last flush are not written). NULL: nothing. */
void pg_import_close(struct pg_import *im);

#endif
