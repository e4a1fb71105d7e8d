/*
 * acme_certs: the ACME process's account and certificates: what the
 * state directory holds, when each is due, one order. See acme_main.h.
 */
#include "gateway/proc/acme_main.h"

#include "common/b64url.h"
#include "common/log.h"
#include "gateway/acme/acme_sched.h"
#include "gateway/acme/acme_state.h"

#include <errno.h>
#include <sys/random.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t certs_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the account ---------------------------------------------------------------------------------- */

static int certs_account_key(struct acme_ctx *ctx, char *err, size_t err_len)
{
    char pem[TLS_ACME_KEY_PEM_MAX];
    long n = acme_state_read(ctx->dfd, "account.key", pem, sizeof pem);
    if (n > 0)
        return tls_acme_key_parse(pem, (size_t)n, &ctx->acct.key, err, err_len);
    if (errno != ENOENT)
        return snprintf(err, err_len, "account.key: %s", strerror(errno)), -1;
    if (tls_acme_key_generate(TLS_ACME_KEY_ECDSA, &ctx->acct.key, err, err_len) < 0)
        return -1;
    size_t len = tls_acme_key_pem(ctx->acct.key, pem, sizeof pem);
    int rc = len ? acme_state_write(ctx->dfd, "account.key", pem, len) : -1;
    explicit_bzero(pem, sizeof pem);
    if (rc < 0)
        return snprintf(err, err_len, "writing account.key: %s", strerror(errno)), -1;
    log_event(LOG_LEVEL_INFO, "acme_account_key_made", LOG_END);
    return 0;
}

/* account.url: "DIRECTORY KID"; a kid of another server is not used. */
static void certs_account_url(struct acme_ctx *ctx)
{
    char text[2 * ACME_URL_MAX + 4], dir[ACME_URL_MAX], kid[ACME_URL_MAX];
    ctx->acct.kid[0] = '\0';
    if (acme_state_read(ctx->dfd, "account.url", text, sizeof text) <= 0)
        return;
    if (sscanf(text, "%511s %511s", dir, kid) == 2 && strcmp(dir, ctx->cfg->tls.acme.directory) == 0 &&
        acme_same_origin(dir, kid))
        snprintf(ctx->acct.kid, sizeof ctx->acct.kid, "%s", kid);
}

int acme_certs_account(struct acme_ctx *ctx, char *err, size_t err_len)
{
    if (certs_account_key(ctx, err, err_len) < 0 ||
        tls_acme_jwk_thumbprint(ctx->acct.key, ctx->acct.thumbprint) < 0)
        return -1;
    certs_account_url(ctx);
    ctx->share_account(ctx);
    return 0;
}

void acme_certs_save_account(struct acme_ctx *ctx)
{
    char text[2 * ACME_URL_MAX + 4];
    int n = snprintf(text, sizeof text, "%s %s\n", ctx->cfg->tls.acme.directory, ctx->acct.kid);
    if (n > 0 && (size_t)n < sizeof text && acme_state_write(ctx->dfd, "account.url", text, (size_t)n) < 0)
        log_event(LOG_LEVEL_ERROR, "acme_state_write_failed", "file", "account.url", "error", strerror(errno),
                  LOG_END);
    ctx->share_account(ctx);
}

/* ---- a certificate's state ------------------------------------------------------------------------- */

static void certs_save_sched(struct acme_ctx *ctx, const struct acme_cert_state *c)
{
    char file[ACME_STATE_NAME_MAX], text[96];
    int n = snprintf(text, sizeof text, "%u %" PRId64 " %" PRIu64 "\n", c->failures, c->last_failure_s,
                     c->orders);
    if (acme_state_file(c->name, ".sched", file, sizeof file) == 0 &&
        acme_state_write(ctx->dfd, file, text, (size_t)n) < 0)
        log_event(LOG_LEVEL_ERROR, "acme_state_write_failed", "file", file, "error", strerror(errno),
                  LOG_END);
}

static void certs_schedule(struct acme_cert_state *c, int64_t now_s)
{
    struct acme_sched_in in = {.have_cert = c->have,
                               .not_before_s = c->not_before_s,
                               .not_after_s = c->not_after_s,
                               .have_window = c->have_window,
                               .window = c->window,
                               .frac = c->frac,
                               .failures = c->failures,
                               .last_failure_s = c->last_failure_s,
                               .now_s = now_s};
    c->next_s = acme_sched_next(&in);
}

