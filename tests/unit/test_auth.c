/* test_auth.c — API tokens and the dashboard's session cookie (server/auth.h): a new token's
 * form and hash, tokens of the wrong form refused, names, and session cookies made and checked
 * (right, tampered at every character, expired, under another key, cut or padded); the
 * sign-in limit's peek that takes nothing (server/limits.h). */
#include "tests/unit/testutil.h"

#include <sodium.h>

#include "server/auth.h"
#include "server/limits.h"

static void test_auth_token_has_its_form_and_hash(void **state)
{
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
	unsigned char ha[AUTH_HASH_BYTES], hb[AUTH_HASH_BYTES], h[AUTH_HASH_BYTES];

	(void)state;
	assert_int_equal(sodium_init() >= 0, 1);
	auth_token_new(a, ha);
	auth_token_new(b, hb);
	assert_int_equal(strlen(a), AUTH_TOKEN_LEN);
	assert_memory_equal(a, "tem_", 4);
	assert_string_not_equal(a, b);
	assert_memory_not_equal(ha, hb, AUTH_HASH_BYTES);
	/* base64url: no '+', '/' or '=' in a header value or a cookie */
	assert_int_equal(strcspn(a, "+/="), AUTH_TOKEN_LEN);
	assert_int_equal(auth_token_hash(a, strlen(a), h), 0);
	assert_memory_equal(h, ha, AUTH_HASH_BYTES);
}

static void test_auth_token_of_another_form_is_refused(void **state)
{
	char t[AUTH_TOKEN_LEN + 2];
	unsigned char h[AUTH_HASH_BYTES], want[AUTH_HASH_BYTES];

	(void)state;
	auth_token_new(t, want);
	/* one character changed: another token, another hash */
	t[10] = t[10] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_token_hash(t, strlen(t), h), 0);
	assert_memory_not_equal(h, want, AUTH_HASH_BYTES);
	t[10] = '+'; /* not base64url */
	assert_int_equal(auth_token_hash(t, strlen(t), h), -1);
	t[10] = 'A';
	t[0] = 'x'; /* another prefix */
	assert_int_equal(auth_token_hash(t, strlen(t), h), -1);
	t[0] = 't';
	assert_int_equal(auth_token_hash(t, strlen(t) - 1, h), -1); /* cut */
	t[AUTH_TOKEN_LEN] = 'A';
	t[AUTH_TOKEN_LEN + 1] = '\0';
	assert_int_equal(auth_token_hash(t, strlen(t), h), -1); /* one too many */
	assert_int_equal(auth_token_hash("", 0, h), -1);
}

static void test_auth_names(void **state)
{
	char long_name[AUTH_NAME_MAX + 2];

	(void)state;
	assert_int_equal(auth_name_ok("Sở Khoa học Cà Mau"), 1);
	assert_int_equal(auth_name_ok("inspector-7"), 1);
	assert_int_equal(auth_name_ok(""), 0);
	assert_int_equal(auth_name_ok("tab\there"), 0);
	assert_int_equal(auth_name_ok("new\nline"), 0);
	assert_int_equal(auth_name_ok("bidi\xe2\x80\xae"), 0); /* U+202E */
	assert_int_equal(auth_name_ok("\xff\xfe"), 0);         /* not UTF-8 */
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[AUTH_NAME_MAX] = '\0';
	assert_int_equal(auth_name_ok(long_name), 1);
	long_name[AUTH_NAME_MAX] = 'a';
	long_name[AUTH_NAME_MAX + 1] = '\0';
	assert_int_equal(auth_name_ok(long_name), 0);
}

/* A session key from a made-up LEDGER.secret. */
static void key_of(unsigned char fill, unsigned char key[AUTH_KEY_BYTES])
{
	unsigned char secret[32];

	memset(secret, fill, sizeof secret);
	auth_session_key(secret, key);
}

static void test_auth_session_round_trip(void **state)
{
	unsigned char key[AUTH_KEY_BYTES], hash[AUTH_HASH_BYTES], got[AUTH_HASH_BYTES];
	char value[AUTH_SESSION_LEN + 1];
	int64_t until = 1800000000000, e = 0;

	(void)state;
	key_of(1, key);
	randombytes_buf(hash, sizeof hash);
	auth_session_make(key, hash, until, value);
	assert_int_equal(strlen(value), AUTH_SESSION_LEN);
	assert_int_equal(strcspn(value, "+/=;, "), AUTH_SESSION_LEN); /* a cookie value as is */
	assert_int_equal(auth_session_verify(key, value, until - 1, got, &e), 1);
	assert_memory_equal(got, hash, AUTH_HASH_BYTES);
	assert_int_equal(e, until);
}

