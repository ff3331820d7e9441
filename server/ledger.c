/* ledger.c — the ledger interface (ledger.h, ledger_query.h, ledger_tokens.h) over its engines:
 * picks one from --db, runs the job queue and the group-commit writer every engine shares, keeps
 * the health figures, and hands every other call to the engine's table (ledger_backend.h, whose
 * design note says what is shared and what each engine keeps). No SQL here. */
#include "server/ledger.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys/date.h"
#include "server/alert.h"
#include "server/ledger_backend.h"
#include "server/ledger_backup.h"
#include "server/ledger_internal.h"
#include "server/ledger_query.h"
#include "server/ledger_tokens.h"
#include "server/ledger_window.h"
#include "server/log.h"

struct ledger_tokens {
	const struct ledger_backend *be;
	void *tdb; /* the engine's */
};

struct ledger {
	char name[4096]; /* the ledger for log lines: its path, or a PostgreSQL URI without its
			 * user and password */
	const struct ledger_backend *be;
	void *db; /* the engine's state */
	char where[4096];
	pthread_t writer;
	int started;
	pthread_mutex_t mu; /* guards the queue */
	pthread_cond_t cv;
	struct ledger_job *head, *tail;
	struct ledger_window win; /* the group window (server/ledger_window.h), under mu */
	int stop;
	struct ledger_tokens *tokens; /* ledger_tokens_of's, opened at its first call */
	pthread_mutex_t tmu;          /* guards tokens */
	atomic_llong scans;           /* counted scans in the ledger */
	atomic_long streak;           /* failed transactions since the last success: 0 = healthy */
	atomic_llong failed;          /* transactions failed since start */
	atomic_llong commits;         /* transactions committed since start */
	long unreported;              /* writer only: failures not yet logged */
	double reported;  /* writer only: when a failure was last logged (monotonic s) */
	double recovered; /* writer only: when "writes again" was last logged (monotonic s) */
	int idle_again;   /* writer only: the engine asked for an idle call within a second */
	int was_down;     /* writer only: the engine's store was away at the last look */
};

/* libpq's connection keywords: a --db whose first word is one of them followed by '=' is a
 * keyword connection string. */
static const char *const pg_keywords[] = {"host",
					  "hostaddr",
					  "port",
					  "dbname",
					  "user",
					  "password",
					  "passfile",
					  "connect_timeout",
					  "client_encoding",
					  "options",
					  "application_name",
					  "fallback_application_name",
					  "keepalives",
					  "sslmode",
					  "sslcert",
					  "sslkey",
					  "sslrootcert",
					  "service",
					  "target_session_attrs",
					  "channel_binding",
					  "gssencmode",
					  "require_auth"};

enum ledger_kind ledger_kind(const char *where)
{
	size_t n;

	if (strncmp(where, "postgres://", 11) == 0 || strncmp(where, "postgresql://", 13) == 0)
		return LEDGER_POSTGRESQL;
	while (isspace((unsigned char)*where))
		where++;
	for (n = 0; islower((unsigned char)where[n]) || where[n] == '_'; n++)
		;
	if (n == 0)
		return LEDGER_SQLITE;
	for (size_t i = 0; i < sizeof pg_keywords / sizeof pg_keywords[0]; i++) {
		if (strlen(pg_keywords[i]) != n || strncmp(where, pg_keywords[i], n) != 0)
			continue;
		while (isspace((unsigned char)where[n]))
			n++;
		return where[n] == '=' ? LEDGER_POSTGRESQL : LEDGER_SQLITE;
	}
	return LEDGER_SQLITE;
}

/* The engine where names, or NULL with err saying why there is none. */
static const struct ledger_backend *backend_of(const char *where, struct tem_err *err)
{
	(void)err;
	return ledger_kind(where) == LEDGER_SQLITE ? ledger_sqlite_backend() : ledger_pg_backend();
}

/* TEM_ERR with err saying that l's engine does not serve what (yet). */
static int unserved(const struct ledger_backend *be, const char *what, struct tem_err *err)
{
	return err_set(err, "a %s ledger does not serve %s yet", be->name, what);
}

