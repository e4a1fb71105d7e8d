/*
 * The Internet checksum over a pseudo-header and a message: see inet_sum.h.
 */
#include "gateway/ha/inet_sum.h"

#include <string.h>

/* One's-complement sum of 16-bit big-endian words; an odd last byte is
 * padded with zero. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
    for (; len > 1; p += 2, len -= 2)
        sum += (uint32_t)p[0] << 8 | p[1];
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t inet_sum4(const void *src, const void *dst, uint8_t proto, const uint8_t *msg, size_t len)
{
    uint8_t pseudo[12] = {[9] = proto, [10] = (uint8_t)(len >> 8), [11] = (uint8_t)len};
    memcpy(pseudo, src, 4);
    memcpy(pseudo + 4, dst, 4);
    return fold(sum16(sum16(0, pseudo, sizeof pseudo), msg, len));
}

uint16_t inet_sum6(const void *src, const void *dst, uint8_t proto, const uint8_t *msg, size_t len)
{
    /* source, destination, 32-bit upper-layer length, 3 zero bytes, next header */
    uint8_t pseudo[40] = {[32] = (uint8_t)(len >> 24),
                          [33] = (uint8_t)(len >> 16),
                          [34] = (uint8_t)(len >> 8),
                          [35] = (uint8_t)len,
                          [39] = proto};
    memcpy(pseudo, src, 16);
    memcpy(pseudo + 16, dst, 16);
    return fold(sum16(sum16(0, pseudo, sizeof pseudo), msg, len));
}
