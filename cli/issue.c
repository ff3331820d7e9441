/* issue.c — `tem issue`: reserves a serial range for the key, then signs the codes on all
 * cores and streams them to the batch file in order. Memory stays bounded whatever the count:
 * workers fill a small ring of blocks, the main thread writes each block as soon as it is its
 * turn. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/date.h"
#include "keys/fileio.h"
#include "keys/sig.h"
#include "keys/text.h"
#include "label/batch.h"

static const char usage[] =
    "usage: tem issue -s SEC -n COUNT --product TEXT [--producer TEXT] [--batch ID]\n"
    "                 [--url BASE] [--valid-days N | --expires YYYY-MM-DD] -o FILE\n"
    "                 [-f] [-q] [--threads N] [--passphrase-file F]\n"
    "\n"
    "Issues COUNT signed codes with the secret key SEC: writes the batch file FILE (a signed\n"
    "header, then one code per line) and its signature FILE.minisig. Serials continue from\n"
    "the key's counter file SEC.serial, reserved before any code is written, so they never\n"
    "repeat for a key, even with two runs at once.\n"
    "\n"
    "  --product TEXT      what the codes go on, e.g. 'Cua Cà Mau'\n"
    "  --producer TEXT     the producer's name as printed on labels\n"
    "  --batch ID          batch id (A-Z a-z 0-9 . _ -); default DATE-FIRSTSERIAL\n"
    "  --url BASE          verification server base URL, e.g. https://tem.example.vn\n"
    "  --valid-days N      codes expire N days from today (signed into each code)\n"
    "  --expires DATE      codes expire after DATE\n"
    "  --threads N         signing threads (default: all cores)\n"
    "  -f                  overwrite FILE\n"
    "  -q                  no progress\n";

#define BLOCK_CODES 2048
#define LINE_BYTES  (CODE_TEXT_LEN + 1)

struct block {
	int state;      /* 0 free, 1 being signed, 2 ready to write */
	uint64_t index; /* which block of the batch */
	size_t n;       /* codes in it */
	char *text;     /* n lines of LINE_BYTES */
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct block *ring;
	size_t nring;
	uint64_t next_block; /* next block index a worker takes */
	uint64_t written;    /* blocks written so far */
	uint64_t nblocks;
	uint64_t first_serial;
	uint64_t count;
	uint16_t last_day;
	const struct tem_seckey *sk;
	int stop;
};

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->next_block < p->nblocks &&
		       p->next_block - p->written >= p->nring)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->next_block >= p->nblocks) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		uint64_t k = p->next_block++;
		struct block *b = &p->ring[k % p->nring];
		b->state = 1;
		b->index = k;
		pthread_mutex_unlock(&p->mu);

		uint64_t start = k * BLOCK_CODES;
		size_t n =
		    (size_t)(p->count - start < BLOCK_CODES ? p->count - start : BLOCK_CODES);
		for (size_t i = 0; i < n; i++) {
			struct tem_code c;
			memset(&c, 0, sizeof c);
			c.serial = p->first_serial + start + i;
			c.last_day = p->last_day;
			code_sign(&c, p->sk);
			code_to_text(&c, b->text + i * LINE_BYTES);
			b->text[i * LINE_BYTES + CODE_TEXT_LEN] = '\n';
		}
		pthread_mutex_lock(&p->mu);
		b->n = n;
		b->state = 2;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Reserves count serials for the key: reads the next free serial from SEC.serial under an
 * exclusive lock on SEC.lock, writes next + count durably, and only then returns the first. */
static int reserve_serials(const char *sec, uint64_t count, uint64_t *first, struct tem_err *err)
{
	char lockp[4096], ctrp[4096];
	char *buf = NULL, out[64];
	size_t len;
	uint64_t next = 1;
	int fd, rc = TEM_ERR;

	if (snprintf(lockp, sizeof lockp, "%s.lock", sec) >= (int)sizeof lockp ||
	    snprintf(ctrp, sizeof ctrp, "%s.serial", sec) >= (int)sizeof ctrp)
		return err_set(err, "%s: path too long", sec);
	fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set(err, "%s: %s", lockp, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			err_set(err, "%s: lock: %s", lockp, strerror(errno));
			goto out;
		}
	}
	if (file_read_all(ctrp, 64, &buf, &len, err) == TEM_OK) {
		char *end;
		errno = 0;
		next = strtoull(buf, &end, 10);
		if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || next == 0) {
			err_set(err, "%s: damaged serial counter (expected a number)", ctrp);
			goto out;
		}
	} else if (access(ctrp, F_OK) == 0) {
		goto out; /* exists but unreadable: never restart serials at 1 */
	}
	if (next > UINT64_MAX - count) {
		err_set(err, "%s: serials exhausted for this key", ctrp);
		goto out;
	}
	len = (size_t)snprintf(out, sizeof out, "%" PRIu64 "\n", next + count);
	if (file_write_atomic(ctrp, out, len, 0600, 1, err) != TEM_OK)
		goto out;
	*first = next;
	rc = TEM_OK;
