/* test_batch.c — batch files: the signed header round trip, tampering, and the streaming
 * reader's errors for truncated, overlong, out-of-order and foreign-key files. */
#include "tests/unit/testutil.h"

#include "keys/date.h"
#include "label/batch.h"

static struct tem_seckey sk;
static struct tem_pubkey pk;

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	vector_key(&sk, &pk);
	return 0;
}

static void fill_header(struct batch_header *h, uint64_t first, uint64_t count)
{
	memset(h, 0, sizeof *h);
	strcpy(h->producer, "Hợp tác xã Cua Cà Mau Năm Căn");
	strcpy(h->product, "Cua Cà Mau");
	strcpy(h->batch_id, "20261125-A");
	strcpy(h->url, "HTTPS://TEM.EXAMPLE.VN");
	h->first_serial = first;
	h->count = count;
	h->issued = 1795591982;
	h->last_day = 20427;
}

/* Writes a batch of count codes to path; mutate (if not NULL) edits the text first. */
static void write_batch(const char *path, uint64_t first, uint64_t count, int skip_newline_end,
			const struct tem_seckey *codes_key)
{
	struct batch_header h;
	struct tem_err err;
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fill_header(&h, first, count);
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_OK);
	fwrite(h.raw, 1, h.raw_len, f);
	for (uint64_t i = 0; i < count; i++) {
		struct tem_code c = {.serial = first + i, .last_day = h.last_day};
		char text[CODE_TEXT_LEN + 1];
		code_sign(&c, codes_key);
		code_to_text(&c, text);
		fprintf(f, "%s%s", text, (skip_newline_end && i + 1 == count) ? "" : "\n");
	}
	fclose(f);
}

/* Reads a whole batch; returns the codes read, or -1 with err set. */
static long read_all(const char *path, struct tem_err *err)
{
	struct batch_reader *r;
	struct tem_code c;
	char text[CODE_TEXT_LEN + 1];
	long n = 0;
	int rc;

	if (batch_open(path, &r, err) != TEM_OK)
		return -1;
	while ((rc = batch_next(r, &c, text, err)) == 1)
		n++;
	batch_close(r);
	return rc == 0 ? n : -1;
}

static void test_batch_header_round_trip_and_verify(void **state)
{
	struct batch_header h, back;
	struct tem_err err;

	(void)state;
	fill_header(&h, 1001, 24);
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_OK);
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_OK);
	assert_string_equal(back.producer, h.producer);
	assert_string_equal(back.product, "Cua Cà Mau");
	assert_int_equal(back.first_serial, 1001);
	assert_int_equal(back.count, 24);
	assert_int_equal(back.issued, h.issued);
	assert_int_equal(back.last_day, 20427);
	assert_string_equal(back.url, "HTTPS://TEM.EXAMPLE.VN");
	assert_int_equal(back.raw_len, h.raw_len);
	assert_int_equal(batch_header_verify(&back, &pk, &err), TEM_OK);
}

static void test_batch_header_tampering_fails_verification(void **state)
{
	struct batch_header h, back;
	struct tem_err err;

	(void)state;
	fill_header(&h, 1, 24);
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_OK);
	char *count = strstr(h.raw, "count: 24");
	assert_non_null(count);
	count[8] = '5'; /* count: 25 */
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_OK);
	assert_int_equal(back.count, 25);
	assert_int_equal(batch_header_verify(&back, &pk, &err), TEM_NO);
	assert_non_null(strstr(err.msg, "does not verify"));
}

