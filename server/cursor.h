/* cursor.h — the opaque cursors of the regulator API's lists (docs/api.md, "Lists"): a list's
 * kind, a keyset position and a digest of the filters it was asked with, signed with a
 * libsodium crypto_auth MAC under a key derived from LEDGER.secret, written as URL-safe base64
 * without padding. A cursor altered, forged, or given to another list or other filters does
 * not read back. Pure: no I/O. */
#ifndef TEM_CURSOR_H
#define TEM_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define CURSOR_KEY_BYTES    crypto_auth_KEYBYTES
#define CURSOR_DIGEST_BYTES 8
#define CURSOR_TEXT_MAX     96 /* a cursor's text with its NUL, at most */

/* The lists that give cursors. */
enum cursor_list {
	CURSOR_BATCHES = 1,
	CURSOR_SCANS,
	CURSOR_ALERTS,
	CURSOR_HISTORY /* one code's scans (GET /api/v1/codes/{code}) */
};

/* Derives the cursors' MAC key from the ledger's secret (32 bytes, server/secrets.h) into key
 * (crypto_kdf, its own context: no other use of the secret shares it). */
void cursor_key(const unsigned char secret[32], unsigned char key[CURSOR_KEY_BYTES]);

/* Digests the text naming a list's filters (the caller's canonical form: every filter that
 * changes the list's rows, the caller's producer scope included) into d. */
void cursor_digest(const char *filters, unsigned char d[CURSOR_DIGEST_BYTES]);

/* Writes the cursor of list at position pos with filter digest d into out (CURSOR_TEXT_MAX
 * bytes). */
void cursor_make(const unsigned char key[CURSOR_KEY_BYTES], enum cursor_list list, int64_t pos,
		 const unsigned char d[CURSOR_DIGEST_BYTES], char out[CURSOR_TEXT_MAX]);

/* Reads a cursor's text back: 0 with *pos set when it is a cursor made with key for list and
 * the same digest d, with a position above 0; -1 for anything else. */
int cursor_read(const unsigned char key[CURSOR_KEY_BYTES], const char *text, enum cursor_list list,
		const unsigned char d[CURSOR_DIGEST_BYTES], int64_t *pos);

#endif
