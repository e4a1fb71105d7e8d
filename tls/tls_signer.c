/*
 * tls_signer.c: where a server's private keys sign (see tls.h, "private
 * keys"): in this process (a tls_keyring), or in the key holder, through
 * an opaque PSA key whose driver is here.
 *
 * The opaque driver. A relay's certificate key is a PSA key in location
 * TLS_DRV_KEYHOLDER_LOCATION (tls_drv.h); its "material" is a 16-byte
 * reference (which signer, which key), never key bytes. mbedTLS signs the
 * TLS 1.2 ServerKeyExchange (mbedtls_pk_sign) and the TLS 1.3
 * CertificateVerify (mbedtls_pk_sign_ext) through psa_sign_hash() with it,
 * and PSA's driver wrappers (patched by tls/mbedtls-drivers.patch) send
 * that location to tls_drv_keyholder_sign_hash() below, which asks the key
 * holder over the calling thread's channel and waits for the answer, at
 * most the signer's timeout.
 *
 * Channels and threads. A channel is one socketpair to the key holder and
 * belongs to one thread (tls_server_bind_thread): one request at a time,
 * no lock. A restarted key holder brings new channels; the control thread
 * leaves each in its channel's `pending` slot and the owning thread swaps
 * it in (and closes the old one) at its next signature.
 */
#include "tls/tls_internal.h"
#include "tls/tls_keyring.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define TLS_KEYREF_MAGIC 0x52524b31u /* "RRK1" */
/* The first check of a key holder's keys, as a relay starts: nothing waits
 * behind it but the start, which has its own deadline in the parent. */
#define TLS_SIGNER_START_CHECK_MS 2000

/* What an opaque key holds: a reference, no key material. */
struct tls_keyref {
    uint32_t magic;
    uint32_t signer; /* tls_signer.id: a key signs only through its own signer */
    uint32_t key;    /* index of the key in the key holder */
    uint32_t reserved;
};

struct tls_chan {
    struct tls_signer *signer;
    int fd;           /* the owning thread's; -1: none */
    _Atomic int next; /* a new channel from a restarted key holder; -1: none */
    uint32_t seq;
    bool timed; /* fd has the signer's timeout as SO_RCVTIMEO: one blocking read may wait */
};

struct tls_signer {
    atomic_uint refs;
    struct tls_keyring *keyring; /* in process; NULL: a key holder */
    uint32_t id;
    unsigned timeout_ms;
    unsigned n_chans;
    struct tls_chan chans[];
};

struct tls_stats_keyholder tls_stats_keyholder;

static _Thread_local struct tls_chan *tls_thread_chan;
static _Thread_local enum tls_keyholder_result tls_thread_failure; /* TLS_KH_OK: none */

static const char *const tls_kh_names[TLS_KH_RESULT_COUNT] = {
    [TLS_KH_OK] = "ok", [TLS_KH_REFUSED] = "refused", [TLS_KH_TIMEOUT] = "timeout", [TLS_KH_ERROR] = "error"};

const char *tls_keyholder_result_name(enum tls_keyholder_result r)
{
    return (unsigned)r < TLS_KH_RESULT_COUNT ? tls_kh_names[r] : "error";
}

static void tls_kh_count(enum tls_keyholder_result r)
{
    atomic_fetch_add_explicit(&tls_stats_keyholder.requests[r], 1, memory_order_relaxed);
    if (r != TLS_KH_OK)
        tls_thread_failure = r;
}

/* A blocking read on the channel waits at most the signer's timeout:
 * the usual answer then costs one recv(), no poll() before it. */
static void tls_chan_set_fd(struct tls_chan *ch, int fd)
{
    unsigned ms = ch->signer->timeout_ms;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    ch->fd = fd;
    ch->timed = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
}

/* ---- signers --------------------------------------------------------------------------- */

