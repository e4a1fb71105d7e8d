#!/usr/bin/env python3
"""Raw HTTP client for the integration tests: sends bytes exactly as given
(malformed requests included) over TCP or TLS and prints what came back.

Each --send / --send-file is one request. By default every request gets a
connection of its own; with --one-connection they go over one, in order,
each answer read before the next request is sent (keep-alive, idle reuse).
What makes an answer complete is --read; what is printed of it, --print,
one line per answer (--print head and raw print the bytes as they came).

TLS does not verify the server: the tests use self-signed certificates.
Nothing here times anything: --read-timeout only bounds how long an answer
may take to arrive before the client gives up on it (printed as "none").

Examples (from the suites):
  raw_request.py 127.0.0.1 18443 --tls --sni www.foobar.com --print status \
      --send 'GET /who HTTP/1.1\r\nHost: a\r\n\r\n'
  raw_request.py 127.0.0.1 18443 --tls --one-connection --read http \
      --pause 0.3 --print status --send "$req" --send "$req"
"""
import argparse
import os
import socket
import ssl
import struct
import subprocess
import sys
import time

RECV_SIZE = 4096
PRINTS = ("status", "status-line", "head", "raw")
WS_OP_TEXT = 0x1  # RFC 6455 text frame
WS_FIN = 0x80
WS_MASKED = 0x80
WS_LEN_16 = 126  # the 7-bit length that says "16-bit length follows"


def unescape(text):
    """--send TEXT: C-style escapes (\\r \\n \\0 \\001 \\xNN) become bytes."""
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def read_file(path):
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--tls", action="store_true", help="speak TLS (no certificate check)")
    p.add_argument("--sni", metavar="NAME", help="TLS server name to send")
    p.add_argument("--send", metavar="TEXT", dest="requests", action="append", type=unescape, default=[],
                   help="one request, with backslash escapes")
    p.add_argument("--send-file", metavar="PATH", dest="requests", action="append", type=read_file,
                   help="one request read from a file ('-': stdin)")
    p.add_argument("--one-connection", action="store_true", help="all requests over one connection")
    p.add_argument("--read", choices=("line", "head", "http", "close"), default="line",
                   help="an answer is complete after its first line, its head, its whole "
                        "HTTP response (Content-Length), or when the server closes (default line)")
    p.add_argument("--print", dest="what", default="raw",
                   help="status, status-line, head, header:NAME or raw (default)")
    p.add_argument("--connect-timeout", metavar="S", type=float, default=5.0)
    p.add_argument("--read-timeout", metavar="S", type=float, default=5.0,
                   help="seconds from sending a request until its answer must be complete")
    p.add_argument("--pause", metavar="S", type=float, default=0.0, help="seconds to wait after each answer")
    p.add_argument("--meanwhile", metavar="CMD",
                   help="shell command run after the first request is sent, before its answer "
                        "is read; its output is printed first")
    p.add_argument("--websocket", metavar="MSG", action="append", default=[],
                   help="after the answer, send MSG as a WebSocket text frame and print the echo")
    args = p.parse_args(argv)
    if not args.requests:
        p.error("nothing to send (--send or --send-file)")
    if args.what not in PRINTS and not args.what.startswith("header:"):
        p.error("--print %s: not status, status-line, head, header:NAME or raw" % args.what)
    return args


def connect(args):
    s = socket.create_connection((args.host, args.port), timeout=args.connect_timeout)
    if args.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname=args.sni)
    return s


class Conn:
    """A socket and what it received beyond the last answer."""

    def __init__(self, sock):
        self.sock, self.buf, self.closed = sock, b"", sock is None

    def fill(self, deadline):
        """Reads once more; False when the server closed, failed or took too long."""
        left = deadline - time.monotonic()
        if self.closed or left <= 0:
            return False
        try:
            self.sock.settimeout(left)
            d = self.sock.recv(RECV_SIZE)
        except (OSError, ssl.SSLError):
            d = b""
        self.closed = not d
        self.buf += d
        return bool(d)

    def take_until(self, marker, deadline):
        while marker not in self.buf and self.fill(deadline):
            pass
        i = self.buf.find(marker)
        n = len(self.buf) if i < 0 else i + len(marker)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def take(self, n, deadline):
        while len(self.buf) < n and self.fill(deadline):
            pass
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, sep, v = line.partition(b":")
        if sep and k.strip().lower() == name.lower().encode():
            return v.strip().decode("latin-1")
    return None


