/*
 * keys_gateway: the keys of [gateway] (listeners, workers, user, logs,
 * drain and relay grace times),
 * [limits] (sizes, counts, timeouts of client requests) and [admin].
 */
#include "gateway/config/config_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- [gateway] ----------------------------------------------------------------------- */

static int set_listen_list(struct listen_addr *list, unsigned *count, bool allow_empty, char *value,
                           char *why)
{
    char *items[CONFIG_MAX_LISTENERS];
    int n = parse_split_list(value, items, CONFIG_MAX_LISTENERS);
    if (n < 0) {
        WHY("more than %d addresses", CONFIG_MAX_LISTENERS);
        return -1;
    }
    if (n == 0 && !allow_empty) {
        WHY("at least one ADDRESS:PORT is required");
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (parse_sockaddr(items[i], &list[i].addr, &list[i].len, why) < 0)
            return -1;
    *count = (unsigned)n;
    return 0;
}

static int key_listen_https(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_gateway *g = base;
    return set_listen_list(g->https, &g->n_https, false, value, why);
}

static int key_listen_http(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_gateway *g = base;
    return set_listen_list(g->http, &g->n_http, true, value, why);
}

static int key_workers(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_gateway *g = base;
    if (strcmp(value, "auto") == 0)
        return 0; /* the default is already the core count */
    long long n;
    if (parse_int_range(value, 1, CONFIG_MAX_WORKERS, &n, why) < 0) {
        WHY("'%s' is not 'auto' or a number 1-%d", value, CONFIG_MAX_WORKERS);
        return -1;
    }
    g->workers = (unsigned)n;
    return 0;
}

/* How long VRRP keeps its priority while a lost relay's replacement
 * starts (the listeners are the parent's: clients queue meanwhile). */
static int key_relay_grace(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_gateway *g = base;
    if (parse_duration_ms(value, 10 * MS_MINUTE, &g->relay_grace_ms, why) < 0)
        return -1;
    g->relay_grace_set = true;
    return 0;
}

/* An absolute path, or empty for none: the daemon's working directory is
 * nobody's business. */
static int key_pid_file(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_gateway *g = base;
    if (value[0] && value[0] != '/') {
        WHY("'%s' is not an absolute path", value);
        return -1;
    }
    if (strlen(value) >= sizeof g->pid_file) {
        WHY("longer than %zu characters", sizeof g->pid_file - 1);
        return -1;
    }
    snprintf(g->pid_file, sizeof g->pid_file, "%s", value);
    return 0;
}

static const char *const log_formats[] = {"plain", "json", NULL};

#define G(f) offsetof(struct config_gateway, f)
static const struct config_key gateway_keys[] = {
    {.name = "listen_https", .type = KEY_CUSTOM, .custom = key_listen_https},
    {.name = "listen_http", .type = KEY_CUSTOM, .custom = key_listen_http},
    {.name = "workers", .type = KEY_CUSTOM, .custom = key_workers},
    {.name = "user", .type = KEY_STRING, .offset = G(user), .size = CONFIG_NAME_MAX},
    {.name = "keyholder_user", .type = KEY_STRING, .offset = G(keyholder_user), .size = CONFIG_NAME_MAX},
    {.name = "access_log", .type = KEY_STRING, .offset = G(access_log), .size = CONFIG_PATH_MAX},
    {.name = "pid_file", .type = KEY_CUSTOM, .custom = key_pid_file},
    {.name = "log_format",
     .type = KEY_ENUM,
     .offset = G(log_format),
     .names = log_formats,
     .names_text = "plain, json"},
    {.name = "drain_timeout",
     .type = KEY_DURATION,
     .offset = G(drain_timeout_ms),
     .min = 0,
     .max = 10 * MS_MINUTE},
    {.name = "relay_grace", .type = KEY_CUSTOM, .custom = key_relay_grace},
    {0},
};

/* ---- [limits] ----------------------------------------------------------------------------- */

#define L(f) offsetof(struct config_limits, f)
static const struct config_key limits_keys[] = {
    /* The head must fit the connection's input buffer (CONN_BUF_SIZE, 16 KiB). */
    {.name = "max_header_size",
     .type = KEY_SIZE,
     .offset = L(max_header_size),
     .min = 1024,
     .max = 16 * 1024},
    {.name = "max_headers", .type = KEY_UINT, .offset = L(max_headers), .min = 1, .max = 128},
    {.name = "max_uri_length", .type = KEY_SIZE, .offset = L(max_uri_length), .min = 64, .max = 16 * 1024},
    {.name = "max_body_size", .type = KEY_SIZE, .offset = L(max_body_size), .min = 0, .max = 1LL << 40},
    {.name = "max_connections", .type = KEY_UINT, .offset = L(max_connections), .min = 1, .max = 1000000},
    {.name = "max_connections_per_ip",
     .type = KEY_UINT,
     .offset = L(max_connections_per_ip),
     .min = 1,
     .max = 1000000},
    {.name = "header_timeout",
     .type = KEY_DURATION,
     .offset = L(header_timeout_ms),
     .min = 100,
     .max = MS_HOUR},
    {.name = "idle_timeout", .type = KEY_DURATION, .offset = L(idle_timeout_ms), .min = 100, .max = MS_HOUR},
    {.name = "connect_timeout",
     .type = KEY_DURATION,
     .offset = L(connect_timeout_ms),
     .min = 10,
     .max = MS_MINUTE},
    {.name = "response_timeout",
     .type = KEY_DURATION,
     .offset = L(response_timeout_ms),
     .min = 100,
     .max = MS_HOUR},
    {.name = "send_timeout", .type = KEY_DURATION, .offset = L(send_timeout_ms), .min = 100, .max = MS_HOUR},
    {.name = "body_timeout", .type = KEY_DURATION, .offset = L(body_timeout_ms), .min = 100, .max = MS_HOUR},
    /* bytes per second; 0: only "some bytes in every body_timeout" */
    {.name = "body_min_rate", .type = KEY_SIZE, .offset = L(body_min_rate), .min = 0, .max = 1LL << 30},
    {.name = "queue_timeout",
     .type = KEY_DURATION,
     .offset = L(queue_timeout_ms),
     .min = 0,
     .max = 10 * MS_MINUTE},
    {.name = "allow_http10_without_host", .type = KEY_BOOL, .offset = L(allow_http10_without_host)},
    {0},
};

/* ---- [admin] ----------------------------------------------------------------------------- */

static int key_admin_listen(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_admin *a = base;
    return parse_sockaddr(value, &a->listen.addr, &a->listen.len, why);
}

static const struct config_key admin_keys[] = {
    {.name = "enabled", .type = KEY_BOOL, .offset = offsetof(struct config_admin, enabled)},
    {.name = "listen", .type = KEY_CUSTOM, .custom = key_admin_listen},
    {0},
};

CONFIG_FIXED_SECTION(gateway, gateway_keys);
CONFIG_FIXED_SECTION(limits, limits_keys);
CONFIG_FIXED_SECTION(admin, admin_keys);
