/* secrets.c — the secret file beside the ledger and the sealing of claim keys with it. The file
 * is handled as signify handles keys: O_EXCL | O_NOFOLLOW, fixed length, mode checked. */
#include "server/secrets.h"

#include "keys/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_DOMAIN "tem-claim-key-v1\n"

const char *secrets_path(const char *ledger, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s.secret", ledger);

	return n < 0 || (size_t)n >= cap ? NULL : buf;
}

/* Makes the secret file at path with new random bytes in out. TEM_OK, TEM_NO when it exists
 * already (someone else made it meanwhile), TEM_ERR with err set. */
static int create(const char *path, unsigned char out[SECRETS_BYTES], struct tem_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return errno == EEXIST
			   ? TEM_NO
			   : err_set(err, "%s: cannot create: %s", path, strerror(errno));
	randombytes_buf(out, SECRETS_BYTES);
	n = write(fd, out, SECRETS_BYTES);
	if (n != SECRETS_BYTES || fsync(fd) != 0) {
		int e = n < 0 ? errno : EIO;
		close(fd);
		unlink(path);
		sodium_memzero(out, SECRETS_BYTES);
		return err_set(err, "%s: cannot write: %s", path, strerror(e));
	}
	if (close(fd) != 0) {
		unlink(path);
		sodium_memzero(out, SECRETS_BYTES);
		return err_set(err, "%s: cannot write: %s", path, strerror(errno));
	}
	return TEM_OK;
}

int secrets_load(const char *path, unsigned char out[SECRETS_BYTES], int *created,
		 struct tem_err *err)
{
	struct stat st;
	ssize_t n;
	int fd, rc;

	if (created != NULL)
		*created = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		rc = create(path, out, err);
		if (rc != TEM_NO) {
			if (rc == TEM_OK && created != NULL)
				*created = 1;
			return rc;
		}
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return err_set(err, "%s: cannot open: %s", path,
			       errno == ELOOP ? "it is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = err_set(err, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(err, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		rc = err_set(err, "%s: readable or writable by others (mode %03o): chmod 600 it",
			     path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	n = read(fd, out, SECRETS_BYTES);
	if (n != SECRETS_BYTES ||
	    (st.st_size != SECRETS_BYTES && st.st_size != SECRETS_FILE_BYTES)) {
		sodium_memzero(out, SECRETS_BYTES);
		rc = err_set(err, "%s: not %d or %d bytes: the secret file is damaged", path,
			     SECRETS_BYTES, SECRETS_FILE_BYTES);
		goto out;
	}
	rc = TEM_OK;
out:
	close(fd);
	return rc;
}

int secrets_client_salt(const char *path, const unsigned char *old_salt,
			unsigned char out[SECRETS_SALT_BYTES], int *moved, struct tem_err *err)
{
	unsigned char *buf = sodium_malloc(SECRETS_FILE_BYTES + 1);
	int fd = -1, rc = TEM_ERR;
	ssize_t n;

	*moved = 0;
	if (buf == NULL)
		return err_set(err, "out of memory");
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err_set(err, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	n = read(fd, buf, SECRETS_FILE_BYTES + 1);
	if (n == SECRETS_FILE_BYTES) {
		memcpy(out, buf + SECRETS_BYTES, SECRETS_SALT_BYTES);
		/* a start that stopped after the file but before the ledger: the same salt */
		*moved = old_salt != NULL && sodium_memcmp(old_salt, out, SECRETS_SALT_BYTES) == 0;
		rc = TEM_OK;
		goto out;
	}
	if (n != SECRETS_BYTES) {
		err_set(err, "%s: not %d or %d bytes: the secret file is damaged", path,
			SECRETS_BYTES, SECRETS_FILE_BYTES);
		goto out;
	}
	if (old_salt != NULL)
		memcpy(buf + SECRETS_BYTES, old_salt, SECRETS_SALT_BYTES);
	else
		randombytes_buf(buf + SECRETS_BYTES, SECRETS_SALT_BYTES);
	if (file_write_atomic(path, buf, SECRETS_FILE_BYTES, 0600, 1, err) != TEM_OK)
		goto out;
	memcpy(out, buf + SECRETS_BYTES, SECRETS_SALT_BYTES);
	*moved = old_salt != NULL;
	rc = TEM_OK;
out:
	if (fd >= 0)
		close(fd);
	sodium_free(buf);
	return rc;
}

/* Refuses path (what names it: "trust list", "folder of the trust list") when group or others
 * may write it. TEM_OK or TEM_ERR with err set. */
static int not_writable_by_others(const char *path, const char *what, struct tem_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return err_set(err, "%s: %s", path, strerror(errno));
	if ((st.st_mode & 022) == 0 || (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX)))
		return TEM_OK;
	return err_set(err,
		       "%s (the %s) is writable by %s (mode %03o): anyone there could replace it; "
		       "chmod go-w %s",
		       path, what, (st.st_mode & 002) ? "everyone" : "its group",
		       (unsigned)(st.st_mode & 0777), path);
}

/* Checks file and the folder holding it (not_writable_by_others). */
static int file_and_folder(const char *file, const char *what, struct tem_err *err)
{
	char dir[4096], fw[128];

	if (snprintf(dir, sizeof dir, "%s", file) >= (int)sizeof dir)
		return err_set(err, "%s: path too long", file);
	snprintf(fw, sizeof fw, "folder of the %s", what);
	return not_writable_by_others(file, what, err) == TEM_OK &&
		       not_writable_by_others(dirname(dir), fw, err) == TEM_OK
		   ? TEM_OK
		   : TEM_ERR;
}

int secrets_check_inputs(const char *trust, const char *authority, const char *ledger,
			 struct tem_err *err)
{
	char sig[4200], dir[4096];