def read_answer(conn, how, deadline):
    if how == "line":
        return conn.take_until(b"\r\n", deadline)
    if how == "close":
        while conn.fill(deadline):
            pass
        out, conn.buf = conn.buf, b""
        return out
    head = conn.take_until(b"\r\n\r\n", deadline)
    if how == "head" or not head.endswith(b"\r\n\r\n"):
        return head
    # the tests' answers carry Content-Length; without one, the body runs
    # to the close (no chunked decoding: the suites check those with curl)
    length = header(head, "content-length")
    if length is not None:
        return head + conn.take(int(length), deadline)
    return head + read_answer(conn, "close", deadline)


def show(answer, what):
    first = answer.split(b"\r\n", 1)[0].decode("latin-1") if answer else ""
    if what == "raw":
        sys.stdout.buffer.write(answer)
    elif what == "head":
        sys.stdout.buffer.write(answer.partition(b"\r\n\r\n")[0] + b"\r\n\r\n" if answer else b"none\n")
    elif what == "status":
        words = first.split(" ")
        print(words[1] if len(words) > 1 else "none")
    elif what == "status-line":
        print(first or "none")
    else:  # header:NAME
        v = header(answer.partition(b"\r\n\r\n")[0], what[len("header:"):])
        print("none" if v is None else v)
    sys.stdout.flush()


def ws_frame(msg):
    """A masked text frame (clients must mask, RFC 6455 5.3)."""
    mask = os.urandom(4)
    n = len(msg)
    size = bytes([WS_MASKED | n]) if n < WS_LEN_16 else bytes([WS_MASKED | WS_LEN_16]) + struct.pack(">H", n)
    return bytes([WS_FIN | WS_OP_TEXT]) + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg))


def ws_echo(conn, msg, deadline):
    try:
        conn.sock.sendall(ws_frame(msg))
    except (OSError, ssl.SSLError, AttributeError):
        return None
    hdr = conn.take(2, deadline)
    if len(hdr) < 2:
        return None
    n = hdr[1] & 0x7F
    if n == WS_LEN_16:
        n = struct.unpack(">H", conn.take(2, deadline))[0]
    return conn.take(n, deadline)


def exchange(conn, data, args, first):
    """Sends one request and prints its answer (and any WebSocket echoes)."""
    deadline = time.monotonic() + args.read_timeout
    try:
        if conn.sock:
            conn.sock.sendall(data)
    except (OSError, ssl.SSLError) as e:
        print("raw_request.py: sending: %s" % e, file=sys.stderr)
    if first and args.meanwhile:
        out = subprocess.run(args.meanwhile, shell=True, capture_output=True, text=True).stdout
        print(out.strip())
    show(read_answer(conn, args.read, deadline), args.what)
    for msg in args.websocket:
        echo = ws_echo(conn, msg.encode(), time.monotonic() + args.read_timeout)
        print("none" if echo is None else echo.decode("latin-1"))
    if args.pause:
        time.sleep(args.pause)


def open_conn(args):
    """A connection, or on failure one that answers nothing (printed as none)."""
    try:
        return Conn(connect(args))
    except (OSError, ssl.SSLError) as e:
        print("raw_request.py: %s:%d: %s" % (args.host, args.port, e), file=sys.stderr)
        return Conn(None)


def main(argv):
    args = parse_args(argv)
    shared = open_conn(args) if args.one_connection else None
    for i, data in enumerate(args.requests):
        conn = shared or open_conn(args)
        exchange(conn, data, args, i == 0)
        if conn.sock and conn is not shared:
            conn.sock.close()
    if shared and shared.sock:
        shared.sock.close()


if __name__ == "__main__":
    main(sys.argv[1:])
