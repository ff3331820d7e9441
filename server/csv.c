/* csv.c — RFC 4180 fields for the API's CSV (server/csv.h); quoting by libcsv. */
#include "server/csv.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

/* 1 when s must be quoted: a comma, quote, CR or LF in it, or a space at either end. */
static int needs_quotes(const char *s, size_t n)
{
	return strpbrk(s, ",\"\r\n") != NULL || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
}

void csv_text(struct sbuf *b, const char *s, int first)
{
	char small[512], *q = small;
	const char *guard = "";
	size_t n, need;

	if (!first)
		sbuf_put(b, ",");
	if (s == NULL || s[0] == '\0')
		return;
	if (strchr("=+-@\t\r", s[0]) != NULL)
		guard = "'";
	n = strlen(s);
	if (!needs_quotes(s, n)) {
		sbuf_put(b, "%s%s", guard, s);
		return;
	}
	/* libcsv writes the quoted field: 2 quotes around, every quote doubled */
	need = 2 * n + 3;
	if (need > sizeof small && (q = malloc(need)) == NULL) {
		b->failed = 1;
		return;
	}
	size_t w = csv_write(q, need - 1, s, n);
	q[w < need ? w : need - 1] = '\0';
	if (guard[0] != '\0') /* the guard goes inside the quotes */
		sbuf_put(b, "\"'%s", q + 1);
	else
		sbuf_put(b, "%s", q);
	if (q != small)
		free(q);
}

void csv_int(struct sbuf *b, int64_t v, int first)
{
	sbuf_put(b, "%s%lld", first ? "" : ",", (long long)v);
}

void csv_end(struct sbuf *b)
{
	sbuf_put(b, "\r\n");
}

void csv_header(struct sbuf *b, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		csv_text(b, names[i], i == 0);
	csv_end(b);
}
