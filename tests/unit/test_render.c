/* test_render.c — QR encoding choices and label geometry: version and ECC, the alphanumeric
 * check, the version cap, fit checks, the minimum module, and the read-back check. */
#include "tests/unit/testutil.h"

#include "label/check.h"
#include "label/qr.h"
#include "label/render.h"

static const char url[] = "HTTP://127.0.0.1:8080/C/AGT3NZOUEEGJUPYAAAAAAAAAAAAQAAAIXN36A3R7YDCPK"
			  "MNCYPXKNBNSD6T6ICSUJOUMHTIYGHGSTJAZ7JTLWNPXRBWHBSI6QGAQIBXMUGPIFPNEAOL4"
			  "VWT55BL5JFXGBGKAG";

static void test_qr_smallest_version_per_ecc(void **state)
{
	static const int want[] = {6, 7, 8, 10}; /* L M Q H for a 157-character URL */
	struct tem_err err;

	(void)state;
	for (int e = QR_ECC_L; e <= QR_ECC_H; e++) {
		struct qr q;
		assert_int_equal(qr_encode(url, (enum qr_ecc)e, 0, &q, &err), 0);
		assert_int_equal(q.version, want[e]);
		assert_int_equal(q.width, 17 + 4 * want[e]);
		/* the three finder patterns' corners are dark */
		assert_int_equal(q.modules[0], 1);
		assert_int_equal(q.modules[q.width - 1], 1);
		assert_int_equal(q.modules[(q.width - 1) * q.width], 1);
		qr_free(&q);
	}
}

static void test_qr_refuses_lower_case_and_version_cap(void **state)
{
	struct qr q;
	struct tem_err err;

	(void)state;
	assert_int_not_equal(qr_encode("http://x/c/abc", QR_ECC_M, 0, &q, &err), 0);
	assert_non_null(strstr(err.msg, "alphanumeric"));
	assert_int_not_equal(qr_encode(url, QR_ECC_M, 6, &q, &err), 0);
	assert_non_null(strstr(err.msg, "needs QR version 7"));
	assert_int_equal(qr_ecc_parse("q"), QR_ECC_Q);
	assert_int_equal(qr_ecc_parse("X"), -1);
}

static void test_layout_tie_fits_and_min_module_refuses(void **state)
{
	struct label_spec s = {.kind = LAYOUT_TIE};
	struct label_geom g;
	struct tem_err err;

	(void)state;
	assert_int_equal(label_plan(&s, 45, &g, &err), TEM_OK);
	assert_true(g.module >= 0.25);
	assert_true(g.qr_block <= 15.0 + 1e-9);
	assert_int_equal(g.cols * g.rows, 48);
	s.min_module = 0.3;
	assert_int_equal(label_plan(&s, 45, &g, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "smallest QR that works is 13.5 mm"));
}

static void test_layout_rejects_what_does_not_fit(void **state)
{
	struct label_spec s = {.kind = LAYOUT_SHEET, .label_w = 300, .label_h = 30};
	struct label_geom g;
	struct tem_err err;
	double w, h;

	(void)state;
	assert_int_equal(label_plan(&s, 45, &g, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "does not fit"));
	struct label_spec t = {.kind = LAYOUT_STICKER, .qr_mm = 40};
	assert_int_equal(label_plan(&t, 45, &g, &err), TEM_ERR);
	assert_int_equal(size_parse("40x30mm", &w, &h, &err), TEM_OK);
	assert_true(w == 40 && h == 30);
	assert_int_equal(size_parse("40by30", &w, &h, &err), TEM_ERR);
	assert_int_equal(paper_parse("letter", &w, &h, &err), TEM_OK);
	assert_int_equal(paper_parse("A3", &w, &h, &err), TEM_ERR);
	assert_int_equal(layout_parse("poster"), -1);
}

static void test_check_reads_a_label_back_and_catches_a_wrong_one(void **state)
{
	static const enum label_qr_style styles[] = {LABEL_QR_IMAGE, LABEL_QR_PATH};
	static const enum layout_kind kinds[] = {LAYOUT_TIE, LAYOUT_STICKER, LAYOUT_SHEET};
	struct label_text t = {"3F9A0C21D4E5B6A7-1", "Hợp tác xã Cua Cà Mau Năm Căn", "Cua Cà Mau"};
	struct tem_err err;

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < 2; i++) {
			struct label_spec s = {.kind = kinds[k]};
			struct label_geom g;
			struct qr q;
			assert_int_equal(qr_encode(url, QR_ECC_M, 0, &q, &err), 0);
			assert_int_equal(label_plan(&s, q.width, &g, &err), TEM_OK);
			struct label_checker *ck = label_checker_new(&g, 300);
			struct label_art *art = label_art_new(&g, &t, styles[i]);
			assert_non_null(ck);
			assert_non_null(art);
			assert_int_equal(label_check(ck, art, &q, t.short_id, url, &err), TEM_OK);
			assert_int_equal(
			    label_check(ck, art, &q, t.short_id, "HTTP://OTHER/C/X", &err), TEM_NO);
			/* a damaged symbol: a quarter of the modules flipped cannot decode */
			for (int j = 0; j < q.width * q.width; j += 4)
				q.modules[j] ^= 1;
			assert_int_equal(label_check(ck, art, &q, t.short_id, url, &err), TEM_NO);
			label_art_free(art);
			label_checker_free(ck);
			qr_free(&q);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qr_smallest_version_per_ecc),
	    cmocka_unit_test(test_qr_refuses_lower_case_and_version_cap),
	    cmocka_unit_test(test_layout_tie_fits_and_min_module_refuses),
	    cmocka_unit_test(test_layout_rejects_what_does_not_fit),
	    cmocka_unit_test(test_check_reads_a_label_back_and_catches_a_wrong_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
