#!/usr/bin/env bash
# The guard (gateway/proc/guard.h): `rampart -c FILE` with [vrrp], the
# master of the VIP, keepalived (priority 180) its backup.
#   - a guard runs beside the parent: CAP_NET_ADMIN + CAP_NET_RAW only, no
#     new privileges, its own seccomp filter;
#   - SIGKILL of the parent: the guard sends priority 0 on each instance
#     (keepalived takes over within about its skew time, not its
#     master-down time) and removes the VIPs of both instances, so none is
#     left on the dead node; then it exits;
#   - SIGTERM: the parent leaves VRRP itself, the guard exits quietly;
#   - a guard killed is started again by the parent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
require_root
command -v keepalived >/dev/null || { not_ok "keepalived installed"; exit 1; }
vrrp_lan r k
R=${VRRP_NS[r]} K=${VRRP_NS[k]}
proc_cert || { not_ok "certificate"; exit 1; }
# long adverts: keepalived's master-down time (3 s + skew) is then far from
# the guard's handover (skew, ~1 s at priority 180), so one cannot pass for the other
proc_config "$T_TMP/r.ini" "[vrrp]
enabled = yes
interface = eth0
vrid = $VRRP_VRID
priority = 200
advert_interval = 1s
virtual_ip = $VRRP_VIP/24
penalty_no_backend = 0
[vrrp second]
interface = eth0
vrid = 52
priority = 200
advert_interval = 1s
virtual_ip = 198.18.0.11/24
penalty_no_backend = 0"
ka=$(ka_start "$K" ka 180 1)
has_vip2() { ip -n "$1" -4 addr show dev eth0 | grep -q "inet 198.18.0.11/"; }
log_has() { grep -q "$1" "$T_TMP/r.log"; }
guard_of() { pgrep -P "$1" -f -- "--guard" | head -n1; }

start_rampart() {
  rp=$(spawn "$R" "$T_TMP/r.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini")
  wait_for 10 has_vip "$R" && wait_for 3 no_vip "$K"
}
check "rampart (200) is master, keepalived (180) backup" start_rampart
check "rampart is master of its second instance too" wait_for 5 has_vip2 "$R"
g=$(guard_of "$rp")
check "a guard runs beside the parent" test -n "$g"
check_eq "the guard's capabilities: CAP_NET_ADMIN + CAP_NET_RAW" 0000000000003000 "$(proc_status_field "$g" CapEff)"
check_eq "its bounding set: the same two" 0000000000003000 "$(proc_status_field "$g" CapBnd)"
check_eq "no new privileges" 1 "$(proc_status_field "$g" NoNewPrivs)"
check_eq "a seccomp filter" 2 "$(proc_status_field "$g" Seccomp)"
pipe=$(readlink /proc/"$g"/fd/3)
holders() { # the processes holding the guard's pipe, but the guard
  for f in /proc/[0-9]*/fd/*; do [ "$(readlink "$f" 2>/dev/null)" = "$pipe" ] && echo "${f#/proc/}"; done |
    cut -d/ -f1 | sort -u | grep -vx "$g" | tr '\n' ' '
}
check_eq "only the parent holds the other end of the guard's pipe (${pipe:-none})" "$rp " "$(holders)"

# --- the guard is killed: the parent starts another ---
kill -KILL "$g"
check "a killed guard is noticed" wait_for 3 log_has "guard_lost proc=parent"
another() { g2=$(guard_of "$rp") && [ -n "$g2" ] && [ "$g2" != "$g" ]; }
check "and another started" wait_for 3 another
g2=$(guard_of "$rp")
sleep 0.3 # its first state from the watchdog

# --- SIGKILL of the parent ---
masters=$(grep -c "Entering MASTER STATE" "$T_TMP/ka.log")
t0=$(date +%s%N)
kill -KILL "$rp"
check "parent killed: the guard sends priority 0, keepalived takes over" wait_for 3 bash -c \
  "[ \$(grep -c 'Entering MASTER STATE' '$T_TMP/ka.log') -gt $masters ]"
took=$((($(date +%s%N) - t0) / 1000000))
# keepalived with 1 s adverts and priority 180 would wait 3 s + 0.3 s
# without the priority 0; after one, its skew time (0.3 s) and its own delay
check "the takeover came before the master-down time (${took} ms < 3000 ms)" test "$took" -lt 3000
check "no VIP left on the dead node" wait_for 2 no_vip "$R"
none2() { ! has_vip2 "$R"; }
check "the second instance's VIP is gone too" wait_for 2 none2
check "the guard stood the second instance down" wait_for 2 log_has "guard_stood_down proc=guard instance=second vrid=52 interface=eth0 priority0=sent vips=removed"
check "the guard logged what it did" wait_for 2 log_has "guard_stood_down proc=guard instance=vrrp vrid=$VRRP_VRID interface=eth0 priority0=sent vips=removed"
gone() { ! kill -0 "$g2" 2>/dev/null; }
check "the guard is gone too" wait_for 2 gone
wait_for 3 bash -c "! pgrep -f 'rampart -c $T_TMP/r.ini' >/dev/null"

# --- SIGTERM: the parent leaves itself, the guard does nothing ---
: >"$T_TMP/r.log"
check "rampart back: master again" start_rampart
stop_pid "$rp" TERM
check "SIGTERM: the VIP goes with the parent's own priority 0" wait_for 2 has_vip "$K"
check_fails "SIGTERM: the guard had nothing to do" grep -q "guard_parent_gone" "$T_TMP/r.log"
stop_pid "$ka" TERM
t_done
