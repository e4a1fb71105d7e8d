/*
 * tls_harness: a TLS server thread and s_client. See tls_harness.h.
 */
#include "tests/unit/helpers/tls_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int tls_harness_run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int tls_harness_make_cert(const char *dir, const char *base, const char *cn, const char *keyopts)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey %s -nodes -days 2 -subj '/CN=%s' "
             "-addext 'subjectAltName=DNS:%s' -keyout %s/%s.key -out %s/%s.pem 2>/dev/null",
             keyopts, cn, cn, dir, base, dir, base);
    return tls_harness_run(cmd) == 0 ? 0 : -1;
}

void tls_harness_set_cert(struct tls_cert_config *c, const char *dir, const char *name, const char *cert_base,
                          const char *key_base)
{
    snprintf(c->server_name, sizeof c->server_name, "%s", name);
    snprintf(c->cert_file, sizeof c->cert_file, "%s/%s.pem", dir, cert_base);
    snprintf(c->key_file, sizeof c->key_file, "%s/%s.key", dir, key_base);
}

static bool wait_fd(int fd, int io)
{
    struct pollfd p = {.fd = fd, .events = io == TLS_IO_WANT_WRITE ? POLLOUT : POLLIN};
    return poll(&p, 1, TLS_HARNESS_IO_TIMEOUT_MS) == 1;
}

static unsigned count_newlines(const char *buf, ssize_t n)
{
    unsigned lines = 0;
    for (ssize_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    return lines;
}

/* Gives the record buffers back; the first time it does, records what
 * tls_conn_buffered() said before and after. */
static void serve_idle(struct tls_harness_server *ts, struct tls_conn *conn, bool *recorded)
{
    size_t before = tls_conn_buffered(conn), released = tls_conn_idle(conn);
    if (released == 0 || *recorded)
        return;
    *recorded = true;
    atomic_store(&ts->idle_before, before);
    atomic_store(&ts->idle_after, tls_conn_buffered(conn));
    atomic_store(&ts->idle_released, released);
}

/* Reads until the client has sent two lines, idling before every wait. */
static bool serve_read_two_lines(struct tls_harness_server *ts, struct tls_conn *conn, int fd)
{
    char buf[512];
    unsigned lines = 0;
    bool recorded = false;
    while (lines < 2) {
        if (tls_conn_pending(conn) == 0)
            serve_idle(ts, conn, &recorded);
        ssize_t n = tls_conn_read(conn, buf, sizeof buf);
        if (n > 0)
            lines += count_newlines(buf, n);
        else if (n != TLS_IO_WANT_READ && n != TLS_IO_WANT_WRITE)
            return false;
        else if (tls_conn_pending(conn) == 0 && !wait_fd(fd, (int)n))
            return false;
    }
    return true;
}

static void serve_reply(struct tls_conn *conn, int fd)
{
    char reply[512];
    int len = snprintf(reply, sizeof reply, "version=%s cipher=%s sni=%s resumed=%d record=%zu alpn=%s\n",
                       tls_conn_version(conn), tls_conn_cipher(conn), tls_conn_server_name(conn),
                       tls_conn_resumed(conn), tls_conn_record_max(conn), tls_conn_alpn(conn));
    size_t off = 0;
    while (off < (size_t)len) {
        ssize_t n = tls_conn_write(conn, reply + off, (size_t)len - off);
        if (n > 0)
            off += (size_t)n;
        else if ((n != TLS_IO_WANT_READ && n != TLS_IO_WANT_WRITE) || !wait_fd(fd, (int)n))
            return;
    }
    tls_conn_shutdown(conn);
}

static void serve_one(struct tls_harness_server *ts, int fd)
{
    struct tls_conn *conn = tls_conn_new(atomic_load(&ts->srv), fd, "127.0.0.1");
    if (conn == NULL)
        return;
    int r;
    while ((r = tls_conn_handshake(conn)) == TLS_IO_WANT_READ || r == TLS_IO_WANT_WRITE)
        if (!wait_fd(fd, r))
            break;
    if (r != TLS_IO_DONE)
        snprintf(ts->last_error, sizeof ts->last_error, "%s", tls_conn_error(conn));
    else if (serve_read_two_lines(ts, conn, fd))
        serve_reply(conn, fd);
    tls_conn_free(conn);
}

static void *serve_loop(void *arg)
{
    struct tls_harness_server *ts = arg;
    tls_server_bind_thread(atomic_load(&ts->srv), ts->channel);
    while (!atomic_load(&ts->stop)) {
        struct pollfd p = {.fd = ts->listen_fd, .events = POLLIN};
        if (poll(&p, 1, 100) != 1)
            continue;
        int fd = accept4(ts->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        serve_one(ts, fd);
        close(fd);
    }
    return NULL;
}

int tls_harness_start(struct tls_harness_server *ts, struct tls_server *srv, unsigned channel)
{
    atomic_init(&ts->srv, srv);
    ts->channel = channel;
    if (srv == NULL)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ts->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ts->listen_fd < 0 || bind(ts->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(ts->listen_fd, 16) != 0 || getsockname(ts->listen_fd, (struct sockaddr *)&sa, &len))
        return -1;
    ts->port = ntohs(sa.sin_port);
    atomic_init(&ts->stop, false);
    return pthread_create(&ts->thread, NULL, serve_loop, ts) == 0 ? 0 : -1;
}

void tls_harness_stop(struct tls_harness_server *ts)
{
    atomic_store(&ts->stop, true);
    pthread_join(ts->thread, NULL);
    close(ts->listen_fd);
    tls_server_unref(atomic_load(&ts->srv));
}

char *tls_harness_client_input(const struct tls_harness_server *ts, const char *input, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "(%s) | timeout 10 openssl s_client -connect 127.0.0.1:%u -ign_eof %s 2>&1",
             input, ts->port, args);
    FILE *p = popen(cmd, "r");
    char *out = calloc(1, TLS_HARNESS_OUTPUT_MAX);
    if (p == NULL || out == NULL) {
        if (p)
            pclose(p);
        return out;
    }
    size_t n = fread(out, 1, TLS_HARNESS_OUTPUT_MAX - 1, p);
    out[n] = '\0';
    pclose(p);
    return out;
}

char *tls_harness_client(const struct tls_harness_server *ts, const char *args)
{
    return tls_harness_client_input(ts, "printf 'one\\n'; sleep 0.2; printf 'two\\n'", args);
}
