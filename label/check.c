/* check.c — rasterise a label (cairo image surface) at the printer's resolution, degrade it as
 * a phone camera sees it (area resampling to 7 px/mm, then a separable Gaussian blur), and
 * decode its QR (libzbar, Y800). */
#include "label/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

struct label_checker {
	struct label_geom g;        /* geometry of the labels checked */
	int dpi;                    /* the printer's resolution */
	int w, h;                   /* printed image size, pixels */
	int pw, ph;                 /* the phone's view, pixels */
	cairo_surface_t *surface;   /* RGB24 image of one label as printed */
	unsigned char *grey;        /* w*h bytes: the printed label in grey */
	unsigned char *phone;       /* pw*ph bytes of Y800: the phone's view */
	float *tmp;                 /* resampling and blurring room */
	zbar_image_scanner_t *scan; /* QR-only scanner */
};

void label_phone_size(double w_mm, double h_mm, int *dw, int *dh)
{
	*dw = (int)ceil(w_mm * LABEL_PHONE_PX_MM - 1e-9);
	*dh = (int)ceil(h_mm * LABEL_PHONE_PX_MM - 1e-9);
}

/* Area-resamples n source samples (stride apart) into m destination samples (dstride apart):
 * each destination sample is the mean of the source interval it covers, partial source
 * pixels weighted by how much of them it covers; past the source's end is white. */
static void resample(const float *src, int n, int stride, float *dst, int m, int dstride,
		     double scale)
{
	for (int i = 0; i < m; i++) {
		double a = i * scale, b = (i + 1) * scale, sum = 0;
		for (int k = (int)floor(a); k < (int)ceil(b); k++) {
			double lo = fmax(a, k), hi = fmin(b, k + 1.0);
			sum += (hi - lo) * (k < n ? src[(size_t)k * stride] : 255.0f);
		}
		dst[(size_t)i * dstride] = (float)(sum / scale);
	}
}

/* Blurs n samples (stride apart) in place with a normalised Gaussian kernel of radius r,
 * edges clamped; line is room for n floats. */
static void blur(float *v, int n, int stride, const float *kern, int r, float *line)
{
	for (int i = 0; i < n; i++)
		line[i] = v[(size_t)i * stride];
	for (int i = 0; i < n; i++) {
		float sum = 0;
		for (int k = -r; k <= r; k++) {
			int j = i + k < 0 ? 0 : i + k >= n ? n - 1 : i + k;
			sum += kern[k + r] * line[j];
		}
		v[(size_t)i * stride] = sum;
	}
}

size_t label_phone_tmp(int sw, int sh, int dw, int dh)
{
	return (size_t)dw * sh + (size_t)dw * dh + (size_t)sw + sh + dw + dh;
}

void label_phone_view(const unsigned char *src, int sw, int sh, double src_px_mm,
		      unsigned char *dst, int dw, int dh, float *tmp)
{
	enum { R = 3 }; /* kernel radius: beyond 3 sigma of 0.8 px the weights are nil */
	float kern[2 * R + 1], sum = 0, *rows = tmp, *out = tmp + (size_t)dw * sh;
	float *line = out + (size_t)dw * dh; /* one row or column, source or phone */
	double scale = src_px_mm / LABEL_PHONE_PX_MM;

	for (int k = -R; k <= R; k++)
		sum += kern[k + R] =
		    expf(-(float)(k * k) / (2 * LABEL_PHONE_BLUR * LABEL_PHONE_BLUR));
	for (int k = 0; k <= 2 * R; k++)
		kern[k] /= sum;
	/* across each row, then down each column */
	for (int y = 0; y < sh; y++) {
		for (int x = 0; x < sw; x++)
			line[x] = src[(size_t)y * sw + x];
		resample(line, sw, 1, rows + (size_t)y * dw, dw, 1, scale);
	}
	for (int x = 0; x < dw; x++)
		resample(rows + x, sh, dw, out + x, dh, dw, scale);
	for (int y = 0; y < dh; y++)
		blur(out + (size_t)y * dw, dw, 1, kern, R, line);
	for (int x = 0; x < dw; x++)
		blur(out + x, dh, dw, kern, R, line);
	for (size_t i = 0; i < (size_t)dw * dh; i++) {
		float v = out[i] + 0.5f;
		dst[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
}

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
	label_phone_size(g->spec.label_w, g->spec.label_h, &ck->pw, &ck->ph);
	ck->grey = malloc((size_t)ck->w * (size_t)ck->h);
	ck->phone = malloc((size_t)ck->pw * (size_t)ck->ph);
	ck->tmp = malloc(label_phone_tmp(ck->w, ck->h, ck->pw, ck->ph) * sizeof(float));
	ck->scan = zbar_image_scanner_create();
	if (ck->surface == NULL || ck->grey == NULL || ck->phone == NULL || ck->tmp == NULL ||
	    ck->scan == NULL) {
		label_checker_free(ck);
		return NULL;
	}
	zbar_image_scanner_set_config(ck->scan, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(ck->scan, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	return ck;
}

int label_check(struct label_checker *ck, struct label_art *art, const struct qr *q,
		const char *short_id, const char *pin, const char *expect, struct tem_err *err)
{
	unsigned char *px;
	int stride, n, found = 0, rc;
	zbar_image_t *img;
	const zbar_symbol_t *sym;

	label_rasterise(ck->surface, art, ck->dpi, q, short_id, pin);
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
	/* the printed pixels are exactly dpi/25.4 a millimetre only when the label's size is a
	 * whole number of them; the rounding is under half a pixel over the label */
	label_phone_view(ck->grey, ck->w, ck->h, ck->w / ck->g.spec.label_w, ck->phone, ck->pw,
			 ck->ph, ck->tmp);
	img = zbar_image_create();
	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, (unsigned)ck->pw, (unsigned)ck->ph);
	zbar_image_set_data(img, ck->phone, (unsigned long)ck->pw * (unsigned long)ck->ph, NULL);
	n = zbar_scan_image(ck->scan, img);
	rc = err_no(err,
		    "label %s: its QR does not read as a phone sees it (%.2f mm modules printed at "
		    "%d dpi): use a larger label or QR",
		    short_id, ck->g.module, ck->dpi);
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
	free(ck->phone);
	free(ck->tmp);
	free(ck);
}
