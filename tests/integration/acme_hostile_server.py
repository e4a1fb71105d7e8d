#!/usr/bin/env python3
"""A hostile ACME server for tests/integration/acme_hostile.sh: HTTPS on
ADDR:PORT (CERT, KEY), and the Nth GET of the directory gets the Nth bad
answer below, so the ACME process's orders (one per certificate, one
after the other) each meet one. Logs one line per request to stdout."""
import http.server
import socketserver
import ssl
import sys
import threading
import time

ADDR, PORT, CERT, KEY = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
BASE = "https://%s:%d" % (ADDR, PORT)
count = {"dir": 0}
lock = threading.Lock()

def huge(h):  # 8 MB with a Content-Length: refused before it is read
    h.send_response(200)
    h.send_header("Content-Length", str(8 << 20))
    h.end_headers()
    chunk = b"{" + b" " * 65535
    try:
        for _ in range(128):
            h.wfile.write(chunk)
    except OSError:
        pass

def huge_chunked(h):  # no length: cut as it passes the bound
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    try:
        for _ in range(200):
            h.wfile.write(b"10000\r\n" + b" " * 65536 + b"\r\n")
    except OSError:
        pass

def redirect(h):
    h.send_response(302)
    h.send_header("Location", BASE + "/elsewhere")
    h.send_header("Content-Length", "0")
    h.end_headers()

def body(h, text):
    data = text.encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)

def wrong_json(h):
    body(h, '{"newNonce": "' + BASE + '/n", "newAccount": ')

def missing_fields(h):
    body(h, '{"newNonce": "' + BASE + '/n"}')

def off_origin(h):
    body(h, '{"newNonce": "https://elsewhere.test/n", "newAccount": "' + BASE + '/a", "newOrder": "' + BASE + '/o"}')

def slow(h):  # a byte every 2 s: below the low-speed bound
    h.send_response(200)
    h.send_header("Content-Length", "4096")
    h.end_headers()
    try:
        for _ in range(40):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(2)
    except OSError:
        pass

PLAN = [huge, redirect, wrong_json, missing_fields, off_origin, huge_chunked, slow]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        with lock:
            n = count["dir"]
            count["dir"] += 1
        what = PLAN[n] if n < len(PLAN) else missing_fields
        print("request %d %s %s" % (n, self.path, what.__name__), flush=True)
        what(self)

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

srv = Server((ADDR, PORT), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
