/*
 * textbuf: a growable text buffer for building responses (metrics page,
 * status page, HTTP heads). Appends never fail loudly: after an allocation
 * failure or once `limit` is reached the buffer is marked `failed` and
 * further appends are ignored, so a renderer checks once at the end.
 */
#ifndef RAMPART_COMMON_TEXTBUF_H
#define RAMPART_COMMON_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

#define TEXTBUF_DEFAULT_LIMIT (4u << 20) /* 4 MiB: far above any page we render */

struct textbuf {
    char *data; /* NUL-terminated while !failed */
    size_t len;
    size_t cap;
    size_t limit; /* 0 means TEXTBUF_DEFAULT_LIMIT */
    bool failed;
};

#define TEXTBUF_INIT                                                                                         \
    {                                                                                                        \
        NULL, 0, 0, 0, false                                                                                 \
    }

void textbuf_free(struct textbuf *tb);
void textbuf_reset(struct textbuf *tb); /* len = 0, keeps memory, clears failed */
void textbuf_append(struct textbuf *tb, const char *data, size_t len);
void textbuf_puts(struct textbuf *tb, const char *s);
__attribute__((format(printf, 2, 3))) void textbuf_printf(struct textbuf *tb, const char *fmt, ...);

#endif /* RAMPART_COMMON_TEXTBUF_H */
