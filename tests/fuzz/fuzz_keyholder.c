/* libFuzzer target: what a compromised relay can send the key holder. Any
 * bytes as a request to tls_keyring_answer (a real keyring: an ECDSA P-256
 * and an RSA key made by openssl at start) must get exactly one answer,
 * which parses as an answer to that request, carries data only when it
 * says OK, and says OK only for a request a second, independent check
 * below finds good; a SIGN answered OK carries a signature of the key's
 * size, a PUBLIC one the key's public half. Any bytes as an answer to
 * tls_keyrep_parse are taken, dropped or refused, never read past.
 * The first input byte picks raw bytes or a request built from fields (so
 * the fuzzer reaches every check, and signing, at once).
 * Run: make fuzz && build-fuzz/fuzz/fuzz_keyholder -runs=1000000 */
#include "tls/tls.h"
#include "tls/tls_keyring.h"
#include "tls/tls_keyreq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_KEYS     2
#define FZ_EC_SIG   64   /* P-256: r || s */
#define FZ_RSA_BITS 1024 /* small: many inputs sign */
#define FZ_RSA_SIG  (FZ_RSA_BITS / 8)

static struct tls_keyring *fz_kr;

static void fz_fail(const char *what)
{
    fprintf(stderr, "fuzz_keyholder: %s\n", what);
    abort();
}

static void fz_make(const char *dir, const char *base, const char *keyopts)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey %s -nodes -days 2 -subj /CN=fuzz -keyout %s/%s.key -out %s/%s.pem "
             ">/dev/null 2>&1",
             keyopts, dir, base, dir, base);
    if (system(cmd) != 0)
        fz_fail("openssl req failed");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char dir[] = "/tmp/fuzz-keyholder-XXXXXX", err[256], cmd[128];
    if (!mkdtemp(dir) || tls_global_init() != 0)
        fz_fail("set-up");
    fz_make(dir, "ec", "ec -pkeyopt ec_paramgen_curve:P-256");
    fz_make(dir, "rsa", "rsa:1024");
    struct tls_config cfg = {.n_certs = FZ_KEYS};
    const char *bases[FZ_KEYS] = {"ec", "rsa"};
    for (unsigned i = 0; i < FZ_KEYS; i++) {
        snprintf(cfg.certs[i].server_name, TLS_NAME_MAX, "fuzz");
        snprintf(cfg.certs[i].cert_file, TLS_PATH_MAX, "%s/%s.pem", dir, bases[i]);
        snprintf(cfg.certs[i].key_file, TLS_PATH_MAX, "%s/%s.key", dir, bases[i]);
    }
    fz_kr = tls_keyring_load(&cfg, err, sizeof err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!fz_kr || system(cmd) != 0)
        fz_fail(fz_kr ? "rm" : err);
    return 0;
}

/* The second opinion: what the answer to n bytes must say. */
static enum tls_keyreq_status fz_expect(const uint8_t *req, size_t n)
{
    struct tls_keyreq r;
    if (n != TLS_KEYREQ_SIZE)
        return TLS_KEYREQ_BAD_SIZE;
    memcpy(&r, req, sizeof r);
    if (r.magic != TLS_KEYREQ_MAGIC)
        return TLS_KEYREQ_BAD_MAGIC;
    if (r.op != TLS_KEYREQ_SIGN && r.op != TLS_KEYREQ_PUBLIC)
        return TLS_KEYREQ_BAD_OP;
    if (r.key >= FZ_KEYS)
        return TLS_KEYREQ_BAD_KEY;
    if (r.op == TLS_KEYREQ_PUBLIC)
        return TLS_KEYREQ_OK;
    bool ec_alg = r.alg >= TLS_KEY_ALG_ECDSA_SHA256 && r.alg <= TLS_KEY_ALG_ECDSA_SHA512;
    bool rsa_alg = r.alg >= TLS_KEY_ALG_RSA_PKCS1_SHA256 && r.alg <= TLS_KEY_ALG_RSA_PSS_SHA512;
    if (!(r.key == 0 ? ec_alg : rsa_alg))
        return TLS_KEYREQ_BAD_ALG;
    unsigned step =
        (unsigned)(r.alg - (ec_alg ? TLS_KEY_ALG_ECDSA_SHA256 : TLS_KEY_ALG_RSA_PKCS1_SHA256)) % 3;
    return r.hash_len == 32 + 16 * step ? TLS_KEYREQ_OK : TLS_KEYREQ_BAD_HASH;
}

static void fz_check_answer(const uint8_t *req, size_t n, const uint8_t *rep, size_t rep_len,
                            enum tls_keyreq_status st)
{
    struct tls_keyreq r = {0};
    if (n >= sizeof r)
        memcpy(&r, req, sizeof r);
    uint32_t seq = n == TLS_KEYREQ_SIZE && r.magic == TLS_KEYREQ_MAGIC ? r.seq : 0;
    struct tls_keyrep out;
    const char *why;
    if (rep_len == 0 || tls_keyrep_parse(rep, rep_len, seq, &out, &why) != 1)
        fz_fail("the answer does not parse as the answer to its request");
    if (out.status != st || st != fz_expect(req, n))
        fz_fail("the answer's status is not the request's");
    if (st != TLS_KEYREQ_OK && st != TLS_KEYREQ_FAILED) {
        if (out.len != 0)
            fz_fail("a refusal carries data");
        return;
    }
    if (st == TLS_KEYREQ_FAILED)
        fz_fail("a good request failed to sign");
    if (out.op == TLS_KEYREQ_SIGN && out.len != (r.key == 0 ? FZ_EC_SIG : FZ_RSA_SIG))
        fz_fail("a signature of the wrong size");
    if (out.op == TLS_KEYREQ_PUBLIC && (out.len < 64 || out.len > TLS_KEYREQ_DATA_MAX))
        fz_fail("a public key of the wrong size");
}

static void fz_answer(const uint8_t *req, size_t n)
{
    uint8_t rep[TLS_KEYREP_MAX];
    enum tls_keyreq_status st;
    size_t len = tls_keyring_answer(fz_kr, req, n, rep, sizeof rep, &st);
    fz_check_answer(req, n, rep, len, st);
}

/* A request from fields: often good, each field sometimes just wrong. */
static void fz_structured(const uint8_t *data, size_t size)
{
    uint8_t f[8] = {0};
    memcpy(f, data, size < sizeof f ? size : sizeof f);
    struct tls_keyreq r = {.magic = (f[0] & 0x80) ? f[1] : TLS_KEYREQ_MAGIC,
                           .op = (uint16_t)(f[2] % 4),
                           .key = (uint16_t)(f[3] % 4),
                           .seq = f[4],
                           .alg = (uint16_t)(f[5] % (TLS_KEY_ALG_END + 2)),
                           .hash_len = (uint16_t)(f[6] % 72)};
    if (size > sizeof f)
        memcpy(r.hash, data + sizeof f, size - sizeof f < sizeof r.hash ? size - sizeof f : sizeof r.hash);
    size_t n = (f[7] & 0x80) ? f[7] % (TLS_KEYREQ_SIZE + 1) : TLS_KEYREQ_SIZE;
    fz_answer((const uint8_t *)&r, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *rest = data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: fz_answer(rest, n); break;
    case 1: fz_structured(rest, n); break;
    default: {
        struct tls_keyrep out;
        const char *why;
        uint32_t seq = n ? rest[0] : 0;
        if (tls_keyrep_parse(rest, n, seq, &out, &why) == 1 && out.data + out.len > rest + n)
            fz_fail("an answer's data past its end");
    }
    }
    return 0;
}
