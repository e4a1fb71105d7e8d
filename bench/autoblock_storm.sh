#!/usr/bin/env bash
# VRRP advert spacing while the relay asks for 100 blocks a second (issue 10,
# defect 5): the parent's loop runs VRRP, and blocking must never delay an
# advert. A gateway namespace runs rampart (VRRP advert_interval 100 ms,
# autoblock_threshold 1, a policy with the blocklist); a client namespace
# sends refused requests (400) from a new source address each, RATE a
# second, for SECONDS; the client side timestamps every advert it receives
# (kernel receive time). Printed: gaps between adverts, min / median / max,
# and the share within 10% of the interval, quiet and under the storm.
# Usage: bench/autoblock_storm.sh [RATE] [SECONDS]   (root; default 100 10)
#        RAMPART_BUILD=DIR bench/autoblock_storm.sh  (another build: before/after)
set -u
export RAMPART_ROOT=${RAMPART_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$RAMPART_ROOT/tests/integration/lib.sh"
. "$RAMPART_ROOT/tests/integration/lib_process.sh"
RATE=${1:-100}
SECONDS_STORM=${2:-10}
PY="/usr/bin/python3 $RAMPART_ROOT/bench/autoblock_storm.py"
require_root

gw=$(netns_add stgw) && cl=$(netns_add stcl) || exit 1
veth_pair "$gw" eth0 198.18.0.1/24 "$cl" eth0 198.18.0.2/24 || exit 1
# every source the storm uses is local to the client, and routed back
ip -n "$cl" route add local 198.19.0.0/16 dev lo
ip -n "$gw" route add 198.19.0.0/16 via 198.18.0.2
proc_cert || exit 1
cat >"$T_TMP/storm.policy" <<'POLICY'
[policy]
name = storm
input = accept
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
policy = $T_TMP/storm.policy
autoblock = yes
autoblock_threshold = 1
autoblock_window = 10s
autoblock_timeout = 10m
[vrrp]
enabled = yes
interface = eth0
vrid = 51
priority = 150
advert_interval = 100ms
virtual_ip = 198.18.0.10/24"
sed -i 's/^listen_https = .*/listen_https = 198.18.0.1:18443/; s/^listen_http = .*/listen_http = 198.18.0.1:18080/; s/^max_connections = .*/max_connections = 5000/; s/^max_connections_per_ip = .*/max_connections_per_ip = 10/; s/^access_log = .*//' "$T_TMP/r.ini"
sed -i 's/^\[gateway\]$/[gateway]\naccess_log = off/' "$T_TMP/r.ini"
spawn "$gw" "$T_TMP/rampart.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
wait_port "$gw" 198.18.0.1 18080 || { echo "rampart did not start: $(tail -n 3 "$T_TMP/rampart.log")"; exit 1; }
sleep 2 # master by now (3 adverts + skew)

measure() { # TAG NAME CMD...: adverts captured while CMD runs
  local tag=$1 name=$2
  shift 2
  spawn "$cl" "$T_TMP/cap.$tag.log" $PY capture eth0 "$SECONDS_STORM" "$T_TMP/adv.$tag" >/dev/null
  local cap=$!
  wait_for 5 grep -q ready "$T_TMP/cap.$tag.log"
  "$@"
  wait "$cap"
  read -r n min med max within < <($PY spacing "$T_TMP/adv.$tag")
  printf '  %-28s %5s gaps  min %6s  median %6s  max %7s ms  within 10%%: %s\n' "$name" "$n" "$min" "$med" "$max" "$within"
}
quiet() { sleep "$SECONDS_STORM"; }
storm() { ip netns exec "$cl" $PY storm 198.18.0.1 18080 "$RATE" "$SECONDS_STORM" >"$T_TMP/storm.out"; }
echo "# VRRP advert spacing (advert_interval 100 ms), $RAMPART_BUILD"
measure quiet "quiet" quiet
blocks0=$(grep -c "autoblock proc=parent" "$T_TMP/rampart.log")
measure storm "storm ($RATE blocks/s asked)" storm
sleep 1
blocks=$(($(grep -c "autoblock proc=parent" "$T_TMP/rampart.log") - blocks0))
refused=$(grep -c "autoblock_refused proc=parent\|autoblock_skipped proc=parent" "$T_TMP/rampart.log")
in_set=$(ip netns exec "$gw" nft list set inet rampart blocklist | tr ',' '\n' | grep -c '198\.19\.')
echo "  blocks made: $blocks logged, $in_set in the set (of $(awk '{print $2}' "$T_TMP/storm.out") asked; refusal lines: $refused)"
stop_pid "$pid" TERM
