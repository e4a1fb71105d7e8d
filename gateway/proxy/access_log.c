#include "gateway/proxy/access_log.h"
#include "common/strbuf.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Request text comes from the client: control bytes, quotes and
 * backslashes are escaped (STRBUF_ESC_HEX) so a line can never be forged
 * or broken. */
static void access_log_json(struct strbuf *l, const struct access_entry *e)
{
    strbuf_printf(l, "{\"client\":\"%s\",\"method\":\"", or_dash(e->client_ip));
    strbuf_escape(l, STRBUF_ESC_HEX, or_dash(e->method));
    strbuf_puts(l, "\",\"path\":\"");
    strbuf_escape(l, STRBUF_ESC_HEX, or_dash(e->path));
    strbuf_printf(l, "\",\"protocol\":\"%s\"", or_dash(e->protocol));
    strbuf_printf(l,
                  ",\"status\":%u,\"bytes\":%llu,\"duration_ms\":%.3f,\"backend\":\"%s\","
                  "\"tls_version\":\"%s\",\"tls_cipher\":\"%s\",\"request_id\":\"",
                  e->status, (unsigned long long)e->bytes, (double)e->duration_us / 1000.0,
                  or_dash(e->backend), or_dash(e->tls_version), or_dash(e->tls_cipher));
    strbuf_escape(l, STRBUF_ESC_HEX, or_dash(e->request_id));
    strbuf_puts(l, "\"}");
}

static void access_log_plain(struct strbuf *l, const struct access_entry *e)
{
    strbuf_printf(l, "%s \"", or_dash(e->client_ip));
    strbuf_escape(l, STRBUF_ESC_HEX, or_dash(e->method));
    strbuf_putc(l, ' ');
    strbuf_escape(l, STRBUF_ESC_HEX, or_dash(e->path));
    strbuf_printf(l, "\" %u %llu %.3fms backend=%s tls=%s cipher=%s proto=%s id=", e->status,
                  (unsigned long long)e->bytes, (double)e->duration_us / 1000.0, or_dash(e->backend),
                  or_dash(e->tls_version), or_dash(e->tls_cipher), or_dash(e->protocol));
    strbuf_escape(l, STRBUF_ESC_HEX, or_dash(e->request_id));
}

size_t access_log_format(const struct access_entry *e, enum log_format fmt, char *out, size_t cap)
{
    if (cap < 2)
        return 0;
    /* the fields stop two bytes short of cap, so '\n' + NUL always fit;
     * what does not fit is cut silently */
    struct strbuf l;
    strbuf_init_fixed(&l, out, cap - 1);
    if (fmt == LOG_FORMAT_JSON)
        access_log_json(&l, e);
    else
        access_log_plain(&l, e);
    struct strbuf end;
    strbuf_init_fixed(&end, out + l.len, cap - l.len);
    strbuf_putc(&end, '\n');
    return l.len + end.len;
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
