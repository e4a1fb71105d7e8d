#!/usr/bin/env bash
# The parent applies [firewall] policy at start and on SIGHUP (atomically,
# through the firewall module): a broken policy stops the start, and on
# reload changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root

ns=$(netns_add fw) || { not_ok "namespace"; exit 1; }
proc_cert || { not_ok "certificate"; exit 1; }
cp "$RAMPART_ROOT/policies/gateway.policy" "$T_TMP/gw.policy"
printf '[policy]\nname = broken\ninput = sometimes\n' >"$T_TMP/broken.policy"

# a broken policy at start: exit 1 with the policy's own FILE:LINE message
proc_config "$T_TMP/bad.ini" "[firewall]
policy = $T_TMP/broken.policy"
ip netns exec "$ns" "$RAMPART_BUILD/rampart" -c "$T_TMP/bad.ini" >"$T_TMP/bad.log" 2>&1
check_eq "broken policy at start: exit 1" 1 "$?"
check "broken policy at start: FILE:LINE logged" grep -q "policy_diagnostic .*broken.policy:3" "$T_TMP/bad.log"
check_fails "broken policy at start: no table" ip netns exec "$ns" nft list table inet rampart

proc_config "$T_TMP/r.ini" "[firewall]
policy = $T_TMP/gw.policy"
log=$T_TMP/rampart.log
spawn "$ns" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
wait_port "$ns" 127.0.0.1 18080 || { not_ok "rampart starts" "$(tail -n 3 "$log")"; exit 1; }
check "policy applied at start" wait_for 3 grep -q "firewall_applied proc=parent" "$log"
check "table inet rampart programmed" ip netns exec "$ns" nft list set inet rampart blocklist
check_eq "loopback still answers through the policy" 301 "$(proc_http "$ns" 18080)"

# reload with a broken policy: refused, the ruleset stays
ip netns exec "$ns" nft list ruleset >"$T_TMP/before.nft"
cp "$T_TMP/broken.policy" "$T_TMP/gw.policy"
kill -HUP "$pid"
if wait_for 5 grep -q "reload_failed proc=parent reason=\"firewall policy" "$log"; then
  ok "broken policy on reload: refused"; else not_ok "broken policy on reload: refused"; fi
ip netns exec "$ns" nft list ruleset >"$T_TMP/after.nft"
check "broken policy on reload: ruleset unchanged" cmp -s "$T_TMP/before.nft" "$T_TMP/after.nft"
kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM: exit 0" 0 "$?"
t_done
