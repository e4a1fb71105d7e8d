/*
 * acme_client: one order driven over HTTPS. See acme_client.h.
 */
#include "gateway/acme/acme_client.h"

#include "common/log.h"
#include "gateway/acme/acme_jws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void client_log(const struct acme_req *req, const struct acme_resp *r, const char *err)
{
    char status[16];
    snprintf(status, sizeof status, "%ld", r->status);
    log_event(LOG_LEVEL_DEBUG, "acme_request", "method",
              req->kind == ACME_REQ_GET    ? "GET"
              : req->kind == ACME_REQ_HEAD ? "HEAD"
                                           : "POST",
              "url", req->url, "status",
              r->transport == ACME_FAIL_COUNT ? status : acme_fail_name(r->transport), "error",
              err[0] ? err : NULL, LOG_END);
}

/* One GET, HEAD or signed POST, its answer handed to the machine. */
static void client_request(struct acme_http *h, struct acme_order *o, const struct acme_account *acct,
                           const struct acme_req *req, int64_t now_ms)
{
    static char jws[ACME_JWS_MAX];
    char err[ACME_HTTP_ERR_MAX];
    struct acme_resp r;
    if (req->kind == ACME_REQ_POST && acme_jws(acct->key, req->use_jwk ? NULL : req->kid, req->nonce,
                                               req->url, req->payload, jws, sizeof jws) == 0) {
        memset(&r, 0, sizeof r);
        r.transport = ACME_FAIL_INTERNAL;
        acme_order_on_response(o, now_ms, &r);
        return;
    }
    acme_http_do(h, req->kind, req->url, req->kind == ACME_REQ_POST ? jws : NULL, req->body_max, &r, err,
                 sizeof err);
    client_log(req, &r, err);
    acme_order_on_response(o, now_ms, &r);
}

static void client_withdraw_all(const struct acme_order *o, const struct acme_client_hooks *hooks)
{
    for (unsigned i = 0; i < o->n_published; i++)
        hooks->withdraw(hooks->arg, &o->published[i]);
}

void acme_client_run(struct acme_http *h, struct acme_order *o, struct acme_account *acct,
                     const struct acme_client_hooks *hooks)
{
    struct acme_req *req = malloc(sizeof *req);
    if (!req) {
        acme_order_published(o, false);
        return;
    }
    for (;;) {
        if (hooks->step && !hooks->step(hooks->arg, o))
            acme_order_abandon(o, "this node no longer leads");
        acme_order_next(o, hooks->now_ms(hooks->arg), req);
        if (req->kind == ACME_REQ_DONE || req->kind == ACME_REQ_FAILED)
            break;
        if (req->kind == ACME_REQ_PUBLISH) {
            acme_order_published(o, hooks->publish(hooks->arg, req));
            continue;
        }
        if (req->not_before_ms > hooks->now_ms(hooks->arg)) {
            if (hooks->wait_until(hooks->arg, req->not_before_ms) < 0) {
                struct acme_resp r = {.transport = ACME_FAIL_INTERNAL, .retry_after_s = -1};
                acme_order_on_response(o, hooks->now_ms(hooks->arg), &r);
                continue;
            }
            if (req->not_before_ms > hooks->now_ms(hooks->arg))
                continue; /* woken early (the role changed): the step hook looks first */
        }
        client_request(h, o, acct, req, hooks->now_ms(hooks->arg));
        if (acme_order_kid(o)[0])
            snprintf(acct->kid, sizeof acct->kid, "%s", acme_order_kid(o));
    }
    client_withdraw_all(o, hooks);
    free(req);
}
