/* client.c — client ids (network prefixes under a keyed hash), the MAC'd tem_client cookie,
 * the client address behind trusted proxies, and which requests are a person's scan. */
#include "server/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Link-preview fetchers and crawlers (case-insensitive substrings of the User-Agent): they get
 * the page but never count. An in-app browser (Zalo's, Facebook's FBAN/FB_IAB) names none of
 * these, so a person reading the page inside those apps still counts. */
static const char *const preview_agents[] = {
    "facebookexternalhit",
    "Facebot",
    "Zalobot",
    "Zalo-link-preview",
    "ZaloLinkPreview",
    "WhatsApp",
    "TelegramBot",
    "Twitterbot",
    "Slackbot",
    "Discordbot",
    "LinkedInBot",
    "Googlebot",
    "bingbot",
    "SkypeUriPreview",
    "Viber",
};

void client_keys_init(struct client_keys *k, const unsigned char salt[LEDGER_SALT_BYTES])
{
	memcpy(k->salt, salt, LEDGER_SALT_BYTES);
	/* crypto_kdf_KEYBYTES == LEDGER_SALT_BYTES (32); the subkey length is within its range */
	crypto_kdf_derive_from_key(k->mac, sizeof k->mac, 1, "temcooki", salt);
	crypto_kdf_derive_from_key(k->tag, sizeof k->tag, 2, "temcooki", salt);
}

_Static_assert(crypto_generichash_BYTES == CLIENT_COOKIE_TAG &&
		   crypto_auth_BYTES == CLIENT_COOKIE_TAG,
	       "both tags fill the cookie's one tag field");

/* A cookie id's tag: keyed BLAKE2b (a new buyer's every scan answers with one; bench_instructions
 * counted 18,700 fewer instructions a scan than with the HMAC's four SHA-512 blocks). */
static void cookie_tag(const struct client_keys *k, const unsigned char id[LEDGER_COOKIE_BYTES],
		       unsigned char out[CLIENT_COOKIE_TAG])
{
	crypto_generichash(out, CLIENT_COOKIE_TAG, id, LEDGER_COOKIE_BYTES, k->tag, sizeof k->tag);
}

/* 1 when tag is id's: its BLAKE2b tag, or the HMAC tag cookies had before it. */
static int cookie_tag_ok(const struct client_keys *k, const unsigned char id[LEDGER_COOKIE_BYTES],
			 const unsigned char tag[CLIENT_COOKIE_TAG])
{
	unsigned char want[CLIENT_COOKIE_TAG];

	cookie_tag(k, id, want);
	if (crypto_verify_32(want, tag) == 0)
		return 1;
	return crypto_auth_verify(tag, id, LEDGER_COOKIE_BYTES, k->mac) == 0;
}

/* Parses one address into out (bits: the whole address); IPv4-mapped IPv6 becomes IPv4.
 * 0 on success, -1 when s (n bytes) is not an address. */
static int parse_addr(const char *s, size_t n, struct client_net *out)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char buf[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET, out->bits = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->addr) != 1)
		return -1;
	out->family = AF_INET6, out->bits = 128;
	if (memcmp(out->addr, mapped, sizeof mapped) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = AF_INET, out->bits = 32;
	}
	return 0;
}

int client_proxies_parse(const char *list, struct client_proxies *out, struct tem_err *err)
{
	const char *p = list;

	memset(out, 0, sizeof *out);
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *slash = memchr(p, '/', n);
		struct client_net *net = &out->net[out->n];
		unsigned long bits;
		char *end;

		if (out->n == CLIENT_PROXIES_MAX)
			return err_set(err, "--trust-proxy: at most %d addresses or ranges",
				       CLIENT_PROXIES_MAX);
		if (parse_addr(p, slash != NULL ? (size_t)(slash - p) : n, net) != 0)
			return err_set(err,
				       "--trust-proxy: '%.*s' is not an IPv4 or IPv6 address or "
				       "CIDR range",
				       (int)(n > 60 ? 60 : n), p);
		if (slash != NULL) {
			unsigned max = net->family == AF_INET ? 32 : 128;
			bits = strtoul(slash + 1, &end, 10);
			if (end != p + n || end == slash + 1 || bits > max || slash[1] == '-' ||
			    slash[1] == '+' || slash[1] == ' ')
				return err_set(
				    err,
				    "--trust-proxy: '%.*s' has no prefix length from 0 to "
				    "%u",
				    (int)(n > 60 ? 60 : n), p, max);
			net->bits = (unsigned)bits;
		}
		out->n++;
		if (p[n] == '\0')
			return TEM_OK;
		p += n + 1;
	}
}

