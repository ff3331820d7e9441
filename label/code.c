/* code.c — the signed code, format v1 (docs/code-format.md): binary layout, signature, the
 * canonical base32 text form, URL form and parsing of what a scanner hands over. Base32 is
 * not offered by libsodium, so its strict codec lives here; everything cryptographic is
 * libsodium's. */
#include "label/code.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Value of a base32 character (either case), or -1. */
static int b32_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a';
	if (ch >= '2' && ch <= '7')
		return ch - '2' + 26;
	return -1;
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static uint64_t get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

void code_signed_message(const struct tem_code *c, unsigned char msg[CODE_MESSAGE_BYTES])
{
	unsigned char bin[CODE_BYTES];

	code_encode(c, bin);
	memcpy(msg, CODE_DOMAIN, sizeof CODE_DOMAIN - 1);
	memcpy(msg + sizeof CODE_DOMAIN - 1, bin, CODE_SIGNED_BYTES);
}

void code_encode(const struct tem_code *c, unsigned char out[CODE_BYTES])
{
	out[0] = c->version;
	memcpy(out + 1, c->key_id, KEYS_ID_BYTES);
	put_be(out + 9, c->serial, 8);
	put_be(out + 17, c->last_day, 2);
	memcpy(out + 19, c->sig, sizeof c->sig);
}

int code_decode(const unsigned char in[CODE_BYTES], struct tem_code *c, struct tem_err *err)
{
	if (in[0] != CODE_VERSION)
		return err_set(err, "unsupported code format version %u", in[0]);
	c->version = in[0];
	memcpy(c->key_id, in + 1, KEYS_ID_BYTES);
	c->serial = get_be(in + 9, 8);
	c->last_day = (uint16_t)get_be(in + 17, 2);
	memcpy(c->sig, in + 19, sizeof c->sig);
	return TEM_OK;
}

int code_verify(const struct tem_code *c, const struct tem_pubkey *pk, struct tem_err *err)
{
	unsigned char msg[CODE_MESSAGE_BYTES];
	char want[KEYS_ID_HEX_LEN + 1], got[KEYS_ID_HEX_LEN + 1];

	if (memcmp(c->key_id, pk->id, KEYS_ID_BYTES) != 0) {
		keys_id_hex(c->key_id, got);
		keys_id_hex(pk->id, want);
		return err_no(err, "code is signed by key %s, not %s", got, want);
	}
	code_signed_message(c, msg);
	if (crypto_sign_verify_detached(c->sig, msg, sizeof msg, pk->pk) != 0)
		return err_no(err, "signature does not verify");
	return TEM_OK;
}

void code_to_text(const struct tem_code *c, char out[CODE_TEXT_LEN + 1])
{
	unsigned char bin[CODE_BYTES];
	unsigned int acc = 0, bits = 0;
	size_t o = 0;

	code_encode(c, bin);
	for (size_t i = 0; i < CODE_BYTES; i++) {
		acc = (acc << 8) | bin[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

int code_from_text(const char *s, size_t len, struct tem_code *c, struct tem_err *err)
{
	unsigned char bin[CODE_BYTES];
	unsigned int acc = 0, bits = 0;
	size_t o = 0;

	if (len != CODE_TEXT_LEN)
		return err_set(err, "code is %zu characters long, expected %d", len, CODE_TEXT_LEN);
	for (size_t i = 0; i < len; i++) {
		int v = b32_value((unsigned char)s[i]);
		if (v < 0) {
			unsigned char ch = (unsigned char)s[i];
			if (ch >= 0x21 && ch < 0x7f)
				return err_set(err,
					       "character %zu ('%c') is not in the base32 alphabet",
					       i + 1, ch);
			return err_set(err,
				       "character %zu (byte 0x%02X) is not in the base32 alphabet",
				       i + 1, ch);
		}
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			bin[o++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	/* 133 characters carry 665 bits: the last one is padding and must be zero, so every
	 * code has exactly one spelling */
	if ((acc & ((1u << bits) - 1)) != 0)
		return err_set(err, "non-canonical encoding (last character's padding bit is set)");
	return code_decode(bin, c, err);
}

/* Finds the code part of a URL: after the last "/C/" or "/c/", up to '?', '#' or a trailing
 * '/'. Returns 0 when the URL has no such segment. */
static int url_code_part(const char *s, size_t len, const char **code, size_t *code_len)
{
	const char *start = NULL;

	for (size_t i = 0; i + 3 <= len; i++)
		if (s[i] == '/' && (s[i + 1] == 'C' || s[i + 1] == 'c') && s[i + 2] == '/')
			start = s + i + 3;
	if (start == NULL)
		return 0;
	const char *end = start;
	while (end < s + len && *end != '?' && *end != '#')
		end++;
	if (end > start && end[-1] == '/')
		end--;
	*code = start;
	*code_len = (size_t)(end - start);
	return 1;
}

int code_parse(const char *s, size_t len, struct tem_code *c, struct tem_err *err)
{
	const char *code;
	size_t code_len;

	while (len > 0 && isspace((unsigned char)s[0]))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0)
		return err_set(err, "empty code");
	if (len > CODE_INPUT_MAX)
		return err_set(err, "input is %zu characters long, too long to be a code", len);
	if (memchr(s, '/', len) == NULL)
		return code_from_text(s, len, c, err);
	if (!url_code_part(s, len, &code, &code_len))
		return err_set(err, "URL has no /C/ segment followed by a code");
	return code_from_text(code, code_len, c, err);
}

/* 1 when ch is in QR alphanumeric mode's character set. */
static int qr_alnum(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || strchr(" $%*+-./:", ch);
}

int code_to_url(const struct tem_code *c, const char *base, char *out, size_t cap,
		struct tem_err *err)
{
	char text[CODE_TEXT_LEN + 1];
	size_t blen = strlen(base);

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (blen + 3 + CODE_TEXT_LEN + 1 > cap)
		return err_set(err, "base URL is too long");
	for (size_t i = 0; i < blen; i++) {
		unsigned char ch = (unsigned char)toupper((unsigned char)base[i]);
		if (ch == 0 || !qr_alnum(ch))
			return err_set(err,
				       "base URL has '%c', outside the characters a QR code stores "
				       "compactly (letters, digits, space and $%%*+-./:)",
				       isprint(base[i]) ? base[i] : '?');
		out[i] = (char)ch;
	}
	code_to_text(c, text);
	memcpy(out + blen, "/C/", 3);
	memcpy(out + blen + 3, text, CODE_TEXT_LEN + 1);
	return TEM_OK;
}

void code_short_id(const struct tem_code *c, char out[CODE_SHORT_ID_MAX])
{
	char hex[KEYS_ID_HEX_LEN + 1];

	keys_id_hex(c->key_id, hex);
	snprintf(out, CODE_SHORT_ID_MAX, "%s-%llu", hex, (unsigned long long)c->serial);
}

int code_is_expired(const struct tem_code *c, int32_t today)
{
	return c->last_day != 0 && today > (int32_t)c->last_day;
}
