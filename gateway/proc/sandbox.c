/*
 * sandbox: users, capabilities (libcap and raw capset), securebits,
 * no_new_privs, and the step between fork and exec. The seccomp filters
 * are in sandbox_seccomp.c. See sandbox.h.
 */
#include "gateway/proc/sandbox.h"
#include "gateway/proc/sandbox_internal.h"

#include <errno.h>
#include <grp.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int sandbox_fail(char *err, size_t err_len, const char *what, int e)
{
    snprintf(err, err_len, "%s: %s", what, strerror(e));
    return -1;
}

/* Sanitizer builds (make asan): LeakSanitizer's exit check stops the world
 * with clone + ptrace, which a sandboxed process can no longer do (the
 * seccomp filters). Leaks are checked in the unit tests and in any
 * unsandboxed run; a sandboxed process skips the check rather than abort. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_LSAN 1
#endif
#endif
bool sandbox_active;
#ifdef SANDBOX_LSAN
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return sandbox_active;
}
#endif

/* ---- capability sets ------------------------------------------------------------------------ */

#define CAP_BIT(c) (1ULL << (c))
/* What the parent uses all the time, and what it may raise for one call. */
#define PARENT_EFFECTIVE (CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_NET_RAW))
#define PARENT_PERMITTED                                                                                     \
    (PARENT_EFFECTIVE | CAP_BIT(CAP_KILL) | CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETGID) | CAP_BIT(CAP_SETPCAP))
/* What a child needs between fork and exec to become its user. */
#define CHILD_SWITCH    (CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETGID) | CAP_BIT(CAP_SETPCAP))
#define SANDBOX_MAX_CAP 63 /* capability numbers tried when emptying the bounding set */

/* The parent's securebits: uid 0 is no source of capabilities, uid changes
 * never touch them, nothing keeps them over a uid change, all locked. The
 * ambient set stays usable for a privileged child to come (sandbox.h). */
#define PARENT_SECUREBITS                                                                                    \
    (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |         \
     SECBIT_KEEP_CAPS_LOCKED)

static bool parent_mode; /* sandbox_parent_enter done: CAP_KILL must be raised to signal */

/* capset(2) without libcap: async-signal-safe, and per thread, as the
 * kernel does it (the caller is the only thread that changes). */
static int capset_raw(uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2] = {
        {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
        {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)},
    };
    return (int)syscall(SYS_capset, &h, d);
}

/* Drops from the bounding set every capability not in `keep` (needs
 * CAP_SETPCAP). Unknown numbers (EINVAL) end the list. */
static int bound_to(uint64_t keep)
{
    for (int c = 0; c <= SANDBOX_MAX_CAP; c++) {
        if (keep & CAP_BIT(c))
            continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                return 0;
            return -1;
        }
    }
    return 0;
}

static bool bounding_empty(void)
{
    for (int c = 0; c <= SANDBOX_MAX_CAP; c++) {
        int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
        if (r < 0)
            return true; /* past the last capability */
        if (r == 1)
            return false;
    }
    return true;
}

/* ---- the parent ------------------------------------------------------------------------------ */

static int lookup_user(const char *user, struct sandbox_child *out, char *err, size_t err_len)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, err_len, "user '%s' does not exist", user);
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, err_len, "user '%s' is root: the %s must not run as root", user,
                 out->role ? out->role : "relay");
        return -1;
    }
    out->drop = true;
    out->uid = pw->pw_uid;
    out->gid = pw->pw_gid;
    return 0;
}

/* The hard limit as high as the kernel allows (fs.nr_open): a child, and
 * the parent after this, can no longer raise it, and the relay needs
 * max_connections * 2 descriptors (a reload may raise max_connections).
 * Best effort: a container may not let even root raise it; the relay then
 * says so (fd_limit_low). */
