/* limits.c — token buckets per client (kept as GCRA's "theoretical arrival time": one number a
 * kind, no timer), sharded under mutexes, and the open connections per address. */
#include "server/limits.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/text.h"

static const char *const kind_names[LIMIT_KINDS] = {"scans", "claims", "batches", "signins"};

void limits_default(struct limits_config *cfg)
{
	struct tem_err err;

	memset(cfg, 0, sizeof *cfg);
	if (limits_parse(LIMITS_DEFAULT, cfg, &err) != TEM_OK)
		abort(); /* LIMITS_DEFAULT is a constant that parses */
}

/* Parses one "KIND=N/UNIT" item of len bytes into cfg. */
static int parse_item(const char *s, size_t len, struct limits_config *cfg, struct tem_err *err)
{
	char item[64], *eq, *slash;
	uint64_t n;
	unsigned unit;
	int kind = -1;

	if (len == 0 || len >= sizeof item)
		return err_set(err, "--rate-limit: '%.*s' is not KIND=N/UNIT", (int)(len % 64), s);
	memcpy(item, s, len);
	item[len] = '\0';
	eq = strchr(item, '=');
	slash = eq != NULL ? strchr(eq, '/') : NULL;
	if (eq == NULL || slash == NULL || slash[1] == '\0')
		return err_set(err, "--rate-limit: '%s' is not KIND=N/UNIT (scans=60/m)", item);
	*eq = '\0';
	*slash = '\0';
	for (int k = 0; k < LIMIT_KINDS; k++)
		if (strcmp(item, kind_names[k]) == 0)
			kind = k;
	if (kind < 0)
		return err_set(err, "--rate-limit: '%s' is not scans, claims, batches or signins",
			       item);
	switch (slash[2] == '\0' ? slash[1] : '?') {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return err_set(err, "--rate-limit: %s: the unit is s, m, h or d, not '%s'", item,
			       slash + 1);
	}
	if (text_parse_u64(eq + 1, 0, 1000000, &n) != TEM_OK)
		return err_set(err, "--rate-limit: %s: '%s' is not a number from 0 to 1000000",
			       item, eq + 1);
	cfg->rule[kind].burst = (unsigned)n;
	cfg->rule[kind].period = unit;
	return TEM_OK;
}

int limits_parse(const char *spec, struct limits_config *cfg, struct tem_err *err)
{
	struct limits_config c = *cfg;
	const char *p = spec;

	if (strcmp(spec, "0") == 0) {
		memset(cfg, 0, sizeof *cfg);
		return TEM_OK;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (parse_item(p, n, &c, err) != TEM_OK)
			return TEM_ERR;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*cfg = c;
	return TEM_OK;
}

void limits_format(const struct limits_config *cfg, char *out, size_t cap)
{
	size_t used = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	for (int k = 0; k < LIMIT_KINDS && used < cap; k++) {
		const struct limit_rule *r = &cfg->rule[k];
		char unit = r->period == 1      ? 's'
			    : r->period == 60   ? 'm'
			    : r->period == 3600 ? 'h'
						: 'd';
		int w = snprintf(out + used, cap - used, "%s%s=%u/%c", k > 0 ? "," : "",
				 kind_names[k], r->burst, r->burst > 0 ? unit : 'm');
		if (w < 0)
			return;
		used += (size_t)w;
	}
}

/* --- token buckets --- */

#define SHARDS      64
#define SHARD_SLOTS (LIMITS_SLOTS / SHARDS)
#define PROBE       8 /* slots a client may sit in, from its hash on */

struct slot {
	unsigned char client[LEDGER_CLIENT_BYTES]; /* the client, or zeros when never used */
	double tat[LIMIT_KINDS]; /* when the bucket is full again (monotonic s), 0 = full */
};

struct shard {
	pthread_mutex_t mu;
	struct slot slot[SHARD_SLOTS];
};

struct limits {
	struct limits_config cfg;
	struct shard *shard; /* SHARDS of them */
};

struct limits *limits_new(const struct limits_config *cfg)
{
	struct limits *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	l->cfg = *cfg;
	if ((l->shard = calloc(SHARDS, sizeof *l->shard)) == NULL) {
		free(l);
		return NULL;
	}
	for (int i = 0; i < SHARDS; i++)
		pthread_mutex_init(&l->shard[i].mu, NULL);
	return l;
}

void limits_free(struct limits *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < SHARDS; i++)
		pthread_mutex_destroy(&l->shard[i].mu);
	free(l->shard);
	free(l);
}

/* The latest time any of a slot's buckets is full again: a slot whose every bucket is full
 * (latest <= now) says nothing a fresh one would not. */
static double latest(const struct slot *s)
{
	double m = 0;

	for (int k = 0; k < LIMIT_KINDS; k++)
		if (s->tat[k] > m)
			m = s->tat[k];
	return m;
}

