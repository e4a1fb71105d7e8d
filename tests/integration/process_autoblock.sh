#!/usr/bin/env bash
# Autoblock: a client that collects autoblock_threshold refused requests
# (here 400: HTTP/1.1 without Host) within the window is put in the
# blocklist set by the parent; its next connection gets nothing, another
# client still works, and the block expires after autoblock_timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root

gw=$(netns_add abgw) && cl=$(netns_add abcl) || { not_ok "namespaces"; exit 1; }
veth_pair "$gw" eth0 198.18.0.1/24 "$cl" eth0 198.18.0.2/24 || { not_ok "veth"; exit 1; }
ip -n "$cl" addr add 198.18.0.3/24 dev eth0
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
autoblock_timeout = 3s"
sed -i 's/^listen_https = .*/listen_https = 198.18.0.1:18443/; s/^listen_http = .*/listen_http = 198.18.0.1:18080/; s/^enabled = no/enabled = yes/' "$T_TMP/r.ini"
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
blocked() { ip netns exec "$gw" nft list set inet rampart blocklist | grep -q "$1"; }

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
stop_pid "$pid" TERM
t_done
