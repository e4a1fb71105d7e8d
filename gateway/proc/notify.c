/*
 * notify: sd_notify by hand. See notify.h.
 */
#include "gateway/proc/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static struct {
    int fd;
    struct sockaddr_un addr;
    socklen_t addr_len;
} notify = {.fd = -1};

/* "/run/systemd/notify" or "@abstract": the address, or -1 if unusable. */
static int notify_address(const char *name, struct sockaddr_un *sun, socklen_t *len)
{
    size_t n = strlen(name);
    if (n < 2 || n >= sizeof sun->sun_path || (name[0] != '/' && name[0] != '@'))
        return -1;
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, name, n);
    if (name[0] == '@')
        sun->sun_path[0] = '\0'; /* abstract: no trailing NUL either */
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
    return 0;
}

void notify_init(void)
{
    const char *name = getenv("NOTIFY_SOCKET");
    if (name && notify_address(name, &notify.addr, &notify.addr_len) == 0)
        notify.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    unsetenv("NOTIFY_SOCKET");
}

size_t notify_format(enum notify_state state, const char *status, unsigned long long monotonic_us, char *out,
                     size_t len)
{
    int n;
    switch (state) {
    case NOTIFY_RELOADING: n = snprintf(out, len, "RELOADING=1\nMONOTONIC_USEC=%llu\n", monotonic_us); break;
    case NOTIFY_STOPPING: n = snprintf(out, len, "STOPPING=1\n"); break;
    default: n = snprintf(out, len, "READY=1\n"); break;
    }
    if (n < 0 || (size_t)n >= len)
        return 0;
    if (status) {
        int m = snprintf(out + n, len - (size_t)n, "STATUS=%s\n", status);
        if (m > 0 && (size_t)m < len - (size_t)n)
            n += m;
        else
            out[n] = '\0'; /* the state alone, never half a line */
    }
    return (size_t)n;
}

void notify_send(enum notify_state state, const char *status)
{
    if (notify.fd < 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long long us =
        (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
    char msg[NOTIFY_MSG_MAX];
    size_t n = notify_format(state, status, us, msg, sizeof msg);
    while (n > 0 &&
           sendto(notify.fd, msg, n, MSG_NOSIGNAL | MSG_DONTWAIT, (const struct sockaddr *)&notify.addr,
                  notify.addr_len) < 0 &&
           errno == EINTR)
        ;
}

void notify_close(void)
{
    if (notify.fd >= 0)
        close(notify.fd);
    notify.fd = -1;
}
