/* fuzz_batch.c — batch files and headers (label/batch.c): the header alone as temd receives
 * it (batch_header_parse, then its signature checked with the test vectors' key), and the
 * whole file as tem label and tem register read it (batch_open, then every code). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "label/batch.h"

static char path[64];
static struct tem_pubkey pk;

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char pub[] = "RWSntuXUIQyaPwOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
	struct tem_err err;
	int fd;

	(void)argc, (void)argv;
	if (keys_init(&err) != TEM_OK ||
	    keys_public_parse(pub, sizeof pub - 1, "vector.pub", &pk, &err) != TEM_OK)
		abort();
	snprintf(path, sizeof path, "%s/tem-fuzz-batch.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		abort();
	close(fd);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch_header *h = malloc(sizeof *h);
	struct batch_reader *r;
	struct tem_code c;
	struct tem_err err;
	char text[CODE_TEXT_LEN + 1];
	int fd, rc;

	if (h == NULL)
		abort();
	if (batch_header_parse((const char *)data, size, h, &err) == TEM_OK) {
		if (h->raw_len > sizeof h->raw || h->signed_len > h->raw_len)
			abort();
		(void)batch_header_verify(h, &pk, &err);
	}
	free(h);
	if ((fd = open(path, O_WRONLY | O_TRUNC)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (batch_open(path, &r, &err) != TEM_OK)
		return 0;
	/* a header's count may be 10^8: the codes actually in the file end the loop first */
	while ((rc = batch_next(r, &c, text, &err)) == 1)
		;
	batch_close(r);
	return 0;
}
