/* test_limits.c — temd's per-client token buckets (a burst, then the refill rate, Retry-After
 * rounded up; clients and kinds apart; bounded memory under many clients), --rate-limit's
 * parser, and the per-address connection counts. */
#include "tests/unit/testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "server/limits.h"

static void client_of(unsigned n, unsigned char c[LEDGER_CLIENT_BYTES])
{
	memset(c, 0x5a, LEDGER_CLIENT_BYTES);
	memcpy(c, &n, sizeof n);
	c[8] = (unsigned char)(n * 7);
}

static void test_limits_bucket_gives_a_burst_then_the_rate(void **state)
{
	struct limits_config cfg;
	struct tem_err err;
	struct limits *l;
	unsigned char a[LEDGER_CLIENT_BYTES], b[LEDGER_CLIENT_BYTES];
	unsigned retry;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(limits_parse("scans=6/m", &cfg, &err), TEM_OK);
	assert_non_null(l = limits_new(&cfg));
	client_of(1, a);
	client_of(2, b);
	for (int i = 0; i < 6; i++)
		assert_int_equal(limits_take(l, LIMIT_SCAN, a, 1000.0, &retry), 1);
	assert_int_equal(limits_take(l, LIMIT_SCAN, a, 1000.0, &retry), 0);
	assert_int_equal(retry, 10); /* one token every 10 s */
	assert_int_equal(limits_take(l, LIMIT_SCAN, a, 1009.5, &retry), 0);
	assert_int_equal(retry, 1); /* half a second, rounded up */
	assert_int_equal(limits_take(l, LIMIT_SCAN, a, 1010.0, &retry), 1);
	assert_int_equal(limits_take(l, LIMIT_SCAN, a, 1010.0, &retry), 0);
	/* another client, and another kind (no limit given: none) are apart */
	assert_int_equal(limits_take(l, LIMIT_SCAN, b, 1010.0, &retry), 1);
	assert_int_equal(limits_take(l, LIMIT_CLAIM, a, 1010.0, &retry), 1);
	/* a minute later the bucket is full again, no more */
	for (int i = 0; i < 6; i++)
		assert_int_equal(limits_take(l, LIMIT_SCAN, a, 1080.0, &retry), 1);
	assert_int_equal(limits_take(l, LIMIT_SCAN, a, 1080.0, &retry), 0);
	limits_free(l);
}

static void test_limits_table_is_bounded_under_many_clients(void **state)
{
	struct limits_config cfg;
	struct tem_err err;
	struct limits *l;
	unsigned char c[LEDGER_CLIENT_BYTES];
	unsigned retry, limited = 0;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(limits_parse("scans=1/h", &cfg, &err), TEM_OK);
	assert_non_null(l = limits_new(&cfg));
	/* four times as many clients as slots: each gets its first scan (a forgotten client
	 * starts full), and nothing grows */
	for (unsigned n = 0; n < 4 * LIMITS_SLOTS; n++) {
		client_of(n, c);
		assert_int_equal(limits_take(l, LIMIT_SCAN, c, 5.0, &retry), 1);
	}
	/* the latest clients are still remembered */
	for (unsigned n = 4 * LIMITS_SLOTS - 100; n < 4 * LIMITS_SLOTS; n++) {
		client_of(n, c);
		limited += !limits_take(l, LIMIT_SCAN, c, 5.0, &retry);
	}
	assert_true(limited >= 90);
	limits_free(l);
}

static void test_limits_parse_reads_and_refuses(void **state)
{
	struct limits_config cfg;
	struct tem_err err;
	char text[200];

	(void)state;
	limits_default(&cfg);
	limits_format(&cfg, text, sizeof text);
	assert_string_equal(text, LIMITS_DEFAULT);
	assert_int_equal(limits_parse("claims=3/s,batches=0/h", &cfg, &err), TEM_OK);
	limits_format(&cfg, text, sizeof text);
	assert_string_equal(text, "scans=60/m,claims=3/s,batches=0/m,signins=10/m");
	assert_int_equal(limits_parse("0", &cfg, &err), TEM_OK);
	assert_int_equal(cfg.rule[LIMIT_SCAN].burst, 0);
	assert_int_equal(limits_parse("scans=5/week", &cfg, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "unit is s, m, h or d"));
	assert_int_equal(limits_parse("hugs=5/m", &cfg, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "'hugs' is not scans"));
	assert_int_equal(limits_parse("scans=-1/m", &cfg, &err), TEM_ERR);
	assert_int_equal(limits_parse("scans", &cfg, &err), TEM_ERR);
	assert_int_equal(limits_parse("", &cfg, &err), TEM_ERR);
}

static void test_conn_counts_limit_each_address(void **state)
{
	struct conn_counts *c;
	struct sockaddr_in a = {.sin_family = AF_INET}, b = {.sin_family = AF_INET};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6}, v6b = {.sin6_family = AF_INET6};

	(void)state;
	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	inet_pton(AF_INET, "192.0.2.2", &b.sin_addr);
	inet_pton(AF_INET6, "2001:db8:1:2::1", &v6.sin6_addr);
	inet_pton(AF_INET6, "2001:db8:1:2::99", &v6b.sin6_addr); /* the same /64 */
	assert_non_null(c = conn_counts_new(2));
	assert_int_equal(conn_counts_open(c, (struct sockaddr *)&a), 1);
	assert_int_equal(conn_counts_open(c, (struct sockaddr *)&a), 1);
	assert_int_equal(conn_counts_allow(c, (struct sockaddr *)&a), 0);
	assert_int_equal(conn_counts_open(c, (struct sockaddr *)&a), 0);
	assert_int_equal(conn_counts_allow(c, (struct sockaddr *)&b), 1);
	conn_counts_close(c, (struct sockaddr *)&a);
	conn_counts_close(c, (struct sockaddr *)&a);
	assert_int_equal(conn_counts_allow(c, (struct sockaddr *)&a), 1);
	assert_int_equal(conn_counts_open(c, (struct sockaddr *)&v6), 1);
	assert_int_equal(conn_counts_open(c, (struct sockaddr *)&v6b), 1);
	assert_int_equal(conn_counts_allow(c, (struct sockaddr *)&v6), 0);
	conn_counts_close(c, (struct sockaddr *)&v6);
	conn_counts_close(c, (struct sockaddr *)&v6b);
	conn_counts_close(c, (struct sockaddr *)&a);
	conn_counts_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limits_bucket_gives_a_burst_then_the_rate),
	    cmocka_unit_test(test_limits_table_is_bounded_under_many_clients),
	    cmocka_unit_test(test_limits_parse_reads_and_refuses),
	    cmocka_unit_test(test_conn_counts_limit_each_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
