#!/usr/bin/env bash
# rampart -c FILE serves: SO_REUSEPORT listeners (one per worker), the
# per-client connection limit is enforced before any TLS work, and SIGTERM
# lets an in-flight request finish, then exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root

ns=$(netns_add serve) || { not_ok "namespace"; exit 1; }
proc_cert || { not_ok "certificate"; exit 1; }
proc_config "$T_TMP/r.ini"
spawn "$ns" "$T_TMP/rampart.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
if wait_port "$ns" 127.0.0.1 18080 && wait_port "$ns" 127.0.0.1 18443; then ok "listeners open"; else
  not_ok "listeners open" "$(tail -n 3 "$T_TMP/rampart.log")"; exit 1
fi
check_eq "HTTP listener answers with the HTTPS redirect" 301 "$(proc_http "$ns" 18080)"
check_eq "HTTPS listener: one SO_REUSEPORT socket per worker" 2 \
  "$(ip netns exec "$ns" ss -Hltn 'sport = :18443' | wc -l)"

# 3 connections per client are allowed (each has sent part of a request, so
# it is accepted and held open); the 4th is closed at once.
limit=$(ip netns exec "$ns" python3 - <<'PY'
import socket, time
held = []
for _ in range(3):
    s = socket.create_connection(("127.0.0.1", 18080)); s.sendall(b"GET / HTTP/1.1\r\n"); held.append(s)
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", 18080)); s.sendall(b"GET / HTTP/1.1\r\n"); s.settimeout(3)
try:
    fourth = "closed" if s.recv(100) == b"" else "answered"
except (ConnectionResetError, BrokenPipeError):
    fourth = "closed"
except socket.timeout:
    fourth = "held"
held[0].settimeout(0.3)
try:
    first = "closed" if held[0].recv(100) == b"" else "answered"
except socket.timeout:
    first = "held"
print(first, fourth)
PY
)
check_eq "per-IP limit: 3 held, the 4th closed before TLS" "held closed" "$limit"

# SIGTERM with a request in flight: it is answered, then the process exits 0.
drain=$(ip netns exec "$ns" python3 - "$pid" <<'PY'
import os, signal, socket, sys, time
s = socket.create_connection(("127.0.0.1", 18080)); s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
time.sleep(0.3)
os.kill(int(sys.argv[1]), signal.SIGTERM)
time.sleep(0.5)
try:
    os.kill(int(sys.argv[1]), 0); alive = "alive"
except ProcessLookupError:
    alive = "gone"
try:
    socket.create_connection(("127.0.0.1", 18080), timeout=2).close(); new = "accepted"
except ConnectionRefusedError:
    new = "refused"
s.sendall(b"\r\n"); s.settimeout(3)
print(alive, new, s.recv(100).split(b"\r\n")[0].decode())
PY
)
check_eq "SIGTERM drains: in-flight request still answered, new connections refused" \
  "alive refused HTTP/1.1 301 Moved Permanently" "$drain"
wait "$pid"
check_eq "SIGTERM: exit status 0" 0 "$?"

# a relay that cannot start (here: asked to run as root) stops the daemon;
# the parent sees it first now (it resolves the relay's user to sandbox it)
sed 's/^user = .*/user = root/' "$T_TMP/r.ini" >"$T_TMP/root.ini"
ip netns exec "$ns" "$RAMPART_BUILD/rampart" -c "$T_TMP/root.ini" >"$T_TMP/root.log" 2>&1
check_eq "relay refuses to run as root: exit 1" 1 "$?"
check "relay refuses to run as root: reason logged" \
  grep -qE "(relay_failed|startup_failed) proc=parent .*the relay must not run as root" "$T_TMP/root.log"
t_done
