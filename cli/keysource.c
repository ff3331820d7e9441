/* keysource.c — the keys `tem verify` and `tem inspect` check codes with, and the offline
 * verdict of a code. */
#include <string.h>

#include "cli/cli.h"
#include "keys/date.h"

int keysource_open(struct keysource *ks, const char *pub, const char *trust, const char *auth,
		   struct tem_err *err)
{
	struct tem_pubkey authority;

	memset(ks, 0, sizeof *ks);
	if (pub != NULL && trust != NULL)
		return err_set(err, "give either -p PUB or -t TRUST, not both");
	if (trust != NULL && auth == NULL)
		return err_set(err,
			       "-t TRUST needs -P AUTHORITY_PUB to check the list's signature");
	if (auth != NULL && trust == NULL)
		return err_set(err, "-P AUTHORITY_PUB goes with -t TRUST");
	if (pub != NULL) {
		if (keys_public_load(pub, &ks->pk, err) != TEM_OK)
			return TEM_ERR;
		ks->have_pk = 1;
	} else if (trust != NULL) {
		int rc;
		if (keys_public_load(auth, &authority, err) != TEM_OK)
			return TEM_ERR;
		rc = trust_load_verified(trust, NULL, &authority, &ks->trust, err);
		if (rc != TEM_OK)
			return rc;
		ks->have_trust = 1;
	}
	return TEM_OK;
}

const char *keysource_verdict(const struct keysource *ks, const struct tem_code *c,
			      const char **name, struct tem_err *err)
{
	const struct trust_entry *e = NULL;
	const struct tem_pubkey *pk;
	int32_t today = date_today();

	*name = NULL;
	if (ks->have_trust) {
		e = trust_find(&ks->trust, c->key_id);
		if (e == NULL) {
			err_set(err, "key is not in the trust list");
			return "unknown-key";
		}
		pk = &e->key;
		*name = e->name;
	} else {
		pk = &ks->pk;
		if (memcmp(pk->id, c->key_id, KEYS_ID_BYTES) != 0) {
			err_set(err, "signed by another key than the one given");
			return "unknown-key";
		}
	}
	if (code_verify(c, pk, err) != TEM_OK)
		return "invalid";
	if (e != NULL && e->revoked >= 0 && e->revoked <= today) {
		char d[11];
		date_format(e->revoked, d);
		err_set(err, "the producer's key was revoked on %s", d);
		return "revoked";
	}
	if (code_is_expired(c, today)) {
		err_set(err, "past its last valid day");
		return "expired";
	}
	err->msg[0] = '\0';
	return "genuine";
}

void keysource_close(struct keysource *ks)
{
	if (ks->have_trust)
		trust_free(&ks->trust);
	memset(ks, 0, sizeof *ks);
}
