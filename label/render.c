/* render.c — drawing labels. What every label of a batch shares is prepared once
 * (a label_art: text layouts, the product and producer drawn into a recording surface); each
 * label then costs its QR (a 1-bit image mask, or a path for SVG) and its short id. */
#include "label/render.h"

#include <pango/pangocairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT_FAMILY "Noto Sans"

/* Draws the QR symbol as one vector path: each row's runs of dark modules as one rectangle,
 * all filled at once, so neighbouring modules meet with no hairline seam. Used for SVG, which
 * designers edit as shapes. */
static void draw_qr_path(cairo_t *cr, double ox, double oy, double m, const struct qr *q)
{
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
	cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
	cairo_fill(cr);
}

/* Draws the QR symbol as a 1-bit image, one pixel a module, used as a stencil mask scaled with
 * nearest-neighbour filtering: in a PDF it is a small /ImageMask with /Interpolate false that
 * the printer fills edge to edge at its own resolution (docs/labels.md has the measurements). */
static void draw_qr_image(cairo_t *cr, double ox, double oy, double m, const struct qr *q)
{
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_A1, q->width, q->width);
	unsigned char *px = cairo_image_surface_get_data(img);
	int stride = cairo_image_surface_get_stride(img);

	if (px == NULL) { /* out of memory: cairo reports it on the surface at finish */
		cairo_surface_destroy(img);
		draw_qr_path(cr, ox, oy, m, q);
		return;
	}
	for (int r = 0; r < q->width; r++) {
		uint32_t *row = (uint32_t *)(void *)(px + r * stride);
		const unsigned char *mod = q->modules + r * q->width;
		memset(row, 0, (size_t)stride);
		for (int c = 0; c < q->width; c++)
			if (mod[c]) /* A1 is packed in native 32-bit words, first pixel lowest */
				row[c >> 5] |= (uint32_t)1 << (c & 31);
	}
	cairo_surface_mark_dirty(img);
	cairo_save(cr);
	cairo_translate(cr, ox, oy);
	cairo_scale(cr, m, m);
	cairo_pattern_t *pat = cairo_pattern_create_for_surface(img);
	cairo_pattern_set_filter(pat, CAIRO_FILTER_NEAREST);
	cairo_mask(cr, pat);
	cairo_pattern_destroy(pat);
	cairo_restore(cr);
	cairo_surface_destroy(img);
}

struct label_art {
	struct label_geom g;
	enum label_qr_style style;
	double pt;               /* text size of the label, points */
	PangoContext *ctx;       /* unhinted metrics, unrounded positions */
	PangoLayout *id;         /* the short id, given new text for each label */
	double id_h;             /* room kept for the short id, mm */
	cairo_surface_t *shared; /* product and producer, drawn once; NULL when there is none */
	double shared_y, shared_h;
};

/* Makes a layout for one paragraph in a width, at a size in points, on max_lines lines at
 * most (ellipsised beyond). */
static PangoLayout *new_layout(PangoContext *ctx, double w, double pt, int bold, int max_lines,
			       const char *text)
{
	PangoLayout *lay = pango_layout_new(ctx);
	PangoFontDescription *fd = pango_font_description_new();

	pango_font_description_set_family(fd, FONT_FAMILY);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	/* user units are mm: a point is 25.4/72 mm */
	pango_font_description_set_absolute_size(fd, pt * 25.4 / 72 * PANGO_SCALE);
	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(lay, (int)(w * PANGO_SCALE));
	pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
	pango_layout_set_height(lay, -max_lines);
	pango_layout_set_alignment(lay, PANGO_ALIGN_LEFT);
	pango_layout_set_text(lay, text, -1);
	return lay;
}

static double layout_height(PangoLayout *lay)
{
	int w, h;

	pango_layout_get_size(lay, &w, &h);
	return (double)h / PANGO_SCALE;
}

/* Draws the product (bold) and the producer under it into a recording surface, as far as they
 * fit in room mm; returns the height used. */
