/* text.h — checks on text that comes from outside (names, comments, file lines). */
#ifndef TEM_TEXT_H
#define TEM_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF), else 0. */
int text_valid_utf8(const char *s, size_t len);

/* 1 when s[0..len) is well-formed UTF-8 with no control characters (C0, DEL, C1), else 0:
 * what a name, product or comment may contain. */
int text_is_clean(const char *s, size_t len);

/* 1 when s[0..len) holds a character that hides or reorders text: a bidi control (U+061C,
 * U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) or a zero-width or invisible one (U+00AD,
 * U+180E, U+200B-U+200D, U+2060-U+2064, U+FEFF); *cp (may be NULL) gets the first. Names
 * shown to buyers (producer, product, authority) must have none: with them, a name can show
 * as another name, or two different names as one. Ill-formed UTF-8 is not looked into (0):
 * the caller checks text_is_clean as well. */
int text_has_hidden(const char *s, size_t len, uint32_t *cp);

/* Parses a whole string as a decimal integer within [lo, hi]: digits only (no sign, space,
 * prefix or trailing text), so "5x", " 5" and "" are refused. TEM_OK with *v set, or TEM_ERR
 * (err is not touched: the caller names the option). The one integer parser of tem's programs. */
int text_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v);

/* Parses a whole string as a decimal number ("40", "0.33") within [lo, hi]: digits with at
 * most one '.', nothing else. TEM_OK with *v set, or TEM_ERR. */
int text_parse_decimal(const char *s, double lo, double hi, double *v);

#endif
