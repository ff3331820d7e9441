/* harness.h — temd's HTTP layer started in-process for the request fuzz targets (fuzz_http,
 * fuzz_json): a real temporary ledger and secret file, the test vectors' key trusted and one of
 * its batches (serials 1..100000, with claim PINs) registered, libmicrohttpd listening on a
 * free 127.0.0.1 port. Each input is written to a fresh TCP connection, the write side shut,
 * and the answer read to the end, so every byte goes through the same transport as a buyer's. */
#ifndef TEM_FUZZ_HARNESS_H
#define TEM_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "label/claim.h"
#include "server/auth.h"

/* The first serial, count and claim key of the batch registered at start. */
#define HARNESS_FIRST 1
#define HARNESS_COUNT 100000

/* The API token the harness creates at start through the token code (server/ledger_tokens.c):
 * fixed, so that seed requests carrying it reach the regulator routes' handlers past auth. */
#define HARNESS_TOKEN "tem_QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8"

/* Valid codes of the test vectors' key (tests/vectors/codes-v1.txt): serial 1 (no expiry)
 * and 1042, both in the batch registered at start, and one outside it. */
#define CODE1                                                                                      \
	"AGT3NZOUEEGJUPYAAAAAAAAAAAAQAAAIXN36A3R7YDCPKMNCYPXKNBNSD6T6ICSUJOUMHTIYGHGSTJAZ7JTLWNPX" \
	"RBW"                                                                                      \
	"HBSI6QGAQIBXMUGPIFPNEAOL4VWT55BL5JFXGBGKAG"
#define CODE1042                                                                                   \
	"AGT3NZOUEEGJUPYAAAAAAAAAAQJFCOBBPJNBF2SYVW3WFT2KGD76SHKIAP52YZTF7Y52V24FMMPSD2I5AKZAOK3G" \
	"V6S"                                                                                      \
	"5AJIIRGY32RPRYC2V5KRKPY6YBWPLQVJ335J2GXSQY"
#define CODE_OUT                                                                                   \
	"AGT3NZOUEEGJUPYAAAAACAAAAAAAAAHSX2S7C5YAQHONMLAFDWMDZR6KA4H3EEWV3CINDHFTI2EMAZW2EDAYQNGY" \
	"QPA"                                                                                      \
	"WA3UEVRQR4IFAQMJS46MQCUMHCKTKWL36ENPI23BAS"

/* Starts temd once (later calls do nothing); aborts with a message when it cannot, since a
 * fuzz target without its server would fuzz nothing. Stopped and removed at exit. */
void harness_start(void);

/* Sends req (len bytes) as one connection's whole input and reads the answer until the server
 * closes or 5 s pass. Returns the HTTP status of the first answer, or 0 when none came. */
int harness_request(const void *req, size_t len);

/* A valid dashboard session cookie's value for HARNESS_TOKEN (made as a sign-in makes it, under
 * the running temd's secret, so it changes run to run) into out. */
void harness_session(char out[AUTH_SESSION_LEN + 1]);

/* The cursor MAC key of the running temd (server/cursor.h) into key. */
void harness_cursor_key(unsigned char key[32]);

/* The fixed claim key of the registered batch (for seeds: the right PIN of a serial). */
void harness_claim_key(unsigned char k[CLAIM_KEY_BYTES]);

/* The registration body {"header": ..., "claim_key": ...} of the batch registered at start,
 * malloc'd and NUL-terminated (caller frees); NULL when out of memory. first is its first
 * serial (HARNESS_FIRST for the one registered at start). */
char *harness_batch_body(uint64_t first, uint64_t count);

#endif
