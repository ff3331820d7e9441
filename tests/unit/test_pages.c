/* test_pages.c — the buyer's pages say what a verdict means in plain words, name a forged
 * label's victim without lending it the victim's facts, put what to do first on warning pages,
 * and keep their text readable (WCAG 4.5:1). */
#include "tests/unit/testutil.h"

#include <math.h>
#include <strings.h>

#include "server/pages.h"

static const struct page_scan facts = {.short_id = "3F9A0C21D4E5B6A7-1042",
				       .producer = "HTX Cua Cà Mau Năm Căn",
				       .product = "Cua gạch loại 1",
				       .batch_id = "20261125-1",
				       .issued = 1764046200,
				       .last_day = 20433,
				       .scans = 3,
				       .clients = 2,
				       .first_scan_ms = 1764046800000,
				       .revoked = 20420,
				       .authority = "Sở KH&CN Cà Mau",
				       .contact = "0290 3 123 456 <zalo>"};

/* The page for verdict v in language lang, from the full set of facts above. */
static char *page(enum verdict v, enum lang lang)
{
	struct page_scan s = facts;
	char *html;
	size_t len;

	s.verdict = v;
	assert_int_equal(pages_scan(&s, lang, &html, &len), 0);
	assert_int_equal(strlen(html), len);
	return html;
}

