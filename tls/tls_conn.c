/*
 * tls_conn.c: one non-blocking TLS connection over a socket the caller owns.
 * mbedTLS reads and writes through our two callbacks, which turn EAGAIN
 * into WANT_READ / WANT_WRITE; the caller's event loop waits and retries.
 */
#include "tls/tls_internal.h"

#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* A socket error that is not EAGAIN: reported to mbedTLS as this code and
 * classified by tls_classify_error() from conn->sys_errno. */
#define TLS_ERR_SOCKET        (-0x004E) /* MBEDTLS_ERR_NET_SEND_FAILED's value */
#define TLS_ERR_SOCKET_CLOSED (-0x0050) /* MBEDTLS_ERR_NET_CONN_RESET's value */
/* The pre-reader refused the ClientHello (conn->hello.why says why):
 * MBEDTLS_ERR_NET_BIND_FAILED's value, which nothing here can produce. */
#define TLS_ERR_HELLO (-0x0046)

_Static_assert(TLS_HELLO_MAX <= MBEDTLS_SSL_IN_CONTENT_LEN,
               "mbedTLS must take the ClientHello tls_hello.c gathers");

static int tls_bio_error(struct tls_conn *conn, int want)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return want;
    conn->sys_errno = errno;
    if (errno == ECONNRESET || errno == EPIPE)
        return TLS_ERR_SOCKET_CLOSED;
    return TLS_ERR_SOCKET;
}

