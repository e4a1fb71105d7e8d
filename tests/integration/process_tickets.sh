#!/usr/bin/env bash
# Session tickets survive a SIGHUP reload and a relay restart: the parent
# makes the ticket keys and gives them to every relay (IPC_TICKET_KEYS). A
# new parent has new keys, so its relay cannot resume an old session (the
# control that shows the check can fail).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root

ns=$(netns_add tick) || { not_ok "namespace"; exit 1; }
proc_cert || { not_ok "certificate"; exit 1; }
proc_config "$T_TMP/r.ini" "[tls]
tickets_tls12 = yes" # TLS 1.2 tickets are off by default
log=$T_TMP/rampart.log
start() {
  spawn "$ns" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
  pid=$!
  wait_port "$ns" 127.0.0.1 18443 || { not_ok "rampart starts" "$(tail -n 3 "$log")"; exit 1; }
}
# sc ARGS...: one request through openssl s_client (no backend runs: the
# answer is a 502/503, the handshake and the ticket are what count).
sc() {
  printf 'GET / HTTP/1.1\r\nHost: www.foobar.com\r\nConnection: close\r\n\r\n' |
    ip netns exec "$ns" timeout 10 openssl s_client -connect 127.0.0.1:18443 -ign_eof "$@" 2>&1
}
# resumed VERSION: "Reused" or "New" for the saved session of VERSION
resumed() { sc -"$1" -sess_in "$T_TMP/sess-$1" | grep -oE '^(Reused|New)' | head -n1; }
readies() { grep -c "relay_ready proc=parent" "$log"; }

start
for v in tls1_3 tls1_2; do
  sc -$v -sess_out "$T_TMP/sess-$v" >/dev/null
  check_eq "$v: resumes with the same relay" Reused "$(resumed $v)"
done

kill -HUP "$pid"
if wait_for 10 grep -q "reload_done" "$log"; then ok "SIGHUP reload done"; else not_ok "SIGHUP reload done"; fi
sleep 0.3 # the old relay drains; new connections go to the new one
for v in tls1_3 tls1_2; do
  check_eq "$v: resumes after a SIGHUP reload (new relay)" Reused "$(resumed $v)"
done

n=$(readies)
relay=$(proc_children "$pid" | awk '{ print $1 }')
kill -KILL "$relay"
if wait_for 15 bash -c "[ \$(grep -c 'relay_ready proc=parent' '$log') -gt $n ]" && wait_port "$ns" 127.0.0.1 18443; then
  ok "relay killed: a new one serves"; else not_ok "relay killed: a new one serves"; fi
check_eq "tls1_3: resumes after a relay restart" Reused "$(resumed tls1_3)"

stop_pid "$pid" TERM
start
check_eq "a new rampart (new keys): full handshake" New "$(resumed tls1_3)"
stop_pid "$pid" TERM
t_done
