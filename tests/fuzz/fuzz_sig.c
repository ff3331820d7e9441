/* fuzz_sig.c — .minisig files (keys/sig.c). The input is the signature text, then a NUL, then
 * the signed content; it is verified with the test vectors' public key
 * (tests/vectors/vector.pub), so the seed tests/vectors/sig-v1.minisig NUL sig-v1.txt verifies
 * and mutations reach the trusted comment and global signature checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keys.h"
#include "keys/sig.h"

static struct tem_pubkey pk;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char pub[] = "RWSntuXUIQyaPwOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
	struct tem_err err;

	(void)argc, (void)argv;
	if (keys_init(&err) != TEM_OK ||
	    keys_public_parse(pub, sizeof pub - 1, "vector.pub", &pk, &err) != TEM_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t siglen = nul != NULL ? (size_t)(nul - data) : size;
	const uint8_t *msg = nul != NULL ? nul + 1 : data + size;
	size_t msglen = size - siglen - (nul != NULL);
	char tc[SIG_TRUSTED_COMMENT_MAX + 1], small[8];
	struct tem_err err;

	(void)sig_verify_buffer(msg, msglen, (const char *)data, siglen, &pk, tc, sizeof tc, &err);
	/* a trusted comment longer than the caller's room must be refused or cut, never spill */
	(void)sig_verify_buffer(msg, msglen, (const char *)data, siglen, &pk, small, sizeof small,
				&err);
	(void)sig_verify_buffer(msg, msglen, (const char *)data, siglen, &pk, NULL, 0, &err);
	return 0;
}
