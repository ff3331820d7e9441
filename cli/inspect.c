/* inspect.c — `tem inspect`: the decoded fields of a code, and its verdict (label/verdict.h)
 * when a key is given. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/date.h"
#include "label/verdict.h"

static const char usage[] =
    "usage: tem inspect [-p PUB | -t TRUST -P AUTHORITY_PUB] CODE_OR_URL\n"
    "\n"
    "Shows the fields a code carries (version, producer key id, serial, last valid day,\n"
    "signature) and, when a key or trust list is given, whether it verifies.\n"
    "Exit 0 when it decodes (and verifies, if asked), 1 when it does not verify, 2 when it is\n"
    "not a code.\n";

/* Prints the fields the code carries. */
static void print_fields(const struct tem_code *code)
{
	char text[CODE_TEXT_LEN + 1], sid[CODE_SHORT_ID_MAX], hex[KEYS_ID_HEX_LEN + 1], day[11];
	char sighex[2 * sizeof code->sig + 1];

	code_to_text(code, text);
	code_short_id(code, sid);
	keys_id_hex(code->key_id, hex);
	if (code->last_day != 0)
		date_format(code->last_day, day);
	else
		strcpy(day, "none");
	sodium_bin2hex(sighex, sizeof sighex, code->sig, sizeof code->sig);
	printf("code:       %s\nshort id:   %s\nversion:    %u\nkey id:     %s\nserial:     %llu\n"
	       "last day:   %s\nsignature:  %s\n",
	       text, sid, code->version, hex, (unsigned long long)code->serial, day, sighex);
}

/* Prints the code's offline verdict and producer; returns 0 when genuine, else EXIT_NO. */
static int print_verdict(const struct keysource *ks, const struct tem_code *code)
{
	const struct trust_entry *e = keysource_entry(ks, code->key_id);
	struct tem_err why;
	enum verdict v = verdict_judge(code, e, NULL, date_today(), &why);

	printf("verdict:    %s%s%s\n", verdict_name(v), why.msg[0] ? " — " : "", why.msg);
	if (ks->have_trust && e != NULL)
		printf("producer:   %s\n", e->name);
	return v == V_GENUINE ? 0 : EXIT_NO;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *pub = NULL, *trust = NULL, *auth = NULL;
	struct keysource ks;
	struct tem_code code;
	struct tem_err err;
	int c, rc;

	while ((c = getopt_long(argc, argv, "p:t:P:h", opts, NULL)) != -1) {
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
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return cli_usage_error("inspect", "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("inspect", "give exactly one code or URL");
	if (code_parse(argv[optind], strlen(argv[optind]), &code, &err) != TEM_OK) {
		cli_warn("not a tem code: %s", err.msg);
		return EXIT_USAGE;
	}
	if ((rc = keysource_start(&ks, pub, trust, auth)) != 0)
		return rc;
	print_fields(&code);
	if (ks.have_pk || ks.have_trust)
		rc = print_verdict(&ks, &code);
	keysource_close(&ks);
	return rc;
}
