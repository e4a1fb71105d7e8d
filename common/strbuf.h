/*
 * strbuf: the one bounded string builder. Log lines, access log lines, HTTP
 * heads and the admin pages are all appended into a strbuf, which never
 * writes past its bound and remembers that something did not fit. What a
 * cut means is the caller's choice: http_rules answers -1, log.c ends the
 * line in "...", access_log cuts silently, the admin pages answer 503.
 *
 * Storage, chosen at init; the struct itself lives where the caller puts it:
 *   strbuf_init_fixed(sb, buf, cap)  the caller's array, text: always
 *                                    NUL-terminated, so at most cap - 1 bytes
 *   strbuf_init_raw(sb, buf, cap)    the caller's array, bytes: no NUL kept,
 *                                    at most cap bytes (heads in send buffers)
 *   STRBUF_HEAP(limit)               malloc'd text that doubles as it grows,
 *                                    up to `limit` bytes with its NUL;
 *                                    strbuf_free() releases it
 *
 * A cut is exact to the byte: an append that does not fit fills the room
 * left (a raw buffer's printf keeps one byte for vsnprintf's NUL), sets
 * `overflow`, and nothing is added after it until strbuf_reset(). A failed
 * allocation counts as a cut where the text stood. So a renderer appends
 * without checking and looks at `overflow` once at the end.
 *
 * Escaping is an explicit mode of strbuf_escape(), one per output grammar;
 * each keeps a hostile value (a Host header, a backend name) from forging a
 * second line, field, tag or label.
 *
 * One strbuf, one thread: nothing here locks.
 */
#ifndef RAMPART_COMMON_STRBUF_H
#define RAMPART_COMMON_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define STRBUF_HEAP_DEFAULT_LIMIT (4u << 20) /* 4 MiB: far above any page we render */
#define STRBUF_HEAP_MIN_CAP       1024       /* first allocation of a heap buffer */

struct strbuf {
    char *data;    /* text modes: NUL-terminated (heap: NULL until the first append) */
    size_t len;    /* bytes appended */
    size_t end;    /* appends stop here: room now, less the NUL; len after a cut */
    size_t cap;    /* bytes of storage: the caller's, or allocated so far */
    size_t limit;  /* heap: the most `cap` may grow to; 0 means the default */
    bool heap;     /* storage is malloc'd and grows */
    bool nul;      /* keep data[len] == '\0' */
    bool overflow; /* something did not fit; cleared by strbuf_reset */
};

#define STRBUF_HEAP(limit_)                                                                                  \
    {                                                                                                        \
        .data = NULL, .len = 0, .end = 0, .cap = 0, .limit = (limit_), .heap = true, .nul = true,            \
        .overflow = false                                                                                    \
    }
#define STRBUF_HEAP_INIT STRBUF_HEAP(STRBUF_HEAP_DEFAULT_LIMIT)

void strbuf_init_fixed(struct strbuf *sb, char *buf, size_t cap);
void strbuf_init_raw(struct strbuf *sb, char *buf, size_t cap);
void strbuf_free(struct strbuf *sb);  /* heap: releases the memory; fixed: nothing */
void strbuf_reset(struct strbuf *sb); /* empty again, memory kept, overflow cleared */

/* The part of an append that does not fit in the room there is now. */
void strbuf_append_slow(struct strbuf *sb, const void *p, size_t n);

/* Inline because http_rules builds every request head out of short pieces:
 * the common case is one compare and one memcpy. */
static inline void strbuf_append(struct strbuf *sb, const void *p, size_t n)
{
    if (n == 0 || n > sb->end - sb->len) {
        strbuf_append_slow(sb, p, n);
        return;
    }
    memcpy(sb->data + sb->len, p, n);
    sb->len += n;
    if (sb->nul)
        sb->data[sb->len] = '\0';
}

static inline void strbuf_puts(struct strbuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

static inline void strbuf_putc(struct strbuf *sb, char c)
{
    strbuf_append(sb, &c, 1);
}

__attribute__((format(printf, 2, 3))) void strbuf_printf(struct strbuf *sb, const char *fmt, ...);
__attribute__((format(printf, 2, 0))) void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);

enum strbuf_esc {
    STRBUF_ESC_JSON,       /* " \ as \" \\, \n \t, other controls and DEL as \u00XX:
                            * JSON strings, and log.c's quoted plain values */
    STRBUF_ESC_HEX,        /* controls, " \ and bytes >= 0x7f as \xHH: access log */
    STRBUF_ESC_HTML,       /* & < > " ' as entities: the /status page */
    STRBUF_ESC_PROM_LABEL, /* \ " and newline as \\ \" \n: Prometheus label values */
};

/* Appends the NUL-terminated `s` escaped for `mode`. */
void strbuf_escape(struct strbuf *sb, enum strbuf_esc mode, const char *s);

#endif /* RAMPART_COMMON_STRBUF_H */
