#!/usr/bin/env bash
# The peer channel between two gateways (issue 13), each a whole `rampart
# -c FILE` in its namespace on one LAN, with a client beside them:
#   - the channel comes up with the pre-shared key; both hold the same
#     ticket keys, and a session made on one gateway resumes on the other,
#     even when the two machines booted at different times (gw-b runs in a
#     time namespace whose boot clock is a day ahead: tls/tls_time.c);
#   - an address blocked on one gateway (rampart-fw block, or autoblock)
#     is refused by the other within 1 s, with the same time left; an
#     unblock goes across too; a protected address (an administrator the
#     policy names) is refused by the receiving parent, and counted;
#   - blocks survive a re-apply (SIGHUP) and a peer restart: the restarted
#     gateway, its set emptied, gets the list back from its peer, and its
#     ticket keys too;
#   - bad input changes nothing and is counted: a wrong key (auth), bytes
#     that are not a frame, a truncated frame, a replayed and a skipped
#     sequence number, a frame that breaks a rule, a HELLO naming another
#     node.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
. "$(dirname "$0")/lib_peer.sh"
require_root

vrrp_lan a b c || { not_ok "namespaces"; exit 1; }
A=${VRRP_NS[a]} B=${VRRP_NS[b]} C=${VRRP_NS[c]}
# .3 is the TLS client's (never blocked); .4-.6 are blocked or not below
for n in 4 5 6; do ip -n "$C" addr add 198.18.0.$n/24 dev eth0; done
peer_setup || { not_ok "certificate, key, policy"; exit 1; }
peer_config a 198.18.0.1 198.18.0.2
peer_config b 198.18.0.2 198.18.0.1 "autoblock = yes
autoblock_threshold = 3
autoblock_timeout = 2m"
check "rampart -t: the configuration with [peer]" "$RAMPART_BUILD/rampart" -t -c "$T_TMP/a.ini"

peer_start a "$A"
peer_start b "$B" unshare --time --boottime 86400 --fork
check "the channel comes up (a)" wait_for 10 peer_up "$A"
check "the channel comes up (b)" wait_for 5 peer_up "$B"
check "both hold the peer's state (synced)" wait_for 5 peer_synced "$B"
wait_port "$A" 198.18.0.1 18443 && wait_port "$B" 198.18.0.2 18443
up_a=$(cut -d. -f1 /proc/uptime) up_b=$(nsenter -t "${PEER_PID[b]}" -T cat /proc/uptime | cut -d. -f1)
check "b's boot clock is a day ahead of a's (${up_a}s, ${up_b}s)" test $((up_b - up_a)) -ge 86000
check_eq "the same ticket key epoch on both" "$(peer_metric "$A" rampart_peer_ticket_key_epoch)" \
  "$(peer_metric "$B" rampart_peer_ticket_key_epoch)"
check_eq "a (the lower address) makes the keys" 1 "$(peer_metric "$A" rampart_peer_ticket_key_master)"
check_eq "b does not" 0 "$(peer_metric "$B" rampart_peer_ticket_key_master)"

# --- resumption across the pair ---
peer_sc "$C" 198.18.0.1 -sess_out "$T_TMP/sess-a" >/dev/null
check_eq "a session from a resumes on a" Reused "$(peer_resumed "$C" 198.18.0.1 "$T_TMP/sess-a")"
check_eq "a session from a resumes on b (booted a day earlier)" Reused \
  "$(peer_resumed "$C" 198.18.0.2 "$T_TMP/sess-a")"

# --- a block on a reaches b within 1 s, with the time it has left ---
get() { ip netns exec "$C" curl -s -o /dev/null -m 1 -w '%{http_code}' --interface "$1" "http://$2:18080/" 2>/dev/null; }
check_eq "the client reaches b before" 301 "$(get 198.18.0.4 198.18.0.2)"
ip netns exec "$A" "$RAMPART_BUILD/rampart-fw" block 198.18.0.4 --timeout 5m >/dev/null
start=$(date +%s%N)
if wait_for 1 in_set "$B" 198.18.0.4; then
  ok "rampart-fw block on a: in b's set within 1 s ($((($(date +%s%N) - start) / 1000000)) ms)"
