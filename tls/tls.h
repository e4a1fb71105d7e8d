/*
 * tls/: the only part of Rampart that includes mbedTLS headers. Everything
 * TLS goes through this interface: server contexts (certificates, SNI, ALPN,
 * session tickets, protocol and cipher policy), non-blocking connections,
 * and the counters the metrics page shows.
 *
 * Threading: a tls_server is shared by all worker threads (read-only after
 * creation, reference-counted so a SIGHUP reload can swap it while old
 * connections keep theirs). A tls_conn belongs to one worker thread.
 */
#ifndef RAMPART_TLS_TLS_H
#define RAMPART_TLS_TLS_H

#include "tls/tls_config.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "mbedTLS 3.6.6": the version of the library linked in (run time). */
const char *tls_library_version(void);

/* One-time process set-up (PSA crypto, RNG). 0 or -1. Idempotent and
 * thread-safe; tls_server_new() calls it too. Fork-safe: a child reseeds
 * its generators automatically (pthread_atfork), so the parent may call it
 * before forking the relay. */
int tls_global_init(void);

/* ---- server contexts ------------------------------------------------------ */

struct tls_server;

/* ---- private keys: where a server signs ----------------------------------- */
/*
 * A server holds its certificate chains; its private keys sign through a
 * signer. In the daemon that is the key holder (gateway/proc/keyholder.c),
 * the one process that reads the key files: the relay holds no key, only
 * channels to it, one per worker thread, and each handshake's signature
 * (TLS 1.2 ServerKeyExchange, TLS 1.3 CertificateVerify) is one request
 * on the signing thread's channel, answered within the signer's timeout
 * or failed (the handshake fails, counted as reason "keyholder"; the
 * worker goes on). tls_signer.c has the mechanism (an opaque PSA key whose
 * driver asks the key holder), tls_keyreq.h the protocol, tls_keyring.h
 * the key holder's side. In process (tests, the benchmark's server,
 * `rampart -t`) the keys are loaded here instead.
 *
 * Reference-counted: every server built with a signer holds a reference.
 */
struct tls_signer;
#define TLS_SIGNER_CHANNELS_MAX 64 /* = CONFIG_MAX_WORKERS: one channel per worker */

/* Loads and checks every certificate/key pair of cfg here (tls_keyring.h).
 * NULL and "FILE: reason" in err. */
struct tls_signer *tls_signer_local(const struct tls_config *cfg, char *err, size_t err_len);
/* The key holder's n channels (fds, taken: closed with the signer), each
 * request waiting at most timeout_ms. NULL: n out of range or no memory. */
struct tls_signer *tls_signer_keyholder(const int *fds, unsigned n, unsigned timeout_ms);
void tls_signer_ref(struct tls_signer *s);
void tls_signer_unref(struct tls_signer *s);

/* What the relay's signatures through a key holder came to, process-wide:
 * answered, refused by the key holder, not answered in time, or failed
 * (no key holder: it died, or its channel broke). */
enum tls_keyholder_result { TLS_KH_OK, TLS_KH_REFUSED, TLS_KH_TIMEOUT, TLS_KH_ERROR, TLS_KH_RESULT_COUNT };
struct tls_stats_keyholder {
    atomic_ullong requests[TLS_KH_RESULT_COUNT];
};
extern struct tls_stats_keyholder tls_stats_keyholder;
const char *tls_keyholder_result_name(enum tls_keyholder_result r); /* "ok", "refused", ... */

/* Builds a server from the [tls] section: loads every certificate chain,
 * takes each one's private key from signer (for a key holder: after it
 * proved, over channel 0, that its key i has certificate i's public key),
 * SNI table, ALPN (cfg->alpn: "h2", "http/1.1" in the server's order of
 * preference), min version, cipher profile, ticket keys.
 * Takes a reference on signer. On failure returns NULL and writes
 * "FILE: reason" into err. */
struct tls_server *tls_server_new(const struct tls_config *cfg, struct tls_signer *signer, char *err,
                                  size_t err_len);
/* The same with the keys loaded in this process (tls_signer_local): tests,
 * the benchmark's server, `rampart -t`. */
struct tls_server *tls_server_new_local(const struct tls_config *cfg, char *err, size_t err_len);
/* The same checks without any private key: chains, names, policy (the
 * parent, which never maps a key). 0, or -1 and "FILE: reason". */
int tls_server_check(const struct tls_config *cfg, char *err, size_t err_len);
void tls_server_ref(struct tls_server *srv);
void tls_server_unref(struct tls_server *srv);

/* The calling thread signs srv's handshakes over channel i of its signer
 * (worker i, at its start; nothing for an in-process signer). */
void tls_server_bind_thread(struct tls_server *srv, unsigned i);
/* A restarted key holder's n channels (fds, taken on success): checked
 * against every certificate over fds[0] first, then each worker takes its
 * own at its next signature. 0, or -1 and why (fds left to the caller). */
int tls_server_keyholder_replace(struct tls_server *srv, const int *fds, unsigned n, char *err,
                                 size_t err_len);