out:
	free(buf);
	close(fd); /* releases the lock */
	return rc;
}

int cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"product", required_argument, NULL, 'R'},
					     {"producer", required_argument, NULL, 'D'},
					     {"batch", required_argument, NULL, 'B'},
					     {"url", required_argument, NULL, 'U'},
					     {"valid-days", required_argument, NULL, 'V'},
					     {"expires", required_argument, NULL, 'E'},
					     {"threads", required_argument, NULL, 'T'},
					     {"passphrase-file", required_argument, NULL, 'P'},
					     {NULL, 0, NULL, 0}};
	const char *sec = NULL, *out = NULL, *product = NULL, *producer = "", *batch = NULL;
	const char *url = NULL, *valid_days = NULL, *expires = NULL, *passfile = NULL;
	uint64_t count = 0, nthreads = 0, days;
	int force = 0, quiet = 0, c, rc = EXIT_USAGE;
	struct batch_header *h = NULL;
	struct tem_seckey *sk = NULL;
	struct atomic_file af = {.fd = -1};
	struct pool p;
	pthread_t *th = NULL;
	size_t started = 0;
	struct tem_err err;
	struct progress prog;
	const char *sigpath;
	char sigbuf[SIG_PATH_MAX], tc[512], hex[KEYS_ID_HEX_LEN + 1];
	int32_t last = 0;
	int sig_written = 0;

	memset(&p, 0, sizeof p);
	while ((c = getopt_long(argc, argv, "s:n:o:fqh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sec = optarg;
			break;
		case 'n':
			if (text_parse_u64(optarg, 1, BATCH_COUNT_MAX, &count) != TEM_OK)
				return cli_usage_error("issue", "-n: not a count from 1 to %llu",
						       (unsigned long long)BATCH_COUNT_MAX);
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'R':
			product = optarg;
			break;
		case 'D':
			producer = optarg;
			break;
		case 'B':
			batch = optarg;
			break;
		case 'U':
			url = optarg;
			break;
		case 'V':
			valid_days = optarg;
			break;
		case 'E':
			expires = optarg;
			break;
		case 'T':
			if (text_parse_u64(optarg, 1, 256, &nthreads) != TEM_OK)
				return cli_usage_error("issue",
						       "--threads: not a number from 1 to 256");
			break;
		case 'P':
			passfile = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return cli_usage_error("issue", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("issue", "unexpected argument '%s'", argv[optind]);
	if (sec == NULL || out == NULL || count == 0 || product == NULL)
		return cli_usage_error("issue", "-s SEC, -n COUNT, --product TEXT and -o FILE are "
						"needed");
	if (valid_days != NULL && expires != NULL)
		return cli_usage_error("issue", "give --valid-days or --expires, not both");
	if (valid_days != NULL) {
		if (text_parse_u64(valid_days, 1, 36500, &days) != TEM_OK)
			return cli_usage_error("issue",
					       "--valid-days: not a number of days from 1 to "
					       "36500");
		last = date_today() + (int32_t)days;
	} else if (expires != NULL) {
		if (date_parse(expires, &last, &err) != TEM_OK)
			return cli_fail(&err);
		if (last < date_today())
			return cli_usage_error("issue", "--expires %s is already past", expires);
	}
	if (last > UINT16_MAX)
		return cli_usage_error("issue", "expiry date is too far in the future");
	if ((sigpath = sig_path(out, NULL, sigbuf, &err)) == NULL)
		return cli_fail(&err);
	if (!force && (access(out, F_OK) == 0 || access(sigpath, F_OK) == 0)) {
		cli_warn("%s: already exists (use -f to overwrite)",
			 access(out, F_OK) == 0 ? out : sigpath);
		return EXIT_USAGE;
	}
	h = calloc(1, sizeof *h);
	if (h == NULL) {
		cli_warn("out of memory");
		return EXIT_USAGE;
	}
	/* check the header's fields before the key and the serials are touched */
	if (strlen(product) > BATCH_TEXT_MAX || strlen(producer) > BATCH_TEXT_MAX ||
	    !text_is_clean(product, strlen(product)) ||
	    !text_is_clean(producer, strlen(producer))) {
		cli_warn("--product and --producer must be clean UTF-8 text of at most %d bytes",
			 BATCH_TEXT_MAX);
		goto out;
	}
	memcpy(h->product, product, strlen(product) + 1);
	memcpy(h->producer, producer, strlen(producer) + 1);
	if (url != NULL) {
		size_t n = strlen(url);
		while (n > 0 && url[n - 1] == '/')
			n--;
		if (n > BATCH_URL_MAX) {
			cli_warn("--url: longer than %d characters", BATCH_URL_MAX);
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			h->url[i] = (char)(url[i] >= 'a' && url[i] <= 'z' ? url[i] - 32 : url[i]);
	}
	if (batch != NULL) {
		if (strlen(batch) > BATCH_ID_MAX) {
			cli_warn("--batch: longer than %d characters", BATCH_ID_MAX);
			goto out;
		}
		memcpy(h->batch_id, batch, strlen(batch) + 1);
	}
	if (keys_init(&err) != TEM_OK) {
		cli_fail(&err);
		goto out;
	}
	sk = cli_load_secret(sec, passfile, &err);
	if (sk == NULL) {
		cli_fail(&err);
		goto out;
	}
	h->issued = time(NULL);
	h->last_day = (uint16_t)last;
	h->count = count;
	h->first_serial = 1;
	if (batch == NULL)
		snprintf(h->batch_id, sizeof h->batch_id, "X");
	/* a dry run of the header catches a bad field before serials are spent */
	if (batch_header_sign(h, sk, &err) != TEM_OK) {
		cli_fail(&err);
		goto out;
	}
	if (atomic_open(&af, out, 0644, force, &err) != TEM_OK) {
		cli_fail(&err);
		goto out;
	}
	if (reserve_serials(sec, count, &h->first_serial, &err) != TEM_OK) {
		cli_fail(&err);
		goto out;
	}
	if (batch == NULL) {
		char day[11];
		date_format(date_from_time(h->issued), day);
		snprintf(h->batch_id, sizeof h->batch_id, "%.4s%.2s%.2s-%" PRIu64, day, day + 5,
			 day + 8, h->first_serial);
	}
	if (batch_header_sign(h, sk, &err) != TEM_OK ||
	    atomic_write(&af, h->raw, h->raw_len, &err) != TEM_OK) {
		cli_fail(&err);
		goto out;
	}

	if (nthreads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (uint64_t)n : 1;
	}
	p.sk = sk;
	p.first_serial = h->first_serial;
	p.count = count;
	p.last_day = h->last_day;
	p.nblocks = (count + BLOCK_CODES - 1) / BLOCK_CODES;
	p.nring = (size_t)nthreads * 2;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	p.ring = calloc(p.nring, sizeof *p.ring);
	th = calloc((size_t)nthreads, sizeof *th);
	if (p.ring == NULL || th == NULL) {
		cli_warn("out of memory");
		goto out_pool;
	}
	for (size_t i = 0; i < p.nring; i++)
		if ((p.ring[i].text = malloc((size_t)BLOCK_CODES * LINE_BYTES)) == NULL) {
			cli_warn("out of memory");
			goto out_pool;
		}
	for (; started < nthreads; started++)
		if (pthread_create(&th[started], NULL, worker, &p) != 0) {
			cli_warn("cannot start signing threads");
			goto out_pool;
		}
	progress_start(&prog, "codes", count, quiet);
	for (uint64_t k = 0; k < p.nblocks; k++) {
		struct block *b = &p.ring[k % p.nring];
		pthread_mutex_lock(&p.mu);
		while (!(b->state == 2 && b->index == k))
			pthread_cond_wait(&p.cv, &p.mu);
		pthread_mutex_unlock(&p.mu);
		if (atomic_write(&af, b->text, b->n * LINE_BYTES, &err) != TEM_OK) {
			cli_fail(&err);
			goto out_pool;
		}
		pthread_mutex_lock(&p.mu);
		b->state = 0;
		p.written = k + 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		progress_update(&prog,
				(k + 1) * BLOCK_CODES < count ? (k + 1) * BLOCK_CODES : count);
	}
	progress_end(&prog, count);

	/* the signature is made over the finished temporary file, then both appear */
	keys_id_hex(h->key_id, hex);
	snprintf(tc, sizeof tc,
		 "tem batch %s key %s serials %" PRIu64 "-%" PRIu64 " count %" PRIu64, h->batch_id,
		 hex, h->first_serial, h->first_serial + count - 1, count);
	if (fsync(af.fd) != 0) {
		cli_warn("%s: fsync: %s", out, strerror(errno));
		goto out_pool;
	}
	if (sig_sign_file(af.tmp, sigpath, sk, tc, force, &err) != TEM_OK) {
		cli_fail(&err);
		goto out_pool;
	}
	sig_written = 1;
	if (atomic_commit(&af, &err) != TEM_OK) {
		cli_fail(&err);
		goto out_pool;
	}
	sig_written = 0;
	if (!quiet)
		fprintf(stderr,
			"issued %" PRIu64 " codes, serials %" PRIu64 "-%" PRIu64
			", batch %s, key %s\nwrote %s and %s\n",
			count, h->first_serial, h->first_serial + count - 1, h->batch_id, hex, out,
			sigpath);
	rc = 0;
out_pool:
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (p.ring != NULL)
		for (size_t i = 0; i < p.nring; i++)
			free(p.ring[i].text);
	free(p.ring);
	free(th);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
out:
	if (sig_written)
		file_remove_quiet(sigpath);
	atomic_abort(&af);
	keys_secret_free(sk);
	free(h);
	return rc;
}
