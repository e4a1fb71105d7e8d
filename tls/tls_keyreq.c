/*
 * tls_keyreq: encoding and checking of the key holder's requests and
 * answers. Pure; see tls_keyreq.h.
 */
#include "tls/tls_keyreq.h"

#include <string.h>

_Static_assert(TLS_KEYREQ_SIZE == 80, "a request has one fixed size, without padding");
_Static_assert(sizeof(struct tls_keyrep_header) == 16, "answer header without padding");

#define TLS_KEYREQ_SHA256_LEN 32
#define TLS_KEYREQ_SHA384_LEN 48
#define TLS_KEYREQ_SHA512_LEN 64

size_t tls_key_alg_hash_len(enum tls_key_alg alg)
{
    switch (alg) {
    case TLS_KEY_ALG_ECDSA_SHA256:
    case TLS_KEY_ALG_RSA_PKCS1_SHA256:
    case TLS_KEY_ALG_RSA_PSS_SHA256: return TLS_KEYREQ_SHA256_LEN;
    case TLS_KEY_ALG_ECDSA_SHA384:
    case TLS_KEY_ALG_RSA_PKCS1_SHA384:
    case TLS_KEY_ALG_RSA_PSS_SHA384: return TLS_KEYREQ_SHA384_LEN;
    case TLS_KEY_ALG_ECDSA_SHA512:
    case TLS_KEY_ALG_RSA_PKCS1_SHA512:
    case TLS_KEY_ALG_RSA_PSS_SHA512: return TLS_KEYREQ_SHA512_LEN;
    default: return 0;
    }
}

enum tls_key_kind tls_key_alg_kind(enum tls_key_alg alg)
{
    if (alg >= TLS_KEY_ALG_ECDSA_SHA256 && alg <= TLS_KEY_ALG_ECDSA_SHA512)
        return TLS_KEY_KIND_EC;
    if (alg >= TLS_KEY_ALG_RSA_PKCS1_SHA256 && alg <= TLS_KEY_ALG_RSA_PSS_SHA512)
        return TLS_KEY_KIND_RSA;
    return TLS_KEY_KIND_NONE;
}

int tls_keyreq_sign(struct tls_keyreq *out, uint32_t seq, unsigned key, enum tls_key_alg alg,
                    const uint8_t *hash, size_t hash_len)
{
    memset(out, 0, sizeof *out);
    if (hash_len == 0 || hash_len != tls_key_alg_hash_len(alg) || key >= TLS_KEYREQ_KEYS_MAX)
        return -1;
    out->magic = TLS_KEYREQ_MAGIC;
    out->op = TLS_KEYREQ_SIGN;
    out->key = (uint16_t)key;
    out->seq = seq;
    out->alg = (uint16_t)alg;
    out->hash_len = (uint16_t)hash_len;
    memcpy(out->hash, hash, hash_len);
    return 0;
}

void tls_keyreq_public(struct tls_keyreq *out, uint32_t seq, unsigned key)
{
    memset(out, 0, sizeof *out);
    out->magic = TLS_KEYREQ_MAGIC;
    out->op = TLS_KEYREQ_PUBLIC;
    out->key = (uint16_t)(key < TLS_KEYREQ_KEYS_MAX ? key : TLS_KEYREQ_KEYS_MAX);
    out->seq = seq;
}

/* SIGN only: the algorithm exists, suits the key and matches the hash. */
static enum tls_keyreq_status tls_keyreq_check_sign(const struct tls_keyreq *r, enum tls_key_kind kind)
{
    enum tls_key_alg alg = (enum tls_key_alg)r->alg;
    if (r->alg >= TLS_KEY_ALG_END || tls_key_alg_kind(alg) == TLS_KEY_KIND_NONE ||
        tls_key_alg_kind(alg) != kind)
        return TLS_KEYREQ_BAD_ALG;
    if (r->hash_len != tls_key_alg_hash_len(alg))
        return TLS_KEYREQ_BAD_HASH;
    return TLS_KEYREQ_OK;
}

