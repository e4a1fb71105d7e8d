#!/usr/bin/python3
"""HTTP/2 frames by hand, for tests/integration/h2_attacks.sh.

    h2_client.py HOST PORT [--sni NAME] attack NAME [--count N] [--wait S]
    h2_client.py HOST PORT [--sni NAME] get PATH [--count N]
    h2_client.py HOST PORT [--sni NAME] ws PATH
    h2_client.py backend PORT LOG

`attack` first opens a bystander HTTP/2 connection (one good GET
/bystander, and one every TICK_S while the attack waits), then a second
connection that runs the attack NAME with hand-built frames (hyperframe
for framing, hpack for header blocks, so any field, order or frame
sequence can be sent), then asks the bystander for another page. It
prints one line that the test compares exactly:

    rst=CODE goaway=CODE closed=yes|no status=N after=yes|- bystander=N

rst: the first RST_STREAM the gateway sent on the attack's stream 1 (or
"-"); goaway: the code of its GOAWAY ("-"); closed: whether it closed the
connection within --wait seconds; status: the :status of the attack
stream's response ("-"); after: for stream errors, whether a normal GET on
the same connection was still answered 200; bystander: the :status of
the bystander's second GET.

`ws` opens a WebSocket over HTTP/2 (RFC 8441 extended CONNECT, once the
gateway's SETTINGS offered it), sends one masked text frame "hello" and a
close, and prints "status=N echo=TEXT end=yes|no" (end: the stream ended
cleanly after the backend closed).

`backend` is an HTTP/1.1 origin that appends every request line it gets to
LOG (so a test can say what reached a backend) and serves /, /who,
/page.html (600 bytes), /big (4 MiB) and /slow (answers after 2 s).
"""
import argparse
import socket
import socketserver
import ssl
import sys
import threading
import time

from hpack import Decoder, Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, ExtensionFrame, Frame, GoAwayFrame, HeadersFrame,
                              PingFrame, PriorityFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
TICK_S = 0.5
CODES = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
         "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
         "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]


def code_name(c):
    return CODES[c] if c < len(CODES) else "0x%x" % c


class Conn:
    """One TLS connection speaking raw HTTP/2."""

    def __init__(self, host, port, sni, settings=None, preface=True):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection((host, port), timeout=10)
        self.s = ctx.wrap_socket(raw, server_hostname=sni)
        if self.s.selected_alpn_protocol() != "h2":
            raise SystemExit("ALPN did not select h2: %r" % self.s.selected_alpn_protocol())
        self.enc, self.dec = Encoder(), Decoder()
        self.dec.max_header_list_size = 1 << 20
        self.buf = b""
        self.closed = False
        self.rst, self.status, self.data = {}, {}, {}
        self.goaway = None
        self.settings = {}
        self.ended = set()
        self.send_failed = False
        self.last_id = 0
        self.tick = None  # called about every TICK_S while waiting
        if preface:
            self.send(PREFACE + SettingsFrame(0, settings=settings or {}).serialize())

    def send(self, b):
        """A gateway that gave up on us may stop reading: what it sent
        before (its GOAWAY) is still read by until()."""
        try:
            self.s.sendall(b)
        except OSError:
            self.send_failed = True

    def frame(self, f):
        self.send(f.serialize())

    def block(self, fields):
        return self.enc.encode(fields)

    def headers(self, sid, fields, end_stream=True):
        self.last_id = max(self.last_id, sid)
        f = HeadersFrame(sid, data=self.block(fields), flags=["END_HEADERS"] + (["END_STREAM"] if end_stream else []))
        self.frame(f)

    def get(self, sid, path="/", extra=()):
        self.headers(sid, [(":method", "GET"), (":scheme", "https"), (":authority", "www.foobar.com"),
                           (":path", path)] + list(extra))

    def _read_frame(self, deadline):
        while True:
            if len(self.buf) >= 9:
                f, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
                if len(self.buf) >= 9 + length:
                    f.parse_body(memoryview(self.buf[9:9 + length]))
                    self.buf = self.buf[9 + length:]
                    return f
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return None
            if self.tick:
                self.tick()
            self.s.settimeout(min(left, TICK_S))
            try:
                chunk = self.s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                return None
            self.buf += chunk

    def _note(self, f):
        if isinstance(f, SettingsFrame) and "ACK" not in f.flags:
            self.settings.update(f.settings)
            self.frame(SettingsFrame(0, flags=["ACK"]))
        elif isinstance(f, PingFrame) and "ACK" not in f.flags:
            self.frame(PingFrame(0, opaque_data=f.opaque_data, flags=["ACK"]))
        elif isinstance(f, RstStreamFrame):
            self.rst.setdefault(f.stream_id, code_name(f.error_code))
        elif isinstance(f, GoAwayFrame):
            self.goaway = code_name(f.error_code)
        elif isinstance(f, HeadersFrame) or isinstance(f, ContinuationFrame):
            for name, value in self.dec.decode(f.data, raw=True):
                if name == b":status":
                    self.status[f.stream_id] = int(value)
            if "END_STREAM" in f.flags:
                self.data.setdefault(f.stream_id, b"")
        elif isinstance(f, DataFrame):
            self.data[f.stream_id] = self.data.get(f.stream_id, b"") + f.data
            if "END_STREAM" in f.flags:
                self.ended.add(f.stream_id)
            if f.flow_controlled_length:
                self.frame(WindowUpdateFrame(0, window_increment=f.flow_controlled_length))
                self.frame(WindowUpdateFrame(f.stream_id, window_increment=f.flow_controlled_length))

    def until(self, done, wait):
        """Reads frames until done(self) or the connection ends or wait passes."""
        deadline = time.monotonic() + wait
        while not done(self):
            f = self._read_frame(deadline)
            if f is None:
                break
            self._note(f)
        return done(self)

    def answered(self, sid, wait=10):
        self.until(lambda c: sid in c.status or sid in c.rst or c.goaway or c.closed, wait)
        return self.status.get(sid, "-")


