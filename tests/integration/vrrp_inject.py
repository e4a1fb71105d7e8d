#!/usr/bin/env python3
"""Sends crafted VRRPv3 advertisements, valid or malformed, for the tests.

usage: vrrp_inject.py IFACE SRC KIND [COUNT] [VRID] [PRIO] [VIP...]
KIND: good, ttl, checksum, version, vrid, short, addrs
Each one claims priority PRIO (default 250): were it accepted, a Master with
a lower priority would step down, so "nothing changed" proves the drop.
Only for test namespaces: it sends on IFACE to 224.0.0.18 with IP_HDRINCL.
"""
import socket
import struct
import sys

GROUP = "224.0.0.18"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def vrrp(src, dst, vrid, prio, vips, version=3, bad_sum=False):
    addrs = b"".join(socket.inet_aton(a) for a in vips)
    head = struct.pack("!BBBBHH", version << 4 | 1, vrid, prio, len(vips), 10, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 112, len(head) + len(addrs))
    ck = csum(pseudo + head + addrs) ^ (0x5A5A if bad_sum else 0)
    return head[:6] + struct.pack("!H", ck) + addrs


def ip_packet(src, dst, payload, ttl=255):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(payload), 0, 0, ttl, 112, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr + payload


def build(kind, src, vrid, prio, vips):
    if kind == "ttl":
        return ip_packet(src, GROUP, vrrp(src, GROUP, vrid, prio, vips), ttl=254)
    if kind == "checksum":
        return ip_packet(src, GROUP, vrrp(src, GROUP, vrid, prio, vips, bad_sum=True))
    if kind == "version":
        return ip_packet(src, GROUP, vrrp(src, GROUP, vrid, prio, vips, version=2))
    if kind == "vrid":
        return ip_packet(src, GROUP, vrrp(src, GROUP, vrid + 1, prio, vips))
    if kind == "short":
        return ip_packet(src, GROUP, vrrp(src, GROUP, vrid, prio, vips)[:6])
    if kind == "addrs":
        return ip_packet(src, GROUP, vrrp(src, GROUP, vrid, prio, ["198.18.99.99"]))
    if kind == "good":
        return ip_packet(src, GROUP, vrrp(src, GROUP, vrid, prio, vips))
    raise SystemExit("unknown kind " + kind)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    iface, src, kind = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    vrid = int(sys.argv[5]) if len(sys.argv) > 5 else 51
    prio = int(sys.argv[6]) if len(sys.argv) > 6 else 250
    vips = sys.argv[7:] or ["198.18.0.10"]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    pkt = build(kind, src, vrid, prio, vips)
    for _ in range(count):
        s.sendto(pkt, (GROUP, 0))


if __name__ == "__main__":
    main()
