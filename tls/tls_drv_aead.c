/*
 * tls_drv_aead.c: AES-GCM and ChaCha20-Poly1305 in intel-ipsec-mb, the
 * aead_encrypt / aead_decrypt entry points of tls/tls_drv.h.
 *
 * Taken: AES-128/192/256-GCM and ChaCha20-Poly1305 with a 12-byte nonce
 * and a 16-byte tag (what TLS and the ticket keys use). Everything else
 * (other nonce or tag lengths, buffers too small, a ciphertext shorter than
 * its tag) goes to mbedTLS, which then returns its own error.
 *
 * Expanded keys. intel-ipsec-mb wants AES round keys and GHASH powers
 * (~95 ns to compute), and PSA hands a driver only the raw key of each
 * record. They are cached per PSA key, in a fixed table shared by all
 * threads: the slot is picked by the address of PSA's key buffer (stable
 * while the key lives; never by the key's bytes, so no key-dependent memory
 * access), and a hit also compares the key bytes in constant time, so a
 * new key at a reused address is never served an old expansion. A slot in
 * use by another thread is not waited for: the record then expands its key
 * on the stack. PSA tells us when a key's material is wiped
 * (tls_drv_forget_key, from the patched psa_remove_key_data_from_memory),
 * and its expansion is wiped with it: nothing of a closed connection's keys
 * stays behind. The table has TLS_DRV_GCM_SLOTS slots of ~1.1 KiB (BSS,
 * touched only when used): with more live keys than that, some records pay
 * the expansion again, nothing else.
 */
#include "tls/tls_drv_internal.h"

#include <intel-ipsec-mb.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#define TLS_DRV_AEAD_NONCE_LEN 12  /* TLS 1.2 and 1.3 (RFC 5288, 8446) */
#define TLS_DRV_AEAD_TAG_LEN   16  /* full-length tags only */
#define TLS_DRV_AEAD_KEY_MAX   32  /* AES-256, ChaCha20 */
#define TLS_DRV_GCM_SLOTS      256 /* power of two; ~2 keys per connection */
#define TLS_DRV_GCM_SLOT_BITS  8
/* intel-ipsec-mb's limit for one GCM message; mbedTLS's is 2^36 - 32 too */
#define TLS_DRV_GCM_MAX_LEN ((1ull << 36) - 32)

struct tls_drv_gcm_slot {
    atomic_bool busy;
    const uint8_t *owner; /* PSA's key buffer, NULL: empty */
    size_t key_len;
    uint8_t key[TLS_DRV_AEAD_KEY_MAX];
    _Alignas(64) struct gcm_key_data kd;
};

static struct tls_drv_gcm_slot tls_drv_gcm_cache[TLS_DRV_GCM_SLOTS];

/* What one call encrypts or decrypts: the PSA arguments, sorted. */
struct tls_drv_aead_job {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *nonce;
    const uint8_t *ad;
    size_t ad_len;
    const uint8_t *in;
    uint8_t *out;
    size_t len; /* plaintext length */
    uint8_t *tag;
};

static const uint8_t tls_drv_empty[1]; /* intel-ipsec-mb refuses NULL buffers */

static const uint8_t *tls_drv_nonnull(const uint8_t *p)
{
    return p != NULL ? p : tls_drv_empty;
}

/* ---- the expanded-key cache --------------------------------------------- */

static struct tls_drv_gcm_slot *tls_drv_gcm_slot_of(const uint8_t *key_buffer)
{
    uint64_t h = (uint64_t)(uintptr_t)key_buffer * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing */
    return &tls_drv_gcm_cache[h >> (64 - TLS_DRV_GCM_SLOT_BITS)];
}

static bool tls_drv_slot_try(struct tls_drv_gcm_slot *s)
{
    return !atomic_exchange_explicit(&s->busy, true, memory_order_acquire);
}

static void tls_drv_slot_wait(struct tls_drv_gcm_slot *s)
{
    while (!tls_drv_slot_try(s))
        sched_yield(); /* held for one record at most */
}

