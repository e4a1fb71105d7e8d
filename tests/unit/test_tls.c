/*
 * Unit tests for tls/: a real TLS server built from tls/tls.h, driven by a
 * real client (`openssl s_client`; the mbedTLS build has no client code).
 *
 * The group set-up writes certificates into a temp dir with `openssl req`
 * (ECDSA P-256 for www.rampart.test, the default; RSA 2048 for
 * *.api.rampart.test) and serves them with the keys in process
 * (tls_server_new_local) from tests/unit/helpers/tls_harness.h, which
 * says what the server answers. Signing through a key holder:
 * test_tls_signer.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/config/config.h"
#include "common/log.h"
#include "tls/tls.h"
#include "tls/tls_crypto.h"
#include "tests/unit/helpers/tls_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct test_env {
    char dir[64];
    struct tls_harness_server main;   /* default config: TLS 1.2+, DEFAULT ciphers */
    struct tls_harness_server strict; /* min_version 1.3, AES_GCM profile */
};

/* ---- helpers ---------------------------------------------------------------- */

static void make_cert(const char *dir, const char *base, const char *cn, const char *keyopts)
{
    assert_int_equal(tls_harness_make_cert(dir, base, cn, keyopts), 0);
}

static void base_config(struct config *cfg, const char *dir)
{
    config_defaults(cfg);
    cfg->tls.server.n_certs = 2;
    tls_harness_set_cert(&cfg->tls.server.certs[0], dir, "www.rampart.test", "ecdsa", "ecdsa");
    tls_harness_set_cert(&cfg->tls.server.certs[1], dir, "*.api.rampart.test", "rsa", "rsa");
    cfg->tls.server.min_version = TLS_MIN_1_2;
    cfg->tls.server.ciphers = TLS_CIPHERS_DEFAULT;
    cfg->tls.server.tickets = true;
    cfg->tls.server.ticket_lifetime_ms = 3600 * 1000;
}

static int server_start(struct tls_harness_server *ts, const struct config *cfg)
{
    char err[512] = "";
    struct tls_server *srv = tls_server_new_local(&cfg->tls.server, err, sizeof err);
    if (srv == NULL)
        fprintf(stderr, "tls_server_new: %s\n", err);
    return tls_harness_start(ts, srv, 0);
}

static unsigned long long failures(enum tls_fail_reason r)
{
    return atomic_load(&tls_stats.failures[r]);
}

/* ---- set-up ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    static struct test_env env;
    snprintf(env.dir, sizeof env.dir, "/tmp/rampart-test-tls-XXXXXX");
    if (mkdtemp(env.dir) == NULL || tls_global_init() != 0)
        return -1;
    make_cert(env.dir, "ecdsa", "www.rampart.test", "ec -pkeyopt ec_paramgen_curve:P-256");
    make_cert(env.dir, "rsa", "*.api.rampart.test", "rsa:2048");
    struct config cfg;
    base_config(&cfg, env.dir);
    if (server_start(&env.main, &cfg) != 0)
        return -1;
    cfg.tls.server.min_version = TLS_MIN_1_3;
    cfg.tls.server.ciphers = TLS_CIPHERS_AES_GCM;
    cfg.tls.server.alpn[0] = TLS_ALPN_HTTP11; /* [tls] alpn = http/1.1 */
    cfg.tls.server.n_alpn = 1;
    if (server_start(&env.strict, &cfg) != 0)
        return -1;
    *state = &env;
    return 0;
}

