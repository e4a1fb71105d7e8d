/*
 * log: structured event lines, plain (key=value) or JSON. See log.h.
 */
#include "common/log.h"
#include "common/strbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    enum log_format format;
    int fd;
    enum log_level max_level;
    char tag[16];
} log_cfg = {LOG_FORMAT_PLAIN, 2, LOG_LEVEL_INFO, ""};

void log_setup(enum log_format format, int fd, enum log_level max_level, const char *tag)
{
    log_cfg.format = format;
    log_cfg.fd = fd;
    log_cfg.max_level = max_level;
    snprintf(log_cfg.tag, sizeof log_cfg.tag, "%s", tag ? tag : "");
}

const char *log_level_name(enum log_level level)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    return level <= LOG_LEVEL_DEBUG ? names[level] : "info";
}

/* Room kept after a line's fields for its end: "...\n" when cut, + NUL. */
#define LOG_TAIL_ROOM 5

/* Plain values are bare when they are one simple word, else quoted. */
static bool plain_needs_quotes(const char *s)
{
    if (*s == '\0')
        return true;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f)
            return true;
    }
    return false;
}

static void log_plain_field(struct strbuf *l, const char *key, const char *value)
{
    strbuf_putc(l, ' ');
    strbuf_puts(l, key);
    strbuf_putc(l, '=');
    if (plain_needs_quotes(value)) {
        strbuf_putc(l, '"');
        strbuf_escape(l, STRBUF_ESC_JSON, value);
        strbuf_putc(l, '"');
    } else {
        strbuf_puts(l, value);
    }
}

static void log_json_field(struct strbuf *l, const char *key, const char *value)
{
    strbuf_puts(l, ",\"");
    strbuf_escape(l, STRBUF_ESC_JSON, key);
    strbuf_puts(l, "\":\"");
    strbuf_escape(l, STRBUF_ESC_JSON, value);
    strbuf_putc(l, '"');
}

/* Timestamp, level, event and the process tag: what every line starts with. */
static void log_line_start(struct strbuf *l, bool json, const char *timestamp, const char *tag,
                           enum log_level level, const char *event)
{
    if (json) {
        strbuf_puts(l, "{\"ts\":\"");
        strbuf_escape(l, STRBUF_ESC_JSON, timestamp);
        strbuf_puts(l, "\",\"level\":\"");
        strbuf_puts(l, log_level_name(level));
        strbuf_puts(l, "\",\"event\":\"");
        strbuf_escape(l, STRBUF_ESC_JSON, event);
        strbuf_putc(l, '"');
        if (tag && *tag)
            log_json_field(l, "proc", tag);
    } else {
        strbuf_puts(l, timestamp);
        strbuf_putc(l, ' ');
        strbuf_puts(l, log_level_name(level));
        strbuf_putc(l, ' ');
        strbuf_escape(l, STRBUF_ESC_JSON, event);
        if (tag && *tag)
            log_plain_field(l, "proc", tag);
    }
}

size_t log_format_line(char *buf, size_t len, enum log_format format, const char *timestamp, const char *tag,
                       enum log_level level, const char *event, const struct log_field *fields,
                       unsigned n_fields)
{
    if (len < LOG_TAIL_ROOM + 1) {
        if (len > 0)
            buf[0] = '\0';
        return 0;
    }
    /* the fields stop LOG_TAIL_ROOM bytes short of the end... */
    struct strbuf l;
    strbuf_init_fixed(&l, buf, len - LOG_TAIL_ROOM + 1);
    bool json = format == LOG_FORMAT_JSON;
    log_line_start(&l, json, timestamp, tag, level, event);
    for (unsigned i = 0; i < n_fields; i++) {
        const char *v = fields[i].value ? fields[i].value : "";
        if (json)
            log_json_field(&l, fields[i].key, v);
        else
            log_plain_field(&l, fields[i].key, v);
    }
    if (json)
        strbuf_putc(&l, '}');
    /* ...so the end always fits; a cut JSON line is marked, not closed */
    struct strbuf tail;
    strbuf_init_fixed(&tail, buf + l.len, len - l.len);
    if (l.overflow)
        strbuf_puts(&tail, "...");
    strbuf_putc(&tail, '\n');
    return l.len + tail.len;
}

/* ---- output ------------------------------------------------------------------ */

static void format_now(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

static void log_emit(enum log_level level, const char *event, const struct log_field *fields, unsigned n)
{
    char ts[40], line[LOG_LINE_MAX];
    format_now(ts, sizeof ts);
    size_t len = log_format_line(line, sizeof line, log_cfg.format, ts, log_cfg.tag, level, event, fields, n);
    /* one write per line; a failed log write has nowhere to be reported */
    ssize_t rc = write(log_cfg.fd, line, len);
    (void)rc;
}

void log_event(enum log_level level, const char *event, ...)
{
    if (level > log_cfg.max_level)
        return;
    struct log_field fields[LOG_MAX_FIELDS];
    unsigned n = 0;
    va_list ap;
    va_start(ap, event);
    for (const char *key; (key = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        if (n < LOG_MAX_FIELDS)
            fields[n++] = (struct log_field){key, value};
    }
    va_end(ap);
    log_emit(level, event, fields, n);
}

void log_msgf(enum log_level level, const char *event, const char *fmt, ...)
{
    if (level > log_cfg.max_level)
        return;
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct log_field field = {"msg", msg};
    log_emit(level, event, &field, 1);
}