	if (snprintf(sig, sizeof sig, "%s.minisig", trust) >= (int)sizeof sig ||
	    snprintf(dir, sizeof dir, "%s", ledger) >= (int)sizeof dir)
		return err_set(err, "%s: path too long", trust);
	if (file_and_folder(trust, "trust list", err) != TEM_OK ||
	    file_and_folder(authority, "authority's public key", err) != TEM_OK ||
	    not_writable_by_others(dirname(dir), "ledger's folder", err) != TEM_OK)
		return TEM_ERR;
	/* the signature: a missing one is the loader's to report */
	if (access(sig, F_OK) == 0 && file_and_folder(sig, "trust list's signature", err) != TEM_OK)
		return TEM_ERR;
	return TEM_OK;
}

int secrets_protect_ledger(const char *ledger, int *fixed, struct tem_err *err)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	char path[4200];
	struct stat st;
	int n = 0;

	umask(077);
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		if (snprintf(path, sizeof path, "%s%s", ledger, sfx[i]) >= (int)sizeof path)
			return err_set(err, "%s: path too long", ledger);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0)
			continue;
		if (chmod(path, st.st_mode & 0700) != 0)
			return err_set(err, "%s: cannot make it private (chmod 600): %s", path,
				       strerror(errno));
		n++;
	}
	if (fixed != NULL)
		*fixed = n;
	return TEM_OK;
}

/* The associated data of a batch's sealed key: domain, key id, first serial (big-endian). */
static size_t ad_of(const char *key_id, uint64_t first, unsigned char ad[64])
{
	size_t n = sizeof SEAL_DOMAIN - 1, k = strnlen(key_id, 16);

	memcpy(ad, SEAL_DOMAIN, n);
	memcpy(ad + n, key_id, k);
	n += k;
	for (int i = 7; i >= 0; i--)
		ad[n++] = (unsigned char)(first >> (8 * i));
	return n;
}

void secrets_seal(const unsigned char secret[SECRETS_BYTES], const unsigned char k[CLAIM_KEY_BYTES],
		  const char *key_id, uint64_t first, unsigned char out[SECRETS_SEALED_BYTES])
{
	unsigned char ad[64];
	size_t adlen = ad_of(key_id, first, ad);

	randombytes_buf(out, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, k, CLAIM_KEY_BYTES, ad, adlen,
	    NULL, out, secret);
}

int secrets_open(const unsigned char secret[SECRETS_BYTES], const unsigned char *sealed, size_t len,
		 const char *key_id, uint64_t first, unsigned char k[CLAIM_KEY_BYTES])
{
	unsigned char ad[64];
	size_t adlen = ad_of(key_id, first, ad);
	const size_t np = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

	if (sealed == NULL || len != SECRETS_SEALED_BYTES ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(k, NULL, NULL, sealed + np, len - np, ad,
						       adlen, sealed, secret) != 0) {
		sodium_memzero(k, CLAIM_KEY_BYTES);
		return TEM_NO;
	}
	return TEM_OK;
}