static void tls_drv_slot_release(struct tls_drv_gcm_slot *s)
{
    atomic_store_explicit(&s->busy, false, memory_order_release);
}

static void tls_drv_slot_wipe(struct tls_drv_gcm_slot *s)
{
    if (s->owner == NULL)
        return;
    mbedtls_platform_zeroize(s->key, sizeof s->key);
    mbedtls_platform_zeroize(&s->kd, sizeof s->kd);
    s->owner = NULL;
    s->key_len = 0;
}

static void tls_drv_gcm_expand(const uint8_t *key, size_t key_len, struct gcm_key_data *kd)
{
    const IMB_MGR *m = tls_crypto_imb();
    if (key_len == 16)
        IMB_AES128_GCM_PRE(m, key, kd);
    else if (key_len == 24)
        IMB_AES192_GCM_PRE(m, key, kd);
    else
        IMB_AES256_GCM_PRE(m, key, kd);
}

/* The slot (held) now has this key's expansion. */
static const struct gcm_key_data *tls_drv_slot_fill(struct tls_drv_gcm_slot *s, const uint8_t *key_buffer,
                                                    size_t key_len)
{
    if (s->owner == key_buffer && s->key_len == key_len &&
        mbedtls_ct_memcmp(s->key, key_buffer, key_len) == 0)
        return &s->kd;
    tls_drv_slot_wipe(s);
    tls_drv_gcm_expand(key_buffer, key_len, &s->kd);
    memcpy(s->key, key_buffer, key_len);
    s->key_len = key_len;
    s->owner = key_buffer;
    return &s->kd;
}

void tls_drv_forget_key(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                        size_t key_buffer_size)
{
    (void)key_buffer_size;
    if (psa_get_key_type(attributes) != PSA_KEY_TYPE_AES || key_buffer == NULL)
        return;
    struct tls_drv_gcm_slot *s = tls_drv_gcm_slot_of(key_buffer);
    tls_drv_slot_wait(s);
    if (s->owner == key_buffer)
        tls_drv_slot_wipe(s);
    tls_drv_slot_release(s);
}

void tls_drv_aead_forget_all(void)
{
    for (size_t i = 0; i < TLS_DRV_GCM_SLOTS; i++) {
        tls_drv_slot_wait(&tls_drv_gcm_cache[i]);
        tls_drv_slot_wipe(&tls_drv_gcm_cache[i]);
        tls_drv_slot_release(&tls_drv_gcm_cache[i]);
    }
}

void tls_drv_aead_after_fork(void)
{
    for (size_t i = 0; i < TLS_DRV_GCM_SLOTS; i++)
        atomic_store_explicit(&tls_drv_gcm_cache[i].busy, false, memory_order_relaxed);
}

/* ---- AES-GCM -------------------------------------------------------------- */

static void tls_drv_gcm_run(const struct gcm_key_data *kd, const struct tls_drv_aead_job *j, bool seal)
{
    const IMB_MGR *m = tls_crypto_imb();
    struct gcm_context_data ctx;
    const uint8_t *ad = tls_drv_nonnull(j->ad);
    const uint8_t *in = tls_drv_nonnull(j->in);
    uint8_t *out = j->len != 0 ? j->out : j->tag; /* not written when len is 0 */
    if (j->key_len == 16 && seal)
        IMB_AES128_GCM_ENC(m, kd, &ctx, out, in, j->len, j->nonce, ad, j->ad_len, j->tag,
                           TLS_DRV_AEAD_TAG_LEN);
    else if (j->key_len == 16)
        IMB_AES128_GCM_DEC(m, kd, &ctx, out, in, j->len, j->nonce, ad, j->ad_len, j->tag,
                           TLS_DRV_AEAD_TAG_LEN);
    else if (j->key_len == 24 && seal)
        IMB_AES192_GCM_ENC(m, kd, &ctx, out, in, j->len, j->nonce, ad, j->ad_len, j->tag,
                           TLS_DRV_AEAD_TAG_LEN);
    else if (j->key_len == 24)
        IMB_AES192_GCM_DEC(m, kd, &ctx, out, in, j->len, j->nonce, ad, j->ad_len, j->tag,
                           TLS_DRV_AEAD_TAG_LEN);
    else if (seal)
        IMB_AES256_GCM_ENC(m, kd, &ctx, out, in, j->len, j->nonce, ad, j->ad_len, j->tag,
                           TLS_DRV_AEAD_TAG_LEN);
    else
        IMB_AES256_GCM_DEC(m, kd, &ctx, out, in, j->len, j->nonce, ad, j->ad_len, j->tag,
                           TLS_DRV_AEAD_TAG_LEN);
    mbedtls_platform_zeroize(&ctx, sizeof ctx); /* holds key stream */
}

