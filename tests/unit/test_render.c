/* test_render.c — QR encoding choices and label geometry: version and ECC, the alphanumeric
 * check, the version cap, fit checks, the minimum module, the read-back check, and label
 * output files (formats, whole-or-nothing, one PNG per label). */
#include "tests/unit/testutil.h"

#include <dirent.h>
#include <sys/stat.h>

#include "label/check.h"
#include "label/output.h"
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
	/* phones read 0.33 mm modules at version 7 (docs/labels.md) */
	assert_true(g.module >= LABEL_MIN_MODULE);
	assert_true(g.qr_block <= 22.0 + 1e-9);
	assert_int_equal(g.cols * g.rows, 32);
	s.min_module = 0.5;
	assert_int_equal(label_plan(&s, 45, &g, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "smallest QR that works is 22.5 mm"));
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
	struct label_text t = {"3F9A0C21D4E5B6A7-1", "Hợp tác xã Cua Cà Mau Năm Căn", "Cua Cà Mau",
			       "TEM.EXAMPLE.VN"};
	struct tem_err err;

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < 2; i++) {
			struct label_spec s = {.kind = kinds[k], .pin = 1};
			struct label_geom g;
			struct qr q;
			assert_int_equal(qr_encode(url, QR_ECC_M, 0, &q, &err), 0);
			assert_int_equal(label_plan(&s, q.width, &g, &err), TEM_OK);
			struct label_checker *ck = label_checker_new(&g, 300);
			struct label_art *art = label_art_new(&g, &t, styles[i]);
			assert_non_null(ck);
			assert_non_null(art);
			assert_int_equal(
			    label_check(ck, art, &q, t.short_id, "01234 56789", url, &err), TEM_OK);
			assert_int_equal(
			    label_check(ck, art, &q, t.short_id, NULL, "HTTP://OTHER/C/X", &err),
			    TEM_NO);
			/* a damaged symbol: a quarter of the modules flipped cannot decode */
			for (int j = 0; j < q.width * q.width; j += 4)
				q.modules[j] ^= 1;
			assert_int_equal(
			    label_check(ck, art, &q, t.short_id, "01234 56789", url, &err), TEM_NO);
			label_art_free(art);
			label_checker_free(ck);
			qr_free(&q);
		}
	}
}

static void test_check_fails_modules_a_phone_cannot_read(void **state)
{
	/* the old 15 mm tie: 0.28 mm modules, which print at 300 dpi but blur away at 7 px/mm */
	struct label_spec s = {
	    .kind = LAYOUT_TIE, .label_w = 15, .label_h = 65, .min_module = 0.25};
	struct label_text t = {"3F9A0C21D4E5B6A7-1", "", "Cua", ""};
	struct label_geom g;
	struct tem_err err;
	struct qr q;

	(void)state;
	assert_int_equal(qr_encode(url, QR_ECC_M, 0, &q, &err), 0);
	assert_int_equal(label_plan(&s, q.width, &g, &err), TEM_OK);
	assert_true(g.module < 0.29);
	struct label_checker *ck = label_checker_new(&g, 300);
	struct label_art *art = label_art_new(&g, &t, LABEL_QR_IMAGE);
	assert_int_equal(label_check(ck, art, &q, t.short_id, NULL, url, &err), TEM_NO);
	assert_non_null(strstr(err.msg, "as a phone sees it"));
	label_art_free(art);
	label_checker_free(ck);
	qr_free(&q);
}

static void test_phone_view_resamples_and_blurs(void **state)
{
	/* a 10x10 mm image at 14 px/mm, black left half: 70x70 px at 7 px/mm, edge softened */
	unsigned char src[140 * 140], dst[70 * 70];
	float tmp[70 * 140 + 70 * 70 + 140 + 140 + 70 + 70];
	int dw, dh;

	(void)state;
	for (int i = 0; i < 140 * 140; i++)
		src[i] = i % 140 < 70 ? 0 : 255;
	label_phone_size(10, 10, &dw, &dh);
	assert_int_equal(dw, 70);
	assert_int_equal(dh, 70);
	assert_true(label_phone_tmp(140, 140, 70, 70) <= sizeof tmp / sizeof tmp[0]);
	label_phone_view(src, 140, 140, 14, dst, dw, dh, tmp);
	assert_int_equal(dst[35 * 70 + 10], 0);
	assert_int_equal(dst[35 * 70 + 60], 255);
	/* the edge between pixels 34 and 35 blurs into both */
	assert_true(dst[35 * 70 + 34] > 40 && dst[35 * 70 + 34] < 128);
	assert_true(dst[35 * 70 + 35] > 128 && dst[35 * 70 + 35] < 215);
}

