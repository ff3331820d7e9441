/* test_secrets.c — temd's secret file (made 0600 at the first start, read back the same,
 * refused when others can read it, damaged or a symbolic link) and the claim keys sealed with
 * it (open only with the same secret and for the same batch). */
#include "tests/unit/testutil.h"

#include <sys/stat.h>

#include "server/secrets.h"

static void test_secrets_file_is_made_0600_and_read_back(void **state)
{
	const char *dir = scratch_dir();
	unsigned char a[SECRETS_BYTES], b[SECRETS_BYTES], zero[SECRETS_BYTES] = {0};
	char path[300];
	struct tem_err err;
	struct stat st;
	int created;

	(void)state;
	snprintf(path, sizeof path, "%s/l.db.secret", dir);
	assert_int_equal(secrets_load(path, a, &created, &err), TEM_OK);
	assert_int_equal(created, 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, SECRETS_BYTES);
	assert_memory_not_equal(a, zero, SECRETS_BYTES);
	assert_int_equal(secrets_load(path, b, &created, &err), TEM_OK);
	assert_int_equal(created, 0);
	assert_memory_equal(a, b, SECRETS_BYTES);
	scratch_remove(dir);
}

static void test_secrets_refuses_readable_damaged_or_linked_files(void **state)
{
	const char *dir = scratch_dir();
	unsigned char a[SECRETS_BYTES];
	char path[300], link[300];
	struct tem_err err;
	FILE *f;

	(void)state;
	snprintf(path, sizeof path, "%s/l.db.secret", dir);
	assert_int_equal(secrets_load(path, a, NULL, &err), TEM_OK);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(secrets_load(path, a, NULL, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "l.db.secret"));
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_int_equal(chmod(path, 0600), 0);
	/* one byte too many */
	assert_non_null(f = fopen(path, "ab"));
	fputc('x', f);
	fclose(f);
	assert_int_equal(secrets_load(path, a, NULL, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "damaged"));
	/* a symbolic link to it */
	snprintf(link, sizeof link, "%s/link.secret", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(secrets_load(link, a, NULL, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "symbolic link"));
	scratch_remove(dir);
}

static void test_secrets_seal_opens_only_for_its_secret_and_batch(void **state)
{
	unsigned char s1[SECRETS_BYTES], s2[SECRETS_BYTES], k[CLAIM_KEY_BYTES],
	    out[CLAIM_KEY_BYTES];
	unsigned char sealed[SECRETS_SEALED_BYTES], again[SECRETS_SEALED_BYTES];

	(void)state;
	randombytes_buf(s1, sizeof s1);
	randombytes_buf(s2, sizeof s2);
	randombytes_buf(k, sizeof k);
	secrets_seal(s1, k, "3F9A0C21D4E5B6A7", 1001, sealed);
	assert_null(memmem(sealed, sizeof sealed, k, sizeof k));
	assert_int_equal(secrets_open(s1, sealed, sizeof sealed, "3F9A0C21D4E5B6A7", 1001, out),
			 TEM_OK);
	assert_memory_equal(out, k, sizeof k);
	/* a fresh nonce every time */
	secrets_seal(s1, k, "3F9A0C21D4E5B6A7", 1001, again);
	assert_memory_not_equal(sealed, again, sizeof sealed);
	/* tampered twins: another secret, another batch, another key id, a flipped bit, short */
	assert_int_equal(secrets_open(s2, sealed, sizeof sealed, "3F9A0C21D4E5B6A7", 1001, out),
			 TEM_NO);
	assert_int_equal(secrets_open(s1, sealed, sizeof sealed, "3F9A0C21D4E5B6A7", 1002, out),
			 TEM_NO);
	assert_int_equal(secrets_open(s1, sealed, sizeof sealed, "3F9A0C21D4E5B6A8", 1001, out),
			 TEM_NO);
	sealed[30] ^= 1;
	assert_int_equal(secrets_open(s1, sealed, sizeof sealed, "3F9A0C21D4E5B6A7", 1001, out),
			 TEM_NO);
	sealed[30] ^= 1;
	assert_int_equal(secrets_open(s1, sealed, sizeof sealed - 1, "3F9A0C21D4E5B6A7", 1001, out),
			 TEM_NO);
	assert_int_equal(secrets_open(s1, NULL, 0, "3F9A0C21D4E5B6A7", 1001, out), TEM_NO);
}

static void test_secrets_client_salt_moves_out_of_the_ledger(void **state)
{
	const char *dir = scratch_dir();
	char path[600];
	unsigned char a[SECRETS_BYTES], b[SECRETS_BYTES], old[SECRETS_SALT_BYTES];
	unsigned char s1[SECRETS_SALT_BYTES], s2[SECRETS_SALT_BYTES];
	struct tem_err err;
	struct stat st;
	int moved;

	(void)state;
	snprintf(path, sizeof path, "%s/l.db.secret", dir);
	memset(old, 0x33, sizeof old);
	assert_int_equal(secrets_load(path, a, NULL, &err), TEM_OK);
	/* an old ledger's salt goes into the file, which keeps its sealing secret */
	assert_int_equal(secrets_client_salt(path, old, s1, &moved, &err), TEM_OK);
	assert_int_equal(moved, 1);
	assert_memory_equal(s1, old, sizeof old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, SECRETS_FILE_BYTES);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(secrets_load(path, b, NULL, &err), TEM_OK);
	assert_memory_equal(a, b, sizeof a);
	/* read back as it is; the same salt again is "moved" (the ledger's removal is redone) */
	assert_int_equal(secrets_client_salt(path, NULL, s2, &moved, &err), TEM_OK);
	assert_int_equal(moved, 0);
	assert_memory_equal(s1, s2, sizeof s1);
	assert_int_equal(secrets_client_salt(path, old, s2, &moved, &err), TEM_OK);
	assert_int_equal(moved, 1);
	scratch_remove(dir);
	/* a new ledger: a new random salt */
	dir = scratch_dir();
	snprintf(path, sizeof path, "%s/l.db.secret", dir);
	assert_int_equal(secrets_load(path, a, NULL, &err), TEM_OK);
	assert_int_equal(secrets_client_salt(path, NULL, s1, &moved, &err), TEM_OK);
	assert_int_equal(moved, 0);
	assert_memory_not_equal(s1, old, sizeof old);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_secrets_client_salt_moves_out_of_the_ledger),
	    cmocka_unit_test(test_secrets_file_is_made_0600_and_read_back),
	    cmocka_unit_test(test_secrets_refuses_readable_damaged_or_linked_files),
	    cmocka_unit_test(test_secrets_seal_opens_only_for_its_secret_and_batch),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
