/*
 * b64url: base64url without padding. See b64url.h.
 */
#include "common/b64url.h"

static const char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t b64url_encode(const void *in, size_t n, char *out, size_t cap)
{
    const uint8_t *p = in;
    size_t need = B64URL_LEN(n), o = 0;
    if (cap == 0)
        return 0;
    if (need + 1 > cap) {
        out[0] = '\0';
        return 0;
    }
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        size_t left = n - i;
        if (left > 1)
            v |= (uint32_t)p[i + 1] << 8;
        if (left > 2)
            v |= p[i + 2];
        out[o++] = b64url_alphabet[v >> 18 & 63];
        out[o++] = b64url_alphabet[v >> 12 & 63];
        if (left > 1)
            out[o++] = b64url_alphabet[v >> 6 & 63];
        if (left > 2)
            out[o++] = b64url_alphabet[v & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    return c == '_' ? 63 : -1;
}

bool b64url_is_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (b64url_value(s[i]) < 0)
            return false;
    return true;
}

long b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 == 1 || !b64url_is_text(in, len))
        return -1; /* one character left over carries 6 bits: never a whole byte */
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = acc << 6 | (uint32_t)b64url_value(in[i]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return acc == 0 ? (long)o : -1; /* the spare bits of the last character must be zero */
}
