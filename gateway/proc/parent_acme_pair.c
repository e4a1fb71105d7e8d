/*
 * parent_acme_pair: [tls] acme on a pair of gateways (issue 16).
 *
 * Who orders: the VRRP master of [tls] acme_instance (default the first
 * instance); without VRRP the node always does. The ACME process hears its
 * role (ACME_ROLE) whenever it changes and orders only while it leads. A
 * starting node leads no earlier than the peer's SYNC_DONE or [peer]
 * key_wait, so an order the peer has under way is known before this node
 * could start one of its own. Split brain (the channel down) leaves each
 * node to its VRRP state: the master is the node the ACME server reaches.
 *
 * What crosses the channel (blobs of PEER_MSG_CHUNK, peer_blob.h), each
 * the struct of acme_msg.h, its exact size and every field checked here
 * before use, as hostile as any frame (refusals counted:
 * rampart_peer_dropped_total{reason="acme"}):
 *
 *   ACME_ACCOUNT  this node's ACME account (key, URL); flag LEADER when
 *                 this node leads: a follower's ACME process takes the
 *                 leader's, so either can go on with the other's orders
 *   ACME_ORDER    per certificate, the order under way (URL, the new key)
 *                 and the answers published for it, sent again whenever
 *                 they change; url "" when it ended. The receiver's relays
 *                 serve those answers too (HTTP-01 works through either
 *                 node) until the peer withdraws them or the session
 *                 ends; its ACME process keeps the order to take over
 *   ACME_CERT     an issued chain and key: installed with the checks of
 *                 this node's own (parent_acme_install) when it is newer
 *                 than what serves, then the reload, and handed to the
 *                 ACME process (its state directory has it: no order)
 *   ACME_SERVED   the receiver's ACME_ORDER back, once its relays serve
 *                 those answers: the sender's publish waits for it (at
 *                 most PARENT_ACME_PEER_WAIT_MS) before the ACME server is
 *                 told to look, since the server may reach either node
 *
 * At every session start each side sends all it holds (before SYNC_DONE).
 *
 * One thread (the parent's loop).
 */
#include "gateway/proc/parent_internal.h"

#include "tls/tls_acme.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static struct parent_acme_pair *pair_of(struct parent *p)
{
    return &p->acme_pair;
}

static bool pair_wanted(const struct parent *p)
{
    return p->cfg->tls.acme.enabled && p->cfg->peer.enabled;
}

static unsigned pair_flags(const struct parent *p)
{
    return p->acme_pair.lead ? PEER_CHUNK_LEADER : 0;
}

/* ---- to the peer --------------------------------------------------------------------------------- */

static void pair_send_account(struct parent *p)
{
    struct parent_acme_pair *pr = pair_of(p);
    if (pr->have_account)
        parent_peer_send_blob(&p->peer, PEER_BLOB_ACME_ACCOUNT, 0, pair_flags(p), &pr->account,
                              sizeof pr->account);
}

/* Order i with this node's answers for its name. */
static void pair_send_order(struct parent *p, unsigned i)
{
    static struct acme_order_msg m;
    m = pair_of(p)->orders[i];
    const struct acme_token_set *t = &p->acme.tokens;
    for (uint32_t k = 0; m.url[0] && k < t->n && m.n_tokens < ACME_AUTHZ_MAX; k++) {
        if (strcasecmp(t->t[k].identifier, m.name) != 0)
            continue;
        m.tokens[m.n_tokens] = t->t[k];
        m.tokens[m.n_tokens].op = 0;
        m.tokens[m.n_tokens++].seq = 0;
    }
    parent_peer_send_blob(&p->peer, PEER_BLOB_ACME_ORDER, i, pair_flags(p), &m, sizeof m);
    explicit_bzero(m.key, sizeof m.key);
}

static void pair_send_cert(struct parent *p, unsigned i)
{
    struct parent_acme_pair *pr = pair_of(p);
    if (pr->cert_not_after[i])
        parent_peer_send_blob(&p->peer, PEER_BLOB_ACME_CERT, i, pair_flags(p), &pr->certs[i],
                              sizeof pr->certs[i]);
}

/* PEER_EV_UP: everything held. */
static void pair_on_sync(void *arg)
{
    struct parent *p = arg;
    if (!pair_wanted(p))
        return;
    p->acme.peer_serving = true;
    pair_send_account(p);
    for (unsigned i = 0; i < ACME_CERTS_MAX; i++) {
        if (pair_of(p)->orders[i].url[0])
            pair_send_order(p, i);
        pair_send_cert(p, i);
    }
}

