/* sign.c — `tem sign`: a detached minisign signature of a file. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "keys/sig.h"

static const char usage[] =
    "usage: tem sign -s SEC -m FILE [-x SIGFILE] [-t COMMENT] [-f] [--passphrase-file F]\n"
    "\n"
    "Signs FILE with the secret key SEC, writing FILE.minisig (or SIGFILE) in minisign's\n"
    "format: `minisign -Vm FILE -p PUB` verifies it.\n"
    "\n"
    "  -t COMMENT  trusted comment (signed too); default: timestamp and file name\n"
    "  -f          overwrite an existing signature file\n";

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"passphrase-file", required_argument, NULL, 'P'},
					     {NULL, 0, NULL, 0}};
	const char *sec = NULL, *file = NULL, *sigfile = NULL, *tc = NULL, *passfile = NULL;
	char sp[SIG_PATH_MAX];
	int force = 0, c, rc;
	struct tem_seckey *sk;
	struct tem_err err;

	while ((c = getopt_long(argc, argv, "s:m:x:t:fh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sec = optarg;
			break;
		case 'm':
			file = optarg;
			break;
		case 'x':
			sigfile = optarg;
			break;
		case 't':
			tc = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'P':
			passfile = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return cli_usage_error("sign", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("sign", "unexpected argument '%s'", argv[optind]);
	if (sec == NULL || file == NULL)
		return cli_usage_error("sign", "both -s SEC and -m FILE are needed");
	if ((sigfile = sig_path(file, sigfile, sp, &err)) == NULL)
		return cli_fail(&err);
	if (keys_init(&err) != TEM_OK)
		return cli_fail(&err);
	sk = cli_load_secret(sec, passfile, &err);
	if (sk == NULL)
		return cli_fail(&err);
	rc = sig_sign_file(file, sigfile, sk, tc, force, &err);
	keys_secret_free(sk);
	if (rc != TEM_OK)
		return cli_fail(&err);
	return 0;
}
