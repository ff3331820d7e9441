/* log.c — one line per event, with its level, for a terminal, a file or the journal; and the
 * access log. */
#include "server/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int journal = -1;   /* 1 when stderr is the journal's stream; -1 before log_init */
static int access_fd = -1; /* the access log, -1 when none */
static char access_path[4096];

void log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected; a child whose stderr
	 * was redirected elsewhere must not speak journald's prefix into a file */
	journal = js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
		  (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Writes all of buf to fd; a log line that cannot be written is dropped. */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* The time now as "2026-11-25T08:30:00Z" in out. */
static void now_iso(char out[21])
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(out, "-");
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[8] = {"emergency", "alert",  "critical", "error",
					     "warning",   "notice", "info",     "debug"};
	char line[1200], when[21];
	va_list ap;
	int n, m;

	if (journal < 0)
		log_init();
	if (journal) {
		n = snprintf(line, sizeof line, "<%d>", (int)level);
	} else {
		now_iso(when);
		n = snprintf(line, sizeof line, "%s temd %s: ", when, names[level & 7]);
	}
	if (n < 0)
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2; /* truncated, still one line */
	for (int i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	write_all(2, line, (size_t)n);
}

/* Opens path for appending. The descriptor, or -1 with err set. */
static int open_access(const char *path, struct tem_err *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);

	if (fd < 0)
		err_set(err, "--access-log %s: %s", path, strerror(errno));
	return fd;
}

int log_access_open(const char *path, struct tem_err *err)
{
	int fd;

	if (strlen(path) >= sizeof access_path)
		return err_set(err, "--access-log: the path is too long");
	if ((fd = open_access(path, err)) < 0)
		return TEM_ERR;
	strcpy(access_path, path);
	access_fd = fd;
	return TEM_OK;
}

int log_access_reopen(struct tem_err *err)
{
	int fd;

	if (access_fd < 0)
		return TEM_OK;
	if ((fd = open_access(access_path, err)) < 0)
		return TEM_ERR;
	/* dup2 swaps the file under access_fd at once: a request thread writing now writes
	 * whole lines to the old file or to the new one */
	if (dup2(fd, access_fd) < 0) {
		close(fd);
		return err_set(err, "--access-log %s: %s", access_path, strerror(errno));
	}
	close(fd);
	return TEM_OK;
}

void log_access(const char *method, const char *route, unsigned status, size_t bytes,
		const char *who)
{
	char line[400], when[21];
	int n;

	if (access_fd < 0)
		return;
	now_iso(when);
	n = snprintf(line, sizeof line, "%s %s %s %u %zu%s%s\n", when, method, route, status, bytes,
		     who != NULL ? " token=" : "", who != NULL ? who : "");
	if (n > 0 && (size_t)n < sizeof line)
		write_all(access_fd, line, (size_t)n);
}

void log_access_close(void)
{
	if (access_fd >= 0)
		close(access_fd);
	access_fd = -1;
}
