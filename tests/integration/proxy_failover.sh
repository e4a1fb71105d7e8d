#!/usr/bin/env bash
# A backend killed in the middle of 2,000 sequential requests costs no
# client an error: the connect failure (or a pooled socket found dead) is
# retried once on the other backend, and passive health takes it out.
# Then SIGTERM: idle connections close at once, in-flight requests finish.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_proxy.sh"
require_root

px_setup

res=$(ip netns exec "$PX_NS" python3 - "${PX_NGINX[web-02]}" <<'PY'
import http.client, os, signal, ssl, sys
victim = int(sys.argv[1])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
conn = http.client.HTTPSConnection("127.0.0.1", 18443, context=ctx, timeout=10)
failed, seen, fresh_conns = 0, {}, 0
for i in range(2000):
    if i == 700:
        os.kill(victim, signal.SIGKILL)
    if i % 100 == 50:                       # some requests on new connections too
        conn.close(); fresh_conns += 1
    try:
        conn.request("GET", "/who", headers={"Host": "www.foobar.com"})
        r = conn.getresponse(); body = r.read().decode().strip()
        if r.status != 200:
            failed += 1
        else:
            seen[body] = seen.get(body, 0) + 1
    except Exception as e:
        failed += 1
        conn.close()
after = seen.get("web-02", 0)
print(failed, "both-used" if seen.get("web-01", 0) > 1000 and after >= 300 else "unbalanced:%s" % seen)
PY
)
check_eq "2,000 sequential requests, web-02 killed at #700: 0 failed" "0 both-used" "$res"
codes=$(for i in 1 2 3 4; do px_curl -o /dev/null -w '%{http_code} ' https://www.foobar.com:18443/who; done)
check_eq "after the kill every request still succeeds" "200 200 200 200 " "$codes"
# SIGTERM: an idle keep-alive connection is closed at once, a request in
# flight (the backend takes 3 s) is still answered, then rampart exits 0.
drain=$(ip netns exec "$PX_NS" python3 - "$PX_RAMPART" <<'PY'
import os, signal, socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def conn():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", 18443), timeout=10), server_hostname="www.foobar.com")
def answer(s):
    buf = b""
    while True:
        d = s.recv(4096)
        if not d: return buf
        buf += d
idle = conn()
idle.sendall(b"GET /who HTTP/1.1\r\nHost: www.foobar.com\r\n\r\n"); idle.recv(4096)
slow = conn()
slow.sendall(b"GET /py/slow HTTP/1.1\r\nHost: www.foobar.com\r\n\r\n")
time.sleep(0.5)
os.kill(int(sys.argv[1]), signal.SIGTERM)
t = time.time(); idle.settimeout(2)
try:
    idle_state = "closed" if answer(idle) == b"" and time.time() - t < 1.5 else "open"
except socket.timeout:
    idle_state = "open"
r = answer(slow)
print(idle_state, r.split(b"\r\n")[0].decode(), "close" if b"connection: close" in r.lower() else "keep")
PY
)
check_eq "SIGTERM: idle keep-alive closed, in-flight request answered with Connection: close" \
  "closed HTTP/1.1 200 OK close" "$drain"
px_done
