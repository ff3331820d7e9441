/* token_cmd.c — `temd token create|list|revoke`: the regulators' and producers' API tokens
 * (docs/temd.8, "TOKENS"), on the ledger of a running temd or a stopped one. */
#include "server/token_cmd.h"

#include <getopt.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "keys/date.h"
#include "keys/keys.h"
#include "server/auth.h"
#include "server/ledger_tokens.h"

static const char create_usage[] =
    "usage: temd token create --db FILE --name NAME [--producer KEYID] [--expires DATE]\n"
    "\n"
    "Makes a new API token for a regulator or a producer and prints it, once: the ledger keeps\n"
    "only its hash. Calls to /api/v1 carry it as Authorization: Bearer TOKEN; the dashboard\n"
    "signs in with it. Works while temd runs on the same ledger.\n"
    "\n"
    "  --db FILE         the ledger (temd made it; it is never made here)\n"
    "  --name NAME       who holds it, 1-64 bytes of text, unique among tokens in force;\n"
    "                    logs and the alert workflow name the token by it\n"
    "  --producer KEYID  limit it to one producer key (16 hex digits): it sees only that\n"
    "                    producer's batches, codes, alerts and statistics\n"
    "  --expires DATE    its last day, YYYY-MM-DD (it works until the end of that day in\n"
    "                    Vietnam, UTC+7); default: it never expires\n";

static const char list_usage[] =
    "usage: temd token list --db FILE\n"
    "\n"
    "Lists the API tokens, revoked ones included, one a line, tab-separated: name, scope\n"
    "(all, or the producer key id), created, expires (never), revoked (-). Never the tokens.\n";

static const char revoke_usage[] =
    "usage: temd token revoke --db FILE NAME\n"
    "\n"
    "Revokes the token in force named NAME: from now on it is refused, and the dashboard's\n"
    "sessions it opened end. Works while temd runs on the same ledger.\n";

static const char token_usage[] =
    "usage: temd token create --db FILE --name NAME [--producer KEYID] [--expires DATE]\n"
    "       temd token list --db FILE\n"
    "       temd token revoke --db FILE NAME\n"
    "\n"
    "The API tokens of regulators and producers (temd token COMMAND --help).\n";

/* Prints "temd token: MESSAGE"; returns 2, the exit status of bad input. */
static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	va_list ap;

	fputs("temd token: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* Prints err and returns the exit status of a failure, 1. */
static int failed(const struct tem_err *err)
{
	fprintf(stderr, "temd token: %s\n", err->msg);
	return 1;
}

/* The options every command takes: --db, --help, and those of create. */
struct opts {
	const char *db, *name, *producer, *expires;
	int help;
};

/* Parses argv (argv[0] the command's name) into o, allowing create's options when create.
 * The index of the first operand, or -1 after printing a usage error. */
static int parse(int argc, char **argv, int create, struct opts *o)
{
	static const struct option long_opts[] = {
	    {"db", required_argument, NULL, 'd'},       {"name", required_argument, NULL, 'n'},
	    {"producer", required_argument, NULL, 'p'}, {"expires", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	int c;

	memset(o, 0, sizeof *o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->db = optarg;
			break;
		case 'h':
			o->help = 1;
			break;
		case 'n':
		case 'p':
		case 'e':
			if (create) {
				if (c == 'n')
					o->name = optarg;
				else if (c == 'p')
					o->producer = optarg;
				else
					o->expires = optarg;
				break;
			}
			/* fall through */
		default:
			fprintf(stderr, "temd token %s: %s '%s' (temd token %s --help)\n", argv[0],
				optopt != 0 || c != '?' ? "unknown option or missing value"
							: "unknown option",
				argv[optind - 1], argv[0]);
			return -1;
		}
	}
	return optind;
}

/* Opens the ledger for tokens, refusing what is not one. */
static int open_ledger(const char *db, int write, struct ledger_tokens **lt)
{
	struct tem_err err;

	if (ledger_tokens_open(db, write, lt, &err) != TEM_OK) {
		fprintf(stderr, "temd token: %s\n", err.msg);
		return 2;
	}
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	struct opts o;
	struct token_row row;
	struct ledger_tokens *lt = NULL;
	struct tem_err err;
	char token[AUTH_TOKEN_LEN + 1];
	int64_t now = date_now_ms();
	int i = parse(argc, argv, 1, &o), rc;

	if (i < 0)
		return 2;
	if (o.help) {
		fputs(create_usage, stdout);
		return 0;
	}
	if (i < argc)
		return bad("create: unexpected argument '%s' (temd token create --help)", argv[i]);
	if (o.db == NULL || o.name == NULL)
		return bad("create: --db and --name are required (temd token create --help)");
	memset(&row, 0, sizeof row);
	if (!auth_name_ok(o.name))
		return bad("--name '%s': a name is 1 to 64 bytes of UTF-8 text with no control or "
			   "invisible characters",
			   o.name);
	snprintf(row.name, sizeof row.name, "%s", o.name);
	if (o.producer != NULL) {
		unsigned char id[KEYS_ID_BYTES];
		if (keys_id_parse(o.producer, strlen(o.producer), id, NULL) != TEM_OK)
			return bad("--producer '%s': not a key id (16 hex digits)", o.producer);
		keys_id_hex(id, row.producer);
	}
	if (o.expires != NULL) {
		int32_t day;
		if (date_parse(o.expires, &day, &err) != TEM_OK)
			return bad("--expires '%s': not a date of the form YYYY-MM-DD", o.expires);
		/* the end of that day in Vietnam: 00:00 UTC+7 the next day */
		row.expires_ms = ((int64_t)(day + 1) * 86400 - 7 * 3600) * 1000;
		if (row.expires_ms <= now)
			return bad("--expires %s: that day is over already", o.expires);
	}
	if ((rc = open_ledger(o.db, 1, &lt)) != 0)
		return rc;
	auth_token_new(token, row.hash);
	row.created_ms = now;
	rc = ledger_tokens_add(lt, &row, &err);
	ledger_tokens_close(lt);
	if (rc == TEM_NO) {
		sodium_memzero(token, sizeof token);
		fprintf(stderr,
			"temd token: a token named '%s' is in force already (temd token revoke it "
			"first, or choose another name)\n",
			row.name);
		return 1;
	}
	if (rc != TEM_OK) {
		sodium_memzero(token, sizeof token);
		return failed(&err);
	}
	/* the token alone on stdout, for scripts; the rest on stderr */
	printf("%s\n", token);
	sodium_memzero(token, sizeof token);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "temd token: cannot write the token out: revoke '%s'\n", row.name);
		return 1;
	}
	fprintf(stderr,
		"temd token: made token '%s' (%s%s%s); it is shown this once, the ledger keeps "
		"only its hash\n",
		row.name, row.producer[0] ? "producer " : "every producer", row.producer,
		o.expires != NULL ? ", until the end of that day" : "");
	return 0;
}

