/*
 * The value of each policy key: verdicts, set types and elements, rule
 * matches. Numbers, durations and addresses go through common/parse.h;
 * every refusal names the key and the bad value. The one lookup outside
 * the file: a `user` name, in the system's user database.
 */
#include "firewall/policy_values.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ERR(...) policy_error(r->diags, r->file, r->line, __VA_ARGS__)

/* The longest value a key can hold (a libinih line is shorter anyway). */
#define VALUE_MAX 256

int policy_values_check_name(const char *name, char *why)
{
    size_t len = strlen(name);
    if (len == 0) {
        snprintf(why, PARSE_WHY_MAX, "missing name");
        return -1;
    }
    if (len >= POLICY_NAME_MAX) {
        snprintf(why, PARSE_WHY_MAX, "name longer than %d characters", POLICY_NAME_MAX - 1);
        return -1;
    }
    if (!isalpha((unsigned char)name[0])) {
        snprintf(why, PARSE_WHY_MAX, "name '%s' must start with a letter", name);
        return -1;
    }
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_') {
            snprintf(why, PARSE_WHY_MAX, "name '%s' may hold only letters, digits and '_'", name);
            return -1;
        }
    }
    return 0;
}

int policy_values_new_set(struct policy_values_ctx *r, const char *name)
{
    struct policy *pol = r->pol;
    int line = r->section_line;
    int old = policy_find_set(pol, name);
    if (old >= 0) {
        policy_error(r->diags, r->file, line, "set '%s' defined twice (first at line %d)", name,
                     pol->sets[old].line);
        return -1;
    }
    if (strncmp(name, "rl4_", 4) == 0 || strncmp(name, "rl6_", 4) == 0) {
        policy_error(r->diags, r->file, line,
                     "set '%s': names starting with rl4_ or rl6_ are reserved for rate limits", name);
        return -1;
    }
    if (pol->n_sets == POLICY_MAX_SETS) {
        policy_error(r->diags, r->file, line, "too many sets (max %d)", POLICY_MAX_SETS);
        return -1;
    }
    struct policy_set *set = &pol->sets[pol->n_sets];
    snprintf(set->name, sizeof set->name, "%s", name);
    set->line = line;
    return (int)pol->n_sets++;
}

int policy_values_new_rule(struct policy_values_ctx *r, const char *name)
{
    struct policy *pol = r->pol;
    int line = r->section_line;
    for (unsigned i = 0; i < pol->n_rules; i++) {
        if (strcmp(pol->rules[i].name, name) == 0) {
            policy_error(r->diags, r->file, line, "rule '%s' defined twice (first at line %d)", name,
                         pol->rules[i].line);
            return -1;
        }
    }
    if (pol->n_rules == POLICY_MAX_RULES) {
        policy_error(r->diags, r->file, line, "too many rules (max %d)", POLICY_MAX_RULES);
        return -1;
    }
    struct policy_rule *rule = &pol->rules[pol->n_rules];
    memset(rule, 0, sizeof *rule);
    snprintf(rule->name, sizeof rule->name, "%s", name);
    rule->line = line;
    rule->proto = -1;
    return (int)pol->n_rules++;
}

static int parse_verdict(const char *text, bool allow_reject, enum policy_verdict *out)
{
    if (strcmp(text, "accept") == 0)
        *out = POLICY_ACCEPT;
    else if (strcmp(text, "drop") == 0)
        *out = POLICY_DROP;
    else if (allow_reject && strcmp(text, "reject") == 0)
        *out = POLICY_REJECT;
    else
        return -1;
    return 0;
}

void policy_values_policy_key(struct policy_values_ctx *r, const char *key, const char *value)
{
    struct policy *pol = r->pol;
    char why[PARSE_WHY_MAX];
    if (strcmp(key, "name") == 0) {
        if (policy_values_check_name(value, why) < 0)
            ERR("name: %s", why);
        else
            snprintf(pol->name, sizeof pol->name, "%s", value);
    } else if (strcmp(key, "family") == 0) {
        if (strcmp(value, "inet") != 0)
            ERR("family: '%s' is not supported (only inet: IPv4 and IPv6 together)", value);
    } else if (strcmp(key, "log-drops") == 0) {
        if (parse_bool(value, &pol->log_drops, why) < 0)
            ERR("log-drops: %s", why);
    } else {
        enum policy_dir dir = strcmp(key, "input") == 0     ? POLICY_DIR_IN
                              : strcmp(key, "forward") == 0 ? POLICY_DIR_FORWARD
                                                            : POLICY_DIR_OUT;
        if (parse_verdict(value, false, &pol->dflt[dir]) < 0)
            ERR("%s: '%s' is not a default verdict (accept or drop)", key, value);
    }
}

