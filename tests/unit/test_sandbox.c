/* Unit tests for gateway/proc/sandbox_seccomp.c (and sandbox.c's child
 * step): each case forks, loads a filter in the child and makes the call;
 * the parent looks at how the child ended. Issue 10, defects 7 and 9: the
 * relay may not set a SIGIO owner or create anything but TCP sockets; the
 * parent's set-id calls are pinned to its children's users. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proc/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum outcome { OK, REFUSED, KILLED, OTHER };

typedef int (*call_fn)(void); /* the call: 0 = it succeeded, else errno */

#define CHILD_UID 4242 /* the test's "relay user" (need not exist) */
#define CHILD_GID 4243

/* Forks; the child loads a filter (`relay`: the relay's; else the parent's
 * with one child user) and makes the call. */
static enum outcome run(bool relay, call_fn call)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        struct sandbox_child c = {.role = "relay", .drop = true, .uid = CHILD_UID, .gid = CHILD_GID};
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        int rc =
            relay ? sandbox_relay_seccomp(err, sizeof err) : sandbox_parent_seccomp(&c, 1, err, sizeof err);
        if (rc < 0)
            _exit(99);
        int e = call();
        _exit(e == 0 ? 0 : e == EPERM ? 1 : 2);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st))
        return WTERMSIG(st) == SIGSYS ? KILLED : OTHER;
    assert_int_not_equal(WEXITSTATUS(st), 99);
    return WEXITSTATUS(st) == 0 ? OK : WEXITSTATUS(st) == 1 ? REFUSED : OTHER;
}

