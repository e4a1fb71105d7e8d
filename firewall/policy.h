/*
 * The policy language (policy(5)): an INI file with one [policy] section,
 * [set NAME] sections and [rule NAME] sections, read into `struct policy`.
 *
 * Reading and checking are pure: no netlink, no clocks. Every problem is a
 * diagnostic "FILE:LINE: message"; errors refuse the policy, warnings
 * (shadowed rules, admin ports open to anyone) do not.
 */
#ifndef RAMPART_FIREWALL_POLICY_H
#define RAMPART_FIREWALL_POLICY_H

#include "common/parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define POLICY_NAME_MAX   32  /* set and rule names, incl. NUL */
#define POLICY_IFNAME_MAX 16  /* IFNAMSIZ */
#define POLICY_TEXT_MAX   128 /* comment and log prefix, incl. NUL */
/* Comments in nft hold "RULE: COMMENT"; the kernel keeps 128 bytes. */
#define POLICY_COMMENT_MAX    (POLICY_TEXT_MAX - POLICY_NAME_MAX - 2)
#define POLICY_MAX_SETS       64
#define POLICY_MAX_RULES      512
#define POLICY_MAX_PORTS      32 /* items in one port list */
#define POLICY_MAX_SET_ELEMS  1000000
#define POLICY_MAX_TIMEOUT_MS (7ULL * 24 * 3600 * 1000)
#define POLICY_MAX_RATE       1000000
#define POLICY_MAX_BURST      1000000
#define POLICY_MAX_DIAGS      100 /* kept messages; the count goes on */
#define POLICY_DIAG_MAX       512

/* The sets `block ADDR` fills: IPv4 addresses go to "blocklist", IPv6 to
 * "blocklist6". A policy that wants the blocklist declares them dynamic. */
#define POLICY_BLOCKLIST4 "blocklist"
#define POLICY_BLOCKLIST6 "blocklist6"

/* Ports that are never fine to open to any source (warned by check). */
#define POLICY_ADMIN_PORT_SSH     22
#define POLICY_ADMIN_PORT_METRICS 9100

enum policy_dir { POLICY_DIR_IN, POLICY_DIR_FORWARD, POLICY_DIR_OUT, POLICY_DIR_COUNT };
enum policy_verdict { POLICY_ACCEPT, POLICY_DROP, POLICY_REJECT };
enum policy_set_type { POLICY_SET_IPV4, POLICY_SET_IPV6, POLICY_SET_PORT };

/* Connection states, as the kernel's bits (nf_conntrack_common.h). */
#define POLICY_CT_INVALID     0x01u
#define POLICY_CT_ESTABLISHED 0x02u
#define POLICY_CT_RELATED     0x04u
#define POLICY_CT_NEW         0x08u
#define POLICY_CT_UNTRACKED   0x40u

/* Protocol numbers with names in the policy language. */
#define POLICY_PROTO_ICMP   1
#define POLICY_PROTO_TCP    6
#define POLICY_PROTO_UDP    17
#define POLICY_PROTO_ICMPV6 58
#define POLICY_PROTO_VRRP   112

struct policy_port_range {
    uint16_t lo, hi; /* lo == hi for one port */
};

/* One element of a set: an address prefix or range (address sets), or a
 * port range. */
struct policy_elem {
    struct ip_prefix prefix; /* a range starts at prefix.addr */
    bool is_range;
    struct ip_addr last; /* is_range: the last address */
    struct policy_port_range ports;
};

/* First and last address of an address element, as big-endian bytes. */
void policy_elem_bounds(const struct policy_elem *e, uint8_t lo[16], uint8_t hi[16]);
/* "198.18.0.0/24", "198.18.0.1-198.18.0.9" (for messages). */
const char *policy_elem_format(const struct policy_elem *e, char *buf, size_t len);

struct policy_set {
    char name[POLICY_NAME_MAX];
    int line;
    bool has_type;
    enum policy_set_type type;
    bool dynamic;        /* filled at run time (block/unblock) */
    uint64_t timeout_ms; /* default element timeout, 0 = none */
    struct policy_elem *elems;
    size_t n_elems, cap_elems;
};

