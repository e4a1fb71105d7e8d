#!/usr/bin/env bash
# Autoblock: a client that collects autoblock_threshold refused requests
# (here 400: HTTP/1.1 without Host) within the window is put in the
# blocklist set by the parent; its next connection gets nothing, another
# client still works, and the block expires after autoblock_timeout.
# The parent refuses to block what the relay must never get blocked
# (issue 10, defect 5): a VRRP peer, a source the policy admits by name
# (an administrator), a backend, the node's own addresses and non-global
# ones (loopback), each refusal logged with its reason and counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root

gw=$(netns_add abgw) && cl=$(netns_add abcl) || { not_ok "namespaces"; exit 1; }
veth_pair "$gw" eth0 198.18.0.1/24 "$cl" eth0 198.18.0.2/24 || { not_ok "veth"; exit 1; }
for a in 3 4 5 6; do ip -n "$cl" addr add 198.18.0.$a/24 dev eth0; done
proc_cert || { not_ok "certificate"; exit 1; }
cat >"$T_TMP/ab.policy" <<'POLICY'
[policy]
name = autoblock_test
input = accept
forward = drop
output = accept

[set blocklist]
type = ipv4_addr
dynamic = yes
timeout = 10m

[set admins]
type = ipv4_addr
elements = 198.18.0.5

[rule ssh]
source = @admins
protocol = tcp
dport = 22
action = accept

[rule blocked]
source = @blocklist
action = drop
counter = yes
POLICY
proc_config "$T_TMP/r.ini" "[firewall]
policy = $T_TMP/ab.policy
autoblock = yes
autoblock_threshold = 3
autoblock_window = 10s
autoblock_timeout = 3s
[vrrp]
unicast_peer = 198.18.0.4
[backend web-03]
address = 198.18.0.6
port = 18083"
sed -i 's/^listen_https = .*/listen_https = 198.18.0.1:18443/; s/^listen_http = .*/listen_http = 198.18.0.1:18080, 127.0.0.1:18080/; s/^enabled = no/enabled = yes/' "$T_TMP/r.ini"
log=$T_TMP/rampart.log
spawn "$gw" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
wait_port "$gw" 198.18.0.1 18080 || { not_ok "rampart starts" "$(tail -n 3 "$log")"; exit 1; }

# from SRC: the status of GET / (000: no answer); BAD=1 drops the Host header (400)
get() {
  local hdr=()
  [ "${2:-}" = bad ] && hdr=(-H "Host:")
  ip netns exec "$cl" curl -s -o /dev/null -m 2 -w '%{http_code}' --interface "$1" "${hdr[@]}" \
    http://198.18.0.1:18080/ 2>/dev/null
}
blocked() { ip netns exec "$gw" nft list set inet rampart blocklist | grep -qFw "$1"; }

check_eq "a client before: redirected to https" 301 "$(get 198.18.0.2)"
check_eq "a bad request: 400" 400 "$(get 198.18.0.2 bad)"
check_eq "two bad requests: not blocked yet" 400 "$(get 198.18.0.2 bad)"
check_fails "below the threshold: not in the blocklist" blocked 198.18.0.2
check_eq "third bad request still answered" 400 "$(get 198.18.0.2 bad)"
check "threshold reached: address in the blocklist set" wait_for 3 blocked 198.18.0.2
check "one structured autoblock line" grep -q "autoblock proc=parent client=198.18.0.2 timeout=3000ms threshold=3" "$log"
check_eq "blocked client: no answer" 000 "$(get 198.18.0.2)"
check_eq "another client still served" 301 "$(get 198.18.0.3)"
# the parent reads the nft counters back for the relay's /metrics
metrics() { ip netns exec "$gw" curl -s -m 2 http://127.0.0.1:9100/metrics; }
check "metrics: one blocked address" wait_for 4 bash -c \
  "ip netns exec $gw curl -s -m 2 http://127.0.0.1:9100/metrics | grep -qx 'rampart_firewall_blocked_addresses 1'"
check "metrics: the blocked client's packets counted as drops" wait_for 4 bash -c \
  "ip netns exec $gw curl -s -m 2 http://127.0.0.1:9100/metrics | grep -E '^rampart_firewall_dropped_packets_total\\{.*blocked' | grep -qvE ' 0$'"
check_fails "the other client is not blocked" blocked 198.18.0.3
check "the block expires (autoblock_timeout = 3s)" wait_for 8 bash -c "! ip netns exec $gw nft list set inet rampart blocklist | grep -q 198.18.0.2"
check_eq "after expiry: served again" 301 "$(get 198.18.0.2)"

# protected addresses misbehave as much as the blocked client did: the
# relay names them, the parent refuses, they are still served
bad_from_gw() { # SRC DST: a 400 from inside the gateway's namespace
  ip netns exec "$gw" curl -s -o /dev/null -m 2 -w '%{http_code}' --interface "$1" -H "Host:" \
    "http://$2:18080/" 2>/dev/null
}
for i in 1 2 3; do # autoblock_threshold
  get 198.18.0.4 bad >/dev/null
  get 198.18.0.5 bad >/dev/null
  get 198.18.0.6 bad >/dev/null
  bad_from_gw 198.18.0.1 198.18.0.1 >/dev/null
  bad_from_gw 127.0.0.1 127.0.0.1 >/dev/null
done
# the parent has decided on each (refused it, or blocked it as the old
# parent did) before anything is looked at
decided() { grep -qE "autoblock(_refused)? proc=parent client=$1 " "$log"; }
for a in 198.18.0.4 198.18.0.5 198.18.0.6 198.18.0.1 127.0.0.1; do wait_for 3 decided "$a"; done
for a in 198.18.0.4 198.18.0.5 198.18.0.6 198.18.0.1 127.0.0.1; do
  check_fails "$a is not in the blocklist" blocked "$a"
done
check_eq "the peer still served" 301 "$(get 198.18.0.4)"
check_eq "the admin still served" 301 "$(get 198.18.0.5)"
refused() { grep -q "autoblock_refused proc=parent client=$1 reason=$2" "$log"; }
check "unicast peer: refused as peer" refused 198.18.0.4 peer
check "policy admin: refused as admin" refused 198.18.0.5 admin
check "backend: refused as backend" refused 198.18.0.6 backend
check "own address: refused as own" refused 198.18.0.1 own
check "loopback: refused as not_global" refused 127.0.0.1 not_global
check "metrics: refusals counted by reason" wait_for 4 bash -c \
  "ip netns exec $gw curl -s -m 2 http://127.0.0.1:9100/metrics | grep -qE '^rampart_autoblock_refused_total\\{reason=\"peer\"\\} [1-9]'"
stop_pid "$pid" TERM
t_done
