#!/usr/bin/env bash
# VRRPv3 interop with keepalived (Debian's) as the peer, same VRID, 100 ms
# adverts, on a LAN of network namespaces; and malformed advertisements.
# Rampart's side is bench/vrrp_driver: gateway/ha/vrrp_node.c on the event loop
# with the parent's calls, alone (no TLS, no relay), so each case starts in
# milliseconds; vrrp_daemon.sh runs the same node inside `rampart -c FILE`.
. "$(dirname "$0")/lib.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
require_root
command -v keepalived >/dev/null || { not_ok "keepalived installed"; exit 1; }
vrrp_build_driver || { not_ok "build vrrp_driver"; exit 1; }
vrrp_lan r k
R=${VRRP_NS[r]} K=${VRRP_NS[k]}

# --- Rampart 200, keepalived 100 ---
ka=$(ka_start "$K" ka1 100)
rp=$(rp_start "$R" rp1 200)
if wait_for 5 has_vip "$R" && wait_for 2 grep -q "Entering BACKUP STATE" "$T_TMP/ka1.log"; then
  ok "rampart (200) is master, keepalived (100) backup"
else not_ok "rampart (200) is master, keepalived (100) backup"; fi
# (keepalived may have been Master for a moment before rampart's first
# advert on a slow start; what counts is that it stays Backup from here)
ka_masters=$(grep -c "Entering MASTER" "$T_TMP/ka1.log")
sleep 1
if has_vip "$R" && no_vip "$K" && [ "$(grep -c "Entering MASTER" "$T_TMP/ka1.log")" = "$ka_masters" ]; then
  ok "keepalived accepts rampart's advertisements (checksum, addresses) and stays backup"
else not_ok "keepalived accepts rampart's advertisements" "$(tail -n 3 "$T_TMP/ka1.log" | tr '\n' ' ')"; fi

# --- malformed and spoofed advertisements, each claiming priority 250 ---
for kind in ttl checksum version vrid short addrs; do
  ip netns exec "$K" python3 "$RAMPART_ROOT/tests/integration/vrrp_inject.py" eth0 198.18.0.9 "$kind" 3
done
sleep 0.3
if has_vip "$R" && grep -q "vrrp_state from=backup to=master" "$T_TMP/rp1.log" && ! grep -q "vrrp_state from=master to=backup" "$T_TMP/rp1.log"; then
  ok "malformed advertisements change nothing"
else not_ok "malformed advertisements change nothing"; fi
for pair in ttl:ttl checksum:checksum version:version vrid:vrid short:short addrs:addresses; do
  check_eq "malformed '${pair%%:*}' counted as drop_${pair#*:}" 3 "$(rp_stat "$rp" rp1 "drop_${pair#*:}")"
done

# --- Rampart killed (SIGKILL: no priority 0, its VIP left behind) ---
stop_pid "$rp" KILL
check "keepalived takes the VIP after rampart is killed" wait_for 3 has_vip "$K"

# --- Rampart restarted: cleans the stale VIP, then preempts ---
check "SIGKILL leaves rampart's VIP behind (a crash)" has_vip "$R"
rp=$(rp_start "$R" rp2 200)
if wait_for 5 grep -q "vrrp_state from=backup to=master" "$T_TMP/rp2.log" && wait_for 3 no_vip "$K" && has_vip "$R"; then
  ok "restarted rampart preempts keepalived"
else not_ok "restarted rampart preempts keepalived"; fi
check "rampart accepted keepalived's advertisements" test "$(rp_stat "$rp" rp2 rx_ok)" -gt 0

# --- Rampart stopped (SIGTERM: priority 0) ---
stop_pid "$rp" TERM
if no_vip "$R" && wait_for 2 has_vip "$K"; then ok "SIGTERM: rampart gives up the VIP, keepalived takes it"
else not_ok "SIGTERM: rampart gives up the VIP, keepalived takes it"; fi
stop_pid "$ka" TERM

# --- roles swapped: keepalived 200, Rampart 100 ---
ka=$(ka_start "$K" ka2 200)
wait_for 5 has_vip "$K"
ip -n "$R" addr add "$VRRP_VIP/24" dev eth0 # as a crash would leave it
rp=$(rp_start "$R" rp3 100)
check "rampart removes a stale VIP at start-up" wait_for 2 no_vip "$R"
sleep 1
if has_vip "$K" && no_vip "$R" && grep -q "vrrp_state from=init to=backup" "$T_TMP/rp3.log" &&
   ! grep -q "vrrp_state from=backup to=master" "$T_TMP/rp3.log"; then
  ok "keepalived (200) is master, rampart (100) backup"
else not_ok "keepalived (200) is master, rampart (100) backup" "$(cat "$T_TMP/rp3.log" | tr '\n' ' ')"; fi
stop_pid "$ka" TERM
check "keepalived stopped: rampart takes the VIP" wait_for 2 has_vip "$R"
ka=$(ka_start "$K" ka3 200)
if wait_for 5 has_vip "$K" && wait_for 2 no_vip "$R"; then ok "restarted keepalived preempts rampart"
else not_ok "restarted keepalived preempts rampart"; fi
ka_kill "$K"
check "keepalived killed: rampart takes the VIP" wait_for 3 has_vip "$R"
stop_pid "$rp" TERM
check "rampart removes its VIP on exit" no_vip "$R"

# --- unicast peers on both sides (checksum over the unicast pseudo-header) ---
ka=$(ka_start "$K" ka4 100 0.1 "unicast_src_ip 198.18.0.2
  unicast_peer {
    198.18.0.1
  }")
rp=$(rp_start "$R" rp4 200 -u 198.18.0.2)
if wait_for 5 has_vip "$R" && sleep 1 && no_vip "$K" && ! grep -q "Entering MASTER" "$T_TMP/ka4.log"; then
  ok "unicast: rampart (200) master, keepalived (100) backup"
else not_ok "unicast: rampart (200) master, keepalived (100) backup" "$(tail -n 3 "$T_TMP/ka4.log" | tr '\n' ' ')"; fi
stop_pid "$rp" TERM
check "unicast: keepalived takes over on SIGTERM" wait_for 2 has_vip "$K"
rp=$(rp_start "$R" rp5 200 -u 198.18.0.2)
if wait_for 5 has_vip "$R" && wait_for 2 no_vip "$K" && test "$(rp_stat "$rp" rp5 rx_ok)" -gt 0; then
  ok "unicast: rampart accepts keepalived's unicast adverts and preempts"
else not_ok "unicast: rampart accepts keepalived's unicast adverts and preempts"; fi
stop_pid "$rp" TERM
stop_pid "$ka" TERM
t_done