/* c now has the certificate info describes: its ARI id, asked at once. */
static void certs_took(struct acme_cert_state *c, const struct tls_acme_cert_info *info)
{
    c->have = true;
    c->not_before_s = info->not_before_s;
    c->not_after_s = info->not_after_s;
    c->have_window = false;
    if (acme_ari_cert_id(info, c->ari_id) < 0)
        c->ari_id[0] = '\0';
    c->ari_next_s = c->ari_id[0] ? (int64_t)time(NULL) : 0;
}

/* The saved chain and key of c, checked as the parent will check them;
 * into m for the parent. */
static bool certs_load_one(struct acme_ctx *ctx, struct acme_cert_state *c, struct acme_cert_msg *m)
{
    char file[ACME_STATE_NAME_MAX], err[256];
    long cl = -1, kl = -1;
    if (acme_state_file(c->name, ".crt", file, sizeof file) == 0)
        cl = acme_state_read(ctx->dfd, file, m->chain, sizeof m->chain);
    if (acme_state_file(c->name, ".key", file, sizeof file) == 0)
        kl = acme_state_read(ctx->dfd, file, m->key, sizeof m->key);
    if (cl <= 0 || kl <= 0)
        return false;
    struct tls_acme_cert_info info;
    const char *names[] = {c->name};
    enum tls_acme_key_type type = (enum tls_acme_key_type)ctx->cfg->tls.acme.key_type;
    if (tls_acme_cert_check(m->chain, (size_t)cl, m->key, (size_t)kl, type, names, 1, NULL,
                            (int64_t)time(NULL), &info, err, sizeof err) < 0) {
        log_event(LOG_LEVEL_WARN, "acme_saved_certificate_unusable", "name", c->name, "reason", err, LOG_END);
        return false;
    }
    certs_took(c, &info);
    m->index = c->index;
    m->key_type = (uint32_t)type;
    m->chain_len = (uint32_t)cl;
    m->key_len = (uint32_t)kl;
    snprintf(m->name, sizeof m->name, "%s", c->name);
    return true;
}

void acme_certs_load(struct acme_ctx *ctx)
{
    static struct acme_cert_msg m;
    const struct tls_config *t = &ctx->cfg->tls.server;
    ctx->n_certs = t->n_certs < ACME_CERTS_MAX ? t->n_certs : ACME_CERTS_MAX;
    for (unsigned i = 0; i < ctx->n_certs; i++) {
        struct acme_cert_state *c = &ctx->certs[i];
        char file[ACME_STATE_NAME_MAX], text[96];
        *c = (struct acme_cert_state){.index = i, .name = t->certs[i].server_name};
        uint32_t r = 0;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
            r = (uint32_t)i * 2654435761u; /* spread anyway */
        c->frac = (double)r / 4294967296.0;
        if (acme_state_file(c->name, ".sched", file, sizeof file) == 0 &&
            acme_state_read(ctx->dfd, file, text, sizeof text) > 0 &&
            sscanf(text, "%u %" SCNd64 " %" SCNu64, &c->failures, &c->last_failure_s, &c->orders) != 3)
            c->failures = 0, c->last_failure_s = 0, c->orders = 0;
        memset(&m, 0, sizeof m);
        if (certs_load_one(ctx, c, &m))
            ctx->send_cert(ctx, &m);
        explicit_bzero(m.key, sizeof m.key);
        certs_schedule(c, (int64_t)time(NULL));
    }
}

unsigned acme_certs_next(const struct acme_ctx *ctx, int64_t *at_s, bool *ari)
{
    unsigned best = 0;
    *at_s = INT64_MAX;
    *ari = false;
    for (unsigned i = 0; i < ctx->n_certs; i++) {
        const struct acme_cert_state *c = &ctx->certs[i];
        if (c->next_s < *at_s)
            best = i, *at_s = c->next_s, *ari = false;
        if (c->have && c->ari_next_s > 0 && c->ari_next_s < *at_s)
            best = i, *at_s = c->ari_next_s, *ari = true;
    }
    return best;
}

