/*
 * tls_sni: matching the name a client sent against the certificates'
 * names (exact first, then "*." wildcards, else the default).
 */
#include "tls/tls_sni.h"

#include <string.h>
#include <strings.h>

static bool tls_sni_equal(const char *pattern, const char *name, size_t len)
{
    return strlen(pattern) == len && strncasecmp(pattern, name, len) == 0;
}

static bool tls_sni_wildcard(const char *pattern, const char *name, size_t len)
{
    if (pattern[0] != '*' || pattern[1] != '.')
        return false;
    const char *first_dot = memchr(name, '.', len);
    if (first_dot == NULL || first_dot == name) /* need a non-empty first label */
        return false;
    size_t rest = len - (size_t)(first_dot - name);
    return tls_sni_equal(pattern + 1, first_dot, rest);
}

bool tls_sni_match(const char *pattern, const char *name, size_t len)
{
    return tls_sni_equal(pattern, name, len) || tls_sni_wildcard(pattern, name, len);
}

unsigned tls_sni_pick(const char *const *patterns, unsigned n, const char *name, size_t len)
{
    for (unsigned i = 0; i < n; i++)
        if (tls_sni_equal(patterns[i], name, len))
            return i;
    for (unsigned i = 0; i < n; i++)
        if (tls_sni_wildcard(patterns[i], name, len))
            return i;
    return 0;
}
