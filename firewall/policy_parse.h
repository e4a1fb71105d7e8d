/*
 * Internal to the policy reader: the state libinih's callbacks share, and
 * the per-section key parsers (policy_values.c).
 */
#ifndef RAMPART_FIREWALL_POLICY_PARSE_H
#define RAMPART_FIREWALL_POLICY_PARSE_H

#include "firewall/policy.h"

#include <sys/types.h>

enum policy_section { SECTION_UNKNOWN, SECTION_POLICY, SECTION_SET, SECTION_RULE };

struct policy_reader {
    FILE *fp;
    char *buf;
    size_t cap;
    int line;         /* line being parsed */
    int section_line; /* line of the last [section] header */
    const char *file;
    struct policy *pol;
    struct policy_diags *diags;
    char section[POLICY_NAME_MAX + 16];
    enum policy_section kind;
    int index; /* set or rule being filled */
    unsigned seen_keys;
    bool skip_section; /* after a bad [header], until the next good one */
};

/* Names of sets and rules: letter first, then letters, digits, '_'. */
int policy_check_name(const char *name, char *why);

int policy_parse_new_set(struct policy_reader *r, const char *name);
int policy_parse_new_rule(struct policy_reader *r, const char *name);
void policy_parse_policy_key(struct policy_reader *r, const char *key, const char *value);
void policy_parse_set_key(struct policy_reader *r, struct policy_set *set, const char *key,
                          const char *value);
void policy_parse_rule_key(struct policy_reader *r, struct policy_rule *rule, const char *key,
                           const char *value);

#endif /* RAMPART_FIREWALL_POLICY_PARSE_H */
