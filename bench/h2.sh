#!/usr/bin/env bash
# bench/h2.sh: HTTP/2 only, Rampart and HAProxy alternated, several rounds.
#
#   sudo bench/h2.sh [ROUNDS] [SECONDS]      (defaults 3 and 6; ~20 s a round)
#
# The setup of run.sh (same certificate, nginx backends, 2 workers each, one
# namespace); per round, h2load -t2 -c50 -m10 on the 600-byte page against
# each proxy in turn, and the Rampart/HAProxy ratios of req/s and p99 of
# that round. A tail figure moves between identical runs on a shared
# machine, so one round says little; the rounds say how often a goal holds.
# Also printed: the CPU time of each rampart worker thread in the round
# (SO_REUSEPORT spreads connections by a hash of their addresses, so an
# uneven split would show here and in the p99).
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
RAMPART_ROOT=$(cd "$BENCH_DIR/.." && pwd)
ROUNDS=${1:-3}
DUR=${2:-6}
T_TAG=${T_TAG:-bh$$}
export RAMPART_ROOT T_TAG
# shellcheck source=tests/integration/lib.sh
. "$RAMPART_ROOT/tests/integration/lib.sh"
# shellcheck source=tests/integration/lib_process.sh
. "$RAMPART_ROOT/tests/integration/lib_process.sh"
# shellcheck source=tests/integration/lib_proxy.sh
. "$RAMPART_ROOT/tests/integration/lib_proxy.sh"
# shellcheck source=bench/lib_bench.sh
. "$BENCH_DIR/lib_bench.sh"

case "$ROUNDS$DUR" in *[!0-9]*) echo "usage: bench/h2.sh [ROUNDS] [SECONDS]" >&2; exit 2 ;; esac
bn_setup bench/h2.sh 5000 # the limits of run.sh (maxconn 5,500 on both)

# "NAME TICKS" per rampart worker thread (rampart-wN), user + system
worker_ticks() {
  local comm name
  for comm in /proc/[0-9]*/task/*/comm; do
    name=$(cat "$comm" 2>/dev/null) || continue
    case "$name" in rampart-w*) echo "$name $(awk '{print $14 + $15}' "${comm%/comm}/stat")" ;; esac
  done | sort
}

echo "h2load -t2 -c50 -m10 -D${DUR}s /page.html, $ROUNDS rounds; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
held=0
for r in $(seq "$ROUNDS"); do
  before=$(worker_ticks)
  bn_h2load rampart /page.html 50 10 "$DUR"
  after=$(worker_ticks)
  bn_h2load haproxy /page.html 50 10 "$DUR"
  for s in rampart haproxy; do
    printf '  round %d %-8s %7s req/s  p50 %6s ms  p99 %6s ms  server CPU %3s%%  errors %s\n' "$r" "$s" \
      "${R[$s.h2_rps]}" "${R[$s.h2_p50]}" "${R[$s.h2_p99]}" "${R[$s.h2_cpu]}" "${R[$s.h2_errors]}"
  done
  echo "    rampart workers' CPU ticks: $(join <(echo "$before") <(echo "$after") | awk '{printf "%s %d  ", $1, $3 - $2}')"
  line=$(awk -v rr="${R[rampart.h2_rps]}" -v hr="${R[haproxy.h2_rps]}" -v rp="${R[rampart.h2_p99]}" -v hp="${R[haproxy.h2_p99]}" \
    'BEGIN {printf "req/s %.2fx, p99 %.2fx", hr ? rr / hr : 0, hp ? rp / hp : 0; exit !(hr && rr >= hr && rp <= hp)}') && held=$((held + 1))
  echo "    Rampart/HAProxy: $line"
done
echo "req/s >= 1.0x and p99 <= 1.0x in $held of $ROUNDS rounds; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
