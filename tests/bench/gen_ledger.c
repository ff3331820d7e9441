/* gen_ledger.c — the bench ledger of make bench (tests/bench/bench_api.sh): by default 10
 * million counted scans of 1 million codes of 100 producers over 60 days, written through the
 * ledger code itself (server/ledger.h): a JOB_PRODUCER job from a real signed trust list,
 * JOB_BATCH jobs with real signed batch headers (temd checks them again at start), then every
 * scan and claim as JOB_SCAN and JOB_CLAIM jobs in time order, submitted thousands at a time so
 * the writer's group commit takes them in large transactions. What the writer does with them
 * (verdicts, alerts, daily roll-ups) is the writer's own: nothing here writes SQL.
 *
 * The mix, drawn per code from a seeded generator (the same arguments give the same ledger):
 *   most codes: a few scans from one network, or two (the buyer's Wi-Fi and 4G, linked by
 *     their cookie, or two buyers: seen);
 *   2.5%: copied labels, scanned from 4 to 24 networks (duplicate alerts);
 *   12%: claimed at sale by their buyer, a quarter of them scanned later from other networks
 *     (sold, sold-then-scanned alerts);
 *   0.05%: wrong claim PINs on one code until its daily limit (claim-guessing alerts);
 *   1%: serials outside every registered batch (unregistered alerts);
 *   the first batch of every tenth producer has a last valid day mid-window (expired scans).
 * Scan times spread over the window, each code's scans within a few days of its first.
 *
 * Usage: gen_ledger DIR [--scans N] [--codes N] [--producers N] [--days N] [--seed N]
 * Makes DIR (which must not exist) with ledger.db (temd makes its secret file at its first
 * start), trust.list, trust.list.minisig, authority.pub, writer.log (the ledger's log lines),
 * info: "name value" lines (version, scans, claims, codes, producers, days, first_ms, end_ms,
 * jobs per second), and sample: "KEYID SERIAL SCANS" lines of 1000 codes for the timing of
 * one code's history.
 * Prints progress on stderr. Exit 0, or 1 with a sentence on stderr. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keys/date.h"
#include "keys/err.h"
#include "keys/keys.h"
#include "keys/sig.h"
#include "keys/trust.h"
#include "label/batch.h"
#include "server/ledger.h"
#include "server/verdict.h"

/* Bumped whenever the ledger this program makes changes for the same arguments (bench_api.sh
 * keys its cache by this file and the ledger's schema). */
#define GEN_VERSION 1

#define DAY_MS       86400000LL
#define MAX_EVENTS   160   /* events of one code's schedule, at most */
#define CHUNK        20000 /* jobs submitted at once; two chunks alternate */
#define BATCHES      5     /* registered batches per producer */
#define NETS         400000u
#define SAMPLE       1000
#define UNREG_SERIAL 1000000000ULL /* first serial of the unregistered codes */

enum ev_kind { EV_SCAN, EV_CLAIM, EV_WRONG_PIN };

/* One scan or claim attempt of a code. */
struct event {
	int64_t at_ms;   /* when, Unix ms */
	uint32_t code;   /* the code's index */
	uint32_t net;    /* the network's index */
	uint32_t cookie; /* the cookie's index within the code */
	uint8_t kind;    /* enum ev_kind */
};

/* What the arguments ask for, and what follows from them. */
struct plan {
	uint64_t scans, codes, producers, days, seed;
	uint64_t per_producer; /* codes per producer */
	uint64_t registered;   /* of them, in registered batches (the rest: unregistered) */
	uint64_t batch_size;   /* serials per batch */
	double normal_mean;    /* scans of an ordinary code, calibrated to reach plan.scans */
	int64_t first_ms;      /* the window's start */
	int64_t end_ms;        /* its end */
	char (*key_hex)[KEYS_ID_HEX_LEN + 1]; /* producer i's key id */
	int32_t expires_day;                  /* last day of the batches that have one */
};

