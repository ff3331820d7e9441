/* seckey.c — minisign secret key files, encrypted with scrypt by default. Layout (158 bytes,
 * base64 after an untrusted comment line): "Ed" || kdf "Sc" (or two zero bytes when not
 * encrypted) || "B2" || salt (32) || opslimit (LE64) || memlimit (LE64) || key id (8) ||
 * secret key (64) || checksum (32), the last three XORed with the scrypt stream. The checksum,
 * BLAKE2b-256 of "Ed" || key id || secret key, tells a wrong passphrase from a usable key. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/fileio.h"
#include "keys/keyfile.h"
#include "keys/keys.h"
#include "keys/text.h"

#define SALT_BYTES crypto_pwhash_scryptsalsa208sha256_SALTBYTES
#define CHK_BYTES  32

struct sec_file {
	unsigned char sig_alg[2];
	unsigned char kdf_alg[2];
	unsigned char chk_alg[2];
	unsigned char salt[SALT_BYTES];
	unsigned char opslimit[8];
	unsigned char memlimit[8];
	unsigned char keynum[KEYS_ID_BYTES]; /* from here on: encrypted part */
	unsigned char sk[KEYS_SK_BYTES];
	unsigned char chk[CHK_BYTES];
};
#define SEC_ENC_OFFSET offsetof(struct sec_file, keynum)
#define SEC_ENC_BYTES  (KEYS_ID_BYTES + KEYS_SK_BYTES + CHK_BYTES)
#define SEC_FILE_BYTES (SEC_ENC_OFFSET + SEC_ENC_BYTES)

_Static_assert(sizeof(struct sec_file) == 158, "minisign secret key layout");

static uint64_t le64_load(const unsigned char b[8])
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static void le64_store(unsigned char b[8], uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
}

/* BLAKE2b-256 of sig_alg || key id || secret key, as minisign computes it. */
static void checksum(const struct sec_file *f, unsigned char out[CHK_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, CHK_BYTES);
	crypto_generichash_update(&st, f->sig_alg, sizeof f->sig_alg);
	crypto_generichash_update(&st, f->keynum, sizeof f->keynum);
	crypto_generichash_update(&st, f->sk, sizeof f->sk);
	crypto_generichash_final(&st, out, CHK_BYTES);
	sodium_memzero(&st, sizeof st);
}

/* XORs the encrypted part of f with the scrypt stream of passphrase. */
static int kdf_xor(struct sec_file *f, const char *pass, struct tem_err *err)
{
	unsigned char *stream = sodium_malloc(SEC_ENC_BYTES);
	unsigned char *p = (unsigned char *)f + SEC_ENC_OFFSET;
	uint64_t ops = le64_load(f->opslimit), mem = le64_load(f->memlimit);

	if (stream == NULL)
		return err_set(err, "out of memory");
	if (ops > 1ull << 34 || mem > 4ull << 30) {
		sodium_free(stream);
		return err_set(err, "key derivation limits are implausibly large");
	}
	if (crypto_pwhash_scryptsalsa208sha256(stream, SEC_ENC_BYTES, pass, strlen(pass), f->salt,
					       (unsigned long long)ops, (size_t)mem) != 0) {
		sodium_free(stream);
		return err_set(err, "key derivation failed (out of memory?)");
	}
	for (size_t i = 0; i < SEC_ENC_BYTES; i++)
		p[i] ^= stream[i];
	sodium_free(stream);
	return TEM_OK;
}

struct tem_seckey *keys_secret_new(void)
{
	struct tem_seckey *sk = sodium_malloc(sizeof *sk);

	if (sk != NULL)
		sodium_memzero(sk, sizeof *sk);
	return sk;
}

void keys_secret_free(struct tem_seckey *sk)
{
	if (sk != NULL)
		sodium_free(sk); /* sodium_free wipes before it frees */
}

int keys_generate(struct tem_pubkey *pk, struct tem_seckey *sk, struct tem_err *err)
{
	if (crypto_sign_keypair(pk->pk, sk->sk) != 0)
		return err_set(err, "key generation failed");
	randombytes_buf(sk->id, sizeof sk->id);
	memcpy(pk->id, sk->id, sizeof pk->id);
	return TEM_OK;
}

void keys_secret_public(const struct tem_seckey *sk, struct tem_pubkey *pk)
{
	memcpy(pk->id, sk->id, KEYS_ID_BYTES);
	crypto_sign_ed25519_sk_to_pk(pk->pk, sk->sk);
}

/* Reads a secret key file into f (sodium_malloc'd by the caller) and checks its header. */
static int read_sec_file(const char *path, struct sec_file *f, struct tem_err *err)
{
	char *buf = NULL;
	size_t len;
	int rc;

	if (keyfile_read(path, "minisign secret key", &buf, &len, err) != TEM_OK)
		return TEM_ERR;
	rc = keyfile_decode(buf, len, path, (unsigned char *)f, SEC_FILE_BYTES,
			    "minisign secret key", err);
	sodium_memzero(buf, len);
	free(buf);
	if (rc != TEM_OK)
		return TEM_ERR;
	if (memcmp(f->sig_alg, "Ed", 2) != 0)
		return err_set(err, "%s: unsupported signature algorithm (not Ed25519)", path);
	if (memcmp(f->chk_alg, "B2", 2) != 0)
		return err_set(err, "%s: unsupported checksum algorithm", path);
	if (memcmp(f->kdf_alg, "Sc", 2) != 0 && memcmp(f->kdf_alg, "\0\0", 2) != 0)
		return err_set(err, "%s: unsupported key derivation algorithm", path);
	return TEM_OK;
}

