/* Unit tests for gateway/ha/peer_blocklist.c: the merge rules (news or
 * not, max wins, tombstones), expiry, the whole-list walk, and the bound
 * of PEER_BLOCKLIST_MAX entries; the table under growth and removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/peer_blocklist.h"

#include <arpa/inet.h>
#include <string.h>

#define T0  1000000ULL
#define MIN (60ULL * 1000)

static struct ip_addr a4(uint32_t host)
{
    struct ip_addr a = {.family = AF_INET};
    a.u.v4.s_addr = htonl(host);
    return a;
}

static struct ip_addr a6(uint8_t last)
{
    struct ip_addr a = {.family = AF_INET6};
    inet_pton(AF_INET6, "2001:db8::", &a.u.v6);
    a.u.v6.s6_addr[15] = last;
    return a;
}

static void test_local_block_is_news_once(void **state)
{
    (void)state;
    struct peer_blocklist bl;
    peer_bl_init(&bl);
    struct ip_addr x = a4(0xc6120707);
    assert_int_equal(peer_bl_local_block(&bl, &x, 10 * MIN, T0), PEER_BL_NEWS);
    /* a policy re-apply re-adds it with the time it has left: the same block */
    assert_int_equal(peer_bl_local_block(&bl, &x, 10 * MIN - 3000, T0 + 3000), PEER_BL_IGNORE);
    assert_int_equal(peer_bl_local_block(&bl, &x, 10 * MIN - 3000 + PEER_BL_TOLERANCE_MS, T0 + 3000),
                     PEER_BL_IGNORE); /* at the tolerance */
    assert_int_equal(peer_bl_local_block(&bl, &x, 10 * MIN + PEER_BL_TOLERANCE_MS + 1, T0),
                     PEER_BL_NEWS); /* past it: blocked again, for longer */
    struct peer_bl_entry *e = peer_bl_find(&bl, &x, T0);
    assert_non_null(e);
    assert_int_equal(e->state, PEER_BL_BLOCKED);
    peer_bl_free(&bl);
}

/* Max wins: the peer's block is applied when it lasts longer. */
static void test_peer_block_max_wins(void **state)
{
    (void)state;
    struct peer_blocklist bl;
    peer_bl_init(&bl);
    struct ip_addr x = a4(0xc6120708);
    assert_int_equal(peer_bl_peer_block(&bl, &x, 5 * MIN, T0), PEER_BL_NEWS);
    assert_int_equal(peer_bl_peer_block(&bl, &x, 5 * MIN, T0 + 10), PEER_BL_IGNORE); /* the echo */
    assert_int_equal(peer_bl_peer_block(&bl, &x, 4 * MIN, T0), PEER_BL_IGNORE);      /* shorter */
    assert_int_equal(peer_bl_peer_block(&bl, &x, 9 * MIN, T0), PEER_BL_NEWS);        /* longer */
    assert_int_equal(peer_bl_find(&bl, &x, T0)->expires_ms, T0 + 9 * MIN);
    /* a block we made and the peer echoes back: no news */
    struct ip_addr y = a6(1);
    assert_int_equal(peer_bl_local_block(&bl, &y, 10 * MIN, T0), PEER_BL_NEWS);
    assert_int_equal(peer_bl_peer_block(&bl, &y, 10 * MIN - 50, T0 + 60), PEER_BL_IGNORE);
    peer_bl_free(&bl);
}

/* An unblock here is not undone by the peer's older copy of the block;
 * a new block there still comes through. */
static void test_tombstones(void **state)
{
    (void)state;
    struct peer_blocklist bl;
    peer_bl_init(&bl);
    struct ip_addr x = a4(0xc6120709);
    uint32_t tomb;
    assert_int_equal(peer_bl_peer_block(&bl, &x, 10 * MIN, T0), PEER_BL_NEWS);
    assert_int_equal(peer_bl_local_unblock(&bl, &x, T0 + MIN, &tomb), PEER_BL_NEWS);
    assert_int_equal(tomb, 9 * MIN); /* what the lifted block had left */
    assert_int_equal(peer_bl_local_unblock(&bl, &x, T0 + MIN, &tomb), PEER_BL_IGNORE); /* twice */
    /* the peer, before it heard, sends its whole list: the old copy */
    assert_int_equal(peer_bl_peer_block(&bl, &x, 9 * MIN, T0 + MIN), PEER_BL_IGNORE);
    /* the peer blocks it anew, for its full timeout */
    assert_int_equal(peer_bl_peer_block(&bl, &x, 10 * MIN, T0 + 2 * MIN), PEER_BL_NEWS);
    assert_int_equal(peer_bl_find(&bl, &x, T0 + 2 * MIN)->state, PEER_BL_BLOCKED);
    /* a local unblock of an address not known here still goes to the peer */
    struct ip_addr y = a4(0xc612070a);
    assert_int_equal(peer_bl_local_unblock(&bl, &y, T0, &tomb), PEER_BL_NEWS);
    assert_int_equal(tomb, 0);
    peer_bl_free(&bl);
}

