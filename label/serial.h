/* serial.h — durable serial reservation: the serials of a key never repeat, even with two
 * `tem issue` runs at once. The next free serial lives in a counter file beside the secret
 * key (KEY.serial, one decimal line), updated under an exclusive lock on KEY.lock by writing
 * a temporary file, fsync and rename, before any code with those serials is written. */
#ifndef TEM_SERIAL_H
#define TEM_SERIAL_H

#include <stdint.h>

#include "keys/err.h"

/* Reserves count (>= 1) serials for the key whose secret key file is key_path: *first gets the
 * first of them (1 for a key with no counter yet). TEM_OK once the counter past them is on
 * disk; TEM_ERR, reserving nothing, for a damaged or unreadable counter (never restarted at
 * 1), a range past UINT64_MAX, or any I/O error, with err naming the file. */
int serial_reserve(const char *key_path, uint64_t count, uint64_t *first, struct tem_err *err);

#endif
