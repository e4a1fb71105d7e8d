/*
 * Ruleset -> nft text, in the syntax and order `nft list table inet rampart`
 * prints (nftables 1.0.x): what the reviewer reads is what `nft` shows after
 * apply, up to white space (nft wraps long element lists).
 */
#include "firewall/render.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>

/* nft prints durations as 1d2h3m4s (largest units first, zero parts left out). */
void fw_format_time(uint64_t ms, char *buf, size_t len)
{
    static const struct {
        uint64_t ms;
        char unit;
    } units[] = {{86400000, 'd'}, {3600000, 'h'}, {60000, 'm'}, {1000, 's'}};
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t n = ms / units[i].ms;
        ms %= units[i].ms;
        if (n && used < len)
            used += (size_t)snprintf(buf + used, len - used, "%llu%c", (unsigned long long)n, units[i].unit);
    }
    if (ms && used < len)
        snprintf(buf + used, len - used, "%llums", (unsigned long long)ms);
}

static unsigned prefix_len_of_range(const struct fw_range *r, unsigned len)
{
    /* the largest prefix whose network is lo and broadcast is hi, or 0 */
    unsigned bits = len * 8, p = bits;
    while (p > 0) {
        unsigned bit = p - 1;
        uint8_t m = (uint8_t)(0x80 >> (bit % 8));
        if ((r->lo[bit / 8] & m) || !(r->hi[bit / 8] & m))
            break;
        p--;
    }
    /* bits above p must be equal in lo and hi */
    for (unsigned bit = 0; bit < p; bit++) {
        uint8_t m = (uint8_t)(0x80 >> (bit % 8));
        if ((r->lo[bit / 8] & m) != (r->hi[bit / 8] & m))
            return bits + 1; /* not a prefix */
    }
    return p;
}

static void print_addr_bytes(FILE *out, const uint8_t *b, enum fw_key key)
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(key == FW_KEY_IPV4 ? AF_INET : AF_INET6, b, buf, sizeof buf);
    fputs(buf, out);
}

static const char *icmp_type_name(enum fw_key key, unsigned t)
{
    static const char *const v4[256] = {
        [0] = "echo-reply",   [3] = "destination-unreachable", [5] = "redirect",
        [8] = "echo-request", [11] = "time-exceeded",          [12] = "parameter-problem"};
    static const char *const v6[256] = {
        [1] = "destination-unreachable", [2] = "packet-too-big",     [3] = "time-exceeded",
        [4] = "parameter-problem",       [128] = "echo-request",     [129] = "echo-reply",
        [133] = "nd-router-solicit",     [134] = "nd-router-advert", [135] = "nd-neighbor-solicit",
        [136] = "nd-neighbor-advert"};
    const char *n = key == FW_KEY_ICMP ? v4[t & 0xff] : v6[t & 0xff];
    return n ? n : "?";
}

/* One element as nft prints it: address, prefix, range, port, ICMP type. */
static void print_range(FILE *out, const struct fw_range *r, enum fw_key key)
{
    unsigned len = fw_key_len(key);
    bool single = memcmp(r->lo, r->hi, len) == 0;
    switch (key) {
    case FW_KEY_IPV4:
    case FW_KEY_IPV6: {
        print_addr_bytes(out, r->lo, key);
        if (single)
            return;
        unsigned p = prefix_len_of_range(r, len);
        if (p <= len * 8) {
            fprintf(out, "/%u", p);
        } else {
            fputc('-', out);
            print_addr_bytes(out, r->hi, key);
        }
        return;
    }
    case FW_KEY_PORT:
        fprintf(out, "%u", (unsigned)(r->lo[0] << 8 | r->lo[1]));
        if (!single)
            fprintf(out, "-%u", (unsigned)(r->hi[0] << 8 | r->hi[1]));
        return;
    case FW_KEY_ICMP:
    case FW_KEY_ICMPV6: fputs(icmp_type_name(key, r->lo[0]), out); return;
    }
}

