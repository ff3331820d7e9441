/* issue.c — `tem issue`: options, then the key, then label/issue.h does the work (serials
 * reserved durably, codes signed on all cores, batch and signature written whole). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/date.h"
#include "keys/text.h"
#include "label/issue.h"

static const char usage[] =
    "usage: tem issue -s SEC -n COUNT --product TEXT [--producer TEXT] [--batch ID]\n"
    "                 [--url BASE] [--valid-days N | --expires YYYY-MM-DD] -o FILE\n"
    "                 [--no-claim] [-f] [-q] [--threads N] [--passphrase-file F]\n"
    "\n"
    "Issues COUNT signed codes with the secret key SEC: writes the batch file FILE (a signed\n"
    "header, then one code per line) and its signature FILE.minisig. Serials continue from\n"
    "the key's counter file SEC.serial, reserved before any code is written, so they never\n"
    "repeat for a key, even with two runs at once. Every code gets a claim PIN, printed\n"
    "only in the label's hidden area; the batch's claim key is written to FILE.claim\n"
    "(mode 0600): keep it with the batch, give it to the label printer and to tem register,\n"
    "and to no one else.\n"
    "\n"
    "  --product TEXT      what the codes go on, e.g. 'Cua Cà Mau'\n"
    "  --producer TEXT     the producer's name as printed on labels\n"
    "  --batch ID          batch id (A-Z a-z 0-9 . _ -); default DATE-FIRSTSERIAL\n"
    "  --url BASE          verification server base URL, e.g. https://tem.example.vn\n"
    "  --valid-days N      codes expire N days from today (signed into each code)\n"
    "  --expires DATE      codes expire after DATE\n"
    "  --no-claim          codes without claim PINs (no FILE.claim)\n"
    "  --threads N         signing threads (default: all cores)\n"
    "  -f                  overwrite FILE\n"
    "  -q                  no progress\n";

/* Long options, stored by index as given and checked afterwards. */
enum {
	O_PRODUCT,
	O_PRODUCER,
	O_BATCH,
	O_URL,
	O_DAYS,
	O_EXPIRES,
	O_THREADS,
	O_PASSFILE,
	O_NOCLAIM,
	O_COUNT
};
static const struct option opts[] = {{"product", required_argument, NULL, 256 + O_PRODUCT},
				     {"producer", required_argument, NULL, 256 + O_PRODUCER},
				     {"batch", required_argument, NULL, 256 + O_BATCH},
				     {"url", required_argument, NULL, 256 + O_URL},
				     {"valid-days", required_argument, NULL, 256 + O_DAYS},
				     {"expires", required_argument, NULL, 256 + O_EXPIRES},
				     {"threads", required_argument, NULL, 256 + O_THREADS},
				     {"passphrase-file", required_argument, NULL, 256 + O_PASSFILE},
				     {"no-claim", no_argument, NULL, 256 + O_NOCLAIM},
				     {"help", no_argument, NULL, 'h'},
				     {NULL, 0, NULL, 0}};

struct args {
	const char *sec, *out, *count; /* -s, -o, -n */
	int force, quiet;              /* -f, -q */
	const char *v[O_COUNT];        /* long options as given, NULL when absent */
	struct issue_req req;          /* what they say */
	uint64_t threads;              /* 0: all cores */
};

/* Reads the options into a: 0 when they are complete, -1 after --help, else the exit
 * status of a usage error. */