/* ---- sets ---- */

static int parse_port_range(const char *text, struct policy_port_range *out, char *why)
{
    char lo[16];
    const char *dash = strchr(text, '-');
    size_t n = dash ? (size_t)(dash - text) : strlen(text);
    if (n >= sizeof lo) {
        snprintf(why, PARSE_WHY_MAX, "'%s' is not a port or port range", text);
        return -1;
    }
    memcpy(lo, text, n);
    lo[n] = '\0';
    long long a, b;
    if (parse_int_range(lo, 1, 65535, &a, why) < 0)
        return -1;
    b = a;
    if (dash && parse_int_range(dash + 1, 1, 65535, &b, why) < 0)
        return -1;
    if (b < a) {
        snprintf(why, PARSE_WHY_MAX, "range '%s' ends before it starts", text);
        return -1;
    }
    out->lo = (uint16_t)a;
    out->hi = (uint16_t)b;
    return 0;
}

/* "FIRST-LAST": two addresses of one family, in order. */
static int parse_addr_range(const char *text, struct policy_elem *e, char *why)
{
    char first[INET6_ADDRSTRLEN + 1];
    const char *dash = strchr(text, '-');
    size_t n = (size_t)(dash - text);
    if (n >= sizeof first) {
        snprintf(why, PARSE_WHY_MAX, "'%s' is not an address range", text);
        return -1;
    }
    memcpy(first, text, n);
    first[n] = '\0';
    if (parse_ip(first, &e->prefix.addr, why) < 0 || parse_ip(dash + 1, &e->last, why) < 0)
        return -1;
    uint8_t lo[16], hi[16];
    e->is_range = true;
    e->prefix.len = e->prefix.addr.family == AF_INET ? 32 : 128;
    policy_elem_bounds(e, lo, hi);
    if (e->last.family != e->prefix.addr.family || memcmp(lo, hi, e->last.family == AF_INET ? 4 : 16) > 0) {
        snprintf(why, PARSE_WHY_MAX, "range '%s' ends before it starts", text);
        return -1;
    }
    return 0;
}

static const struct {
    const char *name;
    enum policy_set_type type;
} set_types[] = {
    {"ipv4_addr", POLICY_SET_IPV4}, {"ipv6_addr", POLICY_SET_IPV6}, {"inet_service", POLICY_SET_PORT},
    {"ipv4", POLICY_SET_IPV4},      {"ipv6", POLICY_SET_IPV6},      {"port", POLICY_SET_PORT},
};

static int set_add_elem(struct policy_values_ctx *r, struct policy_set *set, const char *text)
{
    char why[PARSE_WHY_MAX];
    struct policy_elem e;
    memset(&e, 0, sizeof e);
    if (!set->has_type) {
        ERR("set '%s': 'type' must come before 'elements'", set->name);
        set->has_type = true; /* reported once */
        return -1;
    }
    if (set->type == POLICY_SET_PORT) {
        if (parse_port_range(text, &e.ports, why) < 0) {
            ERR("set '%s': %s", set->name, why);
            return -1;
        }
    } else {
        int want = set->type == POLICY_SET_IPV4 ? AF_INET : AF_INET6;
        if (strchr(text, '-')) {
            if (parse_addr_range(text, &e, why) < 0) {
                ERR("set '%s': %s", set->name, why);
                return -1;
            }
        } else if (parse_prefix(text, &e.prefix, why) < 0) {
            ERR("set '%s': %s", set->name, why);
            return -1;
        }
        if (e.prefix.addr.family != want) {
            ERR("set '%s': '%s' is not an %s address", set->name, text, want == AF_INET ? "IPv4" : "IPv6");
            return -1;
        }
    }
    if (set->n_elems == POLICY_MAX_SET_ELEMS) {
        ERR("set '%s': more than %d elements", set->name, POLICY_MAX_SET_ELEMS);
        return -1;
    }
    if (set->n_elems == set->cap_elems) {
        size_t cap = set->cap_elems ? set->cap_elems * 2 : 16;
        struct policy_elem *grown = realloc(set->elems, cap * sizeof *grown);
        if (!grown) {
            ERR("set '%s': out of memory", set->name);
            return -1;
        }
        set->elems = grown;
        set->cap_elems = cap;
    }
    set->elems[set->n_elems++] = e;
    return 0;
}

