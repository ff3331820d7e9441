/* secrets.h — temd's secret file beside the ledger (LEDGER.secret: 32 random bytes, 0600), and
 * the sealing of batches' claim keys with it, so that a copy of the ledger alone reveals no
 * claim PIN (docs/security.md, "Claim PINs"). */
#ifndef TEM_SECRETS_H
#define TEM_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "label/claim.h"

#define SECRETS_BYTES      32
#define SECRETS_SALT_BYTES 32
#define SECRETS_FILE_BYTES (SECRETS_BYTES + SECRETS_SALT_BYTES)
/* a sealed claim key: XChaCha20-Poly1305 nonce, the key encrypted, its tag */
#define SECRETS_SEALED_BYTES (24 + CLAIM_KEY_BYTES + 16)

/* The secret file's path for the ledger at ledger ("LEDGER.secret") in buf (cap bytes); NULL
 * when it does not fit. */
const char *secrets_path(const char *ledger, char *buf, size_t cap);

/* Reads the sealing secret (the file's first SECRETS_BYTES) at path into out (sodium_malloc'd
 * by the caller), making the file first when there is none (32 bytes from libsodium's
 * generator, mode 0600, written whole with O_EXCL and fsync; secrets_client_salt adds the
 * salt). Refuses a file readable or writable by group or others, a symbolic link and a file
 * that is not SECRETS_BYTES or SECRETS_FILE_BYTES long. TEM_OK, or TEM_ERR with err naming the
 * file and the cause. Sets *created to 1 when it made the file (may be NULL). */
int secrets_load(const char *path, unsigned char out[SECRETS_BYTES], int *created,
		 struct tem_err *err);

/* Reads the client salt (the file's last SECRETS_SALT_BYTES) from the secret file at path (which
 * secrets_load has read or made) into out. A file of SECRETS_BYTES (made before the salt moved
 * out of the ledger, or just made) gets one appended, written whole by a temporary file and a
 * rename: old_salt when the ledger still holds one (ledger_salt), so every client keeps its
 * id, else a new random one. *moved is 1 when old_salt is in the file (safe to remove it from
 * the ledger). TEM_OK, or TEM_ERR with err set (nothing changed). */
int secrets_client_salt(const char *path, const unsigned char *old_salt,
			unsigned char out[SECRETS_SALT_BYTES], int *moved, struct tem_err *err);

/* Refuses trust inputs others could replace: the trust list, its signature, the authority's
 * public key, the folders holding them, and the ledger's folder, when any is writable by group
 * or others (a folder with the sticky bit, like /tmp, keeps others from replacing a file in it
 * and passes). TEM_OK, or TEM_ERR with err naming the file or folder, its mode and the fix. */
int secrets_check_inputs(const char *trust, const char *authority, const char *ledger,
			 struct tem_err *err);

/* Makes what temd writes private: umask 077 for every file it creates from now on (a new
 * ledger, its WAL and shared-memory files, the secret file), and mode 0600 for the ledger and
 * its -wal and -shm files when they exist with more. *fixed (may be NULL) gets how many modes
 * were narrowed. TEM_OK, or TEM_ERR with err set when a chmod fails. */
int secrets_protect_ledger(const char *ledger, int *fixed, struct tem_err *err);

/* Seals claim key k for the batch of key_id (16 hex digits) whose first serial is first:
 * XChaCha20-Poly1305 under secret with a random nonce, the batch's key id and first serial
 * as associated data (a sealed key moved to another batch's row does not open). */
void secrets_seal(const unsigned char secret[SECRETS_BYTES], const unsigned char k[CLAIM_KEY_BYTES],
		  const char *key_id, uint64_t first, unsigned char out[SECRETS_SEALED_BYTES]);

/* Opens what secrets_seal made for the same batch into k: TEM_OK, or TEM_NO when sealed is not
 * SECRETS_SEALED_BYTES long, another secret sealed it, or it belongs to another batch (k is
 * then zeroed). */
int secrets_open(const unsigned char secret[SECRETS_BYTES], const unsigned char *sealed, size_t len,
		 const char *key_id, uint64_t first, unsigned char k[CLAIM_KEY_BYTES]);

#endif
