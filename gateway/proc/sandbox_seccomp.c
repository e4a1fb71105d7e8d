/*
 * sandbox_seccomp: the parent's, the relay's and the key holder's seccomp
 * allowlists (libseccomp). See sandbox.h for what each process may do and why.
 *
 * Filters stack: a child runs under the parent's filter and then its own,
 * and the stricter action wins. So the parent's list is what the parent
 * needs plus what a child does before loading its own filter; the relay's
 * is what serving needs.
 */
#include "gateway/proc/sandbox.h"
#include "gateway/proc/sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* What an event-driven process on descriptors it holds needs: both lists
 * start from this. */
static const int common_syscalls[] = {
    /* I/O on descriptors the process holds */
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64), SCMP_SYS(close),
    SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(dup), SCMP_SYS(dup3), SCMP_SYS(pipe2),
    SCMP_SYS(splice), SCMP_SYS(fdatasync), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2), SCMP_SYS(eventfd2), SCMP_SYS(poll), SCMP_SYS(ppoll),
    SCMP_SYS(signalfd4), SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime),
    /* sockets it has (which ones it may create: argument rules) */
    SCMP_SYS(accept4), SCMP_SYS(connect), SCMP_SYS(shutdown), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
    SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg),
    /* memory */
    SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
    /* threads, signals, time, randomness */
    SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(set_tid_address), SCMP_SYS(rseq),
    SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid),
    SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall), SCMP_SYS(exit),
    SCMP_SYS(exit_group), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday), SCMP_SYS(getrandom), SCMP_SYS(prlimit64), SCMP_SYS(membarrier),
#ifdef __NR_arch_prctl
    SCMP_SYS(arch_prctl), /* a new image sets up thread-local storage */
#endif
};

/* The parent's own, and what a child does before its own filter: open and
 * read files (config, policy, certificates, /etc/passwd), listen, start
 * and reap children, signal them, change to a child's user (pinned
 * below), and load a filter. */
static const int parent_syscalls[] = {
    SCMP_SYS(openat),
    SCMP_SYS(open),
    SCMP_SYS(statx),
    SCMP_SYS(access),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(readlink),
    SCMP_SYS(readlinkat),
    SCMP_SYS(getdents64),
    SCMP_SYS(bind),
    SCMP_SYS(listen),
    SCMP_SYS(socketpair),
    SCMP_SYS(dup2),
    SCMP_SYS(close_range),
    SCMP_SYS(execve),
    SCMP_SYS(wait4),
    SCMP_SYS(waitid),
    SCMP_SYS(kill),
    SCMP_SYS(tgkill),
    SCMP_SYS(tkill),
    SCMP_SYS(getppid),
    SCMP_SYS(getresuid),
    SCMP_SYS(getresgid),
    SCMP_SYS(getgroups),
    SCMP_SYS(capget),
    SCMP_SYS(capset),
    SCMP_SYS(seccomp),
    SCMP_SYS(sysinfo), /* glibc's qsort sizes its buffer by it */
    SCMP_SYS(uname),
    /* [tls] acme: the parent writes certificates and placeholders whole
     * (rename over), makes the state directory; the ACME process writes
     * its state the same way and confines itself with Landlock */
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(mkdir),
    SCMP_SYS(mkdirat),
    SCMP_SYS(chmod),
    SCMP_SYS(fchmod),
    SCMP_SYS(fchmodat),
    SCMP_SYS(chown),
    SCMP_SYS(fchownat),
    SCMP_SYS(fsync),
    SCMP_SYS(landlock_create_ruleset),
    SCMP_SYS(landlock_add_rule),
    SCMP_SYS(landlock_restrict_self),
};

