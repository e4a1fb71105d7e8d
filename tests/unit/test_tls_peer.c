/* Unit tests for tls/tls_peer.c and tls/tls_secret.c: the PSK file's text,
 * the secret-file checks (link, mode, owner, size), nginx's 80-byte ticket
 * keys, and real TLS 1.3 handshakes between two ends over a socketpair: the
 * same PSK, a wrong one (auth, on both sides), pair certificates from one
 * CA and a certificate from another. The certificates are made with
 * `openssl req` in a temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls/tls_peer.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/rampart-tls-peer-XXXXXX";

static void path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static void write_file(const char *name, const void *data, size_t len, mode_t mode)
{
    char p[256];
    path(p, sizeof p, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    assert_int_equal(chmod(p, mode), 0);
}

static int run(const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof full, "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
    return system(full);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir) || tls_global_init() != 0)
        return -1;
    char cmd[1024];
    for (int i = 0; i < 2; i++) { /* two CAs: the pair's, and another */
        const char *ca = i ? "other" : "ca";
        snprintf(cmd, sizeof cmd,
                 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=%s "
                 "-keyout %s.key -out %s.crt",
                 ca, ca, ca);
        if (run(cmd) != 0)
            return -1;
    }
    const char *nodes[][2] = {{"gw1", "ca"}, {"gw2", "ca"}, {"stranger", "other"}};
    for (int i = 0; i < 3; i++) {
        const char *n = nodes[i][0], *ca = nodes[i][1];
        snprintf(cmd, sizeof cmd,
                 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=%s -keyout %s.key "
                 "-out %s.csr && openssl x509 -req -in %s.csr -CA %s.crt -CAkey %s.key -CAcreateserial "
                 "-days 2 -out %s.crt && chmod 600 %s.key",
                 n, n, n, n, ca, ca, n, n);
        if (run(cmd) != 0)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- the key's text --------------------------------------------------------------------------- */

static void test_psk_parse(void **state)
{
    (void)state;
    uint8_t out[TLS_PEER_PSK_MAX];
    size_t len = 0;
    char err[160];
    char hex[2 * TLS_PEER_PSK_MAX + 8];
    memset(hex, 'a', sizeof hex);
    assert_int_equal(tls_peer_psk_parse(hex, 2 * TLS_PEER_PSK_MIN, out, &len, err, sizeof err), 0);
    assert_int_equal(len, TLS_PEER_PSK_MIN);
    assert_int_equal(out[0], 0xaa);
    assert_int_equal(tls_peer_psk_parse(hex, 2 * TLS_PEER_PSK_MIN - 2, out, &len, err, sizeof err),
                     -1); /* short */
    assert_int_equal(tls_peer_psk_parse(hex, 2 * TLS_PEER_PSK_MAX, out, &len, err, sizeof err), 0);
    assert_int_equal(tls_peer_psk_parse(hex, 2 * TLS_PEER_PSK_MAX + 2, out, &len, err, sizeof err),
                     -1); /* long */
    assert_int_equal(tls_peer_psk_parse(hex, 2 * TLS_PEER_PSK_MIN + 1, out, &len, err, sizeof err),
                     -1); /* odd */
    memcpy(hex + 2 * TLS_PEER_PSK_MIN, "\r\n \t", 4);
    assert_int_equal(tls_peer_psk_parse(hex, 2 * TLS_PEER_PSK_MIN + 4, out, &len, err, sizeof err), 0);
    hex[2 * TLS_PEER_PSK_MIN + 1] = 'x'; /* not hex after the newline */
    assert_int_equal(tls_peer_psk_parse(hex, 2 * TLS_PEER_PSK_MIN + 4, out, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "hex"));
}

static void test_secret_file_checks(void **state)
{
    (void)state;
    char p[256], l[256], err[256];
    uint8_t buf[64];
    size_t n;
    write_file("secret", "0123", 4, 0600);
    path(p, sizeof p, "secret");
    assert_int_equal(tls_secret_file_read(p, buf, sizeof buf, &n, err, sizeof err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(tls_secret_file_read(p, buf, 3, &n, err, sizeof err), -1); /* larger than expected */
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(tls_secret_file_check(p, err, sizeof err), -1);
    assert_non_null(strstr(err, "group or others"));
    assert_int_equal(chmod(p, 0400), 0);
    assert_int_equal(tls_secret_file_check(p, err, sizeof err), 0);
    path(l, sizeof l, "link");
    assert_int_equal(symlink(p, l), 0);
    assert_int_equal(tls_secret_file_check(l, err, sizeof err), -1);
    assert_non_null(strstr(err, "symbolic link"));
    assert_int_equal(tls_secret_file_check(dir, err, sizeof err), -1);
    assert_non_null(strstr(err, "regular"));
    path(p, sizeof p, "missing");
    assert_int_equal(tls_secret_file_check(p, err, sizeof err), -1);
}

/* nginx's 80-byte layout: name[16], HMAC key[32], AES key[32]. */
static void test_nginx_ticket_keys(void **state)
{
    (void)state;
    uint8_t b[TLS_TICKET_FILE_LEN];
    for (unsigned i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)i;
    struct tls_ticket_key k, k2;
    char err[256], p[256];
    assert_int_equal(tls_ticket_key_from_nginx(b, sizeof b, &k, err, sizeof err), 0);
    assert_memory_equal(k.key, b + 48, TLS_TICKET_KEY_LEN); /* the AES key, after the HMAC key */
    b[20] ^= 1;                                             /* the HMAC half plays no part in GCM */
    assert_int_equal(tls_ticket_key_from_nginx(b, sizeof b, &k2, err, sizeof err), 0);
    assert_memory_equal(&k, &k2, sizeof k);
    b[15] ^= 1; /* the name does: a name differing in its last byte is another name */
    assert_int_equal(tls_ticket_key_from_nginx(b, sizeof b, &k2, err, sizeof err), 0);
    assert_memory_not_equal(k.name, k2.name, TLS_TICKET_NAME_LEN);
    assert_int_equal(tls_ticket_key_from_nginx(b, TLS_TICKET_FILE_LEN_AES128, &k2, err, sizeof err), -1);
    assert_non_null(strstr(err, "AES-128"));
    assert_int_equal(tls_ticket_key_from_nginx(b, TLS_TICKET_FILE_LEN - 1, &k2, err, sizeof err), -1);
    write_file("ticket.key", b, sizeof b, 0600);
    path(p, sizeof p, "ticket.key");
    assert_int_equal(tls_ticket_key_file_read(p, &k2, err, sizeof err), 0);
    write_file("ticket81.key", b, 1, 0600);
    path(p, sizeof p, "ticket81.key");
    assert_int_equal(tls_ticket_key_file_read(p, &k2, err, sizeof err), -1);
    assert_non_null(strstr(err, "80 bytes"));
}

/* ---- handshakes ------------------------------------------------------------------------------- */

struct pair {
    struct tls_peer_ctx *a, *b;
    struct tls_peer_conn *ca, *cb;
    int sv[2];
};

static void pair_open(struct pair *p, struct tls_peer_ctx *a, struct tls_peer_ctx *b)
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->sv), 0);
    p->a = a, p->b = b;
    p->ca = tls_peer_conn_new(a, p->sv[0], true);
    p->cb = tls_peer_conn_new(b, p->sv[1], false);
    assert_non_null(p->ca);
    assert_non_null(p->cb);
}

