/* test_verdict.c — the verdict rules of shared/DESIGN.md, case by case with each accepted code
 * paired with a refused twin: the shared offline rules (label/verdict.h) at every day
 * boundary, temd's counting rules (server/verdict.h), the client ids and the pages. */
#include "tests/unit/testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label/code.h"
#include "label/verdict.h"
#include "server/client.h"
#include "server/pages.h"
#include "server/verdict.h"

#define TODAY 20000 /* 2024-10-04 */

static struct tem_seckey vsk;
static struct tem_pubkey vpk;

/* A code of the vector key, serial 42, last valid day TODAY + 10, signed. */
static struct tem_code signed_code(void)
{
	struct tem_code c;

	memset(&c, 0, sizeof c);
	c.serial = 42;
	c.last_day = TODAY + 10;
	code_sign(&c, &vsk);
	return c;
}

/* The vector key's trust entry: trusted since long ago, active. */
static struct trust_entry entry(void)
{
	struct trust_entry e;

	memset(&e, 0, sizeof e);
	e.key = vpk;
	e.valid_from = TODAY - 100;
	e.revoked = -1;
	strcpy(e.name, "HTX Năm Căn");
	return e;
}

/* The registered batch holding the code: registered 5 days ago, same last day. */
static struct verdict_batch batch(const struct tem_code *c)
{
	struct verdict_batch b = {.in_batch = 1, .registered = TODAY - 5, .last_day = c->last_day};
	return b;
}

/* Asserts the verdict offline (b NULL) and, when b is given, online. */
#define assert_verdict(want, c, e, b, today)                                                       \
	do {                                                                                       \
		struct tem_err why_;                                                               \
		enum verdict got_ = verdict_judge(c, e, b, today, &why_);                          \
		if (got_ != (want))                                                                \
			fail_msg("expected %s, got %s (%s)", verdict_name(want),                   \
				 verdict_name(got_), why_.msg);                                    \
		if ((want) == V_GENUINE)                                                           \
			assert_string_equal(why_.msg, "");                                         \
		else                                                                               \
			assert_true(why_.msg[0] != '\0');                                          \
	} while (0)

static void test_verdict_genuine_offline_and_online(void **state)
{
	struct tem_code c = signed_code();
	struct trust_entry e = entry();
	struct verdict_batch b = batch(&c);

	(void)state;
	assert_verdict(V_GENUINE, &c, &e, NULL, TODAY);
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY);
	/* a NULL reason is fine */
	assert_int_equal(verdict_judge(&c, &e, &b, TODAY, NULL), V_GENUINE);
}

static void test_verdict_unknown_key_when_not_listed_or_another_key(void **state)
{
	struct tem_code c = signed_code();
	struct trust_entry e = entry(), single;
	struct tem_pubkey other;
	struct tem_seckey osk;
	struct tem_err why;

	(void)state;
	assert_int_equal(verdict_judge(&c, NULL, NULL, TODAY, &why), V_UNKNOWN_KEY);
	assert_non_null(strstr(why.msg, "not in the trust list"));
	/* a single key given alone: its own code is genuine, another key's is unknown-key */
	verdict_entry_of_key(&vpk, &single);
	assert_verdict(V_GENUINE, &c, &single, NULL, TODAY);
	assert_int_equal(single.revoked, -1);
	assert_int_equal(single.valid_from, 0);
	assert_int_equal(keys_generate(&other, &osk, NULL), TEM_OK);
	verdict_entry_of_key(&other, &single);
	assert_int_equal(verdict_judge(&c, &single, NULL, TODAY, &why), V_UNKNOWN_KEY);
	assert_non_null(strstr(why.msg, "not by the key given"));
	/* whatever the registry says */
	struct verdict_batch b = batch(&c);
	assert_verdict(V_UNKNOWN_KEY, &c, NULL, &b, TODAY);
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY);
}

