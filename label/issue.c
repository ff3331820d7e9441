/* issue.c — issuing a batch (label/issue.h): the header, the serial reservation, and the
 * codes signed in blocks by the ordered pool (label/pool.h) and written in order. */
#include "label/issue.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keys/date.h"
#include "keys/fileio.h"
#include "keys/sig.h"
#include "keys/text.h"
#include "label/claim.h"
#include "label/pool.h"
#include "label/serial.h"

#define BLOCK_CODES 2048 /* codes a worker signs at a time */
#define LINE_BYTES  (CODE_TEXT_LEN + 1)

struct block {
	uint64_t first;                      /* serial of its first code */
	size_t n;                            /* codes in it */
	char text[BLOCK_CODES * LINE_BYTES]; /* n lines */
};

struct run {
	const struct batch_header *h;
	const struct tem_seckey *sk;
	struct atomic_file *af;   /* the batch file being written */
	uint64_t filled, written; /* codes handed out, codes written */
	issue_progress_fn progress;
	void *arg;
};

/* Copies the text of option what (at most max bytes) into dst: clean UTF-8 on one line, with
 * no character that hides or reorders text (keys/text.h, text_has_hidden). */
static int copy_text(char *dst, const char *src, size_t max, const char *what, struct tem_err *err)
{
	size_t n = strlen(src);
	uint32_t cp;

	if (n > max || !text_is_clean(src, n))
		return err_set(err, "%s must be clean UTF-8 text of at most %zu bytes", what, max);
	if (text_has_hidden(src, n, &cp))
		return err_set(err,
			       "%s holds an invisible or direction-changing character (U+%04X): "
			       "a buyer would not see the name as it is",
			       what, (unsigned)cp);
	memcpy(dst, src, n + 1);
	return TEM_OK;
}

int issue_prepare(struct batch_header *h, const struct issue_req *req, const char *out, int force,
		  struct tem_err *err)
{
	char sigbuf[SIG_PATH_MAX], claimbuf[SIG_PATH_MAX];
	const char *sigpath = sig_path(out, NULL, sigbuf, err);
	size_t n;

	memset(h, 0, sizeof *h);
	if (sigpath == NULL)
		return TEM_ERR;
	if (claim_key_path(out, claimbuf, sizeof claimbuf) == NULL)
		return err_set(err, "%s: path too long", out);
	if (!force && (access(out, F_OK) == 0 || access(sigpath, F_OK) == 0 ||
		       (!req->no_claim && access(claimbuf, F_OK) == 0)))
		return err_set(err, "%s: already exists (use -f to overwrite)",
			       access(out, F_OK) == 0       ? out
			       : access(sigpath, F_OK) == 0 ? sigpath
							    : claimbuf);
	h->has_claim = !req->no_claim;
	if (copy_text(h->product, req->product, BATCH_TEXT_MAX, "--product", err) != TEM_OK ||
	    copy_text(h->producer, req->producer, BATCH_TEXT_MAX, "--producer", err) != TEM_OK)
		return TEM_ERR;
	if (req->url != NULL) {
		for (n = strlen(req->url); n > 0 && req->url[n - 1] == '/';)
			n--;
		if (n > BATCH_URL_MAX)
			return err_set(err, "--url: longer than %d characters", BATCH_URL_MAX);
		/* temd answers at its host's root (/c/CODE, its forms, its API): a label under a
		 * path would open a page temd does not serve */
		const char *host = strstr(req->url, "://");
		if (host != NULL &&
		    memchr(host + 3, '/', n - (size_t)(host + 3 - req->url)) != NULL)
			return err_set(err,
				       "--url: '%.*s' has a path; temd answers at its host's root, "
				       "so give the scheme and host only (https://tem.example.vn)",
				       (int)n, req->url);
		for (size_t i = 0; i < n; i++)
			h->url[i] =
			    (char)(req->url[i] >= 'a' && req->url[i] <= 'z' ? req->url[i] - 32
									    : req->url[i]);
	}
	if (req->batch_id != NULL) {
		if (strlen(req->batch_id) > BATCH_ID_MAX)
			return err_set(err, "--batch: longer than %d characters", BATCH_ID_MAX);
		memcpy(h->batch_id, req->batch_id, strlen(req->batch_id) + 1);
	}
	if (req->last_day < 0 || req->last_day > UINT16_MAX)
		return err_set(err, "expiry date is too far in the future");
	h->last_day = (uint16_t)req->last_day;
	h->count = req->count;
	return TEM_OK;
}

static int fill(void *ctx, void *v, struct tem_err *err)
{
	struct run *r = ctx;
	struct block *b = v;
	uint64_t left = r->h->count - r->filled;

	(void)err;
	if (left == 0)
		return 0;
	b->first = r->h->first_serial + r->filled;
	b->n = (size_t)(left < BLOCK_CODES ? left : BLOCK_CODES);
	r->filled += b->n;
	return 1;
}

/* A worker: signs a block of codes into its lines of text. */
static int work(void *ctx, void *v, struct tem_err *err)
{
	const struct run *r = ctx;
	struct block *b = v;

	(void)err;
	for (size_t i = 0; i < b->n; i++) {
		struct tem_code c;
		memset(&c, 0, sizeof c);
		c.serial = b->first + i;
		c.last_day = r->h->last_day;
		code_sign(&c, r->sk);
		code_to_text(&c, b->text + i * LINE_BYTES);
		b->text[i * LINE_BYTES + CODE_TEXT_LEN] = '\n';
	}
	return TEM_OK;
}

