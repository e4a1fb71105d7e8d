/*
 * conn_peers: the peers tests/fuzz/fuzz_conn.c plays against the worker:
 * up to FZ_CLIENTS client connections at once (plain HTTP; HTTPS through a
 * real TLS client, OpenSSL over memory BIOs, whose ClientHello may be cut
 * into records of a few bytes; or raw bytes on the HTTPS listener), and a
 * fake backend that accepts every connection the gateway makes and answers
 * as the program says. Every byte that crosses goes through
 * tests/unit/helpers/conn_oracle.h.
 *
 * The peers never block and never wait: each side has a queue of bytes it
 * may send now (fz_buf: [off, release)) and bytes it holds back for a
 * later operation ([release, len)); fz_peers_io writes what the sockets
 * take and reads what came, unless the side is stalled (it does not read:
 * its window closes). Parts of one fuzz target, with fuzz_conn.c; names
 * carry fz_.
 */
#ifndef RAMPART_TESTS_FUZZ_CONN_PEERS_H
#define RAMPART_TESTS_FUZZ_CONN_PEERS_H

#include "tests/unit/helpers/conn_harness.h"
#include "tests/unit/helpers/conn_oracle.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FZ_CLIENTS   4         /* client connections open at once */
#define FZ_BACKS     24        /* backend sockets of the fake backend open at once */
#define FZ_BUF_MAX   (1 << 20) /* bytes one side may have queued */
#define FZ_READ_MAX  (1 << 18) /* bytes one side reads per round */
#define FZ_EXCHANGES 128       /* exchanges of one connection the checks walk (HTTP/2: one per stream) */

/* The program's bytes; past the end everything reads as 0. */
struct fz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fz_u8(struct fz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

struct fz_buf {
    char *data;
    size_t len, off, release, cap;
};

enum fz_kind { FZ_PLAIN, FZ_TLS, FZ_TLS_RAW, FZ_H2 }; /* FZ_H2: TLS with ALPN h2, conn_h2.h */

struct fz_h2;

struct fz_client {
    bool used;
    enum fz_kind kind;
    int fd;
    unsigned conn;     /* its tag number */
    unsigned next_req; /* requests tagged so far */
    bool stalled, shut_pending, shut;
    struct fz_buf app;  /* request bytes: to the socket, or to the TLS client */
    struct fz_buf wire; /* TLS records to the socket */
    struct conn_oracle_client oc;
    void *ssl;        /* SSL *, NULL when not TLS */
    struct fz_h2 *h2; /* FZ_H2: its frames and streams */
    unsigned frag;    /* > 0: the ClientHello goes out in records of this many bytes */
    bool hello_sent, tls_dead;
};

struct fz_back {
    bool used;
    int fd;
    unsigned b;    /* which backend */
    uint16_t port; /* the gateway's end: how a socket of a connection is found */
    bool stalled, shut_pending;
    struct fz_buf out;
    struct conn_oracle_backend ob;
};

struct fz {
    struct conn_harness *h;
    struct conn_oracle_world world;
    struct fz_client cl[FZ_CLIENTS];
    struct fz_back bk[FZ_BACKS];
    unsigned n_conns;    /* connections opened: the next one's tag is n_conns + 1 */
    uint64_t bytes_read; /* by all peers: progress, for the end's deadline check */
    bool draining;       /* no new connection after a drain */
};

/* fuzz_conn.c: prints the broken invariant and aborts. */
void fz_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* conn_peers.c */
void fz_peers_init(struct tls_server *srv); /* NULL: no TLS clients */
struct fz *fz_new(struct conn_harness *h);
void fz_free(struct fz *f);
/* One round: accept the backend connections the gateway made, seal early
 * answers it read, then writes and reads: true if a byte moved. */
bool fz_peers_io(struct fz *f);
void fz_peers_check(struct fz *f); /* the oracles' findings, the pool */
void fz_peers_unstall(struct fz *f);

void fz_client_open(struct fz *f, uint8_t how);
void fz_client_request(struct fz *f, struct fz_in *in);
void fz_client_release(struct fz *f, struct fz_in *in);
void fz_client_raw(struct fz *f, struct fz_in *in);
void fz_client_smuggle(struct fz *f, struct fz_in *in);
void fz_client_stall(struct fz *f, uint8_t which);
void fz_client_shut(struct fz *f, uint8_t which);
void fz_client_close(struct fz *f, uint8_t which);

void fz_backend_respond(struct fz *f, struct fz_in *in);
void fz_backend_raw(struct fz *f, struct fz_in *in);
void fz_backend_release(struct fz *f, struct fz_in *in);
void fz_backend_stall(struct fz *f, uint8_t which);
void fz_backend_shut(struct fz *f, uint8_t which);
void fz_backend_close(struct fz *f, uint8_t which);

/* The exchanges of c: its one (HTTP/1.1) or one per open stream
 * (HTTP/2), at most cap of them into out. */
struct conn;
struct exchange;
unsigned fz_exchanges(const struct conn *c, struct exchange **out, unsigned cap);

/* conn_peers.c, for conn_tls.c and conn_shapes.c */
void fz_trace(const char *who, unsigned id, const char *dir, const char *data, size_t len);
bool fz_tracing(void); /* FZ_TRACE is set */
void fz_buf_add(struct fz_buf *b, const void *data, size_t len, bool release);
bool fz_client_feed(struct fz_client *c, const char *data, size_t len); /* answers for the oracle */

static inline bool fz_is_tls(const struct fz_client *c)
{
    return c->kind == FZ_TLS || c->kind == FZ_H2;
}

/* conn_tls.c: the TLS client (ALPN h2 for FZ_H2) */
bool fz_tls_init(void);
bool fz_tls_open(struct fz_client *c, bool tls12_only);
void fz_tls_free(struct fz_client *c);
bool fz_tls_progress(struct fz_client *c); /* handshake, app bytes in, records out: true if moved */
bool fz_tls_input(struct fz_client *c, const char *data, size_t len); /* records in, answers out */
void fz_tls_shutdown(struct fz_client *c);

#endif /* RAMPART_TESTS_FUZZ_CONN_PEERS_H */
