#!/usr/bin/env bash
# Commit-confirmed: apply --confirm 2 without confirming brings the previous
# ruleset back within 3 s, even when the shell that applied is gone;
# confirming keeps the new one. Also: no previous table -> none after.
. "$(dirname "$0")/lib.sh"
require_root
FW=$RAMPART_BUILD/rampart-fw
POL=$RAMPART_ROOT/policies
norm() { tr -s ' \t\n' ' '; }
ns=$(netns_add fwcf) || exit 1
in_ns() { ip netns exec "$ns" "$@"; }
ruleset() { in_ns nft list ruleset; }
same_as() { [ "$(ruleset)" = "$1" ]; }

check "apply web.policy (the previous ruleset)" in_ns "$FW" apply "$POL/web.policy"
old=$(ruleset)

# not confirmed: the shell that applied exits at once (and is killed)
in_ns bash -c "'$FW' apply '$POL/gateway.policy' --confirm 2 >/dev/null; kill -KILL \$\$"
check_eq "new policy active right after apply" "$("$FW" render "$POL/gateway.policy" | norm)" \
  "$(in_ns nft list table inet rampart | norm)"
check_fails "a second apply --confirm is refused while one is pending" \
  in_ns "$FW" apply "$POL/web.policy" --confirm 2
check_fails "a plain apply is refused while one is pending" in_ns "$FW" apply "$POL/web.policy"
if wait_for 3 same_as "$old"; then ok "unconfirmed: previous ruleset back within 3 s"
else not_ok "unconfirmed: previous ruleset back within 3 s"; fi

# confirmed: stays
check "apply --confirm 2 again" in_ns "$FW" apply "$POL/gateway.policy" --confirm 2
check "confirm" in_ns "$FW" confirm
sleep 3
check_eq "confirmed: new policy still active after the deadline" \
  "$("$FW" render "$POL/gateway.policy" | norm)" "$(in_ns nft list table inet rampart | norm)"
check_fails "confirm with nothing pending fails" in_ns "$FW" confirm

# no previous table: unconfirmed -> no table again
check "flush" in_ns "$FW" flush
check "apply --confirm 1 on an empty ruleset" in_ns "$FW" apply "$POL/web.policy" --confirm 1
if wait_for 3 same_as ""; then ok "unconfirmed on an empty ruleset: empty again"
else not_ok "unconfirmed on an empty ruleset: empty again" "$(ruleset | head -n 2)"; fi
check_fails "--confirm 0 is refused" in_ns "$FW" apply "$POL/web.policy" --confirm 0
t_done
