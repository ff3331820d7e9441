/* register.c — tem register: sends a batch's signed header to a temd server, which checks it
 * against the authority's trust list and records the batch's serial range. Idempotent. */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/text.h"
#include "label/batch.h"

#define REPLY_MAX 65536

static const char usage_text[] =
    "usage: tem register BATCH --server URL [--timeout SECONDS] [-q]\n"
    "\n"
    "Registers BATCH (made by tem issue) with the verification server at URL: temd checks the\n"
    "header's signature against the trust list and records the batch's serials, so that its\n"
    "codes verify as genuine. Registering the same batch again is harmless.\n"
    "\n"
    "  --server URL        the temd base URL, e.g. https://tem.example.vn\n"
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

int cmd_register(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"server", required_argument, NULL, 'S'},
					     {"timeout", required_argument, NULL, 'T'},
					     {NULL, 0, NULL, 0}};
	const char *server = NULL;
	long timeout = 30, status = 0;
	uint64_t n;
	int c, quiet = 0, rc = EXIT_USAGE;
	struct batch_reader *br = NULL;
	struct tem_err err;
	struct reply *reply = NULL;
	char *body = NULL, url[2048];
	CURL *curl = NULL;
	struct curl_slist *hdrs = NULL;
	json_t *doc = NULL;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'S':
			server = optarg;
			break;
		case 'T':
			if (text_parse_u64(optarg, 1, 3600, &n) != TEM_OK)
				return cli_usage_error("register",
						       "--timeout must be 1 to 3600 seconds");
			timeout = (long)n;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			return cli_usage_error("register", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("register", "give one batch file");
	if (server == NULL)
		return cli_usage_error("register", "give the server with --server URL");
	if (strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0)
		return cli_usage_error("register", "--server must be an http:// or https:// URL");
	size_t sl = strlen(server);
	while (sl > 0 && server[sl - 1] == '/')
		sl--;
	if (snprintf(url, sizeof url, "%.*s/api/v1/batches", (int)sl, server) >= (int)sizeof url)
		return cli_usage_error("register", "--server URL is too long");

	if (batch_open(argv[optind], &br, &err) != TEM_OK)
		return cli_fail(&err);
	const struct batch_header *h = batch_reader_header(br);
	json_t *o = json_object();
	json_object_set_new(o, "header", json_stringn(h->raw, h->raw_len));
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	reply = calloc(1, sizeof *reply);
	if (body == NULL || reply == NULL) {
		cli_warn("out of memory");
		goto out;
	}
	if ((curl = curl_easy_init()) == NULL) {
		cli_warn("cannot start libcurl");
		goto out;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "tem-register/0.1");
	CURLcode cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		cli_warn("%s: %s", url,
			 reply->overflow ? "the answer is too long" : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	doc = json_loadb(reply->buf, reply->len, 0, NULL);
	if (status == 200 || status == 201) {
		const char *reg = json_string_value(json_object_get(doc, "registered"));
		if (!quiet)
			printf("%s: %s %s (serials %llu-%llu)%s%s\n", argv[optind],
			       status == 201 ? "registered as batch"
					     : "already registered as batch",
			       h->batch_id, (unsigned long long)h->first_serial,
			       (unsigned long long)(h->first_serial + h->count - 1),
			       reg != NULL ? " on " : "", reg != NULL ? reg : "");
		rc = 0;
		goto out;
	}
	json_t *e = json_object_get(doc, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	if (msg == NULL) {
		cli_warn("%s: HTTP %ld, not a temd answer", url, status);
		goto out;
	}
	cli_warn("%s: refused (%s): %s", server, code != NULL ? code : "error", msg);
	rc = status >= 400 && status < 500 && status != 404 && status != 413 && status != 415
		 ? EXIT_NO
		 : EXIT_USAGE;
out:
	json_decref(doc);
	curl_slist_free_all(hdrs);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	free(body);
	free(reply);
	batch_close(br);
	return rc;
}