else not_ok "rampart-fw block on a: in b's set within 1 s"; fi
check_eq "b refuses the blocked client" 000 "$(get 198.18.0.4 198.18.0.2)"
check_eq "b still serves another client" 301 "$(get 198.18.0.6 198.18.0.2)"
ea=$(expires_s "$A" 198.18.0.4) eb=$(expires_s "$B" 198.18.0.4)
check "the same time left on both (a ${ea}s, b ${eb}s)" bash -c "[ $((ea - eb)) -le 2 ] && [ $((eb - ea)) -le 2 ] && [ $ea -ge 290 ]"
ip netns exec "$B" "$RAMPART_BUILD/rampart-fw" unblock 198.18.0.4 >/dev/null
check "rampart-fw unblock on b: lifted on a within 1 s" wait_for 1 not_in_set "$A" 198.18.0.4

# --- autoblock on b reaches a ---
for _ in 1 2 3; do
  ip netns exec "$C" curl -s -o /dev/null -m 1 --interface 198.18.0.5 -H "Host:" http://198.18.0.2:18080/
done
check "autoblock on b: in b's set" wait_for 3 in_set "$B" 198.18.0.5
check "autoblock on b: in a's set within 1 s" wait_for 1 in_set "$A" 198.18.0.5
ea=$(expires_s "$A" 198.18.0.5)
check "autoblock's timeout (2m) on a too (${ea}s)" bash -c "[ $ea -ge 115 ] && [ $ea -le 120 ]"

# --- a protected address: a blocks it by hand, b's parent refuses ---
ip netns exec "$A" "$RAMPART_BUILD/rampart-fw" block 198.18.0.50 >/dev/null
sleep 1
check "an administrator blocked on a is not blocked on b" not_in_set "$B" 198.18.0.50
refused_admin() { [ "$(peer_metric "$B" 'rampart_peer_blocks_refused_total{reason="admin"}')" = 1 ]; }
check "b counts the refusal (admin)" wait_for 3 refused_admin
ip netns exec "$A" "$RAMPART_BUILD/rampart-fw" unblock 198.18.0.50 >/dev/null

# --- blocks survive a re-apply ---
ip netns exec "$A" "$RAMPART_BUILD/rampart-fw" block 198.18.0.4 --timeout 5m >/dev/null
wait_for 1 in_set "$B" 198.18.0.4
kill -HUP "${PEER_PID[b]}"
check "b reloaded (policy applied again)" wait_for 10 grep -q reload_done "$T_TMP/b.log"
check "the block survives b's re-apply" in_set "$B" 198.18.0.4
check "and a's own" in_set "$A" 198.18.0.4

# --- bad input, with b stopped (its real session would take the place of ours) ---
stop_pid "${PEER_PID[b]}" TERM
a_down() { ! peer_up "$A"; }
check "b stopped: a sees the channel down" wait_for 5 a_down
state_of_a() { ip netns exec "$A" "$RAMPART_BUILD/rampart-fw" blocked | awk '{print $1}' | sort | tr '\n' ' '; peer_metric "$A" rampart_peer_ticket_key_epoch; }
before=$(state_of_a)
metric_ge() { # SAMPLE MIN: a's sample is at least MIN
  local v
  v=$(peer_metric "$A" "$1")
  [ "${v:-0}" -ge "$2" ]
}
counted() { # the relay shows what the parent sent, each second; on failure, what a counted
  wait_for 6 metric_ge "$1" "${2:-1}" && return 0
  ip netns exec "$A" curl -s -m 2 http://127.0.0.1:9100/metrics | grep -E '^rampart_peer_(closed|dropped|handshake|state|dials|sessions)' |
    grep -v ' 0$' | sed 's/^/# a: /' >&2
  return 1
}
ip netns exec "$B" timeout 5 openssl s_client -connect 198.18.0.1:7443 -psk "$(openssl rand -hex 32)" \
  -psk_identity rampart-peer -tls1_3 </dev/null >/dev/null 2>&1
