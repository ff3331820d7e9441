/* test_code.c — the signed code v1: known-answer vectors with tampered twins, canonical
 * text, parsing of codes and URLs, errors that name the cause, expiry. */
#include "tests/unit/testutil.h"

#include "keys/date.h"
#include "label/code.h"

struct vector {
	uint64_t serial;
	char day[16];
	char text[CODE_TEXT_LEN + 2];
};

static struct vector vectors[16];
static size_t nvectors;
static struct tem_seckey vsk;
static struct tem_pubkey vpk;

/* Loads tests/vectors/codes-v1.txt and checks its key against the fixed seed. */
static int load_vectors(void **state)
{
	char line[512], hex[65];
	FILE *f = fopen(TEM_SOURCE_DIR "/tests/vectors/codes-v1.txt", "r");

	(void)state;
	if (f == NULL || sodium_init() < 0)
		return -1;
	vector_key(&vsk, &vpk);
	sodium_bin2hex(hex, sizeof hex, vpk.pk, 32);
	while (fgets(line, sizeof line, f) != NULL) {
		struct vector *v = &vectors[nvectors];
		unsigned long long s;
		if (strncmp(line, "public-key: ", 12) == 0 && strncmp(line + 12, hex, 64) != 0)
			return -1;
		if (sscanf(line, "code %llu %15s %134s", &s, v->day, v->text) == 3) {
			v->serial = s;
			nvectors++;
		}
	}
	fclose(f);
	return nvectors >= 5 ? 0 : -1;
}

static void make_code(struct tem_code *c, const struct vector *v)
{
	int32_t d = 0;

	memset(c, 0, sizeof *c);
	c->serial = v->serial;
	if (strcmp(v->day, "none") != 0)
		assert_int_equal(date_parse(v->day, &d, NULL), TEM_OK);
	c->last_day = (uint16_t)d;
	code_sign(c, &vsk);
}

static void test_code_matches_known_answer_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < nvectors; i++) {
		struct tem_code c, back;
		char text[CODE_TEXT_LEN + 1];
		struct tem_err err;
		make_code(&c, &vectors[i]);
		code_to_text(&c, text);
		assert_string_equal(text, vectors[i].text);
		assert_int_equal(code_from_text(vectors[i].text, CODE_TEXT_LEN, &back, &err),
				 TEM_OK);
		assert_int_equal(back.serial, vectors[i].serial);
		assert_int_equal(code_verify(&back, &vpk, &err), TEM_OK);
	}
}

static void test_code_every_single_character_change_is_rejected(void **state)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	char text[CODE_TEXT_LEN + 1];
	unsigned tried = 0;

	(void)state;
	for (size_t v = 0; v < 2; v++) {
		for (size_t pos = 0; pos < CODE_TEXT_LEN; pos++) {
			for (size_t a = 0; a < 32; a++) {
				struct tem_code c;
				struct tem_err err;
				memcpy(text, vectors[v].text, sizeof text);
				if (text[pos] == alphabet[a])
					continue;
				text[pos] = alphabet[a];
				tried++;
				if (code_from_text(text, CODE_TEXT_LEN, &c, &err) != TEM_OK)
					continue;
				if (code_verify(&c, &vpk, &err) == TEM_OK)
					fail_msg("changing character %zu to %c still verifies",
						 pos + 1, alphabet[a]);
			}
		}
	}
	assert_int_equal(tried, 2 * CODE_TEXT_LEN * 31);
}

static void test_code_rejects_noncanonical_padding(void **state)
{
	char text[CODE_TEXT_LEN + 1];
	struct tem_code c;
	struct tem_err err;

	(void)state;
	memcpy(text, vectors[0].text, sizeof text);
	/* the last character carries 4 data bits and 1 padding bit: set the padding bit */
	const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	int v = (int)(strchr(alphabet, text[CODE_TEXT_LEN - 1]) - alphabet);
	assert_int_equal(v & 1, 0);
	text[CODE_TEXT_LEN - 1] = alphabet[v | 1];
	assert_int_equal(code_from_text(text, CODE_TEXT_LEN, &c, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "non-canonical"));
}

