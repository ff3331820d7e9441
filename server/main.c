/* main.c — temd: the verification server. Options, start-up (authority key, signed trust list,
 * ledger, batch index), signals (SIGHUP reloads the trust list, SIGTERM/SIGINT drain and stop)
 * and shutdown. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/text.h"
#include "keys/trust.h"
#include "server/backup_cmd.h"
#include "server/ledger_copy.h"
#include "server/ledger_query.h"
#include "server/log.h"
#include "server/notify.h"
#include "server/routes.h"
#include "server/secrets.h"
#include "server/server.h"
#include "server/token_cmd.h"

/* The ledger as log lines name it: its path, or "the PostgreSQL ledger" (a connection string
 * may hold a password, which must never reach a log); and the secret file --secret names
 * (NULL: LEDGER.secret beside a SQLite ledger). Set once, before any thread starts. */
static const char *db_name;
static const char *secret_file;

static const char usage_text[] =
    "usage: temd --db FILE|CONNINFO --trust TRUST --authority AUTHORITY_PUB [--listen ADDR:PORT]\n"
    "            [--base-url URL] [--threads N] [--duplicate-threshold T]\n"
    "            [--trust-proxy ADDR[,ADDR...]] [--timeout SECONDS] [--port-file FILE]\n"
    "            [--contact TEXT] [--rate-limit SPEC] [--connections-per-address N]\n"
    "            [--metrics-listen ADDR:PORT|none] [--metrics-port-file FILE] [--init]\n"
    "            [--access-log FILE] [--secret FILE] [-V]\n"
    "       temd backup --db FILE -o OUT [-f]\n"
    "       temd token create|list|revoke --db FILE ...\n"
    "       temd ledger copy --from FILE --to postgres://...\n"
    "\n"
    "The tem verification server: buyers' phones open a label's URL (GET /c/CODE) and temd\n"
    "says whether it is genuine, recording every scan durably in its SQLite ledger.\n"
    "\n"
    "  --db FILE                 the ledger (created when missing)\n"
    "  --db CONNINFO             a PostgreSQL ledger: postgres://..., postgresql://... or a\n"
    "                            libpq keyword string (host=... dbname=...); needs --secret\n"
    "  --secret FILE             the secret file sealing claim keys and keying client ids\n"
    "                            (default: FILE.secret beside a SQLite ledger; every temd\n"
    "                            on one PostgreSQL ledger needs the same one)\n"
    "  --init                    make an existing empty (0-byte) FILE a new ledger\n"
    "  --trust TRUST             the authority's trust list; TRUST.minisig must verify\n"
    "  --authority PUB           the authority's public key (minisign format)\n"
    "  --listen ADDR:PORT        where to listen (default 127.0.0.1:8080; [::1]:8080 for\n"
    "                            IPv6; port 0 picks a free one)\n"
    "  --base-url URL            how buyers reach temd (an https URL marks cookies Secure)\n"
    "  --threads N               HTTP threads (default: one a core)\n"
    "  --duplicate-threshold T   more than T other clients (networks) make a duplicate\n"
    "                            (default 2)\n"
    "  --trust-proxy ADDR,...    the reverse proxies (IPv4/IPv6 addresses or CIDR ranges)\n"
    "                            whose X-Forwarded-For is believed: the client is the\n"
    "                            rightmost address in it that is not one of them\n"
    "  --timeout SECONDS         a connection idle this long, or a request (headers, body\n"
    "                            and answer) taking this long, is closed (default 15)\n"
    "  --port-file FILE          write the port listened on to FILE once ready\n"
    "  --contact TEXT            how buyers reach the authority, shown on warning pages\n"
    "                            (a phone number, Zalo or web address)\n"
    "  --rate-limit SPEC         per-network limits, KIND=N/UNIT,... (default\n"
    "                            " LIMITS_DEFAULT ");\n"
    "                            0 turns them off\n"
    "  --connections-per-address N  connections one address may hold (default 64; 0: no\n"
    "                            limit; --trust-proxy addresses have none)\n"
    "  --metrics-listen ADDR:PORT  where /metrics and /healthz's counts are served\n"
    "                            (default 127.0.0.1:9080; none: nowhere)\n"
    "  --metrics-port-file FILE  write the metrics listener's port to FILE once ready\n"
    "  --access-log FILE         append a line per answered request to FILE (time, method,\n"
    "                            route, status, bytes, a regulator's token name; no\n"
    "                            codes, no addresses, never a token)\n"
    "  -V, --version             print the version\n"
    "\n"
    "Signals: SIGHUP reloads the trust list (a bad one is logged and the old one kept) and\n"
    "reopens the access log;\n"
    "SIGTERM or SIGINT finish the requests under way, checkpoint the ledger and exit 0.\n";

