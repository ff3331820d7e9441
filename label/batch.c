/* batch.c — batch files (format in label/batch.h and docs/code-format.md): the signed header
 * and a streaming reader whose memory does not grow with the number of codes. */
#include "label/batch.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/date.h"
#include "keys/text.h"

#define LINE_MAX_BYTES 512

int batch_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BATCH_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int batch_url_valid(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') ||
		      strchr("$%*+-./:", *s)))
			return 0;
	return 1;
}

int batch_header_message(const struct batch_header *h, unsigned char **msg, size_t *len)
{
	*len = sizeof BATCH_DOMAIN - 1 + h->signed_len;
	*msg = malloc(*len);
	if (*msg == NULL)
		return TEM_ERR;
	memcpy(*msg, BATCH_DOMAIN, sizeof BATCH_DOMAIN - 1);
	memcpy(*msg + sizeof BATCH_DOMAIN - 1, h->raw, h->signed_len);
	return TEM_OK;
}

/* Parses n decimal digits (no sign, no space) at s into *v, between 0 and max. */
static int digits(const char *s, int n, unsigned max, unsigned *v)
{
	unsigned x = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TEM_ERR;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	if (x > max)
		return TEM_ERR;
	*v = x;
	return TEM_OK;
}

/* Parses an issue time strictly: exactly YYYY-MM-DDTHH:MM:SSZ (what date_format_iso writes),
 * digits only, a real calendar day, hours 00-23, minutes and seconds 00-59. */
