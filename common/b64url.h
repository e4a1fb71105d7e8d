/*
 * b64url: base64url without padding (RFC 4648 section 5), the encoding of
 * every binary field ACME and JWS carry (RFC 7515 section 2: signatures,
 * key coordinates, the CSR, certificate ids, thumbprints). Pure, no
 * allocation.
 */
#ifndef RAMPART_COMMON_B64URL_H
#define RAMPART_COMMON_B64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters the encoding of n bytes takes (without a NUL). */
#define B64URL_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* Encodes n bytes into out (cap bytes, NUL-terminated). Returns the text
 * length, or 0 when it does not fit (out is then "") and n > 0. */
size_t b64url_encode(const void *in, size_t n, char *out, size_t cap);

/* Decodes len characters (no padding, no white space: anything else is
 * refused) into out (cap bytes). Returns the byte count, or -1. */
long b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* Whether every one of the len characters is of the base64url alphabet
 * (ACME tokens, RFC 8555 section 8.1: at least 128 bits of it). */
bool b64url_is_text(const char *s, size_t len);

#endif /* RAMPART_COMMON_B64URL_H */