static void test_url_host(void **state)
{
	char h[64];

	(void)state;
	label_url_host("HTTPS://TEM.EXAMPLE.VN", h, sizeof h);
	assert_string_equal(h, "TEM.EXAMPLE.VN");
	label_url_host("HTTP://127.0.0.1:8080/X/Y", h, sizeof h);
	assert_string_equal(h, "127.0.0.1:8080");
	label_url_host("", h, sizeof h);
	assert_string_equal(h, "");
	label_url_host("HTTPS://TEM.EXAMPLE.VN", h, 4);
	assert_string_equal(h, "TEM");
}

static void test_output_formats_by_name_and_extension(void **state)
{
	struct label_spec s = {.kind = LAYOUT_SHEET};
	struct label_geom g;
	struct tem_err err;

	(void)state;
	assert_int_equal(label_format_parse("PDF"), LABEL_FORMAT_PDF);
	assert_int_equal(label_format_parse("gif"), -1);
	assert_int_equal(label_format_of_path("out/labels.Svg"), LABEL_FORMAT_SVG);
	assert_int_equal(label_format_of_path("labels"), -1);
	assert_int_equal(label_format_of_path("png/"), LABEL_FORMAT_PNG);
	assert_int_equal(label_format_of_path("out/labels.png//"), LABEL_FORMAT_PNG);
	assert_int_equal(label_format_of_path("a.b/svg"), LABEL_FORMAT_SVG);
	assert_int_equal(label_format_qr_style(LABEL_FORMAT_SVG), LABEL_QR_PATH);
	assert_int_equal(label_format_qr_style(LABEL_FORMAT_PDF), LABEL_QR_IMAGE);
	assert_int_equal(label_plan(&s, 45, &g, &err), TEM_OK);
	assert_int_equal(g.cols * g.rows, 27);
	assert_false(label_format_is_dir(LABEL_FORMAT_PDF, &g, 1000));
	assert_false(label_format_is_dir(LABEL_FORMAT_SVG, &g, 27));
	assert_true(label_format_is_dir(LABEL_FORMAT_SVG, &g, 28));
	assert_false(label_format_is_dir(LABEL_FORMAT_PNG, &g, 1));
	assert_true(label_format_is_dir(LABEL_FORMAT_PNG, &g, 2));
}

/* Counts the entries of a folder whose name contains `part`. */
static int count_entries(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.' && strstr(e->d_name, part) != NULL;
	closedir(d);
	return n;
}

/* Writes n sticker labels to path in fmt; finish 0 frees the writer unfinished. */
static int write_labels(const char *path, enum label_format fmt, int n, int force, int finish,
			struct tem_err *err)
{
	struct label_text t = {"3F9A0C21D4E5B6A7-100", "HTX", "Cua", "TEM.EXAMPLE.VN"};
	struct label_spec s = {.kind = LAYOUT_STICKER};
	struct label_writer *w;
	struct label_geom g;
	struct qr q;
	int rc;

	assert_int_equal(qr_encode(url, QR_ECC_M, 0, &q, err), 0);
	assert_int_equal(label_plan(&s, q.width, &g, err), TEM_OK);
	struct label_art *art = label_art_new(&g, &t, label_format_qr_style(fmt));
	assert_non_null(art);
	rc = label_write_open(&w, path, fmt, force, &g, art, 150, (uint64_t)n, err);
	for (int i = 0; rc == TEM_OK && i < n; i++) {
		char sid[32];
		snprintf(sid, sizeof sid, "3F9A0C21D4E5B6A7-%d", i + 1);
		rc = label_write_label(w, &q, sid, NULL, err);
	}
	if (rc == TEM_OK && finish)
		rc = label_write_finish(w, err);
	if (rc == TEM_OK || w != NULL)
		label_write_free(w);
	label_art_free(art);
	qr_free(&q);
	return rc;
}

