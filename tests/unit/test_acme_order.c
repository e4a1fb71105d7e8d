/* Unit tests for gateway/acme/acme_order.c: a whole order against a
 * scripted server (the requests the machine makes, in order, and the
 * answers it reads), the account reused by kid, badNonce retried up to its
 * bound, the poll waits (Retry-After clamped, the backoff without it), the
 * order's deadline firing, and every way a server's answer ends an order:
 * redirects, problems, rate limits, missing Location, URLs off the
 * server, names not ordered, no usable challenge, invalid challenges, a
 * chain that is not PEM, transport failures. An order taken over from the
 * peer (resume_url): POST-as-GET of it instead of newOrder, then on from
 * its status; one off the server refused; one given up (abandoned). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/acme/acme_order.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIR   "https://acme.test:14000/dir"
#define S     "https://acme.test:14000"
#define TOKEN "tok_0123456789abcdefghijkl"
#define THUMB "thumbprint0123456789"

static const char DIR_BODY[] = "{\"newNonce\":\"" S "/nonce\",\"newAccount\":\"" S "/acct\",\"newOrder\":\"" S
                               "/order\",\"renewalInfo\":\"" S "/ari\"}";
static const char ACCT_BODY[] = "{\"status\":\"valid\",\"contact\":[]}";

static char body_buf[4096];

static const char *order_body(const char *status)
{
    snprintf(body_buf, sizeof body_buf,
             "{\"status\":\"%s\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"www.example.com\"}],"
             "\"authorizations\":[\"" S "/authz/1\"],\"finalize\":\"" S "/fin/1\"%s}",
             status, strcmp(status, "valid") == 0 ? ",\"certificate\":\"" S "/cert/1\"" : "");
    return body_buf;
}

static const char *authz_body(const char *status, const char *name, const char *chal_type,
                              const char *chal_status)
{
    snprintf(body_buf, sizeof body_buf,
             "{\"status\":\"%s\",\"identifier\":{\"type\":\"dns\",\"value\":\"%s\"},\"challenges\":["
             "{\"type\":\"dns-01\",\"url\":\"" S "/chal/d\",\"token\":\"x\",\"status\":\"pending\"},"
             "{\"type\":\"%s\",\"url\":\"" S "/chal/1\",\"token\":\"" TOKEN "\",\"status\":\"%s\"%s}]}",
             status, name, chal_type, chal_status,
             strcmp(chal_status, "invalid") == 0
                 ? ",\"error\":{\"type\":\"urn:ietf:params:acme:error:connection\",\"detail\":\"refused\"}"
                 : "");
    return body_buf;
}

static const char *chal_body(const char *status)
{
    snprintf(body_buf, sizeof body_buf,
             "{\"type\":\"http-01\",\"url\":\"" S "/chal/1\",\"token\":\"" TOKEN "\",\"status\":\"%s\"}",
             status);
    return body_buf;
}

static const char *problem_body(const char *type)
{
    snprintf(body_buf, sizeof body_buf, "{\"type\":\"urn:ietf:params:acme:error:%s\",\"detail\":\"d\"}",
             type);
    return body_buf;
}

static const char CHAIN[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/* An order of www.example.com; resume: the peer's order to take over.
 * NULL when acme_order_init refuses the parameters. */
static struct acme_order *order_of(const char *kid, const char *resume, int64_t now)
{
    static const char *names[] = {"www.example.com"};
    struct acme_order *o = malloc(sizeof *o);
    struct acme_order_params p = {.directory = DIR,
                                  .names = names,
                                  .n_names = 1,
                                  .csr_b64url = "Q1NS",
                                  .thumbprint = THUMB,
                                  .kid = kid,
                                  .contact = "mailto:ops@example.com",
                                  .resume_url = resume,
                                  .prefer = {ACME_CHAL_HTTP01, ACME_CHAL_TLSALPN01},
                                  .n_prefer = 2,
                                  .now_ms = now,
                                  .timeout_ms = 0};
    if (acme_order_init(o, &p) < 0) {
        free(o);
        return NULL;
    }
    return o;
}

static struct acme_order *new_order(const char *kid, int64_t now)
{
    struct acme_order *o = order_of(kid, NULL, now);
    assert_non_null(o);
    return o;
}

static struct acme_order *new_order_resume(const char *kid, const char *resume)
{
    return order_of(kid, resume, 0);
}

static int nonce_seq;