static void test_batch_header_carries_the_claim_commitment(void **state)
{
	struct batch_header h, back;
	struct tem_err err;
	char *claim;

	(void)state;
	fill_header(&h, 1, 24);
	h.has_claim = 1;
	for (int i = 0; i < CLAIM_COMMIT_BYTES; i++)
		h.claim[i] = (unsigned char)(0xA0 + i);
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_OK);
	claim = strstr(h.raw, "\nclaim: ");
	assert_non_null(claim);
	assert_true(claim < strstr(h.raw, "\nsignature: "));
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_OK);
	assert_int_equal(back.has_claim, 1);
	assert_memory_equal(back.claim, h.claim, CLAIM_COMMIT_BYTES);
	assert_int_equal(batch_header_verify(&back, &pk, &err), TEM_OK);
	/* the commitment is signed: another one does not verify */
	claim[9] = claim[9] == 'A' ? 'B' : 'A';
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_OK);
	assert_int_equal(batch_header_verify(&back, &pk, &err), TEM_NO);
	/* and one that is not 32 bytes is malformed */
	memcpy(claim + 9, "AAAA\n", 5);
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_ERR);
	/* a header without the line has no claim */
	fill_header(&h, 1, 24);
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_OK);
	assert_null(strstr(h.raw, "claim:"));
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_OK);
	assert_int_equal(back.has_claim, 0);
}

static void test_batch_header_rejects_bad_fields(void **state)
{
	struct batch_header h;
	struct tem_err err;

	(void)state;
	fill_header(&h, 1, 1);
	strcpy(h.batch_id, "bad id");
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_ERR);
	fill_header(&h, 1, 1);
	strcpy(h.product, "bad\x01");
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_ERR);
	fill_header(&h, 1, 1);
	strcpy(h.producer, "\xC3\x28");
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_ERR);
	fill_header(&h, UINT64_MAX, 2);
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_ERR);
	assert_int_equal(batch_header_parse("GIF89a", 6, &h, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "not a tem batch file"));
}

static void test_batch_header_refuses_hidden_characters(void **state)
{
	struct batch_header h, back;
	struct tem_err err;

	(void)state;
	/* signed as any producer could: the parser, which registration and temd's start use,
	 * refuses it */
	fill_header(&h, 1, 3);
	strcpy(h.product, "Cua C\xE2\x80\x8B\xC3\xA0 Mau");
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_OK);
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "product holds an invisible"));
	fill_header(&h, 1, 3);
	strcpy(h.producer, "HTX \xE2\x80\xAEnaC");
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_OK);
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "U+202E"));
	fill_header(&h, 1, 3); /* twin: the same header without them parses */
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_OK);
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_OK);
}

static void test_batch_header_issue_time_is_strict(void **state)
{
	static const char *const bad[] = {
	    "2026-11-25T 4:+0: 0Z", /* what sscanf("%2u") took: spaces and signs */
	    "2026-11-25T-4:50:00Z", "2026-11-25T04:50:00z", "2026-11-25 04:50:00Z",
	    "2026-11-25T04-50:00Z", "2026-11-25T24:00:00Z", "2026-11-25T04:60:00Z",
	    "2026-11-25T04:50:60Z", "2026-02-30T04:50:00Z", "2026-11-25T04:50:0xZ",
	    "+026-11-25T04:50:00Z"};
	struct batch_header h, back;
	struct tem_err err;
	char *issued;

	(void)state;
	fill_header(&h, 1, 24);
	assert_int_equal(batch_header_sign(&h, &sk, &err), TEM_OK);
	issued = strstr(h.raw, "issued: ");
	assert_non_null(issued);
	issued += strlen("issued: ");
	memcpy(issued, "2026-11-25T23:59:59Z", 20);
	assert_int_equal(batch_header_parse(h.raw, h.raw_len, &back, &err), TEM_OK);
	assert_int_equal(back.issued, 1795651199); /* 2026-11-25T23:59:59Z */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memcpy(issued, bad[i], 20);
		if (batch_header_parse(h.raw, h.raw_len, &back, &err) != TEM_ERR)
			fail_msg("issued '%s' was accepted", bad[i]);
		assert_non_null(strstr(err.msg, "line 8: issued"));
	}
}

