/*
 * Unit tests for gateway/ha/vrrp_node.c: one VRRP instance on a real event
 * loop, with its real raw socket, packet sockets and addresses, in a user +
 * network namespace of the test's own (tests/unit/helpers/t_netns.h): no
 * root, and the root namespace is never touched.
 *
 * Each test gets a fresh network namespace with a veth pair: the node
 * runs on "vr0" (198.18.0.1/24), the test plays the other router on "vr1"
 * (198.18.0.2/24), which lives in a namespace of its own (t_netns_peer) as
 * another router would. The test reads the node's advertisements off vr1 and
 * checks them with vrrp_net_check4 as a peer would, and injects its own,
 * built with vrrp_net_build, through a VRRP socket of its own on vr1.
 * Intervals are short (100 ms adverts) and every wait is "eventually,
 * within T_WAIT_LONG_MS" (t_wait.h): nothing asserts how long it took.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"
#include "gateway/ha/vip.h"
#include "gateway/ha/vrrp_node.h"
#include "gateway/ha/vrrp_sock.h"
#include "tests/unit/helpers/t_log.h"
#include "tests/unit/helpers/t_netns.h"
#include "tests/unit/helpers/t_wait.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NODE_LINK  "vr0"
#define PEER_LINK  "vr1"
#define TRACK_LINK "trk0"
#define NODE_ADDR  "198.18.0.1"
#define PEER_ADDR  "198.18.0.2"
#define VIP        "198.18.0.100"
#define OTHER_VIP  "198.18.0.200"
#define VRID       51
#define PRIO       100
#define PENALTY    50
#define ADVERT_CS  10 /* 100 ms: Master_Down_Interval ~ 300 ms */
#define PEER_PRIO  200
#define ERR_MAX    256
#define PEER_BUF   VRRP_RECV_MAX

struct peer {
    int fd;
    unsigned ifindex;
    struct vrrp_addr self, vip, group;
    unsigned adverts; /* valid ones from the node, read so far */
    struct vrrp_advert last;
    int want_priority; /* -1: any */
    bool seen;         /* an advert with want_priority came */
    struct vrrp_net_stats stats;
};

struct fixture {
    struct loop *loop;
    struct config_vrrp cfg;
    struct vrrp_node *node;
    struct peer peer;
    enum vrrp_state want_state;
};

static struct fixture fx;

static struct vrrp_addr v4(const char *text)
{
    struct in_addr a;
    assert_int_equal(inet_pton(AF_INET, text, &a), 1);
    return vrrp_addr_v4(a.s_addr);
}

/* ---- set-up ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    t_netns_enter(); /* on failure every test skips, saying why */
    t_log_capture();
    return 0;
}

static bool links_up(void *arg)
{
    (void)arg;
    return vip_link_up(NODE_LINK) == 1 && vip_link_up(TRACK_LINK) == 1; /* vr0 has carrier: vr1 is up */
}

static void config(struct config_vrrp *c)
{
    config_vrrp_defaults(c, "t");
    snprintf(c->interface, sizeof c->interface, "%s", NODE_LINK);
    c->vrid = VRID;
    c->priority = PRIO;
    c->advert_interval_cs = ADVERT_CS;
    char why[PARSE_WHY_MAX];
    assert_int_equal(parse_ip(VIP, &c->vips[0].addr, why), 0);
    c->vips[0].len = 32;
    c->n_vips = 1;
    c->garp_count = 1;
    c->garp_repeat_delay_ms = 0;
    c->penalty_no_backend = PENALTY;
    c->penalty_interface_down = PENALTY;
}