enum tls_keyreq_status tls_keyreq_parse(const void *buf, size_t n, const enum tls_key_kind *kinds,
                                        unsigned n_keys, struct tls_keyreq *out, uint32_t *seq_out)
{
    *seq_out = 0;
    if (n != TLS_KEYREQ_SIZE)
        return TLS_KEYREQ_BAD_SIZE;
    memcpy(out, buf, sizeof *out);
    if (out->magic != TLS_KEYREQ_MAGIC)
        return TLS_KEYREQ_BAD_MAGIC;
    *seq_out = out->seq;
    if (out->op != TLS_KEYREQ_SIGN && out->op != TLS_KEYREQ_PUBLIC)
        return TLS_KEYREQ_BAD_OP;
    if (out->key >= n_keys || out->key >= TLS_KEYREQ_KEYS_MAX || kinds[out->key] == TLS_KEY_KIND_NONE)
        return TLS_KEYREQ_BAD_KEY;
    if (out->op == TLS_KEYREQ_PUBLIC)
        return TLS_KEYREQ_OK;
    return tls_keyreq_check_sign(out, kinds[out->key]);
}

size_t tls_keyrep_encode(void *buf, size_t cap, uint32_t seq, enum tls_keyreq_op op,
                         enum tls_keyreq_status status, const void *data, size_t len)
{
    struct tls_keyrep_header h = {.magic = TLS_KEYREQ_MAGIC,
                                  .seq = seq,
                                  .op = (uint16_t)op,
                                  .status = (uint16_t)status,
                                  .len = (uint32_t)len};
    size_t total = sizeof h + len;
    if (len > TLS_KEYREQ_DATA_MAX || total > cap)
        return 0;
    memcpy(buf, &h, sizeof h);
    if (len)
        memcpy((uint8_t *)buf + sizeof h, data, len);
    return total;
}

int tls_keyrep_parse(const void *buf, size_t n, uint32_t seq, struct tls_keyrep *out, const char **why)
{
    struct tls_keyrep_header h;
    if (n < sizeof h || n > TLS_KEYREP_MAX) {
        *why = "answer of a wrong size";
        return -1;
    }
    memcpy(&h, buf, sizeof h);
    if (h.magic != TLS_KEYREQ_MAGIC || h.len != n - sizeof h) {
        *why = h.magic != TLS_KEYREQ_MAGIC ? "answer with a bad magic" : "answer length does not match";
        return -1;
    }
    if ((h.op != TLS_KEYREQ_SIGN && h.op != TLS_KEYREQ_PUBLIC) || h.status >= TLS_KEYREQ_STATUS_END ||
        (h.status != TLS_KEYREQ_OK && h.len != 0)) {
        *why = "answer with a bad operation or status";
        return -1;
    }
    if (h.seq != seq)
        return 0;
    *out = (struct tls_keyrep){.seq = h.seq,
                               .op = (enum tls_keyreq_op)h.op,
                               .status = (enum tls_keyreq_status)h.status,
                               .data = (const uint8_t *)buf + sizeof h,
                               .len = h.len};
    return 1;
}

const char *tls_keyreq_status_name(enum tls_keyreq_status status)
{
    static const char *const names[TLS_KEYREQ_STATUS_END] = {
        [TLS_KEYREQ_OK] = "ok",         [TLS_KEYREQ_BAD_SIZE] = "size", [TLS_KEYREQ_BAD_MAGIC] = "magic",
        [TLS_KEYREQ_BAD_OP] = "op",     [TLS_KEYREQ_BAD_KEY] = "key",   [TLS_KEYREQ_BAD_ALG] = "alg",
        [TLS_KEYREQ_BAD_HASH] = "hash", [TLS_KEYREQ_FAILED] = "failed",
    };
    return (unsigned)status < TLS_KEYREQ_STATUS_END ? names[status] : "unknown";
}
