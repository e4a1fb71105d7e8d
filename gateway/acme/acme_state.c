/*
 * acme_state: files of the state directory. See acme_state.h.
 */
#include "gateway/acme/acme_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

long acme_state_read(int dfd, const char *name, char *buf, size_t cap)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == cap - 1) {
            char extra;
            if (read(fd, &extra, 1) > 0) {
                close(fd);
                errno = EFBIG;
                return -1;
            }
            break;
        }
    }
    close(fd);
    buf[n] = '\0';
    return (long)n;
}

static int state_write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int acme_state_write(int dfd, const char *name, const void *data, size_t len)
{
    char tmp[ACME_STATE_NAME_MAX + 8];
    if (snprintf(tmp, sizeof tmp, ".%s.tmp", name) >= (int)sizeof tmp || strchr(name, '/'))
        return errno = ENAMETOOLONG, -1;
    unlinkat(dfd, tmp, 0);
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    int rc = state_write_all(fd, data, len) < 0 || fsync(fd) < 0 ? -1 : 0;
    int saved = errno;
    close(fd);
    if (rc == 0 && renameat(dfd, tmp, dfd, name) == 0)
        return 0;
    saved = rc == 0 ? errno : saved;
    unlinkat(dfd, tmp, 0);
    errno = saved;
    return -1;
}

int acme_state_file(const char *name, const char *suffix, char *out, size_t cap)
{
    if (!name[0] || name[0] == '.' || strchr(name, '/'))
        return -1;
    int n = snprintf(out, cap, "%s%s", name, suffix);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}
