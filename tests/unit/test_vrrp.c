/* Unit tests for gateway/ha/vrrp.c: the RFC 5798 state machine on virtual time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/vrrp.h"

#include <arpa/inet.h>
#include <string.h>

#define ADV_CS 100         /* 1 s advertisements, the RFC default */
#define ADDR_A 0xC6120001u /* 198.18.0.1 */
#define ADDR_B 0xC6120002u /* 198.18.0.2 */
#define T0     1000000u    /* virtual time starts far from 0: 0 means "no timer" */

/* An IPv4 address given in host order, as the machine takes it. */
static struct vrrp_addr addr4(uint32_t host)
{
    return vrrp_addr_v4(htonl(host));
}

static struct vrrp_config cfg_of(uint8_t prio, uint32_t addr, bool preempt)
{
    return (struct vrrp_config){
        .vrid = 51, .priority = prio, .advert_cs = ADV_CS, .preempt = preempt, .primary = addr4(addr)};
}

static struct vrrp_actions ev_simple(struct vrrp *v, enum vrrp_event_type t, uint64_t now)
{
    struct vrrp_event ev = {.type = t};
    return vrrp_step(v, &ev, now);
}

static struct vrrp_actions ev_advert(struct vrrp *v, uint8_t prio, uint32_t src, uint64_t now)
{
    struct vrrp_event ev = {
        .type = VRRP_EV_ADVERT, .priority = prio, .interval_cs = ADV_CS, .src = addr4(src)};
    return vrrp_step(v, &ev, now);
}

static struct vrrp_actions ev_prio(struct vrrp *v, uint8_t prio, uint64_t now)
{
    struct vrrp_event ev = {.type = VRRP_EV_PRIORITY, .priority = prio};
    return vrrp_step(v, &ev, now);
}

/* A started Backup with priority `prio`, at T0. */
static struct vrrp_actions start(struct vrrp *v, uint8_t prio, bool preempt)
{
    struct vrrp_config c = cfg_of(prio, ADDR_A, preempt);
    vrrp_init(v, &c);
    return ev_simple(v, VRRP_EV_STARTUP, T0);
}

/* A Master with priority `prio` (took over when its timer ran out). */
static uint64_t start_master(struct vrrp *v, uint8_t prio)
{
    struct vrrp_actions a = start(v, prio, true);
    uint64_t t = a.next_timer_at;
    a = ev_simple(v, VRRP_EV_TIMER, t);
    assert_int_equal(v->state, VRRP_STATE_MASTER);
    return t;
}

/* ---- timers (RFC 5798 6.1) ---- */

static void test_skew_and_master_down(void **state)
{
    (void)state;
    /* (256-100)*100/256 = 60.9 cs -> 609 ms; 3*1000 + 609 */
    assert_int_equal(vrrp_skew_ms(100, 100), 609);
    assert_int_equal(vrrp_master_down_ms(100, 100), 3609);
    /* priority 254 barely skews; priority 1 almost a whole interval */
    assert_int_equal(vrrp_skew_ms(254, 100), 7);
    assert_int_equal(vrrp_skew_ms(1, 100), 996);
    /* 100 ms adverts, the bench setting */
    assert_int_equal(vrrp_master_down_ms(200, 10), 321);
}

static void test_interval_boundaries(void **state)
{
    (void)state;
    assert_int_equal(vrrp_master_down_ms(1, VRRP_ADVER_MAX_CS), 3 * 40950 + 40790);
    assert_int_equal(vrrp_master_down_ms(254, VRRP_ADVER_MIN_CS), 30);
}

static void test_penalised_priority_bounds(void **state)
{
    (void)state;
    assert_int_equal(vrrp_penalised_priority(200, 0), 200);
    assert_int_equal(vrrp_penalised_priority(200, 50), 150);
    assert_int_equal(vrrp_penalised_priority(200, 199), 1);
    assert_int_equal(vrrp_penalised_priority(200, 200), VRRP_PRIO_MIN); /* never 0: that is leaving */
    assert_int_equal(vrrp_penalised_priority(200, 254 * 8), VRRP_PRIO_MIN);
    assert_int_equal(vrrp_penalised_priority(VRRP_PRIO_OWNER, 0), VRRP_PRIO_OWNER);
    assert_int_equal(vrrp_penalised_priority(VRRP_PRIO_OWNER, 1), 253); /* no longer the owner */
    assert_int_equal(vrrp_penalised_priority(1, 0), 1);
    assert_int_equal(vrrp_penalised_priority(1, 1), 1);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(vrrp_state_name(VRRP_STATE_INIT), "init");
    assert_string_equal(vrrp_state_name(VRRP_STATE_BACKUP), "backup");
    assert_string_equal(vrrp_state_name(VRRP_STATE_MASTER), "master");
}

