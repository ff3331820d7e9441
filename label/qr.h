/* qr.h — QR matrices for label URLs, from libqrencode: the URL in alphanumeric mode, the
 * smallest version the data allows, an optional version cap. */
#ifndef TEM_QR_H
#define TEM_QR_H

#include "keys/err.h"

#define QR_QUIET 4 /* quiet zone, in modules, on every side */

struct qr {
	int version;            /* QR version, 1..40 */
	int width;              /* modules a side, without the quiet zone */
	unsigned char *modules; /* width*width bytes, row-major, 1 = dark; malloc'd */
};

/* ECC levels as tem names them. */
enum qr_ecc { QR_ECC_L, QR_ECC_M, QR_ECC_Q, QR_ECC_H };

/* Parses "L", "M", "Q" or "H" (either case); -1 for anything else. */
int qr_ecc_parse(const char *s);

/* Encodes text (QR alphanumeric characters only: 0-9 A-Z space $%*+-./:) at the given ECC
 * level into out. max_version 0 means no cap; otherwise a symbol past that version is refused
 * with the version the text needs. Free with qr_free. */
int qr_encode(const char *text, enum qr_ecc ecc, int max_version, struct qr *out,
	      struct tem_err *err);

/* Frees the modules (NULL-safe, idempotent). */
void qr_free(struct qr *q);

#endif