void policy_values_set_key(struct policy_values_ctx *r, struct policy_set *set, const char *key,
                           const char *value)
{
    char why[PARSE_WHY_MAX];
    if (strcmp(key, "type") == 0) {
        for (size_t i = 0; i < sizeof set_types / sizeof set_types[0]; i++) {
            if (strcmp(value, set_types[i].name) == 0) {
                set->type = set_types[i].type;
                set->has_type = true;
                return;
            }
        }
        set->has_type = true; /* reported here, not again as missing */
        ERR("set '%s': type '%s' is not ipv4_addr, ipv6_addr or inet_service", set->name, value);
    } else if (strcmp(key, "dynamic") == 0) {
        if (parse_bool(value, &set->dynamic, why) < 0)
            ERR("set '%s': dynamic: %s", set->name, why);
    } else if (strcmp(key, "timeout") == 0) {
        if (parse_duration_ms(value, POLICY_MAX_TIMEOUT_MS, &set->timeout_ms, why) < 0)
            ERR("set '%s': timeout: %s", set->name, why);
        else if (set->timeout_ms % 1000 != 0 || set->timeout_ms == 0)
            ERR("set '%s': timeout: %s must be a whole number of seconds, at least 1s", set->name, value);
    } else { /* elements: a list, may span lines */
        char copy[VALUE_MAX];
        char *items[POLICY_MAX_PORTS * 4];
        snprintf(copy, sizeof copy, "%s", value);
        int n = parse_split_list(copy, items, (int)(sizeof items / sizeof items[0]));
        if (n < 0) {
            ERR("set '%s': too many elements on one line", set->name);
            return;
        }
        for (int i = 0; i < n; i++)
            if (set_add_elem(r, set, items[i]) < 0)
                return;
    }
}

/* ---- rules ---- */

static void parse_addr(struct policy_values_ctx *r, struct policy_rule *rule, const char *key,
                       const char *value, struct policy_addr *out)
{
    char why[PARSE_WHY_MAX];
    out->present = true;
    if (value[0] == '@') {
        int idx = policy_find_set(r->pol, value + 1);
        if (idx < 0) {
            ERR("rule '%s': %s: no set named '%s' (sets must be defined before use)", rule->name, key,
                value + 1);
            out->present = false;
            return;
        }
        if (r->pol->sets[idx].type == POLICY_SET_PORT) {
            ERR("rule '%s': %s: set '%s' holds ports, not addresses", rule->name, key, value + 1);
            out->present = false;
            return;
        }
        out->is_set = true;
        out->set = idx;
    } else if (parse_prefix(value, &out->prefix, why) < 0) {
        ERR("rule '%s': %s: %s", rule->name, key, why);
        out->present = false;
    } else if (out->prefix.len == 0) {
        ERR("rule '%s': %s: '%s' matches every address: leave '%s' out", rule->name, key, value, key);
        out->present = false;
    }
}

/* Port lists are kept sorted, so the nft form `{ 80, 443 }` is the same
 * whatever order the author wrote. */
static int cmp_port_range(const void *a, const void *b)
{
    const struct policy_port_range *x = a, *y = b;
    return (int)x->lo - (int)y->lo;
}

static void parse_ports(struct policy_values_ctx *r, struct policy_rule *rule, const char *key,
                        const char *value, struct policy_ports *out)
{
    char why[PARSE_WHY_MAX];
    if (value[0] == '@') {
        int idx = policy_find_set(r->pol, value + 1);
        if (idx < 0 || r->pol->sets[idx].type != POLICY_SET_PORT) {
            ERR("rule '%s': %s: no port set named '%s'", rule->name, key, value + 1);
            return;
        }
        out->is_set = true;
        out->set = idx;
        return;
    }
    char copy[VALUE_MAX];
    char *items[POLICY_MAX_PORTS];
    snprintf(copy, sizeof copy, "%s", value);
    int n = parse_split_list(copy, items, POLICY_MAX_PORTS);
    if (n < 0) {
        ERR("rule '%s': %s: more than %d ports (use a [set])", rule->name, key, POLICY_MAX_PORTS);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (parse_port_range(items[i], &out->r[i], why) < 0) {
            ERR("rule '%s': %s: %s", rule->name, key, why);
            return;
        }
    }
    qsort(out->r, (size_t)n, sizeof out->r[0], cmp_port_range);
    for (int i = 1; i < n; i++) {
        if (out->r[i].lo <= out->r[i - 1].hi) {
            ERR("rule '%s': %s: port %u is listed twice", rule->name, key, out->r[i].lo);
            return;
        }
    }
    out->n = (unsigned)n;
}