/* ---- Initialize ---- */

static void test_init_is_idle(void **state)
{
    (void)state;
    struct vrrp v;
    struct vrrp_config c = cfg_of(100, ADDR_A, true);
    vrrp_init(&v, &c);
    assert_int_equal(v.state, VRRP_STATE_INIT);
    struct vrrp_actions a = ev_simple(&v, VRRP_EV_TIMER, T0);
    assert_false(a.send_advert);
    assert_int_equal(a.next_timer_at, 0);
    a = ev_advert(&v, 200, ADDR_B, T0); /* adverts are ignored before start-up */
    assert_int_equal(v.state, VRRP_STATE_INIT);
    assert_int_equal(a.next_timer_at, 0);
}

static void test_startup_backup(void **state)
{
    (void)state;
    struct vrrp v;
    struct vrrp_actions a = start(&v, 100, true);
    assert_int_equal(v.state, VRRP_STATE_BACKUP);
    assert_false(a.send_advert);
    assert_false(a.add_vips);
    assert_int_equal(a.next_timer_at, T0 + 3609);
}

static void test_startup_owner_is_master(void **state)
{
    (void)state;
    struct vrrp v;
    struct vrrp_actions a = start(&v, VRRP_PRIO_OWNER, true);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
    assert_true(a.send_advert);
    assert_int_equal(a.advert_priority, 255);
    assert_true(a.add_vips);
    assert_true(a.send_garp);
    assert_int_equal(a.next_timer_at, T0 + 1000);
}

static void test_startup_twice_ignored(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 100, true);
    struct vrrp_actions a = ev_simple(&v, VRRP_EV_STARTUP, T0 + 500);
    assert_int_equal(a.next_timer_at, T0 + 3609); /* the running timer is kept */
}

/* ---- Backup ---- */

static void test_backup_takes_over_when_master_down(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 100, true);
    struct vrrp_actions a = ev_simple(&v, VRRP_EV_TIMER, T0 + 3608); /* early wake-up */
    assert_int_equal(v.state, VRRP_STATE_BACKUP);
    assert_int_equal(a.next_timer_at, T0 + 3609);
    a = ev_simple(&v, VRRP_EV_TIMER, T0 + 3609);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
    assert_int_equal(a.old_state, VRRP_STATE_BACKUP);
    assert_true(a.send_advert && a.add_vips && a.send_garp);
    assert_int_equal(a.advert_priority, 100);
    assert_int_equal(a.next_timer_at, T0 + 3609 + 1000);
}

static void test_backup_advert_resets_timer(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 100, true);
    struct vrrp_actions a = ev_advert(&v, 200, ADDR_B, T0 + 3000);
    assert_int_equal(v.state, VRRP_STATE_BACKUP);
    assert_false(a.send_advert);
    assert_false(a.announce_master); /* a Backup pulled no clients */
    assert_int_equal(a.next_timer_at, T0 + 3000 + 3609);
}

static void test_backup_learns_master_interval(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 100, true);
    struct vrrp_event ev = {.type = VRRP_EV_ADVERT, .priority = 200, .interval_cs = 10, .src = addr4(ADDR_B)};
    struct vrrp_actions a = vrrp_step(&v, &ev, T0);
    assert_int_equal(v.master_adver_cs, 10);
    assert_int_equal(a.next_timer_at, T0 + vrrp_master_down_ms(100, 10));
}

static void test_backup_priority0_takes_over_after_skew(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 100, true);
    ev_advert(&v, 200, ADDR_B, T0 + 100);
    struct vrrp_actions a = ev_advert(&v, VRRP_PRIO_STOP, ADDR_B, T0 + 200);
    assert_int_equal(a.next_timer_at, T0 + 200 + 609);
    a = ev_simple(&v, VRRP_EV_TIMER, a.next_timer_at);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
}

