/* client.c — client ids: cookie parsing, network prefixes, salted hashing. */
#include "server/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>

/* The tem_client cookie's value when the Cookie header has a well-formed one. */
static int cookie_value(const char *cookie, unsigned char out[LEDGER_CLIENT_BYTES])
{
	const size_t klen = sizeof CLIENT_COOKIE - 1;
	const char *p = cookie;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, CLIENT_COOKIE, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1, *end;
			size_t n = strcspn(v, "; ");
			if (n != CLIENT_HEX)
				return 0;
			return sodium_hex2bin(out, LEDGER_CLIENT_BYTES, v, n, NULL, NULL, &end) ==
				   0 &&
			       end == v + n;
		}
		p = strchr(p, ';');
	}
	return 0;
}

/* The network prefix of an address: tag byte, then /24 of IPv4 or /48 of IPv6. */
static size_t prefix_of(int family, const unsigned char *addr, unsigned char out[8])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (family == AF_INET6 && memcmp(addr, mapped, sizeof mapped) == 0)
		family = AF_INET, addr += 12;
	if (family == AF_INET) {
		out[0] = 4;
		memcpy(out + 1, addr, 3);
		return 4;
	}
	out[0] = 6;
	memcpy(out + 1, addr, 6);
	return 7;
}

/* The prefix of the last address in an X-Forwarded-For list; 0 when it is not an address. */
static size_t forwarded_prefix(const char *xff, unsigned char out[8])
{
	const char *last = strrchr(xff, ',');
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char a[16];
	size_t n;

	last = last != NULL ? last + 1 : xff;
	while (*last == ' ' || *last == '\t')
		last++;
	n = strcspn(last, " \t");
	if (n == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, last, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1)
		return prefix_of(AF_INET, a, out);
	if (inet_pton(AF_INET6, buf, a) == 1)
		return prefix_of(AF_INET6, a, out);
	return 0;
}

int client_id(const unsigned char salt[LEDGER_SALT_BYTES], const struct sockaddr *peer,
	      const char *forwarded, const char *ua, const char *cookie,
	      unsigned char out[LEDGER_CLIENT_BYTES])
{
	crypto_generichash_state h;
	unsigned char prefix[8] = {0};
	size_t plen = 0;

	if (cookie != NULL && cookie_value(cookie, out))
		return 1;
	if (forwarded != NULL)
		plen = forwarded_prefix(forwarded, prefix);
	if (plen == 0 && peer != NULL) {
		if (peer->sa_family == AF_INET)
			plen = prefix_of(
			    AF_INET,
			    (const unsigned char *)&((const struct sockaddr_in *)(const void *)peer)
				->sin_addr,
			    prefix);
		else if (peer->sa_family == AF_INET6)
			plen = prefix_of(
			    AF_INET6,
			    ((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr.s6_addr,
			    prefix);
	}
	crypto_generichash_init(&h, salt, LEDGER_SALT_BYTES, LEDGER_CLIENT_BYTES);
	crypto_generichash_update(&h, prefix, plen);
	crypto_generichash_update(&h, (const unsigned char *)"\n", 1);
	if (ua != NULL)
		crypto_generichash_update(&h, (const unsigned char *)ua, strnlen(ua, 1024));
	crypto_generichash_final(&h, out, LEDGER_CLIENT_BYTES);
	return 0;
}

void client_hex(const unsigned char id[LEDGER_CLIENT_BYTES], char out[CLIENT_HEX + 1])
{
	sodium_bin2hex(out, CLIENT_HEX + 1, id, LEDGER_CLIENT_BYTES);
}

void client_network(const unsigned char salt[LEDGER_SALT_BYTES], const struct sockaddr *peer,
		    const char *forwarded, unsigned char out[LEDGER_CLIENT_BYTES])
{
	static const unsigned char domain[] = "tem-client-network-v1\n";
	crypto_generichash_state h;
	unsigned char prefix[8] = {0};
	size_t plen = 0;

	if (forwarded != NULL)
		plen = forwarded_prefix(forwarded, prefix);
	if (plen == 0 && peer != NULL && peer->sa_family == AF_INET)
		plen = prefix_of(
		    AF_INET,
		    (const unsigned char *)&((const struct sockaddr_in *)(const void *)peer)
			->sin_addr,
		    prefix);
	else if (plen == 0 && peer != NULL && peer->sa_family == AF_INET6)
		plen = prefix_of(
		    AF_INET6, ((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr.s6_addr,
		    prefix);
	crypto_generichash_init(&h, salt, LEDGER_SALT_BYTES, LEDGER_CLIENT_BYTES);
	crypto_generichash_update(&h, domain, sizeof domain - 1);
	crypto_generichash_update(&h, prefix, plen);
	crypto_generichash_final(&h, out, LEDGER_CLIENT_BYTES);
}
