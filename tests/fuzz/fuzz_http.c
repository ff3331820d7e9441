/* fuzz_http.c — raw HTTP requests to temd's whole request path, in-process (harness.h): the
 * fuzzer's bytes are one connection's input to libmicrohttpd, then tem's transport, routing,
 * header parsing (cookies, X-Forwarded-For, Accept-Language, Sec-Fetch-*), forms, JSON bodies,
 * code parsing, verdicts, the ledger and the pages. A crash, a sanitizer report or a hang on
 * any thread fails the run.
 *
 * TEM_FUZZ_WRITE_SEEDS=DIR writes the seed requests (valid codes of the registered batch, the
 * right claim PIN, forms, headers) into DIR/http and DIR/json: how tests/fuzz/corpus was made. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/harness.h"

static void put(const char *dir, const char *name, const char *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "%s: cannot write\n", path);
		exit(1);
	}
}

/* A POST request with body to path, as the seed name. */
static void post(const char *dir, const char *name, const char *path, const char *type,
		 const char *body)
{
	char req[16384];
	int n = snprintf(req, sizeof req,
			 "POST %s HTTP/1.1\r\nHost: tem.example.vn\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nAccept-Language: en\r\n\r\n%s",
			 path, type, strlen(body), body);
	put(dir, name, req, (size_t)n);
}

