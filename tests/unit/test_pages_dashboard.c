/* test_pages_dashboard.c — the dashboard's pages escape whatever the ledger holds, speak
 * Vietnamese and English, draw the chart's points where the figures put them, offer the
 * workflow steps an alert's status allows, and say so when there is nothing to show. With
 * DASH_SAMPLE_DIR set, the sample pages are also written there, to look at. */
#include "tests/unit/testutil.h"

#include "server/pages_dashboard.h"

static const char hostile[] = "<script>alert(1)</script>\"'&";

static const struct dash_alert sample_alerts[] = {
    {.id = 12,
     .type = ALERT_DUPLICATE,
     .key_id = "3F9A0C21D4E5B6A7",
     .serial = 1042,
     .producer = "HTX Cua Cà Mau Năm Căn",
     .events = 7,
     .clients = 5,
     .first_ms = 1764046800000,
     .last_ms = 1764133200000,
     .status = ALERT_OPEN,
     .reason = ALERT_REASON_NONE,
     .note = "",
     .updated_by = ""},
    {.id = 11,
     .type = ALERT_SOLD_SCANNED,
     .key_id = "3F9A0C21D4E5B6A7",
     .serial = 1043,
     .producer = "HTX Cua Cà Mau Năm Căn",
     .events = 2,
     .clients = 2,
     .first_ms = 1764040000000,
     .last_ms = 1764050000000,
     .status = ALERT_INVESTIGATING,
     .reason = ALERT_REASON_NONE,
     .note = "Gọi cho cửa hàng ở chợ Năm Căn",
     .updated_by = "so-khcn",
     .updated_ms = 1764060000000},
    {.id = 9,
     .type = ALERT_INVALID_BURST,
     .key_id = "77AA0C21D4E5B6A7",
     .serial = 0,
     .producer = "Trại giống Đầm Dơi",
     .events = 31,
     .clients = 0,
     .first_ms = 1764000000000,
     .last_ms = 1764001000000,
     .status = ALERT_CLOSED,
     .reason = ALERT_REASON_COUNTERFEIT,
     .note = "",
     .updated_by = "qltt-camau",
     .updated_ms = 1764010000000},
};

static const struct dash_producer sample_producers[] = {
    {"3F9A0C21D4E5B6A7", "HTX Cua Cà Mau Năm Căn", -1, 4, 4000, 1520, 1300, 210, 2},
    {"77AA0C21D4E5B6A7", "Trại giống Đầm Dơi", 20420, 1, 500, 12, 12, 0, 0},
};

static struct dash_day sample_days[DASH_CHART_DAYS];

static void fill_days(void)
{
	for (int i = 0; i < DASH_CHART_DAYS; i++) {
		sample_days[i].day = 20390 + i;
		sample_days[i].scans = 40 + (i * 37) % 60 + (i > 20 ? 30 : 0);
		sample_days[i].duplicates = (i * 7) % 5 + (i == 25 ? 9 : 0);
		sample_days[i].claims = 10 + (i * 13) % 15;
	}
}

static struct dash_main sample_main(void)
{
	struct dash_main m = {
	    .who = {"so-khcn", "", 1795582800000},
	    .filter = {-1, -1, ""},
	    .alerts = sample_alerts,
	    .n_alerts = 3,
	    .producers = sample_producers,
	    .n_producers = 2,
	    .days = sample_days,
	    .n_days = DASH_CHART_DAYS,
	};
	fill_days();
	return m;
}

static char *main_page(const struct dash_main *m, enum lang lang)
{
	char *html;
	size_t len;

	assert_int_equal(pages_dash_main(m, lang, &html, &len), 0);
	assert_int_equal(strlen(html), len);
	return html;
}

/* Nothing a browser would run or fetch, and no style attribute the CSP might refuse. */
static void assert_inert(const char *html)
{
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, " style="));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<link"));
	assert_null(strstr(html, "<iframe"));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
}

