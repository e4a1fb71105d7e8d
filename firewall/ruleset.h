/*
 * The lowered ruleset: a checked policy turned into the exact list of nft
 * sets, chains and rules Rampart programs. render.c prints it as nft text,
 * compile.c turns it into libnftnl objects; both read only this, so what a
 * reviewer reads is what the kernel gets.
 *
 * Lowering adds the always-present rules (replies, invalid, loopback, the
 * ICMP IP needs), splits rate-limited rules into "over the limit: drop" +
 * the rule itself, narrows blocklist rules to the service ports and moves
 * them just before the first service rule (lower_internal.h), and ends
 * drop chains with a counted drop.
 */
#ifndef RAMPART_FIREWALL_RULESET_H
#define RAMPART_FIREWALL_RULESET_H

#include "firewall/policy.h"

#define FW_TABLE             "rampart" /* table inet rampart: the only one we touch */
#define FW_METER_SIZE        65535     /* sources tracked per rate-limited rule */
#define FW_METER_TIMEOUT_MS  60000     /* a quiet source is forgotten after this */
#define FW_ICMP_RATE         100       /* always-accepted ICMP, per second */
#define FW_ICMP_BURST        200
#define FW_LOG_RATE          5 /* logged drops per minute */
#define FW_NFT_DEFAULT_BURST 5 /* nft's burst when none is given */
#define FW_COMMENT_MAX       128

/* Key types, as nft's datatype numbers (they decide how nft prints keys). */
enum fw_key {
    FW_KEY_IPV4 = 7,
    FW_KEY_IPV6 = 8,
    FW_KEY_PORT = 13,
    FW_KEY_ICMP = 14,
    FW_KEY_ICMPV6 = 29,
};

/* An inclusive range of keys, big-endian bytes (4, 16, 2 or 1 long). */
struct fw_range {
    uint8_t lo[16], hi[16];
    uint64_t timeout_ms, expires_ms; /* elements of dynamic sets, read back */
};

struct fw_set {
    char name[POLICY_NAME_MAX + 8];
    enum fw_key key;
    bool interval, timeout_flag, dynamic;
    uint64_t timeout_ms;
    unsigned size;           /* 0 = not given */
    struct fw_range *ranges; /* sorted */
    size_t n_ranges;
};

enum fw_match_kind { FW_M_NONE, FW_M_VALUE, FW_M_RANGE, FW_M_ANON, FW_M_SET };

/* A match on an address or port: one value, one range, an anonymous set
 * (port lists, ICMP types) or a named set. */
struct fw_match {
    enum fw_match_kind kind;
    struct ip_prefix prefix; /* addresses: FW_M_VALUE is a prefix */
    uint16_t port_lo, port_hi;
    struct fw_set anon; /* FW_M_ANON */
    const char *set;    /* FW_M_SET */
};

enum fw_verdict { FW_V_NONE, FW_V_ACCEPT, FW_V_DROP, FW_V_REJECT };
enum fw_limit_kind { FW_L_NONE, FW_L_PLAIN, FW_L_METER };

struct fw_limit {
    enum fw_limit_kind kind;
    unsigned rate, burst;
    const char *unit; /* second, minute, hour, day */
    bool over;
    const char *meter; /* FW_L_METER: the set, keyed by source address */
};

struct fw_rule {
    enum policy_dir chain;
    const char *iif, *oif;
    bool has_skuid; /* meta skuid: the sending socket's owner (output) */
    uint32_t skuid;
    int family; /* AF_INET / AF_INET6 when addresses pin it, else 0 */
    struct fw_match src, dst;
    int proto; /* -1 = any */
    struct fw_match sport, dport;
    struct fw_match icmp_type; /* FW_M_ANON of ICMP / ICMPv6 types */
    uint32_t ct_state;
    struct fw_limit limit;
    bool counter;
    uint64_t packets, bytes; /* read back from the kernel; 0 for new rules */
    const char *log_prefix;
    enum fw_verdict verdict;
    char comment[FW_COMMENT_MAX];
    const char *raw; /* read back but not ours: libnftnl's text of it */
};

struct fw_ruleset {
    enum policy_verdict dflt[POLICY_DIR_COUNT];
    struct fw_set *sets;
    size_t n_sets;
    struct fw_rule *rules;
    size_t n_rules, cap_rules;
    size_t cap_sets; /* read-back rulesets grow their set array */
    char **strings;  /* names a read-back ruleset owns */
    size_t n_strings, cap_strings;
};

/* Lowers a checked policy. The ruleset points into `pol` (names, prefixes),
 * so `pol` must outlive it. Returns 0, or -1 when out of memory. */
int fw_lower(const struct policy *pol, struct fw_ruleset *out);
void fw_ruleset_free(struct fw_ruleset *rs);

/* For rulesets built elsewhere (read back from the kernel): a new rule at
 * the end (NULL when out of memory), a new set, a string the ruleset owns. */
struct fw_rule *fw_ruleset_add_rule(struct fw_ruleset *rs, enum policy_dir chain);
struct fw_set *fw_ruleset_add_set(struct fw_ruleset *rs);
const char *fw_ruleset_strdup(struct fw_ruleset *rs, const char *s);

/* Key length in bytes of a key type. */
unsigned fw_key_len(enum fw_key key);

/* Policy elements (sorted by policy_check) to ranges, one per element, as
 * nft keeps them (touching elements stay separate). Returns the count or -1. */
long fw_ranges_from_elems(const struct policy_elem *elems, size_t n, enum fw_key key, struct fw_range **out);

#endif /* RAMPART_FIREWALL_RULESET_H */
