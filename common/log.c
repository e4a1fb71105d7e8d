/*
 * log: structured event lines, plain (key=value) or JSON. See log.h.
 */
#include "common/log.h"

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

/* ---- a bounded line buffer: appends never overflow, a cut is remembered -- */

struct line {
    char *buf;
    size_t len, cap; /* cap excludes the room kept for "...\n" + NUL */
    bool cut;
};

#define LINE_TAIL 5 /* "...\n" + NUL */

static void put_char(struct line *l, char c)
{
    if (l->len < l->cap)
        l->buf[l->len++] = c;
    else
        l->cut = true;
}

static void put_str(struct line *l, const char *s)
{
    while (*s)
        put_char(l, *s++);
}

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

/* Escapes quotes, backslashes and control bytes (as \n, \t, \u00XX), so a
 * hostile value (a Host header, a file name) can never forge a second line. */
static void put_escaped(struct line *l, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            put_char(l, '\\');
            put_char(l, (char)c);
        } else if (c == '\n') {
            put_str(l, "\\n");
        } else if (c == '\t') {
            put_str(l, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            put_str(l, "\\u00");
            put_char(l, hex[c >> 4]);
            put_char(l, hex[c & 15]);
        } else {
            put_char(l, (char)c);
        }
    }
}

static void put_plain_field(struct line *l, const char *key, const char *value)
{
    put_char(l, ' ');
    put_str(l, key);
    put_char(l, '=');
    if (plain_needs_quotes(value)) {
        put_char(l, '"');
        put_escaped(l, value);
        put_char(l, '"');
    } else {
        put_str(l, value);
    }
}

static void put_json_field(struct line *l, const char *key, const char *value)
{
    put_str(l, ",\"");
    put_escaped(l, key);
    put_str(l, "\":\"");
    put_escaped(l, value);
    put_char(l, '"');
}

size_t log_format_line(char *buf, size_t len, enum log_format format, const char *timestamp, const char *tag,
                       enum log_level level, const char *event, const struct log_field *fields,
                       unsigned n_fields)
{
    if (len < LINE_TAIL + 1) {
        if (len > 0)
            buf[0] = '\0';
        return 0;
    }
    struct line l = {buf, 0, len - LINE_TAIL, false};
    bool json = format == LOG_FORMAT_JSON;
    if (json) {
        put_str(&l, "{\"ts\":\"");
        put_escaped(&l, timestamp);
        put_str(&l, "\",\"level\":\"");
        put_str(&l, log_level_name(level));
        put_str(&l, "\",\"event\":\"");
        put_escaped(&l, event);
        put_char(&l, '"');
        if (tag && *tag)
            put_json_field(&l, "proc", tag);
    } else {
        put_str(&l, timestamp);
        put_char(&l, ' ');
        put_str(&l, log_level_name(level));
        put_char(&l, ' ');
        put_escaped(&l, event);
        if (tag && *tag)
            put_plain_field(&l, "proc", tag);
    }
    for (unsigned i = 0; i < n_fields; i++) {
        const char *v = fields[i].value ? fields[i].value : "";
        if (json)
            put_json_field(&l, fields[i].key, v);
        else
            put_plain_field(&l, fields[i].key, v);
    }
    if (json && !l.cut)
        put_char(&l, '}');
    if (l.cut) {
        /* the reserved tail always fits; a cut JSON line is marked, not closed */
        memcpy(l.buf + l.len, "...", 3);
        l.len += 3;
    }
    l.buf[l.len++] = '\n';
    l.buf[l.len] = '\0';
    return l.len;
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
