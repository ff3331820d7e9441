/* test_ledger_kind.c — the engine --db names (ledger_kind): a path is SQLite, a postgres:// or
 * postgresql:// URI or a libpq keyword string is PostgreSQL; and a temd built without
 * PostgreSQL refuses such a ledger with one clear sentence, for the ledger and for its tokens,
 * opening nothing and making no file. */
#include "tests/unit/testutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/ledger.h"
#include "server/ledger_tokens.h"

static void test_paths_are_sqlite(void **state)
{
	static const char *const paths[] = {
	    "ledger.db",
	    "/var/lib/temd/ledger.db",
	    "./host=x.db",
	    "postgres.db",
	    "hostname=x",
	    "dbname",
	    "host",
	    "postgres:/x",
	    "/tmp/a b/host=x",
	    "Host=x",
	    "=host",
	    "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (ledger_kind(paths[i]) != LEDGER_SQLITE)
			fail_msg("\"%s\" taken for PostgreSQL", paths[i]);
	}
}

static void test_connection_strings_are_postgresql(void **state)
{
	static const char *const conns[] = {
	    "postgres://tem@db.example/tem",       "postgresql:///tem?host=/run/postgresql",
	    "host=/run/postgresql dbname=tem",     "dbname=tem",
	    "  host = localhost port=5433",        "service=tem",
	    "user=tem password=secret dbname=tem",
	};

	(void)state;
	for (size_t i = 0; i < sizeof conns / sizeof conns[0]; i++) {
		if (ledger_kind(conns[i]) != LEDGER_POSTGRESQL)
			fail_msg("\"%s\" taken for a file", conns[i]);
	}
}

/* A PostgreSQL ledger that cannot be reached is refused with a clear error at open, and the
 * connection string is never taken for a file to make. */
static void test_unreachable_postgresql_refused(void **state)
{
	struct ledger *l = (struct ledger *)&l; /* must be set to NULL */
	struct tem_err err = {0};

	(void)state;
	assert_int_equal(
	    ledger_open("host=/nonexistent-tem-socket-dir dbname=tem connect_timeout=2", &l, &err),
	    TEM_ERR);
	assert_null(l);
	assert_true(err.msg[0] != '\0');
	assert_null(strstr(err.msg, "password"));
	assert_int_equal(
	    access("host=/nonexistent-tem-socket-dir dbname=tem connect_timeout=2", F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths_are_sqlite),
	    cmocka_unit_test(test_connection_strings_are_postgresql),
	    cmocka_unit_test(test_unreachable_postgresql_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