static void test_backup_without_preempt_stays(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 200, false);
    uint64_t t = T0;
    for (int i = 0; i < 10; i++) {
        t += 1000;
        struct vrrp_actions a = ev_advert(&v, 100, ADDR_B, t);
        assert_int_equal(a.next_timer_at, t + vrrp_master_down_ms(200, ADV_CS));
        ev_simple(&v, VRRP_EV_TIMER, t + 999);
        assert_int_equal(v.state, VRRP_STATE_BACKUP);
    }
}

static void test_backup_preempts_lower_master(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 200, true);
    uint64_t down = T0 + vrrp_master_down_ms(200, ADV_CS);
    /* lower adverts are discarded: they do not push the timer back */
    struct vrrp_actions a = ev_advert(&v, 100, ADDR_B, T0 + 1000);
    assert_int_equal(a.next_timer_at, down);
    ev_advert(&v, 100, ADDR_B, T0 + 2000);
    ev_advert(&v, 100, ADDR_B, T0 + 3000);
    a = ev_simple(&v, VRRP_EV_TIMER, down);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
    assert_true(a.add_vips);
}

static void test_backup_preempt_delay(void **state)
{
    (void)state;
    struct vrrp v;
    struct vrrp_config c = cfg_of(200, ADDR_A, true);
    c.preempt_delay_ms = 5000;
    vrrp_init(&v, &c);
    ev_simple(&v, VRRP_EV_STARTUP, T0);
    uint64_t t = T0, md = vrrp_master_down_ms(200, ADV_CS);
    struct vrrp_actions a;
    /* during the delay, the lower Master counts as alive */
    for (t = T0 + 1000; t < T0 + 6000; t += 1000) {
        a = ev_advert(&v, 100, ADDR_B, t);
        assert_int_equal(a.next_timer_at, t + md);
    }
    /* delay over (started at T0+1000): adverts are discarded */
    a = ev_advert(&v, 100, ADDR_B, T0 + 6000);
    assert_int_equal(a.next_timer_at, T0 + 5000 + md);
    a = ev_simple(&v, VRRP_EV_TIMER, T0 + 5000 + md);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
}

static void test_backup_equal_priority_no_preempt(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 100, true); /* our address ADDR_A is lower than ... */
    struct vrrp_actions a = ev_advert(&v, 100, 0x01010101u, T0 + 1000); /* ... and higher */
    assert_int_equal(a.next_timer_at, T0 + 1000 + 3609);
    a = ev_advert(&v, 100, 0x01010101u, T0 + 2000);
    assert_int_equal(a.next_timer_at, T0 + 2000 + 3609); /* equal: never preempts */
}

/* ---- Master ---- */

static void test_master_advertises_periodically(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 100);
    for (int i = 1; i <= 3; i++) {
        struct vrrp_actions a = ev_simple(&v, VRRP_EV_TIMER, t + 1000u * i);
        assert_true(a.send_advert);
        assert_false(a.send_garp);
        assert_int_equal(a.advert_priority, 100);
        assert_int_equal(a.next_timer_at, t + 1000u * (i + 1));
    }
}

static void test_master_yields_to_higher(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 100);
    struct vrrp_actions a = ev_advert(&v, 150, ADDR_B, t + 10);
    assert_int_equal(v.state, VRRP_STATE_BACKUP);
    assert_true(a.del_vips);
    assert_false(a.send_advert);
    assert_int_equal(a.next_timer_at, t + 10 + 3609);
    assert_true(a.announce_master); /* clients may still be on our MAC */
    struct vrrp_addr b = addr4(ADDR_B);
    assert_memory_equal(&a.master_addr, &b, sizeof b);
}

static void test_master_equal_priority_higher_address_wins(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 100);                         /* ADDR_A = 198.18.0.1 */
    struct vrrp_actions a = ev_advert(&v, 100, ADDR_B, t + 10); /* 198.18.0.2 */
    assert_int_equal(v.state, VRRP_STATE_BACKUP);
    assert_true(a.del_vips);
}

static void test_master_equal_priority_lower_address_loses(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 100);
    struct vrrp_actions a = ev_advert(&v, 100, 0xC6000001u, t + 10); /* 198.0.0.1 < ours */
    assert_int_equal(v.state, VRRP_STATE_MASTER);
    assert_true(a.send_advert);
    assert_true(a.send_garp);
}

