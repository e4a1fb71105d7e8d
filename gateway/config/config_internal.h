/*
 * Internals shared by the config reader's files, not for use outside
 * gateway/config/:
 *   config.c            reading: libinih callback, typed values, defaults
 *   config_sections.c   the list of sections
 *   keys_*.c            one key table per section group, and the handlers of
 *                       keys with a syntax of their own
 *   config_values.c     value checks several sections share (names)
 *   config_validate.c   rules across keys, after the whole file is read
 *   config_validate_vrrp.c  ... for the VRRP instances, and across them
 *   config_validate_bgp.c   ... for [bgp], and against the VRRP instances
 *   config_errors.c     "FILE:LINE: message" collection
 * Calls go one way: config.c -> keys/validate -> values/errors
 * (config_validate.c -> config_validate_vrrp.c).
 */
#ifndef RAMPART_GATEWAY_CONFIG_CONFIG_INTERNAL_H
#define RAMPART_GATEWAY_CONFIG_CONFIG_INTERNAL_H

#include "gateway/config/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_LINE_MAX 512

struct config_loader {
    const char *path;
    FILE *fp;
    unsigned line;         /* line being read */
    unsigned section_line; /* of the last section header read */
    unsigned key_line;     /* line of the key being handled */
    struct config *cfg;
    struct config_errors *errors;
    char last_unknown_section[CONFIG_NAME_MAX + 16];
    /* which keys were set, per section (bit = index in the key table) */
    uint64_t seen_gateway, seen_tls, seen_health, seen_limits, seen_http2, seen_admin, seen_firewall,
        seen_bgp;
    uint64_t seen_vrrp[CONFIG_MAX_VRRP_INSTANCES];
    bool vrrp_overflow_reported;
    /* where each instance's keys are, for the rules across instances */
    unsigned vrrp_vrid_line[CONFIG_MAX_VRRP_INSTANCES];
    unsigned vrrp_vip_line[CONFIG_MAX_VRRP_INSTANCES][CONFIG_MAX_VIPS];
    unsigned vrrp_peer_line[CONFIG_MAX_VRRP_INSTANCES][CONFIG_MAX_PEERS];
    uint64_t seen_peer;
    unsigned peer_line, peer_psk_line, peer_cert_line;
    unsigned ticket_key_line[TLS_TICKET_KEY_FILES_MAX];
    uint64_t seen_backend[CONFIG_MAX_BACKENDS];
    unsigned backend_port[CONFIG_MAX_BACKENDS]; /* 0 = not set: default 80 */
    bool backend_has_address[CONFIG_MAX_BACKENDS];
    bool backends_overflow_reported;
    unsigned bgp_addr_line[CONFIG_MAX_SERVICE_ADDRS];
    unsigned bgp_min_backends_line, bgp_firewall_line;
    unsigned cert_line[CONFIG_MAX_CERTIFICATES];
    unsigned policy_line;
    /* [tls] acme keys, for the rules across them (0: not set) */
    unsigned acme_line, acme_ca_line, acme_state_line, acme_user_line, acme_instance_line;
};

enum config_key_type {
    KEY_BOOL,
    KEY_UINT,
    KEY_U64,
    KEY_DURATION,
    KEY_SIZE,
    KEY_STRING,
    KEY_ENUM,
    KEY_CUSTOM
};

struct config_key {
    const char *name;
    enum config_key_type type;
    size_t offset;            /* of the field in the section's struct */
    long long min, max;       /* UINT, U64: value; DURATION: ms; SIZE: bytes */
    size_t size;              /* STRING: buffer size */
    const char *const *names; /* ENUM: NULL-terminated, index = enum value */
    const char *names_text;   /* ENUM: "plain, json" for messages */
    int (*custom)(struct config_loader *ld, void *base, char *value, char *why);
    bool repeatable; /* may appear more than once (lists) */
};

struct config_section {
    const char *name;
    bool named; /* [backend NAME]; the open() of [vrrp] also takes no name */
    const struct config_key *keys;
    /* The struct keys write into, or NULL if the section header is bad
     * (already reported). */
    void *(*open)(struct config_loader *ld, const char *instance, unsigned line);
    uint64_t *(*seen)(struct config_loader *ld, void *base);
};

/* The sections, in documentation order; NULL-terminated. */
extern const struct config_section *const config_sections[];
extern const struct config_section config_section_gateway, config_section_tls, config_section_backend,
    config_section_health, config_section_limits, config_section_http2, config_section_vrrp,
    config_section_bgp, config_section_admin, config_section_firewall, config_section_peer;

/* A section that appears once: its struct is the field of struct config
 * of the same name, its seen-bits ld->seen_NAME. */
#define CONFIG_FIXED_SECTION(field, key_table)                                                               \
    static void *open_##field(struct config_loader *ld, const char *instance, unsigned line)                 \
    {                                                                                                        \
        (void)instance, (void)line;                                                                          \
        return &ld->cfg->field;                                                                              \
    }                                                                                                        \
    static uint64_t *seen_##field(struct config_loader *ld, void *base)                                      \
    {                                                                                                        \
        (void)base;                                                                                          \
        return &ld->seen_##field;                                                                            \
    }                                                                                                        \
    const struct config_section config_section_##field = {#field, false, key_table, open_##field,            \
                                                          seen_##field}

/* Key handlers write their reason into `why` (PARSE_WHY_MAX bytes). */
#define WHY(...)  snprintf(why, PARSE_WHY_MAX, __VA_ARGS__)
#define MS_MINUTE (60ULL * 1000)
#define MS_HOUR   (60 * MS_MINUTE)
#define MS_DAY    (24 * MS_HOUR)

/* config_values.c: server and backend names (letters, digits, '-', '.',
 * '_'; a '*.' prefix when allow_wildcard), interface names. */
bool config_name_ok(const char *name, bool allow_wildcard);
bool config_ifname_ok(const char *name);
/* An https URL: "https://" and a host, printable ASCII, shorter than cap. */
bool config_https_url_ok(const char *url, size_t cap);
/* Whether the file set key `name` of section s (seen: its seen-bits). */
bool config_key_seen(const struct config_section *s, uint64_t seen, const char *name);

void config_error(struct config_loader *ld, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void config_validate(struct config_loader *ld);
void config_validate_vrrp(struct config_loader *ld);
/* keys_peer.c, config_validate_peer.c: [peer] and [tls] ticket_key_file */
void config_peer_defaults(struct config_peer *p);
void config_validate_peer(struct config_loader *ld);
void config_validate_bgp(struct config_loader *ld);
/* config_validate_acme.c: [tls] acme_* */
void config_validate_acme(struct config_loader *ld);

#endif /* RAMPART_GATEWAY_CONFIG_CONFIG_INTERNAL_H */
