/* cursor.c — the API's signed list cursors (server/cursor.h): version, list, position (big
 * endian), filter digest, then a crypto_auth MAC of those bytes; base64url without padding. */
#include "server/cursor.h"

#include <string.h>

#define CURSOR_VERSION 1
#define BODY_BYTES     (2 + 8 + CURSOR_DIGEST_BYTES)
#define RAW_BYTES      (BODY_BYTES + crypto_auth_BYTES)

void cursor_key(const unsigned char secret[32], unsigned char key[CURSOR_KEY_BYTES])
{
	crypto_kdf_derive_from_key(key, CURSOR_KEY_BYTES, 1, "temcursr", secret);
}

void cursor_digest(const char *filters, unsigned char d[CURSOR_DIGEST_BYTES])
{
	crypto_generichash(d, CURSOR_DIGEST_BYTES, (const unsigned char *)filters, strlen(filters),
			   NULL, 0);
}

void cursor_make(const unsigned char key[CURSOR_KEY_BYTES], enum cursor_list list, int64_t pos,
		 const unsigned char d[CURSOR_DIGEST_BYTES], char out[CURSOR_TEXT_MAX])
{
	unsigned char raw[RAW_BYTES];
	uint64_t p = (uint64_t)pos;

	raw[0] = CURSOR_VERSION;
	raw[1] = (unsigned char)list;
	for (int i = 0; i < 8; i++)
		raw[2 + i] = (unsigned char)(p >> (56 - 8 * i));
	memcpy(raw + 10, d, CURSOR_DIGEST_BYTES);
	crypto_auth(raw + BODY_BYTES, raw, BODY_BYTES, key);
	sodium_bin2base64(out, CURSOR_TEXT_MAX, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int cursor_read(const unsigned char key[CURSOR_KEY_BYTES], const char *text, enum cursor_list list,
		const unsigned char d[CURSOR_DIGEST_BYTES], int64_t *pos)
{
	unsigned char raw[RAW_BYTES];
	size_t len = 0;
	const char *end = NULL;
	uint64_t p = 0;

	if (text == NULL || strlen(text) >= CURSOR_TEXT_MAX ||
	    sodium_base642bin(raw, sizeof raw, text, strlen(text), NULL, &len, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof raw || *end != '\0')
		return -1;
	/* one spelling per cursor: the last character's unused low bits must be zero, as
	 * cursor_make writes them (the decoder ignores them) */
	{
		char again[CURSOR_TEXT_MAX];
		sodium_bin2base64(again, sizeof again, raw, sizeof raw,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		if (strcmp(again, text) != 0)
			return -1;
	}
	if (crypto_auth_verify(raw + BODY_BYTES, raw, BODY_BYTES, key) != 0)
		return -1;
	if (raw[0] != CURSOR_VERSION || raw[1] != (unsigned char)list ||
	    sodium_memcmp(raw + 10, d, CURSOR_DIGEST_BYTES) != 0)
		return -1;
	for (int i = 0; i < 8; i++)
		p = p << 8 | raw[2 + i];
	if (p == 0 || p > (uint64_t)INT64_MAX)
		return -1;
	*pos = (int64_t)p;
	return 0;
}
