/*
 * sandbox_acme: the ACME process's confinement (sandbox.h, "ACME
 * process"): Landlock for the filesystem and TCP ports, seccomp for the
 * system calls.
 */
#include "gateway/proc/sandbox.h"
#include "gateway/proc/sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- Landlock ------------------------------------------------------------------------------------ */

/* Debian 12's linux/landlock.h stops at ABI 1; the kernel may be newer. */
#define ACME_LL_FS_V1        ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define ACME_LL_FS_TRUNCATE  (1ULL << 14)       /* ABI 3 */
#define ACME_LL_FS_IOCTL_DEV (1ULL << 15)       /* ABI 5 */
#define ACME_LL_NET_BIND     (1ULL << 0)        /* ABI 4 */
#define ACME_LL_NET_CONNECT  (1ULL << 1)
#define ACME_LL_RULE_NET     2
#define ACME_LL_READ_FILE    (1ULL << 2)

struct acme_ll_ruleset {
    uint64_t fs, net;
};
struct acme_ll_port {
    uint64_t allowed;
    uint64_t port;
};

/* Files the resolver reads at each lookup (the ACME server is named). */
static const char *const acme_resolver_files[] = {"/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf",
                                                  "/etc/host.conf", "/etc/gai.conf"};

static int ll_path(int ruleset, const char *path, uint64_t access, bool dir)
{
    int fd = open(path, O_PATH | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return errno == ENOENT && !dir ? 0 : -1;
    struct landlock_path_beneath_attr pb = {.allowed_access = access, .parent_fd = fd};
    int rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
    close(fd);
    return rc;
}

static int ll_port(int ruleset, unsigned port)
{
    struct acme_ll_port p = {.allowed = ACME_LL_NET_CONNECT, .port = port};
    return (int)syscall(SYS_landlock_add_rule, ruleset, ACME_LL_RULE_NET, &p, 0);
}

static int ll_rules(int rs, int abi, uint64_t fs, const char *state_dir, const unsigned *ports,
                    unsigned n_ports)
{
    if (ll_path(rs, state_dir, fs & ~(uint64_t)LANDLOCK_ACCESS_FS_EXECUTE, true) < 0)
        return -1;
    for (size_t i = 0; i < sizeof acme_resolver_files / sizeof acme_resolver_files[0]; i++)
        if (ll_path(rs, acme_resolver_files[i], ACME_LL_READ_FILE, false) < 0)
            return -1;
    for (unsigned i = 0; abi >= 4 && i < n_ports; i++)
        if (ll_port(rs, ports[i]) < 0)
            return -1;
    return 0;
}

int sandbox_acme_landlock(const char *state_dir, const unsigned *ports, unsigned n_ports, int *abi_out,
                          char *err, size_t err_len)
{
    int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    *abi_out = abi;
    if (abi < 1)
        return 0; /* no Landlock in this kernel: seccomp alone (logged by the caller) */
    uint64_t fs =
        ACME_LL_FS_V1 | (abi >= 3 ? ACME_LL_FS_TRUNCATE : 0) | (abi >= 5 ? ACME_LL_FS_IOCTL_DEV : 0);
    struct acme_ll_ruleset attr = {.fs = fs, .net = abi >= 4 ? ACME_LL_NET_BIND | ACME_LL_NET_CONNECT : 0};
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, abi >= 4 ? sizeof attr : sizeof attr.fs, 0);
    if (rs < 0)
        return sandbox_fail(err, err_len, "landlock_create_ruleset", errno);
    if (ll_rules(rs, abi, fs, state_dir, ports, n_ports) < 0) {
        int e = errno;
        close(rs);
        return sandbox_fail(err, err_len, "landlock_add_rule", e);
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int rc = (int)syscall(SYS_landlock_restrict_self, rs, 0);
    int e = errno;
    close(rs);
    return rc < 0 ? sandbox_fail(err, err_len, "landlock_restrict_self", e) : 0;
}

/* ---- seccomp ------------------------------------------------------------------------------------- */

/* An HTTPS client with a resolver, its state files, its parent's socket. */
static const int acme_syscalls[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(statx),
    SCMP_SYS(lseek),
    SCMP_SYS(openat),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(unlinkat),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(getdents64),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(fcntl),
    SCMP_SYS(pipe2),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(epoll_create1),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(eventfd2),
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
    SCMP_SYS(bind),
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
    SCMP_SYS(uname),
    SCMP_SYS(sysinfo),
#ifdef __NR_arch_prctl
    SCMP_SYS(arch_prctl),
#endif
};

/* Beyond what no child may call (sandbox_seccomp_kill_escapes): an HTTPS
 * client never listens, syncs or changes its Landlock domain; seeing one
 * means the process is compromised. */
static const int acme_kill_syscalls[] = {
    SCMP_SYS(listen),
    SCMP_SYS(accept),
    SCMP_SYS(fsync),
    SCMP_SYS(landlock_create_ruleset),
    SCMP_SYS(landlock_add_rule),
    SCMP_SYS(landlock_restrict_self),
};

/* TCP and UDP (the resolver) over IPv4 and IPv6; a unix socketpair (libcurl's
 * resolver thread wakes the transfer through one). No raw, packet or
 * netlink socket, no unix socket to connect anywhere. */
static int acme_socket_rules(scmp_filter_ctx ctx)
{
    static const int families[] = {AF_INET, AF_INET6};
    int rc = 0;
    for (size_t i = 0; i < 2; i++) {
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, families[i]),
                               SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM));
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, families[i]),
                               SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM));
    }
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONBIO));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
    return rc;
}

int sandbox_acme_seccomp(char *err, size_t err_len)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return sandbox_fail(err, err_len, "seccomp_init", ENOMEM);
    int rc = sandbox_seccomp_add(ctx, SCMP_ACT_ALLOW, acme_syscalls,
                                 sizeof acme_syscalls / sizeof acme_syscalls[0]);
    rc |= sandbox_seccomp_kill_escapes(ctx);
    rc |= sandbox_seccomp_add(ctx, SCMP_ACT_KILL_PROCESS, acme_kill_syscalls,
                              sizeof acme_kill_syscalls / sizeof acme_kill_syscalls[0]);
    rc |= acme_socket_rules(ctx);
    /* threads only (libcurl's resolver), signals to itself, its own name */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
    rc |= seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (rc != 0) {
        seccomp_release(ctx);
        snprintf(err, err_len, "seccomp: building the ACME process's allowlist failed");
        return -1;
    }
    rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc < 0)
        return sandbox_fail(err, err_len, "seccomp_load", -rc);
    sandbox_active = true;
    return 0;
}
