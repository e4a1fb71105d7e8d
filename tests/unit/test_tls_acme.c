/* Unit tests for tls/tls_acme.c and tls/tls_acme_check.c: keys, JWK
 * coordinates and thumbprint, ES256 signatures, CSRs, self-signed
 * certificates (challenge and placeholder), and the checks of an issued
 * chain. OpenSSL's command line is the independent reader: it extracts
 * the public point, verifies the signatures, parses the CSR and prints
 * the extensions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/b64url.h"
#include "tls/tls.h"
#include "tls/tls_acme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The first line a command prints, without its newline. */
static void run_line(const char *cmd, char *out, size_t cap)
{
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    out[0] = '\0';
    if (fgets(out, (int)cap, fp))
        out[strcspn(out, "\n")] = '\0';
    pclose(fp);
}

static void write_file(const char *name, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static size_t read_file(const char *name, char *buf, size_t cap)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, cap - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return n;
}

static struct tls_acme_key *key_to_file(enum tls_acme_key_type t, const char *name)
{
    struct tls_acme_key *k = NULL;
    char err[256], pem[TLS_ACME_KEY_PEM_MAX];
    assert_int_equal(tls_acme_key_generate(t, &k, err, sizeof err), 0);
    size_t n = tls_acme_key_pem(k, pem, sizeof pem);
    assert_true(n > 0);
    write_file(name, pem, n);
    return k;
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/rampart-test-acme-XXXXXX");
    return mkdtemp(dir) && tls_global_init() == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return getenv("KEEP") ? 0 : run(cmd);
}

/* ---- keys ---------------------------------------------------------------------------------------- */

static void test_key_pem_round_trip(void **state)
{
    (void)state;
    char err[256], pem[TLS_ACME_KEY_PEM_MAX], again[TLS_ACME_KEY_PEM_MAX];
    for (int t = TLS_ACME_KEY_ECDSA; t <= TLS_ACME_KEY_RSA; t++) {
        struct tls_acme_key *k = NULL, *k2 = NULL;
        assert_int_equal(tls_acme_key_generate((enum tls_acme_key_type)t, &k, err, sizeof err), 0);
        assert_int_equal(tls_acme_key_kind(k), t);
        size_t n = tls_acme_key_pem(k, pem, sizeof pem);
        assert_true(n > 0 && n == strlen(pem));
        assert_int_equal(tls_acme_key_parse(pem, n, &k2, err, sizeof err), 0);
        assert_int_equal(tls_acme_key_pem(k2, again, sizeof again), n);
        assert_string_equal(pem, again);
        assert_int_equal(tls_acme_key_pem(k, pem, 64), 0); /* does not fit: 0, never a cut key */
        tls_acme_key_free(k);
        tls_acme_key_free(k2);
    }
}

static void test_key_parse_refuses(void **state)
{
    (void)state;
    char err[256];
    struct tls_acme_key *k = (struct tls_acme_key *)1;
    assert_int_equal(tls_acme_key_parse("not a key", 9, &k, err, sizeof err), -1);
    assert_null(k);
    /* P-384 is no key ACME gets here */
    assert_int_equal(run("openssl ecparam -name secp384r1 -genkey -noout -out /dev/stdout 2>/dev/null "
                         ">/tmp/rampart-p384.$PPID"),
                     0);
    char pem[1024];
    char path[64];
    snprintf(path, sizeof path, "/tmp/rampart-p384.%d", getpid());
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(pem, 1, sizeof pem, fp);
    fclose(fp);
    unlink(path);
    assert_int_equal(tls_acme_key_parse(pem, n, &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "P-256"));
}

/* ---- JWS ------------------------------------------------------------------------------------------ */

/* x and y as OpenSSL reads them from the key file: the last 64 bytes of
 * the DER public key. */
static void openssl_coords(const char *keyfile, char x[44], char y[44])
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "openssl pkey -in %s/%s -pubout -outform DER -out %s/pub.der 2>/dev/null", dir,
             keyfile, dir);
    assert_int_equal(run(cmd), 0);
    char der[128];
    size_t n = read_file("pub.der", der, sizeof der);
    assert_true(n >= 65);
    b64url_encode(der + n - 64, 32, x, 44);
    b64url_encode(der + n - 32, 32, y, 44);
}

