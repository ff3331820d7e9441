/* text.h — checks on text that comes from outside (names, comments, file lines). */
#ifndef TEM_TEXT_H
#define TEM_TEXT_H

#include <stddef.h>

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF), else 0. */
int text_valid_utf8(const char *s, size_t len);

/* 1 when s[0..len) is well-formed UTF-8 with no control characters (C0, DEL, C1), else 0:
 * what a name, product or comment may contain. */
int text_is_clean(const char *s, size_t len);

#endif
