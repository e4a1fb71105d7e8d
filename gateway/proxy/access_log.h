/*
 * access_log: one line per request, as operators of nginx and HAProxy
 * expect: client IP, method, path, status, bytes, duration, backend, TLS
 * version and cipher. Plain (space-separated, quoted request) or JSON (one
 * object per line). Formatting is pure; writing is one write(2) per line
 * on an O_APPEND descriptor, so lines from worker threads never interleave.
 */
#ifndef RAMPART_GATEWAY_PROXY_ACCESS_LOG_H
#define RAMPART_GATEWAY_PROXY_ACCESS_LOG_H

#include "gateway/config/config.h"

#include <stddef.h>
#include <stdint.h>

#define ACCESS_LOG_LINE_MAX 1024 /* longer fields are cut to fit */

struct access_entry {
    const char *client_ip;
    const char *method;
    const char *path;
    const char *protocol; /* "HTTP/1.1", "HTTP/1.0", "HTTP/2.0" */
    unsigned status;      /* 0: the connection ended before an answer */
    uint64_t bytes;       /* sent to the client, heads included */
    uint64_t duration_us;
    const char *backend;     /* "-" when the gateway answered itself */
    const char *tls_version; /* "-" on the plain listener */
    const char *tls_cipher;
    const char *request_id;
};

/* Writes one line (with '\n') into out; returns its length (< cap). */
size_t access_log_format(const struct access_entry *e, enum log_format fmt, char *out, size_t cap);

/* Opens the target named by cfg->gateway.access_log ("off", "stderr" or
 * a file) now: the relay calls it before its sandbox forbids open(2).
 * 0, or -1 with a message on stderr (lines then go to stderr). */
int access_log_open(const struct config *cfg);

/* Formats and writes one line to the target (opened on first use if
 * access_log_open was not called). */
void access_log_write(const struct config *cfg, const struct access_entry *e);

#endif /* RAMPART_GATEWAY_PROXY_ACCESS_LOG_H */