/* Calls no proxy makes; seeing one means the relay is compromised. */
static const int relay_kill_syscalls[] = {
    SCMP_SYS(execve),
    SCMP_SYS(execveat),
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(fork),
    SCMP_SYS(vfork),
    SCMP_SYS(unshare),
    SCMP_SYS(setns),
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root),
    SCMP_SYS(chroot),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module),
    SCMP_SYS(kexec_load),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(userfaultfd),
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key),
    SCMP_SYS(personality),
    SCMP_SYS(open_by_handle_at),
    SCMP_SYS(setuid),
    SCMP_SYS(setgid),
    SCMP_SYS(setresuid),
    SCMP_SYS(setresgid),
    SCMP_SYS(setgroups),
    SCMP_SYS(capset),
    SCMP_SYS(kill),
    SCMP_SYS(tkill),
    SCMP_SYS(rt_sigqueueinfo),
    SCMP_SYS(rt_tgsigqueueinfo),
    SCMP_SYS(pidfd_send_signal),
};

int sandbox_seccomp_add(scmp_filter_ctx ctx, uint32_t action, const int *calls, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        rc |= seccomp_rule_add(ctx, action, calls[i], 0);
    return rc;
}

int sandbox_seccomp_kill_escapes(scmp_filter_ctx ctx)
{
    return sandbox_seccomp_add(ctx, SCMP_ACT_KILL_PROCESS, relay_kill_syscalls, N_OF(relay_kill_syscalls));
}

static int allow_all(scmp_filter_ctx ctx, const int *calls, size_t n)
{
    return sandbox_seccomp_add(ctx, SCMP_ACT_ALLOW, calls, n);
}

/* fcntl commands anyone may use. Setting an owner for SIGIO (F_SETOWN,
 * F_SETOWN_EX), its signal (F_SETSIG) or O_ASYNC would let the holder of
 * a socket have the kernel signal another process: with `kill`, those kill
 * the caller (the relay); else they get the default, EPERM (the parent). */
static int fcntl_rules(scmp_filter_ctx ctx, bool kill)
{
    static const int ok[] = {F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_GETPIPE_SZ, F_SETPIPE_SZ};
    static const int owner[] = {F_SETOWN, F_SETOWN_EX, F_SETSIG};
    int rc = 0;
    for (size_t i = 0; i < N_OF(ok); i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                               SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)ok[i]));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 2, SCMP_A1(SCMP_CMP_EQ, F_SETFL),
                           SCMP_A2(SCMP_CMP_MASKED_EQ, O_ASYNC, 0));
    if (!kill)
        return rc;
    rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(fcntl), 2, SCMP_A1(SCMP_CMP_EQ, F_SETFL),
                           SCMP_A2(SCMP_CMP_MASKED_EQ, O_ASYNC, O_ASYNC));
    for (size_t i = 0; i < N_OF(owner); i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(fcntl), 1,
                               SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)owner[i]));
    return rc;
}

/* ioctls: `ok` allowed; with `kill`, the SIGIO owner ones (FIOSETOWN,
 * SIOCSPGRP) and FIOASYNC (O_ASYNC by another name) kill the caller, else
 * they get the default (EPERM). */
static int ioctl_rules(scmp_filter_ctx ctx, const unsigned long *ok, size_t n, bool kill)
{
    static const unsigned long owner[] = {FIOSETOWN, SIOCSPGRP, FIOASYNC};
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, ok[i]));
    for (size_t i = 0; kill && i < N_OF(owner); i++)
        rc |=
            seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, owner[i]));
    return rc;
}

static int load(scmp_filter_ctx ctx, int rc, const char *who, char *err, size_t err_len)
{
    /* every thread, including ones already running */
    rc |= seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (rc != 0) {
        seccomp_release(ctx);
        snprintf(err, err_len, "seccomp: building the %s's allowlist failed", who);
        return -1;
    }
    rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc < 0)
        return sandbox_fail(err, err_len, "seccomp_load", -rc);
    sandbox_active = true;
    return 0;
}

/* ---- the relay ------------------------------------------------------------------------------- */

/* TCP over IPv4 and IPv6 only: backends and health checks. No UDP (no DNS
 * to ask: backends are addresses), no unix, netlink or packet sockets. */
static int relay_socket_rules(scmp_filter_ctx ctx)
{
    static const int families[] = {AF_INET, AF_INET6};
    static const int protos[] = {0, IPPROTO_TCP};
    int rc = 0;
    for (size_t f = 0; f < N_OF(families); f++)
        for (size_t p = 0; p < N_OF(protos); p++)
            rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
                                   SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[f]),
                                   SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM), /* the type, less flags */
                                   SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)protos[p]));
    return rc;
}