# ---- attacks: each sends its frames on conn c and says which stream to watch -------------------

GET = [(":method", "GET"), (":scheme", "https"), (":authority", "www.foobar.com"), (":path", "/")]


def fields(extra=(), method="GET", path="/", drop=()):
    out = [(":method", method), (":scheme", "https"), (":authority", "www.foobar.com"), (":path", path)]
    return [f for f in out if f[0] not in drop] + list(extra)


STREAM_ERRORS = {
    # H2.CL: a body longer than its content-length, carrying a request of its own
    "h2_cl": lambda c: (c.headers(1, fields([("content-length", "0")], method="POST"), end_stream=False),
                        c.frame(DataFrame(1, data=b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", flags=["END_STREAM"]))),
    "h2_cl_short": lambda c: (c.headers(1, fields([("content-length", "100")], method="POST"), end_stream=False),
                              c.frame(DataFrame(1, data=b"x" * 10, flags=["END_STREAM"]))),
    "h2_te": lambda c: c.headers(1, fields([("transfer-encoding", "chunked")], method="POST")),
    "crlf_value": lambda c: c.headers(1, fields([("x-a", "1\r\nx-smuggled: 1")])),
    "lf_value": lambda c: c.headers(1, fields([("x-a", "1\nGET /smuggled HTTP/1.1")])),
    "nul_value": lambda c: c.headers(1, fields([("x-a", "a\0b")])),
    "space_value": lambda c: c.headers(1, fields([("x-a", " padded ")])),
    "crlf_name": lambda c: c.headers(1, fields([("x-a\r\nx-b", "1")])),
    "uppercase_name": lambda c: c.headers(1, fields([("X-Upper", "1")])),
    "connection_header": lambda c: c.headers(1, fields([("connection", "keep-alive")])),
    "keepalive_header": lambda c: c.headers(1, fields([("keep-alive", "timeout=5")])),
    "upgrade_header": lambda c: c.headers(1, fields([("upgrade", "websocket")])),
    "te_gzip": lambda c: c.headers(1, fields([("te", "gzip")])),
    "pseudo_twice": lambda c: c.headers(1, fields([(":path", "/again")])),
    "pseudo_after_regular": lambda c: c.headers(1, fields(drop=(":path",)) + [("x-a", "1"), (":path", "/")]),
    "pseudo_unknown": lambda c: c.headers(1, [(":foo", "bar")] + fields()),
    "pseudo_status": lambda c: c.headers(1, [(":status", "200")] + fields()),
    "no_method": lambda c: c.headers(1, fields(drop=(":method",))),
    "no_path": lambda c: c.headers(1, fields(drop=(":path",))),
    "space_in_path": lambda c: c.headers(1, fields(path="/a b HTTP/1.1\r\nx: y")),
    "host_mismatch": lambda c: c.headers(1, fields([("host", "evil.example")])),
}


def flood(kind, n):
    def run(c):
        for i in range(n):
            if kind == "ping":
                c.frame(PingFrame(0, opaque_data=b"%08d" % i))
            elif kind == "settings":
                c.frame(SettingsFrame(0))
            elif kind == "window_update":
                c.frame(WindowUpdateFrame(0, window_increment=1))
            elif kind == "priority":
                c.frame(PriorityFrame(2 * i + 1, depends_on=0, stream_weight=16))
            elif kind == "unknown":  # by hand: hyperframe writes an ExtensionFrame's length as 0
                c.send(b"\x00\x00\x04\x42\x00\x00\x00\x00\x00junk")
            elif kind == "empty_data":
                if i == 0:
                    c.headers(1, fields(method="POST"), end_stream=False)
                c.frame(DataFrame(1, data=b""))
    return run


def rapid_reset(n):
    def run(c):
        for i in range(n):
            sid = 2 * i + 1
            c.headers(sid, fields(path="/slow"))
            c.frame(RstStreamFrame(sid, error_code=8))
    return run


def continuation_flood(n):
    def run(c):
        block = c.block(GET)
        c.frame(HeadersFrame(1, data=block[:1], flags=["END_STREAM"]))
        for _ in range(n):
            c.frame(ContinuationFrame(1, data=b""))
        c.frame(ContinuationFrame(1, data=block[1:], flags=["END_HEADERS"]))
    return run


def continuation_bytes(n):
    """One header value spread over frames of 8000 bytes: the block grows
    past max_header_block_size long before it decodes to anything."""
    def run(c):
        block = c.block(GET + [("x-big", "a" * (8000 * n))])
        frames = [block[i:i + 8000] for i in range(0, len(block), 8000)]
        c.frame(HeadersFrame(1, data=frames[0], flags=["END_STREAM"]))
        for part in frames[1:-1]:
            c.frame(ContinuationFrame(1, data=part))
        c.frame(ContinuationFrame(1, data=frames[-1], flags=["END_HEADERS"]))
    return run


def hpack_bomb(n):
    """A 4000-byte value in the HPACK table, then referenced n times: a few
    bytes on the wire, n x 4 KiB decoded."""
    def run(c):
        c.headers(1, GET + [("x-bomb", "b" * 4000)] * n)
    return run


def bad_preface(c):
    c.send(b"GET / HTTP/1.1\r\nHost: www.foobar.com\r\n\r\n")  # (Conn sent no preface)


def zero_window(c):
    c.frame(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0}))
    c.get(1, "/big")


def too_many_streams(n):
    """Before the client has acknowledged the gateway's SETTINGS: the one
    too many is refused (REFUSED_STREAM, the client may retry it)."""
    def run(c):
        for i in range(n):
            c.get(2 * i + 1, "/slow")
    return run


def too_many_streams_acked(n):
    """After: the client breaks a limit it knows, a connection error."""
    def run(c):
        c.until(lambda x: False, 0.3)  # their SETTINGS read and ACKed
        for i in range(n):
            c.get(2 * i + 1, "/slow")
    return run


ATTACKS = dict(STREAM_ERRORS)
ATTACKS.update({
    "ping_flood": lambda n: flood("ping", n), "settings_flood": lambda n: flood("settings", n),
    "window_update_flood": lambda n: flood("window_update", n), "priority_flood": lambda n: flood("priority", n),
    "unknown_flood": lambda n: flood("unknown", n), "empty_data_flood": lambda n: flood("empty_data", n),
    "rapid_reset": rapid_reset, "continuation_flood": continuation_flood,
    "continuation_bytes": continuation_bytes, "hpack_bomb": hpack_bomb, "too_many_streams": too_many_streams,
    "too_many_streams_acked": too_many_streams_acked,
})
NEEDS_COUNT = {"ping_flood", "settings_flood", "window_update_flood", "priority_flood", "unknown_flood",
               "empty_data_flood", "rapid_reset", "continuation_flood", "continuation_bytes", "hpack_bomb",
               "too_many_streams", "too_many_streams_acked"}
DEADLINES = {"no_request", "one_get"}  # wait for the connection's own deadline
PLAIN = {"bad_preface": bad_preface, "zero_window": zero_window, "no_request": lambda c: None,
         "one_get": lambda c: c.get(1, "/")}


def attack(args):
    by = Conn(args.host, args.port, args.sni)
    by.get(1, "/bystander")
    if by.answered(1) != 200:
        print("bystander did not get its first page")
        return 1
    c = Conn(args.host, args.port, args.sni, preface=args.name != "bad_preface")
    state = {"next": 3, "at": time.monotonic()}

    def keep_bystander():
        """A request on the bystander now and then, so its own idle deadline
        never ends it while the attack waits for one."""
        if time.monotonic() - state["at"] < TICK_S:
            return
        state["at"] = time.monotonic()
        by.get(state["next"], "/bystander")
        by.answered(state["next"], 5)
        state["next"] += 2

    c.tick = keep_bystander
    if args.name in NEEDS_COUNT:
        ATTACKS[args.name](args.count)(c)
    elif args.name in ATTACKS:
        ATTACKS[args.name](c)
    else:
        PLAIN[args.name](c)
    watch = 2 * args.count - 1 if args.name.startswith("too_many_streams") else 1
    # the gateway's answer: a connection error, or this stream's reset or response
    if args.name == "zero_window":  # the head comes at once, the reset after send_timeout
        c.until(lambda x: x.closed or x.goaway or watch in x.rst, args.wait)
    else:
        c.until(lambda x: x.closed or x.goaway or watch in x.rst or watch in x.status, args.wait)
    if args.name == "too_many_streams":  # the streams it may have end before the next one
        c.until(lambda x: all(i in x.status for i in range(1, watch, 2)), args.wait)
    after = "-"
    if not c.closed and not c.goaway:  # a stream error: the connection must still serve
        sid = max(c.last_id, watch) + 2
        c.get(sid, "/who")
        after = "yes" if c.answered(sid, args.wait) == 200 else "no"
        if args.name in DEADLINES:
            c.until(lambda x: x.closed or x.goaway, args.wait)
    if c.goaway:
        c.until(lambda x: x.closed, args.wait)
    by.get(state["next"], "/bystander")
    print("rst=%s goaway=%s closed=%s status=%s after=%s bystander=%s" % (
        c.rst.get(watch, "-"), c.goaway or "-", "yes" if c.closed else "no", c.status.get(watch, "-"), after,
        by.answered(state["next"])))
    return 0


def ws(args):
    c = Conn(args.host, args.port, args.sni)
    c.until(lambda x: 0x8 in x.settings, 5)  # SETTINGS_ENABLE_CONNECT_PROTOCOL
    if c.settings.get(0x8) != 1:
        print("status=- echo=- end=no (extended CONNECT not offered)")
        return 0
    c.headers(1, [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
                  (":authority", "www.foobar.com"), (":path", args.path), ("sec-websocket-version", "13")],
              end_stream=False)
    status = c.answered(1)
    mask = b"\x01\x02\x03\x04"

    def masked(op, payload):
        return bytes([0x80 | op, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    c.frame(DataFrame(1, data=masked(1, b"hello")))
    c.until(lambda x: len(x.data.get(1, b"")) >= 7 or x.closed or 1 in x.rst, 5)
    got = c.data.get(1, b"")
    echo = got[2:2 + got[1]].decode(errors="replace") if len(got) >= 2 else "-"
    c.frame(DataFrame(1, data=masked(8, b"")))
    c.until(lambda x: 1 in x.ended or 1 in x.rst or x.closed, 5)
    print("status=%s echo=%s end=%s" % (status, echo or "-", "yes" if 1 in c.ended and 1 not in c.rst else "no"))
    return 0


def get(args):
    c = Conn(args.host, args.port, args.sni)
    out = []
    for i in range(args.count):
        c.get(2 * i + 1, args.path)
    for i in range(args.count):
        out.append(str(c.answered(2 * i + 1)))
    print(" ".join(out))
    return 0


# ---- the logging backend -------------------------------------------------------------------------

class Origin(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            head = {}
            while True:
                h = self.rfile.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                head[k.strip().lower()] = v.strip()
            with self.server.lock, open(self.server.log, "a") as f:
                f.write(line.decode("latin-1").rstrip("\r\n") + "\n")
            self.body(head)
            path = line.split()[1].decode()
            if path.startswith("/slow"):
                time.sleep(2)
            if path.startswith("/big"):
                size = 4 << 20
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                block = b"z" * 65536
                for _ in range(size // len(block)):
                    try:
                        self.wfile.write(block)
                    except OSError:
                        return
                continue
            body = b"p" * 600 if path.startswith("/page") else b"ok\n"
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            self.wfile.flush()

    def body(self, head):
        if head.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2) if size else None
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return
        else:
            self.rfile.read(int(head.get("content-length", "0")))


class OriginServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client (the gateway) that goes away mid-answer is what the tests do


def backend(port, log):
    srv = OriginServer(("127.0.0.1", port), Origin)
    srv.log, srv.lock = log, threading.Lock()
    srv.serve_forever()


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "backend":
        backend(int(sys.argv[2]), sys.argv[3])
        return 0
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--sni", default="www.foobar.com")
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("attack")
    a.add_argument("name")
    a.add_argument("--count", type=int, default=1000)
    a.add_argument("--wait", type=float, default=5.0)
    g = sub.add_parser("get")
    g.add_argument("path")
    g.add_argument("--count", type=int, default=1)
    w = sub.add_parser("ws")
    w.add_argument("path")
    args = p.parse_args()
    return {"attack": attack, "get": get, "ws": ws}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
