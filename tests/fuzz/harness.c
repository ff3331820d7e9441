/* harness.c — temd started in-process for the request fuzz targets (harness.h). The set-up is
 * main.c's, cut to what a fuzz run needs: the trust list is built in memory (no signature
 * file), and the batch is registered through the real POST /api/v1/batches. */
#include "tests/fuzz/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "keys/trust.h"
#include "label/batch.h"
#include "server/routes.h"
#include "server/secrets.h"
#include "server/server.h"

/* How long an answer may take to begin (a counted scan waits for a durable commit: a few
 * milliseconds on the tmpfs the ledger lives on). */
#define HARNESS_WAIT_MS 50

static struct temd temd;
static char dir[256];
static unsigned short port;
static int started;

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz harness: %s: %s\n", what, msg);
	abort();
}

/* The test vectors' key (tests/vectors/codes-v1.txt): seed 00..1f, id 3F9A0C21D4E5B6A7. */
static void vector_key(struct tem_seckey *sk, struct tem_pubkey *pk)
{
	static const unsigned char id[8] = {0xA7, 0xB6, 0xE5, 0xD4, 0x21, 0x0C, 0x9A, 0x3F};
	unsigned char seed[32];

	for (int i = 0; i < 32; i++)
		seed[i] = (unsigned char)i;
	if (crypto_sign_seed_keypair(pk->pk, sk->sk, seed) != 0)
		die("key", "crypto_sign_seed_keypair failed");
	memcpy(sk->id, id, 8);
	memcpy(pk->id, id, 8);
}

void harness_claim_key(unsigned char k[CLAIM_KEY_BYTES])
{
	for (int i = 0; i < CLAIM_KEY_BYTES; i++)
		k[i] = (unsigned char)(0xC0 + i);
}

char *harness_batch_body(uint64_t first, uint64_t count)
{
	struct tem_seckey *sk = keys_secret_new();
	struct tem_pubkey pk;
	struct batch_header *h = calloc(1, sizeof *h);
	unsigned char k[CLAIM_KEY_BYTES];
	char k64[CLAIM_B64_LEN + 1];
	struct tem_err err;
	char *out = NULL;
	json_t *o;

	if (sk == NULL || h == NULL)
		goto out;
	vector_key(sk, &pk);
	harness_claim_key(k);
	snprintf(h->producer, sizeof h->producer, "Hợp tác xã Cua Cà Mau Năm Căn");
	snprintf(h->product, sizeof h->product, "Cua Cà Mau");
	snprintf(h->batch_id, sizeof h->batch_id, "FUZZ-%llu", (unsigned long long)first);
	h->first_serial = first;
	h->count = count;
	h->issued = 1764046200; /* 2025-11-25T04:50:00Z: seeds stay the same run to run */
	h->has_claim = 1;
	claim_commit(k, h->claim);
	if (batch_header_sign(h, sk, &err) != TEM_OK)
		die("batch header", err.msg);
	sodium_bin2base64(k64, sizeof k64, k, sizeof k, sodium_base64_VARIANT_ORIGINAL);
	o = json_pack("{s:s%,s:s}", "header", h->raw, h->raw_len, "claim_key", k64);
	if (o != NULL)
		out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
out:
	keys_secret_free(sk);
	free(h);
	return out;
}

/* Puts the vector key in force, as main.c's load_trust does with a verified list. */
static void trust_vector_key(void)
{
	struct tem_seckey *sk = keys_secret_new();
	struct trust_list list;
	struct tem_pubkey pk;
	struct tem_err err;
	struct ledger_producer p;
	char hex[KEYS_ID_HEX_LEN + 1], pub[KEYS_PUBLIC_B64_LEN + 1];
	struct ledger_job job;

	if (sk == NULL)
		die("key", "out of memory");
	vector_key(sk, &pk);
	keys_secret_free(sk);
	memset(&list, 0, sizeof list);
	snprintf(list.authority, sizeof list.authority, "Sở Khoa học và Công nghệ Cà Mau");
	if (trust_add(&list, &pk, "Hợp tác xã Cua Cà Mau Năm Căn", 0, &err) != TEM_OK)
		die("trust list", err.msg);
	memset(&p, 0, sizeof p);
	keys_id_hex(pk.id, hex);
	keys_public_base64(&pk, pub);
	memcpy(p.key_id, hex, sizeof p.key_id);
	p.public_key = pub;
	p.name = list.entries[0].name;
	p.valid_from = 0;
	p.revoked = -1;
	memset(&job, 0, sizeof job);
	job.kind = JOB_PRODUCER;
	job.u.producers.list = &p;
	job.u.producers.n = 1;
	if (ledger_run(temd.ledger, &job) != LEDGER_OK)
		die("ledger", "cannot record the producer");
	registry_set_trust(temd.reg, &list);
}

static void stop(void)
{
	char cmd[300];

	if (!started)
		return;
	http_stop(&temd, 1);
	ledger_close(temd.ledger);
	registry_free(temd.reg);
	sodium_free(temd.secret);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz harness: could not remove %s\n", dir);
}