static void tls_drv_gcm(const struct tls_drv_aead_job *j, bool seal)
{
    struct tls_drv_gcm_slot *s = tls_drv_gcm_slot_of(j->key);
    if (tls_drv_slot_try(s)) {
        tls_drv_gcm_run(tls_drv_slot_fill(s, j->key, j->key_len), j, seal);
        tls_drv_slot_release(s);
        return;
    }
    _Alignas(64) struct gcm_key_data kd; /* the slot is busy: expand here */
    tls_drv_gcm_expand(j->key, j->key_len, &kd);
    tls_drv_gcm_run(&kd, j, seal);
    mbedtls_platform_zeroize(&kd, sizeof kd);
}

/* ---- ChaCha20-Poly1305 ---------------------------------------------------- */

static void tls_drv_chachapoly(const struct tls_drv_aead_job *j, bool seal)
{
    const IMB_MGR *m = tls_crypto_imb();
    struct chacha20_poly1305_context_data ctx;
    IMB_CHACHA20_POLY1305_INIT(m, j->key, &ctx, j->nonce, tls_drv_nonnull(j->ad), j->ad_len);
    if (j->len != 0 && seal)
        IMB_CHACHA20_POLY1305_ENC_UPDATE(m, j->key, &ctx, j->out, j->in, j->len);
    else if (j->len != 0)
        IMB_CHACHA20_POLY1305_DEC_UPDATE(m, j->key, &ctx, j->out, j->in, j->len);
    IMB_CHACHA20_POLY1305_ENC_FINALIZE(m, &ctx, j->tag, TLS_DRV_AEAD_TAG_LEN); /* same for both directions */
    mbedtls_platform_zeroize(&ctx, sizeof ctx);
}

/* ---- entry points --------------------------------------------------------- */

/* Which primitive takes this key and algorithm; TLS_CRYPTO_PRIM_COUNT: none. */
static enum tls_crypto_prim tls_drv_aead_prim(const psa_key_attributes_t *attributes, size_t key_len,
                                              psa_algorithm_t alg, size_t nonce_len)
{
    psa_key_type_t type = psa_get_key_type(attributes);
    size_t bits = psa_get_key_bits(attributes);
    if (nonce_len != TLS_DRV_AEAD_NONCE_LEN || key_len * 8 != bits)
        return TLS_CRYPTO_PRIM_COUNT;
    if (alg == PSA_ALG_GCM && type == PSA_KEY_TYPE_AES && (bits == 128 || bits == 192 || bits == 256) &&
        tls_crypto_on(TLS_CRYPTO_AES_GCM))
        return TLS_CRYPTO_AES_GCM;
    if (alg == PSA_ALG_CHACHA20_POLY1305 && type == PSA_KEY_TYPE_CHACHA20 && bits == 256 &&
        tls_crypto_on(TLS_CRYPTO_CHACHA20_POLY1305))
        return TLS_CRYPTO_CHACHA20_POLY1305;
    return TLS_CRYPTO_PRIM_COUNT;
}

