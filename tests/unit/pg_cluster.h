/* pg_cluster.h — what the PostgreSQL unit tests (test_ledger_pg.c, test_ledger_pg_query.c)
 * share: a throwaway cluster (tests/pg/cluster.sh) started before a test group and removed
 * after it, a fresh database of it per test, and one sequence of ledger jobs (producers,
 * batches, scans from networks with and without cookies, duplicates, unregistered and revoked
 * codes, claims with both wrong-PIN limits, sold codes, an invalid burst and an alert's
 * workflow). Header-only, like testutil.h, so each test binary stays one file. */
#ifndef TEM_PG_CLUSTER_H
#define TEM_PG_CLUSTER_H

#include "tests/unit/testutil.h"

#include <libpq-fe.h>

#include "server/alert.h"
#include "server/ledger.h"

#define PGBIN "/usr/lib/postgresql/15/bin"
#define KEY   "3F9A0C21D4E5B6A7"
#define KEY2  "0000000000000001"
#define T0    1795600000000LL

static char pg_cluster[64]; /* the cluster's folder; "" when PostgreSQL is absent */
static char pg_cluster_script[512];
static int pg_cluster_ndb; /* databases made so far */

/* Runs tests/pg/cluster.sh what ("start", "stop") on the cluster; system's status. */
static inline int pg_cluster_cmd(const char *what)
{
	char cmd[800];

	snprintf(cmd, sizeof cmd, "sh '%s' %s '%s' >&2", pg_cluster_script, what, pg_cluster);
	return system(cmd);
}

/* cmocka group setup: starts a cluster in a new folder under /tmp; without PostgreSQL 15 says
 * the group is skipped and leaves pg_cluster empty. 0, or -1 when the cluster cannot start. */
static inline int pg_cluster_setup(void **state)
{
	(void)state;
	if (access(PGBIN "/initdb", X_OK) != 0) {
		printf("# skipped: no PostgreSQL 15 binaries in " PGBIN
		       " (tests/deps.sh installs Debian's postgresql)\n");
		return 0;
	}
	snprintf(pg_cluster_script, sizeof pg_cluster_script, "%s/tests/pg/cluster.sh",
		 TEM_SOURCE_DIR);
	if (access(pg_cluster_script, R_OK) != 0) {
		fprintf(stderr, "%s: not found (run the tests from the source tree)\n",
			pg_cluster_script);
		return -1;
	}
	snprintf(pg_cluster, sizeof pg_cluster, "/tmp/tem-pg.XXXXXX");
	if (mkdtemp(pg_cluster) == NULL || pg_cluster_cmd("start") != 0) {
		fprintf(stderr, "cannot start the test cluster in %s\n", pg_cluster);
		return -1;
	}
	return 0;
}

/* cmocka group teardown: stops the cluster and removes its folder. 0, or -1 when it could not
 * be removed. */
static inline int pg_cluster_teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (pg_cluster[0] == '\0')
		return 0;
	pg_cluster_cmd("stop");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", pg_cluster);
	return system(cmd) == 0 ? 0 : -1;
}

/* A fresh database of the cluster; its conninfo in out (cap bytes). */
static inline void pg_cluster_new_db(char *out, size_t cap)
{
	char admin[256], q[64];
	PGconn *c;
	PGresult *res;

	snprintf(admin, sizeof admin, "host=%s user=tem dbname=postgres", pg_cluster);
	c = PQconnectdb(admin);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	snprintf(q, sizeof q, "CREATE DATABASE t%d", ++pg_cluster_ndb);
	res = PQexec(c, q);
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(c);
	snprintf(out, cap, "host=%s user=tem dbname=t%d", pg_cluster, pg_cluster_ndb);
}

/* Where a test comparing both engines keeps them: a scratch folder (scratch_remove removes it)
 * with the SQLite ledger's path and its lock file's, and a fresh database of the cluster. */
struct pg_pair {
	const char *dir;
	char path[300], lock[320], conninfo[256];
};

