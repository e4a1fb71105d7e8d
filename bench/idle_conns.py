#!/usr/bin/env python3
"""Opens N TLS connections to HOST:PORT; on each, completes the handshake,
sends one keep-alive GET PATH and reads the whole response (Content-Length),
then leaves the connection idle. Prints "held N" when all are open, then
waits until stdin closes (at most HOLD_SECONDS) and closes everything.
Unlike tls_idle_clients.py (handshake only), the proxy has really served a
request on every connection, so its per-connection HTTP state exists too.

usage: idle_conns.py HOST PORT N PATH
"""
import os
import socket
import ssl
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


def main():
    host, port, count, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    request = ("GET %s HTTP/1.1\r\nHost: www.foobar.com\r\n\r\n" % path).encode()
    held, errors, lock = [], [], threading.Lock()

    def worker(n):
        for _ in range(n):
            try:
                s = open_one(ctx, host, port, request)
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
    if errors:
        print("errors", len(errors), errors[0], file=sys.stderr, flush=True)
    print("held", len(held), flush=True)
    timer = threading.Timer(HOLD_SECONDS, os._exit, args=(0,))
    timer.daemon = True
    timer.start()
    sys.stdin.buffer.read()  # the caller closes our stdin when it has measured
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