static void test_verdict_key_trusted_only_from_its_valid_from_day(void **state)
{
	struct tem_code c = signed_code();
	struct trust_entry e = entry();
	struct verdict_batch b = batch(&c);
	struct tem_err why;

	(void)state;
	e.valid_from = TODAY - 1; /* yesterday */
	assert_verdict(V_GENUINE, &c, &e, NULL, TODAY);
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY);
	assert_int_equal(verdict_key(&e, TODAY, &why), V_GENUINE);
	e.valid_from = TODAY; /* today: trusted from its first hour */
	assert_verdict(V_GENUINE, &c, &e, NULL, TODAY);
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY);
	assert_int_equal(verdict_key(&e, TODAY, &why), V_GENUINE);
	assert_string_equal(why.msg, "");
	e.valid_from = TODAY + 1; /* tomorrow: not trusted yet, even in a registered batch */
	assert_int_equal(verdict_judge(&c, &e, NULL, TODAY, &why), V_UNKNOWN_KEY);
	assert_string_equal(why.msg, "the producer's key is trusted only from 2024-10-05");
	assert_verdict(V_UNKNOWN_KEY, &c, &e, &b, TODAY);
	assert_int_equal(verdict_key(&e, TODAY, &why), V_UNKNOWN_KEY);
	assert_string_equal(why.msg, "the producer's key is trusted only from 2024-10-05");
	/* and trusted once its day comes */
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY + 1);
	assert_int_equal(verdict_key(NULL, TODAY, &why), V_UNKNOWN_KEY);
}

static void test_verdict_invalid_signature(void **state)
{
	struct tem_code c = signed_code(), t;
	struct trust_entry e = entry();
	struct verdict_batch b = batch(&c);

	(void)state;
	t = c, t.sig[10] ^= 1;
	assert_verdict(V_INVALID, &t, &e, NULL, TODAY);
	assert_verdict(V_INVALID, &t, &e, &b, TODAY);
	t = c, t.serial = 43; /* another serial under the same signature */
	assert_verdict(V_INVALID, &t, &e, &b, TODAY);
	t = c, t.last_day++; /* another last day under the same signature */
	assert_verdict(V_INVALID, &t, &e, NULL, TODAY);
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY);
}

static void test_verdict_revocation_offline_from_its_day(void **state)
{
	struct tem_code c = signed_code();
	struct trust_entry e = entry();
	struct tem_err why;

	(void)state;
	e.revoked = TODAY + 1; /* tomorrow: nothing changes yet */
	assert_verdict(V_GENUINE, &c, &e, NULL, TODAY);
	assert_int_equal(verdict_key(&e, TODAY, &why), V_GENUINE);
	e.revoked = TODAY; /* today */
	assert_int_equal(verdict_judge(&c, &e, NULL, TODAY, &why), V_REVOKED);
	assert_string_equal(why.msg, "the producer's key was revoked on 2024-10-04");
	assert_int_equal(verdict_key(&e, TODAY, &why), V_REVOKED);
	e.revoked = TODAY - 1; /* yesterday */
	assert_verdict(V_REVOKED, &c, &e, NULL, TODAY);
	assert_int_equal(verdict_key(&e, TODAY, &why), V_REVOKED);
}

static void test_verdict_revocation_spares_batches_registered_before(void **state)
{
	struct tem_code c = signed_code();
	struct trust_entry e = entry();
	struct verdict_batch b = batch(&c); /* registered TODAY - 5 */

	(void)state;
	e.revoked = b.registered + 1; /* the day after registration: the batch stays genuine */
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY);
	assert_verdict(V_REVOKED, &c, &e, NULL, TODAY); /* offline knows no registration */
	e.revoked = b.registered;                       /* the day of registration: revoked */
	assert_verdict(V_REVOKED, &c, &e, &b, TODAY);
	e.revoked = b.registered - 1; /* the day before: revoked */
	assert_verdict(V_REVOKED, &c, &e, &b, TODAY);
	/* a serial in no registered batch of a revoked key is revoked, not unregistered */
	e.revoked = b.registered + 1;
	b.in_batch = 0;
	assert_verdict(V_REVOKED, &c, &e, &b, TODAY);
	/* a revocation dated later changes nothing yet, online as offline */
	b = batch(&c);
	e.revoked = TODAY + 1;
	b.registered = TODAY;
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY);
	assert_verdict(V_GENUINE, &c, &e, NULL, TODAY);
	/* revoked today, registered today: both say revoked */
	e.revoked = TODAY;
	assert_verdict(V_REVOKED, &c, &e, &b, TODAY);
	assert_verdict(V_REVOKED, &c, &e, NULL, TODAY);
	/* a spared batch still expires */
	e.revoked = TODAY - 1;
	b.registered = TODAY - 2;
	assert_verdict(V_GENUINE, &c, &e, &b, c.last_day);
	assert_verdict(V_EXPIRED, &c, &e, &b, c.last_day + 1);
}

