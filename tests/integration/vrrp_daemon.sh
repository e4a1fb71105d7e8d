#!/usr/bin/env bash
# The shipped path: `rampart -c FILE` with [vrrp] enabled = yes, keepalived
# (priority 180) as the peer. Health drives priority (no backend: 200 - 50 =
# 150 < 180); a killed relay is replaced within [gateway] relay_grace and
# nothing moves (the listeners are the parent's); relays that crash-loop
# hand over at once (priority 0) and take the VIP back once one stays up;
# SIGTERM hands over and removes the VIP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
require_root
command -v keepalived >/dev/null || { not_ok "keepalived installed"; exit 1; }
vrrp_lan r k
R=${VRRP_NS[r]} K=${VRRP_NS[k]}
proc_cert || { not_ok "certificate"; exit 1; }
proc_config "$T_TMP/r.ini" "[vrrp]
enabled = yes
interface = eth0
vrid = $VRRP_VRID
priority = 200
advert_interval = 100ms
virtual_ip = $VRRP_VIP/24
penalty_no_backend = 50
[gateway]
relay_grace = 5s"
ka=$(ka_start "$K" ka 180)
wait_for 5 has_vip "$K" || { not_ok "keepalived becomes master"; exit 1; }
rp=$(spawn "$R" "$T_TMP/r.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini")
log_has() { grep -q "$1" "$T_TMP/r.log"; }
# more_than N PATTERN FILE: polled by wait_for, so the count is taken each time
more_than() { [ "$(grep -c "$2" "$3")" -gt "$1" ]; }

check "daemon starts its VRRP instance" wait_for 5 log_has "vrrp_start proc=parent"
# backends unknown until the relay's first checks: penalised from the start
check "backends unknown at start: priority 150" log_has "vrrp_start proc=parent.* priority=150 .*backends=unknown"
check "no backend up: relay reports 0/2 (settled)" wait_for 5 log_has "backends_up_changed proc=parent.* backends_up=0/2"
check_fails "no start-up flap: never master before the checks" grep -q "vrrp_state proc=parent.* to=master" "$T_TMP/r.log"
sleep 1
if has_vip "$K" && no_vip "$R"; then ok "no backend up: keepalived (180) keeps the VIP"
else not_ok "no backend up: keepalived (180) keeps the VIP"; fi

spawn "$R" "$T_TMP/web.log" python3 -m http.server -b 127.0.0.1 18081 >/dev/null
if wait_for 10 has_vip "$R" && wait_for 2 no_vip "$K"; then ok "a backend comes up: rampart (200) preempts"
else not_ok "a backend comes up: rampart (200) preempts" "$(grep vrrp "$T_TMP/r.log" | tail -n 2 | tr "\n" " ")"; fi

masters=$(grep -c "Entering MASTER STATE" "$T_TMP/ka.log")
readies=$(grep -c "relay_ready proc=parent" "$T_TMP/r.log")
relay_pid() { proc_relay "$rp" 1; }
relay=$(relay_pid)
kill -KILL "$relay"
check "relay killed: VRRP keeps its priority for the grace" wait_for 2 log_has "relay_grace proc=parent"
check "relay killed: a replacement is ready within the grace" wait_for 5 more_than "$readies" "relay_ready proc=parent" "$T_TMP/r.log"
sleep 0.5
check_fails "relay killed and back in time: no priority 0 sent" log_has "vrrp_priority.* to=0 relay=lost"
check_eq "relay killed and back in time: keepalived never took over" "$masters" "$(grep -c "Entering MASTER STATE" "$T_TMP/ka.log")"
check "relay killed and back in time: rampart kept the VIP" has_vip "$R"

# --- relays that crash-loop: each replacement killed as soon as it runs ---
# (the first quick death is restarted at once within the grace; the second
# makes a crash loop: the restart waits for its backoff, VRRP stands down)
readies=$(grep -c "relay_ready proc=parent" "$T_TMP/r.log")
old=$(relay_pid)
for _ in 1 2 3; do
  kill -KILL "$old" 2>/dev/null
  for _ in $(seq 300); do new=$(relay_pid); [ -n "$new" ] && [ "$new" != "$old" ] && break; sleep 0.01; done
  old=$new
done
check "crash loop: priority 0 at once" wait_for 2 log_has "vrrp_priority.* to=0 relay=lost"
check "crash loop: keepalived takes over" wait_for 2 more_than "$masters" "Entering MASTER STATE" "$T_TMP/ka.log"
if wait_for 15 more_than "$readies" "relay_ready proc=parent" "$T_TMP/r.log" &&
   wait_for 5 has_vip "$R" && wait_for 2 no_vip "$K"; then
  ok "crash loop over: rampart takes the VIP back"
else not_ok "crash loop over: rampart takes the VIP back" "$(grep -E "vrrp|relay_" "$T_TMP/r.log" | tail -n 4 | cut -c 12-120 | tr "\n" " ")"; fi

stop_pid "$rp" TERM
if no_vip "$R" && wait_for 2 has_vip "$K"; then ok "SIGTERM: VIP removed, keepalived takes over"
else not_ok "SIGTERM: VIP removed, keepalived takes over"; fi
check "SIGTERM: priority 0 sent on the way out" log_has "vrrp_state proc=parent from=master to=init reason=shutdown"
stop_pid "$ka" TERM
t_done
