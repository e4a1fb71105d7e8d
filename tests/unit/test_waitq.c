/* Unit tests for gateway/proxy/waitq.c: the bounded queue of requests
 * waiting for a backend slot: order, removal from anywhere, the bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy/waitq.h"

#include <stdlib.h>

static void test_fifo_order_and_removal(void **state)
{
    (void)state;
    struct waitq q = {0};
    struct waitq_link l[4] = {0};
    for (int i = 0; i < 4; i++)
        assert_true(waitq_push(&q, &l[i]));
    assert_false(waitq_push(&q, &l[2])); /* already waiting */
    assert_int_equal(q.count, 4);
    waitq_remove(&q, &l[2]); /* from the middle */
    waitq_remove(&q, &l[2]); /* twice: nothing */
    waitq_remove(&q, &l[3]); /* the tail */
    assert_int_equal(q.count, 2);
    assert_ptr_equal(waitq_first(&q), &l[0]);
    waitq_remove(&q, &l[0]);
    assert_ptr_equal(waitq_first(&q), &l[1]);
    assert_true(waitq_push(&q, &l[3]));
    waitq_remove(&q, &l[1]);
    assert_ptr_equal(waitq_first(&q), &l[3]);
    waitq_remove(&q, &l[3]);
    assert_null(waitq_first(&q));
    assert_int_equal(q.count, 0);
    assert_true(waitq_push(&q, &l[1])); /* an empty queue takes again */
}

static void test_bound(void **state)
{
    (void)state;
    struct waitq q = {0};
    struct waitq_link *l = calloc(WAITQ_MAX + 1, sizeof *l);
    for (unsigned i = 0; i < WAITQ_MAX; i++)
        assert_true(waitq_push(&q, &l[i]));
    assert_false(waitq_push(&q, &l[WAITQ_MAX])); /* WAITQ_MAX + 1 */
    assert_false(l[WAITQ_MAX].queued);
    waitq_remove(&q, &l[0]);
    assert_true(waitq_push(&q, &l[WAITQ_MAX])); /* room again */
    assert_int_equal(q.count, WAITQ_MAX);
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_order_and_removal),
        cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests_name("waitq", tests, NULL, NULL);
}
