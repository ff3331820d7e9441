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

#define AUTH_NAME_MAX        64 /* bytes of a token's name */
#define AUTH_TOKEN_PREFIX    "tem_"
#define AUTH_TOKEN_LEN       47 /* "tem_" and 32 random bytes in base64url (43, no padding) */
#define AUTH_HASH_BYTES      32 /* a token's hash, as the ledger keeps it */
#define AUTH_KEY_BYTES       32 /* the session cookie's MAC key */
#define AUTH_SESSION_COOKIE  "tem_session"
#define AUTH_SESSION_SECONDS (12 * 3600) /* a session's life at most (the token's, when less) */
#define AUTH_SESSION_LEN     96          /* characters of a session cookie's value */

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

/* --- the parts, for `temd token` and the tests --- */

/* 1 when name may name a token: 1 to AUTH_NAME_MAX bytes of UTF-8 with no control, hidden or
 * reordering character (keys/text.h), else 0. */
int auth_name_ok(const char *name);

/* A new token (32 random bytes from libsodium, "tem_" and base64url) into token, and its hash
 * into hash. */
void auth_token_new(char token[AUTH_TOKEN_LEN + 1], unsigned char hash[AUTH_HASH_BYTES]);

/* The hash of token (len bytes, as typed): 0, or -1 (hash zeroed) when it is not of a token's
 * form. */
int auth_token_hash(const char *token, size_t len, unsigned char hash[AUTH_HASH_BYTES]);

/* The session cookie's MAC key, derived from LEDGER.secret (32 bytes) with crypto_kdf. */
void auth_session_key(const unsigned char *secret, unsigned char key[AUTH_KEY_BYTES]);

/* A session cookie's value (AUTH_SESSION_LEN characters and a NUL into out) naming the token of
 * hash until expires_ms (Unix ms), MAC'd under key. */
void auth_session_make(const unsigned char key[AUTH_KEY_BYTES],
		       const unsigned char hash[AUTH_HASH_BYTES], int64_t expires_ms,
		       char out[AUTH_SESSION_LEN + 1]);

/* Checks a session cookie's value under key at now_ms: 1 with hash (the token it names) and
 * *expires_ms filled when its MAC is right and it has not expired, else 0. */
int auth_session_verify(const unsigned char key[AUTH_KEY_BYTES], const char *value, int64_t now_ms,
			unsigned char hash[AUTH_HASH_BYTES], int64_t *expires_ms);

#endif
