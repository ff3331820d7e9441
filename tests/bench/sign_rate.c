/* sign_rate.c — the machine's raw Ed25519 limits, measured with libsodium alone: signatures
 * (or verifications) per second on one core and on N threads, over the same 31-byte messages
 * tem signs. Usage: sign_rate sign|verify THREADS SECONDS; prints "RATE" (per second, all
 * threads together). */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static int verify;
static double seconds;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
	unsigned char msg[31] = "tem-code-v1\n", sig[crypto_sign_BYTES];
	unsigned long long *count = arg, n = 0;
	double end = now() + seconds;

	crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
	while (now() < end) {
		for (int i = 0; i < 64; i++) {
			msg[20] = (unsigned char)n;
			msg[19] = (unsigned char)(n >> 8);
			if (verify) {
				if (crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0)
					msg[30] ^=
					    1; /* never taken for n > 0: keeps the call live */
			} else {
				crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
			}
			n++;
		}
	}
	*count = n;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[256];
	unsigned long long counts[256], total = 0;
	int threads;
	double t0;

	if (argc != 4 || sodium_init() < 0) {
		fprintf(stderr, "usage: sign_rate sign|verify THREADS SECONDS\n");
		return 2;
	}
	verify = strcmp(argv[1], "verify") == 0;
	threads = atoi(argv[2]);
	seconds = atof(argv[3]);
	if (threads < 1 || threads > 256 || seconds <= 0)
		return 2;
	crypto_sign_keypair(pk, sk);
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