/* Writes where for log lines into out (cap bytes): a path as it is; a PostgreSQL URI without
 * the user and password before '@' or its parameters after '?'; a keyword string only as
 * "PostgreSQL" with its dbname (its password must not reach a log). */
static void name_of(const char *where, char *out, size_t cap)
{
	if (ledger_kind(where) == LEDGER_SQLITE) {
		snprintf(out, cap, "%s", where);
	} else if (strstr(where, "://") != NULL) {
		const char *rest = strstr(where, "://") + 3, *at = strchr(rest, '@');
		int scheme = (int)(rest - where);
		if (at != NULL && (strchr(rest, '/') == NULL || at < strchr(rest, '/')))
			rest = at + 1;
		snprintf(out, cap, "%.*s%.*s", scheme, where, (int)strcspn(rest, "?"), rest);
	} else {
		const char *db = strstr(where, "dbname");
		snprintf(out, cap, "PostgreSQL%s%.*s", db != NULL ? " " : "",
			 db != NULL ? (int)strcspn(db, " \t") : 0, db != NULL ? db : "");
	}
}

/* --- the writer --- */

/* Logs a failed transaction (rc, the engine's code that failed it) that cost its jobs: the
 * first of a run at once with its cause, unless a failure was logged in the last
 * LEDGER_REPORT_SECONDS; otherwise at most one line every LEDGER_REPORT_SECONDS with the count
 * since (a full disk fails every transaction, and one bad page fails every scan of its codes:
 * the log must not fill the disk too). Counts it in streak and failed. Call it before the
 * engine's rollback, while its cause is still there to read. */
#define LEDGER_REPORT_SECONDS 10.0
static void report_failure(struct ledger *l, int rc)
{
	double now = date_mono_seconds();
	char why[768];

	atomic_fetch_add(&l->streak, 1);
	atomic_fetch_add(&l->failed, 1);
	l->unreported++;
	if (l->reported > 0 && now - l->reported < LEDGER_REPORT_SECONDS)
		return;
	char since[64] = "";
	if (l->unreported > 1)
		snprintf(since, sizeof since, ", %ld failed since the last report", l->unreported);
	l->be->describe(l->db, rc, why, sizeof why);
	log_msg(LOG_LV_ERROR,
		"%s: transaction failed: %s%s; its scans were answered 503 and not counted",
		l->name, why, since);
	l->unreported = 0;
	l->reported = now;
}

/* Notes a committed transaction: the ledger is healthy again. Logs "writes again" after a
 * failure, at most once every LEDGER_REPORT_SECONDS. */
static void note_success(struct ledger *l)
{
	long streak = atomic_exchange(&l->streak, 0);
	double now;

	if (streak == 0)
		return;
	now = date_mono_seconds();
	if (l->recovered > 0 && now - l->recovered < LEDGER_REPORT_SECONDS)
		return;
	log_msg(LOG_LV_NOTICE, "%s: writes again, after %ld failed transaction(s)", l->name,
		streak);
	l->recovered = now;
}

/* Logs what a committed job did that an operator must be told of once it is on disk: an
 * alert's workflow step, naming the token's name, the alert and its new status. */
static void log_committed(const struct ledger_job *job)
{
	const struct ledger_alert_update *u = &job->u.alert_update;

	if (job->kind != JOB_ALERT_UPDATE || job->status != LEDGER_OK)
		return;
	log_msg(LOG_LV_NOTICE, "alert %lld set %s%s%s by token %s", (long long)u->id,
		alert_status_name((enum alert_status)u->status),
		u->reason != ALERT_REASON_NONE ? ": " : "",
		u->reason != ALERT_REASON_NONE ? alert_reason_name((enum alert_reason)u->reason)
					       : "",
		u->by);
}

/* Runs the jobs from first up to end (excluded; NULL: the whole list) in one transaction and
 * commits it. *counted gets the scans among them. 0, or the engine's code that failed it (the
 * transaction is then still open, for report_failure to read its cause, then rollback). */
