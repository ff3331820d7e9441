/* serial.h — durable serial reservation: the serials of a key never repeat, even with two
 * `tem issue` runs at once. The next free serial lives in a counter file beside the secret
 * key (KEY.serial, one decimal line), updated under an exclusive lock on KEY.lock by writing
 * a temporary file, fsync and rename, before any code with those serials is written. */
#ifndef TEM_SERIAL_H
#define TEM_SERIAL_H

#include <stdint.h>

#include "keys/err.h"

/* Makes the counter of a new key: KEY.serial saying 1 (its first serial), beside the secret
 * key file key_path; replaces an existing counter only when overwrite (a new key written over
 * an old one: a new key id, whose serials start again). A key's counter exists from its
 * making, so a missing counter always means a lost one. TEM_OK or TEM_ERR with err set. */
int serial_init(const char *key_path, int overwrite, struct tem_err *err);

/* Reserves count (>= 1) serials for the key whose secret key file is key_path and puts the
 * first in *first. start 0 continues the counter KEY.serial, which must exist (a missing one
 * is refused, saying to restore it or to give a first serial: serials never silently restart
 * at 1); start N begins at N, when the counter is missing or N is not below it (N below it
 * would repeat spent serials: refused). above, when not 0, is the highest serial the server
 * has registered for the key: a first serial at or below it is refused (an old counter put
 * back). TEM_OK once the counter past the range is on disk; TEM_ERR, reserving nothing, for
 * those refusals, a damaged or unreadable counter, a range past UINT64_MAX, or any I/O error,
 * with err naming the file. */
int serial_reserve_from(const char *key_path, uint64_t count, uint64_t start, uint64_t above,
			uint64_t *first, struct tem_err *err);

/* serial_reserve_from(key_path, count, 0, 0, first, err): continues the existing counter. */
int serial_reserve(const char *key_path, uint64_t count, uint64_t *first, struct tem_err *err);

#endif
