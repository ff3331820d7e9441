/* fuzz_pubkey.c — public key files and bare base64 key lines (keys/pubkey.c), and the
 * comment-then-base64 layout all minisign key files share (keys/keyfile.c). A key that parses
 * must print back to a line that parses to the same key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keyfile.h"
#include "keys/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct tem_pubkey pk, again;
	struct tem_err err;
	unsigned char raw[158];
	char line[KEYS_PUBLIC_B64_LEN + 1];

	(void)keyfile_decode(s, size, "fuzz.key", raw, sizeof raw, "minisign secret key", &err);
	if (keys_public_parse(s, size, "fuzz.pub", &pk, &err) != TEM_OK)
		return 0;
	keys_public_base64(&pk, line);
	if (keys_public_parse(line, strlen(line), "again", &again, &err) != TEM_OK ||
	    memcmp(&pk, &again, sizeof pk) != 0)
		abort();
	return 0;
}