/* A source or destination: nothing, one prefix, or a named set. */
struct policy_addr {
    bool present;
    bool is_set;
    struct ip_prefix prefix;
    int set; /* index into policy.sets when is_set */
};

/* A port match: nothing, a list of ports/ranges, or a named port set. */
struct policy_ports {
    unsigned n;
    struct policy_port_range r[POLICY_MAX_PORTS];
    bool is_set;
    int set;
};

struct policy_limit {
    bool present;
    unsigned rate;
    char unit[8];   /* second, minute, hour, day */
    unsigned burst; /* packets; 0 = not given (nft's default 5) */
    bool per_source;
};

struct policy_rule {
    char name[POLICY_NAME_MAX];
    int line;
    bool has_dir, has_action;
    enum policy_dir dir;
    char iif[POLICY_IFNAME_MAX], oif[POLICY_IFNAME_MAX];
    struct policy_addr src, dst;
    int proto; /* -1 = any */
    struct policy_ports sport, dport;
    uint32_t ct_state; /* 0 = any */
    bool has_user;     /* direction out: the sending socket's owner is `uid` */
    uint32_t uid;
    enum policy_verdict action;
    struct policy_limit limit;
    bool counter;
    char log_prefix[POLICY_TEXT_MAX];
    char comment[POLICY_TEXT_MAX];
    /* lines of keys, for messages that point at one key */
    int line_src, line_dst, line_dport, line_proto, line_limit, line_user;
};

struct policy_diags {
    unsigned errors, warnings;
    unsigned n; /* kept messages, at most POLICY_MAX_DIAGS */
    char msg[POLICY_MAX_DIAGS][POLICY_DIAG_MAX];
};

struct policy {
    char file[256];
    char name[POLICY_NAME_MAX];
    enum policy_verdict dflt[POLICY_DIR_COUNT];
    bool log_drops;
    bool seen_policy_section;
    struct policy_set sets[POLICY_MAX_SETS];
    unsigned n_sets;
    struct policy_rule rules[POLICY_MAX_RULES];
    unsigned n_rules;
};

/* Reads `path` (or `text` when not NULL, named `path` in messages) and runs
 * every check. Returns a policy (free with policy_free) or NULL when it has
 * errors; `diags` holds errors and warnings either way. */
struct policy *policy_load(const char *path, struct policy_diags *diags);
struct policy *policy_load_text(const char *name, const char *text, struct policy_diags *diags);

/* Parsing alone (no cross-checks); used by policy_load. */
struct policy *policy_parse(const char *name, FILE *fp, struct policy_diags *diags);
/* Cross-checks and warnings; returns the number of errors added. */
unsigned policy_check(struct policy *pol, struct policy_diags *diags);

void policy_free(struct policy *pol);

/* Lookups. */
int policy_find_set(const struct policy *pol, const char *name);

/* Diagnostics: "FILE:LINE: message" (warnings say "warning: "). */
void policy_error(struct policy_diags *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void policy_warning(struct policy_diags *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void policy_diags_print(const struct policy_diags *d, FILE *fp);

/* Names for messages and rendering. */
const char *policy_dir_name(enum policy_dir dir);
const char *policy_verdict_name(enum policy_verdict v);

/* What the policy admits by source: every input rule that accepts from a
 * named source (a prefix, or the elements of a static set) says those
 * addresses are trusted for something: VRRP from the peers, SSH and
 * metrics from the administrators, replication between servers. The
 * daemon never puts them in the blocklist (its autoblock takes no word
 * from the relay over the reviewed policy). fn gets each address range
 * (first and last address, big-endian, 4 or 16 bytes used) and whether the
 * rule accepts VRRP (a peer) or something else (an administrator, a
 * partner); returns how many ranges it reported. Pure. */
enum policy_trust { POLICY_TRUST_PEER, POLICY_TRUST_ADMIN };
typedef void policy_trust_fn(void *arg, int family, const uint8_t lo[16], const uint8_t hi[16],
                             enum policy_trust kind);
unsigned policy_trusted_sources(const struct policy *pol, policy_trust_fn *fn, void *arg);

/* Address family of a match (AF_INET, AF_INET6, or 0 when it has none). */
int policy_addr_family(const struct policy *pol, const struct policy_addr *a);

#endif /* RAMPART_FIREWALL_POLICY_H */
