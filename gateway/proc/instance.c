/*
 * instance: the PID file, the VRRP instance name, the start-up mutex and
 * the listener probes of one rampart. See instance.h.
 */
#include "gateway/proc/instance.h"
#include "gateway/proc/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define INSTANCE_STARTUP_NAME "rampart-startup"

void instance_vrrp_name(const struct config_vrrp *v, char *out, size_t len)
{
    snprintf(out, len, "rampart-vrrp%s:%s:%u", config_vrrp_family(v) == AF_INET6 ? "6" : "", v->interface,
             v->vrid);
}

/* Binds an abstract unix socket named `name` (no trailing NUL in the
 * address, as `ss -xl` shows it: "@name"). The fd, or -1 with errno
 * (EADDRINUSE: another process holds the name in this namespace). */
static int abstract_take(const char *name)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    size_t n = strnlen(name, sizeof sun.sun_path - 1);
    memcpy(sun.sun_path + 1, name, n);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (const struct sockaddr *)&sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) <
        0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* ---- PID file ------------------------------------------------------------------ */

/* The PID the file holds (for the message), or 0. */
static long pid_file_read(int fd)
{
    char buf[24] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

static int pid_file_take(struct instance *in, const char *path, char *err, size_t err_len)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        snprintf(err, err_len, "pid_file %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        long other = e == EWOULDBLOCK ? pid_file_read(fd) : 0;
        close(fd);
        if (e == EWOULDBLOCK)
            snprintf(err, err_len, "pid_file %s: held by a running rampart (pid %ld)", path, other);
        else
            snprintf(err, err_len, "pid_file %s: flock: %s", path, strerror(e));
        return -1;
    }
    char text[24];
    int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)len, 0) != len) {
        snprintf(err, err_len, "pid_file %s: write: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    in->pid_fd = fd;
    snprintf(in->pid_path, sizeof in->pid_path, "%s", path);
    return 0;
}

/* ---- VRRP instance and start-up mutex --------------------------------------------- */

/* One name per enabled instance: "[vrrp]" or "[vrrp NAME]" in messages. */
static int vrrp_take_one(struct instance *in, unsigned i, const struct config_vrrp *v, char *err,
                         size_t err_len)
{
    char name[INSTANCE_LOCK_NAME_MAX], label[CONFIG_NAME_MAX + 8];
    instance_vrrp_name(v, name, sizeof name);
    if (v->name[0])
        snprintf(label, sizeof label, "[vrrp %s]", v->name);
    else
        snprintf(label, sizeof label, "[vrrp]");
    in->vrrp_fd[i] = abstract_take(name);
    if (in->vrrp_fd[i] >= 0)
        return 0;
    if (errno == EADDRINUSE)
        snprintf(err, err_len,
                 "%s interface %s vrid %u%s: already run by another rampart in this network namespace", label,
                 v->interface, v->vrid, config_vrrp_family(v) == AF_INET6 ? " (IPv6)" : "");
    else
        snprintf(err, err_len, "%s instance lock: %s", label, strerror(errno));
    return -1;
}

static int vrrp_take(struct instance *in, const struct config *cfg, char *err, size_t err_len)
{
    for (unsigned i = 0; i < cfg->n_vrrp && i < CONFIG_MAX_VRRP_INSTANCES; i++)
        if (cfg->vrrp[i].enabled && vrrp_take_one(in, i, &cfg->vrrp[i], err, err_len) < 0)
            return -1;
    return 0;
}

/* Waits up to INSTANCE_STARTUP_WAIT_MS for another instance of this
 * namespace to finish binding its listeners. */
static int startup_take(struct instance *in, char *err, size_t err_len)
{
    const struct timespec pause = {0, INSTANCE_STARTUP_POLL_MS * 1000000L};
    for (unsigned waited = 0;; waited += INSTANCE_STARTUP_POLL_MS) {
        in->startup_fd = abstract_take(INSTANCE_STARTUP_NAME);
        if (in->startup_fd >= 0)
            return 0;
        if (errno != EADDRINUSE || waited >= INSTANCE_STARTUP_WAIT_MS)
            break;
        nanosleep(&pause, NULL);
    }
    if (errno == EADDRINUSE)
        snprintf(err, err_len, "another rampart has been starting in this network namespace for %d ms",
                 INSTANCE_STARTUP_WAIT_MS);
    else
        snprintf(err, err_len, "start-up lock: %s", strerror(errno));
    return -1;
}

/* ---- the whole ---------------------------------------------------------------------- */

static int probe_all(const struct config *cfg, char *err, size_t err_len)
{
    if (listener_probe_new(cfg, NULL, err, err_len) < 0)
        return -1;
    char why[256];
    if (cfg->admin.enabled && listener_probe(&cfg->admin.listen, why, sizeof why) < 0) {
        snprintf(err, err_len, "[admin] listen %s", why);
        return -1;
    }
    return 0;
}

int instance_acquire(struct instance *in, const struct config *cfg, char *err, size_t err_len)
{
    *in = INSTANCE_INIT;
    if ((cfg->gateway.pid_file[0] && pid_file_take(in, cfg->gateway.pid_file, err, err_len) < 0) ||
        vrrp_take(in, cfg, err, err_len) < 0 || startup_take(in, err, err_len) < 0 ||
        probe_all(cfg, err, err_len) < 0) {
        instance_release(in);
        return -1;
    }
    return 0;
}

void instance_started(struct instance *in)
{
    close_fd(&in->startup_fd);
}

void instance_release(struct instance *in)
{
    close_fd(&in->startup_fd);
    for (unsigned i = 0; i < CONFIG_MAX_VRRP_INSTANCES; i++)
        close_fd(&in->vrrp_fd[i]);
    /* while still holding the lock: no one else wrote it. The parent's
     * seccomp filter has no unlink; then the file is emptied, so that no
     * script signals whatever process gets this PID next. */
    if (in->pid_fd >= 0 && in->pid_path[0] && unlink(in->pid_path) < 0) {
        int fd = open(in->pid_path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            close(fd);
    }
    close_fd(&in->pid_fd);
    in->pid_path[0] = '\0';
}
