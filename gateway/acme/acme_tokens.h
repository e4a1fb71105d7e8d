/*
 * acme_tokens: the challenge answers a relay serves (RFC 8555 section
 * 8.3, HTTP-01): the table the parent sends whole (IPC_ACME_TOKENS, checked
 * with acme_msg_tokens_check), replaced by the relay's control thread and
 * read by its workers for each request under /.well-known/acme-challenge/.
 * A token that is not in the table is not ours: the request goes to the
 * backends as before ACME was on.
 *
 * One table per process, behind a mutex (a lookup copies the answer out:
 * no pointer into the table escapes).
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_TOKENS_H
#define RAMPART_GATEWAY_ACME_ACME_TOKENS_H

#include "gateway/acme/acme_msg.h"

/* Replaces the table (s checked by the caller). */
void acme_tokens_set(const struct acme_token_set *s);
unsigned acme_tokens_count(void);

/* The key authorization of an HTTP-01 token (len bytes of the request
 * path after the prefix) into out (NUL-terminated): its length, or 0 when
 * the token is not one of ours or does not fit cap. */
size_t acme_tokens_http01(const char *token, size_t len, char *out, size_t cap);

#endif /* RAMPART_GATEWAY_ACME_ACME_TOKENS_H */
