/* fuzz_pin.c — a claim PIN as a buyer types it (label/claim.h, claim_pin_check): spaces,
 * dashes and dots between digits, anything else refused. The first 8 input bytes are the
 * serial; the right PIN of that serial, typed in the fuzzer's layout, must be accepted. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "label/claim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char k[CLAIM_KEY_BYTES];
	char pin[CLAIM_PIN_DIGITS + 1], text[CLAIM_PIN_TEXT_MAX], *typed;
	uint64_t serial = 0;

	if (size < 8 || size > 4096)
		return 0;
	for (int i = 0; i < 8; i++)
		serial = serial << 8 | data[i];
	memset(k, 0x42, sizeof k);
	if ((typed = malloc(size - 8 + 1)) == NULL)
		return 0;
	memcpy(typed, data + 8, size - 8);
	typed[size - 8] = '\0';
	(void)claim_pin_check(k, serial, typed, size - 8);
	(void)claim_pin_check(k, serial, typed, strlen(typed));
	claim_pin(k, serial, pin);
	claim_pin_format(pin, text);
	if (claim_pin_check(k, serial, text, strlen(text)) != 1 ||
	    claim_pin_check(k, serial, pin, strlen(pin)) != 1)
		abort();
	free(typed);
	return 0;
}
