/* trust.c — the authority's trust list (format in keys/trust.h and docs/keys.md, "The trust
 * list"): strict parsing with line numbers in every error, formatting, add and revoke. */
#include "keys/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/date.h"
#include "keys/fileio.h"
#include "keys/sig.h"
#include "keys/text.h"

#define TRUST_MAGIC    "tem-trust v1"
#define TRUST_LINE_MAX 1024

void trust_free(struct trust_list *list)
{
	free(list->entries);
	memset(list, 0, sizeof *list);
}

const struct trust_entry *trust_find(const struct trust_list *list,
				     const unsigned char id[KEYS_ID_BYTES])
{
	for (size_t i = 0; i < list->n; i++)
		if (memcmp(list->entries[i].key.id, id, KEYS_ID_BYTES) == 0)
			return &list->entries[i];
	return NULL;
}

/* Appends an entry, growing the array; TEM_ERR when the list is full or memory is out. */
static int append(struct trust_list *list, const struct trust_entry *e, struct tem_err *err)
{
	if (list->n >= TRUST_MAX_ENTRIES)
		return err_set(err, "more than %d producer keys", TRUST_MAX_ENTRIES);
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct trust_entry *p = realloc(list->entries, cap * sizeof *p);
		if (p == NULL)
			return err_set(err, "out of memory");
		list->entries = p;
		list->cap = cap;
	}
	list->entries[list->n++] = *e;
	return TEM_OK;
}

/* Checks a name: clean UTF-8 with no hidden characters (text_has_hidden), not empty, within
 * TRUST_NAME_MAX, no leading/trailing space. */
static int check_name(const char *s, size_t len, const char *what, struct tem_err *err)
{
	if (len == 0)
		return err_set(err, "%s is empty", what);
	if (len > TRUST_NAME_MAX)
		return err_set(err, "%s is longer than %d bytes", what, TRUST_NAME_MAX);
	uint32_t cp;

	if (!text_is_clean(s, len))
		return err_set(err, "%s is not clean UTF-8 text", what);
	if (text_has_hidden(s, len, &cp))
		return err_set(err,
			       "%s holds an invisible or direction-changing character (U+%04X)",
			       what, (unsigned)cp);
	if (s[0] == ' ' || s[len - 1] == ' ')
		return err_set(err, "%s starts or ends with a space", what);
	return TEM_OK;
}

/* Splits off the next space-separated field of [*p, end); returns its length. */
static size_t field(const char **p, const char *end, const char **start)
{
	const char *q = *p;

	*start = q;
	while (q < end && *q != ' ')
		q++;
	size_t n = (size_t)(q - *start);
	*p = q < end ? q + 1 : q;
	return n;
}

/* Parses one "producer ..." line (without the keyword) into e. */
static int parse_producer(const char *p, const char *end, struct trust_entry *e,
			  struct tem_err *err)
{
	const char *f;
	size_t n;
	char buf[64];

	memset(e, 0, sizeof *e);
	n = field(&p, end, &f);
	unsigned char id[KEYS_ID_BYTES];
	if (keys_id_parse(f, n, id, err) != TEM_OK)
		return TEM_ERR;
	n = field(&p, end, &f);
	if (n != KEYS_PUBLIC_B64_LEN ||
	    keys_public_parse(f, n, "public key", &e->key, err) != TEM_OK)
		return err_set(err, "public key is not a minisign public key line (56 characters)");
	if (memcmp(id, e->key.id, KEYS_ID_BYTES) != 0)
		return err_set(err, "key id does not match the public key's id");
	n = field(&p, end, &f);
	if (n >= sizeof buf)
		return err_set(err, "valid-from is not a date of the form YYYY-MM-DD");
	memcpy(buf, f, n);
	buf[n] = '\0';
	if (date_parse(buf, &e->valid_from, err) != TEM_OK)
		return err_set(err, "valid-from '%s' is not a date of the form YYYY-MM-DD", buf);
	n = field(&p, end, &f);
	if (n == 6 && memcmp(f, "active", 6) == 0) {
		e->revoked = -1;
	} else if (n == 18 && memcmp(f, "revoked:", 8) == 0) {
		memcpy(buf, f + 8, 10);
		buf[10] = '\0';
		if (date_parse(buf, &e->revoked, err) != TEM_OK)
			return err_set(err, "revocation date '%s' is not a date", buf);
	} else {
		return err_set(err, "status is neither 'active' nor 'revoked:YYYY-MM-DD'");
	}
	n = (size_t)(end - p);
	if (check_name(p, n, "name", err) != TEM_OK)
		return TEM_ERR;
	memcpy(e->name, p, n);
	e->name[n] = '\0';
	return TEM_OK;
}