static void test_peer_unblock(void **state)
{
    (void)state;
    struct peer_blocklist bl;
    peer_bl_init(&bl);
    struct ip_addr x = a4(0xc612070b), y = a4(0xc612070c);
    assert_int_equal(peer_bl_local_block(&bl, &x, 10 * MIN, T0), PEER_BL_NEWS);
    assert_int_equal(peer_bl_peer_unblock(&bl, &x, 10 * MIN, T0 + 100), PEER_BL_NEWS); /* remove it here */
    assert_int_equal(peer_bl_peer_unblock(&bl, &x, 10 * MIN, T0 + 200), PEER_BL_IGNORE);
    /* and our stale copy, should the peer hear it, is ignored there the same way: */
    assert_int_equal(peer_bl_peer_block(&bl, &x, 10 * MIN - 100, T0 + 100), PEER_BL_IGNORE);
    /* an unblock of what we never had is remembered (a stale block may follow) */
    assert_int_equal(peer_bl_peer_unblock(&bl, &y, 5 * MIN, T0), PEER_BL_IGNORE);
    assert_int_equal(peer_bl_peer_block(&bl, &y, 5 * MIN, T0), PEER_BL_IGNORE);
    struct ip_addr z = a4(1);
    assert_int_equal(peer_bl_peer_unblock(&bl, &z, 0, T0), PEER_BL_IGNORE);
    assert_null(peer_bl_find(&bl, &z, T0)); /* nothing to remember */
    peer_bl_free(&bl);
}

static void test_expiry_and_walk(void **state)
{
    (void)state;
    struct peer_blocklist bl;
    peer_bl_init(&bl);
    for (uint32_t i = 0; i < 100; i++) {
        struct ip_addr x = a4(0xc6130000 + i);
        peer_bl_local_block(&bl, &x, (i + 1) * 1000, T0);
    }
    uint32_t tomb;
    struct ip_addr last = a4(0xc6130000 + 99);
    peer_bl_local_unblock(&bl, &last, T0, &tomb);
    assert_int_equal(peer_bl_count(&bl), 100);
    size_t cursor = 0, blocks = 0, unblocks = 0;
    struct peer_block b;
    while (peer_bl_next(&bl, &cursor, T0 + 50500, &b)) {
        assert_true(b.remaining_ms >= 500 && b.remaining_ms <= 49500);
        (*(b.op == PEER_OP_BLOCK ? &blocks : &unblocks))++;
    }
    assert_int_equal(blocks, 49); /* 51 s .. 99 s blocks; the 100 s one is lifted */
    assert_int_equal(unblocks, 1);
    peer_bl_expire(&bl, T0 + 50500);
    assert_int_equal(peer_bl_count(&bl), 50);
    for (uint32_t i = 50; i < 99; i++) { /* what is left is still found, after the removals */
        struct ip_addr x = a4(0xc6130000 + i);
        assert_non_null(peer_bl_find(&bl, &x, T0 + 50500));
    }
    peer_bl_expire(&bl, T0 + 200000);
    assert_int_equal(peer_bl_count(&bl), 0);
    peer_bl_free(&bl);
}

/* PEER_BLOCKLIST_MAX entries, and not one more. */
static void test_bound(void **state)
{
    (void)state;
    struct peer_blocklist bl;
    peer_bl_init(&bl);
    for (uint32_t i = 0; i < PEER_BLOCKLIST_MAX; i++) {
        struct ip_addr x = a4(0x0a000000 + i);
        assert_int_equal(peer_bl_local_block(&bl, &x, 10 * MIN, T0), PEER_BL_NEWS);
    }
    assert_int_equal(peer_bl_count(&bl), PEER_BLOCKLIST_MAX);
    struct ip_addr one_more = a4(0x0b000000);
    assert_int_equal(peer_bl_local_block(&bl, &one_more, 10 * MIN, T0), PEER_BL_FULL);
    assert_int_equal(peer_bl_peer_block(&bl, &one_more, 10 * MIN, T0), PEER_BL_FULL);
    struct ip_addr first = a4(0x0a000000);
    assert_int_equal(peer_bl_local_block(&bl, &first, 20 * MIN, T0),
                     PEER_BL_NEWS); /* known ones still change */
    peer_bl_expire(&bl, T0 + 11 * MIN);
    assert_int_equal(peer_bl_count(&bl), 1);
    assert_int_equal(peer_bl_local_block(&bl, &one_more, 10 * MIN, T0 + 11 * MIN), PEER_BL_NEWS);
    peer_bl_free(&bl);
}

static void test_pending_walk(void **state)
{
    (void)state;
    struct peer_blocklist bl;
    peer_bl_init(&bl);
    for (uint32_t i = 0; i < 10; i++) {
        struct ip_addr x = a4(0xc6140000 + i);
        peer_bl_peer_block(&bl, &x, 10 * MIN, T0);
        peer_bl_find(&bl, &x, T0)->pending = i % 3 == 0;
    }
    size_t cursor = 0, n = 0;
    struct peer_bl_entry *e;
    while ((e = peer_bl_next_pending(&bl, &cursor, T0)))
        n++, e->pending = false;
    assert_int_equal(n, 4);
    cursor = 0;
    assert_null(peer_bl_next_pending(&bl, &cursor, T0));
    peer_bl_free(&bl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_block_is_news_once),
        cmocka_unit_test(test_peer_block_max_wins),
        cmocka_unit_test(test_tombstones),
        cmocka_unit_test(test_peer_unblock),
        cmocka_unit_test(test_expiry_and_walk),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_pending_walk),
    };
    return cmocka_run_group_tests_name("peer_blocklist", tests, NULL, NULL);
}