static int sock(void)
{
    return socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

static int result(long rc)
{
    return rc < 0 ? errno : 0;
}

static int setown(void)
{
    return result(fcntl(sock(), F_SETOWN, getppid()));
}
static int setsig(void)
{
    return result(fcntl(sock(), F_SETSIG, SIGSTOP));
}
static int setown_ex(void)
{
    struct f_owner_ex o = {.type = F_OWNER_PID, .pid = getppid()};
    return result(fcntl(sock(), F_SETOWN_EX, &o));
}
static int o_async(void)
{
    return result(fcntl(sock(), F_SETFL, O_ASYNC | O_NONBLOCK));
}
static int o_nonblock(void)
{
    return result(fcntl(sock(), F_SETFL, O_NONBLOCK));
}
static int dup_cloexec(void)
{
    return result(fcntl(sock(), F_DUPFD_CLOEXEC, 10));
}
static int fiosetown(void)
{
    int pid = getppid();
    return result(ioctl(sock(), FIOSETOWN, &pid));
}
static int siocspgrp(void)
{
    int pid = getppid();
    return result(ioctl(sock(), SIOCSPGRP, &pid));
}
static int fioasync(void)
{
    int on = 1;
    return result(ioctl(sock(), FIOASYNC, &on));
}
static int fionbio(void)
{
    int on = 1;
    return result(ioctl(sock(), FIONBIO, &on));
}
static int kill_parent(void)
{
    return result(kill(getppid(), 0));
}

/* The relay may not make the kernel signal anyone for it. */
static void test_relay_signal_owner_calls_kill(void **state)
{
    (void)state;
    assert_int_equal(run(true, setown), KILLED);
    assert_int_equal(run(true, setown_ex), KILLED);
    assert_int_equal(run(true, setsig), KILLED);
    assert_int_equal(run(true, o_async), KILLED);
    assert_int_equal(run(true, fiosetown), KILLED);
    assert_int_equal(run(true, siocspgrp), KILLED);
    assert_int_equal(run(true, fioasync), KILLED);
    assert_int_equal(run(true, kill_parent), KILLED);
    /* what it does use stays allowed */
    assert_int_equal(run(true, o_nonblock), OK);
    assert_int_equal(run(true, dup_cloexec), OK);
    assert_int_equal(run(true, fionbio), OK);
}

static int tcp4(void)
{
    return result(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}
static int tcp6(void)
{
    return result(socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP));
}
static int udp4(void)
{
    return result(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}
static int udp6(void)
{
    return result(socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP));
}
static int sctp(void)
{
    return result(socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
}
static int unix_stream(void)
{
    return result(socket(AF_UNIX, SOCK_STREAM, 0));
}
static int netlink(void)
{
    return result(socket(AF_NETLINK, SOCK_RAW, 0));
}
static int raw_ip(void)
{
    return result(socket(AF_INET, SOCK_RAW, 112));
}

/* TCP over IPv4 and IPv6 only (defect 9). */
static void test_relay_sockets_tcp_only(void **state)
{
    (void)state;
    assert_int_equal(run(true, tcp4), OK);
    assert_int_equal(run(true, tcp6), OK);
    assert_int_equal(run(true, udp4), REFUSED);
    assert_int_equal(run(true, udp6), REFUSED);
    assert_int_equal(run(true, sctp), REFUSED);
    assert_int_equal(run(true, unix_stream), REFUSED);
    assert_int_equal(run(true, netlink), REFUSED);
    assert_int_equal(run(true, raw_ip), REFUSED);
}

static int mount_tmp(void)
{
    return result(mount("none", "/mnt", "tmpfs", 0, NULL));
}
static int new_userns(void)
{
    return result(unshare(CLONE_NEWUSER));
}
static int uid_other(void)
{
    return result(syscall(SYS_setresuid, 1234, 1234, 1234));
}
static int uid_child_start(void)
{
    return result(syscall(SYS_setresuid, CHILD_UID, 0, 0));
}
static int uid_child_all(void)
{
    return result(syscall(SYS_setresuid, CHILD_UID, CHILD_UID, CHILD_UID));
}
static int uid_child_mixed(void)
{
    return result(syscall(SYS_setresuid, CHILD_UID, CHILD_UID, 0)); /* saved 0: could go back */
}
static int gid_child(void)
{
    return result(syscall(SYS_setresgid, CHILD_GID, CHILD_GID, CHILD_GID));
}
static int gid_other(void)
{
    return result(syscall(SYS_setresgid, 1234, 1234, 1234));
}
static int groups_some(void)
{
    gid_t g = 0;
    return result(syscall(SYS_setgroups, 1, &g));
}
static int bluetooth(void)
{
    return result(socket(31 /* AF_BLUETOOTH */, SOCK_STREAM, 0));
}
static int ptrace_me(void)
{
    return result(syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0));
}
static int fork_child(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    return pid < 0 ? errno : (waitpid(pid, NULL, 0), 0);
}

/* The parent's filter: what it needs works, what it does not fails with
 * EPERM (never a kill), and the set-id calls take only its children's
 * users in the two shapes the start uses. */
static void test_parent_filter(void **state)
{
    (void)state;
    assert_int_equal(run(false, mount_tmp), REFUSED);
    assert_int_equal(run(false, new_userns), REFUSED);
    assert_int_equal(run(false, bluetooth), REFUSED);
    assert_int_equal(run(false, ptrace_me), REFUSED);
    assert_int_equal(run(false, setown), REFUSED);
    assert_int_equal(run(false, o_async), REFUSED);
    assert_int_equal(run(false, fiosetown), REFUSED);
    assert_int_equal(run(false, uid_other), REFUSED);
    assert_int_equal(run(false, uid_child_mixed), REFUSED);
    assert_int_equal(run(false, gid_other), REFUSED);
    assert_int_equal(run(false, groups_some), REFUSED);
    assert_int_equal(run(false, fork_child), OK);
    assert_int_equal(run(false, netlink), OK);
    assert_int_equal(run(false, udp4), OK);
    assert_int_equal(run(false, o_nonblock), OK);
    if (geteuid() != 0) /* the pinned calls themselves need CAP_SETUID */
        return;
    assert_int_equal(run(false, uid_child_start), OK);
    assert_int_equal(run(false, uid_child_all), OK);
    assert_int_equal(run(false, gid_child), OK);
}

/* A relay under both filters (the parent's, then its own): the stricter wins. */
static void test_filters_stack(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        struct sandbox_child c = {.role = "relay", .drop = true, .uid = CHILD_UID, .gid = CHILD_GID};
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (sandbox_parent_seccomp(&c, 1, err, sizeof err) < 0 || sandbox_relay_seccomp(err, sizeof err) < 0)
            _exit(99);
        if (udp4() != EPERM) /* the parent allows it, the relay does not */
            _exit(3);
        if (tcp4() != 0)
            _exit(4);
        setown(); /* the relay's filter kills */
        _exit(5);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGSYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay_signal_owner_calls_kill),
        cmocka_unit_test(test_relay_sockets_tcp_only),
        cmocka_unit_test(test_parent_filter),
        cmocka_unit_test(test_filters_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
