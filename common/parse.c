/*
 * Value parsers shared by the config and policy readers. See parse.h.
 * Written by hand because they are small and their messages are part of the
 * product; strtoull/inet_pton do the real conversion work.
 */
#include "common/parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WHY(...) snprintf(why, PARSE_WHY_MAX, __VA_ARGS__)

/* strtoull that refuses signs, empty input and overflow; *end is where the
 * digits stopped. */
static int parse_digits(const char *text, unsigned long long *out, const char **end)
{
    if (!isdigit((unsigned char)text[0]))
        return -1;
    errno = 0;
    char *stop;
    unsigned long long v = strtoull(text, &stop, 10);
    if (errno == ERANGE)
        return -1;
    *out = v;
    *end = stop;
    return 0;
}

int parse_int_range(const char *text, long long min, long long max, long long *out, char *why)
{
    bool negative = (text[0] == '-' && min < 0);
    const char *p = negative ? text + 1 : text;
    const char *end;
    unsigned long long mag;
    if (parse_digits(p, &mag, &end) < 0 || *end != '\0') {
        WHY("'%s' is not a whole number", text);
        return -1;
    }
    if (mag > (unsigned long long)LLONG_MAX) {
        WHY("%s out of range %lld-%lld", text, min, max);
        return -1;
    }
    long long v = negative ? -(long long)mag : (long long)mag;
    if (v < min || v > max) {
        WHY("%s out of range %lld-%lld", text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int parse_bool(const char *text, bool *out, char *why)
{
    static const char *const yes[] = {"yes", "on", "true", "1"};
    static const char *const no[] = {"no", "off", "false", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    WHY("'%s' is not a boolean (yes/no, on/off, true/false)", text);
    return -1;
}

/* Parses NUMBER + optional suffix from a table; the multiplier of the
 * matching suffix scales the number. Shared by durations and sizes. */
struct unit {
    const char *suffix;
    uint64_t scale;
};

static int parse_scaled(const char *text, const struct unit *units, size_t n_units, uint64_t default_scale,
                        uint64_t max, uint64_t *out)
{
    const char *end;
    unsigned long long v;
    if (parse_digits(text, &v, &end) < 0)
        return -1;
    uint64_t scale = 0;
    if (*end == '\0') {
        scale = default_scale;
    } else {
        for (size_t i = 0; i < n_units; i++)
            if (strcasecmp(end, units[i].suffix) == 0)
                scale = units[i].scale;
    }
    if (scale == 0)
        return -1;
    if (v > max / scale)
        return -2;
    *out = v * scale;
    return 0;
}

int parse_duration_ms(const char *text, uint64_t max_ms, uint64_t *out_ms, char *why)
{
    static const struct unit units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    int rc = parse_scaled(text, units, sizeof units / sizeof units[0], 1000, max_ms, out_ms);
    if (rc == -1)
        WHY("'%s' is not a duration (e.g. 250ms, 10s, 5m, 12h)", text);
    else if (rc == -2)
        WHY("%s is longer than the maximum %llums", text, (unsigned long long)max_ms);
    return rc < 0 ? -1 : 0;
}

int parse_size(const char *text, uint64_t max, uint64_t *out, char *why)
{
    static const struct unit units[] = {
        {"k", 1024},  {"m", 1024 * 1024},  {"g", 1024ULL * 1024 * 1024},
        {"kb", 1024}, {"mb", 1024 * 1024}, {"gb", 1024ULL * 1024 * 1024},
    };
    int rc = parse_scaled(text, units, sizeof units / sizeof units[0], 1, max, out);
    if (rc == -1)
        WHY("'%s' is not a size (e.g. 8192, 16k, 10m)", text);
    else if (rc == -2)
        WHY("%s is larger than the maximum %llu bytes", text, (unsigned long long)max);
    return rc < 0 ? -1 : 0;
}

int parse_ip(const char *text, struct ip_addr *out, char *why)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, text, &out->u.v4) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, text, &out->u.v6) == 1) {
        out->family = AF_INET6;
        return 0;
    }
    WHY("'%s' is not an IP address", text);
    return -1;
}

static bool prefix_host_bits_zero(const struct ip_prefix *p)
{
    const uint8_t *bytes =
        p->addr.family == AF_INET ? (const uint8_t *)&p->addr.u.v4 : (const uint8_t *)&p->addr.u.v6;
    unsigned total = p->addr.family == AF_INET ? 32 : 128;
    for (unsigned bit = p->len; bit < total; bit++)
        if (bytes[bit / 8] & (0x80u >> (bit % 8)))
            return false;
    return true;
}

int parse_prefix(const char *text, struct ip_prefix *out, char *why)
{
    char addr[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(text, '/');
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    if (alen >= sizeof addr) {
        WHY("'%s' is not an address or CIDR prefix", text);
        return -1;
    }
    memcpy(addr, text, alen);
    addr[alen] = '\0';
    if (parse_ip(addr, &out->addr, why) < 0)
        return -1;
    unsigned max = out->addr.family == AF_INET ? 32 : 128;
    out->len = max;
    if (slash) {
        long long len;
        if (parse_int_range(slash + 1, 0, max, &len, why) < 0) {
            WHY("'%s': prefix length must be 0-%u", text, max);
            return -1;
        }
        out->len = (unsigned)len;
    }
    if (!prefix_host_bits_zero(out)) {
        WHY("'%s' has host bits set beyond /%u", text, out->len);
        return -1;
    }
    return 0;
}

int parse_sockaddr(const char *text, struct sockaddr_storage *out, socklen_t *out_len, char *why)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text) {
        WHY("'%s' is not ADDRESS:PORT", text);
        return -1;
    }
    long long port;
    if (parse_int_range(colon + 1, 1, 65535, &port, why) < 0) {
        WHY("'%s': port must be 1-65535", text);
        return -1;
    }
    char host[INET6_ADDRSTRLEN + 2];
    size_t hlen = (size_t)(colon - text);
    if (hlen >= sizeof host) {
        WHY("'%s' is not ADDRESS:PORT", text);
        return -1;
    }
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    memset(out, 0, sizeof *out);
    if (strcmp(host, "*") == 0 || strcmp(host, "[::]") == 0) {
        /* The IPv6 wildcard; listeners clear IPV6_V6ONLY so it takes IPv4 too. */
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        s6->sin6_port = htons((uint16_t)port);
        *out_len = sizeof *s6;
        return 0;
    }
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) {
            WHY("'%s': '%s' is not an IPv6 address", text, host + 1);
            return -1;
        }
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *out_len = sizeof *s6;
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
        WHY("'%s': '%s' is not an IPv4 address (write IPv6 as [ADDR]:PORT)", text, host);
        return -1;
    }
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    *out_len = sizeof *s4;
    return 0;
}

const char *format_ip(const struct ip_addr *addr, char *buf, size_t len)
{
    if (!inet_ntop(addr->family, &addr->u, buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

const char *format_sockaddr(const struct sockaddr *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
    } else {
        snprintf(buf, len, "?");
    }
    return buf;
}

int parse_split_list(char *text, char **items, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(text, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        if (n == max)
            return -1;
        items[n++] = tok;
    }
    return n;
}
