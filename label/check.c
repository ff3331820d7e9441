/* check.c — rasterise a label (cairo image surface) and decode its QR (libzbar, Y800). */
#include "label/check.h"

#include <stdlib.h>
#include <string.h>
#include <zbar.h>

struct label_checker {
	struct label_geom g;        /* geometry of the labels checked */
	int dpi;                    /* rasterising resolution */
	int w, h;                   /* image size, pixels */
	cairo_surface_t *surface;   /* RGB24 image of one label */
	unsigned char *grey;        /* w*h bytes of Y800 */
	zbar_image_scanner_t *scan; /* QR-only scanner */
};

struct label_checker *label_checker_new(const struct label_geom *g, int dpi)
{
	struct label_checker *ck = calloc(1, sizeof *ck);

	if (ck == NULL)
		return NULL;
	ck->g = *g;
	ck->dpi = dpi;
	ck->surface = label_raster_new(g, dpi);
	if (ck->surface != NULL) {
		ck->w = cairo_image_surface_get_width(ck->surface);
		ck->h = cairo_image_surface_get_height(ck->surface);
	}
	ck->grey = malloc((size_t)ck->w * (size_t)ck->h);
	ck->scan = zbar_image_scanner_create();
	if (ck->surface == NULL || ck->grey == NULL || ck->scan == NULL) {
		label_checker_free(ck);
		return NULL;
	}
	zbar_image_scanner_set_config(ck->scan, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(ck->scan, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	return ck;
}

int label_check(struct label_checker *ck, struct label_art *art, const struct qr *q,
		const char *short_id, const char *expect, struct tem_err *err)
{
	unsigned char *px;
	int stride, n, found = 0, rc;
	zbar_image_t *img;
	const zbar_symbol_t *sym;

	label_rasterise(ck->surface, art, ck->dpi, q, short_id);
	px = cairo_image_surface_get_data(ck->surface);
	stride = cairo_image_surface_get_stride(ck->surface);
	for (int y = 0; y < ck->h; y++) {
		const uint32_t *row = (const uint32_t *)(void *)(px + y * stride);
		for (int x = 0; x < ck->w; x++) {
			uint32_t v = row[x];
			ck->grey[y * ck->w + x] =
			    (unsigned char)((((v >> 16) & 255) + ((v >> 8) & 255) + (v & 255)) / 3);
		}
	}
	img = zbar_image_create();
	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, (unsigned)ck->w, (unsigned)ck->h);
	zbar_image_set_data(img, ck->grey, (unsigned long)ck->w * (unsigned long)ck->h, NULL);
	n = zbar_scan_image(ck->scan, img);
	rc = err_no(err, "label %s: no QR code could be read back", short_id);
	for (sym = zbar_image_first_symbol(img); n > 0 && sym != NULL;
	     sym = zbar_symbol_next(sym)) {
		const char *data = zbar_symbol_get_data(sym);
		found++;
		if (strcmp(data, expect) == 0) {
			rc = TEM_OK;
		} else {
			rc = err_no(err, "label %s: the QR reads back as '%.80s', not its URL",
				    short_id, data);
			break;
		}
	}
	if (rc == TEM_OK && found != 1)
		rc = err_no(err, "label %s: %d QR codes read back, expected one", short_id, found);
	zbar_image_destroy(img);
	return rc;
}

void label_checker_free(struct label_checker *ck)
{
	if (ck == NULL)
		return;
	if (ck->surface != NULL)
		cairo_surface_destroy(ck->surface);
	if (ck->scan != NULL)
		zbar_image_scanner_destroy(ck->scan);
	free(ck->grey);
	free(ck);
}
