/* layout.c — label geometry: layouts, paper and label sizes, and where each label and its
 * QR and text sit, in millimetres. */
#include "label/layout.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "label/qr.h"

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
			s->label_w = 22, s->label_h = 65;
			break;
		case LAYOUT_STICKER:
			s->label_w = 50, s->label_h = 30;
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
		s->min_module = LABEL_MIN_MODULE;
}

void label_url_host(const char *url, char *buf, size_t cap)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p != NULL ? p + 3 : url;
	n = strcspn(p, "/?#");
	if (cap == 0)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/* Places the hidden PIN area. Tie: the flap below a fold line at the label's foot, its caption
 * just above the fold. Sticker and sheet: a scratch-off panel at the foot of the text column,
 * inset so its crop marks stay clear of the QR's quiet zone and the label's edge, its caption
 * above it. Ends the text box above the caption. */
static void plan_pin(struct label_geom *g, double pad)
{
	const struct label_spec *s = &g->spec;
	const double mark = 0.9; /* room for crop marks around the panel, mm */
	double bottom = g->text_y + g->text_h;

	g->pin = 1;
	if (s->kind == LAYOUT_TIE) {
		double flap = fmin(16, fmax(10, s->label_h * 0.2));
		g->fold_y = s->label_h - flap;
		g->pin_x = pad, g->pin_y = g->fold_y + pad;
		g->pin_w = s->label_w - 2 * pad, g->pin_h = flap - 2 * pad;
		g->cap_h = 5.0; /* two lines of caption */
		g->cap_y = g->fold_y - 0.6 - g->cap_h;
	} else {
		g->pin_h = fmin(8, fmax(5, s->label_h * 0.17));
		g->pin_x = g->text_x + mark, g->pin_w = g->text_w - 2 * mark;
		g->pin_y = s->label_h - pad - mark - g->pin_h;
		g->cap_h = 2.2;
		g->cap_y = g->pin_y - mark - g->cap_h;
	}
	if (g->cap_y - 0.3 < bottom)
		bottom = g->cap_y - 0.3;
	g->text_h = bottom - g->text_y;
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
	    s->kind == LAYOUT_TIE ? s->label_w : fmin(s->label_h - 2 * pad, s->label_w * 0.5 - pad);
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
	if (s->pin)
		plan_pin(g, pad);
	if (g->text_w < 8 || g->text_h < 6)
		return err_set(
		    err,
		    "a %.1fx%.1f mm label leaves no room for its text%s beside a %.1f mm QR: "
		    "use a larger --label-size or a smaller --qr-size",
		    s->label_w, s->label_h, s->pin ? " and PIN area" : "", g->qr_block);
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