static int tls_bio_send(void *arg, const unsigned char *buf, size_t len)
{
    struct tls_conn *conn = arg;
    ssize_t n;
    do
        n = send(conn->fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n >= 0 ? (int)n : tls_bio_error(conn, MBEDTLS_ERR_SSL_WANT_WRITE);
}

static int tls_bio_recv_fd(struct tls_conn *conn, unsigned char *buf, size_t len)
{
    ssize_t n;
    do
        n = recv(conn->fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return MBEDTLS_ERR_SSL_CONN_EOF;
    return n > 0 ? (int)n : tls_bio_error(conn, MBEDTLS_ERR_SSL_WANT_READ);
}

static uint32_t tls_ra_avail(const struct tls_conn *conn)
{
    return conn->ra_end - conn->ra_start;
}

/* A connection holds its read-ahead only while bytes wait in it; the
 * allocator hands the same block to the next reader. */
static void tls_ra_release(struct tls_conn *conn)
{
    free(conn->ra);
    conn->ra = NULL;
    conn->ra_start = conn->ra_end = 0;
}

/* A fatal alert in a plaintext record, before mbedTLS has said a word. */
static void tls_conn_send_alert(const struct tls_conn *conn, uint8_t description)
{
    const unsigned char alert[] = {21, 3, 3, 0, 2, 2 /* fatal */, description};
    (void)!send(conn->fd, alert, sizeof alert, MSG_NOSIGNAL | MSG_DONTWAIT); /* best effort */
}

/* The first flight goes through the pre-reader (tls_hello.h says why),
 * which reads the socket until the ClientHello is whole; then what it
 * made becomes the read-ahead mbedTLS is served from. 0 once it has, or
 * what to tell mbedTLS (WANT_READ, EOF, an error, TLS_ERR_HELLO). */
static int tls_conn_hello_read(struct tls_conn *conn)
{
    struct tls_hello *h = &conn->hello;
    while (h->state == TLS_HELLO_READING) {
        unsigned char chunk[TLS_HELLO_READ];
        int n = tls_bio_recv_fd(conn, chunk, sizeof chunk);
        if (n <= 0)
            return n;
        if (tls_hello_feed(h, chunk, (size_t)n) == TLS_HELLO_REFUSED)
            tls_conn_send_alert(conn, h->alert);
    }
    if (h->state == TLS_HELLO_REFUSED)
        return TLS_ERR_HELLO;
    size_t len;
    unsigned char *bytes = tls_hello_take(h, &len);
    if (bytes && len > 0) {
        conn->ra = bytes; /* freed like any read-ahead once drained */
        conn->ra_start = 0;
        conn->ra_end = (uint32_t)len;
    } else {
        free(bytes);
    }
    return 0;
}

/* Serves mbedTLS from the read-ahead, refilled with one recv() when empty.
 * Only an empty read-ahead ever says WANT_READ, so epoll stays the truth
 * about when to read again (see tls_conn_read for mbedTLS's own WANT_READ). */
static int tls_bio_recv(void *arg, unsigned char *buf, size_t len)
{
    struct tls_conn *conn = arg;
    if (conn->hello.state != TLS_HELLO_DONE) {
        int r = tls_conn_hello_read(conn);
        if (r != 0)
            return r;
    }
    if (tls_ra_avail(conn) == 0) {
        if (len >= TLS_READAHEAD_LEN)
            return tls_bio_recv_fd(conn, buf, len); /* as big: no copy */
        if (conn->ra == NULL && (conn->ra = malloc(TLS_READAHEAD_LEN)) == NULL)
            return tls_bio_recv_fd(conn, buf, len); /* no memory: read as asked */
        int n = tls_bio_recv_fd(conn, conn->ra, TLS_READAHEAD_LEN);
        if (n <= 0) {
            tls_ra_release(conn); /* nothing came: a waiting connection holds none */
            return n;
        }
        conn->ra_start = 0;
        conn->ra_end = (uint32_t)n;
    }
    uint32_t n = tls_ra_avail(conn);
    if (len < n)
        n = (uint32_t)len;
    memcpy(buf, conn->ra + conn->ra_start, n);
    conn->ra_start += n;
    if (tls_ra_avail(conn) == 0)
        tls_ra_release(conn); /* drained: the common case, one request in one record */
    return (int)n;
}

struct tls_conn *tls_conn_new(struct tls_server *srv, int fd, const char *client)
{
    struct tls_conn *conn = calloc(1, sizeof *conn);
    if (conn == NULL)
        return NULL;
    mbedtls_ssl_init(&conn->ssl);
    if (mbedtls_ssl_setup(&conn->ssl, &srv->conf) != 0) {
        mbedtls_ssl_free(&conn->ssl);
        free(conn);
        return NULL;
    }
    tls_server_ref(srv);
    conn->srv = srv;
    conn->fd = fd;
    snprintf(conn->client, sizeof conn->client, "%s", client != NULL ? client : "");
    mbedtls_ssl_set_user_data_p(&conn->ssl, conn);
    mbedtls_ssl_set_bio(&conn->ssl, conn, tls_bio_send, tls_bio_recv, NULL);
    tls_hello_init(&conn->hello);
    return conn;
}

void tls_conn_free(struct tls_conn *conn)
{
    if (conn == NULL)
        return;
    /* Shrunk buffers need no restoring: mbedTLS frees them by their
     * recorded lengths (in_buf_len / out_buf_len). */
    mbedtls_ssl_free(&conn->ssl);
    tls_server_unref(conn->srv);
    free(conn->ra); /* ciphertext only: nothing to wipe */
    tls_hello_free(&conn->hello);
    free(conn);
}

/* One line per failed handshake, with the client's address. A client that
 * connected and left without a word (TCP health checks, scanners) is
 * counted but logged at debug level only, so it cannot flood the log. */
static void tls_conn_log_failure(const struct tls_conn *conn, enum tls_fail_reason reason)
{
    log_event(reason == TLS_FAIL_CLOSED ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, "tls_handshake_failed", "client",
              conn->client, "reason", tls_fail_reason_name(reason), "sni", conn->sni, "error", conn->error,
              (const char *)NULL);
}

/* Maps an mbedTLS result of a read/write/handshake to enum tls_io. */
static int tls_conn_result(struct tls_conn *conn, int ret)
{
    switch (ret) {
    case MBEDTLS_ERR_SSL_WANT_READ: return TLS_IO_WANT_READ;
    case MBEDTLS_ERR_SSL_WANT_WRITE: return TLS_IO_WANT_WRITE;
    case MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS:
    case MBEDTLS_ERR_SSL_ASYNC_IN_PROGRESS:
        return TLS_IO_WANT_READ; /* not enabled in our build; never blocks */
    }
    enum tls_fail_reason reason = TLS_FAIL_PROTOCOL;
    if (ret == TLS_ERR_HELLO) /* the pre-reader sent the alert */
        snprintf(conn->error, sizeof conn->error, "%s", conn->hello.why);
    else
        reason = tls_classify_error(conn, ret, conn->error, sizeof conn->error);
    if (!conn->established) {
        tls_count_failure(reason);
        tls_conn_log_failure(conn, reason);
        return TLS_IO_ERROR;
    }
    return reason == TLS_FAIL_CLOSED ? TLS_IO_CLOSED : TLS_IO_ERROR;
}

static void tls_conn_count_success(struct tls_conn *conn)
{
    conn->established = true;
    if (mbedtls_ssl_get_version_number(&conn->ssl) == MBEDTLS_SSL_VERSION_TLS1_3)
        atomic_fetch_add_explicit(&tls_stats.handshakes_tls13, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&tls_stats.handshakes_tls12, 1, memory_order_relaxed);
    if (!conn->full_handshake)
        atomic_fetch_add_explicit(&tls_stats.resumed, 1, memory_order_relaxed);
}

/* mbedTLS sends every handshake message with its own send(): corked, a
 * whole server flight leaves in one or two segments, and no message waits
 * for a delayed ACK behind Nagle. Always uncorked before returning. Fails
 * harmlessly on a socket that is not TCP. */
static void tls_conn_cork(const struct tls_conn *conn, int on)
{
    (void)setsockopt(conn->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
}

/* mbedtls_ssl_handshake() is this loop; we step ourselves to see whether
 * the server reached the Certificate state (a full handshake) or skipped it
 * (resumption with a ticket) -- mbedTLS has no getter for that. */
static int tls_conn_steps(struct tls_conn *conn)
{
    while (!mbedtls_ssl_is_handshake_over(&conn->ssl)) {
        int ret = mbedtls_ssl_handshake_step(&conn->ssl);
        if (conn->ssl.MBEDTLS_PRIVATE(state) == MBEDTLS_SSL_SERVER_CERTIFICATE)
            conn->full_handshake = true;
        if (ret != 0)
            return ret;
    }
    return 0;
}

/* mbedTLS answers WANT_READ also when it wants to be called again (a
 * record it skipped, a post-handshake message); with bytes still in the
 * read-ahead epoll would never say so, so call again while they last. Each
 * call consumes buffered bytes or returns something else; the bound is a
 * guard only. */
#define TLS_RA_RETRIES 64

static bool tls_ra_retry(const struct tls_conn *conn, int ret, unsigned *tries)
{
    return ret == MBEDTLS_ERR_SSL_WANT_READ && tls_ra_avail(conn) > 0 && ++*tries < TLS_RA_RETRIES;
}

int tls_conn_handshake(struct tls_conn *conn)
{
    if (conn->established)
        return TLS_IO_DONE;
    tls_signer_clear_failure();
    tls_conn_cork(conn, 1);
    int ret;
    unsigned tries = 0;
    do
        ret = tls_conn_steps(conn);
    while (tls_ra_retry(conn, ret, &tries));
    tls_conn_cork(conn, 0);
    if (ret != 0)
        return tls_conn_result(conn, ret);
    tls_conn_count_success(conn);
    return TLS_IO_DONE;
}

ssize_t tls_conn_read(struct tls_conn *conn, void *buf, size_t len)
{
    if (tls_idle_restore(conn) != 0)
        return TLS_IO_WANT_READ; /* out of memory: try again on the next event */
    int ret;
    unsigned tries = 0;
    do
        ret = mbedtls_ssl_read(&conn->ssl, buf, len);
    while (tls_ra_retry(conn, ret, &tries));
    if (ret > 0)
        return ret;
    if (ret == 0) /* mbedTLS 3 returns 0 only for an orderly close */
        ret = MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY;
    return tls_conn_result(conn, ret);
}

ssize_t tls_conn_write(struct tls_conn *conn, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (tls_idle_restore(conn) != 0)
        return TLS_IO_WANT_WRITE;
    int ret = mbedtls_ssl_write(&conn->ssl, buf, len);
    return ret > 0 ? ret : tls_conn_result(conn, ret);
}

_Static_assert(MBEDTLS_SSL_OUT_CONTENT_LEN == TLS_RECORD_PLAIN_MAX, "records as big as TLS allows");

size_t tls_conn_record_max(const struct tls_conn *conn)
{
    int n = mbedtls_ssl_get_max_out_record_payload(&conn->ssl);
    return n > 0 && n <= TLS_RECORD_PLAIN_MAX ? (size_t)n : TLS_RECORD_PLAIN_MAX;
}

size_t tls_conn_pending(const struct tls_conn *conn)
{
    return mbedtls_ssl_get_bytes_avail(&conn->ssl) + tls_ra_avail(conn);
}

void tls_conn_shutdown(struct tls_conn *conn)
{
    if (!conn->established || tls_idle_restore(conn) != 0)
        return;
    (void)mbedtls_ssl_close_notify(&conn->ssl); /* best effort: no retry */
}

size_t tls_conn_idle(struct tls_conn *conn)
{
    return conn->established ? tls_idle_shrink(conn) : 0;
}

size_t tls_conn_buffered(const struct tls_conn *conn)
{
    return conn->ssl.MBEDTLS_PRIVATE(in_buf_len) + conn->ssl.MBEDTLS_PRIVATE(out_buf_len);
}

const char *tls_conn_version(const struct tls_conn *conn)
{
    return conn->established ? mbedtls_ssl_get_version(&conn->ssl) : "";
}

const char *tls_conn_alpn(const struct tls_conn *conn)
{
    const char *p = conn->established ? mbedtls_ssl_get_alpn_protocol(&conn->ssl) : NULL;
    return p ? p : "";
}

/* OpenSSL's names for the suites we enable: what nginx and HAProxy logs
 * show, so operators compare like with like (mbedTLS's own differ). */
const char *tls_conn_cipher(const struct tls_conn *conn)
{
    static const struct {
        int id;
        const char *name;
    } names[] = {
        {MBEDTLS_TLS1_3_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256"},
        {MBEDTLS_TLS1_3_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384"},
        {MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256"},
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256"},
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384"},
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305"},
        {MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256"},
        {MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384"},
        {MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305"},
    };
    if (!conn->established)
        return "";
    int id = mbedtls_ssl_get_ciphersuite_id_from_ssl(&conn->ssl);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].id == id)
            return names[i].name;
    return mbedtls_ssl_get_ciphersuite(&conn->ssl);
}

const char *tls_conn_server_name(const struct tls_conn *conn)
{
    return conn->sni;
}

bool tls_conn_resumed(const struct tls_conn *conn)
{
    return conn->established && !conn->full_handshake;
}

const char *tls_conn_error(const struct tls_conn *conn)
{
    return conn->error;
}
