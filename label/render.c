/* render.c — drawing labels. What every label of a batch shares is prepared once
 * (a label_art: text layouts, the product and producer drawn into a recording surface); each
 * label then costs its QR (a 1-bit image mask, or a path for SVG) and its short id. */
#include "label/render.h"

#include <pango/pangocairo.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label/claim.h"

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

/* A line of text from a small set of characters (the short id's "0-9A-F-", the PIN's digits),
 * drawn with glyphs shaped once: the id and the PIN change on every label, and shaping them
 * anew with pango for each one cost several per cent of the label rate. No kerning within
 * them (digits are tabular in Noto Sans). ok is 0 when the set did not shape as one run, and
 * pango then draws. */
struct glyph_line {
	int ok;                   /* 1 when ready */
	cairo_font_face_t *face;  /* referenced */
	cairo_matrix_t fm;        /* font matrix, user units (mm) */
	cairo_font_options_t *fo; /* the font options pango shaped with */
	unsigned char have[128];  /* 1 for the characters of the set */
	unsigned long glyph[128]; /* glyph of each */
	double adv[128];          /* advance of each, mm */
	double baseline, height;  /* baseline below the line's top, and the line's height, mm */
};

#define GLYPH_LINE_MAX 40 /* characters a glyph line draws at most */

struct label_art {
	struct label_geom g;
	enum label_qr_style style;
	double pt;                /* text size of the label, points */
	PangoContext *ctx;        /* unhinted metrics, unrounded positions */
	PangoLayout *id;          /* the short id on one line, given new text for each label */
	double id_h;              /* room kept for the short id, mm */
	double id_w;              /* the widest short id's width, mm */
	PangoLayout *pin;         /* the PIN, centred in its box; NULL without a PIN area */
	int pin_split;            /* 1: the PIN's two groups on two lines */
	double pin_dy;            /* the PIN text's offset down its box, mm */
	cairo_surface_t *shared;  /* everything every label has but its QR, id and PIN, drawn
				    once over the whole label */
	struct glyph_line id_gl;  /* the short id's glyphs, shaped once */
	struct glyph_line pin_gl; /* the PIN's glyphs, shaped once */
};

/* Makes a layout for one paragraph in a width (-1: one line, unbounded), at a size in points,
 * on max_lines lines at most (ellipsised beyond). */
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
	if (w > 0) {
		pango_layout_set_width(lay, (int)(w * PANGO_SCALE));
		pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
		pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
		pango_layout_set_height(lay, -max_lines);
	}
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

static double layout_width(PangoLayout *lay)
{
	int w, h;

	pango_layout_get_size(lay, &w, &h);
	return (double)w / PANGO_SCALE;
}

/* Shapes the characters of set once at pt (bold or not) into gl. */
static void glyph_line_init(struct glyph_line *gl, PangoContext *ctx, double pt, int bold,
			    const char *set)
{
	PangoLayout *lay = new_layout(ctx, -1, pt, bold, 1, set);
	PangoLayoutLine *line = pango_layout_get_line_readonly(lay, 0);
	const char *text = pango_layout_get_text(lay);

	memset(gl, 0, sizeof *gl);
	if (line != NULL && line->runs != NULL && line->runs->next == NULL) {
		PangoGlyphItem *run = line->runs->data;
		PangoGlyphString *gs = run->glyphs;
		cairo_scaled_font_t *sf =
		    pango_cairo_font_get_scaled_font(PANGO_CAIRO_FONT(run->item->analysis.font));
		for (int i = 0; sf != NULL && i < gs->num_glyphs; i++) {
			unsigned char c =
			    (unsigned char)text[run->item->offset + gs->log_clusters[i]];
			if (c >= 128 || gs->glyphs[i].glyph & PANGO_GLYPH_UNKNOWN_FLAG)
				continue;
			gl->have[c] = 1;
			gl->glyph[c] = gs->glyphs[i].glyph;
			gl->adv[c] = (double)gs->glyphs[i].geometry.width / PANGO_SCALE;
		}
		if (sf != NULL) {
			gl->face = cairo_font_face_reference(cairo_scaled_font_get_font_face(sf));
			cairo_scaled_font_get_font_matrix(sf, &gl->fm);
			gl->fo = cairo_font_options_create();
			cairo_scaled_font_get_font_options(sf, gl->fo);
			gl->baseline = (double)pango_layout_get_baseline(lay) / PANGO_SCALE;
			gl->height = layout_height(lay);
			gl->ok = 1;
		}
	}
	g_object_unref(lay);
}