static void test_master_answers_lower_master_at_once(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 200);
    struct vrrp_actions a = ev_advert(&v, 100, ADDR_B, t + 300);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
    assert_true(a.send_advert);
    assert_int_equal(a.advert_priority, 200);
    assert_true(a.send_garp);
    assert_false(a.del_vips);
    assert_int_equal(a.next_timer_at, t + 300 + 1000); /* the cycle restarts from the answer */
    /* within one Master_Down_Interval: answer again, but no ARP storm */
    a = ev_advert(&v, 100, ADDR_B, t + 1300);
    assert_true(a.send_advert);
    assert_false(a.send_garp);
    /* later, the other Master is still there: ARPs again */
    uint64_t later = t + 300 + vrrp_master_down_ms(200, ADV_CS);
    a = ev_advert(&v, 100, ADDR_B, later);
    assert_true(a.send_garp);
}

static void test_master_hears_priority0(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 100);
    struct vrrp_actions a = ev_advert(&v, VRRP_PRIO_STOP, ADDR_B, t + 500);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
    assert_true(a.send_advert);
    assert_false(a.send_garp);
    assert_int_equal(a.next_timer_at, t + 1500);
}

static void test_master_shutdown_sends_priority0(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 100);
    struct vrrp_actions a = ev_simple(&v, VRRP_EV_SHUTDOWN, t + 100);
    assert_int_equal(v.state, VRRP_STATE_INIT);
    assert_true(a.send_advert);
    assert_int_equal(a.advert_priority, VRRP_PRIO_STOP);
    assert_true(a.del_vips);
    assert_int_equal(a.next_timer_at, 0);
}

static void test_backup_shutdown_is_silent(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 100, true);
    struct vrrp_actions a = ev_simple(&v, VRRP_EV_SHUTDOWN, T0 + 100);
    assert_int_equal(v.state, VRRP_STATE_INIT);
    assert_false(a.send_advert);
    assert_false(a.del_vips);
    assert_int_equal(a.next_timer_at, 0);
}

static void test_interface_down_and_up(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 100);
    struct vrrp_actions a = ev_simple(&v, VRRP_EV_IF_DOWN, t + 100);
    assert_int_equal(v.state, VRRP_STATE_INIT);
    assert_false(a.send_advert); /* the link is gone: nothing to send on */
    assert_true(a.del_vips);
    assert_string_equal(a.why, "interface down");
    a = ev_simple(&v, VRRP_EV_STARTUP, t + 5000);
    assert_int_equal(v.state, VRRP_STATE_BACKUP);
    assert_int_equal(a.next_timer_at, t + 5000 + 3609);
}

/* ---- priority from health and the relay ---- */

static void test_master_priority_drop_announced(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 200);
    struct vrrp_actions a = ev_prio(&v, 150, t + 400);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
    assert_true(a.send_advert);
    assert_int_equal(a.advert_priority, 150);
    a = ev_prio(&v, 150, t + 500); /* unchanged: nothing to say */
    assert_false(a.send_advert);
}

static void test_master_priority0_stands_down(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 200);
    struct vrrp_actions a = ev_prio(&v, VRRP_PRIO_STOP, t + 400);
    assert_int_equal(v.state, VRRP_STATE_BACKUP);
    assert_true(a.send_advert);
    assert_int_equal(a.advert_priority, VRRP_PRIO_STOP);
    assert_true(a.del_vips);
    assert_false(a.announce_master);      /* who takes over is not known yet */
    assert_int_equal(a.next_timer_at, 0); /* never takes over while standing down */
    a = ev_advert(&v, 100, ADDR_B, t + 1000);
    assert_int_equal(a.next_timer_at, 0);
    a = ev_advert(&v, VRRP_PRIO_STOP, ADDR_B, t + 2000);
    assert_int_equal(a.next_timer_at, 0);
}

static void test_backup_priority_restored_rearms(void **state)
{
    (void)state;
    struct vrrp v;
    uint64_t t = start_master(&v, 200);
    ev_prio(&v, VRRP_PRIO_STOP, t);
    struct vrrp_actions a = ev_prio(&v, 200, t + 300);
    assert_int_equal(a.next_timer_at, t + 300 + vrrp_master_down_ms(200, ADV_CS));
    a = ev_simple(&v, VRRP_EV_TIMER, a.next_timer_at);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
}

