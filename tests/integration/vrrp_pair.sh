#!/usr/bin/env bash
# Two Rampart VRRP nodes and a client on one LAN (network namespaces):
# the relay-lost handover, health-driven priority, link down, SIGTERM,
# split brain healing one direction first (IPv4 and IPv6), ARP bursts and
# the ARPs on the winner's behalf turned off, unicast peers. The client's
# ARP / neighbour cache shows whose MAC it follows, i.e. that the
# gratuitous ARPs / Neighbor Advertisements went out.
# Rampart's side is bench/vrrp_driver: gateway/ha/vrrp_node.c on the event loop
# with the parent's calls, alone (no TLS, no relay), so each case starts in
# milliseconds; vrrp_daemon.sh runs the same node inside `rampart -c FILE`.
. "$(dirname "$0")/lib.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
require_root
vrrp_build_driver || { not_ok "build vrrp_driver"; exit 1; }
vrrp_lan a b c
A=${VRRP_NS[a]} B=${VRRP_NS[b]} C=${VRRP_NS[c]}
mac() { ip -n "$1" -br link show eth0 | awk '{ print $3 }'; }
MAC_A=$(mac "$A") MAC_B=$(mac "$B")
# the MAC the client would send VIP traffic to (without asking again)
client_mac() { ip -n "$C" neigh show "$VRRP_VIP" dev eth0 | awk '{ print $3 }'; }
client_on() { [ "$(client_mac)" = "$1" ]; }
only_master() { has_vip "$1" && no_vip "$2"; }
# VRRP (IPv4 and IPv6) blocked on the way into NS (nftables inside the test namespace)
vrrp_block() {
  ip netns exec "$1" nft add table inet vrrptest &&
    ip netns exec "$1" nft add chain inet vrrptest in '{ type filter hook input priority 0; }' &&
    ip netns exec "$1" nft add rule inet vrrptest in meta l4proto 112 drop
}
vrrp_unblock() { ip netns exec "$1" nft delete table inet vrrptest; }

a=$(rp_start "$A" a1 200 -g 3 -G 20)
b=$(rp_start "$B" b1 180 -g 3 -G 20)
check "higher priority (200) is master, 180 backup" wait_for 5 only_master "$A" "$B"
ip netns exec "$C" ping -c 1 -W 1 "$VRRP_VIP" >/dev/null
check_eq "client resolves the VIP to the master's MAC" "$MAC_A" "$(client_mac)"

# --- relay lost: priority 0 at once, peer takes over; back: preempt ---
kill -USR1 "$a"
check "relay lost: the peer takes the VIP" wait_for 1 only_master "$B" "$A"
check "relay lost: client follows the new master (gratuitous ARP)" wait_for 1 client_on "$MAC_B"
check_eq "relay lost: priority 0 announced" 0 "$(rp_stat "$a" a1 priority)"
kill -USR2 "$a"
check "relay back: the node preempts" wait_for 2 only_master "$A" "$B"
check "relay back: client follows" wait_for 1 client_on "$MAC_A"

# --- every backend down: priority 200 - 50 < 180 ---
kill -RTMIN "$a"
check "no backend: the peer takes over" wait_for 2 only_master "$B" "$A"
check_eq "no backend: priority lowered by penalty_no_backend" 150 "$(rp_stat "$a" a1 priority)"
kill -RTMIN+1 "$a"
check "backends back: the node preempts" wait_for 2 only_master "$A" "$B"

# --- link down ---
ip -n "$A" link set eth0 down
check "link down: the peer takes over" wait_for 2 has_vip "$B"
check "link down: the node gives up its VIP" wait_for 1 no_vip "$A"
ip -n "$A" link set eth0 up
check "link up: the node comes back and preempts" wait_for 3 only_master "$A" "$B"
check "link up: client follows" wait_for 1 client_on "$MAC_A"

# --- split brain, healing from B to A first ---
vrrp_block "$A" && vrrp_block "$B"
check "split brain: both are master" wait_for 2 has_vip "$B"
check "split brain: client follows the last ARPs (B)" wait_for 1 client_on "$MAC_B"
vrrp_unblock "$A" # A hears B again, B still deaf
check "healing B->A: the higher master reclaims the clients at once" wait_for 1 client_on "$MAC_A"
check "healing B->A: the lower master does not know yet" has_vip "$B"
vrrp_unblock "$B"
check "healed: one master" wait_for 1 only_master "$A" "$B"
check_eq "healed: client stays on the master" "$MAC_A" "$(client_mac)"
grep -q "vrrp_conflict" "$T_TMP/a1.log" && ok "the master logged the conflict" ||
  not_ok "the master logged the conflict"

