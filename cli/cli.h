/* cli.h — what the `tem` subcommands share: one entry point per subcommand (one file each),
 * error reporting, passphrases, progress, and process hardening. */
#ifndef TEM_CLI_H
#define TEM_CLI_H

#include <stdint.h>

#include "keys/err.h"
#include "keys/keys.h"
#include "keys/trust.h"
#include "label/code.h"

/* Exit statuses, as minisign: 0 all good, 1 a verification said no, 2 usage or input error. */
#define EXIT_NO    1
#define EXIT_USAGE 2

int cmd_keygen(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_trust(int argc, char **argv);
int cmd_label(int argc, char **argv);
int cmd_register(int argc, char **argv);

/* Prints "tem: MESSAGE" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "tem: ERR" on stderr and returns EXIT_USAGE (for `return cli_fail(&err);`). */
int cli_fail(const struct tem_err *err);

/* Prints a usage error on one line, "tem: MESSAGE (tem help CMD)"; returns EXIT_USAGE.
 * Called with "bad option" or "unknown option" right after getopt_long returned '?', it names
 * the option instead, from the arguments cli_args saved. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keeps the subcommand's arguments for cli_usage_error's option errors (main calls it). */
void cli_args(int argc, char **argv);

/* Turns core dumps off (setrlimit RLIMIT_CORE 0, prctl PR_SET_DUMPABLE 0) before a secret key
 * is read. */
void cli_harden(void);

/* Gets a passphrase, in order: from passfile when not NULL (first line), from $TEM_PASSPHRASE,
 * or from the terminal without echo (asking twice when confirm). Returns sodium_malloc'd
 * memory (free with cli_passphrase_free) or NULL with err set (no terminal, empty, mismatch).
 * Says "deriving the key from the passphrase…" on stderr, as the caller's derivation is next. */
char *cli_passphrase(const char *passfile, int confirm, const char *prompt, struct tem_err *err);

/* Wipes and frees a passphrase from cli_passphrase (NULL is fine). */
void cli_passphrase_free(char *pass);

/* Loads a secret key file, asking for its passphrase only when it is encrypted. Returns a key
 * from keys_secret_new (free with keys_secret_free) or NULL with err set. */
struct tem_seckey *cli_load_secret(const char *path, const char *passfile, struct tem_err *err);

/* Progress on stderr for long work: shown only when stderr is a terminal and !quiet; prints
 * done/total, rate and time left at most a few times a second, and a final line at the end. */
struct progress {
	const char *what; /* "codes", "labels" */
	uint64_t total;   /* expected count, 0 when unknown */
	int enabled;      /* 1 when drawing */
	double start;     /* monotonic seconds at start */
	double last;      /* when last drawn */
};
void progress_start(struct progress *p, const char *what, uint64_t total, int quiet);
/* Shows done (throttled); arg is the struct progress, so it serves as the libraries'
 * progress callback. */
void progress_update(void *arg, uint64_t done);
void progress_end(struct progress *p, uint64_t done);

/* Where the public keys for verifying codes come from: one producer key (-p), or the
 * authority's signed trust list (-t TRUST -P AUTHORITY_PUB). Kept in cli/: it is option
 * handling around keys/ loaders; the rules that judge a code are label/verdict.h's. */
struct keysource {
	int have_pk;               /* 1 when a single key was given */
	struct trust_entry single; /* that key, as verdict_entry_of_key makes it */
	int have_trust;            /* 1 when a trust list was given */
	struct trust_list trust;   /* the verified trust list */
};

/* Opens the key source from the options (any may be NULL). TEM_OK, TEM_NO (the trust list's
 * signature does not verify) or TEM_ERR, with err set. Neither source: TEM_OK, nothing to
 * verify with. */
int keysource_open(struct keysource *ks, const char *pub, const char *trust, const char *auth,
		   struct tem_err *err);

/* keys_init, then keysource_open, printing "tem: ..." on failure: 0, EXIT_NO (the trust
 * list's signature does not verify) or EXIT_USAGE. */
int keysource_start(struct keysource *ks, const char *pub, const char *trust, const char *auth);

/* The trust entry to judge a code of key id with (verdict_judge's e): the single key given
 * with -p whatever id (the verdict tells a code of another key), or id's entry in the trust
 * list, NULL when it is not listed. Points into ks. */
const struct trust_entry *keysource_entry(const struct keysource *ks,
					  const unsigned char id[KEYS_ID_BYTES]);

void keysource_close(struct keysource *ks);

#endif
