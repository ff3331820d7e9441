/* ledger_copy.h — `temd ledger copy`: a SQLite ledger copied into a PostgreSQL database, table
 * by table in key order, resumable and verified (docs/scaling.md, "Moving a ledger to
 * PostgreSQL"). The engines meet only in struct ledger_row, which names no engine's types:
 * server/ledger_sqlite_export.c reads rows into it, server/ledger_pg_import.c writes them. */
#ifndef TEM_LEDGER_COPY_H
#define TEM_LEDGER_COPY_H

#include <stddef.h>
#include <stdint.h>

/* One column value of a copied row. */
enum ledger_value_type { LV_NULL, LV_INT, LV_TEXT, LV_BLOB };
struct ledger_value {
	enum ledger_value_type type;
	int64_t i;     /* LV_INT */
	const void *p; /* LV_TEXT (len bytes, no NUL needed) and LV_BLOB; never NULL for those */
	size_t len;
};

/* One row of table: ncols values v[i] for the columns cols[i]. Everything it points to is the
 * exporter's and lasts only for the callback that receives it. */
struct ledger_row {
	const char *table;
	size_t ncols;
	const char *const *cols;
	const struct ledger_value *v;
};

/* `temd ledger ...`: argv[0] is "ledger", argv[1] its subcommand (only "copy" so far:
 * `temd ledger copy --from FILE --to CONNINFO [--limit-rows N]`, which copies, verifies and
 * says what it did, progress on stderr). Returns the exit status: 0 copied and verified (or
 * already copied), 1 refused or failed, 2 a usage error or an unknown subcommand, 3 stopped
 * by the test hook --limit-rows (run again to finish). */
int ledger_main(int argc, char **argv);

#endif
