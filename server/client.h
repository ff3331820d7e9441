/* client.h — who scanned, without storing who (docs/verdicts.md): a client is a network, the
 * keyed hash (BLAKE2b under the ledger's salt) of the IPv4 /24 or IPv6 /48 a scan comes from.
 * The tem_client cookie is a server-issued random id with a MAC; it never names a client, it
 * only lets the ledger link one buyer's few networks. Which requests are a person's scan, and
 * the client address behind trusted proxies, are decided here too. Raw addresses never leave
 * this module. */
#ifndef TEM_CLIENT_H
#define TEM_CLIENT_H

#include <sodium.h>
#include <stddef.h>
#include <sys/socket.h>

#include "keys/err.h"
#include "server/ledger.h"

#define CLIENT_COOKIE      "tem_client"
#define CLIENT_COOKIE_TAG  32 /* crypto_generichash_BYTES; crypto_auth_BYTES for older ones */
#define CLIENT_COOKIE_RAW  (LEDGER_COOKIE_BYTES + CLIENT_COOKIE_TAG) /* id, then its tag */
#define CLIENT_COOKIE_LEN  64 /* base64url, no padding, of CLIENT_COOKIE_RAW bytes */
#define CLIENT_PROXIES_MAX 32 /* addresses or ranges --trust-proxy takes */

/* The keys of client ids and cookies, both from the ledger's salt. */
struct client_keys {
	unsigned char salt[LEDGER_SALT_BYTES]; /* keys the network prefix hash */
	/* a cookie's tag: keyed BLAKE2b (crypto_generichash) under tag; cookies issued before it
	 * (an HMAC-SHA-512-256, crypto_auth, under mac) are still read until they expire */
	unsigned char tag[crypto_generichash_KEYBYTES]; /* crypto_kdf, "temcooki", subkey 2 */
	unsigned char mac[crypto_auth_KEYBYTES];        /* crypto_kdf, "temcooki", subkey 1 */
};

/* An address, or a range of them (CIDR). IPv4 is kept as IPv4 (mapped IPv6 unwrapped). */
struct client_net {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* 4 or 16 bytes used */
	unsigned bits;          /* prefix length: 32 or 128 for one address */
};

/* The proxies temd trusts to say who their client is (--trust-proxy). */
struct client_proxies {
	size_t n;                                  /* ranges in use */
	struct client_net net[CLIENT_PROXIES_MAX]; /* each an address or CIDR range */
};

/* Fills k from the ledger's salt (the cookie MAC key derived with crypto_kdf, context
 * "temcooki", subkey 1). Always succeeds. */
void client_keys_init(struct client_keys *k, const unsigned char salt[LEDGER_SALT_BYTES]);

/* Parses --trust-proxy's value: addresses or CIDR ranges (IPv4 or IPv6), comma-separated.
 * TEM_OK with out filled, or TEM_ERR with err naming the bad item. */
int client_proxies_parse(const char *list, struct client_proxies *out, struct tem_err *err);

/* The client's address: the peer's, unless the peer is a trusted proxy (proxies may be NULL or
 * empty: none); then the rightmost X-Forwarded-For address (xff: every header line joined with
 * commas, may be NULL) that is not a trusted proxy; an item that is not an address ends the
 * walk at the last address read. TEM_OK with out set, or TEM_NO when peer is not IP. */
int client_address(const struct client_proxies *proxies, const struct sockaddr *peer,
		   const char *xff, struct client_net *out);

/* The client id of an address: the keyed hash of its /24 (IPv4) or /48 (IPv6). */
void client_prefix_id(const struct client_keys *k, const struct client_net *addr,
		      unsigned char out[LEDGER_CLIENT_BYTES]);

/* The client id of a request: client_address, then client_prefix_id; a peer that is not IP
 * (no such listener today) counts as one network. What scans and claims both count by. */
void client_request_id(const struct client_keys *k, const struct client_proxies *proxies,
		       const struct sockaddr *peer, const char *xff,
		       unsigned char out[LEDGER_CLIENT_BYTES]);

/* Reads the tem_client cookie from a Cookie header (may be NULL): 1 with id set when it is
 * one temd issued (right length and a valid MAC), else 0 (absent, forged, old format). */
int client_cookie_read(const struct client_keys *k, const char *cookie_header,
		       unsigned char id[LEDGER_COOKIE_BYTES]);

/* A new cookie id: LEDGER_COOKIE_BYTES random bytes. */
void client_cookie_new(unsigned char id[LEDGER_COOKIE_BYTES]);

/* The cookie value of an id: the id and its MAC, base64url without padding, NUL-terminated. */
void client_cookie_value(const struct client_keys *k, const unsigned char id[LEDGER_COOKIE_BYTES],
			 char out[CLIENT_COOKIE_LEN + 1]);

/* 1 when a GET of the buyer's page is a person's top-level navigation and so counts as a scan;
 * 0 for HEAD, a Sec-Fetch-Dest other than "document", a prefetch or prerender (Sec-Purpose or
 * Purpose), or a known link-preview agent. Any argument but method may be NULL (absent). */
int client_is_navigation(const char *method, const char *sec_fetch_dest, const char *sec_purpose,
			 const char *purpose, const char *user_agent);

/* 1 when the User-Agent names a known link-preview or crawler agent (Facebook, Zalo,
 * WhatsApp, Telegram, ...); NULL is none. */
int client_is_preview_agent(const char *user_agent);

#endif
