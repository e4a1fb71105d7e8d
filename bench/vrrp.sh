#!/usr/bin/env bash
# VRRP failover, Rampart next to keepalived, 100 ms adverts, on a LAN of
# network namespaces (two gateways, priorities 200/100, and a client).
#
#   takeover  fault -> the backup has the VIP (its `ip -ts monitor address`)
#   outage    the client's longest gap between ping replies to the VIP,
#             pinging every 10 ms (so ~10 ms means no outage)
#
# Faults: none (the measuring noise); SIGTERM the master; SIGKILL it (its VIP stays configured, so the
# client is still answered by its kernel: takeover only); its link going
# down; for Rampart, the relay process lost (the parent announces priority
# 0); a split brain healing in one direction first, each way.
# Usage: bench/vrrp.sh [RUNS]   (default 3; the median and worst are shown)
#        VRRP_BENCH_FAULTS="sigterm heal_ab" bench/vrrp.sh 1   (a subset)
set -u
export RAMPART_ROOT=${RAMPART_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$RAMPART_ROOT/tests/integration/lib.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
RUNS=${1:-3}
WINDOW=4 # seconds of pinging (0.5 s before the fault, the rest after)
require_root
vrrp_build_driver || exit 1
vrrp_lan a b c >/dev/null
A=${VRRP_NS[a]} B=${VRRP_NS[b]} C=${VRRP_NS[c]}
VRRP_ADVERT_CS=10

now() { date +%s.%N; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

start_pair() { # IMPL: A master (200), B backup (100)
  if [ "$1" = rampart ]; then
    PA=$(rp_start "$A" "ra$RANDOM" 200 -g 3 -G 20)
    PB=$(rp_start "$B" "rb$RANDOM" 100 -g 3 -G 20)
  else
    PA=$(ka_start "$A" "ka$RANDOM" 200)
    wait_for 5 has_vip "$A"
    PB=$(ka_start "$B" "kb$RANDOM" 100)
  fi
  wait_for 5 has_vip "$A" && sleep 1.5 && has_vip "$A" && no_vip "$B"
}

stop_pair() {
  stop_pid "$PA" TERM
  stop_pid "$PB" TERM
  ka_kill "$A"
  ka_kill "$B"
  ip -n "$A" addr del "$VRRP_VIP/24" dev eth0 2>/dev/null
  ip -n "$B" addr del "$VRRP_VIP/24" dev eth0 2>/dev/null
  ip -n "$A" link set eth0 up
  ip netns exec "$A" nft delete table inet vrrpbench 2>/dev/null
  ip netns exec "$B" nft delete table inet vrrpbench 2>/dev/null
  sleep 0.3
}

vrrp_block() {
  ip netns exec "$1" nft add table inet vrrpbench &&
    ip netns exec "$1" nft add chain inet vrrpbench in '{ type filter hook input priority 0; }' &&
    ip netns exec "$1" nft add rule inet vrrpbench in ip protocol 112 drop
}
vrrp_unblock() { ip netns exec "$1" nft delete table inet vrrpbench; }

fault() { # IMPL FAULT
  case $2 in
    sigterm) stop_pid "$PA" TERM ;;
    sigkill) if [ "$1" = rampart ]; then kill -KILL "$PA"; else ka_kill "$A"; fi ;;
    relay) kill -USR1 "$PA" ;;
    linkdown) ip -n "$A" link set eth0 down ;;
    heal_ba) vrrp_unblock "$A"; sleep 1; vrrp_unblock "$B" ;;
    heal_ab) vrrp_unblock "$B"; sleep 1; vrrp_unblock "$A" ;;
    none) ;;
  esac
}

