/*
 * tls_idle.c: hand the record buffers of an idle keep-alive connection back
 * to the allocator, and take them again before the next read or write.
 *
 * mbedTLS allocates a 16 KiB input and a 16 KiB output buffer per
 * connection for its whole life; MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH only
 * shrinks them when a client negotiated a smaller maximum fragment length,
 * which browsers do not. Its resize routine is internal, so this file does
 * the same thing on the same private fields: when no record is half read,
 * half written or unread, both buffers are reallocated to a few bytes that
 * keep what must survive (for TLS the incoming record sequence number lives
 * in the first 8 bytes of the input buffer), and every record pointer is
 * moved by the same offsets. tls_idle_restore() reverses it.
 */
#include "tls/tls_internal.h"

#include <mbedtls/platform_util.h>
#include <stdlib.h>
#include <string.h>

/* What an idle buffer keeps: the 8-byte sequence number, the 5-byte record
 * header and the explicit IV/nonce area the pointers refer to. */
#define TLS_IDLE_BUF_LEN 32

/* Every record pointer is an offset into its buffer; keep the offsets. */
struct tls_idle_offsets {
    size_t in_ctr, in_hdr, in_len, in_iv, in_msg;
    size_t out_ctr, out_hdr, out_len, out_iv, out_msg;
};

static void tls_idle_save(const mbedtls_ssl_context *s, struct tls_idle_offsets *o)
{
    o->in_ctr = (size_t)(s->MBEDTLS_PRIVATE(in_ctr) - s->MBEDTLS_PRIVATE(in_buf));
    o->in_hdr = (size_t)(s->MBEDTLS_PRIVATE(in_hdr) - s->MBEDTLS_PRIVATE(in_buf));
    o->in_len = (size_t)(s->MBEDTLS_PRIVATE(in_len) - s->MBEDTLS_PRIVATE(in_buf));
    o->in_iv = (size_t)(s->MBEDTLS_PRIVATE(in_iv) - s->MBEDTLS_PRIVATE(in_buf));
    o->in_msg = (size_t)(s->MBEDTLS_PRIVATE(in_msg) - s->MBEDTLS_PRIVATE(in_buf));
    o->out_ctr = (size_t)(s->MBEDTLS_PRIVATE(out_ctr) - s->MBEDTLS_PRIVATE(out_buf));
    o->out_hdr = (size_t)(s->MBEDTLS_PRIVATE(out_hdr) - s->MBEDTLS_PRIVATE(out_buf));
    o->out_len = (size_t)(s->MBEDTLS_PRIVATE(out_len) - s->MBEDTLS_PRIVATE(out_buf));
    o->out_iv = (size_t)(s->MBEDTLS_PRIVATE(out_iv) - s->MBEDTLS_PRIVATE(out_buf));
    o->out_msg = (size_t)(s->MBEDTLS_PRIVATE(out_msg) - s->MBEDTLS_PRIVATE(out_buf));
}

static void tls_idle_apply(mbedtls_ssl_context *s, const struct tls_idle_offsets *o)
{
    unsigned char *in = s->MBEDTLS_PRIVATE(in_buf), *out = s->MBEDTLS_PRIVATE(out_buf);
    s->MBEDTLS_PRIVATE(in_ctr) = in + o->in_ctr;
    s->MBEDTLS_PRIVATE(in_hdr) = in + o->in_hdr;
    s->MBEDTLS_PRIVATE(in_len) = in + o->in_len;
    s->MBEDTLS_PRIVATE(in_iv) = in + o->in_iv;
    s->MBEDTLS_PRIVATE(in_msg) = in + o->in_msg;
    s->MBEDTLS_PRIVATE(out_ctr) = out + o->out_ctr;
    s->MBEDTLS_PRIVATE(out_hdr) = out + o->out_hdr;
    s->MBEDTLS_PRIVATE(out_len) = out + o->out_len;
    s->MBEDTLS_PRIVATE(out_iv) = out + o->out_iv;
    s->MBEDTLS_PRIVATE(out_msg) = out + o->out_msg;
}

