#!/usr/bin/env bash
# One rampart per set of ports (gateway/proc/instance.h): a second
# `rampart -c` for the listeners, the PID file or the VRRP instance of a
# running one exits 1 with the reason, while the first answers every
# request of a loop that runs through the attempts. A second instance in
# another network namespace is no conflict; the reload keeps working; the
# service-manager readiness datagrams (sd_notify, gateway/proc/notify.h)
# say READY, RELOADING, READY, STOPPING.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
require_root

vrrp_lan a
ns=${VRRP_NS[a]}
other=$(netns_add other) || { not_ok "namespaces"; exit 1; }
proc_cert || { not_ok "certificate"; exit 1; }
proc_config "$T_TMP/a.ini" "[vrrp]
enabled = yes
interface = eth0
vrid = $VRRP_VRID
priority = 200
advert_interval = 100ms
virtual_ip = $VRRP_VIP/24"
sed -i "s|^drain_timeout = .*|&\npid_file = $T_TMP/a.pid|" "$T_TMP/a.ini"

# the service manager's end of sd_notify: one line per datagram, "|" for \n
python3 - "$T_TMP/notify.sock" >"$T_TMP/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode().strip().replace("\n", "|"), flush=True)
PY
echo $! >>"$T_PIDS_LIST"
wait_for 5 test -S "$T_TMP/notify.sock" || { not_ok "notify socket"; exit 1; }

apid=$(spawn "$ns" "$T_TMP/a.log" env NOTIFY_SOCKET="$T_TMP/notify.sock" "$RAMPART_BUILD/rampart" -c "$T_TMP/a.ini")
if wait_port "$ns" 127.0.0.1 18443 && wait_port "$ns" 127.0.0.1 18080; then ok "first instance serves"; else
  not_ok "first instance serves" "$(tail -n 3 "$T_TMP/a.log")"; exit 1
fi
check "sd_notify: READY=1 once the relay serves" wait_for 5 grep -q '^READY=1|STATUS=serving$' "$T_TMP/notify.log"
check_eq "pid_file holds the parent's PID" "$apid" "$(cat "$T_TMP/a.pid" 2>/dev/null)"

# Requests to the first instance, one after the other, until told to stop:
# prints "answered failed". Each is a new connection, so a second process
# in the SO_REUSEPORT group would take some of them.
ip netns exec "$ns" python3 - "$T_TMP/stop-loop" >"$T_TMP/loop.out" <<'PY' &
import os, socket, sys
answered = failed = 0
while not os.path.exists(sys.argv[1]) or answered + failed < 20:
    try:
        s = socket.create_connection(("127.0.0.1", 18080), timeout=3)
        s.sendall(b"GET / HTTP/1.1\r\nHost: www.foobar.com\r\nConnection: close\r\n\r\n")
        ok = s.recv(64).startswith(b"HTTP/1.1 301")
        s.close()
    except OSError:
        ok = False
    answered += ok
    failed += not ok
print(answered, failed)
PY
loop=$!

# refused TAG NAME PATTERN: a second instance with $T_TMP/TAG.ini in the
# first one's namespace exits 1 within 10 s, saying PATTERN, having started
# nothing
refused() {
  local log=$T_TMP/$1.log rc
  timeout 10 ip netns exec "$ns" "$RAMPART_BUILD/rampart" -c "$T_TMP/$1.ini" >"$log" 2>&1
  rc=$?
  check_eq "$2: exits 1" 1 "$rc"
  check "$2: says why" grep -q "startup_failed proc=parent reason=.*$3" "$log"
  if [ -s "$log" ] && ! grep -q "firewall_applied\|relay_started\|vrrp_start" "$log"; then
    ok "$2: started nothing first"
  else not_ok "$2: started nothing first" "$(head -n 2 "$log" | tr "\n" " ")"; fi
}

sed '/^pid_file/d' "$T_TMP/a.ini" >"$T_TMP/same.ini"
sed -i "s/^vrid = .*/vrid = $((VRRP_VRID + 1))/" "$T_TMP/same.ini"
refused same "same listeners" "127.0.0.1:18443: address already in use (another process listens there; a second rampart"

