/* batch.h — batch files: what `tem issue` writes and `tem label` / `tem register` read.
 * Format (docs/code-format.md):
 *
 *   tem-batch v1
 *   key-id: 3F9A0C21D4E5B6A7
 *   producer: Hợp tác xã Cua Cà Mau Năm Căn
 *   product: Cua Cà Mau
 *   batch: 20261125-1
 *   first-serial: 1
 *   count: 24
 *   issued: 2026-11-25T04:50:00Z
 *   expires: 2026-12-05            ("none" when the codes carry no last day)
 *   url: HTTP://127.0.0.1:8080     ("none" when no base URL was given)
 *   claim: BASE64 (32 bytes)       (only when the codes have claim PINs: label/claim.h)
 *   signature: BASE64 (64 bytes)
 *   <blank line>
 *   CODE
 *   CODE ...
 *
 * The header signature is Ed25519 by the producer's key over "tem-batch-v1\n" followed by the
 * header bytes up to (not including) the "signature:" line; it lets temd register a batch
 * from its header alone. The whole file also has a minisign detached signature, FILE.minisig. */
#ifndef TEM_BATCH_H
#define TEM_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "keys/err.h"
#include "keys/keys.h"
#include "label/claim.h"
#include "label/code.h"

#define BATCH_HEADER_MAX  4096
#define BATCH_TEXT_MAX    200 /* producer, product: bytes of clean UTF-8 */
#define BATCH_ID_MAX      64  /* batch id: [A-Za-z0-9._-] */
#define BATCH_URL_MAX     256
#define BATCH_COUNT_MAX   100000000ull
#define BATCH_MAGIC       "tem-batch v1"
#define BATCH_DOMAIN      "tem-batch-v1\n" /* prefixed to what the header signature covers */
#define BATCH_SIG_B64_LEN 88               /* base64 of the 64-byte header signature */

struct batch_header {
	unsigned char key_id[KEYS_ID_BYTES];     /* producer key id */
	char producer[BATCH_TEXT_MAX + 1];       /* producer's name as issued (may be empty) */
	char product[BATCH_TEXT_MAX + 1];        /* product name */
	char batch_id[BATCH_ID_MAX + 1];         /* batch id */
	uint64_t first_serial;                   /* serial of the first code */
	uint64_t count;                          /* number of codes, at least 1 */
	time_t issued;                           /* issue time (Unix) */
	uint16_t last_day;                       /* last valid day of every code, 0 = none */
	char url[BATCH_URL_MAX + 1];             /* verification base URL, upper case; "" = none */
	int has_claim;                           /* 1 when the codes have claim PINs */
	unsigned char claim[CLAIM_COMMIT_BYTES]; /* commitment to the batch's claim key */
	unsigned char sig[64];                   /* header signature */
	char raw[BATCH_HEADER_MAX]; /* the header as in the file, blank line included */
	size_t raw_len;             /* bytes used in raw */
	size_t signed_len;          /* bytes of raw the signature covers */
};

/* Formats the header from its fields and signs it with sk (whose id becomes key_id): fills
 * raw, raw_len, signed_len and sig. TEM_ERR when a field is not valid. In label/sign.c, apart,
 * so that temd, which only verifies, links no signing code. */
int batch_header_sign(struct batch_header *h, const struct tem_seckey *sk, struct tem_err *err);

/* The message the header signature covers (BATCH_DOMAIN, then raw's first signed_len bytes),
 * malloc'd: TEM_OK, or TEM_ERR when out of memory. */
int batch_header_message(const struct batch_header *h, unsigned char **msg, size_t *len);

/* 1 when s is a valid batch id: 1..BATCH_ID_MAX of [A-Za-z0-9._-]. */
int batch_id_valid(const char *s);

/* 1 when s is empty or an upper-case URL made of QR alphanumeric characters (no space). */
int batch_url_valid(const char *s);

/* Parses a header from the start of text (a whole batch file, or a header alone as sent to
 * temd); fills every field including raw. Does not check the signature. Errors name the line. */
int batch_header_parse(const char *text, size_t len, struct batch_header *h, struct tem_err *err);

/* Checks the header signature with the producer's key: TEM_OK or TEM_NO. */
int batch_header_verify(const struct batch_header *h, const struct tem_pubkey *pk,
			struct tem_err *err);

struct batch_reader;

/* Opens a batch file and parses its header (streams the rest: memory does not grow with the
 * count). *out is freed by batch_close. Errors are prefixed with the path. */
int batch_open(const char *path, struct batch_reader **out, struct tem_err *err);

/* The header of an open batch. */
const struct batch_header *batch_reader_header(const struct batch_reader *r);

/* Line number in the file of the last line batch_next read (the header's blank line, 12,
 * before the first code). */
int batch_reader_line(const struct batch_reader *r);

/* The path the batch was opened from. */
const char *batch_reader_path(const struct batch_reader *r);

/* Reads the next code: 1 with *c filled (and text, if not NULL, set to its text form), 0 at the
 * end, TEM_ERR with "PATH: line N: ..." for a malformed line, a code of another key, a serial
 * out of sequence, or a count that differs from the header. Does not verify signatures. */
int batch_next(struct batch_reader *r, struct tem_code *c, char text[CODE_TEXT_LEN + 1],
	       struct tem_err *err);

/* Closes the reader (NULL is fine). */
void batch_close(struct batch_reader *r);

#endif
