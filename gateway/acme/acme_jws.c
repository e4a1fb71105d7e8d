/*
 * acme_jws: the JWS of an ACME request. See acme_jws.h.
 */
#include "gateway/acme/acme_jws.h"

#include "common/b64url.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define JWS_HEADER_MAX 1024 /* the protected header: a jwk or a kid URL, the nonce, the url */

/* The protected header as JSON text into buf. */
static size_t jws_header(const struct tls_acme_key *k, const char *kid, const char *nonce, const char *url,
                         char *buf, size_t cap)
{
    json_t *h = json_object();
    if (!h)
        return 0;
    json_object_set_new(h, "alg", json_string("ES256"));
    if (kid && kid[0]) {
        json_object_set_new(h, "kid", json_string(kid));
    } else {
        char x[TLS_ACME_B64_COORD_MAX], y[TLS_ACME_B64_COORD_MAX];
        if (tls_acme_jwk_coords(k, x, y) < 0) {
            json_decref(h);
            return 0;
        }
        json_object_set_new(h, "jwk",
                            json_pack("{s:s,s:s,s:s,s:s}", "crv", "P-256", "kty", "EC", "x", x, "y", y));
    }
    json_object_set_new(h, "nonce", json_string(nonce));
    json_object_set_new(h, "url", json_string(url));
    size_t n = json_dumpb(h, buf, cap, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(h);
    if (n == 0 || n >= cap)
        return 0;
    buf[n] = '\0';
    return n;
}

static bool jws_args_ok(const char *kid, const char *nonce, const char *url, const char *payload)
{
    size_t nl = strnlen(nonce, ACME_NONCE_MAX);
    if (nl == 0 || nl == ACME_NONCE_MAX || !b64url_is_text(nonce, nl) || !acme_url_ok(url))
        return false;
    if (kid && kid[0] && !acme_url_ok(kid))
        return false;
    return strnlen(payload, ACME_PAYLOAD_MAX) < ACME_PAYLOAD_MAX;
}

/* b64(header) "." b64(payload) into in; its length or 0. */
static size_t jws_signing_input(const char *header, size_t hl, const char *payload, char *in, size_t cap)
{
    size_t a = b64url_encode(header, hl, in, cap);
    if (a == 0 || a + 2 > cap)
        return 0;
    in[a] = '.';
    size_t pl = strlen(payload);
    if (pl == 0) {
        in[a + 1] = '\0';
        return a + 1;
    }
    size_t b = b64url_encode(payload, pl, in + a + 1, cap - a - 1);
    return b ? a + 1 + b : 0;
}

size_t acme_jws(const struct tls_acme_key *k, const char *kid, const char *nonce, const char *url,
                const char *payload, char *out, size_t cap)
{
    char header[JWS_HEADER_MAX], input[ACME_JWS_MAX], sig64[B64URL_LEN(TLS_ACME_ES256_LEN) + 1];
    uint8_t sig[TLS_ACME_ES256_LEN];
    if (!jws_args_ok(kid, nonce, url, payload))
        return 0;
    size_t hl = jws_header(k, kid, nonce, url, header, sizeof header);
    size_t il = hl ? jws_signing_input(header, hl, payload, input, sizeof input) : 0;
    if (il == 0 || tls_acme_es256(k, input, il, sig) < 0)
        return 0;
    b64url_encode(sig, sizeof sig, sig64, sizeof sig64);
    char *dot = strchr(input, '.');
    *dot = '\0';
    int n = snprintf(out, cap, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", input,
                     dot + 1, sig64);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

size_t acme_key_authorization(const char *token, const char *thumbprint, char *out, size_t cap)
{
    size_t tl = strnlen(token, ACME_TOKEN_MAX), pl = strnlen(thumbprint, TLS_ACME_THUMBPRINT_MAX);
    if (tl < ACME_TOKEN_MIN || tl == ACME_TOKEN_MAX || !b64url_is_text(token, tl) || pl == 0 ||
        pl == TLS_ACME_THUMBPRINT_MAX)
        return 0;
    int n = snprintf(out, cap, "%s.%s", token, thumbprint);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
