/*
 * keys_peer: the keys of [peer], the channel to the other gateway of the
 * pair (addresses, how it authenticates, its timeouts, what it shares).
 */
#include "gateway/config/config_internal.h"

#include <stdio.h>
#include <string.h>

#define PEER_PORT_DEFAULT 7443

void config_peer_defaults(struct config_peer *p)
{
    memset(p, 0, sizeof *p);
    p->port = PEER_PORT_DEFAULT;
    p->connect_timeout_ms = 2000;
    p->handshake_timeout_ms = 3000;
    p->keepalive_ms = 1000;
    p->dead_after_ms = 3000;
    p->key_wait_ms = 3000;
    p->share_tickets = true;
    p->share_blocklist = true;
}

static int key_peer_address(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_peer *p = base;
    if (parse_ip(value, &p->address, why) < 0)
        return -1;
    p->enabled = true;
    p->line = ld->key_line;
    return 0;
}

static int key_peer_listen(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    return parse_ip(value, &((struct config_peer *)base)->listen, why);
}

static int copy_path(char *dst, size_t size, const char *value, char *why)
{
    if (strlen(value) >= size) {
        WHY("file name longer than %zu characters", size - 1);
        return -1;
    }
    snprintf(dst, size, "%s", value);
    return 0;
}

static int key_peer_psk_file(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_peer *p = base;
    ld->peer_psk_line = ld->key_line;
    return copy_path(p->psk_file, sizeof p->psk_file, value, why);
}

/* certificate = CERT_FILE KEY_FILE */
static int key_peer_certificate(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_peer *p = base;
    char *parts[3];
    if (parse_split_list(value, parts, 3) != 2) {
        WHY("expected 'CERT_FILE KEY_FILE'");
        return -1;
    }
    ld->peer_cert_line = ld->key_line;
    if (copy_path(p->cert_file, sizeof p->cert_file, parts[0], why) < 0)
        return -1;
    return copy_path(p->key_file, sizeof p->key_file, parts[1], why);
}

static int key_peer_ca(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_peer *p = base;
    return copy_path(p->ca_file, sizeof p->ca_file, value, why);
}

#define P(f) offsetof(struct config_peer, f)
static const struct config_key peer_keys[] = {
    {.name = "address", .type = KEY_CUSTOM, .custom = key_peer_address},
    {.name = "listen", .type = KEY_CUSTOM, .custom = key_peer_listen},
    {.name = "port", .type = KEY_UINT, .offset = P(port), .min = 1, .max = 65535},
    {.name = "psk_file", .type = KEY_CUSTOM, .custom = key_peer_psk_file},
    {.name = "certificate", .type = KEY_CUSTOM, .custom = key_peer_certificate},
    {.name = "ca", .type = KEY_CUSTOM, .custom = key_peer_ca},
    {.name = "connect_timeout",
     .type = KEY_DURATION,
     .offset = P(connect_timeout_ms),
     .min = 100,
     .max = MS_MINUTE},
    {.name = "handshake_timeout",
     .type = KEY_DURATION,
     .offset = P(handshake_timeout_ms),
     .min = 100,
     .max = MS_MINUTE},
    {.name = "keepalive", .type = KEY_DURATION, .offset = P(keepalive_ms), .min = 50, .max = MS_MINUTE},
    {.name = "dead_after",
     .type = KEY_DURATION,
     .offset = P(dead_after_ms),
     .min = 150,
     .max = 10 * MS_MINUTE},
    {.name = "key_wait", .type = KEY_DURATION, .offset = P(key_wait_ms), .min = 0, .max = MS_MINUTE},
    {.name = "share_tickets", .type = KEY_BOOL, .offset = P(share_tickets)},
    {.name = "share_blocklist", .type = KEY_BOOL, .offset = P(share_blocklist)},
    {0},
};

CONFIG_FIXED_SECTION(peer, peer_keys);