static void test_jwk_and_thumbprint(void **state)
{
    (void)state;
    struct tls_acme_key *k = key_to_file(TLS_ACME_KEY_ECDSA, "acct.pem");
    char x[44], y[44], ox[44], oy[44], thumb[44], expect[64], cmd[512];
    assert_int_equal(tls_acme_jwk_coords(k, x, y), 0);
    openssl_coords("acct.pem", ox, oy);
    assert_string_equal(x, ox);
    assert_string_equal(y, oy);
    assert_int_equal(strlen(x), 43);
    assert_int_equal(tls_acme_jwk_thumbprint(k, thumb), 0);
    snprintf(cmd, sizeof cmd,
             "printf '%%s' '{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}' | "
             "openssl dgst -sha256 -binary | basenc --base64url | tr -d '='",
             ox, oy);
    run_line(cmd, expect, sizeof expect);
    assert_string_equal(thumb, expect);
    tls_acme_key_free(k);
    /* an RSA key has no P-256 JWK */
    struct tls_acme_key *r = key_to_file(TLS_ACME_KEY_RSA, "rsa.pem");
    assert_int_equal(tls_acme_jwk_coords(r, x, y), -1);
    uint8_t sig[64];
    assert_int_equal(tls_acme_es256(r, "x", 1, sig), -1);
    tls_acme_key_free(r);
}

/* r || s as DER, for openssl dgst -verify. */
static size_t sig_to_der(const uint8_t sig[64], uint8_t *der)
{
    size_t o = 2;
    for (int half = 0; half < 2; half++) {
        const uint8_t *v = sig + 32 * half;
        size_t skip = 0;
        while (skip < 31 && v[skip] == 0)
            skip++;
        bool pad = v[skip] & 0x80;
        der[o++] = 0x02;
        der[o++] = (uint8_t)(32 - skip + pad);
        if (pad)
            der[o++] = 0;
        memcpy(der + o, v + skip, 32 - skip);
        o += 32 - skip;
    }
    der[0] = 0x30;
    der[1] = (uint8_t)(o - 2);
    return o;
}

static void test_es256_verifies(void **state)
{
    (void)state;
    struct tls_acme_key *k = key_to_file(TLS_ACME_KEY_ECDSA, "sign.pem");
    const char *msg = "eyJhbGciOiJFUzI1NiJ9.eyJoZWxsbyI6IndvcmxkIn0";
    uint8_t sig[64], der[80];
    char cmd[512];
    assert_int_equal(tls_acme_es256(k, msg, strlen(msg), sig), 0);
    write_file("msg", msg, strlen(msg));
    write_file("sig.der", der, sig_to_der(sig, der));
    snprintf(cmd, sizeof cmd,
             "openssl pkey -in %1$s/sign.pem -pubout -out %1$s/sign.pub 2>/dev/null && "
             "openssl dgst -sha256 -verify %1$s/sign.pub -signature %1$s/sig.der %1$s/msg >/dev/null 2>&1",
             dir);
    assert_int_equal(run(cmd), 0);
    sig[10] ^= 1; /* and a changed signature does not */
    write_file("sig.der", der, sig_to_der(sig, der));
    assert_int_not_equal(run(cmd), 0);
    tls_acme_key_free(k);
}

/* ---- CSR and self-signed certificates --------------------------------------------------------------- */