static const struct {
    const char *name;
    int number;
} proto_names[] = {
    {"tcp", POLICY_PROTO_TCP},       {"udp", POLICY_PROTO_UDP},   {"icmp", POLICY_PROTO_ICMP},
    {"icmpv6", POLICY_PROTO_ICMPV6}, {"vrrp", POLICY_PROTO_VRRP},
};

static void parse_proto(struct policy_values_ctx *r, struct policy_rule *rule, const char *value)
{
    char why[PARSE_WHY_MAX];
    long long n;
    for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++) {
        if (strcmp(value, proto_names[i].name) == 0) {
            rule->proto = proto_names[i].number;
            return;
        }
    }
    if (parse_int_range(value, 0, 255, &n, why) < 0) {
        ERR("rule '%s': protocol: '%s' is not tcp, udp, icmp, icmpv6, vrrp or a number 0-255", rule->name,
            value);
        return;
    }
    rule->proto = (int)n;
}

static const struct {
    const char *name;
    uint32_t bit;
} ct_states[] = {
    {"new", POLICY_CT_NEW},         {"established", POLICY_CT_ESTABLISHED}, {"related", POLICY_CT_RELATED},
    {"invalid", POLICY_CT_INVALID}, {"untracked", POLICY_CT_UNTRACKED},
};

static void parse_state(struct policy_values_ctx *r, struct policy_rule *rule, const char *value)
{
    char copy[VALUE_MAX];
    char *items[8];
    snprintf(copy, sizeof copy, "%s", value);
    int n = parse_split_list(copy, items, 8);
    if (n <= 0) {
        ERR("rule '%s': state: expected new, established, related, invalid or untracked", rule->name);
        return;
    }
    for (int i = 0; i < n; i++) {
        size_t k = 0;
        while (k < sizeof ct_states / sizeof ct_states[0] && strcmp(items[i], ct_states[k].name))
            k++;
        if (k == sizeof ct_states / sizeof ct_states[0]) {
            ERR("rule '%s': state: unknown state '%s'", rule->name, items[i]);
            return;
        }
        rule->ct_state |= ct_states[k].bit;
    }
}

/* "RATE/UNIT [burst N] [per-source]" */
static void parse_limit(struct policy_values_ctx *r, struct policy_rule *rule, const char *value)
{
    char why[PARSE_WHY_MAX], copy[VALUE_MAX];
    char *w[5];
    struct policy_limit *l = &rule->limit;
    snprintf(copy, sizeof copy, "%s", value);
    int n = parse_split_list(copy, w, 5);
    char *slash = n > 0 ? strchr(w[0], '/') : NULL;
    if (!slash) {
        ERR("rule '%s': limit: expected 'RATE/UNIT [burst N] [per-source]', e.g. "
            "'50/second burst 100 per-source'",
            rule->name);
        return;
    }
    *slash = '\0';
    long long v;
    if (parse_int_range(w[0], 1, POLICY_MAX_RATE, &v, why) < 0) {
        ERR("rule '%s': limit: rate %s", rule->name, why);
        return;
    }
    l->rate = (unsigned)v;
    const char *unit = slash + 1;
    if (strcmp(unit, "second") && strcmp(unit, "minute") && strcmp(unit, "hour") && strcmp(unit, "day")) {
        ERR("rule '%s': limit: unit '%s' is not second, minute, hour or day", rule->name, unit);
        return;
    }
    snprintf(l->unit, sizeof l->unit, "%s", unit);
    for (int i = 1; i < n; i++) {
        if (strcmp(w[i], "per-source") == 0) {
            l->per_source = true;
        } else if (strcmp(w[i], "burst") == 0 && i + 1 < n) {
            if (parse_int_range(w[++i], 1, POLICY_MAX_BURST, &v, why) < 0) {
                ERR("rule '%s': limit: burst %s", rule->name, why);
                return;
            }
            l->burst = (unsigned)v;
        } else {
            ERR("rule '%s': limit: unexpected '%s'", rule->name, w[i]);
            return;
        }
    }
    l->present = true;
}