static size_t tls_idle_max_offset(const struct tls_idle_offsets *o)
{
    size_t m = 0;
    const size_t all[] = {o->in_ctr,  o->in_hdr,  o->in_len,  o->in_iv,  o->in_msg,
                          o->out_ctr, o->out_hdr, o->out_len, o->out_iv, o->out_msg};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        m = all[i] > m ? all[i] : m;
    return m;
}

/* Only between records: nothing half read, unread, half written. */
static bool tls_idle_quiet(const mbedtls_ssl_context *s)
{
    return s->MBEDTLS_PRIVATE(in_left) == 0 && s->MBEDTLS_PRIVATE(in_offt) == NULL &&
           s->MBEDTLS_PRIVATE(in_msglen) == 0 && s->MBEDTLS_PRIVATE(keep_current_message) == 0 &&
           s->MBEDTLS_PRIVATE(out_left) == 0 && s->MBEDTLS_PRIVATE(in_buf) != NULL &&
           s->MBEDTLS_PRIVATE(out_buf) != NULL;
}

/* Both new buffers are allocated before anything changes, so a failure
 * leaves the connection exactly as it was. */
static int tls_idle_resize(mbedtls_ssl_context *s, size_t in_len, size_t out_len)
{
    struct tls_idle_offsets o;
    tls_idle_save(s, &o);
    size_t keep = tls_idle_max_offset(&o) + 1;
    if (keep > TLS_IDLE_BUF_LEN)
        return -1;
    unsigned char *in = calloc(1, in_len), *out = calloc(1, out_len);
    if (in == NULL || out == NULL) {
        free(in);
        free(out);
        return -1;
    }
    memcpy(in, s->MBEDTLS_PRIVATE(in_buf), keep);
    memcpy(out, s->MBEDTLS_PRIVATE(out_buf), keep);
    /* mbedTLS allocates with the default calloc/free (no PLATFORM_MEMORY). */
    mbedtls_platform_zeroize(s->MBEDTLS_PRIVATE(in_buf), s->MBEDTLS_PRIVATE(in_buf_len));
    mbedtls_platform_zeroize(s->MBEDTLS_PRIVATE(out_buf), s->MBEDTLS_PRIVATE(out_buf_len));
    free(s->MBEDTLS_PRIVATE(in_buf));
    free(s->MBEDTLS_PRIVATE(out_buf));
    s->MBEDTLS_PRIVATE(in_buf) = in;
    s->MBEDTLS_PRIVATE(in_buf_len) = in_len;
    s->MBEDTLS_PRIVATE(out_buf) = out;
    s->MBEDTLS_PRIVATE(out_buf_len) = out_len;
    tls_idle_apply(s, &o);
    return 0;
}

size_t tls_idle_shrink(struct tls_conn *conn)
{
    mbedtls_ssl_context *s = &conn->ssl;
    if (conn->shrunk || !tls_idle_quiet(s))
        return 0;
    size_t in_full = s->MBEDTLS_PRIVATE(in_buf_len), out_full = s->MBEDTLS_PRIVATE(out_buf_len);
    if (tls_idle_resize(s, TLS_IDLE_BUF_LEN, TLS_IDLE_BUF_LEN) != 0)
        return 0;
    conn->in_full_len = in_full;
    conn->out_full_len = out_full;
    conn->shrunk = true;
    return in_full + out_full - 2 * TLS_IDLE_BUF_LEN;
}

int tls_idle_restore(struct tls_conn *conn)
{
    if (!conn->shrunk)
        return 0;
    if (tls_idle_resize(&conn->ssl, conn->in_full_len, conn->out_full_len) != 0)
        return -1;
    conn->shrunk = false;
    return 0;
}
