/* issue.c — `tem issue`: options, then the key, then label/issue.h does the work (serials
 * reserved durably, codes signed on all cores, batch and signature written whole). */
#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/date.h"
#include "keys/fileio.h"
#include "keys/text.h"
#include "label/issue.h"

static const char usage[] =
    "usage: tem issue -s SEC -n COUNT --product TEXT [--producer TEXT] [--batch ID]\n"
    "                 [--url BASE] [--valid-days N | --expires YYYY-MM-DD] -o FILE\n"
    "                 [--no-claim] [-f] [-q] [--threads N] [--passphrase-file F]\n"
    "                 [--server URL] [--first-serial N]\n"
    "\n"
    "Issues COUNT signed codes with the secret key SEC: writes the batch file FILE (a signed\n"
    "header, then one code per line) and its signature FILE.minisig. Serials continue from\n"
    "the key's counter file SEC.serial, reserved before any code is written, so they never\n"
    "repeat for a key, even with two runs at once. Every code gets a claim PIN, printed\n"
    "only in the label's hidden area; the batch's claim key is written to FILE.claim\n"
    "(mode 0600): keep it with the batch, give it to the label printer and to tem register,\n"
    "and to no one else.\n"
    "A missing SEC.serial is refused (it would restart serials at 1): restore it, or give\n"
    "--first-serial N past the key's registered batches. With --server, temd says the\n"
    "highest serial it has registered for the key, and a batch that would not start past\n"
    "it is refused before any serial is spent.\n"
    "\n"
    "  --product TEXT      what the codes go on, e.g. 'Cua Cà Mau'\n"
    "  --producer TEXT     the producer's name as printed on labels\n"
    "  --batch ID          batch id (A-Z a-z 0-9 . _ -); default DATE-FIRSTSERIAL\n"
    "  --url BASE          verification server base URL, e.g. https://tem.example.vn\n"
    "  --valid-days N      codes expire N days from today (signed into each code)\n"
    "  --expires DATE      codes expire after DATE\n"
    "  --no-claim          codes without claim PINs (no FILE.claim)\n"
    "  --threads N         signing threads (default: all cores)\n"
    "  --server URL        temd to ask for the key's highest registered serial\n"
    "  --first-serial N    start at serial N (after a lost counter)\n"
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
	O_SERVER,
	O_FIRST,
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
				     {"server", required_argument, NULL, 256 + O_SERVER},
				     {"first-serial", required_argument, NULL, 256 + O_FIRST},
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
	if (a->v[O_FIRST] != NULL &&
	    text_parse_u64(a->v[O_FIRST], 1, UINT64_MAX - 1, &a->req.first_serial) != TEM_OK)
		return cli_usage_error("issue", "--first-serial: not a serial number from 1");
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

#define REPLY_MAX 4096

/* A bounded answer body. */
struct reply {
	char buf[REPLY_MAX + 1];
	size_t len;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (r->len + len > REPLY_MAX)
		return 0; /* too long: aborts the transfer */
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->buf[r->len] = '\0';
	return len;
}

/* Asks temd at server (a base URL) for the highest serial it has registered for key id hex
 * (GET /api/v1/producers/KEYID/serial) into *last. TEM_OK, or TEM_ERR with err saying why
 * (unreachable, an error answer, a reply that is not the expected JSON). */
static int server_last_serial(const char *server, const char *hex, uint64_t *last,
			      struct tem_err *err)
{
	char url[2200];
	struct reply *r = calloc(1, sizeof *r);
	CURL *curl = NULL;
	json_t *doc = NULL, *v;
	long status = 0;
	size_t n = strlen(server);
	int rc = TEM_ERR;

	while (n > 0 && server[n - 1] == '/')
		n--;
	if (r == NULL)
		return err_set(err, "out of memory");
	if (n > 2000 || snprintf(url, sizeof url, "%.*s/api/v1/producers/%s/serial", (int)n, server,
				 hex) >= (int)sizeof url) {
		err_set(err, "--server: the URL is too long");
		goto out;
	}
	if ((curl = curl_easy_init()) == NULL) {
		err_set(err, "cannot start libcurl");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "tem-issue/0.1");
	CURLcode cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		err_set(err, "%s: %s", url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	doc = json_loadb(r->buf, r->len, 0, NULL);
	if (status != 200) {
		const char *m =
		    json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
		err_set(err, "%s: HTTP %ld: %.200s", url, status, m != NULL ? m : "(no message)");
		goto out;
	}
	v = json_object_get(doc, "last_serial");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		err_set(err, "%s: the answer has no last_serial", url);
		goto out;
	}
	*last = (uint64_t)json_integer_value(v);
	rc = TEM_OK;
out:
	json_decref(doc);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	free(r);
	return rc;
}

/* SIGINT, SIGTERM, SIGHUP: the half-written files (signed codes whose header claims the whole
 * range) go first, then the signal does what it would have done. */
static void on_signal(int sig)
{
	atomic_unlink_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Installs on_signal for the signals that end a run from outside. */
static void remove_on_signal(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
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
	if (a.v[O_SERVER] != NULL) {
		/* before any serial is spent: a batch the server would refuse is never made */
		keys_id_hex(sk->id, hex);
		if (server_last_serial(a.v[O_SERVER], hex, &a.req.above, &err) != TEM_OK)
			goto fail;
	}
	remove_on_signal();
	progress_start(&prog, "codes", a.req.count, a.quiet);
	if (issue_batch(h, &a.req, sk, a.sec, a.out, a.force, (unsigned)a.threads, progress_update,
			&prog, &err) != TEM_OK)
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
