/* check.h — reading a rendered label back as a phone will see it, before anyone prints it: the
 * label is rasterised at the printer's resolution, resampled to what a phone camera captures
 * of a label held at reading distance (LABEL_PHONE_PX_MM pixels a millimetre, blurred with a
 * Gaussian of LABEL_PHONE_BLUR pixels), and its QR decoded in-process with libzbar. */
#ifndef TEM_CHECK_H
#define TEM_CHECK_H

#include <stddef.h>

#include "keys/err.h"
#include "label/qr.h"
#include "label/render.h"

#define LABEL_PHONE_PX_MM 7.0 /* a phone's capture of a label, pixels a millimetre */
#define LABEL_PHONE_BLUR  0.8 /* its blur: Gaussian sigma, in those pixels */

struct label_checker;

/* A checker for labels of geometry g printed at printer_dpi; NULL when out of memory. */
struct label_checker *label_checker_new(const struct label_geom *g, int printer_dpi);

/* Rasterises one label as art draws it (with its PIN, which may be NULL), degrades it as a phone
 * sees it and decodes it: TEM_OK when exactly one QR decodes to `expect`, TEM_NO with err naming
 * what came instead (nothing, or another text). */
int label_check(struct label_checker *ck, struct label_art *art, const struct qr *q,
		const char *short_id, const char *pin, const char *expect, struct tem_err *err);

/* The phone's view of an 8-bit grey image: src (sw x sh pixels at src_px_mm pixels a
 * millimetre) area-resampled into dst (dw x dh at LABEL_PHONE_PX_MM, dw and dh from
 * label_phone_size), then blurred. tmp holds label_phone_tmp(sw, sh, dw, dh) floats. */
void label_phone_view(const unsigned char *src, int sw, int sh, double src_px_mm,
		      unsigned char *dst, int dw, int dh, float *tmp);

/* The floats label_phone_view needs as room. */
size_t label_phone_tmp(int sw, int sh, int dw, int dh);

/* The size in pixels of the phone's view of a w x h mm label. */
void label_phone_size(double w_mm, double h_mm, int *dw, int *dh);

/* Frees the checker (NULL is fine). */
void label_checker_free(struct label_checker *ck);

#endif
