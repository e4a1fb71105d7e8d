/*
 * bench/tls_server: the smallest server that exercises tls/ the way the
 * gateway does (one epoll loop, non-blocking sockets, tls_conn_* calls), so
 * bench/tls_handshakes.sh can measure the TLS layer alone.
 *
 *   tls_server PORT CERT KEY [--min13] [--no-idle] [--keyholder]
 *
 * --keyholder: the key is not loaded here but in a child process that
 * answers signature requests over a socketpair, as the daemon's key
 * holder does (tls_signer_keyholder + keyholder_serve_one): the cost of
 * signing through it, next to signing in process. The child is the
 * server's: tls_handshakes.sh counts its CPU time with the server's.
 *
 * Every connection: handshake, tls_conn_idle() while waiting for the
 * request (unless --no-idle), read until a blank line, answer a 6-byte HTTP
 * response, close. SIGUSR1 prints what the server did so far (tls_stats)
 * as one line of key=value pairs; SIGTERM/SIGINT prints it and exits.
 */
#include "gateway/config/config.h"
#include "gateway/proc/keyholder.h"
#include "tls/tls.h"
#include "tls/tls_keyring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define BENCH_MAX_EVENTS  128
#define BENCH_REQUEST_MAX 256 /* small: RSS per connection should be TLS's */

static const char bench_reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n";

struct bench_conn {
    int fd;
    struct tls_conn *tls;
    bool established;
    size_t got;  /* request bytes so far */
    size_t sent; /* reply bytes written */
    char req[BENCH_REQUEST_MAX];
};

static volatile sig_atomic_t bench_stop, bench_dump;
static bool bench_idle = true, bench_keyholder;

static void bench_on_signal(int sig)
{
    if (sig == SIGUSR1)
        bench_dump = 1;
    else
        bench_stop = 1;
}

static void bench_close(struct bench_conn *c)
{
    tls_conn_free(c->tls);
    close(c->fd);
    free(c);
}

static void bench_want(int ep, struct bench_conn *c, int io)
{
    struct epoll_event ev = {.events = io == TLS_IO_WANT_WRITE ? EPOLLOUT : EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Returns the tls_io value to wait for, or TLS_IO_DONE when finished. */
static int bench_step(struct bench_conn *c)
{
    if (!c->established) {
        int r = tls_conn_handshake(c->tls);
        if (r != TLS_IO_DONE)
            return r;
        c->established = true;
    }
    while (c->got < 4 || memcmp(c->req + c->got - 4, "\r\n\r\n", 4) != 0) {
        if (c->got == sizeof c->req)
            return TLS_IO_ERROR;
        ssize_t n = tls_conn_read(c->tls, c->req + c->got, sizeof c->req - c->got);
        if (n <= 0) {
            if (n == TLS_IO_WANT_READ && bench_idle && tls_conn_pending(c->tls) == 0)
                tls_conn_idle(c->tls);
            return (int)n;
        }
        c->got += (size_t)n;
    }
    while (c->sent < sizeof bench_reply - 1) {
        ssize_t n = tls_conn_write(c->tls, bench_reply + c->sent, sizeof bench_reply - 1 - c->sent);
        if (n <= 0)
            return (int)n;
        c->sent += (size_t)n;
    }
    tls_conn_shutdown(c->tls);
    return TLS_IO_DONE;
}

static void bench_accept(int ep, int lfd, struct tls_server *srv)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct bench_conn *c = calloc(1, sizeof *c);
        c->fd = fd;
        c->tls = tls_conn_new(srv, fd, "bench");
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
}

static int bench_listen(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4096) != 0) {
        perror("listen");
        exit(1);
    }
    return fd;
}

static void bench_report(void)
{
    printf("tls13=%llu tls12=%llu resumed=%llu", (unsigned long long)tls_stats.handshakes_tls13,
           (unsigned long long)tls_stats.handshakes_tls12, (unsigned long long)tls_stats.resumed);
    for (int r = 0; r < TLS_FAIL_COUNT; r++)
        printf(" fail_%s=%llu", tls_fail_reason_name(r), (unsigned long long)tls_stats.failures[r]);
    printf("\n");
    fflush(stdout);
}

