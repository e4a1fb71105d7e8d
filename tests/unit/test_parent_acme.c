/* Unit tests for gateway/proc/parent_acme.c: when the parent tells the
 * ACME process that an answer is in place (ACME_ACK), so that only then
 * the ACME server is told to look. Alone: once this node's serving relay
 * has the token set. On a pair: once the peer's relays serve it too
 * (ACME_SERVED, parent_acme_peer_served), or the session ends, or
 * PARENT_ACME_PEER_WAIT_MS pass (the waiting state's deadline). The test
 * plays the ACME process on a socketpair (parent_acme_attach) and steps
 * the loop's clock itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/acme/acme_msg.h"
#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/proc/ipc.h"
#include "gateway/proc/parent_acme.h"
#include "tests/unit/helpers/t_log.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NAME  "www.foobar.test"
#define TOKEN "tok_0123456789abcdefghijkl" /* base64url, 26 characters */

struct world {
    struct config cfg;
    struct loop *loop;
    struct loop_timer stop;
    uint64_t now;
    struct parent_acme pa;
    int acme_fd; /* the ACME process's end */
    unsigned tokens_changed;
};

static uint64_t clock_now(void *arg)
{
    return ((struct world *)arg)->now;
}

static void on_tokens_changed(void *arg)
{
    ((struct world *)arg)->tokens_changed++;
}

static void stop_fire(struct loop *loop, struct loop_timer *t)
{
    (void)t;
    loop_stop(loop);
}

/* Runs the loop until what is ready now (and the timers due) is handled. */
static void spin(struct world *w)
{
    for (int i = 0; i < 2; i++) {
        loop_timer_set(w->loop, &w->stop, 0);
        assert_int_equal(loop_run(w->loop), 0);
    }
}

/* The next message to the ACME process of `type` (others skipped), or
 * false if none is waiting. */
static bool acme_got(struct world *w, enum ipc_type type, struct acme_ack *ack)
{
    static char buf[IPC_MAX_MSG];
    struct ipc_msg m;
    const char *why = NULL;
    while (ipc_recv(w->acme_fd, buf, &m, &why) == 1) {
        if (m.type != type)
            continue;
        if (ack) {
            assert_int_equal(m.len, sizeof *ack);
            memcpy(ack, m.payload, sizeof *ack);
        }
        return true;
    }
    return false;
}

static int setup(void **state)
{
    static struct world w;
    memset(&w, 0, sizeof w);
    config_defaults(&w.cfg);
    snprintf(w.cfg.tls.server.certs[0].server_name, sizeof w.cfg.tls.server.certs[0].server_name, "%s", NAME);
    w.cfg.tls.server.n_certs = 1;
    assert_non_null(w.loop = loop_new());
    w.now = 1000;
    loop_set_clock(w.loop, clock_now, &w);
    w.stop = (struct loop_timer){.fn = stop_fire, .arg = &w};
    char err[256];
    assert_int_equal(parent_acme_init(&w.pa, w.loop, &w.cfg, false, err, sizeof err), 0);
    w.pa.tokens_changed = on_tokens_changed;
    w.pa.arg = &w;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
    w.acme_fd = sv[1];
    parent_acme_attach(&w.pa, sv[0]);
    assert_true(acme_got(&w, IPC_CONFIG, NULL));
    t_log_clear();
    *state = &w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    parent_acme_stop(&w->pa);
    close(w->acme_fd);
    loop_free(w->loop);
    return 0;
}

/* The ACME process publishes TOKEN (seq 7); the relays are told. */
static void publish(struct world *w)
{
    struct acme_token t = {.op = ACME_TOKEN_PUBLISH, .type = ACME_CHAL_HTTP01, .seq = 7};
    snprintf(t.identifier, sizeof t.identifier, "%s", NAME);
    snprintf(t.token, sizeof t.token, "%s", TOKEN);
    snprintf(t.key_auth, sizeof t.key_auth, "%s.%s", TOKEN, "thumbprint_0123456789abcdefghijklmnopqrs");
    unsigned before = w->tokens_changed;
    assert_int_equal(ipc_send(w->acme_fd, IPC_ACME_TOKEN, &t, sizeof t), 0);
    spin(w);
    assert_int_equal(w->tokens_changed, before + 1);
    assert_true(t_log_has("acme_challenge_published", NAME));
}

