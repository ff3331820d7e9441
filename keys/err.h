/* err.h — the one error type of tem's libraries.
 * Library code never prints or exits: it fills a caller-provided struct tem_err with one
 * sentence naming the object and the cause ("trust.list: line 7: key id is not 16 hex digits")
 * and returns a status. Programs decide what the error means. */
#ifndef TEM_ERR_H
#define TEM_ERR_H

#include <stddef.h>

struct tem_err {
	char msg[256]; /* one sentence, NUL-terminated, no trailing newline */
};

/* Status values shared by every verifying function: TEM_OK when the thing verifies,
 * TEM_NO when it is well-formed but a verification said no (bad signature, wrong key),
 * TEM_ERR when it could not be read or is malformed. err is filled for TEM_NO and TEM_ERR. */
enum { TEM_OK = 0, TEM_NO = 1, TEM_ERR = -1 };

/* Formats a message into err (which may be NULL); returns TEM_ERR so callers can
 * `return err_set(err, "...")`. */
int err_set(struct tem_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like err_set but returns TEM_NO: for "verification said no". */
int err_no(struct tem_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes err's message with "PREFIX: " (for adding a file name to a lower-level error). */
void err_prefix(struct tem_err *err, const char *prefix);

#endif