/* What the admin pages show of certificate i of srv (0 = the default, in
 * [tls] order): its configured name and its leaf certificate's validity.
 * 0, or -1 when i is past the last. The values are fixed for srv's life
 * (a reload builds a new server). tls_cert_info.c. */
struct tls_cert_info {
    char server_name[TLS_NAME_MAX];
    int64_t not_before_s; /* Unix time (UTC) */
    int64_t not_after_s;
};
int tls_server_cert_info(const struct tls_server *srv, unsigned i, struct tls_cert_info *out);

/* ---- session-ticket keys from the parent ---------------------------------- */
/*
 * The parent makes the ticket keys (so a reload's or a restarted relay's
 * tickets stay valid) and sends them to every relay; each relay installs
 * them with tls_server_set_ticket_keys. The parent rotates every
 * ticket_lifetime: current becomes previous, which stays accepted until the
 * next rotation, so a ticket lives at least one full lifetime.
 */
#define TLS_TICKET_NAME_LEN 4  /* key name carried in each ticket (mbedTLS) */
#define TLS_TICKET_KEY_LEN  32 /* AES-256-GCM */
/* Margin on the key lifetime given to mbedTLS, so its own automatic
 * rotation (random keys, per process) never beats the parent's. */
#define TLS_TICKET_ROTATE_SLACK_S 60

struct tls_ticket_key {
    uint8_t name[TLS_TICKET_NAME_LEN];
    uint8_t key[TLS_TICKET_KEY_LEN];
};
struct tls_ticket_keys {
    struct tls_ticket_key previous, current;
};

/* A fresh random key (getrandom). 0, or -1 with errno. */
int tls_ticket_key_generate(struct tls_ticket_key *out);
/* Pure: `fresh` becomes current, current becomes previous. */
void tls_ticket_keys_rotate(struct tls_ticket_keys *keys, const struct tls_ticket_key *fresh);
/* Tickets of srv (and of every server of this process sharing its ticket
 * context) are issued with keys->current and accepted under both keys.
 * 0 (also when tickets are off), or -1. Thread-safe. */
int tls_server_set_ticket_keys(struct tls_server *srv, const struct tls_ticket_keys *keys);

/* Ticket keys from files in nginx's ssl_session_ticket_key format, for
 * sites larger than a pair ([tls] ticket_key_file; tls_secret.c says how
 * the 80 bytes map to mbedTLS's name and AES-256-GCM key). The file is
 * checked as a private key is (the file itself, root's or ours, mode
 * 0600/0400). 0, or -1 with "FILE: reason" in err. */
#define TLS_TICKET_FILE_LEN        80
#define TLS_TICKET_FILE_LEN_AES128 48 /* nginx's other size: refused */
#define TLS_TICKET_FILE_NAME_LEN   16
#define TLS_TICKET_FILE_HMAC_LEN   32
int tls_ticket_key_file_read(const char *path, struct tls_ticket_key *out, char *err, size_t err_len);
/* Pure: the key of a file's bytes. */
int tls_ticket_key_from_nginx(const uint8_t *buf, size_t len, struct tls_ticket_key *out, char *err,
                              size_t err_len);

/* Ticket times. A TLS 1.3 ticket carries the time it was made, and the
 * server that gets it back checks the ticket's age against it. mbedTLS
 * reads that time from CLOCK_BOOTTIME (time since this machine booted):
 * a ticket made on one gateway and brought to the other (a failover)
 * would be judged by a clock that started elsewhere, and refused ("created
 * in the future", or too old). tls_time.c gives mbedTLS the wall clock
 * instead (the link wraps mbedtls_ms_time), which both nodes keep in step
 * (NTP); mbedTLS's tolerance on a ticket's age is 6 s. Milliseconds. */
int64_t tls_ms_time(void);

/* Every fork() of this process is followed by an exec in the child (the
 * daemon's children all are): the child then skips re-seeding the random
 * generators (its image is replaced anyway), and so takes no lock that
 * another thread of the parent (the peer channel's, which runs TLS) may
 * have held at the moment of the fork. */
void tls_fork_execs(bool yes);

/* ---- connections (non-blocking) ------------------------------------------- */

enum tls_io {
    TLS_IO_DONE = 0,        /* operation complete */
    TLS_IO_WANT_READ = -1,  /* wait for the socket to be readable, then retry */
    TLS_IO_WANT_WRITE = -2, /* wait for the socket to be writable, then retry */
    TLS_IO_CLOSED = -3,     /* peer sent close_notify or closed the socket */
    TLS_IO_ERROR = -4,      /* fatal; tls_conn_error() says why */
};

struct tls_conn;

/* Wraps an accepted, non-blocking socket. `client` is the peer's address
 * text for log lines. Takes a reference on srv. NULL when out of memory. */
struct tls_conn *tls_conn_new(struct tls_server *srv, int fd, const char *client);
void tls_conn_free(struct tls_conn *conn); /* does not close fd */