static void test_backup_priority0_disarms(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 100, true);
    struct vrrp_actions a = ev_prio(&v, VRRP_PRIO_STOP, T0 + 10);
    assert_int_equal(v.state, VRRP_STATE_BACKUP);
    assert_int_equal(a.next_timer_at, 0);
    assert_false(a.send_advert);
}

/* The start-up case of the failover harness: penalised until the first
 * health report (200 - 50), then the final priority. The first
 * Master_Down_Timer must end with the skew of 200, counted from start-up. */
static void test_backup_priority_change_retimes_master_down(void **state)
{
    (void)state;
    struct vrrp v;
    struct vrrp_actions a = start(&v, 150, true);
    assert_int_equal(a.next_timer_at, T0 + vrrp_master_down_ms(150, ADV_CS));
    a = ev_prio(&v, 200, T0 + 50);
    assert_int_equal(a.next_timer_at, T0 + vrrp_master_down_ms(200, ADV_CS));
    assert_false(a.send_advert);
    a = ev_prio(&v, 150, T0 + 60); /* and back: the longer skew again */
    assert_int_equal(a.next_timer_at, T0 + vrrp_master_down_ms(150, ADV_CS));
}

/* After a Master's priority 0, a Backup waits Skew_Time only: a priority
 * change re-times that, still from when the priority 0 came. */
static void test_backup_priority_change_retimes_skew(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 100, true);
    ev_advert(&v, 250, ADDR_B, T0 + 100);
    struct vrrp_actions a = ev_advert(&v, VRRP_PRIO_STOP, ADDR_B, T0 + 200);
    assert_int_equal(a.next_timer_at, T0 + 200 + vrrp_skew_ms(100, ADV_CS));
    a = ev_prio(&v, 200, T0 + 210);
    assert_int_equal(a.next_timer_at, T0 + 200 + vrrp_skew_ms(200, ADV_CS));
}

/* A re-timed timer that already ran out fires at once: no wait appears
 * out of a priority change. */
static void test_backup_retimed_into_the_past_fires(void **state)
{
    (void)state;
    struct vrrp v;
    start(&v, 1, true);
    uint64_t at = T0 + vrrp_master_down_ms(254, ADV_CS) + 100; /* before priority 1's expiry */
    struct vrrp_actions a = ev_prio(&v, 254, at);
    assert_true(a.next_timer_at <= at);
    a = ev_simple(&v, VRRP_EV_TIMER, at);
    assert_int_equal(v.state, VRRP_STATE_MASTER);
}

/* IPv6: equal priorities are broken by the link-local addresses, compared
 * as 128-bit numbers. */
static void test_ipv6_tie_break(void **state)
{
    (void)state;
    struct vrrp_config c = cfg_of(100, 0, true);
    assert_int_equal(inet_pton(AF_INET6, "fe80::2", c.primary.b), 1);
    struct vrrp v;
    vrrp_init(&v, &c);
    ev_simple(&v, VRRP_EV_STARTUP, T0);
    ev_simple(&v, VRRP_EV_TIMER, T0 + vrrp_master_down_ms(100, ADV_CS));
    assert_int_equal(v.state, VRRP_STATE_MASTER);
    struct vrrp_event ev = {.type = VRRP_EV_ADVERT, .priority = 100, .interval_cs = ADV_CS};
    assert_int_equal(inet_pton(AF_INET6, "fe80::1", ev.src.b), 1);
    struct vrrp_actions a = vrrp_step(&v, &ev, T0 + 5000);
    assert_int_equal(v.state, VRRP_STATE_MASTER); /* fe80::2 > fe80::1 */
    assert_true(a.send_advert);
    assert_int_equal(inet_pton(AF_INET6, "fe80::1:0:0:0", ev.src.b), 1); /* higher in a middle word */
    a = vrrp_step(&v, &ev, T0 + 5010);
    assert_int_equal(v.state, VRRP_STATE_BACKUP);
    assert_memory_equal(&a.master_addr, &ev.src, sizeof ev.src);
}

