#!/usr/bin/env bash
# Hostile clients and a hostile origin (issue 10): no input stalls, kills
# or steers the gateway. The backends are evil_origin.py (answers early,
# 1xx with a body, CL+TE, bytes past Content-Length, stalls, closes
# mid-response, takes a request and drops it); the clients are
# hostile_client.py (upgrades that do not become tunnels, pipelined
# requests whose answers are never read, bodies at 200 bytes/s, more
# requests than the backends may take). Every case also checks, while the
# attack holds its resources, that a bystander keep-alive connection is
# still served and a fresh request is answered in under 2 s ("live").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_proxy.sh"
require_root

HERE=$(cd "$(dirname "$0")" && pwd)
netns_add px >/dev/null || { not_ok "namespace"; exit 1; }
PX_NS="$T_TAG-px"
proc_cert || { not_ok "certificate"; exit 1; }
spawn "$PX_NS" "$T_TMP/origin.log" python3 -u "$HERE/evil_origin.py" web-01:18081 web-02:18082 >/dev/null

# Keys every build knows, then the keys of issue 10. A build without the
# latter (main before issue 10, to show what these tests catch) runs
# without them, on its defaults.
OLD_KEYS="[limits]
header_timeout = 3s
idle_timeout = 15s
connect_timeout = 500ms
response_timeout = 5s"
NEW_KEYS="send_timeout = 2s
body_timeout = 2s
body_min_rate = 1k
queue_timeout = 2s
[backend web-01]
max_connections = 3
[backend web-02]
max_connections = 3"
proc_config "$T_TMP/r.ini" "$OLD_KEYS
$NEW_KEYS"
if ! "$RAMPART_BUILD/rampart" -t -c "$T_TMP/r.ini" >"$T_TMP/t.out" 2>&1; then
  if grep -q "unknown key" "$T_TMP/t.out"; then
    note "this build does not know the issue-10 keys: running on its defaults"
    proc_config "$T_TMP/r.ini" "$OLD_KEYS"
  else
    not_ok "rampart -t" "$(cat "$T_TMP/t.out")"; exit 1
  fi
fi
sed -i 's/^max_connections_per_ip = 3$/max_connections_per_ip = 200/; s/^max_connections = 50$/max_connections = 400/; s/^workers = 2$/workers = 1/' "$T_TMP/r.ini"
spawn "$PX_NS" "$T_TMP/rampart.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
PX_RAMPART=$!
for p in 18081 18082 18443 18080; do
  wait_port "$PX_NS" 127.0.0.1 $p || { not_ok "port $p up" "$(tail -n 5 "$T_TMP/rampart.log")"; exit 1; }
done
wait_for 10 px_curl -f -o /dev/null https://www.foobar.com:18443/who || { not_ok "first request"; exit 1; }