static void test_code_errors_name_the_cause(void **state)
{
	char text[CODE_TEXT_LEN + 2];
	struct tem_code c;
	struct tem_err err;

	(void)state;
	assert_int_equal(code_from_text(vectors[0].text, CODE_TEXT_LEN - 1, &c, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "132 characters long, expected 133"));
	memcpy(text, vectors[0].text, CODE_TEXT_LEN + 1);
	text[16] = '1';
	assert_int_equal(code_from_text(text, CODE_TEXT_LEN, &c, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "character 17 ('1')"));
	text[16] = (char)0xC3;
	assert_int_equal(code_from_text(text, CODE_TEXT_LEN, &c, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "byte 0xC3"));
	/* version 2: first byte 0x02 -> first character 'A' and second 'I' */
	memcpy(text, vectors[0].text, CODE_TEXT_LEN + 1);
	text[0] = 'A';
	text[1] = 'I';
	assert_int_equal(code_from_text(text, CODE_TEXT_LEN, &c, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "version 2"));
	assert_int_equal(code_parse("  ", 2, &c, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(code_parse("https://tem.example.vn/x/AAAA", 29, &c, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "/C/"));
}

static void test_code_parse_accepts_urls_in_either_case(void **state)
{
	/* what comes before and after the code */
	static const char *const forms[][2] = {{"", ""},
					       {"  ", "\n"},
					       {"HTTPS://TEM.EXAMPLE.VN/C/", ""},
					       {"https://tem.example.vn/c/", ""},
					       {"http://127.0.0.1:8080/C/", "?lang=en"},
					       {"HTTP://127.0.0.1:8080/PREFIX/C/", "/"}};
	char in[512], lower[CODE_TEXT_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		for (int lc = 0; lc < 2; lc++) {
			struct tem_code c;
			struct tem_err err;
			for (size_t k = 0; k <= CODE_TEXT_LEN; k++)
				lower[k] = lc ? (char)(vectors[1].text[k] |
						       (vectors[1].text[k] >= 'A' ? 0x20 : 0))
					      : vectors[1].text[k];
			snprintf(in, sizeof in, "%s%s%s", forms[i][0], lower, forms[i][1]);
			if (code_parse(in, strlen(in), &c, &err) != TEM_OK)
				fail_msg("'%s' did not parse: %s", in, err.msg);
			assert_int_equal(c.serial, 1042);
			assert_int_equal(code_verify(&c, &vpk, &err), TEM_OK);
		}
	}
}

static void test_code_url_form_is_upper_case_alphanumeric(void **state)
{
	struct tem_code c, back;
	struct tem_err err;
	char url[CODE_URL_MAX];

	(void)state;
	make_code(&c, &vectors[1]);
	assert_int_equal(code_to_url(&c, "http://127.0.0.1:8080/", url, sizeof url, &err), TEM_OK);
	assert_int_equal(strncmp(url, "HTTP://127.0.0.1:8080/C/", 24), 0);
	assert_string_equal(url + 24, vectors[1].text);
	assert_int_equal(code_parse(url, strlen(url), &back, &err), TEM_OK);
	assert_memory_equal(back.sig, c.sig, 64);
	assert_int_equal(code_to_url(&c, "https://tem.vn/?x=1", url, sizeof url, &err), TEM_ERR);
	assert_int_equal(code_to_url(&c, "https://tem.vn", url, 100, &err), TEM_ERR);
}

static void test_code_short_id_and_expiry(void **state)
{
	struct tem_code c;
	char sid[CODE_SHORT_ID_MAX];
	int32_t d;

	(void)state;
	make_code(&c, &vectors[1]);
	code_short_id(&c, sid);
	assert_string_equal(sid, "3F9A0C21D4E5B6A7-1042");
	assert_int_equal(date_parse("2026-12-05", &d, NULL), TEM_OK);
	assert_false(code_is_expired(&c, d));
	assert_true(code_is_expired(&c, d + 1));
	make_code(&c, &vectors[0]);
	assert_false(code_is_expired(&c, 60000));
}

static void test_code_wrong_key_is_named(void **state)
{
	struct tem_code c;
	struct tem_pubkey other = vpk;
	struct tem_err err;

	(void)state;
	make_code(&c, &vectors[0]);
	other.id[0] ^= 1;
	assert_int_equal(code_verify(&c, &other, &err), TEM_NO);
	assert_non_null(strstr(err.msg, "signed by key 3F9A0C21D4E5B6A7"));
	other = vpk;
	other.pk[5] ^= 0x40;
	assert_int_equal(code_verify(&c, &other, &err), TEM_NO);
}

/* The mutation test's randomness: a stream from a 64-bit seed, TEM_TEST_SEED when set (to
 * replay a failure), else a random one; main prints it as a TAP comment. */
static uint64_t seed;
static unsigned char pool[4096];
static size_t pool_used = sizeof pool;
static uint64_t pool_block;

/* A number below n from the seeded stream (modulo bias does not matter here). */
static uint32_t seeded_below(uint32_t n)
{
	uint32_t v;

	if (pool_used + sizeof v > sizeof pool) {
		unsigned char key[randombytes_SEEDBYTES], in[16];
		for (int i = 0; i < 8; i++) {
			in[i] = (unsigned char)(seed >> (8 * i));
			in[8 + i] = (unsigned char)(pool_block >> (8 * i));
		}
		crypto_generichash(key, sizeof key, in, sizeof in, NULL, 0);
		randombytes_buf_deterministic(pool, sizeof pool, key);
		pool_block++;
		pool_used = 0;
	}
	memcpy(&v, pool + pool_used, sizeof v);
	pool_used += sizeof v;
	return v % n;
}

static void test_code_parse_survives_random_mutations(void **state)
{
	char buf[CODE_INPUT_MAX + 64];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct tem_code c;
		struct tem_err err;
		size_t len = seeded_below(300);
		snprintf(buf, sizeof buf, "HTTP://X/C/%s", vectors[i % nvectors].text);
		if (len > strlen(buf))
			len = strlen(buf);
		for (int k = (int)seeded_below(4); k >= 0; k--)
			buf[seeded_below((uint32_t)len + 1)] = (char)seeded_below(256);
		if (code_parse(buf, len, &c, &err) == TEM_OK) {
			char text[CODE_TEXT_LEN + 1];
			struct tem_code again;
			code_to_text(&c, text);
			if (code_from_text(text, CODE_TEXT_LEN, &again, &err) != TEM_OK ||
			    memcmp(again.sig, c.sig, sizeof c.sig) != 0)
				fail_msg(
				    "seed %llu, mutation %d: '%.*s' parsed but does not round-trip",
				    (unsigned long long)seed, i, (int)len, buf);
		}
	}
}

int main(void)
{
	const char *e = getenv("TEM_TEST_SEED");

	if (sodium_init() < 0)
		return 1;
	if (e != NULL && *e != '\0') {
		char *end;
		seed = strtoull(e, &end, 10);
		if (*end != '\0') {
			fprintf(stderr, "TEM_TEST_SEED: '%s' is not a number\n", e);
			return 1;
		}
	} else {
		seed = ((uint64_t)randombytes_random() << 32) | randombytes_random();
	}
	printf("# seed: %llu\n", (unsigned long long)seed);
	fflush(stdout);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_code_matches_known_answer_vectors),
	    cmocka_unit_test(test_code_every_single_character_change_is_rejected),
	    cmocka_unit_test(test_code_rejects_noncanonical_padding),
	    cmocka_unit_test(test_code_errors_name_the_cause),
	    cmocka_unit_test(test_code_parse_accepts_urls_in_either_case),
	    cmocka_unit_test(test_code_url_form_is_upper_case_alphanumeric),
	    cmocka_unit_test(test_code_short_id_and_expiry),
	    cmocka_unit_test(test_code_wrong_key_is_named),
	    cmocka_unit_test(test_code_parse_survives_random_mutations),
	};
	return cmocka_run_group_tests(tests, load_vectors, NULL);
}
