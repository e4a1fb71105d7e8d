#!/usr/bin/env bash
# bench/idle_ab.sh N ROUNDS BUILD_DIR... : idle memory of two or more rampart
# builds, alternated ROUNDS times (A B A B ...; the machine is shared and
# loaded, so one run of each proves nothing), each on a fresh process:
# bench/idle_conns.py holds N TLS 1.3 connections (one request each), then
# the relay's VmRSS and its smaps_rollup (Anonymous, Private_Dirty) are read
# before and after. Set IDLE_H2=--h2 for HTTP/2 connections and
# IDLE_HAPROXY=1 to measure HAProxy once per round as well.
# Prints one line per run: build, held, relay KiB before -> after, KiB per
# connection (relay only, and every rampart process).
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
RAMPART_ROOT=$(cd "$BENCH_DIR/.." && pwd)
N=${1:?usage: bench/idle_ab.sh N ROUNDS BUILD_DIR...}
ROUNDS=${2:?usage: bench/idle_ab.sh N ROUNDS BUILD_DIR...}
shift 2
BUILDS=("$@")
[ ${#BUILDS[@]} -ge 1 ] || { echo "usage: bench/idle_ab.sh N ROUNDS BUILD_DIR..." >&2; exit 2; }
RAMPART_BUILD=${BUILDS[${#BUILDS[@]} - 1]}
T_TAG=${T_TAG:-ia$$}
export RAMPART_ROOT RAMPART_BUILD T_TAG
# shellcheck source=tests/integration/lib.sh
. "$RAMPART_ROOT/tests/integration/lib.sh"
# shellcheck source=tests/integration/lib_process.sh
. "$RAMPART_ROOT/tests/integration/lib_process.sh"
# shellcheck source=tests/integration/lib_proxy.sh
. "$RAMPART_ROOT/tests/integration/lib_proxy.sh"
# shellcheck source=bench/lib_bench.sh
. "$BENCH_DIR/lib_bench.sh"

bn_setup bench/idle_ab.sh "$N"
[ "${IDLE_HAPROXY:-0}" = 1 ] || stop_pid "${PID[haproxy]}"

# ia_rollup PID: "anon=KiB dirty=KiB" of one process.
ia_rollup() {
  awk '/^Anonymous:/ {a = $2} /^Private_Dirty:/ {d = $2} END {printf "anon=%d dirty=%d", a, d}' \
    /proc/"$1"/smaps_rollup 2>/dev/null
}

# ia_run BUILD: one idle measurement of rampart from BUILD.
ia_run() {
  local b=$1 relay r0 r1 t0 t1 held fifo=$T_TMP/ia.fifo log=$T_TMP/ia.log py i
  RAMPART_BUILD=$b
  # a build from before [http2] refuses the section: leave it out for that one
  bn_rampart_conf "$T_TMP/rampart.ini"
  bn_in "$b/rampart" -t -c "$T_TMP/rampart.ini" >/dev/null 2>&1 ||
    sed -i '/^\[http2\]/,/^\[/{/^\[admin\]/!d}' "$T_TMP/rampart.ini"
  bn_restart rampart
  relay=$(proc_relay "${PID[rampart]}")
  [ -n "$relay" ] || { echo "no relay for $b" >&2; return 1; }
  r0=$(proc_status_field "$relay" VmRSS); t0=$(bn_rss_kib "${PID[rampart]}")
  local roll0
  roll0=$(ia_rollup "$relay")
  rm -f "$fifo"; mkfifo "$fifo"
  bn_in python3 "$BENCH_DIR/idle_conns.py" 127.0.0.1 "${BN_PORT[rampart]}" "$N" /page.html "${IDLE_H2:-}" <"$fifo" >"$log" 2>&1 &
  py=$!
  exec 9>"$fifo"
  for i in $(seq 1200); do grep -q '^held' "$log" && break; kill -0 "$py" 2>/dev/null || break; sleep 0.1; done
  sleep 1.5 # buffers of a connection idle 200 ms are freed
  r1=$(proc_status_field "$relay" VmRSS); t1=$(bn_rss_kib "${PID[rampart]}")
  local roll1
  roll1=$(ia_rollup "$relay")
  [ -n "${IDLE_PROBE:-}" ] && "$IDLE_PROBE" "$relay" >"$T_TMP/probe.out" 2>&1
  held=$(awk '/^held/ {print $2}' "$log")
  exec 9>&-
  wait "$py" 2>/dev/null
  awk -v b="$b" -v h="${held:-0}" -v r0="$r0" -v r1="$r1" -v t0="$t0" -v t1="$t1" -v x0="$roll0" -v x1="$roll1" 'BEGIN {
    printf "%-28s held %5d relay %6d -> %6d KiB  relay %5.1f KiB/conn  all %5.1f KiB/conn  [%s -> %s]\n",
      b, h, r0, r1, h ? (r1 - r0) / h : 0, h ? (t1 - t0) / h : 0, x0, x1 }'
  [ -n "${IDLE_PROBE:-}" ] && sed 's/^/    /' "$T_TMP/probe.out"
  grep '^errors' "$log" >&2
  return 0
}

echo "# $(date -u '+%F %T') N=$N rounds=$ROUNDS ${IDLE_H2:-http/1.1} load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$ROUNDS"); do
  for b in "${BUILDS[@]}"; do ia_run "$b"; done
  if [ "${IDLE_HAPROXY:-0}" = 1 ]; then
    bn_idle haproxy "$N" "${IDLE_H2:-}"
    echo "haproxy                      held ${R[haproxy.idle_n]:-${R[haproxy.idle2_n]:-}} ${R[haproxy.idle_rss]:-${R[haproxy.idle2_rss]}} all ${R[haproxy.idle_kib]:-${R[haproxy.idle2_kib]}} KiB/conn"
  fi
done
echo "# load after $(cut -d' ' -f1-3 /proc/loadavg)"