/* WCAG relative luminance of a #rrggbb colour. */
static double luminance(const char *hex)
{
	double c[3];

	for (int i = 0; i < 3; i++) {
		char part[3] = {hex[1 + 2 * i], hex[2 + 2 * i], '\0'};
		double v = (double)strtol(part, NULL, 16) / 255.0;
		c[i] = v <= 0.03928 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
	}
	return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

static void test_pages_speak_without_cryptographic_words(void **state)
{
	static const char *const jargon[] = {
	    "khóa", "chữ ký", "danh sách tin cậy", "key ", "signature", "trust list", "signed"};

	(void)state;
	for (int v = 0; v < V_COUNT; v++) {
		for (int lang = LANG_VI; lang <= LANG_EN; lang++) {
			char *html = page((enum verdict)v, (enum lang)lang);
			for (size_t j = 0; j < sizeof jargon / sizeof jargon[0]; j++)
				if (strcasestr(html, jargon[j]) != NULL)
					fail_msg("verdict %s (%s) says '%s'", verdict_name(v),
						 lang ? "en" : "vi", jargon[j]);
			free(html);
		}
	}
}

static void test_pages_forged_label_names_its_victim_but_not_its_facts(void **state)
{
	char *html = page(V_INVALID, LANG_VI);
	struct page_scan anon = facts;
	size_t len;

	(void)state;
	assert_non_null(strstr(html, "Tem này mạo danh HTX Cua Cà Mau Năm Căn"));
	/* the product, batch and dates are the real batch's, not this fake's */
	assert_null(strstr(html, "Cua gạch loại 1"));
	assert_null(strstr(html, "20261125-1"));
	assert_null(strstr(html, "Hạn dùng"));
	assert_null(strstr(html, "Số lần quét"));
	assert_non_null(strstr(html, "3F9A0C21D4E5B6A7-1042"));
	free(html);
	/* no producer known: the sentence still reads */
	anon.verdict = V_INVALID;
	anon.producer = "";
	assert_int_equal(pages_scan(&anon, LANG_EN, &html, &len), 0);
	assert_non_null(strstr(html, "This label impersonates a producer: it is fake"));
	free(html);
	html = page(V_UNKNOWN_KEY, LANG_VI);
	assert_null(strstr(html, "HTX Cua Cà Mau Năm Căn"));
	assert_null(strstr(html, "Cua gạch loại 1"));
	free(html);
}

static void test_pages_revoked_gives_the_day_it_took_effect(void **state)
{
	char *vi = page(V_REVOKED, LANG_VI), *en = page(V_REVOKED, LANG_EN);

	(void)state;
	/* day 20420 is 2025-11-28 */
	assert_non_null(strstr(vi, "từ ngày 28/11/2025"));
	assert_non_null(strstr(en, "on 2025-11-28"));
	assert_null(strstr(vi, "{}"));
	free(vi);
	free(en);
}

static void test_pages_warning_pages_say_what_to_do_first(void **state)
{
	(void)state;
	for (int v = 0; v < V_COUNT; v++) {
		char *html = page((enum verdict)v, LANG_VI);
		const char *act = strstr(html, "class=\"box act\"");
		const char *details = strstr(html, "<dl>");
		assert_non_null(act);
		assert_non_null(details);
		if (v != V_GENUINE && act > details)
			fail_msg("%s: what to do comes after the details", verdict_name(v));
		/* the contact is there, escaped */
		assert_non_null(strstr(act, "0290 3 123 456 &lt;zalo&gt;"));
		assert_non_null(strstr(act, "Sở KH&amp;CN Cà Mau"));
		/* a red page never tells the buyer both to buy and not to */
		if (strstr(html, "Đừng mua") != NULL)
			assert_null(strstr(html, "Hàng chính hãng"));
		free(html);
	}
}

static void test_pages_white_text_meets_contrast_on_every_verdict(void **state)
{
	(void)state;
	for (int v = 0; v < V_COUNT; v++) {
		char *html = page((enum verdict)v, LANG_EN);
		const char *bg = strstr(html, "style=\"background:#");
		double ratio;
		assert_non_null(bg);
		ratio = 1.05 / (luminance(bg + strlen("style=\"background:")) + 0.05);
		if (ratio < 4.5)
			fail_msg("%s: white on its colour is %.2f:1, under 4.5:1", verdict_name(v),
				 ratio);
		free(html);
	}
}

static void test_pages_sold_gives_the_claim_date_and_the_claimer_a_note(void **state)
{
	struct page_scan s = facts;
	char *html;
	size_t len;

	(void)state;
	s.verdict = V_SOLD;
	s.claimed_ms = 1764046800000; /* 2025-11-25 05:00 UTC, 12:00 in Cà Mau */
	assert_int_equal(pages_scan(&s, LANG_EN, &html, &len), 0);
	assert_non_null(strstr(html, "Already sold"));
	assert_non_null(strstr(html, "This product was sold on 2025-11-25 12:00"));
	assert_null(strstr(html, "name=\"pin\""));
	free(html);
	s.verdict = V_GENUINE;
	s.claimed_yours = 1;
	assert_int_equal(pages_scan(&s, LANG_VI, &html, &len), 0);
	assert_non_null(strstr(html, "Bạn đã xác nhận mua sản phẩm này lúc 12:00 ngày 25/11/2025"));
	free(html);
	/* not claimed, with PINs: the form, posting to the page itself */
	s.claimed_ms = 0, s.claimed_yours = 0, s.claimable = 1;
	assert_int_equal(pages_scan(&s, LANG_VI, &html, &len), 0);
	assert_non_null(strstr(html, "Tôi đã mua sản phẩm này"));
	assert_non_null(strstr(html, "<form class=\"box\" method=\"post\"><h2"));
	assert_non_null(strstr(html, "inputmode=\"numeric\""));
	free(html);
}

/* A possible copy is a warning, not a verdict (a busy stall looks the same): amber, and where
 * the label has an unused PIN, the page asks for it first, above the facts. */
static void test_pages_duplicate_asks_for_the_pin_first(void **state)
{
	struct page_scan s = facts;
	const char *act, *form, *details;
	char *html;
	size_t len;

	(void)state;
	s.verdict = V_DUPLICATE;
	assert_int_equal(pages_scan(&s, LANG_EN, &html, &len), 0);
	assert_non_null(strstr(html, "style=\"background:#9a5b00\""));
	assert_non_null(strstr(html, "or several shoppers may have checked this product"));
	assert_null(strstr(html, "most likely"));
	assert_null(strstr(html, "name=\"pin\""));
	assert_non_null(strstr(html, "If you still have doubts, do not buy"));
	free(html);

	s.claimable = 1;
	assert_int_equal(pages_scan(&s, LANG_VI, &html, &len), 0);
	act = strstr(html, "class=\"box act\"");
	form = strstr(html, "name=\"pin\"");
	details = strstr(html, "<dl>");
	assert_non_null(act);
	assert_non_null(form);
	assert_non_null(details);
	assert_true(act < form && form < details);
	assert_non_null(strstr(act, "Trước khi trả tiền, hãy cào lớp phủ"));
	assert_null(strstr(html, "Nếu bạn còn nghi ngờ, đừng mua"));
	free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pages_speak_without_cryptographic_words),
	    cmocka_unit_test(test_pages_sold_gives_the_claim_date_and_the_claimer_a_note),
	    cmocka_unit_test(test_pages_forged_label_names_its_victim_but_not_its_facts),
	    cmocka_unit_test(test_pages_revoked_gives_the_day_it_took_effect),
	    cmocka_unit_test(test_pages_warning_pages_say_what_to_do_first),
	    cmocka_unit_test(test_pages_white_text_meets_contrast_on_every_verdict),
	    cmocka_unit_test(test_pages_duplicate_asks_for_the_pin_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