static void test_dash_escapes_hostile_ledger_strings(void **state)
{
	struct dash_alert a = sample_alerts[1];
	struct dash_producer p = sample_producers[0];
	struct dash_main m = sample_main();
	char *html;

	(void)state;
	a.producer = hostile;
	a.key_id = "<b>KEY</b>";
	a.note = "\"><img src=x onerror=alert(2)>";
	a.updated_by = "x' onmouseover='y";
	p.name = hostile;
	p.key_id = "\"><i>";
	m.alerts = &a;
	m.n_alerts = 1;
	m.producers = &p;
	m.n_producers = 1;
	m.who.name = "<u>who</u>";
	m.notice = "<em>done</em>";
	for (int lang = LANG_VI; lang <= LANG_EN; lang++) {
		html = main_page(&m, (enum lang)lang);
		assert_inert(html);
		assert_null(strstr(html, "<img"));
		assert_null(strstr(html, "<b>KEY"));
		assert_null(strstr(html, "<u>who"));
		assert_null(strstr(html, "<em>done"));
		assert_null(strstr(html, "<i>"));
		assert_null(strstr(html, "x' onmouseover"));
		assert_non_null(
		    strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
		assert_non_null(strstr(html, "&lt;u&gt;who&lt;/u&gt;"));
		assert_non_null(strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
		free(html);
	}
}

static void test_dash_code_page_escapes_the_query_and_history(void **state)
{
	struct dash_scan h[2] = {{1764046800000, "00112233aabbccdd", V_GENUINE},
				 {1764050400000, "<i>x</i>", V_DUPLICATE}};
	struct dash_code c = {.who = {"so-khcn", "", 0},
			      .query = "\"><script>x</script>",
			      .found = 1,
			      .short_id = "3F9A0C21D4E5B6A7-1042",
			      .producer = hostile,
			      .in_batch = 1,
			      .product = "<b>Cua</b>",
			      .batch_id = "20261125-1",
			      .scans = 2,
			      .clients = 2,
			      .first_ms = 1764046800000,
			      .last_ms = 1764050400000,
			      .last = V_DUPLICATE,
			      .alerts = sample_alerts,
			      .n_alerts = 1,
			      .history = h,
			      .n_history = 2};
	char *html;
	size_t len;

	(void)state;
	assert_int_equal(pages_dash_code(&c, LANG_VI, &html, &len), 0);
	assert_inert(html);
	assert_null(strstr(html, "<b>Cua"));
	assert_null(strstr(html, "<i>x"));
	assert_non_null(strstr(html, "value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
	assert_non_null(strstr(html, "Lịch sử quét"));
	assert_non_null(strstr(html, "00112233aabbccdd"));
	assert_non_null(strstr(html, "Nghi sao chép"));
	assert_non_null(strstr(
	    html, "<td data-l=\"Thời gian\"><span class=\"tm\">25/11/2025 12:00</span></td>"));
	free(html);
	assert_int_equal(pages_dash_code(&c, LANG_EN, &html, &len), 0);
	assert_non_null(strstr(html, "Scan history"));
	assert_non_null(strstr(html, "Possible copy"));
	assert_non_null(
	    strstr(html, "<td data-l=\"Time\"><span class=\"tm\">2025-11-25 12:00</span></td>"));
	free(html);
}

static void test_dash_speaks_both_languages(void **state)
{
	struct dash_main m = sample_main();
	char *vi = main_page(&m, LANG_VI), *en = main_page(&m, LANG_EN);
	char *si;
	size_t len;

	(void)state;
	assert_non_null(strstr(vi, "<html lang=\"vi\">"));
	assert_non_null(strstr(vi, "Cảnh báo"));
	assert_non_null(strstr(vi, ">Tem bị sao chép<"));
	assert_non_null(strstr(vi, ">Quét sau khi đã bán<"));
	assert_non_null(strstr(vi, ">Loạt tem giả<"));
	assert_non_null(strstr(vi, "Đang xác minh"));
	assert_non_null(strstr(vi, "Xác nhận hàng giả"));
	assert_non_null(strstr(vi, "Đăng xuất"));
	assert_null(strstr(vi, "Sign out"));
	assert_non_null(strstr(en, "<html lang=\"en\">"));
	assert_non_null(strstr(en, ">Copied label<"));
	assert_non_null(strstr(en, ">Scanned after sale<"));
	assert_non_null(strstr(en, ">Burst of forged labels<"));
	assert_non_null(strstr(en, "Investigating"));
	assert_non_null(strstr(en, "Confirmed counterfeit"));
	assert_non_null(strstr(en, "Sign out"));
	assert_null(strstr(en, "Đăng xuất"));
	/* times in Vietnam's time: 1764046800000 is 2025-11-25 05:00 UTC */
	assert_non_null(strstr(vi, "25/11/2025 12:00"));
	assert_non_null(strstr(en, "2025-11-25 12:00"));
	/* each language links to the other */
	assert_non_null(strstr(vi, "href=\"/dashboard?lang=en\">English<"));
	assert_non_null(strstr(en, "href=\"/dashboard?lang=vi\">Tiếng Việt<"));
	free(vi);
	free(en);
	assert_int_equal(pages_dash_sign_in(LANG_VI, "Mã không đúng <x>", &si, &len), 0);
	assert_inert(si);
	assert_non_null(strstr(si, "name=\"token\""));
	assert_non_null(strstr(si, "type=\"password\""));
	assert_non_null(strstr(si, "action=\"/dashboard/sign-in\""));
	assert_non_null(strstr(si, "<code>temd token create</code>"));
	assert_non_null(strstr(si, "Mã không đúng &lt;x&gt;"));
	free(si);
	assert_int_equal(pages_dash_sign_in(LANG_EN, NULL, &si, &len), 0);
	assert_non_null(strstr(si, "Access token"));
	assert_null(strstr(si, "role=\"alert\""));
	free(si);
}

static void test_dash_chart_draws_known_points(void **state)
{
	struct dash_day d[3] = {{20400, 0, 0, 1}, {20401, 10, 0, 0}, {20402, 20, 5, 0}};
	struct dash_main m = sample_main();
	char *html;

	(void)state;
	m.days = d;
	m.n_days = 3;
	html = main_page(&m, LANG_EN);
	/* the axis tops at 20: x from 56 to 704, y from 220 (0) to 16 (20) */
	assert_non_null(strstr(html, "class=\"line-s\""));
	assert_non_null(strstr(html, "points=\"56,220 380,118 704,16\""));
	assert_non_null(strstr(html, "points=\"56,220 380,220 704,169\""));
	assert_non_null(strstr(html, "points=\"56,209.8 380,220 704,220\""));
	/* the y axis' values and the last day's label */
	assert_non_null(strstr(html, "text-anchor=\"end\">20</text>"));
	assert_non_null(strstr(html, "text-anchor=\"end\">10</text>"));
	assert_non_null(strstr(html, ">11-10</text>")); /* day 20402 is 2025-11-10 */
	assert_non_null(
	    strstr(html, "<title>2025-11-10: Scans 20, Duplicates 5, Claims 0</title>"));
	assert_non_null(strstr(html, "Scans: <strong>30</strong>"));
	free(html);
}

static void test_dash_axis_rounds_up_to_round_steps(void **state)
{
	(void)state;
	assert_int_equal(pages_dash_axis_max(0), 4);
	assert_int_equal(pages_dash_axis_max(1), 4);
	assert_int_equal(pages_dash_axis_max(4), 4);
	assert_int_equal(pages_dash_axis_max(5), 8);
	assert_int_equal(pages_dash_axis_max(9), 20);
	assert_int_equal(pages_dash_axis_max(20), 20);
	assert_int_equal(pages_dash_axis_max(21), 40);
	assert_int_equal(pages_dash_axis_max(799), 800);
	assert_int_equal(pages_dash_axis_max(10000000), 20000000);
	assert_true(pages_dash_axis_max(INT64_MAX) >= INT64_MAX / 2);
}

static void test_dash_workflow_offers_the_steps_a_status_allows(void **state)
{
	struct dash_main m = sample_main();
	char *html = main_page(&m, LANG_VI);
	const char *open = strstr(html, "action=\"/dashboard/alerts/12\"");
	const char *inv = strstr(html, "action=\"/dashboard/alerts/11\"");
	const char *closed = strstr(html, "action=\"/dashboard/alerts/9\"");

	(void)state;
	assert_non_null(open);
	assert_non_null(inv);
	assert_non_null(closed);
	assert_true(open < inv && inv < closed);
	/* open: investigate or close, with a reason and a note */
	assert_non_null(strstr(open, "name=\"status\" value=\"investigating\""));
	assert_true(strstr(open, "name=\"status\" value=\"investigating\"") < inv);
	assert_true(strstr(open, "value=\"confirmed-counterfeit\"") < inv);
	assert_true(strstr(open, "name=\"note\"") < inv);
	/* investigating: only close */
	assert_true(strstr(inv, "value=\"investigating\"") == NULL ||
		    strstr(inv, "value=\"investigating\"") > closed);
	assert_true(strstr(inv, "name=\"status\" value=\"closed\"") < closed);
	/* closed: only reopen */
	assert_non_null(strstr(closed, "name=\"status\" value=\"open\""));
	assert_null(strstr(closed, "name=\"status\" value=\"closed\""));
	assert_non_null(strstr(html, "method=\"post\" action=\"/dashboard/alerts/12\""));
	free(html);
}

static void test_dash_filters_come_back_in_forms_links_and_csv(void **state)
{
	struct dash_main m = sample_main();
	char *html;

	(void)state;
	m.filter.type = ALERT_DUPLICATE;
	m.filter.status = ALERT_OPEN;
	m.filter.producer = "3F9A0C21D4E5B6A7";
	m.next_after = 12;
	html = main_page(&m, LANG_EN);
	assert_non_null(strstr(html, "<option value=\"duplicate\" selected>"));
	assert_non_null(strstr(html, "<option value=\"open\" selected>"));
	assert_non_null(strstr(html, "<option value=\"3F9A0C21D4E5B6A7\" selected>"));
	assert_non_null(strstr(html, "name=\"f_type\" value=\"duplicate\""));
	assert_non_null(strstr(html, "name=\"f_producer\" value=\"3F9A0C21D4E5B6A7\""));
	assert_non_null(strstr(html,
			       "href=\"/dashboard/csv/alerts?format=csv&amp;type=duplicate&amp;"
			       "status=open&amp;producer=3F9A0C21D4E5B6A7\""));
	assert_non_null(strstr(html, "&amp;after=12\">Older »</a>"));
	assert_non_null(strstr(html, "href=\"/dashboard/csv/producers?format=csv\""));
	assert_non_null(strstr(html,
			       "/dashboard/csv/stats?format=csv&amp;by=day&amp;from=2025-10-29&amp;"
			       "to=2025-11-28\""));
	free(html);
	/* a producer's token has no producer filter to choose from */
	m = sample_main();
	m.who.producer = "3F9A0C21D4E5B6A7";
	html = main_page(&m, LANG_EN);
	assert_null(strstr(html, "name=\"producer\""));
	assert_non_null(strstr(html, "producer <span class=\"id\">3F9A0C21D4E5B6A7</span>"));
	free(html);
}

static void test_dash_says_when_there_is_nothing(void **state)
{
	struct dash_main m = sample_main();
	struct dash_code c = {.who = {"so-khcn", "", 0},
			      .query = "nonsense",
			      .message = "Not a code <b>",
			      .found = 0};
	char *html;
	size_t len;

	(void)state;
	m.n_alerts = 0;
	m.n_producers = 0;
	m.n_days = 0;
	html = main_page(&m, LANG_VI);
	assert_non_null(strstr(html, "Chưa có cảnh báo nào."));
	assert_non_null(strstr(html, "Chưa có nhà sản xuất nào"));
	assert_non_null(strstr(html, "Chưa có số liệu"));
	assert_null(strstr(html, "<polyline"));
	assert_null(strstr(html, "<table"));
	free(html);
	m.filter.status = ALERT_CLOSED;
	html = main_page(&m, LANG_EN);
	assert_non_null(strstr(html, "No alert matches the filters."));
	free(html);
	assert_int_equal(pages_dash_code(&c, LANG_EN, &html, &len), 0);
	assert_non_null(strstr(html, "Not a code &lt;b&gt;"));
	assert_null(strstr(html, "Scan history"));
	free(html);
	c.found = 1;
	c.message = NULL;
	c.short_id = "3F9A0C21D4E5B6A7-7";
	c.producer = "";
	c.last = V_COUNT;
	assert_int_equal(pages_dash_code(&c, LANG_EN, &html, &len), 0);
	assert_non_null(strstr(html, "This code was never scanned."));
	assert_non_null(strstr(html, "No alert on this code."));
	assert_non_null(strstr(html, "in no declared batch"));
	free(html);
}

/* Writes the sample pages to DASH_SAMPLE_DIR when it is set (to look at them in a browser
 * without a temd); nothing otherwise. */
static void test_dash_sample_pages(void **state)
{
	const char *dir = getenv("DASH_SAMPLE_DIR");
	struct dash_main m = sample_main();
	struct dash_scan h[3] = {{1764046800000, "00112233aabbccdd", V_GENUINE},
				 {1764050400000, "8a9b0c1d2e3f4a5b", V_SEEN},
				 {1764133200000, "ffeeddccbbaa9988", V_DUPLICATE}};
	struct dash_code c = {.who = m.who,
			      .query = "3F9A0C21D4E5B6A7-1042",
			      .found = 1,
			      .short_id = "3F9A0C21D4E5B6A7-1042",
			      .producer = "HTX Cua Cà Mau Năm Căn",
			      .in_batch = 1,
			      .product = "Cua gạch loại 1",
			      .batch_id = "20261125-1",
			      .scans = 3,
			      .clients = 3,
			      .first_ms = 1764046800000,
			      .last_ms = 1764133200000,
			      .last = V_DUPLICATE,
			      .alerts = sample_alerts,
			      .n_alerts = 1,
			      .history = h,
			      .n_history = 3};
	char path[512], *html;
	size_t len;

	(void)state;
	if (dir == NULL)
		return;
	m.notice = "Cảnh báo #11: đang xác minh.";
	for (int lang = LANG_VI; lang <= LANG_EN; lang++) {
		const char *l = lang == LANG_EN ? "en" : "vi";
		FILE *f;

		snprintf(path, sizeof path, "%s/dashboard-%s.html", dir, l);
		html = main_page(&m, (enum lang)lang);
		assert_non_null(f = fopen(path, "w"));
		assert_int_equal(fwrite(html, 1, strlen(html), f), strlen(html));
		assert_int_equal(fclose(f), 0);
		free(html);
		snprintf(path, sizeof path, "%s/dashboard-code-%s.html", dir, l);
		assert_int_equal(pages_dash_code(&c, (enum lang)lang, &html, &len), 0);
		assert_non_null(f = fopen(path, "w"));
		assert_int_equal(fwrite(html, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		free(html);
		snprintf(path, sizeof path, "%s/dashboard-sign-in-%s.html", dir, l);
		assert_int_equal(pages_dash_sign_in((enum lang)lang, NULL, &html, &len), 0);
		assert_non_null(f = fopen(path, "w"));
		assert_int_equal(fwrite(html, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		free(html);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dash_escapes_hostile_ledger_strings),
	    cmocka_unit_test(test_dash_code_page_escapes_the_query_and_history),
	    cmocka_unit_test(test_dash_speaks_both_languages),
	    cmocka_unit_test(test_dash_chart_draws_known_points),
	    cmocka_unit_test(test_dash_axis_rounds_up_to_round_steps),
	    cmocka_unit_test(test_dash_workflow_offers_the_steps_a_status_allows),
	    cmocka_unit_test(test_dash_filters_come_back_in_forms_links_and_csv),
	    cmocka_unit_test(test_dash_says_when_there_is_nothing),
	    cmocka_unit_test(test_dash_sample_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