/* The peer's answers die with its session. */
static void pair_on_down(void *arg)
{
    struct parent *p = arg;
    p->acme.peer_serving = false;
    parent_acme_peer_served(&p->acme, NULL); /* a publish waits for it no more */
    memset(pair_of(p)->served_due, 0, sizeof pair_of(p)->served_due);
    if (p->acme.peer_tokens.n)
        parent_acme_peer_tokens(&p->acme, NULL, NULL, 0);
}

/* Our relays serve token set `generation`: the peer hears which of its
 * answers are in it. */
static void pair_on_served(void *arg, uint32_t generation)
{
    struct parent *p = arg;
    struct parent_acme_pair *pr = pair_of(p);
    for (unsigned i = 0; i < ACME_CERTS_MAX; i++) {
        if (!pr->served_due[i] || generation < pr->served_gen[i])
            continue;
        pr->served_due[i] = false;
        if (pr->peer_orders[i].url[0] && pr->peer_orders[i].n_tokens)
            parent_peer_send_blob(&p->peer, PEER_BLOB_ACME_SERVED, i, 0, &pr->peer_orders[i],
                                  sizeof pr->peer_orders[i]);
    }
}

static bool pair_ours(const struct parent *p, uint32_t index, const char *name);

/* ---- from this node's ACME process --------------------------------------------------------------- */

static void pair_local_cert(struct parent *p, const struct acme_cert_msg *m)
{
    struct parent_acme_pair *pr = pair_of(p);
    struct tls_acme_cert_info info;
    char err[128];
    if (m->index >= ACME_CERTS_MAX || tls_acme_cert_info(m->chain, m->chain_len, &info, err, sizeof err) < 0)
        return;
    pr->certs[m->index] = *m;
    pr->cert_not_after[m->index] = info.not_after_s;
    pair_send_cert(p, m->index);
}

/* A change of this node's answers: the order they belong to goes again. */
static void pair_local_token(struct parent *p, const struct acme_token *t)
{
    for (unsigned i = 0; i < ACME_CERTS_MAX; i++)
        if (pair_of(p)->orders[i].url[0] && strcasecmp(pair_of(p)->orders[i].name, t->identifier) == 0)
            pair_send_order(p, i);
}

/* A new ACME process: what the peer shared first, then its role (it
 * orders only once it has both). */
static void pair_local_started(struct parent *p)
{
    struct parent_acme_pair *pr = pair_of(p);
    for (unsigned i = 0; i < ACME_CERTS_MAX; i++) { /* a reload may have changed the certificates */
        if (pr->cert_not_after[i] && !pair_ours(p, i, pr->certs[i].name))
            pr->cert_not_after[i] = 0;
        if (pr->orders[i].url[0] && !pair_ours(p, i, pr->orders[i].name))
            pr->orders[i].url[0] = '\0';
        if (pr->peer_orders[i].url[0] && !pair_ours(p, i, pr->peer_orders[i].name))
            pr->peer_orders[i].url[0] = '\0';
        if (pr->cert_not_after[i]) /* the peer's too: its state directory keeps them */
            parent_acme_send(&p->acme, IPC_ACME_CERT, &pr->certs[i], sizeof pr->certs[i]);
    }
    if (pr->have_peer_account)
        parent_acme_send(&p->acme, IPC_ACME_ACCOUNT, &pr->peer_account, sizeof pr->peer_account);
    for (unsigned i = 0; i < ACME_CERTS_MAX; i++)
        if (pr->peer_orders[i].url[0])
            parent_acme_send(&p->acme, IPC_ACME_ORDER, &pr->peer_orders[i], sizeof pr->peer_orders[i]);
    pr->role_sent = false;
    parent_acme_pair_tick(p);
}

static void pair_on_local(void *arg, enum ipc_type type, const void *msg)
{
    struct parent *p = arg;
    struct parent_acme_pair *pr = pair_of(p);
    switch (type) {
    case IPC_CONFIG: pair_local_started(p); return;
    case IPC_ACME_CERT: pair_local_cert(p, msg); return;
    case IPC_ACME_TOKEN: pair_local_token(p, msg); return;
    case IPC_ACME_ACCOUNT:
        pr->account = *(const struct acme_account_msg *)msg;
        pr->have_account = true;
        pair_send_account(p);
        return;
    case IPC_ACME_ORDER: {
        const struct acme_order_msg *m = msg; /* checked: index of [tls] */
        pr->orders[m->index] = *m;
        pair_send_order(p, m->index);
        return;
    }
    default: return;
    }
}

/* ---- from the peer ------------------------------------------------------------------------------- */

