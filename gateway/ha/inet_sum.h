/*
 * inet_sum: the Internet checksum (RFC 1071) of a message behind the
 * pseudo-header of its IP family (RFC 768 / RFC 8200 section 8.1), as
 * VRRPv3 (RFC 5798 5.2.8) and ICMPv6 (RFC 4443 2.3) use it. Pure.
 *
 * Over a message whose checksum field is zero the result is the value to
 * store there; over a message with a correct checksum it is 0.
 */
#ifndef RAMPART_GATEWAY_HA_INET_SUM_H
#define RAMPART_GATEWAY_HA_INET_SUM_H

#include <stddef.h>
#include <stdint.h>

/* Addresses in network byte order, 4 and 16 bytes; proto the IP protocol
 * (IPv6: the upper-layer next header). */
uint16_t inet_sum4(const void *src, const void *dst, uint8_t proto, const uint8_t *msg, size_t len);
uint16_t inet_sum6(const void *src, const void *dst, uint8_t proto, const uint8_t *msg, size_t len);

#endif /* RAMPART_GATEWAY_HA_INET_SUM_H */
