#!/usr/bin/env bash
# Packets against the shipped policies, in namespaces on two LAN segments:
#   198.18.0.0/24  client .100, client2 .101, gw .2, peer gateway .3
#   198.19.0.0/16  gw .2, web .11, web2 .12, admin 198.19.255.5
# gw runs policies/gateway.policy, web runs policies/web.policy.
. "$(dirname "$0")/lib.sh"
require_root
FW=$RAMPART_BUILD/rampart-fw
NET="/usr/bin/python3 $RAMPART_ROOT/tests/integration/firewall_net.py"

sw=$(netns_add fwsw) || exit 1
bridge_add "$sw" br0 && bridge_add "$sw" br1
host() { # host NAME IF_IN_SW BRIDGE ADDR/LEN
  local ns
  ns=$(netns_add "$1") || exit 1
  veth_pair "$ns" eth0 "$4" "$sw" "$2" "" || exit 1
  ip -n "$sw" link set "$2" master "$3"
  echo "$ns"
}
client=$(host fwc c0 br0 198.18.0.100/24)
client2=$(host fwc2 c2 br0 198.18.0.101/24)
peer=$(host fwp p0 br0 198.18.0.3/24)
gw=$(host fwg g0 br0 198.18.0.2/24)
veth_pair "$gw" eth1 198.19.0.2/16 "$sw" g1 "" && ip -n "$sw" link set g1 master br1
web=$(host fww w0 br1 198.19.0.11/16)
web2=$(host fww2 w2 br1 198.19.0.12/16)
admin=$(host fwa a0 br1 198.19.255.5/16)

# can NS open a TCP connection to ADDR:PORT within a second?
connects() { ip netns exec "$1" timeout 1 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }
reach() { if connects "$2" "$3" "$4"; then ok "$1"; else not_ok "$1" "no connection"; fi; }
blocked() { if connects "$2" "$3" "$4"; then not_ok "$1" "connected"; else ok "$1"; fi; }
# packets counted by the rule with comment TEXT in NS
counter() {
  ip netns exec "$1" nft list table inet rampart |
    sed -n "s/.*counter packets \([0-9]*\) .*comment \"$2\"\$/\1/p" | head -n 1
}

check "gw: apply gateway.policy" ip netns exec "$gw" "$FW" apply "$RAMPART_ROOT/policies/gateway.policy"
check "web: apply web.policy" ip netns exec "$web" "$FW" apply "$RAMPART_ROOT/policies/web.policy"
spawn "$gw" "$T_TMP/gw.log" $NET listen 443 80 22 9100 8080 >/dev/null
spawn "$web" "$T_TMP/web.log" $NET listen 80 3306 22 >/dev/null
wait_for 10 grep -q ready "$T_TMP/gw.log" && wait_for 10 grep -q ready "$T_TMP/web.log" ||
  not_ok "listeners started"

# gateway: the site from anywhere, administration only from the admin network
reach "client -> gw:443" "$client" 198.18.0.2 443
reach "client -> gw:80" "$client" 198.18.0.2 80
blocked "client -> gw:22 dropped" "$client" 198.18.0.2 22
blocked "client -> gw:9100 dropped" "$client" 198.18.0.2 9100
blocked "client -> gw:8080 dropped" "$client" 198.18.0.2 8080
reach "admin -> gw:22" "$admin" 198.19.0.2 22
reach "admin -> gw:9100" "$admin" 198.19.0.2 9100
blocked "admin -> gw:8080 dropped" "$admin" 198.19.0.2 8080

# web servers: port 80 only from the gateways, MySQL only from the other web server
reach "gw -> web:80" "$gw" 198.19.0.11 80
blocked "admin -> web:80 dropped" "$admin" 198.19.0.11 80
blocked "web2 -> web:80 dropped" "$web2" 198.19.0.11 80
reach "web2 -> web:3306" "$web2" 198.19.0.11 3306
blocked "gw -> web:3306 dropped" "$gw" 198.19.0.11 3306
blocked "admin -> web:3306 dropped" "$admin" 198.19.0.11 3306
reach "admin -> web:22" "$admin" 198.19.0.11 22
blocked "gw -> web:22 dropped" "$gw" 198.19.0.11 22

