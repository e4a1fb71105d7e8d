#!/usr/bin/env bash
# VRRPv3 interop with keepalived (Debian's) as the peer, same VRID, 100 ms
# adverts, on a LAN of network namespaces; and malformed advertisements.
# IPv4 first, then IPv6 (RFC 5798 5.1.2: link-local source, ff02::12, hop
# limit 255, Neighbor Advertisements moving a client between the two).
# Rampart's side is bench/vrrp_driver: gateway/ha/vrrp_node.c on the event loop
# with the parent's calls, alone (no TLS, no relay), so each case starts in
# milliseconds; vrrp_daemon.sh runs the same node inside `rampart -c FILE`.
. "$(dirname "$0")/lib.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
require_root
command -v keepalived >/dev/null || { not_ok "keepalived installed"; exit 1; }
vrrp_build_driver || { not_ok "build vrrp_driver"; exit 1; }
vrrp_lan r k c
R=${VRRP_NS[r]} K=${VRRP_NS[k]} C=${VRRP_NS[c]}

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

# ==== IPv6: fd00:198:18::10/64, link-local sources, Neighbor Advertisements ====
mac() { ip -n "$1" -br link show eth0 | awk '{ print $3 }'; }
MAC_R=$(mac "$R") MAC_K=$(mac "$K")
# the MAC the client would send VIP traffic to (the neighbour cache)
client6_on() { [ "$(ip -n "$C" -6 neigh show "$VRRP_VIP6" dev eth0 | awk '{ print $3 }')" = "$1" ]; }
export KA_VIP="$VRRP_VIP6/64"
wait_for 5 ll_ready "$R" && wait_for 5 ll_ready "$K"

# --- Rampart 200, keepalived 100; rampart starts while its link-local is tentative ---
ka=$(ka_start "$K" ka6a 100)
ip -n "$R" link set eth0 down && ip -n "$R" link set eth0 up # DAD again on the link-local
rp=$(rp_start6 "$R" rp6a 200)
check "IPv6: the node waits for its link-local address (DAD)" wait_for 2 grep -q "vrrp_start .*source=\"none yet\".*family=ipv6" "$T_TMP/rp6a.log"
if wait_for 8 has_vip6 "$R" && wait_for 2 grep -q "Entering BACKUP STATE" "$T_TMP/ka6a.log"; then
  ok "IPv6: rampart (200) is master, keepalived (100) backup"
else not_ok "IPv6: rampart (200) is master, keepalived (100) backup" "$(tail -n 3 "$T_TMP/rp6a.log" | tr '\n' ' ')"; fi
ka_masters=$(grep -c "Entering MASTER" "$T_TMP/ka6a.log")
sleep 1
if has_vip6 "$R" && no_vip6 "$K" && [ "$(grep -c "Entering MASTER" "$T_TMP/ka6a.log")" = "$ka_masters" ]; then
  ok "IPv6: keepalived accepts rampart's advertisements (link-local source, checksum) and stays backup"
else not_ok "IPv6: keepalived accepts rampart's advertisements" "$(tail -n 3 "$T_TMP/ka6a.log" | tr '\n' ' ')"; fi
ip netns exec "$C" ping -6 -c 1 -W 1 "$VRRP_VIP6" >/dev/null
check "IPv6: the client reaches the VIP on rampart's MAC" client6_on "$MAC_R"

# --- malformed IPv6 advertisements claiming priority 250 ---
for kind in ttl checksum version vrid short addrs; do
  ip netns exec "$K" python3 "$RAMPART_ROOT/tests/integration/vrrp_inject.py" eth0 fd00:198:18::2 "$kind" 3
done
sleep 0.3
check "IPv6: malformed advertisements change nothing" eval 'has_vip6 "$R" && ! grep -q "from=master to=backup" "$T_TMP/rp6a.log"'
for pair in ttl:ttl checksum:checksum version:version vrid:vrid short:short addrs:addresses; do
  check_eq "IPv6: malformed '${pair%%:*}' counted as drop_${pair#*:}" 3 "$(rp_stat "$rp" rp6a "drop_${pair#*:}")"
done

# --- SIGTERM: priority 0, keepalived takes the VIP, its NA moves the client ---
stop_pid "$rp" TERM
if no_vip6 "$R" && wait_for 2 has_vip6 "$K"; then ok "IPv6: SIGTERM: rampart gives up the VIP, keepalived takes it"
else not_ok "IPv6: SIGTERM: rampart gives up the VIP, keepalived takes it"; fi
check "IPv6: the client follows keepalived (its Neighbor Advertisement)" wait_for 2 client6_on "$MAC_K"

# --- Rampart back: preempts; its NAs (override flag) move the client back ---
rp=$(rp_start6 "$R" rp6b 200)
if wait_for 5 has_vip6 "$R" && wait_for 2 no_vip6 "$K"; then ok "IPv6: restarted rampart preempts keepalived"
else not_ok "IPv6: restarted rampart preempts keepalived"; fi
check "IPv6: the client follows rampart (unsolicited NA, override)" wait_for 2 client6_on "$MAC_R"
stop_pid "$rp" TERM
stop_pid "$ka" TERM

# --- keepalived 200, Rampart 100 ---
ka=$(ka_start "$K" ka6b 200)
wait_for 5 has_vip6 "$K"
rp=$(rp_start6 "$R" rp6c 100)
sleep 1.5
if has_vip6 "$K" && no_vip6 "$R" && ! grep -q "to=master" "$T_TMP/rp6c.log" && [ "$(rp_stat "$rp" rp6c rx_ok)" -gt 0 ]; then
  ok "IPv6: keepalived (200) is master, rampart (100) accepts its advertisements"
else not_ok "IPv6: keepalived (200) is master, rampart (100) accepts its advertisements" "$(tr '\n' ' ' <"$T_TMP/rp6c.log")"; fi
ka_kill "$K"
check "IPv6: keepalived killed: rampart takes the VIP" wait_for 3 has_vip6 "$R"
check "IPv6: the client follows rampart" wait_for 2 client6_on "$MAC_R"
stop_pid "$rp" TERM
check "IPv6: rampart removes its VIP on exit" no_vip6 "$R"
ip -n "$K" addr del "$VRRP_VIP6/64" dev eth0 2>/dev/null
t_done
