/*
 * conn_tls: the TLS client of fuzz_conn.c's HTTPS connections. mbedTLS is
 * built without client code, so this is OpenSSL, over two memory BIOs:
 * the records it writes go through the client's wire queue (the first
 * one, the ClientHello, cut into records of c->frag bytes when asked, as
 * RFC 8446 section 5.1 allows), what the socket brings is written into its
 * read BIO, and the plaintext it reads goes to the client's oracle. No
 * certificate check: the server is the one under test, not the client.
 */
#include "tests/fuzz/conn_peers.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>

#define FZ_TLS_RECORD_HDR 5
#define FZ_TLS_IO_CHUNK   16384

static SSL_CTX *fz_ctx;

/* OpenSSL's own memory comes from glibc's allocator, not ASan's. OpenSSL
 * is not instrumented (ASan checks none of its accesses), yet it makes
 * hundreds of small allocations per handshake, and through ASan each one
 * costs a stack unwind and a quarantine slot: measured, 40% of the TLS
 * client's time. Nothing of ours points into that memory, nor it into ours
 * (its BIOs copy), so LeakSanitizer, which does not scan glibc's heap,
 * loses nothing. The gateway's own allocations (mbedTLS included) stay
 * ASan's. */
extern void *__libc_malloc(size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static void *fz_ossl_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return __libc_malloc(n);
}

static void *fz_ossl_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return __libc_realloc(p, n);
}

static void fz_ossl_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    __libc_free(p);
}

bool fz_tls_init(void)
{
    /* before OpenSSL's first allocation, or it refuses (and keeps ASan's) */
    CRYPTO_set_mem_functions(fz_ossl_malloc, fz_ossl_realloc, fz_ossl_free);
    fz_ctx = SSL_CTX_new(TLS_client_method());
    if (!fz_ctx)
        return false;
    SSL_CTX_set_verify(fz_ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_min_proto_version(fz_ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(fz_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return true;
}

bool fz_tls_open(struct fz_client *c, bool tls12_only)
{
    SSL *ssl = SSL_new(fz_ctx);
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    if (!ssl || !rb || !wb) {
        SSL_free(ssl);
        BIO_free(rb);
        BIO_free(wb);
        return false;
    }
    SSL_set_bio(ssl, rb, wb); /* the SSL owns both from here */
    SSL_set_connect_state(ssl);
    SSL_set_tlsext_host_name(ssl, CONN_HARNESS_TLS_NAME);
    if (tls12_only)
        SSL_set_max_proto_version(ssl, TLS1_2_VERSION);
    if (c->kind == FZ_H2)
        SSL_set_alpn_protos(ssl, (const unsigned char *)"\x02h2", 3);
    c->ssl = ssl;
    return true;
}

void fz_tls_free(struct fz_client *c)
{
    SSL_free(c->ssl);
    c->ssl = NULL;
    ERR_clear_error();
}

/* The first record (the ClientHello) again as records of c->frag bytes. */
static void fz_tls_split_hello(struct fz_client *c, const unsigned char *p, size_t n)
{
    size_t len = n >= FZ_TLS_RECORD_HDR ? (size_t)p[3] << 8 | p[4] : 0;
    if (c->frag == 0 || p[0] != 22 || FZ_TLS_RECORD_HDR + len > n) {
        fz_buf_add(&c->wire, p, n, true);
        return;
    }
    for (size_t off = 0; off < len; off += c->frag) {
        size_t k = len - off < c->frag ? len - off : c->frag;
        unsigned char hdr[FZ_TLS_RECORD_HDR] = {22, p[1], p[2], (unsigned char)(k >> 8), (unsigned char)k};
        fz_buf_add(&c->wire, hdr, sizeof hdr, true);
        fz_buf_add(&c->wire, p + FZ_TLS_RECORD_HDR + off, k, true);
    }
    fz_buf_add(&c->wire, p + FZ_TLS_RECORD_HDR + len, n - FZ_TLS_RECORD_HDR - len, true);
}

/* What OpenSSL wrote, into the wire queue. */
static bool fz_tls_records_out(struct fz_client *c)
{
    BIO *wb = SSL_get_wbio(c->ssl);
    unsigned char buf[FZ_TLS_IO_CHUNK];
    bool moved = false;
    int n;
    while ((n = BIO_read(wb, buf, sizeof buf)) > 0) {
        if (!c->hello_sent)
            fz_tls_split_hello(c, buf, (size_t)n);
        else
            fz_buf_add(&c->wire, buf, (size_t)n, true);
        c->hello_sent = true;
        moved = true;
    }
    return moved;
}

static bool fz_tls_fatal(SSL *ssl, int r)
{
    int e = SSL_get_error(ssl, r);
    return e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
}

bool fz_tls_progress(struct fz_client *c)
{
    SSL *ssl = c->ssl;
    if (!SSL_is_init_finished(ssl)) {
        int r = SSL_do_handshake(ssl);
        if (r <= 0 && fz_tls_fatal(ssl, r))
            c->tls_dead = true; /* the gateway refused it: it will close */
    }
    bool moved = false;
    while (!c->tls_dead && SSL_is_init_finished(ssl) && c->app.off < c->app.release) {
        size_t k = c->app.release - c->app.off;
        int n = SSL_write(ssl, c->app.data + c->app.off, (int)(k < FZ_TLS_IO_CHUNK ? k : FZ_TLS_IO_CHUNK));
        if (n <= 0) {
            c->tls_dead = fz_tls_fatal(ssl, n);
            break;
        }
        fz_trace("client", c->conn, "sent", c->app.data + c->app.off, (size_t)n);
        c->app.off += (size_t)n;
        moved = true;
    }
    return fz_tls_records_out(c) || moved;
}

bool fz_tls_input(struct fz_client *c, const char *data, size_t len)
{
    if (!c->ssl || c->tls_dead)
        return len > 0;
    BIO_write(SSL_get_rbio(c->ssl), data, (int)len);
    fz_tls_progress(c); /* the handshake may go on with what came */
    char buf[FZ_TLS_IO_CHUNK];
    int n;
    while (!c->tls_dead && SSL_is_init_finished(c->ssl) && (n = SSL_read(c->ssl, buf, sizeof buf)) != 0) {
        if (n < 0) {
            c->tls_dead = fz_tls_fatal(c->ssl, n);
            break;
        }
        fz_client_feed(c, buf, (size_t)n);
    }
    fz_tls_records_out(c);
    return true;
}

void fz_tls_shutdown(struct fz_client *c)
{
    if (c->ssl && !c->tls_dead && SSL_is_init_finished(c->ssl))
        SSL_shutdown(c->ssl); /* close_notify into the wire queue */
    if (c->ssl)
        fz_tls_records_out(c);
}
