/* Unit tests for gateway/ha/peer_keys.c: who rotates when, and the merge
 * rule: the two greatest keys, the same on both nodes whatever the order,
 * across restarts, split brains and simultaneous starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/peer_keys.h"

#include <arpa/inet.h>
#include <string.h>

#define LIFE   (4ULL * 3600 * 1000)
#define T0     1000000ULL
#define T_HOUR (3600ULL * 1000)

static struct tls_ticket_key key(uint8_t b)
{
    struct tls_ticket_key k;
    memset(k.name, b, sizeof k.name);
    memset(k.key, (uint8_t)~b, sizeof k.key);
    return k;
}

/* What a node sends, as the other receives it (after a 5 ms transit). */
static bool hear(struct peer_keys_state *to, const struct peer_keys_state *from, uint64_t now)
{
    struct peer_keys w;
    peer_keys_export(from, now, &w);
    return peer_keys_merge(to, &w, now + 5);
}

static bool same(const struct peer_keys_state *a, const struct peer_keys_state *b)
{
    if (a->n != b->n)
        return false;
    for (unsigned i = 0; i < a->n; i++)
        if (a->k[i].epoch != b->k[i].epoch || memcmp(&a->k[i].key, &b->k[i].key, sizeof a->k[i].key) != 0)
            return false;
    return true;
}

static void test_schedule_master_and_deputy(void **state)
{
    (void)state;
    struct peer_keys_state m, d;
    peer_keys_init(&m, LIFE, true);
    peer_keys_init(&d, LIFE, false);
    assert_int_equal(peer_keys_rotate_at(&m), 0); /* no key yet */
    struct tls_ticket_key k1 = key(1);
    peer_keys_start(&m, &k1, T0);
    assert_int_equal(peer_keys_rotate_at(&m), T0 + LIFE);
    assert_true(hear(&d, &m, T0 + 10));
    /* the deputy waits the grace longer, from when the key was made (its age travelled) */
    assert_int_equal(peer_keys_rotate_at(&d), T0 + 5 + LIFE + PEER_KEYS_DEPUTY_GRACE_MS);
    struct tls_ticket_key k2 = key(2);
    peer_keys_rotate(&m, &k2, T0 + LIFE);
    assert_int_equal(m.k[0].epoch, 2);
    assert_int_equal(m.k[1].epoch, 1); /* previous still accepted */
    assert_true(hear(&d, &m, T0 + LIFE));
    assert_true(same(&d, &m));
    /* the master is gone: the deputy rotates on its own, at its time */
    struct tls_ticket_key k3 = key(3);
    uint64_t due = peer_keys_rotate_at(&d);
    assert_true(due > T0 + 2 * LIFE);
    peer_keys_rotate(&d, &k3, due);
    assert_int_equal(d.k[0].epoch, 3);
    assert_int_equal(d.k[1].epoch, 2);
}

/* A ticket is accepted while its key is current or previous: for at
 * least one lifetime after it was issued. */
static void test_rotation_keeps_resumption(void **state)
{
    (void)state;
    struct peer_keys_state s;
    peer_keys_init(&s, LIFE, true);
    struct tls_ticket_key k1 = key(1), k2 = key(2), k3 = key(3);
    peer_keys_start(&s, &k1, T0);
    struct tls_ticket_keys relay;
    peer_keys_for_relay(&s, &relay);
    assert_memory_equal(&relay.current, &k1, sizeof k1);
    assert_memory_equal(&relay.previous, &k1, sizeof k1); /* none yet: the current one again */
    peer_keys_rotate(&s, &k2, T0 + LIFE); /* a ticket under k1 issued just before: still accepted */
    peer_keys_for_relay(&s, &relay);
    assert_memory_equal(&relay.current, &k2, sizeof k2);
    assert_memory_equal(&relay.previous, &k1, sizeof k1);
    peer_keys_rotate(&s, &k3, T0 + 2 * LIFE); /* k1 now out: its tickets are older than one lifetime */
    peer_keys_for_relay(&s, &relay);
    assert_memory_equal(&relay.previous, &k2, sizeof k2);
}

