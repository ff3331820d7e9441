/* render.c — label geometry and drawing. Each QR is drawn as a 1-bit image mask with nearest-
 * neighbour filtering: one image per symbol instead of a rectangle per module keeps PDFs small
 * and fast, and the modules meet exactly with no hairline gaps (docs/labels.md). */
#include "label/render.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT_FAMILY "Noto Sans"

int layout_parse(const char *s)
{
	if (strcmp(s, "tie") == 0)
		return LAYOUT_TIE;
	if (strcmp(s, "sticker") == 0)
		return LAYOUT_STICKER;
	if (strcmp(s, "sheet") == 0)
		return LAYOUT_SHEET;
	return -1;
}

int paper_parse(const char *s, double *w, double *h, struct tem_err *err)
{
	if (strcasecmp(s, "A4") == 0) {
		*w = 210.0, *h = 297.0;
	} else if (strcasecmp(s, "Letter") == 0) {
		*w = 215.9, *h = 279.4;
	} else {
		return err_set(err, "unknown paper '%.40s' (A4 or Letter)", s);
	}
	return TEM_OK;
}

int size_parse(const char *s, double *w, double *h, struct tem_err *err)
{
	char unit[8] = "";
	int n = 0;

	if (sscanf(s, "%lfx%lf%n%7s", w, h, &n, unit) < 2 || (unit[0] && strcmp(unit, "mm") != 0) ||
	    !isfinite(*w) || !isfinite(*h) || *w < 5 || *h < 5 || *w > 1000 || *h > 1000)
		return err_set(err, "size '%.40s' is not WIDTHxHEIGHTmm between 5 and 1000 mm", s);
	return TEM_OK;
}

void label_spec_defaults(struct label_spec *s)
{
	if (s->label_w <= 0 || s->label_h <= 0) {
		switch (s->kind) {
		case LAYOUT_TIE:
			s->label_w = 15, s->label_h = 60;
			break;
		case LAYOUT_STICKER:
			s->label_w = 40, s->label_h = 30;
			break;
		case LAYOUT_SHEET:
			s->label_w = 60, s->label_h = 30;
			break;
		}
	}
	if (s->page_w <= 0 || s->page_h <= 0)
		s->page_w = 210, s->page_h = 297;
	if (s->margin <= 0)
		s->margin = 10;
	if (s->min_module <= 0)
		s->min_module = 0.25;
}

int label_plan(const struct label_spec *spec, int qr_width, struct label_geom *g,
	       struct tem_err *err)
{
	const double pad = 1.0; /* white inside a label's edge, mm */
	int blocks = qr_width + 2 * QR_QUIET;
	double room;