void harness_start(void)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&temd.cfg.listen;
	const union MHD_DaemonInfo *di;
	struct stat st;
	struct tem_err err;
	char db[300], secret[320];
	const char *tmp = getenv("TMPDIR");
	char *body;
	int status;

	if (started)
		return;
	signal(SIGPIPE, SIG_IGN);
	/* a tmpfs makes the ledger's fsyncs cheap: the fuzzer measures parsing, not the disk */
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	snprintf(dir, sizeof dir, "%s/tem-fuzz.XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die(dir, strerror(errno));
	snprintf(db, sizeof db, "%s/ledger.db", dir);
	if (keys_init(&err) != TEM_OK)
		die("libsodium", err.msg);
	memset(&temd, 0, sizeof temd);
	temd.cfg.db = db;
	temd.cfg.threads = 2;
	temd.cfg.threshold = 2;
	temd.cfg.timeout = 5;
	temd.cfg.contact = "0290 3831 234";
	/* 127.0.0.1 is a trusted proxy here, so X-Forwarded-For is parsed on every request */
	if (client_proxies_parse("127.0.0.1,::1", &temd.cfg.proxies, &err) != TEM_OK)
		die("proxies", err.msg);
	a->sin_family = AF_INET;
	a->sin_port = 0;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	temd.cfg.listen_len = sizeof *a;
	if ((temd.reg = registry_new()) == NULL)
		die("registry", "out of memory");
	if (ledger_open(db, &temd.ledger, &err) != TEM_OK)
		die("ledger", err.msg);
	ledger_salt(temd.ledger, temd.salt);
	client_keys_init(&temd.keys, temd.salt);
	if (secrets_path(db, secret, sizeof secret) == NULL ||
	    (temd.secret = sodium_malloc(SECRETS_BYTES)) == NULL ||
	    secrets_load(secret, temd.secret, NULL, &err) != TEM_OK)
		die("secret file", err.msg);
	trust_vector_key();
	temd.routes = routes_table;
	temd.nroutes = routes_count;
	temd.authorize = auth_request;
	if (http_start(&temd, &err) != TEM_OK)
		die("http", err.msg);
	di = MHD_get_daemon_info(temd.mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (di == NULL || di->port == 0)
		die("http", "no port");
	port = di->port;
	started = 1;
	atexit(stop);
	if ((body = harness_batch_body(HARNESS_FIRST, HARNESS_COUNT)) == NULL)
		die("batch", "out of memory");
	{
		char req[16384];
		int n = snprintf(req, sizeof req,
				 "POST /api/v1/batches HTTP/1.1\r\nHost: fuzz\r\nContent-Type: "
				 "application/json\r\nContent-Length: %zu\r\n\r\n%s",
				 strlen(body), body);
		free(body);
		if (n < 0 || (size_t)n >= sizeof req)
			die("batch", "registration request too long");
		status = harness_request(req, (size_t)n);
	}
	if (status != 201 && status != 200) {
		char s[16];
		snprintf(s, sizeof s, "%d", status);
		die("registering the batch: status", s);
	}
}

/* 1 once buf (got bytes of answer) holds a whole answer: libmicrohttpd keeps a connection
 * alive after it answers and does not notice the client's shutdown until its timeout, so the
 * harness stops reading at the end of the first final answer (skipping "100 Continue"), from
 * its Content-Length (none for HEAD). Only temd's own answers are read here. */
static int answer_complete(const char *buf, size_t got, int head)
{
	const char *p = buf, *end = buf + got, *hdr_end, *cl;

	for (;;) {
		hdr_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hdr_end == NULL)
			return 0;
		hdr_end += 4;
		if ((size_t)(end - p) > 12 && p[9] == '1') { /* 1xx: the answer is still to come */
			p = hdr_end;
			continue;
		}
		break;
	}
	if (head)
		return 1;
	cl = memmem(p, (size_t)(hdr_end - p), "\r\nContent-Length: ", 18);
	if (cl == NULL)
		return 0; /* closed by the server when it is done */
	return (size_t)(end - hdr_end) >= strtoul(cl + 18, NULL, 10);
}

int harness_request(const void *req, size_t len)
{
	struct sockaddr_in a;
	struct timeval tv = {5, 0};
	static char buf[1 << 20];
	size_t got = 0, off = 0;
	ssize_t n;
	int fd, status = 0, head = len >= 5 && memcmp(req, "HEAD ", 5) == 0;
	struct pollfd pfd = {.events = POLLIN};

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
		die("setsockopt", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		/* libFuzzer's SIGALRM (its -timeout check) can interrupt a connect the server has
		 * not accepted yet; the connection goes on, so wait for it (bounded) */
		struct pollfd w = {.fd = fd, .events = POLLOUT};
		socklen_t el = sizeof(int);
		int pr, e = errno;
		if (e != EINTR)
			die("connect", strerror(e));
		do
			pr = poll(&w, 1, 2000);
		while (pr < 0 && errno == EINTR);
		if (pr != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0)
			die("connect", pr == 0 ? "not accepted within 2 s" : strerror(e));
	}
	pfd.fd = fd;
	/* the server may answer and close before it read everything: a failed write is fine */
	while (off < len) {
		n = send(fd, (const char *)req + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	/* libmicrohttpd does not always notice the shutdown of a connection whose request is
	 * incomplete (it waits for the rest until its timeout): an answer that has not begun in
	 * HARNESS_WAIT_MS will not come, and a reset tells the server so at once */
	if (poll(&pfd, 1, HARNESS_WAIT_MS) != 1) {
		struct linger lg = {1, 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(fd);
		return 0;
	}
	while (got < sizeof buf - 1 && (n = recv(fd, buf + got, sizeof buf - 1 - got, 0)) > 0) {
		got += (size_t)n;
		if (answer_complete(buf, got, head))
			break;
	}
	close(fd);
	if (got > 12 && strncmp(buf, "HTTP/1.", 7) == 0 && buf[8] == ' ')
		status = atoi(buf + 9);
	return status;
}
