#!/usr/bin/env python3
"""Opens N TLS connections to HOST:PORT, completes each handshake, sends
nothing and holds them all open, so the server's memory per idle TLS
connection can be read. Prints "held N" when ready, then waits until stdin
closes (or at most HOLD_SECONDS) and exits, closing everything.

usage: tls_idle_clients.py HOST PORT N [TLS_VERSION 1.2|1.3]
"""
import socket
import ssl
import sys

HOLD_SECONDS = 120


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    version = sys.argv[4] if len(sys.argv) > 4 else "1.3"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = (
        ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2)
    held = []
    for _ in range(count):
        raw = socket.create_connection((host, port), timeout=10)
        held.append(ctx.wrap_socket(raw, server_hostname="bench"))
    print("held", len(held), flush=True)
    sys.stdin.buffer.read()  # the caller closes our stdin when it has measured
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
