/*
 * acme_msg: what the ACME process, the parent and the relays exchange
 * about ACME (carried by gateway/proc/ipc.h; fixed sizes, no pointers),
 * and the pure checks each receiver runs before it uses one: nothing the
 * ACME process sends is trusted by the parent, nothing the parent sends is
 * used by a relay unchecked.
 *
 *   ACME process -> parent  ACME_TOKEN (publish / withdraw a challenge
 *                           answer), ACME_CERT (an issued chain and its key),
 *                           ACME_STATUS (for /metrics)
 *   parent -> ACME process  ACME_ACK (the answer is in place on the relays)
 *   parent -> relay         ACME_TOKENS (every answer published now, whole)
 *   relay -> parent         ACME_ACK (that set is served: the parent then
 *                           acknowledges the ACME process, which only then
 *                           tells the server to validate)
 *
 * On a pair (gateway/proc/parent_acme_pair.c) the parent also tells its
 * ACME process whether it leads (ACME_ROLE), and what crosses the peer
 * channel travels as these same structs, checked again on each side:
 *   ACME process -> parent  ACME_ACCOUNT (its account), ACME_ORDER (an
 *                           order under way: URL and the new key; or its end)
 *   parent -> ACME process  ACME_ROLE, and the peer's ACME_ACCOUNT,
 *                           ACME_ORDER and ACME_CERT (installed here already)
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_MSG_H
#define RAMPART_GATEWAY_ACME_ACME_MSG_H

#include "gateway/acme/acme.h"

#define ACME_TOKENS_MAX 16 /* answers published at once: certificates ordered together, a pair's */
#define ACME_CERTS_MAX  16 /* = TLS_MAX_CERTIFICATES: one order per [tls] certificate */

enum acme_token_op { ACME_TOKEN_PUBLISH = 1, ACME_TOKEN_WITHDRAW = 2 };

struct acme_token {
    uint32_t op;   /* enum acme_token_op (ACME_TOKEN only) */
    uint32_t type; /* enum acme_challenge_type */
    uint32_t seq;  /* echoed by ACME_ACK */
    uint32_t reserved;
    char identifier[TLS_ACME_NAME_MAX + 2];
    char token[ACME_TOKEN_MAX];
    char key_auth[ACME_KEYAUTH_MAX + 3];
};

struct acme_token_set {
    uint32_t n;
    uint32_t generation; /* the relay acknowledges it (ACME_ACK, seq = generation) once it serves the set */
    struct acme_token t[ACME_TOKENS_MAX];
};

struct acme_ack {
    uint32_t seq;
    uint32_t ok; /* 1: published (or withdrawn) */
};

struct acme_cert_msg {
    uint32_t index;     /* of the [tls] certificate line */
    uint32_t key_type;  /* enum tls_acme_key_type */
    uint32_t chain_len; /* bytes of chain used */
    uint32_t key_len;
    char name[TLS_ACME_NAME_MAX + 2];
    char chain[TLS_ACME_CERT_PEM_MAX];
    char key[TLS_ACME_KEY_PEM_MAX];
};

/* One certificate's ACME state, for /metrics and /healthz. */
struct acme_cert_status {
    char name[TLS_ACME_NAME_MAX + 2];
    int64_t not_after_s;  /* 0: none issued yet (a placeholder serves) */
    int64_t next_order_s; /* when the next order starts */
    uint64_t orders;      /* orders that ended with a certificate */
    uint64_t failures[ACME_FAIL_COUNT];
};
struct acme_status_msg {
    uint32_t n;
    uint32_t reserved;
    struct acme_cert_status c[ACME_CERTS_MAX];
};

/* Whether the ACME process orders (parent -> ACME process, whenever it changes). */
struct acme_role_msg {
    uint32_t lead; /* 1: order (the VRRP master of [tls] acme_instance, or no VRRP); 0: follow */
    uint32_t reserved;
};

/* The ACME account (the peer's, so both nodes use one: the leader's wins). */
struct acme_account_msg {
    uint32_t key_len; /* bytes of key used, PEM */
    uint32_t reserved;
    char directory[ACME_URL_MAX]; /* the server it is an account of */
    char kid[ACME_URL_MAX];       /* its URL; "" until the server named it */
    char key[TLS_ACME_KEY_PEM_MAX];
};

/* An order under way for certificate `index`: its URL and the key its CSR
 * is made of (so the peer can take it over), and the answers published for
 * it (the parent adds them for the peer, whose relays serve them too).
 * url "": the order ended (forget it, withdraw its answers). */
struct acme_order_msg {
    uint32_t index;
    uint32_t key_len;  /* 0 with url "" */
    uint32_t n_tokens; /* <= ACME_AUTHZ_MAX; op 0 */
    uint32_t reserved;
    char name[TLS_ACME_NAME_MAX + 2];
    char url[ACME_URL_MAX];
    char key[TLS_ACME_KEY_PEM_MAX];
    struct acme_token tokens[ACME_AUTHZ_MAX];
};

/* 0, or -1 with a reason: strings terminated and of their alphabet (a
 * token base64url, a key authorization token "." thumbprint, the name a
 * DNS name), op and type in range, the reserved fields zero. */
int acme_msg_token_check(const struct acme_token *t, bool need_op, const char **why);
int acme_msg_tokens_check(const struct acme_token_set *s, const char **why);
/* Lengths in bounds, the name terminated; whether the chain is good is
 * tls_acme_cert_check's to say. */
int acme_msg_cert_check(const struct acme_cert_msg *m, const char **why);
int acme_msg_status_check(const struct acme_status_msg *m, const char **why);
/* The key's length in bounds and terminated there, the URLs https and of
 * the directory's origin (whether the key parses is tls/'s to say). */
int acme_msg_account_check(const struct acme_account_msg *m, const char **why);
/* Index in range, the name a DNS name, an ended order empty, an order
 * under way with a URL and a key, each token checked and for the name. */
int acme_msg_order_check(const struct acme_order_msg *m, const char **why);

#endif /* RAMPART_GATEWAY_ACME_ACME_MSG_H */
