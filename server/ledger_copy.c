/* ledger_copy.c — `temd ledger copy` (server/ledger_copy.h): the options, the source ledger's
 * fingerprint (its secret file), the copy table by table from server/ledger_sqlite_export.c to
 * server/ledger_pg_import.c, and the verification of the counts. */
#include "server/ledger_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/ledger.h"
#include "server/ledger_pg_import.h"
#include "server/ledger_sqlite_export.h"
#include "server/secrets.h"

static const char copy_usage[] =
    "usage: temd ledger copy --from FILE --to postgres://... [--limit-rows N]\n"
    "\n"
    "Copies the SQLite ledger FILE into a PostgreSQL database, every table in its key order,\n"
    "then checks that each table holds as many rows there as in FILE and that the counted\n"
    "scans add up the same. Stop temd on FILE first (the copy holds FILE's lock). The\n"
    "database must be new and empty, or hold an interrupted copy of the same ledger: run the\n"
    "same command again and it goes on where it stopped, never writing a row twice; once\n"
    "done, running it again only checks the counts. A database holding any other ledger's\n"
    "rows is refused. Progress goes to stderr.\n"
    "\n"
    "The secret file FILE.secret is not copied into the database: the PostgreSQL temd reads\n"
    "it with --secret FILE.secret (it seals the batches' claim keys and keys the client\n"
    "hashes: without it no PIN opens and every buyer counts as new). Keep it 0600 on every\n"
    "server that runs temd on the database.\n"
    "\n"
    "  --from FILE       the SQLite ledger (and FILE.secret beside it)\n"
    "  --to CONNINFO     the PostgreSQL database: postgres://, postgresql:// or a libpq\n"
    "                    keyword string (\"host=/run/postgresql dbname=tem\")\n"
    "  --limit-rows N    test hook: stop after copying N rows (exit status 3), as an\n"
    "                    interrupted copy would\n"
    "\n"
    "Exit status: 0 copied and verified, 1 refused or failed, 2 usage, 3 stopped by\n"
    "--limit-rows.\n";

/* What is copied, in order: every table of the ledger (the codes view is made of code_scans). */
static const char *const tables[] = {
    "meta",
    "producers",
    "batches",
    "scans",
    "code_scans",
    "code_alerts",
    "tokens",
    "claims",
    "claim_fails_code",
    "claim_fails_net",
    "alerts",
    "alert_changes",
    "day_stats",
    "batch_stats",
};
#define N_TABLES         (sizeof tables / sizeof tables[0])
#define FINGERPRINT      16
#define PROGRESS_SECONDS 2.0

struct copy {
	struct pg_import *im;
	const char *table;
	int64_t total, at; /* the table's rows; rows passed so far (from its start) */
	int64_t copied;    /* rows written this run, every table */
	int64_t limit;     /* --limit-rows, 0: none */
	double last;       /* when progress was last printed */
};

/* Seconds on the monotonic clock. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The ledger's fingerprint: a hash of its secret file (FILE.secret), which no other ledger
 * shares; the file itself never leaves this host through the copy. TEM_OK, or TEM_ERR with
 * err naming the file and what to do. */
static int fingerprint(const char *ledger, unsigned char fp[FINGERPRINT], struct tem_err *err)
{
	static const char domain[] = "tem ledger copy fingerprint 1";
	crypto_generichash_state st;
	unsigned char *buf = NULL;
	char path[4200];
	struct stat sb;
	int fd = -1, rc = TEM_ERR;
	ssize_t got;

	if (secrets_path(ledger, path, sizeof path) == NULL)
		return err_set(err, "%s: too long a path", ledger);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err_set(err,
			"%s: %s: the ledger's secret file must go with it (it seals the claim "
			"keys and keys the client hashes)",
			path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) != 0) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (sb.st_size == SECRETS_BYTES) {
		err_set(err,
			"%s: the secret file has no client salt yet: start temd on the ledger once "
			"(it adds it), stop it, then copy",
			path);
		goto out;
	}
	if (sb.st_size != SECRETS_FILE_BYTES) {
		err_set(err, "%s: %lld bytes, not a secret file of %d", path, (long long)sb.st_size,
			SECRETS_FILE_BYTES);
		goto out;
	}
	if ((buf = sodium_malloc(SECRETS_FILE_BYTES)) == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	got = read(fd, buf, SECRETS_FILE_BYTES);
	if (got != SECRETS_FILE_BYTES) {
		err_set(err, "%s: cannot read it: %s", path,
			got < 0 ? strerror(errno) : "short read");
		goto out;
	}
	if (crypto_generichash_init(&st, NULL, 0, FINGERPRINT) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)domain, sizeof domain) != 0 ||
	    crypto_generichash_update(&st, buf, SECRETS_FILE_BYTES) != 0 ||
	    crypto_generichash_final(&st, fp, FINGERPRINT) != 0) {
		err_set(err, "%s: cannot hash it", path);
		goto out;
	}
	rc = TEM_OK;
