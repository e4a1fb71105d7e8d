/*
 * acme_peer: the ACME process's side of a pair: its role, and what it
 * shares with the peer through its parent. See acme_main.h.
 */
#include "gateway/proc/acme_main.h"

#include "common/log.h"
#include "gateway/acme/acme_state.h"
#include "gateway/proc/child.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void acme_peer_send_account(const struct acme_ctx *ctx)
{
    static struct acme_account_msg m;
    memset(&m, 0, sizeof m);
    size_t n = tls_acme_key_pem(ctx->acct.key, m.key, sizeof m.key);
    if (n == 0)
        return;
    m.key_len = (uint32_t)n;
    snprintf(m.directory, sizeof m.directory, "%s", ctx->cfg->tls.acme.directory);
    snprintf(m.kid, sizeof m.kid, "%s", ctx->acct.kid);
    ipc_send(CHILD_IPC_FD, IPC_ACME_ACCOUNT, &m, sizeof m);
    explicit_bzero(m.key, sizeof m.key);
}

static void peer_send_order(const struct acme_cert_state *c, const char *url, const char *key, size_t key_len)
{
    static struct acme_order_msg m;
    memset(&m, 0, sizeof m);
    m.index = c->index;
    snprintf(m.name, sizeof m.name, "%s", c->name);
    if (url && key_len < sizeof m.key) {
        snprintf(m.url, sizeof m.url, "%s", url);
        memcpy(m.key, key, key_len);
        m.key_len = (uint32_t)key_len;
    }
    ipc_send(CHILD_IPC_FD, IPC_ACME_ORDER, &m, sizeof m);
    explicit_bzero(m.key, sizeof m.key);
}

void acme_peer_share_order(struct acme_ctx *ctx, const struct acme_order *o)
{
    const char *url = acme_order_url(o);
    if (!ctx->cur || ctx->cur_shared || !url[0] || ctx->cur_key_len == 0)
        return;
    ctx->cur_shared = true;
    peer_send_order(ctx->cur, url, ctx->cur_key, ctx->cur_key_len);
    log_event(LOG_LEVEL_INFO, "acme_order_shared", "name", ctx->cur->name, "url", url, LOG_END);
}

void acme_peer_order_ended(struct acme_ctx *ctx, const struct acme_cert_state *c)
{
    (void)ctx;
    peer_send_order(c, NULL, NULL, 0);
}

/* ---- what the parent brings from the peer -------------------------------------------------------- */

static struct acme_cert_state *peer_cert(struct acme_ctx *ctx, uint32_t index, const char *name)
{
    if (index >= ctx->n_certs || strcasecmp(ctx->certs[index].name, name) != 0)
        return NULL;
    return &ctx->certs[index];
}

/* The leader's account (the parent passes only those): a follower takes it. */
static void peer_on_account(struct acme_ctx *ctx, const struct acme_account_msg *m)
{
    const char *why = NULL;
    char err[256];
    struct tls_acme_key *k = NULL;
    char tp[TLS_ACME_THUMBPRINT_MAX];
    if (ctx->lead || acme_msg_account_check(m, &why) < 0 ||
        strcmp(m->directory, ctx->cfg->tls.acme.directory))
        return; /* a leader keeps its own; another server's account is no use */
    if (tls_acme_key_parse(m->key, m->key_len, &k, err, sizeof err) < 0 ||
        tls_acme_key_kind(k) != TLS_ACME_KEY_ECDSA || tls_acme_jwk_thumbprint(k, tp) < 0) {
        log_event(LOG_LEVEL_WARN, "acme_peer_account_refused", "reason", k ? "not a P-256 key" : err,
                  LOG_END);
        tls_acme_key_free(k);
        return;
    }
    if (strcmp(tp, ctx->acct.thumbprint) == 0 && strcmp(m->kid, ctx->acct.kid) == 0) {
        tls_acme_key_free(k);
        return; /* the same already */
    }
    if (acme_state_write(ctx->dfd, "account.key", m->key, m->key_len) < 0)
        log_event(LOG_LEVEL_ERROR, "acme_state_write_failed", "file", "account.key", LOG_END);
    tls_acme_key_free(ctx->acct.key);
    ctx->acct.key = k;
    memcpy(ctx->acct.thumbprint, tp, sizeof tp);
    snprintf(ctx->acct.kid, sizeof ctx->acct.kid, "%s", m->kid);
    acme_certs_save_account(ctx);
    log_event(LOG_LEVEL_INFO, "acme_peer_account_taken", "account", m->kid[0] ? m->kid : "(not yet named)",
              LOG_END);
}

static void peer_on_order(struct acme_ctx *ctx, const struct acme_order_msg *m)
{
    const char *why = NULL;
    struct acme_cert_state *c = NULL;
    if (acme_msg_order_check(m, &why) < 0 || !(c = peer_cert(ctx, m->index, m->name)))
        return;
    if (!m->url[0]) {
        c->peer_url[0] = '\0';
        explicit_bzero(c->peer_key, sizeof c->peer_key);
        return;
    }
    if (!acme_same_origin(ctx->cfg->tls.acme.directory, m->url))
        return;
    if (strcmp(c->peer_url, m->url) != 0)
        log_event(LOG_LEVEL_INFO, "acme_peer_order", "name", c->name, "url", m->url, LOG_END);
    snprintf(c->peer_url, sizeof c->peer_url, "%s", m->url);
    memcpy(c->peer_key, m->key, m->key_len);
    c->peer_key[m->key_len] = '\0';
    c->peer_key_len = m->key_len;
}

static void peer_on_cert(struct acme_ctx *ctx, const struct acme_cert_msg *m)
{
    const char *why = NULL;
    struct acme_cert_state *c = NULL;
    if (acme_msg_cert_check(m, &why) == 0 && (c = peer_cert(ctx, m->index, m->name)))
        acme_certs_took_peer(ctx, c, m);
}

bool acme_peer_on_message(struct acme_ctx *ctx, const struct ipc_msg *msg)
{
    static union {
        struct acme_role_msg role;
        struct acme_account_msg account;
        struct acme_order_msg order;
        struct acme_cert_msg cert;
    } u;
    bool was = ctx->lead;
    memcpy(&u, msg->payload, msg->len < sizeof u ? msg->len : sizeof u);
    switch (msg->type) {
    case IPC_ACME_ROLE:
        ctx->lead = u.role.lead == 1;
        if (ctx->lead != was)
            log_event(LOG_LEVEL_INFO, "acme_role", "role", ctx->lead ? "lead" : "follow", LOG_END);
        break;
    case IPC_ACME_ACCOUNT: peer_on_account(ctx, &u.account); break;
    case IPC_ACME_ORDER: peer_on_order(ctx, &u.order); break;
    case IPC_ACME_CERT: peer_on_cert(ctx, &u.cert); break;
    default: break;
    }
    explicit_bzero(&u, sizeof u);
    return ctx->lead != was;
}
