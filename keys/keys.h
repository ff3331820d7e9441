/* keys.h — Ed25519 key pairs in minisign's file formats, and key ids.
 * Formats: docs/keys.md. A key id is 8 random bytes (minisign's "keynum"), kept in the byte
 * order minisign stores them; shown as minisign shows it: the bytes read as a little-endian
 * 64-bit number, printed as 16 upper-case hex digits.
 * Public-key code (pubkey.c) and secret-key code (seckey.c) live in separate objects so that
 * temd, which only verifies, links no secret-key code. */
#ifndef TEM_KEYS_H
#define TEM_KEYS_H

#include <stddef.h>

#include "keys/err.h"

#define KEYS_ID_BYTES       8
#define KEYS_PK_BYTES       32
#define KEYS_SK_BYTES       64
#define KEYS_ID_HEX_LEN     16
#define KEYS_PUBLIC_B64_LEN 56 /* base64 of "Ed" || id || pk (42 bytes) */

struct tem_pubkey {
	unsigned char id[KEYS_ID_BYTES]; /* minisign keynum, as stored in files */
	unsigned char pk[KEYS_PK_BYTES]; /* Ed25519 public key */
};

/* A secret key. Only ever lives in memory from keys_secret_new() (sodium_malloc, guarded,
 * wiped by keys_secret_free). */
struct tem_seckey {
	unsigned char id[KEYS_ID_BYTES]; /* minisign keynum */
	unsigned char sk[KEYS_SK_BYTES]; /* libsodium's form: seed || public key */
};

/* Initialises libsodium; call once before anything else. Returns TEM_OK or TEM_ERR. */
int keys_init(struct tem_err *err);

/* Formats a key id as 16 upper-case hex digits (little-endian reading, as minisign). */
void keys_id_hex(const unsigned char id[KEYS_ID_BYTES], char out[KEYS_ID_HEX_LEN + 1]);

/* Parses 16 hex digits (either case) into a key id; the inverse of keys_id_hex. */
int keys_id_parse(const char *hex, size_t len, unsigned char id[KEYS_ID_BYTES],
		  struct tem_err *err);

/* --- public keys (pubkey.c) --- */

/* Parses a public key from a minisign public key file's text, or from its bare base64 line.
 * name labels errors ("producer.pub: ..."). Returns TEM_OK or TEM_ERR. */
int keys_public_parse(const char *text, size_t len, const char *name, struct tem_pubkey *out,
		      struct tem_err *err);

/* Reads and parses a public key file (bounded size). */
int keys_public_load(const char *path, struct tem_pubkey *out, struct tem_err *err);

/* The base64 line of a public key (minisign's "RW..." form), NUL-terminated. */
void keys_public_base64(const struct tem_pubkey *pk, char out[KEYS_PUBLIC_B64_LEN + 1]);

/* Writes a minisign public key file atomically (mode 0644). comment may be NULL for
 * "minisign public key KEYID". Refuses an existing file unless overwrite. */
int keys_public_write(const char *path, const struct tem_pubkey *pk, const char *comment,
		      int overwrite, struct tem_err *err);

/* --- secret keys (seckey.c) --- */

/* Allocates a zeroed secret key in guarded sodium_malloc memory; NULL when out of memory. */
struct tem_seckey *keys_secret_new(void);

/* Wipes and frees a secret key (NULL is fine). */
void keys_secret_free(struct tem_seckey *sk);

/* Generates a key pair with a random key id. */
int keys_generate(struct tem_pubkey *pk, struct tem_seckey *sk, struct tem_err *err);

/* The public half of a secret key. */
void keys_secret_public(const struct tem_seckey *sk, struct tem_pubkey *pk);

/* Tells whether a secret key file is passphrase-encrypted (*encrypted 1 or 0), reading only
 * its header. Returns TEM_ERR for a file that is not a minisign secret key. */
int keys_secret_is_encrypted(const char *path, int *encrypted, struct tem_err *err);

/* Loads a minisign secret key file into sk (from keys_secret_new). passphrase may be NULL for
 * an unencrypted key. A checksum mismatch is reported as "PATH: wrong passphrase, or the key
 * file is damaged"; nothing of the key is left in sk on failure. */
int keys_secret_load(const char *path, const char *passphrase, struct tem_seckey *sk,
		     struct tem_err *err);

/* Writes a minisign secret key file atomically, mode 0600, encrypted with scrypt under
 * passphrase (NULL: unencrypted, as minisign -W). comment may be NULL. Refuses an existing
 * file unless overwrite. The scrypt limits are minisign's (sensitive) unless the environment
 * sets TEM_SCRYPT_LIMITS=interactive, which the test suite uses to stay fast. */
int keys_secret_write(const char *path, const struct tem_seckey *sk, const char *passphrase,
		      const char *comment, int overwrite, struct tem_err *err);

#endif
