/* qr.c — QR matrices from libqrencode. The whole URL goes in one alphanumeric segment
 * (5.5 bits a character), which is why tem's URLs are upper case. */
#include "label/qr.h"

#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

int qr_ecc_parse(const char *s)
{
	if (s == NULL || s[0] == '\0' || s[1] != '\0')
		return -1;
	switch (s[0]) {
	case 'L':
	case 'l':
		return QR_ECC_L;
	case 'M':
	case 'm':
		return QR_ECC_M;
	case 'Q':
	case 'q':
		return QR_ECC_Q;
	case 'H':
	case 'h':
		return QR_ECC_H;
	}
	return -1;
}

static QRecLevel level_of(enum qr_ecc e)
{
	static const QRecLevel map[] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
	return map[e];
}

int qr_encode(const char *text, enum qr_ecc ecc, int max_version, struct qr *out,
	      struct tem_err *err)
{
	QRinput *in;
	QRcode *code;
	size_t len = strlen(text);

	memset(out, 0, sizeof *out);
	if (len == 0 || len > 4000)
		return err_set(err, "QR text is empty or too long (%zu characters)", len);
	if (QRinput_check(QR_MODE_AN, (int)len, (const unsigned char *)text) != 0)
		return err_set(err, "'%.60s' has characters outside QR alphanumeric mode", text);
	in = QRinput_new2(0, level_of(ecc));
	if (in == NULL)
		return err_set(err, "QR encoder: out of memory");
	if (QRinput_append(in, QR_MODE_AN, (int)len, (const unsigned char *)text) != 0) {
		QRinput_free(in);
		return err_set(err, "QR encoder refused the text");
	}
	code = QRcode_encodeInput(in);
	QRinput_free(in);
	if (code == NULL)
		return err_set(err, "QR encoder failed: %s",
			       errno == ERANGE ? "too much data for a QR code" : strerror(errno));
	if (max_version > 0 && code->version > max_version) {
		int v = code->version;
		QRcode_free(code);
		return err_set(err,
			       "the URL needs QR version %d, past --max-version %d: use a shorter "
			       "base URL or a lower --ecc",
			       v, max_version);
	}
	out->version = code->version;
	out->width = code->width;
	out->modules = malloc((size_t)code->width * (size_t)code->width);
	if (out->modules == NULL) {
		QRcode_free(code);
		return err_set(err, "out of memory");
	}
	for (int i = 0; i < code->width * code->width; i++)
		out->modules[i] = code->data[i] & 1;
	QRcode_free(code);
	return 0;
}

void qr_free(struct qr *q)
{
	free(q->modules);
	q->modules = NULL;
}
