/*
 * acme_json: the JSON of ACME (RFC 8555 section 7, RFC 9773 section 4.2),
 * read with jansson and checked field by field, and the payloads Rampart
 * sends, written with it. Pure: bytes in, structs out (acme.h), so the
 * unit tests and tests/fuzz/fuzz_acme.c feed it anything.
 *
 * A reader takes the body as received (at most ACME_BODY_MAX bytes, not
 * NUL-terminated) and the directory's URL (every URL in an answer must be
 * on its origin); it returns 0 with *out filled, or -1 with a reason in
 * why ("order: 'finalize' is not a URL of the server"). What a reader
 * requires: the fields RFC 8555 marks required for the object, of their
 * JSON type, within their bound; duplicate keys, bodies that are not one
 * object, and nesting deeper than ACME_JSON_DEPTH are refused. Unknown
 * fields are ignored, as the RFC asks.
 *
 * No global state; jansson allocates per call and frees before returning.
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_JSON_H
#define RAMPART_GATEWAY_ACME_ACME_JSON_H

#include "gateway/acme/acme.h"

#define ACME_JSON_DEPTH 16 /* no ACME object nests deeper than 4 */
#define ACME_WHY_MAX    160

int acme_json_directory(const char *body, size_t len, const char *dir_url, struct acme_directory *out,
                        char *why);
int acme_json_order(const char *body, size_t len, const char *dir_url, struct acme_order_obj *out, char *why);
int acme_json_authz(const char *body, size_t len, const char *dir_url, struct acme_authz_obj *out, char *why);
int acme_json_challenge(const char *body, size_t len, const char *dir_url, struct acme_challenge_obj *out,
                        char *why);
int acme_json_account(const char *body, size_t len, enum acme_status *out, char *why);
int acme_json_renewal_info(const char *body, size_t len, struct acme_renewal_info *out, char *why);
/* A problem document (RFC 7807): 0 when body is one with a string type. */
int acme_json_problem(const char *body, size_t len, struct acme_problem *out);

/* RFC 3339 date-time ("2025-01-02T03:04:05.123Z", "...+01:00"): 0 and
 * Unix time in *out, or -1. */
int acme_time_parse(const char *s, int64_t *out);

/* Payloads. Each returns the text's length (NUL-terminated in buf), or 0
 * when it does not fit cap or an argument is out of bounds. */
size_t acme_json_new_account(const char *contact, bool only_existing, char *buf, size_t cap);
/* replaces: the ARI id of the certificate this order renews ("" none). */
size_t acme_json_new_order(const char *const *names, unsigned n, const char *replaces, char *buf, size_t cap);
size_t acme_json_finalize(const char *csr_b64url, char *buf, size_t cap);

#endif /* RAMPART_GATEWAY_ACME_ACME_JSON_H */
