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
 * hear it and so never learns that clients need moving back.
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_H
#define RAMPART_GATEWAY_HA_VRRP_H

#include <stdbool.h>
#include <stdint.h>

#define VRRP_PRIO_STOP    0 /* "I am leaving": the Backup takes over after Skew_Time */
#define VRRP_PRIO_MIN     1
#define VRRP_PRIO_OWNER   255 /* the router owning the addresses: Master at once */
#define VRRP_ADVER_MIN_CS 1
#define VRRP_ADVER_MAX_CS 4095 /* the 12-bit Max Adver Int field */

enum vrrp_state { VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_STATE_MASTER };

struct vrrp_config {
    uint8_t vrid;              /* 1-255 */
    uint8_t priority;          /* configured, 1-255 */
    uint16_t advert_cs;        /* Advertisement_Interval, centiseconds */
    bool preempt;              /* Preempt_Mode */
    uint64_t preempt_delay_ms; /* wait this long after hearing a lower Master before preempting */
    uint32_t primary_addr;     /* our IPv4 primary address, host order: breaks ties */
};

struct vrrp {
    struct vrrp_config cfg;
    enum vrrp_state state;
    uint8_t priority;          /* effective: configured minus penalties, 0 = standing down */
    uint16_t master_adver_cs;  /* Master_Adver_Interval learned from the Master */
    uint64_t adver_at;         /* Master: Adver_Timer expiry (absolute ms) */
    uint64_t master_down_at;   /* Backup: Master_Down_Timer expiry, 0 = not armed */
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
    uint32_t src;         /* ADVERT: its IPv4 source, host order */
};

struct vrrp_actions {
    bool send_advert;          /* send one advertisement now ... */
    uint8_t advert_priority;   /* ... carrying this priority */
    bool add_vips;             /* take the virtual addresses */
    bool del_vips;             /* give them up */
    bool send_garp;            /* start a burst of gratuitous ARPs */
    bool announce_master;      /* we were Master and heard a better one: send ARPs */
    uint32_t master_addr;      /* ... naming its MAC for the VIPs (host order) */
    enum vrrp_state old_state; /* state before the step: a change if != v->state */
    const char *why;           /* for the log, when the state changed or ARPs go out */
    uint64_t next_timer_at;    /* deliver VRRP_EV_TIMER at this time; 0 = no timer */
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
