/*
 * acme_order: one ACME order (RFC 8555 section 7.4) as a pure state
 * machine. It holds no socket and reads no clock: the driver
 * (acme_client.c) asks it for the next thing to do, does it, and hands
 * back what came of it, with the time.
 *
 *   directory -> account (newAccount with the jwk, once; later orders reuse
 *   its kid) -> newOrder -> each authorization: pick a challenge, have its
 *   answer published, tell the server to validate, poll -> the order ready
 *   -> finalize with the CSR -> poll until valid -> download the chain
 *
 * Taking over an order (a pair: the peer made it and failed over,
 * params.resume_url): directory -> account -> POST-as-GET of the order
 * instead of newOrder, then on from its status (pending: its
 * authorizations; ready: finalize; processing: poll; valid: download).
 *
 * Nonces: every POST consumes the one the last answer carried; without
 * one, the machine asks for a HEAD of newNonce first. A badNonce problem
 * (section 6.5) repeats the same request with the nonce of that answer, at
 * most ACME_BADNONCE_RETRIES times in a row.
 *
 * Deadlines: the whole order ends by deadline_ms (ACME_FAIL_TIMEOUT);
 * polls wait as the server's Retry-After says, clamped to
 * [ACME_POLL_MIN_MS, ACME_POLL_MAX_MS], or, without it, from
 * ACME_POLL_FIRST_MS doubling to ACME_POLL_BACKOFF_MAX_MS.
 *
 * Memory: struct acme_order is the caller's (about 60 KB: keep it off a
 * small stack); nothing is allocated beyond what acme_json.c frees itself.
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_ORDER_H
#define RAMPART_GATEWAY_ACME_ACME_ORDER_H

#include "gateway/acme/acme.h"
#include "common/b64url.h"

#define ACME_BADNONCE_RETRIES    5      /* badNonce answers in a row before the order fails */
#define ACME_POLL_FIRST_MS       1000   /* first poll without Retry-After */
#define ACME_POLL_BACKOFF_MAX_MS 8000   /* ... doubling up to this */
#define ACME_POLL_MIN_MS         1000   /* a Retry-After of 0 waits this long */
#define ACME_POLL_MAX_MS         60000  /* a longer Retry-After is cut to this */
#define ACME_ORDER_TIMEOUT_MS    600000 /* default deadline of a whole order: 10 minutes */
#define ACME_CSR_B64_MAX         (B64URL_LEN(TLS_ACME_CSR_MAX) + 1)

enum acme_req_kind {
    ACME_REQ_GET,     /* the directory */
    ACME_REQ_HEAD,    /* newNonce */
    ACME_REQ_POST,    /* a JWS: payload, or "" for POST-as-GET */
    ACME_REQ_PUBLISH, /* make the challenge answer reachable, then acme_order_published() */
    ACME_REQ_DONE,    /* the chain is in acme_order_chain() */
    ACME_REQ_FAILED,  /* acme_order_failure() says why */
};

struct acme_req {
    enum acme_req_kind kind;
    int64_t not_before_ms; /* the driver waits until then (polls) */
    char url[ACME_URL_MAX];
    char payload[ACME_PAYLOAD_MAX];
    bool use_jwk;               /* newAccount: the key, not a kid */
    char nonce[ACME_NONCE_MAX]; /* POST: the JWS's nonce */
    char kid[ACME_URL_MAX];     /* POST: the JWS's kid, "" with use_jwk */
    size_t body_max;            /* the answer's bound: ACME_BODY_MAX, TLS_ACME_CERT_PEM_MAX for the chain */
    /* ACME_REQ_PUBLISH: */
    enum acme_challenge_type chal_type;
    char identifier[TLS_ACME_NAME_MAX + 1];
    char token[ACME_TOKEN_MAX];
    char key_auth[ACME_KEYAUTH_MAX];
};

/* What came of a request. transport: ACME_FAIL_COUNT when an answer came,
 * else why none did (network, timeout, too_big, redirect). */
struct acme_resp {
    enum acme_fail transport;
    long status;
    const char *body;
    size_t len;
    const char *nonce;    /* Replay-Nonce, NULL when absent */
    const char *location; /* Location, NULL when absent */
    long retry_after_s;   /* -1 when absent */
};