/* splitmix64: a small, fast, seedable generator (quality enough for a workload's shape). */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A uniform number in [0, n). */
static uint64_t below(uint64_t *s, uint64_t n)
{
	return n == 0 ? 0 : mix(s) % n;
}

/* A uniform double in [0, 1). */
static double unit(uint64_t *s)
{
	return (double)(mix(s) >> 11) / 9007199254740992.0;
}

/* An exponential gap of mean ms, at least a second. */
static int64_t gap(uint64_t *s, double mean)
{
	double u = unit(s);
	double g = -mean * log(1.0 - u);
	return g < 1000 ? 1000 : (int64_t)g;
}

/* The code's producer index and serial; *unreg 1 for a serial outside every batch. */
static void code_of(const struct plan *p, uint32_t code, uint32_t *prod, uint64_t *serial,
		    int *unreg)
{
	uint64_t j = code / p->producers;

	*prod = (uint32_t)(code % p->producers);
	*unreg = j >= p->registered;
	*serial = *unreg ? UNREG_SERIAL + j : j + 1;
}

/* The kinds of codes of the mix. */
enum code_kind { K_NORMAL, K_DUPLICATE, K_CLAIMED, K_GUESSED, K_UNREG };

/* A code's schedule being drawn. */
struct sched {
	struct event *ev; /* its events so far */
	size_t n;         /* how many */
	int64_t t;        /* the latest one's time, relative */
	uint64_t s;       /* the code's generator state */
	uint32_t code;    /* the code's index */
};

/* Adds an event of kind kd from network net with cookie ck, an exponential gap of mean ms
 * after the previous one. */
static void add(struct sched *sc, uint8_t kd, uint32_t net, uint32_t ck, double mean)
{
	if (sc->n > 0)
		sc->t += gap(&sc->s, mean);
	sc->ev[sc->n++] = (struct event){sc->t, sc->code, net, ck, kd};
}

/* Fills ev with code's events, in time order (times relative to the window's start, ms), and
 * returns how many; *kind gets its kind. Deterministic in (seed, code). */
