/* test_serial.c — durable serial reservation on real files in a scratch folder: the first
 * range starts at 1, ranges never overlap (one after another, or from processes racing), and a
 * damaged, unreadable or exhausted counter is refused rather than restarted. */
#include "tests/unit/testutil.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include "label/serial.h"

#define PROCS  6
#define ROUNDS 40

static void key_path(const char *dir, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/p.key", dir);
}

static void write_counter(const char *key, const char *text)
{
	char path[600];

	snprintf(path, sizeof path, "%s.serial", key);
	write_file(path, text, strlen(text));
}

static void test_serial_first_range_starts_at_1_and_ranges_follow(void **state)
{
	const char *dir = scratch_dir();
	char key[512], path[600], *text;
	uint64_t first;
	size_t len;
	struct tem_err err;

	(void)state;
	key_path(dir, key, sizeof key);
	assert_int_equal(serial_init(key, 0, &err), TEM_OK); /* as tem keygen does */
	assert_int_equal(serial_init(key, 0, &err), TEM_ERR);
	assert_int_equal(serial_reserve(key, 24, &first, &err), TEM_OK);
	assert_int_equal(first, 1);
	assert_int_equal(serial_reserve(key, 5, &first, &err), TEM_OK);
	assert_int_equal(first, 25);
	assert_int_equal(serial_reserve(key, 1, &first, &err), TEM_OK);
	assert_int_equal(first, 30);
	snprintf(path, sizeof path, "%s.serial", key);
	text = read_file(path, &len);
	assert_string_equal(text, "31\n");
	free(text);
	assert_int_equal(serial_reserve(key, 0, &first, &err), TEM_ERR);
	scratch_remove(dir);
}

/* Each child reserves ROUNDS ranges of random sizes and writes "first count" lines to its
 * own file; the parent then checks that no two ranges of any process overlap. */
static void reserve_in_child(const char *key, const char *out)
{
	FILE *f = fopen(out, "w");
	struct tem_err err;

	if (f == NULL)
		_exit(3);
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t first, count = 1 + randombytes_uniform(1000);
		if (serial_reserve(key, count, &first, &err) != TEM_OK)
			_exit(4);
		fprintf(f, "%llu %llu\n", (unsigned long long)first, (unsigned long long)count);
	}
	_exit(fclose(f) == 0 ? 0 : 5);
}

static int by_first(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void test_serial_concurrent_processes_never_overlap(void **state)
{
	const char *dir = scratch_dir();
	char key[512], out[600];
	uint64_t ranges[PROCS * ROUNDS][2], total = 0;
	size_t n = 0;
	pid_t pids[PROCS];
	struct tem_err err;

	(void)state;
	key_path(dir, key, sizeof key);
	assert_int_equal(serial_init(key, 0, &err), TEM_OK);
	for (int p = 0; p < PROCS; p++) {
		snprintf(out, sizeof out, "%s/out.%d", dir, p);
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0)
			reserve_in_child(key, out);
	}
	for (int p = 0; p < PROCS; p++) {
		int st;
		assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		snprintf(out, sizeof out, "%s/out.%d", dir, p);
		FILE *f = fopen(out, "r");
		unsigned long long a, b;
		assert_non_null(f);
		while (fscanf(f, "%llu %llu", &a, &b) == 2) {
			ranges[n][0] = a, ranges[n][1] = b;
			total += b;
			n++;
		}
		fclose(f);
	}
	assert_int_equal(n, PROCS * ROUNDS);
	qsort(ranges, n, sizeof ranges[0], by_first);
	/* sorted by first serial, each range ends exactly where the next begins: no overlap and
	 * no gap, from 1 to the total */
	assert_int_equal(ranges[0][0], 1);
	for (size_t i = 1; i < n; i++)
		if (ranges[i - 1][0] + ranges[i - 1][1] != ranges[i][0])
			fail_msg("range %llu+%llu is followed by %llu",
				 (unsigned long long)ranges[i - 1][0],
				 (unsigned long long)ranges[i - 1][1],
				 (unsigned long long)ranges[i][0]);
	assert_int_equal(ranges[n - 1][0] + ranges[n - 1][1], total + 1);
	scratch_remove(dir);
}

static void test_serial_refuses_a_damaged_counter(void **state)
{
	static const char *const bad[] = {"",      "\n",   "abc\n", "12x\n",
					  "-5\n",  " 7\n", "0\n",   "99999999999999999999999\n",
					  "7\n8\n"};
	const char *dir = scratch_dir();
	char key[512];
	uint64_t first = 0;
	struct tem_err err;

	(void)state;
	key_path(dir, key, sizeof key);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_counter(key, bad[i]);
		if (serial_reserve(key, 1, &first, &err) != TEM_ERR)
			fail_msg("counter '%s' was accepted (first %llu)", bad[i],
				 (unsigned long long)first);
		assert_non_null(strstr(err.msg, ".serial"));
	}
	write_counter(key, "41"); /* no final newline: still a number */
	assert_int_equal(serial_reserve(key, 1, &first, &err), TEM_OK);
	assert_int_equal(first, 41);
	scratch_remove(dir);
}