/* One request and its answer: checks the request's kind and URL. */
static void step(struct acme_order *o, int64_t now, enum acme_req_kind kind, const char *url, long status,
                 const char *body, const char *location, long retry_after, struct acme_req *req)
{
    char nonce[32];
    acme_order_next(o, now, req);
    assert_int_equal(req->kind, kind);
    if (url)
        assert_string_equal(req->url, url);
    snprintf(nonce, sizeof nonce, "nonce%d", ++nonce_seq);
    struct acme_resp r = {.transport = ACME_FAIL_COUNT,
                          .status = status,
                          .body = body,
                          .len = body ? strlen(body) : 0,
                          .nonce = nonce,
                          .location = location,
                          .retry_after_s = retry_after};
    acme_order_on_response(o, now, &r);
}

/* directory, nonce, account (jwk), newOrder: the order pending. */
static void start(struct acme_order *o, struct acme_req *req)
{
    nonce_seq = 0;
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, req);
    step(o, 0, ACME_REQ_POST, S "/acct", 201, ACCT_BODY, S "/acct/7", -1, req);
    assert_true(req->use_jwk);
    assert_string_equal(req->kid, "");
    assert_string_equal(req->nonce, "nonce2"); /* the HEAD's */
    assert_non_null(strstr(req->payload, "\"termsOfServiceAgreed\":true"));
    assert_non_null(strstr(req->payload, "mailto:ops@example.com"));
    step(o, 0, ACME_REQ_POST, S "/order", 201, order_body("pending"), S "/order/1", -1, req);
    assert_false(req->use_jwk);
    assert_string_equal(req->kid, S "/acct/7");
    assert_non_null(strstr(req->payload, "www.example.com"));
}

static void expect_fail(struct acme_order *o, enum acme_fail why)
{
    struct acme_req req;
    const char *detail;
    acme_order_next(o, 0, &req);
    assert_int_equal(req.kind, ACME_REQ_FAILED);
    if (acme_order_failure(o, &detail) != why)
        fail_msg("failure %s, not %s: %s", acme_fail_name(acme_order_failure(o, NULL)), acme_fail_name(why),
                 detail);
    free(o);
}

static void test_whole_order(void **state)
{
    (void)state;
    struct acme_order *o = new_order(NULL, 0);
    struct acme_req req;
    start(o, &req);
    assert_string_equal(acme_order_kid(o), S "/acct/7");
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200,
         authz_body("pending", "www.example.com", "http-01", "pending"), NULL, -1, &req);
    assert_string_equal(req.payload, ""); /* POST-as-GET */
    acme_order_next(o, 0, &req);
    assert_int_equal(req.kind, ACME_REQ_PUBLISH);
    assert_int_equal(req.chal_type, ACME_CHAL_HTTP01);
    assert_string_equal(req.token, TOKEN);
    assert_string_equal(req.key_auth, TOKEN "." THUMB);
    assert_string_equal(req.identifier, "www.example.com");
    acme_order_published(o, true);
    step(o, 0, ACME_REQ_POST, S "/chal/1", 200, chal_body("processing"), NULL, 2, &req);
    assert_string_equal(req.payload, "{}");
    step(o, 10, ACME_REQ_POST, S "/authz/1", 200, authz_body("valid", "www.example.com", "http-01", "valid"),
         NULL, -1, &req);
    assert_int_equal(req.not_before_ms, 2000); /* Retry-After: 2 */
    step(o, 20, ACME_REQ_POST, S "/order/1", 200, order_body("ready"), NULL, -1, &req);
    step(o, 30, ACME_REQ_POST, S "/fin/1", 200, order_body("processing"), NULL, 0, &req);
    assert_string_equal(req.payload, "{\"csr\":\"Q1NS\"}");
    step(o, 40, ACME_REQ_POST, S "/order/1", 200, order_body("valid"), NULL, -1, &req);
    assert_int_equal(req.not_before_ms, 30 + ACME_POLL_MIN_MS); /* Retry-After: 0 */
    step(o, 50, ACME_REQ_POST, S "/cert/1", 200, CHAIN, NULL, -1, &req);
    assert_int_equal(req.body_max, TLS_ACME_CERT_PEM_MAX);
    acme_order_next(o, 60, &req);
    assert_int_equal(req.kind, ACME_REQ_DONE);
    size_t n;
    const char *chain = acme_order_chain(o, &n);
    assert_int_equal(n, strlen(CHAIN));
    assert_memory_equal(chain, CHAIN, n);
    assert_int_equal(o->n_published, 1);
    assert_string_equal(o->published[0].token, TOKEN);
    free(o);
}