static void glyph_line_free(struct glyph_line *gl)
{
	if (gl->face != NULL)
		cairo_font_face_destroy(gl->face);
	if (gl->fo != NULL)
		cairo_font_options_destroy(gl->fo);
	memset(gl, 0, sizeof *gl);
}

/* The width of s in gl, mm; -1 when gl cannot draw it. */
static double glyph_line_width(const struct glyph_line *gl, const char *s)
{
	size_t n = strlen(s);
	double w = 0;

	if (!gl->ok || n > GLYPH_LINE_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 128 || !gl->have[c])
			return -1;
		w += gl->adv[c];
	}
	return w;
}

/* Draws s (whose width glyph_line_width gave) with its line's top-left at (x, y), narrowed to
 * maxw mm when wider. The text goes with the glyphs, so PDF readers extract it. */
static void glyph_line_show(cairo_t *cr, const struct glyph_line *gl, double x, double y,
			    const char *s, double w, double maxw)
{
	cairo_glyph_t g[GLYPH_LINE_MAX];
	cairo_text_cluster_t cl[GLYPH_LINE_MAX];
	int n = (int)strlen(s);
	double at = 0;

	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		g[i].index = gl->glyph[c];
		g[i].x = at;
		g[i].y = gl->baseline;
		at += gl->adv[c];
		cl[i].num_bytes = cl[i].num_glyphs = 1;
	}
	cairo_save(cr);
	cairo_translate(cr, x, y);
	if (w > maxw)
		cairo_scale(cr, maxw / w, 1);
	cairo_set_font_face(cr, gl->face);
	cairo_set_font_matrix(cr, &gl->fm);
	cairo_set_font_options(cr, gl->fo);
	cairo_show_text_glyphs(cr, s, n, g, n, cl, n, 0);
	cairo_restore(cr);
}

/* The largest size, up to pt, at which text (bold or not, unwrapped) fits w x h mm. */
static double fit_pt(PangoContext *ctx, const char *text, int bold, double pt, double w, double h)
{
	PangoLayout *lay = new_layout(ctx, -1, pt, bold, 1, text);
	double lw = layout_width(lay), lh = layout_height(lay), k = 1;

	g_object_unref(lay);
	if (lw > w)
		k = w / lw;
	if (lh * k > h)
		k = h / lh;
	return pt * k * 0.98; /* sizes scale metrics linearly, but not to the last digit */
}

/* Draws a paragraph at (x, y) in the label when it fits room mm high; returns its height, or 0
 * when it was left out. */
static double show(cairo_t *cr, PangoLayout *lay, double x, double y, double room)
{
	double h = layout_height(lay);

	if (h > room + 1e-6)
		return 0;
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, lay);
	return h;
}

/* Draws the text every label shares in the text box below the short id: the product (bold)
 * and the producer from the top, and at the foot the buyer line and the server's host, which
 * come first when room is short. */
static void draw_text(struct label_art *a, cairo_t *cr, const struct label_text *t, double top)
{
	const struct label_geom *g = &a->g;
	double room = g->text_y + g->text_h - top, foot = 0, y = top;
	PangoLayout *buyer =
	    new_layout(a->ctx, g->text_w, g->spec.kind == LAYOUT_TIE ? a->pt - 1.5 : a->pt - 2, 0,
		       3, LABEL_BUYER_LINE);
	PangoLayout *host = NULL;

	if (t->host != NULL && t->host[0] != '\0')
		host = new_layout(a->ctx, -1, fit_pt(a->ctx, t->host, 1, a->pt - 1, g->text_w, 10),
				  1, 1, t->host);
	double bh = layout_height(buyer), hh = host != NULL ? layout_height(host) : 0;
	if (bh + hh <= room + 1e-6)
		foot = bh + hh;
	else if (hh <= room + 1e-6)
		foot = hh, bh = 0;
	if (bh > 0)
		show(cr, buyer, g->text_x, g->text_y + g->text_h - foot, bh);
	if (host != NULL && foot >= hh && hh > 0)
		show(cr, host, g->text_x, g->text_y + g->text_h - hh, hh);
	g_object_unref(buyer);
	if (host != NULL)
		g_object_unref(host);
	room -= foot + 0.2;
	if (t->product[0] != '\0' && room > 0) {
		PangoLayout *lay = new_layout(a->ctx, g->text_w, a->pt, 1, 3, t->product);
		double h = show(cr, lay, g->text_x, y, room);
		g_object_unref(lay);
		if (h > 0)
			y += h + 0.2, room -= h + 0.2;
	}
	/* the producer on as many lines as are left, ellipsised */
	double ppt = g->spec.kind == LAYOUT_TIE ? a->pt - 0.5 : a->pt - 1.5;
	for (int lines = 4; t->producer[0] != '\0' && lines > 0 && room > 0; lines--) {
		PangoLayout *lay = new_layout(a->ctx, g->text_w, ppt, 0, lines, t->producer);
		double h = show(cr, lay, g->text_x, y, room);
		g_object_unref(lay);
		if (h > 0)
			break;
	}
}