static void test_serial_refuses_exhaustion(void **state)
{
	const char *dir = scratch_dir();
	char key[512], line[32];
	uint64_t first;
	struct tem_err err;

	(void)state;
	key_path(dir, key, sizeof key);
	snprintf(line, sizeof line, "%llu\n", (unsigned long long)(UINT64_MAX - 10));
	write_counter(key, line);
	assert_int_equal(serial_reserve(key, 11, &first, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "exhausted"));
	assert_int_equal(serial_reserve(key, 10, &first, &err), TEM_OK);
	assert_int_equal(first, UINT64_MAX - 10);
	assert_int_equal(serial_reserve(key, 1, &first, &err), TEM_ERR);
	scratch_remove(dir);
}

static void test_serial_never_restarts_an_unreadable_counter(void **state)
{
	const char *dir = scratch_dir();
	char key[512], path[600];
	uint64_t first = 0;
	struct tem_err err;

	(void)state;
	key_path(dir, key, sizeof key);
	snprintf(path, sizeof path, "%s.serial", key);
	/* a folder where the counter should be: it exists and cannot be read as a file */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(serial_reserve(key, 1, &first, &err), TEM_ERR);
	assert_int_equal(first, 0);
	rmdir(path);
	/* a counter without read permission (root reads it anyway: then it must count on) */
	write_counter(key, "500\n");
	assert_int_equal(chmod(path, 0), 0);
	int rc = serial_reserve(key, 1, &first, &err);
	if (geteuid() != 0)
		assert_int_equal(rc, TEM_ERR);
	else
		assert_true(rc == TEM_OK && first == 500);
	/* a counter too large to be one */
	chmod(path, 0600);
	char big[100];
	memset(big, '1', sizeof big);
	write_file(path, big, sizeof big);
	assert_int_equal(serial_reserve(key, 1, &first, &err), TEM_ERR);
	assert_true(first == 0 || first == 500);
	scratch_remove(dir);
}

static void test_serial_missing_counter_is_refused_not_restarted(void **state)
{
	const char *dir = scratch_dir();
	char key[512], path[600];
	uint64_t first = 0;
	struct tem_err err;

	(void)state;
	key_path(dir, key, sizeof key);
	snprintf(path, sizeof path, "%s.serial", key);
	assert_int_equal(serial_reserve(key, 5, &first, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "the serial counter is missing"));
	assert_non_null(strstr(err.msg, "--first-serial"));
	assert_int_equal(access(path, F_OK), -1); /* nothing reserved, nothing written */
	/* --first-serial N after a lost counter: starts there, and the counter is back */
	assert_int_equal(serial_reserve_from(key, 5, 100, 0, &first, &err), TEM_OK);
	assert_int_equal(first, 100);
	assert_int_equal(serial_reserve(key, 1, &first, &err), TEM_OK);
	assert_int_equal(first, 105);
	/* below the counter: refused; at or past it: skips ahead */
	assert_int_equal(serial_reserve_from(key, 1, 50, 0, &first, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "up to 105 are spent"));
	assert_int_equal(serial_reserve_from(key, 1, 200, 0, &first, &err), TEM_OK);
	assert_int_equal(first, 200);
	scratch_remove(dir);
}

static void test_serial_refuses_to_start_at_or_below_the_servers(void **state)
{
	const char *dir = scratch_dir();
	char key[512], path[600], *text;
	uint64_t first = 0;
	size_t len;
	struct tem_err err;

	(void)state;
	key_path(dir, key, sizeof key);
	snprintf(path, sizeof path, "%s.serial", key);
	write_counter(key, "11\n"); /* an old counter: the server has up to 30 */
	assert_int_equal(serial_reserve_from(key, 5, 0, 30, &first, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "up to 30"));
	assert_non_null(strstr(err.msg, "--first-serial 31"));
	text = read_file(path, &len); /* nothing spent */
	assert_string_equal(text, "11\n");
	free(text);
	assert_int_equal(serial_reserve_from(key, 5, 30, 30, &first, &err), TEM_ERR);
	/* twins: past it, from the counter or from --first-serial */
	assert_int_equal(serial_reserve_from(key, 5, 31, 30, &first, &err), TEM_OK);
	assert_int_equal(first, 31);
	assert_int_equal(serial_reserve_from(key, 5, 0, 30, &first, &err), TEM_OK);
	assert_int_equal(first, 36);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_serial_first_range_starts_at_1_and_ranges_follow),
	    cmocka_unit_test(test_serial_concurrent_processes_never_overlap),
	    cmocka_unit_test(test_serial_refuses_a_damaged_counter),
	    cmocka_unit_test(test_serial_refuses_exhaustion),
	    cmocka_unit_test(test_serial_missing_counter_is_refused_not_restarted),
	    cmocka_unit_test(test_serial_refuses_to_start_at_or_below_the_servers),
	    cmocka_unit_test(test_serial_never_restarts_an_unreadable_counter),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