# hc CASE [ID]: one hostile_client.py case; its line of words.
hc() { ip netns exec "$PX_NS" timeout 40 python3 "$HERE/hostile_client.py" "$@" 2>&1 | tail -n 1; }
# check_match NAME GLOB ACTUAL
check_match() {
  # shellcheck disable=SC2053
  if [[ $3 == $2 ]]; then ok "$1"; else not_ok "$1" "expected '$2', got '$3'"; fi
}
# origin_events ID: what the origin saw for one case, one word per event.
origin_events() { grep " id=$1 " "$T_TMP/origin.log" | awk '{print $4}' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'; }

# ---- defect 1: an upgrade that is not a tunnel ends the connection ----------------
# (before: the parser stayed "done" with 0 bytes used, the pump counted that
# as progress forever and the relay was killed for missing heartbeats)
check_eq "port 80: upgrade request + pipelined request: 301, closed, others served" \
  "301 closed live" "$(hc upgrade80)"
check_eq "upgrade request answered 502 locally + pipelined request: closed, others served" \
  "502 closed live" "$(hc upgrade443)"
check_eq "upgrade refused by the origin (200) + pipelined request: closed" "200 closed live" "$(hc refuse)"

# ---- defect 2: output nobody reads has a deadline (send_timeout) -------------------
check_eq "port 80: pipelined requests, answers never read: cut, others served" "closed live" "$(hc noread80)"
check_eq "a 64 MiB answer never read: cut, others served" "closed live" "$(hc noreadbig)"

# ---- defect 3: an early answer stops the body; that backend socket is closed ------
check_eq "origin answers before the body is in: answered, client closed, nothing smuggled" \
  "200 early closed clean live" "$(hc early e1)"
ev=$(origin_events e1)
check_eq "early answer: the origin gets none of the rest of the body, its socket is closed" "closed=1 " "$ev"

# ---- defect 4 and framing: what a hostile origin sends never reaches a client raw --
check_match "1xx (150) with Content-Length and a body: 502, the connection stays in sync" \
  "502:502 Bad Gate 200:web-0? live" "$(hc interim150)"
check_match "chunked answer to an HTTP/1.0 keep-alive request: 502" "502:502 Bad Gate 200:web-0? live" "$(hc chunked10)"
check_match "Content-Length + Transfer-Encoding from the origin: 502, in sync" \
  "502:502 Bad Gate 200:web-0? live" "$(hc clte)"
check_match "bytes past Content-Length are dropped, never the next answer" \
  "200:pst 200:web-0? 200:pst 200:web-0? 200:pst 200:web-0? live" "$(hc past)"
check_match "not HTTP at all: 502, in sync" "502:502 Bad Gate 200:web-0? live" "$(hc garbage)"
check_eq "origin closes mid-response: the client connection ends too" "200:0123456789 None:- live" "$(hc midclose)"

# ---- defect 6: slow bodies, and a cap per backend ----------------------------------
check_eq "a body at 200 bytes/s: 408 within the body window" "408 live" "$(hc slowbody)"
check_eq "an origin that reads the body slowly is not the client's fault: 200" "200 40000 live" "$(hc slowread)"
cap=$(hc cap_queued)
check_match "7 requests, 2 backends x max_connections 3: the 7th queues, all served" "ok peak=* live" "$cap"
peaks=$(printf '%s' "$cap" | sed -n 's/.*peak=\([0-9]*\),\([0-9]*\).*/\1 \2/p')
check_eq "the origins never had more than max_connections requests at once" "yes" \
  "$(set -- $peaks; [ "${1:-9}" -le 3 ] && [ "${2:-9}" -le 3 ] && echo yes || echo "no ($peaks)")"
check_eq "8 long requests, 6 slots: 2 wait queue_timeout and get 503" \
  "200 200 200 200 200 200 503 503 live" "$(hc cap_timeout)"

# ---- smaller ones (item 9) ---------------------------------------------------------
check_eq "client X-Real-IP, X-Forwarded-Host and X-Forwarded-Port are overwritten" \
  "x-real-ip=127.0.0.1|x-forwarded-host=www.foobar.com|x-forwarded-port=18443|x-forwarded-for=127.0.0.1|x-forwarded-proto=https| live" \
  "$(hc headers)"
check_eq "a request the origin took and dropped: 502" "502 502 live" "$(hc replay r1)"
check_eq "POST taken and dropped is never replayed on another backend" "took=1 " "$(origin_events r1-post)"
check_match "GET taken and dropped is replayed (idempotent)" "took=[2-9] " "$(origin_events r1-get)"

# ---- defect 8: slow answers are the request's failure, not the server's -----------
# The dropped requests above are failures (fall = 2): wait until the
# checks have both backends up again, then count from here.
wait_for 15 bash -c "[ \$(grep -c backend_up '$T_TMP/rampart.log') -ge \$(grep -c backend_down '$T_TMP/rampart.log') ]"
downs=$(grep -c 'backend_down' "$T_TMP/rampart.log")
check_eq "4 stalled requests (2 per backend, fall = 2): 504 each, others served" \
  "504 504 504 504 live" "$(hc stall s1)"
check_eq "...and no backend was marked down for them" "$downs" "$(grep -c 'backend_down' "$T_TMP/rampart.log")"

check_eq "the relay was never lost (no missed heartbeats)" 0 "$(grep -c 'relay_lost' "$T_TMP/rampart.log")"

# ---- the new keys: rampart -t names the file, the line and the bad value ----------
proc_config "$T_TMP/bad.ini" "[limits]
send_timeout = 50ms
[backend web-01]
max_connections = 100001"
line=$(grep -n '^send_timeout' "$T_TMP/bad.ini" | cut -d: -f1)
bline=$(grep -n '^max_connections = 100001' "$T_TMP/bad.ini" | cut -d: -f1)
check_eq "rampart -t refuses a bad send_timeout and max_connections with file:line" \
  "$T_TMP/bad.ini:$line: [limits] send_timeout: 50ms is shorter than the minimum 100ms|$T_TMP/bad.ini:$bline: backend 'web-01': max_connections: 100001 out of range 0-100000|1" \
  "$("$RAMPART_BUILD/rampart" -t -c "$T_TMP/bad.ini" 2>&1 | head -n 2 | paste -sd'|')|$("$RAMPART_BUILD/rampart" -t -c "$T_TMP/bad.ini" >/dev/null 2>&1; echo $?)"
px_done
