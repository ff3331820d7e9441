/* auth.c — API tokens and the dashboard's sessions (auth.h, docs/api.md "Tokens"). A token is
 * "tem_" and 32 random bytes in base64url; the ledger keeps its BLAKE2b hash (ledger_tokens.c).
 * A session cookie is stateless: the token's hash, the session's end and a crypto_auth MAC
 * under a key derived from LEDGER.secret, so that temd keeps no session table and revoking or
 * expiring the token it names ends it. */
#include "server/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "keys/date.h"
#include "keys/text.h"
#include "server/log.h"
#include "server/server.h"

_Static_assert(AUTH_HASH_BYTES == TOKENS_HASH_BYTES && AUTH_NAME_MAX == TOKENS_NAME_MAX,
	       "the ledger keeps a token's hash and name as auth.h makes them");

#define RAW_BYTES   32 /* a token's random bytes */
#define SESSION_RAW (AUTH_HASH_BYTES + 8 + crypto_auth_BYTES)
#define SESSION_CTX "temsessn" /* crypto_kdf context: the session cookie's MAC key */
#define HASH_KEY    "tem api token hash, version 1." /* 30 bytes: the hash's domain */

int auth_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= AUTH_NAME_MAX && text_is_clean(name, n) &&
	       !text_has_hidden(name, n, NULL);
}

/* The hash of a token's random bytes. */
static void hash_raw(const unsigned char raw[RAW_BYTES], unsigned char hash[AUTH_HASH_BYTES])
{
	crypto_generichash(hash, AUTH_HASH_BYTES, raw, RAW_BYTES, (const unsigned char *)HASH_KEY,
			   sizeof HASH_KEY - 1);
}