static size_t schedule(const struct plan *p, uint32_t code, struct event *ev, enum code_kind *kind)
{
	struct sched sc = {ev, 0, 0, p->seed * 0x100000001B3ULL ^ ((uint64_t)code << 1 | 1), code};
	uint64_t *s = &sc.s, serial;
	int64_t window = (int64_t)p->days * DAY_MS, t, span;
	uint32_t prod, nets[32];
	size_t nn, k;
	int unreg;
	double r = unit(s);

	code_of(p, code, &prod, &serial, &unreg);
	if (unreg)
		*kind = K_UNREG;
	else if (r < 0.025)
		*kind = K_DUPLICATE;
	else if (r < 0.145)
		*kind = K_CLAIMED;
	else if (r < 0.1455)
		*kind = K_GUESSED;
	else
		*kind = K_NORMAL;
	for (size_t i = 0; i < 32; i++)
		nets[i] = (uint32_t)below(s, NETS);
	switch (*kind) {
	case K_UNREG:
		nn = 1 + below(s, 2);
		k = 1 + below(s, 4);
		for (size_t i = 0; i < k; i++)
			add(&sc, EV_SCAN, nets[i % nn], (uint32_t)(i % nn), 6 * 3600e3);
		break;
	case K_DUPLICATE: /* copies sold over weeks, each scanned once to three times */
		nn = 4 + below(s, 21);
		k = nn + below(s, 2 * nn);
		for (size_t i = 0; i < k; i++) {
			size_t w = i < nn ? i : below(s, nn);
			add(&sc, EV_SCAN, nets[w], (uint32_t)w, 10 * 3600e3);
		}
		break;
	case K_CLAIMED: /* the buyer scans, claims, scans again; some labels are reused later */
		k = 1 + below(s, 3);
		for (size_t i = 0; i < k; i++)
			add(&sc, EV_SCAN, nets[0], 0, 1800e3);
		add(&sc, EV_CLAIM, nets[0], 0, 600e3);
		k = below(s, 5);
		for (size_t i = 0; i < k; i++)
			add(&sc, EV_SCAN, nets[0], 0, 6 * 3600e3);
		if (unit(s) < 0.25) {
			nn = 1 + below(s, 3);
			for (size_t w = 1; w <= nn; w++)
				for (size_t i = 0, m = 1 + below(s, 2); i < m; i++)
					add(&sc, EV_SCAN, nets[w], (uint32_t)w, 24 * 3600e3);
		}
		break;
	case K_GUESSED: /* one scan, then someone tries PINs: the 6th is refused (limited) */
		add(&sc, EV_SCAN, nets[0], 0, 0);
		for (size_t i = 0; i < 6; i++)
			add(&sc, EV_WRONG_PIN, nets[1], 1, 60e3);
		break;
	case K_NORMAL: {
		/* one buyer on one network, or on two (linked by the cookie), or two buyers */
		double two = unit(s);
		uint32_t c2 = two < 0.2 ? 0 : 1;
		nn = two < 0.6 ? 1 : 2;
		k = 1 + (size_t)(unit(s) * (2 * p->normal_mean - 1));
		for (size_t i = 0; i < k; i++) {
			size_t w = i == 0 ? 0 : below(s, nn);
			add(&sc, EV_SCAN, nets[w], w ? c2 : 0, 3 * 3600e3);
		}
		break;
	}
	}
	/* the schedule starts at random in the window, moved back to end inside it; one that is
	 * longer than the window is squeezed into it */
	span = ev[sc.n - 1].at_ms;
	if (span >= window) {
		double f = (double)(window - 1) / (double)span;
		for (size_t i = 0; i < sc.n; i++)
			ev[i].at_ms = (int64_t)((double)ev[i].at_ms * f);
		span = window - 1;
	}
	t = (int64_t)below(s, (uint64_t)window);
	if (t + span >= window)
		t = window - 1 - span;
	for (size_t i = 0; i < sc.n; i++)
		ev[i].at_ms += t;
	return sc.n;
}

/* 16 bytes of a network's (or cookie's) hash, from its index and a domain. */
static void hash16(uint64_t domain, uint64_t i, unsigned char out[16])
{
	uint64_t s = domain ^ (i * 0xD6E8FEB86659FD93ULL), a = mix(&s), b = mix(&s);

	memcpy(out, &a, 8);
	memcpy(out + 8, &b, 8);
}

/* --- the writer's side: chunks of jobs and their completion --- */

