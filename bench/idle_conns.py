#!/usr/bin/env python3
"""Opens N TLS connections to HOST:PORT; on each, completes the handshake,
sends one keep-alive GET PATH and reads the whole response (Content-Length),
then leaves the connection idle. Prints "held N" when all are open (N
counts only those the server has sent nothing more on: one it closed, or
sent a GOAWAY on, is not held), then waits until stdin closes (at most HOLD_SECONDS) and closes everything.
Unlike tls_idle_clients.py (handshake only), the proxy has really served a
request on every connection, so its per-connection HTTP state exists too.
With --h2 the connections speak HTTP/2 (ALPN h2): the preface, SETTINGS
and one GET on stream 1 (a fixed HPACK block), read until that stream
ends, our SETTINGS acknowledged, then idle: the proxy's HTTP/2 session
(HPACK tables, settings, its stream bookkeeping) exists on each.

usage: idle_conns.py HOST PORT N PATH [--h2]
"""
import os
import select
import socket
import ssl
import struct
import sys
import threading

HOLD_SECONDS = 120
THREADS = 4  # the handshakes run in OpenSSL without the GIL


def open_one(ctx, host, port, request):
    raw = socket.create_connection((host, port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="www.foobar.com")
    s.sendall(request)
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(16384)
        if not d:
            raise OSError("closed before the response head")
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError("status: " + head.split(b"\r\n")[0].decode(errors="replace"))
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        d = s.recv(16384)
        if not d:
            raise OSError("closed in the body")
        body += d
    return s


def h2_frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def h2_request(path):
    """Preface, empty SETTINGS, GET on stream 1: :method GET (static 2),
    :scheme https (7), :path and :authority as literals with indexing."""
    p, a = path.encode(), b"www.foobar.com"
    block = b"\x82\x87\x44" + bytes([len(p)]) + p + b"\x41" + bytes([len(a)]) + a
    return (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0) + h2_frame(1, 0x5, 1, block))


def open_one_h2(ctx, host, port, request):
    raw = socket.create_connection((host, port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="www.foobar.com")
    if s.selected_alpn_protocol() != "h2":
        raise OSError("ALPN: %r" % s.selected_alpn_protocol())
    s.sendall(request)
    buf, acked = b"", False
    while True:
        while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
            d = s.recv(65536)
            if not d:
                raise OSError("closed before the response ended")
            buf += d
        n = int.from_bytes(buf[:3], "big")
        ftype, flags, stream = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7fffffff
        buf = buf[9 + n:]
        if ftype == 4 and not flags & 1 and not acked:
            s.sendall(h2_frame(4, 1, 0))
            acked = True
        if ftype == 7 or (ftype == 3 and stream == 1):
            raise OSError("GOAWAY or RST_STREAM")
        if stream == 1 and ftype in (0, 1) and flags & 1:
            return s


def main():
    h2 = "--h2" in sys.argv[5:]
    host, port, count, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if h2:
        ctx.set_alpn_protocols(["h2"])
    opener = open_one_h2 if h2 else open_one
    request = h2_request(path) if h2 else ("GET %s HTTP/1.1\r\nHost: www.foobar.com\r\n\r\n" % path).encode()
    held, errors, lock = [], [], threading.Lock()

    def worker(n):
        for _ in range(n):
            try:
                s = opener(ctx, host, port, request)
            except OSError as e:
                with lock:
                    errors.append(str(e))
                continue
            with lock:
                held.append(s)

    threads = [threading.Thread(target=worker, args=(count // THREADS + (i < count % THREADS),))
               for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # a connection the server wrote to since (a close, a GOAWAY) is gone
    poller = select.poll()
    for s in held:
        poller.register(s, select.POLLIN)
    gone = poller.poll(0)
    if gone:
        errors.append("%d closed by the server while the others opened" % len(gone))
    if errors:
        print("errors", len(errors), errors[0], file=sys.stderr, flush=True)
    print("held", len(held) - len(gone), flush=True)
    timer = threading.Timer(HOLD_SECONDS, os._exit, args=(0,))
    timer.daemon = True
    timer.start()
    sys.stdin.buffer.read()  # the caller closes our stdin when it has measured
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
