#!/usr/bin/env bash
# Active-active: two Rampart nodes, four VRRP instances each ([vrrp NAME]
# sections of one rampart.ini per node): A is Master of VIP-A (198.18.0.10
# and fd00:198:18::10), B of VIP-B (198.18.0.11 and fd00:198:18::11), each
# Backup of the other's; the same VRIDs in both families. Either takes all
# four when the other fails, and each preempts its own back. Health, the
# relay and the link count per node, the instances move alone. Rampart's
# side is bench/vrrp_driver -c FILE: gateway/ha/vrrp_set.c on an event loop
# with the parent's calls.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
require_root
vrrp_build_driver || { not_ok "build vrrp_driver"; exit 1; }
proc_cert || { not_ok "certificate"; exit 1; } # the driver reads a whole rampart.ini
vrrp_lan a b c
A=${VRRP_NS[a]} B=${VRRP_NS[b]} C=${VRRP_NS[c]}
VIP_A=198.18.0.10 VIP_B=198.18.0.11 VIP_A6=fd00:198:18::10 VIP_B6=fd00:198:18::11
mac() { ip -n "$1" -br link show eth0 | awk '{ print $3 }'; }
MAC_A=$(mac "$A") MAC_B=$(mac "$B")

# node_ini FILE PRIO_OF_A PRIO_OF_B: the four instances, this node's priorities
node_ini() {
  proc_config "$1" "$(node_vrrp "$2" "$3")"
}
node_vrrp() {
  local pa=$1 pb=$2
  cat <<INI
[vrrp a]
interface = eth0
vrid = 51
priority = $pa
advert_interval = 100ms
virtual_ip = $VIP_A/24
penalty_no_backend = 150
[vrrp b]
interface = eth0
vrid = 52
priority = $pb
advert_interval = 100ms
virtual_ip = $VIP_B/24
penalty_no_backend = 150
[vrrp a6]
interface = eth0
vrid = 51
priority = $pa
advert_interval = 100ms
virtual_ip = $VIP_A6/64
penalty_no_backend = 150
[vrrp b6]
interface = eth0
vrid = 52
priority = $pb
advert_interval = 100ms
virtual_ip = $VIP_B6/64
penalty_no_backend = 150
INI
}
node_ini "$T_TMP/a.ini" 200 100
node_ini "$T_TMP/b.ini" 100 200
start_a() { spawn "$A" "$T_TMP/$1.log" "$VRRP_DRIVER" -c "$T_TMP/a.ini" -s "$T_TMP/$1.stats"; }
start_b() { spawn "$B" "$T_TMP/$1.log" "$VRRP_DRIVER" -c "$T_TMP/b.ini" -s "$T_TMP/$1.stats"; }

holds() { ip -n "$1" addr show dev eth0 | grep -q "inet6\? $2/"; }
lacks() { ! holds "$1" "$2"; }
# holds_only NS VIP...: NS has these VIPs, the other node none of them
holds_only() {
  local ns=$1 other=$B v
  [ "$ns" = "$B" ] && other=$A
  shift
  for v in "$@"; do holds "$ns" "$v" && lacks "$other" "$v" || return 1; done
}
# the MAC the client sends a VIP's traffic to
client_mac() {
  ip -n "$C" neigh show "$1" dev eth0 | awk '{ print $3 }'
}
client_on() { [ "$(client_mac "$1")" = "$2" ]; }
touch_vips() {
  local v
  for v in "$@"; do ip netns exec "$C" ping -c 1 -W 1 "$v" >/dev/null 2>&1; done
}
split() { holds_only "$A" $VIP_A $VIP_A6 && holds_only "$B" $VIP_B $VIP_B6; }
all_on() { holds_only "$1" $VIP_A $VIP_A6 $VIP_B $VIP_B6; }
wait_for 5 ll_ready "$A" && wait_for 5 ll_ready "$B"

