#!/usr/bin/env bash
# SIGHUP swaps the certificate: new handshakes get the new one, while a
# connection established before the reload keeps working (its next request
# is answered by the old relay, with "Connection: close", as HAProxy does
# on a soft stop).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root

ns=$(netns_add certrl) || { not_ok "namespace"; exit 1; }
proc_cert || { not_ok "certificate"; exit 1; }
# the replacement pair, same name, another serial and organisation
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_TMP/key2.pem" \
  -out "$T_TMP/cert2.pem" -days 2 -subj "/O=Second/CN=www.foobar.com" >/dev/null 2>&1 &&
  chmod 600 "$T_TMP/key2.pem" || { not_ok "second certificate"; exit 1; }
# two backends that keep the connection alive (a 503 for "no backend" would close it)
mkdir -p "$T_TMP/www" && echo hello >"$T_TMP/www/index.html"
for port in 18081 18082; do
  spawn "$ns" "$T_TMP/backend-$port.log" python3 -m http.server "$port" --bind 127.0.0.1 \
    --directory "$T_TMP/www" >/dev/null
done
wait_port "$ns" 127.0.0.1 18081 && wait_port "$ns" 127.0.0.1 18082 || { not_ok "backends start"; exit 1; }
proc_config "$T_TMP/r.ini"
log=$T_TMP/rampart.log
spawn "$ns" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
wait_port "$ns" 127.0.0.1 18443 || { not_ok "rampart starts" "$(tail -n 3 "$log")"; exit 1; }

out=$(ip netns exec "$ns" python3 - "$pid" "$T_TMP" "$log" <<'PY'
import os, shutil, signal, socket, ssl, sys, time
pid, tmp, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

def connect():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", 18443), timeout=5),
                        server_hostname="www.foobar.com")
    return s

def org(s):
    der = s.getpeercert(binary_form=True)
    return "second" if b"Second" in der else "first"

def ask(s):
    s.sendall(b"GET / HTTP/1.1\r\nHost: www.foobar.com\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    raw_head, _, body = data.partition(b"\r\n\r\n")
    head = raw_head.decode(errors="replace").lower()
    length = 0
    for line in head.split("\r\n")[1:]:
        if line.startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    while len(body) < length:  # read the body whole, so the next answer starts clean
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    status = head.split("\r\n")[0][9:12] if head else "none"
    return status, "connection: close" in head

old = connect()
first_status, _ = ask(old)
old_org = org(old)
shutil.copy(tmp + "/cert2.pem", tmp + "/cert.pem")
shutil.copy(tmp + "/key2.pem", tmp + "/key.pem")
before = open(log).read().count("reload_done")
os.kill(pid, signal.SIGHUP)
deadline = time.time() + 5
while time.time() < deadline and open(log).read().count("reload_done") == before:
    time.sleep(0.05)
new = connect()
new_org = org(new)
again_status, closing = ask(old)
print(old_org, first_status, new_org, again_status, "close" if closing else "keep")
PY
)
read -r old_org first_ok new_org again_ok closing <<<"$out"
check_eq "before the reload: the first certificate" first "$old_org"
check_eq "the first request answered by a backend" 200 "$first_ok"
check_eq "after SIGHUP: new handshakes get the new certificate" second "$new_org"
check_eq "the connection from before the reload still answers" 200 "$again_ok"
[ "$again_ok" = 200 ] || note "$(grep -E "relay|reload|drain" "$log" | tail -n 8 | cut -c1-160)"
check_eq "... and is told to close (Connection: close)" close "$closing"
check "reload logged" grep -q reload_done "$log"
stop_pid "$pid" TERM
t_done