static void test_addr_v4_mapping(void **state)
{
    (void)state;
    struct vrrp_addr a = vrrp_addr_v4(htonl(0xC6120001u));
    uint8_t want[16] = {[10] = 0xff, [11] = 0xff, [12] = 198, [13] = 18, [14] = 0, [15] = 1};
    assert_memory_equal(a.b, want, 16);
    assert_int_equal(vrrp_addr_to_v4(&a), htonl(0xC6120001u));
    struct vrrp_addr b = addr4(0xC6120002u);
    assert_true(vrrp_addr_cmp(&a, &b) < 0);
    assert_true(vrrp_addr_cmp(&b, &a) > 0);
    assert_int_equal(vrrp_addr_cmp(&a, &a), 0);
}

/* ---- two routers on virtual time ---- */

#define SIM_QUEUE 16

struct sim {
    struct vrrp n[2];
    bool link[2][2]; /* link[from][to]: adverts get through */
    uint64_t timer[2];
    bool vips[2];
    int last_garp; /* whose ARPs clients followed last (-1: none) */
    unsigned adverts[2];
    struct vrrp_event queue[SIM_QUEUE];
    int queue_to[SIM_QUEUE];
    unsigned nq;
    uint64_t now;
};

static void sim_apply(struct sim *s, int i, struct vrrp_actions a)
{
    s->timer[i] = a.next_timer_at;
    if (a.add_vips)
        s->vips[i] = true;
    if (a.del_vips)
        s->vips[i] = false;
    if (a.send_garp)
        s->last_garp = i;
    if (a.announce_master) /* ARPs naming the other router (ARP itself is not cut) */
        s->last_garp = 1 - i;
    if (!a.send_advert)
        return;
    s->adverts[i]++;
    if (!s->link[i][1 - i])
        return;
    assert_true(s->nq < SIM_QUEUE);
    s->queue[s->nq] = (struct vrrp_event){.type = VRRP_EV_ADVERT,
                                          .priority = a.advert_priority,
                                          .interval_cs = ADV_CS,
                                          .src = s->n[i].cfg.primary};
    s->queue_to[s->nq++] = 1 - i;
}

/* Delivers queued adverts (zero latency) until the network is quiet. */
static void sim_drain(struct sim *s)
{
    for (unsigned guard = 0; s->nq > 0; guard++) {
        assert_true(guard < 100);
        struct vrrp_event ev = s->queue[0];
        int to = s->queue_to[0];
        memmove(s->queue, s->queue + 1, --s->nq * sizeof s->queue[0]);
        memmove(s->queue_to, s->queue_to + 1, s->nq * sizeof s->queue_to[0]);
        sim_apply(s, to, vrrp_step(&s->n[to], &ev, s->now));
    }
}

static void sim_start(struct sim *s, uint8_t prio_a, uint8_t prio_b, uint32_t addr_b)
{
    memset(s, 0, sizeof *s);
    struct vrrp_config ca = cfg_of(prio_a, ADDR_A, true), cb = cfg_of(prio_b, addr_b, true);
    vrrp_init(&s->n[0], &ca);
    vrrp_init(&s->n[1], &cb);
    s->link[0][1] = s->link[1][0] = true;
    s->last_garp = -1;
    s->now = T0;
    for (int i = 0; i < 2; i++) {
        struct vrrp_event ev = {.type = VRRP_EV_STARTUP};
        sim_apply(s, i, vrrp_step(&s->n[i], &ev, s->now));
        sim_drain(s);
    }
}

static void sim_run_until(struct sim *s, uint64_t until)
{
    for (;;) {
        int i = -1;
        for (int k = 0; k < 2; k++)
            if (s->timer[k] && s->timer[k] <= until && (i < 0 || s->timer[k] < s->timer[i]))
                i = k;
        if (i < 0)
            break;
        s->now = s->timer[i];
        struct vrrp_event ev = {.type = VRRP_EV_TIMER};
        sim_apply(s, i, vrrp_step(&s->n[i], &ev, s->now));
        sim_drain(s);
    }
    s->now = until;
}

static void sim_event(struct sim *s, int i, struct vrrp_event ev)
{
    sim_apply(s, i, vrrp_step(&s->n[i], &ev, s->now));
    sim_drain(s);
}

static void assert_one_master(const struct sim *s, int who)
{
    assert_int_equal(s->n[who].state, VRRP_STATE_MASTER);
    assert_int_equal(s->n[1 - who].state, VRRP_STATE_BACKUP);
    assert_true(s->vips[who]);
    assert_false(s->vips[1 - who]);
}

