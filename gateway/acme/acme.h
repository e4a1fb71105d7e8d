/*
 * gateway/acme/: the ACME client (RFC 8555) that runs in the ACME process
 * (gateway/proc/acme_main.c). This header holds what its files share: the
 * bounds of everything an ACME server can send, the objects the JSON
 * reader fills (acme_json.h), and the reasons an order fails (counted in
 * rampart_acme_failures_total{reason}).
 *
 *   acme_json.c     the server's JSON answers, read with jansson into the
 *                   structs below, every field checked (pure)
 *   acme_jws.c      the JWS of a request (RFC 7515 flattened JSON, ES256,
 *                   jwk or kid), assembled here, signed by tls/tls_acme.c
 *   acme_order.c    one order as a state machine (pure): it says which
 *                   request to make next and reads its answer
 *   acme_sched.c    when to renew: two thirds of the lifetime, the ARI
 *                   window, the backoff after a failure (pure)
 *   acme_http.c     the requests themselves (libcurl): HTTPS only, the CA
 *                   pinned, bounded answers, deadlines, no redirects
 *   acme_client.c   drives an order: nonces (badNonce retried, RFC 8555
 *                   section 6.5), JWS, the account, the HTTP exchanges
 *   acme_state.c    the state directory: account keys, orders under way
 *
 * Nothing here allocates without a bound; every string from the server is
 * checked for its length and its characters before it is kept.
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_H
#define RAMPART_GATEWAY_ACME_ACME_H

#include "tls/tls_acme.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACME_URL_MAX        512 /* any URL the server names, with its NUL */
#define ACME_NONCE_MAX      128 /* a Replay-Nonce (Boulder's: 43-64 characters) */
#define ACME_TOKEN_MAX      128 /* a challenge token (at least 22 characters: 128 bits) */
#define ACME_TOKEN_MIN      22  /* RFC 8555 section 8.1: 128 bits of entropy, base64url */
#define ACME_KEYAUTH_MAX    (ACME_TOKEN_MAX + TLS_ACME_THUMBPRINT_MAX + 1)
#define ACME_AUTHZ_MAX      TLS_ACME_NAMES_MAX /* one authorization per name */
#define ACME_CHALLENGES_MAX 8                  /* challenges one authorization offers */
#define ACME_BODY_MAX       (64 * 1024)        /* a JSON answer; a certificate chain: TLS_ACME_CERT_PEM_MAX */
#define ACME_DETAIL_MAX     256                /* of a problem's detail, kept for the log */
#define ACME_TYPE_MAX       128                /* a problem type URN */
#define ACME_CONTACT_MAX    256
#define ACME_PAYLOAD_MAX    4096 /* a request's JSON payload (finalize with an RSA CSR: ~1.6 KB) */
#define ACME_JWS_MAX        8192 /* a whole request body */

enum acme_status {
    ACME_ST_UNKNOWN = 0,
    ACME_ST_PENDING,
    ACME_ST_READY,
    ACME_ST_PROCESSING,
    ACME_ST_VALID,
    ACME_ST_INVALID,
    ACME_ST_DEACTIVATED,
    ACME_ST_EXPIRED,
    ACME_ST_REVOKED,
};
const char *acme_status_name(enum acme_status s);

/* The challenge types Rampart answers, in [acme] challenge order. */
enum acme_challenge_type { ACME_CHAL_HTTP01 = 0, ACME_CHAL_TLSALPN01 = 1, ACME_CHAL_OTHER = 2 };
#define ACME_CHAL_TYPES 2
const char *acme_challenge_type_name(enum acme_challenge_type t); /* "http-01", "tls-alpn-01" */

/* Why an order (or a renewal check) failed. */
enum acme_fail {
    ACME_FAIL_NETWORK,      /* no connection, TLS to the server failed (its CA not the configured one) */
    ACME_FAIL_TIMEOUT,      /* a request, a validation or the whole order took too long */
    ACME_FAIL_STATUS,       /* an HTTP status ACME does not give there, without a problem document */
    ACME_FAIL_PROTOCOL,     /* wrong JSON, a missing or malformed field, a URL off the server's origin */
    ACME_FAIL_TOO_BIG,      /* an answer over its bound */
    ACME_FAIL_REDIRECT,     /* a 3xx: ACME never redirects */
    ACME_FAIL_PROBLEM,      /* the server refused (an RFC 7807 problem other than those below) */
    ACME_FAIL_BAD_NONCE,    /* badNonce more times in a row than ACME_BADNONCE_RETRIES */
    ACME_FAIL_RATE_LIMITED, /* urn:ietf:params:acme:error:rateLimited */
    ACME_FAIL_VALIDATION,   /* a challenge came back invalid */
    ACME_FAIL_NO_CHALLENGE, /* no challenge of a type Rampart answers */
    ACME_FAIL_REFUSED,      /* the parent refused the issued certificate (tls_acme_cert_check) */
    ACME_FAIL_INTERNAL,     /* a key, a CSR, the state directory */
    ACME_FAIL_COUNT
};
const char *acme_fail_name(enum acme_fail f); /* "network", "timeout", ... (metric labels) */

/* ---- what the server sends (acme_json.c fills these) ---- */

struct acme_directory {
    char new_nonce[ACME_URL_MAX], new_account[ACME_URL_MAX], new_order[ACME_URL_MAX];
    char renewal_info[ACME_URL_MAX]; /* "" when the server has no ARI */
    bool external_account_required;  /* meta.externalAccountRequired: not supported */
};

struct acme_order_obj {
    enum acme_status status;
    char finalize[ACME_URL_MAX];
    char certificate[ACME_URL_MAX]; /* "" until valid */
    unsigned n_authz;
    char authz[ACME_AUTHZ_MAX][ACME_URL_MAX];
    char error_type[ACME_TYPE_MAX]; /* an invalid order's problem, if it says */
    char error_detail[ACME_DETAIL_MAX];
};

struct acme_challenge_obj {
    enum acme_challenge_type type;
    enum acme_status status;
    char url[ACME_URL_MAX];
    char token[ACME_TOKEN_MAX];
    char error_type[ACME_TYPE_MAX]; /* an invalid challenge's problem */
    char error_detail[ACME_DETAIL_MAX];
};

struct acme_authz_obj {
    enum acme_status status;
    char identifier[TLS_ACME_NAME_MAX + 1]; /* type dns */
    bool wildcard;
    unsigned n_challenges;
    struct acme_challenge_obj challenges[ACME_CHALLENGES_MAX];
};

struct acme_problem {
    char type[ACME_TYPE_MAX]; /* "urn:ietf:params:acme:error:badNonce" */
    char detail[ACME_DETAIL_MAX];
};
#define ACME_ERR_PREFIX "urn:ietf:params:acme:error:"

struct acme_renewal_info {
    int64_t start_s, end_s; /* suggestedWindow, Unix times */
};

/* Origin checks: a URL the server names is https, printable, within
 * ACME_URL_MAX, and on the directory's scheme, host and port. */
bool acme_url_ok(const char *url);
bool acme_same_origin(const char *directory, const char *url);

#endif /* RAMPART_GATEWAY_ACME_ACME_H */
