/*
 * parent_acme: the parent's side of ACME ([tls] acme = yes).
 *
 *   - before the TLS check of a start or a reload (parent_acme_prepare):
 *     the state directory made (mode 0700, owned by [tls] acme_user), and
 *     a self-signed placeholder written for every certificate whose files
 *     do not exist yet, so HTTPS serves (with a warning in browsers) until
 *     the first certificate is issued (parent_acme_files.c);
 *   - the ACME process (acme_main.h) started as [tls] acme_user, started
 *     again after PARENT_ACME_RESPAWN_MS (doubling up to
 *     PARENT_ACME_RESPAWN_MAX_MS while it keeps dying), and started anew
 *     when a reload changes [tls] acme_*;
 *   - what it sends, never trusted: ACME_TOKEN checked (acme_msg), for a
 *     name of [tls] only, kept in the table every relay gets whole
 *     (IPC_ACME_TOKENS; `tokens_changed`), then acknowledged; ACME_CERT
 *     checked again (tls_acme_cert_check: the chain parses, the key is the
 *     leaf's and of the configured type, the leaf names the certificate's
 *     name, it is valid now), written over the certificate's files
 *     (rename: the old stays whole until then) when it differs from them,
 *     then `installed` (parent.c reloads: the new key holder and relay load
 *     it, the old relay drains: no connection dropped, the old certificate
 *     serves until the new relay is ready); ACME_STATUS kept for relays.
 *
 *   - on a pair (parent_acme_pair.c): what the ACME process shares for the
 *     peer (ACME_ACCOUNT, ACME_ORDER, and each ACME_CERT installed) goes to
 *     `pair`, checked; the peer's answers (parent_acme_peer_tokens) are
 *     served by the relays beside this node's own, in the one table they
 *     get, until the peer withdraws them or its session ends.
 *
 * One thread (the parent's loop).
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_ACME_H
#define RAMPART_GATEWAY_PROC_PARENT_ACME_H

#include "gateway/acme/acme_msg.h"
#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/proc/ipc.h"
#include "gateway/proc/sandbox.h"

#include <stdbool.h>
#include <sys/types.h>

#define PARENT_ACME_RESPAWN_MS     1000
#define PARENT_ACME_RESPAWN_MAX_MS (5 * 60 * 1000)
#define PARENT_ACME_PLACEHOLDER_S  (90LL * 86400) /* a placeholder's validity */
/* On a pair, a publish waits this long for the peer's relays to serve the
 * answer too (below the ACME process's ACME_PUBLISH_WAIT_MS): past it the
 * server is told to look anyway, and may reach only this node. */
#define PARENT_ACME_PEER_WAIT_MS 3000

struct parent_acme {
    struct loop *loop;
    const struct config *cfg; /* the parent's current one */
    struct sandbox_child user;
    char user_name[CONFIG_NAME_MAX]; /* the one resolved at start */
    bool root;                       /* the parent runs as root: children change user */
    pid_t pid;                       /* 0: not running */
    struct loop_io io;
    struct loop_timer respawn;
    uint64_t respawn_ms;
    struct acme_token_set tokens;      /* published now */
    struct acme_token_set peer_tokens; /* the peer's, published here too (its orders' answers) */
    /* the ACME process's publish waiting for the relay to serve it, and,
     * when a pair session is up, for the peer's relays too: the ACME
     * server may reach either node (parent_acme_peer_served) */
    bool ack_pending, ack_relay_done, ack_peer_wanted;
    uint32_t ack_seq, ack_generation;
    char ack_token[ACME_TOKEN_MAX];
    struct loop_timer ack_peer_wait; /* PARENT_ACME_PEER_WAIT_MS */
    bool peer_serving; /* a pair session is up: the peer publishes our answers (parent_acme_pair.c) */
    struct acme_status_msg status;
    bool have_status;
    uint64_t installed_total, refused_total;
    void (*tokens_changed)(void *arg); /* send tokens to the relays */
    void (*installed)(void *arg);      /* a certificate was written: reload */
    /* the ACME process shared msg (type ACME_ACCOUNT, ACME_ORDER: checked;
     * ACME_CERT: installed, or the same as the files), or (type
     * IPC_CONFIG, msg NULL) a new ACME process was started */
    void (*pair)(void *arg, enum ipc_type type, const void *msg);
    /* the serving relay has token set `generation` (the peer's answers in it too) */
    void (*served)(void *arg, uint32_t generation);
    void *arg;
};

/* The state directory and placeholders for cfg (files as root; the
 * directory chowned to the ACME user when root). 0 or -1 with err. */
int parent_acme_prepare(const struct config *cfg, bool root, char *err, size_t err_len);

/* `drop` false: not root, the ACME process keeps the parent's user. */
int parent_acme_init(struct parent_acme *pa, struct loop *loop, const struct config *cfg, bool drop,
                     char *err, size_t err_len);
/* With acme = yes: the ACME process runs (started, or left running). */
void parent_acme_start(struct parent_acme *pa);
/* The parent's config is now cfg: a change of [tls] acme_* or the
 * certificates restarts the ACME process. */
void parent_acme_reload(struct parent_acme *pa, const struct config *cfg);
/* pid was the ACME process: true (another is scheduled). */
bool parent_acme_reaped(struct parent_acme *pa, pid_t pid, const char *how);
/* fd is the parent's end of an ACME process's channel (parent_acme_start
 * spawns the process; tests/unit/test_parent_acme.c hands in a socketpair
 * and plays the process): the config goes out, what comes is handled. */
void parent_acme_attach(struct parent_acme *pa, int fd);
/* Shutdown: its socket closed and SIGKILL (it holds nothing to save:
 * its files are written whole). */
void parent_acme_stop(struct parent_acme *pa);
/* The number of the token set the relays get (and acknowledge): this
 * node's answers and the peer's, each table counting its changes. */
uint32_t parent_acme_generation(const struct parent_acme *pa);
/* To a relay: the tokens, and the last status. */
void parent_acme_report(const struct parent_acme *pa, int relay_fd);
/* The serving relay's ACME_ACK: it serves token set `generation`. */
void parent_acme_relay_ack(struct parent_acme *pa, uint32_t generation);
/* The peer's relays serve our answer `token` (NULL: the session ended, wait
 * no more): a publish waiting for it is acknowledged to the ACME process. */
void parent_acme_peer_served(struct parent_acme *pa, const char *token);

/* To the ACME process (dropped when none runs). */
void parent_acme_send(struct parent_acme *pa, enum ipc_type type, const void *msg, size_t len);
/* The peer's answers for `name` are now tokens[0..n) (checked, op 0); n 0
 * withdraws them; name NULL withdraws every one (the session ended). */
void parent_acme_peer_tokens(struct parent_acme *pa, const char *name, const struct acme_token *tokens,
                             unsigned n);

/* parent_acme_files.c: ACME_CERT checked against cfg and written; 1
 * written, 0 the same as the files, -1 refused (why). */
int parent_acme_install(const struct config *cfg, const struct acme_cert_msg *m, const char **why, char *err,
                        size_t err_len);

#endif /* RAMPART_GATEWAY_PROC_PARENT_ACME_H */
