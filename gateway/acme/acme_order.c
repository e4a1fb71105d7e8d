/*
 * acme_order: one order as a state machine. See acme_order.h.
 */
#include "gateway/acme/acme_order.h"

#include "gateway/acme/acme_json.h"
#include "gateway/acme/acme_jws.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *acme_step_name(enum acme_step s)
{
    static const char *const names[] = {
        "directory",  "account",  "new_order",  "authorization", "publish", "challenge", "poll_authz",
        "poll_ready", "finalize", "poll_valid", "certificate",   "done",    "failed"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

static void order_fail(struct acme_order *o, enum acme_fail why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void order_fail(struct acme_order *o, enum acme_fail why, const char *fmt, ...)
{
    int n = snprintf(o->detail, sizeof o->detail, "%s: ", acme_step_name(o->step));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->detail + n, sizeof o->detail - (size_t)n, fmt, ap);
    va_end(ap);
    o->fail = why;
    o->step = ACME_S_FAILED;
}

/* ---- set-up ---------------------------------------------------------------------------------------- */

static int order_copy(char *dst, size_t cap, const char *src)
{
    if (!src)
        src = "";
    size_t n = strnlen(src, cap);
    if (n == cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

static int order_copy_names(struct acme_order *o, const struct acme_order_params *p)
{
    if (p->n_names < 1 || p->n_names > TLS_ACME_NAMES_MAX)
        return -1;
    for (unsigned i = 0; i < p->n_names; i++)
        if (!p->names[i] || !p->names[i][0] || order_copy(o->names[i], sizeof o->names[i], p->names[i]) < 0)
            return -1;
    o->n_names = p->n_names;
    return 0;
}

int acme_order_init(struct acme_order *o, const struct acme_order_params *p)
{
    memset(o, 0, sizeof *o);
    o->fail = ACME_FAIL_COUNT;
    o->deadline_ms = p->now_ms + (p->timeout_ms > 0 ? p->timeout_ms : ACME_ORDER_TIMEOUT_MS);
    o->poll_ms = ACME_POLL_FIRST_MS;
    const char *bad = NULL;
    if (!p->directory || !acme_url_ok(p->directory) ||
        order_copy(o->dir_url, sizeof o->dir_url, p->directory))
        bad = "directory";
    else if (order_copy_names(o, p) < 0)
        bad = "names";
    else if (!p->csr_b64url || !p->csr_b64url[0] || order_copy(o->csr, sizeof o->csr, p->csr_b64url) < 0)
        bad = "csr";
    else if (!p->thumbprint || order_copy(o->thumbprint, sizeof o->thumbprint, p->thumbprint) < 0)
        bad = "thumbprint";
    else if (order_copy(o->kid, sizeof o->kid, p->kid) < 0 ||
             (o->kid[0] && !acme_same_origin(o->dir_url, o->kid)))
        bad = "kid";
    else if (order_copy(o->contact, sizeof o->contact, p->contact) < 0)
        bad = "contact";
    else if (order_copy(o->replaces, sizeof o->replaces, p->replaces) < 0)
        bad = "replaces";
    else if (p->n_prefer < 1 || p->n_prefer > ACME_CHAL_TYPES)
        bad = "challenge types";
    else if (order_copy(o->order_url, sizeof o->order_url, p->resume_url) < 0 ||
             (o->order_url[0] && !acme_same_origin(o->dir_url, o->order_url)))
        bad = "resume_url";
    if (bad) {
        order_fail(o, ACME_FAIL_INTERNAL, "%s out of bounds", bad);
        return -1;
    }
    memcpy(o->prefer, p->prefer, sizeof o->prefer);
    o->n_prefer = p->n_prefer;
    o->resumed = o->order_url[0] != '\0';
    o->step = ACME_S_DIRECTORY;
    return 0;
}

/* ---- requests -------------------------------------------------------------------------------------- */

static void req_post(struct acme_req *req, const char *url, const char *payload)
{
    req->kind = ACME_REQ_POST;
    snprintf(req->url, sizeof req->url, "%s", url);
    snprintf(req->payload, sizeof req->payload, "%s", payload);
}

static void req_publish(struct acme_order *o, struct acme_req *req)
{
    const struct acme_challenge_obj *c = &o->authz.challenges[o->chal_i];
    req->kind = ACME_REQ_PUBLISH;
    req->chal_type = c->type;
    snprintf(req->identifier, sizeof req->identifier, "%s", o->authz.identifier);
    snprintf(req->token, sizeof req->token, "%s", c->token);
    if (acme_key_authorization(c->token, o->thumbprint, req->key_auth, sizeof req->key_auth) == 0)
        order_fail(o, ACME_FAIL_PROTOCOL, "token '%.40s' makes no key authorization", c->token);
}

static void req_new_account(const struct acme_order *o, struct acme_req *req)
{
    req_post(req, o->dir.new_account, "");
    req->use_jwk = true;
    if (acme_json_new_account(o->contact, false, req->payload, sizeof req->payload) == 0)
        req->payload[0] = '\0';
}

static void req_new_order(const struct acme_order *o, struct acme_req *req)
{
    const char *names[TLS_ACME_NAMES_MAX];
    for (unsigned i = 0; i < o->n_names; i++)
        names[i] = o->names[i];
    req_post(req, o->dir.new_order, "");
    acme_json_new_order(names, o->n_names, o->replaces, req->payload, sizeof req->payload);
}

/* The request of a step that is a POST (all but the directory). */
static void order_post_of(struct acme_order *o, struct acme_req *req)
{
    switch (o->step) {
    case ACME_S_ACCOUNT: req_new_account(o, req); break;
    case ACME_S_NEW_ORDER:
        if (o->resumed)
            req_post(req, o->order_url, ""); /* POST-as-GET: where the peer's order stands */
        else
            req_new_order(o, req);
        break;
    case ACME_S_AUTHZ:
    case ACME_S_POLL_AUTHZ: req_post(req, o->ord.authz[o->authz_i], ""); break;
    case ACME_S_CHALLENGE: req_post(req, o->authz.challenges[o->chal_i].url, "{}"); break;
    case ACME_S_POLL_READY:
    case ACME_S_POLL_VALID: req_post(req, o->order_url, ""); break;
    case ACME_S_FINALIZE:
        req_post(req, o->ord.finalize, "");
        acme_json_finalize(o->csr, req->payload, sizeof req->payload);
        break;
    case ACME_S_CERT:
        req_post(req, o->ord.certificate, "");
        req->body_max = TLS_ACME_CERT_PEM_MAX;
        break;
    default: break;
    }
}

void acme_order_next(struct acme_order *o, int64_t now_ms, struct acme_req *req)
{
    memset(req, 0, sizeof *req);
    req->body_max = ACME_BODY_MAX;
    if (o->step != ACME_S_DONE && o->step != ACME_S_FAILED && now_ms >= o->deadline_ms)
        order_fail(o, ACME_FAIL_TIMEOUT, "the order took longer than its deadline (%u requests)",
                   o->requests);
    req->not_before_ms = o->next_at_ms;
    o->want_nonce = false;
    if (o->step == ACME_S_DONE || o->step == ACME_S_FAILED) {
        req->kind = o->step == ACME_S_DONE ? ACME_REQ_DONE : ACME_REQ_FAILED;
        return;
    }
    if (o->step == ACME_S_DIRECTORY) {
        req->kind = ACME_REQ_GET;
        snprintf(req->url, sizeof req->url, "%s", o->dir_url);
    } else if (o->step == ACME_S_PUBLISH) {
        req_publish(o, req);
        if (o->step == ACME_S_FAILED)
            req->kind = ACME_REQ_FAILED;
        return;
    } else if (!o->nonce[0]) {
        o->want_nonce = true;
        req->kind = ACME_REQ_HEAD;
        req->not_before_ms = 0;
        snprintf(req->url, sizeof req->url, "%s", o->dir.new_nonce);
    } else {
        order_post_of(o, req);
        memcpy(req->nonce, o->nonce, sizeof req->nonce);
        if (!req->use_jwk)
            memcpy(req->kid, o->kid, sizeof req->kid);
    }
    o->requests++;
}

/* ---- waiting --------------------------------------------------------------------------------------- */

/* The next poll, as the server asks (Retry-After) or after the backoff. */
static void order_wait(struct acme_order *o, int64_t now_ms, long retry_after_s)
{
    int64_t wait;
    if (retry_after_s >= 0) {
        wait = retry_after_s > ACME_POLL_MAX_MS / 1000 ? ACME_POLL_MAX_MS : (int64_t)retry_after_s * 1000;
        if (wait < ACME_POLL_MIN_MS)
            wait = ACME_POLL_MIN_MS;
    } else {
        wait = o->poll_ms;
        o->poll_ms = o->poll_ms * 2 > ACME_POLL_BACKOFF_MAX_MS ? ACME_POLL_BACKOFF_MAX_MS : o->poll_ms * 2;
    }
    o->next_at_ms = now_ms + wait < o->deadline_ms ? now_ms + wait : o->deadline_ms;
}

static void order_go(struct acme_order *o, enum acme_step s)
{
    o->step = s;
    o->next_at_ms = 0;
    o->poll_ms = ACME_POLL_FIRST_MS;
}

/* ---- answers --------------------------------------------------------------------------------------- */

/* The nonce an answer carries is the next request's; one that is not
 * base64url within bounds is not kept. */
static void order_take_nonce(struct acme_order *o, const struct acme_resp *r)
{
    o->nonce[0] = '\0';
    if (!r->nonce)
        return;
    size_t n = strnlen(r->nonce, ACME_NONCE_MAX);
    if (n > 0 && n < ACME_NONCE_MAX && b64url_is_text(r->nonce, n))
        memcpy(o->nonce, r->nonce, n + 1);
}

/* A 4xx or 5xx: false when the order goes on (a badNonce to retry). */
static void order_on_error(struct acme_order *o, const struct acme_resp *r)
{
    struct acme_problem p;
    if (acme_json_problem(r->body, r->len, &p) < 0) {
        order_fail(o, ACME_FAIL_STATUS, "HTTP %ld without a problem document", r->status);
        return;
    }
    if (strcmp(p.type, ACME_ERR_PREFIX "badNonce") == 0) {
        o->bad_nonces_total++;
        if (++o->bad_nonces <= ACME_BADNONCE_RETRIES)
            return; /* same step again, with the answer's nonce (or a fresh one) */
        order_fail(o, ACME_FAIL_BAD_NONCE, "%u badNonce answers in a row", o->bad_nonces);
        return;
    }
    enum acme_fail why =
        strcmp(p.type, ACME_ERR_PREFIX "rateLimited") == 0 ? ACME_FAIL_RATE_LIMITED : ACME_FAIL_PROBLEM;
    order_fail(o, why, "HTTP %ld %s: %s", r->status, p.type, p.detail);
}

static bool order_location(struct acme_order *o, const struct acme_resp *r, char *out)
{
    if (!r->location || strnlen(r->location, ACME_URL_MAX) == ACME_URL_MAX ||
        !acme_same_origin(o->dir_url, r->location)) {
        order_fail(o, ACME_FAIL_PROTOCOL, "no Location of the server in the answer");
        return false;
    }
    snprintf(out, ACME_URL_MAX, "%s", r->location);
    return true;
}

static void on_directory(struct acme_order *o, const struct acme_resp *r, char *why)
{
    if (acme_json_directory(r->body, r->len, o->dir_url, &o->dir, why) < 0)
        order_fail(o, ACME_FAIL_PROTOCOL, "%s", why);
    else if (o->dir.external_account_required)
        order_fail(o, ACME_FAIL_PROBLEM, "the server requires external account binding (not supported)");
    else
        order_go(o, o->kid[0] ? ACME_S_NEW_ORDER : ACME_S_ACCOUNT);
}

static void on_account(struct acme_order *o, const struct acme_resp *r, char *why)
{
    enum acme_status st;
    if (r->status != 200 && r->status != 201)
        order_fail(o, ACME_FAIL_STATUS, "HTTP %ld to newAccount", r->status);
    else if (acme_json_account(r->body, r->len, &st, why) < 0)
        order_fail(o, ACME_FAIL_PROTOCOL, "%s", why);
    else if (st != ACME_ST_VALID)
        order_fail(o, ACME_FAIL_PROBLEM, "the account is %s", acme_status_name(st));
    else if (order_location(o, r, o->kid))
        order_go(o, ACME_S_NEW_ORDER);
}

/* Where an order in status st goes; from_poll: a pending order polls on. */
static void order_by_status(struct acme_order *o, int64_t now_ms, const struct acme_resp *r)
{
    switch (o->ord.status) {
    case ACME_ST_PENDING:
        if (o->step == ACME_S_NEW_ORDER) {
            o->authz_i = 0;
            order_go(o, ACME_S_AUTHZ);
        } else if (o->step == ACME_S_POLL_READY) {
            order_wait(o, now_ms, r->retry_after_s);
        } else {
            order_fail(o, ACME_FAIL_PROTOCOL, "the order went back to pending");
        }
        break;
    case ACME_ST_READY: order_go(o, ACME_S_FINALIZE); break;
    case ACME_ST_PROCESSING:
        if (o->step != ACME_S_POLL_VALID)
            order_go(o, ACME_S_POLL_VALID);
        order_wait(o, now_ms, r->retry_after_s);
        break;
    case ACME_ST_VALID: order_go(o, ACME_S_CERT); break;
    default:
        order_fail(o, o->ord.error_type[0] ? ACME_FAIL_VALIDATION : ACME_FAIL_PROBLEM,
                   "the order is %s: %s %s", acme_status_name(o->ord.status), o->ord.error_type,
                   o->ord.error_detail);
    }
}

static void on_order(struct acme_order *o, int64_t now_ms, const struct acme_resp *r, char *why)
{
    if (o->step == ACME_S_NEW_ORDER && !o->resumed && !order_location(o, r, o->order_url))
        return;
    if (acme_json_order(r->body, r->len, o->dir_url, &o->ord, why) < 0) {
        order_fail(o, ACME_FAIL_PROTOCOL, "%s", why);
        return;
    }
    if (o->ord.n_authz > o->n_names) {
        order_fail(o, ACME_FAIL_PROTOCOL, "%u authorizations for %u names", o->ord.n_authz, o->n_names);
        return;
    }
    order_by_status(o, now_ms, r);
}

static bool order_names_has(const struct acme_order *o, const char *name)
{
    for (unsigned i = 0; i < o->n_names; i++)
        if (strcasecmp(o->names[i], name) == 0)
            return true;
    return false;
}

/* The challenge of the best allowed type: its index, or -1. */
static int order_pick(const struct acme_order *o)
{
    for (unsigned p = 0; p < o->n_prefer; p++)
        for (unsigned i = 0; i < o->authz.n_challenges; i++)
            if (o->authz.challenges[i].type == o->prefer[p])
                return (int)i;
    return -1;
}

static void order_next_authz(struct acme_order *o)
{
    if (++o->authz_i < o->ord.n_authz)
        order_go(o, ACME_S_AUTHZ);
    else
        order_go(o, ACME_S_POLL_READY);
}

static void on_authz_pending(struct acme_order *o)
{
    int i = order_pick(o);
    if (i < 0) {
        order_fail(o, ACME_FAIL_NO_CHALLENGE, "'%s' offers no challenge of an allowed type",
                   o->authz.identifier);
        return;
    }
    o->chal_i = (unsigned)i;
    const struct acme_challenge_obj *c = &o->authz.challenges[i];
    if (c->status == ACME_ST_INVALID)
        order_fail(o, ACME_FAIL_VALIDATION, "%s of '%s': %s %s", acme_challenge_type_name(c->type),
                   o->authz.identifier, c->error_type, c->error_detail);
    else
        order_go(o, ACME_S_PUBLISH);
}

/* The invalid challenge of an authorization, for the log. */
static void order_fail_validation(struct acme_order *o)
{
    const struct acme_challenge_obj *c = &o->authz.challenges[o->chal_i];
    for (unsigned i = 0; i < o->authz.n_challenges; i++)
        if (o->authz.challenges[i].status == ACME_ST_INVALID)
            c = &o->authz.challenges[i];
    order_fail(o, ACME_FAIL_VALIDATION, "'%s' is %s: %s %s", o->authz.identifier,
               acme_status_name(o->authz.status), c->error_type, c->error_detail);
}

static void on_authz(struct acme_order *o, int64_t now_ms, const struct acme_resp *r, char *why)
{
    if (acme_json_authz(r->body, r->len, o->dir_url, &o->authz, why) < 0) {
        order_fail(o, ACME_FAIL_PROTOCOL, "%s", why);
        return;
    }
    if (!order_names_has(o, o->authz.identifier)) {
        order_fail(o, ACME_FAIL_PROTOCOL, "authorization for '%s', a name not ordered", o->authz.identifier);
        return;
    }
    if (o->authz.status == ACME_ST_VALID)
        order_next_authz(o);
    else if (o->authz.status != ACME_ST_PENDING)
        order_fail_validation(o);
    else if (o->step == ACME_S_AUTHZ)
        on_authz_pending(o);
    else if (o->chal_i < o->authz.n_challenges && o->authz.challenges[o->chal_i].status == ACME_ST_INVALID)
        order_fail_validation(o);
    else
        order_wait(o, now_ms, r->retry_after_s);
}

static void on_challenge(struct acme_order *o, int64_t now_ms, const struct acme_resp *r, char *why)
{
    struct acme_challenge_obj c;
    if (acme_json_challenge(r->body, r->len, o->dir_url, &c, why) < 0) {
        order_fail(o, ACME_FAIL_PROTOCOL, "%s", why);
        return;
    }
    if (c.status == ACME_ST_INVALID) {
        order_fail(o, ACME_FAIL_VALIDATION, "%s of '%s': %s %s", acme_challenge_type_name(c.type),
                   o->authz.identifier, c.error_type, c.error_detail);
        return;
    }
    order_go(o, ACME_S_POLL_AUTHZ);
    order_wait(o, now_ms, r->retry_after_s);
}

static void on_cert(struct acme_order *o, const struct acme_resp *r)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    if (r->len > sizeof o->chain - 1) {
        order_fail(o, ACME_FAIL_TOO_BIG, "a chain of %zu bytes", r->len);
        return;
    }
    if (r->len < sizeof begin - 1 || memcmp(r->body, begin, sizeof begin - 1) != 0) {
        order_fail(o, ACME_FAIL_PROTOCOL, "the certificate is not a PEM chain");
        return;
    }
    memcpy(o->chain, r->body, r->len);
    o->chain[r->len] = '\0';
    o->chain_len = r->len;
    order_go(o, ACME_S_DONE);
}

static void order_on_success(struct acme_order *o, int64_t now_ms, const struct acme_resp *r)
{
    char why[ACME_WHY_MAX];
    switch (o->step) {
    case ACME_S_DIRECTORY: on_directory(o, r, why); break;
    case ACME_S_ACCOUNT: on_account(o, r, why); break;
    case ACME_S_NEW_ORDER:
    case ACME_S_POLL_READY:
    case ACME_S_FINALIZE:
    case ACME_S_POLL_VALID: on_order(o, now_ms, r, why); break;
    case ACME_S_AUTHZ:
    case ACME_S_POLL_AUTHZ: on_authz(o, now_ms, r, why); break;
    case ACME_S_CHALLENGE: on_challenge(o, now_ms, r, why); break;
    case ACME_S_CERT: on_cert(o, r); break;
    default: break;
    }
}

static void order_on_nonce(struct acme_order *o, const struct acme_resp *r)
{
    if (r->status != 200 && r->status != 204)
        order_fail(o, ACME_FAIL_STATUS, "HTTP %ld to newNonce", r->status);
    else if (!o->nonce[0])
        order_fail(o, ACME_FAIL_PROTOCOL, "newNonce gave no usable Replay-Nonce");
}

void acme_order_on_response(struct acme_order *o, int64_t now_ms, const struct acme_resp *r)
{
    if (o->step == ACME_S_DONE || o->step == ACME_S_FAILED || o->step == ACME_S_PUBLISH)
        return;
    if (r->transport != ACME_FAIL_COUNT) {
        order_fail(o, r->transport, "no answer from the server (%s)", acme_fail_name(r->transport));
        return;
    }
    if (o->step != ACME_S_DIRECTORY)
        order_take_nonce(o, r);
    if (o->want_nonce) {
        order_on_nonce(o, r);
    } else if (r->status >= 300 && r->status < 400) {
        order_fail(o, ACME_FAIL_REDIRECT, "HTTP %ld: ACME does not redirect", r->status);
    } else if (r->status >= 400) {
        order_on_error(o, r);
    } else if (r->status < 200) {
        order_fail(o, ACME_FAIL_STATUS, "HTTP %ld", r->status);
    } else {
        o->bad_nonces = 0;
        order_on_success(o, now_ms, r);
    }
    if (o->step != ACME_S_DONE && o->step != ACME_S_FAILED && now_ms >= o->deadline_ms)
        order_fail(o, ACME_FAIL_TIMEOUT, "the order took longer than its deadline");
}

void acme_order_published(struct acme_order *o, bool ok)
{
    if (o->step != ACME_S_PUBLISH)
        return;
    if (!ok) {
        order_fail(o, ACME_FAIL_INTERNAL, "the answer to '%s' could not be published", o->authz.identifier);
        return;
    }
    const struct acme_challenge_obj *c = &o->authz.challenges[o->chal_i];
    if (o->n_published < ACME_AUTHZ_MAX) {
        struct acme_published *p = &o->published[o->n_published++];
        p->type = c->type;
        order_copy(p->identifier, sizeof p->identifier, o->authz.identifier);
        order_copy(p->token, sizeof p->token, c->token);
    }
    /* A challenge already under way (processing) is not started twice. */
    order_go(o, c->status == ACME_ST_PENDING ? ACME_S_CHALLENGE : ACME_S_POLL_AUTHZ);
}

void acme_order_abandon(struct acme_order *o, const char *why)
{
    if (o->step == ACME_S_DONE || o->step == ACME_S_FAILED)
        return;
    order_fail(o, ACME_FAIL_INTERNAL, "given up: %s", why);
    o->abandoned = true;
}

const char *acme_order_url(const struct acme_order *o)
{
    return o->order_url;
}

enum acme_fail acme_order_failure(const struct acme_order *o, const char **detail)
{
    if (detail)
        *detail = o->detail;
    return o->step == ACME_S_FAILED ? o->fail : ACME_FAIL_COUNT;
}

const char *acme_order_chain(const struct acme_order *o, size_t *len)
{
    *len = o->step == ACME_S_DONE ? o->chain_len : 0;
    return o->step == ACME_S_DONE ? o->chain : NULL;
}

const char *acme_order_kid(const struct acme_order *o)
{
    return o->kid;
}
