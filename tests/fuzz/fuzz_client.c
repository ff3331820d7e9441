/* fuzz_client.c — what temd reads from a client's headers (server/client.h, server/pages.h):
 * --trust-proxy lists, X-Forwarded-For behind trusted proxies, the tem_client cookie and its
 * MAC, the navigation headers (Sec-Fetch-Dest, Sec-Purpose, Purpose, User-Agent) and
 * Accept-Language. The input is split at newlines into those fields, in that order. A cookie
 * temd issued must read back; one it did not must not. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/client.h"
#include "server/pages.h"

static struct client_keys keys;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char salt[LEDGER_SALT_BYTES];

	(void)argc, (void)argv;
	if (sodium_init() < 0)
		abort();
	memset(salt, 0x5a, sizeof salt);
	client_keys_init(&keys, salt);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *field[8] = {NULL}, *p;
	struct client_proxies proxies;
	struct client_net net;
	struct tem_err err;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	unsigned char id[LEDGER_CLIENT_BYTES], cookie[LEDGER_COOKIE_BYTES],
	    back[LEDGER_COOKIE_BYTES];
	char value[CLIENT_COOKIE_LEN + 1], header[CLIENT_COOKIE_LEN + 64];
	int nf = 0;

	if (size > 65536 || (buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; nf < 8 && p != NULL; nf++) {
		field[nf] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	memset(&proxies, 0, sizeof proxies);
	if (client_proxies_parse(field[0], &proxies, &err) != TEM_OK)
		memset(&proxies, 0, sizeof proxies);
	memset(&v4, 0, sizeof v4);
	v4.sin_family = AF_INET;
	v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&v6, 0, sizeof v6);
	v6.sin6_family = AF_INET6;
	v6.sin6_addr = in6addr_loopback;
	(void)client_address(&proxies, (struct sockaddr *)&v4, field[1], &net);
	(void)client_address(&proxies, (struct sockaddr *)&v6, field[1], &net);
	client_request_id(&keys, &proxies, (struct sockaddr *)&v4, field[1], id);
	if (client_cookie_read(&keys, field[2], cookie)) {
		/* only an id temd made reads back: it must print to a cookie that reads the same */
		client_cookie_value(&keys, cookie, value);
		memcpy(header, CLIENT_COOKIE "=", sizeof CLIENT_COOKIE);
		memcpy(header + sizeof CLIENT_COOKIE, value, sizeof value);
		if (!client_cookie_read(&keys, header, back) || memcmp(cookie, back, sizeof back))
			abort();
	}
	(void)client_is_navigation(field[3] != NULL ? field[3] : "GET", field[4], field[5],
				   field[6], field[7]);
	(void)client_is_preview_agent(field[7]);
	(void)pages_lang(field[4], field[3]);
	free(buf);
	return 0;
}