out:
	if (buf != NULL)
		sodium_free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Prints the table's progress on stderr. */
static void progress(struct copy *c, int last)
{
	fprintf(stderr, "temd: ledger copy: %s: %lld of %lld rows%s\n", c->table, (long long)c->at,
		(long long)c->total, last ? ", done" : "");
	c->last = now_s();
}

/* sqlite_export_rows's callback: the row to the import, progress every PROGRESS_SECONDS, and
 * the --limit-rows stop (TEM_NO). */
static int copy_row(void *arg, const struct ledger_row *row, struct tem_err *err)
{
	struct copy *c = arg;

	if (pg_import_add(c->im, row, err) != TEM_OK)
		return TEM_ERR;
	c->at++;
	c->copied++;
	if (c->limit > 0 && c->copied >= c->limit) {
		if (pg_import_flush(c->im, 0, err) != TEM_OK)
			return TEM_ERR;
		return TEM_NO;
	}
	if (now_s() - c->last >= PROGRESS_SECONDS)
		progress(c, 0);
	return TEM_OK;
}

/* Compares every table's rows and the counted scans on both sides; prints them on stdout when
 * out is 1. TEM_OK when they agree; TEM_NO with err naming the first that differs; TEM_ERR. */
static int verify(struct sqlite_export *x, struct pg_import *im, int out, int64_t *rows,
		  int64_t *scans, struct tem_err *err)
{
	int64_t a, b;
	size_t i;

	*rows = 0;
	for (i = 0; i < N_TABLES; i++) {
		if (sqlite_export_count(x, tables[i], &a, err) != TEM_OK ||
		    pg_import_count(im, tables[i], &b, err) != TEM_OK)
			return TEM_ERR;
		if (out)
			printf("  %-18s %12lld rows\n", tables[i], (long long)b);
		if (a != b)
			return err_no(err,
				      "table %s: %lld rows in the ledger file, %lld in the "
				      "database",
				      tables[i], (long long)a, (long long)b);
		*rows += a;
	}
	if (sqlite_export_scans(x, &a, err) != TEM_OK || pg_import_scans(im, &b, err) != TEM_OK)
		return TEM_ERR;
	if (a != b)
		return err_no(err, "counted scans: %lld in the ledger file, %lld in the database",
			      (long long)a, (long long)b);
	*scans = a;
	return TEM_OK;
}

/* Parses a positive row count. TEM_OK, or TEM_ERR. */
static int parse_rows(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return TEM_ERR;
	*out = v;
	return TEM_OK;
}