/* Draws an L-shaped crop mark at each corner of the scratch-off panel, just outside it. */
static void draw_crop_marks(cairo_t *cr, const struct label_geom *g)
{
	const double gap = 0.2, len = 0.7;
	double xs[2] = {g->pin_x, g->pin_x + g->pin_w}, ys[2] = {g->pin_y, g->pin_y + g->pin_h};

	cairo_save(cr);
	cairo_set_line_width(cr, 0.15);
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < 2; j++) {
			double sx = i ? 1 : -1, sy = j ? 1 : -1, x = xs[i], y = ys[j];
			cairo_move_to(cr, x + sx * gap, y);
			cairo_line_to(cr, x + sx * (gap + len), y);
			cairo_move_to(cr, x, y + sy * gap);
			cairo_line_to(cr, x, y + sy * (gap + len));
		}
	}
	cairo_stroke(cr);
	cairo_restore(cr);
}

/* Draws the PIN area's fixed parts: the caption, and the panel's crop marks or the tie's
 * dashed fold line. */
static void draw_pin_frame(struct label_art *a, cairo_t *cr)
{
	const struct label_geom *g = &a->g;
	int tie = g->spec.kind == LAYOUT_TIE;
	const char *text = tie ? LABEL_FOLD_CAPTION : LABEL_SCRATCH_CAPTION;
	double pt = tie ? a->pt - 1 : fit_pt(a->ctx, text, 0, a->pt - 1.5, g->text_w, g->cap_h);
	PangoLayout *cap = new_layout(a->ctx, g->text_w, pt, 0, 2, text);

	pango_layout_set_alignment(cap, tie ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
	show(cr, cap, g->text_x, g->cap_y + g->cap_h - layout_height(cap), g->cap_h);
	g_object_unref(cap);
	if (!tie) {
		draw_crop_marks(cr, g);
		return;
	}
	const double dash[] = {1.0, 0.6};
	cairo_save(cr);
	cairo_set_line_width(cr, 0.15);
	cairo_set_dash(cr, dash, 2, 0);
	cairo_move_to(cr, 0, g->fold_y);
	cairo_line_to(cr, g->spec.label_w, g->fold_y);
	cairo_stroke(cr);
	cairo_restore(cr);
}

/* Prepares the PIN's layout: its two groups on one line when that gives the larger digits,
 * else on two, centred in the PIN's box. */
static void prepare_pin(struct label_art *a)
{
	const struct label_geom *g = &a->g;
	double w = g->pin_w * 0.92, h = g->pin_h * 0.85;
	double one = fit_pt(a->ctx, "00000 00000", 1, 16, w, h);
	double two = fit_pt(a->ctx, "00000\n00000", 1, 16, w, h);

	a->pin_split = two > one * 1.15;
	a->pin = new_layout(a->ctx, -1, a->pin_split ? two : one, 1, 2,
			    a->pin_split ? "00000\n00000" : "00000 00000");
	pango_layout_set_width(a->pin, (int)(g->pin_w * PANGO_SCALE));
	pango_layout_set_alignment(a->pin, PANGO_ALIGN_CENTER);
	a->pin_dy = (g->pin_h - layout_height(a->pin)) / 2;
	glyph_line_init(&a->pin_gl, a->ctx, a->pin_split ? two : one, 1, "0123456789 ");
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

	/* the short id on one line, never broken: its size is fitted to the batch's widest, so
	 * the shared text sits at the same place on every label */
	a->id = new_layout(a->ctx, -1,
			   fit_pt(a->ctx, t->short_id, 1, a->pt - 0.5, g->text_w, g->text_h), 1, 1,
			   t->short_id);
	a->id_h = layout_height(a->id);
	a->id_w = layout_width(a->id);
	glyph_line_init(&a->id_gl, a->ctx,
			fit_pt(a->ctx, t->short_id, 1, a->pt - 0.5, g->text_w, g->text_h), 1,
			"0123456789ABCDEF-");
	if (a->id_h > g->text_h + 1e-6)
		a->id_h = 0; /* no room even for the id: the QR alone */
	if (g->pin)
		prepare_pin(a);
	cairo_rectangle_t ext = {0, 0, g->spec.label_w, g->spec.label_h};
	a->shared = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
	cairo_t *cr = cairo_create(a->shared);
	cairo_set_source_rgb(cr, 0, 0, 0);
	draw_text(a, cr, t, g->text_y + (a->id_h > 0 ? a->id_h + 0.3 : 0));
	if (g->pin)
		draw_pin_frame(a, cr);
	cairo_destroy(cr);
	return a;
}

void label_art_free(struct label_art *a)
{
	if (a == NULL)
		return;
	if (a->shared != NULL)
		cairo_surface_destroy(a->shared);
	if (a->pin != NULL) {
		pango_layout_set_text(a->pin, "", 0);
		g_object_unref(a->pin);
	}
	glyph_line_free(&a->id_gl);
	glyph_line_free(&a->pin_gl);
	g_object_unref(a->id);
	g_object_unref(a->ctx);
	free(a);
}

/* Draws a PIN ("01234 56789") in its box, its groups on two lines when the box asks. */
static void draw_pin(struct label_art *a, cairo_t *cr, double x, double y, const char *pin)
{
	char text[CLAIM_PIN_TEXT_MAX];

	snprintf(text, sizeof text, "%s", pin);
	if (a->pin_split && strlen(text) == 11 && text[5] == ' ') {
		const struct glyph_line *gl = &a->pin_gl;
		text[5] = '\0';
		double w1 = glyph_line_width(gl, text), w2 = glyph_line_width(gl, text + 6);
		if (w1 >= 0 && w2 >= 0) {
			double top = y + a->g.pin_y + a->pin_dy;
			glyph_line_show(cr, gl, x + a->g.pin_x + (a->g.pin_w - w1) / 2, top, text,
					w1, w1);
			glyph_line_show(cr, gl, x + a->g.pin_x + (a->g.pin_w - w2) / 2,
					top + gl->height, text + 6, w2, w2);
			sodium_memzero(text, sizeof text);
			return;
		}
		text[5] = '\n';
	} else {
		double w = glyph_line_width(&a->pin_gl, text);
		if (w >= 0) {
			glyph_line_show(cr, &a->pin_gl, x + a->g.pin_x + (a->g.pin_w - w) / 2,
					y + a->g.pin_y + a->pin_dy, text, w, w);
			sodium_memzero(text, sizeof text);
			return;
		}
	}
	pango_layout_set_text(a->pin, text, -1);
	pango_cairo_update_layout(cr, a->pin);
	cairo_move_to(cr, x + a->g.pin_x, y + a->g.pin_y + a->pin_dy);
	pango_cairo_show_layout(cr, a->pin);
	sodium_memzero(text, sizeof text);
}

void label_art_draw(struct label_art *a, cairo_t *cr, double x, double y, const struct qr *q,
		    const char *short_id, const char *pin)
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
	double idw = a->id_h > 0 ? glyph_line_width(&a->id_gl, short_id) : -1;
	if (idw >= 0) {
		glyph_line_show(cr, &a->id_gl, x + g->text_x, y + g->text_y, short_id, idw,
				g->text_w);
	} else if (a->id_h > 0) {
		pango_layout_set_text(a->id, short_id, -1);
		pango_cairo_update_layout(cr, a->id);
		double w = layout_width(a->id);
		cairo_save(cr);
		cairo_translate(cr, x + g->text_x, y + g->text_y);
		if (w > g->text_w) /* wider than the batch's widest: never wrapped, narrowed */
			cairo_scale(cr, g->text_w / w, 1);
		cairo_move_to(cr, 0, 0);
		pango_cairo_show_layout(cr, a->id);
		cairo_restore(cr);
	}
	if (a->pin != NULL && pin != NULL)
		draw_pin(a, cr, x, y, pin);
	/* one recorded drawing for every label: a PDF or SVG holds it once and refers to it from
	 * each label */
	cairo_set_source_surface(cr, a->shared, x, y);
	cairo_paint(cr);
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
		     const char *short_id, const char *pin)
{
	cairo_t *cr = cairo_create(img);

	/* white to the last pixel: the label's edge rarely falls on a pixel boundary */
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, dpi / 25.4, dpi / 25.4);
	label_art_draw(a, cr, 0, 0, q, short_id, pin);
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
