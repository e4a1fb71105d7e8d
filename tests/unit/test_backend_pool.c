/* Unit tests for gateway/upstream/backend_pool.c: idle backend sockets kept, reused most
 * recent first, bounded per backend, dropped when the peer closes or sends
 * stray bytes while they are idle (seen through the loop, not by a check on
 * take), not reused when too old. Sockets are socketpairs; the loop is a
 * real one (its clock ages the sockets, its epoll reports the closes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/event/loop.h"
#include "gateway/upstream/backend_pool.h"

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

/* Wraps and puts one socket, as the proxy does after a response. */
static struct loop_io *put(struct backend_pool *pool, unsigned index, int fd, unsigned max_idle)
{
    struct loop_io *io = backend_pool_adopt(pool, fd);
    assert_non_null(io);
    assert_int_equal(io->fd, fd);
    backend_pool_put(pool, index, &owner_a, io, max_idle);
    return io;
}

static int take_fd(struct backend_pool *pool, unsigned index, const void *owner)
{
    struct loop_io *io = backend_pool_take(pool, index, owner);
    return io ? io->fd : -1;
}

static void stop_soon(struct loop *loop, struct loop_timer *t)
{
    (void)t;
    loop_stop(loop);
}

/* Runs the loop for ms: pending events dispatched, deferred frees done. */
static void run_for(struct loop *loop, uint64_t ms)
{
    struct loop_timer t = {.fn = stop_soon};
    loop_timer_set(loop, &t, ms);
    loop_run(loop);
}

static void test_reuse_most_recent_first(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct backend_pool *pool = backend_pool_new(loop, 2, 0);
    struct pair a = make_pair(), b = make_pair();
    assert_int_equal(take_fd(pool, 0, &owner_a), -1);
    put(pool, 0, a.ours, 4);
    put(pool, 0, b.ours, 4);
    assert_int_equal(backend_pool_idle_count(pool, 0), 2);
    assert_int_equal(backend_pool_idle_count(pool, 1), 0);
    assert_int_equal(take_fd(pool, 1, &owner_a), -1); /* another backend's sockets are not shared */
    struct loop_io *tb = backend_pool_take(pool, 0, &owner_a), *ta = backend_pool_take(pool, 0, &owner_a);
    assert_non_null(tb);
    assert_non_null(ta);
    assert_int_equal(tb->fd, b.ours);
    assert_int_equal(ta->fd, a.ours);
    /* still registered for reading: the taker needs no epoll_ctl to wait for a response */
    assert_true(ta->registered);
    assert_int_equal(ta->events, LOOP_READ);
    assert_int_equal(take_fd(pool, 0, &owner_a), -1);
    assert_int_equal(take_fd(pool, 7, &owner_a), -1); /* out of range */
    backend_pool_drop(pool, ta);
    backend_pool_drop(pool, tb);
    assert_false(fd_open(a.ours));
    assert_false(fd_open(b.ours));
    run_for(loop, 1); /* the dropped watchers are freed after the batch */
    close(a.theirs), close(b.theirs);
    backend_pool_free(pool);
    loop_free(loop);
}

static void test_max_idle_bound(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct backend_pool *pool = backend_pool_new(loop, 1, 0);
    struct pair p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = make_pair();
        put(pool, 0, p[i].ours, 2);
    }
    assert_int_equal(backend_pool_idle_count(pool, 0), 2);
    assert_false(fd_open(p[2].ours)); /* the third was closed, not kept */
    backend_pool_free(pool);          /* closes the two kept */
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
    struct backend_pool *pool = backend_pool_new(loop, 2, 0);
    struct pair p[TEST_MAX_IDLE + 2];
    for (int i = 0; i < TEST_MAX_IDLE + 1; i++) {
        p[i] = make_pair();
        put(pool, 0, p[i].ours, TEST_MAX_IDLE);
    }
    assert_int_equal(backend_pool_idle_count(pool, 0), TEST_MAX_IDLE);
    p[TEST_MAX_IDLE + 1] = make_pair();
    put(pool, 1, p[TEST_MAX_IDLE + 1].ours, 0);
    assert_int_equal(backend_pool_idle_count(pool, 1), 0);
    backend_pool_free(pool);
    for (int i = 0; i < TEST_MAX_IDLE + 2; i++)
        close(p[i].theirs);
    loop_free(loop);
}

