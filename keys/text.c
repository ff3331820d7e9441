/* text.c — UTF-8 well-formedness and control-character checks for outside text. */
#include "keys/text.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "keys/err.h"

/* Decodes one UTF-8 sequence at s (n bytes left): returns its length and the code point in
 * *cp, or 0 when it is not well-formed (RFC 3629: no overlongs, surrogates, > U+10FFFF). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0];
	size_t len, i;
	uint32_t min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		len = 2, min = 0x80, c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, min = 0x800, c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

int text_valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (len > 0) {
		size_t k = utf8_next(p, len, &cp);
		if (k == 0)
			return 0;
		p += k;
		len -= k;
	}
	return 1;
}

int text_is_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (len > 0) {
		size_t k = utf8_next(p, len, &cp);
		if (k == 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
			return 0;
		p += k;
		len -= k;
	}
	return 1;
}

/* 1 for a code point that hides or reorders text (text.h, text_has_hidden). */
static int hidden(uint32_t c)
{
	return c == 0x00AD || c == 0x061C || c == 0x180E || (c >= 0x200B && c <= 0x200F) ||
	       (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
}

int text_has_hidden(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;

	while (len > 0) {
		size_t k = utf8_next(p, len, &c);
		if (k == 0)
			return 0;
		if (hidden(c)) {
			if (cp != NULL)
				*cp = c;
			return 1;
		}
		p += k;
		len -= k;
	}
	return 0;
}

int text_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	unsigned long long x;
	char *end;

	/* strtoull alone would take leading space, a sign and "0x" */
	if (s == NULL || *s < '0' || *s > '9')
		return TEM_ERR;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || x < lo || x > hi)
		return TEM_ERR;
	*v = x;
	return TEM_OK;
}

int text_parse_decimal(const char *s, double lo, double hi, double *v)
{
	const char *p;
	int dots = 0, digits = 0;
	double x;

	if (s == NULL)
		return TEM_ERR;
	for (p = s; *p != '\0'; p++) {
		if (*p == '.')
			dots++;
		else if (*p >= '0' && *p <= '9')
			digits++;
		else
			return TEM_ERR;
	}
	if (digits == 0 || dots > 1 || p - s > 32)
		return TEM_ERR;
	x = strtod(s, NULL);
	if (!(x >= lo && x <= hi))
		return TEM_ERR;
	*v = x;
	return TEM_OK;
}