/* Comments and log prefixes end up in quotes in nft syntax. */
static int parse_text(struct policy_values_ctx *r, struct policy_rule *rule, const char *key,
                      const char *value, size_t max, char *out)
{
    if (strlen(value) > max) {
        ERR("rule '%s': %s: longer than %zu characters", rule->name, key, max);
        return -1;
    }
    for (const char *p = value; *p; p++) {
        if (!isprint((unsigned char)*p) || *p == '"' || *p == '\\') {
            ERR("rule '%s': %s: quotes, backslashes and control characters are not allowed", rule->name, key);
            return -1;
        }
    }
    snprintf(out, POLICY_TEXT_MAX, "%s", value);
    return 0;
}

static void parse_ifname(struct policy_values_ctx *r, struct policy_rule *rule, const char *key,
                         const char *value, char *out)
{
    size_t len = strlen(value);
    bool ok = len > 0 && len < POLICY_IFNAME_MAX;
    for (const char *p = value; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.';
    if (!ok)
        ERR("rule '%s': %s: '%s' is not an interface name (1-%d of A-Z a-z 0-9 _ - .)", rule->name, key,
            value, POLICY_IFNAME_MAX - 1);
    else
        memcpy(out, value, len + 1);
}

/* "user = NAME | UID": a name is looked up in the system's user database
 * when the policy is read (as nft does), the kernel matches the number. */
static void parse_user(struct policy_values_ctx *r, struct policy_rule *rule, const char *value)
{
    char why[PARSE_WHY_MAX];
    long long n;
    rule->line_user = r->line;
    if (isdigit((unsigned char)value[0])) {
        if (parse_int_range(value, 0, (long long)UINT32_MAX - 1, &n, why) < 0) {
            ERR("rule '%s': user: %s", rule->name, why);
            return;
        }
        rule->uid = (uint32_t)n;
    } else {
        struct passwd *pw = getpwnam(value);
        if (!pw) {
            ERR("rule '%s': user: no user '%s' on this system", rule->name, value);
            return;
        }
        rule->uid = (uint32_t)pw->pw_uid;
    }
    rule->has_user = true;
}

void policy_values_rule_key(struct policy_values_ctx *r, struct policy_rule *rule, const char *key,
                            const char *value)
{
    char why[PARSE_WHY_MAX];
    if (strcmp(key, "direction") == 0) {
        rule->has_dir = true;
        if (strcmp(value, "in") == 0)
            rule->dir = POLICY_DIR_IN;
        else if (strcmp(value, "out") == 0)
            rule->dir = POLICY_DIR_OUT;
        else if (strcmp(value, "forward") == 0)
            rule->dir = POLICY_DIR_FORWARD;
        else
            ERR("rule '%s': direction: '%s' is not in, out or forward", rule->name, value);
    } else if (strcmp(key, "action") == 0) {
        rule->has_action = true; /* a bad value is reported here, not as missing */
        if (parse_verdict(value, true, &rule->action) < 0)
            ERR("rule '%s': action: '%s' is not accept, drop or reject", rule->name, value);
    } else if (strcmp(key, "iif") == 0) {
        parse_ifname(r, rule, key, value, rule->iif);
    } else if (strcmp(key, "oif") == 0) {
        parse_ifname(r, rule, key, value, rule->oif);
    } else if (strcmp(key, "source") == 0) {
        rule->line_src = r->line;
        parse_addr(r, rule, key, value, &rule->src);
    } else if (strcmp(key, "destination") == 0) {
        rule->line_dst = r->line;
        parse_addr(r, rule, key, value, &rule->dst);
    } else if (strcmp(key, "protocol") == 0) {
        rule->line_proto = r->line;
        parse_proto(r, rule, value);
    } else if (strcmp(key, "sport") == 0) {
        parse_ports(r, rule, key, value, &rule->sport);
    } else if (strcmp(key, "dport") == 0) {
        rule->line_dport = r->line;
        parse_ports(r, rule, key, value, &rule->dport);
    } else if (strcmp(key, "state") == 0) {
        parse_state(r, rule, value);
    } else if (strcmp(key, "limit") == 0) {
        rule->line_limit = r->line;
        parse_limit(r, rule, value);
    } else if (strcmp(key, "counter") == 0) {
        if (parse_bool(value, &rule->counter, why) < 0)
            ERR("rule '%s': counter: %s", rule->name, why);
    } else if (strcmp(key, "log") == 0) {
        parse_text(r, rule, key, value, POLICY_TEXT_MAX - 1, rule->log_prefix);
    } else if (strcmp(key, "user") == 0) {
        parse_user(r, rule, value);
    } else {
        parse_text(r, rule, key, value, POLICY_COMMENT_MAX, rule->comment);
    }
}