static void test_pair_elects_higher_priority(void **state)
{
    (void)state;
    struct sim s;
    sim_start(&s, 200, 100, ADDR_B);
    sim_run_until(&s, T0 + 20000);
    assert_one_master(&s, 0);
    assert_int_equal(s.last_garp, 0);
}

static void test_pair_equal_priority_higher_address(void **state)
{
    (void)state;
    struct sim s;
    sim_start(&s, 100, 100, ADDR_B);
    sim_run_until(&s, T0 + 20000);
    assert_one_master(&s, 0); /* first to time out; an equal Backup never preempts */
    /* both Masters at once (a cut link): the higher address wins on healing */
    s.link[0][1] = s.link[1][0] = false;
    sim_run_until(&s, T0 + 30000);
    assert_int_equal(s.n[1].state, VRRP_STATE_MASTER);
    s.link[0][1] = s.link[1][0] = true;
    sim_run_until(&s, T0 + 40000);
    assert_one_master(&s, 1); /* 198.18.0.2 > 198.18.0.1 */
}

static void test_pair_shutdown_hands_over_within_skew(void **state)
{
    (void)state;
    struct sim s;
    sim_start(&s, 200, 100, ADDR_B);
    sim_run_until(&s, T0 + 10000);
    sim_event(&s, 0, (struct vrrp_event){.type = VRRP_EV_SHUTDOWN});
    assert_false(s.vips[0]);
    sim_run_until(&s, s.now + vrrp_skew_ms(100, ADV_CS));
    assert_int_equal(s.n[1].state, VRRP_STATE_MASTER);
    assert_true(s.vips[1]);
}

static void test_pair_silent_death_takes_master_down_interval(void **state)
{
    (void)state;
    struct sim s;
    sim_start(&s, 200, 100, ADDR_B);
    sim_run_until(&s, T0 + 10000);
    uint64_t last_advert = s.n[0].adver_at - 1000;
    s.link[0][1] = false; /* A vanishes without a word */
    s.timer[0] = 0;
    sim_run_until(&s, last_advert + 3608);
    assert_int_equal(s.n[1].state, VRRP_STATE_BACKUP);
    sim_run_until(&s, last_advert + 3609);
    assert_int_equal(s.n[1].state, VRRP_STATE_MASTER);
}

/* Split brain, then the link heals from B to A first: A (higher) hears B,
 * answers and re-ARPs at once, so clients come back to A before B even
 * knows; when A -> B heals, B steps down and nothing moves again. */
static void test_split_brain_heals_b_to_a_first(void **state)
{
    (void)state;
    struct sim s;
    sim_start(&s, 200, 100, ADDR_B);
    sim_run_until(&s, T0 + 10000);
    s.link[0][1] = s.link[1][0] = false;
    sim_run_until(&s, T0 + 20000);
    assert_int_equal(s.n[1].state, VRRP_STATE_MASTER); /* split brain */
    assert_int_equal(s.last_garp, 1);                  /* clients followed B */
    s.link[1][0] = true;
    sim_run_until(&s, T0 + 21001); /* B's next advert reaches A */
    assert_int_equal(s.last_garp, 0);
    assert_int_equal(s.n[0].state, VRRP_STATE_MASTER);
    assert_int_equal(s.n[1].state, VRRP_STATE_MASTER); /* B has not heard A yet */
    s.link[0][1] = true;
    sim_run_until(&s, T0 + 23000);
    assert_one_master(&s, 0);
    assert_int_equal(s.last_garp, 0);
}

/* The other way round: A -> B heals first, B hears A and steps down at once.
 * A cannot hear B, so B itself points the clients back at A. */
static void test_split_brain_heals_a_to_b_first(void **state)
{
    (void)state;
    struct sim s;
    sim_start(&s, 200, 100, ADDR_B);
    sim_run_until(&s, T0 + 10000);
    s.link[0][1] = s.link[1][0] = false;
    sim_run_until(&s, T0 + 20000);
    assert_int_equal(s.last_garp, 1);
    s.link[0][1] = true;
    sim_run_until(&s, T0 + 21001);
    assert_one_master(&s, 0);
    assert_int_equal(s.last_garp, 0);
    s.link[1][0] = true;
    sim_run_until(&s, T0 + 25000);
    assert_one_master(&s, 0);
}

