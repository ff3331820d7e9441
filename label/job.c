/* job.c — a batch made into labels (label/job.h): the ordered pool (label/pool.h) verifies and
 * encodes codes on worker threads while the caller's thread reads them and, in order, reads
 * each label back when asked and draws it into the output (label/output.h). */
#include "label/job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/sig.h"
#include "label/batch.h"
#include "label/check.h"
#include "label/claim.h"
#include "label/pool.h"
#include "label/render.h"

#define JOB_DEPTH 256 /* labels in flight: enough to keep every core busy while one is drawn */

struct job_item {
	struct tem_code code;         /* read from the batch */
	uint64_t number;              /* 1 for the batch's first code */
	int line;                     /* its line in the batch file */
	char url[CODE_URL_MAX];       /* what its QR says */
	char sid[CODE_SHORT_ID_MAX];  /* its short id */
	struct qr qr;                 /* encoded by a worker */
	char pin[CLAIM_PIN_TEXT_MAX]; /* its claim PIN as printed, or "" */
};

struct label_job {
	struct label_opts o;        /* as asked */
	struct tem_pubkey pk;       /* the producer's key */
	struct batch_reader *br;    /* the batch, positioned at its first code */
	const char *base;           /* verification base URL */
	struct label_geom g;        /* planned geometry */
	unsigned char *key;         /* the batch's claim key (sodium_malloc), or NULL */
	int qr_version;             /* every label's QR version */
	uint64_t read;              /* codes read so far */
	struct label_art *art;      /* while writing: what every label shares */
	struct label_checker *ck;   /* while writing, with --check */
	struct label_writer *w;     /* while writing */
	label_progress_fn progress; /* may be NULL */
	void *progress_arg;
};

/* Verifies the file signature (a tampered batch draws nothing), then opens the batch and
 * verifies its header. */
static int open_verified(struct label_job *j, const char *batch, struct tem_err *err)
{
	char sp[SIG_PATH_MAX];
	const char *sigpath = sig_path(batch, NULL, sp, err);
	int r;

	if (sigpath == NULL)
		return TEM_ERR;
	if ((r = sig_verify_file(batch, sigpath, &j->pk, NULL, 0, err)) != TEM_OK)
		return r;
	if (batch_open(batch, &j->br, err) != TEM_OK)
		return TEM_ERR;
	if ((r = batch_header_verify(batch_reader_header(j->br), &j->pk, err)) != TEM_OK)
		err_prefix(err, batch);
	return r;
}

/* Plans the geometry: every URL of a batch has the same length, so one sample fixes the QR
 * version and size. */
static int plan(struct label_job *j, struct tem_err *err)
{
	struct tem_code sample;
	struct qr q;
	char url[CODE_URL_MAX];
	int r;

	memset(&sample, 0, sizeof sample);
	sample.version = CODE_VERSION;
	if (code_to_url(&sample, j->base, url, sizeof url, err) != TEM_OK ||
	    qr_encode(url, j->o.ecc, j->o.max_version, &q, err) != 0)
		return TEM_ERR;
	j->qr_version = q.version;
	r = label_plan(&j->o.spec, q.width, &j->g, err);
	qr_free(&q);
	return r;
}

/* Loads the claim key when the labels are to carry PINs: from o.claim or BATCH.claim, checked
 * against the header's commitment, into guarded memory. */
static int load_claim(struct label_job *j, const char *batch, struct tem_err *err)
{
	const struct batch_header *h = batch_reader_header(j->br);
	char buf[4200];
	const char *path = j->o.claim;
	int r;

	if (!h->has_claim) {
		if (j->o.claim != NULL)
			return err_set(err,
				       "%s: the batch has no claim PINs (issued --no-claim), so "
				       "--claim has nothing to print",
				       batch);
		return TEM_OK;
	}
	if (j->o.no_pin)
		return TEM_OK;
	if (path == NULL && (path = claim_key_path(batch, buf, sizeof buf)) == NULL)
		return err_set(err, "%s: path too long", batch);
	if ((j->key = sodium_malloc(CLAIM_KEY_BYTES)) == NULL)
		return err_set(err, "out of memory");
	if ((r = claim_key_load(path, h->claim, j->key, err)) != TEM_OK) {
		struct tem_err inner = *err;
		if (r == TEM_ERR)
			err_set(err,
				"%s has claim PINs but its claim key cannot be read (%s): give "
				"--claim FILE, or --no-pin for a proof print without PINs",
				batch, inner.msg);
		return r;
	}
	j->o.spec.pin = 1;
	return TEM_OK;
}

int label_job_open(struct label_job **out, const char *batch, const struct tem_pubkey *pk,
		   const struct label_opts *o, struct tem_err *err)
{
	struct label_job *j = calloc(1, sizeof *j);
	int r;

	*out = NULL;
	if (j == NULL)
		return err_set(err, "out of memory");
	j->o = *o;
	j->pk = *pk;
	if ((r = label_fonts_check(err)) != TEM_OK || (r = open_verified(j, batch, err)) != TEM_OK)
		goto fail;
	j->base = o->url != NULL ? o->url : batch_reader_header(j->br)->url;
	if (j->base[0] == '\0') {
		r = err_set(err, "%s: the batch has no verification URL: give --url BASE", batch);
		goto fail;
	}
	if ((r = load_claim(j, batch, err)) != TEM_OK || (r = plan(j, err)) != TEM_OK)
		goto fail;
	*out = j;
	return TEM_OK;
fail:
	label_job_free(j);
	return r;
}

const struct label_geom *label_job_geom(const struct label_job *j)
{
	return &j->g;
}