static void assert_acked(struct world *w)
{
    struct acme_ack ack;
    assert_true(acme_got(w, IPC_ACME_ACK, &ack));
    assert_int_equal(ack.seq, 7);
    assert_int_equal(ack.ok, 1);
    assert_false(acme_got(w, IPC_ACME_ACK, NULL)); /* once */
}

/* Alone: the ACK waits for the relay that serves the new set, not one
 * that acknowledges an older set. */
static void test_alone_acked_when_relay_serves(void **state)
{
    struct world *w = *state;
    publish(w);
    uint32_t gen = parent_acme_generation(&w->pa);
    assert_false(acme_got(w, IPC_ACME_ACK, NULL));
    parent_acme_relay_ack(&w->pa, gen - 1);
    spin(w);
    assert_false(acme_got(w, IPC_ACME_ACK, NULL));
    parent_acme_relay_ack(&w->pa, gen);
    spin(w);
    assert_acked(w);
}

/* On a pair: this node's relay is not enough; the peer's ACME_SERVED for
 * another token is not this one's; the one for TOKEN releases it. */
static void test_pair_acked_when_peer_serves(void **state)
{
    struct world *w = *state;
    w->pa.peer_serving = true;
    publish(w);
    parent_acme_relay_ack(&w->pa, parent_acme_generation(&w->pa));
    spin(w);
    assert_false(acme_got(w, IPC_ACME_ACK, NULL));
    parent_acme_peer_served(&w->pa, "another_token_0123456789ab");
    spin(w);
    assert_false(acme_got(w, IPC_ACME_ACK, NULL));
    parent_acme_peer_served(&w->pa, TOKEN);
    spin(w);
    assert_acked(w);
    assert_true(t_log_has("acme_challenge_served_by_peer", TOKEN));
    /* the deadline went with it */
    w->now += PARENT_ACME_PEER_WAIT_MS;
    spin(w);
    assert_false(acme_got(w, IPC_ACME_ACK, NULL));
    assert_false(t_log_has("acme_peer_not_serving", NULL));
}

/* The peer may confirm before this node's relay has the set: the ACK
 * still waits for the relay. */
static void test_pair_peer_first_then_relay(void **state)
{
    struct world *w = *state;
    w->pa.peer_serving = true;
    publish(w);
    parent_acme_peer_served(&w->pa, TOKEN);
    spin(w);
    assert_false(acme_got(w, IPC_ACME_ACK, NULL));
    parent_acme_relay_ack(&w->pa, parent_acme_generation(&w->pa));
    spin(w);
    assert_acked(w);
}

/* The deadline: a peer that never confirms holds the publish
 * PARENT_ACME_PEER_WAIT_MS, not a millisecond more, and says so. */
static void test_pair_peer_silent_deadline(void **state)
{
    struct world *w = *state;
    w->pa.peer_serving = true;
    publish(w);
    parent_acme_relay_ack(&w->pa, parent_acme_generation(&w->pa));
    w->now += PARENT_ACME_PEER_WAIT_MS - 1;
    spin(w);
    assert_false(acme_got(w, IPC_ACME_ACK, NULL));
    assert_false(t_log_has("acme_peer_not_serving", NULL));
    w->now += 1;
    spin(w);
    assert_acked(w);
    assert_true(t_log_has("acme_peer_not_serving", TOKEN));
}

/* The pair session ends while the publish waits for the peer: it waits
 * no more (there is no peer the ACME server could reach). */
static void test_pair_session_ends(void **state)
{
    struct world *w = *state;
    w->pa.peer_serving = true;
    publish(w);
    parent_acme_relay_ack(&w->pa, parent_acme_generation(&w->pa));
    spin(w);
    assert_false(acme_got(w, IPC_ACME_ACK, NULL));
    parent_acme_peer_served(&w->pa, NULL);
    spin(w);
    assert_acked(w);
    w->now += PARENT_ACME_PEER_WAIT_MS;
    spin(w);
    assert_false(t_log_has("acme_peer_not_serving", NULL));
}

int main(void)
{
    if (t_log_capture() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alone_acked_when_relay_serves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pair_acked_when_peer_serves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pair_peer_first_then_relay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pair_peer_silent_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pair_session_ends, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