int trust_parse(const char *text, size_t len, const char *name, struct trust_list *out,
		struct tem_err *err)
{
	const char *p = text, *end = text + len;
	int lineno = 0, have_authority = 0, have_sequence = 0;

	memset(out, 0, sizeof *out);
	if (len > TRUST_MAX_BYTES)
		return err_set(err, "%s: larger than %u bytes", name, TRUST_MAX_BYTES);
	if (len == 0)
		return err_set(err, "%s: empty file", name);
	if (memchr(text, '\0', len) != NULL)
		return err_set(err, "%s: not a trust list (binary data)", name);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct tem_err e;
		if (eol == NULL) {
			err_set(err, "%s: line %d: no final newline (truncated?)", name,
				lineno + 1);
			goto fail;
		}
		size_t n = (size_t)(eol - p);
		lineno++;
		if (n > TRUST_LINE_MAX) {
			err_set(err, "%s: line %d: longer than %d bytes", name, lineno,
				TRUST_LINE_MAX);
			goto fail;
		}
		if (lineno == 1) {
			if (n != strlen(TRUST_MAGIC) || memcmp(p, TRUST_MAGIC, n) != 0) {
				err_set(err, "%s: not a tem trust list (first line is not '%s')",
					name, TRUST_MAGIC);
				goto fail;
			}
		} else if (n == 0 || p[0] == '#') {
			/* blank or comment */
		} else if (n > 11 && memcmp(p, "authority: ", 11) == 0) {
			if (have_authority) {
				err_set(err, "%s: line %d: a second authority line", name, lineno);
				goto fail;
			}
			if (check_name(p + 11, n - 11, "authority name", &e) != TEM_OK) {
				err_set(err, "%s: line %d: %s", name, lineno, e.msg);
				goto fail;
			}
			memcpy(out->authority, p + 11, n - 11);
			out->authority[n - 11] = '\0';
			have_authority = 1;
		} else if (n > 10 && memcmp(p, "sequence: ", 10) == 0) {
			char num[24];
			if (have_sequence) {
				err_set(err, "%s: line %d: a second sequence line", name, lineno);
				goto fail;
			}
			if (n - 10 >= sizeof num) {
				err_set(err, "%s: line %d: sequence is not a number", name, lineno);
				goto fail;
			}
			memcpy(num, p + 10, n - 10);
			num[n - 10] = '\0';
			if (text_parse_u64(num, 0, TRUST_SEQUENCE_MAX, &out->sequence) != TEM_OK) {
				err_set(err, "%s: line %d: sequence is not a number from 0 to %llu",
					name, lineno, TRUST_SEQUENCE_MAX);
				goto fail;
			}
			have_sequence = 1;
		} else if (n > 9 && memcmp(p, "producer ", 9) == 0) {
			struct trust_entry ent;
			if (parse_producer(p + 9, eol, &ent, &e) != TEM_OK) {
				err_set(err, "%s: line %d: %s", name, lineno, e.msg);
				goto fail;
			}
			if (trust_find(out, ent.key.id) != NULL) {
				char hex[KEYS_ID_HEX_LEN + 1];
				keys_id_hex(ent.key.id, hex);
				err_set(err, "%s: line %d: key %s is listed twice", name, lineno,
					hex);
				goto fail;
			}
			if (append(out, &ent, &e) != TEM_OK) {
				err_set(err, "%s: line %d: %s", name, lineno, e.msg);
				goto fail;
			}
		} else {
			err_set(err,
				"%s: line %d: neither 'authority:', 'sequence:', 'producer' nor a "
				"comment",
				name, lineno);
			goto fail;
		}
		p = eol + 1;
	}
	if (!have_authority) {
		err_set(err, "%s: no 'authority:' line", name);
		goto fail;
	}
	return TEM_OK;
fail:
	trust_free(out);
	return TEM_ERR;
}

int trust_load(const char *path, struct trust_list *out, struct tem_err *err)
{
	char *buf;
	size_t len;
	int rc;

	memset(out, 0, sizeof *out);
	if (file_read_all(path, TRUST_MAX_BYTES, &buf, &len, err) != TEM_OK)
		return TEM_ERR;
	rc = trust_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}