static void test_verdict_unregistered_serial(void **state)
{
	struct tem_code c = signed_code();
	struct trust_entry e = entry();
	struct verdict_batch b = batch(&c);
	struct tem_err why;

	(void)state;
	b.in_batch = 0;
	assert_int_equal(verdict_judge(&c, &e, &b, TODAY, &why), V_UNREGISTERED);
	assert_non_null(strstr(why.msg, "no registered batch"));
	/* unregistered wins over expired: a stolen key's codes say so whatever their day */
	assert_verdict(V_UNREGISTERED, &c, &e, &b, c.last_day + 1);
	b.in_batch = 1;
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY);
}

static void test_verdict_last_day_must_be_its_batchs(void **state)
{
	struct tem_code c = signed_code(), none;
	struct trust_entry e = entry();
	struct verdict_batch b = batch(&c);
	struct tem_err why;

	(void)state;
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY); /* equal */
	b.last_day = c.last_day + 1;                  /* re-signed with another expiry */
	assert_int_equal(verdict_judge(&c, &e, &b, TODAY, &why), V_UNREGISTERED);
	assert_string_equal(why.msg, "valid signature, but its last valid day 2024-10-14 is not "
				     "its registered batch's (2024-10-15): not part of that batch "
				     "as issued");
	b.last_day = c.last_day - 1;
	assert_verdict(V_UNREGISTERED, &c, &e, &b, TODAY);
	b.last_day = 0; /* the batch carries no expiry, the code does */
	assert_verdict(V_UNREGISTERED, &c, &e, &b, TODAY);
	/* a code with no expiry in a batch with none; and in a batch with one */
	memset(&none, 0, sizeof none);
	none.serial = 42;
	code_sign(&none, &vsk);
	assert_verdict(V_GENUINE, &none, &e, &b, TODAY);
	b.last_day = TODAY + 10;
	assert_verdict(V_UNREGISTERED, &none, &e, &b, TODAY);
	/* a batch whose last day temd does not know: not compared */
	b.last_day = VERDICT_DAY_UNKNOWN;
	assert_verdict(V_GENUINE, &c, &e, &b, TODAY);
	/* offline nothing is known of batches */
	assert_verdict(V_GENUINE, &c, &e, NULL, TODAY);
}

static void test_verdict_expires_the_day_after_its_last_day(void **state)
{
	struct tem_code c = signed_code(), none;
	struct trust_entry e = entry();
	struct verdict_batch b = batch(&c);
	struct tem_err why;

	(void)state;
	assert_verdict(V_GENUINE, &c, &e, NULL, c.last_day); /* on its last day */
	assert_verdict(V_GENUINE, &c, &e, &b, c.last_day);
	assert_int_equal(verdict_judge(&c, &e, NULL, c.last_day + 1, &why), V_EXPIRED);
	assert_string_equal(why.msg, "past its last valid day, 2024-10-14");
	assert_verdict(V_EXPIRED, &c, &e, &b, c.last_day + 1);
	memset(&none, 0, sizeof none);
	none.serial = 42;
	code_sign(&none, &vsk);
	assert_verdict(V_GENUINE, &none, &e, NULL, 60000); /* no last day: never expires */
	/* revoked beats expired */
	e.revoked = TODAY;
	assert_verdict(V_REVOKED, &c, &e, NULL, c.last_day + 1);
}

