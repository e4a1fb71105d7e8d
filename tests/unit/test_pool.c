/* Unit tests for gateway/pool.c: idle backend sockets kept, reused most
 * recent first, bounded per backend, skipped when the peer closed or sent
 * stray bytes, or when they are too old. Sockets are socketpairs; the loop
 * is a real one (its clock ages the sockets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/loop.h"
#include "gateway/pool.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

struct pair {
    int ours, theirs;
};

static struct pair make_pair(void)
{
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    return (struct pair){fds[0], fds[1]};
}

static const int owner_a = 1, owner_b = 2; /* two backends' config entries */

static bool fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static void stop_soon(struct loop *loop, struct loop_timer *t)
{
    (void)t;
    loop_stop(loop);
}

static void test_reuse_most_recent_first(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct pool *pool = pool_new(loop, 2, 0);
    struct pair a = make_pair(), b = make_pair();
    assert_int_equal(pool_take(pool, 0, &owner_a, true), -1);
    pool_put(pool, 0, &owner_a, a.ours, 4);
    pool_put(pool, 0, &owner_a, b.ours, 4);
    assert_int_equal(pool_idle_count(pool, 0), 2);
    assert_int_equal(pool_idle_count(pool, 1), 0);
    assert_int_equal(pool_take(pool, 1, &owner_a, true), -1); /* another backend's sockets are not shared */
    assert_int_equal(pool_take(pool, 0, &owner_a, true), b.ours);
    assert_int_equal(pool_take(pool, 0, &owner_a, true), a.ours);
    assert_int_equal(pool_take(pool, 0, &owner_a, true), -1);
    assert_int_equal(pool_take(pool, 7, &owner_a, true), -1); /* out of range */
    close(a.ours), close(a.theirs), close(b.ours), close(b.theirs);
    pool_free(pool);
    loop_free(loop);
}

static void test_max_idle_bound(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct pool *pool = pool_new(loop, 1, 0);
    struct pair p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = make_pair();
        pool_put(pool, 0, &owner_a, p[i].ours, 2);
    }
    assert_int_equal(pool_idle_count(pool, 0), 2);
    assert_false(fd_open(p[2].ours)); /* the third was closed, not kept */
    pool_free(pool);                  /* closes the two kept */
    assert_false(fd_open(p[0].ours));
    assert_false(fd_open(p[1].ours));
    for (int i = 0; i < 3; i++)
        close(p[i].theirs);
    loop_free(loop);
}

/* max_idle is the boundary: that many sockets are kept, one more is
 * closed; max_idle 0 keeps none (pooling off for that backend). */
#define TEST_MAX_IDLE 32
static void test_max_idle_boundary(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct pool *pool = pool_new(loop, 2, 0);
    struct pair p[TEST_MAX_IDLE + 2];
    for (int i = 0; i < TEST_MAX_IDLE + 1; i++) {
        p[i] = make_pair();
        pool_put(pool, 0, &owner_a, p[i].ours, TEST_MAX_IDLE);
    }
    assert_int_equal(pool_idle_count(pool, 0), TEST_MAX_IDLE);
    p[TEST_MAX_IDLE + 1] = make_pair();
    pool_put(pool, 1, &owner_a, p[TEST_MAX_IDLE + 1].ours, 0);
    assert_int_equal(pool_idle_count(pool, 1), 0);
    pool_free(pool);
    for (int i = 0; i < TEST_MAX_IDLE + 2; i++)
        close(p[i].theirs);
    loop_free(loop);
}

static void test_peer_close_drops(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct pool *pool = pool_new(loop, 1, 0);
    struct pair a = make_pair(), b = make_pair(), d = make_pair();
    pool_put(pool, 0, &owner_a, a.ours, 4);
    pool_put(pool, 0, &owner_a, d.ours, 4);
    pool_put(pool, 0, &owner_a, b.ours, 4);
    close(b.theirs);                                              /* the backend closed an idle connection */
    assert_int_equal(write(d.theirs, "x", 1), 1);                 /* stray bytes while idle */
    assert_int_equal(pool_take(pool, 0, &owner_a, true), a.ours); /* both skipped and closed */
    assert_false(fd_open(b.ours));
    assert_false(fd_open(d.ours));
    assert_int_equal(pool_idle_count(pool, 0), 0);
    close(a.ours), close(a.theirs), close(d.theirs);
    pool_free(pool);
    loop_free(loop);
}

static void test_unchecked_take_trusts_the_socket(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct pool *pool = pool_new(loop, 1, 0);
    struct pair a = make_pair();
    pool_put(pool, 0, &owner_a, a.ours, 4);
    close(a.theirs); /* not looked at: the caller replays if it is dead */
    assert_int_equal(pool_take(pool, 0, &owner_a, false), a.ours);
    close(a.ours);
    pool_free(pool);
    loop_free(loop);
}

static void test_too_old_not_reused(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct pool *pool = pool_new(loop, 1, 20);
    struct pair a = make_pair();
    pool_put(pool, 0, &owner_a, a.ours, 4);
    struct loop_timer t = {.fn = stop_soon};
    loop_timer_set(loop, &t, 30); /* the loop clock moves past the 20 ms age */
    loop_run(loop);
    assert_int_equal(pool_take(pool, 0, &owner_a, true), -1);
    assert_false(fd_open(a.ours));
    close(a.theirs);
    pool_free(pool);
    loop_free(loop);
}

static void test_other_owner_closed(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct pool *pool = pool_new(loop, 1, 0);
    struct pair a = make_pair();
    pool_put(pool, 0, &owner_a, a.ours, 4);
    /* a reload gave index 0 to another server */
    assert_int_equal(pool_take(pool, 0, &owner_b, true), -1);
    assert_false(fd_open(a.ours));
    close(a.theirs);
    pool_free(pool);
    loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse_most_recent_first),
        cmocka_unit_test(test_max_idle_bound),
        cmocka_unit_test(test_max_idle_boundary),
        cmocka_unit_test(test_peer_close_drops),
        cmocka_unit_test(test_too_old_not_reused),
        cmocka_unit_test(test_other_owner_closed),
        cmocka_unit_test(test_unchecked_take_trusts_the_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