static void print_elements(FILE *out, const struct fw_set *s)
{
    char t[64];
    fputs("{ ", out);
    for (size_t i = 0; i < s->n_ranges; i++) {
        const struct fw_range *r = &s->ranges[i];
        if (i)
            fputs(", ", out);
        print_range(out, r, s->key);
        /* elements read back from a dynamic set: as nft shows them */
        if (r->timeout_ms && r->timeout_ms != s->timeout_ms) {
            fw_format_time(r->timeout_ms, t, sizeof t);
            fprintf(out, " timeout %s", t);
        }
        if (r->expires_ms) {
            fw_format_time(r->expires_ms, t, sizeof t);
            fprintf(out, " expires %s", t);
        }
    }
    fputs(" }", out);
}

static const char *key_type_name(enum fw_key key)
{
    switch (key) {
    case FW_KEY_IPV4: return "ipv4_addr";
    case FW_KEY_IPV6: return "ipv6_addr";
    case FW_KEY_PORT: return "inet_service";
    case FW_KEY_ICMP: return "icmp_type";
    case FW_KEY_ICMPV6: return "icmpv6_type";
    }
    return "?";
}

static void render_set(FILE *out, const struct fw_set *s)
{
    fprintf(out, "\tset %s {\n\t\ttype %s\n", s->name, key_type_name(s->key));
    if (s->size)
        fprintf(out, "\t\tsize %u\n", s->size);
    /* nft 1.0 leaves "flags timeout" out when the set has a default timeout
     * and no other flag; otherwise it lists every flag */
    bool other = s->interval || s->dynamic;
    if (other || (s->timeout_flag && !s->timeout_ms)) {
        const char *sep = "";
        fputs("\t\tflags ", out);
        if (s->dynamic)
            fprintf(out, "%sdynamic", sep), sep = ",";
        if (s->interval)
            fprintf(out, "%sinterval", sep), sep = ",";
        if (s->timeout_flag)
            fprintf(out, "%stimeout", sep);
        fputc('\n', out);
    }
    if (s->timeout_ms) {
        char t[64];
        fw_format_time(s->timeout_ms, t, sizeof t);
        fprintf(out, "\t\ttimeout %s\n", t);
    }
    if (s->n_ranges) {
        fputs("\t\telements = ", out);
        print_elements(out, s);
        fputc('\n', out);
    }
    fputs("\t}\n", out);
}

static const char *proto_name(int proto, char *buf, size_t len)
{
    /* nft names protocols from /etc/protocols, so do we */
    struct protoent *pe = getprotobynumber(proto);
    if (pe && pe->p_name)
        snprintf(buf, len, "%s", pe->p_name);
    else
        snprintf(buf, len, "%d", proto);
    return buf;
}

static void render_addr(FILE *out, const struct fw_rule *r, const struct fw_match *m, const char *dir)
{
    if (m->kind == FW_M_NONE)
        return;
    const char *fam = r->family == AF_INET6 ? "ip6" : "ip";
    fprintf(out, "%s %s ", fam, dir);
    if (m->kind == FW_M_SET) {
        fprintf(out, "@%s ", m->set);
        return;
    }
    char buf[PARSE_ADDR_STR_MAX];
    unsigned full = m->prefix.addr.family == AF_INET ? 32 : 128;
    fputs(format_ip(&m->prefix.addr, buf, sizeof buf), out);
    if (m->prefix.len != full)
        fprintf(out, "/%u", m->prefix.len);
    fputc(' ', out);
}

static void render_ports(FILE *out, const char *proto, const struct fw_match *m, const char *dir)
{
    switch (m->kind) {
    case FW_M_NONE: return;
    case FW_M_VALUE: fprintf(out, "%s %s %u ", proto, dir, m->port_lo); return;
    case FW_M_RANGE: fprintf(out, "%s %s %u-%u ", proto, dir, m->port_lo, m->port_hi); return;
    case FW_M_ANON:
        fprintf(out, "%s %s ", proto, dir);
        print_elements(out, &m->anon);
        fputc(' ', out);
        return;
    case FW_M_SET: fprintf(out, "%s %s @%s ", proto, dir, m->set); return;
    }
}

static void render_ct_state(FILE *out, uint32_t state)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{POLICY_CT_INVALID, "invalid"},
                 {POLICY_CT_ESTABLISHED, "established"},
                 {POLICY_CT_RELATED, "related"},
                 {POLICY_CT_NEW, "new"},
                 {POLICY_CT_UNTRACKED, "untracked"}};
    if (!state)
        return;
    const char *sep = "";
    fputs("ct state ", out);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (state & names[i].bit)
            fprintf(out, "%s%s", sep, names[i].name), sep = ",";
    fputc(' ', out);
}

