/*
 * acme_client: drives one order (acme_order.h) to its end: each request
 * the machine asks for is made with acme_http.c, a POST signed as a JWS
 * (acme_jws.c) with the account key, a challenge answer published and
 * later withdrawn through the caller's hooks, a poll waited for through
 * them too (so the ACME process keeps reading its parent while it waits).
 *
 * Blocking, one thread (the ACME process's). Every request is logged at
 * debug level; the order's end is the caller's to log and count.
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_CLIENT_H
#define RAMPART_GATEWAY_ACME_ACME_CLIENT_H

#include "gateway/acme/acme_http.h"
#include "gateway/acme/acme_order.h"

struct acme_client_hooks {
    void *arg;
    int64_t (*now_ms)(void *arg); /* a monotonic clock */
    /* Returns at at_ms, or earlier: -1 when the order must be given up
     * (the parent went away), 0 when `step` should look again (the
     * request is then asked for anew and waited for again). */
    int (*wait_until)(void *arg, int64_t at_ms);
    /* Make req's key authorization reachable (HTTP-01: at the token's path
     * on the HTTP listeners; TLS-ALPN-01: its certificate). */
    bool (*publish)(void *arg, const struct acme_req *req);
    void (*withdraw)(void *arg, const struct acme_published *p);
    /* Between two steps (NULL: always go on): false gives the order up
     * (acme_order_abandon: this node no longer leads). Sees the order, so
     * it can share its URL once the server named it. */
    bool (*step)(void *arg, const struct acme_order *o);
};

/* The account the orders are made with; kid "" until the server names it. */
struct acme_account {
    struct tls_acme_key *key; /* P-256, the caller's */
    char thumbprint[TLS_ACME_THUMBPRINT_MAX];
    char kid[ACME_URL_MAX];
};

/* Runs o (initialised with acct's thumbprint and kid) to its end; what
 * came of it is in o (acme_order_failure, acme_order_chain). The account
 * URL the server gave is copied into acct->kid. Every published answer is
 * withdrawn before it returns. */
void acme_client_run(struct acme_http *h, struct acme_order *o, struct acme_account *acct,
                     const struct acme_client_hooks *hooks);

#endif /* RAMPART_GATEWAY_ACME_ACME_CLIENT_H */
