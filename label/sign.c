/* sign.c — what a producer signs: codes and batch headers. Apart from code.c and batch.c,
 * which only verify, so that temd links no signing code at all (tests/e2e/test_temd.sh checks
 * that its binary does not even import crypto_sign_detached). */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/date.h"
#include "keys/text.h"
#include "label/batch.h"
#include "label/code.h"

void code_sign(struct tem_code *c, const struct tem_seckey *sk)
{
	unsigned char msg[CODE_MESSAGE_BYTES];

	c->version = CODE_VERSION;
	memcpy(c->key_id, sk->id, KEYS_ID_BYTES);
	code_signed_message(c, msg);
	crypto_sign_detached(c->sig, NULL, msg, sizeof msg, sk->sk);
}

int batch_header_sign(struct batch_header *h, const struct tem_seckey *sk, struct tem_err *err)
{
	char id[KEYS_ID_HEX_LEN + 1], issued[21], expires[11], b64[BATCH_SIG_B64_LEN + 1];
	unsigned char *msg;
	size_t msg_len;
	int n;

	if (!text_is_clean(h->producer, strlen(h->producer)))
		return err_set(err, "producer: not clean UTF-8 text on one line");
	if (h->product[0] == '\0' || !text_is_clean(h->product, strlen(h->product)))
		return err_set(err, "product: empty or not clean UTF-8 text on one line");
	if (!batch_id_valid(h->batch_id))
		return err_set(err, "batch id '%.64s' is not 1 to %d of A-Z a-z 0-9 . _ -",
			       h->batch_id, BATCH_ID_MAX);
	if (h->count == 0 || h->count > BATCH_COUNT_MAX)
		return err_set(err, "count must be 1 to %llu", (unsigned long long)BATCH_COUNT_MAX);
	if (h->first_serial > UINT64_MAX - h->count)
		return err_set(err, "serial range overflows");
	if (!batch_url_valid(h->url))
		return err_set(
		    err, "url: '%.64s' is not an upper-case URL of QR alphanumeric characters",
		    h->url);
	memcpy(h->key_id, sk->id, KEYS_ID_BYTES);
	keys_id_hex(h->key_id, id);
	date_format_iso(h->issued, issued);
	if (h->last_day != 0)
		date_format(h->last_day, expires);
	else
		snprintf(expires, sizeof expires, "none");
	n = snprintf(h->raw, sizeof h->raw,
		     "%s\nkey-id: %s\nproducer: %s\nproduct: %s\nbatch: %s\nfirst-serial: %" PRIu64
		     "\ncount: %" PRIu64 "\nissued: %s\nexpires: %s\nurl: %s\n",
		     BATCH_MAGIC, id, h->producer, h->product, h->batch_id, h->first_serial,
		     h->count, issued, expires, h->url[0] ? h->url : "none");
	if (n >= 0 && (size_t)n < sizeof h->raw && h->has_claim) {
		char c64[CLAIM_B64_LEN + 1];
		sodium_bin2base64(c64, sizeof c64, h->claim, sizeof h->claim,
				  sodium_base64_VARIANT_ORIGINAL);
		n += snprintf(h->raw + n, sizeof h->raw - (size_t)n, "claim: %s\n", c64);
	}
	if (n < 0 || (size_t)n + 16 + BATCH_SIG_B64_LEN > sizeof h->raw)
		return err_set(err, "batch header is too long");
	h->signed_len = (size_t)n;
	if (batch_header_message(h, &msg, &msg_len) != TEM_OK)
		return err_set(err, "out of memory");
	crypto_sign_detached(h->sig, NULL, msg, msg_len, sk->sk);
	free(msg);
	sodium_bin2base64(b64, sizeof b64, h->sig, sizeof h->sig, sodium_base64_VARIANT_ORIGINAL);
	n += snprintf(h->raw + n, sizeof h->raw - (size_t)n, "signature: %s\n\n", b64);
	h->raw_len = (size_t)n;
	return TEM_OK;
}