static void pair_close(struct pair *p)
{
    tls_peer_conn_free(p->ca);
    tls_peer_conn_free(p->cb);
    close(p->sv[0]);
    close(p->sv[1]);
    tls_peer_ctx_free(p->a);
    if (p->b != p->a)
        tls_peer_ctx_free(p->b);
}

/* Steps both ends until each is done or failed; returns 0 when both are done. */
static int handshake(struct pair *p, int *ra, int *rb)
{
    *ra = *rb = TLS_IO_WANT_READ;
    for (int i = 0; i < 200; i++) {
        if (*ra < 0 && *ra != TLS_IO_ERROR)
            *ra = tls_peer_handshake(p->ca);
        if (*rb < 0 && *rb != TLS_IO_ERROR)
            *rb = tls_peer_handshake(p->cb);
        if ((*ra == TLS_IO_DONE || *ra == TLS_IO_ERROR) && (*rb == TLS_IO_DONE || *rb == TLS_IO_ERROR))
            break;
    }
    return *ra == TLS_IO_DONE && *rb == TLS_IO_DONE ? 0 : -1;
}

static struct tls_peer_ctx *psk_ctx(const char *name, const char *hex)
{
    char err[256];
    write_file(name, hex, strlen(hex), 0600);
    struct tls_peer_config c = {.auth = TLS_PEER_AUTH_PSK};
    path(c.psk_file, sizeof c.psk_file, name);
    struct tls_peer_ctx *ctx = tls_peer_ctx_new(&c, err, sizeof err);
    if (!ctx)
        print_message("%s\n", err);
    return ctx;
}

