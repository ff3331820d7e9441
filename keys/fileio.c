/* fileio.c — whole-or-nothing file output (temporary file, fsync, rename, fsync folder) and
 * bounded whole-file input. */
#include "keys/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary files open now, for atomic_unlink_all in a signal handler: each slot points at
 * an open atomic_file's tmp, or is NULL. Few files are open at once (a batch, its signature,
 * its claim key); past TRACK_MAX the file is simply not tracked. */
#define TRACK_MAX 16
static const char *volatile tracked[TRACK_MAX];
static pthread_mutex_t track_mu = PTHREAD_MUTEX_INITIALIZER;

static int track(const char *tmp)
{
	int slot = -1;

	pthread_mutex_lock(&track_mu);
	for (int i = 0; i < TRACK_MAX && slot < 0; i++)
		if (tracked[i] == NULL) {
			tracked[i] = tmp;
			slot = i;
		}
	pthread_mutex_unlock(&track_mu);
	return slot;
}

static void untrack(struct atomic_file *af)
{
	if (af->slot < 0)
		return;
	pthread_mutex_lock(&track_mu);
	tracked[af->slot] = NULL;
	pthread_mutex_unlock(&track_mu);
	af->slot = -1;
}

void atomic_unlink_all(void)
{
	for (int i = 0; i < TRACK_MAX; i++) {
		const char *t = tracked[i];
		if (t != NULL)
			(void)unlink(t);
	}
}

/* fsyncs the folder holding path, so a rename or link survives a crash. */
static int sync_dir_of(const char *path, struct tem_err *err)
{
	char dir[4096];
	int fd;

	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return err_set(err, "%s: path too long", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, "%s: %s", dir, strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return err_set(err, "%s: fsync: %s", dir, strerror(e));
	}
	close(fd);
	return TEM_OK;
}

int atomic_open(struct atomic_file *af, const char *path, mode_t mode, int overwrite,
		struct tem_err *err)
{
	struct stat st;

	af->fd = -1;
	af->tmp[0] = '\0';
	af->overwrite = overwrite;
	af->mode = mode;
	af->slot = -1;
	if (path[0] == '\0')
		return err_set(err, "empty output file name");
	if (snprintf(af->path, sizeof af->path, "%s", path) >= (int)sizeof af->path ||
	    snprintf(af->tmp, sizeof af->tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof af->tmp)
		return err_set(err, "%s: path too long", path);
	if (!overwrite && lstat(path, &st) == 0)
		return err_set(err, "%s: already exists (use -f to overwrite)", path);
	af->fd = mkostemp(af->tmp, O_CLOEXEC);
	if (af->fd < 0) {
		int e = errno;
		af->tmp[0] = '\0';
		return err_set(err, "%s: cannot create: %s", path, strerror(e));
	}
	af->slot = track(af->tmp);
	/* mkostemp made it 0600; locked until it is committed or removed (atomic_clean_stale) */
	if (flock(af->fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		atomic_abort(af);
		return err_set(err, "%s: lock: %s", path, strerror(e));
	}
	return TEM_OK;
}

int atomic_write(struct atomic_file *af, const void *buf, size_t len, struct tem_err *err)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(af->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(err, "%s: write: %s", af->path,
				       n < 0 ? strerror(errno) : "short write");
		p += n;
		len -= (size_t)n;
	}
	return TEM_OK;
}

int atomic_commit(struct atomic_file *af, struct tem_err *err)
{
	int e;

	if (af->fd < 0)
		return err_set(err, "%s: not open", af->path);
	if (fchmod(af->fd, af->mode) != 0) {
		e = errno;
		atomic_abort(af);
		return err_set(err, "%s: chmod: %s", af->path, strerror(e));
	}
	if (fsync(af->fd) != 0) {
		e = errno;
		atomic_abort(af);
		return err_set(err, "%s: fsync: %s", af->path, strerror(e));
	}
	if (close(af->fd) != 0) {
		e = errno;
		af->fd = -1;
		atomic_abort(af);
		return err_set(err, "%s: close: %s", af->path, strerror(e));
	}
	af->fd = -1;
	if (af->overwrite) {
		if (rename(af->tmp, af->path) != 0) {
			e = errno;
			atomic_abort(af);
			return err_set(err, "%s: rename: %s", af->path, strerror(e));
		}
	} else {
		/* link(2) fails when the target exists: no window where another writer's file
		 * is silently replaced. */
		if (link(af->tmp, af->path) != 0) {
			e = errno;
			atomic_abort(af);
			if (e == EEXIST)
				return err_set(err, "%s: already exists (use -f to overwrite)",
					       af->path);
			return err_set(err, "%s: %s", af->path, strerror(e));
		}
		unlink(af->tmp);
	}
	untrack(af);
	af->tmp[0] = '\0';
	return sync_dir_of(af->path, err);
}

void atomic_abort(struct atomic_file *af)
{
	if (af->fd >= 0) {
		close(af->fd);
		af->fd = -1;
	}
	if (af->tmp[0] != '\0') {
		unlink(af->tmp);
		untrack(af);
		af->tmp[0] = '\0';
	}
}

int atomic_clean_stale(const char *path, int *removed, struct tem_err *err)
{
	char dir[4096], base[4096], full[8300];
	struct dirent *d;
	DIR *dp;
	size_t bn;
	int n = 0;

	if (removed != NULL)
		*removed = 0;
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir ||
	    snprintf(base, sizeof base, "%s", path) >= (int)sizeof base)
		return err_set(err, "%s: path too long", path);
	const char *dn = dirname(dir), *b = basename(base);
	bn = strlen(b);
	if ((dp = opendir(dn)) == NULL)
		return err_set(err, "%s: %s", dn, strerror(errno));
	while ((d = readdir(dp)) != NULL) {
		/* exactly BASE.tmp-XXXXXX, as atomic_open names them */
		if (strlen(d->d_name) != bn + 11 || strncmp(d->d_name, b, bn) != 0 ||
		    strncmp(d->d_name + bn, ".tmp-", 5) != 0)
			continue;
		if (snprintf(full, sizeof full, "%s/%s", dn, d->d_name) >= (int)sizeof full)
			continue;
		int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		struct stat st;
		/* a lock held means a live writer: left alone */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(full) == 0)
			n++;
		close(fd);
	}
	closedir(dp);
	if (removed != NULL)
		*removed = n;
	return TEM_OK;
}

int file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode, int overwrite,
		      struct tem_err *err)
{
	struct atomic_file af;

	if (atomic_open(&af, path, mode, overwrite, err) != TEM_OK)
		return TEM_ERR;
	if (atomic_write(&af, buf, len, err) != TEM_OK) {
		atomic_abort(&af);
		return TEM_ERR;
	}
	return atomic_commit(&af, err);
}

int file_read_all(const char *path, size_t max, char **buf, size_t *len, struct tem_err *err)
{
	struct stat st;
	char *p = NULL;
	size_t got = 0;
	int fd, rc = TEM_ERR;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, "%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		err_set(err, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL) {
		err_set(err, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t n;
		if (got == (size_t)st.st_size) {
			/* the file may have grown since fstat: one byte more means too large */
			char extra;
			n = read(fd, &extra, 1);
			if (n > 0) {
				err_set(err, "%s: changed while being read", path);
				goto out;
			}
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, "%s: read: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	p[got] = '\0';
	*buf = p;
	*len = got;
	p = NULL;
	rc = TEM_OK;
out:
	free(p);
	close(fd);
	return rc;
}

void file_remove_quiet(const char *path)
{
	(void)unlink(path);
}