static void test_csr_names(void **state)
{
    (void)state;
    const char *names[] = {"www.foobar.com", "foobar.com"};
    char err[256], line[512], cmd[512];
    uint8_t der[TLS_ACME_CSR_MAX];
    size_t len = 0;
    for (int t = TLS_ACME_KEY_ECDSA; t <= TLS_ACME_KEY_RSA; t++) {
        struct tls_acme_key *k = NULL;
        assert_int_equal(tls_acme_key_generate((enum tls_acme_key_type)t, &k, err, sizeof err), 0);
        assert_int_equal(tls_acme_csr(k, names, 2, der, sizeof der, &len, err, sizeof err), 0);
        assert_int_equal(der[0], 0x30);
        write_file("csr.der", der, len);
        snprintf(cmd, sizeof cmd, "openssl req -inform DER -in %s/csr.der -noout -verify 2>&1 | tail -n 1",
                 dir);
        run_line(cmd, line, sizeof line);
        assert_non_null(strstr(line, "verify OK"));
        snprintf(cmd, sizeof cmd,
                 "openssl req -inform DER -in %s/csr.der -noout -text | grep -A1 'Subject Alternative' | "
                 "tail -n 1",
                 dir);
        run_line(cmd, line, sizeof line);
        assert_non_null(strstr(line, "DNS:www.foobar.com, DNS:foobar.com"));
        snprintf(cmd, sizeof cmd, "openssl req -inform DER -in %s/csr.der -noout -subject", dir);
        run_line(cmd, line, sizeof line);
        assert_non_null(strstr(line, "CN = www.foobar.com"));
        tls_acme_key_free(k);
    }
    struct tls_acme_key *k = key_to_file(TLS_ACME_KEY_ECDSA, "csr.pem");
    const char *bad[] = {"www.foobar.com,O=evil"};
    assert_int_equal(tls_acme_csr(k, bad, 1, der, sizeof der, &len, err, sizeof err), -1);
    assert_int_equal(tls_acme_csr(k, names, 0, der, sizeof der, &len, err, sizeof err), -1);
    assert_int_equal(tls_acme_csr(k, names, 2, der, 64, &len, err, sizeof err), -1); /* does not fit */
    tls_acme_key_free(k);
}

static void test_challenge_certificate(void **state)
{
    (void)state;
    struct tls_acme_key *k = key_to_file(TLS_ACME_KEY_ECDSA, "chal.key");
    const char *names[] = {"www.foobar.com"};
    uint8_t digest[32], pem[4096];
    char err[256], line[1024], cmd[512];
    for (int i = 0; i < 32; i++)
        digest[i] = (uint8_t)(0xa0 + i);
    size_t len = 0;
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(tls_acme_self_signed(k, names, 1, now - 60, now + 3600, digest, true, pem, sizeof pem,
                                          &len, err, sizeof err),
                     0);
    write_file("chal.pem", pem, len);
    /* critical (BOOLEAN 255), the value the OCTET STRING itself: 04 20, then the digest */
    snprintf(cmd, sizeof cmd,
             "openssl asn1parse -in %s/chal.pem | grep -A2 ':1.3.6.1.5.5.7.1.31' | tr -d '\\n'", dir);
    run_line(cmd, line, sizeof line);
    assert_non_null(strstr(line, "BOOLEAN           :255"));
    assert_non_null(
        strstr(line, "[HEX DUMP]:0420A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"));
    snprintf(cmd, sizeof cmd, "openssl x509 -in %s/chal.pem -noout -ext subjectAltName | tail -n 1", dir);
    run_line(cmd, line, sizeof line);
    assert_non_null(strstr(line, "DNS:www.foobar.com"));
    /* DER too */
    assert_int_equal(tls_acme_self_signed(k, names, 1, now, now + 60, digest, false, pem, sizeof pem, &len,
                                          err, sizeof err),
                     0);
    assert_int_equal(pem[0], 0x30);
    assert_int_equal(
        tls_acme_self_signed(k, names, 1, now, now, NULL, true, pem, sizeof pem, &len, err, sizeof err), -1);
    tls_acme_key_free(k);
}

/* ---- checks of an issued chain ----------------------------------------------------------------------- */

static void make_issued(void)
{
    char cmd[2048];
    snprintf(
        cmd, sizeof cmd,
        "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 "
        "-subj '/CN=test CA' -keyout ca.key -out ca.pem "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign >/dev/null 2>&1 && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=www.foobar.com "
        "-keyout leaf.key -out leaf.csr >/dev/null 2>&1 && "
        "printf 'subjectAltName=DNS:www.foobar.com,DNS:foobar.com\\n' >leaf.ext && "
        "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 "
        "-extfile leaf.ext -out leaf.pem >/dev/null 2>&1 && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 "
        "-subj '/CN=other CA' -keyout other.key -out other.pem >/dev/null 2>&1",
        dir);
    assert_int_equal(run(cmd), 0);
}

