#!/usr/bin/env python3
"""Sends crafted VRRPv3 advertisements, valid or malformed, for the tests.

usage: vrrp_inject.py IFACE SRC KIND [COUNT] [VRID] [PRIO] [VIP...]
KIND: good, ttl, checksum, version, vrid, short, addrs
Each one claims priority PRIO (default 250): were it accepted, a Master with
a lower priority would step down, so "nothing changed" proves the drop.
Only for test namespaces: IPv4 (SRC like 198.18.0.9) goes to 224.0.0.18
with IP_HDRINCL; IPv6 (SRC an address of IFACE, like fd00:198:18::2) to
ff02::12 from SRC, "ttl" meaning hop limit 254, the checksum over the IPv6
pseudo-header.
"""
import socket
import struct
import sys

GROUP = "224.0.0.18"
GROUP6 = "ff02::12"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def vrrp(src, dst, vrid, prio, vips, version=3, bad_sum=False):
    v6 = ":" in src
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    addrs = b"".join(socket.inet_pton(fam, a) for a in vips)
    head = struct.pack("!BBBBHH", version << 4 | 1, vrid, prio, len(vips), 10, 0)
    length = len(head) + len(addrs)
    if v6:
        pseudo = socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) + struct.pack("!I3xB", length, 112)
    else:
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 112, length)
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


def build6(kind, src, vrid, prio, vips):
    """The VRRP message and the hop limit it leaves with."""
    if kind == "ttl":
        return vrrp(src, GROUP6, vrid, prio, vips), 254
    if kind == "checksum":
        return vrrp(src, GROUP6, vrid, prio, vips, bad_sum=True), 255
    if kind == "version":
        return vrrp(src, GROUP6, vrid, prio, vips, version=2), 255
    if kind == "vrid":
        return vrrp(src, GROUP6, vrid + 1, prio, vips), 255
    if kind == "short":
        return vrrp(src, GROUP6, vrid, prio, vips)[:6], 255
    if kind == "addrs":
        return vrrp(src, GROUP6, vrid, prio, ["fd00:198:99::99"]), 255
    if kind == "good":
        return vrrp(src, GROUP6, vrid, prio, vips), 255
    raise SystemExit("unknown kind " + kind)


def send6(iface, src, kind, count, vrid, prio, vips):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 112)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    msg, hops = build6(kind, src, vrid, prio, vips)
    ifindex = socket.if_nametoindex(iface)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hops)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    pktinfo = socket.inet_pton(socket.AF_INET6, src) + struct.pack("@I", ifindex)
    for _ in range(count):
        s.sendmsg([msg], [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, pktinfo)], 0, (GROUP6, 0, 0, ifindex))


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    iface, src, kind = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    vrid = int(sys.argv[5]) if len(sys.argv) > 5 else 51
    prio = int(sys.argv[6]) if len(sys.argv) > 6 else 250
    if ":" in src:
        send6(iface, src, kind, count, vrid, prio, sys.argv[7:] or ["fd00:198:18::10"])
        return
    vips = sys.argv[7:] or ["198.18.0.10"]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    pkt = build(kind, src, vrid, prio, vips)
    for _ in range(count):
        s.sendto(pkt, (GROUP, 0))


if __name__ == "__main__":
    main()
