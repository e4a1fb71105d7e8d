#!/usr/bin/env bash
# Active health checks against two real nginx backends: stopping one (by
# PID) marks it down after `fall` failed checks, logged, and traffic goes to
# the other; starting it again marks it up after `rise` good checks. The
# parent hears the number of backends up over IPC.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_proxy.sh"
require_root

PX_NS=$(netns_add health) || { not_ok "namespace"; exit 1; }
mkdir -p "$T_TMP/www"
proc_cert || { not_ok "certificate"; exit 1; }
px_nginx web-01 18081
px_nginx web-02 18082
proc_config "$T_TMP/r.ini"
# quicker checks: down after 2 x 500 ms
sed -i 's/^interval = 1s$/interval = 500ms/; s/^timeout = 1s$/timeout = 500ms/' "$T_TMP/r.ini"
# the access log file is opened before the sandbox (root-only directory)
sed -i "s|^drain_timeout = 5s$|drain_timeout = 5s\naccess_log = $T_TMP/access.log|" "$T_TMP/r.ini"
log=$T_TMP/rampart.log
spawn "$PX_NS" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
for p in 18081 18082 18443; do
  wait_port "$PX_NS" 127.0.0.1 $p || { not_ok "port $p up" "$(tail -n 5 "$log")"; exit 1; }
done
who() { px_curl "https://www.foobar.com:18443/who"; }
check_eq "both backends serve (round robin)" "web-01 web-02" "$( (who; who) | sort | tr '\n' ' ' | sed 's/ $//')"
check "access log file written by the sandboxed relay" wait_for 2 grep -q '"GET /who" 200' "$T_TMP/access.log"

kill -TERM "${PX_NGINX[web-01]}"
if wait_for 5 grep -q 'backend_down proc=relay backend=web-01 reason="connect: Connection refused"' "$log"; then
  ok "stopped nginx: backend down logged with the reason"; else not_ok "stopped nginx: backend down logged with the reason"; fi
check "parent told: 1 of 2 backends up" wait_for 2 grep -q "backends_up_changed proc=parent .*backends_up=1/2" "$log"
check_eq "all requests go to the healthy backend" "web-02 web-02 web-02 web-02" "$( (who; who; who; who) | tr '\n' ' ' | sed 's/ $//')"

# a new relay (here after kill -9) starts with what its predecessor knew
relay=$(proc_relay "$pid")
kill -KILL "$relay"
if wait_for 5 grep -q 'backend_down proc=relay backend=web-01 reason="down before this relay started"' "$log"; then
  ok "relay restarted: the dead backend starts down"; else not_ok "relay restarted: the dead backend starts down"; fi
check "relay restarted: ready with 1 of 2 backends up" wait_for 3 grep -q "relay_ready proc=parent pid=[0-9]* backends_up=1/2" "$log"

px_nginx web-01 18081
if wait_for 5 grep -q 'backend_up proc=relay backend=web-01 reason="status 200"' "$log"; then
  ok "restarted nginx: backend up logged"; else not_ok "restarted nginx: backend up logged"; fi
check "parent told: 2 of 2 backends up" wait_for 2 grep -q "backends_up_changed proc=parent .*backends_up=2/2" "$log"
check_eq "round robin again" "web-01 web-02" "$( (who; who) | sort | tr '\n' ' ' | sed 's/ $//')"

# a status outside expect_status (nginx answers 404) counts as a failure
sed -i 's/^path = \/who$/path = \/nothing-here/' "$T_TMP/r.ini"
kill -HUP "$pid"
if wait_for 6 grep -q 'backend_down proc=relay backend=web-0[12] reason="status 404"' "$log"; then
  ok "status 404 outside 200-399: backend down"; else not_ok "status 404 outside 200-399: backend down"; fi
check "parent told: no backend up" wait_for 3 grep -q "backends_up_changed proc=parent .*backends_up=0/2" "$log"
check_eq "no backend up: 503" 503 "$(px_curl -o /dev/null -w '%{http_code}' "https://www.foobar.com:18443/who")"
kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM: exit 0" 0 "$?"
t_done
