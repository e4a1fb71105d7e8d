/*
 * log: one line per event on stderr, plain or JSON (config gateway.log_format).
 *
 * An event has a level, a short name ("backend_down", "relay_restarted") and
 * string fields. Each line goes out with a single write(2), so lines from
 * worker threads and from the parent and relay processes never interleave.
 *
 *   log_event(LOG_LEVEL_WARN, "backend_down", "backend", b->cfg->name,
 *             "reason", "3 failed checks", NULL);
 *   plain: 2026-11-26T06:12:00.123Z warn backend_down backend=web-01 reason="3 failed checks"
 *   json:  {"ts":"2026-11-26T06:12:00.123Z","level":"warn","event":"backend_down",
 *           "backend":"web-01","reason":"3 failed checks"}
 *
 * log_msgf() is the short form for free text: one "msg" field, printf-style.
 * Access log lines (one per request) are access_log.c's, not this file's.
 */
#ifndef RAMPART_COMMON_LOG_H
#define RAMPART_COMMON_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Line formats ([gateway] log_format). */
enum log_format { LOG_FORMAT_PLAIN, LOG_FORMAT_JSON };

/* Levels; names avoid <syslog.h>'s LOG_INFO/LOG_DEBUG. */
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

#define LOG_LINE_MAX   2048 /* a longer line is cut and ends in "..." */
#define LOG_MAX_FIELDS 16   /* key/value pairs per event; more are dropped */

/* Process-wide settings; call before starting threads. Defaults: plain,
 * fd 2, level info, no process tag. `tag` ("parent", "relay") is added to
 * every line as proc=TAG so the two processes can be told apart. */
void log_setup(enum log_format format, int fd, enum log_level max_level, const char *tag);

/* Fields are (key, value) string pairs ending with LOG_END (a typed null
 * pointer: a bare NULL may be a plain 0 in a variadic call). A NULL value
 * prints as an empty string. */
#define LOG_END ((const char *)0)
void log_event(enum log_level level, const char *event, ...) __attribute__((sentinel));
void log_msgf(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Pure formatter behind log_event, for the tests: writes one line ending in
 * '\n' (always terminated, cut at len) and returns its length. */
struct log_field {
    const char *key;
    const char *value;
};
size_t log_format_line(char *buf, size_t len, enum log_format format, const char *timestamp, const char *tag,
                       enum log_level level, const char *event, const struct log_field *fields,
                       unsigned n_fields);

const char *log_level_name(enum log_level level);

#endif /* RAMPART_COMMON_LOG_H */
