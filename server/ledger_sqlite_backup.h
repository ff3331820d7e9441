/* ledger_sqlite_backup.h — the SQLite engine's backup (ledger_sqlite_backup.c; ledger_backup,
 * `temd backup`) and what it shares with server/ledger_sqlite.c and ledger_sqlite_export.c:
 * the page and schema checks, the ledger's lock. */
#ifndef TEM_LEDGER_SQLITE_BACKUP_H
#define TEM_LEDGER_SQLITE_BACKUP_H

#include <stddef.h>

#include "keys/err.h"
#include "server/ledger_backup.h"

struct sqlite3;

/* The backend's backup (server/ledger_backend.h): VACUUM INTO a temporary file beside out,
 * fsynced, checked (sqlite_check_copy), renamed to out, the folder fsynced. */
int sqlite_backup(const char *path, const char *out, int force, struct backup_result *res,
		  struct tem_err *err);

/* Reads db's schema version (PRAGMA user_version) into *v. SQLITE_OK, or the failing call's
 * code with its message on db (*v untouched): a failed read is never taken for version 0. */
int sqlite_user_version(struct sqlite3 *db, int *v);

/* Runs PRAGMA pragma (quick_check or integrity_check) on db: 1 when it answers "ok", else 0
 * with what (cap bytes) holding its first complaint, or the error that kept it from running,
 * on one line. */
int sqlite_pages_ok(struct sqlite3 *db, const char *pragma, char *what, size_t cap);

/* Takes the ledger's exclusive lock without waiting: a POSIX write lock on PATH.lock (made 0600
 * when missing; the file stays, the lock goes with the process, even on kill -9), as temd and
 * `temd ledger copy` hold it. The lock file's descriptor (the caller closes it to let go); -2
 * when another process holds it, *holder its pid (0 when it cannot be told) and err untouched,
 * for the caller to say so in its own words; -1 with err set when the lock file cannot be
 * opened or locked. */
int sqlite_lock_ledger(const char *path, long *holder, struct tem_err *err);

#endif
