/*
 * strbuf: the bounded string builder every text writer shares (see
 * strbuf.h): the slow half of an append (growth, the cut), printf, and the
 * escape modes.
 */
#include "common/strbuf.h"

#include <stdio.h>
#include <stdlib.h>

void strbuf_init_fixed(struct strbuf *sb, char *buf, size_t cap)
{
    /* no byte for a NUL: nothing is ever written */
    *sb = (struct strbuf){.data = buf, .cap = cap, .nul = cap > 0, .end = cap > 0 ? cap - 1 : 0};
    if (sb->nul)
        buf[0] = '\0';
}

void strbuf_init_raw(struct strbuf *sb, char *buf, size_t cap)
{
    *sb = (struct strbuf){.data = buf, .cap = cap, .end = cap};
}

void strbuf_free(struct strbuf *sb)
{
    if (!sb->heap)
        return;
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->end = sb->cap = 0;
    sb->overflow = false;
}

void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    sb->overflow = false;
    if (sb->heap)
        sb->end = sb->cap ? sb->cap - 1 : 0;
    else
        sb->end = sb->nul ? sb->cap - 1 : sb->cap;
    if (sb->data && sb->nul)
        sb->data[0] = '\0';
}

static size_t strbuf_limit(const struct strbuf *sb)
{
    return sb->limit ? sb->limit : STRBUF_HEAP_DEFAULT_LIMIT;
}

/* Heap only: storage for `more` bytes after len (plus the NUL), or as much
 * of it as the limit allows. False if the allocation failed. */
static bool strbuf_grow(struct strbuf *sb, size_t more)
{
    size_t limit = strbuf_limit(sb), max = limit - 1; /* the most text, NUL apart */
    size_t want = more > max - sb->len ? max : sb->len + more;
    if (want < sb->cap)
        return true; /* the limit stops it inside what is allocated */
    size_t cap = sb->cap ? sb->cap : STRBUF_HEAP_MIN_CAP;
    while (cap < want + 1)
        cap *= 2;
    if (cap > limit)
        cap = limit;
    char *p = realloc(sb->data, cap);
    if (!p)
        return false;
    sb->data = p;
    sb->cap = cap;
    sb->end = cap - 1;
    return true;
}

/* Something did not fit: what stands stays, nothing more is added. */
static void strbuf_cut(struct strbuf *sb)
{
    sb->overflow = true;
    sb->end = sb->len;
    if (sb->data && sb->nul)
        sb->data[sb->len] = '\0';
}

void strbuf_append_slow(struct strbuf *sb, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (sb->heap && !sb->overflow && n > sb->end - sb->len && !strbuf_grow(sb, n)) {
        strbuf_cut(sb);
        return;
    }
    size_t room = sb->end - sb->len, take = n < room ? n : room;
    if (take > 0) {
        memcpy(sb->data + sb->len, p, take);
        sb->len += take;
    }
    if (take < n)
        strbuf_cut(sb);
    else if (sb->nul)
        sb->data[sb->len] = '\0';
}

/* Bytes vsnprintf may write at `len`, its NUL included: the room, plus the
 * byte past `end` when there is one (a text buffer's NUL). A raw buffer's
 * last byte is out of its reach. */
static size_t strbuf_writable(const struct strbuf *sb)
{
    return sb->data ? sb->end - sb->len + (sb->cap > sb->end ? 1 : 0) : 0;
}

__attribute__((format(printf, 2, 0))) static int strbuf_try_vprintf(struct strbuf *sb, const char *fmt,
                                                                    va_list ap)
{
    size_t w = strbuf_writable(sb);
    return vsnprintf(w ? sb->data + sb->len : NULL, w, fmt, ap);
}

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = strbuf_try_vprintf(sb, fmt, aq);
    va_end(aq);
    if (n >= 0 && (size_t)n >= strbuf_writable(sb) && sb->heap && !sb->overflow) {
        if (!strbuf_grow(sb, (size_t)n)) {
            strbuf_cut(sb);
            return;
        }
        va_copy(aq, ap);
        n = strbuf_try_vprintf(sb, fmt, aq);
        va_end(aq);
    }
    size_t w = strbuf_writable(sb);
    if (n >= 0 && (size_t)n < w) {
        sb->len += (size_t)n;
        return;
    }
    if (n > 0 && w > 0)
        sb->len += w - 1; /* cut: vsnprintf kept what fits before its NUL */
    strbuf_cut(sb);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

/* ---- escape modes ------------------------------------------------------- */

static bool esc_needed(enum strbuf_esc mode, unsigned char c)
{
    switch (mode) {
    case STRBUF_ESC_JSON: return c < 0x20 || c == 0x7f || c == '"' || c == '\\';
    case STRBUF_ESC_HEX: return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
    case STRBUF_ESC_HTML: return c == '&' || c == '<' || c == '>' || c == '"' || c == '\'';
    case STRBUF_ESC_PROM_LABEL: return c == '\\' || c == '"' || c == '\n';
    }
    return false;
}

static const char esc_hex_digits[] = "0123456789abcdef";

static void esc_json(struct strbuf *sb, unsigned char c)
{
    char u[6] = {'\\', 'u', '0', '0', esc_hex_digits[c >> 4], esc_hex_digits[c & 15]};
    if (c == '"' || c == '\\') {
        char pair[2] = {'\\', (char)c};
        strbuf_append(sb, pair, 2);
    } else if (c == '\n') {
        strbuf_append(sb, "\\n", 2);
    } else if (c == '\t') {
        strbuf_append(sb, "\\t", 2);
    } else {
        strbuf_append(sb, u, sizeof u);
    }
}

static void esc_html(struct strbuf *sb, unsigned char c)
{
    switch (c) {
    case '&': strbuf_puts(sb, "&amp;"); break;
    case '<': strbuf_puts(sb, "&lt;"); break;
    case '>': strbuf_puts(sb, "&gt;"); break;
    case '"': strbuf_puts(sb, "&quot;"); break;
    default: strbuf_puts(sb, "&#39;"); break;
    }
}

static void esc_one(struct strbuf *sb, enum strbuf_esc mode, unsigned char c)
{
    switch (mode) {
    case STRBUF_ESC_JSON: esc_json(sb, c); return;
    case STRBUF_ESC_HEX: {
        char x[4] = {'\\', 'x', esc_hex_digits[c >> 4], esc_hex_digits[c & 15]};
        strbuf_append(sb, x, sizeof x);
        return;
    }
    case STRBUF_ESC_HTML: esc_html(sb, c); return;
    case STRBUF_ESC_PROM_LABEL: {
        char pair[2] = {'\\', c == '\n' ? 'n' : (char)c};
        strbuf_append(sb, pair, 2);
        return;
    }
    }
}

void strbuf_escape(struct strbuf *sb, enum strbuf_esc mode, const char *s)
{
    /* runs of plain bytes go in one append each */
    while (*s) {
        const char *run = s;
        while (*s && !esc_needed(mode, (unsigned char)*s))
            s++;
        strbuf_append(sb, run, (size_t)(s - run));
        if (*s)
            esc_one(sb, mode, (unsigned char)*s++);
    }
}