void acme_certs_ari(struct acme_ctx *ctx, struct acme_cert_state *c)
{
    char why[256], start[24], end[24];
    struct acme_renewal_info w;
    int64_t recheck = ACME_ARI_RETRY_MAX_S, now = (int64_t)time(NULL);
    int rc =
        acme_ari_fetch(ctx->http, ctx->cfg->tls.acme.directory, c->ari_id, &w, &recheck, why, sizeof why);
    if (rc < 0) {
        log_event(LOG_LEVEL_WARN, "acme_renewal_info_failed", "name", c->name, "reason", why, LOG_END);
        recheck = ACME_ARI_RETRY_MIN_S;
    } else if (rc > 0) {
        bool changed = !c->have_window || w.start_s != c->window.start_s || w.end_s != c->window.end_s;
        c->have_window = true;
        c->window = w;
        snprintf(start, sizeof start, "%" PRId64, w.start_s);
        snprintf(end, sizeof end, "%" PRId64, w.end_s);
        if (changed)
            log_event(LOG_LEVEL_INFO, "acme_renewal_window", "name", c->name, "start", start, "end", end,
                      LOG_END);
    }
    c->ari_next_s = now + recheck; /* no renewalInfo at all: asked again daily */
    certs_schedule(c, now);
}

/* ---- one order -------------------------------------------------------------------------------------- */

/* A new key (or the peer's, pem: an order taken over) and its CSR
 * (base64url) for c. */
static struct tls_acme_key *certs_key_and_csr(const struct acme_ctx *ctx, const struct acme_cert_state *c,
                                              const char *pem, size_t pem_len, char *csr64, size_t cap,
                                              char *err, size_t err_len)
{
    struct tls_acme_key *k = NULL;
    uint8_t der[TLS_ACME_CSR_MAX];
    size_t len = 0;
    const char *names[] = {c->name};
    enum tls_acme_key_type type = (enum tls_acme_key_type)ctx->cfg->tls.acme.key_type;
    if (pem ? tls_acme_key_parse(pem, pem_len, &k, err, err_len) < 0
            : tls_acme_key_generate(type, &k, err, err_len) < 0)
        return NULL;
    if (tls_acme_key_kind(k) != type) {
        snprintf(err, err_len, "the peer's key is not of acme_key_type");
        tls_acme_key_free(k);
        return NULL;
    }
    if (tls_acme_csr(k, names, 1, der, sizeof der, &len, err, err_len) < 0 ||
        !b64url_encode(der, len, csr64, cap)) {
        tls_acme_key_free(k);
        return NULL;
    }
    return k;
}

static void certs_failed(struct acme_cert_state *c, enum acme_fail why, const char *detail,
                         unsigned bad_nonces)
{
    char n[16], b[16];
    snprintf(b, sizeof b, "%u", bad_nonces);
    c->failures++;
    c->last_failure_s = (int64_t)time(NULL);
    c->fails[why < ACME_FAIL_COUNT ? why : ACME_FAIL_INTERNAL]++;
    snprintf(n, sizeof n, "%u", c->failures);
    log_event(LOG_LEVEL_ERROR, "acme_order_failed", "name", c->name, "reason", acme_fail_name(why), "detail",
              detail, "failures_in_a_row", n, "bad_nonces_retried", b, LOG_END);
}

/* The chain issued for c with key k: checked, saved, handed over. */
static void certs_issued(struct acme_ctx *ctx, struct acme_cert_state *c, const struct acme_order *o,
                         const struct tls_acme_key *k)
{
    static struct acme_cert_msg m;
    char err[256], file[ACME_STATE_NAME_MAX];
    size_t cl;
    const char *chain = acme_order_chain(o, &cl);
    memset(&m, 0, sizeof m);
    size_t kl = tls_acme_key_pem(k, m.key, sizeof m.key);
    const char *names[] = {c->name};
    enum tls_acme_key_type type = (enum tls_acme_key_type)ctx->cfg->tls.acme.key_type;
    struct tls_acme_cert_info info;
    if (!chain || kl == 0 || cl >= sizeof m.chain ||
        tls_acme_cert_check(chain, cl, m.key, kl, type, names, 1, NULL, (int64_t)time(NULL), &info, err,
                            sizeof err) < 0) {
        certs_failed(c, ACME_FAIL_REFUSED, kl ? err : "the key does not fit", o->bad_nonces_total);
        return;
    }
    m.index = c->index;
    m.key_type = (uint32_t)type;
    m.chain_len = (uint32_t)cl;
    m.key_len = (uint32_t)kl;
    memcpy(m.chain, chain, cl);
    snprintf(m.name, sizeof m.name, "%s", c->name);
    if (acme_state_file(c->name, ".key", file, sizeof file) < 0 ||
        acme_state_write(ctx->dfd, file, m.key, kl) < 0 ||
        acme_state_file(c->name, ".crt", file, sizeof file) < 0 ||
        acme_state_write(ctx->dfd, file, chain, cl) < 0)
        log_event(LOG_LEVEL_ERROR, "acme_state_write_failed", "file", file, "error", strerror(errno),
                  LOG_END);
    ctx->send_cert(ctx, &m);
    explicit_bzero(m.key, sizeof m.key);
    certs_took(c, &info);
    c->failures = 0;
    c->orders++;
    char until[32], b[16];
    snprintf(until, sizeof until, "%" PRId64, info.not_after_s);
    snprintf(b, sizeof b, "%u", o->bad_nonces_total);
    log_event(LOG_LEVEL_INFO, "acme_certificate_issued", "name", c->name, "not_after", until,
              "bad_nonces_retried", b, LOG_END);
}

