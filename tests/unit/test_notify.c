/* Unit tests for gateway/proc/notify.c: the sd_notify datagrams, their
 * bound (NOTIFY_MSG_MAX), and delivery to a path and to an abstract
 * socket the test binds itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proc/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void test_format(void **state)
{
    (void)state;
    char buf[NOTIFY_MSG_MAX];
    assert_int_equal(notify_format(NOTIFY_READY, "serving", 0, buf, sizeof buf),
                     strlen("READY=1\nSTATUS=serving\n"));
    assert_string_equal(buf, "READY=1\nSTATUS=serving\n");
    notify_format(NOTIFY_RELOADING, NULL, 1234567, buf, sizeof buf);
    assert_string_equal(buf, "RELOADING=1\nMONOTONIC_USEC=1234567\n");
    notify_format(NOTIFY_STOPPING, "draining", 0, buf, sizeof buf);
    assert_string_equal(buf, "STOPPING=1\nSTATUS=draining\n");
}

/* Boundary: a STATUS= line that does not fit is left out, the state never. */
static void test_format_bound(void **state)
{
    (void)state;
    char buf[NOTIFY_MSG_MAX], status[NOTIFY_MSG_MAX];
    size_t room = NOTIFY_MSG_MAX - strlen("READY=1\nSTATUS=\n") - 1;
    memset(status, 'x', room);
    status[room] = '\0';
    assert_int_equal(notify_format(NOTIFY_READY, status, 0, buf, sizeof buf), NOTIFY_MSG_MAX - 1);
    status[room] = 'x';
    status[room + 1] = '\0';
    assert_int_equal(notify_format(NOTIFY_READY, status, 0, buf, sizeof buf), strlen("READY=1\n"));
    assert_string_equal(buf, "READY=1\n");
    assert_int_equal(notify_format(NOTIFY_READY, NULL, 0, buf, 4), 0); /* not even the state fits */
}

static int bind_dgram(const char *name, struct sockaddr_un *sun)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    size_t n = strlen(name);
    memcpy(sun->sun_path, name, n);
    if (name[0] == '@')
        sun->sun_path[0] = '\0';
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    assert_int_equal(bind(fd, (struct sockaddr *)sun, len), 0);
    return fd;
}

static void expect_datagram(int fd, const char *want)
{
    char buf[NOTIFY_MSG_MAX + 1];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void send_to(const char *name, int fd)
{
    setenv("NOTIFY_SOCKET", name, 1);
    notify_init();
    assert_null(getenv("NOTIFY_SOCKET")); /* the relay must not inherit it */
    notify_send(NOTIFY_READY, "serving");
    expect_datagram(fd, "READY=1\nSTATUS=serving\n");
    notify_send(NOTIFY_STOPPING, NULL);
    expect_datagram(fd, "STOPPING=1\n");
    notify_close();
}

static void test_send_path(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/rampart-test-notify-%d", (int)getpid());
    struct sockaddr_un sun;
    int fd = bind_dgram(path, &sun);
    send_to(path, fd);
    close(fd);
    unlink(path);
}

static void test_send_abstract(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "@rampart-test-notify-%d", (int)getpid());
    struct sockaddr_un sun;
    int fd = bind_dgram(name, &sun);
    send_to(name, fd);
    close(fd);
}

/* Without $NOTIFY_SOCKET, or with a name that is no socket address, every
 * call is a no-op. */
static void test_no_socket(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    notify_init();
    notify_send(NOTIFY_READY, "serving");
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    notify_init();
    notify_send(NOTIFY_READY, "serving");
    assert_null(getenv("NOTIFY_SOCKET"));
    notify_close();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),    cmocka_unit_test(test_format_bound),
        cmocka_unit_test(test_send_path), cmocka_unit_test(test_send_abstract),
        cmocka_unit_test(test_no_socket),
    };
    return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
