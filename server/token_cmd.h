/* token_cmd.h — `temd token`: making, listing and revoking API tokens (docs/temd.8). */
#ifndef TEM_TOKEN_CMD_H
#define TEM_TOKEN_CMD_H

/* `temd token create|list|revoke ...`: argv[0] is "token". Returns the exit status: 0 done, 1
 * refused or failed (a name in force already, no such token, the ledger unreadable), 2 bad
 * input (usage, a bad name, date or key id, a missing or old ledger). */
int token_main(int argc, char **argv);

#endif
