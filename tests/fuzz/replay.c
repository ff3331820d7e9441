/* replay.c — runs a fuzz target's kept crash inputs once each with the normal build, for
 * make test: linked with tests/fuzz/fuzz_NAME.o as tests/fuzz/replay_NAME, it reads every file
 * of tests/fuzz/regressions/NAME/ (from the source tree's root, where make test runs) and
 * prints a TAP line for each. A crash fails the program, and so the test. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Reads path whole into *buf (malloc'd); 0 or -1. */
static int slurp(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, k;
	uint8_t *b = malloc(cap), *g;

	if (f == NULL || b == NULL)
		goto fail;
	while ((k = fread(b + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			if ((g = realloc(b, cap * 2)) == NULL)
				goto fail;
			b = g;
			cap *= 2;
		}
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
fail:
	if (f != NULL)
		fclose(f);
	free(b);
	return -1;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 : argv[0];
	char dir[512], path[1024];
	struct dirent **names;
	int n, t = 0, bad = 0;

	if (strncmp(base, "replay_", 7) != 0) {
		fprintf(stderr, "%s: run as replay_NAME\n", base);
		return 2;
	}
	snprintf(dir, sizeof dir, "tests/fuzz/regressions/%s", base + 7);
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		printf("not ok 1 - %s: cannot read the kept inputs\n1..1\n", dir);
		return 1;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 0; i < n; i++) {
		uint8_t *buf;
		size_t len;
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
			if (slurp(path, &buf, &len) != 0) {
				printf("not ok %d - %s: cannot read\n", ++t, path);
				bad = 1;
			} else {
				LLVMFuzzerTestOneInput(buf, len);
				free(buf);
				printf("ok %d - %s is handled\n", ++t, path);
			}
		}
		free(names[i]);
	}
	free(names);
	printf("1..%d\n", t);
	return bad;
}
