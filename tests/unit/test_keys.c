/* test_keys.c — key files, detached signatures (with a known answer and tampered twins),
 * the trust list, atomic output, dates and UTF-8 checks. */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>

#include "keys/date.h"
#include "keys/fileio.h"
#include "keys/sig.h"
#include "keys/text.h"
#include "keys/trust.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	setenv("TEM_SCRYPT_LIMITS", "interactive", 1);
	snprintf(dir, sizeof dir, "%s", scratch_dir());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	scratch_remove(dir);
	return 0;
}

static const char *p(const char *name)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static void test_keys_secret_round_trip_encrypted_and_not(void **state)
{
	struct tem_seckey *sk = keys_secret_new(), *back = keys_secret_new();
	struct tem_pubkey pk, pk2;
	struct tem_err err;
	struct stat st;
	int enc;

	(void)state;
	assert_int_equal(keys_generate(&pk, sk, &err), TEM_OK);
	assert_int_equal(keys_secret_write(p("e.key"), sk, "correct horse", NULL, 0, &err), TEM_OK);
	assert_int_equal(keys_secret_write(p("p.key"), sk, NULL, NULL, 0, &err), TEM_OK);
	assert_int_equal(keys_public_write(p("k.pub"), &pk, NULL, 0, &err), TEM_OK);
	assert_int_equal(stat(p("e.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keys_secret_is_encrypted(p("e.key"), &enc, &err), TEM_OK);
	assert_int_equal(enc, 1);
	assert_int_equal(keys_secret_is_encrypted(p("p.key"), &enc, &err), TEM_OK);
	assert_int_equal(enc, 0);
	assert_int_equal(keys_secret_load(p("e.key"), "correct horse", back, &err), TEM_OK);
	assert_memory_equal(back, sk, sizeof *sk);
	assert_int_equal(keys_secret_load(p("p.key"), NULL, back, &err), TEM_OK);
	assert_memory_equal(back, sk, sizeof *sk);
	assert_int_equal(keys_public_load(p("k.pub"), &pk2, &err), TEM_OK);
	assert_memory_equal(&pk2, &pk, sizeof pk);
	/* refuses to overwrite without being asked */
	assert_int_equal(keys_secret_write(p("e.key"), sk, NULL, NULL, 0, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "already exists"));
	keys_secret_free(sk);
	keys_secret_free(back);
}

static void test_keys_wrong_passphrase_is_said(void **state)
{
	struct tem_seckey *sk = keys_secret_new();
	struct tem_err err;

	(void)state;
	assert_int_equal(keys_secret_load(p("e.key"), "wrong horse", sk, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "wrong passphrase"));
	assert_true(sodium_is_zero(sk->sk, sizeof sk->sk));
	assert_int_equal(keys_secret_load(p("e.key"), NULL, sk, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "encrypted"));
	keys_secret_free(sk);
}

static void test_keys_damaged_files_get_clear_errors(void **state)
{
	struct tem_seckey *sk = keys_secret_new();
	struct tem_pubkey pk;
	struct tem_err err;
	size_t len;
	char *text = read_file(p("p.key"), &len);
	char *pub = read_file(p("k.pub"), &len);

	(void)state;
	/* truncated secret key */
	write_file(p("t.key"), text, strlen(text) / 2);
	assert_int_equal(keys_secret_load(p("t.key"), NULL, sk, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "t.key"));
	/* one changed character in the secret part */
	char *line = strchr(text, '\n') + 1;
	line[120] = line[120] == 'A' ? 'B' : 'A';
	write_file(p("c.key"), text, strlen(text));
	assert_int_equal(keys_secret_load(p("c.key"), NULL, sk, &err), TEM_ERR);
	/* empty, binary and public-key-as-secret */
	write_file(p("z.key"), "", 0);
	assert_int_equal(keys_secret_load(p("z.key"), NULL, sk, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "empty"));
	write_file(p("b.key"), "\x00\x01\x02", 3);
	assert_int_equal(keys_secret_load(p("b.key"), NULL, sk, &err), TEM_ERR);
	assert_int_equal(keys_secret_load(p("k.pub"), NULL, sk, &err), TEM_ERR);
	/* public key: truncated and wrong algorithm */
	write_file(p("t.pub"), pub, strlen(pub) - 10);
	assert_int_equal(keys_public_load(p("t.pub"), &pk, &err), TEM_ERR);
	assert_int_equal(keys_public_load(p("p.key"), &pk, &err), TEM_ERR);
	assert_int_equal(keys_public_load(p("missing.pub"), &pk, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "No such file"));
	free(text);
	free(pub);
	keys_secret_free(sk);
}

/* A key id is len bytes of a larger text (a trust list line): its error quotes only those,
 * never reading on to a NUL (found by tests/fuzz/fuzz_trust). */
static void test_keys_id_parse_quotes_only_its_bytes(void **state)
{
	char *five = malloc(5);
	unsigned char id[KEYS_ID_BYTES];
	struct tem_err err;

	(void)state;
	assert_non_null(five);
	memcpy(five, "ABCDE", 5); /* no NUL after it */
	assert_int_equal(keys_id_parse(five, 5, id, &err), TEM_ERR);
	assert_string_equal(err.msg, "key id 'ABCDE' is not 16 hex digits");
	free(five);
}

static void test_sig_known_answer_and_tampered_twins(void **state)
{
	static const char msg[] = "tem-batch v1\nkey-id: 3F9A0C21D4E5B6A7\n";
	struct tem_seckey sk;
	struct tem_pubkey pk;
	struct tem_err err;
	char *sig, tc[SIG_TRUSTED_COMMENT_MAX + 1];
	size_t siglen, golden_len;
	char *golden = read_file(TEM_SOURCE_DIR "/tests/vectors/sig-v1.minisig", &golden_len);

	(void)state;
	vector_key(&sk, &pk);
	assert_int_equal(
	    sig_sign_buffer(msg, strlen(msg), &sk, "tem test vector", &sig, &siglen, &err), TEM_OK);
	/* Ed25519 is deterministic: the same key, message and comment give the golden file */
	assert_int_equal(siglen, golden_len);
	assert_memory_equal(sig, golden, siglen);
	assert_int_equal(sig_verify_buffer(msg, strlen(msg), sig, siglen, &pk, tc, sizeof tc, &err),
			 TEM_OK);
	assert_string_equal(tc, "tem test vector");
	/* a changed byte of the message */
	char m2[sizeof msg];
	memcpy(m2, msg, sizeof msg);
	m2[20] ^= 1;
	assert_int_equal(sig_verify_buffer(m2, strlen(m2), sig, siglen, &pk, NULL, 0, &err),
			 TEM_NO);
	/* a changed trusted comment */
	char *t = strstr(sig, "tem test vector");
	t[0] = 'T';
	assert_int_equal(sig_verify_buffer(msg, strlen(msg), sig, siglen, &pk, NULL, 0, &err),
			 TEM_NO);
	t[0] = 't';
	/* a changed character in the signature line, and in the global signature */
	char *line2 = strchr(sig, '\n') + 1;
	line2[40] = line2[40] == 'A' ? 'B' : 'A';
	assert_int_not_equal(sig_verify_buffer(msg, strlen(msg), sig, siglen, &pk, NULL, 0, &err),
			     TEM_OK);
	memcpy(sig, golden, siglen);
	char *last = strrchr(sig, '\n');
	last[-10] = last[-10] == 'A' ? 'B' : 'A';
	assert_int_not_equal(sig_verify_buffer(msg, strlen(msg), sig, siglen, &pk, NULL, 0, &err),
			     TEM_OK);
	/* truncated */
	assert_int_equal(
	    sig_verify_buffer(msg, strlen(msg), golden, golden_len / 2, &pk, NULL, 0, &err),
	    TEM_ERR);
	free(sig);
	free(golden);
}

static void test_sig_file_round_trip_and_wrong_key(void **state)
{
	struct tem_seckey *sk = keys_secret_new();
	struct tem_pubkey pk, other;
	struct tem_err err;
	char tc[SIG_TRUSTED_COMMENT_MAX + 1];

	(void)state;
	assert_int_equal(keys_secret_load(p("p.key"), NULL, sk, &err), TEM_OK);
	keys_secret_public(sk, &pk);
	write_file(p("f.txt"), "a file\n", 7);
	assert_int_equal(sig_sign_file(p("f.txt"), p("f.txt.minisig"), sk, NULL, 0, &err), TEM_OK);
	assert_int_equal(sig_verify_file(p("f.txt"), p("f.txt.minisig"), &pk, tc, sizeof tc, &err),
			 TEM_OK);
	assert_non_null(strstr(tc, "file:f.txt"));
	other = pk;
	other.id[3] ^= 0x10;
	assert_int_equal(sig_verify_file(p("f.txt"), p("f.txt.minisig"), &other, NULL, 0, &err),
			 TEM_NO);
	assert_non_null(strstr(err.msg, "signed by key"));
	write_file(p("f.txt"), "a file!\n", 8);
	assert_int_equal(sig_verify_file(p("f.txt"), p("f.txt.minisig"), &pk, NULL, 0, &err),
			 TEM_NO);
	keys_secret_free(sk);
}

static void test_trust_list_round_trip_add_revoke(void **state)
{
	struct trust_list l, back;
	struct tem_pubkey a, b, c;
	struct tem_seckey *sk = keys_secret_new();
	struct tem_err err;
	char *text;
	size_t len;

	(void)state;
	memset(&l, 0, sizeof l);
	strcpy(l.authority, "Sở Khoa học và Công nghệ Cà Mau");
	assert_int_equal(keys_generate(&a, sk, &err), TEM_OK);
	assert_int_equal(keys_generate(&b, sk, &err), TEM_OK);
	assert_int_equal(trust_add(&l, &a, "Hợp tác xã Cua Cà Mau Năm Căn", 20454, &err), TEM_OK);
	assert_int_equal(trust_add(&l, &b, "Trại giống Đầm Dơi", 20454, &err), TEM_OK);
	assert_int_equal(trust_add(&l, &b, "again", 20454, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "already in the list"));
	/* a key not yet in the list, so that the name is what is refused */
	assert_int_equal(keys_generate(&c, sk, &err), TEM_OK);
	assert_int_equal(trust_add(&l, &c, "bad\x07name", 20454, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "not clean UTF-8"));
	assert_null(trust_find(&l, c.id));
	assert_int_equal(trust_revoke(&l, b.id, 20500, &err), TEM_OK);
	assert_int_equal(trust_format(&l, &text, &len, &err), TEM_OK);
	assert_int_equal(trust_parse(text, len, "t", &back, &err), TEM_OK);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.authority, l.authority);
	assert_int_equal(trust_find(&back, a.id)->revoked, -1);
	assert_int_equal(trust_find(&back, b.id)->revoked, 20500);
	assert_string_equal(trust_find(&back, b.id)->name, "Trại giống Đầm Dơi");
	/* signed and verified, then tampered */
	assert_int_equal(keys_secret_load(p("p.key"), NULL, sk, &err), TEM_OK);
	struct tem_pubkey auth;
	keys_secret_public(sk, &auth);
	write_file(p("trust.list"), text, len);
	assert_int_equal(sig_sign_file(p("trust.list"), p("trust.list.minisig"), sk, NULL, 0, &err),
			 TEM_OK);
	trust_free(&back);
	assert_int_equal(trust_load_verified(p("trust.list"), NULL, &auth, &back, &err), TEM_OK);
	trust_free(&back);
	text[len - 3] ^= 1;
	write_file(p("trust.list"), text, len);
	assert_int_equal(trust_load_verified(p("trust.list"), NULL, &auth, &back, &err), TEM_NO);
	assert_int_equal(back.n, 0);
	free(text);
	trust_free(&l);
	keys_secret_free(sk);
}

static void test_trust_parse_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"", "empty"},
	    {"tem-trust v2\nauthority: A\n", "not a tem trust list"},
	    {"tem-trust v1\n", "no 'authority:' line"},
	    {"tem-trust v1\nauthority: A\nproducer 3F9A0C21D4E5B6\n", "line 3: key id"},
	    {"tem-trust v1\nauthority: A\nfoo\n", "line 3: neither"},
	    {"tem-trust v1\nauthority: A", "line 2: no final newline"},
	    {"tem-trust v1\nauthority: \xC3\x28\n", "line 2: authority name is not clean"},
	};
	struct trust_list l;
	struct tem_err err;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(trust_parse(cases[i].text, strlen(cases[i].text), "t", &l, &err),
				 TEM_ERR);
		if (strstr(err.msg, cases[i].want) == NULL)
			fail_msg("case %zu: expected '%s' in '%s'", i, cases[i].want, err.msg);
	}
}

