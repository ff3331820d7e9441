/* test_verdict.c — the verdict rules of shared/DESIGN.md, case by case, and the client ids. */
#include "tests/unit/testutil.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/client.h"
#include "server/pages.h"
#include "server/verdict.h"

static struct verdict_facts valid(void)
{
	struct verdict_facts f = {.stage = STAGE_VALID,
				  .today = 20000,
				  .last_day = 20010,
				  .revoked = -1,
				  .in_batch = 1,
				  .registered = 19990,
				  .other_clients = 0,
				  .threshold = 2};
	return f;
}

static void test_verdict_counts_other_clients_against_the_threshold(void **state)
{
	struct verdict_facts f = valid();

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
}

static void test_verdict_before_counting(void **state)
{
	struct verdict_facts f = valid();

	(void)state;
	f.stage = STAGE_MALFORMED;
	assert_int_equal(verdict_decide(&f), V_MALFORMED);
	f.stage = STAGE_UNKNOWN_KEY;
	assert_int_equal(verdict_decide(&f), V_UNKNOWN_KEY);
	f.stage = STAGE_INVALID;
	assert_int_equal(verdict_decide(&f), V_INVALID);
	f = valid();
	f.in_batch = 0;
	assert_int_equal(verdict_decide(&f), V_UNREGISTERED);
	f = valid();
	f.today = 20011;
	assert_int_equal(verdict_decide(&f), V_EXPIRED);
	f.last_day = 0; /* no last day: never expires */
	assert_int_equal(verdict_decide(&f), V_GENUINE);
	/* many clients do not turn an expired code into a duplicate */
	f = valid();
	f.today = 20011, f.other_clients = 10;
	assert_int_equal(verdict_decide(&f), V_EXPIRED);
}

static void test_verdict_revocation_spares_earlier_batches(void **state)
{
	struct verdict_facts f = valid();

	(void)state;
	f.revoked = 19995; /* batch registered on 19990: still genuine */
	assert_int_equal(verdict_decide(&f), V_GENUINE);
	f.revoked = 19990; /* the same day: revoked */
	assert_int_equal(verdict_decide(&f), V_REVOKED);
	f.revoked = 19980;
	assert_int_equal(verdict_decide(&f), V_REVOKED);
	f.revoked = 19995, f.in_batch = 0; /* revoked key, no batch */
	assert_int_equal(verdict_decide(&f), V_REVOKED);
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
}

static void test_client_ids(void **state)
{
	unsigned char salt[LEDGER_SALT_BYTES] = {1}, a[16], b[16], c[16];
	struct sockaddr_in p1 = {.sin_family = AF_INET}, p2 = {.sin_family = AF_INET};
	char hex[CLIENT_HEX + 1], cookie[80];

	(void)state;
	p1.sin_addr.s_addr = htonl(0x0a000105); /* 10.0.1.5 */
	p2.sin_addr.s_addr = htonl(0x0a0001c8); /* 10.0.1.200: the same /24 */
	assert_int_equal(client_id(salt, (struct sockaddr *)&p1, NULL, "UA", NULL, a), 0);
	assert_int_equal(client_id(salt, (struct sockaddr *)&p2, NULL, "UA", NULL, b), 0);
	assert_memory_equal(a, b, 16);
	assert_int_equal(client_id(salt, (struct sockaddr *)&p2, NULL, "UA2", NULL, c), 0);
	assert_memory_not_equal(a, c, 16);
	p2.sin_addr.s_addr = htonl(0x0a0002c8); /* another /24 */
	client_id(salt, (struct sockaddr *)&p2, NULL, "UA", NULL, c);
	assert_memory_not_equal(a, c, 16);
	/* another salt, another id */
	salt[0] = 2;
	client_id(salt, (struct sockaddr *)&p1, NULL, "UA", NULL, c);
	assert_memory_not_equal(a, c, 16);
	/* the cookie names the client, wherever it comes from */
	client_hex(a, hex);
	snprintf(cookie, sizeof cookie, "x=1; tem_client=%s; y=2", hex);
	assert_int_equal(client_id(salt, (struct sockaddr *)&p2, NULL, "other", cookie, c), 1);
	assert_memory_equal(a, c, 16);
	/* a malformed cookie is ignored */
	assert_int_equal(client_id(salt, (struct sockaddr *)&p1, NULL, "UA", "tem_client=zz", c),
			 0);
	/* behind a proxy: the last X-Forwarded-For address */
	salt[0] = 1;
	assert_int_equal(client_id(salt, NULL, "203.0.113.9, 10.0.1.7", "UA", NULL, c), 0);
	assert_memory_equal(a, c, 16);
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
	    cmocka_unit_test(test_verdict_counts_other_clients_against_the_threshold),
	    cmocka_unit_test(test_verdict_before_counting),
	    cmocka_unit_test(test_verdict_revocation_spares_earlier_batches),
	    cmocka_unit_test(test_verdict_only_trusted_signatures_are_counted),
	    cmocka_unit_test(test_client_ids),
	    cmocka_unit_test(test_pages_escape_and_choose_a_language),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
