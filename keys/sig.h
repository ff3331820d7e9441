/* sig.h — detached signatures of files and buffers in minisign's .minisig format:
 * prehashed Ed25519 ("ED", BLAKE2b-512 of the content), an untrusted comment, a trusted
 * comment and the global signature over signature || trusted comment. Verification also
 * accepts minisign's legacy non-prehashed "Ed" signatures. */
#ifndef TEM_SIG_H
#define TEM_SIG_H

#include <sodium.h>
#include <stddef.h>

#include "keys/err.h"
#include "keys/keys.h"

#define SIG_TRUSTED_COMMENT_MAX 1024
#define SIG_BIN_BYTES           (2 + KEYS_ID_BYTES + crypto_sign_BYTES) /* "ED", key id, sig */
#define SIG_PATH_MAX            4096 /* bytes of a signature file's path, NUL included */

/* Where a file's detached signature is: `given` when not NULL, else "PATH.minisig" written into
 * buf. Returns that path, or NULL with err set ("PATH: path too long"). */
const char *sig_path(const char *path, const char *given, char buf[SIG_PATH_MAX],
		     struct tem_err *err);

/* Signing (sig_sign_*) is in keys/sign.c, apart, so that temd, which only verifies, links no
 * signing code. */

/* Signs a buffer. trusted_comment may be NULL ("timestamp:NOW"). On TEM_OK *out is the
 * malloc'd .minisig text (caller frees) and *outlen its length. */
int sig_sign_buffer(const void *msg, size_t len, const struct tem_seckey *sk,
		    const char *trusted_comment, char **out, size_t *outlen, struct tem_err *err);

/* Signs a file (streamed, any size) and writes sigpath atomically. trusted_comment may be NULL
 * ("timestamp:NOW\tfile:BASENAME\thashed", as minisign). */
int sig_sign_file(const char *path, const char *sigpath, const struct tem_seckey *sk,
		  const char *trusted_comment, int overwrite, struct tem_err *err);

/* BLAKE2b-512 of a file, streamed: what a prehashed ("ED") signature signs. */
int sig_hash_file(const char *path, unsigned char hash[crypto_generichash_BYTES_MAX],
		  struct tem_err *err);

/* Verifies .minisig text sig (siglen bytes) over a buffer with pk. On TEM_OK the trusted
 * comment is copied to tc (tccap bytes; tc may be NULL). TEM_NO: signed by another key or
 * the signature does not match; TEM_ERR: the signature text is malformed. */
int sig_verify_buffer(const void *msg, size_t len, const char *sig, size_t siglen,
		      const struct tem_pubkey *pk, char *tc, size_t tccap, struct tem_err *err);

/* Verifies a file (streamed) against the .minisig file sigpath. Statuses as above. */
int sig_verify_file(const char *path, const char *sigpath, const struct tem_pubkey *pk, char *tc,
		    size_t tccap, struct tem_err *err);

#endif
