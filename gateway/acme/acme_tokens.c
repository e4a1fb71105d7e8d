/*
 * acme_tokens: the relay's table of challenge answers. See acme_tokens.h.
 */
#include "gateway/acme/acme_tokens.h"

#include <pthread.h>
#include <string.h>

static pthread_mutex_t tokens_lock = PTHREAD_MUTEX_INITIALIZER;
static struct acme_token_set tokens;

void acme_tokens_set(const struct acme_token_set *s)
{
    pthread_mutex_lock(&tokens_lock);
    tokens = *s;
    pthread_mutex_unlock(&tokens_lock);
}

unsigned acme_tokens_count(void)
{
    pthread_mutex_lock(&tokens_lock);
    unsigned n = tokens.n;
    pthread_mutex_unlock(&tokens_lock);
    return n;
}

size_t acme_tokens_http01(const char *token, size_t len, char *out, size_t cap)
{
    size_t found = 0;
    if (len < ACME_TOKEN_MIN || len >= ACME_TOKEN_MAX)
        return 0;
    pthread_mutex_lock(&tokens_lock);
    for (uint32_t i = 0; i < tokens.n && i < ACME_TOKENS_MAX; i++) {
        const struct acme_token *t = &tokens.t[i];
        if (t->type != ACME_CHAL_HTTP01 || strlen(t->token) != len || memcmp(t->token, token, len) != 0)
            continue;
        size_t kl = strlen(t->key_auth);
        if (kl < cap) {
            memcpy(out, t->key_auth, kl + 1);
            found = kl;
        }
        break;
    }
    pthread_mutex_unlock(&tokens_lock);
    return found;
}