static void peer_open(struct peer *p)
{
    char err[ERR_MAX];
    *p = (struct peer){.want_priority = -1};
    assert_int_equal(t_netns_at_peer(true), 0);
    p->fd = vrrp_sock_open(AF_INET, PEER_LINK, err, sizeof err);
    p->ifindex = if_nametoindex(PEER_LINK);
    assert_int_equal(t_netns_at_peer(false), 0);
    if (p->fd < 0)
        fail_msg("%s", err);
    p->self = v4(PEER_ADDR);
    p->vip = v4(VIP);
    p->group = v4(VRRP_GROUP_V4);
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    fx.peer.fd = -1;
    if (t_netns_why[0])
        return 0;
    assert_int_equal(t_netns_fresh(), 0);
    assert_int_equal(t_netns_veth(NODE_LINK, PEER_LINK), 0);
    assert_int_equal(t_netns_stub_link(TRACK_LINK), 0);
    assert_int_equal(t_netns_addr_add(NODE_LINK, NODE_ADDR "/24"), 0);
    assert_int_equal(t_netns_peer(PEER_LINK, PEER_ADDR "/24"), 0);
    assert_true(t_wait_sleep(links_up, NULL, T_WAIT_LONG_MS));
    assert_non_null(fx.loop = loop_new());
    config(&fx.cfg);
    peer_open(&fx.peer);
    t_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vrrp_node_free(fx.node);
    if (fx.peer.fd >= 0)
        close(fx.peer.fd);
    loop_free(fx.loop);
    return 0;
}

/* ---- the test's side of the link --------------------------------------------------- */

/* Reads every advertisement waiting on vr1 and checks it as a peer would. */
static void peer_read(struct peer *p)
{
    uint8_t buf[PEER_BUF];
    struct vrrp_rx6 meta;
    struct vrrp_expect exp = {
        .family = AF_INET, .vrid = VRID, .self = p->self, .addrs = &p->vip, .n_addrs = 1};
    for (;;) {
        ssize_t n = vrrp_sock_recv(p->fd, AF_INET, buf, sizeof buf, &meta);
        if (n <= 0)
            return;
        struct vrrp_advert adv;
        if (vrrp_net_check4(buf, (size_t)n, &exp, &adv, &p->stats) != VRRP_ACCEPT)
            continue;
        p->adverts++;
        p->last = adv;
        if (p->want_priority < 0 || adv.priority == p->want_priority)
            p->seen = true;
    }
}

/* From now on, wait for an advert carrying `priority` (-1: any). */
static void peer_expect(struct peer *p, int priority)
{
    peer_read(p); /* what came before does not count */
    p->want_priority = priority;
    p->seen = false;
}

static bool peer_seen(void *arg)
{
    struct peer *p = arg;
    peer_read(p);
    return p->seen;
}

/* The loop runs until the peer got the advert peer_expect asked for. */
static void wait_advert(struct fixture *f)
{
    if (!t_wait_loop(f->loop, peer_seen, &f->peer, T_WAIT_LONG_MS)) {
        t_log_dump();
        fail_msg("no advertisement with priority %d within %u ms (%u others)", f->peer.want_priority,
                 T_WAIT_LONG_MS, f->peer.adverts);
    }
}

/* One advertisement from vr1, as another router would send it. */
static void peer_send(struct peer *p, uint8_t priority, const struct vrrp_addr *addrs)
{
    struct vrrp_advert adv = {.family = AF_INET,
                              .vrid = VRID,
                              .priority = priority,
                              .interval_cs = ADVERT_CS,
                              .src = p->self,
                              .dst = p->group,
                              .n_addrs = 1};
    uint8_t msg[VRRP_PKT_MAX];
    size_t len = vrrp_net_build(msg, sizeof msg, &adv, addrs);
    assert_true(len > 0);
    assert_int_equal(vrrp_sock_send(p->fd, AF_INET, p->ifindex, &adv.src, &adv.dst, msg, len, &p->stats), 0);
}

/* ---- the node ---------------------------------------------------------------------- */

static void start(struct fixture *f)
{
    char err[ERR_MAX] = "";
    f->node = vrrp_node_start(f->loop, &f->cfg, NULL, err, sizeof err);
    if (!f->node)
        fail_msg("vrrp_node_start: %s", err);
}

static bool in_state(void *arg)
{
    struct fixture *f = arg;
    return vrrp_node_state(f->node) == f->want_state;
}

