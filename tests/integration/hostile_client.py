#!/usr/bin/env python3
"""Hostile clients for tests/integration/proxy_hostile.sh.

    hostile_client.py CASE

Runs one case against rampart on 127.0.0.1 (18443 TLS, 18080 plain; the
origins of evil_origin.py on 18081/18082) and prints one line of words the
suite compares with what it expects. At the moment the attack holds its
resources, every case calls live(): a bystander keep-alive connection
opened before the attack must still be answered, and a fresh request (curl)
must be answered in under 2 s; it prints "live" or what failed.
"""
import select
import socket
import ssl
import subprocess
import sys
import threading
import time

HOST = "www.foobar.com"
TLS_PORT, PLAIN_PORT = 18443, 18080
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
TCP_ESTABLISHED = 1


def connect(tls=True, port=None, rcvbuf=None, timeout=10):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port or (TLS_PORT if tls else PLAIN_PORT)))
    return CTX.wrap_socket(s, server_hostname=HOST) if tls else s


def get(path, extra=""):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (path, HOST, extra)).encode()


class Reader:
    """Reads responses off one connection (Content-Length, chunked or close)."""

    def __init__(self, s):
        self.s, self.buf, self.eof = s, b"", False

    def fill(self):
        try:
            d = self.s.recv(65536)
        except (ConnectionError, ssl.SSLError, OSError):
            d = b""
        if not d:
            self.eof = True
        self.buf += d
        return bool(d)

    def response(self):
        """(status, body) or (None, b"") when the connection ended first."""
        while b"\r\n\r\n" not in self.buf:
            if not self.fill():
                return None, b""
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        hdr = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            hdr[k.strip().lower()] = v.strip()
        if 100 <= status < 200 and status != 101:
            return self.response()
        if b"content-length" in hdr:
            n = int(hdr[b"content-length"])
            while len(self.buf) < n and self.fill():
                pass
            body, self.buf = self.buf[:n], self.buf[n:]
            return status, body
        if hdr.get(b"transfer-encoding", b"").lower() == b"chunked":
            return status, self.chunked()
        return status, b""

    def chunked(self):
        body = b""
        while True:
            while b"\r\n" not in self.buf:
                if not self.fill():
                    return body
            line, _, self.buf = self.buf.partition(b"\r\n")
            n = int(line.split(b";")[0], 16)
            while len(self.buf) < n + 2:
                if not self.fill():
                    return body
            body += self.buf[:n]
            self.buf = self.buf[n + 2:]
            if n == 0:
                return body

    def closed_within(self, seconds):
        """True when the server ends the connection within `seconds`."""
        self.s.settimeout(seconds)
        end = time.time() + seconds
        try:
            while time.time() < end:
                if not self.fill():
                    return True
        except socket.timeout:
            return False
        return self.eof


def tcp_state(s):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


# ---- liveness ----------------------------------------------------------------------

BYSTANDER = LOCAL_BYSTANDER = None


def bystander(tls, want):
    s = connect(tls)
    s.sendall(get("/who"))
    r = Reader(s)
    if r.response()[0] != want:
        raise SystemExit("bystander: first request failed")
    return r


def open_bystanders():
    global BYSTANDER, LOCAL_BYSTANDER
    BYSTANDER = bystander(True, 200)
    LOCAL_BYSTANDER = bystander(False, 301)


def fresh(local=False):
    port, scheme = (PLAIN_PORT, "http") if local else (TLS_PORT, "https")
    out = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-m", "5", "-w", "%{http_code} %{time_total}",
                          "--resolve", "%s:%d:127.0.0.1" % (HOST, port),
                          "%s://%s:%d/who" % (scheme, HOST, port)], capture_output=True, text=True).stdout
    code, _, t = out.partition(" ")
    return code, float(t or 99)


def live(local=False):
    """local: both probes are answered by the gateway itself (the plain
    listener's redirect), for cases that take every backend slot on purpose."""
    want = 301 if local else 200
    try:
        by_conn = LOCAL_BYSTANDER if local else BYSTANDER
        by_conn.s.sendall(get("/who"))
        by = by_conn.response()[0]
    except OSError:
        by = None
    code, t = fresh(local)
    if by == want and code == str(want) and t < 2.0:
        return "live"
    return "dead(bystander=%s,fresh=%s,%.1fs)" % (by, code, t)


# ---- cases -------------------------------------------------------------------------


def upgrade_then_pipelined(tls, path):
    """An upgrade request that does not become a tunnel, a request behind it."""
    s = connect(tls)
    s.sendall(get(path, "Upgrade: websocket\r\nConnection: Upgrade\r\n") + get("/who"))
    r = Reader(s)
    first = r.response()[0]
    time.sleep(0.5)
    state = live()
    after = "closed" if r.closed_within(3) else "open"
    return "%s %s %s" % (first, after, state)


def case_upgrade80():
    return upgrade_then_pipelined(False, "/")


def case_upgrade443():
    return upgrade_then_pipelined(True, "/garbage")


def case_refuse():
    return upgrade_then_pipelined(True, "/ws-refuse")


def case_noread80():
    """The issue's port-80 case: pipelined requests, answers never read."""
    s = connect(False, rcvbuf=4096)
    s.setblocking(False)
    req = get("/x") * 200
    end = time.time() + 1.0
    while time.time() < end:
        try:
            s.send(req)
        except BlockingIOError:
            time.sleep(0.05)
    state = live()
    time.sleep(5)
    return "%s %s" % ("open" if tcp_state(s) == TCP_ESTABLISHED else "closed", state)


