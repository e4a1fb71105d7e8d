/*
 * Unit tests for tls/tls_signer.c: handshakes whose signatures are made
 * by a key holder over socketpair channels (the opaque PSA driver), with
 * `openssl s_client` as the client (tests/unit/helpers/tls_harness.h).
 *
 * The key holder here is a thread per channel that answers with a real
 * keyring (tls_keyring_answer), as gateway/proc/keyholder.c does, and can
 * be told to stay silent, to answer late or to go away. Covered: TLS 1.3
 * and 1.2 with ECDSA and RSA (PSS and PKCS#1 v1.5) and SNI; the deadline
 * (a silent key holder fails the handshake, counted as "keyholder" and as
 * a timeout, and the serving thread goes on); a late answer is dropped,
 * not taken for the next one; a key holder that is gone fails handshakes
 * at once; new channels (a restarted key holder) are checked against the
 * certificates before they are used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/config/config.h"
#include "tests/unit/helpers/tls_harness.h"
#include "tls/tls.h"
#include "tls/tls_keyring.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define N_CHANNELS 2
#define TIMEOUT_MS 200 /* the signer's deadline in these tests */

enum fake_mode { FAKE_ANSWER, FAKE_SILENT, FAKE_LATE };

/* A key holder: one thread per channel, answering from kr. */
struct fake_kh {
    struct tls_keyring *kr;
    int ends[N_CHANNELS];  /* its own */
    int relay[N_CHANNELS]; /* for the signer */
    pthread_t threads[N_CHANNELS];
    _Atomic int mode;
    atomic_uint answered;
};

struct fake_chan {
    struct fake_kh *kh;
    unsigned i;
};

static void *fake_chan_main(void *arg)
{
    struct fake_chan *fc = arg;
    struct fake_kh *kh = fc->kh;
    int fd = kh->ends[fc->i];
    free(fc);
    uint8_t req[TLS_KEYREQ_SIZE + 1], rep[TLS_KEYREP_MAX];
    for (;;) {
        ssize_t n = recv(fd, req, sizeof req, 0);
        if (n <= 0)
            return NULL;
        int mode = atomic_load(&kh->mode);
        if (mode == FAKE_SILENT)
            continue;
        if (mode == FAKE_LATE)
            poll(NULL, 0, 2 * TIMEOUT_MS);
        enum tls_keyreq_status st;
        size_t len = tls_keyring_answer(kh->kr, req, (size_t)n, rep, sizeof rep, &st);
        atomic_fetch_add(&kh->answered, 1);
        if (send(fd, rep, len, MSG_NOSIGNAL) < 0)
            return NULL;
    }
}

static void fake_start(struct fake_kh *kh, const struct tls_config *cfg)
{
    char err[256];
    memset(kh, 0, sizeof *kh);
    kh->kr = tls_keyring_load(cfg, err, sizeof err);
    assert_non_null(kh->kr);
    for (unsigned i = 0; i < N_CHANNELS; i++) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        kh->relay[i] = sv[0];
        kh->ends[i] = sv[1];
        struct fake_chan *fc = malloc(sizeof *fc);
        *fc = (struct fake_chan){kh, i};
        assert_int_equal(pthread_create(&kh->threads[i], NULL, fake_chan_main, fc), 0);
    }
}

/* The key holder goes away: its ends close, its threads end. */
static void fake_stop(struct fake_kh *kh)
{
    for (unsigned i = 0; i < N_CHANNELS; i++)
        shutdown(kh->ends[i], SHUT_RDWR);
    for (unsigned i = 0; i < N_CHANNELS; i++) {
        pthread_join(kh->threads[i], NULL);
        close(kh->ends[i]);
    }
    tls_keyring_free(kh->kr);
}

struct env {
    char dir[64];
    struct tls_config cfg;
    struct fake_kh kh;
    struct tls_harness_server hs;
};

static unsigned long long kh_count(enum tls_keyholder_result r)
{
    return atomic_load(&tls_stats_keyholder.requests[r]);
}

