/* keygen.c — `tem keygen`: a new key pair in minisign's file formats. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "label/serial.h"

static const char usage[] =
    "usage: tem keygen -p PUB -s SEC [-W] [-f] [-c COMMENT] [--passphrase-file FILE]\n"
    "\n"
    "Makes an Ed25519 key pair: PUB and SEC in minisign's formats. SEC is encrypted with a\n"
    "passphrase (asked twice on the terminal, or from --passphrase-file or TEM_PASSPHRASE)\n"
    "unless -W is given, and written with mode 0600. SEC.serial, the key's serial counter,\n"
    "is made with it (starting at 1): keep it with SEC.\n"
    "\n"
    "  -p PUB      public key file to write\n"
    "  -s SEC      secret key file to write\n"
    "  -W          do not encrypt the secret key\n"
    "  -f          overwrite existing files\n"
    "  -c COMMENT  untrusted comment of the secret key file\n";

/* What the options asked for. */
struct keygen_args {
	const char *pub, *sec; /* files to write */
	const char *comment;   /* secret key's untrusted comment, or NULL */
	const char *passfile;  /* --passphrase-file, or NULL */
	int nopass;            /* -W */
	int force;             /* -f */
};

/* Parses the options into a; returns -1 when they are fine, else the exit status. */
static int parse_args(int argc, char **argv, struct keygen_args *a)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"passphrase-file", required_argument, NULL, 'P'},
					     {NULL, 0, NULL, 0}};
	int c;

	memset(a, 0, sizeof *a);
	while ((c = getopt_long(argc, argv, "p:s:Wfc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->pub = optarg;
			break;
		case 's':
			a->sec = optarg;
			break;
		case 'W':
			a->nopass = 1;
			break;
		case 'f':
			a->force = 1;
			break;
		case 'c':
			a->comment = optarg;
			break;
		case 'P':
			a->passfile = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return cli_usage_error("keygen", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
	if (a->pub == NULL || a->sec == NULL)
		return cli_usage_error("keygen", "both -p PUB and -s SEC are needed");
	if (strcmp(a->pub, a->sec) == 0)
		return cli_usage_error("keygen", "-p and -s name the same file");
	return -1;
}

/* Makes the pair and writes both files (the secret key removed again when the public key
 * cannot be written). TEM_OK, or TEM_ERR with err set. */
static int write_pair(const struct keygen_args *a, const char *pass, struct tem_pubkey *pk,
		      struct tem_err *err)
{
	struct tem_seckey *sk = keys_secret_new();
	int rc = TEM_ERR;

	if (sk == NULL)
		return err_set(err, "out of memory");
	/* the serial counter is born with the key: a missing one later means a lost one */
	if (keys_generate(pk, sk, err) == TEM_OK &&
	    keys_secret_write(a->sec, sk, pass, a->comment, a->force, err) == TEM_OK) {
		rc = keys_public_write(a->pub, pk, NULL, a->force, err);
		if (rc == TEM_OK)
			rc = serial_init(a->sec, 1, err);
		if (rc != TEM_OK && !a->force)
			(void)remove(a->sec);
	}
	keys_secret_free(sk);
	return rc;
}

int cmd_keygen(int argc, char **argv)
{
	struct keygen_args a;
	struct tem_pubkey pk;
	struct tem_err err;
	char *pass = NULL, id[KEYS_ID_HEX_LEN + 1];
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	cli_harden();
	if (keys_init(&err) != TEM_OK)
		return cli_fail(&err);
	if (!a.force && (access(a.pub, F_OK) == 0 || access(a.sec, F_OK) == 0)) {
		cli_warn("%s: already exists (use -f to overwrite)",
			 access(a.pub, F_OK) == 0 ? a.pub : a.sec);
		return EXIT_USAGE;
	}
	if (!a.nopass &&
	    (pass = cli_passphrase(a.passfile, 1, "Passphrase for the new key: ", &err)) == NULL)
		return cli_fail(&err);
	rc = write_pair(&a, pass, &pk, &err);
	cli_passphrase_free(pass);
	if (rc != TEM_OK)
		return cli_fail(&err);
	keys_id_hex(pk.id, id);
	printf("key id %s\npublic key: %s\nsecret key: %s%s\n", id, a.pub, a.sec,
	       a.nopass ? " (not encrypted)" : "");
	return 0;
}
