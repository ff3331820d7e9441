/* verify.c — `tem verify`: offline verdicts for codes or label URLs, one line each, by the
 * shared rules of label/verdict.h. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/date.h"
#include "label/verdict.h"

static const char usage[] =
    "usage: tem verify [-p PUB | -t TRUST -P AUTHORITY_PUB] CODE_OR_URL... | -\n"
    "\n"
    "Checks codes (or the URLs their labels carry) offline and prints one line each:\n"
    "  VERDICT  SHORT-ID  PRODUCER  LAST-VALID-DAY  [DETAIL]\n"
    "VERDICT is genuine, expired, revoked, invalid, unknown-key (not in the trust list, or\n"
    "before its valid-from day) or malformed. With -, codes are read from standard input, one\n"
    "per line.\n"
    "\n"
    "  -p PUB            the producer's public key\n"
    "  -t TRUST          the authority's trust list (needs -P; its signature is checked)\n"
    "  -P AUTHORITY_PUB  the authority's public key\n"
    "  -q                print nothing; the exit status tells\n"
    "\n"
    "Exit 0 when every code is genuine, 1 when any is not, 2 on usage or input errors.\n";

#define LINE_MAX_BYTES (CODE_INPUT_MAX + 2)

struct verify_opts {
	const char *pub, *trust, *auth; /* -p, -t, -P */
	int quiet;                      /* -q */
};

/* Prints the verdict of one input; returns 1 when genuine. */
static int verify_one(const struct keysource *ks, const char *in, size_t len, int quiet)
{
	const struct trust_entry *e;
	struct tem_code c;
	struct tem_err why;
	enum verdict v;
	const char *name;
	char sid[CODE_SHORT_ID_MAX], hex[KEYS_ID_HEX_LEN + 1], day[11];

	if (code_parse(in, len, &c, &why) != TEM_OK) {
		if (!quiet)
			printf("%s  -  -  -  %s\n", verdict_name(V_MALFORMED), why.msg);
		return 0;
	}
	e = keysource_entry(ks, c.key_id);
	v = verdict_judge(&c, e, NULL, date_today(), &why);
	if (quiet)
		return v == V_GENUINE;
	name = ks->have_trust && e != NULL ? e->name : NULL;
	code_short_id(&c, sid);
	keys_id_hex(c.key_id, hex);
	if (c.last_day != 0)
		date_format(c.last_day, day);
	else
		strcpy(day, "none");
	printf("%s  %s  %s%s%s%s  %s%s%s\n", verdict_name(v), sid, hex, name ? " (" : "",
	       name ? name : "", name ? ")" : "", day, why.msg[0] ? "  " : "", why.msg);
	return v == V_GENUINE;
}

/* Verifies the codes on standard input, one a line: 0 when all are genuine, EXIT_NO when
 * any is not, EXIT_USAGE for an overlong line or no code at all. */
static int verify_stdin(const struct keysource *ks, int quiet)
{
	char line[LINE_MAX_BYTES + 1];
	unsigned long lineno = 0;
	int all = 1, n = 0;

	while (fgets(line, sizeof line, stdin) != NULL) {
		size_t len = strlen(line);
		lineno++;
		if (len > 0 && line[len - 1] != '\n' && !feof(stdin)) {
			cli_warn("stdin: line %lu: longer than %d bytes", lineno, LINE_MAX_BYTES);
			return EXIT_USAGE;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		all &= verify_one(ks, line, len, quiet);
		n++;
	}
	if (n == 0) {
		cli_warn("stdin: no codes");
		return EXIT_USAGE;
	}
	return all ? 0 : EXIT_NO;
}

/* Parses the options into o: -1 to go on, else the exit status (help, usage error). */
static int parse_opts(int argc, char **argv, struct verify_opts *o)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "p:t:P:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->pub = optarg;
			break;
		case 't':
			o->trust = optarg;
			break;
		case 'P':
			o->auth = optarg;
			break;
		case 'q':
			o->quiet = 1;
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
	if (o->pub == NULL && o->trust == NULL)
		return cli_usage_error("verify", "give the producer's key (-p PUB) or a trust list "
						 "(-t TRUST -P AUTHORITY_PUB)");
	return -1;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_opts o = {0};
	struct keysource ks;
	int rc, all = 1;

	if ((rc = parse_opts(argc, argv, &o)) >= 0)
		return rc;
	if ((rc = keysource_start(&ks, o.pub, o.trust, o.auth)) != 0)
		return rc;
	if (argc - optind == 1 && strcmp(argv[optind], "-") == 0) {
		rc = verify_stdin(&ks, o.quiet);
	} else {
		for (int i = optind; i < argc; i++)
			all &= verify_one(&ks, argv[i], strlen(argv[i]), o.quiet);
		rc = all ? 0 : EXIT_NO;
	}
	keysource_close(&ks);
	return rc;
}