static void wait_state(struct fixture *f, enum vrrp_state s)
{
    f->want_state = s;
    if (!t_wait_loop(f->loop, in_state, f, T_WAIT_LONG_MS)) {
        t_log_dump();
        fail_msg("still %s, not %s, after %u ms", vrrp_node_state_name(f->node), vrrp_state_name(s),
                 T_WAIT_LONG_MS);
    }
}

static int vip_on_node_link(void)
{
    return t_netns_addr_prefix(NODE_LINK, VIP, NULL);
}

/* Started, health reported, no peer: Master after Master_Down_Interval. */
static void become_master(struct fixture *f)
{
    start(f);
    vrrp_node_backends_up(f->node, 1);
    wait_state(f, VRRP_STATE_MASTER);
}

/* ---- start -------------------------------------------------------------------------- */

/* A VIP left behind by a crash is removed at once; the node starts as
 * Backup, penalised until the relay reports its backends. */
static void test_start_cleans_leftover_vip(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    assert_int_equal(t_netns_addr_add(NODE_LINK, VIP "/32"), 0);
    start(&fx);
    assert_int_equal(vip_on_node_link(), -1);
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_BACKUP);
    assert_int_equal(vrrp_node_priority(fx.node), PRIO - PENALTY);
    assert_true(t_log_has("vrrp_start", "source=" NODE_ADDR));
    vrrp_node_backends_up(fx.node, 2);
    assert_int_equal(vrrp_node_priority(fx.node), PRIO);
}

static void test_start_refuses_bad_config(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    char err[ERR_MAX] = "";
    fx.cfg.vrid = 0;
    assert_null(vrrp_node_start(fx.loop, &fx.cfg, NULL, err, sizeof err));
    assert_non_null(strstr(err, "vrid 1-255"));
    config(&fx.cfg);
    snprintf(fx.cfg.interface, sizeof fx.cfg.interface, "nope0");
    assert_null(vrrp_node_start(fx.loop, &fx.cfg, NULL, err, sizeof err));
    assert_string_equal(err, "VIP interface 'nope0': No such device");
}

/* ---- Master and Backup -------------------------------------------------------------- */

/* No peer: Master after the master-down interval, the VIP on the link,
 * advertisements every interval from our primary address with our
 * priority, and a gratuitous ARP. */
static void test_master_without_peer(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    become_master(&fx);
    assert_int_equal(vip_on_node_link(), 32);
    assert_int_equal(vrrp_node_transitions(fx.node), 2); /* init -> backup -> master */
    assert_true(t_log_has("vrrp_state", "to=master"));
    peer_expect(&fx.peer, PRIO);
    wait_advert(&fx);
    wait_advert(&fx); /* and again: the Adver_Timer runs */
    struct vrrp_advert *a = &fx.peer.last;
    struct vrrp_addr node_addr = v4(NODE_ADDR);
    assert_int_equal(vrrp_addr_cmp(&a->src, &node_addr), 0);
    assert_int_equal(a->vrid, VRID);
    assert_int_equal(a->interval_cs, ADVERT_CS);
    assert_int_equal(a->n_addrs, 1);
    assert_true(vrrp_node_stats(fx.node)->tx >= 2);
    uint64_t ours, behalf;
    vrrp_node_announced(fx.node, &ours, &behalf);
    assert_true(ours >= 1);
    assert_int_equal(behalf, 0);
}

/* A better Master speaks: the node yields and gives up the VIP; when that
 * Master falls silent the node takes over again. */
static void test_backup_on_better_advert(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    become_master(&fx);
    peer_send(&fx.peer, PEER_PRIO, &fx.peer.vip);
    wait_state(&fx, VRRP_STATE_BACKUP);
    assert_int_equal(vip_on_node_link(), -1);
    assert_true(t_log_has("vrrp_state", "higher-priority master heard"));
    assert_true(vrrp_node_stats(fx.node)->rx_ok >= 1);
    struct ip_addr seen[CONFIG_MAX_PEERS];
    assert_int_equal(vrrp_node_peers_seen(fx.node, seen, CONFIG_MAX_PEERS), 1);
    char text[INET_ADDRSTRLEN];
    assert_string_equal(inet_ntop(AF_INET, &seen[0].u.v4, text, sizeof text), PEER_ADDR);

    wait_state(&fx, VRRP_STATE_MASTER); /* the peer said nothing more */
    assert_int_equal(vip_on_node_link(), 32);
}

