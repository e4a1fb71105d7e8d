/*
 * keys_backend: the keys of [backend NAME] (one section per web server)
 * and [health] (the active checks all backends share).
 */
#include "gateway/config/config_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- [backend NAME] --------------------------------------------------------------------- */

static unsigned backend_index(const struct config_loader *ld, const void *base)
{
    return (unsigned)((const struct config_backend *)base - ld->cfg->backends);
}

static int key_backend_address(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_backend *b = base;
    struct ip_addr ip;
    if (parse_ip(value, &ip, why) < 0) {
        WHY("'%s' is not an IP address (names are not resolved; the port goes in 'port')", value);
        return -1;
    }
    memset(&b->addr, 0, sizeof b->addr);
    if (ip.family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&b->addr;
        s4->sin_family = AF_INET;
        s4->sin_addr = ip.u.v4;
        b->addr_len = sizeof *s4;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&b->addr;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = ip.u.v6;
        b->addr_len = sizeof *s6;
    }
    ld->backend_has_address[backend_index(ld, base)] = true;
    return 0;
}

static int key_backend_port(struct config_loader *ld, void *base, char *value, char *why)
{
    long long port;
    if (parse_int_range(value, 1, 65535, &port, why) < 0)
        return -1;
    ld->backend_port[backend_index(ld, base)] = (unsigned)port;
    return 0;
}

#define B(f) offsetof(struct config_backend, f)
static const struct config_key backend_keys[] = {
    {.name = "address", .type = KEY_CUSTOM, .custom = key_backend_address},
    {.name = "port", .type = KEY_CUSTOM, .custom = key_backend_port},
    {.name = "weight", .type = KEY_UINT, .offset = B(weight), .min = 0, .max = 256},
    {.name = "max_idle", .type = KEY_UINT, .offset = B(max_idle), .min = 0, .max = 1024},
    {.name = "max_connections", .type = KEY_UINT, .offset = B(max_connections), .min = 0, .max = 100000},
    {0},
};

/* [backend NAME]: the same name again continues that backend's section. */
static void *open_backend(struct config_loader *ld, const char *name, unsigned line)
{
    struct config *cfg = ld->cfg;
    for (unsigned i = 0; i < cfg->n_backends; i++)
        if (strcmp(cfg->backends[i].name, name) == 0)
            return &cfg->backends[i];
    if (!*name) {
        config_error(ld, line, "[backend] needs a name, e.g. [backend web-01]");
        return NULL;
    }
    if (!config_name_ok(name, false)) {
        config_error(ld, line,
                     "[backend %s]: '%s' is not a valid backend name (letters, digits, '-', '.', '_')", name,
                     name);
        return NULL;
    }
    if (cfg->n_backends == CONFIG_MAX_BACKENDS) {
        if (!ld->backends_overflow_reported)
            config_error(ld, line, "more than %d backends", CONFIG_MAX_BACKENDS);
        ld->backends_overflow_reported = true;
        return NULL;
    }
    struct config_backend *b = &cfg->backends[cfg->n_backends++];
    snprintf(b->name, sizeof b->name, "%s", name);
    b->weight = 1;
    b->max_idle = 32;
    b->line = line;
    return b;
}

static uint64_t *seen_backend(struct config_loader *ld, void *base)
{
    return &ld->seen_backend[backend_index(ld, base)];
}

/* ---- [health] ------------------------------------------------------------------------------ */

static int key_health_path(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_health *h = base;
    if (value[0] != '/') {
        WHY("'%s' must start with '/'", value);
        return -1;
    }
    for (const char *p = value; *p; p++) {
        if (!isgraph((unsigned char)*p)) {
            WHY("'%s' contains a space or control character", value);
            return -1;
        }
    }
    if (strlen(value) >= sizeof h->path) {
        WHY("longer than %zu characters", sizeof h->path - 1);
        return -1;
    }
    snprintf(h->path, sizeof h->path, "%s", value);
    return 0;
}

/* expect_status = 200 | 200-399 */
static int key_expect_status(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_health *h = base;
    char *dash = strchr(value, '-');
    long long lo, hi;
    if (dash)
        *dash = '\0';
    if (parse_int_range(value, 100, 599, &lo, why) < 0 ||
        (dash && parse_int_range(dash + 1, 100, 599, &hi, why) < 0)) {
        WHY("expected a status 100-599 or a range like 200-399");
        return -1;
    }
    if (!dash)
        hi = lo;
    if (hi < lo) {
        WHY("range %lld-%lld is empty", lo, hi);
        return -1;
    }
    h->expect_status_min = (unsigned)lo;
    h->expect_status_max = (unsigned)hi;
    return 0;
}

#define H(f) offsetof(struct config_health, f)
static const struct config_key health_keys[] = {
    {.name = "path", .type = KEY_CUSTOM, .custom = key_health_path},
    {.name = "host", .type = KEY_STRING, .offset = H(host), .size = CONFIG_NAME_MAX},
    {.name = "interval", .type = KEY_DURATION, .offset = H(interval_ms), .min = 100, .max = MS_HOUR},
    {.name = "timeout", .type = KEY_DURATION, .offset = H(timeout_ms), .min = 10, .max = MS_HOUR},
    {.name = "rise", .type = KEY_UINT, .offset = H(rise), .min = 1, .max = 100},
    {.name = "fall", .type = KEY_UINT, .offset = H(fall), .min = 1, .max = 100},
    {.name = "expect_status", .type = KEY_CUSTOM, .custom = key_expect_status},
    {0},
};

const struct config_section config_section_backend = {"backend", true, backend_keys, open_backend,
                                                      seen_backend};
CONFIG_FIXED_SECTION(health, health_keys);