/* Drives the handshake; TLS_IO_DONE once established. Every failure,
 * including the client closing mid-handshake, is TLS_IO_ERROR, counted once
 * in tls_stats by reason and logged here (event tls_handshake_failed with
 * client, reason, sni, error; info level, debug for "closed"). The
 * socket is corked while a flight is written (one or two segments, no Nagle
 * stall); the caller should still set TCP_NODELAY for the data phase. */
int tls_conn_handshake(struct tls_conn *conn);

/* > 0: bytes read/written; otherwise an enum tls_io value. A write may be
 * partial (at most one 16 KiB record per call); retry the rest with the
 * *same* remaining data after WANT_*. TLS_IO_CLOSED: close_notify, EOF or
 * connection reset. */
ssize_t tls_conn_read(struct tls_conn *conn, void *buf, size_t len);
ssize_t tls_conn_write(struct tls_conn *conn, const void *buf, size_t len);

/* The most plaintext one record carries: a write of exactly this much is
 * one full record, anything longer ends in a short one. 16383 bytes in
 * TLS 1.3 (the inner content type and mbedTLS's padding to a multiple of
 * 16 share the 16,384 of a record), 16384 in TLS 1.2, less when the client
 * negotiated max_fragment_length. Never 0 (TLS_RECORD_PLAIN_MAX before the
 * handshake). */
#define TLS_RECORD_PLAIN_MAX 16384 /* RFC 8446 5.1: 2^14 */
size_t tls_conn_record_max(const struct tls_conn *conn);

/* Decrypted bytes already buffered inside the TLS layer: epoll will not say
 * so, the caller must read them before waiting for the socket again. */
size_t tls_conn_pending(const struct tls_conn *conn);

/* Sends close_notify (best effort, non-blocking). */
void tls_conn_shutdown(struct tls_conn *conn);

/* Gives memory back while the connection sits idle in keep-alive: the two
 * 16 KiB record buffers shrink to a few bytes (an idle TLS 1.3 connection
 * then costs ~7.5 KiB instead of ~43 KiB, see bench/tls_handshakes.sh) and
 * are taken back by the next read/write/shutdown. Call it whenever a read
 * returned WANT_READ with no request in progress; it does nothing unless
 * the connection is established and between records, and costs ~1 us.
 * Returns the bytes given back to the allocator (0: nothing done), which
 * stay resident until something trims the heap (gateway/proxy/exchange.c's
 * conn_trim_note). */
size_t tls_conn_idle(struct tls_conn *conn);
/* Bytes of record buffers the connection holds now (both directions):
 * what mbedTLS frees with it. */
size_t tls_conn_buffered(const struct tls_conn *conn);

/* After the handshake: "TLSv1.3", "TLS_AES_128_GCM_SHA256" (OpenSSL's names,
 * as nginx and HAProxy log them: "ECDHE-ECDSA-AES128-GCM-SHA256" for TLS
 * 1.2), the SNI name the client sent ("" if none), whether the session was
 * resumed from a ticket. "" before the handshake. (TLS 1.3: mbedTLS takes
 * the client's preferred suite among ours; TLS 1.2: ours.) */
const char *tls_conn_version(const struct tls_conn *conn);
const char *tls_conn_cipher(const struct tls_conn *conn);
const char *tls_conn_server_name(const struct tls_conn *conn);
bool tls_conn_resumed(const struct tls_conn *conn);
/* The protocol ALPN agreed on: "h2", "http/1.1", or "" when the client
 * offered none (it then speaks HTTP/1.1). */
const char *tls_conn_alpn(const struct tls_conn *conn);
/* Why the last TLS_IO_ERROR happened, one line without the client address,
 * e.g. "unsupported protocol version (we accept TLS 1.2 and 1.3)",
 * "client sent fatal alert 48 (unknown_ca)", "not TLS: the client sent
 * plain HTTP to the HTTPS port". */
const char *tls_conn_error(const struct tls_conn *conn);

/* ---- counters (process-wide, atomic; read by the metrics page) ------------ */

enum tls_fail_reason {
    TLS_FAIL_VERSION,   /* client offered only versions we refuse */
    TLS_FAIL_CIPHER,    /* no common cipher suite / group */
    TLS_FAIL_SNI,       /* unknown server name and no default */
    TLS_FAIL_ALERT,     /* client sent a fatal alert */
    TLS_FAIL_PROTOCOL,  /* malformed handshake or record */
    TLS_FAIL_TIMEOUT,   /* handshake not finished in time (counted by the caller) */
    TLS_FAIL_CLOSED,    /* peer closed mid-handshake */
    TLS_FAIL_KEYHOLDER, /* the key holder did not sign (died, stuck, refused) */
    TLS_FAIL_OTHER,
    TLS_FAIL_COUNT
};

struct tls_stats {
    atomic_ullong handshakes_tls12;
    atomic_ullong handshakes_tls13;
    atomic_ullong resumed;
    atomic_ullong failures[TLS_FAIL_COUNT];
};
extern struct tls_stats tls_stats;
const char *tls_fail_reason_name(enum tls_fail_reason reason); /* "version", ... */
void tls_count_failure(enum tls_fail_reason reason);

#endif /* RAMPART_TLS_TLS_H */
