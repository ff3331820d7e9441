/* sig.c — minisign detached signatures. A .minisig file is four lines:
 *   untrusted comment: TEXT
 *   base64("ED" || key id (8) || Ed25519 signature of BLAKE2b-512(content) (64))
 *   trusted comment: TEXT
 *   base64(Ed25519 signature of the 64-byte signature || trusted comment text)
 * Legacy "Ed" signatures sign the content itself; they are verified, never made. */
#include "keys/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keys/fileio.h"
#include "keys/text.h"

#define SIG_FILE_MAX 8192
#define LEGACY_MAX   (64u << 20) /* bound on content read whole for a legacy "Ed" signature */

struct parsed_sig {
	unsigned char alg[2];
	unsigned char id[KEYS_ID_BYTES];
	unsigned char sig[crypto_sign_BYTES];
	char tc[SIG_TRUSTED_COMMENT_MAX + 1];
	unsigned char global[crypto_sign_BYTES];
};

/* Copies the next line (without its newline) of [*p, end) into a view. */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *eol;

	if (*p >= end)
		return 0;
	eol = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = (size_t)((eol != NULL ? eol : end) - *p);
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	*p = eol != NULL ? eol + 1 : end;
	return 1;
}

static int parse_sig(const char *text, size_t len, const char *name, struct parsed_sig *ps,
		     struct tem_err *err)
{
	static const char uc[] = "untrusted comment:", tcp[] = "trusted comment: ";
	const char *p = text, *end = text + len, *line;
	unsigned char bin[SIG_BIN_BYTES];
	size_t n, bin_len;

