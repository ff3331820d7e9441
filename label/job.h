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
	int dpi;                /* PNG and read-back resolution */
	const char *url;        /* verification base URL; NULL = the batch's */
	int check;              /* 1: rasterise and decode every label before writing it */
	unsigned threads;       /* verifying and encoding threads; 0 = all cores */
};

struct label_job;

/* Opens the batch file for labelling with the producer's key pk: checks the fonts, verifies
 * BATCH.minisig and the header signature, and plans the geometry for the batch's QR size.
 * TEM_OK with *out set (free with label_job_free); TEM_NO when a signature says no; TEM_ERR
 * for anything else (unreadable or malformed batch, no URL, labels that do not fit). */
int label_job_open(struct label_job **out, const char *batch, const struct tem_pubkey *pk,
		   const struct label_opts *o, struct tem_err *err);

/* The planned geometry of an open job. */
const struct label_geom *label_job_geom(const struct label_job *j);

/* The QR version every label of the job has (all its URLs have one length). */
int label_job_qr_version(const struct label_job *j);

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