static int parse_iso(const char *s, time_t *t)
{
	char day[11];
	int32_t d;
	unsigned hh, mm, ss;

	if (strlen(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return TEM_ERR;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (date_parse(day, &d, NULL) != TEM_OK || digits(s + 11, 2, 23, &hh) != TEM_OK ||
	    digits(s + 14, 2, 59, &mm) != TEM_OK || digits(s + 17, 2, 59, &ss) != TEM_OK)
		return TEM_ERR;
	*t = (time_t)d * 86400 + hh * 3600 + mm * 60 + ss;
	return TEM_OK;
}

/* Copies the value of "key: value" line `line` (len bytes) into out (cap bytes), requiring
 * the key. */
static int take(const char *line, size_t len, const char *key, char *out, size_t cap, int lineno,
		struct tem_err *err)
{
	size_t k = strlen(key);

	if (len < k + 2 || memcmp(line, key, k) != 0 || line[k] != ':' || line[k + 1] != ' ')
		return err_set(err, "line %d: expected '%s: ...'", lineno, key);
	len -= k + 2;
	if (len >= cap)
		return err_set(err, "line %d: %s is too long", lineno, key);
	memcpy(out, line + k + 2, len);
	out[len] = '\0';
	uint32_t cp;

	if (!text_is_clean(out, len))
		return err_set(err, "line %d: %s is not clean UTF-8 text", lineno, key);
	if (text_has_hidden(out, len, &cp))
		return err_set(err,
			       "line %d: %s holds an invisible or direction-changing character "
			       "(U+%04X)",
			       lineno, key, (unsigned)cp);
	return TEM_OK;
}

/* Parses a decimal u64 with no sign, no leading zeros (but "0"), no junk. */
static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return TEM_ERR;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return TEM_ERR;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return TEM_OK;
}

int batch_header_parse(const char *text, size_t len, struct batch_header *h, struct tem_err *err)
{
	static const char *const keys[] = {"key-id", "producer", "product", "batch", "first-serial",
					   "count",  "issued",   "expires", "url",   "signature"};
	char val[BATCH_HEADER_MAX];
	const char *p = text, *end = text + (len < BATCH_HEADER_MAX ? len : BATCH_HEADER_MAX);
	int lineno = 0;
	size_t bin_len;
	int32_t day;

	memset(h, 0, sizeof *h);
	for (;;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n;
		if (eol == NULL)
			return err_set(err, lineno == 0 ? "not a tem batch file (empty or binary)"
							: "batch header is truncated or too long");
		n = (size_t)(eol - p);
		lineno++;
		if (lineno == 1) {
			if (n != strlen(BATCH_MAGIC) || memcmp(p, BATCH_MAGIC, n) != 0)
				return err_set(err, "not a tem batch file (first line is not '%s')",
					       BATCH_MAGIC);
		} else if (lineno == 11 && n > 7 && memcmp(p, "claim: ", 7) == 0) {
			/* optional: the claim key's commitment (label/claim.h); the signature follows
			 * on the next line */
			if (take(p, n, "claim", val, sizeof val, lineno, err) != TEM_OK)
				return TEM_ERR;
			if (sodium_base642bin(h->claim, sizeof h->claim, val, strlen(val), NULL,
					      &bin_len, NULL,
					      sodium_base64_VARIANT_ORIGINAL) != 0 ||
			    bin_len != sizeof h->claim)
				return err_set(err, "line 11: claim is not %d bytes of base64",
					       CLAIM_COMMIT_BYTES);
			h->has_claim = 1;
		} else if (lineno <= 11 + h->has_claim) {
			const char *key = keys[lineno - 2 - (lineno == 12)];
			if (take(p, n, key, val, sizeof val, lineno, err) != TEM_OK)
				return TEM_ERR;
			switch (lineno - (lineno == 12)) {
			case 2:
				if (keys_id_parse(val, strlen(val), h->key_id, err) != TEM_OK)
					return err_set(err, "line 2: key-id is not 16 hex digits");
				break;
			case 3:
				if (strlen(val) > BATCH_TEXT_MAX)
					return err_set(err, "line 3: producer is too long");
				memcpy(h->producer, val, strlen(val) + 1);
				break;
			case 4:
				if (val[0] == '\0' || strlen(val) > BATCH_TEXT_MAX)
					return err_set(err, "line 4: product is empty or too long");
				memcpy(h->product, val, strlen(val) + 1);
				break;
			case 5:
				if (!batch_id_valid(val))
					return err_set(err,
						       "line 5: batch id is not 1 to %d of "
						       "A-Z a-z 0-9 . _ -",
						       BATCH_ID_MAX);
				memcpy(h->batch_id, val, strlen(val) + 1);
				break;
			case 6:
				if (parse_u64(val, &h->first_serial) != TEM_OK)
					return err_set(err, "line 6: first-serial is not a number");
				break;
			case 7:
				if (parse_u64(val, &h->count) != TEM_OK || h->count == 0 ||
				    h->count > BATCH_COUNT_MAX)
					return err_set(
					    err, "line 7: count is not a number from 1 to %llu",
					    (unsigned long long)BATCH_COUNT_MAX);
				if (h->first_serial > UINT64_MAX - h->count)
					return err_set(err, "line 7: serial range overflows");
				break;
			case 8:
				if (parse_iso(val, &h->issued) != TEM_OK)
					return err_set(
					    err, "line 8: issued is not YYYY-MM-DDTHH:MM:SSZ");
				break;
			case 9:
				if (strcmp(val, "none") == 0) {
					h->last_day = 0;
				} else if (date_parse(val, &day, NULL) != TEM_OK || day <= 0 ||
					   day > UINT16_MAX) {
					return err_set(
					    err, "line 9: expires is neither 'none' nor a date");
				} else {
					h->last_day = (uint16_t)day;
				}
				break;
			case 10:
				if (strcmp(val, "none") == 0)
					val[0] = '\0';
				if (strlen(val) > BATCH_URL_MAX || !batch_url_valid(val))
					return err_set(
					    err, "line 10: url is not an upper-case URL of QR "
						 "alphanumeric characters");
				memcpy(h->url, val, strlen(val) + 1);
				break;
			case 11:
				h->signed_len = (size_t)(p - text);
				if (sodium_base642bin(h->sig, sizeof h->sig, val, strlen(val), NULL,
						      &bin_len, NULL,
						      sodium_base64_VARIANT_ORIGINAL) != 0 ||
				    bin_len != sizeof h->sig)
					return err_set(
					    err, "line %d: signature is not 64 bytes of base64",
					    lineno);
				break;
			}
		} else {
			if (n != 0)
				return err_set(
				    err, "line %d: expected a blank line after the header", lineno);
			p = eol + 1;
			break;
		}
		p = eol + 1;
	}
	h->raw_len = (size_t)(p - text);
	memcpy(h->raw, text, h->raw_len);
	return TEM_OK;
}

int batch_header_verify(const struct batch_header *h, const struct tem_pubkey *pk,
			struct tem_err *err)
{
	unsigned char *msg;
	size_t len;
	char got[KEYS_ID_HEX_LEN + 1], want[KEYS_ID_HEX_LEN + 1];
	int bad;

	if (memcmp(h->key_id, pk->id, KEYS_ID_BYTES) != 0) {
		keys_id_hex(h->key_id, got);
		keys_id_hex(pk->id, want);
		return err_no(err, "batch is signed by key %s, not %s", got, want);
	}
	if (batch_header_message(h, &msg, &len) != TEM_OK)
		return err_set(err, "out of memory");
	bad = crypto_sign_verify_detached(h->sig, msg, len, pk->pk);
	free(msg);
	if (bad != 0)
		return err_no(err, "batch header signature does not verify");
	return TEM_OK;
}

struct batch_reader {
	FILE *f;               /* the open batch file */
	char path[4096];       /* for error messages */
	struct batch_header h; /* its header */
	uint64_t n;            /* codes read so far */
	int lineno;            /* line number of the last line read */
	char line[LINE_MAX_BYTES + 2];
};

int batch_open(const char *path, struct batch_reader **out, struct tem_err *err)
{
	struct batch_reader *r = calloc(1, sizeof *r);
	char buf[BATCH_HEADER_MAX];
	size_t got;

	*out = NULL;
	if (r == NULL)
		return err_set(err, "out of memory");
	snprintf(r->path, sizeof r->path, "%s", path);
	r->f = fopen(path, "rb");
	if (r->f == NULL) {
		err_set(err, "%s: %s", path, strerror(errno));
		free(r);
		return TEM_ERR;
	}
	got = fread(buf, 1, sizeof buf, r->f);
	if (batch_header_parse(buf, got, &r->h, err) != TEM_OK) {
		err_prefix(err, path);
		batch_close(r);
		return TEM_ERR;
	}
	if (fseeko(r->f, (off_t)r->h.raw_len, SEEK_SET) != 0) {
		err_set(err, "%s: %s", path, strerror(errno));
		batch_close(r);
		return TEM_ERR;
	}
	/* the header's own lines, its blank line included (12, or 13 with a claim line) */
	r->lineno = 0;
	for (size_t i = 0; i < r->h.raw_len; i++)
		r->lineno += r->h.raw[i] == '\n';
	*out = r;
	return TEM_OK;
}

const struct batch_header *batch_reader_header(const struct batch_reader *r)
{
	return &r->h;
}

int batch_reader_line(const struct batch_reader *r)
{
	return r->lineno;
}

const char *batch_reader_path(const struct batch_reader *r)
{
	return r->path;
}

int batch_next(struct batch_reader *r, struct tem_code *c, char text[CODE_TEXT_LEN + 1],
	       struct tem_err *err)
{
	size_t n;

	if (fgets(r->line, sizeof r->line, r->f) == NULL) {
		if (ferror(r->f))
			return err_set(err, "%s: read error", r->path);
		if (r->n != r->h.count)
			return err_set(err, "%s: %llu codes, but the header says %llu (truncated?)",
				       r->path, (unsigned long long)r->n,
				       (unsigned long long)r->h.count);
		return 0;
	}
	r->lineno++;
	n = strlen(r->line);
	if (n == 0 || r->line[n - 1] != '\n') {
		if (n > LINE_MAX_BYTES)
			return err_set(err, "%s: line %d: longer than %d bytes", r->path, r->lineno,
				       LINE_MAX_BYTES);
		return err_set(err, "%s: line %d: no final newline (truncated?)", r->path,
			       r->lineno);
	}
	r->line[--n] = '\0';
	if (r->n >= r->h.count)
		return err_set(err, "%s: line %d: more codes than the header's count %llu", r->path,
			       r->lineno, (unsigned long long)r->h.count);
	if (code_from_text(r->line, n, c, err) != TEM_OK) {
		char where[4200];
		snprintf(where, sizeof where, "%s: line %d", r->path, r->lineno);
		err_prefix(err, where);
		return TEM_ERR;
	}
	if (memcmp(c->key_id, r->h.key_id, KEYS_ID_BYTES) != 0)
		return err_set(err, "%s: line %d: code of another key than the header's", r->path,
			       r->lineno);
	if (c->serial != r->h.first_serial + r->n)
		return err_set(err, "%s: line %d: serial %llu out of sequence (expected %llu)",
			       r->path, r->lineno, (unsigned long long)c->serial,
			       (unsigned long long)(r->h.first_serial + r->n));
	if (c->last_day != r->h.last_day)
		return err_set(err, "%s: line %d: last valid day differs from the header's",
			       r->path, r->lineno);
	if (text != NULL) {
		for (size_t i = 0; i < CODE_TEXT_LEN; i++)
			text[i] = (char)(r->line[i] >= 'a' && r->line[i] <= 'z' ? r->line[i] - 32
										: r->line[i]);
		text[CODE_TEXT_LEN] = '\0';
	}
	r->n++;
	return 1;
}

void batch_close(struct batch_reader *r)
{
	if (r == NULL)
		return;
	if (r->f != NULL)
		fclose(r->f);
	free(r);
}