static int run_txn(struct ledger *l, struct ledger_job *first, struct ledger_job *end,
		   long long *counted)
{
	int rc;

	*counted = 0;
	if (l->be->run_group != NULL) {
		for (struct ledger_job *job = first; job != end; job = job->next)
			if (job->kind == JOB_SCAN)
				(*counted)++;
		rc = l->be->run_group(l->db, first, end);
		for (struct ledger_job *job = first; rc == 0 && job != end; job = job->next)
			log_committed(job);
		return rc;
	}
	rc = l->be->begin(l->db);
	for (struct ledger_job *job = first; rc == 0 && job != end; job = job->next) {
		job->status = LEDGER_OK;
		rc = l->be->run_job(l->db, job);
		if (job->kind == JOB_SCAN)
			(*counted)++;
	}
	if (rc == 0)
		rc = l->be->commit(l->db);
	for (struct ledger_job *job = first; rc == 0 && job != end; job = job->next)
		log_committed(job);
	return rc;
}

/* The engine's housekeeping after a group or while idle, when it has any. A store that was
 * away and can be reached again ends the failing streak: the transactions it failed are over,
 * and a server /healthz keeps failing would never get the scans to prove it writes again. */
static void idle(struct ledger *l)
{
	int down;

	l->idle_again = l->be->idle != NULL ? l->be->idle(l->db) : 0;
	if (l->be->down == NULL)
		return;
	down = l->be->down(l->db);
	if (l->was_down && !down)
		note_success(l);
	l->was_down = down;
}

/* The writer: takes every waiting job, runs them in one transaction, commits, answers. When
 * the group's transaction fails (a bind, a step, the commit) it is rolled back and, when it
 * held more than one job, each job is run again in a transaction of its own: only the jobs
 * that fail alone (a scan of a code on a damaged page, every job on a full disk) get
 * LEDGER_FAILED, and each such failure is counted (ledger_failing). done runs only once the
 * job's transaction has ended either way. */
static void *writer_main(void *arg)
{
	struct ledger *l = arg;

	for (;;) {
		struct ledger_job *group, *job, *next;
		long long counted;
		int rc;

		pthread_mutex_lock(&l->mu);
		while (l->head == NULL && !l->stop) {
			struct timespec ts;
			if (!l->idle_again) {
				pthread_cond_wait(&l->cv, &l->mu);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += 1;
			if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) == ETIMEDOUT &&
			    l->head == NULL && !l->stop) {
				pthread_mutex_unlock(&l->mu);
				idle(l);
				pthread_mutex_lock(&l->mu);
			}
		}
		/* jobs that come within the group window share the group's commit */
		if (l->head != NULL)
			ledger_window_wait(&l->win, &l->cv, &l->mu, &l->stop);
		group = l->head;
		l->head = l->tail = NULL;
		ledger_window_take(&l->win);
		pthread_mutex_unlock(&l->mu);
		if (group == NULL)
			break; /* stopping, and nothing left */

		rc = run_txn(l, group, NULL, &counted);
		if (rc == 0) {
			note_success(l);
			atomic_fetch_add(&l->scans, counted);
			atomic_fetch_add(&l->commits, 1);
		} else if (group->next == NULL || rc < 0) {
			report_failure(l, rc);
			l->be->rollback(l->db);
			for (job = group; job != NULL; job = job->next)
				job->status = LEDGER_FAILED;
		} else {
			l->be->rollback(l->db); /* not counted: each job now runs alone */
			for (job = group; job != NULL; job = job->next) {
				rc = run_txn(l, job, job->next, &counted);
				if (rc == 0) {
					note_success(l);
					atomic_fetch_add(&l->scans, counted);
					atomic_fetch_add(&l->commits, 1);
					continue;
				}
				report_failure(l, rc);
				l->be->rollback(l->db);
				job->status = LEDGER_FAILED;
			}
		}
		idle(l);
		for (job = group; job != NULL; job = next) {
			next = job->next; /* done may free the job */
			if (job->done != NULL)
				job->done(job, job->arg);
		}
		ledger_window_done(&l->win);
	}
	return NULL;
}

/* --- opening and closing --- */

int ledger_open(const char *where, struct ledger **out, struct tem_err *err)
{
	return ledger_open_flags(where, 0, out, err);
}