static void test_verdict_counts_other_clients_against_the_threshold(void **state)
{
	struct verdict_facts f = {.base = V_GENUINE, .other_clients = 0, .threshold = 2};

	(void)state;
	assert_int_equal(verdict_decide(&f), V_GENUINE);
	f.other_clients = 1;
	assert_int_equal(verdict_decide(&f), V_SEEN);
	f.other_clients = 2;
	assert_int_equal(verdict_decide(&f), V_SEEN);
	f.other_clients = 3;
	assert_int_equal(verdict_decide(&f), V_DUPLICATE);
	f.threshold = 0, f.other_clients = 1;
	assert_int_equal(verdict_decide(&f), V_DUPLICATE);
	/* many clients do not turn a code that is not genuine into a duplicate */
	f.other_clients = 10;
	f.base = V_EXPIRED;
	assert_int_equal(verdict_decide(&f), V_EXPIRED);
	f.base = V_UNREGISTERED;
	assert_int_equal(verdict_decide(&f), V_UNREGISTERED);
	f.base = V_REVOKED;
	assert_int_equal(verdict_decide(&f), V_REVOKED);
	/* claims beat counts: sold to everyone but the claimer, whatever the counts */
	f.base = V_GENUINE;
	f.claimed = 1;
	for (f.other_clients = 0; f.other_clients < 5; f.other_clients++)
		assert_int_equal(verdict_decide(&f), V_SOLD);
	f.claimed_by_this = 1, f.threshold = 2;
	f.other_clients = 0;
	assert_int_equal(verdict_decide(&f), V_GENUINE);
	f.other_clients = 1;
	assert_int_equal(verdict_decide(&f), V_SEEN);
	f.claimed_by_this = 0, f.base = V_EXPIRED;
	assert_int_equal(verdict_decide(&f), V_EXPIRED);
	assert_string_equal(verdict_name(V_SOLD), "sold");
}

static void test_verdict_only_trusted_signatures_are_counted(void **state)
{
	(void)state;
	assert_true(verdict_is_counted(V_GENUINE));
	assert_true(verdict_is_counted(V_UNREGISTERED));
	assert_true(verdict_is_counted(V_EXPIRED));
	assert_true(verdict_is_counted(V_REVOKED));
	assert_false(verdict_is_counted(V_INVALID));
	assert_false(verdict_is_counted(V_UNKNOWN_KEY));
	assert_false(verdict_is_counted(V_MALFORMED));
	assert_string_equal(verdict_name(V_UNKNOWN_KEY), "unknown-key");
	assert_string_equal(verdict_name(V_DUPLICATE), "duplicate");
	assert_string_equal(verdict_name(V_COUNT), "malformed");
	assert_string_equal(verdict_name((enum verdict) - 1), "malformed");
}

/* The client id of an IPv4 address a.b.c.d under keys k. */
static void id_of(const struct client_keys *k, const char *addr, unsigned char out[16])
{
	struct client_net n;
	struct sockaddr_in p = {.sin_family = AF_INET};

	assert_int_equal(inet_pton(AF_INET, addr, &p.sin_addr), 1);
	assert_int_equal(client_address(NULL, (struct sockaddr *)&p, NULL, &n), TEM_OK);
	client_prefix_id(k, &n, out);
}

