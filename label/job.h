/* job.h — a batch made into printable labels: what `tem label` does, step by step. The batch
 * is verified before anything is drawn (its file signature, its header signature, then every
 * code's signature as it is drawn); codes are verified and QR-encoded on all cores and drawn
 * in order, so memory does not grow with the batch. No cairo here. */
#ifndef TEM_JOB_H
#define TEM_JOB_H

#include <stdint.h>

#include "keys/err.h"
#include "keys/keys.h"
#include "label/layout.h"
#include "label/output.h"
#include "label/qr.h"

/* How the labels are made. */
struct label_opts {
	struct label_spec spec; /* layout and sizes; 0 fields take the layout's defaults */
	enum qr_ecc ecc;        /* error correction */
	int max_version;        /* refuse QR versions past it; 0 = no cap */
	int dpi;                /* PNG resolution */
	int printer_dpi;        /* the printer's resolution, for the read-back check; 0 = 300 */
	const char *url;        /* verification base URL; NULL = the batch's */
	const char *claim;      /* the batch's claim key file; NULL = BATCH.claim */
	int no_pin;             /* 1: draw no PIN area even when the batch has claim PINs */
	int check;              /* 1: read every label back as a phone sees it before writing */
	unsigned threads;       /* verifying and encoding threads; 0 = all cores */
};

struct label_job;

/* Opens the batch file for labelling with the producer's key pk: checks the fonts, verifies
 * BATCH.minisig and the header signature, loads the batch's claim key when its codes have claim
 * PINs (o->claim or BATCH.claim, checked against the header's commitment; not with o->no_pin)
 * and plans the geometry for the batch's QR size and PIN area. TEM_OK with *out set (free with
 * label_job_free, which wipes the key); TEM_NO when a signature says no or the claim key is not
 * the batch's; TEM_ERR for anything else (unreadable or malformed batch, a missing claim key
 * file, no URL, labels that do not fit). */
int label_job_open(struct label_job **out, const char *batch, const struct tem_pubkey *pk,
		   const struct label_opts *o, struct tem_err *err);

/* The planned geometry of an open job. */
const struct label_geom *label_job_geom(const struct label_job *j);

/* The QR version every label of the job has (all its URLs have one length). */
int label_job_qr_version(const struct label_job *j);

/* 1 when the job's labels carry claim PINs in a hidden area. */
int label_job_has_pin(const struct label_job *j);

/* 1 when the batch's codes have claim PINs (whether or not they are drawn). */
int label_job_batch_has_claim(const struct label_job *j);

/* The number of labels: the batch's count. */
uint64_t label_job_count(const struct label_job *j);

/* Called on the caller's thread with the labels written so far. */
typedef void (*label_progress_fn)(void *arg, uint64_t done);

/* Draws every label of the job into path in format fmt (replacing an existing path only with
 * force), each read back first when asked. TEM_OK once the output is in place; TEM_NO when a
 * code does not verify or a label does not read back ("PATH: code N (line L): ..."); TEM_ERR
 * for anything else. On failure nothing is left at path. progress may be NULL. */
int label_job_write(struct label_job *j, const char *path, enum label_format fmt, int force,
		    label_progress_fn progress, void *arg, struct tem_err *err);

/* Closes the batch and frees the job (NULL is fine). */
void label_job_free(struct label_job *j);

#endif