static void test_cert_check(void **state)
{
    (void)state;
    make_issued();
    static char chain[8192], key[4096], other[4096];
    size_t cn = read_file("leaf.pem", chain, sizeof chain), kn = read_file("leaf.key", key, sizeof key);
    size_t on = read_file("other.key", other, sizeof other);
    const char *names[] = {"www.foobar.com", "foobar.com"}, *more[] = {"www.foobar.com", "shop.foobar.com"};
    char err[256], ca[128], wrong_ca[128];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(wrong_ca, sizeof wrong_ca, "%s/other.pem", dir);
    int64_t now = (int64_t)time(NULL);
    struct tls_acme_cert_info info;
    assert_int_equal(tls_acme_cert_check(chain, cn, key, kn, TLS_ACME_KEY_ECDSA, names, 2, ca, now, &info,
                                         err, sizeof err),
                     0);
    assert_false(info.placeholder);
    assert_true(info.not_after_s > now + 9 * 86400 && info.not_after_s <= now + 10 * 86400 + 60);
    assert_true(info.keyid_len == 20);
    assert_int_equal(tls_acme_cert_check(chain, cn, key, kn, TLS_ACME_KEY_ECDSA, names, 2, NULL, now, &info,
                                         err, sizeof err),
                     0);
    /* each way it can be wrong */
    assert_int_equal(tls_acme_cert_check(chain, cn, other, on, TLS_ACME_KEY_ECDSA, names, 2, NULL, now, &info,
                                         err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "not the certificate's"));
    assert_int_equal(tls_acme_cert_check(chain, cn, key, kn, TLS_ACME_KEY_RSA, names, 2, NULL, now, &info,
                                         err, sizeof err),
                     -1);
    assert_int_equal(tls_acme_cert_check(chain, cn, key, kn, TLS_ACME_KEY_ECDSA, more, 2, NULL, now, &info,
                                         err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "shop.foobar.com"));
    assert_int_equal(tls_acme_cert_check(chain, cn, key, kn, TLS_ACME_KEY_ECDSA, names, 2, NULL,
                                         now + 11 * 86400, &info, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "not valid now"));
    assert_int_equal(tls_acme_cert_check(chain, cn, key, kn, TLS_ACME_KEY_ECDSA, names, 2, wrong_ca, now,
                                         &info, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "does not verify"));
    assert_int_equal(tls_acme_cert_check("junk", 4, key, kn, TLS_ACME_KEY_ECDSA, names, 2, NULL, now, &info,
                                         err, sizeof err),
                     -1);
}

static void test_cert_info_serial_and_keyid(void **state)
{
    (void)state;
    make_issued();
    static char chain[8192];
    size_t cn = read_file("leaf.pem", chain, sizeof chain);
    struct tls_acme_cert_info info;
    char err[256], line[256], cmd[256], hex[128] = "";
    assert_int_equal(tls_acme_cert_info(chain, cn, &info, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "openssl x509 -in %s/leaf.pem -noout -serial | cut -d= -f2", dir);
    run_line(cmd, line, sizeof line);
    size_t skip = info.serial[0] == 0 ? 1 : 0; /* openssl prints no leading zero octet */
    for (size_t i = skip; i < info.serial_len; i++)
        snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%02X", info.serial[i]);
    assert_string_equal(hex, line);
    hex[0] = '\0';
    for (size_t i = 0; i < info.keyid_len; i++)
        snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%s%02X", i ? ":" : "", info.keyid[i]);
    snprintf(cmd, sizeof cmd, "openssl x509 -in %s/ca.pem -noout -ext subjectKeyIdentifier | tail -n 1", dir);
    run_line(cmd, line, sizeof line);
    assert_non_null(strstr(line, hex));
    /* a placeholder says so */
    struct tls_acme_key *k = key_to_file(TLS_ACME_KEY_ECDSA, "ph.key");
    const char *names[] = {"www.foobar.com"};
    uint8_t pem[4096];
    size_t len = 0;
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(
        tls_acme_self_signed(k, names, 1, now, now + 600, NULL, true, pem, sizeof pem, &len, err, sizeof err),
        0);
    assert_int_equal(tls_acme_cert_info((const char *)pem, len, &info, err, sizeof err), 0);
    assert_true(info.placeholder);
    assert_int_equal(info.not_after_s - info.not_before_s, 600);
    tls_acme_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_pem_round_trip), cmocka_unit_test(test_key_parse_refuses),
        cmocka_unit_test(test_jwk_and_thumbprint), cmocka_unit_test(test_es256_verifies),
        cmocka_unit_test(test_csr_names),          cmocka_unit_test(test_challenge_certificate),
        cmocka_unit_test(test_cert_check),         cmocka_unit_test(test_cert_info_serial_and_keyid),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
