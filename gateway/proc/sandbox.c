/*
 * sandbox: capabilities (libcap), user switch, no_new_privs and the relay's
 * seccomp allowlist (libseccomp). See sandbox.h.
 */
#include "gateway/proc/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/sched.h>
#include <pwd.h>
#include <stdbool.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int sandbox_fail(char *err, size_t err_len, const char *what, int e)
{
    snprintf(err, err_len, "%s: %s", what, strerror(e));
    return -1;
}

static uid_t relay_uid; /* 0: not switched (not root, or a root relay) */

/* Sanitizer builds (make asan): LeakSanitizer's exit check stops the world
 * with clone + ptrace, which a sandboxed process can no longer do (seccomp
 * in the relay; the parent is non-dumpable without CAP_SYS_PTRACE once its
 * saved uid changed). Leaks are checked in the unit tests and in any
 * unsandboxed run; a sandboxed process skips the check rather than abort. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_LSAN 1
#endif
#endif
static bool sandboxed;
#ifdef SANDBOX_LSAN
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return sandboxed;
}
#endif

/* The kernel lets a process signal another when their real/effective and
 * real/saved uids meet; the parent has no CAP_KILL, so for the moment of
 * the kill() it takes the relay's uid as its real uid, then gives it back. */
int sandbox_signal_relay(pid_t pid, int sig)
{
    if (relay_uid == 0)
        return kill(pid, sig);
    if (setresuid(relay_uid, (uid_t)-1, (uid_t)-1) < 0)
        return -1;
    int rc = kill(pid, sig), saved = errno;
    if (setresuid(0, (uid_t)-1, (uid_t)-1) < 0)
        abort(); /* cannot happen: 0 is our effective uid */
    errno = saved;
    return rc;
}

int sandbox_parent_caps(const char *relay_user, char *err, size_t err_len)
{
    static const cap_value_t keep[] = {CAP_NET_ADMIN, CAP_NET_RAW};
    struct passwd *pw = getpwnam(relay_user);
    if (!pw) {
        snprintf(err, err_len, "user '%s' does not exist", relay_user);
        return -1;
    }
    /* saved uid = the relay's user (real and effective stay 0): that lets
     * sandbox_signal_relay() borrow it as the real uid for a kill() without
     * CAP_KILL or CAP_SETUID. The capabilities are kept: they are only
     * cleared when no uid is 0 any more. */
    if (pw->pw_uid != 0 && setresuid(0, 0, pw->pw_uid) < 0)
        return sandbox_fail(err, err_len, "setresuid", errno);
    relay_uid = pw->pw_uid;
    sandboxed = true;
    cap_t caps = cap_init(); /* all clear */
    if (!caps)
        return sandbox_fail(err, err_len, "cap_init", errno);
    int rc = 0;
    if (cap_set_flag(caps, CAP_PERMITTED, 2, keep, CAP_SET) < 0 ||
        cap_set_flag(caps, CAP_EFFECTIVE, 2, keep, CAP_SET) < 0 || cap_set_proc(caps) < 0)
        rc = sandbox_fail(err, err_len, "keeping only CAP_NET_ADMIN and CAP_NET_RAW", errno);
    cap_free(caps);
    return rc;
}

/* Empties the bounding set (needs CAP_SETPCAP, so before the uid switch):
 * nothing this process or its code ever executes can gain a capability. */
static int drop_bounding(char *err, size_t err_len)
{
    for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
        if (CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0 && errno != EINVAL)
            return sandbox_fail(err, err_len, "emptying the capability bounding set", errno);
    }
    return 0;
}

/* After the switch no capability may remain and root must be out of reach. */
static int verify_dropped(char *err, size_t err_len)
{
    cap_t caps = cap_get_proc(), none = cap_init();
    int differ = caps && none ? cap_compare(caps, none) : 1;
    cap_free(caps);
    cap_free(none);
    if (differ) {
        snprintf(err, err_len, "capabilities still held after switching user");
        return -1;
    }
    if (setuid(0) == 0) {
        snprintf(err, err_len, "could switch back to root after dropping privileges");
        return -1;
    }
    return 0;
}

int sandbox_relay_drop_user(const char *user, char *err, size_t err_len)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, err_len, "user '%s' does not exist", user);
        return -1;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (uid == 0) {
        snprintf(err, err_len, "user '%s' is root: the relay must not run as root", user);
        return -1;
    }
    if (drop_bounding(err, err_len) < 0)
        return -1;
    if (setgroups(1, &gid) < 0)
        return sandbox_fail(err, err_len, "setgroups", errno);
    if (setresgid(gid, gid, gid) < 0)
        return sandbox_fail(err, err_len, "setresgid", errno);
    /* without PR_SET_KEEPCAPS, leaving uid 0 clears every capability */
    if (setresuid(uid, uid, uid) < 0)
        return sandbox_fail(err, err_len, "setresuid", errno);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return sandbox_fail(err, err_len, "PR_SET_NO_NEW_PRIVS", errno);
    /* the user switch cleared it: a relay must not outlive its parent */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    return verify_dropped(err, err_len);
}

/* ---- seccomp ------------------------------------------------------------------ */

/* Plain allowlist: no argument checks needed. */
static const int relay_syscalls[] = {
    /* I/O on descriptors the relay holds */
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(lseek),
    SCMP_SYS(fcntl),
    SCMP_SYS(dup),
    SCMP_SYS(dup3),
    SCMP_SYS(pipe2),
    SCMP_SYS(splice),
    SCMP_SYS(fdatasync),
    SCMP_SYS(epoll_create1),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_pwait2),
    SCMP_SYS(eventfd2),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(signalfd4),
    SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime),
    /* TCP: accept clients, connect to backends */
    SCMP_SYS(accept4),
    SCMP_SYS(connect),
    SCMP_SYS(shutdown),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendmmsg),
    SCMP_SYS(recvmmsg),
    /* memory */
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    /* threads, signals, time, randomness */
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
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
    SCMP_SYS(prlimit64),
    SCMP_SYS(membarrier),
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
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Rules that look at arguments. */
static int add_argument_rules(scmp_filter_ctx ctx)
{
    int rc = 0;
    /* TCP/IP sockets only: no netlink, no packet, no unix sockets */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET6));
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
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONBIO));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
    return rc;
}

int sandbox_relay_seccomp(char *err, size_t err_len)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return sandbox_fail(err, err_len, "seccomp_init", ENOMEM);
    int rc = 0;
    for (size_t i = 0; i < N_OF(relay_syscalls); i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, relay_syscalls[i], 0);
    for (size_t i = 0; i < N_OF(relay_kill_syscalls); i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, relay_kill_syscalls[i], 0);
    rc |= add_argument_rules(ctx);
    /* every thread of the relay, including ones already running */
    rc |= seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (rc != 0) {
        seccomp_release(ctx);
        snprintf(err, err_len, "seccomp: building the relay's allowlist failed");
        return -1;
    }
    rc = seccomp_load(ctx);
    seccomp_release(ctx);
    sandboxed = rc == 0;
    return rc < 0 ? sandbox_fail(err, err_len, "seccomp_load", -rc) : 0;
}