a=$(start_a a1)
b=$(start_b b1)
check "each node is master of its own VIPs (IPv4 and IPv6)" wait_for 5 split
touch_vips $VIP_A $VIP_B $VIP_A6 $VIP_B6
check "the client sends VIP-A to A" eval 'client_on $VIP_A "$MAC_A" && client_on $VIP_A6 "$MAC_A"'
check "the client sends VIP-B to B" eval 'client_on $VIP_B "$MAC_B" && client_on $VIP_B6 "$MAC_B"'
sleep 0.5
check_eq "a sibling's advertisements are not drops (a.drop_vrid)" 0 "$(rp_stat "$a" a1 a.drop_vrid)"
check_eq "... nor for the IPv6 instance (b6.drop_vrid)" 0 "$(rp_stat "$b" b1 b6.drop_vrid)"
check "B hears A's instance a (a.rx_ok > 0)" test "$(rp_stat "$b" b1 a.rx_ok)" -gt 0
check "log lines name their instance" grep -q "vrrp_start .*instance=b6" "$T_TMP/b1.log"

# --- one node dies (killed, its guard takes the instances down from their
#     descriptions): the other takes all four ---
kill -RTMIN+2 "$b"
check "B killed: A takes all four VIPs" wait_for 2 all_on "$A"
check "B killed: the guard path removed B's VIPs" eval 'lacks "$B" $VIP_B && lacks "$B" $VIP_B6'
check "B killed: the client follows A for VIP-B" wait_for 1 eval 'client_on $VIP_B "$MAC_A" && client_on $VIP_B6 "$MAC_A"'

# --- B back: it preempts its own instances, A keeps its ---
b=$(start_b b2)
check "B back: each preempts its own" wait_for 5 split
check "B back: the client follows B for VIP-B" wait_for 1 eval 'client_on $VIP_B "$MAC_B" && client_on $VIP_B6 "$MAC_B"'
check_fails "B back: A's own instances never moved" grep -qE "vrrp_state .*from=master .*instance=a6?$" "$T_TMP/a1.log"

# --- health on A (no backend: 200 - 150 < 100): its VIPs go to B, back when healthy ---
kill -RTMIN "$a"
check "no backend on A: B takes VIP-A too" wait_for 2 all_on "$B"
kill -RTMIN+1 "$a"
check "A healthy again: it preempts VIP-A back" wait_for 2 split

# --- B's relay lost (priority 0 on every instance of B): A takes VIP-B; back ---
kill -USR1 "$b"
check "B's relay lost: A takes VIP-B" wait_for 2 all_on "$A"
check_eq "B's relay lost: every instance of B at priority 0" "0 0 0 0" \
  "$(for i in a b a6 b6; do rp_stat "$b" b2 "$i.priority"; done | tr '\n' ' ' | sed 's/ $//')"
kill -USR2 "$b"
check "B's relay back: B preempts VIP-B" wait_for 2 split

# --- A's link down: B takes all; up: A preempts its own back ---
ip -n "$A" link set eth0 down
check "A's link down: B takes all four" wait_for 2 eval 'holds "$B" $VIP_A && holds "$B" $VIP_A6 && holds "$B" $VIP_B'
ip -n "$A" link set eth0 up
check "A's link up: A preempts VIP-A (IPv6 once its link-local passed DAD)" wait_for 6 split
check "A's link up: the client follows A for VIP-A" eval 'touch_vips $VIP_A $VIP_A6; client_on $VIP_A "$MAC_A" && client_on $VIP_A6 "$MAC_A"'

# --- SIGTERM on A: priority 0 on each instance, B takes all at once ---
stop_pid "$a" TERM
if eval 'lacks "$A" $VIP_A && lacks "$A" $VIP_A6' && wait_for 1 all_on "$B"; then
  ok "SIGTERM on A: its VIPs removed, B takes all four"
else not_ok "SIGTERM on A: its VIPs removed, B takes all four"; fi
stop_pid "$b" TERM
check "B stopped: no VIP left anywhere" eval 'lacks "$B" $VIP_A && lacks "$B" $VIP_B && lacks "$B" $VIP_A6 && lacks "$B" $VIP_B6'
t_done
