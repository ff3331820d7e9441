/* layout.h — where labels go, without drawing them: layouts (tie strips, stickers, sheets),
 * their geometry in millimetres, and the text a label carries. No cairo here, so that the
 * `tem` command can plan and describe labels; label/render.h draws them. */
#ifndef TEM_LAYOUT_H
#define TEM_LAYOUT_H

#include <stddef.h>

#include "keys/err.h"

enum layout_kind { LAYOUT_TIE, LAYOUT_STICKER, LAYOUT_SHEET };

struct label_spec {
	enum layout_kind kind;   /* layout */
	double page_w, page_h;   /* paper, mm (tie and sheet); ignored for stickers */
	double label_w, label_h; /* one label, mm */
	double margin;           /* page margin, mm (tie and sheet) */
	double qr_mm;            /* QR side without quiet zone, mm; 0 = as large as fits */
	double min_module;       /* smallest module printed, mm (default LABEL_MIN_MODULE) */
	int pin;                 /* 1: keep the hidden PIN area (scratch-off panel, tie's flap) */
};

/* Measured with a phone's view of a label (7 px a mm, blurred): 0.28 mm modules read with
 * neither zbar nor ZXing, 0.33 mm ones with ZXing; docs/labels.md has the figures. */
#define LABEL_MIN_MODULE 0.33

struct label_geom {
	struct label_spec spec;                /* what was asked, with defaults filled in */
	double page_w, page_h;                 /* the page actually drawn, mm */
	int cols, rows;                        /* labels a page */
	double x0, y0;                         /* top-left of the first label on the page, mm */
	double module;                         /* module side, mm */
	int qr_width;                          /* modules a side, without quiet zone */
	double qr_block;                       /* QR side with its quiet zone, mm */
	double qr_x, qr_y;                     /* QR block's top-left inside a label, mm */
	double text_x, text_y, text_w, text_h; /* text box inside a label, mm */
	int pin;                               /* 1 when labels have a PIN area */
	double pin_x, pin_y, pin_w, pin_h;     /* the PIN's box: scratch-off panel or tie flap */
	double cap_y, cap_h;                   /* the PIN caption's box (x, w: the text box's) */
	double fold_y;                         /* tie: the fold line across the label; else 0 */
};

struct label_text {
	const char *short_id; /* KEYID-SERIAL */
	const char *producer; /* may be "" */
	const char *product;
	const char *host; /* where buyers check, e.g. "TEM.EXAMPLE.VN"; may be "" */
};

/* What every label says it is (Vietnamese: "anti-counterfeit label: scan the code to check"). */
#define LABEL_BUYER_LINE "Tem chống hàng giả — quét mã để kiểm tra"
/* Captions of the hidden PIN area. */
#define LABEL_SCRATCH_CAPTION "Cào để lấy mã PIN"
#define LABEL_FOLD_CAPTION    "Gấp lại — mã PIN bên trong"

/* The host (and port) of a verification base URL, "HTTPS://TEM.EXAMPLE.VN/X" giving
 * "TEM.EXAMPLE.VN", into buf (cap bytes, truncated); buf is "" for an empty URL. */
void label_url_host(const char *url, char *buf, size_t cap);

/* Parses a layout name ("tie", "sticker", "sheet"); -1 when unknown. */
int layout_parse(const char *s);

/* Parses "A4" or "Letter" (either case) into a page size in mm. */
int paper_parse(const char *s, double *w, double *h, struct tem_err *err);

/* Parses "40x30mm" or "40x30" into a size in mm. */
int size_parse(const char *s, double *w, double *h, struct tem_err *err);

/* Fills in the defaults of a spec for its layout (label size, paper, margin) where they are 0. */
void label_spec_defaults(struct label_spec *spec);

/* Plans the geometry for QR symbols qr_width modules wide: refuses, with the smallest QR size
 * that works, a module under min_module, and any label that does not fit its page or QR. */
int label_plan(const struct label_spec *spec, int qr_width, struct label_geom *g,
	       struct tem_err *err);

/* Top-left corner (mm) of the i-th label on a page. */
void label_slot(const struct label_geom *g, int i, double *x, double *y);

/* TEM_OK when the fonts labels use are installed; otherwise an error naming them. */
int label_fonts_check(struct tem_err *err);

#endif
