/* sign.c — making minisign detached signatures (format in sig.c). Apart from sig.c, which
 * only verifies, so that temd links no signing code at all. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys/fileio.h"
#include "keys/sig.h"
#include "keys/text.h"

/* Formats a signature whose content hash (or content, never here) was signed. */
static int format_sig(const unsigned char hash[crypto_generichash_BYTES_MAX],
		      const struct tem_seckey *sk, const char *tc, char **out, size_t *outlen,
		      struct tem_err *err)
{
	unsigned char bin[SIG_BIN_BYTES], global[crypto_sign_BYTES];
	unsigned char *gmsg;
	size_t tclen = strlen(tc), cap;
	char b64a[sodium_base64_ENCODED_LEN(SIG_BIN_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	char b64b[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	char *text;
	int n;

	if (tclen > SIG_TRUSTED_COMMENT_MAX || !text_is_clean(tc, tclen))
		return err_set(err,
			       "trusted comment: not clean UTF-8 text on one line of at most %d "
			       "bytes",
			       SIG_TRUSTED_COMMENT_MAX);
	memcpy(bin, "ED", 2);
	memcpy(bin + 2, sk->id, KEYS_ID_BYTES);
	crypto_sign_detached(bin + 2 + KEYS_ID_BYTES, NULL, hash, crypto_generichash_BYTES_MAX,
			     sk->sk);
	gmsg = malloc(crypto_sign_BYTES + tclen);
	if (gmsg == NULL)
		return err_set(err, "out of memory");
	memcpy(gmsg, bin + 2 + KEYS_ID_BYTES, crypto_sign_BYTES);
	memcpy(gmsg + crypto_sign_BYTES, tc, tclen);
	crypto_sign_detached(global, NULL, gmsg, crypto_sign_BYTES + tclen, sk->sk);
	free(gmsg);
	sodium_bin2base64(b64a, sizeof b64a, bin, sizeof bin, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(b64b, sizeof b64b, global, sizeof global, sodium_base64_VARIANT_ORIGINAL);
	cap = 128 + sizeof b64a + tclen + sizeof b64b;
	text = malloc(cap);
	if (text == NULL)
		return err_set(err, "out of memory");
	n = snprintf(
	    text, cap,
	    "untrusted comment: signature from tem secret key\n%s\ntrusted comment: %s\n%s\n", b64a,
	    tc, b64b);
	*out = text;
	*outlen = (size_t)n;
	return TEM_OK;
}

int sig_sign_buffer(const void *msg, size_t len, const struct tem_seckey *sk,
		    const char *trusted_comment, char **out, size_t *outlen, struct tem_err *err)
{
	unsigned char hash[crypto_generichash_BYTES_MAX];
	char tc[64];

	crypto_generichash(hash, sizeof hash, msg, len, NULL, 0);
	if (trusted_comment == NULL) {
		snprintf(tc, sizeof tc, "timestamp:%lld", (long long)time(NULL));
		trusted_comment = tc;
	}
	return format_sig(hash, sk, trusted_comment, out, outlen, err);
}

int sig_sign_file(const char *path, const char *sigpath, const struct tem_seckey *sk,
		  const char *trusted_comment, int overwrite, struct tem_err *err)
{
	unsigned char hash[crypto_generichash_BYTES_MAX];
	char tc[SIG_TRUSTED_COMMENT_MAX + 1];
	char *text;
	size_t len;
	int rc;

	if (sig_hash_file(path, hash, err) != TEM_OK)
		return TEM_ERR;
	if (trusted_comment == NULL) {
		const char *base = strrchr(path, '/');
		base = base != NULL ? base + 1 : path;
		snprintf(tc, sizeof tc, "timestamp:%lld\tfile:%s\thashed", (long long)time(NULL),
			 base);
		/* a tab is a control character; minisign uses it, so it is allowed here only */
		for (char *q = tc; *q; q++)
			if (*q == '\t')
				*q = ' ';
		trusted_comment = tc;
	}
	if (format_sig(hash, sk, trusted_comment, &text, &len, err) != TEM_OK)
		return TEM_ERR;
	rc = file_write_atomic(sigpath, text, len, 0644, overwrite, err);
	free(text);
	return rc;
}
