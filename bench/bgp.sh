#!/usr/bin/env bash
# N gateways behind ECMP, announced over BGP (BIRD), on the lab's BGP
# topology (lab/lab.sh up --bgp N: a router with an L4 multipath hash and
# flows pinned to the gateway that answered them, N gateways with BIRD and
# Rampart [bgp], BFD 100 ms x 3). Load: lab/load.py, many short HTTPS
# connections (one request each) from 16 client addresses.
#
#   spread    each gateway's share of the connections (its /metrics)
#   drain     SIGTERM a gateway under load: SIGTERM -> the router's ECMP
#             without it, requests lost
#   crash     a gateway's box dies (its uplink silenced, carrier kept, then
#             rampart and BIRD SIGKILLed): silence -> the router's ECMP
#             without it (BFD detection), requests lost, how long new
#             connections were held up (a SYN to the dead box is retried
#             after TCP's 1 s RTO: "affected" is the last such SYN's start)
#   rampart   SIGKILL rampart alone (BIRD lives): -> the router's ECMP
#             without it (its route device dies with the process)
#   backends  a gateway's link to the web servers down: -> the router's ECMP
#             without it (health: interval 500 ms, timeout 400 ms, fall 2)
# The router's route is polled every few ms in its namespace; each figure
# is the median (worst) of RUNS runs.
#
# Usage: bench/bgp.sh [RUNS] [N]   (default 3 runs, 3 gateways)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
N=${2:-3}
[ "$(id -u)" -eq 0 ] || { echo "bench/bgp.sh needs root (network namespaces)" >&2; exit 1; }
export LAB_PREFIX=${LAB_PREFIX:-bb$$-}
export LAB_RUN=${LAB_RUN:-$(mktemp -d /tmp/rampart-bench-bgp.XXXXXX)}
chmod 711 "$LAB_RUN"
LAB=$ROOT/lab/lab.sh
trap '"$LAB" down >/dev/null 2>&1; rm -rf "$LAB_RUN"' EXIT
"$LAB" up --bgp "$N" || exit 1
. "$ROOT/lab/tour.sh"
RATE=${BGP_BENCH_RATE:-100}
TOUR_LOAD_RATE=$RATE
R=${P}router

now_ms() { date +%s%3N; }
ecmp_count() { ip -n "$R" route show "$VIP" 2>/dev/null | grep -c nexthop; }

# watch_ecmp FILE: "MS COUNT" each time the number of nexthops changes.
watch_ecmp() {
  local last="" c
  while :; do
    c=$(ecmp_count)
    [ "$c" != "$last" ] && echo "$(now_ms) $c" && last=$c
    sleep 0.003
  done >"$1"
}
# first change to COUNT after T0 in FILE: ms since T0, or "-"
ecmp_at() {
  awk -v t0="$2" -v want="$3" '$1 >= t0 && $2 == want { print $1 - t0; found = 1; exit }
    END { if (!found) print "-" }' "$1"
}

median_worst() { # values...: "median (worst)"
  printf '%s\n' "$@" | grep -v '^-$' | sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "-"; exit } printf "%d (%d)", v[int((NR + 1) / 2)], v[NR] }'
}

declare -a SHARES DRAIN_MS DRAIN_LOST CRASH_MS CRASH_LOST CRASH_AFFECTED RK_MS BK_MS

run_spread() {
  local h before=() after=() total=0 i
  for h in $TOUR_GATEWAYS; do before+=("$(conns "$h")"); done
  load_start spread 20
  load_wait
  for h in $TOUR_GATEWAYS; do after+=("$(conns "$h")"); done
  for i in "${!after[@]}"; do total=$((total + after[i] - before[i])); done
  i=0
  for h in $TOUR_GATEWAYS; do
    SHARES+=("$h $(((after[i] - before[i]) * 1000 / total))")
    i=$((i + 1))
  done
  read -r tot _ failed _ < <(load_counts "$LOAD_FILE")
  echo "spread: $tot connections, $failed failed; $(printf '%s\n' "${SHARES[@]}" | tail -n "$N" | tr '\n' ' ')"
}

# load_lost: failed requests of the last load run
load_lost() { load_counts "$LOAD_FILE" | awk '{print $3}'; }

run_drain() {
  local h=gw-2 t0 mon=$LAB_RUN/ecmp-drain.txt wpid
  watch_ecmp "$mon" &
  wpid=$!
  load_start drain 6
  sleep 2
  t0=$(now_ms)
  kill -TERM "$(cat "$LAB_RUN/pids/$h.pid")"
  load_wait
  kill "$wpid"
  DRAIN_MS+=("$(ecmp_at "$mon" "$t0" $((N - 1)))")
  DRAIN_LOST+=("$(load_lost)")
  "$LAB" start-gw "$h" >/dev/null && wait_for_cmd 30 in_ecmp "$h"
}