int keys_secret_is_encrypted(const char *path, int *encrypted, struct tem_err *err)
{
	struct sec_file *f = sodium_malloc(sizeof *f);
	int rc;

	if (f == NULL)
		return err_set(err, "out of memory");
	rc = read_sec_file(path, f, err);
	if (rc == TEM_OK)
		*encrypted = memcmp(f->kdf_alg, "Sc", 2) == 0;
	sodium_free(f);
	return rc;
}

int keys_secret_load(const char *path, const char *passphrase, struct tem_seckey *sk,
		     struct tem_err *err)
{
	struct sec_file *f = sodium_malloc(sizeof *f);
	unsigned char chk[CHK_BYTES];
	unsigned char pk[KEYS_PK_BYTES];
	int rc = TEM_ERR;

	if (f == NULL)
		return err_set(err, "out of memory");
	if (read_sec_file(path, f, err) != TEM_OK)
		goto out;
	if (memcmp(f->kdf_alg, "Sc", 2) == 0) {
		if (passphrase == NULL) {
			err_set(err, "%s: the key is encrypted and no passphrase was given", path);
			goto out;
		}
		if (kdf_xor(f, passphrase, err) != TEM_OK) {
			err_prefix(err, path);
			goto out;
		}
	}
	checksum(f, chk);
	/* minisign -W leaves the checksum of an unencrypted key zero; the consistency check
	 * below still catches a damaged one */
	if (memcmp(f->kdf_alg, "Sc", 2) != 0 && sodium_is_zero(f->chk, CHK_BYTES))
		memcpy(chk, f->chk, CHK_BYTES);
	if (sodium_memcmp(chk, f->chk, CHK_BYTES) != 0) {
		err_set(err, "%s: wrong passphrase, or the key file is damaged", path);
		goto out;
	}
	/* the secret key carries its public half: it must match the seed */
	crypto_sign_ed25519_sk_to_pk(pk, f->sk);
	{
		unsigned char seed[crypto_sign_SEEDBYTES], pk2[KEYS_PK_BYTES];
		unsigned char *sk2 = sodium_malloc(KEYS_SK_BYTES);
		if (sk2 == NULL) {
			err_set(err, "out of memory");
			goto out;
		}
		crypto_sign_ed25519_sk_to_seed(seed, f->sk);
		crypto_sign_seed_keypair(pk2, sk2, seed);
		sodium_memzero(seed, sizeof seed);
		sodium_free(sk2);
		if (sodium_memcmp(pk, pk2, sizeof pk) != 0) {
			err_set(err, "%s: the key file is damaged (inconsistent key)", path);
			goto out;
		}
	}
	memcpy(sk->id, f->keynum, KEYS_ID_BYTES);
	memcpy(sk->sk, f->sk, KEYS_SK_BYTES);
	rc = TEM_OK;
out:
	sodium_memzero(chk, sizeof chk);
	sodium_free(f);
	return rc;
}

/* Limits for new keys: minisign's own, or scrypt's interactive ones when the environment
 * asks (the test suite, which makes dozens of keys). */
static void kdf_limits(uint64_t *ops, uint64_t *mem)
{
	const char *e = getenv("TEM_SCRYPT_LIMITS");

	if (e != NULL && strcmp(e, "interactive") == 0) {
		*ops = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE;
	} else {
		*ops = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE;
	}
}

int keys_secret_write(const char *path, const struct tem_seckey *sk, const char *passphrase,
		      const char *comment, int overwrite, struct tem_err *err)
{
	struct sec_file *f = sodium_malloc(sizeof *f);
	size_t b64_len = sodium_base64_ENCODED_LEN(SEC_FILE_BYTES, sodium_base64_VARIANT_ORIGINAL);
	size_t text_cap = b64_len + 1024;
	char *text = sodium_malloc(text_cap);
	uint64_t ops, mem;
	int n, rc = TEM_ERR;

	if (f == NULL || text == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	if (comment != NULL &&
	    (!text_is_clean(comment, strlen(comment)) || strlen(comment) > 512)) {
		err_set(err, "comment: not clean UTF-8 text on one line");
		goto out;
	}
	memset(f, 0, sizeof *f);
	memcpy(f->sig_alg, "Ed", 2);
	memcpy(f->chk_alg, "B2", 2);
	memcpy(f->keynum, sk->id, KEYS_ID_BYTES);
	memcpy(f->sk, sk->sk, KEYS_SK_BYTES);
	checksum(f, f->chk);
	if (passphrase != NULL) {
		memcpy(f->kdf_alg, "Sc", 2);
		randombytes_buf(f->salt, sizeof f->salt);
		kdf_limits(&ops, &mem);
		le64_store(f->opslimit, ops);
		le64_store(f->memlimit, mem);
		if (kdf_xor(f, passphrase, err) != TEM_OK)
			goto out;
	}
	n = snprintf(text, text_cap, "untrusted comment: %s\n",
		     comment != NULL ? comment
				     : (passphrase != NULL ? "minisign encrypted secret key"
							   : "minisign secret key"));
	sodium_bin2base64(text + n, text_cap - (size_t)n, (unsigned char *)f, SEC_FILE_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
	n += (int)strlen(text + n);
	text[n++] = '\n';
	rc = file_write_atomic(path, text, (size_t)n, 0600, overwrite, err);
out:
	if (text != NULL)
		sodium_free(text);
	if (f != NULL)
		sodium_free(f);
	return rc;
}