int ledger_open_flags(const char *where, int flags, struct ledger **out, struct tem_err *err)
{
	const struct ledger_backend *be;
	struct ledger *l;
	int64_t scans = 0;

	*out = NULL;
	if ((be = backend_of(where, err)) == NULL)
		return TEM_ERR;
	if ((l = calloc(1, sizeof *l)) == NULL)
		return err_set(err, "out of memory");
	if (strlen(where) >= sizeof l->where) {
		free(l);
		return err_set(err, "ledger path too long");
	}
	strcpy(l->where, where);
	name_of(where, l->name, sizeof l->name);
	l->be = be;
	pthread_mutex_init(&l->mu, NULL);
	pthread_mutex_init(&l->tmu, NULL);
	/* the writer's timed waits (its idle call, the group window) run on the monotonic clock:
	 * setting the time of day never stretches them */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (be->open(l->where, flags, &l->db, &scans, err) != TEM_OK)
		goto fail;
	atomic_store(&l->scans, scans);
	if (pthread_create(&l->writer, NULL, writer_main, l) != 0) {
		err_set(err, "cannot start the ledger writer");
		goto fail;
	}
	l->started = 1;
	*out = l;
	return TEM_OK;
fail:
	ledger_close(l);
	return TEM_ERR;
}

void ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->writer, NULL);
		if (l->unreported > 0)
			log_msg(LOG_LV_ERROR, "%s: %ld failed transaction(s) since the last report",
				l->name, l->unreported);
	}
	/* the reads' and the tokens' connections first: SQLite removes its WAL file when the
	 * engine's last connection closes */
	if (l->db != NULL)
		lq_close(l);
	ledger_tokens_close(l->tokens);
	if (l->db != NULL)
		l->be->close(l->db);
	pthread_mutex_destroy(&l->mu);
	pthread_mutex_destroy(&l->tmu);
	pthread_cond_destroy(&l->cv);
	free(l);
}

/* --- jobs --- */

void ledger_submit(struct ledger *l, struct ledger_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&l->mu);
	if (l->tail != NULL)
		l->tail->next = job;
	else
		l->head = job;
	l->tail = job;
	if (ledger_window_add(&l->win))
		pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

