/* trust.c — `tem trust`: the authority's commands on its trust list: init, add, revoke, sign,
 * show. Changing a list removes its now stale signature: a list is either signed as it
 * stands or visibly unsigned. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/date.h"
#include "keys/fileio.h"
#include "keys/sig.h"
#include "keys/text.h"

static const char usage[] =
    "usage: tem trust init -o TRUST --authority NAME [-f]\n"
    "       tem trust add TRUST -p PRODUCER_PUB --name NAME [--from YYYY-MM-DD]\n"
    "       tem trust revoke TRUST KEYID [--date YYYY-MM-DD]\n"
    "       tem trust sign TRUST -s AUTHORITY_SEC [--passphrase-file F]\n"
    "       tem trust show TRUST [-P AUTHORITY_PUB]\n"
    "\n"
    "The trust list says which producer keys the authority trusts, from when, and which are\n"
    "revoked. add and revoke remove TRUST.minisig, which no longer matches: sign the list\n"
    "again before handing it to temd or to `tem verify -t`. Every change and every\n"
    "signature raises the list's sequence number; temd refuses a list older than one it\n"
    "has accepted.\n";

static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
				     {"authority", required_argument, NULL, 'A'},
				     {"name", required_argument, NULL, 'N'},
				     {"from", required_argument, NULL, 'F'},
				     {"date", required_argument, NULL, 'D'},
				     {"passphrase-file", required_argument, NULL, 'X'},
				     {NULL, 0, NULL, 0}};

struct args {
	const char *out, *authority, *name, *from, *date, *pub, *sec, *auth, *passfile;
	int force;
	char **pos; /* positional arguments */
	int npos;
};

