#!/usr/bin/env python3
"""A load of returning TLS clients, for bench/pair_failover.sh: WORKERS
threads, each connecting again and again to HOST:PORT, offering the
session (TLS 1.3 ticket) of its previous connection, sending one request
and reading the answer, so the next connection has a ticket again.

Every attempt is one line on stdout:
    T_MS OFFERED_SINCE_MS RESUMED OK
T_MS: when the handshake ended, ms since the start; OFFERED_SINCE_MS:
when the ticket offered was obtained (-1: none offered); RESUMED 1/0; OK
1 when the handshake and the request succeeded, 0 when anything failed
(then RESUMED is 0).

The first line is "# start NS": the wall clock (ns) at the start, so a
caller can place its own events (a fault) on the same time line.

Usage: resume_load.py HOST PORT SECONDS [WORKERS]
"""
import socket
import ssl
import sys
import threading
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: www.foobar.com\r\nConnection: close\r\n\r\n"
CONNECT_TIMEOUT = 0.5
PAUSE_AFTER_FAILURE = 0.02


def worker(host, port, seconds, t0, out, lock):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    session, since = None, -1
    while time.monotonic() - t0 < seconds:
        ok, resumed = 0, 0
        offered = since if session is not None else -1
        try:
            raw = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
            with ctx.wrap_socket(raw, server_hostname="www.foobar.com", session=session) as s:
                resumed = int(s.session_reused)
                done = time.monotonic()
                s.sendall(REQUEST)
                while s.recv(16384):
                    pass
                ok = 1
                session = s.session  # the ticket came after the handshake
                new_since = int((done - t0) * 1000)
        except (OSError, ssl.SSLError):
            done = time.monotonic()
        line = "%d %d %d %d\n" % (int((done - t0) * 1000), offered, resumed * ok, ok)
        with lock:
            out.write(line)
        if ok:
            since = new_since
        else:
            time.sleep(PAUSE_AFTER_FAILURE)


def main():
    host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    lock, t0 = threading.Lock(), time.monotonic()
    sys.stdout.write("# start %d\n" % time.time_ns())
    threads = [threading.Thread(target=worker, args=(host, port, seconds, t0, sys.stdout, lock)) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
