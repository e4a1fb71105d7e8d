/*
 * keyholder: the process that holds the private keys (issue 11; OpenBSD
 * relayd's `ca`). The parent's child, a fresh exec of this binary like the
 * relay; the relay, which faces the internet, never maps a key: it signs
 * each handshake through this process.
 *
 * Life of a key holder: exec'd with its control socket at CHILD_IPC_FD and
 * one channel per relay worker from CHILD_FIRST_FD on (socketpairs the
 * parent made; the relay gets the other ends). It receives the config,
 * reads every certificate/key pair as the owner of the key files (real
 * uid its own user, effective uid 0 worth no capability: sandbox.h),
 * checks each key against its certificate, then switches all its uids to
 * [gateway] keyholder_user, is no longer dumpable (no ptrace, no
 * /proc/PID/mem for anyone but root), and loads its seccomp allowlist: no
 * socket, no open, no exec. Then one thread per channel answers requests
 * (tls_keyreq.h), one at a time and in order; the main thread sends the
 * parent its counts every KEYHOLDER_STATUS_MS (the first one says it is
 * ready) and exits when the parent closes the control socket or says
 * DRAIN (SIGTERM, SIGINT and SIGHUP are blocked: a signal to the process
 * group, Ctrl-C, must not end it before its relay has drained).
 *
 * What it answers: SIGN and PUBLIC requests that pass tls_keyreq_parse;
 * every other request is refused (answered with the reason, counted by
 * reason, logged at most RATELIMIT_LOG_BURST times a second per channel),
 * and never ends the process. What it cannot refuse: a well-formed
 * signature request from a compromised relay (SECURITY.md).
 */
#ifndef RAMPART_GATEWAY_PROC_KEYHOLDER_H
#define RAMPART_GATEWAY_PROC_KEYHOLDER_H

#include "tls/tls_keyreq.h"

#include <stdatomic.h>

#define KEYHOLDER_ARGV_FLAG       "--keyholder" /* hidden command-line mode of `rampart` */
#define KEYHOLDER_STATUS_MS       100           /* counts (and liveness) to the parent */
#define KEYHOLDER_SILENCE_MS      1000          /* the parent: silent this long, it is stuck */
#define KEYHOLDER_SIGN_TIMEOUT_MS 250           /* the relay: the longest wait for a signature */
#define KEYHOLDER_CONFIG_WAIT_MS  5000          /* the parent sends the config right after exec */

/* What a key holder answered, by status (TLS_KEYREQ_OK: done). */
struct keyholder_counts {
    atomic_ullong answers[TLS_KEYREQ_STATUS_END];
};

/* Reads one request from channel fd (blocking), answers it and counts the
 * answer. 1: answered; 0: the relay closed the channel; -1: an error
 * (errno). */
struct tls_keyring;
int keyholder_serve_one(const struct tls_keyring *kr, int fd, struct keyholder_counts *counts,
                        enum tls_keyreq_status *status);

/* Entry point of `rampart --keyholder` (exec'd by the parent). */
int keyholder_main(void);

#endif /* RAMPART_GATEWAY_PROC_KEYHOLDER_H */