static inline void pg_pair_new(struct pg_pair *p)
{
	p->dir = scratch_dir();
	snprintf(p->path, sizeof p->path, "%s/l.db", p->dir);
	snprintf(p->lock, sizeof p->lock, "%s/l.db.lock", p->dir);
	pg_cluster_new_db(p->conninfo, sizeof p->conninfo);
}

/* Skips the running test when the group found no PostgreSQL. */
#define SKIP_WITHOUT_PG()                                                                          \
	do {                                                                                       \
		if (pg_cluster[0] == '\0')                                                         \
			skip();                                                                    \
	} while (0)

/* --- one sequence of jobs ---------------------------------------------------------------- */

static const struct ledger_producer producers[] = {
    {KEY, "RWQ3F9A0C21D4E5B6A7=", "HTX Năm Căn", 19000, -1},
    {KEY2, "RWQ0000000000000001=", "Old producer", 19000, 19500},
};
static const unsigned char sealed[48] = {1, 2, 3};

enum { N_JOBS = 64 };

/* Fills job i of the sequence (0 <= i < N_JOBS); 0 when the sequence has ended. */
static inline int build(int i, struct ledger_job *j)
{
	int64_t at = T0 + (int64_t)i * 60000 + (i >= 34 ? 86400000LL : 0); /* a second day */
	struct ledger_scan *s = &j->u.scan;
	struct ledger_claim *c = &j->u.claim;

	memset(j, 0, sizeof *j);
	/* scan(serial, net, cookie, base) and claim(serial, net, pin_right, check_only) */
#define SCAN(ser, nw, ck, b)                                                                       \
	(j->kind = JOB_SCAN, strcpy(s->key_id, KEY), s->serial = (ser), s->client[0] = (nw),       \
	 s->client[1] = 0xAA, s->cookie[0] = (ck), s->has_cookie = (ck) != 0, s->at_ms = at,       \
	 s->facts = (struct verdict_facts){.base = (b), .threshold = 2})
#define CLAIM(ser, nw, right, chk)                                                                 \
	(j->kind = JOB_CLAIM, strcpy(c->key_id, KEY), c->serial = (ser), c->net[0] = (nw),         \
	 c->at_ms = at, c->code_limit = 3, c->net_limit = 4, c->pin_right = (right),               \
	 c->check_only = (chk))
	switch (i) {
	case 0:
		j->kind = JOB_PRODUCER;
		j->u.producers.list = producers;
		j->u.producers.n = 2;
		j->u.producers.sequence = 7;
		return 1;
	case 1:
	case 2:
	case 3:
	case 4: {
		static const char *const hdr[] = {"batch one", "batch two", "batch one",
						  "batch one again"};
		j->kind = JOB_BATCH;
		strcpy(j->u.batch.key_id, KEY);
		j->u.batch.first = i == 2 ? 101 : 1;
		j->u.batch.last = i == 2 ? 200 : i == 4 ? 50 : 100;
		j->u.batch.batch_id = i == 2 ? "B2" : "B1";
		j->u.batch.product = "Cua";
		j->u.batch.producer = "HTX";
		j->u.batch.url = "HTTPS://TEM.EXAMPLE.VN";
		j->u.batch.issued = 1795000000;
		j->u.batch.last_day = i == 2 ? 0 : 20800;
		j->u.batch.header = hdr[i - 1];
		j->u.batch.at_ms = at;
		if (i != 2) {
			j->u.batch.claim_key = sealed;
			j->u.batch.claim_key_len = sizeof sealed;
		}
		return 1;
	}
	case 5:
		return SCAN(5, 1, 0, V_GENUINE), 1;
	case 6:
		return SCAN(5, 1, 0, V_GENUINE), 1;
	case 7:
		return SCAN(5, 2, 0, V_GENUINE), 1;
	case 8:
		return SCAN(5, 3, 'A', V_GENUINE), 1;
	case 9:
		return SCAN(5, 4, 'A', V_GENUINE), 1;
	case 10:
		return SCAN(5, 5, 0, V_GENUINE), 1;
	case 11:
		return SCAN(5, 6, 'C', V_GENUINE), 1;
	case 12:
		return SCAN(5, 1, 0, V_GENUINE), 1;
	case 13:
		return SCAN(150, 1, 'B', V_GENUINE), 1;
	case 14:
		return SCAN(150, 2, 'B', V_GENUINE), 1;
	case 15:
		return SCAN(150, 2, 0, V_GENUINE), 1;
	case 16:
		return SCAN(500, 1, 0, V_UNREGISTERED), 1;
	case 17:
		return SCAN(500, 1, 0, V_UNREGISTERED), 1;
	case 18:
		return SCAN(7, 1, 0, V_REVOKED), strcpy(s->key_id, KEY2), 1;
	case 19:
		return CLAIM(9, 7, 0, 0), 1;
	case 20:
		return CLAIM(9, 7, 0, 0), 1;
	case 21:
		return CLAIM(9, 7, 0, 0), 1; /* the code's limit: claim-guessing */
	case 22:
		return CLAIM(9, 7, 1, 0), 1; /* limited, though right */
	case 23:
		return CLAIM(10, 8, 1, 0), 1;
	case 24:
		return CLAIM(10, 8, 1, 0), 1;
	case 25:
		return CLAIM(10, 9, 1, 0), 1;
	case 26:
		return CLAIM(11, 9, 1, 1), 1;
	case 27:
		return SCAN(10, 8, 0, V_GENUINE), 1;
	case 28:
		return SCAN(10, 9, 0, V_GENUINE), 1; /* sold */
	case 29:
		return CLAIM(20, 10, 0, 0), 1;
	case 30:
		return CLAIM(21, 10, 0, 0), 1;
	case 31:
		return CLAIM(22, 10, 0, 0), 1;
	case 32:
		return CLAIM(23, 10, 0, 0), 1;
	case 33:
		return CLAIM(24, 10, 0, 0), 1; /* the network's limit */
	case 34:
		j->kind = JOB_ALERT;
		j->u.alert.type = ALERT_INVALID_BURST;
		strcpy(j->u.alert.key_id, KEY);
		j->u.alert.events = 5;
		j->u.alert.first_ms = at - 1000;
		j->u.alert.at_ms = at;
		return 1;
	case 35:
		j->kind = JOB_ALERT_UPDATE;
		j->u.alert_update.id = 1; /* the duplicate of serial 5 */
		j->u.alert_update.status = ALERT_CLOSED;
		j->u.alert_update.reason = ALERT_REASON_BUYER;
		j->u.alert_update.note = "one family";
		j->u.alert_update.by = "regulator";
		j->u.alert_update.at_ms = at;
		return 1;
	case 36:
		j->kind = JOB_ALERT_UPDATE;
		j->u.alert_update.id = 1;
		j->u.alert_update.producer = KEY2; /* not its producer */
		j->u.alert_update.status = ALERT_INVESTIGATING;
		j->u.alert_update.by = "producer";
		j->u.alert_update.at_ms = at;
		return 1;
	case 37:
		j->kind = JOB_ALERT_UPDATE;
		j->u.alert_update.id = 999;
		j->u.alert_update.status = ALERT_INVESTIGATING;
		j->u.alert_update.by = "regulator";
		j->u.alert_update.at_ms = at;
		return 1;
	case 38:
		return SCAN(5, 11, 0, V_GENUINE), 1; /* reopens the duplicate */
	case 39:
		return SCAN(5, 2, 0, V_GENUINE), 1;
	case 40:
		return SCAN(150, 3, 'B', V_GENUINE), 1;
	case 41:
		return SCAN(150, 4, 'B', V_GENUINE), 1; /* B on a 4th network links none */
	case 42:
		return SCAN(150, 5, 0, V_EXPIRED), 1;
	default:
		return 0;
	}
#undef SCAN
#undef CLAIM
}

#endif
