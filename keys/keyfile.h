/* keyfile.h — internal to keys/: reading the two-line minisign file layout
 * ("untrusted comment: ..." then one base64 line) shared by public and secret key files. */
#ifndef TEM_KEYFILE_H
#define TEM_KEYFILE_H

#include <stddef.h>

#include "keys/err.h"

#define KEYFILE_MAX 4096

/* Decodes the base64 data line of a minisign-style file in text (the first line not starting
 * with "untrusted comment:"; a bare base64 line is accepted too) into out, which must come out
 * exactly want bytes long. name labels errors; a file of another kind (the pair's other key, a
 * signature, a batch, a trust list) is named as such. Returns TEM_OK or TEM_ERR. */
int keyfile_decode(const char *text, size_t len, const char *name, unsigned char *out, size_t want,
		   const char *what, struct tem_err *err);

/* Reads a key file of at most KEYFILE_MAX bytes into *buf (malloc'd, NUL appended, the caller
 * frees) as file_read_all does; when it is too large, err names what it is instead (a batch
 * file, a trust list). what ("minisign public key") labels errors. TEM_OK or TEM_ERR. */
int keyfile_read(const char *path, const char *what, char **buf, size_t *len, struct tem_err *err);

#endif
