/*
 * t_netns: a network of the test's own, without root. The tests of code
 * that needs CAP_NET_ADMIN / CAP_NET_RAW (vip.c's rtnetlink address
 * changes, vrrp_node's raw and packet sockets) enter a user namespace in
 * which they are root, with a network namespace it owns; every link,
 * address and packet lives there and is gone when the test process ends.
 * The root namespace is never touched. Addresses come from 198.18.0.0/15
 * (and 2001:2::/48 for IPv6, its RFC 5180 counterpart).
 *
 *   t_netns_enter     once per process, single-threaded (a user namespace
 *                     cannot be entered by a process with threads): user +
 *                     network namespace, uid/gid mapped to ours, lo up
 *   t_netns_fresh     one more network namespace inside it, lo up: every
 *                     test starts on an empty network
 *   t_netns_stub_link a link that is up on its own: dummy, or where the
 *                     kernel has no dummy driver, a veth whose peer
 *                     (NAME + "p") is up too so the link has carrier
 *   t_netns_veth      a veth pair, both ends up
 *   t_netns_peer      a second network namespace for the far end of a
 *                     veth: another router, whose source addresses are
 *                     not local to ours (the kernel drops packets from a
 *                     local source as martians); t_netns_at_peer switches
 *                     the calling thread there and back (a socket keeps
 *                     the namespace it was opened in)
 *
 * When the machine forbids user namespaces (a sysctl, a seccomp filter),
 * t_netns_enter says why and the tests skip with that reason: never a
 * silent pass (T_NETNS_REQUIRE).
 *
 * The address checks read the kernel's own dump (RTM_GETADDR through
 * rtnl.c), not vip.c's: they judge vip.c, they do not repeat it. Names
 * carry t_netns_; not thread-safe.
 */
#ifndef RAMPART_TESTS_UNIT_HELPERS_T_NETNS_H
#define RAMPART_TESTS_UNIT_HELPERS_T_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define T_NETNS_WHY_MAX 256

/* Why the namespace could not be entered ("" when it was). */
extern char t_netns_why[T_NETNS_WHY_MAX];

/* 0: we are root of a fresh user + network namespace; -1: not permitted
 * here, t_netns_why says what refused. */
int t_netns_enter(void);
/* 0, or -1 with errno: a new network namespace, lo up. */
int t_netns_fresh(void);

/* In a test: skip it, saying why, when t_netns_enter failed. */
#define T_NETNS_REQUIRE()                                                                                    \
    do {                                                                                                     \
        if (t_netns_why[0]) {                                                                                \
            print_message("[  SKIP    ] no user + network namespace: %s\n", t_netns_why);                    \
            skip();                                                                                          \
        }                                                                                                    \
    } while (0)

/* Links: 0, or -errno (the kernel's refusal). */
int t_netns_stub_link(const char *name);
int t_netns_veth(const char *a, const char *b);
int t_netns_link_del(const char *name);
int t_netns_link_set_up(const char *name, bool up);
/* Moves `link` into a new network namespace, the peer's (lo up there
 * too), and gives it `cidr` there, up. The thread stays in ours. */
int t_netns_peer(const char *link, const char *cidr);
/* 0, or -1 with errno: the thread now is in the peer's namespace (true)
 * or back in ours (false). */
int t_netns_at_peer(bool peer);

/* Adds "198.18.0.1/24" or "2001:2::1/64" to `name` (IPv6 without DAD). */
int t_netns_addr_add(const char *name, const char *cidr);
int t_netns_addr_del(const char *name, const char *cidr);

/* The address `addr` ("198.18.0.100", "2001:2::10") on `name`: its prefix
 * length, or -1 when it is not there; *flags (may be NULL) gets its IFA_F_
 * flags. */
int t_netns_addr_prefix(const char *name, const char *addr, uint32_t *flags);
/* How many addresses of `family` (AF_INET, AF_INET6) `name` holds. */
int t_netns_addr_count(const char *name, int family);

#endif /* RAMPART_TESTS_UNIT_HELPERS_T_NETNS_H */
