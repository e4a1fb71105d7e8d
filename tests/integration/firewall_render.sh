#!/usr/bin/env bash
# What the reviewer reads is what the kernel runs: for every shipped policy
# and every test policy, `rampart-fw apply` in a fresh network namespace,
# then the kernel's ruleset as `nft list table inet rampart` prints it must
# equal `rampart-fw render` of the same file (white space normalised: nft
# wraps long element lists).
. "$(dirname "$0")/lib.sh"
require_root
FW=$RAMPART_BUILD/rampart-fw
norm() { tr -s ' \t\n' ' '; }

policies=("$RAMPART_ROOT"/policies/*.policy "$RAMPART_ROOT"/policies/examples/*.policy
  "$RAMPART_ROOT"/tests/integration/firewall_policies/*.policy)
n=0
for pol in "${policies[@]}"; do
  [ -f "$pol" ] || continue
  n=$((n + 1))
  name=$(basename "$pol" .policy)
  ns=$(netns_add "fwr$n") || { not_ok "render $name" "netns"; continue; }
  if ! "$FW" render "$pol" >"$T_TMP/r.txt" 2>"$T_TMP/err"; then
    not_ok "render $name" "$(head -n 2 "$T_TMP/err")"
  elif ! ip netns exec "$ns" "$FW" apply "$pol" >/dev/null 2>"$T_TMP/err"; then
    not_ok "render $name" "apply: $(head -n 2 "$T_TMP/err")"
  else
    ip netns exec "$ns" nft list table inet rampart >"$T_TMP/k.txt"
    if [ "$(norm <"$T_TMP/r.txt")" = "$(norm <"$T_TMP/k.txt")" ]; then
      ok "render $name = nft list table"
    else
      not_ok "render $name = nft list table" "differs"
      diff <(tr -s ' \t' ' ' <"$T_TMP/r.txt") <(tr -s ' \t' ' ' <"$T_TMP/k.txt") | head -n 20
    fi
  fi
  ip netns del "$ns"
done
note "$n policies compared"
[ "$n" -ge 22 ] && ok "at least 2 shipped + 20 test policies" || not_ok "policy count" "$n"
t_done
