/* passphrase.c — passphrases from a file, $TEM_PASSPHRASE or the terminal (no echo), kept in
 * guarded memory and wiped after use; and loading a secret key with one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/fileio.h"

#define PASS_MAX 1024

/* Copies s[0..len) into fresh guarded memory, refusing an empty passphrase. */
static char *pass_dup(const char *s, size_t len, struct tem_err *err)
{
	char *p;

	if (len == 0) {
		err_set(err, "empty passphrase");
		return NULL;
	}
	if (len >= PASS_MAX) {
		err_set(err, "passphrase longer than %d bytes", PASS_MAX - 1);
		return NULL;
	}
	p = sodium_malloc(len + 1);
	if (p == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Reads one line from the terminal with echo off into buf (guarded, PASS_MAX bytes). */
static int tty_read(int fd, const char *prompt, char *buf, struct tem_err *err)
{
	struct termios old, noecho;
	size_t n = 0;
	int rc = TEM_OK;

	if (tcgetattr(fd, &old) != 0)
		return err_set(err, "cannot read a passphrase: no terminal (use --passphrase-file "
				    "or TEM_PASSPHRASE)");
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	noecho.c_lflag |= ECHONL;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &noecho) != 0)
		return err_set(err, "cannot read a passphrase from the terminal");
	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n')
			break;
		if (n + 1 >= PASS_MAX) {
			rc = err_set(err, "passphrase longer than %d bytes", PASS_MAX - 1);
			break;
		}
		buf[n++] = ch;
	}
	buf[n] = '\0';
	tcsetattr(fd, TCSAFLUSH, &old);
	return rc;
}

/* cli_passphrase without its notice. */
static char *get_passphrase(const char *passfile, int confirm, const char *prompt,
			    struct tem_err *err)
{
	const char *env = getenv("TEM_PASSPHRASE");
	char *a = NULL, *b = NULL, *out = NULL;
	int fd;

	if (passfile != NULL) {
		char *buf;
		size_t len, n;
		if (file_read_all(passfile, PASS_MAX, &buf, &len, err) != TEM_OK)
			return NULL;
		for (n = 0; n < len && buf[n] != '\n' && buf[n] != '\r'; n++)
			;
		out = pass_dup(buf, n, err);
		sodium_memzero(buf, len);
		free(buf);
		if (out == NULL)
			err_prefix(err, passfile);
		return out;
	}
	if (env != NULL)
		return pass_dup(env, strlen(env), err);
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_set(err,
			"a passphrase is needed but there is no terminal (use --passphrase-file "
			"or TEM_PASSPHRASE)");
		return NULL;
	}
	a = sodium_malloc(PASS_MAX);
	b = sodium_malloc(PASS_MAX);
	if (a == NULL || b == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	if (tty_read(fd, prompt, a, err) != TEM_OK)
		goto out;
	if (confirm) {
		if (tty_read(fd, "Passphrase again: ", b, err) != TEM_OK)
			goto out;
		if (strcmp(a, b) != 0) {
			err_set(err, "the passphrases do not match");
			goto out;
		}
	}
	out = pass_dup(a, strlen(a), err);
out:
	if (a != NULL)
		sodium_free(a);
	if (b != NULL)
		sodium_free(b);
	close(fd);
	return out;
}

char *cli_passphrase(const char *passfile, int confirm, const char *prompt, struct tem_err *err)
{
	char *pass = get_passphrase(passfile, confirm, prompt, err);

	/* every caller derives a key next: with minisign's limits that takes seconds and 1 GiB,
	 * which would otherwise look like a hang */
	if (pass != NULL)
		fputs("tem: deriving the key from the passphrase\u2026\n", stderr);
	return pass;
}

void cli_passphrase_free(char *pass)
{
	if (pass != NULL)
		sodium_free(pass);
}

struct tem_seckey *cli_load_secret(const char *path, const char *passfile, struct tem_err *err)
{
	struct tem_seckey *sk;
	char *pass = NULL;
	int encrypted, rc;

	cli_harden();
	if (keys_secret_is_encrypted(path, &encrypted, err) != TEM_OK)
		return NULL;
	if (encrypted) {
		pass = cli_passphrase(passfile, 0, "Passphrase: ", err);
		if (pass == NULL)
			return NULL;
	}
	sk = keys_secret_new();
	if (sk == NULL) {
		cli_passphrase_free(pass);
		err_set(err, "out of memory");
		return NULL;
	}
	rc = keys_secret_load(path, pass, sk, err);
	cli_passphrase_free(pass);
	if (rc != TEM_OK) {
		keys_secret_free(sk);
		return NULL;
	}
	return sk;
}