static int setup(void **state)
{
    static struct env e;
    snprintf(e.dir, sizeof e.dir, "/tmp/rampart-test-signer-XXXXXX");
    if (!mkdtemp(e.dir) || tls_global_init() != 0 ||
        tls_harness_make_cert(e.dir, "ecdsa", "www.rampart.test", "ec -pkeyopt ec_paramgen_curve:P-256") ||
        tls_harness_make_cert(e.dir, "rsa", "*.api.rampart.test", "rsa:2048") ||
        tls_harness_make_cert(e.dir, "other", "www.rampart.test", "ec -pkeyopt ec_paramgen_curve:P-256"))
        return -1;
    e.cfg = (struct tls_config){.n_certs = 2, .min_version = TLS_MIN_1_2};
    tls_harness_set_cert(&e.cfg.certs[0], e.dir, "www.rampart.test", "ecdsa", "ecdsa");
    tls_harness_set_cert(&e.cfg.certs[1], e.dir, "*.api.rampart.test", "rsa", "rsa");
    fake_start(&e.kh, &e.cfg);
    struct tls_signer *signer = tls_signer_keyholder(e.kh.relay, N_CHANNELS, TIMEOUT_MS);
    char err[256];
    struct tls_server *srv = tls_server_new(&e.cfg, signer, err, sizeof err);
    tls_signer_unref(signer); /* the server's reference keeps it */
    if (!srv) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    /* the serving thread signs over channel 1, as worker 1 would */
    if (tls_harness_start(&e.hs, srv, 1) != 0)
        return -1;
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    tls_harness_stop(&e->hs);
    fake_stop(&e->kh);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", e->dir);
    return tls_harness_run(cmd);
}

/* One handshake with args; the server's line must contain `want`. */
static void handshake(struct env *e, const char *args, const char *want, const char *sigtype)
{
    char *out = tls_harness_client(&e->hs, args);
    if (!strstr(out, want) || (sigtype && !strstr(out, sigtype)))
        fprintf(stderr, "s_client %s:\n%s\nserver: %s\n", args, out, e->hs.last_error);
    assert_non_null(strstr(out, want));
    if (sigtype)
        assert_non_null(strstr(out, sigtype));
    free(out);
}

static void test_every_version_and_key_signs_remotely(void **state)
{
    struct env *e = *state;
    unsigned long long ok0 = kh_count(TLS_KH_OK);
    unsigned answered0 = atomic_load(&e->kh.answered);
    handshake(e, "-tls1_3 -servername www.rampart.test", "version=TLSv1.3 ", "Peer signature type: ECDSA");
    handshake(e, "-tls1_2 -servername www.rampart.test", "cipher=ECDHE-ECDSA-", "Peer signature type: ECDSA");
    handshake(e, "-tls1_3 -servername img.api.rampart.test", "sni=img.api.rampart.test",
              "Peer signature type: RSA-PSS");
    handshake(e, "-tls1_2 -servername img.api.rampart.test -sigalgs RSA+SHA256", "cipher=ECDHE-RSA-",
              "Peer signature type: RSA\n");
    assert_int_equal(kh_count(TLS_KH_OK), ok0 + 4);
    assert_int_equal(atomic_load(&e->kh.answered), answered0 + 4);
}

/* Silent: the handshake fails at the deadline (the client does not wait
 * for its own 10 s timeout), counted; the thread serves the next one. */
static void test_silent_keyholder_fails_the_handshake_at_the_deadline(void **state)
{
    struct env *e = *state;
    unsigned long long t0 = kh_count(TLS_KH_TIMEOUT);
    unsigned long long f0 = atomic_load(&tls_stats.failures[TLS_FAIL_KEYHOLDER]);
    atomic_store(&e->kh.mode, FAKE_SILENT);
    char *out = tls_harness_client(&e->hs, "-tls1_3");
    assert_null(strstr(out, "version="));
    free(out);
    assert_int_equal(kh_count(TLS_KH_TIMEOUT), t0 + 1);
    assert_int_equal(atomic_load(&tls_stats.failures[TLS_FAIL_KEYHOLDER]), f0 + 1);
    assert_string_equal(e->hs.last_error, "the key holder did not sign (timeout)");
    atomic_store(&e->kh.mode, FAKE_ANSWER);
    handshake(e, "-tls1_3", "version=TLSv1.3 ", NULL);
}

/* Late: the answer comes after the deadline; the next request drops it
 * (another sequence number) and waits for its own. */
