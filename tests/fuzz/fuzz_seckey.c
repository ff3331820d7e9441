/* fuzz_seckey.c — secret key files (keys/seckey.c), read from a file as tem reads them: its
 * header checks, then loading without a passphrase (an unencrypted key's checksum and
 * consistency checks) and, when the file asks for scrypt limits cheap enough to fuzz, with
 * one. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys/keyfile.h"
#include "keys/keys.h"

static char path[64];

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tem_err err;
	int fd;

	(void)argc, (void)argv;
	if (keys_init(&err) != TEM_OK)
		abort();
	snprintf(path, sizeof path, "%s/tem-fuzz-key.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		abort();
	close(fd);
	atexit(cleanup);
	return 0;
}

/* The scrypt limits the file asks for are small (opslimit and memlimit at their lowest). */
static int cheap_kdf(const char *s, size_t size)
{
	unsigned char raw[158];
	struct tem_err err;
	uint64_t ops = 0, mem = 0;

	if (keyfile_decode(s, size, "k", raw, sizeof raw, "key", &err) != TEM_OK)
		return 0;
	for (int i = 7; i >= 0; i--) {
		ops = (ops << 8) | raw[38 + i];
		mem = (mem << 8) | raw[46 + i];
	}
	return ops <= 32768 && mem <= (1u << 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tem_seckey *sk;
	struct tem_err err;
	int encrypted, fd;

	if ((fd = open(path, O_WRONLY | O_TRUNC)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (keys_secret_is_encrypted(path, &encrypted, &err) != TEM_OK)
		return 0;
	if ((sk = keys_secret_new()) == NULL)
		abort();
	(void)keys_secret_load(path, NULL, sk, &err);
	if (encrypted && cheap_kdf((const char *)data, size))
		(void)keys_secret_load(path, "passphrase", sk, &err);
	keys_secret_free(sk);
	return 0;
}
