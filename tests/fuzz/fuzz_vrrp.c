/* libFuzzer target: any bytes as a received VRRP datagram (IPv4 with its
 * header, or an IPv6 message with its recvmsg facts) must be accepted, left
 * to a sibling instance, or counted as exactly one drop, never crash; an
 * accepted one drives the state machine.
 * Run: make fuzz && build-fuzz/fuzz/fuzz_vrrp -max_total_time=60 */
#include "gateway/ha/vrrp.h"
#include "gateway/ha/vrrp_net.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t drops(const struct vrrp_net_stats *s)
{
    uint64_t n = 0;
    for (int i = 0; i < VRRP_DROP_COUNT; i++)
        n += s->drops[i];
    return n;
}

static enum vrrp_verdict check(const uint8_t *data, size_t size, struct vrrp_expect *exp,
                               struct vrrp_advert *adv, struct vrrp_net_stats *st)
{
    if (exp->family == AF_INET)
        return vrrp_net_check4(data, size, exp, adv, st);
    /* IPv6: the first 33 bytes stand for what the kernel reports */
    struct vrrp_rx6 meta = {.hop_limit = size > 0 ? data[0] : -1};
    if (size < 33)
        return vrrp_net_check6(data, 0, &meta, exp, adv, st);
    memcpy(meta.src.b, data + 1, 16);
    memcpy(meta.dst.b, data + 17, 16);
    return vrrp_net_check6(data + 33, size - 33, &meta, exp, adv, st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* the first byte chooses the expectations, so every check is reachable */
    uint8_t mode = data[0];
    bool v6 = mode & 4;
    struct vrrp_addr vips[1] = {vrrp_addr_v4(htonl(0xC612000Au))}, self = vrrp_addr_v4(htonl(0xC6120001u));
    if (v6) {
        inet_pton(AF_INET6, "fd00:198:18::10", vips[0].b);
        inet_pton(AF_INET6, "fe80::1", self.b);
    }
    uint8_t siblings[VRRP_VRID_BYTES] = {0};
    vrrp_vrid_set_add(siblings, 52);
    struct vrrp_expect exp = {.family = v6 ? AF_INET6 : AF_INET,
                              .vrid = 51,
                              .owner = mode & 1,
                              .self = self,
                              .addrs = vips,
                              .n_addrs = 1,
                              .peers = vips,
                              .n_peers = (mode & 2) ? 1 : 0,
                              .siblings = (mode & 8) ? siblings : NULL};
    struct vrrp_net_stats st = {0};
    struct vrrp_advert adv;
    enum vrrp_verdict v = check(data + 1, size - 1, &exp, &adv, &st);
    bool counted_once = (v == VRRP_ACCEPT && st.rx_ok == 1 && drops(&st) == 0) ||
                        (v == VRRP_DROPPED && st.rx_ok == 0 && drops(&st) == 1) ||
                        (v == VRRP_SIBLING && st.rx == 0 && drops(&st) == 0);
    if (!counted_once)
        abort();
    if (v != VRRP_ACCEPT)
        return 0;
    struct vrrp_config cfg = {
        .vrid = 51, .priority = 100, .advert_cs = 100, .preempt = true, .primary = self};
    struct vrrp vr;
    vrrp_init(&vr, &cfg);
    struct vrrp_event ev = {.type = VRRP_EV_STARTUP};
    vrrp_step(&vr, &ev, 1000);
    ev = (struct vrrp_event){
        .type = VRRP_EV_ADVERT, .priority = adv.priority, .interval_cs = adv.interval_cs, .src = adv.src};
    vrrp_step(&vr, &ev, 2000);
    return 0;
}
