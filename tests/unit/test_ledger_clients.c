/* test_ledger_clients.c — copy detection's count of a code's clients (server/ledger_clients.h)
 * against a plain reference written from docs/verdicts.md's rule: networks are clients, and a
 * cookie id seen on 2 to LEDGER_COOKIE_LINKS of them makes those one client. Random codes of
 * every size from 1 to 60 rows, so both the count's small (no allocation) and large paths are
 * covered, and the same rows in another order give the same count. */
#include "tests/unit/testutil.h"

#include <sodium.h>
#include <string.h>

#include "server/ledger_clients.h"

#define MAX_ROWS 60

/* The reference: links networks pairwise through every cookie seen on few enough of them, by
 * repeated relabelling until nothing changes, then counts the labels left. */
static int64_t reference(const struct ledger_net_row *rows, size_t n)
{
	size_t label[MAX_ROWS];
	int changed = 1;
	int64_t groups = 0;

	for (size_t i = 0; i < n; i++) { /* a network's label: its first row */
		label[i] = i;
		for (size_t j = 0; j < i; j++)
			if (memcmp(rows[i].client, rows[j].client, LEDGER_CLIENT_BYTES) == 0) {
				label[i] = j;
				break;
			}
	}
	while (changed) {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			size_t nets = 0;
			if (!rows[i].has_cookie)
				continue;
			/* the distinct networks carrying this cookie */
			for (size_t j = 0; j < n; j++) {
				int first = 1;
				if (!rows[j].has_cookie || memcmp(rows[j].cookie, rows[i].cookie,
								  LEDGER_COOKIE_BYTES) != 0)
					continue;
				for (size_t k = 0; k < j; k++)
					if (rows[k].has_cookie &&
					    memcmp(rows[k].cookie, rows[i].cookie,
						   LEDGER_COOKIE_BYTES) == 0 &&
					    memcmp(rows[k].client, rows[j].client,
						   LEDGER_CLIENT_BYTES) == 0)
						first = 0;
				nets += first;
			}
			if (nets < 2 || nets > LEDGER_COOKIE_LINKS)
				continue;
			for (size_t j = 0; j < n; j++) {
				size_t from, to;
				if (!rows[j].has_cookie ||
				    memcmp(rows[j].cookie, rows[i].cookie, LEDGER_COOKIE_BYTES) !=
					0 ||
				    label[j] == label[i])
					continue;
				from = label[j] > label[i] ? label[j] : label[i];
				to = label[j] > label[i] ? label[i] : label[j];
				for (size_t k = 0; k < n; k++)
					if (label[k] == from)
						label[k] = to;
				changed = 1;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		groups += label[i] == i;
	return groups;
}

/* A random code of n rows over few networks and few cookies, so that links happen. */
static void random_rows(struct ledger_net_row *rows, size_t n)
{
	uint32_t nets = 1 + randombytes_uniform(n < 12 ? (uint32_t)n : 12);
	uint32_t cookies = 1 + randombytes_uniform(8);

	memset(rows, 0, n * sizeof *rows);
	for (size_t i = 0; i < n; i++) {
		rows[i].client[0] = (unsigned char)randombytes_uniform(nets);
		rows[i].has_cookie = randombytes_uniform(5) != 0;
		if (rows[i].has_cookie)
			rows[i].cookie[0] = (unsigned char)(1 + randombytes_uniform(cookies));
	}
}

static void test_count_matches_reference(void **state)
{
	struct ledger_net_row rows[MAX_ROWS], copy[MAX_ROWS];
	int linked = 0;

	(void)state;
	for (size_t n = 1; n <= MAX_ROWS; n++)
		for (int round = 0; round < 40; round++) {
			int64_t want;
			random_rows(rows, n);
			want = reference(rows, n);
			memcpy(copy, rows, n * sizeof *rows);
			assert_int_equal(ledger_count_clients(rows, n), want);
			/* reversed order: the count sorts its rows, so order must not matter */
			for (size_t i = 0; i < n; i++)
				rows[i] = copy[n - 1 - i];
			assert_int_equal(ledger_count_clients(rows, n), want);
			/* counts fewer clients than networks sometimes: links were exercised */
			size_t nets = 0;
			for (size_t i = 0; i < n; i++) {
				int first = 1;
				for (size_t j = 0; j < i; j++)
					first &= memcmp(copy[i].client, copy[j].client,
							LEDGER_CLIENT_BYTES) != 0;
				nets += first;
			}
			linked += want < (int64_t)nets;
		}
	assert_true(linked > 100);
	assert_int_equal(ledger_count_clients(rows, 0), 0);
}

/* A cookie on more networks than LEDGER_COOKIE_LINKS links none of them (a shared phone or a
 * copied cookie), with and without enough rows for the large path. */
static void test_cookie_on_many_networks_links_none(void **state)
{
	struct ledger_net_row rows[MAX_ROWS];

	(void)state;
	for (size_t n = LEDGER_COOKIE_LINKS + 1; n <= 40; n += 9) {
		memset(rows, 0, sizeof rows);
		for (size_t i = 0; i < n; i++) {
			rows[i].client[0] = (unsigned char)i;
			rows[i].has_cookie = 1;
			rows[i].cookie[0] = 9;
		}
		assert_int_equal(ledger_count_clients(rows, n), (int64_t)n);
	}
	memset(rows, 0, sizeof rows);
	for (size_t i = 0; i < LEDGER_COOKIE_LINKS; i++) {
		rows[i].client[0] = (unsigned char)i;
		rows[i].has_cookie = 1;
		rows[i].cookie[0] = 9;
	}
	assert_int_equal(ledger_count_clients(rows, LEDGER_COOKIE_LINKS), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count_matches_reference),
	    cmocka_unit_test(test_cookie_on_many_networks_links_none),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
