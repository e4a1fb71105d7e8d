/*
 * acme_main: the ACME process (`rampart --acme`, exec'd by the parent:
 * gateway/proc/parent_acme.h). It alone talks to the ACME server, holds the
 * account key, makes each certificate's key pair and CSR, and hands what
 * is issued to the parent, which checks it, writes it where [tls] says and
 * reloads (the key holder of the reload reads the new key from there).
 *
 * Life: CONFIG from the parent on CHILD_IPC_FD; the CA that verifies the
 * ACME server read into memory, the state directory opened, one resolver
 * lookup of the server (so the resolver's modules are loaded), then its
 * uids switched to [tls] acme_user, Landlock and seccomp
 * (sandbox_acme_landlock, sandbox_acme_seccomp). Then, for ever: the
 * certificate whose next order is due is ordered (acme_certs.c), one at a
 * time; between orders it waits on its parent's socket, and exits when
 * that closes or says DRAIN.
 *
 * What it sends (gateway/acme/acme_msg.h): ACME_TOKEN to publish a
 * challenge answer, then waits for the parent's ACME_ACK (at most
 * ACME_PUBLISH_WAIT_MS) before it asks the server to validate; ACME_CERT
 * for each certificate issued, and at start for each one the state
 * directory holds that is still valid (the parent writes it only if its
 * file differs); ACME_STATUS after every change, for /metrics.
 *
 * On a pair (acme_peer.c): it orders only while the parent says it leads
 * (ACME_ROLE; it starts as a follower), looks at its role between two
 * steps of an order and gives the order up at the next step when it no
 * longer leads. Its account and each order under way (URL, the new key,
 * made before the CSR) go to the parent for the peer (ACME_ACCOUNT,
 * ACME_ORDER); the peer's come back the same way, with the peer's issued
 * certificates (ACME_CERT, installed by the parent already): a leader due
 * to order a certificate the peer has an order of takes that order over
 * (acme_order.h, resume_url) and orders anew only when that fails; a
 * follower takes the leader's account and keeps the peer's certificates
 * in its state directory, so it does not order them itself.
 *
 * One thread of its own (libcurl's resolver adds one per lookup).
 */
#ifndef RAMPART_GATEWAY_PROC_ACME_MAIN_H
#define RAMPART_GATEWAY_PROC_ACME_MAIN_H

#include "gateway/acme/acme_ari.h"
#include "gateway/acme/acme_client.h"
#include "gateway/acme/acme_msg.h"
#include "gateway/config/config.h"
#include "gateway/proc/ipc.h"

#define ACME_ARGV_FLAG       "--acme" /* hidden command-line mode of `rampart` */
#define ACME_CONFIG_WAIT_MS  5000     /* the parent sends the config right after exec */
#define ACME_PUBLISH_WAIT_MS 5000     /* the parent's ACME_ACK of a published answer */
#define ACME_IDLE_WAKE_MS    60000    /* between orders, the schedule is looked at this often */

/* One certificate of [tls] as the ACME process knows it. */
struct acme_cert_state {
    unsigned index; /* of its [tls] certificate line */
    const char *name;
    bool have; /* an issued certificate, still valid, in the state directory */
    int64_t not_before_s, not_after_s;
    unsigned failures; /* orders failed in a row */
    int64_t last_failure_s, next_s;
    uint64_t orders;
    uint64_t fails[ACME_FAIL_COUNT];
    /* ARI (RFC 9773), when the directory has renewalInfo */
    char ari_id[ACME_ARI_ID_MAX]; /* of the issued certificate; "" none */
    bool have_window;
    struct acme_renewal_info window;
    int64_t ari_next_s; /* when renewalInfo is asked next (0: never) */
    double frac;        /* where in the window this node renews, [0, 1) */
    /* the peer's order under way (acme_peer.c): taken over when this node leads */
    char peer_url[ACME_URL_MAX]; /* "" none */
    char peer_key[TLS_ACME_KEY_PEM_MAX];
    size_t peer_key_len;
};

/* What acme_certs.c works with; acme_main.c fills it. */
struct acme_ctx {
    const struct config *cfg;
    int dfd; /* the state directory */
    struct acme_http *http;
    struct acme_account acct;
    struct acme_client_hooks hooks;
    struct acme_cert_state certs[ACME_CERTS_MAX];
    unsigned n_certs;
    void (*send_cert)(struct acme_ctx *ctx, const struct acme_cert_msg *m);
    /* the pair (acme_peer.c, wired by acme_main.c): the account changed;
     * an order ended (issued, or failed other than by losing the lead) */
    void (*share_account)(const struct acme_ctx *ctx);
    void (*order_ended)(struct acme_ctx *ctx, const struct acme_cert_state *c);
    bool lead;         /* the parent's last ACME_ROLE (false until the first) */
    bool status_dirty; /* a certificate taken from the peer: ACME_STATUS is due */
    /* the order running now, for the step hook (acme_peer_share_order) */
    struct acme_cert_state *cur;
    char cur_key[TLS_ACME_KEY_PEM_MAX];
    size_t cur_key_len;
    bool cur_shared;
};

/* acme_certs.c: the account (made, or read from the state directory),
 * each certificate's saved state, and one order. 0 or -1 with err. */
int acme_certs_account(struct acme_ctx *ctx, char *err, size_t err_len);
void acme_certs_load(struct acme_ctx *ctx);
/* The certificate due first (its index in ctx->certs) and when; *ari
 * true when what is due is asking its renewalInfo, not an order. */
unsigned acme_certs_next(const struct acme_ctx *ctx, int64_t *at_s, bool *ari);
void acme_certs_order(struct acme_ctx *ctx, struct acme_cert_state *c);
void acme_certs_ari(struct acme_ctx *ctx, struct acme_cert_state *c);
void acme_certs_status(const struct acme_ctx *ctx, struct acme_status_msg *out);

/* acme_peer.c: the pair. */
/* The parent's message msg (ROLE, the peer's ACCOUNT, ORDER, CERT): true
 * when the role changed (a wait ends early: the order or the schedule is
 * looked at again). */
bool acme_peer_on_message(struct acme_ctx *ctx, const struct ipc_msg *msg);
void acme_peer_send_account(const struct acme_ctx *ctx);
/* The step hook: the running order's URL to the parent once known. */
void acme_peer_share_order(struct acme_ctx *ctx, const struct acme_order *o);
/* The running order ended (issued, or failed other than by losing the lead). */
void acme_peer_order_ended(struct acme_ctx *ctx, const struct acme_cert_state *c);
/* acme_certs.c, for acme_peer.c: a certificate taken from the peer. */
void acme_certs_took_peer(struct acme_ctx *ctx, struct acme_cert_state *c, const struct acme_cert_msg *m);
void acme_certs_save_account(struct acme_ctx *ctx);

/* Entry point of `rampart --acme`. */
int acme_main(void);

#endif /* RAMPART_GATEWAY_PROC_ACME_MAIN_H */
