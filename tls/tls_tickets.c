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

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/random.h>

struct tls_tickets {
    atomic_uint refs;
    uint32_t lifetime_s;
    /* mbedtls_ssl_ticket_rotate does not take the context's own mutex:
     * handshakes (write/parse) hold this for reading, a rotation for writing */
    pthread_rwlock_t keys_lock;
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
    pthread_rwlock_init(&t->keys_lock, NULL);
    mbedtls_ssl_ticket_init(&t->ctx);
    if (mbedtls_ssl_ticket_setup(&t->ctx, tls_rng, tls_rng_ctx(), MBEDTLS_CIPHER_AES_256_GCM, lifetime_s) !=
        0) {
        mbedtls_ssl_ticket_free(&t->ctx);
        pthread_rwlock_destroy(&t->keys_lock);
        free(t);
        return NULL;
    }
    return t;
}

void tls_tickets_unref(struct tls_tickets *t)
{
    if (t != NULL && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
        mbedtls_ssl_ticket_free(&t->ctx);
        pthread_rwlock_destroy(&t->keys_lock);
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

/* A TLS 1.2 resumption reuses the old master secret without a new ECDHE,
 * so whoever gets a ticket key can decrypt every session resumed with it;
 * TLS 1.3 tickets always resume with a fresh ECDHE (psk_dhe_ke). */
static bool ticket_refused(const struct tls_server *srv, const mbedtls_ssl_session *session)
{
    return !srv->tickets_tls12 && session->tls_version == MBEDTLS_SSL_VERSION_TLS1_2;
}

static int tls_tickets_write(void *arg, const mbedtls_ssl_session *session, unsigned char *start,
                             const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
    const struct tls_server *srv = arg;
    struct tls_tickets *t = srv->tickets;
    if (ticket_refused(srv, session))
        return MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE; /* mbedTLS sends an empty ticket */
    pthread_rwlock_rdlock(&t->keys_lock);
    int rc = mbedtls_ssl_ticket_write(&t->ctx, session, start, end, tlen, lifetime);
    pthread_rwlock_unlock(&t->keys_lock);
    return rc;
}

static int tls_tickets_parse(void *arg, mbedtls_ssl_session *session, unsigned char *buf, size_t len)
{
    const struct tls_server *srv = arg;
    struct tls_tickets *t = srv->tickets;
    pthread_rwlock_rdlock(&t->keys_lock);
    int rc = mbedtls_ssl_ticket_parse(&t->ctx, session, buf, len);
    pthread_rwlock_unlock(&t->keys_lock);
    if (rc == 0 && ticket_refused(srv, session))
        return MBEDTLS_ERR_SSL_INVALID_MAC; /* one issued before the change: a full handshake */
    return rc;
}

void tls_tickets_attach(struct tls_server *srv)
{
    mbedtls_ssl_conf_session_tickets_cb(&srv->conf, tls_tickets_write, tls_tickets_parse, srv);
}

/* ---- keys from the parent ---------------------------------------------------- */

int tls_ticket_key_generate(struct tls_ticket_key *out)
{
    uint8_t *p = (uint8_t *)out;
    size_t done = 0;
    while (done < sizeof *out) {
        ssize_t n = getrandom(p + done, sizeof *out - done, 0);
        if (n < 0 && errno != EINTR)
            return -1;
        done += n > 0 ? (size_t)n : 0;
    }
    return 0;
}

void tls_ticket_keys_rotate(struct tls_ticket_keys *keys, const struct tls_ticket_key *fresh)
{
    keys->previous = keys->current;
    keys->current = *fresh;
}

/* mbedtls_ssl_ticket_rotate fills the inactive slot and makes it active:
 * previous first, then current, leaves exactly these two. */
int tls_server_set_ticket_keys(struct tls_server *srv, const struct tls_ticket_keys *keys)
{
    struct tls_tickets *t = srv->tickets;
    if (t == NULL)
        return 0;
    uint64_t life = (uint64_t)t->lifetime_s + TLS_TICKET_ROTATE_SLACK_S;
    uint32_t key_life = (uint32_t)(life < TLS_TICKET_LIFETIME_MAX_S ? life : TLS_TICKET_LIFETIME_MAX_S);
    pthread_rwlock_wrlock(&t->keys_lock);
    int rc = mbedtls_ssl_ticket_rotate(&t->ctx, keys->previous.name, TLS_TICKET_NAME_LEN, keys->previous.key,
                                       TLS_TICKET_KEY_LEN, key_life);
    if (rc == 0)
        rc = mbedtls_ssl_ticket_rotate(&t->ctx, keys->current.name, TLS_TICKET_NAME_LEN, keys->current.key,
                                       TLS_TICKET_KEY_LEN, key_life);
    pthread_rwlock_unlock(&t->keys_lock);
    return rc == 0 ? 0 : -1;
}