static const char *pair_peer_account(struct parent *p, const struct acme_account_msg *m, unsigned flags)
{
    struct parent_acme_pair *pr = pair_of(p);
    const char *why = NULL;
    if (acme_msg_account_check(m, &why) < 0)
        return why;
    if (strcmp(m->directory, p->cfg->tls.acme.directory) != 0)
        return "an account of another ACME server";
    if (!(flags & PEER_CHUNK_LEADER))
        return NULL; /* a follower's: the leader's wins */
    pr->peer_account = *m;
    pr->have_peer_account = true;
    parent_acme_send(&p->acme, IPC_ACME_ACCOUNT, m, sizeof *m);
    return NULL;
}

/* m->index names certificate index of [tls] by its name. */
static bool pair_ours(const struct parent *p, uint32_t index, const char *name)
{
    const struct tls_config *t = &p->cfg->tls.server;
    return index < t->n_certs && strcasecmp(t->certs[index].server_name, name) == 0;
}

/* The peer's answers this node's relays serve from now on (a token is no
 * secret: the ACME server fetches it in the clear). */
static void pair_log_new_tokens(const struct acme_order_msg *old, const struct acme_order_msg *m)
{
    for (uint32_t i = 0; i < m->n_tokens; i++) {
        bool known = false;
        for (uint32_t k = 0; k < old->n_tokens && k < ACME_AUTHZ_MAX && !known; k++)
            known = strcmp(old->tokens[k].token, m->tokens[i].token) == 0;
        if (!known)
            log_event(LOG_LEVEL_INFO, "acme_peer_challenge", "name", m->name, "type",
                      acme_challenge_type_name((enum acme_challenge_type)m->tokens[i].type), "token",
                      m->tokens[i].token, LOG_END);
    }
}

/* An ACME_ORDER or ACME_SERVED: well formed, for a certificate of [tls]. */
static const char *pair_order_check(const struct parent *p, const struct acme_order_msg *m)
{
    const char *why = NULL;
    if (acme_msg_order_check(m, &why) < 0)
        return why;
    return pair_ours(p, m->index, m->name) ? NULL : "not a certificate of [tls]";
}

static const char *pair_peer_order(struct parent *p, const struct acme_order_msg *m)
{
    const char *why = pair_order_check(p, m);
    if (why)
        return why;
    if (m->url[0] && !acme_same_origin(p->cfg->tls.acme.directory, m->url))
        return "an order of another ACME server";
    struct parent_acme_pair *pr = pair_of(p);
    if (m->url[0] && strcmp(pr->peer_orders[m->index].url, m->url) != 0) {
        pr->orders_taken++;
        log_event(LOG_LEVEL_INFO, "acme_peer_order", "name", m->name, "url", m->url, LOG_END);
    }
    pair_log_new_tokens(&pr->peer_orders[m->index], m);
    pr->peer_orders[m->index] = *m;
    parent_acme_peer_tokens(&p->acme, m->name, m->tokens, m->n_tokens);
    pr->served_gen[m->index] = parent_acme_generation(&p->acme);
    pr->served_due[m->index] = m->n_tokens > 0;
    parent_acme_send(&p->acme, IPC_ACME_ORDER, m, sizeof *m);
    return NULL;
}

/* The peer's relays serve these answers of ours. */
static const char *pair_peer_served(struct parent *p, const struct acme_order_msg *m)
{
    const char *why = pair_order_check(p, m);
    if (why)
        return why;
    for (uint32_t i = 0; i < m->n_tokens; i++)
        parent_acme_peer_served(&p->acme, m->tokens[i].token);
    return NULL;
}

static const char *pair_peer_cert(struct parent *p, const struct acme_cert_msg *m)
{
    struct parent_acme_pair *pr = pair_of(p);
    const char *why = NULL;
    char err[256];
    struct tls_acme_cert_info info;
    if (acme_msg_cert_check(m, &why) < 0)
        return why;
    if (!pair_ours(p, m->index, m->name))
        return "not a certificate of [tls]";
    if (tls_acme_cert_info(m->chain, m->chain_len, &info, err, sizeof err) < 0)
        return "the chain does not parse";
    if (pr->cert_not_after[m->index] && info.not_after_s <= pr->cert_not_after[m->index])
        return NULL; /* what serves here is as new */
    int rc = parent_acme_install(p->cfg, m, &why, err, sizeof err);
    if (rc < 0)
        return why;
    pr->certs[m->index] = *m;
    pr->cert_not_after[m->index] = info.not_after_s;
    pr->certs_taken++;
    pr->peer_orders[m->index].url[0] = '\0'; /* its order ended with it */
    parent_acme_peer_tokens(&p->acme, m->name, NULL, 0);
    parent_acme_send(&p->acme, IPC_ACME_CERT, m, sizeof *m);
    if (rc > 0) {
        p->acme.installed_total++;
        log_event(LOG_LEVEL_INFO, "acme_certificate_installed", "name", m->name, "from", "peer", "effect",
                  "reloading: the new relay serves it, the old one drains", LOG_END);
        p->acme.installed(p->acme.arg);
    }
    return NULL;
}

