/* fuzz_code.c — code text and URLs as a person or scanner hands them over (label/code.h):
 * code_parse and code_from_text. What parses must print back to the one canonical spelling
 * and parse again to the same code. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "label/code.h"

/* 1 when a and b are the same code (field by field: the struct has padding). */
static int same(const struct tem_code *a, const struct tem_code *b)
{
	return a->version == b->version && memcmp(a->key_id, b->key_id, sizeof a->key_id) == 0 &&
	       a->serial == b->serial && a->last_day == b->last_day &&
	       memcmp(a->sig, b->sig, sizeof a->sig) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct tem_code c, again;
	struct tem_err err;
	char text[CODE_TEXT_LEN + 1], url[CODE_URL_MAX], id[CODE_SHORT_ID_MAX];
	unsigned char bin[CODE_BYTES];

	if (code_from_text(s, size, &c, &err) == TEM_OK) {
		code_to_text(&c, text);
		/* one code has one spelling: upper-case input comes back byte for byte */
		if (size == CODE_TEXT_LEN) {
			for (size_t i = 0; i < size; i++)
				if (text[i] != (s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]))
					abort();
		}
	}
	if (code_parse(s, size, &c, &err) != TEM_OK)
		return 0;
	code_to_text(&c, text);
	if (code_from_text(text, strlen(text), &again, &err) != TEM_OK || !same(&c, &again))
		abort();
	code_encode(&c, bin);
	if (code_decode(bin, &again, &err) != TEM_OK || !same(&c, &again))
		abort();
	if (code_to_url(&c, "HTTPS://TEM.EXAMPLE.VN/", url, sizeof url, &err) != TEM_OK ||
	    code_parse(url, strlen(url), &again, &err) != TEM_OK || !same(&c, &again))
		abort();
	code_short_id(&c, id);
	(void)code_is_expired(&c, 20000);
	return 0;
}