int label_job_qr_version(const struct label_job *j)
{
	return j->qr_version;
}

int label_job_has_pin(const struct label_job *j)
{
	return j->g.pin;
}

int label_job_batch_has_claim(const struct label_job *j)
{
	return batch_reader_header(j->br)->has_claim;
}

uint64_t label_job_count(const struct label_job *j)
{
	return batch_reader_header(j->br)->count;
}

static int fill(void *ctx, void *v, struct tem_err *err)
{
	struct label_job *j = ctx;
	struct job_item *it = v;
	int r = batch_next(j->br, &it->code, NULL, err);

	if (r != 1)
		return r;
	it->number = ++j->read;
	it->line = batch_reader_line(j->br);
	return 1;
}

/* Names the code an error is about: "BATCH: code N (line L): ERROR"; returns r. */
static int item_error(const struct label_job *j, const struct job_item *it, int r,
		      struct tem_err *err)
{
	char where[4200];

	snprintf(where, sizeof where, "%s: code %llu (line %d)", batch_reader_path(j->br),
		 (unsigned long long)it->number, it->line);
	err_prefix(err, where);
	return r;
}

/* A worker: verifies the code, makes its URL and short id, encodes its QR. */
static int work(void *ctx, void *v, struct tem_err *err)
{
	struct label_job *j = ctx;
	struct job_item *it = v;

	if (code_verify(&it->code, &j->pk, err) != TEM_OK) {
		err_prefix(err, "does not verify");
		return item_error(j, it, TEM_NO, err);
	}
	code_short_id(&it->code, it->sid);
	it->pin[0] = '\0';
	if (j->key != NULL) {
		char pin[CLAIM_PIN_DIGITS + 1];
		claim_pin(j->key, it->code.serial, pin);
		claim_pin_format(pin, it->pin);
		sodium_memzero(pin, sizeof pin);
	}
	if (code_to_url(&it->code, j->base, it->url, sizeof it->url, err) != TEM_OK ||
	    qr_encode(it->url, j->o.ecc, j->o.max_version, &it->qr, err) != 0)
		return item_error(j, it, TEM_ERR, err);
	return TEM_OK;
}

static const char *pin_of(const struct job_item *it)
{
	return it->pin[0] != '\0' ? it->pin : NULL;
}

/* The caller's thread, in order: reads the label back when asked, then draws it. */
static int consume(void *ctx, void *v, struct tem_err *err)
{
	struct label_job *j = ctx;
	struct job_item *it = v;
	int r = TEM_OK;

	if (it->qr.width != j->g.qr_width)
		r = err_set(err, "%s: code %llu gives a QR of another size",
			    batch_reader_path(j->br), (unsigned long long)it->number);
	else if (j->ck != NULL && (r = label_check(j->ck, j->art, &it->qr, it->sid, pin_of(it),
						   it->url, err)) != TEM_OK)
		err_prefix(err, "--check");
	else
		r = label_write_label(j->w, &it->qr, it->sid, pin_of(it), err);
	qr_free(&it->qr);
	sodium_memzero(it->pin, sizeof it->pin);
	if (r == TEM_OK && j->progress != NULL)
		j->progress(j->progress_arg, it->number);
	return r;
}

static void release(void *ctx, void *v)
{
	struct job_item *it = v;

	(void)ctx;
	qr_free(&it->qr);
	sodium_memzero(it->pin, sizeof it->pin);
}

/* What every label shares: the art (room kept for the batch's widest short id, its last),
 * and the read-back checker when asked. */
static int prepare(struct label_job *j, enum label_format fmt, struct tem_err *err)
{
	const struct batch_header *h = batch_reader_header(j->br);
	char widest[CODE_SHORT_ID_MAX];
	struct tem_code last;

	memset(&last, 0, sizeof last);
	memcpy(last.key_id, h->key_id, sizeof last.key_id);
	last.serial = h->first_serial + h->count - 1;
	code_short_id(&last, widest);
	char host[BATCH_URL_MAX + 1];
	label_url_host(j->base, host, sizeof host);
	struct label_text t = {widest, h->producer, h->product, host};
	j->art = label_art_new(&j->g, &t, label_format_qr_style(fmt));
	if (j->art == NULL ||
	    (j->o.check && (j->ck = label_checker_new(&j->g, j->o.printer_dpi > 0 ? j->o.printer_dpi
										  : 300)) == NULL))
		return err_set(err, "out of memory");
	return TEM_OK;
}

int label_job_write(struct label_job *j, const char *path, enum label_format fmt, int force,
		    label_progress_fn progress, void *arg, struct tem_err *err)
{
	static const struct pool_ops ops = {fill, work, consume, release};
	int r;

	j->progress = progress;
	j->progress_arg = arg;
	if ((r = prepare(j, fmt, err)) != TEM_OK ||
	    (r = label_write_open(&j->w, path, fmt, force, &j->g, j->art, j->o.dpi,
				  label_job_count(j), err)) != TEM_OK)
		return r;
	r = pool_run(j->o.threads, JOB_DEPTH, sizeof(struct job_item), &ops, j, err);
	if (j->key != NULL) { /* every PIN is drawn: the key is wiped now */
		sodium_free(j->key);
		j->key = NULL;
	}
	if (r == TEM_OK)
		r = label_write_finish(j->w, err);
	label_write_free(j->w);
	j->w = NULL;
	return r;
}

void label_job_free(struct label_job *j)
{
	if (j == NULL)
		return;
	label_write_free(j->w);
	label_checker_free(j->ck);
	label_art_free(j->art);
	batch_close(j->br);
	if (j->key != NULL)
		sodium_free(j->key); /* wipes it */
	free(j);
}
