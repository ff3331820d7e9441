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

/* Reads the next free serial from the counter file: 1 when there is none yet. */
static int counter_read(const char *path, uint64_t *next, struct tem_err *err)
{
	char *buf = NULL;
	size_t len;

	if (file_read_all(path, COUNTER_MAX, &buf, &len, err) != TEM_OK) {
		if (access(path, F_OK) != 0 && errno == ENOENT) {
			*next = 1;
			return TEM_OK;
		}
		return TEM_ERR; /* exists but unreadable: never restart serials at 1 */
	}
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len == 0 || strlen(buf) != len || text_parse_u64(buf, 1, UINT64_MAX, next) != TEM_OK) {
		free(buf);
		return err_set(err, "%s: damaged serial counter (expected a number)", path);
	}
	free(buf);
	return TEM_OK;
}

int serial_reserve(const char *key_path, uint64_t count, uint64_t *first, struct tem_err *err)
{
	char lockp[4096], ctrp[4096], out[32];
	uint64_t next;
	int fd, n, rc = TEM_ERR;

	if (count == 0)
		return err_set(err, "%s: cannot reserve 0 serials", key_path);
	if (snprintf(lockp, sizeof lockp, "%s.lock", key_path) >= (int)sizeof lockp ||
	    snprintf(ctrp, sizeof ctrp, "%s.serial", key_path) >= (int)sizeof ctrp)
		return err_set(err, "%s: path too long", key_path);
	fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set(err, "%s: %s", lockp, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			err_set(err, "%s: lock: %s", lockp, strerror(errno));
			goto out;
		}
	}
	if (counter_read(ctrp, &next, err) != TEM_OK)
		goto out;
	if (next > UINT64_MAX - count) {
		err_set(err, "%s: serials exhausted for this key", ctrp);
		goto out;
	}
	n = snprintf(out, sizeof out, "%" PRIu64 "\n", next + count);
	if (file_write_atomic(ctrp, out, (size_t)n, 0600, 1, err) != TEM_OK)
		goto out;
	*first = next;
	rc = TEM_OK;
out:
	close(fd); /* releases the lock */
	return rc;
}
