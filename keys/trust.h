/* trust.h — the authority's trust list: which producer keys are trusted, from when, and which
 * are revoked. A text file (format in docs/keys.md) signed with the authority's key in
 * minisign's format (TRUST.minisig):
 *
 *   tem-trust v1
 *   authority: Sở Khoa học và Công nghệ Cà Mau
 *   sequence: 7
 *   # key-id  public-key  valid-from  status  name
 *   producer 3F9A0C21D4E5B6A7 RWQ...(56 chars) 2026-01-01 active Hợp tác xã Cua Cà Mau Năm Căn
 *   producer 0123456789ABCDEF RWQ... 2026-01-01 revoked:2026-06-30 Trại giống Đầm Dơi
 *
 * Fields are separated by one space; the name is the rest of the line. Blank lines and lines
 * starting with '#' are ignored. The key id must match the one inside the public key. The
 * sequence number (optional, at most once; 0 when absent, as in lists made before it existed)
 * grows with every change and signature: temd refuses a validly signed list older than one it
 * has accepted, so an old list put back cannot un-revoke a key. */
#ifndef TEM_TRUST_H
#define TEM_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "keys/err.h"
#include "keys/keys.h"

#define TRUST_NAME_MAX     200 /* bytes of UTF-8 in a name, NUL excluded */
#define TRUST_MAX_BYTES    (4u << 20)
#define TRUST_MAX_ENTRIES  100000
#define TRUST_SEQUENCE_MAX 9223372036854775807ull /* INT64_MAX: fits temd's ledger */

struct trust_entry {
	struct tem_pubkey key;         /* producer's key id and public key */
	int32_t valid_from;            /* first day (days since 1970-01-01) codes are trusted */
	int32_t revoked;               /* day of revocation, or -1 when active */
	char name[TRUST_NAME_MAX + 1]; /* producer's name, clean UTF-8 */
};

struct trust_list {
	char authority[TRUST_NAME_MAX + 1]; /* authority's name, clean UTF-8 */
	uint64_t sequence;                  /* the list's sequence number, 0 when it has none */
	struct trust_entry *entries;        /* malloc'd array, in file order */
	size_t n;                           /* entries in use */
	size_t cap;                         /* entries allocated */
};

/* Parses trust list text; name labels errors ("trust.list: line 7: ..."). The list is
 * reset first; on failure it is left empty. Free with trust_free. */
int trust_parse(const char *text, size_t len, const char *name, struct trust_list *out,
		struct tem_err *err);

/* Reads and parses a trust list file, without checking its signature. */
int trust_load(const char *path, struct trust_list *out, struct tem_err *err);

/* Reads a trust list, checks PATH.minisig (or sigpath when not NULL) against the authority's
 * public key, then parses it. TEM_NO when the signature does not verify; nothing is returned
 * in out then. */
int trust_load_verified(const char *path, const char *sigpath, const struct tem_pubkey *authority,
			struct trust_list *out, struct tem_err *err);

/* Formats the list as text; *out is malloc'd (caller frees), *len its length. */
int trust_format(const struct trust_list *list, char **out, size_t *len, struct tem_err *err);

/* Writes the list atomically to path (overwriting it). */
int trust_save(const char *path, const struct trust_list *list, struct tem_err *err);

/* The entry for a key id, or NULL. */
const struct trust_entry *trust_find(const struct trust_list *list,
				     const unsigned char id[KEYS_ID_BYTES]);

/* Adds a producer key; fails if its id is already listed or the name is not clean UTF-8. */
int trust_add(struct trust_list *list, const struct tem_pubkey *key, const char *name,
	      int32_t valid_from, struct tem_err *err);

/* Marks a key revoked from day `day`; fails if the id is not listed. */
int trust_revoke(struct trust_list *list, const unsigned char id[KEYS_ID_BYTES], int32_t day,
		 struct tem_err *err);

/* Makes the list's sequence number one more than it was (for every change and signature).
 * TEM_ERR when it would pass TRUST_SEQUENCE_MAX. */
int trust_bump_sequence(struct trust_list *list, struct tem_err *err);

/* Frees the entries and resets the list to empty. */
void trust_free(struct trust_list *list);

#endif