static const char key1[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
static const char key2[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n";

static void test_psk_handshake_and_data(void **state)
{
    (void)state;
    struct pair p;
    int ra, rb;
    pair_open(&p, psk_ctx("psk1", key1), psk_ctx("psk1b", key1));
    assert_int_equal(handshake(&p, &ra, &rb), 0);
    assert_int_equal(tls_peer_write(p.ca, "hello", 5), 5);
    char buf[16];
    ssize_t n = TLS_IO_WANT_READ;
    for (int i = 0; i < 10 && n == TLS_IO_WANT_READ; i++)
        n = tls_peer_read(p.cb, buf, sizeof buf);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "hello", 5);
    tls_peer_shutdown(p.ca);
    n = tls_peer_read(p.cb, buf, sizeof buf);
    assert_int_equal(n, TLS_IO_CLOSED);
    pair_close(&p);
}

/* A wrong key fails as "auth", on both sides, and nothing gets through. */
static void test_psk_wrong_key(void **state)
{
    (void)state;
    struct pair p;
    int ra, rb;
    pair_open(&p, psk_ctx("psk1", key1), psk_ctx("psk2", key2));
    assert_int_equal(handshake(&p, &ra, &rb), -1);
    assert_int_equal(rb, TLS_IO_ERROR);
    assert_int_equal(tls_peer_conn_failure(p.cb), TLS_PEER_FAIL_AUTH);
    if (ra == TLS_IO_ERROR) /* the dialer hears the alert */
        assert_int_equal(tls_peer_conn_failure(p.ca), TLS_PEER_FAIL_AUTH);
    assert_string_equal(tls_peer_fail_name(TLS_PEER_FAIL_AUTH), "auth");
    pair_close(&p);
}

static struct tls_peer_ctx *cert_ctx(const char *node, const char *ca)
{
    char err[256];
    struct tls_peer_config c = {.auth = TLS_PEER_AUTH_CERT};
    snprintf(c.cert_file, sizeof c.cert_file, "%s/%s.crt", dir, node);
    snprintf(c.key_file, sizeof c.key_file, "%s/%s.key", dir, node);
    snprintf(c.ca_file, sizeof c.ca_file, "%s/%s.crt", dir, ca);
    struct tls_peer_ctx *ctx = tls_peer_ctx_new(&c, err, sizeof err);
    if (!ctx)
        print_message("%s\n", err);
    return ctx;
}

static void test_pair_certificates(void **state)
{
    (void)state;
    struct pair p;
    int ra, rb;
    pair_open(&p, cert_ctx("gw1", "ca"), cert_ctx("gw2", "ca"));
    assert_int_equal(handshake(&p, &ra, &rb), 0);
    pair_close(&p);
    /* a certificate from another CA is refused, dialing or accepted */
    pair_open(&p, cert_ctx("stranger", "ca"), cert_ctx("gw2", "ca"));
    assert_int_equal(handshake(&p, &ra, &rb), -1);
    assert_int_equal(tls_peer_conn_failure(p.cb), TLS_PEER_FAIL_AUTH);
    pair_close(&p);
    pair_open(&p, cert_ctx("gw1", "ca"), cert_ctx("stranger", "ca"));
    assert_int_equal(handshake(&p, &ra, &rb), -1);
    assert_int_equal(tls_peer_conn_failure(p.ca), TLS_PEER_FAIL_AUTH);
    pair_close(&p);
}

static void test_ctx_errors(void **state)
{
    (void)state;
    char err[256];
    struct tls_peer_config c = {.auth = TLS_PEER_AUTH_CERT};
    snprintf(c.cert_file, sizeof c.cert_file, "%s/gw1.crt", dir);
    snprintf(c.key_file, sizeof c.key_file, "%s/gw2.key", dir); /* not gw1's */
    snprintf(c.ca_file, sizeof c.ca_file, "%s/ca.crt", dir);
    assert_null(tls_peer_ctx_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "does not belong"));
    write_file("pskshort", "00ff\n", 5, 0600);
    struct tls_peer_config k = {.auth = TLS_PEER_AUTH_PSK};
    path(k.psk_file, sizeof k.psk_file, "pskshort");
    assert_null(tls_peer_ctx_new(&k, err, sizeof err));
    assert_non_null(strstr(err, "pskshort"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psk_parse),         cmocka_unit_test(test_secret_file_checks),
        cmocka_unit_test(test_nginx_ticket_keys), cmocka_unit_test(test_psk_handshake_and_data),
        cmocka_unit_test(test_psk_wrong_key),     cmocka_unit_test(test_pair_certificates),
        cmocka_unit_test(test_ctx_errors),
    };
    return cmocka_run_group_tests_name("tls_peer", tests, setup, teardown);
}
