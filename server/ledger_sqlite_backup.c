/* ledger_sqlite_backup.c — `temd backup` of a SQLite ledger: VACUUM INTO a temporary file, integrity check, rename. A
 * copy page by page that restarts whenever the ledger changes (sqlite3 .backup) never ends
 * under steady scans, and copying the file misses what is still in the write-ahead log; VACUUM
 * INTO reads one snapshot through SQLite, so it ends in time proportional to the ledger's
 * size. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keys/date.h"
#include "server/ledger.h"
#include "server/ledger_backup.h"

static const char backup_usage[] =
    "usage: temd backup --db FILE -o OUT [-f]\n"
    "\n"
    "Copies the ledger FILE, while temd runs, into OUT: one consistent snapshot, checked with\n"
    "PRAGMA integrity_check, written 0600 and renamed into place whole. The secret file\n"
    "FILE.secret is not in the copy: keep one copy of it apart (it never changes).\n"
    "A PostgreSQL ledger is backed up with pg_dump or a base backup instead.\n"
    "\n"
    "  --db FILE        the ledger to copy\n"
    "  -o, --output OUT where to write the copy\n"
    "  -f, --force      replace OUT when it exists\n";

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

int backup_ledger(const char *db, const char *out, int force, struct backup_result *res,
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
	if (ledger_check_copy(tmp, err) != TEM_OK)
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

int backup_main(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"db", required_argument, NULL, 'd'},
					     {"output", required_argument, NULL, 'o'},
					     {"force", no_argument, NULL, 'f'},
					     {NULL, 0, NULL, 0}};
	struct backup_result res;
	struct tem_err err;
	const char *db = NULL, *out = NULL;
	int c, force = 0;

	while ((c = getopt_long(argc, argv, "ho:f", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(backup_usage, stdout);
			return 0;
		case 'd':
			db = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = 1;
			break;
		default:
			fputs("Try 'temd backup --help'.\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"temd: backup: unexpected argument '%s'\nTry 'temd backup --help'.\n",
			argv[optind]);
		return 2;
	}
	if (db == NULL || out == NULL) {
		fputs("temd: backup: --db and -o are required\nTry 'temd backup --help'.\n",
		      stderr);
		return 2;
	}
	if (ledger_kind(db) != LEDGER_SQLITE) {
		fputs("temd: backup: --db names a PostgreSQL ledger; temd backup copies a SQLite "
		      "ledger file: back PostgreSQL up with pg_dump or a base backup\n",
		      stderr);
		return 2;
	}
	if (backup_ledger(db, out, force, &res, &err) != TEM_OK) {
		fprintf(stderr, "temd: backup: %s\n", err.msg);
		return 1;
	}
	printf("temd: backup: %s copied to %s (%lld bytes, integrity ok, %lld ms); keep a copy of "
	       "%s.secret apart\n",
	       db, out, (long long)res.bytes, (long long)res.ms, db);
	return 0;
}