static void tls_drv_aead_run(enum tls_crypto_prim prim, const struct tls_drv_aead_job *j, bool seal)
{
    if (prim == TLS_CRYPTO_AES_GCM)
        tls_drv_gcm(j, seal);
    else
        tls_drv_chachapoly(j, seal);
    if (prim == TLS_CRYPTO_AES_GCM)
        tls_crypto_count(seal ? TLS_CRYPTO_OP_GCM_SEAL : TLS_CRYPTO_OP_GCM_OPEN);
    else
        tls_crypto_count(seal ? TLS_CRYPTO_OP_CHACHAPOLY_SEAL : TLS_CRYPTO_OP_CHACHAPOLY_OPEN);
}

psa_status_t tls_drv_aead_encrypt(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                  size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *nonce,
                                  size_t nonce_length, const uint8_t *additional_data,
                                  size_t additional_data_length, const uint8_t *plaintext,
                                  size_t plaintext_length, uint8_t *ciphertext, size_t ciphertext_size,
                                  size_t *ciphertext_length)
{
    enum tls_crypto_prim prim = tls_drv_aead_prim(attributes, key_buffer_size, alg, nonce_length);
    if (prim == TLS_CRYPTO_PRIM_COUNT || plaintext_length > TLS_DRV_GCM_MAX_LEN ||
        ciphertext_size < plaintext_length + TLS_DRV_AEAD_TAG_LEN)
        return PSA_ERROR_NOT_SUPPORTED;
    struct tls_drv_aead_job j = {
        .key = key_buffer,
        .key_len = key_buffer_size,
        .nonce = nonce,
        .ad = additional_data,
        .ad_len = additional_data_length,
        .in = plaintext,
        .out = ciphertext,
        .len = plaintext_length,
        .tag = ciphertext + plaintext_length,
    };
    tls_drv_aead_run(prim, &j, true);
    *ciphertext_length = plaintext_length + TLS_DRV_AEAD_TAG_LEN;
    return PSA_SUCCESS;
}

psa_status_t tls_drv_aead_decrypt(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                  size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *nonce,
                                  size_t nonce_length, const uint8_t *additional_data,
                                  size_t additional_data_length, const uint8_t *ciphertext,
                                  size_t ciphertext_length, uint8_t *plaintext, size_t plaintext_size,
                                  size_t *plaintext_length)
{
    enum tls_crypto_prim prim = tls_drv_aead_prim(attributes, key_buffer_size, alg, nonce_length);
    if (prim == TLS_CRYPTO_PRIM_COUNT || ciphertext_length < TLS_DRV_AEAD_TAG_LEN ||
        ciphertext_length - TLS_DRV_AEAD_TAG_LEN > plaintext_size ||
        ciphertext_length - TLS_DRV_AEAD_TAG_LEN > TLS_DRV_GCM_MAX_LEN)
        return PSA_ERROR_NOT_SUPPORTED;
    size_t len = ciphertext_length - TLS_DRV_AEAD_TAG_LEN;
    uint8_t expected[TLS_DRV_AEAD_TAG_LEN], computed[TLS_DRV_AEAD_TAG_LEN];
    memcpy(expected, ciphertext + len, sizeof expected); /* before the output can touch it */
    struct tls_drv_aead_job j = {
        .key = key_buffer,
        .key_len = key_buffer_size,
        .nonce = nonce,
        .ad = additional_data,
        .ad_len = additional_data_length,
        .in = ciphertext,
        .out = plaintext,
        .len = len,
        .tag = computed,
    };
    tls_drv_aead_run(prim, &j, false);
    int diff = mbedtls_ct_memcmp(expected, computed, sizeof computed);
    mbedtls_platform_zeroize(computed, sizeof computed);
    if (diff != 0)
        return PSA_ERROR_INVALID_SIGNATURE; /* PSA wipes the output, as for mbedTLS's own */
    *plaintext_length = len;
    return PSA_SUCCESS;
}