static void test_late_answer_not_taken_for_the_next(void **state)
{
    struct env *e = *state;
    unsigned long long t0 = kh_count(TLS_KH_TIMEOUT), ok0 = kh_count(TLS_KH_OK);
    atomic_store(&e->kh.mode, FAKE_LATE);
    char *out = tls_harness_client(&e->hs, "-tls1_3");
    assert_null(strstr(out, "version="));
    free(out);
    atomic_store(&e->kh.mode, FAKE_ANSWER);
    handshake(e, "-tls1_3", "version=TLSv1.3 ", NULL);
    handshake(e, "-tls1_2", "version=TLSv1.2 ", NULL);
    assert_int_equal(kh_count(TLS_KH_TIMEOUT), t0 + 1);
    assert_int_equal(kh_count(TLS_KH_OK), ok0 + 2);
}

/* Gone, then back with new channels: handshakes fail at once while it is
 * gone, and work again once each thread took its new channel. A key
 * holder with other keys is refused before any channel changes. */
static void test_keyholder_gone_then_replaced(void **state)
{
    struct env *e = *state;
    fake_stop(&e->kh);
    unsigned long long err0 = kh_count(TLS_KH_ERROR);
    char *out = tls_harness_client(&e->hs, "-tls1_3");
    assert_null(strstr(out, "version="));
    free(out);
    assert_int_equal(kh_count(TLS_KH_ERROR), err0 + 1);
    assert_string_equal(e->hs.last_error, "the key holder did not sign (error)");

    struct tls_config other = e->cfg;
    tls_harness_set_cert(&other.certs[0], e->dir, "www.rampart.test", "other", "other");
    struct fake_kh wrong;
    fake_start(&wrong, &other);
    char err[512];
    struct tls_server *srv = atomic_load(&e->hs.srv);
    assert_int_equal(tls_server_keyholder_replace(srv, wrong.relay, N_CHANNELS, err, sizeof err), -1);
    assert_non_null(strstr(err, "ecdsa.pem: the key holder's key 0 is not this certificate's"));
    assert_int_equal(tls_server_keyholder_replace(srv, wrong.relay, N_CHANNELS - 1, err, sizeof err), -1);
    for (unsigned i = 0; i < N_CHANNELS; i++)
        close(wrong.relay[i]);
    fake_stop(&wrong);

    fake_start(&e->kh, &e->cfg);
    assert_int_equal(tls_server_keyholder_replace(srv, e->kh.relay, N_CHANNELS, err, sizeof err), 0);
    handshake(e, "-tls1_3 -servername img.api.rampart.test", "version=TLSv1.3 ", "RSA-PSS");
}

/* A server is never built on a key holder whose keys are not the
 * certificates'; nor on a signer without channels. */
static void test_server_refuses_a_keyholder_with_other_keys(void **state)
{
    struct env *e = *state;
    struct tls_config other = e->cfg;
    tls_harness_set_cert(&other.certs[1], e->dir, "*.api.rampart.test", "other", "other");
    struct fake_kh wrong;
    fake_start(&wrong, &other);
    struct tls_signer *signer = tls_signer_keyholder(wrong.relay, N_CHANNELS, TIMEOUT_MS);
    char err[512];
    assert_null(tls_server_new(&e->cfg, signer, err, sizeof err));
    assert_non_null(strstr(err, "rsa.pem: the key holder's key 1 is not this certificate's"));
    tls_signer_unref(signer); /* closes the relay's ends */
    fake_stop(&wrong);
    assert_null(tls_signer_keyholder(wrong.relay, 0, TIMEOUT_MS));
    assert_null(tls_signer_keyholder(wrong.relay, TLS_SIGNER_CHANNELS_MAX + 1, TIMEOUT_MS));
    assert_null(tls_server_new(&e->cfg, NULL, err, sizeof err));
}

static void test_result_names(void **state)
{
    (void)state;
    assert_string_equal(tls_keyholder_result_name(TLS_KH_OK), "ok");
    assert_string_equal(tls_keyholder_result_name(TLS_KH_TIMEOUT), "timeout");
    assert_string_equal(tls_keyholder_result_name(TLS_KH_RESULT_COUNT), "error");
    assert_string_equal(tls_fail_reason_name(TLS_FAIL_KEYHOLDER), "keyholder");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_version_and_key_signs_remotely),
        cmocka_unit_test(test_silent_keyholder_fails_the_handshake_at_the_deadline),
        cmocka_unit_test(test_late_answer_not_taken_for_the_next),
        cmocka_unit_test(test_keyholder_gone_then_replaced),
        cmocka_unit_test(test_server_refuses_a_keyholder_with_other_keys),
        cmocka_unit_test(test_result_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
