/* verify.c — `tem verify`: offline verdicts for codes or label URLs, one line each. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/date.h"

static const char usage[] =
    "usage: tem verify [-p PUB | -t TRUST -P AUTHORITY_PUB] CODE_OR_URL... | -\n"
    "\n"
    "Checks codes (or the URLs their labels carry) offline and prints one line each:\n"
    "  VERDICT  SHORT-ID  PRODUCER  LAST-VALID-DAY  [DETAIL]\n"
    "VERDICT is genuine, expired, revoked, invalid, unknown-key or malformed. With -, codes are\n"
    "read from standard input, one per line.\n"
    "\n"
    "  -p PUB            the producer's public key\n"
    "  -t TRUST          the authority's trust list (needs -P; its signature is checked)\n"
    "  -P AUTHORITY_PUB  the authority's public key\n"
    "  -q                print nothing; the exit status tells\n"
    "\n"
    "Exit 0 when every code is genuine, 1 when any is not, 2 on usage or input errors.\n";

#define LINE_MAX_BYTES (CODE_INPUT_MAX + 2)

/* Prints the verdict of one input; returns 1 when genuine. */
static int verify_one(const struct keysource *ks, const char *in, size_t len, int quiet)
{
	struct tem_code c;
	struct tem_err err;
	const char *verdict, *name = NULL;
	char sid[CODE_SHORT_ID_MAX], hex[KEYS_ID_HEX_LEN + 1], day[11];

	if (code_parse(in, len, &c, &err) != TEM_OK) {
		if (!quiet)
			printf("malformed  -  -  -  %s\n", err.msg);
		return 0;
	}
	verdict = keysource_verdict(ks, &c, &name, &err);
	if (quiet)
		return strcmp(verdict, "genuine") == 0;
	code_short_id(&c, sid);
	keys_id_hex(c.key_id, hex);
	if (c.last_day != 0)
		date_format(c.last_day, day);
	else
		strcpy(day, "none");
	printf("%s  %s  %s%s%s%s  %s%s%s\n", verdict, sid, hex, name ? " (" : "", name ? name : "",
	       name ? ")" : "", day, err.msg[0] ? "  " : "", err.msg);
	return strcmp(verdict, "genuine") == 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *pub = NULL, *trust = NULL, *auth = NULL;
	int quiet = 0, c, all = 1, n = 0, rc;
	struct keysource ks;
	struct tem_err err;

	while ((c = getopt_long(argc, argv, "p:t:P:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pub = optarg;
			break;
		case 't':
			trust = optarg;
			break;
		case 'P':
			auth = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return cli_usage_error("verify", "bad option");
		}
	}
	if (optind == argc)
		return cli_usage_error("verify",
				       "no code given (give codes, URLs, or - for stdin)");
	if (pub == NULL && trust == NULL)
		return cli_usage_error("verify", "give the producer's key (-p PUB) or a trust list "
						 "(-t TRUST -P AUTHORITY_PUB)");
	if (keys_init(&err) != TEM_OK)
		return cli_fail(&err);
	rc = keysource_open(&ks, pub, trust, auth, &err);
	if (rc == TEM_NO) {
		cli_warn("%s", err.msg);
		return EXIT_NO;
	}
	if (rc != TEM_OK)
		return cli_fail(&err);
	if (argc - optind == 1 && strcmp(argv[optind], "-") == 0) {
		char line[LINE_MAX_BYTES + 1];
		unsigned long lineno = 0;
		while (fgets(line, sizeof line, stdin) != NULL) {
			size_t len = strlen(line);
			lineno++;
			if (len > 0 && line[len - 1] != '\n' && !feof(stdin)) {
				cli_warn("stdin: line %lu: longer than %d bytes", lineno,
					 LINE_MAX_BYTES);
				keysource_close(&ks);
				return EXIT_USAGE;
			}
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = '\0';
			if (len == 0)
				continue;
			all &= verify_one(&ks, line, len, quiet);
			n++;
		}
		if (n == 0) {
			cli_warn("stdin: no codes");
			keysource_close(&ks);
			return EXIT_USAGE;
		}
	} else {
		for (int i = optind; i < argc; i++)
			all &= verify_one(&ks, argv[i], strlen(argv[i]), quiet);
	}
	keysource_close(&ks);
	return all ? 0 : EXIT_NO;
}
