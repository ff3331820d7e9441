/* qr_rate.c — the floor under tem label: libqrencode alone encoding tem-length URLs (157 QR
 * alphanumeric characters, ECC M), on N threads. Usage: qr_rate THREADS SECONDS; prints the
 * encodes per second of all threads together. */
#include <pthread.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned long long *count = arg, n = 0;
	char url[160] = "HTTP://127.0.0.1:8080/C/";
	double end = now() + seconds;
	size_t base = strlen(url);

	while (now() < end) {
		for (size_t i = 0; i < 133; i++)
			url[base + i] = alpha[(n * 7 + i * 13 + (n >> 3) * i) % 32];
		url[base + 133] = '\0';
		QRinput *in = QRinput_new2(0, QR_ECLEVEL_M);
		QRinput_append(in, QR_MODE_AN, (int)strlen(url), (const unsigned char *)url);
		QRcode *q = QRcode_encodeInput(in);
		QRinput_free(in);
		if (q == NULL)
			exit(1);
		QRcode_free(q);
		n++;
	}
	*count = n;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	unsigned long long counts[64], total = 0;
	int threads;
	double t0;

	if (argc != 3 || (threads = atoi(argv[1])) < 1 || threads > 64 ||
	    (seconds = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: qr_rate THREADS SECONDS\n");
		return 2;
	}
	t0 = now();
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, run, &counts[i]);
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		total += counts[i];
	}
	printf("%.0f\n", (double)total / (now() - t0));
	return 0;
}
