#!/usr/bin/python3
"""Helpers for bench/autoblock_storm.sh (run inside its namespaces).

  capture IFACE SECONDS OUT   timestamps (kernel receive time, ns) of VRRP
                              adverts (IP protocol 112) seen on IFACE, one
                              per line, for SECONDS
  storm DST PORT RATE SECONDS  RATE refused requests a second (HTTP/1.1
                              without Host: 400), each from a new source in
                              198.19.0.0/16 (the caller routes it to lo), so
                              every one is a new offender to block
  spacing FILE                 "n min median max within10" of the gaps (ms)
"""
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
SO_TIMESTAMPNS = 35


def capture(iface, seconds, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    end = time.monotonic() + float(seconds)
    stamps = []
    print("ready", flush=True)
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            continue
        data, anc, _, _ = s.recvmsg(2048, 64)
        if len(data) < 20 or data[9] != 112:
            continue
        for level, kind, val in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", val[:16])
                stamps.append(sec * 1000000000 + nsec)
    with open(out, "w") as f:
        f.write("".join("%d\n" % t for t in stamps))


def storm(dst, port, rate, seconds):
    rate, seconds, port = float(rate), float(seconds), int(port)
    n = int(rate * seconds)
    start = time.monotonic()
    open_socks = []
    for i in range(n):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        src = "198.19.%d.%d" % (1 + i // 250, 1 + i % 250)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            s.connect((dst, port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            continue
        open_socks.append((s, time.monotonic()))
        keep = []
        for c, t in open_socks:  # send once connected, close after 1 s
            try:
                c.send(b"GET / HTTP/1.1\r\n\r\n")
            except OSError:
                pass
            if time.monotonic() - t > 1.0:
                c.close()
            else:
                keep.append((c, t))
        open_socks = keep
    for c, _ in open_socks:
        c.close()
    print("sent %d" % n, flush=True)


def spacing(path):
    with open(path) as f:
        t = [int(x) for x in f if x.strip()]
    gaps = sorted((b - a) / 1e6 for a, b in zip(t, t[1:]))
    if not gaps:
        print("0 - - - -")
        return
    within = sum(1 for g in gaps if 90.0 <= g <= 110.0)
    print("%d %.1f %.1f %.1f %.1f%%" % (len(gaps), gaps[0], gaps[len(gaps) // 2], gaps[-1],
                                        100.0 * within / len(gaps)))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"capture": capture, "storm": storm, "spacing": spacing}[cmd](*args)
