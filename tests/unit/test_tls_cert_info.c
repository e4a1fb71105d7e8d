/* Unit tests for tls/tls_cert_info.c: each configured certificate's name
 * and its leaf's validity as Unix times, checked against what `openssl
 * x509 -enddate` reads from the same file (the independent reader). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static char dir[64];

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void make_cert(const char *base, const char *cn, unsigned days)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days %u -subj '/CN=%s' "
             "-keyout %s/%s.key -out %s/%s.pem 2>/dev/null && chmod 600 %s/%s.key",
             days, cn, dir, base, dir, base, dir, base);
    assert_int_equal(run(cmd), 0);
}

/* notAfter as openssl prints it ("Dec  1 20:41:02 2027 GMT"), in Unix time. */
static int64_t openssl_not_after(const char *base)
{
    char cmd[256], line[128];
    snprintf(cmd, sizeof cmd, "openssl x509 -noout -enddate -in %s/%s.pem", dir, base);
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    assert_non_null(fgets(line, sizeof line, fp));
    pclose(fp);
    struct tm tm = {0};
    assert_non_null(strptime(line, "notAfter=%b %d %H:%M:%S %Y GMT", &tm));
    return (int64_t)timegm(&tm);
}

static void set_cert(struct tls_cert_config *c, const char *name, const char *base)
{
    snprintf(c->server_name, sizeof c->server_name, "%s", name);
    snprintf(c->cert_file, sizeof c->cert_file, "%s/%s.pem", dir, base);
    snprintf(c->key_file, sizeof c->key_file, "%s/%s.key", dir, base);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/rampart-test-certinfo-XXXXXX");
    return mkdtemp(dir) && tls_global_init() == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return run(cmd) == 0 ? 0 : -1;
}

static void test_validity_of_each_certificate(void **state)
{
    (void)state;
    make_cert("short", "www.rampart.test", 2);
    make_cert("long", "api.rampart.test", 400);
    struct tls_config cfg = {.n_certs = 2, .min_version = TLS_MIN_1_2};
    set_cert(&cfg.certs[0], "www.rampart.test", "short");
    set_cert(&cfg.certs[1], "*.api.rampart.test", "long");
    char err[256];
    struct tls_server *srv = tls_server_new_local(&cfg, err, sizeof err);
    assert_non_null(srv);
    struct tls_cert_info info;
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(tls_server_cert_info(srv, 0, &info), 0);
    assert_string_equal(info.server_name, "www.rampart.test");
    assert_int_equal(info.not_after_s, openssl_not_after("short"));
    assert_int_equal(info.not_after_s - info.not_before_s, 2 * 86400);
    assert_true(info.not_before_s <= now && info.not_before_s > now - 3600);
    assert_int_equal(tls_server_cert_info(srv, 1, &info), 0);
    assert_string_equal(info.server_name, "*.api.rampart.test");
    assert_int_equal(info.not_after_s, openssl_not_after("long"));
    assert_int_equal(info.not_after_s - info.not_before_s, 400 * 86400);
    /* boundary: the count, and no server at all */
    assert_int_equal(tls_server_cert_info(srv, 2, &info), -1);
    assert_int_equal(tls_server_cert_info(NULL, 0, &info), -1);
    tls_server_unref(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validity_of_each_certificate),
    };
    return cmocka_run_group_tests_name("tls_cert_info", tests, group_setup, group_teardown);
}