def case_noreadbig():
    """A big answer nobody reads: cut at send_timeout."""
    s = connect(True, rcvbuf=4096)
    s.sendall(get("/big/%d" % (64 << 20)))
    time.sleep(0.5)
    state = live()
    time.sleep(5)
    return "%s %s" % ("open" if tcp_state(s) == TCP_ESTABLISHED else "closed", state)


def case_early():
    """The origin answers before the body is in; the rest of the body holds
    a request of its own."""
    ident = sys.argv[2]
    smuggle = b"\r\nGET /smuggled?id=%s HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n" % ident.encode()
    total = 2000
    s = connect()
    s.sendall(("POST /early?id=%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" % (ident, HOST, total))
              .encode() + b"0123456789")
    r = Reader(s)
    status, body = r.response()
    rest = smuggle + b"x" * (total - 10 - len(smuggle))
    try:
        s.sendall(rest)
    except OSError:
        pass
    state = live()
    closed = "closed" if r.closed_within(3) else "open"
    seen = set()
    for _ in range(6):
        c = connect()
        c.sendall(get("/who"))
        seen.add(Reader(c).response()[1].strip().decode(errors="replace"))
        c.close()
    return "%s %s %s %s %s" % (status, body.decode(errors="replace"), closed,
                               "smuggled" if "SMUGGLED" in seen else "clean", state)


def same_connection(*paths, raw=None):
    """Requests one after the other on one keep-alive connection:
    "status:body" each (body cut to 12 bytes), then liveness."""
    s = connect()
    r = Reader(s)
    out = []
    for p in paths:
        try:
            s.sendall(raw if (raw and p == "RAW") else get(p))
            st, body = r.response()
        except OSError:
            st, body = None, b""

        out.append("%s:%s" % (st, body.strip()[:12].decode(errors="replace") or "-"))
        if st is None:
            break
    return " ".join(out + [live()])


def case_interim150():
    return same_connection("/interim150", "/who")


def case_clte():
    return same_connection("/clte", "/who")


def case_past():
    return same_connection("/past", "/who", "/past", "/who", "/past", "/who")


def case_garbage():
    return same_connection("/garbage", "/who")


def case_midclose():
    return same_connection("/midclose", "/who")


def case_chunked10():
    return same_connection("RAW", "/who", raw=b"GET /chunked HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n")


def parallel(n, path, local=False):
    """n requests at once, each on its own connection: sorted statuses."""
    res = []

    def one():
        try:
            s = connect(timeout=15)
            s.sendall(get(path))
            res.append(str(Reader(s).response()[0]))
        except OSError as e:
            res.append(type(e).__name__)

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    time.sleep(0.3)
    state = live(local)
    for t in ts:
        t.join()
    return " ".join(sorted(res)), state


def case_stall():
    codes, state = parallel(4, "/stall?id=" + sys.argv[2])
    return "%s %s" % (codes, state)


def origin_peak(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /stats HTTP/1.1\r\nHost: a\r\n\r\n")
    return Reader(s).response()[1].strip().decode()


def origin_reset(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /stats/reset HTTP/1.1\r\nHost: a\r\n\r\n")
    Reader(s).response()


def case_cap_queued():
    for p in (18081, 18082):
        origin_reset(p)
    codes, state = parallel(7, "/slow/1200", local=True)
    return "%s peak=%s,%s %s" % (codes.replace("200 ", "").replace("200", "ok"), origin_peak(18081),
                                 origin_peak(18082), state)


def case_cap_timeout():
    codes, state = parallel(8, "/slow/3500", local=True)
    return "%s %s" % (codes, state)


def case_slowbody():
    """A body trickling in at 200 bytes/s."""
    s = connect()
    s.sendall(("POST /body HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\n" % HOST).encode())
    start, state = time.time(), None
    while time.time() - start < 8:
        if select.select([s], [], [], 0.5)[0] or s.pending():
            break  # an answer (or the end) came
        try:
            s.send(b"y" * 100)
        except OSError:
            break
        if state is None and time.time() - start > 1:
            state = live()
    s.settimeout(3)
    try:
        status = Reader(s).response()[0]
    except (OSError, ValueError):
        status = None
    return "%s %s" % (status, state or live())


def case_slowread():
    """A fast client, an origin that reads the body slowly: not the client's fault."""
    s = connect(timeout=20)
    n = 40000
    s.sendall(("POST /slowread HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" % (HOST, n)).encode())
    t = threading.Thread(target=lambda: s.sendall(b"z" * n))
    t.start()
    time.sleep(0.5)
    state = live()
    st, body = Reader(s).response()
    t.join()
    return "%s %s %s" % (st, body.strip().decode(), state)


def case_headers():
    s = connect()
    s.sendall(get("/hdr", "X-Real-IP: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Port: 1\r\n"))
    return "%s %s" % (Reader(s).response()[1].strip().decode(), live())


def case_replay():
    ident = sys.argv[2]
    s = connect()
    r = Reader(s)
    s.sendall(("POST /take-and-close?id=%s-post HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n\r\n"
               % (ident, HOST)).encode())
    post = r.response()[0]
    s = connect()
    s.sendall(get("/take-and-close?id=%s-get" % ident))
    got = Reader(s).response()[0]
    return "%s %s %s" % (post, got, live())


CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}

if __name__ == "__main__":
    open_bystanders()
    print(CASES[sys.argv[1]]())
