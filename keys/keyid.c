/* keyid.c — library start-up and key ids as minisign shows them. */
#include <sodium.h>

#include "keys/keys.h"

int keys_init(struct tem_err *err)
{
	if (sodium_init() < 0)
		return err_set(err, "libsodium could not be initialised");
	return TEM_OK;
}

void keys_id_hex(const unsigned char id[KEYS_ID_BYTES], char out[KEYS_ID_HEX_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";

	/* minisign prints the 8 stored bytes as a little-endian number: last byte first */
	for (int i = 0; i < KEYS_ID_BYTES; i++) {
		unsigned char b = id[KEYS_ID_BYTES - 1 - i];
		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 15];
	}
	out[KEYS_ID_HEX_LEN] = '\0';
}

int keys_id_parse(const char *hex, size_t len, unsigned char id[KEYS_ID_BYTES], struct tem_err *err)
{
	unsigned char be[KEYS_ID_BYTES];
	size_t bin_len;

	/* hex is len bytes, not a string: the message quotes at most those */
	if (len != KEYS_ID_HEX_LEN)
		return err_set(err, "key id '%.*s' is not 16 hex digits",
			       (int)(len < 40 ? len : 40), hex);
	if (sodium_hex2bin(be, sizeof be, hex, len, NULL, &bin_len, NULL) != 0 ||
	    bin_len != sizeof be)
		return err_set(err, "key id '%.16s' is not 16 hex digits", hex);
	for (int i = 0; i < KEYS_ID_BYTES; i++)
		id[i] = be[KEYS_ID_BYTES - 1 - i];
	return TEM_OK;
}
