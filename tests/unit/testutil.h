/* testutil.h — small helpers shared by the unit tests: scratch folders and the fixed test
 * key of tests/vectors/codes-v1.txt. Header-only so each test binary stays one file. */
#ifndef TEM_TESTUTIL_H
#define TEM_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/keys.h"

#ifndef TEM_SOURCE_DIR
#define TEM_SOURCE_DIR "."
#endif

/* Makes a fresh scratch folder; the returned path is static storage. */
static inline const char *scratch_dir(void)
{
	static char dir[256];
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/tem-unit.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	return dir;
}

/* Removes a scratch folder and everything in it. */
static inline void scratch_remove(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The key of the test vectors: seed 00..1f, key id 3F9A0C21D4E5B6A7. */
static inline void vector_key(struct tem_seckey *sk, struct tem_pubkey *pk)
{
	static const unsigned char id[8] = {0xA7, 0xB6, 0xE5, 0xD4, 0x21, 0x0C, 0x9A, 0x3F};
	unsigned char seed[32];

	for (int i = 0; i < 32; i++)
		seed[i] = (unsigned char)i;
	assert_int_equal(crypto_sign_seed_keypair(pk->pk, sk->sk, seed), 0);
	memcpy(sk->id, id, 8);
	memcpy(pk->id, id, 8);
}

/* Writes text to path (test set-up, not the code under test). */
static inline void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Reads a whole file (test set-up); caller frees. */
static inline char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#endif