static double draw_shared(struct label_art *a, cairo_t *cr, const struct label_text *t, double room)
{
	double y = 0;

	if (t->product[0] != '\0' && room > 0) {
		PangoLayout *lay = new_layout(a->ctx, a->g.text_w, a->pt, 1, 3, t->product);
		double h = layout_height(lay);
		if (h <= room + 1e-6) {
			cairo_move_to(cr, 0, 0);
			pango_cairo_show_layout(cr, lay);
			y = h + 0.4;
		}
		g_object_unref(lay);
	}
	if (t->producer[0] != '\0' && room - y > 0) {
		PangoLayout *lay = new_layout(a->ctx, a->g.text_w, a->pt - 0.5, 0, 4, t->producer);
		double h = layout_height(lay);
		if (h <= room - y + 1e-6) {
			cairo_move_to(cr, 0, y);
			pango_cairo_show_layout(cr, lay);
			y += h;
		}
		g_object_unref(lay);
	}
	return y;
}

struct label_art *label_art_new(const struct label_geom *g, const struct label_text *t,
				enum label_qr_style style)
{
	struct label_art *a = calloc(1, sizeof *a);
	cairo_font_options_t *fo;

	if (a == NULL)
		return NULL;
	a->g = *g;
	a->style = style;
	a->pt = g->spec.kind == LAYOUT_TIE ? 5.5 : 7.0;
	a->ctx = pango_font_map_create_context(pango_cairo_font_map_get_default());
	/* user units are millimetres: hinted metrics would round glyph advances to whole mm */
	fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(a->ctx, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_round_glyph_positions(a->ctx, FALSE);

	/* the room for the short id is measured on the batch's widest, so the shared text sits
	 * at the same place on every label */
	a->id = new_layout(a->ctx, g->text_w, a->pt - 0.5, 1, 2, t->short_id);
	a->id_h = layout_height(a->id);
	if (a->id_h > g->text_h + 1e-6)
		a->id_h = 0; /* no room even for the id: the QR alone */
	a->shared_y = a->id_h > 0 ? a->id_h + 0.6 : 0;
	cairo_rectangle_t ext = {0, 0, g->text_w, g->text_h - a->shared_y};
	if (ext.height > 0 && (t->product[0] != '\0' || t->producer[0] != '\0')) {
		a->shared = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
		cairo_t *cr = cairo_create(a->shared);
		cairo_set_source_rgb(cr, 0, 0, 0);
		a->shared_h = draw_shared(a, cr, t, ext.height);
		cairo_destroy(cr);
	}
	return a;
}

void label_art_free(struct label_art *a)
{
	if (a == NULL)
		return;
	if (a->shared != NULL)
		cairo_surface_destroy(a->shared);
	g_object_unref(a->id);
	g_object_unref(a->ctx);
	free(a);
}

void label_art_draw(struct label_art *a, cairo_t *cr, double x, double y, const struct qr *q,
		    const char *short_id)
{
	const struct label_geom *g = &a->g;
	double m = g->module;

	cairo_save(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x, y, g->spec.label_w, g->spec.label_h);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	if (a->style == LABEL_QR_IMAGE)
		draw_qr_image(cr, x + g->qr_x + m * QR_QUIET, y + g->qr_y + m * QR_QUIET, m, q);
	else
		draw_qr_path(cr, x + g->qr_x + m * QR_QUIET, y + g->qr_y + m * QR_QUIET, m, q);
	if (a->id_h > 0) {
		pango_layout_set_text(a->id, short_id, -1);
		pango_cairo_update_layout(cr, a->id);
		if (layout_height(a->id) <= a->id_h + 1e-6) {
			cairo_move_to(cr, x + g->text_x, y + g->text_y);
			pango_cairo_show_layout(cr, a->id);
		}
	}
	if (a->shared != NULL) {
		/* one recorded drawing for every label: a PDF or SVG holds it once and refers to
		 * it from each label */
		cairo_set_source_surface(cr, a->shared, x + g->text_x, y + g->text_y + a->shared_y);
		cairo_paint(cr);
	}
	cairo_restore(cr);
}

cairo_surface_t *label_raster_new(const struct label_geom *g, int dpi)
{
	int w = (int)(g->spec.label_w / 25.4 * dpi + 0.5),
	    h = (int)(g->spec.label_h / 25.4 * dpi + 0.5);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);

	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return NULL;
	}
	return s;
}

void label_rasterise(cairo_surface_t *img, struct label_art *a, int dpi, const struct qr *q,
		     const char *short_id)
{
	cairo_t *cr = cairo_create(img);

	/* white to the last pixel: the label's edge rarely falls on a pixel boundary */
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, dpi / 25.4, dpi / 25.4);
	label_art_draw(a, cr, 0, 0, q, short_id);
	cairo_destroy(cr);
	cairo_surface_flush(img);
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
