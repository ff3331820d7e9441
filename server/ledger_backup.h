/* ledger_backup.h — part of the ledger interface (server/ledger.h): a consistent copy of a
 * SQLite ledger that temd may be writing to, made in bounded time under any scan load, checked,
 * and put in place whole (`temd backup`, server/backup_cmd.h; docs/deploy.md, "Backups"). A
 * PostgreSQL ledger is backed up with pg_dump or a base backup instead. */
#ifndef TEM_BACKUP_H
#define TEM_BACKUP_H

#include <stdint.h>

#include "keys/err.h"

struct backup_result {
	int64_t bytes; /* size of the backup file */
	int64_t ms;    /* how long the copy and its check took */
};

/* Copies the ledger where names into out while temd may be writing to it, in bounded time
 * under any scan load: SQLite's copy is one snapshot (VACUUM INTO, one read transaction:
 * temd's writes go on and never make it start over) into a temporary file beside out (mode
 * 0600), fsynced, checked with PRAGMA integrity_check, only then renamed to out, the folder
 * fsynced. Refuses an existing out unless force. The ledger's secret file (server/secrets.h)
 * is not copied: it is kept apart. TEM_OK with *res filled, or TEM_ERR with err naming the
 * file and the cause (nothing left at out, the temporary file removed); a PostgreSQL ledger
 * is refused, naming pg_dump. */
int ledger_backup(const char *where, const char *out, int force, struct backup_result *res,
		  struct tem_err *err);

#endif