/* The order ready: finalize (valid at once), download, done; frees o. */
static void finish_ready(struct acme_order *o, int64_t t, struct acme_req *req)
{
    step(o, t, ACME_REQ_POST, S "/fin/1", 200, order_body("valid"), NULL, -1, req);
    assert_string_equal(req->payload, "{\"csr\":\"Q1NS\"}");
    step(o, t, ACME_REQ_POST, S "/cert/1", 200, CHAIN, NULL, -1, req);
    acme_order_next(o, t, req);
    assert_int_equal(req->kind, ACME_REQ_DONE);
    free(o);
}

static void test_known_account_skips_new_account(void **state)
{
    (void)state;
    struct acme_order *o = new_order(S "/acct/7", 0);
    struct acme_req req;
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 204, NULL, NULL, -1, &req);
    step(o, 0, ACME_REQ_POST, S "/order", 201, order_body("ready"), S "/order/1", -1, &req);
    /* an order already ready (its authorizations valid) goes to finalize */
    finish_ready(o, 0, &req);
}

static void test_bad_nonce_retried_then_bounded(void **state)
{
    (void)state;
    struct acme_order *o = new_order(NULL, 0);
    struct acme_req req;
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    for (int i = 0; i < ACME_BADNONCE_RETRIES; i++)
        step(o, 0, ACME_REQ_POST, S "/acct", 400, problem_body("badNonce"), NULL, -1, &req);
    /* the retry carries the nonce of the badNonce answer */
    char expect[32];
    snprintf(expect, sizeof expect, "nonce%d", nonce_seq);
    assert_string_equal(o->nonce, expect);
    /* a success in between resets the count */
    step(o, 0, ACME_REQ_POST, S "/acct", 201, ACCT_BODY, S "/acct/7", -1, &req);
    for (int i = 0; i < ACME_BADNONCE_RETRIES; i++)
        step(o, 0, ACME_REQ_POST, S "/order", 400, problem_body("badNonce"), NULL, -1, &req);
    acme_order_next(o, 0, &req);
    assert_int_equal(req.kind, ACME_REQ_POST); /* still retrying: the bound is not reached */
    struct acme_resp r = {.transport = ACME_FAIL_COUNT,
                          .status = 400,
                          .body = problem_body("badNonce"),
                          .len = strlen(body_buf),
                          .retry_after_s = -1};
    acme_order_on_response(o, 0, &r);
    expect_fail(o, ACME_FAIL_BAD_NONCE);
}

static void test_bad_nonce_without_nonce_asks_for_one(void **state)
{
    (void)state;
    struct acme_order *o = new_order(NULL, 0);
    struct acme_req req;
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    acme_order_next(o, 0, &req);
    struct acme_resp r = {.transport = ACME_FAIL_COUNT,
                          .status = 400,
                          .body = problem_body("badNonce"),
                          .len = strlen(body_buf),
                          .retry_after_s = -1};
    acme_order_on_response(o, 0, &r); /* no Replay-Nonce */
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    step(o, 0, ACME_REQ_POST, S "/acct", 201, ACCT_BODY, S "/acct/7", -1, &req);
    free(o);
}

/* Up to the authorization being polled. */
static struct acme_order *at_poll(struct acme_req *req)
{
    struct acme_order *o = new_order(NULL, 0);
    start(o, req);
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200,
         authz_body("pending", "www.example.com", "http-01", "pending"), NULL, -1, req);
    acme_order_next(o, 0, req);
    acme_order_published(o, true);
    step(o, 0, ACME_REQ_POST, S "/chal/1", 200, chal_body("pending"), NULL, -1, req);
    return o;
}

static void test_poll_backoff_and_retry_after_bounds(void **state)
{
    (void)state;
    struct acme_req req;
    struct acme_order *o = at_poll(&req);
    const char *pending = authz_body("pending", "www.example.com", "http-01", "processing");
    int64_t now = 0, expect[] = {1000, 2000, 4000, 8000, 8000};
    for (int i = 0; i < 5; i++) {
        acme_order_next(o, now, &req);
        assert_int_equal(req.not_before_ms - now, expect[i]);
        now = req.not_before_ms;
        step(o, now, ACME_REQ_POST, S "/authz/1", 200, pending, NULL, -1, &req);
    }
    step(o, now, ACME_REQ_POST, S "/authz/1", 200, pending, NULL, 3600, &req);
    acme_order_next(o, now, &req);
    assert_int_equal(req.not_before_ms - now, ACME_POLL_MAX_MS); /* an hour cut to the ceiling */
    free(o);
}

