/* claim.c — claim PINs from a batch's claim key, the key's commitment, and its 0600 file
 * (the scheme is in label/claim.h and docs/security.md). */
#include "label/claim.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/fileio.h"

#define PIN_DOMAIN    "tem-claim-pin-v1"
#define COMMIT_DOMAIN "tem-claim-commit-v1"
#define FILE_MAGIC    "tem-claim v1\n"
#define FILE_MAX      1024

void claim_key_new(unsigned char out[CLAIM_KEY_BYTES])
{
	randombytes_buf(out, CLAIM_KEY_BYTES);
}

void claim_commit(const unsigned char k[CLAIM_KEY_BYTES], unsigned char out[CLAIM_COMMIT_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, CLAIM_COMMIT_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)COMMIT_DOMAIN,
				  sizeof COMMIT_DOMAIN - 1);
	crypto_generichash_update(&st, k, CLAIM_KEY_BYTES);
	crypto_generichash_final(&st, out, CLAIM_COMMIT_BYTES);
}

void claim_pin(const unsigned char k[CLAIM_KEY_BYTES], uint64_t serial,
	       char out[CLAIM_PIN_DIGITS + 1])
{
	unsigned char msg[sizeof PIN_DOMAIN - 1 + 8], h[8];
	uint64_t v = 0;

	memcpy(msg, PIN_DOMAIN, sizeof PIN_DOMAIN - 1);
	for (int i = 0; i < 8; i++)
		msg[sizeof PIN_DOMAIN - 1 + i] = (unsigned char)(serial >> (56 - 8 * i));
	crypto_generichash(h, sizeof h, msg, sizeof msg, k, CLAIM_KEY_BYTES);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	/* 2^64 is 1.8e9 times 10^10: the modulo's bias is below one part in a billion */
	for (int i = CLAIM_PIN_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[CLAIM_PIN_DIGITS] = '\0';
	sodium_memzero(h, sizeof h);
}

void claim_pin_format(const char pin[CLAIM_PIN_DIGITS + 1], char out[CLAIM_PIN_TEXT_MAX])
{
	snprintf(out, CLAIM_PIN_TEXT_MAX, "%.5s %.5s", pin, pin + 5);
}

int claim_pin_check(const unsigned char k[CLAIM_KEY_BYTES], uint64_t serial, const char *typed,
		    size_t len)
{
	char want[CLAIM_PIN_DIGITS + 1], got[CLAIM_PIN_DIGITS + 1];
	size_t n = 0;
	int ok;

	if (len > 64)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = typed[i];
		if (c >= '0' && c <= '9') {
			if (n == CLAIM_PIN_DIGITS)
				return 0;
			got[n++] = c;
		} else if (c != ' ' && c != '-' && c != '.') {
			return 0;
		}
	}
	if (n != CLAIM_PIN_DIGITS)
		return 0;
	got[n] = '\0';
	claim_pin(k, serial, want);
	ok = sodium_memcmp(want, got, CLAIM_PIN_DIGITS) == 0;
	sodium_memzero(want, sizeof want);
	return ok;
}

const char *claim_key_path(const char *batch, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s.claim", batch);

	return n > 0 && (size_t)n < cap ? buf : NULL;
}

int claim_key_save(const char *path, const char *batch_id, const unsigned char k[CLAIM_KEY_BYTES],
		   int force, struct tem_err *err)
{
	char *text = sodium_malloc(FILE_MAX);
	int n, rc;

	if (text == NULL)
		return err_set(err, "%s: out of memory", path);
	n = snprintf(text, FILE_MAX, FILE_MAGIC "batch: %s\nclaim-key: ", batch_id);
	if (n < 0 || n + CLAIM_B64_LEN + 2 > FILE_MAX) {
		sodium_free(text);
		return err_set(err, "%s: batch id too long", path);
	}
	sodium_bin2base64(text + n, CLAIM_B64_LEN + 1, k, CLAIM_KEY_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
	n += CLAIM_B64_LEN;
	text[n++] = '\n';
	rc = file_write_atomic(path, text, (size_t)n, 0600, force, err);
	sodium_free(text); /* wipes */
	return rc;
}

int claim_key_load(const char *path, const unsigned char commit[CLAIM_COMMIT_BYTES],
		   unsigned char k[CLAIM_KEY_BYTES], struct tem_err *err)
{
	unsigned char got[CLAIM_COMMIT_BYTES];
	char *buf = NULL, *line;
	size_t len, klen = 0;
	int rc = TEM_ERR;

	if (file_read_all(path, FILE_MAX, &buf, &len, err) != TEM_OK)
		return TEM_ERR;
	line = strstr(buf, "\nclaim-key: ");
	if (strncmp(buf, FILE_MAGIC, sizeof FILE_MAGIC - 1) != 0 || line == NULL) {
		err_set(err, "%s: not a tem claim key file", path);
		goto out;
	}
	line += strlen("\nclaim-key: ");
	if (sodium_base642bin(k, CLAIM_KEY_BYTES, line, strcspn(line, "\n"), NULL, &klen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    klen != CLAIM_KEY_BYTES) {
		err_set(err, "%s: the claim key is not 32 bytes of base64", path);
		goto out;
	}
	claim_commit(k, got);
	if (sodium_memcmp(got, commit, CLAIM_COMMIT_BYTES) != 0) {
		rc = err_no(err, "%s: not the claim key of this batch", path);
		goto out;
	}
	rc = TEM_OK;
out:
	if (rc != TEM_OK)
		sodium_memzero(k, CLAIM_KEY_BYTES);
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}
