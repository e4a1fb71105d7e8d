/* libFuzzer target: any bytes as what an ACME server answers
 * (gateway/acme/acme_json.c) and as what the ACME process sends the parent
 * (gateway/acme/acme_msg.c). The first byte picks the reader: the
 * directory, an order, an authorization, a challenge, an account, ARI's
 * renewalInfo, a problem document, an RFC 3339 time, or the order state
 * machine (acme_order.c) fed the bytes as the answer to each of its steps
 * in turn (so its checks after the reader run too: Location, names,
 * status moves, the chain). Each either fills its struct with bounded,
 * terminated strings and URLs of the server, or refuses with a reason,
 * never a crash; a filled struct is checked here against its bounds.
 * Run: make fuzz && build-fuzz/fuzz/fuzz_acme -runs=1000000 */
#include "gateway/acme/acme_json.h"
#include "gateway/acme/acme_msg.h"
#include "gateway/acme/acme_order.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIR "https://acme.test/dir"

static void must_be_terminated(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap))
        abort();
}

static void check_order(const struct acme_order_obj *o)
{
    if (o->n_authz < 1 || o->n_authz > ACME_AUTHZ_MAX || !acme_same_origin(DIR, o->finalize))
        abort();
    for (unsigned i = 0; i < o->n_authz; i++)
        if (!acme_same_origin(DIR, o->authz[i]))
            abort();
    must_be_terminated(o->error_detail, sizeof o->error_detail);
}

static void check_authz(const struct acme_authz_obj *a)
{
    if (a->n_challenges > ACME_CHALLENGES_MAX)
        abort();
    must_be_terminated(a->identifier, sizeof a->identifier);
    for (unsigned i = 0; i < a->n_challenges; i++) {
        const struct acme_challenge_obj *c = &a->challenges[i];
        if (c->type != ACME_CHAL_OTHER &&
            (!acme_same_origin(DIR, c->url) || strlen(c->token) < ACME_TOKEN_MIN))
            abort();
    }
}

/* The bytes as every answer of an order, step after step. */
static void fuzz_machine(const char *body, size_t len)
{
    static struct acme_order o;
    static const char *names[] = {"www.acme.test"};
    struct acme_order_params p = {.directory = DIR,
                                  .names = names,
                                  .n_names = 1,
                                  .csr_b64url = "Q1NS",
                                  .thumbprint = "thumb",
                                  .prefer = {ACME_CHAL_HTTP01, ACME_CHAL_TLSALPN01},
                                  .n_prefer = 2,
                                  .now_ms = 0};
    if (acme_order_init(&o, &p) < 0)
        abort();
    struct acme_req req;
    int64_t now = 0;
    for (unsigned i = 0; i < 64; i++) {
        acme_order_next(&o, now, &req);
        if (req.kind == ACME_REQ_DONE || req.kind == ACME_REQ_FAILED)
            return;
        if (req.kind == ACME_REQ_PUBLISH) {
            acme_order_published(&o, true);
            continue;
        }
        now = req.not_before_ms > now ? req.not_before_ms : now + 1;
        struct acme_resp r = {.transport = ACME_FAIL_COUNT,
                              .status = i % 3 == 2 ? 201 : 200,
                              .body = body,
                              .len = len,
                              .nonce = "nonce",
                              .location = "https://acme.test/x",
                              .retry_after_s = (long)(len % 3) - 1};
        acme_order_on_response(&o, now, &r);
    }
}

static void fuzz_msgs(const uint8_t *data, size_t size)
{
    static struct acme_token_set set;
    static struct acme_cert_msg cert;
    static struct acme_status_msg st;
    const char *why = NULL;
    memset(&set, 0, sizeof set);
    memcpy(&set, data, size < sizeof set ? size : sizeof set);
    acme_msg_tokens_check(&set, &why);
    memset(&cert, 0, sizeof cert);
    memcpy(&cert, data, size < sizeof cert ? size : sizeof cert);
    acme_msg_cert_check(&cert, &why);
    memset(&st, 0, sizeof st);
    memcpy(&st, data, size < sizeof st ? size : sizeof st);
    acme_msg_status_check(&st, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static union {
        struct acme_directory d;
        struct acme_order_obj o;
        struct acme_authz_obj a;
        struct acme_challenge_obj c;
        struct acme_renewal_info r;
        struct acme_problem p;
    } u;
    char why[ACME_WHY_MAX], text[64];
    enum acme_status st;
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 10) {
    case 0:
        if (acme_json_directory(body, len, DIR, &u.d, why) == 0 &&
            (!acme_same_origin(DIR, u.d.new_nonce) || !acme_same_origin(DIR, u.d.new_order)))
            abort();
        break;
    case 1:
        if (acme_json_order(body, len, DIR, &u.o, why) == 0)
            check_order(&u.o);
        break;
    case 2:
        if (acme_json_authz(body, len, DIR, &u.a, why) == 0)
            check_authz(&u.a);
        break;
    case 3: acme_json_challenge(body, len, DIR, &u.c, why); break;
    case 4: acme_json_account(body, len, &st, why); break;
    case 5:
        if (acme_json_renewal_info(body, len, &u.r, why) == 0 && u.r.end_s < u.r.start_s)
            abort();
        break;
    case 6:
        if (acme_json_problem(body, len, &u.p) == 0)
            must_be_terminated(u.p.detail, sizeof u.p.detail);
        break;
    case 7: {
        int64_t t;
        size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
        memcpy(text, body, n);
        text[n] = '\0';
        acme_time_parse(text, &t);
        break;
    }
    case 8: fuzz_machine(body, len); break;
    default: fuzz_msgs(data, size); break;
    }
    return 0;
}