# VRRP (IP protocol 112) only from the peer gateway
before_drop=$(counter "$gw" "rampart: default drop")
ip netns exec "$peer" $NET raw 112 198.18.0.2 5
ip netns exec "$client" $NET raw 112 198.18.0.2 5
check_eq "VRRP from the peer accepted (5 counted)" 5 "$(counter "$gw" vrrp)"
after_drop=$(counter "$gw" "rampart: default drop")
[ $((after_drop - before_drop)) -ge 5 ] && ok "VRRP from a client dropped and counted" ||
  not_ok "VRRP from a client dropped and counted" "drop counter $before_drop -> $after_drop"

# SYN flood: beyond 50/s burst 100 from one source, new connections are dropped
# and counted; another source still gets in
ip netns exec "$client" $NET synflood 198.18.0.2 443 400
over=$(counter "$gw" "https: over the limit")
[ "${over:-0}" -gt 0 ] && ok "SYN flood over the per-source limit dropped ($over counted)" ||
  not_ok "SYN flood over the per-source limit dropped" "counter ${over:-none}"
ip netns exec "$gw" "$FW" status | grep -Eq '^drop https_over_limit packets [1-9]' &&
  ok "status reports the over-limit drops" || not_ok "status reports the over-limit drops"
reach "another source still connects during the flood" "$client2" 198.18.0.2 443

# blocklist: refused while blocked, back once the timeout has passed
check "block client2 for 3s" ip netns exec "$gw" "$FW" block 198.18.0.101 --timeout 3s
ip netns exec "$gw" "$FW" blocked | grep -q '^198.18.0.101 expires' && ok "blocked lists it" ||
  not_ok "blocked lists it"
blocked "blocked client2 -> gw:443 dropped" "$client2" 198.18.0.2 443
[ "$(counter "$gw" blocked)" -gt 0 ] && ok "blocked packets counted" || not_ok "blocked packets counted"
if wait_for 8 connects "$client2" 198.18.0.2 443; then ok "client2 connects again after the timeout"
else not_ok "client2 connects again after the timeout"; fi
check "unblock an address that is not blocked fails" bash -c \
  "! ip netns exec $gw $FW unblock 198.18.0.101 2>/dev/null"

# the blocklist applies to the service ports only: a blocked administrator
# still logs in and scrapes metrics, a blocked peer's VRRP still counts, and
# both lose the site (issue 10, defect 5)
check "block the admin and the peer" ip netns exec "$gw" "$FW" block 198.19.255.5 198.18.0.3 --timeout 30s
reach "blocked admin -> gw:22 still" "$admin" 198.19.0.2 22
reach "blocked admin -> gw:9100 still" "$admin" 198.19.0.2 9100
blocked "blocked admin -> gw:443 dropped" "$admin" 198.19.0.2 443
vrrp_before=$(counter "$gw" vrrp)
ip netns exec "$peer" $NET raw 112 198.18.0.2 5
check_eq "blocked peer: VRRP still accepted (5 more counted)" $((vrrp_before + 5)) "$(counter "$gw" vrrp)"
blocked "blocked peer -> gw:443 dropped" "$peer" 198.18.0.2 443
ip netns exec "$gw" "$FW" unblock 198.19.255.5 >/dev/null
ip netns exec "$gw" "$FW" unblock 198.18.0.3 >/dev/null

# the relay's user (meta skuid) reaches the web servers' port 80 and
# nothing else; other users of the gateway are not limited (defect 9)
spawn "$client" "$T_TMP/client.log" $NET listen 8080 >/dev/null
wait_for 10 grep -q ready "$T_TMP/client.log" || not_ok "client listener started"
as_relay() { ip netns exec "$1" setpriv --reuid=rampart --regid=rampart --clear-groups \
  timeout 1 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }
if as_relay "$gw" 198.19.0.11 80; then ok "relay user -> web:80"; else not_ok "relay user -> web:80"; fi
if as_relay "$gw" 198.18.0.100 8080; then not_ok "relay user -> client:8080 refused" "connected"
else ok "relay user -> client:8080 refused"; fi
reach "root -> client:8080 (not the relay's rule)" "$gw" 198.18.0.100 8080
[ "$(counter "$gw" relay_nothing_else)" -gt 0 ] && ok "the relay's refused packets counted" ||
  not_ok "the relay's refused packets counted"
t_done