/* The master restarts: a fresh epoch-1 key, then the deputy's keys. */
static void test_restarted_node_takes_keys_back(void **state)
{
    (void)state;
    struct peer_keys_state m, d;
    peer_keys_init(&m, LIFE, true);
    peer_keys_init(&d, LIFE, false);
    struct tls_ticket_key k = key(9);
    peer_keys_start(&d, &k, T0);
    for (uint8_t e = 10; e < 20; e++) {
        struct tls_ticket_key n = key(e);
        peer_keys_rotate(&d, &n, T0 + e * T_HOUR);
    }
    assert_int_equal(d.k[0].epoch, 11);
    struct tls_ticket_key fresh = key(200);
    peer_keys_start(&m, &fresh, T0 + 20 * T_HOUR);
    assert_true(hear(&m, &d, T0 + 20 * T_HOUR));
    assert_true(same(&m, &d));                    /* the fresh key is gone, the pair's two kept */
    assert_false(hear(&d, &m, T0 + 20 * T_HOUR)); /* nothing new for the deputy */
    /* the schedule follows the key's age: made 1 hour before */
    assert_int_equal(peer_keys_rotate_at(&m), T0 + 19 * T_HOUR + 5 + LIFE);
}

/* Both rotated to the same epoch while cut off: both new keys stay. */
static void test_split_brain_converges(void **state)
{
    (void)state;
    struct peer_keys_state a, b;
    peer_keys_init(&a, LIFE, true);
    peer_keys_init(&b, LIFE, false);
    struct tls_ticket_key k1 = key(1), ka = key(0x40), kb = key(0x80);
    peer_keys_start(&a, &k1, T0);
    hear(&b, &a, T0);
    peer_keys_rotate(&a, &ka, T0 + LIFE);
    peer_keys_rotate(&b, &kb, T0 + LIFE + PEER_KEYS_DEPUTY_GRACE_MS);
    assert_true(hear(&a, &b, T0 + LIFE + 60000));
    assert_true(hear(&b, &a, T0 + LIFE + 60000));
    assert_true(same(&a, &b));
    assert_int_equal(a.k[0].epoch, 2);
    assert_int_equal(a.k[1].epoch, 2);                /* both epoch-2 keys: tickets of either side resume */
    assert_memory_equal(&a.k[0].key, &kb, sizeof kb); /* ordered by name */
}

/* Started at the same moment: each made an epoch-1 key; both keep both,
 * whichever hears first. */
static void test_simultaneous_start(void **state)
{
    (void)state;
    struct peer_keys_state a, b, a2, b2;
    peer_keys_init(&a, LIFE, true);
    peer_keys_init(&b, LIFE, false);
    struct tls_ticket_key ka = key(5), kb = key(6);
    peer_keys_start(&a, &ka, T0);
    peer_keys_start(&b, &kb, T0);
    a2 = a, b2 = b;
    assert_true(hear(&a, &b, T0));
    assert_true(hear(&b, &a, T0)); /* b hears a's merged set */
    assert_true(hear(&b2, &a2, T0));
    assert_true(hear(&a2, &b2, T0)); /* the other order */
    assert_true(same(&a, &b));
    assert_true(same(&a2, &b2));
    assert_true(same(&a, &a2));
    assert_int_equal(a.n, 2);
    assert_false(hear(&a, &b, T0)); /* converged: no more news */
}

static void test_master_is_the_lower_address(void **state)
{
    (void)state;
    struct ip_addr lo = {.family = AF_INET}, hi = {.family = AF_INET};
    inet_pton(AF_INET, "198.19.0.2", &lo.u.v4);
    inet_pton(AF_INET, "198.19.0.3", &hi.u.v4);
    assert_true(peer_keys_is_master(&lo, &hi));
    assert_false(peer_keys_is_master(&hi, &lo));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_master_and_deputy),
        cmocka_unit_test(test_rotation_keeps_resumption),
        cmocka_unit_test(test_restarted_node_takes_keys_back),
        cmocka_unit_test(test_split_brain_converges),
        cmocka_unit_test(test_simultaneous_start),
        cmocka_unit_test(test_master_is_the_lower_address),
    };
    return cmocka_run_group_tests_name("peer_keys", tests, NULL, NULL);
}