static void test_fileio_atomic_output_is_whole_or_absent(void **state)
{
	struct atomic_file af;
	struct tem_err err;
	struct stat st;
	char tmp[sizeof af.tmp];
	char *buf;
	size_t len;

	(void)state;
	assert_int_equal(atomic_open(&af, p("out.txt"), 0644, 0, &err), TEM_OK);
	assert_int_equal(atomic_write(&af, "partial", 7, &err), TEM_OK);
	/* atomic_abort empties af.tmp: keep the temporary file's real name to check on it */
	assert_true(strlen(af.tmp) < sizeof tmp);
	strcpy(tmp, af.tmp);
	assert_int_equal(strncmp(tmp, p("out.txt.tmp-"), strlen(p("out.txt.tmp-"))), 0);
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_size, 7);
	assert_int_equal(stat(p("out.txt"), &st), -1);
	assert_int_equal(errno, ENOENT);
	atomic_abort(&af);
	assert_int_equal(stat(tmp, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(p("out.txt"), &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(file_write_atomic(p("out.txt"), "whole\n", 6, 0644, 0, &err), TEM_OK);
	assert_int_equal(file_write_atomic(p("out.txt"), "again\n", 6, 0644, 0, &err), TEM_ERR);
	assert_int_equal(file_read_all(p("out.txt"), 100, &buf, &len, &err), TEM_OK);
	assert_string_equal(buf, "whole\n");
	free(buf);
	assert_int_equal(file_read_all(p("out.txt"), 3, &buf, &len, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "larger than 3 bytes"));
	assert_int_equal(file_write_atomic("/nonexistent-dir/x", "x", 1, 0644, 1, &err), TEM_ERR);
}

static void test_date_parse_is_strict(void **state)
{
	int32_t d;
	char out[11], iso[21];

	(void)state;
	assert_int_equal(date_parse("1970-01-01", &d, NULL), TEM_OK);
	assert_int_equal(d, 0);
	assert_int_equal(date_parse("2024-02-29", &d, NULL), TEM_OK);
	date_format(d, out);
	assert_string_equal(out, "2024-02-29");
	assert_int_equal(date_parse("2026-02-29", &d, NULL), TEM_ERR);
	assert_int_equal(date_parse("2026-2-01", &d, NULL), TEM_ERR);
	assert_int_equal(date_parse("2026-13-01", &d, NULL), TEM_ERR);
	assert_int_equal(date_parse("1969-12-31", &d, NULL), TEM_ERR);
	assert_int_equal(date_parse("2026-01-01x", &d, NULL), TEM_ERR);
	date_format_iso(1795591982, iso);
	assert_string_equal(iso, "2026-11-25T07:33:02Z");
}

/* date_format and date_format_iso write their digits themselves: every day from 1970 to
 * 2200 and times across them read back as gmtime/strftime write them. */
static void test_date_format_matches_libc(void **state)
{
	char out[11], iso[21], want[32];
	struct tm tm;

	(void)state;
	for (int32_t d = 0; d < 84000; d++) {
		time_t t = (time_t)d * 86400 + (time_t)(((int64_t)d * 7919) % 86400);
		int32_t back;
		date_format(d, out);
		assert_int_equal(date_parse(out, &back, NULL), TEM_OK);
		assert_int_equal(back, d);
		assert_non_null(gmtime_r(&t, &tm));
		strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
		date_format_iso(t, iso);
		assert_string_equal(iso, want);
	}
}

static void test_date_parse_time_reads_rfc3339(void **state)
{
	struct tem_err err;
	int64_t t;

	(void)state;
	assert_int_equal(date_parse_time("2026-11-27T10:00:00Z", &t, &err), TEM_OK);
	assert_int_equal(t, 1795773600);
	/* t or a space for T, z for Z, a fraction dropped, offsets either way */
	static const char *const same[] = {
	    "2026-11-27t10:00:00z",           "2026-11-27 10:00:00Z",
	    "2026-11-27T10:00:00.999999999Z", "2026-11-27T17:00:00+07:00",
	    "2026-11-27T05:00:00-05:00",      "2026-11-28T09:59:00+23:59"};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		t = 0;
		assert_int_equal(date_parse_time(same[i], &t, &err), TEM_OK);
		if (t != 1795773600)
			fail_msg("%s: expected 1795773600, got %lld", same[i], (long long)t);
	}
	/* a leap second counts as :59; the first second and the last of a day */
	assert_int_equal(date_parse_time("2016-12-31T23:59:60Z", &t, &err), TEM_OK);
	assert_int_equal(t, 1483228799);
	assert_int_equal(date_parse_time("1970-01-01T00:00:00Z", &t, &err), TEM_OK);
	assert_int_equal(t, 0);
	assert_int_equal(date_parse_time("2024-02-29T23:59:59Z", &t, &err), TEM_OK);
	assert_int_equal(t, 1709251199);
	/* an offset may put the instant before 1970: the caller decides */
	assert_int_equal(date_parse_time("1970-01-01T00:00:00+01:00", &t, &err), TEM_OK);
	assert_int_equal(t, -3600);
}

static void test_date_parse_time_rejects_bad_input(void **state)
{
	struct tem_err err;
	int64_t t = 42;

	(void)state;
	static const char *const bad[] = {"",
					  "2026-11-27",
					  "2026-11-27T",
					  "2026-11-27T10:00:00",
					  "2026-11-27T10:00Z",
					  "2026-11-27T24:00:00Z",
					  "2026-11-27T10:60:00Z",
					  "2026-11-27T10:00:61Z",
					  "2026-11-27T1a:00:00Z",
					  "2026-11-27X10:00:00Z",
					  "2026-11-27T10-00-00Z",
					  "2026-11-27T10:00:00.Z",
					  "2026-11-27T10:00:00,5Z",
					  "2026-11-27T10:00:00+7",
					  "2026-11-27T10:00:00+07",
					  "2026-11-27T10:00:00+0700",
					  "2026-11-27T10:00:00+24:00",
					  "2026-11-27T10:00:00+07:60",
					  "2026-11-27T10:00:00+07:00x",
					  "2026-11-27T10:00:00ZZ",
					  "2026-11-27T10:00:00Z'; DROP TABLE scans; --",
					  "2026-02-30T10:00:00Z",
					  "2026-13-01T10:00:00Z",
					  "1969-12-31T23:59:59Z",
					  "-2026-11-27T10:00:00Z",
					  " 2026-11-27T10:00:00Z"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		if (date_parse_time(bad[i], &t, &err) != TEM_ERR)
			fail_msg("%s: taken for a time", bad[i]);
		assert_true(err.msg[0] != '\0');
		assert_int_equal(t, 42); /* untouched */
	}
	assert_int_equal(date_parse_time("2026-11-27T10:00", &t, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "not an RFC 3339 time"));
	assert_int_equal(date_parse_time("2026-02-30T10:00:00Z", &t, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "no such day"));
}

static void test_text_rejects_malformed_utf8_and_controls(void **state)
{
	(void)state;
	assert_true(text_is_clean("Hợp tác xã Cua Cà Mau", strlen("Hợp tác xã Cua Cà Mau")));
	assert_false(text_valid_utf8("\xC0\xAF", 2));         /* overlong */
	assert_false(text_valid_utf8("\xED\xA0\x80", 3));     /* surrogate */
	assert_false(text_valid_utf8("\xF4\x90\x80\x80", 4)); /* past U+10FFFF */
	assert_false(text_valid_utf8("\xE1\xBB", 2));         /* truncated */
	assert_false(text_is_clean("a\tb", 3));
	assert_false(text_is_clean("a\xC2\x85", 3)); /* C1 control */
	assert_true(text_valid_utf8("a\tb", 3));
}

static void test_text_has_hidden_finds_bidi_and_zero_width(void **state)
{
	static const struct {
		const char *s;
		uint32_t cp;
	} bad[] = {{"HTX \xE2\x80\xAEnaC", 0x202E},
		   {"S\xE2\x80\x8BKHCN", 0x200B},
		   {"Cua\xE2\x80\x8D", 0x200D},
		   {"\xE2\x81\xA6x\xE2\x81\xA9", 0x2066},
		   {"a\xE2\x80\x8F"
		    "b",
		    0x200F},
		   {"\xEF\xBB\xBF"
		    "Cua",
		    0xFEFF},
		   {"so\xC2\xAD"
		    "ft",
		    0x00AD},
		   {"\xD8\x9C", 0x061C}};
	uint32_t cp = 0;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_true(text_has_hidden(bad[i].s, strlen(bad[i].s), &cp));
		assert_int_equal(cp, bad[i].cp);
	}
	/* twins: Vietnamese, precomposed and with combining marks, has none */
	assert_false(
	    text_has_hidden("Hợp tác xã Cua Cà Mau", strlen("Hợp tác xã Cua Cà Mau"), NULL));
	assert_false(text_has_hidden("Ca\xCC\x80 Mau", 7, NULL)); /* a + U+0300 */
	assert_false(text_has_hidden("\xE2\x80\x90", 3, NULL));   /* U+2010 hyphen */
}