/* Prints "temd: MESSAGE" and the --help hint; returns the usage exit status, 2. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("temd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (temd --help)\n", stderr);
	return 2;
}

/* Parses "A.B.C.D:PORT" or "[V6]:PORT". */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon;
	uint64_t port;

	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof host)
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	if (text_parse_u64(colon + 1, 0, 65535, &port) != TEM_OK)
		return -1;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -1;
		*len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a->sin_addr) != 1)
			return -1;
		*len = sizeof *a;
	}
	return 0;
}

/* Parses an option's whole value as a number within [lo, hi]; lo - 1 when it is not one. */
static long parse_long(const char *s, long lo, long hi)
{
	uint64_t v;

	return text_parse_u64(s, (uint64_t)lo, (uint64_t)hi, &v) == TEM_OK ? (long)v : lo - 1;
}

/* Logs the trust list put in force: its producer keys and revocations, and how they changed
 * since the list before it (SIGHUP). */
static void log_trust_in_force(const char *path, uint64_t seq, size_t n, size_t revoked)
{
	static long last_n = -1, last_revoked = -1;

	if (last_n < 0)
		log_msg(LOG_LV_NOTICE,
			"trust list %s in force: sequence %llu, %zu producer keys, %zu revoked",
			path, (unsigned long long)seq, n, revoked);
	else
		log_msg(LOG_LV_NOTICE,
			"trust list %s in force (reloaded): sequence %llu, %zu producer keys "
			"(%+ld), %zu revoked (%+ld)",
			path, (unsigned long long)seq, n, (long)n - last_n, revoked,
			(long)revoked - last_revoked);
	last_n = (long)n;
	last_revoked = (long)revoked;
}

/* Loads the trust list, checking its signature; puts it in force and copies its producers
 * into the ledger. TEM_OK; TEM_ERR with err set (the list in force stays); or, when starting
 * and the ledger takes no writes (a full disk), TEM_NO with the list in force all the same: temd
 * then serves reads, answers writes 503, and records the list once it can (main). */
static int load_trust(struct temd *t, const struct tem_pubkey *authority, int starting,
		      struct tem_err *err)
{
	struct trust_list list;
	struct ledger_producer *ps;
	char(*pubs)[KEYS_PUBLIC_B64_LEN + 1];
	struct ledger_job job;

	memset(&list, 0, sizeof list);
	if (trust_load_verified(t->cfg.trust, NULL, authority, &list, err) != TEM_OK)
		return TEM_ERR;
	if (registry_check_sequence(t->ledger, &list, t->cfg.trust, err) != TEM_OK) {
		trust_free(&list);
		return TEM_ERR;
	}
	ps = calloc(list.n + 1, sizeof *ps);
	pubs = calloc(list.n + 1, sizeof *pubs);
	if (ps == NULL || pubs == NULL) {
		free(ps);
		free(pubs);
		trust_free(&list);
		return err_set(err, "out of memory");
	}
	for (size_t i = 0; i < list.n; i++) {
		keys_id_hex(list.entries[i].key.id, ps[i].key_id);
		keys_public_base64(&list.entries[i].key, pubs[i]);
		ps[i].public_key = pubs[i];
		ps[i].name = list.entries[i].name;
		ps[i].valid_from = list.entries[i].valid_from;
		ps[i].revoked = list.entries[i].revoked;
	}
	memset(&job, 0, sizeof job);
	job.kind = JOB_PRODUCER;
	job.u.producers.list = ps;
	job.u.producers.n = list.n;
	job.u.producers.sequence = list.sequence;
	enum ledger_status st = ledger_run(t->ledger, &job);
	free(ps);
	free(pubs);
	if (st != LEDGER_OK && !starting) {
		trust_free(&list);
		return err_set(err, "%s: cannot record the producers in the ledger", db_name);
	}
	size_t n = list.n, revoked = 0;
	uint64_t seq = list.sequence;
	for (size_t i = 0; i < n; i++)
		revoked += list.entries[i].revoked >= 0;
	registry_set_trust(t->reg, &list);
	log_trust_in_force(t->cfg.trust, seq, n, revoked);
	if (st != LEDGER_OK) {
		log_msg(LOG_LV_ERROR,
			"%s: cannot record the producers in the ledger, which takes no writes: "
			"serving, writes answered 503 until it takes them again",
			db_name);
		return TEM_NO;
	}
	return TEM_OK;
}

