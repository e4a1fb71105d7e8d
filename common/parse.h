/*
 * Value parsers shared by the config reader (gateway/config/config.c) and the policy
 * reader (firewall/policy_parse.c): numbers, durations, sizes, booleans, socket
 * addresses and CIDR prefixes.
 *
 * Each parser takes the whole value text (already trimmed by libinih), writes
 * the result and returns 0, or returns -1 and writes a short reason into
 * `why` (PARSE_WHY_MAX bytes), e.g. "out of range 1-65535". Callers put file,
 * line and key in front of it. None of them allocate.
 */
#ifndef RAMPART_COMMON_PARSE_H
#define RAMPART_COMMON_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PARSE_WHY_MAX 128

/* Decimal integer in [min, max]; no sign unless min < 0, no trailing junk. */
int parse_int_range(const char *text, long long min, long long max, long long *out, char *why);

/* yes/no, on/off, true/false, 1/0 (case-insensitive). */
int parse_bool(const char *text, bool *out, char *why);

/* Duration with a unit: "250ms", "10s", "5m", "12h", "1d"; a bare number is
 * seconds. Result in milliseconds, bounded by max_ms. */
int parse_duration_ms(const char *text, uint64_t max_ms, uint64_t *out_ms, char *why);

/* Size in bytes with an optional binary suffix: "512", "16k", "10m", "1g". */
int parse_size(const char *text, uint64_t max, uint64_t *out, char *why);

/* An IP address (v4 or v6), no port. */
struct ip_addr {
    int family; /* AF_INET or AF_INET6 */
    union {
        struct in_addr v4;
        struct in6_addr v6;
    } u;
};
int parse_ip(const char *text, struct ip_addr *out, char *why);

/* "ADDR/LEN" or a plain address (LEN = 32 or 128). Host bits must be zero,
 * so "198.18.0.1/24" is refused: the reader meant either .1/32 or .0/24. */
struct ip_prefix {
    struct ip_addr addr;
    unsigned len;
};
int parse_prefix(const char *text, struct ip_prefix *out, char *why);

/* "ADDR:PORT", "[V6ADDR]:PORT" or "*:PORT" (any IPv4 and IPv6 address).
 * Port 1-65535. */
int parse_sockaddr(const char *text, struct sockaddr_storage *out, socklen_t *out_len, char *why);

/* Formats an address for messages and logs: "198.18.0.1", "[2001:db8::1]:443". */
#define PARSE_ADDR_STR_MAX 64
const char *format_ip(const struct ip_addr *addr, char *buf, size_t len);
const char *format_sockaddr(const struct sockaddr *sa, char *buf, size_t len);

/* Splits a list on commas and/or white space, in place, into at most `max`
 * items; returns the count, or -1 when there are more than `max`. */
int parse_split_list(char *text, char **items, int max);

#endif /* RAMPART_COMMON_PARSE_H */