static void test_client_is_a_network_prefix(void **state)
{
	unsigned char salt[LEDGER_SALT_BYTES] = {1}, a[16], b[16], c[16];
	struct client_keys k, k2;
	struct sockaddr_in6 p6 = {.sin6_family = AF_INET6};
	struct client_net n;

	(void)state;
	client_keys_init(&k, salt);
	id_of(&k, "10.0.1.5", a);
	id_of(&k, "10.0.1.200", b); /* the same /24 */
	assert_memory_equal(a, b, 16);
	id_of(&k, "10.0.2.200", c); /* another /24 */
	assert_memory_not_equal(a, c, 16);
	salt[0] = 2; /* another salt, another id */
	client_keys_init(&k2, salt);
	id_of(&k2, "10.0.1.5", c);
	assert_memory_not_equal(a, c, 16);
	/* an IPv4-mapped IPv6 peer is its IPv4 network */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.0.1.9", &p6.sin6_addr), 1);
	assert_int_equal(client_address(NULL, (struct sockaddr *)&p6, NULL, &n), TEM_OK);
	client_prefix_id(&k, &n, c);
	assert_memory_equal(a, c, 16);
	/* IPv6: a /48 */
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2::5", &p6.sin6_addr), 1);
	client_address(NULL, (struct sockaddr *)&p6, NULL, &n);
	client_prefix_id(&k, &n, a);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:ffff::9", &p6.sin6_addr), 1);
	client_address(NULL, (struct sockaddr *)&p6, NULL, &n);
	client_prefix_id(&k, &n, b);
	assert_memory_equal(a, b, 16);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:2::5", &p6.sin6_addr), 1);
	client_address(NULL, (struct sockaddr *)&p6, NULL, &n);
	client_prefix_id(&k, &n, b);
	assert_memory_not_equal(a, b, 16);
}

static void test_client_cookie_is_macd(void **state)
{
	unsigned char salt[LEDGER_SALT_BYTES] = {7}, id[16], got[16];
	struct client_keys k, other;
	char value[CLIENT_COOKIE_LEN + 1], hdr[200];

	(void)state;
	client_keys_init(&k, salt);
	salt[0] = 8;
	client_keys_init(&other, salt);
	client_cookie_new(id);
	client_cookie_value(&k, id, value);
	assert_int_equal(strlen(value), CLIENT_COOKIE_LEN);
	snprintf(hdr, sizeof hdr, "x=1; " CLIENT_COOKIE "=%s; y=2", value);
	assert_int_equal(client_cookie_read(&k, hdr, got), 1);
	assert_memory_equal(id, got, 16);
	/* another server's key: not ours */
	assert_int_equal(client_cookie_read(&other, hdr, got), 0);
	/* one character changed: refused */
	value[5] = value[5] == 'A' ? 'B' : 'A';
	snprintf(hdr, sizeof hdr, CLIENT_COOKIE "=%s", value);
	assert_int_equal(client_cookie_read(&k, hdr, got), 0);
	/* the old format (32 hex digits), garbage, absent */
	assert_int_equal(
	    client_cookie_read(&k, CLIENT_COOKIE "=00112233445566778899aabbccddeeff", got), 0);
	assert_int_equal(client_cookie_read(&k, CLIENT_COOKIE "=zz", got), 0);
	assert_int_equal(client_cookie_read(&k, NULL, got), 0);
	assert_int_equal(client_cookie_read(&k, "other=1", got), 0);
}