static int relay_argument_rules(scmp_filter_ctx ctx)
{
    static const unsigned long ioctls[] = {FIONREAD, FIONBIO};
    int rc = relay_socket_rules(ctx);
    /* threads only (pthread_create), never a new process */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
    /* clone3 passes its flags in memory seccomp cannot read: ENOSYS makes
     * glibc fall back to clone, whose flags are checked above */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* signals to itself only (abort, raise): never to the parent */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
    rc |= ioctl_rules(ctx, ioctls, N_OF(ioctls), true);
    rc |= fcntl_rules(ctx, true);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
    return rc;
}

int sandbox_relay_seccomp(char *err, size_t err_len)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return sandbox_fail(err, err_len, "seccomp_init", ENOMEM);
    int rc = allow_all(ctx, common_syscalls, N_OF(common_syscalls));
    rc |= sandbox_seccomp_kill_escapes(ctx);
    rc |= relay_argument_rules(ctx);
    return load(ctx, rc, "relay", err, err_len);
}

/* ---- the key holder --------------------------------------------------------------------------- */

/* Its channels and its control socket are all it talks on: blocking
 * send/recv, poll on the control socket. No socket of any kind may be
 * made, connected, bound or accepted. */
static const int keyholder_syscalls[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(set_tid_address),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity), /* pthread_getattr_np: sanitizer runtimes call it in every new thread */
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(getrandom),
    SCMP_SYS(membarrier),
#ifdef __NR_arch_prctl
    SCMP_SYS(arch_prctl),
#endif
};

/* ...and what no key holder does: the relay's list and every socket call
 * that could reach a network. */
static const int keyholder_kill_syscalls[] = {
    SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
    SCMP_SYS(listen), SCMP_SYS(accept),     SCMP_SYS(accept4), SCMP_SYS(ioctl),
};

int sandbox_keyholder_seccomp(char *err, size_t err_len)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return sandbox_fail(err, err_len, "seccomp_init", ENOMEM);
    int rc = allow_all(ctx, keyholder_syscalls, N_OF(keyholder_syscalls));
    rc |= sandbox_seccomp_kill_escapes(ctx);
    for (size_t i = 0; i < N_OF(keyholder_kill_syscalls); i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, keyholder_kill_syscalls[i], 0);
    /* threads only, signals to itself only, its own name: as the relay */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
    rc |= fcntl_rules(ctx, true);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
    return load(ctx, rc, "key holder", err, err_len);
}

/* ---- the guard ------------------------------------------------------------------------------- */

/* What the guard does: wait on its pipe, log, and once: a raw IPv4 socket
 * (the advert), a packet socket and a route netlink socket (vip.c), the
 * interface ioctls, the datagram socket they go through. */
static const int guard_syscalls[] = {
    SCMP_SYS(read),          SCMP_SYS(write),        SCMP_SYS(close),          SCMP_SYS(poll),
    SCMP_SYS(ppoll),         SCMP_SYS(fstat),        SCMP_SYS(newfstatat),     SCMP_SYS(lseek),
    SCMP_SYS(bind),          SCMP_SYS(setsockopt),   SCMP_SYS(getsockopt),     SCMP_SYS(getsockname),
    SCMP_SYS(sendto),        SCMP_SYS(sendmsg),      SCMP_SYS(recvfrom),       SCMP_SYS(recvmsg),
    SCMP_SYS(mmap),          SCMP_SYS(munmap),       SCMP_SYS(mprotect),       SCMP_SYS(brk),
    SCMP_SYS(futex),         SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(getpid),         SCMP_SYS(gettid),
    SCMP_SYS(getrandom),     SCMP_SYS(exit),         SCMP_SYS(exit_group),     SCMP_SYS(restart_syscall),
};