static int group_teardown(void **state)
{
    struct test_env *env = *state;
    tls_harness_stop(&env->main);
    tls_harness_stop(&env->strict);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", env->dir);
    return tls_harness_run(cmd) == 0 ? 0 : -1;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_tls13_accepted(void **state)
{
    struct test_env *env = *state;
    unsigned long long before = atomic_load(&tls_stats.handshakes_tls13);
    /* TLS 1.3: mbedTLS follows the client's order among the suites we allow. */
    char *out = tls_harness_client(&env->main, "-tls1_3 -servername www.rampart.test "
                                               "-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
    assert_non_null(strstr(out, "version=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 "
                                "sni=www.rampart.test resumed=0"));
    assert_int_equal(atomic_load(&tls_stats.handshakes_tls13), before + 1);
    free(out);
}

static void test_tls12_accepted(void **state)
{
    struct test_env *env = *state;
    unsigned long long before = atomic_load(&tls_stats.handshakes_tls12);
    char *out = tls_harness_client(&env->main, "-tls1_2 -servername www.rampart.test");
    assert_non_null(strstr(out, "version=TLSv1.2 cipher=ECDHE-ECDSA-AES128-GCM-SHA256 "));
    assert_int_equal(atomic_load(&tls_stats.handshakes_tls12), before + 1);
    free(out);
}

/* The most plaintext a record carries (what the proxy reads from a
 * backend at a time): 2^14 in TLS 1.2; in TLS 1.3 one byte less, the inner
 * content type's, padding to 16 taking nothing more; and what the client
 * asked for with max_fragment_length, at its smallest and largest. */
static void test_record_max(void **state)
{
    struct test_env *env = *state;
    static const struct {
        const char *args, *want;
    } cases[] = {
        {"-tls1_3", "record=16383 "},
        {"-tls1_2", "record=16384 "},
        {"-tls1_2 -maxfraglen 512", "record=512 "},
        {"-tls1_2 -maxfraglen 4096", "record=4096 "},
    };
    _Static_assert(TLS_RECORD_PLAIN_MAX == 16384, "RFC 8446 5.1");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[128];
        snprintf(args, sizeof args, "%s -servername www.rampart.test", cases[i].args);
        char *out = tls_harness_client(&env->main, args);
        if (strstr(out, cases[i].want) == NULL)
            fail_msg("%s: want %s in:\n%s", cases[i].args, cases[i].want, out);
        free(out);
    }
}

static void test_tls10_and_tls11_refused_as_version(void **state)
{
    struct test_env *env = *state;
    const char *old[] = {"-tls1", "-tls1_1"};
    for (unsigned i = 0; i < 2; i++) {
        unsigned long long before = failures(TLS_FAIL_VERSION);
        char args[128];
        /* SECLEVEL=0: OpenSSL 3 would otherwise refuse to even offer them. */
        snprintf(args, sizeof args, "%s -cipher DEFAULT@SECLEVEL=0", old[i]);
        char *out = tls_harness_client(&env->main, args);
        assert_null(strstr(out, "version="));
        assert_int_equal(failures(TLS_FAIL_VERSION), before + 1);
        assert_non_null(strstr(env->main.last_error, "unsupported protocol version"));
        free(out);
    }
}

static void test_min_version_13_refuses_12(void **state)
{
    struct test_env *env = *state;
    unsigned long long before = failures(TLS_FAIL_VERSION);
    char *out = tls_harness_client(&env->strict, "-tls1_2");
    assert_null(strstr(out, "version="));
    assert_int_equal(failures(TLS_FAIL_VERSION), before + 1);
    assert_string_equal(env->strict.last_error, "unsupported protocol version (we accept TLS 1.3)");
    free(out);
    out = tls_harness_client(&env->strict, "-tls1_3");
    assert_non_null(strstr(out, "version=TLSv1.3"));
    free(out);
}

static void test_aes_gcm_profile_refuses_chacha(void **state)
{
    struct test_env *env = *state;
    unsigned long long before = failures(TLS_FAIL_CIPHER);
    char *out = tls_harness_client(&env->strict, "-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256");
    assert_null(strstr(out, "version="));
    assert_int_equal(failures(TLS_FAIL_CIPHER), before + 1);
    free(out);
    /* The default profile takes it. */
    out = tls_harness_client(&env->main, "-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256");
    assert_non_null(strstr(out, "cipher=TLS_CHACHA20_POLY1305_SHA256"));
    free(out);
}

static void test_tls12_cbc_refused(void **state)
{
    struct test_env *env = *state;
    unsigned long long before = failures(TLS_FAIL_CIPHER);
    char *out = tls_harness_client(&env->main, "-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256:AES128-GCM-SHA256");
    assert_null(strstr(out, "version="));
    assert_int_equal(failures(TLS_FAIL_CIPHER), before + 1);
    free(out);
}

static void test_sni_picks_certificate(void **state)
{
    struct test_env *env = *state;
    char *out = tls_harness_client(&env->main, "-tls1_3 -servername img.api.rampart.test");
    assert_non_null(strstr(out, "subject=CN = *.api.rampart.test"));
    assert_non_null(strstr(out, "sni=img.api.rampart.test"));
    free(out);
    out = tls_harness_client(&env->main, "-tls1_2 -servername IMG.API.rampart.test");
    assert_non_null(strstr(out, "subject=CN = *.api.rampart.test"));
    assert_non_null(strstr(out, "cipher=ECDHE-RSA-AES128-GCM-SHA256"));
    free(out);
    out = tls_harness_client(&env->main, "-tls1_3 -servername unknown.example");
    assert_non_null(strstr(out, "subject=CN = www.rampart.test")); /* the default */
    free(out);
    out = tls_harness_client(&env->main, "-tls1_3 -noservername");
    assert_non_null(strstr(out, "subject=CN = www.rampart.test"));
    assert_non_null(strstr(out, "sni= resumed=0"));
    free(out);
}

/* The server's preference wins: h2 for a client that would rather have
 * HTTP/1.1 but offers both. */
static void test_alpn_prefers_h2(void **state)
{
    struct test_env *env = *state;
    char *out = tls_harness_client(&env->main, "-tls1_3 -alpn http/1.1,h2");
    assert_non_null(strstr(out, "ALPN protocol: h2"));
    assert_non_null(strstr(out, "alpn=h2\n"));
    free(out);
    out = tls_harness_client(&env->main, "-tls1_2 -alpn h2,http/1.1");
    assert_non_null(strstr(out, "alpn=h2\n"));
    free(out);
    out = tls_harness_client(&env->main, "-tls1_3 -alpn http/1.1");
    assert_non_null(strstr(out, "alpn=http/1.1\n"));
    free(out);
    out = tls_harness_client(&env->main, "-tls1_3"); /* no ALPN at all: HTTP/1.1, said as "" */
    assert_non_null(strstr(out, "alpn=\n"));
    free(out);
}

/* [tls] alpn = http/1.1: h2 is not offered; a client that wants only h2
 * is refused in the handshake. */
static void test_alpn_http11_only(void **state)
{
    struct test_env *env = *state;
    char *out = tls_harness_client(&env->strict, "-tls1_3 -alpn h2,http/1.1");
    assert_non_null(strstr(out, "ALPN protocol: http/1.1"));
    free(out);
    out = tls_harness_client(&env->strict, "-tls1_3 -alpn h2");
    assert_null(strstr(out, "version="));
    free(out);
}

static void check_resumption(struct test_env *env, const char *version)
{
    char args[512];
    snprintf(args, sizeof args, "%s -servername www.rampart.test -sess_out %s/sess%s", version, env->dir,
             version);
    char *out = tls_harness_client(&env->main, args);
    assert_non_null(strstr(out, "resumed=0"));
    free(out);
    unsigned long long before = atomic_load(&tls_stats.resumed);
    snprintf(args, sizeof args, "%s -servername www.rampart.test -sess_in %s/sess%s", version, env->dir,
             version);
    out = tls_harness_client(&env->main, args);
    assert_non_null(strstr(out, "Reused, TLSv1."));
    assert_non_null(strstr(out, "resumed=1"));
    assert_int_equal(atomic_load(&tls_stats.resumed), before + 1);
    free(out);
}

static void test_ticket_resumption_tls13(void **state)
{
    check_resumption(*state, "-tls1_3");
}

/* What a SIGHUP reload does: a new server replaces the old one. */
static void reload(struct tls_harness_server *ts, const struct config *cfg)
{
    char err[256];
    struct tls_server *fresh = tls_server_new_local(&cfg->tls.server, err, sizeof err);
    assert_non_null(fresh);
    tls_server_unref(atomic_exchange(&ts->srv, fresh));
}

static void test_tickets_survive_reload_with_same_lifetime(void **state)
{
    struct test_env *env = *state;
    char args[512];
    snprintf(args, sizeof args, "-tls1_3 -sess_out %s/sess-reload", env->dir);
    char *out = tls_harness_client(&env->main, args);
    assert_non_null(strstr(out, "resumed=0"));
    free(out);
    struct config cfg;
    base_config(&cfg, env->dir);
    reload(&env->main, &cfg);
    snprintf(args, sizeof args, "-tls1_3 -sess_in %s/sess-reload", env->dir);
    out = tls_harness_client(&env->main, args);
    assert_non_null(strstr(out, "resumed=1"));
    free(out);
    /* A new lifetime means new keys: the old ticket no longer opens. */
    cfg.tls.server.ticket_lifetime_ms = 2 * 3600 * 1000;
    reload(&env->main, &cfg);
    out = tls_harness_client(&env->main, args);
    assert_non_null(strstr(out, "resumed=0"));
    free(out);
    base_config(&cfg, env->dir);
    reload(&env->main, &cfg);
}
/* TLS 1.2 tickets only when asked for (tickets_tls12). */
static void test_ticket_resumption_tls12(void **state)
{
    struct test_env *env = *state;
    struct config cfg;
    base_config(&cfg, env->dir);
    cfg.tls.server.tickets_tls12 = true;
    reload(&env->main, &cfg);
    check_resumption(env, "-tls1_2");
    base_config(&cfg, env->dir);
    reload(&env->main, &cfg);
}

/* Issue 10: by default a TLS 1.2 client gets no ticket it could resume
 * with (a TLS 1.2 resumption skips ECDHE), and one issued while they were
 * on no longer opens; TLS 1.3 still resumes. */
/* Whether a TLS 1.2 connection with the session saved in file `name`
 * resumed (no file: openssl saw nothing it could resume with). */
static bool tls12_resumed(struct test_env *env, const char *name)
{
    char args[512];
    snprintf(args, sizeof args, "%s/%s", env->dir, name);
    if (access(args, R_OK) != 0)
        return false;
    snprintf(args, sizeof args, "-tls1_2 -servername www.rampart.test -sess_in %s/%s", env->dir, name);
    char *out = tls_harness_client(&env->main, args);
    bool resumed = strstr(out, "Reused, TLSv1.") != NULL;
    assert_true(resumed || strstr(out, "resumed=0"));
    free(out);
    return resumed;
}

static void tls12_session_out(struct test_env *env, const char *name)
{
    char args[512];
    snprintf(args, sizeof args, "-tls1_2 -servername www.rampart.test -sess_out %s/%s", env->dir, name);
    char *out = tls_harness_client(&env->main, args);
    assert_non_null(strstr(out, "resumed=0"));
    free(out);
}

/* Issue 10: by default a TLS 1.2 client gets no ticket it could resume
 * with (a TLS 1.2 resumption skips ECDHE), and one issued while they were
 * on no longer opens; TLS 1.3 still resumes. */
static void test_tls12_tickets_off_by_default(void **state)
{
    struct test_env *env = *state;
    struct config cfg;
    base_config(&cfg, env->dir);
    assert_false(cfg.tls.server.tickets_tls12);
    tls12_session_out(env, "sess12off");
    assert_false(tls12_resumed(env, "sess12off"));
    /* a ticket from when they were on */
    cfg.tls.server.tickets_tls12 = true;
    reload(&env->main, &cfg);
    tls12_session_out(env, "sess12on");
    assert_true(tls12_resumed(env, "sess12on"));
    tls12_session_out(env, "sess12on");
    base_config(&cfg, env->dir);
    reload(&env->main, &cfg);
    assert_false(tls12_resumed(env, "sess12on"));
    check_resumption(env, "-tls1_3");
}

/* "resumed=0" or "resumed=1" of a TLS 1.3 session saved (out) or reused (in). */
static bool session_resumed(struct test_env *env, const char *inout, const char *name)
{
    char args[512];
    snprintf(args, sizeof args, "-tls1_3 -sess_%s %s/%s", inout, env->dir, name);
    char *out = tls_harness_client(&env->main, args);
    bool resumed = strstr(out, "resumed=1") != NULL;
    assert_true(resumed || strstr(out, "resumed=0"));
    free(out);
    return resumed;
}

static struct tls_ticket_key test_key(uint8_t fill)
{
    struct tls_ticket_key k;
    memset(&k, fill, sizeof k);
    return k;
}

/* The parent's keys: a rotation keeps the previous key accepted, the one
 * before that is gone; the same keys in a new server (a new relay) open
 * the same tickets. */
static void test_parent_ticket_keys_rotate(void **state)
{
    struct test_env *env = *state;
    struct tls_ticket_key k0 = test_key(0x10), k1 = test_key(0x11), k2 = test_key(0x12);
    struct tls_ticket_keys keys = {.previous = k0, .current = k0};
    assert_int_equal(tls_server_set_ticket_keys(atomic_load(&env->main.srv), &keys), 0);
    assert_false(session_resumed(env, "out", "k0"));
    tls_ticket_keys_rotate(&keys, &k1);
    assert_memory_equal(&keys.previous, &k0, sizeof k0);
    assert_memory_equal(&keys.current, &k1, sizeof k1);
    assert_int_equal(tls_server_set_ticket_keys(atomic_load(&env->main.srv), &keys), 0);
    assert_true(session_resumed(env, "in", "k0")); /* previous still opens */
    assert_false(session_resumed(env, "out", "k1"));
    tls_ticket_keys_rotate(&keys, &k2);
    assert_int_equal(tls_server_set_ticket_keys(atomic_load(&env->main.srv), &keys), 0);
    assert_false(session_resumed(env, "in", "k0")); /* two rotations old: gone */
    assert_true(session_resumed(env, "in", "k1"));
    /* a fresh process state with a different lifetime (new context), given
     * the same keys, opens the same ticket */
    struct config cfg;
    base_config(&cfg, env->dir);
    cfg.tls.server.ticket_lifetime_ms = 2 * 3600 * 1000;
    reload(&env->main, &cfg);
    assert_false(session_resumed(env, "in", "k1"));
    assert_int_equal(tls_server_set_ticket_keys(atomic_load(&env->main.srv), &keys), 0);
    assert_true(session_resumed(env, "in", "k1"));
    base_config(&cfg, env->dir);
    reload(&env->main, &cfg);
}

static void test_ticket_key_generate(void **state)
{
    (void)state;
    struct tls_ticket_key a, b;
    assert_int_equal(tls_ticket_key_generate(&a), 0);
    assert_int_equal(tls_ticket_key_generate(&b), 0);
    assert_memory_not_equal(&a, &b, sizeof a);
}

static void test_client_alert_counted(void **state)
{
    struct test_env *env = *state;
    unsigned long long before = failures(TLS_FAIL_ALERT);
    /* Verifying against a CA that did not sign us makes s_client send a
     * fatal unknown_ca alert in the middle of the handshake. */
    char args[256];
    snprintf(args, sizeof args, "-tls1_2 -verify_return_error -CAfile %s/rsa.pem", env->dir);
    char *out = tls_harness_client(&env->main, args);
    assert_null(strstr(out, "version="));
    assert_int_equal(failures(TLS_FAIL_ALERT), before + 1);
    assert_non_null(strstr(env->main.last_error, "client sent fatal alert"));
    free(out);
}

static void test_key_not_matching_certificate(void **state)
{
    struct test_env *env = *state;
    struct config cfg;
    base_config(&cfg, env->dir);
    tls_harness_set_cert(&cfg.tls.server.certs[1], env->dir, "*.api.rampart.test", "rsa", "ecdsa");
    char err[512], want[512];
    assert_null(tls_server_new_local(&cfg.tls.server, err, sizeof err));
    snprintf(want, sizeof want, "%s/ecdsa.key: private key does not match certificate %s/rsa.pem", env->dir,
             env->dir);
    assert_string_equal(err, want);
}

static void test_unreadable_files_named(void **state)
{
    struct test_env *env = *state;
    struct config cfg;
    base_config(&cfg, env->dir);
    tls_harness_set_cert(&cfg.tls.server.certs[0], env->dir, "www.rampart.test", "missing", "ecdsa");
    char err[512], want[512];
    assert_null(tls_server_new_local(&cfg.tls.server, err, sizeof err));
    snprintf(want, sizeof want, "%s/missing.pem: cannot load certificate chain", env->dir);
    assert_memory_equal(err, want, strlen(want));

    base_config(&cfg, env->dir);
    tls_harness_set_cert(&cfg.tls.server.certs[0], env->dir, "www.rampart.test", "ecdsa",
                         "ecdsa.pem"); /* a cert as key */
    assert_null(tls_server_new_local(&cfg.tls.server, err, sizeof err));
    snprintf(want, sizeof want, "%s/ecdsa.pem.key: cannot load private key", env->dir);
    assert_memory_equal(err, want, strlen(want));
}

/* A certificate file that holds the key as well is refused: the relay
 * reads certificate files, and no key may pass through it. */
static void test_certificate_file_with_a_key_refused(void **state)
{
    struct test_env *env = *state;
    char cmd[512], err[512], want[512];
    snprintf(cmd, sizeof cmd, "cat %s/ecdsa.pem %s/ecdsa.key >%s/both.pem", env->dir, env->dir, env->dir);
    assert_int_equal(tls_harness_run(cmd), 0);
    struct config cfg;
    base_config(&cfg, env->dir);
    tls_harness_set_cert(&cfg.tls.server.certs[0], env->dir, "www.rampart.test", "both", "ecdsa");
    assert_null(tls_server_new_local(&cfg.tls.server, err, sizeof err));
    snprintf(want, sizeof want, "%s/both.pem: holds a private key as well", env->dir);
    assert_memory_equal(err, want, strlen(want));
    assert_int_equal(tls_server_check(&cfg.tls.server, err, sizeof err), -1);
    assert_memory_equal(err, want, strlen(want));
    base_config(&cfg, env->dir); /* the same chain alone is fine */
    assert_int_equal(tls_server_check(&cfg.tls.server, err, sizeof err), 0);
}

static void test_ticket_lifetime_bounds(void **state)
{
    struct test_env *env = *state;
    struct config cfg;
    base_config(&cfg, env->dir);
    char err[256];
    cfg.tls.server.ticket_lifetime_ms = 7ull * 24 * 3600 * 1000; /* the TLS 1.3 maximum */
    struct tls_server *srv = tls_server_new_local(&cfg.tls.server, err, sizeof err);
    assert_non_null(srv);
    tls_server_unref(srv);
    cfg.tls.server.ticket_lifetime_ms += 1000;
    assert_null(tls_server_new_local(&cfg.tls.server, err, sizeof err));
    assert_non_null(strstr(err, "ticket_lifetime"));
    cfg.tls.server.ticket_lifetime_ms = 999;
    assert_null(tls_server_new_local(&cfg.tls.server, err, sizeof err));
    cfg.tls.server.tickets = false; /* lifetime is not looked at then */
    srv = tls_server_new_local(&cfg.tls.server, err, sizeof err);
    assert_non_null(srv);
    tls_server_unref(srv);
}

static void test_certificate_count_bounds(void **state)
{
    struct test_env *env = *state;
    struct config cfg;
    base_config(&cfg, env->dir);
    char err[256];
    cfg.tls.server.n_certs = 0;
    assert_null(tls_server_new_local(&cfg.tls.server, err, sizeof err));
    assert_string_equal(err, "tls: need 1-16 certificates, got 0");
    for (unsigned i = 0; i < CONFIG_MAX_CERTIFICATES; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%u.rampart.test", i);
        tls_harness_set_cert(&cfg.tls.server.certs[i], env->dir, name, "ecdsa", "ecdsa");
    }
    cfg.tls.server.n_certs = CONFIG_MAX_CERTIFICATES;
    struct tls_server *srv = tls_server_new_local(&cfg.tls.server, err, sizeof err);
    assert_non_null(srv);
    tls_server_unref(srv);
    cfg.tls.server.n_certs = CONFIG_MAX_CERTIFICATES + 1;
    assert_null(tls_server_new_local(&cfg.tls.server, err, sizeof err));
}

/* A connection over one end of a socket pair; the test plays the client. */
static struct tls_conn *pair_conn(struct test_env *env, int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct config cfg;
    base_config(&cfg, env->dir);
    char err[256];
    struct tls_server *srv = tls_server_new_local(&cfg.tls.server, err, sizeof err);
    assert_non_null(srv);
    struct tls_conn *conn = tls_conn_new(srv, sv[0], "198.18.0.9:1234");
    assert_non_null(conn);
    tls_server_unref(srv); /* the connection's own reference keeps it alive */
    return conn;
}

static void pair_close(struct tls_conn *conn, int sv[2])
{
    tls_conn_free(conn); /* frees the server too (ASan checks both) */
    close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
}

static void test_handshake_waits_then_client_closes(void **state)
{
    int sv[2];
    struct tls_conn *conn = pair_conn(*state, sv);
    assert_int_equal(tls_conn_handshake(conn), TLS_IO_WANT_READ);
    assert_int_equal(tls_conn_record_max(conn), TLS_RECORD_PLAIN_MAX); /* no record keys yet */
    assert_string_equal(tls_conn_version(conn), "");
    assert_string_equal(tls_conn_cipher(conn), "");
    assert_false(tls_conn_resumed(conn));
    unsigned long long before = failures(TLS_FAIL_CLOSED);
    close(sv[1]);
    sv[1] = -1;
    assert_int_equal(tls_conn_handshake(conn), TLS_IO_ERROR);
    assert_int_equal(failures(TLS_FAIL_CLOSED), before + 1);
    assert_string_equal(tls_conn_error(conn), "client closed the connection");
    pair_close(conn, sv);
}

static void test_plain_http_on_tls_port_is_protocol_error(void **state)
{
    int logp[2];
    assert_int_equal(pipe(logp), 0);
    log_setup(LOG_FORMAT_PLAIN, logp[1], LOG_LEVEL_DEBUG, NULL);
    int sv[2];
    struct tls_conn *conn = pair_conn(*state, sv);
    static const char req[] = "GET / HTTP/1.1\r\nHost: www.rampart.test\r\n\r\n";
    assert_int_equal(write(sv[1], req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    unsigned long long before = failures(TLS_FAIL_PROTOCOL);
    assert_int_equal(tls_conn_handshake(conn), TLS_IO_ERROR);
    assert_int_equal(failures(TLS_FAIL_PROTOCOL), before + 1);
    assert_string_equal(tls_conn_error(conn), "not TLS: the client sent plain HTTP to the HTTPS port");
    pair_close(conn, sv);
    log_setup(LOG_FORMAT_PLAIN, 2, LOG_LEVEL_INFO, NULL);
    char line[1024];
    ssize_t n = read(logp[0], line, sizeof line - 1);
    assert_true(n > 0);
    line[n] = '\0';
    assert_non_null(strstr(line, " tls_handshake_failed client=198.18.0.9:1234 reason=protocol sni=\"\" "
                                 "error=\"not TLS: the client sent plain HTTP to the HTTPS port\""));
    close(logp[0]);
    close(logp[1]);
}

/* A ClientHello with extension 0 twice (RFC 8446 4.2), in 1-byte records:
 * the pre-reader (tls_hello.c) answers with a fatal illegal_parameter
 * alert before mbedTLS sees it, and it counts as a protocol failure. */
static void test_repeated_extension_alert(void **state)
{
    int sv[2];
    struct tls_conn *conn = pair_conn(*state, sv);
    static const uint8_t body[] = {3, 3, [34] = 0, 0, 2, 0x13, 0x01, 1, 0,     /* suites, compression */
                                   0, 8, 0,        0, 0, 0,    0,    0, 0, 0}; /* server_name twice, empty */
    uint8_t msg[4 + sizeof body] = {1, 0, 0, sizeof body};
    memcpy(msg + 4, body, sizeof body);
    for (size_t i = 0; i < sizeof msg; i++) {
        uint8_t rec[6] = {22, 3, 1, 0, 1, msg[i]};
        assert_int_equal(write(sv[1], rec, sizeof rec), (ssize_t)sizeof rec);
    }
    unsigned long long before = failures(TLS_FAIL_PROTOCOL);
    assert_int_equal(tls_conn_handshake(conn), TLS_IO_ERROR);
    assert_int_equal(failures(TLS_FAIL_PROTOCOL), before + 1);
    assert_string_equal(tls_conn_error(conn), "the ClientHello carries extension 0 twice");
    uint8_t alert[8];
    assert_int_equal(read(sv[1], alert, sizeof alert), 7);
    assert_memory_equal(alert, "\x15\x03\x03\x00\x02\x02\x2f", 7);
    pair_close(conn, sv);
}

static void test_idle_before_handshake_is_harmless(void **state)
{
    int sv[2];
    struct tls_conn *conn = pair_conn(*state, sv);
    /* nothing to give back yet (mbedtls_ssl_setup allocated both record
     * buffers, the handshake needs them): must not disturb the handshake */
    assert_true(tls_conn_buffered(conn) >= 2 * TLS_RECORD_PLAIN_MAX);
    assert_int_equal(tls_conn_idle(conn), 0);
    assert_int_equal(tls_conn_handshake(conn), TLS_IO_WANT_READ);
    assert_int_equal(tls_conn_pending(conn), 0);
    pair_close(conn, sv);
}

/* Idle after the handshake, between records: both record buffers go back
 * to the allocator but a few bytes, and tls_conn_idle() says how many (what
 * the relay counts towards its heap trim, gateway/proxy/exchange.c). */
static void test_idle_gives_back_record_buffers(void **state)
{
    struct test_env *env = *state;
    atomic_store(&env->main.idle_before, 0);
    atomic_store(&env->main.idle_after, 0);
    atomic_store(&env->main.idle_released, 0);
    char *out = tls_harness_client(&env->main, "-tls1_3 -servername www.rampart.test");
    assert_non_null(strstr(out, "version=TLSv1.3"));
    free(out);
    size_t before = atomic_load(&env->main.idle_before), after = atomic_load(&env->main.idle_after);
    assert_true(before >= 2 * TLS_RECORD_PLAIN_MAX);
    assert_true(after > 0 && after <= 256);
    assert_int_equal(atomic_load(&env->main.idle_released), before - after);
}

/* The bio reads ahead up to 16 KiB (TLS_READAHEAD_LEN) and serves mbedTLS
 * from there: full-size records (16 KiB + overhead, larger than the
 * read-ahead) sent back to back straddle its refills; the server reads 512
 * bytes at a time and only waits on the socket when tls_conn_pending() is
 * 0. All 50,000 bytes must come through intact for the reply to come. */
static void test_records_larger_than_readahead(void **state)
{
    struct test_env *env = *state;
    char *out =
        tls_harness_client_input(&env->main, "head -c 50000 /dev/zero | tr '\\000' A; printf '\\ntwo\\n'",
                                 "-tls1_3 -servername www.rampart.test");
    assert_non_null(strstr(out, "version=TLSv1.3 "));
    free(out);
    out = tls_harness_client_input(&env->main, "head -c 50000 /dev/zero | tr '\\000' A; printf '\\ntwo\\n'",
                                   "-tls1_2 -servername www.rampart.test");
    assert_non_null(strstr(out, "version=TLSv1.2 "));
    free(out);
}

/* ---- the primitives of a handshake run in tls/'s PSA drivers --------------- */

static void crypto_snapshot(uint64_t *n)
{
    for (int op = 0; op < TLS_CRYPTO_OP_COUNT; op++)
        n[op] = tls_crypto_calls((enum tls_crypto_op)op);
}

/* How often op ran in the drivers since the snapshot. */
static uint64_t crypto_delta(const uint64_t *before, enum tls_crypto_op op)
{
    return tls_crypto_calls(op) - before[op];
}

static void handshake_counted(struct test_env *env, const char *args, const char *expect, uint64_t *before)
{
    crypto_snapshot(before);
    char *out = tls_harness_client(&env->main, args);
    assert_non_null(strstr(out, expect));
    free(out);
}

/* One full handshake makes one key share (key + public key), one shared
 * secret and one signature, all in the drivers, for TLS 1.3 and TLS 1.2;
 * the records of both versions (and the session ticket) are sealed and
 * opened there too, AES-GCM and ChaCha20-Poly1305 alike. */
static void test_handshakes_run_in_drivers(void **state)
{
    struct test_env *env = *state;
    uint64_t b[TLS_CRYPTO_OP_COUNT];
    handshake_counted(env, "-tls1_3 -groups X25519 -servername www.rampart.test",
                      "version=TLSv1.3 cipher=TLS_AES_", b);
    assert_int_equal(crypto_delta(b, TLS_CRYPTO_OP_X25519_KEYGEN), 1);
    assert_int_equal(crypto_delta(b, TLS_CRYPTO_OP_X25519_PUBLIC), 1);
    assert_int_equal(crypto_delta(b, TLS_CRYPTO_OP_X25519_AGREE), 1);
    assert_int_equal(crypto_delta(b, TLS_CRYPTO_OP_ECDSA_P256_SIGN), 1);
    assert_true(crypto_delta(b, TLS_CRYPTO_OP_GCM_SEAL) >= 4); /* EE..Finished, ticket, reply */
    assert_true(crypto_delta(b, TLS_CRYPTO_OP_GCM_OPEN) >= 2); /* Finished, the lines */

    handshake_counted(env, "-tls1_2 -groups P-256 -servername www.rampart.test",
                      "version=TLSv1.2 cipher=ECDHE-ECDSA-AES128-GCM-SHA256 ", b);
    assert_int_equal(crypto_delta(b, TLS_CRYPTO_OP_P256_KEYGEN), 1);
    assert_int_equal(crypto_delta(b, TLS_CRYPTO_OP_P256_PUBLIC), 1);
    assert_int_equal(crypto_delta(b, TLS_CRYPTO_OP_P256_AGREE), 1);
    assert_int_equal(crypto_delta(b, TLS_CRYPTO_OP_ECDSA_P256_SIGN), 1);
    assert_true(crypto_delta(b, TLS_CRYPTO_OP_GCM_SEAL) >= 3); /* ticket, Finished, reply */
    assert_true(crypto_delta(b, TLS_CRYPTO_OP_GCM_OPEN) >= 2);

    handshake_counted(env, "-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256",
                      "cipher=TLS_CHACHA20_POLY1305_SHA256 ", b);
    assert_true(crypto_delta(b, TLS_CRYPTO_OP_CHACHAPOLY_SEAL) >= 3);
    assert_true(crypto_delta(b, TLS_CRYPTO_OP_CHACHAPOLY_OPEN) >= 2);
    /* (TLS 1.2's groups also name the certificate's curve: P-256 must be there) */
    handshake_counted(env, "-tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 -groups X25519:P-256",
                      "cipher=ECDHE-ECDSA-CHACHA20-POLY1305 ", b);
    assert_int_equal(crypto_delta(b, TLS_CRYPTO_OP_X25519_AGREE), 1);
    assert_true(crypto_delta(b, TLS_CRYPTO_OP_CHACHAPOLY_SEAL) >= 2);
    assert_true(crypto_delta(b, TLS_CRYPTO_OP_CHACHAPOLY_OPEN) >= 2);
}

/* The same handshakes with the drivers off: mbedTLS's own code, same result. */
static void test_handshakes_without_drivers(void **state)
{
    struct test_env *env = *state;
    static const enum tls_crypto_prim prims[] = {TLS_CRYPTO_AES_GCM, TLS_CRYPTO_CHACHA20_POLY1305,
                                                 TLS_CRYPTO_ECDSA_P256, TLS_CRYPTO_ECDH_P256,
                                                 TLS_CRYPTO_X25519};
    uint64_t b[TLS_CRYPTO_OP_COUNT];
    for (unsigned i = 0; i < 5; i++)
        tls_crypto_set_accel(prims[i], false);
    handshake_counted(env, "-tls1_3 -groups X25519", "version=TLSv1.3 ", b);
    handshake_counted(env, "-tls1_2 -groups P-256", "version=TLSv1.2 ", b);
    for (int op = 0; op < TLS_CRYPTO_OP_COUNT; op++)
        assert_int_equal(crypto_delta(b, (enum tls_crypto_op)op), 0);
    for (unsigned i = 0; i < 5; i++)
        tls_crypto_set_accel(prims[i], true);
}

static void test_reason_names(void **state)
{
    (void)state;
    assert_string_equal(tls_fail_reason_name(TLS_FAIL_VERSION), "version");
    assert_string_equal(tls_fail_reason_name(TLS_FAIL_CLOSED), "closed");
    assert_string_equal(tls_fail_reason_name(TLS_FAIL_OTHER), "other");
    assert_string_equal(tls_fail_reason_name(TLS_FAIL_COUNT), "other");
    unsigned long long before = failures(TLS_FAIL_TIMEOUT);
    tls_count_failure(TLS_FAIL_TIMEOUT);
    assert_int_equal(failures(TLS_FAIL_TIMEOUT), before + 1);
    assert_non_null(strstr(tls_library_version(), "mbedTLS 3.6"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls13_accepted),
        cmocka_unit_test(test_tls12_accepted),
        cmocka_unit_test(test_record_max),
        cmocka_unit_test(test_tls10_and_tls11_refused_as_version),
        cmocka_unit_test(test_min_version_13_refuses_12),
        cmocka_unit_test(test_aes_gcm_profile_refuses_chacha),
        cmocka_unit_test(test_tls12_cbc_refused),
        cmocka_unit_test(test_sni_picks_certificate),
        cmocka_unit_test(test_alpn_prefers_h2),
        cmocka_unit_test(test_alpn_http11_only),
        cmocka_unit_test(test_ticket_resumption_tls13),
        cmocka_unit_test(test_ticket_resumption_tls12),
        cmocka_unit_test(test_tls12_tickets_off_by_default),
        cmocka_unit_test(test_tickets_survive_reload_with_same_lifetime),
        cmocka_unit_test(test_parent_ticket_keys_rotate),
        cmocka_unit_test(test_ticket_key_generate),
        cmocka_unit_test(test_client_alert_counted),
        cmocka_unit_test(test_key_not_matching_certificate),
        cmocka_unit_test(test_unreadable_files_named),
        cmocka_unit_test(test_certificate_file_with_a_key_refused),
        cmocka_unit_test(test_ticket_lifetime_bounds),
        cmocka_unit_test(test_certificate_count_bounds),
        cmocka_unit_test(test_handshake_waits_then_client_closes),
        cmocka_unit_test(test_plain_http_on_tls_port_is_protocol_error),
        cmocka_unit_test(test_idle_before_handshake_is_harmless),
        cmocka_unit_test(test_idle_gives_back_record_buffers),
        cmocka_unit_test(test_repeated_extension_alert),
        cmocka_unit_test(test_records_larger_than_readahead),
        cmocka_unit_test(test_handshakes_run_in_drivers),
        cmocka_unit_test(test_handshakes_without_drivers),
        cmocka_unit_test(test_reason_names),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
