/*
 * tls_peer: TLS 1.3 for the channel between the two gateways of a pair
 * (gateway/ha/peer_link.c), both ends: each node dials its peer and also
 * accepts it. Two ways to authenticate, both mutual:
 *
 *   PSK   a pre-shared key from a file (hex, 32-64 bytes, the same on both
 *         nodes), used in TLS 1.3's psk_dhe_ke mode only: every session
 *         also runs an ECDHE exchange, so a key stolen later decrypts no
 *         recorded session (forward secrecy), and the key itself never
 *         crosses the wire (the binder proves it). No certificate.
 *   CERT  a pair certificate and its key, and the CA that issued the peer's:
 *         each side presents its certificate and requires one from the CA.
 *         Any certificate that CA signed is accepted (no name check): the
 *         CA must be the pair's own, issuing nothing else.
 *
 * TLS 1.3 only, no session tickets, no renegotiation, no 0-RTT. A session
 * is a fresh full handshake every time: the channel reconnects rarely.
 *
 * Files are read here ("keys are read in tls/ only"): a secret must be the
 * file itself (O_NOFOLLOW), a regular file owned by root or the running
 * user, closed to group and others (fstat on what was opened).
 *
 * Threads: a tls_peer_ctx is read-only after creation and may be shared;
 * a tls_peer_conn belongs to one thread (the peer thread).
 */
#ifndef RAMPART_TLS_TLS_PEER_H
#define RAMPART_TLS_TLS_PEER_H

#include "tls/tls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TLS_PEER_PSK_MIN      32 /* bytes: 256 bits */
#define TLS_PEER_PSK_MAX      64
#define TLS_PEER_PSK_FILE_MAX 256 /* the hex text, with a newline and some blanks */
#define TLS_PEER_PSK_IDENTITY "rampart-peer"

enum tls_peer_auth { TLS_PEER_AUTH_PSK, TLS_PEER_AUTH_CERT };

struct tls_peer_config {
    enum tls_peer_auth auth;
    char psk_file[TLS_PATH_MAX];
    char cert_file[TLS_PATH_MAX], key_file[TLS_PATH_MAX], ca_file[TLS_PATH_MAX];
};

/* Reads a secret file with the checks above into buf (at most cap bytes).
 * 0 and *len, or -1 with "FILE: reason" in err. */
int tls_secret_file_read(const char *path, uint8_t *buf, size_t cap, size_t *len, char *err, size_t err_len);
/* The checks alone, without reading. 0, or -1 with "FILE: reason". */
int tls_secret_file_check(const char *path, char *err, size_t err_len);

/* Pure: the PSK in a file's text (hex digits, then optional blanks). 0 and
 * *len, or -1 with the reason in err. */
int tls_peer_psk_parse(const char *text, size_t n, uint8_t out[TLS_PEER_PSK_MAX], size_t *len, char *err,
                       size_t err_len);

struct tls_peer_ctx;
/* Reads the key (and certificates) and builds both sides' configuration.
 * NULL with "FILE: reason" in err. `rampart -t` checks with it too. */
struct tls_peer_ctx *tls_peer_ctx_new(const struct tls_peer_config *cfg, char *err, size_t err_len);
void tls_peer_ctx_free(struct tls_peer_ctx *ctx);

/* Why a handshake failed (rampart_peer_handshake_failures_total{reason}). */
enum tls_peer_fail {
    TLS_PEER_FAIL_AUTH,     /* wrong key, or a certificate not from the pair's CA */
    TLS_PEER_FAIL_PROTOCOL, /* not TLS 1.3, malformed, no common parameters */
    TLS_PEER_FAIL_CLOSED,   /* the other side closed or reset mid-handshake */
    TLS_PEER_FAIL_TIMEOUT,  /* not done in time (counted by the caller) */
    TLS_PEER_FAIL_OTHER,
    TLS_PEER_FAIL_COUNT
};
const char *tls_peer_fail_name(enum tls_peer_fail why); /* "auth", ... */

struct tls_peer_conn;
/* Over a connected, non-blocking socket the caller owns; `dialer`: this
 * side connected (TLS client). NULL when out of memory. */
struct tls_peer_conn *tls_peer_conn_new(struct tls_peer_ctx *ctx, int fd, bool dialer);
void tls_peer_conn_free(struct tls_peer_conn *conn); /* does not close fd */

/* TLS_IO_DONE, TLS_IO_WANT_READ/WRITE, or TLS_IO_ERROR (reason and text
 * in tls_peer_conn_failure / tls_peer_conn_error). */
int tls_peer_handshake(struct tls_peer_conn *conn);
/* > 0 bytes, or TLS_IO_WANT_READ/WANT_WRITE/CLOSED/ERROR. A write takes at
 * most one record; after WANT_*, retry with the same bytes. */
ssize_t tls_peer_read(struct tls_peer_conn *conn, void *buf, size_t len);
ssize_t tls_peer_write(struct tls_peer_conn *conn, const void *buf, size_t len);
/* Decrypted bytes waiting inside TLS (read them before waiting on the fd). */
size_t tls_peer_pending(const struct tls_peer_conn *conn);
void tls_peer_shutdown(struct tls_peer_conn *conn); /* close_notify, best effort */

enum tls_peer_fail tls_peer_conn_failure(const struct tls_peer_conn *conn);
const char *tls_peer_conn_error(const struct tls_peer_conn *conn);

#endif /* RAMPART_TLS_TLS_PEER_H */