static void test_batch_reader_streams_a_good_file(void **state)
{
	const char *dir = scratch_dir();
	char path[512];
	struct tem_err err;

	(void)state;
	snprintf(path, sizeof path, "%s/b.txt", dir);
	write_batch(path, 7, 5000, 0, &sk);
	assert_int_equal(read_all(path, &err), 5000);
	/* the reader knows the line of each code: the header's blank line is line 12 */
	{
		struct batch_reader *r;
		struct tem_code c;
		assert_int_equal(batch_open(path, &r, &err), TEM_OK);
		assert_int_equal(batch_reader_line(r), 12);
		assert_string_equal(batch_reader_path(r), path);
		assert_int_equal(batch_next(r, &c, NULL, &err), 1);
		assert_int_equal(batch_reader_line(r), 13);
		assert_int_equal(batch_next(r, &c, NULL, &err), 1);
		assert_int_equal(batch_reader_line(r), 14);
		assert_int_equal(c.serial, 8);
		batch_close(r);
	}
	scratch_remove(dir);
}

static void test_batch_reader_names_each_defect(void **state)
{
	const char *dir = scratch_dir();
	char path[512];
	struct tem_seckey *other = keys_secret_new();
	struct tem_pubkey opk;
	struct tem_err err;
	size_t len;
	char *text;

	(void)state;
	snprintf(path, sizeof path, "%s/b.txt", dir);
	/* truncated: no final newline */
	write_batch(path, 1, 3, 1, &sk);
	assert_int_equal(read_all(path, &err), -1);
	assert_non_null(strstr(err.msg, "truncated"));
	/* a line missing: fewer codes than the header says */
	write_batch(path, 1, 3, 0, &sk);
	text = read_file(path, &len);
	write_file(path, text, len - (CODE_TEXT_LEN + 1));
	assert_int_equal(read_all(path, &err), -1);
	assert_non_null(strstr(err.msg, "header says 3"));
	/* out of order: swap the last two lines */
	{
		char *a = text + len - 2 * (CODE_TEXT_LEN + 1), tmp[CODE_TEXT_LEN + 1];
		memcpy(tmp, a, sizeof tmp);
		memcpy(a, a + sizeof tmp, sizeof tmp);
		memcpy(a + sizeof tmp, tmp, sizeof tmp);
		write_file(path, text, len);
		assert_int_equal(read_all(path, &err), -1);
		assert_non_null(strstr(err.msg, "line 14: serial 3 out of sequence"));
	}
	/* overlong line after three good codes */
	free(text);
	write_batch(path, 1, 3, 0, &sk);
	text = read_file(path, &len);
	{
		char *big = malloc(len + 2000);
		memcpy(big, text, len);
		memset(big + len, 'A', 1999);
		big[len + 1999] = '\n';
		write_file(path, big, len + 2000);
		free(big);
		assert_int_equal(read_all(path, &err), -1);
		assert_non_null(strstr(err.msg, "longer than"));
	}
	free(text);
	/* codes of another key under this key's header */
	assert_non_null(other);
	assert_int_equal(keys_generate(&opk, other, &err), TEM_OK);
	write_batch(path, 1, 2, 0, other);
	assert_int_equal(read_all(path, &err), -1);
	assert_non_null(strstr(err.msg, "another key"));
	keys_secret_free(other);
	/* not a batch at all */
	write_file(path, "hello\n", 6);
	assert_int_equal(read_all(path, &err), -1);
	assert_non_null(strstr(err.msg, "not a tem batch file"));
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_batch_header_round_trip_and_verify),
	    cmocka_unit_test(test_batch_header_refuses_hidden_characters),
	    cmocka_unit_test(test_batch_header_tampering_fails_verification),
	    cmocka_unit_test(test_batch_header_carries_the_claim_commitment),
	    cmocka_unit_test(test_batch_header_rejects_bad_fields),
	    cmocka_unit_test(test_batch_header_issue_time_is_strict),
	    cmocka_unit_test(test_batch_reader_streams_a_good_file),
	    cmocka_unit_test(test_batch_reader_names_each_defect),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