# One run: prints "TAKEOVER_MS OUTAGE_MS" ("-" where it does not apply).
run_one() {
  local impl=$1 f=$2 mon=$T_TMP/mon.$RANDOM ping=$T_TMP/ping.$RANDOM t0 tk="-" out
  start_pair "$impl" || { stop_pair; echo "fail fail"; return; }
  ip -n "$C" neigh flush dev eth0
  if [[ $f == heal_* ]]; then
    vrrp_block "$A" && vrrp_block "$B"
    wait_for 3 has_vip "$B"
    # B's ARPs (keepalived sends a second set 5 s after taking over) are the
    # last the client saw, as in a split brain that lasted a while
    sleep 6
  fi
  ip netns exec "$C" ping -c 1 -W 1 "$VRRP_VIP" >/dev/null
  ip netns exec "$B" ip -ts monitor address >"$mon" 2>&1 &
  local monpid=$!
  ip netns exec "$C" ping -D -n -i 0.01 -W 1 -w "$WINDOW" "$VRRP_VIP" >"$ping" 2>&1 &
  local pingpid=$!
  sleep 0.5
  t0=$(now)
  fault "$impl" "$f"
  wait "$pingpid"
  kill "$monpid" 2>/dev/null
  wait "$monpid" 2>/dev/null
  if [[ $f != heal_* && $f != none ]]; then
    local ts
    ts=$(grep -m1 "inet $VRRP_VIP/" "$mon" | sed -nE 's/^\[([^]]+)\].*/\1/p')
    [ -n "$ts" ] && tk=$(ms_between "$t0" "$(date -d "$ts" +%s.%N)")
  fi
  # the longest silence, counting from the fault to the end of the window
  out=$(awk -v t0="$t0" -v end="$WINDOW" '
    /bytes from/ { gsub(/[\[\]]/, "", $1); t[n++] = $1 }
    END { if (n == 0) { print "none"; exit }
          first = t[0]; last = t0; gap = 0
          for (i = 0; i < n; i++) if (t[i] >= t0) { if (t[i] - last > gap) gap = t[i] - last; last = t[i] }
          # still silent when the window closed: at least this long
          if (first + end - last > 0.5) { printf ">%d", (first + end - last) * 1000; exit }
          printf "%d", gap * 1000 }' "$ping")
  [ "$f" = sigkill ] && out="-" # the stale VIP still answers pings
  stop_pair
  echo "$tk $out"
}

# "median (worst)" of the runs; ">N" (silent until the window closed) sorts
# as N and keeps its mark; "-" when the figure does not apply.
summary() {
  [ "$1" = "-" ] && { echo "-"; return; }
  printf '%s\n' "$@" | awk '{ v = $1; sub(/^>/, "", v); print v, $1 }' | sort -n |
    awk '{ s[n++] = $2 } END { printf "%s (%s)", s[int((n - 1) / 2)], s[n - 1] }'
}

printf '# VRRP failover, advert 100 ms, %s run(s) each; ms, median (worst)\n' "$RUNS"
printf '%-26s %-16s %-16s %-16s %-16s\n' "fault" "rampart takeover" "rampart outage" "keepalived takeover" "keepalived outage"
for f in ${VRRP_BENCH_FAULTS:-none sigterm sigkill linkdown relay heal_ba heal_ab}; do
  row=()
  for impl in rampart keepalived; do
    if [ "$impl" = keepalived ] && [ "$f" = relay ]; then row+=("n/a" "n/a"); continue; fi
    tks=() outs=()
    for _ in $(seq "$RUNS"); do
      run_one "$impl" "$f" >"$T_TMP/result"
      read -r tk out <"$T_TMP/result"
      tks+=("$tk") outs+=("$out")
    done
    row+=("$(summary "${tks[@]}")" "$(summary "${outs[@]}")")
  done
  case $f in
    none) name="no fault (ping jitter)" ;; sigterm) name="SIGTERM master" ;; sigkill) name="SIGKILL master" ;;
    linkdown) name="master link down" ;; relay) name="relay lost (prio 0)" ;;
    heal_ba) name="split brain heals B->A 1st" ;; heal_ab) name="split brain heals A->B 1st" ;;
  esac
  printf '%-26s %-16s %-16s %-16s %-16s\n' "$name" "${row[@]}"
done
