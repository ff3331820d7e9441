/* sbuf.c — growing text buffer. */
#include "server/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sbuf_init(struct sbuf *b, size_t cap)
{
	b->p = malloc(cap);
	b->len = 0;
	b->cap = cap;
	b->failed = b->p == NULL;
	if (b->p != NULL)
		b->p[0] = '\0';
	return b->failed ? -1 : 0;
}

static int grow(struct sbuf *b, size_t need)
{
	if (b->len + need < b->cap)
		return 0;
	size_t cap = b->cap * 2 + need;
	char *np = realloc(b->p, cap);
	if (np == NULL) {
		b->failed = 1;
		return -1;
	}
	b->p = np, b->cap = cap;
	return 0;
}

void sbuf_put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (grow(b, (size_t)n + 1) != 0)
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void sbuf_html(struct sbuf *b, const char *s)
{
	sbuf_htmln(b, s, s != NULL ? strlen(s) : 0);
}

void sbuf_htmln(struct sbuf *b, const char *s, size_t n)
{
	for (const char *end = s + n; s != NULL && s < end && *s != '\0' && !b->failed; s++) {
		const char *e = NULL;
		switch (*s) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&#39;";
			break;
		}
		if (e != NULL) {
			sbuf_put(b, "%s", e);
		} else if (grow(b, 2) == 0) {
			b->p[b->len++] = *s;
			b->p[b->len] = '\0';
		}
	}
}

int sbuf_take(struct sbuf *b, char **out, size_t *len)
{
	if (b->failed) {
		free(b->p);
		b->p = NULL;
		return -1;
	}
	*out = b->p;
	*len = b->len;
	b->p = NULL;
	return 0;
}