/* The Cookie header that sends raw (an id and a tag) as the tem_client cookie, into hdr. */
static void cookie_header(const unsigned char raw[CLIENT_COOKIE_RAW], char hdr[200])
{
	char value[CLIENT_COOKIE_LEN + 1];

	sodium_bin2base64(value, sizeof value, raw, CLIENT_COOKIE_RAW,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(hdr, 200, CLIENT_COOKIE "=%s", value);
}

/* A new cookie's tag is keyed BLAKE2b under the cookie key's second subkey; a cookie issued
 * with the HMAC tag cookies had before is still read (it lives two years), under that key
 * only. */
static void test_client_cookie_tags_new_and_older(void **state)
{
	unsigned char salt[LEDGER_SALT_BYTES] = {7}, id[16], got[16], raw[CLIENT_COOKIE_RAW];
	unsigned char key[crypto_generichash_KEYBYTES], mac[crypto_auth_KEYBYTES];
	struct client_keys k;
	char value[CLIENT_COOKIE_LEN + 1], hdr[200];

	(void)state;
	client_keys_init(&k, salt);
	client_cookie_new(id);
	client_cookie_value(&k, id, value);
	assert_int_equal(sodium_base642bin(raw, sizeof raw, value, strlen(value), NULL, NULL, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
			 0);
	crypto_kdf_derive_from_key(key, sizeof key, 2, "temcooki", salt);
	unsigned char want[crypto_generichash_BYTES];
	crypto_generichash(want, sizeof want, id, sizeof id, key, sizeof key);
	assert_memory_equal(raw + 16, want, sizeof want);

	/* the older tag, made as temd made it before */
	crypto_kdf_derive_from_key(mac, sizeof mac, 1, "temcooki", salt);
	memcpy(raw, id, 16);
	crypto_auth(raw + 16, raw, 16, mac);
	cookie_header(raw, hdr);
	assert_int_equal(client_cookie_read(&k, hdr, got), 1);
	assert_memory_equal(id, got, 16);
	/* the older tag under the new tag's key, or the reverse: refused */
	crypto_auth(raw + 16, raw, 16, key);
	cookie_header(raw, hdr);
	assert_int_equal(client_cookie_read(&k, hdr, got), 0);
	crypto_generichash(raw + 16, crypto_generichash_BYTES, id, sizeof id, mac, sizeof mac);
	cookie_header(raw, hdr);
	assert_int_equal(client_cookie_read(&k, hdr, got), 0);
}

/* The address client_address picks for peer (IPv4) and xff, as text. */
static const char *picked(const struct client_proxies *p, const char *peer, const char *xff)
{
	static char buf[INET6_ADDRSTRLEN];
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct client_net n;

	assert_int_equal(inet_pton(AF_INET, peer, &a.sin_addr), 1);
	assert_int_equal(client_address(p, (struct sockaddr *)&a, xff, &n), TEM_OK);
	assert_non_null(inet_ntop(n.family, n.addr, buf, sizeof buf));
	return buf;
}

static void test_client_address_behind_trusted_proxies(void **state)
{
	struct client_proxies p, none = {0};
	struct tem_err err;

	(void)state;
	assert_int_equal(client_proxies_parse("127.0.0.1,10.1.0.0/16,::1", &p, &err), TEM_OK);
	assert_int_equal(p.n, 3);
	/* no trusted proxy: X-Forwarded-For is ignored */
	assert_string_equal(picked(&none, "127.0.0.1", "203.0.113.9"), "127.0.0.1");
	/* an untrusted peer: its own address */
	assert_string_equal(picked(&p, "192.0.2.1", "203.0.113.9"), "192.0.2.1");
	/* the rightmost address that is not a proxy, whatever the client wrote to its left */
	assert_string_equal(picked(&p, "127.0.0.1", "1.2.3.4, 203.0.113.9"), "203.0.113.9");
	assert_string_equal(picked(&p, "127.0.0.1", "1.2.3.4, 203.0.113.9, 10.1.2.3"),
			    "203.0.113.9");
	/* garbage ends the walk at the last address read */
	assert_string_equal(picked(&p, "127.0.0.1", "203.0.113.9, junk, 10.1.2.3"), "10.1.2.3");
	/* every hop a proxy: the leftmost */
	assert_string_equal(picked(&p, "127.0.0.1", "10.1.9.9"), "10.1.9.9");
	/* bad lists */
	assert_int_equal(client_proxies_parse("10.0.0.0/33", &p, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "prefix length"));
	assert_int_equal(client_proxies_parse("proxy.example", &p, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "'proxy.example' is not"));
	assert_int_equal(client_proxies_parse("10.0.0.1,", &p, &err), TEM_ERR);
	assert_int_equal(client_proxies_parse("10.0.0.0/", &p, &err), TEM_ERR);
}

static void test_client_only_a_persons_navigation_counts(void **state)
{
	static const char chrome[] = "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile";

	(void)state;
	assert_true(client_is_navigation("GET", NULL, NULL, NULL, chrome));
	assert_true(client_is_navigation("GET", "document", NULL, NULL, chrome));
	assert_true(client_is_navigation("GET", NULL, NULL, NULL, NULL));
	/* in-app browsers are people */
	assert_true(client_is_navigation("GET", "document", NULL, NULL,
					 "Mozilla/5.0 (iPhone) Mobile/15E148 Zalo iOS/23.07"));
	assert_true(client_is_navigation("GET", NULL, NULL, NULL,
					 "Mozilla/5.0 (iPhone) [FBAN/FBIOS;FBAV/470.0]"));
	assert_false(client_is_navigation("HEAD", NULL, NULL, NULL, chrome));
	assert_false(client_is_navigation("GET", "image", NULL, NULL, chrome));
	assert_false(client_is_navigation("GET", "iframe", NULL, NULL, chrome));
	assert_false(client_is_navigation("GET", "document", "prefetch", NULL, chrome));
	assert_false(client_is_navigation("GET", "document", "prefetch;prerender", NULL, chrome));
	assert_false(client_is_navigation("GET", NULL, NULL, "prefetch", chrome));
	assert_false(client_is_navigation(
	    "GET", NULL, NULL, NULL,
	    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"));
	assert_false(client_is_navigation("GET", NULL, NULL, NULL, "WhatsApp/2.23.20.0 A"));
	assert_false(
	    client_is_navigation("GET", NULL, NULL, NULL, "TelegramBot (like TwitterBot)"));
	assert_false(client_is_navigation("GET", NULL, NULL, NULL,
					  "Mozilla/5.0 (compatible; Googlebot/2.1)"));
	assert_false(client_is_navigation("GET", NULL, NULL, NULL, "Zalobot/1.0"));
}

static void test_pages_escape_and_choose_a_language(void **state)
{
	struct page_scan s = {.verdict = V_GENUINE,
			      .short_id = "<script>x</script>",
			      .producer = "A & B \"co\"",
			      .product = "Cua Cà Mau",
			      .batch_id = "",
			      .authority = "Sở KH&CN"};
	char *html;
	size_t len;

	(void)state;
	assert_int_equal(pages_scan(&s, LANG_VI, &html, &len), 0);
	assert_null(strstr(html, "<script>"));
	assert_non_null(strstr(html, "&lt;script&gt;"));
	assert_non_null(strstr(html, "A &amp; B &quot;co&quot;"));
	assert_non_null(strstr(html, "Hàng chính hãng"));
	free(html);
	assert_int_equal(pages_lang(NULL, NULL), LANG_VI);
	assert_int_equal(pages_lang(NULL, "en-US,en;q=0.9,vi;q=0.8"), LANG_EN);
	assert_int_equal(pages_lang(NULL, "vi-VN,vi;q=0.9,en;q=0.8"), LANG_VI);
	assert_int_equal(pages_lang("en", "vi"), LANG_EN);
	assert_int_equal(pages_lang("xx", "fr-FR"), LANG_VI);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdict_genuine_offline_and_online),
	    cmocka_unit_test(test_verdict_unknown_key_when_not_listed_or_another_key),
	    cmocka_unit_test(test_verdict_key_trusted_only_from_its_valid_from_day),
	    cmocka_unit_test(test_verdict_invalid_signature),
	    cmocka_unit_test(test_verdict_revocation_offline_from_its_day),
	    cmocka_unit_test(test_verdict_revocation_spares_batches_registered_before),
	    cmocka_unit_test(test_verdict_unregistered_serial),
	    cmocka_unit_test(test_verdict_last_day_must_be_its_batchs),
	    cmocka_unit_test(test_verdict_expires_the_day_after_its_last_day),
	    cmocka_unit_test(test_verdict_counts_other_clients_against_the_threshold),
	    cmocka_unit_test(test_verdict_only_trusted_signatures_are_counted),
	    cmocka_unit_test(test_client_is_a_network_prefix),
	    cmocka_unit_test(test_client_cookie_is_macd),
	    cmocka_unit_test(test_client_cookie_tags_new_and_older),
	    cmocka_unit_test(test_client_address_behind_trusted_proxies),
	    cmocka_unit_test(test_client_only_a_persons_navigation_counts),
	    cmocka_unit_test(test_pages_escape_and_choose_a_language),
	};
	if (sodium_init() < 0)
		return 1;
	vector_key(&vsk, &vpk);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
