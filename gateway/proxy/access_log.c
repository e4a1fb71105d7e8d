#include "gateway/proxy/access_log.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct line {
    char *p;
    size_t len, cap; /* cap keeps one byte for the final '\n' */
};

static void put_char(struct line *l, char ch)
{
    if (l->len < l->cap)
        l->p[l->len++] = ch;
}

__attribute__((format(printf, 2, 3))) static void put_fmt(struct line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->p + l->len, l->cap - l->len + 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n < l->cap - l->len ? (size_t)n : l->cap - l->len;
}

/* Request text comes from the client: control bytes, quotes and
 * backslashes are escaped so a line can never be forged or broken. */
static void put_escaped(struct line *l, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
            put_fmt(l, "\\x%02x", ch);
        else
            put_char(l, (char)ch);
    }
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

size_t access_log_format(const struct access_entry *e, enum log_format fmt, char *out, size_t cap)
{
    if (cap < 2)
        return 0;
    struct line l = {.p = out, .cap = cap - 2};
    if (fmt == LOG_FORMAT_JSON) {
        put_fmt(&l, "{\"client\":\"%s\",\"method\":\"", or_dash(e->client_ip));
        put_escaped(&l, or_dash(e->method));
        put_fmt(&l, "\",\"path\":\"");
        put_escaped(&l, or_dash(e->path));
        put_fmt(&l,
                "\",\"status\":%u,\"bytes\":%llu,\"duration_ms\":%.3f,\"backend\":\"%s\","
                "\"tls_version\":\"%s\",\"tls_cipher\":\"%s\",\"request_id\":\"",
                e->status, (unsigned long long)e->bytes, (double)e->duration_us / 1000.0, or_dash(e->backend),
                or_dash(e->tls_version), or_dash(e->tls_cipher));
        put_escaped(&l, or_dash(e->request_id));
        put_fmt(&l, "\"}");
    } else {
        put_fmt(&l, "%s \"", or_dash(e->client_ip));
        put_escaped(&l, or_dash(e->method));
        put_char(&l, ' ');
        put_escaped(&l, or_dash(e->path));
        put_fmt(&l, "\" %u %llu %.3fms backend=%s tls=%s cipher=%s id=", e->status,
                (unsigned long long)e->bytes, (double)e->duration_us / 1000.0, or_dash(e->backend),
                or_dash(e->tls_version), or_dash(e->tls_cipher));
        put_escaped(&l, or_dash(e->request_id));
    }
    out[l.len++] = '\n';
    out[l.len] = '\0';
    return l.len;
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_path[CONFIG_PATH_MAX];
static int log_fd = -1;

/* The descriptor for `target`, opened once (reopened if the path changes). */
static int target_fd(const char *target)
{
    if (strcmp(target, "off") == 0)
        return -1;
    if (strcmp(target, "stderr") == 0 || target[0] == '\0')
        return STDERR_FILENO;
    pthread_mutex_lock(&log_lock);
    if (log_fd < 0 || strcmp(log_path, target) != 0) {
        /* O_NOFOLLOW: a link planted at the log's path (by whoever can
         * write its directory) does not make us append to another file. */
        int fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0) {
            fprintf(stderr, "rampart: access log %s: cannot open, using stderr\n", target);
            fd = STDERR_FILENO;
        }
        if (log_fd > STDERR_FILENO)
            close(log_fd);
        log_fd = fd;
        snprintf(log_path, sizeof log_path, "%s", target);
    }
    int fd = log_fd;
    pthread_mutex_unlock(&log_lock);
    return fd;
}

int access_log_open(const struct config *cfg)
{
    int fd = target_fd(cfg->gateway.access_log);
    const char *t = cfg->gateway.access_log;
    return fd == STDERR_FILENO && t[0] && strcmp(t, "stderr") != 0 ? -1 : 0;
}

void access_log_write(const struct config *cfg, const struct access_entry *e)
{
    int fd = target_fd(cfg->gateway.access_log);
    if (fd < 0)
        return;
    char line[ACCESS_LOG_LINE_MAX];
    size_t n = access_log_format(e, cfg->gateway.log_format, line, sizeof line);
    ssize_t w = write(fd, line, n);
    (void)w; /* a full disk must not stop the traffic */
}