static void test_auth_session_expired_is_refused(void **state)
{
	unsigned char key[AUTH_KEY_BYTES], hash[AUTH_HASH_BYTES], got[AUTH_HASH_BYTES];
	char value[AUTH_SESSION_LEN + 1];
	int64_t until = 1800000000000, e = 0;

	(void)state;
	key_of(1, key);
	memset(hash, 7, sizeof hash);
	auth_session_make(key, hash, until, value);
	assert_int_equal(auth_session_verify(key, value, until, got, &e), 0);
	assert_int_equal(auth_session_verify(key, value, until + 1000, got, &e), 0);
}

static void test_auth_session_tampered_is_refused(void **state)
{
	unsigned char key[AUTH_KEY_BYTES], hash[AUTH_HASH_BYTES], got[AUTH_HASH_BYTES];
	char value[AUTH_SESSION_LEN + 1], bad[AUTH_SESSION_LEN + 2];
	int64_t until = 1800000000000, e = 0;

	(void)state;
	key_of(1, key);
	memset(hash, 7, sizeof hash);
	auth_session_make(key, hash, until, value);
	/* every character changed in turn: the token named, the end (a longer session) or the
	 * MAC */
	for (size_t i = 0; i < AUTH_SESSION_LEN; i++) {
		memcpy(bad, value, sizeof value);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(auth_session_verify(key, bad, 0, got, &e), 0);
	}
	memcpy(bad, value, sizeof value);
	bad[AUTH_SESSION_LEN - 1] = '\0';
	assert_int_equal(auth_session_verify(key, bad, 0, got, &e), 0); /* cut */
	memcpy(bad, value, sizeof value);
	bad[AUTH_SESSION_LEN] = 'A';
	bad[AUTH_SESSION_LEN + 1] = '\0';
	assert_int_equal(auth_session_verify(key, bad, 0, got, &e), 0); /* longer */
	assert_int_equal(auth_session_verify(key, "", 0, got, &e), 0);
	assert_int_equal(auth_session_verify(key, NULL, 0, got, &e), 0);
}

static void test_auth_session_of_another_key_is_refused(void **state)
{
	unsigned char k1[AUTH_KEY_BYTES], k2[AUTH_KEY_BYTES], hash[AUTH_HASH_BYTES];
	unsigned char got[AUTH_HASH_BYTES];
	char value[AUTH_SESSION_LEN + 1];
	int64_t e = 0;

	(void)state;
	key_of(1, k1);
	key_of(2, k2); /* another ledger's secret */
	assert_memory_not_equal(k1, k2, AUTH_KEY_BYTES);
	memset(hash, 7, sizeof hash);
	auth_session_make(k1, hash, 1800000000000, value);
	assert_int_equal(auth_session_verify(k2, value, 0, got, &e), 0);
	assert_int_equal(auth_session_verify(k1, value, 0, got, &e), 1);
}

static void test_auth_signin_peek_takes_nothing(void **state)
{
	struct limits_config cfg;
	struct tem_err err;
	struct limits *l;
	unsigned char c[LEDGER_CLIENT_BYTES];
	unsigned retry;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	memset(c, 0x33, sizeof c);
	assert_int_equal(limits_parse("signins=2/m", &cfg, &err), TEM_OK);
	assert_non_null(l = limits_new(&cfg));
	for (int i = 0; i < 10; i++) /* right tokens: peeked, never taken */
		assert_int_equal(limits_peek(l, LIMIT_SIGNIN, c, 100.0, &retry), 1);
	assert_int_equal(limits_take(l, LIMIT_SIGNIN, c, 100.0, &retry), 1); /* two failures */
	assert_int_equal(limits_take(l, LIMIT_SIGNIN, c, 100.0, &retry), 1);
	assert_int_equal(limits_peek(l, LIMIT_SIGNIN, c, 100.0, &retry), 0);
	assert_int_equal(retry, 30);
	assert_int_equal(limits_peek(l, LIMIT_SIGNIN, c, 130.0, &retry), 1);
	limits_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auth_token_has_its_form_and_hash),
	    cmocka_unit_test(test_auth_token_of_another_form_is_refused),
	    cmocka_unit_test(test_auth_names),
	    cmocka_unit_test(test_auth_session_round_trip),
	    cmocka_unit_test(test_auth_session_expired_is_refused),
	    cmocka_unit_test(test_auth_session_tampered_is_refused),
	    cmocka_unit_test(test_auth_session_of_another_key_is_refused),
	    cmocka_unit_test(test_auth_signin_peek_takes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
