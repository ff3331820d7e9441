/* keyfile.c — the comment-then-base64 layout of minisign key files, and telling the files a
 * user may give by mistake (the other key of the pair, a signature, a batch, a trust list)
 * from the one expected, so the error names what was given. */
#include "keys/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys/fileio.h"

static const char ucomment[] = "untrusted comment:";

/* The first line of text that is not an untrusted comment, NULL when there is none; its
 * length without the line end in *n. */
static const char *data_line(const char *text, size_t len, size_t *n)
{
	const char *p = text, *end = text + len, *eol;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		size_t l = (size_t)(eol - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l > 0 &&
		    strncmp(p, ucomment, l < sizeof ucomment - 1 ? l : sizeof ucomment - 1) != 0) {
			*n = l;
			return p;
		}
		p = eol + 1;
	}
	return NULL;
}

/* What text (the start of a file) is, by its first bytes or its key data's length: "a secret
 * key", "a public key", "a signature", "a tem batch file", "a tem trust list", or NULL. */
static const char *kind_of(const char *text, size_t len)
{
	static const struct {
		const char *prefix, *kind;
	} heads[] = {{"tem-batch ", "a tem batch file"}, {"tem-trust ", "a tem trust list"}};
	unsigned char bin[256];
	const char *line;
	size_t n, bin_len = 0;

	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
		if (len >= strlen(heads[i].prefix) &&
		    memcmp(text, heads[i].prefix, strlen(heads[i].prefix)) == 0)
			return heads[i].kind;
	if ((line = data_line(text, len, &n)) == NULL ||
	    sodium_base642bin(bin, sizeof bin, line, n, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return NULL;
	sodium_memzero(bin, sizeof bin); /* it may have been a secret key */
	switch (bin_len) {
	case 2 + 8 + 32: /* "Ed", key id, public key */
		return "a public key";
	case 158: /* minisign's secret key file, keys/seckey.c */
		return "a secret key";
	case 2 + 8 + 64: /* "Ed" or "ED", key id, signature */
		return "a signature";
	default:
		return NULL;
	}
}

/* Fills err for a file that is not the what expected: names what it is when that is known. */
static int not_a(const char *text, size_t len, const char *name, const char *what,
		 const char *detail, struct tem_err *err)
{
	const char *kind = kind_of(text, len);

	if (kind != NULL && strstr(what, kind + 2) == NULL)
		return err_set(err, "%s: %s, not a %s", name, kind, what);
	return err_set(err, "%s: not a %s (%s)", name, what, detail);
}

int keyfile_decode(const char *text, size_t len, const char *name, unsigned char *out, size_t want,
		   const char *what, struct tem_err *err)
{
	const char *line;
	size_t line_len = 0, bin_len = 0;

	if (len == 0)
		return err_set(err, "%s: empty file", name);
	if (len > KEYFILE_MAX)
		return not_a(text, len, name, what, "too large", err);
	if (memchr(text, '\0', len) != NULL)
		return err_set(err, "%s: not a %s (binary data)", name, what);
	if ((line = data_line(text, len, &line_len)) == NULL)
		return err_set(err, "%s: no key data (truncated?)", name);
	if (sodium_base642bin(out, want, line, line_len, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return not_a(text, len, name, what, "bad base64 or wrong length", err);
	if (bin_len != want)
		return not_a(text, len, name, what, "wrong length of key data", err);
	return TEM_OK;
}

int keyfile_read(const char *path, const char *what, char **buf, size_t *len, struct tem_err *err)
{
	char head[512];
	ssize_t n;
	int fd;

	if (file_read_all(path, KEYFILE_MAX, buf, len, err) == TEM_OK)
		return TEM_OK;
	/* too large (or unreadable): a batch or a trust list given as a key is named by its
	 * first bytes */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return TEM_ERR;
	n = read(fd, head, sizeof head);
	close(fd);
	if (n > 0) {
		const char *kind = kind_of(head, (size_t)n);
		if (kind != NULL && strstr(what, kind + 2) == NULL)
			return err_set(err, "%s: %s, not a %s", path, kind, what);
	}
	return TEM_ERR;
}