static void test_deadline_fires(void **state)
{
    (void)state;
    struct acme_req req;
    struct acme_order *o = at_poll(&req);
    const char *pending = authz_body("pending", "www.example.com", "http-01", "processing");
    int64_t now = 0;
    unsigned polls = 0;
    for (;;) {
        acme_order_next(o, now, &req);
        if (req.kind == ACME_REQ_FAILED)
            break;
        assert_true(req.not_before_ms <= ACME_ORDER_TIMEOUT_MS); /* no wait past the deadline */
        now = req.not_before_ms;
        struct acme_resp r = {.transport = ACME_FAIL_COUNT,
                              .status = 200,
                              .body = pending,
                              .len = strlen(pending),
                              .nonce = "n",
                              .retry_after_s = 30};
        acme_order_on_response(o, now, &r);
        assert_true(++polls < 100);
    }
    assert_int_equal(now, ACME_ORDER_TIMEOUT_MS);
    expect_fail(o, ACME_FAIL_TIMEOUT);
}

static void test_validation_failure(void **state)
{
    (void)state;
    struct acme_req req;
    struct acme_order *o = at_poll(&req);
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200,
         authz_body("invalid", "www.example.com", "http-01", "invalid"), NULL, -1, &req);
    const char *detail;
    assert_int_equal(acme_order_failure(o, &detail), ACME_FAIL_VALIDATION);
    assert_non_null(strstr(detail, "urn:ietf:params:acme:error:connection refused"));
    expect_fail(o, ACME_FAIL_VALIDATION);
}

static void test_invalid_challenge_answer(void **state)
{
    (void)state;
    struct acme_order *o = new_order(NULL, 0);
    struct acme_req req;
    start(o, &req);
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200,
         authz_body("pending", "www.example.com", "http-01", "pending"), NULL, -1, &req);
    acme_order_next(o, 0, &req);
    acme_order_published(o, true);
    step(o, 0, ACME_REQ_POST, S "/chal/1", 200, chal_body("invalid"), NULL, -1, &req);
    expect_fail(o, ACME_FAIL_VALIDATION);
}

static void test_prefers_and_limits_challenge_types(void **state)
{
    (void)state;
    struct acme_order *o = new_order(NULL, 0);
    struct acme_req req;
    start(o, &req);
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200,
         authz_body("pending", "www.example.com", "tls-alpn-01", "pending"), NULL, -1, &req);
    acme_order_next(o, 0, &req);
    assert_int_equal(req.kind, ACME_REQ_PUBLISH);
    assert_int_equal(req.chal_type, ACME_CHAL_TLSALPN01);
    acme_order_published(o, false); /* could not be published */
    expect_fail(o, ACME_FAIL_INTERNAL);

    o = new_order(NULL, 0);
    o->n_prefer = 1; /* http-01 only */
    start(o, &req);
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200,
         authz_body("pending", "www.example.com", "tls-alpn-01", "pending"), NULL, -1, &req);
    expect_fail(o, ACME_FAIL_NO_CHALLENGE);
}

static void test_valid_authz_skipped(void **state)
{
    (void)state;
    struct acme_order *o = new_order(NULL, 0);
    struct acme_req req;
    start(o, &req);
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200, authz_body("valid", "www.example.com", "http-01", "valid"),
         NULL, -1, &req);
    step(o, 0, ACME_REQ_POST, S "/order/1", 200, order_body("pending"), NULL, -1, &req);
    acme_order_next(o, 0, &req); /* still pending: polled again after a wait */
    assert_string_equal(req.url, S "/order/1");
    assert_int_equal(req.not_before_ms, ACME_POLL_FIRST_MS);
    free(o);
}