/* `temd ledger copy ...` (ledger_main): argv[0] is "copy". */
static int ledger_copy_main(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"from", required_argument, NULL, 'f'},
					     {"to", required_argument, NULL, 't'},
					     {"limit-rows", required_argument, NULL, 'l'},
					     {NULL, 0, NULL, 0}};
	unsigned char fp[FINGERPRINT];
	struct sqlite_export *x = NULL;
	struct copy c = {0};
	struct tem_err err;
	const char *from = NULL, *to = NULL;
	int64_t rows = 0, scans = 0, skip;
	int o, status = 1, resumed = 0, done, all_done = 1, rc;
	size_t i;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			fputs(copy_usage, stdout);
			return 0;
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'l':
			if (parse_rows(optarg, &c.limit) != TEM_OK) {
				fprintf(stderr,
					"temd: ledger copy: --limit-rows '%s' is not a positive "
					"number\nTry 'temd ledger copy --help'.\n",
					optarg);
				return 2;
			}
			break;
		default:
			fputs("Try 'temd ledger copy --help'.\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"temd: ledger copy: unexpected argument '%s'\nTry 'temd ledger copy "
			"--help'.\n",
			argv[optind]);
		return 2;
	}
	if (from == NULL || to == NULL) {
		fputs("temd: ledger copy: --from and --to are required\nTry 'temd ledger copy "
		      "--help'.\n",
		      stderr);
		return 2;
	}
	if (ledger_kind(from) != LEDGER_SQLITE) {
		fputs("temd: ledger copy: --from must name a SQLite ledger file\n", stderr);
		return 2;
	}
	if (ledger_kind(to) != LEDGER_POSTGRESQL) {
		fputs("temd: ledger copy: --to must name a PostgreSQL database (postgres://..., "
		      "postgresql://... or a libpq keyword string)\n",
		      stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fputs("temd: ledger copy: libsodium cannot start\n", stderr);
		return 1;
	}
	if (sqlite_export_open(from, &x, &err) != TEM_OK || fingerprint(from, fp, &err) != TEM_OK ||
	    pg_import_open(to, &c.im, &err) != TEM_OK)
		goto fail;
	if ((rc = pg_import_claim(c.im, fp, sizeof fp, tables, N_TABLES, &resumed, &err)) != TEM_OK)
		goto fail;
	if (resumed)
		fprintf(stderr,
			"temd: ledger copy: %s holds a copy of %s begun earlier: going on\n",
			pg_import_name(c.im), from);
	for (i = 0; i < N_TABLES; i++) {
		c.table = tables[i];
		if (pg_import_progress(c.im, c.table, &skip, &done, &err) != TEM_OK)
			goto fail;
		if (done)
			continue;
		all_done = 0;
		if (sqlite_export_count(x, c.table, &c.total, &err) != TEM_OK)
			goto fail;
		c.at = skip;
		pg_import_table(c.im, c.table, skip);
		progress(&c, 0);
		rc = sqlite_export_rows(x, c.table, skip, copy_row, &c, &err);
		if (rc == TEM_NO) {
			fprintf(stderr,
				"temd: ledger copy: stopped after %lld rows (--limit-rows, a test "
				"hook): run the command again to finish\n",
				(long long)c.copied);
			status = 3;
			goto out;
		}
		if (rc != TEM_OK || pg_import_flush(c.im, 1, &err) != TEM_OK)
			goto fail;
		progress(&c, 1);
	}
	if (pg_import_sequences(c.im, &err) != TEM_OK)
		goto fail;
	printf("temd: ledger copy: %s %s %s:\n", from,
	       all_done ? "was already copied to" : "copied to", pg_import_name(c.im));
	rc = verify(x, c.im, 1, &rows, &scans, &err);
	if (rc == TEM_NO && all_done) {
		fprintf(stderr,
			"temd: ledger copy: nothing copied: the copy was complete, and since then "
			"the database or the ledger file has been written (%s)\n",
			err.msg);
		goto out;
	}
	if (rc != TEM_OK)
		goto fail;
	printf("temd: ledger copy: counts verified: %zu tables, %lld rows, %lld counted scans\n"
	       "temd: ledger copy: now start temd with --db on the database and --secret %s.secret "
	       "(copy that file, 0600, to every server running temd on it)\n",
	       N_TABLES, (long long)rows, (long long)scans, from);
	status = 0;
	goto out;
fail:
	fprintf(stderr, "temd: ledger copy: %s\n", err.msg);
out:
	pg_import_close(c.im);
	sqlite_export_close(x);
	sodium_memzero(fp, sizeof fp);
	return status;
}

int ledger_main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "copy") == 0)
		return ledger_copy_main(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs("usage: temd ledger copy --from FILE --to postgres://... [--limit-rows N]\n",
		      stdout);
		return 0;
	}
	fprintf(stderr, "temd: ledger: %s\nTry 'temd ledger copy --help'.\n",
		argc > 1 ? "unknown subcommand (only copy)" : "a subcommand is required (copy)");
	return 2;
}
