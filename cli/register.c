/* register.c — tem register: sends a batch's signed header (and its claim key, when its codes
 * have claim PINs) to a temd server, which checks it against the authority's trust list and
 * records the batch's serial range. Idempotent. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/keys.h"
#include "keys/text.h"
#include "label/batch.h"
#include "label/claim.h"

#define REPLY_MAX 65536

static const char usage_text[] =
    "usage: tem register BATCH --server URL [--cacert FILE] [--timeout SECONDS] [-q]\n"
    "\n"
    "Registers BATCH (made by tem issue) with the verification server at URL: temd checks the\n"
    "header's signature against the trust list and records the batch's serials, so that its\n"
    "codes verify as genuine. Registering the same batch again is harmless. When the batch's\n"
    "codes have claim PINs, its claim key (BATCH.claim, written by tem issue) goes too.\n"
    "\n"
    "  --server URL        the temd base URL, e.g. https://tem.example.vn\n"
    "  --cacert FILE       trust the certificate authority in FILE (PEM) for an https\n"
    "                      server behind a private CA, instead of the system's\n"
    "  --timeout SECONDS   give up after this long (default 30)\n"
    "  -q                  print nothing on success\n"
    "\n"
    "Exit status: 0 registered (or already), 1 the server refused (unknown or revoked key,\n"
    "serials overlapping another batch, bad signature), 2 usage, file or network errors.\n";

struct reply {
	char buf[REPLY_MAX + 1];
	size_t len;
	int overflow;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (r->len + len > REPLY_MAX) {
		r->overflow = 1;
		return 0; /* aborts the transfer */
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->buf[r->len] = '\0';
	return len;
}

/* What the options asked for. */
struct register_args {
	const char *batch;  /* the batch file */
	const char *server; /* temd base URL as given */
	const char *cacert; /* PEM file of the CA to trust, NULL for the system's */
	char url[2048];     /* SERVER/api/v1/batches */
	long timeout;       /* seconds */
	int quiet;          /* print nothing on success */
};

/* Parses the options into a; returns -1 when they are fine, else the exit status. */
static int parse_args(int argc, char **argv, struct register_args *a)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"server", required_argument, NULL, 'S'},
					     {"timeout", required_argument, NULL, 'T'},
					     {"cacert", required_argument, NULL, 'C'},
					     {NULL, 0, NULL, 0}};
	uint64_t n;
	size_t sl;
	int c;

	memset(a, 0, sizeof *a);
	a->timeout = 30;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'S':
			a->server = optarg;
			break;
		case 'T':
			if (text_parse_u64(optarg, 1, 3600, &n) != TEM_OK)
				return cli_usage_error("register",
						       "--timeout must be 1 to 3600 seconds");
			a->timeout = (long)n;
			break;
		case 'C':
			if (access(optarg, R_OK) != 0)
				return cli_usage_error("register", "--cacert %s: %s", optarg,
						       strerror(errno));
			a->cacert = optarg;
			break;
		case 'q':
			a->quiet = 1;
			break;
		default:
			return cli_usage_error("register", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("register", "give one batch file");
	a->batch = argv[optind];
	if (a->server == NULL)
		return cli_usage_error("register", "give the server with --server URL");
	if (strncmp(a->server, "http://", 7) != 0 && strncmp(a->server, "https://", 8) != 0)
		return cli_usage_error("register", "--server must be an http:// or https:// URL");
	sl = strlen(a->server);
	while (sl > 0 && a->server[sl - 1] == '/')
		sl--;
	if (snprintf(a->url, sizeof a->url, "%.*s/api/v1/batches", (int)sl, a->server) >=
	    (int)sizeof a->url)
		return cli_usage_error("register", "--server URL is too long");
	return -1;
}

/* POSTs body as JSON to a->url; fills reply and *status. 0, or -1 after printing why. */
static int post_json(const struct register_args *a, const char *body, struct reply *reply,
		     long *status)
{
	struct curl_slist *hdrs = NULL;
	CURL *curl = curl_easy_init();
	CURLcode cc = CURLE_FAILED_INIT;

	if (curl == NULL) {
		cli_warn("cannot start libcurl");
		return -1;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (hdrs != NULL) {
		curl_easy_setopt(curl, CURLOPT_URL, a->url);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, a->timeout);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, a->timeout < 10 ? a->timeout : 10L);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "tem-register/0.1");
		if (a->cacert != NULL)
			curl_easy_setopt(curl, CURLOPT_CAINFO, a->cacert);
		cc = curl_easy_perform(curl);
	}
	if (cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	else if (cc == CURLE_PEER_FAILED_VERIFICATION && a->cacert == NULL)
		cli_warn("%s: %s (a server behind a private certificate authority needs "
			 "--cacert FILE)",
			 a->url, curl_easy_strerror(cc));
	else
		cli_warn("%s: %s", a->url,
			 reply->overflow ? "the answer is too long" : curl_easy_strerror(cc));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	return cc == CURLE_OK ? 0 : -1;
}

