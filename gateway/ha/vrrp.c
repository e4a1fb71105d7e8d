/*
 * VRRPv3 state machine (RFC 5798 section 6.4), pure: see vrrp.h.
 * Times are absolute milliseconds on the caller's monotonic clock.
 */
#include "gateway/ha/vrrp.h"

#include <string.h>

#define CS_TO_MS 10

uint64_t vrrp_skew_ms(unsigned priority, unsigned adver_cs)
{
    /* Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256 */
    return (uint64_t)(256 - priority) * adver_cs * CS_TO_MS / 256;
}

uint64_t vrrp_master_down_ms(unsigned priority, unsigned adver_cs)
{
    return 3ull * adver_cs * CS_TO_MS + vrrp_skew_ms(priority, adver_cs);
}

uint8_t vrrp_penalised_priority(unsigned configured, unsigned penalty)
{
    if (penalty == 0)
        return (uint8_t)configured;
    unsigned base = configured >= VRRP_PRIO_OWNER ? VRRP_PRIO_OWNER - 1 : configured;
    return (uint8_t)(penalty >= base ? VRRP_PRIO_MIN : base - penalty);
}

const char *vrrp_state_name(enum vrrp_state s)
{
    switch (s) {
    case VRRP_STATE_MASTER: return "master";
    case VRRP_STATE_BACKUP: return "backup";
    case VRRP_STATE_INIT: break;
    }
    return "init";
}

void vrrp_init(struct vrrp *v, const struct vrrp_config *cfg)
{
    memset(v, 0, sizeof *v);
    v->cfg = *cfg;
    v->state = VRRP_STATE_INIT;
    v->priority = cfg->priority;
    v->master_adver_cs = cfg->advert_cs;
}

static void send_advert(struct vrrp *v, struct vrrp_actions *a, uint8_t priority, uint64_t now)
{
    a->send_advert = true;
    a->advert_priority = priority;
    v->adver_at = now + (uint64_t)v->cfg.advert_cs * CS_TO_MS;
}

/* Master_Down_Timer, as the current priority makes it: armed at `from` for
 * Master_Down_Interval (or Skew_Time when the Master left). Re-timed when
 * the priority changes, so a node whose health report raises its priority
 * right after start-up waits the skew of that priority, not the start-up
 * one. A standing-down router (priority 0) never takes over: no timer. */
static void time_master_down(struct vrrp *v)
{
    uint64_t ms = v->master_down_skew ? vrrp_skew_ms(v->priority, v->master_adver_cs)
                                      : vrrp_master_down_ms(v->priority, v->master_adver_cs);
    v->master_down_at = v->priority ? v->master_down_from + ms : 0;
}

static void arm_master_down(struct vrrp *v, uint64_t from, bool skew_only)
{
    v->master_down_from = from;
    v->master_down_skew = skew_only;
    time_master_down(v);
}

static void become_master(struct vrrp *v, struct vrrp_actions *a, uint64_t now, const char *why)
{
    send_advert(v, a, v->priority, now);
    a->add_vips = true;
    a->send_garp = true;
    a->why = why;
    v->state = VRRP_STATE_MASTER;
    v->master_down_at = 0;
    v->preempt_at = 0;
    v->conflict_garp_sent = false;
}

static void become_backup(struct vrrp *v, struct vrrp_actions *a, uint64_t now, uint16_t master_adver_cs,
                          const char *why)
{
    if (v->state == VRRP_STATE_MASTER)
        a->del_vips = true;
    a->why = why;
    v->state = VRRP_STATE_BACKUP;
    v->master_adver_cs = master_adver_cs;
    v->preempt_at = 0;
    arm_master_down(v, now, false);
}

/* Another Master is less preferred than us: RFC 5798 compares priorities,
 * then the primary addresses. */
static bool we_win(const struct vrrp *v, const struct vrrp_event *ev)
{
    if (ev->priority != v->priority)
        return v->priority > ev->priority;
    return vrrp_addr_cmp(&v->cfg.primary, &ev->src) > 0;
}

static void master_on_advert(struct vrrp *v, struct vrrp_actions *a, const struct vrrp_event *ev,
                             uint64_t now)
{
    if (ev->priority == VRRP_PRIO_STOP) {
        send_advert(v, a, v->priority, now); /* tell the Backups at once we are here */
        return;
    }
    if (!we_win(v, ev)) {
        a->announce_master = true;
        a->master_addr = ev->src;
        become_backup(v, a, now, ev->interval_cs,
                      ev->priority > v->priority ? "higher-priority master heard"
                                                 : "equal-priority master with higher address heard");
        return;
    }
    /* A lower Master: it has not heard us, or has only just. Answer now so it
     * steps down within one round trip, and win the clients' ARP caches back
     * (rate-limited to one burst per Master_Down_Interval). */
    send_advert(v, a, v->priority, now);
    uint64_t quiet = vrrp_master_down_ms(v->priority, v->cfg.advert_cs);
    if (!v->conflict_garp_sent || now >= v->conflict_garp_at + quiet) {
        a->send_garp = true;
        a->why = "lower-priority master heard, reclaiming clients";
        v->conflict_garp_sent = true;
        v->conflict_garp_at = now;
    }
}

