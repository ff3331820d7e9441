/* test_claim.c — claim PINs: known answers computed apart (Python's hashlib BLAKE2b, keyed,
 * 8-byte digest) each with tampered twins, what a buyer may type, and the 0600 key file. */
#include "tests/unit/testutil.h"

#include <sys/stat.h>

#include "label/claim.h"

static unsigned char K[CLAIM_KEY_BYTES];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < CLAIM_KEY_BYTES; i++)
		K[i] = (unsigned char)i;
	return 0;
}

static void test_claim_pin_known_answers(void **state)
{
	static const struct {
		uint64_t serial;
		const char *pin;
	} v[] = {{1, "2768108117"}, {1042, "7782008847"}, {UINT64_MAX, "3581598746"}};
	char pin[CLAIM_PIN_DIGITS + 1], shown[CLAIM_PIN_TEXT_MAX];
	unsigned char other[CLAIM_KEY_BYTES];

	(void)state;
	memcpy(other, K, sizeof other);
	other[31] ^= 1;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		claim_pin(K, v[i].serial, pin);
		assert_string_equal(pin, v[i].pin);
		/* twins: the next serial, and a key one bit away, give other PINs */
		claim_pin(K, v[i].serial + 1, pin);
		assert_string_not_equal(pin, v[i].pin);
		claim_pin(other, v[i].serial, pin);
		assert_string_not_equal(pin, v[i].pin);
	}
	claim_pin(K, 1042, pin);
	claim_pin_format(pin, shown);
	assert_string_equal(shown, "77820 08847");
}

static void test_claim_commitment_known_answer(void **state)
{
	static const char want[] =
	    "0c44f06b60bd761e38f5ac817dbb9aa485f4d51aab8d1b3e779f7c39c30c6226";
	unsigned char c[CLAIM_COMMIT_BYTES];
	char hex[2 * CLAIM_COMMIT_BYTES + 1];

	(void)state;
	claim_commit(K, c);
	sodium_bin2hex(hex, sizeof hex, c, sizeof c);
	assert_string_equal(hex, want);
}

static void test_claim_pin_check_accepts_what_buyers_type(void **state)
{
	static const char *const right[] = {"7782008847", "77820 08847", "7782-008-847",
					    " 77820.08847 "};
	static const char *const wrong[] = {"7782008848",  "778200884",  "77820088470", "",
					    "7782008847x", "77820O8847", "7782008847\n"};

	(void)state;
	for (size_t i = 0; i < sizeof right / sizeof right[0]; i++)
		if (!claim_pin_check(K, 1042, right[i], strlen(right[i])))
			fail_msg("'%s' was refused", right[i]);
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		if (claim_pin_check(K, 1042, wrong[i], strlen(wrong[i])))
			fail_msg("'%s' was accepted", wrong[i]);
	/* the right PIN of another serial is wrong here */
	assert_false(claim_pin_check(K, 1043, "7782008847", 10));
}

static void test_claim_key_file(void **state)
{
	const char *dir = scratch_dir();
	char path[512], other[512], buf[600];
	unsigned char c[CLAIM_COMMIT_BYTES], k[CLAIM_KEY_BYTES], k2[CLAIM_KEY_BYTES];
	struct tem_err err;
	struct stat st;

	(void)state;
	snprintf(path, sizeof path, "%s/b.txt.claim", dir);
	snprintf(other, sizeof other, "%s/other.claim", dir);
	assert_string_equal(claim_key_path("x/b.txt", buf, sizeof buf), "x/b.txt.claim");
	assert_null(claim_key_path("x/b.txt", buf, 8));
	claim_key_new(k);
	claim_commit(k, c);
	assert_int_equal(claim_key_save(path, "20261127-1", k, 0, &err), TEM_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(claim_key_save(path, "20261127-1", k, 0, &err), TEM_ERR);
	assert_int_equal(claim_key_load(path, c, k2, &err), TEM_OK);
	assert_memory_equal(k, k2, sizeof k);
	/* another batch's key is named as such, and nothing is handed back */
	claim_key_new(k2);
	assert_int_equal(claim_key_save(other, "x", k2, 0, &err), TEM_OK);
	assert_int_equal(claim_key_load(other, c, k2, &err), TEM_NO);
	assert_non_null(strstr(err.msg, "not the claim key of this batch"));
	assert_true(sodium_is_zero(k2, sizeof k2));
	/* a damaged file is an error, not a key */
	write_file(other, "tem-claim v1\nclaim-key: AAAA\n", 29);
	assert_int_equal(claim_key_load(other, c, k2, &err), TEM_ERR);
	write_file(other, "hello\n", 6);
	assert_int_equal(claim_key_load(other, c, k2, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "not a tem claim key file"));
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_claim_pin_known_answers),
	    cmocka_unit_test(test_claim_commitment_known_answer),
	    cmocka_unit_test(test_claim_pin_check_accepts_what_buyers_type),
	    cmocka_unit_test(test_claim_key_file),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
