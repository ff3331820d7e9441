/* ledger_backup.h — `temd backup`: a consistent copy of a SQLite ledger that temd may be
 * writing to, made in bounded time under any scan load, checked, and put in place whole
 * (docs/deploy.md, "Backups"). A PostgreSQL ledger is backed up with pg_dump or a base backup
 * (docs/scaling.md): temd backup refuses one, saying so. */
#ifndef TEM_BACKUP_H
#define TEM_BACKUP_H

#include <stdint.h>

#include "keys/err.h"

struct backup_result {
	int64_t bytes; /* size of the backup file */
	int64_t ms;    /* how long the copy and its check took */
};

/* Copies the ledger at db into out as one snapshot (SQLite's VACUUM INTO, which reads the
 * ledger in a single read transaction: temd's writes go on and never make it start over),
 * into a temporary file beside out (mode 0600), fsyncs it, runs PRAGMA integrity_check on
 * it and only then renames it to out and fsyncs the folder. Refuses an existing out unless
 * force. The ledger's secret file (server/secrets.h) is not copied: it is kept apart. TEM_OK
 * with *res filled, or TEM_ERR with err naming the file and the cause (nothing left at out,
 * the temporary file removed). */
int backup_ledger(const char *db, const char *out, int force, struct backup_result *res,
		  struct tem_err *err);

/* Checks a copy of a SQLite ledger at path (a backup): every page (integrity_check) and that it
 * is a tem ledger (schema version 1 or more). TEM_OK, or TEM_ERR with err giving the first
 * complaint. */
int ledger_check_copy(const char *path, struct tem_err *err);

/* `temd backup --db FILE -o OUT [-f]`: argv[0] is "backup". Parses the options, runs
 * backup_ledger and says what it did. Returns the exit status: 0 done, 1 the backup failed,
 * 2 a usage error. */
int backup_main(int argc, char **argv);

#endif
