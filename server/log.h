/* log.h — temd's log: one line per event on stderr, with its level. Under systemd (stderr is
 * the journal stream JOURNAL_STREAM names) a line is "<N>message", N the syslog priority, and
 * journald adds the time and program name; elsewhere it is "TIME temd LEVEL: message". The
 * optional access log (--access-log FILE) gets one line per answered request. Thread-safe:
 * each line is one write(2). */
#ifndef TEM_LOG_H
#define TEM_LOG_H

#include <stddef.h>

#include "keys/err.h"

/* syslog's priorities, which journald reads from the "<N>" prefix */
enum log_level {
	LOG_LV_ERROR = 3,   /* temd cannot do what it was asked: start-up failures */
	LOG_LV_WARNING = 4, /* something an operator should look at: duplicate alerts */
	LOG_LV_NOTICE = 5,  /* start, stop, migrations, trust list reloads */
	LOG_LV_INFO = 6     /* routine events: batches registered */
};

/* Looks at JOURNAL_STREAM once, before the first line; calling it again is harmless. */
void log_init(void);

/* Writes one log line at level; newlines in the message become spaces. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens (creating 0640, appending) the access log at path. TEM_OK, or TEM_ERR with err set. */
int log_access_open(const char *path, struct tem_err *err);

/* Reopens the access log at the same path (SIGHUP, after logrotate moved it). TEM_OK, or
 * TEM_ERR with err set, the old file kept. */
int log_access_reopen(struct tem_err *err);

/* Appends "TIME METHOD ROUTE STATUS BYTES" to the access log, when one is open, and
 * " token=NAME" (NAME to the end of the line) for a regulator's request (who: its API token's
 * name, never the token; NULL for others). Only the route pattern is written ("/c/{code}"):
 * the access log holds no codes and no client addresses, as the ledger holds no raw
 * addresses. */
void log_access(const char *method, const char *route, unsigned status, size_t bytes,
		const char *who);

/* Closes the access log. */
void log_access_close(void);

#endif
