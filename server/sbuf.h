/* sbuf.h — a growing text buffer for responses (pages, metrics), with HTML escaping. */
#ifndef TEM_SBUF_H
#define TEM_SBUF_H

#include <stddef.h>

struct sbuf {
	char *p;         /* malloc'd text, NUL-terminated while not failed */
	size_t len, cap; /* bytes used, allocated */
	int failed;      /* 1 once an allocation failed; later puts do nothing */
};

/* Starts an empty buffer (0, or -1 out of memory). */
int sbuf_init(struct sbuf *b, size_t cap);

/* Appends formatted text. */
void sbuf_put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends text with &, <, >, " and ' escaped for HTML text and attribute values. */
void sbuf_html(struct sbuf *b, const char *s);

/* The same for at most n bytes of s (stopping at a NUL). */
void sbuf_htmln(struct sbuf *b, const char *s, size_t n);

/* Hands the text to the caller (who frees it): 0, or -1 when something failed (freed). */
int sbuf_take(struct sbuf *b, char **out, size_t *len);

#endif