/* An advert whose address list differs from ours is dropped and counted,
 * logged the first time only: the Master stays Master. */
struct drops {
    struct fixture *f;
    uint64_t want;
};

static bool dropped(void *arg)
{
    struct drops *d = arg;
    return vrrp_node_stats(d->f->node)->drops[VRRP_DROP_ADDRS] >= d->want;
}

static void test_advert_with_other_addresses_dropped(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    become_master(&fx);
    struct vrrp_addr other = v4(OTHER_VIP);
    struct drops d = {.f = &fx, .want = 1};
    peer_send(&fx.peer, PEER_PRIO, &other);
    assert_true(t_wait_loop(fx.loop, dropped, &d, T_WAIT_LONG_MS));
    peer_send(&fx.peer, PEER_PRIO, &other);
    d.want = 2;
    assert_true(t_wait_loop(fx.loop, dropped, &d, T_WAIT_LONG_MS));
    peer_expect(&fx.peer, PRIO);
    wait_advert(&fx);                                              /* the node goes on advertising ... */
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_MASTER); /* ... and never yielded */
    assert_int_equal(vip_on_node_link(), 32);
    assert_int_equal(vrrp_node_stats(fx.node)->drops[VRRP_DROP_ADDRS], 2);
    assert_int_equal(t_log_count("vrrp_advert_dropped", "reason=addresses"), 1);
    struct ip_addr seen[CONFIG_MAX_PEERS];
    assert_int_equal(vrrp_node_peers_seen(fx.node, seen, CONFIG_MAX_PEERS), 0);
}

/* ---- priority: relay and tracked links ---------------------------------------------- */

/* No relay: priority 0 on the wire at once, the VIP given up; the relay
 * back: normal priority and, with no one else, Master again. */
static void test_relay_lost_sends_priority_zero(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    become_master(&fx);
    peer_expect(&fx.peer, VRRP_PRIO_STOP);
    vrrp_node_relay_lost(fx.node);
    assert_int_equal(vrrp_node_priority(fx.node), VRRP_PRIO_STOP);
    wait_advert(&fx);
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_BACKUP);
    assert_int_equal(vip_on_node_link(), -1);
    assert_true(t_log_has("vrrp_priority", "relay=lost"));

    vrrp_node_relay_back(fx.node);
    assert_int_equal(vrrp_node_priority(fx.node), PRIO);
    peer_expect(&fx.peer, PRIO);
    wait_state(&fx, VRRP_STATE_MASTER);
    wait_advert(&fx);
}

/* A tracked link going down costs penalty_interface_down, advertised at
 * once; back up, the priority is restored. */
static void test_tracked_link_lowers_priority(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    snprintf(fx.cfg.track_interfaces[0], sizeof fx.cfg.track_interfaces[0], "%s", TRACK_LINK);
    fx.cfg.n_track_interfaces = 1;
    become_master(&fx);
    assert_int_equal(t_netns_link_set_up(TRACK_LINK, false), 0);
    peer_expect(&fx.peer, PRIO - PENALTY);
    vrrp_node_link_event(fx.node, LINK_WATCH_LINK, if_nametoindex(TRACK_LINK));
    assert_int_equal(vrrp_node_priority(fx.node), PRIO - PENALTY);
    wait_advert(&fx);
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_MASTER); /* no one better */

    assert_int_equal(t_netns_link_set_up(TRACK_LINK, true), 0);
    assert_true(t_wait_sleep(links_up, NULL, T_WAIT_LONG_MS));
    peer_expect(&fx.peer, PRIO);
    vrrp_node_link_event(fx.node, LINK_WATCH_LINK, if_nametoindex(TRACK_LINK));
    assert_int_equal(vrrp_node_priority(fx.node), PRIO);
    wait_advert(&fx);
}