/* The first answers that end an order, each after directory (and nonce). */
static void test_bad_answers(void **state)
{
    (void)state;
    struct acme_req req;
    struct acme_order *o = new_order(NULL, 0);
    step(o, 0, ACME_REQ_GET, DIR, 301, "", S "/elsewhere", -1, &req);
    expect_fail(o, ACME_FAIL_REDIRECT);

    o = new_order(NULL, 0);
    step(o, 0, ACME_REQ_GET, DIR, 500, "<html>oops</html>", NULL, -1, &req);
    expect_fail(o, ACME_FAIL_STATUS);

    o = new_order(NULL, 0);
    step(o, 0, ACME_REQ_GET, DIR, 200, "{\"newNonce\":\"" S "/n\"}", NULL, -1, &req);
    expect_fail(o, ACME_FAIL_PROTOCOL); /* missing fields */

    o = new_order(NULL, 0);
    step(o, 0, ACME_REQ_GET, DIR, 200,
         "{\"newNonce\":\"https://evil.test/n\",\"newAccount\":\"" S "/a\",\"newOrder\":\"" S "/o\"}", NULL,
         -1, &req);
    expect_fail(o, ACME_FAIL_PROTOCOL); /* a URL off the server */

    o = new_order(NULL, 0);
    step(o, 0, ACME_REQ_GET, DIR, 200, "{\"newNonce\":", NULL, -1, &req);
    expect_fail(o, ACME_FAIL_PROTOCOL); /* not JSON */

    o = new_order(NULL, 0);
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    step(o, 0, ACME_REQ_POST, S "/acct", 429, problem_body("rateLimited"), NULL, -1, &req);
    expect_fail(o, ACME_FAIL_RATE_LIMITED);

    o = new_order(NULL, 0);
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    step(o, 0, ACME_REQ_POST, S "/acct", 403, problem_body("unauthorized"), NULL, -1, &req);
    expect_fail(o, ACME_FAIL_PROBLEM);

    o = new_order(NULL, 0);
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    step(o, 0, ACME_REQ_POST, S "/acct", 201, ACCT_BODY, NULL, -1, &req);
    expect_fail(o, ACME_FAIL_PROTOCOL); /* no Location: no kid */
}

static void test_bad_later_answers(void **state)
{
    (void)state;
    struct acme_req req;
    struct acme_order *o = new_order(S "/acct/7", 0);
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    step(o, 0, ACME_REQ_POST, S "/order", 201, order_body("pending"), NULL, -1, &req);
    expect_fail(o, ACME_FAIL_PROTOCOL); /* newOrder without Location */

    o = new_order(NULL, 0);
    start(o, &req);
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200,
         authz_body("pending", "evil.example.com", "http-01", "pending"), NULL, -1, &req);
    expect_fail(o, ACME_FAIL_PROTOCOL); /* a name not ordered */

    o = new_order(S "/acct/7", 0);
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    step(o, 0, ACME_REQ_POST, S "/order", 201, order_body("valid"), S "/order/1", -1, &req);
    step(o, 0, ACME_REQ_POST, S "/cert/1", 200, "<html>not a chain</html>", NULL, -1, &req);
    expect_fail(o, ACME_FAIL_PROTOCOL);

    o = new_order(S "/acct/7", 0);
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    acme_order_next(o, 0, &req);
    struct acme_resp r = {.transport = ACME_FAIL_TIMEOUT, .retry_after_s = -1};
    acme_order_on_response(o, 0, &r);
    expect_fail(o, ACME_FAIL_TIMEOUT);

    o = new_order(S "/acct/7", 0);
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    step(o, 0, ACME_REQ_POST, S "/order", 201, order_body("invalid"), S "/order/1", -1, &req);
    expect_fail(o, ACME_FAIL_PROBLEM);
}

static void test_init_bounds(void **state)
{
    (void)state;
    static const char *names[TLS_ACME_NAMES_MAX + 1] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    struct acme_order *o = malloc(sizeof *o);
    struct acme_order_params p = {.directory = DIR,
                                  .names = names,
                                  .n_names = TLS_ACME_NAMES_MAX,
                                  .csr_b64url = "Q1NS",
                                  .thumbprint = THUMB,
                                  .prefer = {ACME_CHAL_HTTP01},
                                  .n_prefer = 1};
    assert_int_equal(acme_order_init(o, &p), 0);
    p.n_names = TLS_ACME_NAMES_MAX + 1;
    assert_int_equal(acme_order_init(o, &p), -1);
    assert_int_equal(acme_order_failure(o, NULL), ACME_FAIL_INTERNAL);
    p.n_names = 1;
    p.directory = "http://acme.test/dir"; /* not https */
    assert_int_equal(acme_order_init(o, &p), -1);
    p.directory = DIR;
    p.kid = "https://elsewhere.test/acct/1"; /* a kid off the server */
    assert_int_equal(acme_order_init(o, &p), -1);
    free(o);
}

