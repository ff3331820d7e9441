/* sim_verdicts.c — how often a genuine label turns `duplicate` (docs/verdicts.md): buyers with
 * 1-4 apps on 1-2 networks, market shoppers who scan and do not buy, an attacker with one
 * machine and one with 20 networks, each scan identified by the real client code
 * (server/client.h: network prefix, MAC'd cookie) and counted by the real ledger writer on a
 * real ledger file. Prints the figures, asserts the targets as TAP. Deterministic (fixed seed;
 * TEM_SIM_SEED=N for another). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/client.h"
#include "server/ledger.h"

#define CODES     1000 /* codes a scenario */
#define MAX_SCANS 64   /* scans of one code in a scenario, at most */
#define THRESHOLD 2    /* temd's default T */
#define MAX_T     4    /* thresholds reported: 0..MAX_T */

static struct ledger *ledger;
static struct client_keys keys;
static int tap;

/* --- a deterministic stream of random numbers (libsodium's, from a seed) --- */
static unsigned char pool[1 << 16];
static size_t pool_at = sizeof pool;
static uint64_t pool_nonce;
static unsigned char seed[randombytes_SEEDBYTES];

static uint32_t draw(uint32_t n)
{
	uint32_t v;

	if (pool_at + 4 > sizeof pool) {
		unsigned char s[randombytes_SEEDBYTES];
		memcpy(s, seed, sizeof s);
		memcpy(s + sizeof s - sizeof pool_nonce, &pool_nonce, sizeof pool_nonce);
		pool_nonce++;
		randombytes_buf_deterministic(pool, sizeof pool, s);
		pool_at = 0;
	}
	memcpy(&v, pool + pool_at, 4);
	pool_at += 4;
	return n ? v % n : 0;
}

/* A chance of p percent. */
static int chance(uint32_t p)
{
	return draw(100) < p;
}

/* --- who scans --- */

/* A phone app's cookie jar: empty, or the tem_client cookie temd set. */
struct app {
	char cookie[CLIENT_COOKIE_LEN + 32];
};

/* One scan waiting for the ledger. */
struct pending {
	struct ledger_job job;
	int who; /* 0: the buyer, 1: someone else */
};

static struct pending jobs[CODES * MAX_SCANS];
static size_t njobs;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static size_t finished;

static void done_cb(struct ledger_job *job, void *arg)
{
	(void)job, (void)arg;
	pthread_mutex_lock(&mu);
	finished++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

/* A network: an IPv4 address in a /24 numbered net (0 .. 2^24 - 1). */
static uint32_t host_in(uint32_t net)
{
	return net << 8 | (1 + draw(250));
}

/* Queues a scan of code by app from address addr (host order), identified as temd does
 * (routes_scan.c): the network prefix of the address, the app's cookie when temd issued it,
 * else a new one that the app keeps when it keeps cookies (an attacker's forged one is kept
 * as it is: temd ignores it). */
static void scan(uint64_t code, struct app *a, uint32_t addr, int who, int keeps_cookies)
{
	struct pending *p = &jobs[njobs++];
	struct ledger_scan *s = &p->job.u.scan;
	struct sockaddr_in peer = {.sin_family = AF_INET};
	struct client_net net;

	memset(p, 0, sizeof *p);
	p->who = who;
	p->job.kind = JOB_SCAN;
	p->job.done = done_cb;
	strcpy(s->key_id, "3F9A0C21D4E5B6A7");
	s->serial = code;
	s->at_ms = 1795600000000 + (int64_t)njobs;
	s->facts = (struct verdict_facts){.base = V_GENUINE, .threshold = THRESHOLD};
	peer.sin_addr.s_addr = htonl(addr);
	if (client_address(NULL, (struct sockaddr *)&peer, NULL, &net) != TEM_OK)
		abort();
	client_prefix_id(&keys, &net, s->client);
	s->has_cookie = 1;
	if (!client_cookie_read(&keys, a->cookie, s->cookie)) {
		char v[CLIENT_COOKIE_LEN + 1];
		client_cookie_new(s->cookie);
		client_cookie_value(&keys, s->cookie, v);
		if (keeps_cookies)
			snprintf(a->cookie, sizeof a->cookie, CLIENT_COOKIE "=%s", v);
	}
}

/* Runs every queued scan through the ledger, in order; returns with all of them done. */
static void run_all(void)
{
	finished = 0;
	for (size_t i = 0; i < njobs; i++)
		ledger_submit(ledger, &jobs[i].job);
	pthread_mutex_lock(&mu);
	while (finished < njobs)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (size_t i = 0; i < njobs; i++)
		if (jobs[i].job.status != LEDGER_OK) {
			fprintf(stderr, "sim: a scan failed in the ledger\n");
			exit(1);
		}
}

/* What a scenario's codes came to. */
struct tally {
	int codes;
	int buyer_dup[MAX_T + 1]; /* codes whose buyer saw duplicate at threshold T (from counts) */
	int buyer_dup_real;       /* ... at the default, as temd answered */
	int any_dup;              /* codes that ended duplicate */
	int max_clients;          /* the most clients any code reached */
};

static void tally(uint64_t first_code, struct tally *t)
{
	int64_t buyer_max[CODES] = {0};
	int real[CODES] = {0}, end[CODES] = {0};

	memset(t, 0, sizeof *t);
	t->codes = CODES;
	for (size_t i = 0; i < njobs; i++) {
		const struct ledger_scan *s = &jobs[i].job.u.scan;
		size_t c = (size_t)(s->serial - first_code);
		if (jobs[i].who == 0) {
			if (s->clients > buyer_max[c])
				buyer_max[c] = s->clients;
			real[c] |= s->verdict == V_DUPLICATE;
		}
		end[c] = s->verdict == V_DUPLICATE;
		if (s->clients > t->max_clients)
			t->max_clients = (int)s->clients;
	}
	for (size_t c = 0; c < CODES; c++) {
		for (int T = 0; T <= MAX_T; T++)
			t->buyer_dup[T] += buyer_max[c] - 1 > T;
		t->buyer_dup_real += real[c];
		t->any_dup += end[c];
	}
	njobs = 0;
}

/* A carrier's CGNAT pool: the /24s its phones in the province come out of. */
static uint32_t carrier_net(void)
{
	return 0x640000 + draw(3) * 256 + draw(64);
}

/* The buyer: 1-4 apps (no shared cookies; each keeps its own), 1-2 networks (the first given,
 * then home Wi-Fi), each app 1-2 scans a network, apps in any order. */
static void buyer(uint64_t code, uint32_t first_net)
{
	struct app apps[4];
	int napps = 1 + (int)draw(4), nnets = 1 + (int)draw(2);
	uint32_t nets[2] = {first_net, 0x0a0000 + draw(1 << 16)};

	memset(apps, 0, sizeof apps);
	for (int n = 0; n < nnets; n++)
		for (int k = 0; k < napps; k++) {
			int a = (k + (int)draw(4)) % napps, times = 1 + (int)draw(2);
			for (int i = 0; i < times; i++)
				scan(code, &apps[a], host_in(nets[n]), 0, 1);
		}
}

static void report(const char *name, const struct tally *t)
{
	printf("# %-44s", name);
	for (int T = 0; T <= MAX_T; T++)
		printf(" T=%d %5.2f%%", T, 100.0 * t->buyer_dup[T] / t->codes);
	printf("  (T=%d as answered: %d of %d)\n", THRESHOLD, t->buyer_dup_real, t->codes);
}

static void expect(int cond, const char *name, const char *detail)
{
	tap++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap, name);
	if (!cond)
		printf("#   %s\n", detail);
}