int trust_load_verified(const char *path, const char *sigpath, const struct tem_pubkey *authority,
			struct trust_list *out, struct tem_err *err)
{
	char sp[SIG_PATH_MAX];
	char *buf = NULL, *sig = NULL;
	size_t len, siglen;
	int rc;

	memset(out, 0, sizeof *out);
	if ((sigpath = sig_path(path, sigpath, sp, err)) == NULL)
		return TEM_ERR;
	if (file_read_all(path, TRUST_MAX_BYTES, &buf, &len, err) != TEM_OK)
		return TEM_ERR;
	if (file_read_all(sigpath, 8192, &sig, &siglen, err) != TEM_OK) {
		free(buf);
		return TEM_ERR;
	}
	/* the bytes verified are the bytes parsed: no window for a swap in between */
	rc = sig_verify_buffer(buf, len, sig, siglen, authority, NULL, 0, err);
	if (rc != TEM_OK) {
		err_prefix(err, path);
	} else {
		rc = trust_parse(buf, len, path, out, err);
	}
	free(buf);
	free(sig);
	return rc;
}

int trust_format(const struct trust_list *list, char **out, size_t *len, struct tem_err *err)
{
	size_t cap = 256 + strlen(list->authority) + list->n * (TRUST_NAME_MAX + 128);
	char *s = malloc(cap), *p;
	char b64[KEYS_PUBLIC_B64_LEN + 1], id[KEYS_ID_HEX_LEN + 1], from[11], rev[11];

	if (s == NULL)
		return err_set(err, "out of memory");
	p = s;
	p += sprintf(p,
		     "%s\nauthority: %s\nsequence: %llu\n# key-id public-key valid-from status "
		     "name\n",
		     TRUST_MAGIC, list->authority, (unsigned long long)list->sequence);
	for (size_t i = 0; i < list->n; i++) {
		const struct trust_entry *e = &list->entries[i];
		keys_id_hex(e->key.id, id);
		keys_public_base64(&e->key, b64);
		date_format(e->valid_from, from);
		if (e->revoked >= 0) {
			date_format(e->revoked, rev);
			p += sprintf(p, "producer %s %s %s revoked:%s %s\n", id, b64, from, rev,
				     e->name);
		} else {
			p += sprintf(p, "producer %s %s %s active %s\n", id, b64, from, e->name);
		}
	}
	*out = s;
	*len = (size_t)(p - s);
	return TEM_OK;
}

int trust_save(const char *path, const struct trust_list *list, struct tem_err *err)
{
	char *text;
	size_t len;
	int rc;

	if (trust_format(list, &text, &len, err) != TEM_OK)
		return TEM_ERR;
	rc = file_write_atomic(path, text, len, 0644, 1, err);
	free(text);
	return rc;
}

int trust_add(struct trust_list *list, const struct tem_pubkey *key, const char *name,
	      int32_t valid_from, struct tem_err *err)
{
	struct trust_entry e;
	char hex[KEYS_ID_HEX_LEN + 1];
	size_t n = strlen(name);

	if (trust_find(list, key->id) != NULL) {
		keys_id_hex(key->id, hex);
		return err_set(err, "key %s is already in the list", hex);
	}
	if (check_name(name, n, "name", err) != TEM_OK)
		return TEM_ERR;
	memset(&e, 0, sizeof e);
	e.key = *key;
	e.valid_from = valid_from;
	e.revoked = -1;
	memcpy(e.name, name, n + 1);
	return append(list, &e, err);
}

int trust_bump_sequence(struct trust_list *list, struct tem_err *err)
{
	if (list->sequence >= TRUST_SEQUENCE_MAX)
		return err_set(err, "the sequence number is at its largest, %llu",
			       TRUST_SEQUENCE_MAX);
	list->sequence++;
	return TEM_OK;
}

int trust_revoke(struct trust_list *list, const unsigned char id[KEYS_ID_BYTES], int32_t day,
		 struct tem_err *err)
{
	char hex[KEYS_ID_HEX_LEN + 1];

	for (size_t i = 0; i < list->n; i++) {
		if (memcmp(list->entries[i].key.id, id, KEYS_ID_BYTES) == 0) {
			list->entries[i].revoked = day;
			return TEM_OK;
		}
	}
	keys_id_hex(id, hex);
	return err_set(err, "key %s is not in the list", hex);
}