	memset(g, 0, sizeof *g);
	g->spec = *spec;
	label_spec_defaults(&g->spec);
	const struct label_spec *s = &g->spec;
	g->qr_width = qr_width;
	/* the QR block (symbol and quiet zone) may use the label's whole width on a tie, and its
	 * height beside the text on stickers and sheets */
	room =
	    s->kind == LAYOUT_TIE ? s->label_w : fmin(s->label_h - 2 * pad, s->label_w * 0.6 - pad);
	if (s->qr_mm > 0) {
		g->module = s->qr_mm / qr_width;
		if (g->module * blocks > room + 1e-9)
			return err_set(err,
				       "a %.1f mm QR with its quiet zone (%.1f mm) does not fit a "
				       "%.1fx%.1f mm "
				       "label: at most --qr-size %.1f",
				       s->qr_mm, g->module * blocks, s->label_w, s->label_h,
				       room * qr_width / blocks);
	} else {
		g->module = room / blocks;
	}
	if (g->module < s->min_module - 1e-9)
		return err_set(
		    err,
		    "QR modules would be %.3f mm, smaller than --min-module %.2f mm: the "
		    "smallest QR that works is %.1f mm (%.1f mm with its quiet zone); use "
		    "a larger label, a shorter base URL or a lower --ecc",
		    g->module, s->min_module, s->min_module * qr_width, s->min_module * blocks);
	g->qr_block = g->module * blocks;
	if (s->kind == LAYOUT_TIE) {
		g->qr_x = (s->label_w - g->qr_block) / 2;
		g->qr_y = 0;
		g->text_x = pad;
		g->text_y = g->qr_block;
		g->text_w = s->label_w - 2 * pad;
		g->text_h = s->label_h - g->qr_block - pad;
	} else {
		g->qr_x = pad;
		g->qr_y = (s->label_h - g->qr_block) / 2;
		g->text_x = pad + g->qr_block;
		g->text_y = pad + g->module * QR_QUIET / 2;
		g->text_w = s->label_w - g->qr_block - 2 * pad;
		g->text_h = s->label_h - 2 * g->text_y;
	}
	if (g->text_w < 8 || g->text_h < 6)
		return err_set(
		    err,
		    "a %.1fx%.1f mm label leaves no room for its text beside a %.1f mm QR: "
		    "use a larger --label-size or a smaller --qr-size",
		    s->label_w, s->label_h, g->qr_block);
	if (s->kind == LAYOUT_STICKER) {
		g->page_w = s->label_w, g->page_h = s->label_h;
		g->cols = g->rows = 1;
		return TEM_OK;
	}
	g->page_w = s->page_w, g->page_h = s->page_h;
	g->cols = (int)floor((s->page_w - 2 * s->margin + 1e-9) / s->label_w);
	g->rows = (int)floor((s->page_h - 2 * s->margin + 1e-9) / s->label_h);
	if (g->cols < 1 || g->rows < 1)
		return err_set(err,
			       "a %.1fx%.1f mm label does not fit a %.1fx%.1f mm page with %.0f mm "
			       "margins",
			       s->label_w, s->label_h, s->page_w, s->page_h, s->margin);
	/* centre the grid so the cut marks fall symmetrically */
	g->x0 = (s->page_w - g->cols * s->label_w) / 2;
	g->y0 = (s->page_h - g->rows * s->label_h) / 2;
	return TEM_OK;
}

void label_slot(const struct label_geom *g, int i, double *x, double *y)
{
	*x = g->x0 + (i % g->cols) * g->spec.label_w;
	*y = g->y0 + (i / g->cols) * g->spec.label_h;
}

/* Draws the QR symbol as one vector path: each row's runs of dark modules as one rectangle,
 * all filled at once, so neighbouring modules meet with no hairline seam and every renderer
 * (printer, poppler, librsvg) draws the same exact squares (docs/labels.md compares this with
 * per-module rectangles and with a scaled image). */