static int parse(int argc, char **argv, struct args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, "s:n:o:fqh", opts, NULL)) != -1) {
		if (c >= 256 && c < 256 + O_COUNT) {
			a->v[c - 256] = optarg != NULL ? optarg : "";
			continue;
		}
		switch (c) {
		case 's':
			a->sec = optarg;
			break;
		case 'n':
			a->count = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'f':
			a->force = 1;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_usage_error("issue", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("issue", "unexpected argument '%s'", argv[optind]);
	a->req.product = a->v[O_PRODUCT];
	a->req.producer = a->v[O_PRODUCER] != NULL ? a->v[O_PRODUCER] : "";
	a->req.batch_id = a->v[O_BATCH];
	a->req.url = a->v[O_URL];
	a->req.no_claim = a->v[O_NOCLAIM] != NULL;
	return 0;
}

/* Checks and converts what parse read: 0, or the exit status of a usage error. */
static int check_args(struct args *a)
{
	struct tem_err err;
	uint64_t days;

	if (a->count != NULL &&
	    text_parse_u64(a->count, 1, BATCH_COUNT_MAX, &a->req.count) != TEM_OK)
		return cli_usage_error("issue", "-n: not a count from 1 to %llu",
				       (unsigned long long)BATCH_COUNT_MAX);
	if (a->v[O_THREADS] != NULL &&
	    text_parse_u64(a->v[O_THREADS], 1, 256, &a->threads) != TEM_OK)
		return cli_usage_error("issue", "--threads: not a number from 1 to 256");
	if (a->sec == NULL || a->out == NULL || a->req.count == 0 || a->req.product == NULL)
		return cli_usage_error("issue",
				       "-s SEC, -n COUNT, --product TEXT and -o FILE are needed");
	if (a->v[O_DAYS] != NULL && a->v[O_EXPIRES] != NULL)
		return cli_usage_error("issue", "give --valid-days or --expires, not both");
	if (a->v[O_DAYS] != NULL) {
		if (text_parse_u64(a->v[O_DAYS], 1, 36500, &days) != TEM_OK)
			return cli_usage_error("issue", "--valid-days: not a number of days from 1 "
							"to 36500");
		a->req.last_day = date_today() + (int32_t)days;
	} else if (a->v[O_EXPIRES] != NULL) {
		if (date_parse(a->v[O_EXPIRES], &a->req.last_day, &err) != TEM_OK)
			return cli_fail(&err);
		if (a->req.last_day < date_today())
			return cli_usage_error("issue", "--expires %s is already past",
					       a->v[O_EXPIRES]);
	}
	return 0;
}

int cmd_issue(int argc, char **argv)
{
	struct args a = {.sec = NULL};
	struct batch_header *h = NULL;
	struct tem_seckey *sk = NULL;
	struct progress prog;
	struct tem_err err;
	char hex[KEYS_ID_HEX_LEN + 1];
	int rc;

	if ((rc = parse(argc, argv, &a)) != 0 || (rc = check_args(&a)) != 0)
		return rc < 0 ? 0 : rc;
	rc = EXIT_USAGE;
	if ((h = malloc(sizeof *h)) == NULL) {
		cli_warn("out of memory");
		return EXIT_USAGE;
	}
	if (issue_prepare(h, &a.req, a.out, a.force, &err) != TEM_OK || keys_init(&err) != TEM_OK ||
	    (sk = cli_load_secret(a.sec, a.v[O_PASSFILE], &err)) == NULL)
		goto fail;
	progress_start(&prog, "codes", a.req.count, a.quiet);
	if (issue_batch(h, sk, a.sec, a.out, a.force, (unsigned)a.threads, progress_update, &prog,
			&err) != TEM_OK)
		goto fail;
	progress_end(&prog, a.req.count);
	keys_id_hex(h->key_id, hex);
	if (!a.quiet)
		fprintf(stderr,
			"issued %" PRIu64 " codes, serials %" PRIu64 "-%" PRIu64
			", batch %s, key %s\nwrote %s and %s.minisig%s%s%s\n",
			h->count, h->first_serial, h->first_serial + h->count - 1, h->batch_id, hex,
			a.out, a.out, h->has_claim ? "; claim PINs in " : "",
			h->has_claim ? a.out : "", h->has_claim ? ".claim (keep it secret)" : "");
	rc = 0;
	goto out;
fail:
	cli_fail(&err);
out:
	keys_secret_free(sk);
	free(h);
	return rc;
}