/* Preempt_Mode with a delay: lower adverts count as a live Master until the
 * delay, started by the first of them, has passed. */
static bool backup_may_preempt(struct vrrp *v, uint64_t now)
{
    if (!v->cfg.preempt)
        return false;
    if (v->cfg.preempt_delay_ms == 0)
        return true;
    if (v->preempt_at == 0)
        v->preempt_at = now + v->cfg.preempt_delay_ms;
    return now >= v->preempt_at;
}

static void backup_on_advert(struct vrrp *v, const struct vrrp_event *ev, uint64_t now)
{
    if (ev->priority == VRRP_PRIO_STOP) {
        arm_master_down(v, now, true);
        return;
    }
    if (ev->priority < v->priority && backup_may_preempt(v, now))
        return; /* discard: Master_Down_Timer runs out and we take over */
    if (ev->priority >= v->priority)
        v->preempt_at = 0;
    v->master_adver_cs = ev->interval_cs ? ev->interval_cs : v->cfg.advert_cs;
    arm_master_down(v, now, false);
}

static void on_startup(struct vrrp *v, struct vrrp_actions *a, uint64_t now)
{
    if (v->state != VRRP_STATE_INIT)
        return;
    if (v->priority == VRRP_PRIO_OWNER)
        become_master(v, a, now, "address owner (priority 255)");
    else
        become_backup(v, a, now, v->cfg.advert_cs, "started");
}

static void on_leave(struct vrrp *v, struct vrrp_actions *a, uint64_t now, bool can_send)
{
    if (v->state == VRRP_STATE_MASTER) {
        if (can_send)
            send_advert(v, a, VRRP_PRIO_STOP, now);
        a->del_vips = true;
    }
    a->why = can_send ? "shutdown" : "interface down";
    v->state = VRRP_STATE_INIT;
    v->master_down_at = 0;
}

static void vrrp_on_timer(struct vrrp *v, struct vrrp_actions *a, uint64_t now)
{
    if (v->state == VRRP_STATE_MASTER && now >= v->adver_at)
        send_advert(v, a, v->priority, now);
    else if (v->state == VRRP_STATE_BACKUP && v->master_down_at && now >= v->master_down_at)
        become_master(v, a, now, "master down timer expired");
}

static void on_priority(struct vrrp *v, struct vrrp_actions *a, uint8_t priority, uint64_t now)
{
    uint8_t old = v->priority;
    v->priority = priority;
    if (priority == old)
        return;
    if (v->state == VRRP_STATE_MASTER) {
        if (priority == VRRP_PRIO_STOP) {
            send_advert(v, a, VRRP_PRIO_STOP, now); /* the Backup takes over after skew */
            become_backup(v, a, now, v->cfg.advert_cs, "priority 0: standing down");
        } else {
            send_advert(v, a, priority, now); /* let a better Backup know at once */
        }
    } else if (v->state == VRRP_STATE_BACKUP) {
        if (old == VRRP_PRIO_STOP || priority == VRRP_PRIO_STOP)
            arm_master_down(v, now, false); /* back from standing down: a full interval */
        else if (v->master_down_at)
            time_master_down(v); /* may now lie in the past: the timer fires at once */
    }
}

struct vrrp_actions vrrp_step(struct vrrp *v, const struct vrrp_event *ev, uint64_t now_ms)
{
    struct vrrp_actions a = {.old_state = v->state};
    switch (ev->type) {
    case VRRP_EV_STARTUP: on_startup(v, &a, now_ms); break;
    case VRRP_EV_SHUTDOWN: on_leave(v, &a, now_ms, true); break;
    case VRRP_EV_IF_DOWN: on_leave(v, &a, now_ms, false); break;
    case VRRP_EV_TIMER: vrrp_on_timer(v, &a, now_ms); break;
    case VRRP_EV_PRIORITY: on_priority(v, &a, ev->priority, now_ms); break;
    case VRRP_EV_ADVERT:
        if (v->state == VRRP_STATE_MASTER)
            master_on_advert(v, &a, ev, now_ms);
        else if (v->state == VRRP_STATE_BACKUP)
            backup_on_advert(v, ev, now_ms);
        break;
    }
    if (v->state == VRRP_STATE_MASTER)
        a.next_timer_at = v->adver_at;
    else if (v->state == VRRP_STATE_BACKUP)
        a.next_timer_at = v->master_down_at;
    return a;
}