# --- split brain, healing from A to B first: A never hears B ---
vrrp_block "$A" && vrrp_block "$B"
check "split brain again: both are master" wait_for 2 has_vip "$B"
check "split brain again: client follows B" wait_for 1 client_on "$MAC_B"
vrrp_unblock "$B" # B hears A and yields; A still deaf
check "healing A->B: the lower master yields" wait_for 1 only_master "$A" "$B"
check "healing A->B: it points the clients back at the master" wait_for 1 client_on "$MAC_A"
vrrp_unblock "$A"
sleep 0.5
check "healed: one master, client on it" eval 'only_master "$A" "$B" && client_on "$MAC_A"'

# --- SIGTERM ---
stop_pid "$a" TERM
if no_vip "$A" && wait_for 1 has_vip "$B"; then ok "SIGTERM: VIP removed, peer takes over"
else not_ok "SIGTERM: VIP removed, peer takes over"; fi
check "SIGTERM: client follows" wait_for 1 client_on "$MAC_B"
stop_pid "$b" TERM

# --- the ARP bursts: garp_count at once, the same again garp_repeat_delay later ---
a=$(rp_start "$A" a3 200 -g 5 -R 400)
check "alone: master" wait_for 5 has_vip "$A"
check_eq "on becoming master: a burst of 5 gratuitous ARPs" 5 "$(rp_stat "$a" a3 announced)"
sleep 0.5
check_eq "garp_repeat_delay later: 5 more" 10 "$(rp_stat "$a" a3 announced)"

# --- garp_on_behalf = no: a yielding node sends no ARP naming the winner ---
b=$(rp_start "$B" b3 180 -g 3 -B)
check "B backup" wait_for 3 only_master "$A" "$B"
vrrp_block "$A" && vrrp_block "$B"
check "split brain (no ARPs on behalf): both are master" wait_for 2 has_vip "$B"
check "split brain (no ARPs on behalf): client follows B" wait_for 1 client_on "$MAC_B"
vrrp_unblock "$B" # B hears A and yields; A still deaf
check "healing A->B: B yields" wait_for 1 only_master "$A" "$B"
sleep 0.5
check_eq "garp_on_behalf = no: nothing sent on A's behalf" 0 "$(rp_stat "$b" b3 announced_behalf)"
check "garp_on_behalf = no: the client stays on B's MAC until A is heard" client_on "$MAC_B"
vrrp_unblock "$A"
stop_pid "$a" TERM
stop_pid "$b" TERM

# --- IPv6: split brain healing A->B first, the NAs on the winner's behalf ---
client6_mac() { ip -n "$C" -6 neigh show "$VRRP_VIP6" dev eth0 | awk '{ print $3 }'; }
client6_on() { [ "$(client6_mac)" = "$1" ]; }
only_master6() { has_vip6 "$1" && no_vip6 "$2"; }
wait_for 5 ll_ready "$A" && wait_for 5 ll_ready "$B"
a=$(rp_start6 "$A" a6 200 -g 3)
b=$(rp_start6 "$B" b6 180 -g 3)
check "IPv6: higher priority (200) is master" wait_for 5 only_master6 "$A" "$B"
ip netns exec "$C" ping -6 -c 1 -W 1 "$VRRP_VIP6" >/dev/null
check "IPv6: the client reaches the VIP on A's MAC" client6_on "$MAC_A"
vrrp_block "$A" && vrrp_block "$B"
check "IPv6 split brain: both are master" wait_for 2 has_vip6 "$B"
check "IPv6 split brain: the client follows B's Neighbor Advertisements" wait_for 1 client6_on "$MAC_B"
vrrp_unblock "$B" # B hears A and yields; A still deaf
check "IPv6 healing A->B: B yields" wait_for 1 only_master6 "$A" "$B"
check "IPv6 healing A->B: B's NAs on A's behalf point the client at A" wait_for 2 client6_on "$MAC_A"
check "IPv6 healing A->B: B learnt A's MAC by Neighbor Solicitation" grep -q "vrrp_announce_master mac=$MAC_A" "$T_TMP/b6.log"
vrrp_unblock "$A"
stop_pid "$a" TERM
check "IPv6 SIGTERM: the peer takes over" wait_for 1 only_master6 "$B" "$A"
check "IPv6 SIGTERM: the client follows" wait_for 1 client6_on "$MAC_B"
stop_pid "$b" TERM

# --- unicast peers ---
a=$(rp_start "$A" a2 200 -u 198.18.0.2)
b=$(rp_start "$B" b2 100 -u 198.18.0.1)
check "unicast peers: higher priority is master" wait_for 5 only_master "$A" "$B"
ip netns exec "$C" python3 "$RAMPART_ROOT/tests/integration/vrrp_inject.py" eth0 198.18.0.3 good 2
sleep 0.2
check_eq "unicast peers: a stranger's valid advert is dropped (peer)" 2 "$(rp_stat "$a" a2 drop_peer)"
check "unicast peers: the stranger changed nothing" only_master "$A" "$B"
stop_pid "$a" TERM
check "unicast peers: SIGTERM hands over" wait_for 1 only_master "$B" "$A"
stop_pid "$b" TERM
t_done