static void pair_on_blob(void *arg, const struct peer_blob_rx *b)
{
    struct parent *p = arg;
    static union {
        struct acme_account_msg account;
        struct acme_order_msg order;
        struct acme_cert_msg cert;
    } u;
    static const size_t sizes[PEER_BLOB_KIND_END] = {
        [PEER_BLOB_ACME_ACCOUNT] = sizeof(struct acme_account_msg),
        [PEER_BLOB_ACME_ORDER] = sizeof(struct acme_order_msg),
        [PEER_BLOB_ACME_CERT] = sizeof(struct acme_cert_msg),
        [PEER_BLOB_ACME_SERVED] = sizeof(struct acme_order_msg),
    };
    const char *why = NULL;
    if (!pair_wanted(p))
        why = "[tls] acme is off here";
    else if (b->kind >= PEER_BLOB_KIND_END || b->total != sizes[b->kind])
        why = "the size is not its kind's";
    else {
        memcpy(&u, b->buf, b->total);
        why = b->kind == PEER_BLOB_ACME_ACCOUNT  ? pair_peer_account(p, &u.account, b->flags)
              : b->kind == PEER_BLOB_ACME_ORDER  ? pair_peer_order(p, &u.order)
              : b->kind == PEER_BLOB_ACME_SERVED ? pair_peer_served(p, &u.order)
                                                 : pair_peer_cert(p, &u.cert);
        explicit_bzero(&u, sizeof u);
    }
    if (!why)
        return;
    parent_peer_blob_refused(&p->peer);
    static const char *const kinds[PEER_BLOB_KIND_END] = {
        [PEER_BLOB_ACME_ACCOUNT] = "account",
        [PEER_BLOB_ACME_ORDER] = "order",
        [PEER_BLOB_ACME_CERT] = "certificate",
        [PEER_BLOB_ACME_SERVED] = "served",
    };
    log_event(LOG_LEVEL_WARN, "acme_peer_refused", "kind",
              b->kind < PEER_BLOB_KIND_END && kinds[b->kind] ? kinds[b->kind] : "?", "reason", why, LOG_END);
}

/* ---- the role ------------------------------------------------------------------------------------ */

/* The master of [tls] acme_instance (the first instance by default). */
static bool pair_vrrp_master(const struct parent *p)
{
    unsigned n = vrrp_set_count(p->vrrp);
    if (n == 0)
        return true;
    const char *want = p->cfg->tls.acme.instance;
    for (unsigned i = 0; i < n; i++) {
        const struct vrrp_node *node = vrrp_set_node(p->vrrp, i);
        const char *name = vrrp_node_name(node)[0] ? vrrp_node_name(node) : "vrrp";
        if (!want[0] || strcmp(name, want) == 0)
            return vrrp_node_state(node) == VRRP_STATE_MASTER;
    }
    return false;
}

void parent_acme_pair_tick(struct parent *p)
{
    struct parent_acme_pair *pr = pair_of(p);
    if (!p->cfg->tls.acme.enabled || p->acme.pid <= 0)
        return;
    bool settled =
        !p->cfg->peer.enabled || parent_peer_synced(&p->peer) || loop_now_ms(p->loop) >= pr->lead_after_ms;
    bool lead = settled && pair_vrrp_master(p);
    if (lead == pr->lead && pr->role_sent)
        return;
    bool changed = lead != pr->lead;
    pr->lead = lead;
    pr->role_sent = true;
    struct acme_role_msg role = {.lead = lead};
    parent_acme_send(&p->acme, IPC_ACME_ROLE, &role, sizeof role);
    if (!changed)
        return;
    log_event(LOG_LEVEL_INFO, "acme_role_changed", "role", lead ? "lead" : "follow", "instance",
              p->cfg->tls.acme.instance[0] ? p->cfg->tls.acme.instance : "(the first)", LOG_END);
    if (lead && pair_wanted(p))
        pair_send_account(p); /* now the leader's */
}

void parent_acme_pair_init(struct parent *p)
{
    pair_of(p)->lead_after_ms = loop_now_ms(p->loop) + p->cfg->peer.key_wait_ms;
    p->acme.pair = pair_on_local;
    p->acme.served = pair_on_served;
    p->peer.acme_sync = pair_on_sync;
    p->peer.acme_down = pair_on_down;
    p->peer.acme_blob = pair_on_blob;
}
