/*
 * connlimit: total + per-client connection counting. See connlimit.h.
 */
#include "gateway/proxy/connlimit.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LEN 16

struct connlimit_entry {
    struct connlimit_entry *next;
    unsigned count;
    uint8_t key[KEY_LEN];
};

/* IPv4 as ::ffff:a.b.c.d; IPv6 as its /64 prefix (low 64 bits zero). */
static void client_key(const struct sockaddr_storage *peer, uint8_t key[KEY_LEN])
{
    memset(key, 0, KEY_LEN);
    if (peer->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &sin->sin_addr, 4);
        return;
    }
    if (peer->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)peer;
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
            memcpy(key, &sin6->sin6_addr, KEY_LEN);
        else
            memcpy(key, &sin6->sin6_addr, 8);
    }
}

/* FNV-1a: small, and the table is bounded by max_connections anyway. */
static unsigned connlimit_key_hash(const uint8_t key[KEY_LEN])
{
    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < KEY_LEN; i++)
        h = (h ^ key[i]) * 16777619u;
    return h & (CONNLIMIT_BUCKETS - 1);
}

void connlimit_init(struct connlimit *cl, unsigned max_total, unsigned max_per_ip)
{
    memset(cl, 0, sizeof *cl);
    cl->max_total = max_total;
    cl->max_per_ip = max_per_ip;
    pthread_mutex_init(&cl->lock, NULL);
}

void connlimit_destroy(struct connlimit *cl)
{
    for (unsigned i = 0; i < CONNLIMIT_BUCKETS; i++) {
        struct connlimit_entry *e = cl->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e);
        }
        cl->buckets[i] = NULL;
    }
    pthread_mutex_destroy(&cl->lock);
}

/* Under lock: the link that holds key's entry, or the NULL link to append it at. */
static struct connlimit_entry **find(struct connlimit *cl, const uint8_t key[KEY_LEN])
{
    struct connlimit_entry **pp = &cl->buckets[connlimit_key_hash(key)];
    for (; *pp; pp = &(*pp)->next)
        if (memcmp((*pp)->key, key, KEY_LEN) == 0)
            break;
    return pp;
}

enum connlimit_result connlimit_acquire(struct connlimit *cl, const struct sockaddr_storage *peer)
{
    uint8_t key[KEY_LEN];
    client_key(peer, key);
    enum connlimit_result rc = CONNLIMIT_OK;
    pthread_mutex_lock(&cl->lock);
    if (cl->max_total && cl->total >= cl->max_total) {
        rc = CONNLIMIT_TOTAL;
        goto out;
    }
    struct connlimit_entry **pp = find(cl, key);
    if (!*pp) {
        struct connlimit_entry *e = calloc(1, sizeof *e);
        if (!e) {
            rc = CONNLIMIT_NOMEM;
            goto out;
        }
        memcpy(e->key, key, KEY_LEN);
        *pp = e;
        cl->n_clients++;
    }
    if (cl->max_per_ip && (*pp)->count >= cl->max_per_ip) {
        rc = CONNLIMIT_PER_IP;
        goto out;
    }
    (*pp)->count++;
    cl->total++;
out:
    pthread_mutex_unlock(&cl->lock);
    return rc;
}

void connlimit_release(struct connlimit *cl, const struct sockaddr_storage *peer)
{
    uint8_t key[KEY_LEN];
    client_key(peer, key);
    pthread_mutex_lock(&cl->lock);
    struct connlimit_entry **pp = find(cl, key), *e = *pp;
    if (e && e->count > 0) {
        e->count--;
        cl->total--;
        if (e->count == 0) {
            *pp = e->next;
            free(e);
            cl->n_clients--;
        }
    }
    pthread_mutex_unlock(&cl->lock);
}

unsigned connlimit_count(struct connlimit *cl, const struct sockaddr_storage *peer)
{
    uint8_t key[KEY_LEN];
    client_key(peer, key);
    pthread_mutex_lock(&cl->lock);
    struct connlimit_entry *e = *find(cl, key);
    unsigned n = e ? e->count : 0;
    pthread_mutex_unlock(&cl->lock);
    return n;
}
