#!/usr/bin/env bash
# The two processes: the parent keeps exactly CAP_NET_ADMIN + CAP_NET_RAW;
# the relay runs as the configured user with no capabilities, no_new_privs
# and a seccomp filter. A killed or frozen relay is replaced at once and the
# port keeps answering; SIGHUP with a broken config changes nothing, a good
# one swaps the relay (the old one drains and exits 0); SIGTERM exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root

ns=$(netns_add sup) || { not_ok "namespace"; exit 1; }
proc_cert || { not_ok "certificate"; exit 1; }
proc_config "$T_TMP/r.ini"
sed -i 's/^enabled = no$/enabled = yes\nlisten = 127.0.0.1:19100/' "$T_TMP/r.ini"
log=$T_TMP/rampart.log
spawn "$ns" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
wait_port "$ns" 127.0.0.1 18080 || { not_ok "rampart starts" "$(tail -n 3 "$log")"; exit 1; }

relay_pid() { proc_children "$pid" | tr -d ' ' | head -n 1; }
# a relay other than $1 is running and has said it is ready
new_relay() { local r; r=$(relay_pid); [ -n "$r" ] && [ "$r" != "$1" ] && grep -q "relay_ready proc=parent pid=$r " "$log"; }
wait_for 5 new_relay 0
relay=$(relay_pid)
user=$(awk '/^user/ {print $3}' "$T_TMP/r.ini")
uid=$(id -u "$user")

check_eq "parent: CapEff is CAP_NET_ADMIN + CAP_NET_RAW only" 0000000000003000 "$(proc_status_field "$pid" CapEff)"
check_eq "parent: CapPrm is the same" 0000000000003000 "$(proc_status_field "$pid" CapPrm)"
check_eq "relay: runs as $user" "$uid" "$(proc_status_field "$relay" Uid)"
check_eq "relay: no capabilities (effective)" 0000000000000000 "$(proc_status_field "$relay" CapEff)"
check_eq "relay: empty bounding set" 0000000000000000 "$(proc_status_field "$relay" CapBnd)"
check_eq "relay: no_new_privs" 1 "$(proc_status_field "$relay" NoNewPrivs)"
check_eq "relay: seccomp filter mode" 2 "$(proc_status_field "$relay" Seccomp)"
check_eq "relay: answers" 301 "$(proc_http "$ns" 18080)"
admin_answers() { ip netns exec "$ns" curl -s -o /dev/null -m 3 -w '%{http_code}' http://127.0.0.1:19100/metrics; }
check_eq "relay: admin listener (bound before seccomp) answers" 200 "$(admin_answers)"

# kill -9: a new relay within a second, and the port never stopped answering
kill -KILL "$relay"
check_eq "after kill -9 of the relay: the port still answers" 301 "$(proc_http "$ns" 18080)"
if wait_for 1 new_relay "$relay"; then ok "a new relay within a second"; else not_ok "a new relay within a second"; fi
check_eq "new relay: admin listener answers" 200 "$(admin_answers)"
check "relay loss logged" grep -q "relay_lost proc=parent pid=$relay reason=\"killed by signal 9" "$log"

# a frozen relay misses its heartbeats: killed and replaced
relay=$(relay_pid)
kill -STOP "$relay"
if wait_for 3 new_relay "$relay"; then ok "frozen relay replaced"; else not_ok "frozen relay replaced"; fi
check "missed heartbeats logged" grep -q "relay_unresponsive proc=parent pid=$relay reason=\"no heartbeat" "$log"
check_eq "after a frozen relay: answers" 301 "$(proc_http "$ns" 18080)"

# SIGHUP with a broken config: every error logged, nothing changes
relay=$(relay_pid)
cp "$T_TMP/r.ini" "$T_TMP/good.ini"
printf '[gateway]\nworkers = lots\n[limits]\nmax_connections = -1\n' >>"$T_TMP/r.ini"
kill -HUP "$pid"
wait_for 3 grep -q reload_failed "$log"
check "broken reload: failure logged" grep -q 'reload_failed .*effect="nothing changed"' "$log"
check_eq "broken reload: both errors logged" 2 "$(grep -c 'config_error' "$log")"
sleep 0.3
check_eq "broken reload: same relay" "$relay" "$(relay_pid)"
check_eq "broken reload: still answers" 301 "$(proc_http "$ns" 18080)"

# the relay's user cannot change on reload (the parent keeps the old
# one's uid to be able to signal its relays): refused, nothing changes
other=$([ "$user" = nobody ] && echo daemon || echo nobody)
sed "s/^user = .*/user = $other/" "$T_TMP/good.ini" >"$T_TMP/r.ini"
kill -HUP "$pid"
check "user change on reload: refused" wait_for 3 grep -q 'reload_failed .*user cannot change on reload' "$log"
check_eq "user change on reload: same relay" "$relay" "$(relay_pid)"

# SIGHUP with a good config (one worker more): new relay, old one drains
sed 's/^workers = 2/workers = 3/' "$T_TMP/good.ini" >"$T_TMP/r.ini"
kill -HUP "$pid"
if wait_for 5 grep -q reload_done "$log"; then ok "good reload: done"; else not_ok "good reload: done"; fi
if wait_for 5 grep -q "relay_exited proc=parent pid=$relay how=\"exited with status 0\"" "$log"; then
  ok "good reload: old relay drained and exited 0"; else not_ok "good reload: old relay drained and exited 0"; fi
check_eq "good reload: 3 sockets per address now" 3 "$(ip netns exec "$ns" ss -Hltn 'sport = :18080' | wc -l)"
check_eq "good reload: answers" 301 "$(proc_http "$ns" 18080)"

kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM: parent exits 0" 0 "$?"
check "SIGTERM: relay gone too" bash -c "! grep -q . /proc/$pid/task/*/children 2>/dev/null"
t_done
