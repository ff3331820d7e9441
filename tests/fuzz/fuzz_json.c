/* fuzz_json.c — every JSON body temd parses, through its real routes (harness.h): the first
 * byte picks the route (S: POST /api/v1/scans {"code"}, B: /api/v1/batches {"header",
 * "claim_key"}, anything else: /api/v1/claims {"code", "pin"}), the rest is the body, sent
 * with Content-Type application/json. Only the body mutates, so the fuzzer spends its time in
 * jansson, the field checks, batch header and code parsing, claim keys and PINs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	harness_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char head[256];
	const char *path;
	char *req;
	int n;

	if (size < 1 || size > 40000)
		return 0;
	path = data[0] == 'S'   ? "/api/v1/scans"
	       : data[0] == 'B' ? "/api/v1/batches"
				: "/api/v1/claims";
	n = snprintf(head, sizeof head,
		     "POST %s HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     path, size - 1);
	if ((req = malloc((size_t)n + size)) == NULL)
		return 0;
	memcpy(req, head, (size_t)n);
	memcpy(req + n, data + 1, size - 1);
	harness_request(req, (size_t)n + size - 1);
	free(req);
	return 0;
}
