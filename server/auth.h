/* auth.h — who may read the ledger (docs/api.md, "Tokens"): the API tokens of regulators and
 * producers, and the dashboard's session cookie. A token is 32 random bytes shown once by
 * `temd token create`; the ledger keeps only its hash, its name, an optional producer scope and
 * expiry, and its revocation. Calls carry `Authorization: Bearer TOKEN`; the dashboard signs in
 * with a token once and then carries a session cookie (HttpOnly, SameSite=Strict, Secure on
 * HTTPS, expiring) that names the token, so a revoked or expired token ends its sessions too.
 * A missing, wrong, expired or revoked token is one answer, 401, with no hint which. Failed
 * attempts are rate-limited per network (--rate-limit signins). Logs name the token, never
 * carry it. */
#ifndef TEM_AUTH_H
#define TEM_AUTH_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_NAME_MAX 64 /* bytes of a token's name */

/* Who a regulator request comes from. */
struct auth_who {
	char name[AUTH_NAME_MAX + 1]; /* the token's name: for logs and the alert workflow */
	char producer[17];  /* the producer key id it is limited to; "" = every producer */
	int session;        /* 1 when it came by the dashboard's session cookie */
	int64_t expires_ms; /* when the token expires, Unix ms; 0 = never */
};

struct request;

/* Authenticates rq by its Authorization: Bearer header, or, when cookie_ok, by the dashboard's
 * session cookie. 1 with *who filled when valid. Else 0 once the answer is queued (*answer
 * says what to return): 401 (JSON, or the sign-in page when rq answers with HTML) for a
 * missing, wrong, expired or revoked token; 400 naming the parameter for a token in the query
 * string; 429 when the network failed too often. */
int auth_request(struct request *rq, int cookie_ok, struct auth_who *who, enum MHD_Result *answer);

/* The dashboard's sign-in: checks token (as typed) and, when it is valid, fills *who and
 * writes into cookie (cap bytes) the Set-Cookie value of a new session. 1 when signed in; 0
 * when the token was refused (counted against the network's sign-in limit); -1 when the
 * network is over that limit (nothing checked: *retry_after seconds to wait). */
int auth_sign_in(struct request *rq, const char *token, struct auth_who *who, char *cookie,
		 size_t cap, unsigned *retry_after);

/* The Set-Cookie value that ends the session (sign out) into cookie (cap bytes). */
void auth_sign_out(struct request *rq, char *cookie, size_t cap);

#endif
