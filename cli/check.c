/* check.c — `tem check`: verifies a detached minisign signature of a file. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "keys/sig.h"

static const char usage[] =
    "usage: tem check -p PUB -m FILE [-x SIGFILE] [-q]\n"
    "\n"
    "Verifies FILE against FILE.minisig (or SIGFILE) with the public key PUB and prints the\n"
    "trusted comment. Exit 0 when the signature holds, 1 when it does not, 2 on errors.\n";

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *pub = NULL, *file = NULL, *sigfile = NULL;
	char sp[SIG_PATH_MAX], tc[SIG_TRUSTED_COMMENT_MAX + 1];
	int quiet = 0, c, rc;
	struct tem_pubkey pk;
	struct tem_err err;

	while ((c = getopt_long(argc, argv, "p:m:x:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pub = optarg;
			break;
		case 'm':
			file = optarg;
			break;
		case 'x':
			sigfile = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return cli_usage_error("check", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("check", "unexpected argument '%s'", argv[optind]);
	if (pub == NULL || file == NULL)
		return cli_usage_error("check", "both -p PUB and -m FILE are needed");
	if ((sigfile = sig_path(file, sigfile, sp, &err)) == NULL)
		return cli_fail(&err);
	if (keys_init(&err) != TEM_OK || keys_public_load(pub, &pk, &err) != TEM_OK)
		return cli_fail(&err);
	rc = sig_verify_file(file, sigfile, &pk, tc, sizeof tc, &err);
	if (rc == TEM_NO) {
		cli_warn("%s", err.msg);
		return EXIT_NO;
	}
	if (rc != TEM_OK)
		return cli_fail(&err);
	if (!quiet)
		printf("%s: signature verified\ntrusted comment: %s\n", file, tc);
	return 0;
}
