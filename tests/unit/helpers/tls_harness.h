/*
 * tls_harness: a real TLS server (tls/tls.h) on 127.0.0.1 in a thread of
 * the test, and `openssl s_client` as its client (the mbedTLS build has no
 * client code), for test_tls.c and test_tls_signer.c.
 *
 * The server accepts one connection at a time: handshake, read two lines
 * (giving the record buffers back with tls_conn_idle() before every wait),
 * answer one line "version=.. cipher=.. sni=.. resumed=..", close_notify,
 * close. Its thread first binds itself to channel `channel` of the
 * server's signer (tls_server_bind_thread), as a worker does.
 *
 * No cmocka here: calls return what happened. Names carry tls_harness_.
 */
#ifndef RAMPART_TESTS_UNIT_HELPERS_TLS_HARNESS_H
#define RAMPART_TESTS_UNIT_HELPERS_TLS_HARNESS_H

#include "tls/tls.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define TLS_HARNESS_IO_TIMEOUT_MS 5000 /* a stuck client must not hang the suite */
#define TLS_HARNESS_OUTPUT_MAX    65536

struct tls_harness_server {
    struct tls_server *_Atomic srv; /* swapped by a reload test */
    unsigned channel;               /* of the signer, for the serving thread */
    int listen_fd;
    unsigned short port;
    pthread_t thread;
    atomic_bool stop;
    char last_error[160]; /* tls_conn_error() of the last failed handshake */
    /* the last connection's first tls_conn_idle() that gave something back:
     * tls_conn_buffered() before and after it, and what it returned */
    _Atomic size_t idle_before, idle_after, idle_released;
};

/* system(cmd): its exit status, -1 when it did not exit. */
int tls_harness_run(const char *cmd);
/* dir/base.pem and dir/base.key: a self-signed certificate for cn (also
 * its subjectAltName), key made by `openssl req -newkey keyopts`. 0/-1. */
int tls_harness_make_cert(const char *dir, const char *base, const char *cn, const char *keyopts);
void tls_harness_set_cert(struct tls_cert_config *c, const char *dir, const char *name, const char *cert_base,
                          const char *key_base);

/* Serves srv (the harness takes the reference) on a fresh port. 0/-1. */
int tls_harness_start(struct tls_harness_server *ts, struct tls_server *srv, unsigned channel);
void tls_harness_stop(struct tls_harness_server *ts);

/* Runs s_client with `args`, its input from the shell command `input`;
 * returns its whole output (free it). */
char *tls_harness_client_input(const struct tls_harness_server *ts, const char *input, const char *args);
/* Two lines, a pause between them so the server really idles between records. */
char *tls_harness_client(const struct tls_harness_server *ts, const char *args);

#endif /* RAMPART_TESTS_UNIT_HELPERS_TLS_HARNESS_H */