int main(void)
{
	char path[] = "/tmp/tem-sim-XXXXXX";
	unsigned char salt[LEDGER_SALT_BYTES];
	struct tem_err err;
	struct tally t;
	char detail[200];
	uint64_t code = 1;
	const char *env = getenv("TEM_SIM_SEED");
	int fd;

	if (sodium_init() < 0)
		return 2;
	memset(seed, 0, sizeof seed);
	snprintf((char *)seed, sizeof seed - 8, "%s", env != NULL ? env : "tem-sim-1");
	if ((fd = mkstemp(path)) < 0)
		return 2;
	close(fd);
	unlink(path);
	if (ledger_open(path, &ledger, &err) != TEM_OK) {
		fprintf(stderr, "sim: %s\n", err.msg);
		return 2;
	}
	ledger_salt(ledger, salt);
	client_keys_init(&keys, salt);
	printf("# seed: %s; %d codes a scenario; share of codes whose buyer saw `duplicate`, "
	       "by threshold T\n",
	       (const char *)seed, CODES);

	/* 1. one buyer per code: 1-4 apps, 1-2 networks (4G from a carrier pool, home Wi-Fi) */
	for (int c = 0; c < CODES; c++)
		buyer(code + (uint64_t)c, carrier_net());
	run_all();
	tally(code, &t);
	report("one buyer, 1-4 apps, 1-2 networks", &t);
	snprintf(detail, sizeof detail, "%d of %d buyers saw duplicate; most clients %d",
		 t.buyer_dup_real, CODES, t.max_clients);
	expect(t.buyer_dup_real == 0 && t.max_clients <= 2,
	       "one buyer with up to four apps on two networks never sees duplicate", detail);
	code += CODES;

	/* 1b. the worst case of it: four apps on two networks, every code */
	for (int c = 0; c < CODES; c++) {
		struct app apps[4];
		uint32_t n1 = carrier_net(), n2 = 0x0a0000 + draw(1 << 16);
		memset(apps, 0, sizeof apps);
		for (int a = 0; a < 4; a++)
			scan(code + (uint64_t)c, &apps[a], host_in(n1), 0, 1);
		for (int a = 0; a < 4; a++)
			scan(code + (uint64_t)c, &apps[a], host_in(n2), 0, 1);
	}
	run_all();
	tally(code, &t);
	report("one buyer, exactly 4 apps on 2 networks", &t);
	snprintf(detail, sizeof detail, "%d of %d saw duplicate", t.buyer_dup_real, CODES);
	expect(t.buyer_dup_real == 0, "four apps on two networks: never duplicate", detail);
	code += CODES;

	/* 2. a market stall: 0-5 shoppers scan and do not buy (each one app, 1-2 scans; on the
	 * stall's Wi-Fi 30% of the time, else their carrier's 4G), then the buyer, who starts on
	 * the stall's Wi-Fi 30% of the time */
	for (int c = 0; c < CODES; c++) {
		static const uint32_t cum[] = {50, 75, 88, 95, 98, 100}; /* P(shoppers <= k) */
		uint32_t stall = 0x0b0000 + draw(1 << 16), r = draw(100);
		int shoppers = 0;
		while (r >= cum[shoppers])
			shoppers++;
		for (int s = 0; s < shoppers; s++) {
			struct app a;
			uint32_t net = chance(30) ? stall : carrier_net();
			int times = 1 + (int)draw(2);
			memset(&a, 0, sizeof a);
			for (int i = 0; i < times; i++)
				scan(code + (uint64_t)c, &a, host_in(net), 1, 1);
		}
		buyer(code + (uint64_t)c, chance(30) ? stall : carrier_net());
	}
	run_all();
	tally(code, &t);
	report("market: 0-5 shoppers who do not buy, then the buyer", &t);
	printf("# market: %d of %d codes ended duplicate at T=%d\n", t.any_dup, CODES, THRESHOLD);
	code += CODES;

	/* 3. an attacker with one machine: 30 scans of each code, every trick (new User-Agents do
	 * not reach the client id; forged cookies, or none, or the one temd gave) */
	for (int c = 0; c < CODES / 10; c++) {
		struct app a;
		uint32_t net = 0x0c0000 + draw(1 << 16);
		memset(&a, 0, sizeof a);
		for (int i = 0; i < 30; i++) {
			int trick = (int)draw(3);
			if (trick == 0) { /* a made-up cookie */
				unsigned char junk[CLIENT_COOKIE_RAW];
				char v[CLIENT_COOKIE_LEN + 1];
				randombytes_buf(junk, sizeof junk);
				sodium_bin2base64(v, sizeof v, junk, sizeof junk,
						  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
				snprintf(a.cookie, sizeof a.cookie, CLIENT_COOKIE "=%s", v);
			} else if (trick == 1) {
				a.cookie[0] = '\0';
			}
			scan(code + (uint64_t)c, &a, host_in(net), 1, trick == 2);
		}
	}
	/* and on codes a real buyer scanned (4 apps, 2 networks) */
	for (int c = CODES / 10; c < CODES / 5; c++) {
		struct app apps[4], bad;
		uint32_t n1 = carrier_net(), n2 = 0x0a0000 + draw(1 << 16),
			 evil = 0x0d0000 + draw(256);
		memset(apps, 0, sizeof apps);
		memset(&bad, 0, sizeof bad);
		for (int a = 0; a < 4; a++)
			scan(code + (uint64_t)c, &apps[a], host_in(n1), 0, 1);
		for (int i = 0; i < 30; i++)
			scan(code + (uint64_t)c, &bad, host_in(evil), 1, 0);
		for (int a = 0; a < 4; a++)
			scan(code + (uint64_t)c, &apps[a], host_in(n2), 0, 1);
	}
	run_all();
	tally(code, &t);
	printf("# attacker, one machine: %d of %d codes ended duplicate\n", t.any_dup, CODES / 5);
	snprintf(detail, sizeof detail, "%d codes duplicate; most clients %d", t.any_dup,
		 t.max_clients);
	expect(t.any_dup == 0 && t.buyer_dup_real == 0,
	       "an attacker with one machine makes no code duplicate, even one a buyer scanned",
	       detail);
	code += CODES;

	/* 4. an attacker with 20 networks, one scan from each */
	for (int c = 0; c < CODES / 10; c++)
		for (int n = 0; n < 20; n++) {
			struct app a;
			memset(&a, 0, sizeof a);
			scan(code + (uint64_t)c, &a,
			     host_in(0x0e0000 + (uint32_t)c * 32 + (uint32_t)n), 1, 1);
		}
	run_all();
	tally(code, &t);
	printf("# attacker, 20 networks: %d of %d codes ended duplicate\n", t.any_dup, CODES / 10);
	snprintf(detail, sizeof detail, "%d of %d", t.any_dup, CODES / 10);
	expect(
	    t.any_dup == CODES / 10,
	    "an attacker with 20 networks can still turn a code duplicate (the limit of counting)",
	    detail);

	ledger_close(ledger);
	unlink(path);
	{
		char p2[64];
		snprintf(p2, sizeof p2, "%s-wal", path);
		unlink(p2);
		snprintf(p2, sizeof p2, "%s-shm", path);
		unlink(p2);
	}
	printf("1..%d\n", tap);
	return 0;
}