/* The peer's order, pending: its authorization answered here, then on. */
static void test_resume_pending(void **state)
{
    (void)state;
    struct acme_order *o = new_order_resume(S "/acct/7", S "/order/1");
    struct acme_req req;
    nonce_seq = 0;
    assert_true(o->resumed);
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
    /* no newOrder: a POST-as-GET of the order, no Location needed */
    step(o, 0, ACME_REQ_POST, S "/order/1", 200, order_body("pending"), NULL, -1, &req);
    assert_string_equal(req.payload, "");
    assert_string_equal(req.kid, S "/acct/7");
    assert_string_equal(acme_order_url(o), S "/order/1");
    /* the peer's challenge already under way: published here, not started twice */
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200,
         authz_body("pending", "www.example.com", "http-01", "processing"), NULL, -1, &req);
    acme_order_next(o, 0, &req);
    assert_int_equal(req.kind, ACME_REQ_PUBLISH);
    acme_order_published(o, true);
    step(o, 0, ACME_REQ_POST, S "/authz/1", 200, authz_body("valid", "www.example.com", "http-01", "valid"),
         NULL, -1, &req);
    step(o, 10, ACME_REQ_POST, S "/order/1", 200, order_body("ready"), NULL, -1, &req);
    finish_ready(o, 20, &req);
}

/* ready: finalize at once; valid: download at once; invalid: fails (the
 * caller orders anew); a URL off the server is refused at init. */
static void test_resume_by_status(void **state)
{
    (void)state;
    struct acme_req req;
    const char *status[] = {"ready", "valid", "invalid"};
    const char *next[] = {S "/fin/1", S "/cert/1", NULL};
    for (unsigned i = 0; i < 3; i++) {
        struct acme_order *o = new_order_resume(S "/acct/7", S "/order/1");
        nonce_seq = 0;
        step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
        step(o, 0, ACME_REQ_HEAD, S "/nonce", 200, "", NULL, -1, &req);
        step(o, 0, ACME_REQ_POST, S "/order/1", 200, order_body(status[i]), NULL, -1, &req);
        if (!next[i]) {
            expect_fail(o, ACME_FAIL_PROBLEM);
            continue;
        }
        acme_order_next(o, 0, &req);
        assert_int_equal(req.kind, ACME_REQ_POST);
        assert_string_equal(req.url, next[i]);
        free(o);
    }
    assert_null(new_order_resume(S "/acct/7", "https://evil.test/order/1"));
    assert_null(new_order_resume(S "/acct/7", "http://acme.test:14000/order/1"));
}

/* Given up between two steps: failed, abandoned, never reported as done. */
static void test_abandon(void **state)
{
    (void)state;
    struct acme_order *o = new_order(S "/acct/7", 0);
    struct acme_req req;
    nonce_seq = 0;
    step(o, 0, ACME_REQ_GET, DIR, 200, DIR_BODY, NULL, -1, &req);
    acme_order_abandon(o, "this node no longer leads");
    assert_true(o->abandoned);
    acme_order_next(o, 0, &req);
    assert_int_equal(req.kind, ACME_REQ_FAILED);
    acme_order_abandon(o, "twice"); /* no change once over */
    assert_non_null(strstr(o->detail, "no longer leads"));
    free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_order),
        cmocka_unit_test(test_known_account_skips_new_account),
        cmocka_unit_test(test_bad_nonce_retried_then_bounded),
        cmocka_unit_test(test_bad_nonce_without_nonce_asks_for_one),
        cmocka_unit_test(test_poll_backoff_and_retry_after_bounds),
        cmocka_unit_test(test_deadline_fires),
        cmocka_unit_test(test_validation_failure),
        cmocka_unit_test(test_invalid_challenge_answer),
        cmocka_unit_test(test_prefers_and_limits_challenge_types),
        cmocka_unit_test(test_valid_authz_skipped),
        cmocka_unit_test(test_bad_answers),
        cmocka_unit_test(test_bad_later_answers),
        cmocka_unit_test(test_init_bounds),
        cmocka_unit_test(test_resume_pending),
        cmocka_unit_test(test_resume_by_status),
        cmocka_unit_test(test_abandon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
