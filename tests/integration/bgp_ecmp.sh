#!/usr/bin/env bash
# N gateways behind ECMP, announced over BGP with BIRD: the lab's BGP
# topology (lab/lab.sh up --bgp 3: a router namespace running BIRD with
# multipath and an L4 hash, three gateways each with its own BIRD and
# Rampart in [bgp] mode, the web servers, a client with 16 source
# addresses) and the tour's BGP steps (lab/tour_bgp.sh), under a per-run
# namespace prefix and run directory. The BGP sessions run on the
# gateways' own links to the router (198.18.8.0/24), which the client
# never reaches. Times are printed, never asserted (this machine is
# shared); bench/bgp.sh records them.
. "$(dirname "$0")/lib.sh"
require_root
command -v bird >/dev/null || { not_ok "bird2 installed (scripts/deps.sh)"; exit 1; }

export LAB_PREFIX="$T_TAG-" LAB_RUN="$T_TMP/run" RAMPART_BUILD
chmod 711 "$T_TMP" # MariaDB, php-fpm's and nginx's users walk through it
LAB_SH=$RAMPART_ROOT/lab/lab.sh
trap '"$LAB_SH" down >/dev/null 2>&1; t_cleanup' EXIT

# ---- rampart -t refuses a wrong [bgp] with FILE:LINE ---------------------

cat >"$T_TMP/bad.ini" <<EOF
[tls]
certificate = x $T_TMP/none.crt $T_TMP/none.key
[backend a]
address = 198.19.0.11
[vrrp]
enabled = yes
interface = eth0
virtual_ip = 198.18.10.10/24
[bgp]
enabled = yes
service_address = 198.18.10.10
require_firewall = no
EOF
out=$("$RAMPART_BUILD/rampart" -t -c "$T_TMP/bad.ini" 2>&1)
check_fails "rampart -t refuses [bgp] and [vrrp] on one address" "$RAMPART_BUILD/rampart" -t -c "$T_TMP/bad.ini"
check "... naming the file and line" grep -qF "$T_TMP/bad.ini:11: [bgp] service_address 198.18.10.10 is also a virtual_ip of [vrrp] (line 8)" <<<"$out"
sed -i 's|^service_address = .*|service_address = 198.18.10.10/24|' "$T_TMP/bad.ini"
check "rampart -t refuses a service address that is not one host" \
  bash -c "'$RAMPART_BUILD/rampart' -t -c '$T_TMP/bad.ini' 2>&1 | grep -qF 'bad.ini:11: [bgp] service_address: '"

# ---- the topology -----------------------------------------------------------