static void test_peer_close_drops(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct backend_pool *pool = backend_pool_new(loop, 1, 0);
    struct pair a = make_pair(), b = make_pair(), d = make_pair();
    put(pool, 0, a.ours, 4);
    put(pool, 0, d.ours, 4);
    put(pool, 0, b.ours, 4);
    close(b.theirs);                                       /* the backend closed an idle connection */
    assert_int_equal(write(d.theirs, "x", 1), 1);          /* stray bytes while idle */
    assert_int_equal(backend_pool_idle_count(pool, 0), 3); /* nothing is checked until the loop runs */
    run_for(loop, 5);
    assert_int_equal(backend_pool_idle_count(pool, 0), 1); /* both dropped while idle */
    assert_false(fd_open(b.ours));
    assert_false(fd_open(d.ours));
    assert_true(fd_open(a.ours));
    struct loop_io *io = backend_pool_take(pool, 0, &owner_a);
    assert_non_null(io);
    assert_int_equal(io->fd, a.ours);
    assert_int_equal(backend_pool_idle_count(pool, 0), 0);
    backend_pool_drop(pool, io);
    close(a.theirs), close(d.theirs);
    backend_pool_free(pool);
    loop_free(loop);
}

/* A close whose event the loop has not dispatched yet is seen by the
 * take's peek, the socket dropped. */
static void test_take_sees_close_before_loop(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct backend_pool *pool = backend_pool_new(loop, 1, 0);
    struct pair a = make_pair(), b = make_pair();
    put(pool, 0, a.ours, 4);
    put(pool, 0, b.ours, 4);
    close(b.theirs);
    struct loop_io *io = backend_pool_take(pool, 0, &owner_a);
    assert_non_null(io);
    assert_int_equal(io->fd, a.ours);
    assert_false(fd_open(b.ours));
    backend_pool_drop(pool, io);
    close(a.theirs);
    backend_pool_free(pool);
    loop_free(loop);
}

/* Stray bytes (a second answer, the body a 304 declared) that came in the
 * batch the loop has not dispatched yet: the take's peek drops that socket
 * too, they are never read as the next request's answer. */
static void test_take_sees_stray_bytes_before_loop(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct backend_pool *pool = backend_pool_new(loop, 1, 0);
    struct pair a = make_pair(), b = make_pair();
    put(pool, 0, a.ours, 4);
    put(pool, 0, b.ours, 4);
    assert_int_equal(write(b.theirs, "HTTP/1.1 200 OK\r\n", 17), 17);
    struct loop_io *io = backend_pool_take(pool, 0, &owner_a);
    assert_non_null(io);
    assert_int_equal(io->fd, a.ours);
    assert_false(fd_open(b.ours));
    assert_int_equal(backend_pool_idle_count(pool, 0), 0);
    backend_pool_drop(pool, io);
    close(a.theirs), close(b.theirs);
    backend_pool_free(pool);
    loop_free(loop);
}

/* A socket put back while not watched (the proxy had paused reading) is
 * watched again, so a close while idle is still seen. */
static void test_put_rewatches(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct backend_pool *pool = backend_pool_new(loop, 1, 0);
    struct pair a = make_pair();
    struct loop_io *io = backend_pool_adopt(pool, a.ours);
    assert_non_null(io);
    assert_int_equal(loop_watch(loop, io, 0), 0);
    backend_pool_put(pool, 0, &owner_a, io, 4);
    assert_int_equal(io->events, LOOP_READ);
    close(a.theirs);
    run_for(loop, 5);
    assert_int_equal(backend_pool_idle_count(pool, 0), 0);
    assert_false(fd_open(a.ours));
    backend_pool_free(pool);
    loop_free(loop);
}

static void test_too_old_not_reused(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct backend_pool *pool = backend_pool_new(loop, 1, 20);
    struct pair a = make_pair();
    put(pool, 0, a.ours, 4);
    struct loop_timer t = {.fn = stop_soon};
    loop_timer_set(loop, &t, 30); /* the loop clock moves past the 20 ms age */
    loop_run(loop);
    assert_int_equal(take_fd(pool, 0, &owner_a), -1);
    assert_false(fd_open(a.ours));
    close(a.theirs);
    backend_pool_free(pool);
    loop_free(loop);
}

static void test_other_owner_closed(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct backend_pool *pool = backend_pool_new(loop, 1, 0);
    struct pair a = make_pair();
    put(pool, 0, a.ours, 4);
    /* a reload gave index 0 to another server */
    assert_int_equal(take_fd(pool, 0, &owner_b), -1);
    assert_false(fd_open(a.ours));
    close(a.theirs);
    backend_pool_free(pool);
    loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse_most_recent_first),
        cmocka_unit_test(test_max_idle_bound),
        cmocka_unit_test(test_max_idle_boundary),
        cmocka_unit_test(test_peer_close_drops),
        cmocka_unit_test(test_take_sees_close_before_loop),
        cmocka_unit_test(test_take_sees_stray_bytes_before_loop),
        cmocka_unit_test(test_put_rewatches),
        cmocka_unit_test(test_too_old_not_reused),
        cmocka_unit_test(test_other_owner_closed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