static void write_seeds(const char *root)
{
	char http[400], json[400], pin[CLAIM_PIN_DIGITS + 1], buf[16384];
	unsigned char k[CLAIM_KEY_BYTES];
	char *batch = harness_batch_body(HARNESS_COUNT + 1, 50);
	int n;

	snprintf(http, sizeof http, "%s/http", root);
	snprintf(json, sizeof json, "%s/json", root);
	if ((mkdir(http, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(json, 0755) != 0 && errno != EEXIST) || batch == NULL) {
		fprintf(stderr, "%s: cannot make the seed folders\n", root);
		exit(1);
	}
	harness_claim_key(k);
	claim_pin(k, 1, pin);

#define GET(name, text) put(http, name, text, sizeof text - 1)
	GET("get_page", "GET /c/" CODE1 " HTTP/1.1\r\nHost: tem.example.vn\r\n"
			"Accept-Language: vi-VN,vi;q=0.9,en;q=0.8\r\nSec-Fetch-Dest: document\r\n"
			"User-Agent: Mozilla/5.0 (Linux; Android 14)\r\n\r\n");
	GET("get_page_cookie_xff",
	    "GET /C/" CODE1042 "/?lang=en HTTP/1.1\r\nHost: tem.example.vn\r\n"
	    "X-Forwarded-For: 203.0.113.9, 2001:db8::1\r\nX-Forwarded-For: 198.51.100.7\r\n"
	    "Cookie: a=b; "
	    "tem_client=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
	    "\r\n");
	GET("get_unregistered", "GET /c/" CODE_OUT " HTTP/1.0\r\n\r\n");
	GET("head_preview", "HEAD /c/" CODE1 " HTTP/1.1\r\nHost: x\r\nUser-Agent: "
			    "facebookexternalhit/1.1\r\nPurpose: prefetch\r\nSec-Purpose: "
			    "prefetch\r\n\r\n");
	GET("get_malformed", "GET /c/AGT3NZ HTTP/1.1\r\nHost: x\r\n\r\n");
	GET("get_home", "GET /?lang=vi HTTP/1.1\r\nHost: x\r\n\r\n");
	GET("get_healthz_metrics", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
				   "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	GET("delete_scans", "DELETE /api/v1/scans HTTP/1.1\r\nHost: x\r\n\r\n");
	GET("get_404", "GET /nowhere%00?x=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
	GET("chunked_scan", "POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
			    "chunked\r\nContent-Type: application/json\r\n\r\n"
			    "a\r\n{\"code\": \"\r\n1\r\nx\r\n2\r\n\"}\r\n0\r\n\r\n");
	GET("two_lengths", "POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
			   "Content-Length: 3\r\nContent-Type: application/json\r\n\r\n{}");
	GET("bad_line", "GET\r\n\r\n");
	post(http, "post_scan", "/api/v1/scans", "application/json", "{\"code\":\"" CODE1 "\"}");
	post(http, "post_scan_url", "/api/v1/scans", "application/json; charset=utf-8",
	     "{\"code\":\" https://tem.example.vn/c/" CODE1042 "\\n\"}");
	snprintf(buf, sizeof buf, "{\"code\":\"%s\",\"pin\":\"%.5s %s\"}", CODE1, pin, pin + 5);
	post(http, "post_claim", "/api/v1/claims", "application/json", buf);
	post(http, "post_claim_wrong", "/api/v1/claims", "application/json",
	     "{\"code\":\"" CODE1042 "\",\"pin\":\"00000-00000\"}");
	snprintf(buf, sizeof buf, "pin=%s&lang=en", pin);
	post(http, "post_claim_form", "/c/" CODE1, "application/x-www-form-urlencoded", buf);
	snprintf(buf, sizeof buf, "id=3F9A0C21D4E5B6A7-1&pin=%s&claim=1", pin);
	post(http, "post_home_form", "/", "application/x-www-form-urlencoded", buf);
	post(http, "post_home_form_multipart", "/", "multipart/form-data; boundary=XyZ",
	     "--XyZ\r\nContent-Disposition: form-data; name=\"id\"\r\n\r\n3F9A0C21D4E5B6A7-1042\r\n"
	     "--XyZ\r\nContent-Disposition: form-data; name=\"pin\"\r\n\r\n12345 "
	     "67890\r\n--XyZ--\r\n");
	post(http, "post_batch", "/api/v1/batches", "application/json", batch);

	/* the regulator API and the dashboard, past auth with the harness's token */
#define AUTH "Authorization: Bearer " HARNESS_TOKEN "\r\n"
	GET("api_alerts", "GET /api/v1/alerts?type=duplicate&status=open&producer=3F9A0C21D4E5B6A7"
			  "&since=2025-11-01&limit=10 HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n");
	GET("api_batches_csv",
	    "GET /api/v1/batches?from=2025-11-01&to=2026-11-27T10:00:00Z HTTP/1.1"
	    "\r\nHost: x\r\nAccept: text/csv\r\n" AUTH "\r\n");
	GET("api_scans",
	    "GET /api/v1/scans?limit=1000&format=json HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n");
	GET("api_stats", "GET /api/v1/stats?from=2025-11-01&to=2025-11-30&by=producer HTTP/1.1\r\n"
			 "Host: x\r\n" AUTH "\r\n");
	GET("api_producers",
	    "GET /api/v1/producers?format=csv HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n");
	GET("api_code",
	    "GET /api/v1/codes/" CODE1042 "?limit=5 HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n");
	GET("api_code_short",
	    "GET /api/v1/codes/3f9a0c21d4e5b6a7-1 HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n");
	GET("api_alert", "GET /api/v1/alerts/1 HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n");
	GET("api_alert_patch", "PATCH /api/v1/alerts/1 HTTP/1.1\r\nHost: x\r\n" AUTH
			       "Content-Type: application/json\r\nContent-Length: 49\r\n\r\n"
			       "{\"status\":\"closed\",\"reason\":\"other\",\"note\":\"x\"}");
	GET("api_token_in_url", "GET /api/v1/token?token=" HARNESS_TOKEN " HTTP/1.1\r\nHost: x\r\n"
				"\r\n");
	GET("api_wrong_token", "GET /api/v1/token HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
			       "tem_AAAA\r\n\r\n");
	GET("dashboard", "GET /dashboard?type=duplicate&status=open&after=1&done=1&to=closed "
			 "HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n");
	GET("dashboard_code", "GET /dashboard/code?code=3F9A0C21D4E5B6A7-1042&lang=en HTTP/1.1\r\n"
			      "Host: x\r\n" AUTH "\r\n");
	GET("dashboard_csv", "GET /dashboard/csv/alerts?status=closed HTTP/1.1\r\nHost: x\r\n"
			     "Cookie: tem_session=AAAA\r\n\r\n");
	GET("dashboard_no_session", "GET /dashboard HTTP/1.1\r\nHost: x\r\n\r\n");
	post(http, "dashboard_sign_in", "/dashboard/sign-in", "application/x-www-form-urlencoded",
	     "token=+" HARNESS_TOKEN "+&lang=en");
	post(http, "dashboard_sign_out", "/dashboard/sign-out", "application/x-www-form-urlencoded",
	     "lang=vi");
	n = snprintf(
	    buf, sizeof buf,
	    "POST /dashboard/alerts/1 HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\n" AUTH
	    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen("status=closed&reason=buyer-error&note=ng%C6%B0%E1%BB%9Di+mua&f_type="
		   "duplicate"),
	    "status=closed&reason=buyer-error&note=ng%C6%B0%E1%BB%9Di+mua&f_type=duplicate");
	put(http, "dashboard_step", buf, (size_t)n);
#undef AUTH

	/* fuzz_json: the first byte picks the route, the rest is the body */
	n = snprintf(buf, sizeof buf, "S{\"code\":\"%s\"}", CODE1);
	put(json, "scan", buf, (size_t)n);
	n = snprintf(buf, sizeof buf,
		     "S{\"code\":\"HTTP://TEM.EXAMPLE.VN/C/%s\",\"x\":[1,2.5e3,null]}", CODE1042);
	put(json, "scan_url", buf, (size_t)n);
	n = snprintf(buf, sizeof buf, "B%s", batch);
	put(json, "batch", buf, (size_t)n);
	n = snprintf(buf, sizeof buf, "C{\"code\":\"%s\",\"pin\":\"%s\"}", CODE1, pin);
	put(json, "claim", buf, (size_t)n);
	n = snprintf(buf, sizeof buf, "C{\"code\":\"%s\",\"pin\":\"1.2-3 4\"}", CODE_OUT);
	put(json, "claim_unregistered", buf, (size_t)n);
	put(json, "dup_keys", "S{\"code\":\"a\",\"code\":\"b\"}", 25);
	free(batch);
#undef GET
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("TEM_FUZZ_WRITE_SEEDS");

	(void)argc, (void)argv;
	harness_start();
	if (seeds != NULL) {
		write_seeds(seeds);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* past the server's bounds (64 KiB of headers, 32 KiB of body) nothing new is reached */
	if (size > 100000)
		return 0;
	harness_request(data, size);
	return 0;
}
