#!/usr/bin/env python3
"""Writes peer-channel frames (gateway/ha/peer_proto.h) to stdout, for
peer_channel.sh to send inside TLS with `openssl s_client -psk`: an
independent encoder, written from the header's description, not the C.

Each argument is one frame, or raw bytes:
  hello:SEQ:NODE[:INSTANCE]     HELLO from NODE (IPv4), instance default 1
  ping:SEQ                      PING
  block:SEQ:ADDR:MS[:unblock]   one BLOCK entry (op block, or unblock)
  sync:SEQ:N                    SYNC_DONE
  badfamily:SEQ:ADDR            a BLOCK whose entry says family 5 (breaks a rule)
  cut:N:FRAME                   only the first N bytes of FRAME (a truncated frame)
  raw:HEX                       bytes as given
  pause:MS                      flush and wait (so frames arrive apart)
"""
import ipaddress
import struct
import sys
import time

VERSION = 1
HELLO, PING, KEYS, BLOCK, SYNC_DONE = 1, 2, 3, 4, 5


def frame(ftype, seq, payload=b""):
    return struct.pack(">BBHQ", VERSION, ftype, len(payload), seq) + payload


def addr(text):
    ip = ipaddress.ip_address(text)
    if ip.version == 4:
        return 4, ip.packed + bytes(12)
    return 6, ip.packed


def hello(seq, node, instance="1"):
    fam, raw = addr(node)
    payload = struct.pack(">HHIB3x", 1, 0, 14400, fam) + raw + struct.pack(">Q", int(instance))
    return frame(HELLO, int(seq), payload)


def block(seq, address, ms, op="block"):
    fam, raw = addr(address)
    entry = struct.pack(">BBHI", 1 if op == "block" else 2, fam, 0, int(ms)) + raw
    return frame(BLOCK, int(seq), struct.pack(">BB2x", 1, 0) + entry)


def build(arg):
    kind, _, rest = arg.partition(":")
    parts = rest.split(":") if rest else []
    if kind == "hello":
        return hello(*parts)
    if kind == "ping":
        return frame(PING, int(parts[0]))
    if kind == "block":
        return block(*parts)
    if kind == "badfamily":
        _, raw = addr(parts[1])
        entry = struct.pack(">BBHI", 1, 5, 0, 60000) + raw
        return frame(BLOCK, int(parts[0]), struct.pack(">BB2x", 1, 0) + entry)
    if kind == "sync":
        return frame(SYNC_DONE, int(parts[0]), struct.pack(">I4x", int(parts[1])))
    if kind == "cut":
        n, _, inner = rest.partition(":")
        return build(inner)[: int(n)]
    if kind == "raw":
        return bytes.fromhex(rest)
    raise SystemExit(f"peer_frames.py: unknown frame '{arg}'")


def main():
    out = sys.stdout.buffer
    for arg in sys.argv[1:]:
        if arg.startswith("pause:"):
            out.flush()
            time.sleep(int(arg[6:]) / 1000)
            continue
        out.write(build(arg))
    out.flush()


if __name__ == "__main__":
    main()
