/* pubkey.c — minisign public key files: "untrusted comment: ..." and base64 of
 * "Ed" || key id (8) || Ed25519 public key (32). No secret-key code lives here. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/fileio.h"
#include "keys/keyfile.h"
#include "keys/keys.h"
#include "keys/text.h"

#define PUB_BIN_BYTES (2 + KEYS_ID_BYTES + KEYS_PK_BYTES)

int keys_public_parse(const char *text, size_t len, const char *name, struct tem_pubkey *out,
		      struct tem_err *err)
{
	unsigned char bin[PUB_BIN_BYTES];

	if (keyfile_decode(text, len, name, bin, sizeof bin, "minisign public key", err) != TEM_OK)
		return TEM_ERR;
	if (memcmp(bin, "Ed", 2) != 0)
		return err_set(err, "%s: unsupported signature algorithm (not Ed25519)", name);
	memcpy(out->id, bin + 2, KEYS_ID_BYTES);
	memcpy(out->pk, bin + 2 + KEYS_ID_BYTES, KEYS_PK_BYTES);
	return TEM_OK;
}

int keys_public_load(const char *path, struct tem_pubkey *out, struct tem_err *err)
{
	char *buf;
	size_t len;
	int rc;

	if (keyfile_read(path, "minisign public key", &buf, &len, err) != TEM_OK)
		return TEM_ERR;
	rc = keys_public_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}

void keys_public_base64(const struct tem_pubkey *pk, char out[KEYS_PUBLIC_B64_LEN + 1])
{
	unsigned char bin[PUB_BIN_BYTES];

	memcpy(bin, "Ed", 2);
	memcpy(bin + 2, pk->id, KEYS_ID_BYTES);
	memcpy(bin + 2 + KEYS_ID_BYTES, pk->pk, KEYS_PK_BYTES);
	sodium_bin2base64(out, KEYS_PUBLIC_B64_LEN + 1, bin, sizeof bin,
			  sodium_base64_VARIANT_ORIGINAL);
}

int keys_public_write(const char *path, const struct tem_pubkey *pk, const char *comment,
		      int overwrite, struct tem_err *err)
{
	char b64[KEYS_PUBLIC_B64_LEN + 1], id[KEYS_ID_HEX_LEN + 1], text[1024];
	int n;

	keys_id_hex(pk->id, id);
	keys_public_base64(pk, b64);
	if (comment != NULL && !text_is_clean(comment, strlen(comment)))
		return err_set(err, "comment: not clean UTF-8 text on one line");
	if (comment != NULL)
		n = snprintf(text, sizeof text, "untrusted comment: %s\n%s\n", comment, b64);
	else
		n = snprintf(text, sizeof text, "untrusted comment: minisign public key %s\n%s\n",
			     id, b64);
	if (n < 0 || (size_t)n >= sizeof text)
		return err_set(err, "comment: too long");
	return file_write_atomic(path, text, (size_t)n, 0644, overwrite, err);
}
