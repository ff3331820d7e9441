/* client.h — who scanned, without storing who: a client is a salted hash (BLAKE2b) of the
 * network prefix (IPv4 /24, IPv6 /48) and the User-Agent, or the tem_client cookie temd gave
 * the browser earlier (which holds that same hash, so a browser keeps its identity when its
 * address changes). Raw addresses never leave this module. */
#ifndef TEM_CLIENT_H
#define TEM_CLIENT_H

#include <sys/socket.h>

#include "server/ledger.h"

#define CLIENT_COOKIE "tem_client"
#define CLIENT_HEX    (2 * LEDGER_CLIENT_BYTES)

/* Fills out with the client's id. peer is the connection's address; forwarded is the
 * X-Forwarded-For header when temd runs behind a trusted proxy (else NULL): its last address
 * is the one the proxy saw. cookie is the Cookie header (may be NULL). Returns 1 when the id
 * came from a valid tem_client cookie, 0 when it was computed (the caller then sets the
 * cookie). */
int client_id(const unsigned char salt[LEDGER_SALT_BYTES], const struct sockaddr *peer,
	      const char *forwarded, const char *ua, const char *cookie,
	      unsigned char out[LEDGER_CLIENT_BYTES]);

/* Fills out with the salted hash of the client's network alone (its prefix, as client_id
 * takes it; no User-Agent, no cookie), which a client cannot change at will: what the claim
 * PIN rate limit counts per. */
void client_network(const unsigned char salt[LEDGER_SALT_BYTES], const struct sockaddr *peer,
		    const char *forwarded, unsigned char out[LEDGER_CLIENT_BYTES]);

/* The cookie value for an id: 32 lower-case hex digits and a NUL. */
void client_hex(const unsigned char id[LEDGER_CLIENT_BYTES], char out[CLIENT_HEX + 1]);

#endif
