/* Unit tests for gateway/ha/peer_rules.c: the reconnection backoff (floor,
 * doubling, ceiling) and which of two sessions both nodes keep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/peer_link.h"

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(peer_backoff_next(0), PEER_BACKOFF_FLOOR_MS);
    uint64_t d = 0, steps = 0;
    while (d < PEER_BACKOFF_CEIL_MS && steps++ < 100) {
        uint64_t next = peer_backoff_next(d);
        assert_true(next > d);
        assert_true(d == 0 || next <= 2 * d);
        d = next;
    }
    assert_int_equal(d, PEER_BACKOFF_CEIL_MS);
    assert_true(steps < 10);
    assert_int_equal(peer_backoff_next(PEER_BACKOFF_CEIL_MS), PEER_BACKOFF_CEIL_MS); /* stays */
    assert_int_equal(peer_backoff_next(PEER_BACKOFF_CEIL_MS - 1), PEER_BACKOFF_CEIL_MS);
}

/* Both nodes, each with its own view, keep the same session. */
static void test_prefer_agrees(void **state)
{
    (void)state;
    /* simultaneous dials, same instances: the lower node's dial wins on
     * both sides, whichever session each saw first */
    for (int lower_first = 0; lower_first < 2; lower_first++) {
        /* at the lower node L: old = its own dial or the other's */
        bool old_we_dialed_l = lower_first, new_we_dialed_l = !lower_first;
        bool keep_new_l = peer_link_prefer(1, old_we_dialed_l, 1, new_we_dialed_l, true);
        bool l_keeps_own_dial = keep_new_l ? new_we_dialed_l : old_we_dialed_l;
        assert_true(l_keeps_own_dial);
        /* at the higher node H, the same two sessions, roles mirrored, any order */
        for (int h_order = 0; h_order < 2; h_order++) {
            bool old_h = h_order, new_h = !h_order;
            bool keep_new_h = peer_link_prefer(2, old_h, 2, new_h, false);
            bool h_keeps_own_dial = keep_new_h ? new_h : old_h;
            assert_false(h_keeps_own_dial); /* H keeps L's dial too */
        }
    }
}

static void test_prefer_restart(void **state)
{
    (void)state;
    /* the peer's new instance wins whoever dialed */
    assert_true(peer_link_prefer(1, true, 2, false, true));
    assert_true(peer_link_prefer(1, false, 2, true, false));
    /* the same side dialing again: its newer attempt */
    assert_true(peer_link_prefer(1, false, 1, false, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_prefer_agrees),
        cmocka_unit_test(test_prefer_restart),
    };
    return cmocka_run_group_tests_name("peer_rules", tests, NULL, NULL);
}