/* ledger_each_batch's callback at start: adds one batch read back from the ledger to the
 * in-memory registry once its signed header vouches for it (registry_load_batch): a batch
 * whose key left the trust list is skipped with a log line; a hand-edited or injected one
 * stops the start. */
static int add_batch(void *arg, const struct ledger_batch_row *b, struct tem_err *err)
{
	int rc = registry_load_batch(((struct temd *)arg)->reg, b, err);

	if (rc == TEM_NO)
		log_msg(LOG_LV_WARNING, "%s", err->msg);
	return rc == TEM_NO ? TEM_OK : rc;
}

/* Reads (or makes, at the first start) the secret file beside the ledger, which seals the
 * batches' claim keys (server/secrets.h), into t->secret. TEM_OK or TEM_ERR with err set. */
static int load_secret(struct temd *t, struct tem_err *err)
{
	char path[4200];
	int created;

	if (secret_file != NULL) {
		if (snprintf(path, sizeof path, "%s", secret_file) >= (int)sizeof path)
			return err_set(err, "--secret %s: the path is too long", secret_file);
	} else if (secrets_path(t->cfg.db, path, sizeof path) == NULL)
		return err_set(err, "%s: the ledger path is too long", t->cfg.db);
	if ((t->secret = sodium_malloc(SECRETS_BYTES)) == NULL)
		return err_set(err, "out of memory");
	if (secrets_load(path, t->secret, &created, err) != TEM_OK)
		return TEM_ERR;
	/* the client salt, moved out of a ledger that still holds one */
	unsigned char old[LEDGER_SALT_BYTES];
	int had = ledger_salt(t->ledger, old), moved;
	int rc = secrets_client_salt(path, had ? old : NULL, t->salt, &moved, err);
	sodium_memzero(old, sizeof old);
	if (rc != TEM_OK || (moved && ledger_forget_salt(t->ledger, err) != TEM_OK))
		return TEM_ERR;
	if (moved)
		log_msg(LOG_LV_NOTICE, "%s: the client salt moved out of the ledger into %s",
			db_name, path);
	sodium_mprotect_readonly(t->secret);
	if (created)
		log_msg(LOG_LV_NOTICE,
			"%s: new secret file (keep it with the ledger's backups, apart from them)",
			path);
	return TEM_OK;
}

/* Checks, before anything is created, what would make temd refuse to start: the trust list
 * (its signature), the ledger's folder, and the address to listen on. Prints one line and
 * returns the exit status (2 a file named on the command line, 1 the address), or 0. */
static int preflight(struct temd *t, const struct tem_pubkey *authority, const char *listen)
{
	struct trust_list list;
	struct tem_err err;
	struct stat st;
	char dir[4200];
	int fd, one = 1;

	memset(&list, 0, sizeof list);
	if (trust_load_verified(t->cfg.trust, NULL, authority, &list, &err) != TEM_OK) {
		log_msg(LOG_LV_ERROR, "refusing to start: %s", err.msg);
		metrics_trust_reload(0);
		return 2;
	}
	trust_free(&list);
	if (ledger_kind(t->cfg.db) == LEDGER_POSTGRESQL)
		goto listen; /* no file, no folder: the database is its operators' */
	if (snprintf(dir, sizeof dir, "%s", t->cfg.db) >= (int)sizeof dir) {
		log_msg(LOG_LV_ERROR, "--db %s: the path is too long", t->cfg.db);
		return 2;
	}
	const char *d = dirname(dir);
	if (stat(t->cfg.db, &st) == 0 && !S_ISREG(st.st_mode)) {
		log_msg(LOG_LV_ERROR, "--db %s: not a file", t->cfg.db);
		return 2;
	}
	if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_msg(LOG_LV_ERROR,
			"--db %s: the folder %s does not exist (temd makes the ledger, "
			"not its folder)",
			t->cfg.db, d);
		return 2;
	}
	if (access(d, W_OK | X_OK) != 0) {
		log_msg(LOG_LV_ERROR,
			"--db %s: cannot write in the folder %s (the ledger keeps its journal and "
			"secret file beside it): %s",
			t->cfg.db, d, strerror(errno));
		return 2;
	}
