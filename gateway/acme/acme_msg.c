/*
 * acme_msg: the checks of ACME's IPC messages. See acme_msg.h.
 */
#include "gateway/acme/acme_msg.h"

#include "common/b64url.h"

#include <string.h>
#include <strings.h>

static bool msg_terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* Letters, digits, '-', '.': a DNS name as ACME orders it. */
static bool msg_dns_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TLS_ACME_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.'))
            return false;
    }
    return true;
}

int acme_msg_token_check(const struct acme_token *t, bool need_op, const char **why)
{
    if (!msg_terminated(t->identifier, sizeof t->identifier) || !msg_terminated(t->token, sizeof t->token) ||
        !msg_terminated(t->key_auth, sizeof t->key_auth))
        return *why = "a string is not terminated", -1;
    if ((need_op && t->op != ACME_TOKEN_PUBLISH && t->op != ACME_TOKEN_WITHDRAW) ||
        (!need_op && t->op != 0) || t->type >= ACME_CHAL_TYPES || t->reserved)
        return *why = "op, type or a reserved field out of range", -1;
    size_t tl = strlen(t->token);
    if (tl < ACME_TOKEN_MIN || !b64url_is_text(t->token, tl))
        return *why = "the token is not base64url of 22 or more characters", -1;
    if (!msg_dns_name(t->identifier))
        return *why = "the identifier is not a DNS name", -1;
    size_t kl = strlen(t->key_auth);
    if (t->op == ACME_TOKEN_WITHDRAW)
        return 0;
    if (kl <= tl + 1 || strncmp(t->key_auth, t->token, tl) != 0 || t->key_auth[tl] != '.' ||
        !b64url_is_text(t->key_auth + tl + 1, kl - tl - 1))
        return *why = "the key authorization is not the token '.' a thumbprint", -1;
    return 0;
}

int acme_msg_tokens_check(const struct acme_token_set *s, const char **why)
{
    if (s->n > ACME_TOKENS_MAX)
        return *why = "more answers than ACME_TOKENS_MAX", -1;
    for (uint32_t i = 0; i < s->n; i++)
        if (acme_msg_token_check(&s->t[i], false, why) < 0)
            return -1;
    return 0;
}

int acme_msg_cert_check(const struct acme_cert_msg *m, const char **why)
{
    if (m->index >= ACME_CERTS_MAX || m->key_type > TLS_ACME_KEY_RSA)
        return *why = "certificate index or key type out of range", -1;
    if (m->chain_len == 0 || m->chain_len >= sizeof m->chain || m->key_len == 0 ||
        m->key_len >= sizeof m->key)
        return *why = "chain or key length out of bounds", -1;
    if (!msg_terminated(m->name, sizeof m->name) || !msg_dns_name(m->name))
        return *why = "the name is not a DNS name", -1;
    return 0;
}

int acme_msg_status_check(const struct acme_status_msg *m, const char **why)
{
    if (m->n > ACME_CERTS_MAX || m->reserved)
        return *why = "more certificates than ACME_CERTS_MAX", -1;
    for (uint32_t i = 0; i < m->n; i++)
        if (!msg_terminated(m->c[i].name, sizeof m->c[i].name))
            return *why = "a name is not terminated", -1;
    return 0;
}

/* key[0..len) is a whole string of that length. */
static bool msg_key_ok(const char *key, size_t cap, uint32_t len)
{
    return len > 0 && len < cap && strnlen(key, cap) == len;
}

int acme_msg_account_check(const struct acme_account_msg *m, const char **why)
{
    if (m->reserved || !msg_key_ok(m->key, sizeof m->key, m->key_len))
        return *why = "key length out of bounds", -1;
    if (!msg_terminated(m->directory, sizeof m->directory) || !msg_terminated(m->kid, sizeof m->kid) ||
        !acme_url_ok(m->directory) || (m->kid[0] && !acme_same_origin(m->directory, m->kid)))
        return *why = "the directory or the account URL is not an https URL of the server", -1;
    return 0;
}

int acme_msg_order_check(const struct acme_order_msg *m, const char **why)
{
    if (m->index >= ACME_CERTS_MAX || m->reserved || m->n_tokens > ACME_AUTHZ_MAX)
        return *why = "index, token count or a reserved field out of range", -1;
    if (!msg_terminated(m->name, sizeof m->name) || !msg_dns_name(m->name) ||
        !msg_terminated(m->url, sizeof m->url))
        return *why = "the name is not a DNS name", -1;
    if (!m->url[0])
        return m->key_len || m->n_tokens ? (*why = "an ended order with a key or answers", -1) : 0;
    if (!acme_url_ok(m->url) || !msg_key_ok(m->key, sizeof m->key, m->key_len))
        return *why = "the order URL or the key is out of bounds", -1;
    for (uint32_t i = 0; i < m->n_tokens; i++) {
        if (acme_msg_token_check(&m->tokens[i], false, why) < 0)
            return -1;
        if (strcasecmp(m->tokens[i].identifier, m->name) != 0)
            return *why = "an answer for another name", -1;
    }
    return 0;
}