check "a wrong key is refused and counted (auth)" counted 'rampart_peer_handshake_failures_total{reason="auth"}'
peer_inject "$B" 198.18.0.1 raw:00112233445566778899aabbccddeeff
check "garbage: dropped, counted (version)" counted 'rampart_peer_dropped_total{reason="version"}'
peer_inject "$B" 198.18.0.1 hello:1:198.18.0.2:7 cut:8:block:2:198.18.0.3:1000
check "a truncated frame: counted (truncated)" counted 'rampart_peer_dropped_total{reason="truncated"}'
peer_inject "$B" 198.18.0.1 hello:1:198.18.0.2:8 ping:2 ping:2
check "a replayed frame: dropped, counted (replay)" counted 'rampart_peer_dropped_total{reason="replay"}'
peer_inject "$B" 198.18.0.1 hello:1:198.18.0.2:9 ping:3
check "a skipped sequence number: counted (sequence)" counted 'rampart_peer_dropped_total{reason="sequence"}'
peer_inject "$B" 198.18.0.1 hello:1:198.18.0.2:10 badfamily:2:198.18.0.79
check "a block with an unknown family: counted (meaning)" counted 'rampart_peer_dropped_total{reason="meaning"}'
peer_inject "$B" 198.18.0.1 hello:1:198.18.0.9:11
check "a HELLO naming another node: counted (hello)" counted 'rampart_peer_dropped_total{reason="hello"}'
# every state has a deadline: a silent TCP connection (handshake_timeout
# 1s), a session that says nothing after its HELLO (dead_after 1s), a
# frame that stops half-way (dead_after)
ip netns exec "$B" timeout 3 bash -c 'exec 3<>/dev/tcp/198.18.0.1/7443; sleep 2' 2>/dev/null
check "a silent connection: closed at handshake_timeout" counted 'rampart_peer_closed_total{reason="handshake_timeout"}'
(python3 "$RAMPART_ROOT/tests/integration/peer_frames.py" hello:1:198.18.0.2:20; sleep 2.5) |
  ip netns exec "$B" timeout 5 openssl s_client -connect 198.18.0.1:7443 -psk "$(cat "$PEER_PSK")" \
    -psk_identity rampart-peer -tls1_3 -nocommands -quiet >/dev/null 2>&1
check "a silent session: closed at dead_after" counted 'rampart_peer_closed_total{reason="idle_timeout"}'
(python3 "$RAMPART_ROOT/tests/integration/peer_frames.py" hello:1:198.18.0.2:21 cut:5:ping:2; sleep 2.5) |
  ip netns exec "$B" timeout 5 openssl s_client -connect 198.18.0.1:7443 -psk "$(cat "$PEER_PSK")" \
    -psk_identity rampart-peer -tls1_3 -nocommands -quiet >/dev/null 2>&1
check "a frame stopped half-way: closed at dead_after" counted 'rampart_peer_closed_total{reason="message_timeout"}'
sleep 1.2 # the status the relay shows is a second old at most
check_eq "none of it changed a's blocklist or keys" "$before" "$(state_of_a)"
check "the bad block was not applied" not_in_set "$A" 198.18.0.79
peer_inject "$B" 198.18.0.1 hello:1:198.18.0.2:12 block:2:198.18.0.77:60000 block:2:198.18.0.78:60000
check "a block replayed under another's number: counted (replay)" counted 'rampart_peer_dropped_total{reason="replay"}' 2
check "the valid block before it was applied" in_set "$A" 198.18.0.77
check "the replayed one was not" not_in_set "$A" 198.18.0.78
check_eq "a's relay still serves" 301 "$(get 198.18.0.6 198.18.0.1)"

# --- b restarts with an empty set: it gets the list and the keys back ---
ip netns exec "$B" nft flush set inet rampart blocklist
sessions=$(peer_metric "$A" rampart_peer_sessions_total)
peer_start b "$B" unshare --time --boottime 86400 --fork
check "b restarted: the channel is back" wait_for 10 peer_up "$A"
check_eq "one more session on a" $((sessions + 1)) "$(peer_metric "$A" rampart_peer_sessions_total)"
check "the restarted b got a's blocklist" wait_for 3 in_set "$B" 198.18.0.4
check "b took a's keys before its relay served" grep -q "ticket_keys_ready proc=parent from=peer" "$T_TMP/b.log"
wait_port "$B" 198.18.0.2 18443
check_eq "a's session resumes on the restarted b" Reused "$(peer_resumed "$C" 198.18.0.2 "$T_TMP/sess-a")"
stop_pid "${PEER_PID[b]}" TERM
# --- alone: a restarted without its peer serves after key_wait, with its own keys ---
stop_pid "${PEER_PID[a]}" TERM
: >"$T_TMP/a.log"
peer_start a "$A"
check "alone: a's relay waits for the peer, then serves with its own keys (key_wait 3s)" wait_for 8 grep -q \
  "ticket_keys_ready proc=parent from=\"own (no peer within key_wait)\"" "$T_TMP/a.log"
check "and serves" wait_port "$A" 198.18.0.1 18443
stop_pid "${PEER_PID[a]}" TERM
t_done