"$LAB_SH" up --bgp 3 >"$T_TMP/up.log" 2>&1
up_rc=$?
sed 's/^/# /' "$T_TMP/up.log"
if [ $up_rc -ne 0 ]; then
  not_ok "the BGP lab comes up" "see the lines above"
  for f in "$LAB_RUN"/logs/*.log; do [ -f "$f" ] && tail -n 5 "$f" | sed "s|^|# $(basename "$f"): |"; done
  exit 1
fi
ok "the BGP lab comes up: 3 gateways in the router's ECMP"
. "$RAMPART_ROOT/lab/tour.sh"

# every BIRD has its own config, control socket and PID file in the run dir
for name in router gw-1 gw-2 gw-3; do
  pidf=$LAB_RUN/$name/bird.pid
  check_eq "$name's BIRD is the one lab.sh started, with its PID file in $LAB_RUN/$name" \
    "$(cat "$LAB_RUN/pids/$name-bird.pid" 2>/dev/null)" "$(cat "$pidf" 2>/dev/null)"
done
check "BIRD's control sockets are the lab's" test -S "$LAB_RUN/gw-1/bird.ctl" -a -S "$LAB_RUN/router/bird.ctl"
check_eq "the router hashes L4 (fib_multipath_hash_policy)" 1 \
  "$(ip netns exec "${LAB_PREFIX}router" sysctl -n net.ipv4.fib_multipath_hash_policy)"
check_eq "gw-1 holds its route in table 100 through rampart100, proto 210" \
  "198.18.10.10 dev rampart100 proto 210 scope link" \
  "$(ip -n "${LAB_PREFIX}gw-1" route show table 100 | sed 's/ *$//')"
check "gw-1 holds the service address on lo" \
  bash -c "ip -n '${LAB_PREFIX}gw-1' -4 addr show dev lo | grep -q ' 198.18.10.10/32 '"

tour_step() { # NAME FUNCTION: the step's output as comments, then ok/not ok
  local name=$1 rc
  shift
  "$@" >"$T_TMP/step.out" 2>&1
  rc=$?
  sed 's/^/# /' "$T_TMP/step.out"
  if [ $rc -eq 0 ]; then ok "$name"; else not_ok "$name"; fi
}

# ---- BGP and BFD only between the gateways and the router ----------------

tcp_open() { ip netns exec "$LAB_PREFIX$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }
check "gw-1's BGP port answers the router" tcp_open router 198.18.8.2 179
check_fails "gw-1's BGP port is closed to a web server (gateway.policy)" tcp_open web-01 198.19.0.2 179
check_fails "the client cannot reach a gateway's BGP port (bgp-router.policy)" tcp_open client 198.18.8.2 179
check_fails "the client cannot reach the router's BGP port" tcp_open client 198.18.0.1 179
bfd_accepts=$(ip netns exec "${LAB_PREFIX}gw-1" nft list chain inet rampart input 2>/dev/null |
  grep 'udp dport { 3784, 3785, 4784 }' | grep -o 'packets [0-9]*' | awk '{print $2}')
check "gw-1's firewall counts BFD from the router (rule bfd: ${bfd_accepts:-none} packets)" \
  test "${bfd_accepts:-0}" -gt 0

# ---- the tour's steps ---------------------------------------------------------

tour_step "the router's ECMP route spans gw-1 gw-2 gw-3, every BGP session established" step_bgp_ecmp
tour_step "HTTPS to the service address verifies, both web servers answer" step_https_alternates
tour_step "many short connections spread over the 3 gateways, each 33% +- 10 (their /metrics)" \
  step_bgp_spread
tour_step "draining gw-2 (SIGTERM): withdrawn before the drain, 0 requests lost, back after" \
  step_bgp_drain gw-2
tour_step "crashed gw-1 (silent box): BFD takes it out of the ECMP, requests go on" step_bgp_crash gw-1
tour_step "SIGKILLed rampart on gw-2: its route goes with it while BIRD stays up" \
  step_bgp_rampart_crash gw-2
tour_step "gw-3's backends all fail: it withdraws and gets no new flow; back when they return" \
  step_bgp_backends_fail gw-3

# ---- a reload: only one that changes the listeners withdraws first ---------

gw_log=$LAB_RUN/logs/gw-3.log
n_before=$(grep -c bgp_withdraw "$gw_log")
kill -HUP "$(cat "$LAB_RUN/pids/gw-3.pid")"
wait_for 10 grep -q "reload_done" "$gw_log"
sleep 0.5
check_eq "a reload that keeps the listeners does not withdraw" "$n_before" "$(grep -c bgp_withdraw "$gw_log")"
sed -i 's|^listen_http = \*:80$|listen_http = *:80, *:8080|' "$LAB_RUN/gw-3/rampart.ini"
load_start reload 6
sleep 1.5
kill -HUP "$(cat "$LAB_RUN/pids/gw-3.pid")"
wait_for 15 bash -c "[ \$(grep -c reload_done '$gw_log') -ge 2 ]"
load_wait
read -r tot _ failed _ < <(load_counts "$LOAD_FILE")
note "reload with a new listener: $tot requests, $failed failed"
grep -E 'bgp_withdraw|bgp_drain_wait|reload_done|bgp_announce' "$gw_log" | tail -n 4 | log_brief | sed 's/^/#/'
check "a reload that adds a listener withdraws, waits drain_wait, then reloads" \
  bash -c "grep -E 'bgp_withdraw|bgp_drain_wait|reload_done|bgp_announce' '$gw_log' | tail -n 4 |
    awk '{print \$3}' | tr '\n' ' ' | grep -qx 'bgp_withdraw bgp_drain_wait reload_done bgp_announce '"
check_eq "requests during that reload: none lost" 0 "$failed"
check "gw-3 is back in the ECMP after the reload" wait_for 10 in_ecmp gw-3
check "... and listens on the new port" tcp_open gw-3 127.0.0.1 8080

tour_step "every gateway serves /metrics that promtool accepts" step_metrics

# ---- down ----------------------------------------------------------------------

lab_pids=$(cat "$LAB_RUN"/pids/*.pid 2>/dev/null | tr '\n' ' ')
"$LAB_SH" down >/dev/null 2>&1
alive_after=""
for pid in $lab_pids; do kill -0 "$pid" 2>/dev/null && alive_after="$alive_after $pid"; done
check_eq "lab.sh down stops every process it started, every BIRD included" "" "$alive_after"
left=$(ip netns list | awk '{print $1}' | grep -c "^$LAB_PREFIX" || true)
check_eq "lab.sh down removes every namespace" 0 "$left"
t_done
