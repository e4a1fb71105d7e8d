#!/usr/bin/env python3
"""A misbehaving HTTP/1.1 origin for tests/integration/proxy_hostile.sh.

    evil_origin.py NAME:PORT [NAME:PORT ...]

Listens on 127.0.0.1:PORT for each backend NAME (one thread per
connection, keep-alive) and answers by path. Its parser is lenient on
purpose, like the origins that make request smuggling work: after it has
answered early, whatever else arrives on the connection is read as the
next request. Everything worth asserting is printed as one line
"EVENT <name> id=<id> <what>" (stdout, flushed), and GET /stats answers
the highest number of requests it ever had in flight on that port.

Paths (a query string ?id=X tags the events of one test case):
  /who /health /             200 "<name>\\n"
  /stats, /stats/reset       peak /slow/ requests in flight on this port; restart it
  /hdr                       200, the forwarding headers it received
  /body                      reads a Content-Length body, 200 "<bytes>"
  /slowread                  reads the body 1 KiB per 100 ms, 200 "<bytes>"
  /slow/<ms>                 waits, then 200 "<name>\\n" (concurrency)
  /big/<bytes>               200 with that many bytes
  /early                     200 at once, before reading the body; logs
                             "after-answer <n>" for bytes that follow and
                             "closed" when the gateway closes
  /interim150                150 with Content-Length and a body, then 200
  /clte                      Content-Length and Transfer-Encoding
  /past                      bytes past Content-Length: a second response
  /chunked                   chunked, whatever the request's version
  /stall                     reads the request, never answers
  /midclose                  half a body, then close
  /garbage                   not HTTP at all
  /ws-refuse                 200 to an upgrade request
  /take-and-close            reads the request, logs "took", closes
  /smuggled                  what a smuggled request gets: "SMUGGLED"
"""
import socket
import sys
import threading
import time

SMUGGLED = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nSMUGGLED\n"
lock = threading.Lock()
in_flight = {}
peak = {}


def event(name, ident, what):
    with lock:
        print("EVENT %s id=%s %s" % (name, ident, what), flush=True)


class Conn:
    def __init__(self, sock, name, port):
        self.s, self.name, self.port = sock, name, port
        self.buf = b""

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d
        return d

    def head(self):
        """Request line and headers, lenient: junk before a request line is skipped."""
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        raw, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        while lines and b" HTTP/1." not in lines[0]:
            lines.pop(0)
        if not lines:
            return None, None, {}
        parts = lines[0].split(b" ")
        method = parts[0].decode(errors="replace").split()[-1] if parts[0] else ""
        target = parts[1].decode(errors="replace") if len(parts) > 1 else "/"
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers.setdefault(k.strip().lower().decode(errors="replace"), v.strip().decode(errors="replace"))
        return method, target, headers

    def body(self, headers, pace=None):
        n = int(headers.get("content-length", "0") or 0)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return self.chunked()
        got = 0
        while got < n:
            if not self.buf:
                if pace:
                    time.sleep(pace)
                self.fill()
            take = min(n - got, len(self.buf), 1024 if pace else len(self.buf))
            self.buf = self.buf[take:]
            got += take
        return got

    def chunked(self):
        got = 0
        while True:
            while b"\r\n" not in self.buf:
                self.fill()
            line, _, self.buf = self.buf.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while True:
                    while b"\r\n" not in self.buf:
                        self.fill()
                    t, _, self.buf = self.buf.partition(b"\r\n")
                    if not t:
                        return got
            while len(self.buf) < size + 2:
                self.fill()
            self.buf = self.buf[size + 2:]
            got += size

    def send(self, data):
        self.s.sendall(data)

    def ok(self, body, extra=b""):
        if isinstance(body, str):
            body = body.encode()
        self.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (len(body), extra) + body)


def query_id(target):
    for part in target.partition("?")[2].split("&"):
        if part.startswith("id="):
            return part[3:]
    return "-"