void auth_token_new(char token[AUTH_TOKEN_LEN + 1], unsigned char hash[AUTH_HASH_BYTES])
{
	unsigned char raw[RAW_BYTES];

	randombytes_buf(raw, sizeof raw);
	memcpy(token, AUTH_TOKEN_PREFIX, 4);
	sodium_bin2base64(token + 4, AUTH_TOKEN_LEN + 1 - 4, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	hash_raw(raw, hash);
	sodium_memzero(raw, sizeof raw);
}

int auth_token_hash(const char *token, size_t len, unsigned char hash[AUTH_HASH_BYTES])
{
	unsigned char raw[RAW_BYTES];
	size_t n = 0;
	const char *end = NULL;

	memset(hash, 0, AUTH_HASH_BYTES);
	if (len != AUTH_TOKEN_LEN || memcmp(token, AUTH_TOKEN_PREFIX, 4) != 0)
		return -1;
	if (sodium_base642bin(raw, sizeof raw, token + 4, len - 4, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != RAW_BYTES || end != token + len)
		return -1;
	hash_raw(raw, hash);
	sodium_memzero(raw, sizeof raw);
	return 0;
}

void auth_session_key(const unsigned char *secret, unsigned char key[AUTH_KEY_BYTES])
{
	crypto_kdf_derive_from_key(key, AUTH_KEY_BYTES, 1, SESSION_CTX, secret);
}

void auth_session_make(const unsigned char key[AUTH_KEY_BYTES],
		       const unsigned char hash[AUTH_HASH_BYTES], int64_t expires_ms,
		       char out[AUTH_SESSION_LEN + 1])
{
	unsigned char raw[SESSION_RAW];
	uint64_t e = (uint64_t)expires_ms;

	memcpy(raw, hash, AUTH_HASH_BYTES);
	for (int i = 0; i < 8; i++)
		raw[AUTH_HASH_BYTES + i] = (unsigned char)(e >> (56 - 8 * i));
	crypto_auth(raw + AUTH_HASH_BYTES + 8, raw, AUTH_HASH_BYTES + 8, key);
	sodium_bin2base64(out, AUTH_SESSION_LEN + 1, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int auth_session_verify(const unsigned char key[AUTH_KEY_BYTES], const char *value, int64_t now_ms,
			unsigned char hash[AUTH_HASH_BYTES], int64_t *expires_ms)
{
	unsigned char raw[SESSION_RAW];
	size_t n = 0, len = value != NULL ? strlen(value) : 0;
	const char *end = NULL;
	uint64_t e = 0;

	if (len != AUTH_SESSION_LEN ||
	    sodium_base642bin(raw, sizeof raw, value, len, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != SESSION_RAW || end != value + len ||
	    crypto_auth_verify(raw + AUTH_HASH_BYTES + 8, raw, AUTH_HASH_BYTES + 8, key) != 0)
		return 0;
	for (int i = 0; i < 8; i++)
		e = e << 8 | raw[AUTH_HASH_BYTES + i];
	if ((int64_t)e <= now_ms)
		return 0;
	memcpy(hash, raw, AUTH_HASH_BYTES);
	*expires_ms = (int64_t)e;
	return 1;
}

/* The outcome of a check. */
enum check { C_OK, C_REFUSED, C_FAILED };

/* Looks the token of hash up: C_OK with *who filled when it is in force and unexpired at now;
 * C_REFUSED when it is missing, revoked or expired (logged by its name, for operators);
 * C_FAILED when the ledger could not be read. */
static enum check check_hash(struct temd *t, const unsigned char hash[AUTH_HASH_BYTES], int64_t now,
			     struct auth_who *who)
{
	struct token_row row;
	struct tem_err err;
	int rc;

	if (t->tokens == NULL)
		return C_REFUSED;
	rc = ledger_tokens_find(t->tokens, hash, &row, &err);
	if (rc == TEM_ERR) {
		log_msg(LOG_LV_ERROR, "api: cannot look a token up: %s", err.msg);
		return C_FAILED;
	}
	/* the row was found by its hash; compared again in constant time all the same */
	if (rc != TEM_OK || sodium_memcmp(row.hash, hash, AUTH_HASH_BYTES) != 0)
		return C_REFUSED;
	if (row.revoked_ms != 0 || (row.expires_ms != 0 && row.expires_ms <= now)) {
		log_msg(LOG_LV_INFO, "api: refused token \"%s\": %s", row.name,
			row.revoked_ms != 0 ? "revoked" : "expired");
		return C_REFUSED;
	}
	memset(who, 0, sizeof *who);
	memcpy(who->name, row.name, sizeof who->name);
	memcpy(who->producer, row.producer, sizeof who->producer);
	who->expires_ms = row.expires_ms;
	return C_OK;
}

/* Checks a token as typed (surrounding blanks ignored); hash gets its hash. */
static enum check check_token(struct temd *t, const char *token, int64_t now, struct auth_who *who,
			      unsigned char hash[AUTH_HASH_BYTES])
{
	size_t len;

	while (*token == ' ' || *token == '\t')
		token++;
	len = strlen(token);
	while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
		len--;
	if (auth_token_hash(token, len, hash) != 0)
		return C_REFUSED;
	return check_hash(t, hash, now, who);
}

/* Checks the session cookie's value. */
static enum check check_session(struct temd *t, const char *value, int64_t now,
				struct auth_who *who)
{
	unsigned char key[AUTH_KEY_BYTES], hash[AUTH_HASH_BYTES];
	int64_t until;
	int ok;

	if (t->secret == NULL)
		return C_REFUSED;
	auth_session_key(t->secret, key);
	ok = auth_session_verify(key, value, now, hash, &until);
	sodium_memzero(key, sizeof key);
	if (!ok)
		return C_REFUSED;
	enum check c = check_hash(t, hash, now, who);
	if (c == C_OK)
		who->session = 1;
	return c;
}

/* The 401: JSON for the API, the route's sign-in page (or a plain one) for HTML routes. The
 * transport adds WWW-Authenticate: Bearer to every 401. */
static enum MHD_Result unauthorized(struct request *rq)
{
	static const char page[] =
	    "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width\"><title>tem</title><h1>Cần đăng nhập</h1>"
	    "<p><a href=\"/dashboard\">Đăng nhập bằng mã truy cập API</a>.</p>"
	    "<p lang=\"en\"><a href=\"/dashboard\">Sign in with an API token</a>.</p></html>\n";

	if (rq->as_page) {
		char *copy;
		if (rq->route != NULL && rq->route->unauthorized != NULL)
			return rq->route->unauthorized(rq, "");
		copy = strdup(page);
		return http_html(rq, 401, copy, copy != NULL ? strlen(copy) : 0);
	}
	return http_error(rq, 401, "unauthorized",
			  "a valid API token is needed: Authorization: Bearer TOKEN");
}

int auth_request(struct request *rq, int cookie_ok, struct auth_who *who, enum MHD_Result *answer)
{
	static const char *const in_url[] = {"token", "access_token"};
	const char *authz = http_header(rq, "Authorization"), *cookie = NULL;
	unsigned char hash[AUTH_HASH_BYTES];
	int64_t now = date_now_ms();
	enum check c;

	memset(who, 0, sizeof *who);
	/* a token in a URL ends up in histories, proxies' logs and Referer headers: refused,
	 * whether or not it is right */
	for (size_t i = 0; i < sizeof in_url / sizeof in_url[0]; i++)
		if (http_arg(rq, in_url[i]) != NULL) {
			*answer = http_error(rq, 400, "bad-parameter",
					     "%s: API tokens go in the Authorization header, never "
					     "in the URL",
					     in_url[i]);
			return 0;
		}
	if (authz == NULL && cookie_ok)
		cookie =
		    MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, AUTH_SESSION_COOKIE);
	if (authz == NULL && cookie == NULL) {
		*answer = unauthorized(rq); /* nothing tried: counts against no limit */
		return 0;
	}
	/* only failures take from the network's bucket, but a network out of them has nothing
	 * checked, right or wrong: a guess is never answered */
	if (http_limit_reached(rq, LIMIT_SIGNIN, answer))
		return 0;
	if (authz != NULL) {
		c = strncasecmp(authz, "Bearer ", 7) == 0
			? check_token(rq->t, authz + 7, now, who, hash)
			: C_REFUSED;
	} else {
		/* a session cookie is MAC'd: one that does not check is no guess at a token */
		c = check_session(rq->t, cookie, now, who);
		if (c == C_REFUSED) {
			*answer = unauthorized(rq);
			return 0;
		}
	}
	if (c == C_OK)
		return 1;
	if (c == C_FAILED) {
		*answer = http_error(rq, 503, "ledger-failing",
				     "temd cannot read its ledger now; try again in a moment");
		return 0;
	}
	memset(who, 0, sizeof *who);
	if (http_over_limit(rq, LIMIT_SIGNIN, answer))
		return 0;
	*answer = unauthorized(rq);
	return 0;
}

/* The Set-Cookie value of a session cookie (value "" and Max-Age 0 end it). */
static void set_cookie(struct request *rq, const char *value, long max_age, char *cookie,
		       size_t cap)
{
	snprintf(cookie, cap,
		 AUTH_SESSION_COOKIE "=%s; Max-Age=%ld; Path=/dashboard; HttpOnly; "
				     "SameSite=Strict%s",
		 value, max_age, rq->t->secure_cookie ? "; Secure" : "");
}

int auth_sign_in(struct request *rq, const char *token, struct auth_who *who, char *cookie,
		 size_t cap, unsigned *retry_after)
{
	unsigned char key[AUTH_KEY_BYTES], hash[AUTH_HASH_BYTES];
	char value[AUTH_SESSION_LEN + 1];
	int64_t now = date_now_ms(), until;
	enum check c;

	memset(who, 0, sizeof *who);
	if (cap > 0)
		cookie[0] = '\0';
	*retry_after = 0;
	if (!http_limit(rq, LIMIT_SIGNIN, 0, retry_after))
		return -1;
	c = rq->t->secret != NULL ? check_token(rq->t, token, now, who, hash) : C_REFUSED;
	if (c != C_OK) {
		memset(who, 0, sizeof *who);
		if (c == C_REFUSED)
			http_limit(rq, LIMIT_SIGNIN, 1, retry_after);
		return 0;
	}
	until = now + (int64_t)AUTH_SESSION_SECONDS * 1000;
	if (who->expires_ms != 0 && who->expires_ms < until)
		until = who->expires_ms;
	auth_session_key(rq->t->secret, key);
	auth_session_make(key, hash, until, value);
	sodium_memzero(key, sizeof key);
	set_cookie(rq, value, (long)((until - now + 999) / 1000), cookie, cap);
	who->session = 1;
	log_msg(LOG_LV_INFO, "api: token \"%s\" signed in to the dashboard", who->name);
	return 1;
}

void auth_sign_out(struct request *rq, char *cookie, size_t cap)
{
	set_cookie(rq, "", 0, cookie, cap);
}

enum MHD_Result route_token(struct request *rq, const char *rest)
{
	char when[21];
	json_t *o;

	(void)rest;
	if (rq->who.expires_ms != 0)
		date_format_iso((time_t)(rq->who.expires_ms / 1000), when);
	o = json_pack("{s:s,s:s?,s:s?}", "name", rq->who.name, "producer",
		      rq->who.producer[0] != '\0' ? rq->who.producer : NULL, "expires",
		      rq->who.expires_ms != 0 ? when : NULL);
	if (o == NULL)
		return http_error(rq, 500, "internal", "out of memory");
	return http_json(rq, 200, o);
}
