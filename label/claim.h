/* claim.h — the claim PIN printed in a label's hidden area (scratch-off panel, fold of a tie's
 * flag), with which a buyer marks the code sold (docs/security.md, "Claim PINs").
 *
 * Each batch has its own random claim key K (32 bytes, made by `tem issue`, kept in the 0600
 * file BATCH.claim beside the batch file). The PIN of serial s is
 *
 *   BLAKE2b-64 keyed with K over "tem-claim-pin-v1" || s (8 bytes, big-endian),
 *   read as a big-endian number, modulo 10^CLAIM_PIN_DIGITS, printed with leading zeros
 *
 * so nothing printed outside the hidden area (the code, its signature, the short id) says
 * anything about it. The batch header carries the commitment BLAKE2b-256 of
 * "tem-claim-commit-v1" || K under the producer's signature, so temd can check the key that
 * `tem register` sends before it accepts claims against it. */
#ifndef TEM_CLAIM_H
#define TEM_CLAIM_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"

#define CLAIM_KEY_BYTES    32
#define CLAIM_COMMIT_BYTES 32
#define CLAIM_PIN_DIGITS   10 /* 10^10 PINs: see docs/security.md for the guessing figures */
#define CLAIM_PIN_TEXT_MAX 16 /* "12345 67890" and a NUL, with room */
#define CLAIM_B64_LEN      44 /* base64 of 32 bytes, padded */

/* A new random claim key (libsodium's generator), in out. */
void claim_key_new(unsigned char out[CLAIM_KEY_BYTES]);

/* The commitment the batch header carries for claim key k. */
void claim_commit(const unsigned char k[CLAIM_KEY_BYTES], unsigned char out[CLAIM_COMMIT_BYTES]);

/* The PIN of serial under claim key k: CLAIM_PIN_DIGITS decimal digits and a NUL. */
void claim_pin(const unsigned char k[CLAIM_KEY_BYTES], uint64_t serial,
	       char out[CLAIM_PIN_DIGITS + 1]);

/* The PIN as printed for people, in two groups of five ("01234 56789"); NUL-terminated. */
void claim_pin_format(const char pin[CLAIM_PIN_DIGITS + 1], char out[CLAIM_PIN_TEXT_MAX]);

/* Checks a PIN as a buyer typed it (spaces, dashes and dots between digits are ignored; any
 * other character, or another number of digits, is a wrong PIN) against serial's PIN, in
 * constant time. 1 when it matches, 0 when not. */
int claim_pin_check(const unsigned char k[CLAIM_KEY_BYTES], uint64_t serial, const char *typed,
		    size_t len);

/* Writes a claim key file atomically with mode 0600 (refusing to replace one unless force):
 *   tem-claim v1
 *   batch: BATCH_ID
 *   claim-key: BASE64
 * TEM_OK or TEM_ERR with err naming the file. */
int claim_key_save(const char *path, const char *batch_id, const unsigned char k[CLAIM_KEY_BYTES],
		   int force, struct tem_err *err);

/* Reads a claim key file and checks it against the commitment (from the batch header): TEM_OK,
 * TEM_NO when the key is not the batch's ("PATH: not the claim key of this batch"), TEM_ERR
 * when unreadable or malformed. The key is wiped from memory it passed through. */
int claim_key_load(const char *path, const unsigned char commit[CLAIM_COMMIT_BYTES],
		   unsigned char k[CLAIM_KEY_BYTES], struct tem_err *err);

/* The path of a batch's claim key file: BATCH.claim, in buf (cap bytes); NULL when too long. */
const char *claim_key_path(const char *batch, char *buf, size_t cap);

#endif
