/*
 * acme_state: the ACME process's state directory ([tls] acme_state_dir),
 * reached only through the descriptor opened before the sandbox (every
 * name is relative to it; no name has a '/', none is followed if it is a
 * link). Files are mode 0600, written whole (a temporary file, fsync,
 * rename), so a crash leaves the old or the new version, never half:
 *
 *   account.key       the account's P-256 key, PEM
 *   account.url       "DIRECTORY_URL KID_URL": the account of that server
 *   NAME.crt, NAME.key  the last certificate issued for NAME and its key
 *   NAME.sched        "FAILURES LAST_FAILURE_S ORDERS": the backoff and
 *                     counts across restarts
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_STATE_H
#define RAMPART_GATEWAY_ACME_ACME_STATE_H

#include "gateway/acme/acme.h"

#define ACME_STATE_NAME_MAX (TLS_ACME_NAME_MAX + 16) /* NAME + ".sched" */

/* The whole of file `name` into buf (cap bytes, NUL-terminated: at most
 * cap - 1 of content); its length, or -1 (errno: ENOENT absent, EFBIG
 * larger than cap - 1). */
long acme_state_read(int dfd, const char *name, char *buf, size_t cap);

/* Writes len bytes as file `name`, mode 0600, atomically. 0 or -1 (errno). */
int acme_state_write(int dfd, const char *name, const void *data, size_t len);

/* "NAME" + suffix into out: -1 when the name has a '/' or does not fit. */
int acme_state_file(const char *name, const char *suffix, char *out, size_t cap);

#endif /* RAMPART_GATEWAY_ACME_ACME_STATE_H */
