/*
 * Commit-confirmed, as routers do it: `apply --confirm N` applies the new
 * policy and leaves behind a detached process holding the batch that puts
 * the previous table back. Unless `rampart-fw confirm` reaches it within N
 * seconds, it sends that batch. It runs in its own session, so closing the
 * shell (or losing the SSH connection the new policy cut) does not stop it.
 *
 * The two meet on an abstract unix socket: abstract names belong to the
 * network namespace, which is exactly the scope of the firewall, and the
 * name being taken is how a second pending apply is refused.
 */
#include "firewall/confirm.h"

#include "firewall/compile.h"
#include "firewall/decompile.h"
#include "firewall/nl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static socklen_t confirm_addr(struct sockaddr_un *sun)
{
    static const char name[] = "\0rampart-fw-confirm";
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, name, sizeof name - 1);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof name - 1);
}

/* The restore batch: the running table recompiled, or "no table". */
static int build_restore(struct fw_batch *b, char *err)
{
    struct fw_running run;
    if (fw_running_read(&run, err) < 0)
        return -1;
    int rc = -1;
    if (run.foreign) {
        snprintf(err, FW_ERR_MAX,
                 "the running table holds %u rule(s) or chain(s) rampart-fw did not write, so it "
                 "could not be restored; refusing --confirm",
                 run.foreign);
    } else {
        /* meter entries are rate-limit state the kernel rebuilds itself;
         * blocked addresses come back for the time they have left */
        for (size_t i = 0; i < run.rs.n_sets; i++) {
            struct fw_set *s = &run.rs.sets[i];
            if (s->size)
                s->n_ranges = 0;
            for (size_t k = 0; k < s->n_ranges; k++)
                if (s->ranges[k].expires_ms)
                    s->ranges[k].timeout_ms = s->ranges[k].expires_ms;
        }
        rc = fw_compile_batch(b, run.exists ? &run.rs : NULL, 0);
        if (rc < 0)
            snprintf(err, FW_ERR_MAX, "out of memory");
    }
    fw_running_free(&run);
    return rc;
}

/* Only the user who applied (root, normally) may confirm. */
static bool peer_is_us(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == geteuid();
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits for "confirm" until the deadline; true when it came. */
static bool wait_for_confirm(int lfd, unsigned seconds)
{
    long long deadline = now_ms() + seconds * 1000LL;
    for (long long left; (left = deadline - now_ms()) > 0;) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        char buf[16] = {0};
        struct pollfd pc = {.fd = c, .events = POLLIN};
        bool ok = peer_is_us(c) && poll(&pc, 1, 1000) == 1 && read(c, buf, sizeof buf - 1) > 0 &&
                  strncmp(buf, FW_CONFIRM_WORD, strlen(FW_CONFIRM_WORD)) == 0;
        if (ok && write(c, "confirmed\n", 10) != 10)
            ok = true; /* the confirmer left early: it still confirmed */
        close(c);
        if (ok)
            return true;
    }
    return false;
}

/* The detached process: confirm or restore, then exit. */
static void guard(int lfd, unsigned seconds, struct fw_batch *restore)
{
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO), dup2(null, STDOUT_FILENO), dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    openlog("rampart-fw", LOG_PID, LOG_DAEMON);
    if (wait_for_confirm(lfd, seconds)) {
        syslog(LOG_NOTICE, "policy confirmed; keeping it");
        _exit(0);
    }
    close(lfd); /* a new apply may start while we restore */
    char err[FW_NL_ERR_MAX];
    int rc = fw_nl_commit(NULL, restore, err);
    if (rc == 0)
        syslog(LOG_WARNING, "not confirmed within %us: previous ruleset restored", seconds);
    else
        syslog(LOG_ERR, "not confirmed within %us, and restoring failed: %s", seconds, err);
    _exit(rc == 0 ? 0 : 1);
}

/* Double fork: the guard belongs to no terminal and nobody waits for it. */
static int spawn_guard(int lfd, unsigned seconds, struct fw_batch *restore, char *err)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, FW_ERR_MAX, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setsid();
        pid_t inner = fork();
        if (inner == 0)
            guard(lfd, seconds, restore);
        _exit(inner < 0 ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, FW_ERR_MAX, "could not start the confirmation guard");
        return -1;
    }
    return 0;
}

int fw_apply_confirmed(const struct policy *pol, unsigned seconds, char *err)
{
    if (seconds < 1 || seconds > FW_CONFIRM_MAX_S) {
        snprintf(err, FW_ERR_MAX, "--confirm: %u out of range 1-%d seconds", seconds, FW_CONFIRM_MAX_S);
        return -1;
    }
    struct sockaddr_un sun;
    socklen_t len = confirm_addr(&sun);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, len) < 0 || listen(lfd, 4) < 0) {
        snprintf(err, FW_ERR_MAX, "%s",
                 errno == EADDRINUSE ? "another apply --confirm is pending (confirm it first)"
                                     : strerror(errno));
        if (lfd >= 0)
            close(lfd);
        return -1;
    }
    struct fw_batch restore = {0};
    int rc = build_restore(&restore, err);
    if (rc == 0)
        rc = fw_apply_policy(pol, 0, err);
    if (rc == 0)
        rc = spawn_guard(lfd, seconds, &restore, err);
    close(lfd);
    fw_batch_free(&restore);
    return rc;
}

int fw_confirm(char *err)
{
    struct sockaddr_un sun;
    socklen_t len = confirm_addr(&sun);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, len) < 0) {
        snprintf(err, FW_ERR_MAX, "%s",
                 errno == ECONNREFUSED ? "nothing to confirm (no apply --confirm pending)" : strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char buf[32] = {0};
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc = -1;
    if (write(fd, FW_CONFIRM_WORD "\n", strlen(FW_CONFIRM_WORD) + 1) > 0 && poll(&p, 1, 5000) == 1 &&
        read(fd, buf, sizeof buf - 1) > 0 && strncmp(buf, "confirmed", 9) == 0)
        rc = 0;
    else
        snprintf(err, FW_ERR_MAX, "the confirmation guard did not answer");
    close(fd);
    return rc;
}

bool fw_confirm_pending(void)
{
    struct sockaddr_un sun;
    socklen_t len = confirm_addr(&sun);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool pending = connect(fd, (struct sockaddr *)&sun, len) == 0;
    if (pending && write(fd, "ping\n", 5) < 0) /* not the word: the guard reads on */
        pending = true;
    close(fd);
    return pending;
}
