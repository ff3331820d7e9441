/* backup_cmd.c — `temd backup`: options, the copy through the ledger interface
 * (ledger_backup), and what it did. */
#include "server/backup_cmd.h"

#include <getopt.h>
#include <stdio.h>

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
	if (ledger_backup(db, out, force, &res, &err) != TEM_OK) {
		fprintf(stderr, "temd: backup: %s\n", err.msg);
		return 1;
	}
	printf("temd: backup: %s copied to %s (%lld bytes, integrity ok, %lld ms); keep a copy of "
	       "%s.secret apart\n",
	       db, out, (long long)res.bytes, (long long)res.ms, db);
	return 0;
}