static void wake(struct ledger_job *job, void *arg)
{
	struct waiter *w = arg;

	(void)job;
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

enum ledger_status ledger_run(struct ledger *l, struct ledger_job *job)
{
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

	job->done = wake;
	job->arg = &w;
	ledger_submit(l, job);
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return job->status;
}

enum ledger_status ledger_bind_check(struct ledger *l, const char *sql_text, const char *name,
				     struct tem_err *err)
{
	struct ledger_job job;
	enum ledger_status st;

	err->msg[0] = '\0';
	if (l->be->check == NULL) {
		err_set(err, "the %s ledger has no statement check", l->be->name);
		return LEDGER_FAILED;
	}
	memset(&job, 0, sizeof job);
	job.kind = (enum ledger_job_kind)LEDGER_JOB_CHECK;
	l->be->check(l->db, sql_text, name, err);
	st = ledger_run(l, &job);
	if (st == LEDGER_FAILED && err->msg[0] == '\0')
		err_set(err, "the transaction failed (see the log)");
	return st;
}

/* --- the rest, each the engine's --- */

int ledger_salt(const struct ledger *l, unsigned char out[LEDGER_SALT_BYTES])
{
	return l->be->salt(l->db, out);
}

int ledger_forget_salt(struct ledger *l, struct tem_err *err)
{
	struct ledger_job job;

	memset(&job, 0, sizeof job);
	job.kind = (enum ledger_job_kind)LEDGER_JOB_FORGET_SALT;
	if (ledger_run(l, &job) != LEDGER_OK)
		return err_set(err, "%s: cannot remove the client salt from table meta", l->name);
	l->be->forgot_salt(l->db);
	return TEM_OK;
}

int ledger_each_batch(struct ledger *l,
		      int (*fn)(void *arg, const struct ledger_batch_row *b, struct tem_err *err),
		      void *arg, struct tem_err *err)
{
	return l->be->each_batch(l->db, -1, fn, arg, err);
}

int ledger_each_batch_after(struct ledger *l, int64_t after,
			    int (*fn)(void *arg, const struct ledger_batch_row *b,
				      struct tem_err *err),
			    void *arg, struct tem_err *err)
{
	return l->be->each_batch(l->db, after < 0 ? 0 : after, fn, arg, err);
}

int ledger_claim_info(struct ledger *l, const char *key_id, uint64_t serial,
		      struct ledger_claim_info *out, struct tem_err *err)
{
	return l->be->claim_info(l->db, key_id, serial, out, err);
}

int ledger_trust_sequence(struct ledger *l, uint64_t *seq, struct tem_err *err)
{
	return l->be->trust_sequence(l->db, seq, err);
}

int ledger_failing(struct ledger *l, int64_t *failed)
{
	if (failed != NULL)
		*failed = atomic_load(&l->failed);
	return atomic_load(&l->streak) > 0 || (l->be->down != NULL && l->be->down(l->db));
}

int64_t ledger_commits(struct ledger *l)
{
	return atomic_load(&l->commits);
}

void ledger_stats(struct ledger *l, int64_t *scans, int64_t *bytes)
{
	*scans = atomic_load(&l->scans);
	*bytes = l->be->bytes(l->db);
}

int ledger_backup(const char *where, const char *out, int force, struct backup_result *res,
		  struct tem_err *err)
{
	const struct ledger_backend *be = backend_of(where, err);

	if (be == NULL)
		return TEM_ERR;
	if (be->backup == NULL)
		return err_set(err,
			       "a %s ledger is backed up with its own tools (pg_dump, base "
			       "backups), not temd backup",
			       be->name);
	return be->backup(where, out, force, res, err);
}

/* --- the regulator reads (ledger_query.h) --- */

void lq_filter_all(struct lq_filter *f)
{
	memset(f, 0, sizeof *f);
	f->type = -1;
	f->status = -1;
}

int lq_open(struct ledger *l, struct tem_err *err)
{
	if (l->be->lq_open == NULL)
		return TEM_OK; /* nothing to open: each read says it is not served */
	return l->be->lq_open(l->db, l->where, err);
}

void lq_close(struct ledger *l)
{
	if (l->be->lq_close != NULL)
		l->be->lq_close(l->db);
}

int lq_batches(struct ledger *l, const struct lq_filter *f, int64_t after, size_t limit,
	       int (*fn)(void *arg, const struct lq_batch *b, struct tem_err *err), void *arg,
	       int64_t *next, struct tem_err *err)
{
	if (l->be->lq_batches == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_batches(l->db, f, after, limit, fn, arg, next, err);
}

int lq_code(struct ledger *l, const char *key_id, uint64_t serial, struct lq_code *out,
	    struct tem_err *err)
{
	if (l->be->lq_code == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_code(l->db, key_id, serial, out, err);
}

int lq_code_scans(struct ledger *l, const char *key_id, uint64_t serial, int64_t after,
		  size_t limit, int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err),
		  void *arg, int64_t *next, struct tem_err *err)
{
	if (l->be->lq_code_scans == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_code_scans(l->db, key_id, serial, after, limit, fn, arg, next, err);
}

int lq_scans(struct ledger *l, const struct lq_filter *f, int64_t after, size_t limit,
	     int (*fn)(void *arg, const struct lq_scan *s, struct tem_err *err), void *arg,
	     int64_t *next, struct tem_err *err)
{
	if (l->be->lq_scans == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_scans(l->db, f, after, limit, fn, arg, next, err);
}

int lq_alerts(struct ledger *l, const struct lq_filter *f, int64_t after, size_t limit,
	      int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
	      int64_t *next, struct tem_err *err)
{
	if (l->be->lq_alerts == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_alerts(l->db, f, after, limit, fn, arg, next, err);
}

int lq_alert(struct ledger *l, const struct lq_filter *f, int64_t id,
	     int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
	     int *found, struct tem_err *err)
{
	if (l->be->lq_alert == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_alert(l->db, f, id, fn, arg, found, err);
}

int lq_alert_changes(struct ledger *l, int64_t id,
		     int (*fn)(void *arg, const struct lq_alert_change *c, struct tem_err *err),
		     void *arg, struct tem_err *err)
{
	if (l->be->lq_alert_changes == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_alert_changes(l->db, id, fn, arg, err);
}

int lq_code_alerts(struct ledger *l, const char *key_id, uint64_t serial,
		   int (*fn)(void *arg, const struct lq_alert *a, struct tem_err *err), void *arg,
		   struct tem_err *err)
{
	if (l->be->lq_code_alerts == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_code_alerts(l->db, key_id, serial, fn, arg, err);
}

int lq_stats(struct ledger *l, const struct lq_filter *f, int32_t from_day, int32_t to_day,
	     enum lq_by by, int (*fn)(void *arg, const struct lq_stat *s, struct tem_err *err),
	     void *arg, struct tem_err *err)
{
	if (l->be->lq_stats == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_stats(l->db, f, from_day, to_day, by, fn, arg, err);
}

int lq_producers(struct ledger *l, const struct lq_filter *f,
		 int (*fn)(void *arg, const struct lq_producer *p, struct tem_err *err), void *arg,
		 struct tem_err *err)
{
	if (l->be->lq_producers == NULL)
		return unserved(l->be, "the regulator reads", err);
	return l->be->lq_producers(l->db, f, fn, arg, err);
}

/* --- API tokens (ledger_tokens.h) --- */

int ledger_tokens_open(const char *where, int write, struct ledger_tokens **out,
		       struct tem_err *err)
{
	const struct ledger_backend *be;
	struct ledger_tokens *lt;

	*out = NULL;
	if ((be = backend_of(where, err)) == NULL)
		return TEM_ERR;
	if ((lt = calloc(1, sizeof *lt)) == NULL)
		return err_set(err, "out of memory");
	lt->be = be;
	if (be->tokens_open == NULL) {
		free(lt);
		return unserved(be, "API tokens", err);
	}
	if (be->tokens_open(where, write, &lt->tdb, err) != TEM_OK) {
		free(lt);
		return TEM_ERR;
	}
	*out = lt;
	return TEM_OK;
}

int ledger_tokens_of(struct ledger *l, struct ledger_tokens **out, struct tem_err *err)
{
	int rc = TEM_OK;

	pthread_mutex_lock(&l->tmu);
	if (l->tokens == NULL)
		rc = ledger_tokens_open(l->where, 0, &l->tokens, err);
	*out = l->tokens;
	pthread_mutex_unlock(&l->tmu);
	return rc;
}

void ledger_tokens_close(struct ledger_tokens *lt)
{
	if (lt == NULL)
		return;
	if (lt->be->tokens_close != NULL)
		lt->be->tokens_close(lt->tdb);
	free(lt);
}

int ledger_tokens_find(struct ledger_tokens *lt, const unsigned char hash[TOKENS_HASH_BYTES],
		       struct token_row *row, struct tem_err *err)
{
	if (lt->be->tokens_find == NULL)
		return unserved(lt->be, "API tokens", err);
	return lt->be->tokens_find(lt->tdb, hash, row, err);
}

int ledger_tokens_add(struct ledger_tokens *lt, const struct token_row *row, struct tem_err *err)
{
	if (lt->be->tokens_add == NULL)
		return unserved(lt->be, "API tokens", err);
	return lt->be->tokens_add(lt->tdb, row, err);
}

int ledger_tokens_revoke(struct ledger_tokens *lt, const char *name, int64_t now_ms,
			 struct tem_err *err)
{
	if (lt->be->tokens_revoke == NULL)
		return unserved(lt->be, "API tokens", err);
	return lt->be->tokens_revoke(lt->tdb, name, now_ms, err);
}

int ledger_tokens_each(struct ledger_tokens *lt, int (*fn)(void *arg, const struct token_row *row),
		       void *arg, struct tem_err *err)
{
	if (lt->be->tokens_each == NULL)
		return unserved(lt->be, "API tokens", err);
	return lt->be->tokens_each(lt->tdb, fn, arg, err);
}
