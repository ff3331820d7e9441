/* alert.c — names of alert types, statuses and closing reasons (server/alert.h). */
#include <string.h>

#include "server/alert.h"

#include "keys/keys.h"

static const char *const type_names[ALERT_TYPES] = {
    [ALERT_DUPLICATE] = "duplicate",         [ALERT_SOLD_SCANNED] = "sold-then-scanned",
    [ALERT_UNREGISTERED] = "unregistered",   [ALERT_REVOKED_KEY] = "revoked-key",
    [ALERT_INVALID_BURST] = "invalid-burst", [ALERT_CLAIM_GUESSING] = "claim-guessing",
};

static const char *const status_names[ALERT_STATUSES] = {
    [ALERT_OPEN] = "open",
    [ALERT_INVESTIGATING] = "investigating",
    [ALERT_CLOSED] = "closed",
};

static const char *const reason_names[ALERT_REASONS] = {
    [ALERT_REASON_NONE] = "",
    [ALERT_REASON_BUYER] = "buyer-error",
    [ALERT_REASON_TECHNICAL] = "technical-error",
    [ALERT_REASON_COUNTERFEIT] = "confirmed-counterfeit",
    [ALERT_REASON_OTHER] = "other",
};

/* The index of s in names[0..n), skipping empty names; -1 when none. */
static int find(const char *const *names, int n, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *alert_type_name(enum alert_type t)
{
	return (unsigned)t < ALERT_TYPES ? type_names[t] : "?";
}

const char *alert_status_name(enum alert_status s)
{
	return (unsigned)s < ALERT_STATUSES ? status_names[s] : "?";
}

const char *alert_reason_name(enum alert_reason r)
{
	return (unsigned)r < ALERT_REASONS ? reason_names[r] : "?";
}

int alert_type_parse(const char *s, enum alert_type *out)
{
	int i = find(type_names, ALERT_TYPES, s);
	if (i < 0)
		return -1;
	*out = (enum alert_type)i;
	return 0;
}

int alert_status_parse(const char *s, enum alert_status *out)
{
	int i = find(status_names, ALERT_STATUSES, s);
	if (i < 0)
		return -1;
	*out = (enum alert_status)i;
	return 0;
}

int alert_reason_parse(const char *s, enum alert_reason *out)
{
	int i = find(reason_names, ALERT_REASONS, s);
	if (i < 0)
		return -1;
	*out = (enum alert_reason)i;
	return 0;
}

int alert_job_valid(int type, const char *key_id, long long events)
{
	unsigned char id[KEYS_ID_BYTES];
	char canonical[KEYS_ID_HEX_LEN + 1];

	if (type < 0 || type >= ALERT_TYPES || events < 1 ||
	    keys_id_parse(key_id, strlen(key_id), id, NULL) != TEM_OK)
		return 0;
	keys_id_hex(id, canonical); /* the form every key id in the ledger has */
	return strcmp(canonical, key_id) == 0;
}