static void draw_qr(cairo_t *cr, const struct label_geom *g, double x, double y, const struct qr *q)
{
	double m = g->module, ox = x + m * QR_QUIET, oy = y + m * QR_QUIET;

	cairo_save(cr);
	cairo_new_path(cr);
	for (int r = 0; r < q->width; r++) {
		const unsigned char *row = q->modules + r * q->width;
		for (int c = 0; c < q->width;) {
			if (!row[c]) {
				c++;
				continue;
			}
			int start = c;
			while (c < q->width && row[c])
				c++;
			cairo_rectangle(cr, ox + start * m, oy + r * m, (c - start) * m, m);
		}
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
	cairo_fill(cr);
	cairo_restore(cr);
}

/* Lays out one paragraph of text in a width, at a size in points; returns its height (mm). */
static double draw_text(cairo_t *cr, double x, double y, double w, double max_h, const char *text,
			double pt, int bold, int max_lines)
{
	PangoLayout *lay = pango_cairo_create_layout(cr);
	PangoFontDescription *fd = pango_font_description_new();
	cairo_font_options_t *fo = cairo_font_options_create();
	int pw, ph;

	/* user units are millimetres: hinted metrics would round glyph advances to whole mm */
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(pango_layout_get_context(lay), fo);
	cairo_font_options_destroy(fo);
	pango_context_set_round_glyph_positions(pango_layout_get_context(lay), FALSE);
	pango_layout_context_changed(lay);

	pango_font_description_set_family(fd, FONT_FAMILY);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	/* user units are mm: a point is 25.4/72 mm */
	pango_font_description_set_absolute_size(fd, pt * 25.4 / 72 * PANGO_SCALE);
	pango_layout_set_font_description(lay, fd);
	pango_layout_set_width(lay, (int)(w * PANGO_SCALE));
	pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
	pango_layout_set_height(lay, -max_lines);
	pango_layout_set_alignment(lay, PANGO_ALIGN_LEFT);
	pango_layout_set_text(lay, text, -1);
	pango_layout_get_size(lay, &pw, &ph);
	double h = (double)ph / PANGO_SCALE;
	if (h <= max_h + 1e-6) {
		cairo_move_to(cr, x, y);
		pango_cairo_show_layout(cr, lay);
	} else {
		h = 0;
	}
	pango_font_description_free(fd);
	g_object_unref(lay);
	return h;
}

void label_draw(cairo_t *cr, const struct label_geom *g, double x, double y, const struct qr *q,
		const struct label_text *t)
{
	double ty, size = g->spec.kind == LAYOUT_TIE ? 5.5 : 7.0;
	double left;

	cairo_save(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x, y, g->spec.label_w, g->spec.label_h);
	cairo_fill(cr);
	draw_qr(cr, g, x + g->qr_x, y + g->qr_y, q);
	cairo_set_source_rgb(cr, 0, 0, 0);
	ty = y + g->text_y;
	left = g->text_h;
	double h = draw_text(cr, x + g->text_x, ty, g->text_w, left, t->short_id, size - 0.5, 1, 2);
	ty += h + 0.6, left -= h + 0.6;
	if (t->product[0] && left > 0) {
		h = draw_text(cr, x + g->text_x, ty, g->text_w, left, t->product, size, 1, 3);
		ty += h + 0.4, left -= h + 0.4;
	}
	if (t->producer[0] && left > 0)
		draw_text(cr, x + g->text_x, ty, g->text_w, left, t->producer, size - 0.5, 0, 4);
	cairo_restore(cr);
}

void label_draw_cut_marks(cairo_t *cr, const struct label_geom *g)
{
	const double len = 4, gap = 1.5;
	double right = g->x0 + g->cols * g->spec.label_w,
	       bottom = g->y0 + g->rows * g->spec.label_h;

	if (g->spec.kind == LAYOUT_STICKER)
		return;
	cairo_save(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 0.15);
	for (int c = 0; c <= g->cols; c++) {
		double x = g->x0 + c * g->spec.label_w;
		cairo_move_to(cr, x, g->y0 - gap);
		cairo_line_to(cr, x, g->y0 - gap - len);
		cairo_move_to(cr, x, bottom + gap);
		cairo_line_to(cr, x, bottom + gap + len);
	}
	for (int r = 0; r <= g->rows; r++) {
		double y = g->y0 + r * g->spec.label_h;
		cairo_move_to(cr, g->x0 - gap, y);
		cairo_line_to(cr, g->x0 - gap - len, y);
		cairo_move_to(cr, right + gap, y);
		cairo_line_to(cr, right + gap + len, y);
	}
	cairo_stroke(cr);
	cairo_restore(cr);
}

int label_fonts_check(struct tem_err *err)
{
	PangoFontMap *map = pango_cairo_font_map_get_default();
	PangoFontFamily **fams;
	int n, found = 0;

	pango_font_map_list_families(map, &fams, &n);
	for (int i = 0; i < n && !found; i++)
		found = strcmp(pango_font_family_get_name(fams[i]), FONT_FAMILY) == 0;
	g_free(fams);
	if (!found)
		return err_set(err,
			       "the font '%s' is not installed (Debian package fonts-noto-core; "
			       "make deps installs it)",
			       FONT_FAMILY);
	return TEM_OK;
}