int sandbox_guard_seccomp(char *err, size_t err_len)
{
    static const int families[] = {AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_UNIX};
    static const unsigned long ioctls[] = {SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFHWADDR, SIOCGIFFLAGS, FIONREAD};
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return sandbox_fail(err, err_len, "seccomp_init", ENOMEM);
    int rc = allow_all(ctx, guard_syscalls, N_OF(guard_syscalls));
    rc |= sandbox_seccomp_kill_escapes(ctx); /* the same set of calls no guard makes */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone3), 0);
    for (size_t i = 0; i < N_OF(families); i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                               SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
    rc |= ioctl_rules(ctx, ioctls, N_OF(ioctls), true);
    rc |= fcntl_rules(ctx, true);
    return load(ctx, rc, "guard", err, err_len);
}

/* ---- the parent ------------------------------------------------------------------------------ */

/* Netlink (firewall, addresses), raw IP (VRRP), packet (ARP), TCP
 * listeners and the UDP sockets interface ioctls go through, unix (the
 * relay's socketpair, libc's own probes). */
static int parent_socket_rules(scmp_filter_ctx ctx)
{
    static const int families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET};
    int rc = 0;
    for (size_t i = 0; i < N_OF(families); i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                               SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
    return rc;
}

/* New processes and threads, never in new namespaces. */
static int parent_clone_rules(scmp_filter_ctx ctx)
{
    const scmp_datum_t ns = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC |
                            CLONE_NEWUTS | CLONE_NEWCGROUP;
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, ns, 0));
    return rc | seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

static int parent_prctl_rules(scmp_filter_ctx ctx)
{
    static const int ok[] = {PR_SET_NAME,         PR_GET_NAME,         PR_CAPBSET_READ,  PR_CAPBSET_DROP,
                             PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, PR_GET_SECUREBITS,
                             PR_GET_DUMPABLE,     PR_SET_DUMPABLE,     PR_CAP_AMBIENT,   PR_SET_SECCOMP,
                             PR_GET_SECCOMP};
    int rc = 0;
    for (size_t i = 0; i < N_OF(ok); i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                               SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)ok[i]));
    return rc;
}

/* A child becomes its user: groups dropped, gid set, real uid set with
 * effective and saved 0 (sandbox_child_enter), then all three set to it
 * (sandbox_child_drop_user). Nothing else: the parent cannot take any
 * other uid, not even its children's in another shape. */
static int parent_setid_rules(scmp_filter_ctx ctx, const struct sandbox_child *c)
{
    if (!c->drop)
        return 0;
    scmp_datum_t u = c->uid, g = c->gid;
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setresuid), 3, SCMP_A0(SCMP_CMP_EQ, u),
                              SCMP_A1(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setresuid), 3, SCMP_A0(SCMP_CMP_EQ, u),
                           SCMP_A1(SCMP_CMP_EQ, u), SCMP_A2(SCMP_CMP_EQ, u));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setresgid), 3, SCMP_A0(SCMP_CMP_EQ, g),
                           SCMP_A1(SCMP_CMP_EQ, g), SCMP_A2(SCMP_CMP_EQ, g));
    return rc;
}

int sandbox_parent_seccomp(const struct sandbox_child *children, size_t n, char *err, size_t err_len)
{
    /* interface lookups (if_nametoindex, the VIP's MAC and flags) and isatty */
    static const unsigned long ioctls[] = {FIONREAD,      FIONBIO,      SIOCGIFINDEX, SIOCGIFNAME,
                                           SIOCGIFHWADDR, SIOCGIFFLAGS, SIOCGIFMTU,   TCGETS};
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return sandbox_fail(err, err_len, "seccomp_init", ENOMEM);
    int rc = allow_all(ctx, common_syscalls, N_OF(common_syscalls));
    rc |= allow_all(ctx, parent_syscalls, N_OF(parent_syscalls));
    rc |= parent_socket_rules(ctx);
    rc |= parent_clone_rules(ctx);
    rc |= parent_prctl_rules(ctx);
    rc |= ioctl_rules(ctx, ioctls, N_OF(ioctls), false);
    rc |= fcntl_rules(ctx, false);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setgroups), 1, SCMP_A0(SCMP_CMP_EQ, 0));
    for (size_t i = 0; i < n; i++)
        rc |= parent_setid_rules(ctx, &children[i]);
    return load(ctx, rc, "parent", err, err_len);
}
