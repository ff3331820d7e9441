/* fuzz_trust.c — trust lists (keys/trust.c). A list that parses must format to text that
 * parses to the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trust_list list, again;
	struct tem_err err;
	char *text = NULL;
	size_t len;

	memset(&list, 0, sizeof list);
	memset(&again, 0, sizeof again);
	if (trust_parse((const char *)data, size, "fuzz.list", &list, &err) != TEM_OK)
		goto out;
	if (trust_format(&list, &text, &len, &err) != TEM_OK)
		abort();
	if (trust_parse(text, len, "again", &again, &err) != TEM_OK || again.n != list.n ||
	    strcmp(again.authority, list.authority) != 0)
		abort();
	for (size_t i = 0; i < list.n; i++) {
		const struct trust_entry *a = &list.entries[i], *b = &again.entries[i];
		if (memcmp(&a->key, &b->key, sizeof a->key) != 0 ||
		    a->valid_from != b->valid_from || a->revoked != b->revoked ||
		    strcmp(a->name, b->name) != 0)
			abort();
		if (trust_find(&list, a->key.id) == NULL)
			abort();
	}
out:
	free(text);
	trust_free(&list);
	trust_free(&again);
	return 0;
}