static void test_trust_sequence_parsed_formatted_and_raised(void **state)
{
	static const char old[] = "tem-trust v1\nauthority: S\n";
	static const char seq[] = "tem-trust v1\nauthority: S\nsequence: 42\n";
	static const char two[] = "tem-trust v1\nsequence: 1\nauthority: S\nsequence: 2\n";
	static const char neg[] = "tem-trust v1\nauthority: S\nsequence: -1\n";
	static const char big[] = "tem-trust v1\nauthority: S\nsequence: 9223372036854775808\n";
	static const char hid[] = "tem-trust v1\nauthority: S\xE2\x80\xAE\n";
	struct trust_list l;
	struct tem_err err;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(trust_parse(old, strlen(old), "t", &l, &err), TEM_OK);
	assert_int_equal(l.sequence, 0); /* a list from before sequence numbers */
	trust_free(&l);
	assert_int_equal(trust_parse(seq, strlen(seq), "t", &l, &err), TEM_OK);
	assert_int_equal(l.sequence, 42);
	assert_int_equal(trust_bump_sequence(&l, &err), TEM_OK);
	assert_int_equal(trust_format(&l, &text, &len, &err), TEM_OK);
	assert_non_null(strstr(text, "\nsequence: 43\n"));
	free(text);
	l.sequence = TRUST_SEQUENCE_MAX;
	assert_int_equal(trust_bump_sequence(&l, &err), TEM_ERR);
	trust_free(&l);
	assert_int_equal(trust_parse(two, strlen(two), "t", &l, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "line 4: a second sequence line"));
	assert_int_equal(trust_parse(neg, strlen(neg), "t", &l, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "line 3: sequence is not a number"));
	assert_int_equal(trust_parse(big, strlen(big), "t", &l, &err), TEM_ERR);
	assert_int_equal(trust_parse(hid, strlen(hid), "t", &l, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "U+202E"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys_secret_round_trip_encrypted_and_not),
	    cmocka_unit_test(test_keys_wrong_passphrase_is_said),
	    cmocka_unit_test(test_keys_damaged_files_get_clear_errors),
	    cmocka_unit_test(test_keys_id_parse_quotes_only_its_bytes),
	    cmocka_unit_test(test_sig_known_answer_and_tampered_twins),
	    cmocka_unit_test(test_sig_file_round_trip_and_wrong_key),
	    cmocka_unit_test(test_trust_list_round_trip_add_revoke),
	    cmocka_unit_test(test_trust_parse_errors_name_the_line),
	    cmocka_unit_test(test_fileio_atomic_output_is_whole_or_absent),
	    cmocka_unit_test(test_date_parse_is_strict),
	    cmocka_unit_test(test_date_format_matches_libc),
	    cmocka_unit_test(test_date_parse_time_reads_rfc3339),
	    cmocka_unit_test(test_date_parse_time_rejects_bad_input),
	    cmocka_unit_test(test_text_rejects_malformed_utf8_and_controls),
	    cmocka_unit_test(test_text_has_hidden_finds_bidi_and_zero_width),
	    cmocka_unit_test(test_trust_sequence_parsed_formatted_and_raised),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
