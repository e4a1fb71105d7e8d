#!/usr/bin/env bash
# apply is all or nothing, and touches only table inet rampart:
#  - a policy with an error is refused before any netlink socket is opened
#  - a batch the kernel refuses leaves the previous ruleset exactly in place
#  - apply replaces the table (nothing of the previous policy remains)
#  - other tables are never touched (apply, flush)
. "$(dirname "$0")/lib.sh"
require_root
FW=$RAMPART_BUILD/rampart-fw
POL=$RAMPART_ROOT/tests/integration/firewall_policies
norm() { tr -s ' \t\n' ' '; }
ns=$(netns_add fwa) || exit 1
in_ns() { ip netns exec "$ns" "$@"; }
ruleset() { in_ns nft list ruleset; }

# A table that is not ours, with a rule: it must survive everything below.
in_ns nft -f - <<'NFT'
table ip keepme {
  chain c { type filter hook input priority 10; policy accept; tcp dport 7 counter accept; }
}
NFT
check "first apply" in_ns "$FW" apply "$RAMPART_ROOT/policies/gateway.policy"
before=$(ruleset)

# 1. policy error: refused, exit 1, FILE:LINE on stderr, no netlink socket at all
cat >"$T_TMP/bad.policy" <<'P'
[policy]
name = bad
[rule r]
protocol = tcp
dport = 70000
action = accept
P
in_ns "$FW" apply "$T_TMP/bad.policy" >"$T_TMP/out" 2>&1
check_eq "bad policy: exit status 1" 1 $?
grep -q "bad.policy:5: rule 'r': dport: 70000 out of range 1-65535" "$T_TMP/out" \
  && ok "bad policy: FILE:LINE message" || not_ok "bad policy: FILE:LINE message" "$(cat "$T_TMP/out")"
check_eq "bad policy: ruleset unchanged" "$before" "$(ruleset)"
if command -v strace >/dev/null; then
  in_ns strace -f -e trace=socket -o "$T_TMP/strace" "$FW" apply "$T_TMP/bad.policy" >/dev/null 2>&1
  if grep -q AF_NETLINK "$T_TMP/strace"; then not_ok "bad policy: no netlink socket opened"
  else ok "bad policy: no netlink socket opened"; fi
fi

# 2. the kernel refuses the batch (a rule naming a set that does not exist,
# injected at the very end): nothing of it is applied
RAMPART_FW_FAULT=reject in_ns "$FW" apply "$POL/22_everything.policy" >"$T_TMP/out" 2>&1
check_eq "kernel refusal: exit status 1" 1 $?
grep -q "kernel refused rule .*injected fault.*previous ruleset is unchanged" "$T_TMP/out" \
  && ok "kernel refusal: names the refused rule" || not_ok "kernel refusal: message" "$(cat "$T_TMP/out")"
check_eq "kernel refusal: ruleset unchanged" "$before" "$(ruleset)"

# 3. apply replaces: afterwards the table is exactly the new render
check "second apply" in_ns "$FW" apply "$POL/22_everything.policy"
check_eq "apply replaces the whole table" "$("$FW" render "$POL/22_everything.policy" | norm)" \
  "$(in_ns nft list table inet rampart | norm)"

# show and diff read the kernel back: show prints what nft prints, diff
# against the applied file finds nothing, against another file finds it
check_eq "show = nft list table" "$(in_ns nft list table inet rampart | norm)" "$(in_ns "$FW" show | norm)"
in_ns "$FW" diff "$POL/22_everything.policy" >"$T_TMP/out"
check_eq "diff against the applied policy: exit 0" 0 $?
check_eq "diff against the applied policy: no changes" "no changes" "$(tail -n 1 "$T_TMP/out")"
in_ns "$FW" diff "$POL/20_comments.policy" >"$T_TMP/out"
check_eq "diff against another policy: exit 1" 1 $?
grep -q '^+.*udp dport 123 accept comment "documented: NTP for the clocks"' "$T_TMP/out" \
  && grep -q '^-.*ip saddr @admins tcp dport 22 accept comment "ssh"' "$T_TMP/out" \
  && ok "diff shows added and removed rules" || not_ok "diff shows added and removed rules"
check_eq "diff changed nothing" "$(in_ns "$FW" render "$POL/22_everything.policy" | norm)" \
  "$(in_ns nft list table inet rampart | norm)"

# blocked addresses survive a re-apply (a daemon reload must not unblock)
check "apply gateway.policy" in_ns "$FW" apply "$RAMPART_ROOT/policies/gateway.policy"
check "block an address" in_ns "$FW" block 198.18.7.7 --timeout 1h
check "re-apply gateway.policy" in_ns "$FW" apply "$RAMPART_ROOT/policies/gateway.policy"
in_ns "$FW" blocked | grep -q '^198.18.7.7 expires 59m' && ok "still blocked after re-apply" ||
  not_ok "still blocked after re-apply" "$(in_ns "$FW" blocked 2>&1)"
check "back to 22_everything" in_ns "$FW" apply "$POL/22_everything.policy"

# 4. other tables untouched by apply and by flush
keep=$(in_ns nft list table ip keepme)
check_eq "apply leaves other tables alone" "$(echo "$before" | sed -n '/^table ip keepme/,/^}/p')" "$keep"
check "flush" in_ns "$FW" flush
check_eq "flush removes only inet rampart" "$keep" "$(ruleset)"
check "flush with no table is fine" in_ns "$FW" flush
t_done