/* limits_take and limits_peek: take says whether a token is taken when there is one. */
static int bucket(struct limits *l, enum limit_kind kind,
		  const unsigned char client[LEDGER_CLIENT_BYTES], double now, int take,
		  unsigned *retry_after)
{
	const struct limit_rule *r = &l->cfg.rule[kind];
	struct shard *sh;
	struct slot *s = NULL, *victim = NULL;
	uint64_t h;
	double step, tolerance, tat;
	int ok;

	*retry_after = 0;
	if (r->burst == 0 || kind < 0 || kind >= LIMIT_KINDS)
		return 1;
	/* the client id is already a keyed hash: its bytes are the table's hash */
	memcpy(&h, client, sizeof h);
	sh = &l->shard[h % SHARDS];
	h /= SHARDS;
	pthread_mutex_lock(&sh->mu);
	for (int i = 0; i < PROBE && s == NULL; i++) {
		struct slot *c = &sh->slot[(h + (uint64_t)i) % SHARD_SLOTS];
		if (memcmp(c->client, client, LEDGER_CLIENT_BYTES) == 0)
			s = c;
		else if (victim == NULL || latest(c) < latest(victim))
			victim = c;
	}
	if (s == NULL) {
		/* a new client takes the probe window's most refilled slot: a full or unused one
		 * when there is one, else it makes temd forget the client nearest to full */
		s = victim;
		memcpy(s->client, client, LEDGER_CLIENT_BYTES);
		memset(s->tat, 0, sizeof s->tat);
	}
	step = (double)r->period / r->burst;
	tolerance = (double)r->period - step;
	tat = s->tat[kind] > now ? s->tat[kind] : now;
	ok = tat - now <= tolerance + 1e-9;
	if (ok) {
		if (take)
			s->tat[kind] = tat + step;
	} else {
		double wait = tat - now - tolerance;
		*retry_after = wait < 1 ? 1 : (unsigned)(wait + 0.999);
	}
	pthread_mutex_unlock(&sh->mu);
	return ok;
}

int limits_take(struct limits *l, enum limit_kind kind,
		const unsigned char client[LEDGER_CLIENT_BYTES], double now, unsigned *retry_after)
{
	return bucket(l, kind, client, now, 1, retry_after);
}

int limits_peek(struct limits *l, enum limit_kind kind,
		const unsigned char client[LEDGER_CLIENT_BYTES], double now, unsigned *retry_after)
{
	return bucket(l, kind, client, now, 0, retry_after);
}

/* --- connections per address --- */

#define CONN_BUCKETS 4096

struct conn_node {
	struct conn_node *next;
	unsigned char key[17]; /* family byte, then 4 (IPv4) or 8 (IPv6 /64) address bytes */
	unsigned open;         /* connections open */
};

struct conn_counts {
	pthread_mutex_t mu;
	unsigned per_address;
	struct conn_node *bucket[CONN_BUCKETS];
};

struct conn_counts *conn_counts_new(unsigned per_address)
{
	struct conn_counts *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	c->per_address = per_address;
	return c;
}

void conn_counts_free(struct conn_counts *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < CONN_BUCKETS; i++)
		while (c->bucket[i] != NULL) {
			struct conn_node *n = c->bucket[i];
			c->bucket[i] = n->next;
			free(n);
		}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Fills key with addr's (IPv4-mapped IPv6 as IPv4; a family that is not IP is one key of
 * zeros) and returns its bucket. */
static size_t conn_key(const struct sockaddr *addr, unsigned char key[17])
{
	const unsigned char *a = NULL;
	size_t n = 0, h = 5381;

	memset(key, 0, 17);
	if (addr != NULL && addr->sa_family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)addr)->sin_addr;
		n = 4;
		key[0] = 4;
	} else if (addr != NULL && addr->sa_family == AF_INET6) {
		const struct in6_addr *v6 = &((const struct sockaddr_in6 *)addr)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(v6)) {
			a = v6->s6_addr + 12;
			n = 4;
			key[0] = 4;
		} else {
			a = v6->s6_addr; /* a host's /64 */
			n = 8;
			key[0] = 6;
		}
	}
	if (a != NULL)
		memcpy(key + 1, a, n);
	for (size_t i = 0; i < 17; i++)
		h = h * 33 + key[i];
	return h % CONN_BUCKETS;
}

static struct conn_node *conn_find(struct conn_counts *c, const unsigned char key[17], size_t b)
{
	for (struct conn_node *n = c->bucket[b]; n != NULL; n = n->next)
		if (memcmp(n->key, key, 17) == 0)
			return n;
	return NULL;
}

int conn_counts_allow(struct conn_counts *c, const struct sockaddr *addr)
{
	unsigned char key[17];
	size_t b = conn_key(addr, key);
	struct conn_node *n;
	int ok;

	if (c->per_address == 0)
		return 1;
	pthread_mutex_lock(&c->mu);
	n = conn_find(c, key, b);
	ok = n == NULL || n->open < c->per_address;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

int conn_counts_open(struct conn_counts *c, const struct sockaddr *addr)
{
	unsigned char key[17];
	size_t b = conn_key(addr, key);
	struct conn_node *n;
	int ok;

	pthread_mutex_lock(&c->mu);
	if ((n = conn_find(c, key, b)) == NULL) {
		if ((n = calloc(1, sizeof *n)) == NULL) {
			pthread_mutex_unlock(&c->mu);
			return -1;
		}
		memcpy(n->key, key, 17);
		n->next = c->bucket[b];
		c->bucket[b] = n;
	}
	n->open++;
	ok = c->per_address == 0 || n->open <= c->per_address;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

void conn_counts_close(struct conn_counts *c, const struct sockaddr *addr)
{
	unsigned char key[17];
	size_t b = conn_key(addr, key);
	struct conn_node **p;

	pthread_mutex_lock(&c->mu);
	for (p = &c->bucket[b]; *p != NULL; p = &(*p)->next)
		if (memcmp((*p)->key, key, 17) == 0) {
			struct conn_node *n = *p;
			if (--n->open == 0) {
				*p = n->next;
				free(n);
			}
			break;
		}
	pthread_mutex_unlock(&c->mu);
}