static void certs_params(const struct acme_ctx *ctx, const struct acme_cert_state *c,
                         const char *const *names, const char *csr64, const char *resume,
                         struct acme_order_params *p)
{
    *p = (struct acme_order_params){.directory = ctx->cfg->tls.acme.directory,
                                    .names = names,
                                    .n_names = 1,
                                    .csr_b64url = csr64,
                                    .thumbprint = ctx->acct.thumbprint,
                                    .kid = ctx->acct.kid,
                                    .contact = ctx->cfg->tls.acme.contact,
                                    /* RFC 9773 section 5: the certificate this one replaces */
                                    .replaces = c->have && c->have_window ? c->ari_id : "",
                                    .resume_url = resume,
                                    .prefer = {(enum acme_challenge_type)ctx->cfg->tls.acme.challenges[0],
                                               (enum acme_challenge_type)ctx->cfg->tls.acme.challenges[1]},
                                    .n_prefer = ctx->cfg->tls.acme.n_challenges,
                                    .now_ms = certs_mono_ms(),
                                    .timeout_ms = (int64_t)ctx->cfg->tls.acme.order_timeout_ms};
}

enum certs_outcome { CERTS_ISSUED, CERTS_FAILED, CERTS_HANDED_OVER };

/* One order of c with key k: new, or (resume) the peer's taken over. */
static enum certs_outcome certs_run(struct acme_ctx *ctx, struct acme_cert_state *c, struct tls_acme_key *k,
                                    const char *csr64, const char *resume)
{
    static struct acme_order o;
    const char *names[] = {c->name};
    char kid_before[ACME_URL_MAX];
    snprintf(kid_before, sizeof kid_before, "%s", ctx->acct.kid);
    struct acme_order_params p;
    certs_params(ctx, c, names, csr64, resume, &p);
    ctx->cur = c;
    ctx->cur_key_len = tls_acme_key_pem(k, ctx->cur_key, sizeof ctx->cur_key);
    ctx->cur_shared = false;
    if (acme_order_init(&o, &p) == 0)
        acme_client_run(ctx->http, &o, &ctx->acct, &ctx->hooks);
    ctx->cur = NULL;
    explicit_bzero(ctx->cur_key, sizeof ctx->cur_key);
    if (strcmp(kid_before, ctx->acct.kid) != 0)
        acme_certs_save_account(ctx);
    const char *detail = "";
    enum acme_fail f = acme_order_failure(&o, &detail);
    if (o.abandoned) {
        log_event(LOG_LEVEL_WARN, "acme_order_handed_over", "name", c->name, "url", acme_order_url(&o),
                  "reason", "this node no longer leads: the peer takes the order over", LOG_END);
        return CERTS_HANDED_OVER;
    }
    if (f == ACME_FAIL_COUNT)
        certs_issued(ctx, c, &o, k);
    if (f != ACME_FAIL_COUNT && resume) {
        log_event(LOG_LEVEL_WARN, "acme_order_resume_failed", "name", c->name, "url", resume, "reason",
                  acme_fail_name(f), "detail", detail, "effect", "a new order", LOG_END);
        return CERTS_FAILED;
    }
    if (f != ACME_FAIL_COUNT)
        certs_failed(c, f, detail, o.bad_nonces_total);
    ctx->order_ended(ctx, c);
    return f == ACME_FAIL_COUNT ? CERTS_ISSUED : CERTS_FAILED;
}

/* The peer's order of c, taken over: false when there is none or it
 * could not be (then a new one is made). */