	if (len == 0)
		return err_set(err, "%s: empty signature file", name);
	if (len > SIG_FILE_MAX || memchr(text, '\0', len) != NULL)
		return err_set(err, "%s: not a minisign signature", name);
	if (!next_line(&p, end, &line, &n) || n < sizeof uc - 1 || memcmp(line, uc, sizeof uc - 1))
		return err_set(err, "%s: not a minisign signature (no untrusted comment)", name);
	if (!next_line(&p, end, &line, &n) ||
	    sodium_base642bin(bin, sizeof bin, line, n, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin_len != sizeof bin)
		return err_set(err, "%s: malformed signature line", name);
	memcpy(ps->alg, bin, 2);
	if (memcmp(ps->alg, "ED", 2) != 0 && memcmp(ps->alg, "Ed", 2) != 0)
		return err_set(err, "%s: unsupported signature algorithm", name);
	memcpy(ps->id, bin + 2, KEYS_ID_BYTES);
	memcpy(ps->sig, bin + 2 + KEYS_ID_BYTES, crypto_sign_BYTES);
	if (!next_line(&p, end, &line, &n) || n < sizeof tcp - 1 ||
	    memcmp(line, tcp, sizeof tcp - 1) != 0)
		return err_set(err, "%s: missing trusted comment (truncated?)", name);
	n -= sizeof tcp - 1;
	if (n > SIG_TRUSTED_COMMENT_MAX)
		return err_set(err, "%s: trusted comment too long", name);
	memcpy(ps->tc, line + sizeof tcp - 1, n);
	ps->tc[n] = '\0';
	if (!next_line(&p, end, &line, &n) ||
	    sodium_base642bin(ps->global, sizeof ps->global, line, n, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin_len != sizeof ps->global)
		return err_set(err, "%s: malformed or missing global signature (truncated?)", name);
	return TEM_OK;
}

int sig_hash_file(const char *path, unsigned char hash[crypto_generichash_BYTES_MAX],
		  struct tem_err *err)
{
	crypto_generichash_state st;
	unsigned char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(err, "%s: %s", path, strerror(errno));
	crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES_MAX);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return err_set(err, "%s: read: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		crypto_generichash_update(&st, buf, (size_t)n);
	}
	close(fd);
	crypto_generichash_final(&st, hash, crypto_generichash_BYTES_MAX);
	return TEM_OK;
}

/* Checks a parsed signature given the content's hash (prehashed) or content (legacy). */
static int check_sig(const struct parsed_sig *ps, const unsigned char *content, size_t len,
		     const unsigned char *hash, const struct tem_pubkey *pk, const char *name,
		     char *tc, size_t tccap, struct tem_err *err)
{
	char want[KEYS_ID_HEX_LEN + 1], got[KEYS_ID_HEX_LEN + 1];
	size_t tclen = strlen(ps->tc);
	unsigned char *gmsg;
	int bad;

	if (memcmp(ps->id, pk->id, KEYS_ID_BYTES) != 0) {
		keys_id_hex(ps->id, got);
		keys_id_hex(pk->id, want);
		return err_no(err, "%s: signed by key %s, not %s", name, got, want);
	}
	if (memcmp(ps->alg, "ED", 2) == 0)
		bad = crypto_sign_verify_detached(ps->sig, hash, crypto_generichash_BYTES_MAX,
						  pk->pk);
	else
		bad = crypto_sign_verify_detached(ps->sig, content, len, pk->pk);
	if (bad != 0)
		return err_no(err, "%s: signature does not verify", name);
	gmsg = malloc(crypto_sign_BYTES + tclen);
	if (gmsg == NULL)
		return err_set(err, "out of memory");
	memcpy(gmsg, ps->sig, crypto_sign_BYTES);
	memcpy(gmsg + crypto_sign_BYTES, ps->tc, tclen);
	bad = crypto_sign_verify_detached(ps->global, gmsg, crypto_sign_BYTES + tclen, pk->pk);
	free(gmsg);
	if (bad != 0)
		return err_no(err, "%s: trusted comment signature does not verify", name);
	if (tc != NULL && tccap > 0)
		snprintf(tc, tccap, "%s", ps->tc);
	return TEM_OK;
}

int sig_verify_buffer(const void *msg, size_t len, const char *sig, size_t siglen,
		      const struct tem_pubkey *pk, char *tc, size_t tccap, struct tem_err *err)
{
	struct parsed_sig ps;
	unsigned char hash[crypto_generichash_BYTES_MAX];

	if (parse_sig(sig, siglen, "signature", &ps, err) != TEM_OK)
		return TEM_ERR;
	crypto_generichash(hash, sizeof hash, msg, len, NULL, 0);
	return check_sig(&ps, msg, len, hash, pk, "signature", tc, tccap, err);
}

int sig_verify_file(const char *path, const char *sigpath, const struct tem_pubkey *pk, char *tc,
		    size_t tccap, struct tem_err *err)
{
	struct parsed_sig ps;
	unsigned char hash[crypto_generichash_BYTES_MAX];
	char *text, *content = NULL;
	size_t len, clen = 0;
	int rc;

	if (file_read_all(sigpath, SIG_FILE_MAX, &text, &len, err) != TEM_OK)
		return TEM_ERR;
	rc = parse_sig(text, len, sigpath, &ps, err);
	free(text);
	if (rc != TEM_OK)
		return TEM_ERR;
	if (memcmp(ps.alg, "ED", 2) == 0) {
		if (sig_hash_file(path, hash, err) != TEM_OK)
			return TEM_ERR;
	} else if (file_read_all(path, LEGACY_MAX, &content, &clen, err) != TEM_OK) {
		return TEM_ERR;
	}
	rc = check_sig(&ps, (unsigned char *)content, clen, hash, pk, path, tc, tccap, err);
	free(content);
	return rc;
}

const char *sig_path(const char *path, const char *given, char buf[SIG_PATH_MAX],
		     struct tem_err *err)
{
	if (given != NULL)
		return given;
	if (snprintf(buf, SIG_PATH_MAX, "%s.minisig", path) >= SIG_PATH_MAX) {
		err_set(err, "%s: path too long", path);
		return NULL;
	}
	return buf;
}