def after_early(c, ident):
    """The gateway should close now; a lenient origin reads on. Bytes that
    had come with the head (before the answer) do not count."""
    c.s.settimeout(15)
    try:
        while True:
            d = c.fill()
            event(c.name, ident, "after-answer %d" % len(d))
            method, target, _ = c.head()
            if target and target.startswith("/smuggled"):
                event(c.name, ident, "smuggled")
                c.send(SMUGGLED)
    except (EOFError, ConnectionError):
        event(c.name, ident, "closed")
    except socket.timeout:
        event(c.name, ident, "still-open")


def answer(c, method, target, headers):
    """Returns False when the connection is finished."""
    path, ident = target.partition("?")[0], query_id(target)
    if path in ("/", "/who", "/health"):
        c.body(headers)
        c.ok(c.name + "\n")
    elif path == "/stats":
        c.ok("%d\n" % peak.get(c.port, 0))
    elif path == "/stats/reset":
        with lock:
            peak[c.port] = in_flight.get(c.port, 0)
        c.ok("reset\n")
    elif path == "/hdr":
        c.body(headers)
        keys = ("x-real-ip", "x-forwarded-host", "x-forwarded-port", "x-forwarded-for", "x-forwarded-proto")
        c.ok("|".join("%s=%s" % (k, headers.get(k, "")) for k in keys) + "|\n")
    elif path == "/body":
        c.ok("%d\n" % c.body(headers))
    elif path == "/slowread":
        c.ok("%d\n" % c.body(headers, pace=0.1))
    elif path.startswith("/slow/"):
        c.body(headers)
        time.sleep(int(path.rsplit("/", 1)[1]) / 1000.0)
        c.ok(c.name + "\n")
    elif path.startswith("/big/") or path.startswith("/.well-known/acme-challenge/big"):
        c.body(headers)
        n = int(path.rsplit("/", 1)[1]) if path.startswith("/big/") else 32 << 20
        c.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
        block = b"b" * 65536
        while n > 0:
            c.send(block[:min(n, len(block))])
            n -= len(block)
    elif path == "/early":
        c.ok("early")
        after_early(c, ident)
        return False
    elif path == "/interim150":
        c.body(headers)
        c.send(b"HTTP/1.1 150 X\r\nContent-Length: 5\r\n\r\nHELLO" + SMUGGLED)
    elif path == "/clte":
        c.body(headers)
        c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    elif path == "/past":
        c.body(headers)
        c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\npst" + SMUGGLED)
    elif path == "/chunked":
        c.body(headers)
        c.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nchunked\r\n0\r\n\r\n")
    elif path == "/stall":
        c.body(headers)
        event(c.name, ident, "stalled")
        c.s.settimeout(30)
        try:
            while c.fill():
                pass
        except (EOFError, ConnectionError, socket.timeout):
            pass
        return False
    elif path == "/midclose":
        c.body(headers)
        c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        return False
    elif path == "/garbage":
        c.body(headers)
        c.send(b"THIS IS NOT HTTP\r\n\r\n")
        return False
    elif path == "/ws-refuse":
        c.ok("no upgrade for you\n")
    elif path == "/take-and-close":
        event(c.name, ident, "took %s" % method)
        return False
    elif path == "/smuggled":
        event(c.name, ident, "smuggled")
        c.send(SMUGGLED)
    else:
        c.body(headers)
        c.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    return True


def serve_conn(sock, name, port):
    c = Conn(sock, name, port)
    try:
        while True:
            method, target, headers = c.head()
            if target is None:
                continue
            slow = target.startswith("/slow/")  # what /stats counts (not health checks)
            with lock:
                in_flight[port] = in_flight.get(port, 0) + slow
                peak[port] = max(peak.get(port, 0), in_flight[port])
            try:
                if not answer(c, method, target, headers):
                    return
            finally:
                with lock:
                    in_flight[port] -= slow
    except (EOFError, ConnectionError, OSError, ValueError):
        pass
    finally:
        sock.close()


def listen(name, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(512)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve_conn, args=(s, name, port), daemon=True).start()


def main():
    for spec in sys.argv[1:]:
        name, _, port = spec.partition(":")
        threading.Thread(target=listen, args=(name, int(port)), daemon=True).start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