static void test_output_files_appear_whole_or_not_at_all(void **state)
{
	const char *dir = scratch_dir();
	char pdf[512], png[512], one[512], *text;
	struct tem_err err;
	struct stat st;
	size_t len;

	(void)state;
	snprintf(pdf, sizeof pdf, "%s/l.pdf", dir);
	snprintf(png, sizeof png, "%s/l.png", dir);
	snprintf(one, sizeof one, "%s/l.png/3F9A0C21D4E5B6A7-2.png", dir);
	/* a PDF of three sticker pages */
	assert_int_equal(write_labels(pdf, LABEL_FORMAT_PDF, 3, 0, 1, &err), TEM_OK);
	text = read_file(pdf, &len);
	assert_memory_equal(text, "%PDF-", 5);
	assert_non_null(memmem(text, len, "/Count 3", 8));
	free(text);
	/* an existing output is refused without force, and kept */
	assert_int_equal(write_labels(pdf, LABEL_FORMAT_PDF, 3, 0, 1, &err), TEM_ERR);
	assert_non_null(strstr(err.msg, "already exists"));
	assert_int_equal(stat(pdf, &st), 0);
	assert_true(st.st_size > 0);
	assert_int_equal(write_labels(pdf, LABEL_FORMAT_PDF, 1, 1, 1, &err), TEM_OK);
	/* PNG: one image per label in a directory, named by short id */
	assert_int_equal(write_labels(png, LABEL_FORMAT_PNG, 3, 0, 1, &err), TEM_OK);
	assert_int_equal(count_entries(png, ".png"), 3);
	text = read_file(one, &len);
	assert_memory_equal(text, "\x89PNG", 4);
	/* its resolution: 150 dpi is 5906 pixels a metre, both ways, unit metre */
	char *phys = memmem(text, len, "pHYs", 4);
	assert_non_null(phys);
	assert_memory_equal(phys + 4, "\0\0\x17\x12\0\0\x17\x12\x01", 9);
	free(text);
	/* an existing empty folder, or a path ending in '/', is the folder to fill */
	snprintf(png, sizeof png, "%s/empty", dir);
	assert_int_equal(mkdir(png, 0755), 0);
	assert_int_equal(write_labels(png, LABEL_FORMAT_PNG, 1, 0, 1, &err), TEM_OK);
	assert_int_equal(count_entries(png, ".png"), 1);
	assert_int_equal(write_labels(png, LABEL_FORMAT_PNG, 1, 0, 1, &err), TEM_ERR);
	snprintf(png, sizeof png, "%s/slash/", dir);
	assert_int_equal(write_labels(png, LABEL_FORMAT_PNG, 1, 0, 1, &err), TEM_OK);
	snprintf(png, sizeof png, "%s/slash", dir);
	assert_int_equal(count_entries(png, ".png"), 1);
	snprintf(png, sizeof png, "%s/l.png", dir);
	/* unfinished writers leave nothing: no file, no temporary file or directory */
	assert_int_equal(write_labels(png, LABEL_FORMAT_PNG, 3, 1, 0, &err), TEM_OK);
	assert_int_equal(count_entries(png, ".png"), 3);
	snprintf(pdf, sizeof pdf, "%s/u.pdf", dir);
	assert_int_equal(write_labels(pdf, LABEL_FORMAT_PDF, 2, 0, 0, &err), TEM_OK);
	snprintf(png, sizeof png, "%s/u.png", dir);
	assert_int_equal(write_labels(png, LABEL_FORMAT_PNG, 2, 0, 0, &err), TEM_OK);
	assert_int_equal(count_entries(dir, "u."), 0);
	assert_int_equal(count_entries(dir, "tmp"), 0);
	/* a folder that cannot be written */
	assert_int_equal(write_labels("/proc/nope/x.pdf", LABEL_FORMAT_PDF, 1, 0, 1, &err),
			 TEM_ERR);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qr_smallest_version_per_ecc),
	    cmocka_unit_test(test_qr_refuses_lower_case_and_version_cap),
	    cmocka_unit_test(test_layout_tie_fits_and_min_module_refuses),
	    cmocka_unit_test(test_layout_rejects_what_does_not_fit),
	    cmocka_unit_test(test_check_reads_a_label_back_and_catches_a_wrong_one),
	    cmocka_unit_test(test_check_fails_modules_a_phone_cannot_read),
	    cmocka_unit_test(test_phone_view_resamples_and_blurs),
	    cmocka_unit_test(test_url_host),
	    cmocka_unit_test(test_output_formats_by_name_and_extension),
	    cmocka_unit_test(test_output_files_appear_whole_or_not_at_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
