/*
 * vrrp: the VRRPv3 state machine of RFC 5798, as a pure function.
 *
 *   vrrp_init(v, cfg)              a router in the Initialize state
 *   vrrp_step(v, event, now_ms)    -> what to do (send, add/remove VIPs, ARP)
 *
 * No sockets, no clock, no allocation: the caller feeds events (start-up, a
 * received advertisement that passed the checks of vrrp_net.c, a timer, a
 * priority change, the interface going down) with the current time in
 * milliseconds and carries out the returned actions. Tests drive it on
 * virtual time.
 *
 * Deliberate additions to the RFC, all to heal split brains without an
 * outage: a Master that hears a lower-priority Master answers with an
 * advertisement at once (the RFC only discards it) and re-sends gratuitous
 * ARPs, because clients may have followed the other Master's ARPs while the
 * link was cut; and a Master that yields to a better one asks for ARPs
 * naming the winner (announce_master), for the case where the winner cannot
 * hear it and so never learns that clients need moving back. And a Backup
 * whose priority changes re-times its running Master_Down_Timer for the new
 * priority's skew (from when it was armed): a node that starts penalised
 * (health not known yet) and learns its final priority a moment later
 * waits the final priority's skew, as a node that knew it from the start.
 *
 * Both address families: an instance speaks one (RFC 5798 IPv4 or IPv6);
 * addresses are struct vrrp_addr whatever the family.
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_H
#define RAMPART_GATEWAY_HA_VRRP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define VRRP_PRIO_STOP    0 /* "I am leaving": the Backup takes over after Skew_Time */
#define VRRP_PRIO_MIN     1
#define VRRP_PRIO_OWNER   255 /* the router owning the addresses: Master at once */
#define VRRP_ADVER_MIN_CS 1
#define VRRP_ADVER_MAX_CS 4095 /* the 12-bit Max Adver Int field */

enum vrrp_state { VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_STATE_MASTER };

/* An address as it is on the wire (network byte order), IPv4 as an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d). One instance speaks one family,
 * so memcmp() orders two of its addresses as numbers: the RFC 5798 6.4.3
 * tie-break between equal priorities. */
#define VRRP_ADDR_LEN 16
struct vrrp_addr {
    uint8_t b[VRRP_ADDR_LEN];
};

/* From / to an IPv4 address in network byte order. */
static inline struct vrrp_addr vrrp_addr_v4(uint32_t net)
{
    struct vrrp_addr a = {.b = {[10] = 0xff, [11] = 0xff}};
    memcpy(a.b + 12, &net, 4);
    return a;
}
static inline uint32_t vrrp_addr_to_v4(const struct vrrp_addr *a)
{
    uint32_t net;
    memcpy(&net, a->b + 12, 4);
    return net;
}
static inline int vrrp_addr_cmp(const struct vrrp_addr *x, const struct vrrp_addr *y)
{
    return memcmp(x->b, y->b, VRRP_ADDR_LEN);
}

struct vrrp_config {
    uint8_t vrid;              /* 1-255 */
    uint8_t priority;          /* configured, 1-255 */
    uint16_t advert_cs;        /* Advertisement_Interval, centiseconds */
    bool preempt;              /* Preempt_Mode */
    uint64_t preempt_delay_ms; /* wait this long after hearing a lower Master before preempting */
    struct vrrp_addr primary;  /* our primary address (IPv6: link-local): breaks ties */
};

struct vrrp {
    struct vrrp_config cfg;
    enum vrrp_state state;
    uint8_t priority;          /* effective: configured minus penalties, 0 = standing down */
    uint16_t master_adver_cs;  /* Master_Adver_Interval learned from the Master */
    uint64_t adver_at;         /* Master: Adver_Timer expiry (absolute ms) */
    uint64_t master_down_at;   /* Backup: Master_Down_Timer expiry, 0 = not armed */
    uint64_t master_down_from; /* ... when it was armed: a priority change re-times it from here */
    bool master_down_skew;     /* ... for Skew_Time only (the Master sent priority 0) */
    uint64_t preempt_at;       /* Backup: preempt delay ends, 0 = not counting */
    uint64_t conflict_garp_at; /* Master: last ARP burst after hearing another Master */
    bool conflict_garp_sent;
};

enum vrrp_event_type {
    VRRP_EV_STARTUP,  /* Initialize -> Backup or Master; also "interface up" */
    VRRP_EV_SHUTDOWN, /* -> Initialize, with a priority 0 advertisement if Master */
    VRRP_EV_IF_DOWN,  /* -> Initialize, silently (nothing can be sent) */
    VRRP_EV_TIMER,    /* the time returned in next_timer_at has come */
    VRRP_EV_ADVERT,   /* a valid advertisement for our VRID */
    VRRP_EV_PRIORITY, /* new effective priority (health, relay, tracked links) */
};

struct vrrp_event {
    enum vrrp_event_type type;
    uint8_t priority;     /* ADVERT: the sender's; PRIORITY: our new one (0-255) */
    uint16_t interval_cs; /* ADVERT: its Max Adver Int */
    struct vrrp_addr src; /* ADVERT: its source address */
};

struct vrrp_actions {
    bool send_advert;             /* send one advertisement now ... */
    uint8_t advert_priority;      /* ... carrying this priority */
    bool add_vips;                /* take the virtual addresses */
    bool del_vips;                /* give them up */
    bool send_garp;               /* start a burst of gratuitous ARPs */
    bool announce_master;         /* we were Master and heard a better one: send ARPs */
    struct vrrp_addr master_addr; /* ... naming its MAC for the VIPs */
    enum vrrp_state old_state;    /* state before the step: a change if != v->state */
    const char *why;              /* for the log, when the state changed or ARPs go out */
    uint64_t next_timer_at;       /* deliver VRRP_EV_TIMER at this time; 0 = no timer */
};

void vrrp_init(struct vrrp *v, const struct vrrp_config *cfg);
struct vrrp_actions vrrp_step(struct vrrp *v, const struct vrrp_event *ev, uint64_t now_ms);

/* RFC 5798 section 6.1 timers for a given priority and interval, in ms. */
uint64_t vrrp_skew_ms(unsigned priority, unsigned adver_cs);
uint64_t vrrp_master_down_ms(unsigned priority, unsigned adver_cs);

/* The priority to advertise: the configured one minus `penalty` (health,
 * tracked links), never below 1 (0 means leaving); a penalised owner (255)
 * counts from 254, as it no longer stands for the addresses' owner. */
uint8_t vrrp_penalised_priority(unsigned configured, unsigned penalty);

const char *vrrp_state_name(enum vrrp_state s);

#endif /* RAMPART_GATEWAY_HA_VRRP_H */