run_crash() {
  local h=gw-1 t0 mon=$LAB_RUN/ecmp-crash.txt wpid
  watch_ecmp "$mon" &
  wpid=$!
  load_start crash 6
  sleep 2
  t0=$(now_ms)
  bgp_silence_now "$h"
  "$LAB" kill-gw "$h" >/dev/null
  load_wait
  kill "$wpid"
  CRASH_MS+=("$(ecmp_at "$mon" "$t0" $((N - 1)))")
  CRASH_LOST+=("$(load_lost)")
  # the last request that started after the crash and was held up (> 500 ms) or failed
  CRASH_AFFECTED+=("$(awk -v t0="$t0" '{ start = $1 - $5 } start >= t0 && ($2 != 200 || $5 > 500) {
      if (start - t0 > m) m = start - t0 } END { print m + 0 }' "$LOAD_FILE")")
  "$LAB" start-gw "$h" >/dev/null && wait_for_cmd 30 in_ecmp "$h"
}

# the silence of lab.sh kill-gw, without lab.sh's start-up time
bgp_silence_now() {
  ip netns exec "$P$1" nft -f - <<'EOF'
table netdev lab_dead {
  chain out { type filter hook egress device "eth0" priority 0; policy drop; }
  chain in { type filter hook ingress device "eth0" priority 0; policy drop; }
}
EOF
}

run_rampart() {
  local h=gw-2 t0 mon=$LAB_RUN/ecmp-rampart.txt wpid
  watch_ecmp "$mon" &
  wpid=$!
  sleep 0.5
  t0=$(now_ms)
  kill -KILL -- "-$(cat "$LAB_RUN/pids/$h.pid")"
  wait_for_cmd 10 out_of_ecmp "$h"
  sleep 0.2
  kill "$wpid"
  RK_MS+=("$(ecmp_at "$mon" "$t0" $((N - 1)))")
  "$LAB" start-gw "$h" >/dev/null && wait_for_cmd 30 in_ecmp "$h"
}

run_backends() {
  local h=gw-3 t0 mon=$LAB_RUN/ecmp-backends.txt wpid
  watch_ecmp "$mon" &
  wpid=$!
  sleep 0.5
  t0=$(now_ms)
  ip -n "$P$h" link set eth1 down
  wait_for_cmd 10 out_of_ecmp "$h"
  sleep 0.2
  kill "$wpid"
  BK_MS+=("$(ecmp_at "$mon" "$t0" $((N - 1)))")
  ip -n "$P$h" link set eth1 up
  wait_for_cmd 30 in_ecmp "$h"
}

for run in $(seq "$RUNS"); do
  echo "== run $run"
  run_spread
  run_drain
  run_crash
  run_rampart
  run_backends
done

echo
echo "# bench/bgp.sh $RUNS $N, $(date +%F), $(nproc) cores, BIRD $(bird --version 2>&1 | awk '{print $3}'), load $RATE connections/s"
echo "# ms, median (worst) of $RUNS runs; requests lost: the sum over the runs"
printf '%-44s %s\n' "share of connections, per gateway (%)" \
  "$(for h in $TOUR_GATEWAYS; do
    printf '%s %s  ' "$h" "$(printf '%s\n' "${SHARES[@]}" | awk -v h="$h" '$1 == h {print $2 / 10}' | sort -n |
      awk '{v[NR] = $1} END {printf "%.1f (%.1f-%.1f)", v[int((NR + 1) / 2)], v[1], v[NR]}')"
  done)"
sum() { local s=0 v; for v in "$@"; do s=$((s + v)); done; echo "$s"; }
printf '%-44s %-14s lost %s\n' "drain: SIGTERM -> out of the ECMP" "$(median_worst "${DRAIN_MS[@]}")" \
  "$(sum "${DRAIN_LOST[@]}")"
printf '%-44s %-14s lost %s; new connections held up for %s ms\n' "crash: box silent -> out of the ECMP (BFD)" \
  "$(median_worst "${CRASH_MS[@]}")" "$(sum "${CRASH_LOST[@]}")" "$(median_worst "${CRASH_AFFECTED[@]}")"
printf '%-44s %s\n' "rampart SIGKILL -> out of the ECMP" "$(median_worst "${RK_MS[@]}")"
printf '%-44s %s\n' "backends down -> out of the ECMP" "$(median_worst "${BK_MS[@]}")"
