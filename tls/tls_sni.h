/*
 * tls_sni: which certificate answers a given server name. Pure logic (no
 * mbedTLS, no I/O) so it is tested on its own.
 */
#ifndef RAMPART_TLS_TLS_SNI_H
#define RAMPART_TLS_TLS_SNI_H

#include <stdbool.h>
#include <stddef.h>

/* True if `name` (len bytes, not NUL-terminated, as sent by the client)
 * matches `pattern`: equal ignoring case, or pattern "*.example.com"
 * matching exactly one label in front of "example.com" ("a.example.com",
 * not "example.com", not "a.b.example.com"). */
bool tls_sni_match(const char *pattern, const char *name, size_t len);

/* Index of the entry answering `name`: the first exact match, otherwise the
 * first wildcard match, otherwise 0 (the default certificate). */
unsigned tls_sni_pick(const char *const *patterns, unsigned n, const char *name, size_t len);

#endif /* RAMPART_TLS_TLS_SNI_H */
