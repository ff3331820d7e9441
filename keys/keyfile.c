/* keyfile.c — the comment-then-base64 layout of minisign key files. */
#include "keys/keyfile.h"

#include <sodium.h>
#include <string.h>

int keyfile_decode(const char *text, size_t len, const char *name, unsigned char *out, size_t want,
		   const char *what, struct tem_err *err)
{
	static const char ucomment[] = "untrusted comment:";
	const char *p = text, *end = text + len, *line = NULL, *eol;
	size_t line_len = 0, bin_len = 0;

	if (len == 0)
		return err_set(err, "%s: empty file", name);
	if (len > KEYFILE_MAX)
		return err_set(err, "%s: too large for a %s", name, what);
	if (memchr(text, '\0', len) != NULL)
		return err_set(err, "%s: not a %s (binary data)", name, what);
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		size_t n = (size_t)(eol - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 &&
		    strncmp(p, ucomment, n < sizeof ucomment - 1 ? n : sizeof ucomment - 1) != 0) {
			line = p;
			line_len = n;
			break;
		}
		p = eol + 1;
	}
	if (line == NULL)
		return err_set(err, "%s: no key data (truncated?)", name);
	if (sodium_base642bin(out, want, line, line_len, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return err_set(err, "%s: not a %s (bad base64 or wrong length)", name, what);
	if (bin_len != want)
		return err_set(err, "%s: not a %s (%zu bytes of key data, expected %zu)", name,
			       what, bin_len, want);
	return TEM_OK;
}