static int consume(void *ctx, void *v, struct tem_err *err)
{
	struct run *r = ctx;
	struct block *b = v;

	if (atomic_write(r->af, b->text, b->n * LINE_BYTES, err) != TEM_OK)
		return TEM_ERR;
	r->written += b->n;
	if (r->progress != NULL)
		r->progress(r->arg, r->written);
	return TEM_OK;
}

/* Reserves the serials, then fills in and signs the header for them. The header is signed
 * once before, as a dry run: a bad field is caught before serials are spent. */
static int header(struct batch_header *h, const struct issue_req *req, const struct tem_seckey *sk,
		  const char *key_path, struct tem_err *err)
{
	int default_id = h->batch_id[0] == '\0';
	char day[11];

	h->issued = time(NULL);
	h->first_serial = 1;
	if (default_id)
		snprintf(h->batch_id, sizeof h->batch_id, "X");
	if (batch_header_sign(h, sk, err) != TEM_OK ||
	    serial_reserve_from(key_path, h->count, req->first_serial, req->above, &h->first_serial,
				err) != TEM_OK)
		return TEM_ERR;
	if (default_id) {
		date_format(date_vn_day(h->issued), day); /* the day in Cà Mau */
		snprintf(h->batch_id, sizeof h->batch_id, "%.4s%.2s%.2s-%" PRIu64, day, day + 5,
			 day + 8, h->first_serial);
	}
	return batch_header_sign(h, sk, err);
}

/* Signs the finished temporary file, then both files appear: the signature first, so a batch
 * file never stands without one. */
static int sign_and_commit(struct atomic_file *af, const struct batch_header *h,
			   const struct tem_seckey *sk, int force, struct tem_err *err)
{
	char sigbuf[SIG_PATH_MAX], tc[512], hex[KEYS_ID_HEX_LEN + 1];
	const char *sigpath = sig_path(af->path, NULL, sigbuf, err);

	if (sigpath == NULL)
		return TEM_ERR;
	keys_id_hex(h->key_id, hex);
	snprintf(tc, sizeof tc,
		 "tem batch %s key %s serials %" PRIu64 "-%" PRIu64 " count %" PRIu64, h->batch_id,
		 hex, h->first_serial, h->first_serial + h->count - 1, h->count);
	if (fsync(af->fd) != 0)
		return err_set(err, "%s: fsync: %s", af->path, strerror(errno));
	if (sig_sign_file(af->tmp, sigpath, sk, tc, force, err) != TEM_OK)
		return TEM_ERR;
	if (atomic_commit(af, err) != TEM_OK) {
		file_remove_quiet(sigpath);
		return TEM_ERR;
	}
	return TEM_OK;
}

int issue_batch(struct batch_header *h, const struct issue_req *req, const struct tem_seckey *sk,
		const char *key_path, const char *out, int force, unsigned threads,
		issue_progress_fn progress, void *arg, struct tem_err *err)
{
	static const struct pool_ops ops = {fill, work, consume, NULL};
	struct atomic_file af = {.fd = -1};
	struct run r = {h, sk, &af, 0, 0, progress, arg};
	unsigned char *claim_key = NULL;
	char claimbuf[SIG_PATH_MAX], sigbuf[SIG_PATH_MAX];
	const char *claimpath = claim_key_path(out, claimbuf, sizeof claimbuf);
	int rc = TEM_ERR, claim_written = 0;

	if (claimpath == NULL || sig_path(out, NULL, sigbuf, err) == NULL)
		return err_set(err, "%s: path too long", out);
	/* what a killed run left: half-written files of valid signed codes */
	if (atomic_clean_stale(out, NULL, err) != TEM_OK ||
	    atomic_clean_stale(sigbuf, NULL, err) != TEM_OK ||
	    atomic_clean_stale(claimpath, NULL, err) != TEM_OK)
		return TEM_ERR;
	if (h->has_claim) {
		/* the key lives in guarded memory and only its commitment enters the header */
		if ((claim_key = sodium_malloc(CLAIM_KEY_BYTES)) == NULL)
			return err_set(err, "out of memory");
		claim_key_new(claim_key);
		claim_commit(claim_key, h->claim);
	}
	if (atomic_open(&af, out, 0644, force, err) != TEM_OK)
		goto out;
	/* the claim key file comes before the batch: a batch never stands without its PINs */
	if (header(h, req, sk, key_path, err) == TEM_OK &&
	    (claim_key == NULL || (claim_written = claim_key_save(claimpath, h->batch_id, claim_key,
								  force, err) == TEM_OK)) &&
	    atomic_write(&af, h->raw, h->raw_len, err) == TEM_OK &&
	    pool_run(threads, 0, sizeof(struct block), &ops, &r, err) == TEM_OK)
		rc = sign_and_commit(&af, h, sk, force, err);
	atomic_abort(&af);
	if (rc != TEM_OK && claim_written)
		file_remove_quiet(claimpath);
out:
	sodium_free(claim_key);
	return rc;
}