listen:
	/* bound without SO_REUSEPORT, a port another server listens on is refused, whoever it is */
	fd = socket(t->cfg.listen.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&t->cfg.listen, t->cfg.listen_len) != 0) {
		int e = errno;
		log_msg(LOG_LV_ERROR, "cannot listen on %s: %s%s", listen, strerror(e),
			e == EADDRINUSE      ? " (another server listens there)"
			: e == EACCES        ? " (ports below 1024 need privileges)"
			: e == EADDRNOTAVAIL ? " (not an address of this host)"
					     : "");
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	if (t->cfg.access_log != NULL && log_access_open(t->cfg.access_log, &err) != TEM_OK) {
		log_msg(LOG_LV_ERROR, "%s", err.msg);
		return 2;
	}
	return 0;
}

/* The address listened on as "127.0.0.1:8080", with the port the kernel picked when listen
 * asked for port 0. */
static void listened_on(const struct temd *t, const char *listen, char *out, size_t size)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(t->mhd, MHD_DAEMON_INFO_BIND_PORT);
	const char *colon = strrchr(listen, ':');

	if (di == NULL || colon == NULL)
		snprintf(out, size, "%s", listen);
	else
		snprintf(out, size, "%.*s:%u", (int)(colon - listen), listen, (unsigned)di->port);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {"db", required_argument, NULL, 'd'},
	    {"trust", required_argument, NULL, 't'},
	    {"authority", required_argument, NULL, 'a'},
	    {"listen", required_argument, NULL, 'l'},
	    {"base-url", required_argument, NULL, 'b'},
	    {"threads", required_argument, NULL, 'n'},
	    {"duplicate-threshold", required_argument, NULL, 'T'},
	    {"trust-proxy", required_argument, NULL, 'P'},
	    {"timeout", required_argument, NULL, 'o'},
	    {"port-file", required_argument, NULL, 'f'},
	    {"contact", required_argument, NULL, 'c'},
	    {"rate-limit", required_argument, NULL, 'R'},
	    {"connections-per-address", required_argument, NULL, 'C'},
	    {"metrics-listen", required_argument, NULL, 'M'},
	    {"metrics-port-file", required_argument, NULL, 'F'},
	    {"access-log", required_argument, NULL, 'L'},
	    {"init", no_argument, NULL, 'I'},
	    {"secret", required_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0}};
	static struct temd t;
	struct tem_pubkey authority;
	struct tem_err err;
	const char *listen = "127.0.0.1:8080", *metrics_listen = "127.0.0.1:9080";
	sigset_t sigs;
	long v;
	int c, rc = 1, init = 0, pending = TEM_OK;

	if (argc > 1 && strcmp(argv[1], "backup") == 0)
		return backup_main(argc - 1, argv + 1); /* temd backup: server/backup_cmd.h */
	if (argc > 1 && strcmp(argv[1], "ledger") == 0)
		return ledger_main(argc - 1, argv + 1); /* temd ledger copy: server/ledger_copy.h */
	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return token_main(argc - 1, argv + 1); /* temd token: server/token_cmd.h */
	memset(&t, 0, sizeof t);