struct tls_signer *tls_signer_local(const struct tls_config *cfg, char *err, size_t err_len)
{
    struct tls_signer *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, err_len, "tls: out of memory");
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->keyring = tls_keyring_load(cfg, err, err_len);
    if (s->keyring == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

struct tls_signer *tls_signer_keyholder(const int *fds, unsigned n, unsigned timeout_ms)
{
    if (n == 0 || n > TLS_SIGNER_CHANNELS_MAX)
        return NULL;
    struct tls_signer *s = calloc(1, sizeof *s + n * sizeof s->chans[0]);
    if (s == NULL)
        return NULL;
    atomic_init(&s->refs, 1);
    s->timeout_ms = timeout_ms;
    s->n_chans = n;
    static atomic_uint next_id = 1;
    s->id = atomic_fetch_add(&next_id, 1);
    for (unsigned i = 0; i < n; i++) {
        struct tls_chan *ch = &s->chans[i];
        ch->signer = s;
        tls_chan_set_fd(ch, fds[i]);
        atomic_init(&ch->next, -1);
        /* a late answer meant for an earlier relay's request never matches */
        if (getrandom(&ch->seq, sizeof ch->seq, 0) != sizeof ch->seq)
            ch->seq = (uint32_t)i * 0x9e3779b9u;
    }
    return s;
}

void tls_signer_ref(struct tls_signer *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void tls_signer_unref(struct tls_signer *s)
{
    if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (unsigned i = 0; i < s->n_chans; i++) {
        int next = atomic_exchange(&s->chans[i].next, -1);
        if (next >= 0)
            close(next);
        if (s->chans[i].fd >= 0)
            close(s->chans[i].fd);
    }
    tls_keyring_free(s->keyring);
    free(s);
}

void tls_signer_bind_thread(struct tls_signer *s, unsigned i)
{
    tls_thread_chan = s && s->n_chans ? &s->chans[i % s->n_chans] : NULL;
}

bool tls_signer_take_failure(char *text, size_t text_len)
{
    enum tls_keyholder_result r = tls_thread_failure;
    tls_thread_failure = TLS_KH_OK;
    if (r == TLS_KH_OK)
        return false;
    snprintf(text, text_len, "the key holder did not sign (%s)", tls_keyholder_result_name(r));
    return true;
}

void tls_signer_clear_failure(void)
{
    tls_thread_failure = TLS_KH_OK;
}

/* ---- one exchange with the key holder ----------------------------------------------------- */

static uint64_t tls_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void tls_chan_take_next(struct tls_chan *ch)
{
    int next = atomic_exchange(&ch->next, -1);
    if (next < 0)
        return;
    if (ch->fd >= 0)
        close(ch->fd);
    tls_chan_set_fd(ch, next);
}

/* One read: 1 the answer to seq (in *rep), 0 nothing yet or a late answer
 * to an earlier request (dropped), -1 closed (the key holder died) or
 * garbage. */
static int tls_chan_read(const struct tls_chan *ch, int flags, uint32_t seq, uint8_t *buf,
                         struct tls_keyrep *rep)
{
    ssize_t n = recv(ch->fd, buf, TLS_KEYREP_MAX, flags | MSG_TRUNC);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    const char *why;
    return n > 0 ? tls_keyrep_parse(buf, (size_t)n, seq, rep, &why) : -1;
}

/* Waits for the answer to seq until the deadline: one blocking read (at
 * most the socket's receive timeout), then, after a late answer or for a
 * longer deadline, poll and read until it. */
static enum tls_keyholder_result tls_chan_wait(const struct tls_chan *ch, uint32_t seq, uint64_t deadline,
                                               uint8_t *buf, struct tls_keyrep *rep)
{
    int got = tls_chan_read(ch, ch->timed ? 0 : MSG_DONTWAIT, seq, buf, rep);
    while (got == 0) {
        uint64_t now = tls_now_ms();
        if (now >= deadline)
            return TLS_KH_TIMEOUT;
        struct pollfd p = {.fd = ch->fd, .events = POLLIN};
        int rc = poll(&p, 1, (int)(deadline - now));
        if (rc < 0 && errno != EINTR)
            return TLS_KH_ERROR;
        if (rc > 0)
            got = tls_chan_read(ch, MSG_DONTWAIT, seq, buf, rep);
    }
    if (got < 0)
        return TLS_KH_ERROR;
    return rep->status == TLS_KEYREQ_OK ? TLS_KH_OK : TLS_KH_REFUSED;
}

/* One request and its answer on ch, bounded by timeout_ms. */
static enum tls_keyholder_result tls_chan_call(struct tls_chan *ch, struct tls_keyreq *req,
                                               unsigned timeout_ms, uint8_t *buf, struct tls_keyrep *rep)
{
    if (ch->fd < 0)
        return TLS_KH_ERROR;
    req->seq = ++ch->seq;
    uint64_t deadline = tls_now_ms() + timeout_ms;
    ssize_t sent = send(ch->fd, req, sizeof *req, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent != (ssize_t)sizeof *req) /* EAGAIN: it has not read the last ones */
        return sent < 0 && errno == EAGAIN ? TLS_KH_TIMEOUT : TLS_KH_ERROR;
    return tls_chan_wait(ch, req->seq, deadline, buf, rep);
}

/* The public half of key `key`, as the key holder on ch has it. */
static int tls_chan_public(struct tls_chan *ch, unsigned key, unsigned timeout_ms, uint8_t *out, size_t *len)
{
    uint8_t buf[TLS_KEYREP_MAX];
    struct tls_keyreq req;
    struct tls_keyrep rep;
    tls_keyreq_public(&req, 0, key);
    if (tls_chan_call(ch, &req, timeout_ms, buf, &rep) != TLS_KH_OK || rep.op != TLS_KEYREQ_PUBLIC)
        return -1;
    memcpy(out, rep.data, rep.len);
    *len = rep.len;
    return 0;
}

/* ---- the server's keys ------------------------------------------------------------------- */

/* The key holder's key `i` is the certificate's: the same public key. */
static int tls_signer_check(struct tls_chan *ch, unsigned timeout_ms, unsigned i,
                            const mbedtls_pk_context *cert_pk, const char *cert_file, char *err,
                            size_t err_len)
{
    uint8_t want[TLS_KEYREQ_DATA_MAX], have[TLS_KEYREQ_DATA_MAX];
    size_t want_len, have_len;
    if (tls_pk_spki(cert_pk, want, sizeof want, &want_len) != 0) {
        snprintf(err, err_len, "%s: cannot encode its public key", cert_file);
        return -1;
    }
    if (tls_chan_public(ch, i, timeout_ms, have, &have_len) != 0) {
        snprintf(err, err_len, "%s: the key holder does not answer for its key (index %u)", cert_file, i);
        return -1;
    }
    if (have_len != want_len || memcmp(have, want, want_len) != 0) {
        snprintf(err, err_len, "%s: the key holder's key %u is not this certificate's (files changed?)",
                 cert_file, i);
        return -1;
    }
    return 0;
}

/* An opaque key in the key holder's location for key i, shaped like the
 * certificate's public key. */
static int tls_signer_opaque(const struct tls_signer *s, unsigned i, const mbedtls_pk_context *cert_pk,
                             mbedtls_svc_key_id_t *id)
{
    enum tls_key_kind kind = tls_pk_kind(cert_pk);
    if (kind == TLS_KEY_KIND_NONE)
        return -1;
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    if (mbedtls_pk_get_psa_attributes(cert_pk, PSA_KEY_USAGE_VERIFY_HASH, &attr) != 0)
        return -1;
    psa_key_type_t pub = psa_get_key_type(&attr);
    psa_set_key_type(&attr, PSA_KEY_TYPE_IS_ECC(pub)
                                ? PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_KEY_TYPE_ECC_GET_FAMILY(pub))
                                : PSA_KEY_TYPE_RSA_KEY_PAIR);
    psa_set_key_lifetime(&attr, PSA_KEY_LIFETIME_FROM_PERSISTENCE_AND_LOCATION(PSA_KEY_PERSISTENCE_VOLATILE,
                                                                               TLS_DRV_KEYHOLDER_LOCATION));
    tls_key_policy(&attr, kind);
    struct tls_keyref ref = {.magic = TLS_KEYREF_MAGIC, .signer = s->id, .key = i};
    return psa_import_key(&attr, (const uint8_t *)&ref, sizeof ref, id) == PSA_SUCCESS ? 0 : -1;
}

int tls_signer_key(struct tls_signer *s, unsigned i, const mbedtls_pk_context *cert_pk, const char *cert_file,
                   mbedtls_svc_key_id_t *id, bool *owned, char *err, size_t err_len)
{
    *owned = s->keyring == NULL;
    if (s->keyring != NULL) {
        *id = tls_keyring_key_id(s->keyring, i);
        if (mbedtls_svc_key_id_is_null(*id)) {
            snprintf(err, err_len, "%s: no private key loaded for it", cert_file);
            return -1;
        }
        return 0;
    }
    unsigned wait_ms = s->timeout_ms > TLS_SIGNER_START_CHECK_MS ? s->timeout_ms : TLS_SIGNER_START_CHECK_MS;
    if (tls_signer_check(&s->chans[0], wait_ms, i, cert_pk, cert_file, err, err_len) != 0)
        return -1;
    if (tls_signer_opaque(s, i, cert_pk, id) != 0) {
        snprintf(err, err_len, "%s: cannot make the key holder's key %u known to PSA", cert_file, i);
        return -1;
    }
    return 0;
}

int tls_signer_replace(struct tls_signer *s, const int *fds, unsigned n, unsigned n_keys,
                       const mbedtls_pk_context *const *cert_pks, const char *const *cert_files, char *err,
                       size_t err_len)
{
    if (s->keyring != NULL || n != s->n_chans) {
        snprintf(err, err_len, "key holder: %u channels for %u workers", n, s->n_chans);
        return -1;
    }
    struct tls_chan probe = {.signer = s};
    tls_chan_set_fd(&probe, fds[0]);
    if (getrandom(&probe.seq, sizeof probe.seq, 0) != sizeof probe.seq)
        probe.seq = 0x5eed;
    for (unsigned i = 0; i < n_keys; i++)
        if (tls_signer_check(&probe, s->timeout_ms, i, cert_pks[i], cert_files[i], err, err_len) != 0)
            return -1;
    for (unsigned i = 0; i < n; i++) {
        int old = atomic_exchange(&s->chans[i].next, fds[i]);
        if (old >= 0)
            close(old);
    }
    return 0;
}

/* ---- the opaque driver's entry points (tls_drv.h) --------------------------------------------- */

psa_status_t tls_drv_keyholder_key_size(const psa_key_attributes_t *attributes, size_t *key_buffer_size)
{
    (void)attributes;
    *key_buffer_size = sizeof(struct tls_keyref);
    return PSA_SUCCESS;
}

psa_status_t tls_drv_keyholder_import(const psa_key_attributes_t *attributes, const uint8_t *data,
                                      size_t data_length, uint8_t *key_buffer, size_t key_buffer_size,
                                      size_t *key_buffer_length, size_t *bits)
{
    struct tls_keyref ref;
    if (data_length != sizeof ref || key_buffer_size < sizeof ref || psa_get_key_bits(attributes) == 0)
        return PSA_ERROR_INVALID_ARGUMENT;
    memcpy(&ref, data, sizeof ref);
    if (ref.magic != TLS_KEYREF_MAGIC || ref.key >= TLS_KEYREQ_KEYS_MAX)
        return PSA_ERROR_INVALID_ARGUMENT;
    memcpy(key_buffer, &ref, sizeof ref);
    *key_buffer_length = sizeof ref;
    *bits = psa_get_key_bits(attributes);
    return PSA_SUCCESS;
}

static psa_status_t tls_drv_keyholder_status(enum tls_keyholder_result r)
{
    switch (r) {
    case TLS_KH_OK: return PSA_SUCCESS;
    case TLS_KH_REFUSED: return PSA_ERROR_NOT_PERMITTED;
    default: return PSA_ERROR_COMMUNICATION_FAILURE;
    }
}

psa_status_t tls_drv_keyholder_sign_hash(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                         size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *hash,
                                         size_t hash_length, uint8_t *signature, size_t signature_size,
                                         size_t *signature_length)
{
    (void)attributes;
    struct tls_keyref ref;
    struct tls_chan *ch = tls_thread_chan;
    if (key_buffer_size != sizeof ref)
        return PSA_ERROR_CORRUPTION_DETECTED;
    memcpy(&ref, key_buffer, sizeof ref);
    if (ch == NULL || ch->signer->id != ref.signer) /* a thread without a channel of this signer */
        return tls_kh_count(TLS_KH_ERROR), PSA_ERROR_BAD_STATE;
    struct tls_keyreq req;
    if (tls_keyreq_sign(&req, 0, ref.key, tls_key_alg_from_psa(alg), hash, hash_length) != 0)
        return PSA_ERROR_NOT_SUPPORTED;
    tls_chan_take_next(ch);
    uint8_t buf[TLS_KEYREP_MAX];
    struct tls_keyrep rep;
    enum tls_keyholder_result r = tls_chan_call(ch, &req, ch->signer->timeout_ms, buf, &rep);
    if (r == TLS_KH_OK && (rep.op != TLS_KEYREQ_SIGN || rep.len > signature_size))
        r = TLS_KH_ERROR;
    tls_kh_count(r);
    if (r != TLS_KH_OK)
        return tls_drv_keyholder_status(r);
    memcpy(signature, rep.data, rep.len);
    *signature_length = rep.len;
    return PSA_SUCCESS;
}
