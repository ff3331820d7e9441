/* issue.h — issuing a batch: what `tem issue` does, step by step. Serials are reserved
 * durably for the key before any code is written (label/serial.h); codes are signed on all
 * cores and streamed to the batch file in order, so memory stays bounded whatever the count;
 * the batch file and its signature FILE.minisig appear whole or not at all. */
#ifndef TEM_ISSUE_H
#define TEM_ISSUE_H

#include <stdint.h>

#include "keys/err.h"
#include "keys/keys.h"
#include "label/batch.h"

/* What a batch is to say. */
struct issue_req {
	const char *product;   /* what the codes go on; required */
	const char *producer;  /* the producer's name as printed on labels; may be "" */
	const char *batch_id;  /* NULL: DATE-FIRSTSERIAL once the serials are reserved */
	const char *url;       /* verification base URL, NULL for none; upper-cased, trailing '/'
				 dropped */
	int32_t last_day;      /* last valid day of every code (days since 1970), 0 = none */
	uint64_t count;        /* codes, 1 to BATCH_COUNT_MAX */
	int no_claim;          /* 1: codes without claim PINs (no BATCH.claim file) */
	uint64_t first_serial; /* 0: continue the key's counter; N: start at N (serial.h) */
	uint64_t above;        /* the server's highest registered serial of the key, 0 = unknown:
				* the batch must start past it (serial.h) */
};

/* Checks the request and fills h from it, before the key is loaded or a serial spent: TEM_OK,
 * or TEM_ERR for a field that is not valid, or an existing out, out.minisig or out.claim when
 * !force. */
int issue_prepare(struct batch_header *h, const struct issue_req *req, const char *out, int force,
		  struct tem_err *err);

/* Called on the caller's thread with the codes written so far. */
typedef void (*issue_progress_fn)(void *arg, uint64_t done);

/* Issues the batch prepared in h from req with the secret key sk read from key_path: reserves
 * h->count serials beside key_path (from req->first_serial and above req->above, as
 * serial_reserve_from says), fills h (issue time, first serial, batch id, signature),
 * makes the batch's claim key and writes it to out.claim (mode 0600) unless the request said
 * no_claim, writes the header and every code to out with `threads` signing threads (0: all
 * cores), then signs the file into out.minisig and renames both into place (replacing them
 * only with force). TEM_OK or TEM_ERR; on failure no file is left behind, and serials once
 * reserved stay spent. progress may be NULL. */
int issue_batch(struct batch_header *h, const struct issue_req *req, const struct tem_seckey *sk,
		const char *key_path, const char *out, int force, unsigned threads,
		issue_progress_fn progress, void *arg, struct tem_err *err);

#endif
