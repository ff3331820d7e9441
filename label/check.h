/* check.h — reading a rendered label back before anyone prints it: the label is rasterised
 * at the printer's resolution and its QR decoded in-process with libzbar. */
#ifndef TEM_CHECK_H
#define TEM_CHECK_H

#include "keys/err.h"
#include "label/qr.h"
#include "label/render.h"

struct label_checker;

/* A checker for labels of geometry g rasterised at dpi; NULL when out of memory. */
struct label_checker *label_checker_new(const struct label_geom *g, int dpi);

/* Rasterises one label as art draws it and decodes it: TEM_OK when exactly one QR decodes to
 * `expect`, TEM_NO with err naming what came instead (nothing, or another text). */
int label_check(struct label_checker *ck, struct label_art *art, const struct qr *q,
		const char *short_id, const char *expect, struct tem_err *err);

void label_checker_free(struct label_checker *ck);

#endif