static bool certs_resume(struct acme_ctx *ctx, struct acme_cert_state *c)
{
    char csr64[ACME_CSR_B64_MAX], err[256], url[ACME_URL_MAX];
    if (!c->peer_url[0])
        return false;
    snprintf(url, sizeof url, "%s", c->peer_url);
    struct tls_acme_key *k =
        certs_key_and_csr(ctx, c, c->peer_key, c->peer_key_len, csr64, sizeof csr64, err, sizeof err);
    c->peer_url[0] = '\0'; /* taken: tried once */
    explicit_bzero(c->peer_key, sizeof c->peer_key);
    if (!k) {
        log_event(LOG_LEVEL_WARN, "acme_order_resume_failed", "name", c->name, "url", url, "reason", err,
                  "effect", "a new order", LOG_END);
        return false;
    }
    log_event(LOG_LEVEL_INFO, "acme_order_resumed", "name", c->name, "url", url, "directory",
              ctx->cfg->tls.acme.directory, LOG_END);
    enum certs_outcome r = certs_run(ctx, c, k, csr64, url);
    tls_acme_key_free(k);
    return r != CERTS_FAILED;
}

void acme_certs_order(struct acme_ctx *ctx, struct acme_cert_state *c)
{
    char csr64[ACME_CSR_B64_MAX], err[256];
    if (certs_resume(ctx, c)) {
        certs_save_sched(ctx, c);
        certs_schedule(c, (int64_t)time(NULL));
        return;
    }
    log_event(LOG_LEVEL_INFO, "acme_order_started", "name", c->name, "directory",
              ctx->cfg->tls.acme.directory, LOG_END);
    struct tls_acme_key *k = certs_key_and_csr(ctx, c, NULL, 0, csr64, sizeof csr64, err, sizeof err);
    if (!k)
        certs_failed(c, ACME_FAIL_INTERNAL, err, 0);
    else
        certs_run(ctx, c, k, csr64, NULL); /* handed over: due as before, should this node lead again */
    tls_acme_key_free(k);
    certs_save_sched(ctx, c);
    certs_schedule(c, (int64_t)time(NULL));
}

void acme_certs_took_peer(struct acme_ctx *ctx, struct acme_cert_state *c, const struct acme_cert_msg *m)
{
    char err[256], file[ACME_STATE_NAME_MAX], until[32];
    const char *names[] = {c->name};
    struct tls_acme_cert_info info;
    if (tls_acme_cert_check(m->chain, m->chain_len, m->key, m->key_len,
                            (enum tls_acme_key_type)ctx->cfg->tls.acme.key_type, names, 1, NULL,
                            (int64_t)time(NULL), &info, err, sizeof err) < 0) {
        log_event(LOG_LEVEL_WARN, "acme_peer_certificate_refused", "name", c->name, "reason", err, LOG_END);
        return;
    }
    if (c->have && info.not_after_s <= c->not_after_s)
        return; /* this one is as new */
    if (acme_state_file(c->name, ".key", file, sizeof file) < 0 ||
        acme_state_write(ctx->dfd, file, m->key, m->key_len) < 0 ||
        acme_state_file(c->name, ".crt", file, sizeof file) < 0 ||
        acme_state_write(ctx->dfd, file, m->chain, m->chain_len) < 0)
        log_event(LOG_LEVEL_ERROR, "acme_state_write_failed", "file", file, "error", strerror(errno),
                  LOG_END);
    certs_took(c, &info);
    c->failures = 0;
    c->peer_url[0] = '\0'; /* the peer's order ended with it */
    certs_save_sched(ctx, c);
    certs_schedule(c, (int64_t)time(NULL));
    snprintf(until, sizeof until, "%" PRId64, info.not_after_s);
    ctx->status_dirty = true;
    log_event(LOG_LEVEL_INFO, "acme_peer_certificate_taken", "name", c->name, "not_after", until, LOG_END);
}

void acme_certs_status(const struct acme_ctx *ctx, struct acme_status_msg *out)
{
    memset(out, 0, sizeof *out);
    out->n = ctx->n_certs;
    for (unsigned i = 0; i < ctx->n_certs; i++) {
        const struct acme_cert_state *c = &ctx->certs[i];
        struct acme_cert_status *s = &out->c[i];
        snprintf(s->name, sizeof s->name, "%s", c->name);
        s->not_after_s = c->have ? c->not_after_s : 0;
        s->next_order_s = c->next_s;
        s->orders = c->orders;
        memcpy(s->failures, c->fails, sizeof s->failures);
    }
}