sed 's/^listen_https = .*/listen_https = 0.0.0.0:18443/; s/^listen_http = .*/listen_http = 127.0.0.1:18091/' \
  "$T_TMP/same.ini" >"$T_TMP/wild.ini"
refused wild "overlapping wildcard listener" "0.0.0.0:18443: address already in use"

sed 's/18443/18444/; s/18080/18090/' "$T_TMP/a.ini" >"$T_TMP/pid.ini"
sed -i "s/^vrid = .*/vrid = $((VRRP_VRID + 1))/" "$T_TMP/pid.ini"
refused pid "same pid_file" "pid_file $T_TMP/a.pid: held by a running rampart (pid $apid)"

sed 's/18443/18445/; s/18080/18092/; /^pid_file/d' "$T_TMP/a.ini" >"$T_TMP/vrrp.ini"
refused vrrp "same VRRP instance" "\[vrrp\] interface eth0 vrid $VRRP_VRID: already run by another rampart"

sed 's/^enabled = no/enabled = yes\nlisten = 127.0.0.1:18443/' "$T_TMP/vrrp.ini" >"$T_TMP/admin.ini"
sed -i "s/^vrid = .*/vrid = $((VRRP_VRID + 1))/" "$T_TMP/admin.ini"
refused admin "admin address in use" "\[admin\] listen 127.0.0.1:18443: address already in use"

touch "$T_TMP/stop-loop"
wait "$loop"
read -r answered failed <"$T_TMP/loop.out"
check_eq "the first instance answered every request during the attempts (of $answered)" 0 "$failed"
check_eq "the first instance is still the only one on its ports (one socket per worker)" 2 \
  "$(ip netns exec "$ns" ss -Hltn 'sport = :18443' | wc -l)"

# the same config in another namespace is another set of ports
sed '/^pid_file/d; /^\[vrrp\]/,$d' "$T_TMP/a.ini" >"$T_TMP/other.ini"
opid=$(spawn "$other" "$T_TMP/other.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/other.ini")
check "same listeners in another network namespace: starts" wait_port "$other" 127.0.0.1 18443
check_eq "... and serves" 301 "$(proc_http "$other" 18080)"
stop_pid "$opid"

# reload: the parent's own sockets are no conflict; a new port taken by
# someone else is refused and nothing changes
kill -HUP "$apid"
check "reload with the same listeners: done" wait_for 10 grep -q "reload_done" "$T_TMP/a.log"
check "sd_notify: RELOADING=1 then READY=1" wait_for 5 \
  grep -qz 'RELOADING=1|MONOTONIC_USEC=[0-9]*|STATUS=reloading.READY=1|STATUS=serving' "$T_TMP/notify.log"
spawn "$ns" "$T_TMP/squat.log" python3 -c 'import socket,time
s=socket.socket(); s.bind(("127.0.0.1",18099)); s.listen(); time.sleep(60)' >/dev/null
wait_port "$ns" 127.0.0.1 18099
sed -i 's/^listen_http = .*/listen_http = 127.0.0.1:18080, 127.0.0.1:18099/' "$T_TMP/a.ini"
kill -HUP "$apid"
check "reload onto a port someone else listens on: refused" wait_for 10 \
  grep -q "reload_failed proc=parent reason=\"127.0.0.1:18099: address already in use" "$T_TMP/a.log"
check "sd_notify: READY=1 after the refused reload" wait_for 5 grep -q 'STATUS=serving; the last reload failed' "$T_TMP/notify.log"
check_eq "still serving after the refused reload" 301 "$(proc_http "$ns" 18080)"

stop_pid "$apid"
check "sd_notify: STOPPING=1 on SIGTERM" grep -q '^STOPPING=1|STATUS=draining$' "$T_TMP/notify.log"
# the parent's seccomp filter has no unlink: the file is emptied instead
check "pid_file no longer names the parent at exit (removed or emptied)" \
  bash -c "! test -s '$T_TMP/a.pid'"
sed -i 's/^listen_http = .*/listen_http = 127.0.0.1:18080/' "$T_TMP/a.ini"
bpid=$(spawn "$ns" "$T_TMP/b.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/a.ini")
check "after the first stopped, the same config starts at once" wait_for 10 grep -q "relay_ready proc=parent" "$T_TMP/b.log"
stop_pid "$bpid"
t_done
