/* fileio.h — whole-or-nothing file output and bounded file input.
 * Every file tem writes appears whole or not at all: a temporary file in the same folder,
 * written, fsync'd, renamed over the target, and the folder fsync'd. */
#ifndef TEM_FILEIO_H
#define TEM_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "keys/err.h"

struct atomic_file {
	int fd;          /* open temporary file, -1 when closed */
	char tmp[4096];  /* path of the temporary file */
	char path[4096]; /* final path */
	int overwrite;   /* whether commit may replace an existing file */
	mode_t mode;     /* the final file's mode; the temporary file stays 0600 until commit */
	int slot;        /* its place among the temporary files atomic_unlink_all knows, or -1 */
};

/* Opens a temporary file PATH.tmp-XXXXXX beside path, mode 0600 and locked (flock) while it is
 * written, so that no one else reads a half-written file and atomic_clean_stale can tell it is
 * in use; mode (0600 for secrets) is the final file's, set at commit. When overwrite is 0 and
 * path exists, fails with "PATH: already exists (use -f to overwrite)". The temporary file is
 * known to atomic_unlink_all until commit or abort. Returns TEM_OK or TEM_ERR. */
int atomic_open(struct atomic_file *af, const char *path, mode_t mode, int overwrite,
		struct tem_err *err);

/* Writes all len bytes (retrying short writes). Returns TEM_OK or TEM_ERR. */
int atomic_write(struct atomic_file *af, const void *buf, size_t len, struct tem_err *err);

/* fsyncs, renames over the final path (refusing an existing one when !overwrite, race-free via
 * link(2)), fsyncs the folder. On failure the temporary file is removed. */
int atomic_commit(struct atomic_file *af, struct tem_err *err);

/* Closes and removes the temporary file; safe to call after commit or twice. */
void atomic_abort(struct atomic_file *af);

/* Removes every temporary file an atomic_open of the process has open (async-signal-safe: for
 * a SIGINT/SIGTERM handler, before the process dies). */
void atomic_unlink_all(void);

/* Removes the temporary files PATH.tmp-XXXXXX that earlier, killed runs left beside path: those
 * no live process holds locked (atomic_open's lock dies with its process). *removed (may be
 * NULL) gets how many. TEM_OK, or TEM_ERR when the folder cannot be read. */
int atomic_clean_stale(const char *path, int *removed, struct tem_err *err);

/* Writes buf to path atomically (atomic_open/write/commit in one). */
int file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode, int overwrite,
		      struct tem_err *err);

/* Reads a whole regular file of at most max bytes into a malloc'd buffer with a NUL appended
 * (not counted in *len). The caller frees *buf. Fails on a larger file, "PATH: larger than N
 * bytes", or any I/O error naming the path. */
int file_read_all(const char *path, size_t max, char **buf, size_t *len, struct tem_err *err);

/* Removes a file if it exists; ignores ENOENT. */
void file_remove_quiet(const char *path);

#endif