enum acme_step {
    ACME_S_DIRECTORY,
    ACME_S_ACCOUNT,
    ACME_S_NEW_ORDER,
    ACME_S_AUTHZ,
    ACME_S_PUBLISH,
    ACME_S_CHALLENGE,
    ACME_S_POLL_AUTHZ,
    ACME_S_POLL_READY,
    ACME_S_FINALIZE,
    ACME_S_POLL_VALID,
    ACME_S_CERT,
    ACME_S_DONE,
    ACME_S_FAILED,
};
const char *acme_step_name(enum acme_step s);

struct acme_order_params {
    const char *directory; /* https URL */
    const char *const *names;
    unsigned n_names;
    const char *csr_b64url; /* the CSR of the certificate's key, DER, base64url */
    const char *thumbprint; /* of the account key (RFC 7638) */
    const char *kid;        /* the account URL when known, "" or NULL: newAccount */
    const char *contact;    /* "mailto:..." or "" */
    const char *replaces;   /* ARI certificate id of the certificate renewed, or "" */
    const char *resume_url; /* an order made before (by the peer) to take over, or "" / NULL */
    enum acme_challenge_type prefer[ACME_CHAL_TYPES];
    unsigned n_prefer; /* challenge types allowed, best first */
    int64_t now_ms, timeout_ms;
};

struct acme_published {
    enum acme_challenge_type type;
    char identifier[TLS_ACME_NAME_MAX + 1];
    char token[ACME_TOKEN_MAX];
};

struct acme_order {
    /* what was asked */
    char dir_url[ACME_URL_MAX];
    char names[TLS_ACME_NAMES_MAX][TLS_ACME_NAME_MAX + 1];
    unsigned n_names;
    char csr[ACME_CSR_B64_MAX], thumbprint[TLS_ACME_THUMBPRINT_MAX];
    char contact[ACME_CONTACT_MAX], replaces[ACME_URL_MAX];
    enum acme_challenge_type prefer[ACME_CHAL_TYPES];
    unsigned n_prefer;
    int64_t deadline_ms;
    /* where it is */
    enum acme_step step;
    bool want_nonce;            /* the request out is a HEAD of newNonce */
    char nonce[ACME_NONCE_MAX]; /* "" when none is held */
    char kid[ACME_URL_MAX];     /* the account URL */
    char order_url[ACME_URL_MAX];
    bool resumed;   /* order_url was given: its step NEW_ORDER is a POST-as-GET of it */
    bool abandoned; /* the driver gave it up (acme_order_abandon) */
    struct acme_directory dir;
    struct acme_order_obj ord;
    struct acme_authz_obj authz; /* the authorization being worked on */
    unsigned authz_i, chal_i;
    unsigned bad_nonces;       /* in a row */
    unsigned bad_nonces_total; /* retried in this order, for the log */
    int64_t next_at_ms, poll_ms;
    unsigned requests; /* made so far, for the log */
    struct acme_published published[ACME_AUTHZ_MAX];
    unsigned n_published;
    /* how it ended */
    enum acme_fail fail;
    char detail[ACME_DETAIL_MAX + ACME_TYPE_MAX + 64];
    char chain[TLS_ACME_CERT_PEM_MAX];
    size_t chain_len;
};

/* 0, or -1 when a parameter is out of bounds (the order is then failed,
 * reason internal, detail saying which). */
int acme_order_init(struct acme_order *o, const struct acme_order_params *p);

/* The next request; for ACME_REQ_DONE/FAILED the order is over. Past the
 * deadline it fails (timeout). */
void acme_order_next(struct acme_order *o, int64_t now_ms, struct acme_req *req);

/* The answer to the request acme_order_next() gave last. */
void acme_order_on_response(struct acme_order *o, int64_t now_ms, const struct acme_resp *r);

/* The driver's word on ACME_REQ_PUBLISH: ok, or the answer could not be
 * put in place (the order fails, internal). */
void acme_order_published(struct acme_order *o, bool ok);

/* The driver gives the order up between two steps (this node stopped
 * leading: the peer takes it over): it ends failed, `abandoned` set. */
void acme_order_abandon(struct acme_order *o, const char *why);
/* The order's URL once the server gave it (or the one resumed), else "". */
const char *acme_order_url(const struct acme_order *o);

enum acme_fail acme_order_failure(const struct acme_order *o, const char **detail);
const char *acme_order_chain(const struct acme_order *o, size_t *len);
const char *acme_order_kid(const struct acme_order *o); /* "" until the account is known */

#endif /* RAMPART_GATEWAY_ACME_ACME_ORDER_H */