static void raise_fd_hard_limit(void)
{
    unsigned long nr_open = 1u << 20;
    FILE *fp = fopen("/proc/sys/fs/nr_open", "r");
    if (fp) {
        if (fscanf(fp, "%lu", &nr_open) != 1)
            nr_open = 1u << 20;
        fclose(fp);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < nr_open) {
        rl.rlim_max = nr_open;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int sandbox_parent_enter(const char *relay_user, struct sandbox_child *relay, char *err, size_t err_len)
{
    *relay = (struct sandbox_child){.role = "relay"};
    if (lookup_user(relay_user, relay, err, err_len) < 0)
        return -1;
    raise_fd_hard_limit();
    if (bound_to(PARENT_PERMITTED) < 0)
        return sandbox_fail(err, err_len, "limiting the capability bounding set", errno);
    if (prctl(PR_SET_SECUREBITS, PARENT_SECUREBITS, 0, 0, 0) < 0)
        return sandbox_fail(err, err_len, "PR_SET_SECUREBITS", errno);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        return sandbox_fail(err, err_len, "clearing the ambient capabilities", errno);
    if (capset_raw(PARENT_EFFECTIVE, PARENT_PERMITTED, 0) < 0)
        return sandbox_fail(err, err_len, "keeping only CAP_NET_ADMIN and CAP_NET_RAW effective", errno);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return sandbox_fail(err, err_len, "PR_SET_NO_NEW_PRIVS", errno);
    parent_mode = true;
    sandbox_active = true;
    return 0;
}

int sandbox_child_user(const char *user, const char *role, struct sandbox_child *out, char *err,
                       size_t err_len)
{
    *out = (struct sandbox_child){.role = role};
    return lookup_user(user, out, err, err_len);
}

unsigned sandbox_securebits(void)
{
    int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
    return bits < 0 ? 0 : (unsigned)bits;
}

/* The relay runs as another user than the parent, so only CAP_KILL lets
 * the parent signal it; raised for this call only. */
int sandbox_signal_relay(pid_t pid, int sig)
{
    if (!parent_mode)
        return kill(pid, sig);
    capset_raw(PARENT_EFFECTIVE | CAP_BIT(CAP_KILL), PARENT_PERMITTED, 0);
    int rc = kill(pid, sig), saved = errno;
    capset_raw(PARENT_EFFECTIVE, PARENT_PERMITTED, 0);
    errno = saved;
    return rc;
}

/* ---- a child, between fork and exec ------------------------------------------------------------ */

int sandbox_child_enter(const struct sandbox_child *c)
{
    if (!c || !c->drop)
        return 0;
    /* permitted narrowed to the three needed now, and raised */
    if (capset_raw(CHILD_SWITCH, CHILD_SWITCH, 0) < 0 || bound_to(0) < 0)
        return -1;
    if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, c->gid, c->gid, c->gid) < 0)
        return -1;
    /* real uid: the user; effective and saved 0, which NOROOT makes worth no
     * capability, only ownership of root's files (the keys), until the
     * child switches them to its real uid (sandbox_child_drop_user) */
    if (syscall(SYS_setresuid, c->uid, 0, 0) < 0)
        return -1;
    return capset_raw(0, 0, 0) < 0 ? -1 : 0; /* NO_SETUID_FIXUP: the uid change kept them */
}

/* ---- the guard -------------------------------------------------------------------------------- */

#define GUARD_CAPS (CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_NET_RAW))

int sandbox_guard_enter(void)
{
    if (!parent_mode)
        return 0; /* a developer's run: the guard keeps the parent's user and whatever it has */
    /* CAP_SETPCAP for the bounding set, then only the two, inheritable too
     * (the ambient set takes only what is permitted and inheritable) */
    if (capset_raw(GUARD_CAPS | CAP_BIT(CAP_SETPCAP), GUARD_CAPS | CAP_BIT(CAP_SETPCAP), GUARD_CAPS) < 0 ||
        bound_to(GUARD_CAPS) < 0)
        return -1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) < 0 ||
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) < 0)
        return -1;
    return capset_raw(GUARD_CAPS, GUARD_CAPS, GUARD_CAPS) < 0 ? -1 : 0;
}

/* ---- a child, after its start ----------------------------------------------------------------- */

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
    if (!bounding_empty()) {
        snprintf(err, err_len, "capability bounding set not empty after switching user");
        return -1;
    }
    if (setuid(0) == 0) {
        snprintf(err, err_len, "could switch back to root after dropping privileges");
        return -1;
    }
    return 0;
}

int sandbox_child_drop_user(const char *user, char *err, size_t err_len)
{
    struct sandbox_child who = {.role = "child"};
    if (lookup_user(user, &who, err, err_len) < 0)
        return -1;
    /* started by a sandboxed parent, the bounding set and the groups are
     * already gone (sandbox_child_enter); a child started as full root
     * still has them to give up */
    if (!bounding_empty() && bound_to(0) < 0)
        return sandbox_fail(err, err_len, "emptying the capability bounding set", errno);
    if (getgroups(0, NULL) != 0 && setgroups(0, NULL) < 0)
        return sandbox_fail(err, err_len, "setgroups", errno);
    if (setresgid(who.gid, who.gid, who.gid) < 0)
        return sandbox_fail(err, err_len, "setresgid", errno);
    /* the real uid is already the user's: leaving uid 0 needs no privilege */
    if (setresuid(who.uid, who.uid, who.uid) < 0)
        return sandbox_fail(err, err_len, "setresuid", errno);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return sandbox_fail(err, err_len, "PR_SET_NO_NEW_PRIVS", errno);
    /* the user switch cleared it: a child must not outlive its parent */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    return verify_dropped(err, err_len);
}
