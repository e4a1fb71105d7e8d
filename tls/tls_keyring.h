/*
 * tls_keyring: the private keys of a [tls] section, in this process. The
 * key holder (gateway/proc/keyholder.c) is the one process of the daemon
 * that loads them; `rampart -t` loads them too, to check them, and tests
 * and the benchmark's server sign with them in process
 * (tls_signer_local, tls.h).
 *
 * Loading reads every certificate/key pair, refuses an encrypted key or a
 * key that does not match its certificate, and moves each key into PSA (EC
 * keys sign in nettle for P-256, RSA keys in mbedTLS); the parsed copies
 * and the file buffers are wiped. What stays: the PSA keys, each key's
 * kind and its public half (DER SubjectPublicKeyInfo), which the relay
 * compares with its certificate before it trusts the key holder.
 *
 * Threads: read-only once loaded; tls_keyring_answer may run in any number
 * of threads at once (one per channel in the key holder). Freeing destroys
 * the PSA keys (PSA wipes them).
 */
#ifndef RAMPART_TLS_TLS_KEYRING_H
#define RAMPART_TLS_TLS_KEYRING_H

#include "tls/tls_config.h"
#include "tls/tls_keyreq.h"

#include <stddef.h>
#include <stdint.h>

struct tls_keyring;

/* Every pair of cfg; NULL and "FILE: reason" in err on the first bad one. */
struct tls_keyring *tls_keyring_load(const struct tls_config *cfg, char *err, size_t err_len);
void tls_keyring_free(struct tls_keyring *kr);
unsigned tls_keyring_count(const struct tls_keyring *kr);

/* Answers one request of req_len bytes (tls_keyreq.h) into out (at least
 * TLS_KEYREP_MAX bytes): returns the answer's length, and in *status
 * what was done (TLS_KEYREQ_OK) or why it was refused. Every request gets
 * an answer, a refusal too, so the relay never waits for one in vain. */
size_t tls_keyring_answer(const struct tls_keyring *kr, const void *req, size_t req_len, void *out,
                          size_t out_size, enum tls_keyreq_status *status);

#endif /* RAMPART_TLS_TLS_KEYRING_H */