#ifdef M_TRIM_THRESHOLD
	/* every request allocates and frees a little on several threads: keep glibc from giving
	 * the heap top back to the kernel each time (each brk shrink is a TLB shootdown) */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	t.cfg.threshold = 2;
	t.cfg.timeout = 15;
	t.cfg.per_address = 64;
	limits_default(&t.cfg.limits);
	v = sysconf(_SC_NPROCESSORS_ONLN);
	t.cfg.threads = v > 0 ? (unsigned)v : 1;
	opterr = 0; /* usage_error says it on one line */
	log_init();
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'v':
		case 'V':
			puts("temd " TEMD_VERSION);
			return 0;
		case 'd':
			t.cfg.db = optarg;
			break;
		case 'S':
			secret_file = optarg;
			break;
		case 't':
			t.cfg.trust = optarg;
			break;
		case 'a':
			t.cfg.authority = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'b':
			t.cfg.base_url = optarg;
			break;
		case 'n':
			if ((v = parse_long(optarg, 1, 256)) < 1)
				return usage_error("--threads: '%s' is not a number from 1 to 256",
						   optarg);
			t.cfg.threads = (unsigned)v;
			break;
		case 'T':
			if ((v = parse_long(optarg, 0, 1000000)) < 0)
				return usage_error(
				    "--duplicate-threshold: '%s' is not a number from 0", optarg);
			t.cfg.threshold = (int)v;
			break;
		case 'P':
			if (client_proxies_parse(optarg, &t.cfg.proxies, &err) != TEM_OK)
				return usage_error("%s", err.msg);
			break;
		case 'o':
			if ((v = parse_long(optarg, 1, 3600)) < 1)
				return usage_error(
				    "--timeout: '%s' is not a number of seconds (1-3600)", optarg);
			t.cfg.timeout = (unsigned)v;
			break;
		case 'f':
			t.cfg.port_file = optarg;
			break;
		case 'L':
			t.cfg.access_log = optarg;
			break;
		case 'c':
			if (strlen(optarg) > TEMD_CONTACT_MAX ||
			    !text_is_clean(optarg, strlen(optarg)))
				return usage_error(
				    "--contact: at most %d bytes of text without control "
				    "characters",
				    TEMD_CONTACT_MAX);
			t.cfg.contact = optarg;
			break;
		case 'R':
			if (limits_parse(optarg, &t.cfg.limits, &err) != TEM_OK)
				return usage_error("%s", err.msg);
			break;
		case 'C':
			if ((v = parse_long(optarg, 0, 1000000)) < 0)
				return usage_error(
				    "--connections-per-address: '%s' is not a number from 0",
				    optarg);
			t.cfg.per_address = (unsigned)v;
			break;
		case 'M':
			metrics_listen = optarg;
			break;
		case 'F':
			t.cfg.metrics_port_file = optarg;
			break;
		case 'I':
			init = 1;
			break;
		default:
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				return usage_error(optopt == 0 ? "unknown option '%s'"
							       : "option '%s' needs a value",
						   argv[optind - 1]);
			return usage_error("option '-%c' is unknown or needs a value", optopt);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (t.cfg.db == NULL || t.cfg.trust == NULL || t.cfg.authority == NULL)
		return usage_error("%s", "--db, --trust and --authority are required");
	if (ledger_kind(t.cfg.db) == LEDGER_POSTGRESQL) {
		if (secret_file == NULL)
			return usage_error("%s",
					   "--secret FILE is required with a PostgreSQL --db (no "
					   "folder beside the ledger holds one)");
		if (init)
			return usage_error("%s", "--init makes an empty file a ledger: not for a "
						 "PostgreSQL --db");
		db_name = "the PostgreSQL ledger";
	} else {
		db_name = t.cfg.db;
	}
	if (parse_listen(listen, &t.cfg.listen, &t.cfg.listen_len) != 0)
		return usage_error("--listen: '%s' is not ADDR:PORT (127.0.0.1:8080 or [::1]:8080)",
				   listen);
	if (strcmp(metrics_listen, "none") != 0 &&
	    parse_listen(metrics_listen, &t.cfg.metrics_listen, &(socklen_t){0}) != 0)
		return usage_error(
		    "--metrics-listen: '%s' is not ADDR:PORT (127.0.0.1:9080) or none",
		    metrics_listen);
	t.secure_cookie = t.cfg.base_url != NULL && strncasecmp(t.cfg.base_url, "https:", 6) == 0;

	/* every thread started from here inherits these blocked; the main thread waits for them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (keys_init(&err) != TEM_OK ||
	    keys_public_load(t.cfg.authority, &authority, &err) != TEM_OK) {
		log_msg(LOG_LV_ERROR, "refusing to start: --authority %s", err.msg);
		return 2;
	}
	if ((rc = preflight(&t, &authority, listen)) != 0)
		return rc;
	/* a PostgreSQL ledger has no folder here: the secret file's is checked in its stead */
	if (secrets_check_inputs(t.cfg.trust, t.cfg.authority,
				 ledger_kind(t.cfg.db) == LEDGER_POSTGRESQL ? secret_file
									    : t.cfg.db,
				 &err) != TEM_OK) {
		log_msg(LOG_LV_ERROR, "refusing to start: %s", err.msg);
		return 2;
	}
	rc = 1;
	if (ledger_kind(t.cfg.db) == LEDGER_POSTGRESQL) {
		umask(077); /* the secret file, when temd makes it */
	} else {
		int fixed;
		if (secrets_protect_ledger(t.cfg.db, &fixed, &err) != TEM_OK) {
			log_msg(LOG_LV_ERROR, "refusing to start: %s", err.msg);
			return 2;
		}
		if (fixed > 0)
			log_msg(LOG_LV_NOTICE, "%s: made the ledger's files private (mode 600)",
				t.cfg.db);
	}
	if ((t.reg = registry_new()) == NULL) {
		log_msg(LOG_LV_ERROR, "out of memory");
		return 1;
	}
	if (ledger_open_flags(t.cfg.db, init ? LEDGER_INIT : 0, &t.ledger, &err) != TEM_OK) {
		log_msg(LOG_LV_ERROR, "refusing to start: %s", err.msg);
		registry_free(t.reg);
		log_access_close();
		return 1;
	}
	/* the regulator reads' connections (server/ledger_query.h), opened as reads need them */
	if (lq_open(t.ledger, &err) != TEM_OK || load_secret(&t, &err) != TEM_OK) {
		log_msg(LOG_LV_ERROR, "refusing to start: %s", err.msg);
		goto out;
	}
	client_keys_init(&t.keys, t.salt);
	/* API tokens are looked up on a connection of their own, never the writer's */
	if (ledger_tokens_of(t.ledger, &t.tokens, &err) != TEM_OK) {
		if (ledger_kind(t.cfg.db) != LEDGER_POSTGRESQL) {
			log_msg(LOG_LV_ERROR, "refusing to start: %s", err.msg);
			goto out;
		}
		/* buyers are served all the same: the API refuses every token meanwhile */
		log_msg(LOG_LV_WARNING, "%s; the API refuses every token", err.msg);
		t.tokens = NULL;
	}
	if ((pending = load_trust(&t, &authority, 1, &err)) == TEM_ERR) {
		log_msg(LOG_LV_ERROR, "refusing to start: %s", err.msg);
		metrics_trust_reload(0);
		goto out;
	}
	metrics_trust_reload(1);
	if (ledger_each_batch(t.ledger, add_batch, &t, &err) != TEM_OK ||
	    (ledger_kind(t.cfg.db) == LEDGER_POSTGRESQL &&
	     registry_follow(t.reg, t.ledger, 30, &err) != TEM_OK)) {
		log_msg(LOG_LV_ERROR, "refusing to start: %s", err.msg);
		goto out;
	}
	t.routes = routes_table;
	t.nroutes = routes_count;
	t.authorize = auth_request;
	if (http_start(&t, &err) != TEM_OK) {
		log_msg(LOG_LV_ERROR, "cannot listen on %s: %s", listen, err.msg);
		http_stop(&t, 0);
		goto out;
	}
	{
		long producers, batches;
		int64_t scans, bytes;
		char where[128];
		registry_counts(t.reg, &producers, &batches);
		ledger_stats(t.ledger, &scans, &bytes);
		listened_on(&t, listen, where, sizeof where);
		log_msg(
		    LOG_LV_NOTICE,
		    "version %s started: listening on %s with %u threads; ledger %s (%lld scans, "
		    "%ld batches)",
		    TEMD_VERSION, where, t.cfg.threads, db_name, (long long)scans, batches);
	}
	notify_send("READY=1"); /* systemd's Type=notify: server/notify.h */
	for (;;) {
		/* a trust list not yet recorded (the ledger took no writes at start) is recorded
		 * again every 10 s until it is: its sequence number guards against rollback */
		struct timespec wait = {10, 0};
		int sig = -1;
		if (pending == TEM_NO) {
			sig = sigtimedwait(&sigs, NULL, &wait);
			if (sig < 0 && errno == EAGAIN &&
			    load_trust(&t, &authority, 0, &err) == TEM_OK)
				pending = TEM_OK;
		} else if (sigwait(&sigs, &sig) != 0) {
			sig = -1;
		}
		if (sig < 0)
			continue;
		if (sig == SIGHUP) {
			notify_send("RELOADING=1");
			if (load_trust(&t, &authority, 0, &err) != TEM_OK) {
				metrics_trust_reload(0);
				log_msg(LOG_LV_ERROR,
					"trust list not reloaded, the old one stays in force: %s",
					err.msg);
			} else {
				metrics_trust_reload(1);
				pending = TEM_OK;
			}
			if (log_access_reopen(&err) != TEM_OK)
				log_msg(LOG_LV_ERROR, "%s (the old file stays open)", err.msg);
			notify_send("READY=1");
			continue;
		}
		notify_send("STOPPING=1");
		log_msg(LOG_LV_NOTICE, "%s: stopping, finishing the requests under way",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	http_stop(&t, 10);
	rc = 0;
out:
	/* runs the jobs still queued, closes the reads' and the tokens' connections, and
	 * checkpoints a SQLite ledger's WAL; new batches are no longer read from it first */
	registry_unfollow(t.reg);
	ledger_close(t.ledger);
	registry_free(t.reg);
	sodium_free(t.secret);
	log_access_close();
	if (rc == 0)
		log_msg(LOG_LV_NOTICE, "stopped: the ledger is checkpointed");
	return rc;
}