/* ---- link events ---------------------------------------------------------------------- */

/* Our link down: Initialize, silently, the VIP removed; up again: Backup,
 * then Master. */
static void test_own_link_down_and_up(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    become_master(&fx);
    unsigned ifindex = if_nametoindex(NODE_LINK);
    assert_int_equal(t_netns_link_set_up(NODE_LINK, false), 0);
    vrrp_node_link_event(fx.node, LINK_WATCH_LINK, ifindex);
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_INIT);
    assert_int_equal(vip_on_node_link(), -1);
    assert_true(t_log_has("vrrp_state", "interface down"));

    assert_int_equal(t_netns_link_set_up(NODE_LINK, true), 0);
    assert_true(t_wait_sleep(links_up, NULL, T_WAIT_LONG_MS));
    vrrp_node_link_event(fx.node, LINK_WATCH_LINK, ifindex);
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_BACKUP);
    wait_state(&fx, VRRP_STATE_MASTER);
    assert_int_equal(vip_on_node_link(), 32);
}

/* No address to send from: the machine waits in Initialize; the address
 * arrives (an address event): it starts. */
static void test_waits_for_an_address(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    assert_int_equal(t_netns_addr_del(NODE_LINK, NODE_ADDR "/24"), 0);
    start(&fx);
    vrrp_node_backends_up(fx.node, 1);
    t_wait_run_for(fx.loop, 3 * ADVERT_CS * 10);
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_INIT);
    assert_true(t_log_has("vrrp_start", "source=\"none yet\""));

    assert_int_equal(t_netns_addr_add(NODE_LINK, NODE_ADDR "/24"), 0);
    vrrp_node_link_event(fx.node, LINK_WATCH_ADDR, if_nametoindex(NODE_LINK));
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_BACKUP);
    wait_state(&fx, VRRP_STATE_MASTER);
}

/* ---- leaving ------------------------------------------------------------------------- */

/* Leave: priority 0 on the wire, the VIP removed, Initialize; then the
 * node takes no further part (events and priority changes change nothing). */
static void test_leave_removes_vips(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    become_master(&fx);
    peer_expect(&fx.peer, VRRP_PRIO_STOP);
    vrrp_node_leave(fx.node);
    wait_advert(&fx);
    assert_int_equal(vip_on_node_link(), -1);
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_INIT);
    assert_true(t_log_has("vrrp_state", "reason=shutdown"));

    unsigned adverts = fx.peer.adverts;
    uint64_t tx = vrrp_node_stats(fx.node)->tx;
    vrrp_node_relay_lost(fx.node);
    vrrp_node_link_event(fx.node, LINK_WATCH_RESYNC, 0);
    vrrp_node_leave(fx.node); /* safe twice */
    t_wait_run_for(fx.loop, 5 * ADVERT_CS * 10);
    peer_read(&fx.peer);
    assert_int_equal(fx.peer.adverts, adverts);
    assert_int_equal(vrrp_node_stats(fx.node)->tx, tx);
    assert_int_equal(vrrp_node_state(fx.node), VRRP_STATE_INIT);
    assert_int_equal(vip_on_node_link(), -1);
}

/* What the guard does for a parent killed with SIGKILL, from the
 * description alone: priority 0 from our address, then the VIP removed. */
