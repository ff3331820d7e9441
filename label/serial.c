/* serial.c — durable serial reservation (label/serial.h). The lock is flock(2) on a separate
 * KEY.lock file, because the counter itself is replaced by rename on every reservation. */
#include "label/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "keys/fileio.h"
#include "keys/text.h"

#define COUNTER_MAX 64 /* bytes of a counter file: 20 digits and a newline */

/* Reads the next free serial from the counter file into *next, with *have 1; *have 0 when
 * there is no counter file. */
static int counter_read(const char *path, uint64_t *next, int *have, struct tem_err *err)
{
	char *buf = NULL;
	size_t len;

	*have = 0;
	if (file_read_all(path, COUNTER_MAX, &buf, &len, err) != TEM_OK) {
		if (access(path, F_OK) != 0 && errno == ENOENT)
			return TEM_OK;
		return TEM_ERR; /* exists but unreadable: never restart serials at 1 */
	}
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len == 0 || strlen(buf) != len || text_parse_u64(buf, 1, UINT64_MAX, next) != TEM_OK) {
		free(buf);
		return err_set(err, "%s: damaged serial counter (expected a number)", path);
	}
	free(buf);
	*have = 1;
	return TEM_OK;
}

/* The counter's and the lock's paths for key_path. TEM_OK or TEM_ERR (too long). */
static int paths(const char *key_path, char lockp[4096], char ctrp[4096], struct tem_err *err)
{
	if (snprintf(lockp, 4096, "%s.lock", key_path) >= 4096 ||
	    snprintf(ctrp, 4096, "%s.serial", key_path) >= 4096)
		return err_set(err, "%s: path too long", key_path);
	return TEM_OK;
}

int serial_init(const char *key_path, int overwrite, struct tem_err *err)
{
	char lockp[4096], ctrp[4096];

	if (paths(key_path, lockp, ctrp, err) != TEM_OK)
		return TEM_ERR;
	return file_write_atomic(ctrp, "1\n", 2, 0600, overwrite, err);
}

/* Picks the first serial of the range (serial_reserve_from's rules) from the counter's next
 * (have 0: no counter), start and above. */
static int pick_first(const char *ctrp, int have, uint64_t next, uint64_t start, uint64_t above,
		      uint64_t *first, struct tem_err *err)
{
	if (!have && start == 0)
		return err_set(err,
			       "%s: the serial counter is missing: restore it from a backup, or "
			       "give --first-serial N with N past the last serial of this key's "
			       "batches (tem issue --server URL asks temd for it); starting again "
			       "at 1 would print serials already in use",
			       ctrp);
	if (start != 0 && have && start < next)
		return err_set(err,
			       "--first-serial %" PRIu64 ": the counter %s says serials up to "
			       "%" PRIu64 " are spent already",
			       start, ctrp, next - 1);
	*first = start != 0 ? start : next;
	if (above != 0 && *first <= above)
		return err_set(err,
			       "the server has serials up to %" PRIu64 " of this key registered, "
			       "but this batch would start at %" PRIu64 " (%s is an old copy?): "
			       "nothing issued; give --first-serial %" PRIu64
			       " once you have checked the registered batches",
			       above, *first, start != 0 ? "--first-serial" : ctrp,
			       above < UINT64_MAX ? above + 1 : above);
	return TEM_OK;
}

int serial_reserve_from(const char *key_path, uint64_t count, uint64_t start, uint64_t above,
			uint64_t *first, struct tem_err *err)
{
	char lockp[4096], ctrp[4096], out[32];
	uint64_t next = 0, f = 0;
	int fd, n, have, rc = TEM_ERR;

	if (count == 0)
		return err_set(err, "%s: cannot reserve 0 serials", key_path);
	if (paths(key_path, lockp, ctrp, err) != TEM_OK)
		return TEM_ERR;
	fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set(err, "%s: %s", lockp, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			err_set(err, "%s: lock: %s", lockp, strerror(errno));
			goto out;
		}
	}
	if (counter_read(ctrp, &next, &have, err) != TEM_OK ||
	    pick_first(ctrp, have, next, start, above, &f, err) != TEM_OK)
		goto out;
	if (f > UINT64_MAX - count) {
		err_set(err, "%s: serials exhausted for this key", ctrp);
		goto out;
	}
	n = snprintf(out, sizeof out, "%" PRIu64 "\n", f + count);
	if (file_write_atomic(ctrp, out, (size_t)n, 0600, 1, err) != TEM_OK)
		goto out;
	*first = f;
	rc = TEM_OK;
out:
	close(fd); /* releases the lock */
	return rc;
}

int serial_reserve(const char *key_path, uint64_t count, uint64_t *first, struct tem_err *err)
{
	return serial_reserve_from(key_path, count, 0, 0, first, err);
}