/* Formats a Unix ms time, or none when 0, into out (21 bytes). */
static const char *when(int64_t ms, const char *none, char out[21])
{
	if (ms == 0)
		return none;
	date_format_iso((time_t)(ms / 1000), out);
	return out;
}

static int print_row(void *arg, const struct token_row *row)
{
	char c[21], e[21], r[21];

	(void)arg;
	printf("%s\t%s\t%s\t%s\t%s\n", row->name, row->producer[0] ? row->producer : "all",
	       when(row->created_ms, "-", c), when(row->expires_ms, "never", e),
	       when(row->revoked_ms, "-", r));
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	struct opts o;
	struct ledger_tokens *lt = NULL;
	struct tem_err err;
	int i = parse(argc, argv, 0, &o), rc;

	if (i < 0)
		return 2;
	if (o.help) {
		fputs(list_usage, stdout);
		return 0;
	}
	if (i < argc)
		return bad("list: unexpected argument '%s' (temd token list --help)", argv[i]);
	if (o.db == NULL)
		return bad("list: --db is required (temd token list --help)");
	if ((rc = open_ledger(o.db, 0, &lt)) != 0)
		return rc;
	printf("name\tscope\tcreated\texpires\trevoked\n");
	rc = ledger_tokens_each(lt, print_row, NULL, &err);
	ledger_tokens_close(lt);
	if (rc != TEM_OK)
		return failed(&err);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_revoke(int argc, char **argv)
{
	struct opts o;
	struct ledger_tokens *lt = NULL;
	struct tem_err err;
	int i = parse(argc, argv, 0, &o), rc;

	if (i < 0)
		return 2;
	if (o.help) {
		fputs(revoke_usage, stdout);
		return 0;
	}
	if (o.db == NULL || i != argc - 1)
		return bad("revoke: --db FILE and one NAME are needed (temd token revoke --help)");
	if ((rc = open_ledger(o.db, 1, &lt)) != 0)
		return rc;
	rc = ledger_tokens_revoke(lt, argv[i], date_now_ms(), &err);
	ledger_tokens_close(lt);
	if (rc == TEM_NO) {
		fprintf(stderr, "temd token: no token in force is named '%s' (temd token list)\n",
			argv[i]);
		return 1;
	}
	if (rc != TEM_OK)
		return failed(&err);
	fprintf(stderr, "temd token: revoked '%s'\n", argv[i]);
	return 0;
}

int token_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(token_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (sodium_init() < 0) {
		fputs("temd token: cannot start libsodium\n", stderr);
		return 1;
	}
	/* the ledger's -wal and -shm files, when this makes them, are private as temd's are */
	umask(077);
	if (strcmp(argv[1], "create") == 0)
		return cmd_create(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return cmd_revoke(argc - 1, argv + 1);
	return bad("'%s' is not a command: create, list or revoke (temd token --help)", argv[1]);
}
