#!/usr/bin/env bash
# The two processes: the parent keeps CAP_NET_ADMIN + CAP_NET_RAW effective
# (and CAP_KILL, CAP_SETUID, CAP_SETGID, CAP_SETPCAP permitted, raised per
# call), locked securebits, no_new_privs and a seccomp filter, and shares no
# uid with the relay; the relay runs as the configured user with no
# capabilities, no_new_privs and a seccomp filter. A process running as the
# relay's user cannot stop the parent (kill, or SIGIO with F_SETOWN +
# F_SETSIG + O_ASYNC): VRRP adverts go on (issue 10, defect 7). A killed or
# frozen relay is replaced at once and the port keeps answering; SIGHUP
# with a broken config changes nothing, a good one swaps the relay (the old
# one drains and exits 0); SIGTERM exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root

ns=$(netns_add sup) && peer=$(netns_add supp) || { not_ok "namespace"; exit 1; }
veth_pair "$ns" eth0 198.18.0.1/24 "$peer" eth0 198.18.0.2/24 || { not_ok "veth"; exit 1; }
proc_cert || { not_ok "certificate"; exit 1; }
# VRRP adverts every 100 ms on eth0: the peer's side counts them
proc_config "$T_TMP/r.ini" "[vrrp]
enabled = yes
interface = eth0
vrid = 51
priority = 150
advert_interval = 100ms
virtual_ip = 198.18.0.10/24"
sed -i 's/^enabled = no$/enabled = yes\nlisten = 127.0.0.1:19100/' "$T_TMP/r.ini"
log=$T_TMP/rampart.log
spawn "$ns" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
wait_port "$ns" 127.0.0.1 18080 || { not_ok "rampart starts" "$(tail -n 3 "$log")"; exit 1; }

relay_pid() { proc_relay "$pid" 1; }
# a relay other than $1 is running and has said it is ready
new_relay() { local r; r=$(relay_pid); [ -n "$r" ] && [ "$r" != "$1" ] && grep -q "relay_ready proc=parent pid=$r " "$log"; }
wait_for 5 new_relay 0
relay=$(relay_pid)
user=$(awk '/^user/ {print $3}' "$T_TMP/r.ini")
uid=$(id -u "$user")

check_eq "parent: CapEff is CAP_NET_ADMIN + CAP_NET_RAW only" 0000000000003000 "$(proc_status_field "$pid" CapEff)"
# permitted (raised one call at a time): CAP_KILL to signal a relay, the
# set-id three for a child between fork and exec (sandbox.h)
check_eq "parent: CapPrm adds kill, setgid, setuid, setpcap" 00000000000031e0 "$(proc_status_field "$pid" CapPrm)"
check_eq "parent: CapPrm decoded" "0x00000000000031e0=cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_net_admin,cap_net_raw" \
  "$(capsh --decode="$(proc_status_field "$pid" CapPrm)")"
check_eq "parent: CapBnd is CapPrm" 00000000000031e0 "$(proc_status_field "$pid" CapBnd)"
check_eq "parent: no inheritable capabilities" 0000000000000000 "$(proc_status_field "$pid" CapInh)"
check_eq "parent: no ambient capabilities" 0000000000000000 "$(proc_status_field "$pid" CapAmb)"
check_eq "parent: no_new_privs" 1 "$(proc_status_field "$pid" NoNewPrivs)"
check_eq "parent: seccomp filter mode" 2 "$(proc_status_field "$pid" Seccomp)"
# NOROOT | NOROOT_LOCKED | NO_SETUID_FIXUP | NO_SETUID_FIXUP_LOCKED | KEEP_CAPS_LOCKED
check "parent: securebits 0x2f (as it logged them)" grep -q "sandbox proc=parent securebits=0x2f " "$log"
parent_uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/"$pid"/status)
check_eq "parent: uid 0 real, effective, saved, fs" "0 0 0 0" "$parent_uids"
check_eq "relay: uid $uid real, effective, saved, fs" "$uid $uid $uid $uid" \
  "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/"$relay"/status)"

check_eq "relay: runs as $user" "$uid" "$(proc_status_field "$relay" Uid)"
check_eq "relay: no capabilities (effective)" 0000000000000000 "$(proc_status_field "$relay" CapEff)"
check_eq "relay: empty bounding set" 0000000000000000 "$(proc_status_field "$relay" CapBnd)"
check_eq "relay: no_new_privs" 1 "$(proc_status_field "$relay" NoNewPrivs)"
check_eq "relay: seccomp filter mode" 2 "$(proc_status_field "$relay" Seccomp)"
check_eq "relay: answers" 301 "$(proc_http "$ns" 18080)"
admin_answers() { ip netns exec "$ns" curl -s -o /dev/null -m 3 -w '%{http_code}' http://127.0.0.1:19100/metrics; }
check_eq "relay: admin listener (bound before seccomp) answers" 200 "$(admin_answers)"

# a process of the relay's user tries to stop the parent, each way in
# turn: both fail, the parent runs on and VRRP adverts continue (defect 7)
adverts() { ip netns exec "$peer" cat /sys/class/net/eth0/statistics/rx_packets; }
stopped() { [ "$(awk '/^State:/ { print $2 }' /proc/"$pid"/status)" = T ]; }
as_relay_user() {
  ip netns exec "$ns" setpriv --reuid="$uid" --regid="$(id -g "$user")" --clear-groups \
    /usr/bin/python3 "$RAMPART_ROOT/tests/integration/signal_parent.py" "$1" "$pid"
}
check_eq "relay user: kill(parent, SIGSTOP) refused" "kill: EPERM" "$(as_relay_user kill)"
sleep 0.2
check_fails "relay user: the parent is not stopped by kill" stopped
kill -CONT "$pid" # a parent the old way stopped: let the rest of the test run
as_relay_user sigio >"$T_TMP/sigio.out"
sleep 0.3
check_fails "relay user: the parent is not stopped by SIGIO (F_SETOWN, F_SETSIG, O_ASYNC)" stopped
kill -CONT "$pid"
before=$(adverts)
more_adverts() { [ $(($(adverts) - before)) -ge 3 ]; }
check "VRRP adverts continue after the attempts" wait_for 3 more_adverts

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
check_eq "good reload: admin listener answers (the new relay's)" 200 "$(admin_answers)"

kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM: parent exits 0" 0 "$?"
check "SIGTERM: relay gone too" bash -c "! grep -q . /proc/$pid/task/*/children 2>/dev/null"
t_done
