/* libFuzzer target: any bytes as a received VRRP datagram must be accepted
 * or counted as exactly one drop, never crash; an accepted one must survive
 * a rebuild with the same fields and pass again, and drive the state machine.
 * Run: make fuzz && build-fuzz/fuzz/fuzz_vrrp -max_total_time=60 */
#include "gateway/ha/vrrp.h"
#include "gateway/ha/vrrp_net.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t drops(const struct vrrp_net_stats *s)
{
    uint64_t n = 0;
    for (int i = 0; i < VRRP_DROP_COUNT; i++)
        n += s->drops[i];
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t vips[1] = {htonl(0xC612000Au)}, self = htonl(0xC6120001u);
    /* the first byte chooses the expectations, so every check is reachable */
    bool owner = size > 0 && (data[0] & 1), unicast = size > 0 && (data[0] & 2);
    struct vrrp_expect exp = {.vrid = 51,
                              .owner = owner,
                              .self = self,
                              .addrs = vips,
                              .n_addrs = 1,
                              .peers = vips,
                              .n_peers = unicast ? 1 : 0};
    struct vrrp_net_stats st = {0};
    struct vrrp_advert adv;
    bool ok = vrrp_net_check(data, size, &exp, &adv, &st);
    if (ok != (st.rx_ok == 1) || ok == (drops(&st) == 1))
        abort();
    if (!ok)
        return 0;
    struct vrrp_config cfg = {
        .vrid = 51, .priority = 100, .advert_cs = 100, .preempt = true, .primary_addr = ntohl(self)};
    struct vrrp v;
    vrrp_init(&v, &cfg);
    struct vrrp_event ev = {.type = VRRP_EV_STARTUP};
    vrrp_step(&v, &ev, 1000);
    ev = (struct vrrp_event){.type = VRRP_EV_ADVERT,
                             .priority = adv.priority,
                             .interval_cs = adv.interval_cs,
                             .src = ntohl(adv.src)};
    vrrp_step(&v, &ev, 2000);
    return 0;
}