/* The child: the key, one channel, answered until the server goes. */
static void bench_keyholder_main(const struct tls_config *cfg, int fd)
{
    char err[512];
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct tls_keyring *kr = tls_keyring_load(cfg, err, sizeof err);
    if (kr == NULL) {
        fprintf(stderr, "tls_server key holder: %s\n", err);
        _exit(1);
    }
    static struct keyholder_counts counts;
    enum tls_keyreq_status st;
    while (keyholder_serve_one(kr, fd, &counts, &st) > 0 || errno == EINTR)
        ;
    _exit(0);
}

static struct tls_server *bench_remote(const struct tls_config *cfg, char *err, size_t err_len)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return snprintf(err, err_len, "socketpair: %s", strerror(errno)), NULL;
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        bench_keyholder_main(cfg, sv[1]);
    }
    close(sv[1]);
    if (pid < 0)
        return snprintf(err, err_len, "fork: %s", strerror(errno)), NULL;
    struct tls_signer *signer = tls_signer_keyholder(&sv[0], 1, KEYHOLDER_SIGN_TIMEOUT_MS);
    struct tls_server *srv = tls_server_new(cfg, signer, err, err_len);
    tls_signer_unref(signer);
    tls_server_bind_thread(srv, 0);
    return srv;
}

static struct tls_server *bench_tls(int argc, char **argv)
{
    static struct config cfg;
    config_defaults(&cfg);
    cfg.tls.server.n_certs = 1;
    snprintf(cfg.tls.server.certs[0].server_name, CONFIG_NAME_MAX, "bench");
    snprintf(cfg.tls.server.certs[0].cert_file, CONFIG_PATH_MAX, "%s", argv[2]);
    snprintf(cfg.tls.server.certs[0].key_file, CONFIG_PATH_MAX, "%s", argv[3]);
    cfg.tls.server.tickets = true;
    cfg.tls.server.ticket_lifetime_ms = 3600 * 1000;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--min13") == 0)
            cfg.tls.server.min_version = TLS_MIN_1_3;
        else if (strcmp(argv[i], "--no-idle") == 0)
            bench_idle = false;
        else if (strcmp(argv[i], "--keyholder") == 0)
            bench_keyholder = true;
    }
    char err[512];
    struct tls_server *srv = bench_keyholder ? bench_remote(&cfg.tls.server, err, sizeof err)
                                             : tls_server_new_local(&cfg.tls.server, err, sizeof err);
    if (srv == NULL) {
        fprintf(stderr, "tls_server: %s\n", err);
        exit(1);
    }
    return srv;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: tls_server PORT CERT KEY [--min13] [--no-idle] [--keyholder]\n");
        return 2;
    }
    struct tls_server *srv = bench_tls(argc, argv);
    int lfd = bench_listen(atoi(argv[1])), ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    signal(SIGTERM, bench_on_signal);
    signal(SIGINT, bench_on_signal);
    signal(SIGUSR1, bench_on_signal);
    printf("ready\n");
    fflush(stdout);
    struct epoll_event events[BENCH_MAX_EVENTS];
    while (!bench_stop) {
        if (bench_dump) {
            bench_dump = 0;
            bench_report();
        }
        int n = epoll_wait(ep, events, BENCH_MAX_EVENTS, 200);
        for (int i = 0; i < n; i++) {
            struct bench_conn *c = events[i].data.ptr;
            if (c == NULL) {
                bench_accept(ep, lfd, srv);
                continue;
            }
            int r = bench_step(c);
            if (r == TLS_IO_WANT_READ || r == TLS_IO_WANT_WRITE)
                bench_want(ep, c, r);
            else
                bench_close(c);
        }
    }
    bench_report();
    tls_server_unref(srv);
    return 0;
}
