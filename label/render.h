/* render.h — how a label looks: drawing one label (QR, short id, product, producer, the buyer
 * line and host, the claim PIN in its hidden area) or a
 * page's cut marks with cairo and pango, and rasterising one label. Geometry is in
 * label/layout.h; output files in label/output.h. */
#ifndef TEM_RENDER_H
#define TEM_RENDER_H

#include <cairo.h>

#include "keys/err.h"
#include "label/layout.h"
#include "label/qr.h"

/* How the QR is drawn: a 1-bit image mask (PDF and PNG: small, fast, exact) or one vector
 * path of module runs (SVG, for designers). */
enum label_qr_style { LABEL_QR_IMAGE, LABEL_QR_PATH };
/* What every label of a batch shares, prepared once: geometry, text layouts, and the product
 * and producer drawn once. Not thread-safe: one drawing thread a label_art. */
struct label_art;
/* t->short_id is the batch's widest short id (room for it is kept on every label); NULL when
 * out of memory. */
struct label_art *label_art_new(const struct label_geom *g, const struct label_text *t,
				enum label_qr_style style);
void label_art_free(struct label_art *a);
/* Draws one label with its top-left corner at (x, y) mm; cr's user unit must be 1 mm. pin is
 * the code's claim PIN as claim_pin_format prints it, drawn in the hidden area when the
 * geometry has one (NULL: the area is left empty). */
void label_art_draw(struct label_art *a, cairo_t *cr, double x, double y, const struct qr *q,
		    const char *short_id, const char *pin);
/* An RGB24 image of one label of geometry g at dpi (pixels rounded to the nearest): what the
 * PNG output writes and the read-back check decodes. NULL when out of memory; free with
 * cairo_surface_destroy. */
cairo_surface_t *label_raster_new(const struct label_geom *g, int dpi);
/* Rasterises one label into img (from label_raster_new for art's geometry at the same dpi):
 * white to the last pixel, then the label drawn as on paper. */
void label_rasterise(cairo_surface_t *img, struct label_art *a, int dpi, const struct qr *q,
		     const char *short_id, const char *pin);
/* Draws cut marks for a full page of labels in the page margins (tie and sheet layouts). */
void label_draw_cut_marks(cairo_t *cr, const struct label_geom *g);

#endif
