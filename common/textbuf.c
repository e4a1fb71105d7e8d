#include "common/textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXTBUF_MIN_CAP 1024

void textbuf_free(struct textbuf *tb)
{
    free(tb->data);
    tb->data = NULL;
    tb->len = tb->cap = 0;
    tb->failed = false;
}

void textbuf_reset(struct textbuf *tb)
{
    tb->len = 0;
    tb->failed = false;
    if (tb->data)
        tb->data[0] = '\0';
}

/* Room for `more` bytes plus the terminating NUL. */
static bool textbuf_reserve(struct textbuf *tb, size_t more)
{
    size_t limit = tb->limit ? tb->limit : TEXTBUF_DEFAULT_LIMIT;
    if (tb->failed || more >= limit || tb->len + more + 1 > limit) {
        tb->failed = true;
        return false;
    }
    size_t need = tb->len + more + 1;
    if (need <= tb->cap)
        return true;
    size_t cap = tb->cap ? tb->cap : TEXTBUF_MIN_CAP;
    while (cap < need)
        cap *= 2;
    if (cap > limit)
        cap = limit;
    char *p = realloc(tb->data, cap);
    if (!p) {
        tb->failed = true;
        return false;
    }
    tb->data = p;
    tb->cap = cap;
    return true;
}

void textbuf_append(struct textbuf *tb, const char *data, size_t len)
{
    if (!textbuf_reserve(tb, len))
        return;
    memcpy(tb->data + tb->len, data, len);
    tb->len += len;
    tb->data[tb->len] = '\0';
}

void textbuf_puts(struct textbuf *tb, const char *s)
{
    textbuf_append(tb, s, strlen(s));
}

void textbuf_printf(struct textbuf *tb, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        tb->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        textbuf_append(tb, small, (size_t)n);
        return;
    }
    if (!textbuf_reserve(tb, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(tb->data + tb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    tb->len += (size_t)n;
}