struct chunk {
	struct ledger_job *jobs;
	size_t n;
	size_t pending; /* jobs not yet done */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* What the jobs came to, over the whole run (the writer's thread counts, under tally_mu). */
static pthread_mutex_t tally_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t verdicts[V_COUNT], claims[CLAIM_OPEN + 1], failed;

/* A job's done callback: tallies it and counts it off its chunk. */
static void done(struct ledger_job *job, void *arg)
{
	struct chunk *c = arg;

	pthread_mutex_lock(&tally_mu);
	if (job->status != LEDGER_OK)
		failed++;
	else if (job->kind == JOB_SCAN && job->u.scan.verdict < V_COUNT)
		verdicts[job->u.scan.verdict]++;
	else if (job->kind == JOB_CLAIM && job->u.claim.result <= CLAIM_OPEN)
		claims[job->u.claim.result]++;
	pthread_mutex_unlock(&tally_mu);
	pthread_mutex_lock(&c->mu);
	if (--c->pending == 0)
		pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Waits until every job of c is done. */
static void chunk_wait(struct chunk *c)
{
	pthread_mutex_lock(&c->mu);
	while (c->pending > 0)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

/* Submits c's n jobs. */
static void chunk_submit(struct ledger *l, struct chunk *c)
{
	c->pending = c->n;
	for (size_t i = 0; i < c->n; i++) {
		c->jobs[i].done = done;
		c->jobs[i].arg = c;
		ledger_submit(l, &c->jobs[i]);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fills job from event e. */
static void job_of(const struct plan *p, const struct event *e, struct ledger_job *job)
{
	uint32_t prod;
	uint64_t serial;
	int unreg;

	memset(job, 0, sizeof *job);
	code_of(p, e->code, &prod, &serial, &unreg);
	if (e->kind == EV_SCAN) {
		struct ledger_scan *s = &job->u.scan;
		int32_t day = date_from_time((time_t)(e->at_ms / 1000));
		uint64_t b = (serial - 1) / p->batch_size;
		job->kind = JOB_SCAN;
		memcpy(s->key_id, p->key_hex[prod], sizeof s->key_id);
		s->serial = serial;
		hash16(0x6E6574, e->net, s->client);
		hash16(0x636F6F6B6965ULL ^ ((uint64_t)e->code << 20), e->cookie, s->cookie);
		s->has_cookie = 1;
		s->at_ms = e->at_ms;
		s->facts.threshold = 2;
		if (unreg)
			s->facts.base = V_UNREGISTERED;
		else if (b == 0 && prod % 10 == 0 && day > p->expires_day)
			s->facts.base = V_EXPIRED;
		else
			s->facts.base = V_GENUINE;
		return;
	}
	struct ledger_claim *c = &job->u.claim;
	job->kind = JOB_CLAIM;
	memcpy(c->key_id, p->key_hex[prod], sizeof c->key_id);
	c->serial = serial;
	hash16(0x6E6574, e->net, c->net);
	hash16(0x636F6F6B6965ULL ^ ((uint64_t)e->code << 20), e->cookie, c->cookie);
	c->has_cookie = 1;
	c->at_ms = e->at_ms;
	c->code_limit = 5;
	c->net_limit = 20;
	c->pin_right = e->kind == EV_CLAIM;
}

static int by_time(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->at_ms != y->at_ms)
		return x->at_ms < y->at_ms ? -1 : 1;
	return x->code < y->code ? -1 : x->code > y->code;
}

/* --- set-up: keys, trust list, producers, batches --- */

static const char *const products[] = {"Cua Cà Mau",     "Tôm khô Rạch Gốc", "Mật ong U Minh",
				       "Khô cá lóc",     "Ba khía Rạch Gốc", "Cá khô Sông Đốc",
				       "Tôm sú Năm Căn", "Bánh phồng tôm"};

/* Makes the authority and producer keys, writes DIR/authority.pub and the signed trust list,
 * records the producers (JOB_PRODUCER) and registers every batch (JOB_BATCH, real signed
 * headers). TEM_OK, or TEM_ERR with err set. */
static int set_up(const char *dir, struct plan *p, struct ledger *l, struct tem_err *err)
{
	struct tem_seckey *ask = keys_secret_new(), *sk = keys_secret_new();
	struct tem_pubkey apk, pk;
	struct trust_list list;
	struct ledger_producer *prods = NULL;
	struct ledger_job *jobs = NULL, pj;
	struct batch_header *hs = NULL;
	char(*b64)[KEYS_PUBLIC_B64_LEN + 1] = NULL;
	char path[4200], sigpath[SIG_PATH_MAX];
	size_t nb = p->producers * BATCHES;
	int32_t valid_from = date_from_time((time_t)(p->first_ms / 1000)) - 40;
	int rc = TEM_ERR;

	memset(&list, 0, sizeof list);
	prods = calloc(p->producers, sizeof *prods);
	jobs = calloc(nb, sizeof *jobs);
	hs = calloc(nb, sizeof *hs);
	b64 = calloc(p->producers, sizeof *b64);
	if (ask == NULL || sk == NULL || prods == NULL || jobs == NULL || hs == NULL ||
	    b64 == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	if (keys_generate(&apk, ask, err) != TEM_OK)
		goto out;
	snprintf(path, sizeof path, "%s/authority.pub", dir);
	if (keys_public_write(path, &apk, NULL, 1, err) != TEM_OK)
		goto out;
	snprintf(list.authority, sizeof list.authority, "Sở Khoa học và Công nghệ Cà Mau");
	list.sequence = 1;
	for (uint64_t i = 0; i < p->producers; i++) {
		char name[80];
		if (keys_generate(&pk, sk, err) != TEM_OK)
			goto out;
		keys_id_hex(pk.id, p->key_hex[i]);
		snprintf(name, sizeof name, "Hợp tác xã Cà Mau số %" PRIu64, i + 1);
		if (trust_add(&list, &pk, name, valid_from, err) != TEM_OK)
			goto out;
		for (uint64_t b = 0; b < BATCHES; b++) {
			struct batch_header *h = &hs[i * BATCHES + b];
			uint64_t first = b * p->batch_size + 1;
			uint64_t last = (b + 1) * p->batch_size;
			if (last > p->registered)
				last = p->registered;
			snprintf(h->producer, sizeof h->producer, "%s", name);
			snprintf(h->product, sizeof h->product, "%s",
				 products[(i + b) % (sizeof products / sizeof products[0])]);
			snprintf(h->batch_id, sizeof h->batch_id, "P%03" PRIu64 "-B%02" PRIu64,
				 i + 1, b + 1);
			h->first_serial = first;
			h->count = last - first + 1;
			h->issued = (time_t)(p->first_ms / 1000) - (time_t)(30 - b) * 86400;
			h->last_day = b == 0 && i % 10 == 0 ? (uint16_t)p->expires_day : 0;
			snprintf(h->url, sizeof h->url, "HTTPS://TEM.CAMAU.GOV.VN");
			if (batch_header_sign(h, sk, err) != TEM_OK)
				goto out;
			struct ledger_batch *lb = &jobs[i * BATCHES + b].u.batch;
			jobs[i * BATCHES + b].kind = JOB_BATCH;
			memcpy(lb->key_id, p->key_hex[i], sizeof lb->key_id);
			lb->first = first;
			lb->last = last;
			lb->batch_id = h->batch_id;
			lb->product = h->product;
			lb->producer = h->producer;
			lb->url = h->url;
			lb->issued = (int64_t)h->issued;
			lb->last_day = h->last_day;
			h->raw[h->raw_len < sizeof h->raw ? h->raw_len : sizeof h->raw - 1] = '\0';
			lb->header = h->raw;
			lb->at_ms = (int64_t)h->issued * 1000 + 3600000;
		}
	}
	snprintf(path, sizeof path, "%s/trust.list", dir);
	if (trust_save(path, &list, err) != TEM_OK || sig_path(path, NULL, sigpath, err) == NULL ||
	    sig_sign_file(path, sigpath, ask, NULL, 1, err) != TEM_OK)
		goto out;

	for (size_t i = 0; i < list.n; i++) {
		keys_public_base64(&list.entries[i].key, b64[i]);
		memcpy(prods[i].key_id, p->key_hex[i], sizeof prods[i].key_id);
		prods[i].public_key = b64[i];
		prods[i].name = list.entries[i].name;
		prods[i].valid_from = list.entries[i].valid_from;
		prods[i].revoked = -1;
	}
	memset(&pj, 0, sizeof pj);
	pj.kind = JOB_PRODUCER;
	pj.u.producers.list = prods;
	pj.u.producers.n = list.n;
	pj.u.producers.sequence = list.sequence;
	if (ledger_run(l, &pj) != LEDGER_OK) {
		err_set(err, "the ledger refused the producers");
		goto out;
	}
	struct chunk c = {.jobs = jobs, .n = nb};
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	chunk_submit(l, &c);
	chunk_wait(&c);
	pthread_mutex_destroy(&c.mu);
	pthread_cond_destroy(&c.cv);
	for (size_t i = 0; i < nb; i++)
		if (jobs[i].status != LEDGER_OK) {
			err_set(err, "the ledger refused batch %s (status %d)",
				jobs[i].u.batch.batch_id, (int)jobs[i].status);
			goto out;
		}
	rc = TEM_OK;
out:
	keys_secret_free(ask);
	keys_secret_free(sk);
	trust_free(&list);
	free(prods);
	free(jobs);
	free(hs);
	free(b64);
	return rc;
}

/* --- the run --- */

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Where progress and errors go: stderr, kept apart from the ledger's log lines. */
static FILE *msg;

static int usage(void)
{
	fputs("usage: gen_ledger DIR [--scans N] [--codes N] [--producers N] [--days N] "
	      "[--seed N]\n",
	      stderr);
	return 2;
}

/* Calibrates p->normal_mean so that the whole mix comes to p->scans scans, and fills
 * first_day/last_day (days since the window's start) of every code; *total gets the events. */
static void calibrate(struct plan *p, uint8_t *first_day, uint8_t *last_day, uint64_t *total)
{
	struct event ev[MAX_EVENTS];
	enum code_kind kind;
	uint64_t other = 0, normal = 0;

	p->normal_mean = 10;
	for (uint32_t c = 0; c < p->codes; c++) {
		size_t n = schedule(p, c, ev, &kind);
		if (kind == K_NORMAL) {
			normal++;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			other += ev[i].kind == EV_SCAN;
	}
	if (normal > 0 && p->scans > other)
		p->normal_mean = (double)(p->scans - other) / (double)normal;
	if (p->normal_mean < 1)
		p->normal_mean = 1;
	if (p->normal_mean > MAX_EVENTS / 2 - 1)
		p->normal_mean = MAX_EVENTS / 2 - 1;
	*total = 0;
	for (uint32_t c = 0; c < p->codes; c++) {
		size_t n = schedule(p, c, ev, &kind);
		first_day[c] = (uint8_t)(ev[0].at_ms / DAY_MS);
		last_day[c] = (uint8_t)(ev[n - 1].at_ms / DAY_MS);
		*total += n;
	}
}

int main(int argc, char **argv)
{
	struct plan p = {
	    .scans = 10000000, .codes = 1000000, .producers = 100, .days = 60, .seed = 1};
	struct ledger *l = NULL;
	struct tem_err err;
	struct event ev[MAX_EVENTS], *day = NULL;
	struct chunk ch[2];
	uint8_t *first_day = NULL, *last_day = NULL;
	uint64_t total = 0, sent = 0, scans = 0, nclaims = 0;
	size_t cap = 0;
	char path[4200];
	const char *dir;
	double t0 = now_s(), t1, last_print;
	int rc = 1;

	msg = stderr;
	if (argc < 2 || argv[1][0] == '-')
		return usage();
	dir = argv[1];
	for (int i = 2; i < argc; i += 2) {
		uint64_t *v = NULL, max = 1000000000;
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--scans") == 0)
			v = &p.scans;
		else if (strcmp(argv[i], "--codes") == 0)
			v = &p.codes, max = 100000000;
		else if (strcmp(argv[i], "--producers") == 0)
			v = &p.producers, max = 1000;
		else if (strcmp(argv[i], "--days") == 0)
			v = &p.days, max = 200;
		else if (strcmp(argv[i], "--seed") == 0)
			v = &p.seed;
		if (v == NULL || parse_u64(argv[i + 1], 1, max, v) != 0)
			return usage();
	}
	if (p.codes < p.producers * BATCHES * 2) {
		fprintf(msg, "gen_ledger: --codes must be at least %" PRIu64 "\n",
			p.producers * BATCHES * 2);
		return 2;
	}
	memset(ch, 0, sizeof ch);
	if (keys_init(&err) != TEM_OK) {
		fprintf(msg, "gen_ledger: %s\n", err.msg);
		return 1;
	}
	if (mkdir(dir, 0755) != 0) {
		fprintf(msg, "gen_ledger: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	/* the ledger's own log lines (an alert line per duplicate) go to DIR/writer.log */
	snprintf(path, sizeof path, "%s/writer.log", dir);
	int fd = dup(2);
	if (fd < 0 || (msg = fdopen(fd, "w")) == NULL || freopen(path, "w", stderr) == NULL) {
		fprintf(msg != NULL ? msg : stdout, "gen_ledger: %s: %s\n", path, strerror(errno));
		return 1;
	}
	setvbuf(msg, NULL, _IOLBF, 0);
	p.per_producer = p.codes / p.producers;
	p.codes = p.per_producer * p.producers;
	p.registered = p.per_producer - p.per_producer / 100;
	p.batch_size = (p.registered + BATCHES - 1) / BATCHES;
	p.end_ms = (int64_t)time(NULL) / 3600 * 3600 * 1000;
	p.first_ms = p.end_ms - (int64_t)p.days * DAY_MS;
	p.expires_day = date_from_time((time_t)(p.first_ms / 1000)) + (int32_t)p.days / 2;
	p.key_hex = calloc(p.producers, sizeof *p.key_hex);
	first_day = malloc(p.codes);
	last_day = malloc(p.codes);
	ch[0].jobs = malloc(CHUNK * sizeof *ch[0].jobs);
	ch[1].jobs = malloc(CHUNK * sizeof *ch[1].jobs);
	if (p.key_hex == NULL || first_day == NULL || last_day == NULL || ch[0].jobs == NULL ||
	    ch[1].jobs == NULL) {
		fprintf(msg, "gen_ledger: out of memory\n");
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		pthread_mutex_init(&ch[i].mu, NULL);
		pthread_cond_init(&ch[i].cv, NULL);
	}
	calibrate(&p, first_day, last_day, &total);
	fprintf(msg,
		"gen_ledger: %" PRIu64 " codes of %" PRIu64 " producers, %" PRIu64
		" events over %" PRIu64 " days (planned in %.1f s)\n",
		p.codes, p.producers, total, p.days, now_s() - t0);

	snprintf(path, sizeof path, "%s/ledger.db", dir);
	if (ledger_open(path, &l, &err) != TEM_OK || set_up(dir, &p, l, &err) != TEM_OK) {
		fprintf(msg, "gen_ledger: %s\n", err.msg);
		goto out;
	}
	fprintf(msg, "gen_ledger: %" PRIu64 " producers and %" PRIu64 " batches registered\n",
		p.producers, p.producers * BATCHES);

	t1 = last_print = now_s();
	int cur = 0;
	for (uint64_t d = 0; d < p.days; d++) {
		size_t n = 0;
		enum code_kind kind;
		/* this day's events of every code active on it, in time order */
		for (uint32_t c = 0; c < p.codes; c++) {
			if (first_day[c] > d || last_day[c] < d)
				continue;
			size_t m = schedule(&p, c, ev, &kind);
			for (size_t i = 0; i < m; i++) {
				if ((uint64_t)(ev[i].at_ms / DAY_MS) != d)
					continue;
				if (n == cap) {
					size_t nc = cap ? cap * 2 : 65536;
					struct event *nd = realloc(day, nc * sizeof *nd);
					if (nd == NULL) {
						fprintf(msg, "gen_ledger: out of memory\n");
						goto out;
					}
					day = nd, cap = nc;
				}
				day[n] = ev[i];
				day[n++].at_ms += p.first_ms;
			}
		}
		qsort(day, n, sizeof *day, by_time);
		for (size_t i = 0; i < n;) {
			struct chunk *c = &ch[cur];
			chunk_wait(c); /* the chunk submitted two rounds ago */
			c->n = 0;
			while (i < n && c->n < CHUNK) {
				scans += day[i].kind == EV_SCAN;
				nclaims += day[i].kind != EV_SCAN;
				job_of(&p, &day[i++], &c->jobs[c->n++]);
			}
			chunk_submit(l, c);
			sent += c->n;
			cur ^= 1;
			double t = now_s();
			if (t - last_print >= 10) {
				double rate = (double)sent / (t - t1);
				fprintf(msg,
					"gen_ledger: day %" PRIu64 "/%" PRIu64 ", %.2f M of %.2f M "
					"jobs, %.0f jobs/s, about %.0f s to go\n",
					d + 1, p.days, (double)sent / 1e6, (double)total / 1e6,
					rate, (double)(total - sent) / rate);
				last_print = t;
			}
		}
	}
	chunk_wait(&ch[0]);
	chunk_wait(&ch[1]);
	double secs = now_s() - t1;
	ledger_close(l);
	l = NULL;
	if (failed > 0) {
		fprintf(msg, "gen_ledger: %" PRIu64 " jobs failed\n", failed);
		goto out;
	}
	fprintf(msg,
		"gen_ledger: %" PRIu64 " scans and %" PRIu64
		" claim attempts in %.0f s (%.0f jobs/s "
		"through the writer)\n",
		scans, nclaims, secs, (double)sent / secs);
	fprintf(msg,
		"gen_ledger: verdicts genuine %" PRIu64 ", seen %" PRIu64 ", duplicate %" PRIu64
		", sold %" PRIu64 ", unregistered %" PRIu64 ", expired %" PRIu64
		"; claims new %" PRIu64 ", wrong PIN %" PRIu64 ", limited %" PRIu64 "\n",
		verdicts[V_GENUINE], verdicts[V_SEEN], verdicts[V_DUPLICATE], verdicts[V_SOLD],
		verdicts[V_UNREGISTERED], verdicts[V_EXPIRED], claims[CLAIM_NEW],
		claims[CLAIM_WRONG_PIN], claims[CLAIM_LIMITED]);

	/* info and sample */
	snprintf(path, sizeof path, "%s/info", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(msg, "gen_ledger: %s: %s\n", path, strerror(errno));
		goto out;
	}
	fprintf(f,
		"version %d\nscans %" PRIu64 "\nclaims %" PRIu64 "\ncodes %" PRIu64
		"\nproducers %" PRIu64 "\ndays %" PRIu64 "\nfirst_ms %" PRId64 "\nend_ms %" PRId64
		"\nseconds %.0f\njobs_per_s %.0f\nduplicate %" PRIu64 "\nsold %" PRIu64 "\n",
		GEN_VERSION, scans, nclaims, p.codes, p.producers, p.days, p.first_ms, p.end_ms,
		secs, (double)sent / secs, verdicts[V_DUPLICATE], verdicts[V_SOLD]);
	if (fclose(f) != 0) {
		fprintf(msg, "gen_ledger: %s: %s\n", path, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof path, "%s/sample", dir);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(msg, "gen_ledger: %s: %s\n", path, strerror(errno));
		goto out;
	}
	uint64_t s = p.seed ^ 0x53414D504C45ULL;
	for (int i = 0; i < SAMPLE; i++) {
		uint32_t c = (uint32_t)below(&s, p.codes), prod;
		uint64_t serial;
		int unreg;
		enum code_kind kind;
		size_t m = schedule(&p, c, ev, &kind), k = 0;
		for (size_t j = 0; j < m; j++)
			k += ev[j].kind == EV_SCAN;
		code_of(&p, c, &prod, &serial, &unreg);
		fprintf(f, "%s %" PRIu64 " %zu\n", p.key_hex[prod], serial, k);
	}
	if (fclose(f) != 0) {
		fprintf(msg, "gen_ledger: %s: %s\n", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (l != NULL) {
		chunk_wait(&ch[0]);
		chunk_wait(&ch[1]);
		ledger_close(l);
	}
	free(day);
	free(first_day);
	free(last_day);
	free(ch[0].jobs);
	free(ch[1].jobs);
	free(p.key_hex);
	return rc;
}