/* 1 when a lies in range r. */
static int net_has(const struct client_net *r, const struct client_net *a)
{
	unsigned full = r->bits / 8, rest = r->bits % 8;

	if (r->family != a->family || memcmp(r->addr, a->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (r->addr[full] & mask) == (a->addr[full] & mask);
}

static int trusted(const struct client_proxies *p, const struct client_net *a)
{
	for (size_t i = 0; p != NULL && i < p->n; i++)
		if (net_has(&p->net[i], a))
			return 1;
	return 0;
}

/* The peer's address as a client_net; -1 when it is not IP. */
static int peer_addr(const struct sockaddr *peer, struct client_net *out)
{
	char buf[INET6_ADDRSTRLEN];

	if (peer == NULL)
		return -1;
	if (peer->sa_family == AF_INET) {
		memset(out, 0, sizeof *out);
		out->family = AF_INET, out->bits = 32;
		memcpy(out->addr, &((const struct sockaddr_in *)(const void *)peer)->sin_addr, 4);
		return 0;
	}
	if (peer->sa_family != AF_INET6 ||
	    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr, buf,
		      sizeof buf) == NULL)
		return -1;
	return parse_addr(buf, strlen(buf), out); /* unwraps IPv4-mapped */
}

int client_address(const struct client_proxies *proxies, const struct sockaddr *peer,
		   const char *xff, struct client_net *out)
{
	size_t end;

	if (peer_addr(peer, out) != 0)
		return TEM_NO;
	if (xff == NULL || !trusted(proxies, out))
		return TEM_OK;
	/* right to left: each address was appended by the hop after it; the first one that is not
	 * a trusted proxy is the client, whatever the client wrote further left */
	end = strlen(xff);
	while (end > 0) {
		size_t start = end, a, b;
		struct client_net n;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		for (a = start; a < end && (xff[a] == ' ' || xff[a] == '\t'); a++)
			;
		for (b = end; b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'); b--)
			;
		if (parse_addr(xff + a, b - a, &n) != 0)
			break;
		*out = n;
		if (!trusted(proxies, &n))
			break;
		end = start > 0 ? start - 1 : 0;
	}
	return TEM_OK;
}

void client_prefix_id(const struct client_keys *k, const struct client_net *addr,
		      unsigned char out[LEDGER_CLIENT_BYTES])
{
	unsigned char prefix[7] = {0};
	size_t n;

	if (addr->family == AF_INET) {
		prefix[0] = 4;
		memcpy(prefix + 1, addr->addr, 3);
		n = 4;
	} else {
		prefix[0] = 6;
		memcpy(prefix + 1, addr->addr, 6);
		n = 7;
	}
	crypto_generichash(out, LEDGER_CLIENT_BYTES, prefix, n, k->salt, LEDGER_SALT_BYTES);
}

int client_cookie_read(const struct client_keys *k, const char *cookie_header,
		       unsigned char id[LEDGER_COOKIE_BYTES])
{
	const size_t klen = sizeof CLIENT_COOKIE - 1;
	const char *p = cookie_header;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, CLIENT_COOKIE, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1, *end;
			unsigned char raw[CLIENT_COOKIE_RAW];
			size_t n = strcspn(v, "; "), got;
			if (n != CLIENT_COOKIE_LEN ||
			    sodium_base642bin(raw, sizeof raw, v, n, NULL, &got, &end,
					      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
			    got != sizeof raw || end != v + n ||
			    !cookie_tag_ok(k, raw, raw + LEDGER_COOKIE_BYTES))
				return 0;
			memcpy(id, raw, LEDGER_COOKIE_BYTES);
			return 1;
		}
		p = strchr(p, ';');
	}
	return 0;
}

/* New cookie ids come from each thread's store of libsodium's random bytes, COOKIE_STORE ids
 * at a time, instead of one getrandom(2) system call a new buyer's scan. Each id is wiped from
 * the store as it is handed out. */
#define COOKIE_STORE 32

void client_cookie_new(unsigned char id[LEDGER_COOKIE_BYTES])
{
	static _Thread_local unsigned char store[COOKIE_STORE * LEDGER_COOKIE_BYTES];
	static _Thread_local unsigned left;
	unsigned char *next;

	if (left == 0) {
		randombytes_buf(store, sizeof store);
		left = COOKIE_STORE;
	}
	next = store + --left * LEDGER_COOKIE_BYTES;
	memcpy(id, next, LEDGER_COOKIE_BYTES);
	sodium_memzero(next, LEDGER_COOKIE_BYTES);
}

void client_cookie_value(const struct client_keys *k, const unsigned char id[LEDGER_COOKIE_BYTES],
			 char out[CLIENT_COOKIE_LEN + 1])
{
	unsigned char raw[CLIENT_COOKIE_RAW];

	memcpy(raw, id, LEDGER_COOKIE_BYTES);
	cookie_tag(k, id, raw + LEDGER_COOKIE_BYTES);
	sodium_bin2base64(out, CLIENT_COOKIE_LEN + 1, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int client_is_preview_agent(const char *user_agent)
{
	if (user_agent == NULL)
		return 0;
	for (size_t i = 0; i < sizeof preview_agents / sizeof preview_agents[0]; i++)
		if (strcasestr(user_agent, preview_agents[i]) != NULL)
			return 1;
	return 0;
}

/* 1 when a Sec-Purpose or Purpose header value asks for a prefetch or prerender. */
static int speculative(const char *purpose)
{
	return purpose != NULL && (strcasestr(purpose, "prefetch") != NULL ||
				   strcasestr(purpose, "prerender") != NULL);
}

int client_is_navigation(const char *method, const char *sec_fetch_dest, const char *sec_purpose,
			 const char *purpose, const char *user_agent)
{
	if (strcmp(method, "GET") != 0)
		return 0;
	if (sec_fetch_dest != NULL && strcasecmp(sec_fetch_dest, "document") != 0)
		return 0;
	if (speculative(sec_purpose) || speculative(purpose))
		return 0;
	return !client_is_preview_agent(user_agent);
}

void client_request_id(const struct client_keys *k, const struct client_proxies *proxies,
		       const struct sockaddr *peer, const char *xff,
		       unsigned char out[LEDGER_CLIENT_BYTES])
{
	struct client_net addr;

	if (client_address(proxies, peer, xff, &addr) != TEM_OK) {
		memset(&addr, 0, sizeof addr);
		addr.family = AF_INET6;
	}
	client_prefix_id(k, &addr, out);
}
