/* keysource.c — the keys `tem verify` and `tem inspect` check codes with: one producer key or
 * the authority's verified trust list. The verdict itself is label/verdict.c's. */
#include <string.h>

#include "cli/cli.h"
#include "label/verdict.h"

int keysource_open(struct keysource *ks, const char *pub, const char *trust, const char *auth,
		   struct tem_err *err)
{
	struct tem_pubkey key;

	memset(ks, 0, sizeof *ks);
	if (pub != NULL && trust != NULL)
		return err_set(err, "give either -p PUB or -t TRUST, not both");
	if (trust != NULL && auth == NULL)
		return err_set(err,
			       "-t TRUST needs -P AUTHORITY_PUB to check the list's signature");
	if (auth != NULL && trust == NULL)
		return err_set(err, "-P AUTHORITY_PUB goes with -t TRUST");
	if (pub != NULL) {
		if (keys_public_load(pub, &key, err) != TEM_OK)
			return TEM_ERR;
		verdict_entry_of_key(&key, &ks->single);
		ks->have_pk = 1;
	} else if (trust != NULL) {
		int rc;
		if (keys_public_load(auth, &key, err) != TEM_OK)
			return TEM_ERR;
		rc = trust_load_verified(trust, NULL, &key, &ks->trust, err);
		if (rc != TEM_OK)
			return rc;
		ks->have_trust = 1;
	}
	return TEM_OK;
}

int keysource_start(struct keysource *ks, const char *pub, const char *trust, const char *auth)
{
	struct tem_err err;
	int rc;

	if (keys_init(&err) != TEM_OK)
		return cli_fail(&err);
	rc = keysource_open(ks, pub, trust, auth, &err);
	if (rc == TEM_NO) {
		cli_warn("%s", err.msg);
		return EXIT_NO;
	}
	return rc == TEM_OK ? 0 : cli_fail(&err);
}

const struct trust_entry *keysource_entry(const struct keysource *ks,
					  const unsigned char id[KEYS_ID_BYTES])
{
	if (ks->have_trust)
		return trust_find(&ks->trust, id);
	return ks->have_pk ? &ks->single : NULL;
}

void keysource_close(struct keysource *ks)
{
	if (ks->have_trust)
		trust_free(&ks->trust);
	memset(ks, 0, sizeof *ks);
}