static void render_limit(FILE *out, const struct fw_rule *r)
{
    const struct fw_limit *l = &r->limit;
    if (l->kind == FW_L_NONE)
        return;
    if (l->kind == FW_L_METER)
        fprintf(out, "update @%s { %s saddr ", l->meter, r->family == AF_INET6 ? "ip6" : "ip");
    fprintf(out, "limit rate %s%u/%s ", l->over ? "over " : "", l->rate, l->unit);
    if (l->burst != FW_NFT_DEFAULT_BURST)
        fprintf(out, "burst %u packets ", l->burst);
    if (l->kind == FW_L_METER)
        fputs("} ", out);
}

const char *fw_reject_text(const struct fw_rule *r)
{
    if (r->proto == POLICY_PROTO_TCP)
        return "reject with tcp reset";
    if (r->family == AF_INET)
        return "reject with icmp port-unreachable";
    if (r->family == AF_INET6)
        return "reject with icmpv6 port-unreachable";
    return "reject";
}

void fw_render_rule(FILE *out, const struct fw_rule *r)
{
    char pbuf[32];
    if (r->raw) {
        fprintf(out, "# not written by rampart-fw: %s", r->raw);
        return;
    }
    if (r->iif)
        fprintf(out, "iifname \"%s\" ", r->iif);
    if (r->oif)
        fprintf(out, "oifname \"%s\" ", r->oif);
    if (r->has_skuid)
        fprintf(out, "meta skuid %u ", r->skuid); /* nft 1.0 prints the number */
    render_addr(out, r, &r->src, "saddr");
    render_addr(out, r, &r->dst, "daddr");
    if (r->sport.kind != FW_M_NONE || r->dport.kind != FW_M_NONE) {
        const char *p = r->proto == POLICY_PROTO_TCP ? "tcp" : "udp";
        render_ports(out, p, &r->sport, "sport");
        render_ports(out, p, &r->dport, "dport");
    } else if (r->icmp_type.kind == FW_M_ANON) {
        fputs(r->icmp_type.anon.key == FW_KEY_ICMP ? "icmp type " : "icmpv6 type ", out);
        print_elements(out, &r->icmp_type.anon);
        fputc(' ', out);
    } else if (r->proto >= 0) {
        fprintf(out, "meta l4proto %s ", proto_name(r->proto, pbuf, sizeof pbuf));
    }
    render_ct_state(out, r->ct_state);
    render_limit(out, r);
    if (r->counter)
        fprintf(out, "counter packets %llu bytes %llu ", (unsigned long long)r->packets,
                (unsigned long long)r->bytes);
    if (r->log_prefix)
        fprintf(out, "log prefix \"%s\" ", r->log_prefix);
    switch (r->verdict) {
    case FW_V_NONE: break;
    case FW_V_ACCEPT: fputs("accept ", out); break;
    case FW_V_DROP: fputs("drop ", out); break;
    case FW_V_REJECT: fprintf(out, "%s ", fw_reject_text(r)); break;
    }
    if (r->comment[0])
        fprintf(out, "comment \"%s\"", r->comment);
}

void fw_render(FILE *out, const struct fw_ruleset *rs)
{
    fprintf(out, "table inet %s {\n", FW_TABLE);
    for (size_t i = 0; i < rs->n_sets; i++) {
        render_set(out, &rs->sets[i]);
        fputc('\n', out);
    }
    for (int c = 0; c < POLICY_DIR_COUNT; c++) {
        const char *name = policy_dir_name((enum policy_dir)c);
        if (c)
            fputc('\n', out);
        fprintf(out, "\tchain %s {\n", name);
        fprintf(out, "\t\ttype filter hook %s priority filter; policy %s;\n", name,
                policy_verdict_name(rs->dflt[c]));
        for (size_t i = 0; i < rs->n_rules; i++) {
            if (rs->rules[i].chain != (enum policy_dir)c)
                continue;
            fputs("\t\t", out);
            fw_render_rule(out, &rs->rules[i]);
            fputc('\n', out);
        }
        fputs("\t}\n", out);
    }
    fputs("}\n", out);
}