/* Says what temd answered; returns the exit status (0 registered, 1 refused, 2 otherwise). */
static int report(const struct register_args *a, const struct batch_header *h, long status,
		  const struct reply *reply)
{
	json_t *doc = json_loadb(reply->buf, reply->len, 0, NULL);
	json_t *e = json_object_get(doc, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *reg = json_string_value(json_object_get(doc, "registered"));
	int rc = EXIT_USAGE;

	if (status == 200 || status == 201) {
		if (!a->quiet)
			printf("%s: %s %s (serials %llu-%llu)%s%s\n", a->batch,
			       status == 201 ? "registered as batch"
					     : "already registered as batch",
			       h->batch_id, (unsigned long long)h->first_serial,
			       (unsigned long long)(h->first_serial + h->count - 1),
			       reg != NULL ? " on " : "", reg != NULL ? reg : "");
		rc = 0;
	} else if (msg == NULL) {
		cli_warn("%s: HTTP %ld, not a temd answer", a->url, status);
	} else {
		cli_warn("%s: refused (%s): %s", a->server, code != NULL ? code : "error", msg);
		if (status >= 400 && status < 500 && status != 404 && status != 413 &&
		    status != 415)
			rc = EXIT_NO;
	}
	json_decref(doc);
	return rc;
}

/* jansson's allocator while the body holds the claim key: every block is wiped before it is
 * freed (the block's size is kept in front of it). */
union wiped_head {
	size_t n;
	max_align_t align;
};

static void *wiped_malloc(size_t n)
{
	union wiped_head *p = n <= SIZE_MAX - sizeof *p ? malloc(sizeof *p + n) : NULL;

	if (p == NULL)
		return NULL;
	p->n = n;
	return p + 1;
}

static void wiped_free(void *v)
{
	union wiped_head *p = v;

	if (p == NULL)
		return;
	p--;
	sodium_memzero(p, sizeof *p + p->n);
	free(p);
}

/* The request body: {"header": ..., "claim_key": BASE64} when the header has a claim line
 * (the key read from BATCH.claim and checked against the header's commitment), else
 * {"header": ...}. NULL after printing why. Free it with wiped_free. */
static char *make_body(const char *batch, const struct batch_header *h)
{
	char path[4200], b64[CLAIM_B64_LEN + 1];
	unsigned char *k = NULL;
	struct tem_err err;
	char *body = NULL;
	json_t *o;

	o = json_pack("{s:s%}", "header", h->raw, h->raw_len);
	if (o == NULL)
		goto oom;
	if (h->has_claim) {
		if (claim_key_path(batch, path, sizeof path) == NULL) {
			cli_warn("%s: path too long", batch);
			goto out;
		}
		if ((k = sodium_malloc(CLAIM_KEY_BYTES)) == NULL)
			goto oom;
		if (claim_key_load(path, h->claim, k, &err) != TEM_OK) {
			cli_warn("%s (the batch's codes have claim PINs, and temd needs the key "
				 "they come from)",
				 err.msg);
			goto out;
		}
		sodium_bin2base64(b64, sizeof b64, k, CLAIM_KEY_BYTES,
				  sodium_base64_VARIANT_ORIGINAL);
		if (json_object_set_new(o, "claim_key", json_string(b64)) != 0)
			goto oom;
	}
	if ((body = json_dumps(o, JSON_COMPACT)) == NULL)
		goto oom;
	goto out;
oom:
	cli_warn("out of memory");
out:
	json_decref(o);
	sodium_memzero(b64, sizeof b64);
	sodium_free(k);
	return body;
}

int cmd_register(int argc, char **argv)
{
	struct register_args a;
	struct batch_reader *br = NULL;
	const struct batch_header *h;
	struct reply *reply = NULL;
	struct tem_err err;
	char *body = NULL;
	long status = 0;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (keys_init(&err) != TEM_OK || batch_open(a.batch, &br, &err) != TEM_OK)
		return cli_fail(&err);
	h = batch_reader_header(br);
	json_set_alloc_funcs(wiped_malloc, wiped_free);
	body = make_body(a.batch, h);
	reply = calloc(1, sizeof *reply);
	rc = EXIT_USAGE;
	if (body != NULL && reply == NULL)
		cli_warn("out of memory");
	else if (body != NULL && post_json(&a, body, reply, &status) == 0)
		rc = report(&a, h, status, reply);
	wiped_free(body);
	free(reply);
	batch_close(br);
	return rc;
}
