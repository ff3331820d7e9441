/* ledger_sqlite_backup.c — a SQLite ledger's backup (ledger_backup, `temd backup`): VACUUM
 * INTO a temporary file, integrity check, rename. A copy page by page that restarts whenever the ledger changes (sqlite3 .backup) never ends
 * under steady scans, and copying the file misses what is still in the write-ahead log; VACUUM
 * INTO reads one snapshot through SQLite, so it ends in time proportional to the ledger's
 * size. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keys/date.h"
#include "server/ledger_sqlite_backup.h"

int sqlite_user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc == SQLITE_DONE ? SQLITE_ERROR : rc;
}

int sqlite_pages_ok(sqlite3 *db, const char *pragma, char *what, size_t cap)
{
	sqlite3_stmt *st = NULL;
	char q[64];
	int ok = 0;

	snprintf(q, sizeof q, "PRAGMA %s", pragma);
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(what, cap, "%s", sqlite3_errmsg(db));
	} else {
		const char *first = (const char *)sqlite3_column_text(st, 0);
		ok = first != NULL && strcmp(first, "ok") == 0;
		snprintf(what, cap, "%s", first != NULL ? first : "no answer");
	}
	for (char *c = what; *c != '\0'; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	sqlite3_finalize(st);
	return ok;
}

/* Checks a copy of a SQLite ledger at path (a backup): every page (integrity_check) and that it
 * is a tem ledger (schema version 1 or more). TEM_OK, or TEM_ERR with err giving the first
 * complaint. */
static int sqlite_check_copy(const char *path, struct tem_err *err)
{
	sqlite3 *db = NULL;
	char what[160];
	int v = 0, ret = TEM_ERR;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		err_set(err, "%s: cannot open the copy: %s", path,
			db != NULL ? sqlite3_errmsg(db) : "out of memory");
	else if (!sqlite_pages_ok(db, "integrity_check", what, sizeof what))
		err_set(err, "%s: the copy fails its integrity check: %.150s", path, what);
	else if (sqlite_user_version(db, &v) != SQLITE_OK)
		err_set(err, "%s: cannot read the copy's schema version: %s", path,
			sqlite3_errmsg(db));
	else if (v < 1)
		err_set(err, "%s: the copy is not a tem ledger (schema version 0)", path);
	else
		ret = TEM_OK;
	sqlite3_close(db);
	return ret;
}

/* fsyncs the folder holding path, so a rename into it is durable. TEM_OK or TEM_ERR. */
static int sync_dir(const char *path, struct tem_err *err)
{
	char buf[4096];
	int fd, rc;

	if (strlen(path) >= sizeof buf)
		return err_set(err, "%s: path too long", path);
	strcpy(buf, path);
	const char *dir = dirname(buf);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set(err, "%s: %s", dir, strerror(errno));
	rc = fsync(fd);
	close(fd);
	if (rc != 0)
		return err_set(err, "%s: cannot sync the folder: %s", dir, strerror(errno));
	return TEM_OK;
}

int sqlite_backup(const char *db, const char *out, int force, struct backup_result *res,
		  struct tem_err *err)
{
	char tmp[4200];
	sqlite3 *src = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	double start = date_mono_seconds();
	int fd = -1, rc = TEM_ERR;

	tmp[0] = '\0';
	if (stat(db, &sb) != 0)
		return err_set(err, "%s: %s", db, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return err_set(err, "%s: not a ledger file", db);
	if (!force && lstat(out, &sb) == 0)
		return err_set(err, "%s exists already (-f replaces it)", out);
	if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", out) >= (int)sizeof tmp)
		return err_set(err, "%s: path too long", out);
	/* mkstemp makes it 0600 and empty: VACUUM INTO writes into an empty file */
	if ((fd = mkstemp(tmp)) < 0) {
		err_set(err, "%s: cannot create a file there: %s", out, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if (sqlite3_open_v2(db, &src, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		err_set(err, "%s: cannot open: %s", db,
			src != NULL ? sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	if (sqlite3_busy_timeout(src, 10000) != SQLITE_OK ||
	    sqlite3_prepare_v2(src, "VACUUM INTO :out", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":out"), tmp, -1,
			      SQLITE_STATIC) != SQLITE_OK) {
		err_set(err, "%s: cannot start the copy: %s", db, sqlite3_errmsg(src));
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		err_set(err, "%s: the copy failed: %s", db, sqlite3_errmsg(src));
		goto out;
	}
	/* VACUUM INTO does not sync what it wrote */
	if (fsync(fd) != 0 || fstat(fd, &sb) != 0) {
		err_set(err, "%s: cannot sync the copy: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		err_set(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (sqlite_check_copy(tmp, err) != TEM_OK)
		goto out;
	if (rename(tmp, out) != 0) {
		err_set(err, "%s: cannot rename the copy into place: %s", out, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (sync_dir(out, err) != TEM_OK)
		goto out;
	res->bytes = (int64_t)sb.st_size;
	res->ms = (int64_t)((date_mono_seconds() - start) * 1000);
	rc = TEM_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(src);
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return rc;
}

int sqlite_lock_ledger(const char *path, long *holder, struct tem_err *err)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	char lock[4200];
	int fd;

	*holder = 0;
	if ((size_t)snprintf(lock, sizeof lock, "%s.lock", path) >= sizeof lock) {
		err_set(err, "%s: too long a path", path);
		return -1;
	}
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		err_set(err, "%s: cannot open the ledger's lock file: %s", lock, strerror(errno));
		return -1;
	}
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return fd;
	if (errno == EACCES || errno == EAGAIN) {
		struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
			*holder = (long)who.l_pid;
		close(fd);
		return -2;
	}
	err_set(err, "%s: cannot lock the ledger: %s", lock, strerror(errno));
	close(fd);
	return -1;
}
