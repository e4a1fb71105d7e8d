/*
 * Internal to the policy reader: the value of each key (policy_values.c).
 * policy_parse.c owns the reader (lines, sections, which keys were seen)
 * and calls these once per key; policy_values.c calls nothing back, so the
 * dependency runs one way: policy_parse.c -> policy_values.c.
 *
 * Pure but for one lookup (a rule's `user` name, getpwnam): no other I/O,
 * no clocks. Every refusal is a policy_error() naming the key and the bad
 * value at ctx->file:ctx->line.
 */
#ifndef RAMPART_FIREWALL_POLICY_VALUES_H
#define RAMPART_FIREWALL_POLICY_VALUES_H

#include "firewall/policy.h"

/* What a key parser sees of the reader: where the key stands (for
 * messages) and the policy it fills. Owned by the reader. */
struct policy_values_ctx {
    struct policy *pol;
    struct policy_diags *diags;
    const char *file;
    int line;         /* line of the key being parsed */
    int section_line; /* line of the last [section] header */
};

/* Names of sets and rules: letter first, then letters, digits, '_'.
 * Returns 0, or -1 with `why` (PARSE_WHY_MAX bytes). */
int policy_values_check_name(const char *name, char *why);

/* A new [set NAME] / [rule NAME]: its index, or -1 (reported) when the
 * name is taken, reserved or one too many. */
int policy_values_new_set(struct policy_values_ctx *r, const char *name);
int policy_values_new_rule(struct policy_values_ctx *r, const char *name);

/* One key of [policy], a set or a rule (the reader checked the name). */
void policy_values_policy_key(struct policy_values_ctx *r, const char *key, const char *value);
void policy_values_set_key(struct policy_values_ctx *r, struct policy_set *set, const char *key,
                           const char *value);
void policy_values_rule_key(struct policy_values_ctx *r, struct policy_rule *rule, const char *key,
                            const char *value);

#endif /* RAMPART_FIREWALL_POLICY_VALUES_H */
