/* code.h — the signed code, format v1 (docs/code-format.md):
 *
 *   offset bytes field (big-endian)
 *   0      1     format version, 1
 *   1      8     producer key id (minisign keynum bytes, as stored in key files)
 *   9      8     serial number
 *   17     2     last valid day, days since 1970-01-01, a Vietnam (UTC+7) day; 0 = none
 *   19     64    Ed25519 signature of "tem-code-v1\n" || bytes 0..18
 *
 * Text form: RFC 4648 base32, upper case, no padding: 133 characters; non-canonical text
 * (non-zero trailing bits) is rejected so one code has exactly one spelling.
 * URL form: BASE/C/CODE, all upper case (QR alphanumeric mode). */
#ifndef TEM_CODE_H
#define TEM_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "keys/keys.h"

#define CODE_VERSION       1
#define CODE_SIGNED_BYTES  19 /* bytes 0..18, what the signature covers */
#define CODE_BYTES         83
#define CODE_TEXT_LEN      133
#define CODE_SHORT_ID_MAX  40   /* "3F9A0C21D4E5B6A7-18446744073709551615" and NUL */
#define CODE_URL_MAX       512  /* URL form, NUL included */
#define CODE_INPUT_MAX     2048 /* longest text code_parse looks at */
#define CODE_DOMAIN        "tem-code-v1\n"
#define CODE_MESSAGE_BYTES (sizeof CODE_DOMAIN - 1 + CODE_SIGNED_BYTES)

struct tem_code {
	uint8_t version;                     /* CODE_VERSION */
	unsigned char key_id[KEYS_ID_BYTES]; /* producer key id */
	uint64_t serial;                     /* serial number, unique per key */
	uint16_t last_day;                   /* last valid day (days since epoch), 0 = none */
	unsigned char sig[64];               /* Ed25519 signature */
};

/* Signs a code: sets version and key id from sk, keeps serial and last_day, fills sig.
 * In label/sign.c, apart, so that temd, which only verifies, links no signing code. */
void code_sign(struct tem_code *c, const struct tem_seckey *sk);

/* The message a code's signature covers: CODE_DOMAIN followed by bytes 0..18. */
void code_signed_message(const struct tem_code *c, unsigned char msg[CODE_MESSAGE_BYTES]);

/* Verifies the signature with a public key: TEM_OK, or TEM_NO with err filled
 * ("signature does not verify" / "signed by key X, not Y"). */
int code_verify(const struct tem_code *c, const struct tem_pubkey *pk, struct tem_err *err);

/* The 83-byte binary form. */
void code_encode(const struct tem_code *c, unsigned char out[CODE_BYTES]);

/* Parses the binary form; rejects an unknown version. TEM_OK or TEM_ERR. */
int code_decode(const unsigned char in[CODE_BYTES], struct tem_code *c, struct tem_err *err);

/* The 133-character text form, NUL-terminated. */
void code_to_text(const struct tem_code *c, char out[CODE_TEXT_LEN + 1]);

/* Parses the bare text form (either case). Errors name the cause: length, a character outside
 * the base32 alphabet (and its position), non-canonical trailing bits, version. */
int code_from_text(const char *s, size_t len, struct tem_code *c, struct tem_err *err);

/* Parses what a person or scanner hands over: a bare code, or any URL whose path ends in
 * /C/CODE or /c/CODE, either case; surrounding white space is ignored. */
int code_parse(const char *s, size_t len, struct tem_code *c, struct tem_err *err);

/* Writes the URL form "BASE/C/CODE" upper-cased into out (cap bytes). A trailing '/' on base is
 * dropped. TEM_ERR when it does not fit or base has characters outside QR alphanumeric mode
 * once upper-cased. */
int code_to_url(const struct tem_code *c, const char *base, char *out, size_t cap,
		struct tem_err *err);

/* The short id printed under the QR for people: "KEYID-SERIAL". */
void code_short_id(const struct tem_code *c, char out[CODE_SHORT_ID_MAX]);

/* 1 when the code carries a last valid day and `today` (days since epoch) is past it. */
int code_is_expired(const struct tem_code *c, int32_t today);

#endif