static int parse(int argc, char **argv, struct args *a)
{
	int c;

	memset(a, 0, sizeof *a);
	while ((c = getopt_long(argc, argv, "o:p:s:P:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 'p':
			a->pub = optarg;
			break;
		case 's':
			a->sec = optarg;
			break;
		case 'P':
			a->auth = optarg;
			break;
		case 'f':
			a->force = 1;
			break;
		case 'A':
			a->authority = optarg;
			break;
		case 'N':
			a->name = optarg;
			break;
		case 'F':
			a->from = optarg;
			break;
		case 'D':
			a->date = optarg;
			break;
		case 'X':
			a->passfile = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return -1;
		}
	}
	a->pos = argv + optind;
	a->npos = argc - optind;
	return 0;
}

/* Saves a changed list with its next sequence number and removes its stale signature. */
static int save_changed(const char *path, struct trust_list *l)
{
	struct tem_err err;
	char sp[SIG_PATH_MAX];

	if (trust_bump_sequence(l, &err) != TEM_OK || trust_save(path, l, &err) != TEM_OK)
		return cli_fail(&err);
	if (sig_path(path, NULL, sp, &err) != NULL && unlink(sp) == 0)
		cli_warn("%s changed: removed %s; sign it again with 'tem trust sign'", path, sp);
	return 0;
}

static int do_init(struct args *a)
{
	struct trust_list l;
	struct tem_err err;
	char *text;
	size_t len;
	int rc;

	if (a->out == NULL || a->authority == NULL || a->npos != 0)
		return cli_usage_error("trust", "init needs -o TRUST and --authority NAME");
	size_t n = strlen(a->authority);
	if (n == 0 || n > TRUST_NAME_MAX || !text_is_clean(a->authority, n))
		return cli_usage_error("trust", "--authority: empty, too long, or not clean UTF-8");
	if (text_has_hidden(a->authority, n, NULL))
		return cli_usage_error("trust", "--authority: holds an invisible or "
						"direction-changing character");
	memset(&l, 0, sizeof l);
	memcpy(l.authority, a->authority, n + 1);
	l.sequence = 1;
	if (trust_format(&l, &text, &len, &err) != TEM_OK)
		return cli_fail(&err);
	rc = file_write_atomic(a->out, text, len, 0644, a->force, &err);
	free(text);
	if (rc != TEM_OK)
		return cli_fail(&err);
	printf("wrote %s: authority %s, no producer keys yet (add them with 'tem trust add', "
	       "then 'tem trust sign')\n",
	       a->out, a->authority);
	return 0;
}

static int do_add(struct args *a)
{
	struct trust_list l;
	struct tem_pubkey pk;
	struct tem_err err;
	int32_t from = date_today();
	char hex[KEYS_ID_HEX_LEN + 1];
	int rc;

	if (a->npos != 1 || a->pub == NULL || a->name == NULL)
		return cli_usage_error("trust", "add needs TRUST, -p PRODUCER_PUB and --name NAME");
	if (a->from != NULL && date_parse(a->from, &from, &err) != TEM_OK)
		return cli_fail(&err);
	if (keys_public_load(a->pub, &pk, &err) != TEM_OK || trust_load(a->pos[0], &l, &err))
		return cli_fail(&err);
	if (trust_add(&l, &pk, a->name, from, &err) != TEM_OK) {
		trust_free(&l);
		err_prefix(&err, a->pos[0]);
		return cli_fail(&err);
	}
	rc = save_changed(a->pos[0], &l);
	trust_free(&l);
	if (rc == 0) {
		keys_id_hex(pk.id, hex);
		printf("added %s (%s)\n", hex, a->name);
	}
	return rc;
}

static int do_revoke(struct args *a)
{
	struct trust_list l;
	unsigned char id[KEYS_ID_BYTES];
	struct tem_err err;
	int32_t day = date_today();
	int rc;

	if (a->npos != 2)
		return cli_usage_error("trust", "revoke needs TRUST and KEYID");
	if (keys_id_parse(a->pos[1], strlen(a->pos[1]), id, &err) != TEM_OK)
		return cli_fail(&err);
	if (a->date != NULL && date_parse(a->date, &day, &err) != TEM_OK)
		return cli_fail(&err);
	if (trust_load(a->pos[0], &l, &err) != TEM_OK)
		return cli_fail(&err);
	if (trust_revoke(&l, id, day, &err) != TEM_OK) {
		trust_free(&l);
		err_prefix(&err, a->pos[0]);
		return cli_fail(&err);
	}
	rc = save_changed(a->pos[0], &l);
	trust_free(&l);
	return rc;
}

static int do_sign(struct args *a)
{
	struct trust_list l;
	struct tem_seckey *sk = NULL;
	struct tem_err err;
	char sp[SIG_PATH_MAX], tc[256], when[21];
	const char *sigpath;
	int rc = EXIT_USAGE;

	if (a->npos != 1 || a->sec == NULL)
		return cli_usage_error("trust", "sign needs TRUST and -s AUTHORITY_SEC");
	/* refuse to sign what temd would refuse to load */
	if (trust_load(a->pos[0], &l, &err) != TEM_OK)
		return cli_fail(&err);
	if ((sigpath = sig_path(a->pos[0], NULL, sp, &err)) == NULL ||
	    (sk = cli_load_secret(a->sec, a->passfile, &err)) == NULL)
		goto fail;
	/* every signature gets a new sequence number, so that the list signed now supersedes
	 * every list signed before it (temd refuses an older one) */
	if (trust_bump_sequence(&l, &err) != TEM_OK || trust_save(a->pos[0], &l, &err) != TEM_OK)
		goto fail;
	date_format_iso(time(NULL), when);
	snprintf(tc, sizeof tc, "tem trust list, sequence %llu, %zu producer keys, signed %s",
		 (unsigned long long)l.sequence, l.n, when);
	if (sig_sign_file(a->pos[0], sigpath, sk, tc, 1, &err) != TEM_OK) {
		(void)unlink(sigpath); /* it signed the list before this one */
		goto fail;
	}
	printf("wrote %s: the signature of %s (%s)\n", sigpath, a->pos[0], tc);
	rc = 0;
	goto out;
fail:
	cli_fail(&err);
out:
	keys_secret_free(sk);
	trust_free(&l);
	return rc;
}

static int do_show(struct args *a)
{
	struct trust_list l;
	struct tem_pubkey auth;
	struct tem_err err;
	char hex[KEYS_ID_HEX_LEN + 1], from[11], rev[11];
	int rc;

	if (a->npos != 1)
		return cli_usage_error("trust", "show needs TRUST");
	if (a->auth != NULL) {
		if (keys_public_load(a->auth, &auth, &err) != TEM_OK)
			return cli_fail(&err);
		rc = trust_load_verified(a->pos[0], NULL, &auth, &l, &err);
		if (rc == TEM_NO) {
			cli_warn("%s", err.msg);
			return EXIT_NO;
		}
	} else {
		rc = trust_load(a->pos[0], &l, &err);
	}
	if (rc != TEM_OK)
		return cli_fail(&err);
	printf("authority: %s%s\nsequence: %llu\n", l.authority,
	       a->auth ? " (signature verified)" : "", (unsigned long long)l.sequence);
	for (size_t i = 0; i < l.n; i++) {
		const struct trust_entry *e = &l.entries[i];
		keys_id_hex(e->key.id, hex);
		date_format(e->valid_from, from);
		if (e->revoked >= 0)
			date_format(e->revoked, rev);
		printf("%s  from %s  %s%s  %s\n", hex, from,
		       e->revoked >= 0 ? "revoked " : "active", e->revoked >= 0 ? rev : "",
		       e->name);
	}
	trust_free(&l);
	return 0;
}

int cmd_trust(int argc, char **argv)
{
	struct args a;
	const char *sub;
	struct tem_err err;
	int r;

	if (argc < 2)
		return cli_usage_error("trust", "which: init, add, revoke, sign or show?");
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	cli_args(argc - 1, argv + 1);
	r = parse(argc - 1, argv + 1, &a);
	if (r != 0)
		return r > 0 ? 0 : cli_usage_error("trust", "bad option");
	if (keys_init(&err) != TEM_OK)
		return cli_fail(&err);
	if (strcmp(sub, "init") == 0)
		return do_init(&a);
	if (strcmp(sub, "add") == 0)
		return do_add(&a);
	if (strcmp(sub, "revoke") == 0)
		return do_revoke(&a);
	if (strcmp(sub, "sign") == 0)
		return do_sign(&a);
	if (strcmp(sub, "show") == 0)
		return do_show(&a);
	return cli_usage_error("trust", "unknown subcommand '%s'", sub);
}
