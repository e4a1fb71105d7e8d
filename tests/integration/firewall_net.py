#!/usr/bin/python3
"""Traffic for the firewall packet tests (run inside a test namespace).

  listen PORT...           accept TCP connections on every address, forever
  raw PROTO DST COUNT      send COUNT IPv4 packets of IP protocol PROTO to DST
  synflood DST PORT COUNT  start COUNT TCP connections at once (COUNT SYNs)
"""
import select
import socket
import sys
import time


def listen(ports):
    socks = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(port)))
        s.listen(1024)
        s.setblocking(False)
        socks.append(s)
    print("ready", flush=True)
    deadline = time.monotonic() + 600  # a test never needs longer
    while time.monotonic() < deadline:
        ready, _, _ = select.select(socks, [], [], 1.0)
        for s in ready:
            try:
                conn, _ = s.accept()
                conn.close()
            except OSError:
                pass


def raw(proto, dst, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, int(proto))
    for _ in range(int(count)):
        s.sendto(b"\x31\x01\x64\x01" + bytes(16), (dst, 0))
        time.sleep(0.01)


def synflood(dst, port, count):
    socks = []
    for _ in range(int(count)):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((dst, int(port)))
        except BlockingIOError:
            pass
        socks.append(s)
    time.sleep(0.3)
    for s in socks:
        s.close()


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"listen": lambda: listen(args), "raw": lambda: raw(*args),
     "synflood": lambda: synflood(*args)}[cmd]()
