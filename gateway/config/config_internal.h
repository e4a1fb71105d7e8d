/*
 * Internals shared by the config reader's files: config.c (reading),
 * config_keys.c (the key tables and keys with their own syntax) and
 * config_validate.c (rules across keys). Not for use outside config*.c.
 */
#ifndef RAMPART_GATEWAY_CONFIG_CONFIG_INTERNAL_H
#define RAMPART_GATEWAY_CONFIG_CONFIG_INTERNAL_H

#include "gateway/config/config.h"

#include <errno.h>
#include <stddef.h>

#define CONFIG_LINE_MAX 512

struct config_loader {
    const char *path;
    FILE *fp;
    unsigned line;     /* line being read */
    unsigned key_line; /* line of the key being handled */
    struct config *cfg;
    struct config_errors *errors;
    char last_unknown_section[CONFIG_NAME_MAX + 16];
    /* which keys were set, per section (bit = index in the key table) */
    uint64_t seen_gateway, seen_tls, seen_health, seen_limits, seen_vrrp, seen_admin, seen_firewall;
    uint64_t seen_backend[CONFIG_MAX_BACKENDS];
    unsigned backend_port[CONFIG_MAX_BACKENDS]; /* 0 = not set: default 80 */
    bool backend_has_address[CONFIG_MAX_BACKENDS];
    bool backends_overflow_reported;
    unsigned cert_line[CONFIG_MAX_CERTIFICATES];
    unsigned policy_line;
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
    bool named; /* [backend NAME] */
    const struct config_key *keys;
    /* The struct keys write into, or NULL if the section header is bad
     * (already reported). */
    void *(*open)(struct config_loader *ld, const char *instance, unsigned line);
    uint64_t *(*seen)(struct config_loader *ld, void *base);
};

extern const struct config_section config_sections[]; /* ends with name NULL */

void config_error(struct config_loader *ld, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void config_validate(struct config_loader *ld);

#endif /* RAMPART_GATEWAY_CONFIG_CONFIG_INTERNAL_H */
