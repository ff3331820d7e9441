/* keygen.c — `tem keygen`: a new key pair in minisign's file formats. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: tem keygen -p PUB -s SEC [-W] [-f] [-c COMMENT] [--passphrase-file FILE]\n"
    "\n"
    "Makes an Ed25519 key pair: PUB and SEC in minisign's formats. SEC is encrypted with a\n"
    "passphrase (asked twice on the terminal, or from --passphrase-file or TEM_PASSPHRASE)\n"
    "unless -W is given, and written with mode 0600.\n"
    "\n"
    "  -p PUB      public key file to write\n"
    "  -s SEC      secret key file to write\n"
    "  -W          do not encrypt the secret key\n"
    "  -f          overwrite existing files\n"
    "  -c COMMENT  untrusted comment of the secret key file\n";

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"passphrase-file", required_argument, NULL, 'P'},
					     {NULL, 0, NULL, 0}};
	const char *pub = NULL, *sec = NULL, *comment = NULL, *passfile = NULL;
	int nopass = 0, force = 0, c, rc = EXIT_USAGE;
	struct tem_seckey *sk = NULL;
	struct tem_pubkey pk;
	struct tem_err err;
	char *pass = NULL, id[KEYS_ID_HEX_LEN + 1];

	while ((c = getopt_long(argc, argv, "p:s:Wfc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pub = optarg;
			break;
		case 's':
			sec = optarg;
			break;
		case 'W':
			nopass = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'c':
			comment = optarg;
			break;
		case 'P':
			passfile = optarg;
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
	if (pub == NULL || sec == NULL)
		return cli_usage_error("keygen", "both -p PUB and -s SEC are needed");
	if (strcmp(pub, sec) == 0)
		return cli_usage_error("keygen", "-p and -s name the same file");
	cli_harden();
	if (keys_init(&err) != TEM_OK)
		return cli_fail(&err);
	if (!force) {
		FILE *f;
		if ((f = fopen(pub, "r")) != NULL || (f = fopen(sec, "r")) != NULL) {
			fclose(f);
			cli_warn("%s: already exists (use -f to overwrite)",
				 access(pub, F_OK) == 0 ? pub : sec);
			return EXIT_USAGE;
		}
	}
	if (!nopass) {
		pass = cli_passphrase(passfile, 1, "Passphrase for the new key: ", &err);
		if (pass == NULL)
			return cli_fail(&err);
	}
	sk = keys_secret_new();
	if (sk == NULL) {
		cli_warn("out of memory");
		goto out;
	}
	if (keys_generate(&pk, sk, &err) != TEM_OK ||
	    keys_secret_write(sec, sk, pass, comment, force, &err) != TEM_OK) {
		cli_fail(&err);
		goto out;
	}
	if (keys_public_write(pub, &pk, NULL, force, &err) != TEM_OK) {
		cli_fail(&err);
		if (!force)
			(void)remove(sec);
		goto out;
	}
	keys_id_hex(pk.id, id);
	printf("key id %s\npublic key: %s\nsecret key: %s%s\n", id, pub, sec,
	       pass == NULL ? " (not encrypted)" : "");
	rc = 0;
out:
	cli_passphrase_free(pass);
	keys_secret_free(sk);
	return rc;
}
