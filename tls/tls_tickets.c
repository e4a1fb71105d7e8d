/*
 * tls_tickets.c: the session-ticket keys, one set per process, shared by
 * every tls_server built with the same ticket lifetime.
 *
 * A SIGHUP reload builds a new tls_server; if it made new ticket keys too,
 * every client would fall back to a full handshake at once (2-4x the CPU of
 * a resumption) although nothing about the keys changed. So the keys live
 * here: a reload with the same lifetime reuses them, a different lifetime
 * starts a fresh set. mbedTLS's ticket context rotates the key every
 * lifetime by itself and keeps the previous one, and locks itself
 * (MBEDTLS_THREADING_C), so sharing it between threads and servers is safe.
 */
#include "tls/tls_internal.h"

#include <pthread.h>
#include <stdlib.h>

struct tls_tickets {
    atomic_uint refs;
    uint32_t lifetime_s;
    mbedtls_ssl_ticket_context ctx;
};

static pthread_mutex_t tls_tickets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_tickets *tls_tickets_current; /* holds one reference */

static struct tls_tickets *tls_tickets_create(uint32_t lifetime_s)
{
    struct tls_tickets *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    atomic_init(&t->refs, 1);
    t->lifetime_s = lifetime_s;
    mbedtls_ssl_ticket_init(&t->ctx);
    if (mbedtls_ssl_ticket_setup(&t->ctx, tls_rng, tls_rng_ctx(), MBEDTLS_CIPHER_AES_256_GCM,
                                 lifetime_s) != 0) {
        mbedtls_ssl_ticket_free(&t->ctx);
        free(t);
        return NULL;
    }
    return t;
}

void tls_tickets_unref(struct tls_tickets *t)
{
    if (t != NULL && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
        mbedtls_ssl_ticket_free(&t->ctx);
        free(t);
    }
}

struct tls_tickets *tls_tickets_get(uint32_t lifetime_s)
{
    pthread_mutex_lock(&tls_tickets_lock);
    struct tls_tickets *t = tls_tickets_current;
    if (t == NULL || t->lifetime_s != lifetime_s) {
        t = tls_tickets_create(lifetime_s);
        if (t != NULL) {
            tls_tickets_unref(tls_tickets_current);
            tls_tickets_current = t;
        }
    }
    if (t != NULL)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&tls_tickets_lock);
    return t;
}

void tls_tickets_attach(struct tls_tickets *t, mbedtls_ssl_config *conf)
{
    mbedtls_ssl_conf_session_tickets_cb(conf, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse,
                                        &t->ctx);
}