static void test_describe_and_stand_down(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    become_master(&fx);
    struct vrrp_node_desc d;
    vrrp_node_describe(fx.node, &d);
    assert_true(d.master);
    assert_true(d.have_source);
    assert_string_equal(d.interface, NODE_LINK);
    assert_int_equal(d.vrid, VRID);
    assert_int_equal(d.n_vips, 1);
    assert_int_equal(d.n_dst, 1);
    assert_int_equal(vrrp_addr_cmp(&d.dst[0], &fx.peer.group), 0);

    peer_expect(&fx.peer, VRRP_PRIO_STOP);
    char err[ERR_MAX] = "";
    assert_int_equal(vrrp_node_desc_stand_down(&d, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_true(t_wait_sleep(peer_seen, &fx.peer, T_WAIT_LONG_MS)); /* the node's loop stands still */
    struct vrrp_addr node_addr = v4(NODE_ADDR);
    assert_int_equal(vrrp_addr_cmp(&fx.peer.last.src, &node_addr), 0);
    assert_int_equal(vip_on_node_link(), -1);
}

/* ---- IPv6 ------------------------------------------------------------------------------ */

#define VIP6 "2001:2::100"

struct v6_wait {
    struct fixture *f;
    int fd;
    bool seen;
    struct vrrp_advert adv;
};

/* Until the link-local address passed DAD the node waits in Initialize;
 * link_watch.c would report the address event, the test does. */
static bool v6_started(void *arg)
{
    struct v6_wait *w = arg;
    vrrp_node_link_event(w->f->node, LINK_WATCH_ADDR, if_nametoindex(NODE_LINK));
    return vrrp_node_state(w->f->node) == VRRP_STATE_MASTER;
}

static bool v6_advert(void *arg)
{
    struct v6_wait *w = arg;
    uint8_t buf[PEER_BUF];
    struct vrrp_rx6 meta;
    struct vrrp_addr vip;
    assert_int_equal(inet_pton(AF_INET6, VIP6, vip.b), 1);
    struct vrrp_expect exp = {.family = AF_INET6, .vrid = VRID, .addrs = &vip, .n_addrs = 1};
    struct vrrp_net_stats st = {0};
    for (ssize_t n; (n = vrrp_sock_recv(w->fd, AF_INET6, buf, sizeof buf, &meta)) > 0;)
        if (vrrp_net_check6(buf, (size_t)n, &meta, &exp, &w->adv, &st) == VRRP_ACCEPT)
            w->seen = true;
    return w->seen;
}

/* An IPv6 instance: Master once its link-local address is usable, the
 * VIP on the link, advertisements to ff02::12 from that link-local
 * address, valid by RFC 5798's checks (hop limit 255 included). */
static void test_ipv6_master_adverts_from_link_local(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    char why[PARSE_WHY_MAX], err[ERR_MAX];
    assert_int_equal(parse_ip(VIP6, &fx.cfg.vips[0].addr, why), 0);
    fx.cfg.vips[0].len = 128;
    assert_int_equal(t_netns_at_peer(true), 0);
    struct v6_wait w = {.f = &fx, .fd = vrrp_sock_open(AF_INET6, PEER_LINK, err, sizeof err)};
    assert_int_equal(t_netns_at_peer(false), 0);
    if (w.fd < 0)
        fail_msg("%s", err);
    start(&fx);
    assert_int_equal(vrrp_node_family(fx.node), AF_INET6);
    vrrp_node_backends_up(fx.node, 1);
    assert_true(t_wait_loop(fx.loop, v6_started, &w, T_WAIT_LONG_MS));
    assert_int_equal(t_netns_addr_prefix(NODE_LINK, VIP6, NULL), 128);
    assert_true(t_wait_loop(fx.loop, v6_advert, &w, T_WAIT_LONG_MS));
    close(w.fd);
    assert_int_equal(w.adv.priority, PRIO);
    assert_int_equal(w.adv.src.b[0], 0xfe);
    assert_int_equal(w.adv.src.b[1] & 0xc0, 0x80); /* fe80::/10 */
    struct vrrp_node_desc d;
    vrrp_node_describe(fx.node, &d);
    assert_int_equal(vrrp_addr_cmp(&d.source, &w.adv.src), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_cleans_leftover_vip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_refuses_bad_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master_without_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_on_better_advert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_advert_with_other_addresses_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relay_lost_sends_priority_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracked_link_lowers_priority, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_link_down_and_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waits_for_an_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leave_removes_vips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_and_stand_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_master_adverts_from_link_local, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