static void test_pair_health_moves_vip_and_back(void **state)
{
    (void)state;
    struct sim s;
    sim_start(&s, 200, 150, ADDR_B);
    sim_run_until(&s, T0 + 10000);
    assert_one_master(&s, 0);
    /* A loses every backend: 200 - 100 = 100 < 150; B preempts */
    sim_event(&s, 0, (struct vrrp_event){.type = VRRP_EV_PRIORITY, .priority = 100});
    sim_run_until(&s, s.now + vrrp_master_down_ms(150, ADV_CS) + 1);
    assert_one_master(&s, 1);
    /* healthy again: A preempts back */
    sim_event(&s, 0, (struct vrrp_event){.type = VRRP_EV_PRIORITY, .priority = 200});
    sim_run_until(&s, s.now + vrrp_master_down_ms(200, ADV_CS) + 1);
    assert_one_master(&s, 0);
}

static void test_pair_relay_lost_hands_over_within_skew(void **state)
{
    (void)state;
    struct sim s;
    sim_start(&s, 200, 100, ADDR_B);
    sim_run_until(&s, T0 + 10000);
    sim_event(&s, 0, (struct vrrp_event){.type = VRRP_EV_PRIORITY, .priority = 0});
    sim_run_until(&s, s.now + vrrp_skew_ms(100, ADV_CS));
    assert_one_master(&s, 1);
    sim_run_until(&s, s.now + 30000); /* standing down: A never comes back alone */
    assert_one_master(&s, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skew_and_master_down),
        cmocka_unit_test(test_interval_boundaries),
        cmocka_unit_test(test_penalised_priority_bounds),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_init_is_idle),
        cmocka_unit_test(test_startup_backup),
        cmocka_unit_test(test_startup_owner_is_master),
        cmocka_unit_test(test_startup_twice_ignored),
        cmocka_unit_test(test_backup_takes_over_when_master_down),
        cmocka_unit_test(test_backup_advert_resets_timer),
        cmocka_unit_test(test_backup_learns_master_interval),
        cmocka_unit_test(test_backup_priority0_takes_over_after_skew),
        cmocka_unit_test(test_backup_without_preempt_stays),
        cmocka_unit_test(test_backup_preempts_lower_master),
        cmocka_unit_test(test_backup_preempt_delay),
        cmocka_unit_test(test_backup_equal_priority_no_preempt),
        cmocka_unit_test(test_master_advertises_periodically),
        cmocka_unit_test(test_master_yields_to_higher),
        cmocka_unit_test(test_master_equal_priority_higher_address_wins),
        cmocka_unit_test(test_master_equal_priority_lower_address_loses),
        cmocka_unit_test(test_master_answers_lower_master_at_once),
        cmocka_unit_test(test_master_hears_priority0),
        cmocka_unit_test(test_master_shutdown_sends_priority0),
        cmocka_unit_test(test_backup_shutdown_is_silent),
        cmocka_unit_test(test_interface_down_and_up),
        cmocka_unit_test(test_master_priority_drop_announced),
        cmocka_unit_test(test_master_priority0_stands_down),
        cmocka_unit_test(test_backup_priority_restored_rearms),
        cmocka_unit_test(test_backup_priority0_disarms),
        cmocka_unit_test(test_backup_priority_change_retimes_master_down),
        cmocka_unit_test(test_backup_priority_change_retimes_skew),
        cmocka_unit_test(test_backup_retimed_into_the_past_fires),
        cmocka_unit_test(test_ipv6_tie_break),
        cmocka_unit_test(test_addr_v4_mapping),
        cmocka_unit_test(test_pair_elects_higher_priority),
        cmocka_unit_test(test_pair_equal_priority_higher_address),
        cmocka_unit_test(test_pair_shutdown_hands_over_within_skew),
        cmocka_unit_test(test_pair_silent_death_takes_master_down_interval),
        cmocka_unit_test(test_split_brain_heals_b_to_a_first),
        cmocka_unit_test(test_split_brain_heals_a_to_b_first),
        cmocka_unit_test(test_pair_health_moves_vip_and_back),
        cmocka_unit_test(test_pair_relay_lost_hands_over_within_skew),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
